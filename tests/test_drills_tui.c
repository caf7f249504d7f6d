/* Drills through the screens (issue 7, "fault drills end to end"): the
 * interactive wizard in a real terminal, hurt the way an operator's session
 * gets hurt, then checked on screen, in schema_meta, in the journal, in the
 * files and in the terminal itself.
 *
 * The terminal is a private tmux server (80x24, clean environment) whose
 * pane runs an interactive bash, as an SSH login would: the wizard is a job
 * of that shell, started by typing `wiz`, and `ttycheck` prints whether the
 * terminal modes are sane once the wizard has gone. kong-sim stands in for
 * the kong CLI (KONG_SIM_DELAY_MS makes a run long enough to be hurt,
 * KONG_SIM_FAIL makes a migration fail); each program has its own
 * PostgreSQL sandbox. Every wait polls with a deadline, never a fixed sleep.
 * Each drill is recorded for the test command's figures line
 * (testenv_figure): "run" when it starts, "passed" once all its checks held. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/core_sandbox.h"
#include "tests/support/testenv.h"
#include "tests/support/tmux.h"

#define TD_DEADLINE_MS 30000

static struct testenv te;
static char wizard[4096];
static char drill_name[128];

/* One drill: its datastore and files, and the terminal it runs in. */
struct td {
	struct tmux_term t;
	char db[128];
	char kconf[4400];
	char wconf[4400];
	char state[4400];
	char backups[4400];
	char rc[4400];   /* the pane's bash rc file */
	char hold[4400]; /* while this file exists, pg_dump waits (the backup drill) */
	char held[4400]; /* created when pg_dump starts waiting */
};

static void drill_begin(const char *name)
{
	snprintf(drill_name, sizeof(drill_name), "tui %s", name);
	testenv_figure("drill", drill_name, "run");
}

/* Only reached when every check of the drill held. */
static void drill_end(void)
{
	testenv_figure("drill", drill_name, "passed");
}

static long long now_ms(void)
{
	return tmux_now_ms();
}

