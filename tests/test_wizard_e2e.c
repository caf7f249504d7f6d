/* test_wizard_e2e.c — the interactive wizard (SPEC §2) driven in a real
 * terminal: the real binary in a private tmux server per test (80x24, clean
 * environment), kong-sim as the kong CLI, fixtures in a private PostgreSQL.
 * Waits for screen text with a deadline (capture-pane polling), never a
 * fixed sleep, and gives up at once when the wizard has exited (e2e_poll);
 * kills its tmux server at the end of every test.
 *
 * Golden files: tests/wizard/<screen>.txt hold whole 80x24 screens, with what
 * varies between runs replaced (e2e_golden, e2e_masks). After a reviewed
 * change to a screen, rewrite them with
 *     KUW_WIZARD_UPDATE=1 ctest -R test_wizard_e2e
 * and read the diff of tests/wizard/ before keeping it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <regex.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/core_runner.h"
#include "tests/support/testenv.h"
#include "tests/support/tmux.h"

#define E2E_DEADLINE_MS 30000
#define E2E_GOLDEN_MS 5000

static struct testenv te;
static char wizard[4096];
static char golden_dir[4200];

struct e2e {
	struct tmux_term t;
	char db[128];
	char kconf[4400];
	char wconf[4400];
	char state[4400];
	char env[256]; /* extra "K=V" words for the wizard's environment */
	char kong[4400]; /* the kong CLI for the wizard; "" = kong-sim */
	pid_t stopped; /* a run's command held stopped (SIGSTOP), 0 if none */
};

/* Prints a screen line by line (cmocka cuts each message at 1 KiB). */
static void e2e_print_screen(const char *screen)
{
	while (*screen != '\0') {
		size_t n = strcspn(screen, "\n");

		print_error("|%.*s\n", (int)n, screen);
		screen += n + (screen[n] == '\n');
	}
}

/* Whether the wizard has exited: the shell's "EXITED <status>" (e2e_start)
 * starts a line of the pane. */
static bool e2e_exited(const char *screen)
{
	const char *p = screen;

	while ((p = strstr(p, "EXITED ")) != NULL) {
		if (p == screen || p[-1] == '\n')
			return true;
		p++;
	}
	return false;
}

/* Polls the screen until it contains text (absent: no longer contains it):
 * 0; -1 after deadline_ms; -2 as soon as the wizard has exited, unless text
 * is about its exit ("EXITED 0") or is on the screen all the same. e->t.out
 * holds the last screen. */
static int e2e_poll(struct e2e *e, const char *text, bool absent, long deadline_ms)
{
	struct timespec tick = { 0, 20 * 1000000L };
	long end = tmux_now_ms() + deadline_ms;
	bool exit_awaited = strstr(text, "EXITED") != NULL;

	for (;;) {
		const char *screen = tmux_capture(&e->t, false);
		bool has = strstr(screen, text) != NULL;

		if (!absent && has)
			return 0;
		if (!exit_awaited && e2e_exited(screen))
			return -2;
		if (absent && !has)
			return 0;
		if (tmux_now_ms() > end)
			return -1;
		nanosleep(&tick, NULL);
	}
}

/* Waits until the screen contains (absent: no longer contains) text; fails
 * after the deadline, or at once when the wizard has exited meanwhile, with
 * the screen printed. */
static void e2e_wait_for(struct e2e *e, const char *text, bool absent)
{
	int rc = e2e_poll(e, text, absent, E2E_DEADLINE_MS);

	if (rc == -2) {
		print_error("the wizard exited while the test waited for %s\"%s\":\n",
			    absent ? "no " : "", text);
		e2e_print_screen(e->t.out);
		fail();
	}
	if (rc < 0) {
		print_error("screen after %d ms, waiting for %s\"%s\":\n", E2E_DEADLINE_MS,
			    absent ? "no " : "", text);
		e2e_print_screen(e->t.out);
		fail();
	}
}

static void e2e_wait(struct e2e *e, const char *text)
{
	e2e_wait_for(e, text, false);
}

/* Whether the last captured screen holds text (absent: does not); fails
 * with the screen printed. */
static void e2e_expect(struct e2e *e, const char *text, bool absent)
{
	if ((strstr(e->t.out, text) == NULL) != absent) {
		print_error("screen, expected %s\"%s\":\n", absent ? "no " : "", text);
		e2e_print_screen(e->t.out);
		fail();
	}
}

/* Captures the screen with its escapes: whether it uses colours (else only
 * bold and reverse) must be colour; fails with the screen printed. */
static void e2e_expect_colour(struct e2e *e, bool colour)
{
	tmux_capture(&e->t, true);
	e2e_expect(e, "\033[", false);
	if (tmux_only_bold_reverse(e->t.out) == colour) {
		print_error("screen, expected %s:\n", colour ? "colours" : "no colour");
		e2e_print_screen(e->t.out);
		fail();
	}
}

static void e2e_keys(struct e2e *e, const char *keys)
{
	assert_int_equal(tmux_run(&e->t, "send-keys -t kuw %s", keys), 0);
}

