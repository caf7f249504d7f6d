/* test_wizard_e2e.c — the interactive wizard (SPEC §2) driven in a real
 * terminal: the real binary in a private tmux server per test (80x24, clean
 * environment), kong-sim as the kong CLI, fixtures in a private PostgreSQL.
 * Waits for screen text with a deadline (capture-pane polling), never a
 * fixed sleep; kills its tmux server at the end of every test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tests/support/testenv.h"
#include "tests/support/tmux.h"

#define E2E_DEADLINE_MS 30000

static struct testenv te;
static char wizard[4096];
static char golden_dir[4200];

struct e2e {
	struct tmux_term t;
	char db[128];
	char kconf[4400];
	char wconf[4400];
	char state[4400];
};

/* Waits until the screen contains text; fails after the deadline with the
 * screen printed. */
static void e2e_wait(struct e2e *e, const char *text)
{
	if (tmux_wait(&e->t, text, false, E2E_DEADLINE_MS) < 0) {
		print_error("screen after %d ms, waiting for \"%s\":\n%s\n", E2E_DEADLINE_MS, text,
			    e->t.out);
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

/* A database from a fixture, its kong.conf, a wizard config with its own
 * state and backup directories. */
static void e2e_site(struct e2e *e, const char *fixture)
{
	struct core_error err = { { 0 } };
	FILE *f;

	if (testenv_create_db(&te, fixture, NULL, e->db, sizeof(e->db), &err) < 0 ||
	    testenv_write_kongconf(&te, e->db, NULL, e->kconf, sizeof(e->kconf), &err) < 0)
		fail_msg("%s", err.msg);
	snprintf(e->state, sizeof(e->state), "%s/state-%s", te.tmpdir, e->db);
	snprintf(e->wconf, sizeof(e->wconf), "%s/wizard-%s.conf", te.tmpdir, e->db);
	f = fopen(e->wconf, "w");
	assert_non_null(f);
	fprintf(f, "kong { binary = \"%s\" conf = \"%s\" }\nstate_dir = \"%s\"\n"
		   "backup { dir = \"%s/backups-%s\" }\n",
		te.kong_sim, e->kconf, e->state, te.tmpdir, e->db);
	assert_int_equal(fclose(f), 0);
}

/* Starts the wizard in a fresh tmux server of cols x rows (or in the
 * running one); the shell reports the exit status and keeps the pane. */
static void e2e_start(struct e2e *e, int cols, int rows)
{
	char cmd[8192];

	if (e->t.socket[0] == '\0')
		tmux_name(&e->t, "kuwwiz");
	else
		tmux_run(&e->t, "kill-session -t kuw");
	snprintf(cmd, sizeof(cmd),
		 "env -i TERM=xterm-256color LANG=C.UTF-8 PATH=/usr/bin:/bin HOME=%s USER=op "
		 "sh -c '%s -c %s; echo EXITED \\$?; exec sleep 600'",
		 te.tmpdir, wizard, e->wconf);
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

/* The screen with what varies between runs (database name, port, temp
 * paths) replaced, against a golden file (KUW_WIZARD_UPDATE=1 rewrites). */
static void e2e_golden(struct e2e *e, const char *name)
{
	char path[4400], port[32];
	char *want = NULL;
	char *got = e->t.out;
	FILE *f;
	long n;
	char *p;

	tmux_capture(&e->t, false);
	e2e_replace(got, te.tmpdir, "TMP");
	e2e_replace(got, e->db, "DB");
	p = strstr(got, "127.0.0.1:");
	if (p != NULL) {
		snprintf(port, sizeof(port), "%.*s", (int)strspn(p + 10, "0123456789"), p + 10);
		e2e_replace(got, port, "PORT");
	}
	snprintf(path, sizeof(path), "%s/%s", golden_dir, name);
	if (getenv("KUW_WIZARD_UPDATE") != NULL) {
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(got, f);
		fclose(f);
	}
	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	want = calloc(1, (size_t)n + 1);
	assert_non_null(want);
	assert_int_equal(fread(want, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	if (strcmp(want, got) != 0)
		print_error("golden %s differs; screen:\n%s\n", name, got);
	assert_string_equal(want, got);
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

static void test_welcome_golden_and_quit(void **state)
{
	struct e2e *e = *state;

	e2e_site(e, "ee-0.36");
	e2e_start(e, 80, 24);
	e2e_wait(e, "Press > (or F10)");
	e2e_golden(e, "welcome.txt");
	e2e_keys(e, "F1");
	e2e_wait(e, "Press any key to close this help.");
	assert_non_null(strstr(e->t.out, "never shown"));
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

	e2e_site(e, "ee-0.36");
	e2e_start(e, 70, 20);
	e2e_wait(e, "too small");
	e2e_keys(e, "q");
	e2e_wait(e, "EXITED 0");
}

/* Path A end to end, quitting after the traffic shift and resuming. */
static void test_path_a(void **state)
{
	struct e2e *e = *state;

	e2e_site(e, "ee-0.36");
	e2e_start(e, 80, 24);
	e2e_wait(e, "Press > (or F10)");
	e2e_keys(e, "'>'");
	e2e_wait(e, "Step 2/");
	e2e_wait(e, "Nothing blocks the next step");
	/* The fixture has Dev Portal files: Legacy Mode is offered. */
	e2e_keys(e, "'>'");
	e2e_wait(e, "Dev Portal: breaking changes in 1.3");
	e2e_keys(e, "Space");
	e2e_wait(e, "+portal_is_legacy = on");
	e2e_keys(e, "Enter");
	e2e_wait(e, "Wrote portal_is_legacy; backup copy: ");
	e2e_wait(e, "Legacy Mode is on");
	e2e_keys(e, "'>'");
	e2e_wait(e, "Enter: take a backup now");
	assert_non_null(strstr(e->t.out, "Backup: none"));
	e2e_keys(e, "Enter");
	e2e_wait(e, "Backup taken and verified");
	assert_non_null(strstr(e->t.out, "verified (")); /* the Verified row */
	assert_null(strstr(e->t.out, "Backup: none"));
	e2e_keys(e, "'>'");
	e2e_wait(e, "Enter: run 'kong migrations up' now.");
	assert_non_null(strstr(e->t.out, "non-destructive"));
	e2e_keys(e, "Enter");
	e2e_wait(e, "'up' completed and verified against schema_meta");
	expect_q(e->db, "SELECT pending::text FROM schema_meta WHERE subsystem = 'core'",
		 "{005_120_to_130}");
	/* Back is allowed before any irreversible step. */
	e2e_keys(e, "'<'");
	e2e_wait(e, "Enter: take a backup now");
	e2e_keys(e, "'>'");
	e2e_wait(e, "'up' completed and verified against schema_meta");
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
	e2e_keys(e, "q");
	e2e_wait(e, "EXITED 0");

	/* Starting again resumes at Finish. */
	e2e_start(e, 80, 24);
	e2e_wait(e, "THE POINT OF NO RETURN");
	e2e_wait(e, "Enter: finish");
	assert_non_null(strstr(e->t.out, "overridden: drill"));
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
	e2e_keys(e, "'>'");
	e2e_wait(e, "Report written:");
	assert_non_null(strstr(e->t.out, "The upgrade is complete."));
	expect_report(e);
	e2e_keys(e, "q");
	e2e_wait(e, "EXITED 0");
}

/* Path B: community 1.2 to Enterprise 1.3, with the entity proof. */
static void test_path_b(void **state)
{
	struct e2e *e = *state;

	e2e_site(e, "ce-1.2");
	e2e_start(e, 80, 24);
	e2e_wait(e, "Press > (or F10)");
	assert_non_null(strstr(e->t.out, "ce-to-ee-1.3"));
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
	e2e_keys(e, "'>'");
	e2e_wait(e, "Enter: finish");
	e2e_keys(e, "Enter");
	e2e_wait(e, "Type the database name");
	e2e_type(e, e->db);
	e2e_keys(e, "Enter");
	e2e_wait(e, "'finish' completed and verified");
	e2e_keys(e, "'>'");
	e2e_wait(e, "Enter: migrate");
	assert_non_null(strstr(e->t.out, "services"));
	e2e_keys(e, "Enter");
	e2e_wait(e, "Force (-f)");
	e2e_keys(e, "Tab");
	e2e_keys(e, "Enter");
	e2e_wait(e, "Type the database name");
	e2e_type(e, e->db);
	e2e_keys(e, "Enter");
	e2e_wait(e, "completed and verified");
	assert_null(strstr(e->t.out, "MISSING"));
	assert_non_null(strstr(e->t.out, " ok"));
	e2e_keys(e, "'>'");
	e2e_wait(e, "Report written:");
	assert_non_null(strstr(e->t.out, "The upgrade is complete."));
	expect_report(e);
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
		cmocka_unit_test_setup_teardown(test_welcome_golden_and_quit, e2e_setup,
						e2e_teardown),
		cmocka_unit_test_setup_teardown(test_too_small, e2e_setup, e2e_teardown),
		cmocka_unit_test_setup_teardown(test_path_a, e2e_setup, e2e_teardown),
		cmocka_unit_test_setup_teardown(test_path_b, e2e_setup, e2e_teardown),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