static void tick(void)
{
	const struct timespec ts = {0, 20 * 1000000L};

	nanosleep(&ts, NULL);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* A database from fixture, its kong.conf, a wizard config (with a pg_dump
 * that waits while td->hold exists), and the rc file of the pane's shell:
 * env holds "export K=V" lines for the wizard's environment. */
static void td_site(struct td *d, const char *fixture, const char *env)
{
	struct core_error err = {{0}};
	char wrapper[4500], text[16384];

	if (testenv_create_db(&te, fixture, NULL, d->db, sizeof(d->db), &err) < 0 ||
	    testenv_write_kongconf(&te, d->db, NULL, d->kconf, sizeof(d->kconf), &err) < 0)
		fail_msg("%s", err.msg);
	snprintf(d->state, sizeof(d->state), "%s/state-%s", te.tmpdir, d->db);
	snprintf(d->backups, sizeof(d->backups), "%s/backups-%s", te.tmpdir, d->db);
	snprintf(d->hold, sizeof(d->hold), "%s/hold-%s", te.tmpdir, d->db);
	snprintf(d->held, sizeof(d->held), "%s/held-%s", te.tmpdir, d->db);
	snprintf(wrapper, sizeof(wrapper), "%s/pg_dump-%s", te.tmpdir, d->db);
	snprintf(text, sizeof(text),
		 "#!/bin/sh\nif [ -e '%s' ]; then\n  : > '%s'\n"
		 "  while [ -e '%s' ]; do sleep 0.05; done\nfi\nexec '%s/pg_dump' \"$@\"\n",
		 d->hold, d->held, d->hold, core_sandbox_bindir(te.sb));
	write_file(wrapper, text, 0700);
	snprintf(d->wconf, sizeof(d->wconf), "%s/wizard-%s.conf", te.tmpdir, d->db);
	snprintf(text, sizeof(text),
		 "kong { binary = \"%s\" conf = \"%s\" }\nstate_dir = \"%s\"\n"
		 "backup { dir = \"%s\" pg_dump = \"%s\" }\n",
		 te.kong_sim, d->kconf, d->state, d->backups, wrapper);
	write_file(d->wconf, text, 0600);
	snprintf(d->rc, sizeof(d->rc), "%s/bashrc-%s", te.tmpdir, d->db);
	snprintf(text, sizeof(text),
		 "PS1='op$ '\nHISTFILE=/dev/null\n%s\n"
		 "wiz() { '%s' -c '%s'; echo \"EXITED $?\"; }\n"
		 "ttycheck() {\n"
		 "  if stty -a | grep -Eq -- '(^| )-(icanon|echo|icrnl|opost|onlcr|isig)( |;|$)'\n"
		 "  then echo 'TTY BROKEN'; else echo 'TTY SANE'; fi\n}\n",
		 env != NULL ? env : "", wizard, d->wconf);
	write_file(d->rc, text, 0600);
}

/* A fresh terminal (a new tmux server) with the operator's shell in it. */
static void td_login(struct td *d)
{
	char cmd[8192];

	tmux_name(&d->t, "kuwdrill");
	snprintf(cmd, sizeof(cmd),
		 "env -i TERM=xterm-256color LANG=C.UTF-8 PATH=/usr/bin:/bin HOME=%s USER=op "
		 "bash --noprofile --rcfile %s -i",
		 te.tmpdir, d->rc);
	assert_int_equal(
	    tmux_run(&d->t, "-f /dev/null new-session -d -s kuw -x 80 -y 24 \"%s\"", cmd), 0);
}

/* Waits until the screen contains text; fails after the deadline with the
 * screen printed. */
static void td_wait(struct td *d, const char *text)
{
	if (tmux_wait(&d->t, text, false, TD_DEADLINE_MS) < 0)
		fail_msg("screen after %d ms, waiting for \"%s\":\n%s", TD_DEADLINE_MS, text,
			 d->t.out);
}

static void td_wait_gone(struct td *d, const char *text)
{
	if (tmux_wait(&d->t, text, true, TD_DEADLINE_MS) < 0)
		fail_msg("screen after %d ms, waiting for \"%s\" to go:\n%s", TD_DEADLINE_MS, text,
			 d->t.out);
}

static void td_keys(struct td *d, const char *keys)
{
	assert_int_equal(tmux_run(&d->t, "send-keys -t kuw %s", keys), 0);
}

/* The screen now (also left in d->t.out). */
static const char *td_screen(struct td *d)
{
	return tmux_capture(&d->t, false);
}

/* Starts the wizard from the shell and waits for its first screen. The
 * screen is cleared first, so that nothing a killed wizard left on it can
 * pass for the new one's. */
static void td_wiz(struct td *d, const char *first)
{
	td_wait(d, "op$");
	td_keys(d, "clear Enter");
	td_wait_gone(d, "Kong Upgrade Wizard");
	td_keys(d, "wiz Enter");
	td_wait(d, "Kong Upgrade Wizard");
	td_wait(d, first);
}

/* The pid of the wizard running as a job of the pane's shell (its child
 * named kong-upgrade-wizard), or -1. */
static pid_t td_wizard_pid(struct td *d)
{
	DIR *dir;
	struct dirent *e;
	pid_t shell, found = -1;

	if (tmux_run(&d->t, "display-message -p -t kuw '#{pane_pid}'") < 0)
		return -1;
	shell = (pid_t)atoi(d->t.out);
	dir = opendir("/proc");
	while (dir != NULL && (e = readdir(dir)) != NULL) {
		char path[300], buf[512];
		const char *rp;
		FILE *f;
		int ppid = 0;
		char st = 0;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		if (fgets(buf, sizeof(buf), f) != NULL && strstr(buf, "(kong-upgrade-wi") != NULL &&
		    (rp = strrchr(buf, ')')) != NULL && sscanf(rp + 1, " %c %d", &st, &ppid) == 2 &&
		    ppid == shell && st != 'Z')
			found = (pid_t)atoi(e->d_name);
		fclose(f);
	}
	if (dir != NULL)
		closedir(dir);
	return found;
}

/* Whether pid is gone (or a zombie) within timeout_ms. */
static bool pid_gone(pid_t pid, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;

	for (;;) {
		char path[64], buf[512];
		const char *rp;
		char st = 0;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		f = fopen(path, "r");
		if (f == NULL)
			return true;
		if (fgets(buf, sizeof(buf), f) != NULL && (rp = strrchr(buf, ')')) != NULL)
			sscanf(rp + 1, " %c", &st);
		fclose(f);
		if (st == 'Z')
			return true;
		if (now_ms() > end)
			return false;
		tick();
	}
}

/* After the wizard has exited: the shell has the terminal back, out of the
 * alternate screen, with the cursor shown and sane modes (SPEC §5: the
 * terminal is never left broken). */
static void td_expect_terminal_restored(struct td *d)
{
	assert_int_equal(tmux_run(&d->t, "display-message -p -t kuw "
					 "'#{alternate_on} #{cursor_flag}'"),
			 0);
	if (strcmp(d->t.out, "0 1\n") != 0)
		fail_msg("alternate screen, cursor shown: %s(want 0 1)", d->t.out);
	td_keys(d, "ttycheck Enter");
	td_wait(d, "TTY ");
	if (strstr(td_screen(d), "TTY SANE") == NULL)
		fail_msg("terminal modes after the wizard:\n%s", d->t.out);
}

/* Quits the wizard with q and checks the terminal it leaves. */
static void td_quit(struct td *d)
{
	td_keys(d, "q");
	td_wait(d, "EXITED 0");
	td_expect_terminal_restored(d);
}

static char *q(const struct td *d, const char *sql)
{
	struct core_error err = {{0}};
	char *v = testenv_query1(&te, d->db, sql, &err);

	if (v == NULL)
		fail_msg("%s", err.msg);
	return v;
}

static void expect_q(const struct td *d, const char *sql, const char *want)
{
	char *v = q(d, sql);

	if (strcmp(v, want) != 0)
		fail_msg("%s: got '%s', want '%s'", sql, v, want);
	free(v);
}

#define PENDING(sub)                                                                               \
	"SELECT coalesce(pending::text, 'NULL') FROM schema_meta WHERE subsystem = '" sub "'"

/* `status --json` of the wizard, parsed. */
static json_t *status_json(const struct td *d)
{
	struct core_error err = {{0}};
	const char *argv[] = {wizard, "-c", d->wconf, "status", "--json", NULL};
	struct testenv_run r;
	json_t *j;

	if (testenv_run(argv, NULL, &r, &err) < 0)
		fail_msg("%s", err.msg);
	j = json_loads(r.out, 0, NULL);
	if (j == NULL)
		fail_msg("status --json: exit %d, not JSON:\n%s\n%s", r.status, r.out, r.err);
	testenv_run_done(&r);
	return j;
}

static const char *jstr(const json_t *j, const char *a, const char *b)
{
	const json_t *v = json_object_get(j, a);

	if (b != NULL)
		v = json_object_get(v, b);
	return json_is_string(v) ? json_string_value(v) : "";
}

static long long jint(const json_t *j, const char *a, const char *b)
{
	return json_integer_value(json_object_get(json_object_get(j, a), b));
}

/* Polls `status --json` until run.state is want; returns the last status. */
static json_t *await_run(const struct td *d, const char *want, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;
	json_t *j = NULL;

	for (;;) {
		json_decref(j);
		j = status_json(d);
		if (strcmp(jstr(j, "run", "state"), want) == 0)
			return j;
		if (now_ms() > end)
			break;
		tick();
	}
	fail_msg("run.state is '%s', not '%s', after %d ms", jstr(j, "run", "state"), want,
		 timeout_ms);
	return NULL;
}

/* Fails with the run's record and the tail of its log. */
static void fail_run(const json_t *st)
{
	char *text = json_dumps(json_object_get(st, "run"), JSON_INDENT(2));
	char tail[4096] = "";
	FILE *f = fopen(jstr(st, "run", "log"), "r");

	if (f != NULL) {
		long size;

		fseek(f, 0, SEEK_END);
		size = ftell(f);
		fseek(f, size > (long)sizeof(tail) - 1 ? size - (long)sizeof(tail) + 1 : 0,
		      SEEK_SET);
		tail[fread(tail, 1, sizeof(tail) - 1, f)] = '\0';
		fclose(f);
	}
	fail_msg("the run did not end well:\n%s\n--- log tail:\n%s", text != NULL ? text : "?",
		 tail);
}

static void expect_journal_intact(const json_t *st)
{
	if (!json_is_true(json_object_get(json_object_get(st, "journal"), "intact")))
		fail_msg("journal not intact");
}

/* The journal's events, joined by spaces. */
static void journal_events(const struct td *d, char *out, size_t size)
{
	char path[4500], line[65536];
	FILE *f;

	snprintf(path, sizeof(path), "%s/journal.jsonl", d->state);
	out[0] = '\0';
	f = fopen(path, "r");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		json_t *e = json_loads(line, 0, NULL);
		size_t len = strlen(out);

		snprintf(out + len, size - len, "%s%s", len > 0 ? " " : "",
			 e != NULL ? jstr(e, "event", NULL) : "?");
		json_decref(e);
	}
	fclose(f);
}