/* Types text literally. */
static void e2e_type(struct e2e *e, const char *text)
{
	assert_int_equal(tmux_run(&e->t, "send-keys -t kuw -l '%s'", text), 0);
}

/* Opens the help (F1) and closes it (any key): the screen's text ends with
 * last, and the keys of the key map all fit below it (r among them; Ctrl-L
 * is the last row). */
static void e2e_help(struct e2e *e, const char *last)
{
	e2e_keys(e, "F1");
	e2e_wait(e, "Press any key to close this help.");
	e2e_expect(e, last, false);
	e2e_expect(e, "r         refresh / check again", false);
	e2e_expect(e, "Ctrl-L    redraw the screen", false);
	e2e_keys(e, "x");
	e2e_wait_for(e, "Press any key to close this help.", true);
}

/* Runs SQL as the superuser on the site's database; fails the test on error. */
static void e2e_sql(struct e2e *e, const char *sql)
{
	struct core_error err = { { 0 } };
	char *got = testenv_query1(&te, e->db, sql, &err);

	if (got == NULL)
		fail_msg("%s", err.msg);
	free(got);
}

/* A database from a fixture, renamed to name (one per test, so that golden
 * screens, which wrap and cut text around the name, do not depend on the
 * order of the tests), its kong.conf, a wizard config with its own state and
 * backup directories. */
static void e2e_site(struct e2e *e, const char *fixture, const char *name)
{
	struct core_error err = { { 0 } };
	char tmp[128], sql[512], *got;
	FILE *f;

	if (testenv_create_db(&te, fixture, NULL, tmp, sizeof(tmp), &err) < 0)
		fail_msg("%s", err.msg);
	snprintf(e->db, sizeof(e->db), "%s", name);
	snprintf(sql, sizeof(sql), "ALTER DATABASE %s RENAME TO %s; SELECT 1", tmp, e->db);
	got = testenv_query1(&te, "postgres", sql, &err);
	if (got == NULL)
		fail_msg("%s", err.msg);
	free(got);
	if (testenv_write_kongconf(&te, e->db, NULL, e->kconf, sizeof(e->kconf), &err) < 0)
		fail_msg("%s", err.msg);
	snprintf(e->state, sizeof(e->state), "%s/state-%s", te.tmpdir, e->db);
	snprintf(e->wconf, sizeof(e->wconf), "%s/wizard-%s.conf", te.tmpdir, e->db);
	f = fopen(e->wconf, "w");
	assert_non_null(f);
	fprintf(f, "kong { binary = \"%s\" conf = \"%s\" }\nstate_dir = \"%s\"\n"
		   "backup { dir = \"%s/backups-%s\" }\n",
		e->kong[0] != '\0' ? e->kong : te.kong_sim, e->kconf, e->state, te.tmpdir, e->db);
	assert_int_equal(fclose(f), 0);
}

/* Starts the wizard in a fresh tmux server of cols x rows (a new one each
 * time: a server whose last session was killed may still be exiting) with
 * LANG=C.UTF-8 and e->env; the shell reports the exit status and keeps the
 * pane. */
static void e2e_start(struct e2e *e, int cols, int rows)
{
	char cmd[8192];

	tmux_stop(&e->t);
	tmux_name(&e->t, "kuwwiz");
	snprintf(cmd, sizeof(cmd),
		 "env -i TERM=xterm-256color LANG=C.UTF-8 PATH=/usr/bin:/bin HOME=%s USER=op %s "
		 "sh -c '%s -c %s; echo EXITED \\$?; exec sleep 600'",
		 te.tmpdir, e->env, wizard, e->wconf);
	assert_int_equal(tmux_run(&e->t, "-f /dev/null new-session -d -s kuw -x %d -y %d \"%s\"",
				  cols, rows, cmd),
			 0);
}

static int e2e_setup(void **state)
{
	*state = calloc(1, sizeof(struct e2e));
	return *state == NULL ? -1 : 0;
}

static int e2e_teardown(void **state)
{
	struct e2e *e = *state;

	if (e != NULL && e->stopped > 0)
		kill(e->stopped, SIGCONT);
	if (e != NULL && e->t.socket[0] != '\0')
		tmux_stop(&e->t);
	free(e);
	return 0;
}

/* Replaces every occurrence of from in s by to (to no longer than from). */
static void e2e_replace(char *s, const char *from, const char *to)
{
	size_t lf = strlen(from), lt = strlen(to);
	char *p;

	if (lf == 0)
		return;
	while ((p = strstr(s, from)) != NULL) {
		memmove(p + lt, p + lf, strlen(p + lf) + 1);
		memcpy(p, to, lt);
	}
}

/* What varies between runs besides the scratch directory, the database name
 * and the port (replaced first, literally), and what it becomes before a
 * screen is compared with its golden file: POSIX extended patterns, applied
 * in order. Keep this list short: everything else on a screen is compared. */
static const struct {
	const char *re;
	const char *to;
} e2e_masks[] = {
	/* journal and run times, "2026-11-26T09:30:00Z" */
	{ "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z", "<time>" },
	/* times on screen, "2026-11-26 09:30 UTC" and "26 Nov 09:30 UTC" */
	{ "[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} UTC", "<time>" },
	{ "[0-9]{2} [A-Z][a-z]{2} [0-9]{2}:[0-9]{2} UTC", "<time>" },
	/* run ids and file names, "20261126T093000Z-1" (start time and a
	 * counter), also where the screen's edge cuts a long path */
	{ "[0-9]{8}T[0-9]{0,6}(Z-[0-9]+|Z)?", "<stamp>" },
	/* SHA-256, whole or its first 12 digits */
	{ "[0-9a-f]{64}|[0-9a-f]{12}\\.\\.\\.", "<sha256>" },
	/* backup sizes, "1.2 MiB" */
	{ "[0-9]+(\\.[0-9])? (B|KiB|MiB|GiB),", "<size>," },
	/* a run's command line: the kong-sim path is the build directory's, and
	 * the screen cuts it where that length says */
	{ "# command: [^|\xe2]*", "# command: <argv>" },
	/* the operator (the user running the test) */
	{ " by [a-z_][a-z0-9_.-]*, exit", " by <user>, exit" },
	/* how long ago 'up' ended, how long the old cluster has been idle */
	{ "Time since up: [0-9hms]+", "Time since up: <dur>" },
	{ "idle for [0-9hms]+", "idle for <dur>" },
};

/* Applies e2e_masks to s (at most size bytes with the NUL). */
static void e2e_mask(char *s, size_t size)
{
	char *out = malloc(size);
	size_t i;

	assert_non_null(out);
	for (i = 0; i < sizeof(e2e_masks) / sizeof(e2e_masks[0]); i++) {
		regex_t re;
		regmatch_t m;
		const char *p = s;
		size_t o = 0;

		assert_int_equal(regcomp(&re, e2e_masks[i].re, REG_EXTENDED), 0);
		while (regexec(&re, p, 1, &m, p == s ? 0 : REG_NOTBOL) == 0 && m.rm_eo > 0) {
			o += (size_t)snprintf(out + o, size - o, "%.*s%s", (int)m.rm_so, p,
					      e2e_masks[i].to);
			assert_true(o < size);
			p += m.rm_eo;
		}
		snprintf(out + o, size - o, "%s", p);
		snprintf(s, size, "%s", out);
		regfree(&re);
	}
	free(out);
}

static char *e2e_read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* Prints the lines where want and got differ ("-" golden, "+" screen). */
static void e2e_print_diff(const char *name, const char *want, const char *got)
{
	int line = 1;

	print_error("golden %s differs from the screen (KUW_WIZARD_UPDATE=1 rewrites the "
		    "golden files; review their diff):\n",
		    name);
	while (*want != '\0' || *got != '\0') {
		size_t lw = strcspn(want, "\n"), lg = strcspn(got, "\n");

		if (lw != lg || strncmp(want, got, lw) != 0)
			print_error("line %2d\n  -%.*s\n  +%.*s\n", line, (int)lw, want, (int)lg, got);
		want += lw + (want[lw] == '\n');
		got += lg + (got[lg] == '\n');
		line++;
	}
}

/* Captures the screen with what varies between runs replaced. */
static void e2e_screen_normalised(struct e2e *e)
{
	char port[32];
	char *got = e->t.out;
	char *p;

	tmux_capture(&e->t, false);
	e2e_replace(got, te.tmpdir, "TMP");
	e2e_replace(got, e->db, "DB");
	/* Before the port: its digits could be inside a hash. */
	e2e_mask(got, sizeof(e->t.out));
	p = strstr(got, "127.0.0.1:");
	if (p != NULL) {
		snprintf(port, sizeof(port), "%.*s", (int)strspn(p + 10, "0123456789"), p + 10);
		e2e_replace(got, port, "PORT");
	}
}

/* The whole screen, normalised, against a golden file. The caller has
 * waited for the screen; the rest of it may still be arriving, so this
 * polls until it matches, for E2E_GOLDEN_MS at most. KUW_WIZARD_UPDATE=1
 * rewrites the file instead, once two captures in a row agree. */
static void e2e_golden(struct e2e *e, const char *name)
{
	struct timespec tick = { 0, 20 * 1000000L };
	long end = tmux_now_ms() + E2E_GOLDEN_MS;
	bool update = getenv("KUW_WIZARD_UPDATE") != NULL;
	char path[4400];
	char *want = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", golden_dir, name);
	if (!update && (want = e2e_read_file(path)) == NULL)
		fail_msg("no golden file %s (KUW_WIZARD_UPDATE=1 writes it)", path);
	for (;;) {
		e2e_screen_normalised(e);
		if (want != NULL && strcmp(want, e->t.out) == 0)
			break;
		if (update) {
			free(want);
			want = strdup(e->t.out);
			assert_non_null(want);
		}
		if (tmux_now_ms() > end) {
			e2e_print_diff(name, want != NULL ? want : "", e->t.out);
			print_error("the whole screen, normalised:\n");
			e2e_print_screen(e->t.out);
			free(want);
			fail();
		}
		nanosleep(&tick, NULL);
	}
	if (update) {
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(e->t.out, f);
		assert_int_equal(fclose(f), 0);
	}
	free(want);
}