static int count_suffix(const char *dir, const char *suffix)
{
	DIR *dp = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (dp == NULL)
		return 0;
	while ((e = readdir(dp)) != NULL) {
		size_t l = strlen(e->d_name), k = strlen(suffix);

		if (e->d_name[0] != '.' && l >= k && strcmp(e->d_name + l - k, suffix) == 0)
			n++;
	}
	closedir(dp);
	return n;
}

/* From Welcome to the Up screen of path A, skipping the backup (offered,
 * not demanded, before up). */
static void td_to_up(struct td *d)
{
	td_keys(d, "'>'");
	td_wait(d, ": Prerequisites");
	td_wait(d, "Nothing blocks the next step");
	td_keys(d, "'>'");
	td_wait(d, ": Session & cookies");
	td_keys(d, "'>'");
	td_wait(d, "Enter: take a backup now");
	td_keys(d, "'>'");
	td_wait(d, "Enter: run 'kong migrations up' now.");
}

static const char *const slow_env = "export KONG_SIM_DELAY_MS=2000";

/* Hang-up during up: the SSH session ends (the tmux server is killed, which
 * hangs up the pane's terminal) while `up` runs. Must hold afterwards: the
 * wizard on that terminal has exited; the supervised run completes (exit 0)
 * and schema_meta is exactly as after up (core and enterprise migrations
 * pending); the journal is intact; a new wizard in a new terminal resumes at
 * Traffic shift, and leaves that terminal sane when it quits. */