static void expect_q(const char *db, const char *sql, const char *want)
{
	struct core_error err = { { 0 } };
	char *got = testenv_query1(&te, db, sql, &err);

	if (got == NULL)
		fail_msg("%s", err.msg);
	assert_string_equal(got, want);
	free(got);
}

/* The report file written to the state directory. */
static void expect_report(const struct e2e *e)
{
	DIR *d = opendir(e->state);
	struct dirent *de;
	struct stat st;
	char path[8400];
	int found = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "report-", 7) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", e->state, de->d_name);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		assert_true(st.st_size > 100);
		found++;
	}
	closedir(d);
	assert_int_equal(found, 1);
}

/* The latest supervised run of the site: its state and its command's pid
 * (kong-sim; also its process group). */
static enum core_runner_state e2e_run(const struct e2e *e, pid_t *child)
{
	struct core_error err = { { 0 } };
	struct core_runner_run *r = NULL;
	enum core_runner_state st;

	if (core_runner_find(e->state, &r, &err) < 0)
		fail_msg("%s", err.msg);
	assert_non_null(r);
	st = core_runner_refresh(r);
	*child = core_runner_info(r)->child_pid;
	core_runner_free(r);
	return st;
}

/* The kong CLI for the site's wizard: kong-sim behind a gate that holds
 * migrate-community-to-enterprise (which reports no progress of its own and
 * ends at once) until e2e_kong_open, so that the screen of a run in
 * progress can be seen (60 s at most). Call before e2e_site. */
static void e2e_kong_gated(struct e2e *e, const char *name)
{
	FILE *f;

	snprintf(e->kong, sizeof(e->kong), "%s/kong-gated-%s", te.tmpdir, name);
	f = fopen(e->kong, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n"
		   "if [ \"$2\" = migrate-community-to-enterprise ]; then\n"
		   "\ti=0\n"
		   "\twhile [ ! -e '%s.open' ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done\n"
		   "fi\n"
		   "exec '%s' \"$@\"\n",
		e->kong, te.kong_sim);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(e->kong, 0700), 0);
}

/* Lets the gated command go on. */
static void e2e_kong_open(struct e2e *e)
{
	char path[4500];
	FILE *f;

	snprintf(path, sizeof(path), "%s.open", e->kong);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fclose(f), 0);
}

/* A wizard that cannot start (no config file) exits at once: waiting for a
 * screen then gives up as soon as the pane says EXITED, not after the
 * deadline; waiting for the exit itself is not cut short. */
static void test_wait_fails_fast_on_exit(void **state)
{
	struct e2e *e = *state;
	long t0;

	snprintf(e->wconf, sizeof(e->wconf), "%s/no-such-wizard.conf", te.tmpdir);
	e2e_start(e, 80, 24);
	t0 = tmux_now_ms();
	assert_int_equal(e2e_poll(e, "Press > (or F10)", false, E2E_DEADLINE_MS), -2);
	assert_true(tmux_now_ms() - t0 < E2E_DEADLINE_MS / 3);
	assert_int_equal(e2e_poll(e, "Press > (or F10)", true, E2E_DEADLINE_MS), -2);
	assert_int_equal(e2e_poll(e, "EXITED ", false, E2E_DEADLINE_MS), 0);
	e2e_expect(e, "EXITED 0", true);
}

static void test_welcome_golden_and_quit(void **state)
{
	struct e2e *e = *state;

	e2e_site(e, "ee-0.36", "kuw_welcome");
	e2e_start(e, 80, 24);
	e2e_wait(e, "Press > (or F10)");
	e2e_golden(e, "welcome.txt");
	e2e_keys(e, "F1");
	e2e_wait(e, "Press any key to close this help.");
	e2e_expect(e, "never shown", false);
	e2e_keys(e, "x");
	e2e_wait(e, "Press > (or F10)");
	e2e_keys(e, "q");
	e2e_wait(e, "EXITED 0");
	tmux_run(&e->t, "display-message -p -t kuw '#{alternate_on} #{cursor_flag}'");
	assert_string_equal(e->t.out, "0 1\n");
	assert_null(strstr(tmux_capture(&e->t, false), "Kong Upgrade Wizard"));
}

static void test_too_small(void **state)
{
	struct e2e *e = *state;

	e2e_site(e, "ee-0.36", "kuw_small");
	e2e_start(e, 70, 20);
	e2e_wait(e, "too small");
	e2e_keys(e, "q");
	e2e_wait(e, "EXITED 0");
}

/* Shrinking the running wizard to 60x20 shows the notice; back at 80x24
 * the screen is whole again. */
static void test_resize(void **state)
{
	struct e2e *e = *state;

	e2e_site(e, "ee-0.36", "kuw_resize");
	e2e_start(e, 80, 24);
	e2e_wait(e, "Press > (or F10)");
	e2e_golden(e, "welcome.txt");
	assert_int_equal(tmux_run(&e->t, "resize-window -t kuw -x 60 -y 20"), 0);
	e2e_wait(e, "terminal too small (need 80x24)");
	e2e_wait(e, "now 60x20");
	assert_int_equal(tmux_run(&e->t, "resize-window -t kuw -x 80 -y 24"), 0);
	e2e_wait_for(e, "terminal too small", true);
	e2e_wait(e, "Press > (or F10)");
	e2e_golden(e, "welcome.txt");
	e2e_keys(e, "q");
	e2e_wait(e, "EXITED 0");
}

/* NO_COLOR=1: reverse and bold only. LANG=C: ASCII line drawing, and the
 * flow goes on (a backup and 'up', whose log pane is boxed). */
static void test_no_color_and_ascii(void **state)
{
	struct e2e *e = *state;

	e2e_site(e, "ee-0.36", "kuw_colour");
	/* The control: by default the screen has colours and box drawing. */
	e2e_start(e, 80, 24);
	e2e_wait(e, "Press > (or F10)");
	e2e_keys(e, "'>'");
	e2e_wait(e, "Nothing blocks the next step");
	assert_true(tmux_has_box_drawing(e->t.out));
	e2e_expect_colour(e, true);
	e2e_keys(e, "q");
	e2e_wait(e, "EXITED 0");

	snprintf(e->env, sizeof(e->env), "NO_COLOR=1");
	e2e_start(e, 80, 24);
	e2e_wait(e, "Press > (or F10)");
	e2e_expect_colour(e, false);
	e2e_keys(e, "'>'");
	e2e_wait(e, "Nothing blocks the next step");
	e2e_expect_colour(e, false);
	e2e_keys(e, "q");
	e2e_wait(e, "EXITED 0");

	snprintf(e->env, sizeof(e->env), "LANG=C");
	e2e_start(e, 80, 24);
	e2e_wait(e, "Press > (or F10)");
	e2e_keys(e, "'>'");
	e2e_wait(e, "Nothing blocks the next step");
	assert_false(tmux_has_box_drawing(e->t.out));
	e2e_expect(e, "-- Details --", false);
	e2e_keys(e, "'>'");
	e2e_wait(e, "Dev Portal: breaking changes in 1.3");
	e2e_keys(e, "'>'");
	e2e_wait(e, "Enter: take a backup now");
	e2e_keys(e, "Enter");
	e2e_wait(e, "Backup taken and verified");
	e2e_keys(e, "'>'");
	e2e_wait(e, "Enter: run 'kong migrations up' now.");
	e2e_keys(e, "Enter");
	e2e_wait(e, "'up' completed and verified against schema_meta");
	assert_false(tmux_has_box_drawing(e->t.out));
	e2e_expect(e, "+ Output -", false);
	expect_q(e->db, "SELECT pending::text FROM schema_meta WHERE subsystem = 'core'",
		 "{005_120_to_130}");
	e2e_keys(e, "q");
	e2e_wait(e, "EXITED 0");
}

/* Path A end to end with a golden file per screen, r on the Prerequisites,
 * quitting after the traffic shift and resuming. */