static void test_tui_hangup_during_up(void **state)
{
	struct td *d = *state;
	json_t *st;
	pid_t pid;

	drill_begin("hang-up during up");
	td_site(d, "ee-0.36", slow_env);
	td_login(d);
	td_wiz(d, "Press > (or F10)");
	td_to_up(d);
	td_keys(d, "Enter");
	td_wait(d, "Running... q quits the wizard; the run goes on.");
	pid = td_wizard_pid(d);
	assert_true(pid > 0);

	tmux_stop(&d->t);
	if (!pid_gone(pid, 10000))
		fail_msg("the wizard (pid %d) outlived its terminal", (int)pid);
	st = status_json(d);
	/* The hang-up came mid-run, and the run outlived it. */
	if (strcmp(jstr(st, "run", "state"), "running") != 0)
		fail_msg("right after the hang-up the run is '%s', not running",
			 jstr(st, "run", "state"));
	json_decref(st);
	st = await_run(d, "finished", 30000);
	if (jint(st, "run", "exit_code") != 0 || jint(st, "run", "signal") != 0)
		fail_run(st);
	assert_string_equal(jstr(st, "phase", NULL), "up-done");
	expect_journal_intact(st);
	json_decref(st);
	/* reference §2.1: up of a migration with a teardown leaves it pending. */
	expect_q(d, PENDING("core"), "{005_120_to_130}");
	expect_q(d, PENDING("enterprise"), "{004_036-2_to_037}");

	td_login(d);
	td_wiz(d, ": Traffic shift");
	td_wait(d, "Time since up:");
	td_quit(d);
	drill_end();
}

/* SIGKILL of the wizard during up. Must hold afterwards: the run goes on;
 * the wizard started again in the same terminal (left as the killed one
 * had it) resumes on the Up screen, follows the run to its end and
 * verifies it; the journal records the killed wizard's run ending; Next
 * then leads to Traffic shift; on quitting the terminal is sane. */
static void test_tui_sigkill_during_up(void **state)
{
	struct td *d = *state;
	char events[16384];
	json_t *st;
	pid_t pid;

	drill_begin("SIGKILL during up");
	td_site(d, "ee-0.36", slow_env);
	td_login(d);
	td_wiz(d, "Press > (or F10)");
	td_to_up(d);
	td_keys(d, "Enter");
	td_wait(d, "Running... q quits the wizard; the run goes on.");
	pid = td_wizard_pid(d);
	assert_true(pid > 0);
	assert_int_equal(kill(pid, SIGKILL), 0);
	if (!pid_gone(pid, 10000))
		fail_msg("the wizard (pid %d) survived SIGKILL", (int)pid);
	st = status_json(d);
	if (strcmp(jstr(st, "run", "state"), "running") != 0)
		fail_msg("right after the kill the run is '%s', not running",
			 jstr(st, "run", "state"));
	json_decref(st);

	td_wiz(d, ": Up (non-destructive)");
	td_wait(d, "'up' completed and verified against schema_meta");
	expect_q(d, PENDING("core"), "{005_120_to_130}");
	expect_q(d, PENDING("enterprise"), "{004_036-2_to_037}");
	st = status_json(d);
	assert_string_equal(jstr(st, "phase", NULL), "up-done");
	if (jint(st, "run", "exit_code") != 0)
		fail_run(st);
	expect_journal_intact(st);
	json_decref(st);
	journal_events(d, events, sizeof(events));
	if (strstr(events, "run-start") == NULL || strstr(events, "run-end") == NULL)
		fail_msg("journal: %s", events);
	td_keys(d, "'>'");
	td_wait(d, "Time since up:");
	td_quit(d);
	drill_end();
}

/* SIGKILL of the wizard's job while pg_dump runs on the Backup screen.
 * Must hold afterwards: no .dump and no backup claimed in the journal; the
 * wizard started again resumes at Welcome with "Backup: none" (nothing was
 * done); its backup works, is the one recorded, and removes the killed
 * one's .partial file; on quitting the terminal is sane. */
static void test_tui_sigkill_during_backup(void **state)
{
	struct td *d = *state;
	char events[16384];
	long long end;
	pid_t pid;

	drill_begin("SIGKILL during a backup");
	td_site(d, "ee-0.36", NULL);
	write_file(d->hold, "", 0600);
	td_login(d);
	td_wiz(d, "Press > (or F10)");
	td_keys(d, "'>'");
	td_wait(d, ": Prerequisites");
	td_wait(d, "Nothing blocks the next step");
	td_keys(d, "'>'");
	td_wait(d, ": Session & cookies");
	td_keys(d, "'>'");
	td_wait(d, "Enter: take a backup now");
	td_keys(d, "Enter");
	td_wait(d, "Taking the backup");
	end = now_ms() + TD_DEADLINE_MS;
	while (access(d->held, F_OK) != 0) {
		if (now_ms() > end)
			fail_msg("pg_dump never started");
		tick();
	}
	pid = td_wizard_pid(d);
	assert_true(pid > 0);
	/* kill -9 of the job: the wizard and the pg_dump it started. */
	assert_int_equal(kill(-pid, SIGKILL), 0);
	if (!pid_gone(pid, 10000))
		fail_msg("the wizard (pid %d) survived SIGKILL", (int)pid);
	unlink(d->hold);
	assert_int_equal(count_suffix(d->backups, ".dump"), 0);
	journal_events(d, events, sizeof(events));
	if (strstr(events, "backup-start") == NULL || strstr(events, "backup-start backup") != NULL)
		fail_msg("journal after the kill: %s", events);

	td_wiz(d, "Press > (or F10)");
	assert_non_null(strstr(td_screen(d), "Backup: none"));
	td_keys(d, "'>'");
	td_wait(d, ": Prerequisites");
	td_wait(d, "Nothing blocks the next step");
	td_keys(d, "'>'");
	td_wait(d, ": Session & cookies");
	td_keys(d, "'>'");
	td_wait(d, "none recorded yet");
	td_keys(d, "Enter");
	td_wait(d, "Backup taken and verified");
	assert_null(strstr(td_screen(d), "Backup: none"));
	assert_int_equal(count_suffix(d->backups, ".dump"), 1);
	if (count_suffix(d->backups, ".partial") != 0)
		fail_msg("a stale .partial file is left in %s", d->backups);
	journal_events(d, events, sizeof(events));
	if (strstr(events, "backup-start backup") == NULL)
		fail_msg("journal after the second backup: %s", events);
	td_quit(d);
	drill_end();
}