static void test_path_a(void **state)
{
	struct e2e *e = *state;

	e2e_site(e, "ee-0.36", "kuw_path_a");
	e2e_start(e, 80, 24);
	e2e_wait(e, "Press > (or F10)");
	e2e_keys(e, "'>'");
	e2e_wait(e, "Step 2/");
	e2e_wait(e, "Nothing blocks the next step");
	e2e_golden(e, "prerequisites.txt");
	e2e_help(e, "fixed on the next steps.");
	/* r runs the checks again: a Kong node takes the migrations lock, then
	 * gives it back. */
	e2e_sql(e, "INSERT INTO locks (key, owner, ttl) VALUES ('migrations', 'e2e-node', "
		   "now() + interval '1 hour'); SELECT 1");
	e2e_keys(e, "r");
	e2e_wait(e, "failure(s) block the upgrade, first: Kong's migrations lock is free");
	e2e_wait(e, "The checks ran again.");
	e2e_keys(e, "'>'");
	e2e_wait(e, "fails: fix it (then r) or waive it (Enter).");
	e2e_sql(e, "DELETE FROM locks WHERE key = 'migrations'; SELECT 1");
	e2e_keys(e, "r");
	e2e_wait(e, "Nothing blocks the next step");
	/* The fixture has Dev Portal files: Legacy Mode is offered. */
	e2e_keys(e, "'>'");
	e2e_wait(e, "Dev Portal: breaking changes in 1.3");
	e2e_golden(e, "session.txt");
	e2e_help(e, "Portal's Legacy Mode.");
	e2e_keys(e, "Space");
	e2e_wait(e, "+portal_is_legacy = on");
	e2e_keys(e, "Enter");
	e2e_wait(e, "Wrote portal_is_legacy; backup copy: ");
	e2e_wait(e, "Legacy Mode is on");
	e2e_keys(e, "'>'");
	e2e_wait(e, "Enter: take a backup now");
	e2e_expect(e, "Backup: none", false);
	e2e_keys(e, "Enter");
	e2e_wait(e, "Backup taken and verified");
	e2e_expect(e, "verified (", false); /* the Verified row */
	e2e_expect(e, "Backup: none", true);
	e2e_golden(e, "backup.txt");
	e2e_help(e, "to go without.");
	e2e_keys(e, "'>'");
	e2e_wait(e, "Enter: run 'kong migrations up' now.");
	e2e_expect(e, "non-destructive", false);
	e2e_expect(e, "What 'up' will run (kong migrations list: new migrations):", false);
	e2e_expect(e, "core (1): 005_120_to_130", false);
	e2e_keys(e, "Enter");
	e2e_wait(e, "'up' completed and verified against schema_meta");
	/* Once it has run, the screen says what ran, not what will. */
	e2e_wait(e, "What 'up' ran (schema_meta; * = pending until 'finish'):");
	e2e_expect(e, "will run", true);
	e2e_expect(e, "no new migrations", true);
	e2e_expect(e, "core (1): 005_120_to_130*", false);
	e2e_expect(e, "enterprise (1): 004_036-2_to_037*", false);
	e2e_golden(e, "up.txt");
	e2e_help(e, "Old nodes keep working.");
	expect_q(e->db, "SELECT pending::text FROM schema_meta WHERE subsystem = 'core'",
		 "{005_120_to_130}");
	/* Back is allowed before any irreversible step. */
	e2e_keys(e, "'<'");
	e2e_wait(e, "Enter: take a backup now");
	e2e_keys(e, "'>'");
	e2e_wait(e, "'up' completed and verified against schema_meta");
	e2e_expect(e, "What 'up' ran", false);
	e2e_keys(e, "'>'");
	e2e_wait(e, "Time since up:");
	e2e_wait(e, "No Admin API URLs are configured");
	/* Finish is refused before the traffic shift is confirmed. */
	e2e_keys(e, "'>'");
	e2e_wait(e, "Confirm the traffic shift first");
	e2e_keys(e, "Enter");
	e2e_wait(e, "Override: the old cluster is not drained");
	e2e_type(e, "drill: old nodes stopped by hand");
	e2e_keys(e, "Enter");
	e2e_wait(e, "Confirmed: all traffic is on the new cluster");
	e2e_golden(e, "traffic.txt");
	e2e_help(e, "journal keeps.");
	e2e_keys(e, "q");
	e2e_wait(e, "EXITED 0");

	/* Starting again resumes at Finish. */
	e2e_start(e, 80, 24);
	e2e_wait(e, "THE POINT OF NO RETURN");
	e2e_wait(e, "Enter: finish");
	e2e_expect(e, "overridden: drill", false);
	e2e_golden(e, "finish.txt");
	e2e_help(e, "r: check again.");
	e2e_keys(e, "r");
	e2e_wait(e, "Enter: finish");
	e2e_keys(e, "Enter");
	e2e_wait(e, "Type the database name");
	e2e_type(e, "wrong");
	e2e_keys(e, "Enter");
	e2e_keys(e, "Escape");
	e2e_wait(e, "Enter: finish");
	expect_q(e->db, "SELECT pending::text FROM schema_meta WHERE subsystem = 'core'",
		 "{005_120_to_130}");
	e2e_keys(e, "Enter");
	e2e_wait(e, "Type the database name");
	e2e_type(e, e->db);
	e2e_keys(e, "Enter");
	e2e_wait(e, "'finish' completed and verified: no pending migrations remain");
	expect_q(e->db, "SELECT pending::text FROM schema_meta WHERE subsystem = 'core'",
		 "{}");
	e2e_keys(e, "'<'");
	e2e_wait(e, "Back is not possible now");
	/* ...and the key hints no longer offer it. */
	e2e_expect(e, "F1 Help  > Next  q Quit", false);
	e2e_expect(e, "< Back", true);
	e2e_keys(e, "'>'");
	e2e_wait(e, "Report written:");
	e2e_expect(e, "The upgrade is complete.", false);
	/* finish renamed the Dev Portal's files to legacy_files: the Session &
	 * cookies step still counts, as on every screen before. */
	e2e_expect(e, "Step 8/8: Done", false);
	e2e_golden(e, "done.txt");
	e2e_help(e, "to the state directory (0600).");
	expect_report(e);
	e2e_keys(e, "q");
	e2e_wait(e, "EXITED 0");

	/* Starting again after finish resumes at Done, with the same count and
	 * the same report: one per completed upgrade, however soon (the same
	 * second as the first: no "File exists") and however often. */
	e2e_start(e, 80, 24);
	e2e_wait(e, "Report written:");
	e2e_expect(e, "Step 8/8: Done", false);
	e2e_expect(e, "cannot write the report", true);
	e2e_golden(e, "done.txt");
	e2e_keys(e, "q");
	e2e_wait(e, "EXITED 0");
	expect_report(e);
	e2e_start(e, 80, 24);
	e2e_wait(e, "Report written:");
	e2e_keys(e, "q");
	e2e_wait(e, "EXITED 0");
	expect_report(e);
}