/* Stops the postmaster by signal (SIGINT: fast shutdown, SIGQUIT:
 * immediate), as a restart begins, and waits until it is gone. */
static void pg_stop(int sig)
{
	char path[4400], buf[64];
	FILE *f;
	pid_t pm;

	snprintf(path, sizeof(path), "%s/data/postmaster.pid", core_sandbox_dir(te.sb));
	f = fopen(path, "r");
	if (f == NULL || fgets(buf, sizeof(buf), f) == NULL)
		fail_msg("cannot read %s", path);
	fclose(f);
	pm = (pid_t)atoi(buf);
	assert_true(pm > 0);
	assert_int_equal(kill(pm, sig), 0);
	if (!pid_gone(pm, 20000))
		fail_msg("postmaster %d did not stop", (int)pm);
}

/* One restart seen on the Traffic shift screen: while the server is down
 * the screen says so, and the census comes back by itself once it is up. */
static void traffic_outage(struct td *d, int sig)
{
	struct core_error err = {{0}};

	pg_stop(sig);
	td_wait(d, "cannot connect to PostgreSQL");
	/* Nothing can be confirmed by accident meanwhile. */
	td_keys(d, "'>'");
	td_wait(d, "Confirm the traffic shift first");
	if (core_sandbox_restart(te.sb, 0, &err) < 0)
		fail_msg("%s", err.msg);
	td_wait_gone(d, "cannot connect to PostgreSQL");
	td_wait(d, "Database client");
}

/* PostgreSQL restarts (fast, then immediate shutdown) while the wizard sits
 * on Traffic shift after up. Must hold: each time the screen says the
 * datastore cannot be reached, then reconnects by itself when it is back
 * (the census table returns, no key pressed); the traffic shift is not
 * confirmed, nothing is journaled as done, schema_meta is unchanged; the
 * wizard quits normally and the terminal is sane. */
static void test_tui_pg_restart_on_traffic(void **state)
{
	struct td *d = *state;
	char events[16384];
	json_t *st;

	drill_begin("PostgreSQL restarts on Traffic shift");
	td_site(d, "ee-0.36-up-done", NULL);
	td_login(d);
	td_wiz(d, ": Traffic shift");
	td_wait(d, "Database client");
	traffic_outage(d, SIGINT);
	traffic_outage(d, SIGQUIT);
	assert_null(strstr(td_screen(d), "Confirmed: all traffic"));
	td_quit(d);
	journal_events(d, events, sizeof(events));
	if (strstr(events, "traffic-confirmed") != NULL)
		fail_msg("journal: %s", events);
	expect_q(d, PENDING("core"), "{005_120_to_130}");
	expect_q(d, PENDING("enterprise"), "{004_036-2_to_037}");
	st = status_json(d);
	assert_string_equal(jstr(st, "phase", NULL), "up-done");
	expect_journal_intact(st);
	json_decref(st);
	drill_end();
}

/* The Up screen after kong-sim failed the migration knob names (with a
 * verified backup taken first when backup is set): the run FAILED with
 * Kong's error line wrapped whole (down to kong-sim's injected error), the
 * last lines of the run's log (the runner's closing line among them) in the
 * Output box, the log file's path, and a remedy (remedy: a part of it). */
static void up_fails(struct td *d, const char *knob, bool backup, const char *remedy)
{
	char env[256];
	const char *screen;
	json_t *st;

	snprintf(env, sizeof(env), "export KONG_SIM_FAIL=%s", knob);
	td_site(d, "ee-0.36", env);
	td_login(d);
	td_wiz(d, "Press > (or F10)");
	td_to_up(d);
	if (backup) {
		td_keys(d, "'<'");
		td_wait(d, "Enter: take a backup now");
		td_keys(d, "Enter");
		/* After the backup the wizard reads the datastore again (on a worker,
		 * its busy screen shown when it takes over 150 ms, which ignores >):
		 * this message comes once that is done. */
		td_wait(d, "Backup taken and verified");
		td_keys(d, "'>'");
		td_wait(d, "Enter: run 'kong migrations up' now.");
	}
	td_keys(d, "Enter");
	td_wait(d, "'up' FAILED (exit 1): Error: ");
	td_wait(d, remedy);
	screen = td_screen(d);
	if (strstr(screen, "Output") == NULL || strstr(screen, ": exit code 1") == NULL ||
	    strstr(screen, "Run with --v (verbose)") == NULL)
		fail_msg("the log's last lines are not on the Up screen:\n%s", screen);
	if (strstr(screen, "kong-sim injected failure") == NULL)
		fail_msg("the outcome is cut on the Up screen:\n%s", screen);
	st = status_json(d);
	if (strstr(screen, "Log: ") == NULL || strstr(screen, jstr(st, "run", "log")) == NULL)
		fail_msg("the log's path (%s) is not on the Up screen:\n%s",
			 jstr(st, "run", "log"), screen);
	json_decref(st);
	if (backup && strstr(screen, d->backups) == NULL)
		fail_msg("the backup (%s) is not named on the Up screen:\n%s", d->backups,
			 screen);
	assert_null(strstr(screen, "completed and verified"));
}

/* Files in dir whose name starts with prefix. */
static int count_files(const char *dir, const char *prefix)
{
	DIR *dh = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (dh == NULL)
		return 0;
	while ((de = readdir(dh)) != NULL)
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(dh);
	return n;
}

/* kong-sim fails at core's 005_120_to_130, the first migration of up. Must
 * hold: the Up screen shows the failure with the log's last lines; nothing
 * is marked done: schema_meta has no pending migration, status says
 * not-started, Next is refused; the terminal is sane after quitting. */
static void test_tui_kong_fails_first_up_migration(void **state)
{
	struct td *d = *state;
	json_t *st;

	drill_begin("Kong fails at the first migration of up");
	up_fails(d, "up:core/005_120_to_130", false, "run 'up' again (Enter).");
	td_wait(d, "Nothing was migrated: schema_meta is as before 'up'");
	expect_q(d, PENDING("core"), "{}");
	expect_q(d, PENDING("enterprise"), "{}");
	st = status_json(d);
	assert_string_equal(jstr(st, "phase", NULL), "not-started");
	assert_int_equal(jint(st, "run", "exit_code"), 1);
	expect_journal_intact(st);
	json_decref(st);
	td_keys(d, "'>'");
	td_wait(d, "'up' failed, nothing was migrated: fix the cause, then Enter.");
	assert_int_equal(count_files(d->state, "report-"), 0);
	td_quit(d);
	drill_end();
}

/* kong-sim fails at enterprise's 004_036-2_to_037, after Kong recorded
 * core's migration as pending (reference §1.7): up stopped half-way. Must
 * hold: the Up screen shows the failure with the log's last lines; nothing
 * is marked done: status says up-partial, not up-done; the wizard started
 * again says so with the remedy (restore the backup taken before up) and
 * offers no step; the terminal is sane after quitting. */