/* Path B: community 1.2 to Enterprise 1.3, with the entity proof. */
static void test_path_b(void **state)
{
	struct e2e *e = *state;

	e2e_kong_gated(e, "kuw_path_b");
	e2e_site(e, "ce-1.2", "kuw_path_b");
	e2e_start(e, 80, 24);
	e2e_wait(e, "Press > (or F10)");
	e2e_expect(e, "ce-to-ee-1.3", false);
	e2e_keys(e, "'>'");
	e2e_wait(e, "Nothing blocks the next step");
	e2e_keys(e, "'>'");
	e2e_wait(e, "Enter: take a backup now");
	e2e_keys(e, "Enter");
	e2e_wait(e, "Backup taken and verified");
	e2e_keys(e, "'>'");
	e2e_wait(e, "Enter: run 'kong migrations up' now.");
	e2e_keys(e, "Enter");
	e2e_wait(e, "'up' completed and verified against schema_meta");
	e2e_wait(e, "What 'up' ran");
	/* Community 1.2 to Enterprise: up also ran migrations that have no
	 * teardown (executed, no "*"), and a new subsystem's. */
	e2e_expect(e, "core (2): 001_13_to_14*, 005_120_to_130*", false);
	e2e_expect(e, "enterprise (5): 000_base, 001_034_to_035*", false);
	e2e_expect(e, "session (1): 000_base_session", false);
	e2e_expect(e, "no migrations of 'up'", true);
	e2e_keys(e, "'>'");
	e2e_wait(e, "Enter: finish");
	e2e_keys(e, "Enter");
	e2e_wait(e, "Type the database name");
	e2e_type(e, e->db);
	e2e_keys(e, "Enter");
	e2e_wait(e, "'finish' completed and verified");
	e2e_keys(e, "'>'");
	e2e_wait(e, "Enter: migrate");
	e2e_expect(e, "services", false);
	e2e_keys(e, "Enter");
	e2e_wait(e, "Force (-f)");
	e2e_keys(e, "Tab");
	e2e_keys(e, "Enter");
	e2e_wait(e, "Type the database name");
	e2e_type(e, e->db);
	e2e_keys(e, "Enter");
	/* The command reports no steps: while it runs (held by the gate), the
	 * gauge says so and counts the seconds instead of showing "?". */
	e2e_wait(e, "running, ");
	e2e_expect(e, "(one transaction)", false);
	e2e_expect(e, "] ?", true);
	e2e_expect(e, "Running... q quits the wizard; the run goes on.", false);
	e2e_kong_open(e);
	e2e_wait(e, "completed and verified");
	/* Then the bar is full: every entity counted before is in default. */
	e2e_wait(e, "] 1875/1875 in default: done");
	e2e_expect(e, "] ?", true);
	e2e_expect(e, "MISSING", true);
	e2e_expect(e, " ok", false);
	e2e_golden(e, "c2e.txt");
	e2e_help(e, "must be typed.");
	e2e_keys(e, "'>'");
	e2e_wait(e, "Report written:");
	e2e_expect(e, "The upgrade is complete.", false);
	expect_report(e);
	e2e_keys(e, "q");
	e2e_wait(e, "EXITED 0");
}

/* Quitting while 'up' runs: the wizard asks, the run goes on without it,
 * and the next wizard re-attaches to it, follows it to its end and goes on.
 * kong-sim pauses before each of its two migrations; the test stops it
 * (SIGSTOP, in the first pause) until the next wizard has re-attached, so
 * the run is still going then however slow the machine is. */
static void test_quit_during_up(void **state)
{
	struct e2e *e = *state;
	pid_t child = 0;

	e2e_site(e, "ee-0.36", "kuw_quit_up");
	snprintf(e->env, sizeof(e->env), "KONG_SIM_DELAY_MS=1500");
	e2e_start(e, 80, 24);
	e2e_wait(e, "Press > (or F10)");
	e2e_keys(e, "'>'");
	e2e_wait(e, "Nothing blocks the next step");
	e2e_keys(e, "'>'");
	e2e_wait(e, "Dev Portal: breaking changes in 1.3");
	e2e_keys(e, "'>'");
	e2e_wait(e, "Enter: take a backup now");
	e2e_keys(e, "'>'");
	e2e_wait(e, "Enter: run 'kong migrations up' now.");
	e2e_keys(e, "Enter");
	e2e_wait(e, "Running... q quits the wizard; the run goes on.");
	/* kong-sim says this, then pauses before the first migration. */
	e2e_wait(e, "migrating core on database");
	assert_int_equal(e2e_run(e, &child), CORE_RUNNER_RUNNING);
	assert_true(child > 0);
	assert_int_equal(kill(child, SIGSTOP), 0);
	e->stopped = child;
	e2e_keys(e, "q");
	e2e_wait(e, "A run is in progress");
	/* Esc stays. */
	e2e_keys(e, "Escape");
	e2e_wait_for(e, "A run is in progress", true);
	e2e_keys(e, "q");
	e2e_wait(e, "A run is in progress");
	e2e_keys(e, "Enter");
	e2e_wait(e, "EXITED 0");
	/* The supervisor still holds the run; its command is alive. */
	assert_int_equal(e2e_run(e, &child), CORE_RUNNER_RUNNING);
	assert_int_equal(kill(child, 0), 0);

	/* The next wizard opens on Up and follows the run from its log. */
	e2e_start(e, 80, 24);
	e2e_wait(e, "Step 5/8: Up (non-destructive)");
	e2e_wait(e, "Running... q quits the wizard; the run goes on.");
	e2e_expect(e, "migrating core on database", false);
	assert_int_equal(kill(child, SIGCONT), 0);
	e->stopped = 0;
	e2e_wait(e, "core migrated up to: 005_120_to_130 (pending)");
	e2e_wait(e, "'up' completed and verified against schema_meta");
	assert_int_equal(e2e_run(e, &child), CORE_RUNNER_FINISHED);
	expect_q(e->db, "SELECT pending::text FROM schema_meta WHERE subsystem = 'core'",
		 "{005_120_to_130}");
	e2e_keys(e, "'>'");
	e2e_wait(e, "Time since up:");
	e2e_keys(e, "q");
	e2e_wait(e, "EXITED 0");
}

/* kong-sim fails the first migration of finish. The Finish screen shows
 * the outcome whole, the log's last lines, the log's path and the remedy;
 * Next is refused and no report is written. */
static void test_finish_fails(void **state)
{
	struct e2e *e = *state;
	char log[4500];
	DIR *d;
	struct dirent *de;

	e2e_site(e, "ee-0.36-up-done", "kuw_finish_fails");
	snprintf(e->env, sizeof(e->env), "KONG_SIM_FAIL=teardown:core/005_120_to_130");
	e2e_start(e, 80, 24);
	e2e_wait(e, "Time since up:");
	e2e_keys(e, "Enter");
	e2e_wait(e, "Override: the old cluster is not drained");
	e2e_type(e, "drill: old nodes stopped by hand");
	e2e_keys(e, "Enter");
	e2e_wait(e, "Confirmed: all traffic is on the new cluster");
	e2e_keys(e, "'>'");
	e2e_wait(e, "THE POINT OF NO RETURN");
	e2e_keys(e, "Enter");
	e2e_wait(e, "Type why it is safe to finish without one");
	e2e_type(e, "drill: a test datastore");
	e2e_keys(e, "Enter");
	e2e_wait(e, "Type the database name");
	e2e_type(e, e->db);
	e2e_keys(e, "Enter");
	e2e_wait(e, "'finish' FAILED (exit 1): Error: ");
	e2e_wait(e, "run 'finish' again (Enter)");
	e2e_expect(e, "kong-sim injected failure", false); /* not cut */
	snprintf(log, sizeof(log), "Log: %s/runs/", e->state);
	e2e_expect(e, log, false);			    /* the log's path */
	e2e_expect(e, ": exit code 1", false);		    /* its last lines */
	e2e_expect(e, "The journal has no backup taken before", false);
	e2e_keys(e, "'>'");
	e2e_wait(e, "'finish' did not complete: Next is refused.");
	e2e_expect(e, "Report written", true);
	d = opendir(e->state);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "report-", 7) == 0)
			fail_msg("a report was written: %s", de->d_name);
	closedir(d);
	e2e_keys(e, "q");
	e2e_wait(e, "EXITED 0");
}

static int setup(void **state)
{
	struct core_error err = { { 0 } };
	const char *w = getenv("KUW_WIZARD");
	const char *src = getenv("KUW_SOURCE_DIR");

	(void)state;
	if (w == NULL || src == NULL || testenv_start(&te, &err) < 0) {
		fprintf(stderr, "setup: %s\n",
			w == NULL || src == NULL ? "KUW_WIZARD or KUW_SOURCE_DIR is not set" : err.msg);
		return -1;
	}
	snprintf(wizard, sizeof(wizard), "%s", w);
	snprintf(golden_dir, sizeof(golden_dir), "%s/tests/wizard", src);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	testenv_stop(&te);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_wait_fails_fast_on_exit, e2e_setup,
						e2e_teardown),
		cmocka_unit_test_setup_teardown(test_welcome_golden_and_quit, e2e_setup,
						e2e_teardown),
		cmocka_unit_test_setup_teardown(test_too_small, e2e_setup, e2e_teardown),
		cmocka_unit_test_setup_teardown(test_resize, e2e_setup, e2e_teardown),
		cmocka_unit_test_setup_teardown(test_no_color_and_ascii, e2e_setup, e2e_teardown),
		cmocka_unit_test_setup_teardown(test_path_a, e2e_setup, e2e_teardown),
		cmocka_unit_test_setup_teardown(test_path_b, e2e_setup, e2e_teardown),
		cmocka_unit_test_setup_teardown(test_quit_during_up, e2e_setup, e2e_teardown),
		cmocka_unit_test_setup_teardown(test_finish_fails, e2e_setup, e2e_teardown),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