static void test_tui_kong_fails_second_up_migration(void **state)
{
	struct td *d = *state;
	json_t *st;

	drill_begin("Kong fails at the second migration of up");
	up_fails(d, "up:enterprise/004_036-2_to_037", true,
		 "Restore the backup taken before 'up'");
	/* The header stays that of the upgrade under way. */
	td_wait(d, "EE 0.36 -> EE 1.3");
	if (strstr(td_screen(d), "no upgrade path") != NULL)
		fail_msg("the header lost the path:\n%s", d->t.out);
	/* Next (and Enter) are refused: up did not complete; nothing goes on
	 * to Done, no report is written. */
	td_keys(d, "'>'");
	td_wait(d, "'up' stopped half-way: Next is refused.");
	td_keys(d, "Enter");
	td_wait(d, "'up' stopped half-way: Next is refused.");
	if (strstr(td_screen(d), ": Done") != NULL || strstr(d->t.out, "Report written") != NULL)
		fail_msg("Next went on after up stopped half-way:\n%s", d->t.out);
	td_wait(d, "Step 5/8: Up (non-destructive)");
	assert_int_equal(count_files(d->state, "report-"), 0);
	expect_q(d, PENDING("core"), "{005_120_to_130}");
	expect_q(d, PENDING("enterprise"), "{}");
	st = status_json(d);
	assert_string_equal(jstr(st, "phase", NULL), "up-partial");
	assert_int_equal(jint(st, "run", "exit_code"), 1);
	expect_journal_intact(st);
	json_decref(st);
	td_quit(d);
	td_wiz(d, "Phase         up-partial");
	td_wait(d, "stopped half-way");
	td_wait(d, "Restore the backup taken before 'up'");
	/* The whole refusal: the alternative way on at its end too. */
	td_wait(d, "'finish' again, by hand");
	td_wait(d, "The wizard cannot take this upgrade.");
	td_quit(d);
	drill_end();
}

static int td_setup(void **state)
{
	*state = calloc(1, sizeof(struct td));
	return *state == NULL ? -1 : 0;
}

/* After each drill, pass or fail: no terminal, wizard or held pg_dump left. */
static int td_teardown(void **state)
{
	struct td *d = *state;

	if (d != NULL) {
		if (d->hold[0] != '\0')
			unlink(d->hold);
		if (d->t.socket[0] != '\0')
			tmux_stop(&d->t);
	}
	free(d);
	return 0;
}

static int setup(void **state)
{
	struct core_error err = {{0}};
	const char *w = getenv("KUW_WIZARD");

	(void)state;
	if (w == NULL || testenv_start(&te, &err) < 0) {
		fprintf(stderr, "setup: %s\n", w == NULL ? "KUW_WIZARD is not set" : err.msg);
		return -1;
	}
	snprintf(wizard, sizeof(wizard), "%s", w);
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
	    cmocka_unit_test_setup_teardown(test_tui_hangup_during_up, td_setup, td_teardown),
	    cmocka_unit_test_setup_teardown(test_tui_sigkill_during_up, td_setup, td_teardown),
	    cmocka_unit_test_setup_teardown(test_tui_sigkill_during_backup, td_setup, td_teardown),
	    cmocka_unit_test_setup_teardown(test_tui_pg_restart_on_traffic, td_setup, td_teardown),
	    cmocka_unit_test_setup_teardown(test_tui_kong_fails_first_up_migration, td_setup,
					    td_teardown),
	    cmocka_unit_test_setup_teardown(test_tui_kong_fails_second_up_migration, td_setup,
					    td_teardown),
	};
	const char *only = getenv("KUW_DRILLS_ONLY");

	/* One drill by name (a cmocka pattern), when chasing a failure. */
	if (only != NULL && only[0] != '\0')
		cmocka_set_test_filter(only);
	return cmocka_run_group_tests(tests, setup, teardown);
}
