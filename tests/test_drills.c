/* Drills: "nothing is lost and the terminal is never left broken, whatever
 * happens" (SPEC §5), proven on the headless commands. Each drill hurts a
 * real run (hang-up, SIGKILL, a datastore restart, Kong failing or crashing,
 * a lock held, a second operator, a full disk, a closed port, a wrong
 * password) and then checks what must hold: schema_meta exactly as Kong
 * records it (reference kong-migrations.md §2.1, §2.3), the run and journal
 * as `status --json` reports them, and the files left behind.
 *
 * The wizard runs as a child in its own session (so a hang-up can be sent to
 * its process group as sshd would), kong-sim as the kong CLI with
 * KONG_SIM_DELAY_MS making the window real. Every wait polls with a deadline.
 * Prints "drills: N run, N passed, N skipped" at the end and records each
 * drill for the test command's figures line (testenv_figure). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/core_sandbox.h"
#include "tests/support/testenv.h"

static struct testenv te;
static char wizard[4096];
static int n_run, n_passed, n_skipped, n_failed_setup;
static char drill_name[256];

/* A drill starts: it counts as run (and is recorded for the test command's
 * figures line, testenv_figure), ... */
static void drill_begin(const char *name)
{
	n_run++;
	snprintf(drill_name, sizeof(drill_name), "%s", name);
	testenv_figure("drill", drill_name, "run");
}

/* ... and as passed only here, once every check of it held: a drill that
 * fails (its assertion leaves the function) or crashes stays run-not-passed. */
static void drill_end(void)
{
	n_passed++;
	testenv_figure("drill", drill_name, "passed");
}

static void drill_skipped(void)
{
	n_skipped++;
	testenv_figure("drill", drill_name, "skipped");
}

#define DRILL_BEGIN() drill_begin(__func__)
#define DRILL_END()   drill_end()

static int setup(void **state)
{
	struct core_error err = { { 0 } };
	const char *w = getenv("KUW_WIZARD");

	(void)state;
	if (w == NULL || testenv_start(&te, &err) < 0) {
		fprintf(stderr, "setup: %s\n", w == NULL ? "KUW_WIZARD is not set" : err.msg);
		n_failed_setup = 1;
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

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nap(int ms)
{
	const struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* One upgrade: a database from a fixture, its kong.conf, a wizard config with
 * its own state and backup directories. */
struct site {
	char db[128];
	char kconf[4400];
	char wconf[4400];
	char state[4400];
	char backups[4400];
};

/* kextra: lines for kong.conf; wextra: lines for the wizard config; backups:
 * the backup directory (NULL = one in the scratch directory). */
static void site_make(struct site *s, const char *fixture, const char *kextra, const char *wextra,
		      const char *backups)
{
	struct core_error err = { { 0 } };
	FILE *f;

	if (testenv_create_db(&te, fixture, NULL, s->db, sizeof(s->db), &err) < 0 ||
	    testenv_write_kongconf(&te, s->db, kextra, s->kconf, sizeof(s->kconf), &err) < 0)
		fail_msg("%s", err.msg);
	snprintf(s->state, sizeof(s->state), "%s/state-%s", te.tmpdir, s->db);
	if (backups != NULL)
		snprintf(s->backups, sizeof(s->backups), "%s", backups);
	else
		snprintf(s->backups, sizeof(s->backups), "%s/backups-%s", te.tmpdir, s->db);
	snprintf(s->wconf, sizeof(s->wconf), "%s/wizard-%s.conf", te.tmpdir, s->db);
	f = fopen(s->wconf, "w");
	assert_non_null(f);
	fprintf(f, "kong { binary = \"%s\" conf = \"%s\" }\nstate_dir = \"%s\"\n%s\n",
		te.kong_sim, s->kconf, s->state, wextra != NULL ? wextra : "");
	if (wextra == NULL || strstr(wextra, "backup") == NULL)
		fprintf(f, "backup { dir = \"%s\" }\n", s->backups);
	assert_int_equal(fclose(f), 0);
}

static void site_new(struct site *s, const char *fixture)
{
	site_make(s, fixture, NULL, NULL, NULL);
}

/* Runs the wizard to its end with up to 6 arguments; fails when the exit
 * status is not want (want < 0: any). */
static void wiz(int want, const struct site *s, struct testenv_run *run, const char *const *env,
		const char *a, const char *b, const char *c, const char *d, const char *e,
		const char *f)
{
	struct core_error err = { { 0 } };
	const char *argv[] = { wizard, "-c", s->wconf, a, b, c, d, e, f, NULL };

	if (testenv_run(argv, env, run, &err) < 0)
		fail_msg("%s", err.msg);
	if (want >= 0 && run->status != want)
		fail_msg("%s %s: exit %d, want %d\n--- stdout:\n%s\n--- stderr:\n%s", a,
			 b != NULL ? b : "", run->status, want, run->out, run->err);
}

static char *q(const struct site *s, const char *sql)
{
	struct core_error err = { { 0 } };
	char *v = testenv_query1(&te, s->db, sql, &err);

	if (v == NULL)
		fail_msg("%s", err.msg);
	return v;
}

static void expect_q(const struct site *s, const char *sql, const char *want)
{
	char *v = q(s, sql);

	if (strcmp(v, want) != 0)
		fail_msg("%s: got '%s', want '%s'", sql, v, want);
	free(v);
}

static void exec_sql(const struct site *s, const char *sql)
{
	struct core_error err = { { 0 } };

	if (core_sandbox_exec(te.sb, s->db, sql, &err) < 0)
		fail_msg("%s", err.msg);
}

#define PENDING(sub) "SELECT coalesce(pending::text, 'NULL') FROM schema_meta WHERE subsystem = '" sub "'"
#define EXECUTED_HAS(sub, name)                                                                   \
	"SELECT coalesce('" name "' = ANY(executed), false) FROM schema_meta WHERE subsystem = '" \
	sub "'"

/* `status --json`, parsed; NULL when it did not run or print JSON. */
static json_t *status_json(const struct site *s)
{
	struct testenv_run r;
	json_t *j;

	wiz(-1, s, &r, NULL, "status", "--json", NULL, NULL, NULL, NULL);
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

/* Polls `status --json` until run.state is want (and, for "running", the
 * child pid is known) or timeout_ms passes. Returns the last status. */
static json_t *await_run(const struct site *s, const char *want, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;
	json_t *j = NULL;

	for (;;) {
		json_decref(j);
		j = status_json(s);
		if (strcmp(jstr(j, "run", "state"), want) == 0 &&
		    (strcmp(want, "running") != 0 || jint(j, "run", "pid") > 0))
			return j;
		if (now_ms() > end)
			break;
		nap(50);
	}
	{
		char *text = json_dumps(j, JSON_INDENT(2));

		fail_msg("run.state did not become '%s' within %d ms:\n%s", want, timeout_ms,
			 text != NULL ? text : "?");
	}
	return NULL;
}

/* Process groups of background wizards, killed by drill_teardown. */
static pid_t live[16];
static size_t n_live;

/* A wizard running in the background, in its own session. */
struct bg {
	pid_t pid;
	char out[4500];
	char err[4500];
	int status; /* as testenv_run: exit code or 128+signal; -1 while running */
};

static void bg_start(struct bg *b, const struct site *s, const char *const *env, const char *a,
		     const char *c, const char *d, const char *e, const char *f)
{
	static int seq;
	const char *argv[] = { wizard, "-c", s->wconf, a, c, d, e, f, NULL };
	pid_t pid;

	snprintf(b->out, sizeof(b->out), "%s/bg-%d.out", te.tmpdir, seq);
	snprintf(b->err, sizeof(b->err), "%s/bg-%d.err", te.tmpdir, seq++);
	b->status = -1;
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int out = open(b->out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int er = open(b->err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		/* Its own session: the process group sshd would hang up on. */
		setsid();
		if (in < 0 || out < 0 || er < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
		    dup2(er, 2) < 0)
			_exit(126);
		for (size_t i = 0; env != NULL && env[i] != NULL; i++)
			putenv((char *)(uintptr_t)env[i]);
		execv(wizard, (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	b->pid = pid;
	if (n_live < sizeof(live) / sizeof(live[0]))
		live[n_live++] = pid;
}

/* Waits for the background wizard to end; false when it did not in time. */
static bool bg_wait(struct bg *b, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;
	int st;

	for (;;) {
		pid_t r = waitpid(b->pid, &st, WNOHANG);

		if (r == b->pid) {
			b->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			return true;
		}
		if (now_ms() > end)
			return false;
		nap(20);
	}
}

/* Kills the children of pid that left its process group (the wizard runs
 * short kong commands in groups of their own). */
static void kill_children(pid_t pid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;

	while (d != NULL && (e = readdir(d)) != NULL) {
		char path[300], buf[512];
		const char *rp;
		FILE *f;
		int ppid = 0;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		if (fgets(buf, sizeof(buf), f) != NULL && (rp = strrchr(buf, ')')) != NULL &&
		    sscanf(rp + 1, " %*c %d", &ppid) == 1 && ppid == pid)
			kill(atoi(e->d_name), SIGKILL);
		fclose(f);
	}
	if (d != NULL)
		closedir(d);
}

/* Kills what is left of the background wizard's process group and reaps it. */
static void bg_reap(struct bg *b)
{
	if (b->status >= 0)
		return;
	kill_children(b->pid);
	kill(-b->pid, SIGKILL);
	kill(b->pid, SIGKILL);
	bg_wait(b, 10000);
}

/* A whole small file as a string (owned), "" when unreadable. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	buf = malloc(1);
	assert_non_null(buf);
	buf[0] = '\0';
	if (f == NULL)
		return buf;
	for (;;) {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 65536);

			assert_non_null(nb);
			buf = nb;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	fclose(f);
	return buf;
}

/* Counts the entries of dir whose name ends with suffix (0 when dir is absent). */
static int count_suffix(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name), k = strlen(suffix);

		if (e->d_name[0] != '.' && l >= k && strcmp(e->d_name + l - k, suffix) == 0)
			n++;
	}
	closedir(d);
	return n;
}

/* The journal's events, joined by spaces. */
static void journal_events(const struct site *s, char *out, size_t size)
{
	char path[4500];
	char *text, *line, *save = NULL;

	snprintf(path, sizeof(path), "%s/journal.jsonl", s->state);
	text = slurp(path);
	out[0] = '\0';
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		json_t *e = json_loads(line, 0, NULL);
		size_t len = strlen(out);

		snprintf(out + len, size - len, "%s%s", len > 0 ? " " : "",
			 e != NULL ? json_string_value(json_object_get(e, "event")) : "?");
		json_decref(e);
	}
	free(text);
}

/* Whether the journal has a run-end event for run id. */
static bool journal_has_run_end(const struct site *s, const char *id)
{
	char path[4500];
	char *text, *line, *save = NULL;
	bool found = false;

	snprintf(path, sizeof(path), "%s/journal.jsonl", s->state);
	text = slurp(path);
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		json_t *e = json_loads(line, 0, NULL);

		if (e != NULL && strcmp(jstr(e, "event", NULL), "run-end") == 0 &&
		    strcmp(jstr(e, "details", "id"), id) == 0)
			found = true;
		json_decref(e);
	}
	free(text);
	return found;
}

/* The run ended with exit 0 and no signal; otherwise fails showing the run
 * and its log (a failing drill must say why Kong failed). */
static void expect_run_ok(const json_t *st)
{
	char *text;
	char *log;

	if (jint(st, "run", "exit_code") == 0 && jint(st, "run", "signal") == 0)
		return;
	text = json_dumps(json_object_get(st, "run"), JSON_INDENT(2));
	log = slurp(jstr(st, "run", "log"));
	fail_msg("the run did not end well:\n%s\n--- log:\n%s", text != NULL ? text : "?", log);
}

static void expect_intact(const json_t *st)
{
	if (!json_is_true(json_object_get(json_object_get(st, "journal"), "intact")))
		fail_msg("journal not intact");
}

static const char *const delay_env[] = { "KONG_SIM_DELAY_MS=1000", NULL };
static const char *const no_backup = "drill: no backup needed";

/* Hang-up: sshd sends SIGHUP to the session's process group. The run is
 * supervised in its own session: it goes on and ends well. */
static void hangup_during(const struct site *s, const char *step)
{
	struct bg b;
	json_t *st;

	if (strcmp(step, "up") == 0)
		bg_start(&b, s, delay_env, "up", NULL, NULL, NULL, NULL);
	else
		bg_start(&b, s, delay_env, "finish", "--confirm", s->db, "--without-backup",
			 no_backup);
	json_decref(await_run(s, "running", 20000));
	assert_int_equal(kill(-b.pid, SIGHUP), 0);
	if (!bg_wait(&b, 10000)) {
		bg_reap(&b);
		fail_msg("the wizard ignored SIGHUP");
	}
	/* The operator's side is gone, the run is not. */
	st = await_run(s, "finished", 30000);
	expect_run_ok(st);
	expect_intact(st);
	json_decref(st);
}

static void test_hangup_during_up_and_finish(void **state)
{
	struct testenv_run r;
	struct site s;
	json_t *st;

	(void)state;
	DRILL_BEGIN();
	site_new(&s, "ee-0.36");

	hangup_during(&s, "up");
	/* §2.1: up of a migration with a teardown appends it to pending. */
	expect_q(&s, PENDING("core"), "{005_120_to_130}");
	expect_q(&s, PENDING("enterprise"), "{004_036-2_to_037}");
	st = status_json(&s);
	assert_string_equal(jstr(st, "phase", NULL), "up-done");
	assert_non_null(strstr(jstr(st, "run", "command"), "migrations up"));
	json_decref(st);
	wiz(0, &s, &r, NULL, "status", NULL, NULL, NULL, NULL, NULL);
	assert_non_null(strstr(r.out, "(finished)"));
	assert_non_null(strstr(r.out, "exit code 0"));
	assert_null(strstr(r.out, "NOT INTACT"));
	testenv_run_done(&r);

	hangup_during(&s, "finish");
	/* §2.1: teardown leaves pending '{}', the names in executed. */
	expect_q(&s, PENDING("core"), "{}");
	expect_q(&s, PENDING("enterprise"), "{}");
	expect_q(&s, EXECUTED_HAS("core", "005_120_to_130"), "t");
	expect_q(&s, EXECUTED_HAS("enterprise", "004_036-2_to_037"), "t");
	st = status_json(&s);
	assert_string_equal(jstr(st, "phase", NULL), "finished");
	assert_non_null(strstr(jstr(st, "run", "command"), "migrations finish"));
	json_decref(st);
	DRILL_END();
}

/* SIGKILL of the wizard mid-up; the next wizard sees the result and finishes. */
static void test_sigkill_during_up(void **state)
{
	struct testenv_run r;
	struct site s;
	struct bg b;
	json_t *st;
	char up_id[64];

	(void)state;
	DRILL_BEGIN();
	site_new(&s, "ee-0.36");
	bg_start(&b, &s, delay_env, "up", NULL, NULL, NULL, NULL);
	json_decref(await_run(&s, "running", 20000));
	assert_int_equal(kill(b.pid, SIGKILL), 0);
	assert_true(bg_wait(&b, 10000));
	assert_int_equal(b.status, 128 + SIGKILL);

	/* Restarted: status first, while the run may still be going. */
	wiz(0, &s, &r, NULL, "status", NULL, NULL, NULL, NULL, NULL);
	assert_non_null(strstr(r.out, "Last run:  "));
	testenv_run_done(&r);
	st = await_run(&s, "finished", 30000);
	expect_run_ok(st);
	assert_string_equal(jstr(st, "phase", NULL), "up-done");
	snprintf(up_id, sizeof(up_id), "%s", jstr(st, "run", "id"));
	expect_intact(st);
	json_decref(st);
	expect_q(&s, PENDING("core"), "{005_120_to_130}");

	wiz(0, &s, &r, NULL, "finish", "--confirm", s.db, "--without-backup", no_backup, NULL);
	assert_non_null(strstr(r.out, "Done: 2 migrations"));
	testenv_run_done(&r);
	expect_q(&s, PENDING("core"), "{}");
	expect_q(&s, PENDING("enterprise"), "{}");
	st = status_json(&s);
	assert_string_equal(jstr(st, "phase", NULL), "finished");
	expect_intact(st);
	json_decref(st);

	/* SPEC §5: the journal records every command and its outcome. */
	if (!journal_has_run_end(&s, up_id))
		fail_msg("the journal has no run-end for the killed wizard's run %s", up_id);
	DRILL_END();
}

/* A superuser connection to the site's database over the sandbox's socket. */
static PGconn *drill_connect(const struct site *s)
{
	char port[16];
	const char *const keys[] = { "host", "port", "user", "dbname", "connect_timeout", NULL };
	const char *const vals[] = { core_sandbox_dir(te.sb), port, core_sandbox_superuser(te.sb),
				     s->db, "10", NULL };
	PGconn *c;

	snprintf(port, sizeof(port), "%d", core_sandbox_port(te.sb));
	c = PQconnectdbParams(keys, vals, 0);
	if (c == NULL || PQstatus(c) != CONNECTION_OK)
		fail_msg("connecting to %s: %s", s->db,
			 c != NULL ? PQerrorMessage(c) : "out of memory");
	return c;
}

/* Runs sql on c; "" when it worked, else the server's message (static). */
static const char *drill_try(PGconn *c, const char *sql)
{
	static char why[512];
	PGresult *res = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(res);

	why[0] = '\0';
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		snprintf(why, sizeof(why), "%.*s", (int)strcspn(PQerrorMessage(c), "\n"),
			 PQerrorMessage(c));
	PQclear(res);
	return why;
}

/* The wizard reads the datastore while a migration holds Kong's tables
 * (`status` polled during `up`). It must never keep one of Kong's tables
 * locked while it waits for another: core/005_120_to_130's up alters
 * upstreams, then routes and services, the reverse of the order the
 * wizard reads them in, and the two would wait on each other until
 * PostgreSQL's deadlock detector aborted one of them: the wizard's read, or
 * Kong's migration when it had waited first (`up` exit 1, "deadlock
 * detected"). A transaction stands in for the migration; its deadlock check
 * is put off so that only its lock timeout can end its wait, and the wizard
 * must not make it wait at all. */
static void test_status_beside_a_migration(void **state)
{
	const char *waiting_sql =
		"SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
		"AND application_name LIKE 'kong-upgrade-wizard%' AND wait_event_type = 'Lock'";
	const char *held_sql =
		"SELECT coalesce(string_agg(DISTINCT c.relname, ', '), 'nothing') FROM pg_locks l "
		"JOIN pg_class c ON c.oid = l.relation JOIN pg_stat_activity a ON a.pid = l.pid "
		"WHERE a.application_name LIKE 'kong-upgrade-wizard%' AND l.granted "
		"AND c.relnamespace = 'public'::regnamespace";
	char why[512], *held, *out, *n;
	long long end;
	PGconn *kong;
	struct site s;
	struct bg b;
	json_t *j;

	(void)state;
	DRILL_BEGIN();
	site_new(&s, "ee-0.36");
	kong = drill_connect(&s);
	snprintf(why, sizeof(why), "%s", drill_try(kong, "SET deadlock_timeout = '1min'"));
	if (why[0] == '\0')
		snprintf(why, sizeof(why), "%s", drill_try(kong, "SET lock_timeout = '5s'"));
	if (why[0] == '\0')
		snprintf(why, sizeof(why), "%s", drill_try(kong, "BEGIN"));
	if (why[0] == '\0')
		snprintf(why, sizeof(why), "%s",
			 drill_try(kong, "LOCK TABLE upstreams IN ACCESS EXCLUSIVE MODE"));
	if (why[0] != '\0') {
		PQfinish(kong);
		fail_msg("the stand-in migration: %s", why);
	}

	bg_start(&b, &s, NULL, "status", "--json", NULL, NULL, NULL);
	end = now_ms() + 20000;
	for (;;) {
		n = q(&s, waiting_sql);
		if (strcmp(n, "0") != 0 || now_ms() > end)
			break;
		free(n);
		nap(20);
	}
	if (strcmp(n, "0") == 0) {
		free(n);
		PQfinish(kong);
		bg_reap(&b);
		fail_msg("status never waited for upstreams, held by the migration");
	}
	free(n);
	held = q(&s, held_sql);
	/* The migration goes on to routes and services. */
	snprintf(why, sizeof(why), "%s",
		 drill_try(kong, "LOCK TABLE routes, services IN ACCESS EXCLUSIVE MODE"));
	drill_try(kong, why[0] == '\0' ? "COMMIT" : "ROLLBACK");
	PQfinish(kong);
	if (!bg_wait(&b, 30000)) {
		bg_reap(&b);
		fail_msg("status did not end once the migration had");
	}
	if (why[0] != '\0')
		fail_msg("the migration could not go on: %s; while status waited it held: %s", why,
			 held);
	out = slurp(b.out);
	j = json_loads(out, 0, NULL);
	if (b.status != 0 || j == NULL || json_object_get(j, "error") != NULL)
		fail_msg("status beside the migration: exit %d, error %s; while it waited it held: "
			 "%s\n%s",
			 b.status, jstr(j, "error", NULL), held, out);
	free(held);
	json_decref(j);
	free(out);
	DRILL_END();
}

/* Writes an executable script (0700). */
static void write_script(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0700), 0);
}

static bool file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static bool await_file(const char *path, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;

	while (!file_exists(path)) {
		if (now_ms() > end)
			return false;
		nap(20);
	}
	return true;
}

/* SIGKILL mid-backup (pg_dump held by a wrapper that sleeps before the real
 * one): the backup directory must hold no partial file afterwards, or a
 * complete and verified backup (SPEC §5). */
static void test_sigkill_during_backup(void **state)
{
	struct testenv_run r;
	struct site s;
	struct bg b;
	char wrapper[4500], marker[4500], script[10000], wextra[10000], events[16384];
	int partials;

	(void)state;
	DRILL_BEGIN();
	snprintf(wrapper, sizeof(wrapper), "%s/slow-pg_dump", te.tmpdir);
	snprintf(marker, sizeof(marker), "%s/slow-pg_dump.started", te.tmpdir);
	snprintf(script, sizeof(script),
		 "#!/bin/sh\n: > '%s'\nsleep 3\nexec '%s/pg_dump' \"$@\"\n", marker,
		 core_sandbox_bindir(te.sb));
	write_script(wrapper, script);
	snprintf(wextra, sizeof(wextra), "backup { dir = \"%s/bk-kill\" pg_dump = \"%s\" }",
		 te.tmpdir, wrapper);
	site_make(&s, "ee-0.36", NULL, wextra, NULL);
	snprintf(s.backups, sizeof(s.backups), "%s/bk-kill", te.tmpdir);

	bg_start(&b, &s, NULL, "backup", NULL, NULL, NULL, NULL);
	if (!await_file(marker, 20000)) {
		bg_reap(&b);
		fail_msg("pg_dump was never started");
	}
	assert_int_equal(kill(b.pid, SIGKILL), 0);
	assert_true(bg_wait(&b, 10000));
	kill(-b.pid, SIGKILL); /* the wrapper, still sleeping */
	assert_int_equal(count_suffix(s.backups, ".dump"), 0);
	journal_events(&s, events, sizeof(events));
	/* Nothing claims a backup that was not made. */
	assert_null(strstr(events, "backup-start backup"));
	partials = count_suffix(s.backups, ".partial");

	/* The next backup works and is the one recorded. */
	unlink(marker);
	wiz(0, &s, &r, NULL, "backup", NULL, NULL, NULL, NULL, NULL);
	assert_non_null(strstr(r.out, "Backup verified:"));
	testenv_run_done(&r);
	assert_int_equal(count_suffix(s.backups, ".dump"), 1);
	/* The killed backup's .partial file is gone: removed by the next backup
	 * (only one operator at a time, so it belonged to no running backup). */
	if (count_suffix(s.backups, ".partial") != 0)
		fail_msg("%d stale .partial file(s) left in %s", partials, s.backups);
	DRILL_END();
}

/* PostgreSQL restarts in the middle of `up`; whatever happened, status
 * agrees with schema_meta and a retry completes the upgrade. */
static void restart_during_up(int immediate)
{
	struct core_error err = { { 0 } };
	struct testenv_run r;
	struct site s;
	struct bg b;
	json_t *st;
	char *core, *ent;
	const char *phase;

	site_new(&s, "ee-0.36");
	bg_start(&b, &s, delay_env, "up", NULL, NULL, NULL, NULL);
	json_decref(await_run(&s, "running", 20000));
	if (core_sandbox_restart(te.sb, immediate, &err) < 0) {
		bg_reap(&b);
		fail_msg("restart: %s", err.msg);
	}
	if (!bg_wait(&b, 60000)) {
		bg_reap(&b);
		fail_msg("the wizard did not end after the datastore restarted");
	}
	st = await_run(&s, "finished", 30000);
	core = q(&s, PENDING("core"));
	ent = q(&s, PENDING("enterprise"));
	phase = jstr(st, "phase", NULL);
	/* Nothing is marked done that Kong did not record. */
	if (strcmp(core, "{005_120_to_130}") == 0 && strcmp(ent, "{004_036-2_to_037}") == 0)
		assert_string_equal(phase, "up-done");
	else if (strstr(core, "005") == NULL && strstr(ent, "004") == NULL)
		assert_string_equal(phase, "not-started");
	else if (strcmp(phase, "up-done") == 0)
		fail_msg("phase up-done with core pending %s, enterprise pending %s", core, ent);
	if (b.status == 0)
		assert_int_equal(jint(st, "run", "exit_code"), 0);
	expect_intact(st);

	fprintf(stderr, "drills: restart (%s): wizard exit %d, core pending %s, enterprise "
			"pending %s, phase %s, run exit %lld\n",
		immediate ? "immediate" : "fast", b.status, core, ent, phase,
		jint(st, "run", "exit_code"));
	{
		char *out = slurp(b.err);

		fprintf(stderr, "%s", out);
		free(out);
	}
	/* Kong lost its session: its lock row stays until its ttl (§2.3); the
	 * wizard refuses until then and says how to clear it. */
	if (b.status != 0) {
		char *locks = q(&s, "SELECT count(*) FROM locks");

		if (strcmp(locks, "1") == 0) {
			wiz(1, &s, &r, NULL, strcmp(phase, "not-started") == 0 ? "up" : "finish",
			    "--confirm", s.db, "--without-backup", no_backup, NULL);
			assert_non_null(strstr(r.err, "Kong's migrations lock is free"));
			testenv_run_done(&r);
			exec_sql(&s, "DELETE FROM locks WHERE key = 'migrations'");
		}
		free(locks);
	}
	/* The retry: up when nothing ran, else finish (Kong's up refuses while
	 * migrations are pending, §1.5). */
	if (strcmp(phase, "not-started") == 0) {
		wiz(0, &s, &r, NULL, "up", NULL, NULL, NULL, NULL, NULL);
		testenv_run_done(&r);
	}
	wiz(0, &s, &r, NULL, "finish", "--confirm", s.db, "--without-backup", no_backup, NULL);
	testenv_run_done(&r);
	expect_q(&s, PENDING("core"), "{}");
	expect_q(&s, PENDING("enterprise"), "{}");
	expect_q(&s, EXECUTED_HAS("enterprise", "004_036-2_to_037"), "t");
	free(core);
	free(ent);
	json_decref(st);
}

static void test_pg_restart_fast(void **state)
{
	(void)state;
	DRILL_BEGIN();
	restart_during_up(0);
	DRILL_END();
}

static void test_pg_restart_immediate(void **state)
{
	(void)state;
	DRILL_BEGIN();
	restart_during_up(1);
	DRILL_END();
}

/* One injected failure (KONG_SIM_FAIL) in the up or finish of path A. */
struct failcase {
	const char *knob;
	const char *step; /* "up", "finish" */
	const char *core_pending;
	const char *ent_pending;
	const char *phase; /* what status must say afterwards */
	const char *retry; /* the step that completes it, NULL: see below */
};

static void fail_one(const struct failcase *fc)
{
	char knob[128];
	const char *env[] = { knob, NULL };
	struct testenv_run r;
	struct site s;
	json_t *st;
	const char *log;

	snprintf(knob, sizeof(knob), "KONG_SIM_FAIL=%s", fc->knob);
	site_new(&s, strcmp(fc->step, "up") == 0 ? "ee-0.36" : "ee-0.36-up-done");
	if (strcmp(fc->step, "up") == 0)
		wiz(1, &s, &r, env, "up", NULL, NULL, NULL, NULL, NULL);
	else
		wiz(1, &s, &r, env, "finish", "--confirm", s.db, "--without-backup", no_backup,
		    NULL);
	/* Kong's Error line and where the whole log is. */
	if (strstr(r.err, "failed with exit code 1") == NULL || strstr(r.err, "Error: ") == NULL ||
	    strstr(r.err, "log: ") == NULL)
		fail_msg("%s: stderr:\n%s", fc->knob, r.err);
	log = strstr(r.err, "log: ") + 5;
	{
		char path[4500];

		snprintf(path, sizeof(path), "%.*s", (int)strcspn(log, "\n"), log);
		assert_true(file_exists(path));
	}
	testenv_run_done(&r);
	expect_q(&s, PENDING("core"), fc->core_pending);
	expect_q(&s, PENDING("enterprise"), fc->ent_pending);
	st = status_json(&s);
	if (strcmp(jstr(st, "phase", NULL), fc->phase) != 0)
		fail_msg("%s: phase '%s', want '%s'", fc->knob, jstr(st, "phase", NULL), fc->phase);
	assert_int_equal(jint(st, "run", "exit_code"), 1);
	expect_intact(st);
	json_decref(st);
	if (fc->retry == NULL)
		return;
	/* The retry completes the step. */
	if (strcmp(fc->retry, "up") == 0)
		wiz(0, &s, &r, NULL, "up", NULL, NULL, NULL, NULL, NULL);
	else
		wiz(0, &s, &r, NULL, "finish", "--confirm", s.db, "--without-backup", no_backup,
		    NULL);
	testenv_run_done(&r);
	expect_q(&s, EXECUTED_HAS("enterprise", "004_036-2_to_037"),
		 strcmp(fc->retry, "up") == 0 ? "f" : "t");
	expect_q(&s, PENDING("enterprise"), strcmp(fc->retry, "up") == 0 ? "{004_036-2_to_037}" : "{}");
}

static void test_kong_fails_each_migration(void **state)
{
	static const struct failcase cases[] = {
		{ "up:core/005_120_to_130", "up", "{}", "{}", "not-started", "up" },
		/* Kong keeps core's migration (§1.7): not up-done, and not
		 * resumable either (test_retry_after_partial_up). */
		{ "up:enterprise/004_036-2_to_037", "up", "{005_120_to_130}", "{}", "up-partial",
		  NULL },
		{ "teardown:core/005_120_to_130", "finish", "{005_120_to_130}",
		  "{004_036-2_to_037}", "up-done", "finish" },
		/* Likewise (test_retry_after_partial_finish). */
		{ "teardown:enterprise/004_036-2_to_037", "finish", "{}", "{004_036-2_to_037}",
		  "up-done", "finish" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[256];

		snprintf(name, sizeof(name), "%s %s", __func__, cases[i].knob);
		drill_begin(name);
		fail_one(&cases[i]);
		DRILL_END();
	}
}

/* `up` failed on its second migration: Kong recorded the first as pending
 * (§1.7) and refuses `up` again while migrations are pending (§1.5); `finish`
 * would break the old nodes. The wizard must say so and name the ways on,
 * not run anything. */
static void test_retry_after_partial_up(void **state)
{
	static const char *const env[] = { "KONG_SIM_FAIL=up:enterprise/004_036-2_to_037", NULL };
	struct testenv_run r;
	struct site s;
	json_t *st;

	(void)state;
	DRILL_BEGIN();
	site_new(&s, "ee-0.36");
	wiz(1, &s, &r, env, "up", NULL, NULL, NULL, NULL, NULL);
	testenv_run_done(&r);
	wiz(1, &s, &r, NULL, "up", NULL, NULL, NULL, NULL, NULL);
	if (strstr(r.err, "stopped half-way") == NULL || strstr(r.err, "Restore the backup") == NULL)
		fail_msg("up after a partial up:\n%s", r.err);
	testenv_run_done(&r);
	wiz(1, &s, &r, NULL, "finish", "--confirm", s.db, "--without-backup", no_backup, NULL);
	testenv_run_done(&r);
	expect_q(&s, PENDING("core"), "{005_120_to_130}");
	st = status_json(&s);
	assert_string_equal(jstr(st, "phase", NULL), "up-partial");
	json_decref(st);
	DRILL_END();
}

/* `finish` failed on its second teardown: running it again completes it. */
static void test_retry_after_partial_finish(void **state)
{
	static const char *const env[] = { "KONG_SIM_FAIL=teardown:enterprise/004_036-2_to_037",
					   NULL };
	struct testenv_run r;
	struct site s;
	json_t *st;

	(void)state;
	DRILL_BEGIN();
	site_new(&s, "ee-0.36-up-done");
	wiz(1, &s, &r, env, "finish", "--confirm", s.db, "--without-backup", no_backup, NULL);
	testenv_run_done(&r);
	wiz(0, &s, &r, NULL, "finish", "--confirm", s.db, "--without-backup", no_backup, NULL);
	testenv_run_done(&r);
	expect_q(&s, PENDING("enterprise"), "{}");
	st = status_json(&s);
	assert_string_equal(jstr(st, "phase", NULL), "finished");
	json_decref(st);
	DRILL_END();
}

/* kong-sim killed by SIGKILL mid-run: reported as such; Kong's lock row stays
 * (§2.3) and check reports it held, then stale once expired. */
static void test_kong_crash(void **state)
{
	static const char *const env[] = { "KONG_SIM_CRASH=after-up:core/005_120_to_130", NULL };
	struct testenv_run r;
	struct site s;

	(void)state;
	DRILL_BEGIN();
	site_new(&s, "ee-0.36");
	wiz(1, &s, &r, env, "up", NULL, NULL, NULL, NULL, NULL);
	assert_non_null(strstr(r.err, "killed by signal 9"));
	assert_non_null(strstr(r.err, "log: "));
	testenv_run_done(&r);
	expect_q(&s, "SELECT count(*) FROM locks WHERE key = 'migrations'", "1");
	expect_q(&s, PENDING("core"), "{005_120_to_130}");

	wiz(1, &s, &r, NULL, "check", NULL, NULL, NULL, NULL, NULL);
	if (strstr(r.out, "FAIL   Kong's migrations lock is free") == NULL)
		fail_msg("check with a live lock:\n%s", r.out);
	testenv_run_done(&r);
	exec_sql(&s, "UPDATE locks SET ttl = now() - interval '1 minute' WHERE key = 'migrations'");
	wiz(-1, &s, &r, NULL, "check", NULL, NULL, NULL, NULL, NULL);
	if (strstr(r.out, "warn   Kong's migrations lock is free") == NULL)
		fail_msg("check with an expired lock:\n%s", r.out);
	testenv_run_done(&r);
	DRILL_END();
}

/* Kong's migrations lock held by another node: live -> up refused before Kong
 * would wait on it; expired -> check warns and up proceeds. */
static void test_kong_lock_held(void **state)
{
	struct testenv_run r;
	struct site s;

	(void)state;
	DRILL_BEGIN();
	site_new(&s, "ee-0.36");
	exec_sql(&s, "INSERT INTO locks (key, owner, ttl) VALUES ('migrations', "
		     "'0b5e0b5e-drill-node', now() + interval '10 minutes')");
	wiz(1, &s, &r, NULL, "up", NULL, NULL, NULL, NULL, NULL);
	assert_non_null(strstr(r.err, "Kong's migrations lock is free"));
	assert_non_null(strstr(r.err, "0b5e0b5e-drill-node"));
	testenv_run_done(&r);
	expect_q(&s, PENDING("core"), "{}");

	exec_sql(&s, "UPDATE locks SET ttl = now() - interval '1 minute'");
	/* Not ready (no backup yet), but the lock is only stale. */
	wiz(1, &s, &r, NULL, "check", "--json", NULL, NULL, NULL, NULL);
	{
		json_t *j = json_loads(r.out, 0, NULL);
		json_t *c;
		size_t i;
		bool seen = false;

		assert_non_null(j);
		json_array_foreach(json_object_get(j, "checks"), i, c)
			if (strcmp(jstr(c, "id", NULL), "migrations-lock") == 0) {
				assert_string_equal(jstr(c, "status", NULL), "warn");
				seen = true;
			}
		assert_true(seen);
		json_decref(j);
	}
	testenv_run_done(&r);
	wiz(0, &s, &r, NULL, "up", NULL, NULL, NULL, NULL, NULL);
	testenv_run_done(&r);
	expect_q(&s, PENDING("core"), "{005_120_to_130}");
	/* Kong deleted the expired row when it took the lock (§2.3). */
	expect_q(&s, "SELECT count(*) FROM locks", "0");
	DRILL_END();
}

/* Two operators: while one wizard runs up, a second is refused naming the
 * holder; status works; after the first is killed, the run still blocks a
 * second run. */
static void test_two_operators(void **state)
{
	static const char *const slow[] = { "KONG_SIM_DELAY_MS=1500", NULL };
	struct testenv_run r;
	struct site s;
	struct bg b;
	json_t *st;

	(void)state;
	DRILL_BEGIN();
	site_new(&s, "ee-0.36");
	bg_start(&b, &s, slow, "up", NULL, NULL, NULL, NULL);
	json_decref(await_run(&s, "running", 20000));

	wiz(2, &s, &r, NULL, "up", NULL, NULL, NULL, NULL, NULL);
	assert_non_null(strstr(r.err, "another operator"));
	assert_non_null(strstr(r.err, "kong-upgrade-wizard ("));
	testenv_run_done(&r);
	wiz(2, &s, &r, NULL, "finish", "--confirm", s.db, "--without-backup", no_backup, NULL);
	assert_non_null(strstr(r.err, "another operator"));
	testenv_run_done(&r);
	wiz(0, &s, &r, NULL, "status", NULL, NULL, NULL, NULL, NULL);
	assert_non_null(strstr(r.out, "Operator:  the wizard's lock is"));
	assert_non_null(strstr(r.out, "(running)"));
	testenv_run_done(&r);

	/* The first operator's wizard dies; its run does not, and still
	 * blocks another. */
	kill(b.pid, SIGKILL);
	assert_true(bg_wait(&b, 10000));
	wiz(1, &s, &r, NULL, "finish", "--confirm", s.db, "--without-backup", no_backup, NULL);
	if (strstr(r.err, "a run is in progress") == NULL)
		fail_msg("second run while one runs:\n%s", r.err);
	testenv_run_done(&r);
	st = await_run(&s, "finished", 30000);
	expect_run_ok(st);
	json_decref(st);
	expect_q(&s, PENDING("core"), "{005_120_to_130}");
	DRILL_END();
}

/* A tmpfs of size bytes at dir (created); false when mounting is not allowed. */
static bool mount_tmpfs(const char *dir, const char *size)
{
	char opts[64];

	snprintf(opts, sizeof(opts), "size=%s,mode=0700", size);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return false;
	return mount("tmpfs", dir, "tmpfs", 0, opts) == 0;
}

static void fill_dir(const char *dir)
{
	char path[4500];
	char block[65536];
	int fd;

	snprintf(path, sizeof(path), "%s/filler", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	memset(block, 'x', sizeof(block));
	while (write(fd, block, sizeof(block)) > 0)
		;
	while (write(fd, block, 1) > 0)
		;
	close(fd);
}

/* Disk full: for the backup (refused up front, and full mid-dump), and for
 * the state directory (the journal cannot be written). */
static void test_disk_full(void **state)
{
	struct testenv_run r;
	struct site s;
	char tiny[4500], mid[4500], full[4500], bk[4600], st[4600], wrapper[4600], script[10000],
		wextra[10000];
	bool m1, m2 = false, m3 = false;

	(void)state;
	DRILL_BEGIN();
	snprintf(tiny, sizeof(tiny), "%s/tiny", te.tmpdir);
	snprintf(mid, sizeof(mid), "%s/mid", te.tmpdir);
	snprintf(full, sizeof(full), "%s/full", te.tmpdir);
	m1 = mount_tmpfs(tiny, "200k");
	if (!m1) {
		/* Mounting needs CAP_SYS_ADMIN; a CI container may not have it. */
		fprintf(stderr, "drills: cannot mount a tmpfs (%s): disk-full drill skipped\n",
			strerror(errno));
		drill_skipped();
		skip();
	}
	m2 = mount_tmpfs(mid, "48m");
	m3 = mount_tmpfs(full, "256k");
	assert_true(m2 && m3);

	/* Too little room: refused before pg_dump, nothing written. */
	snprintf(bk, sizeof(bk), "%s/backups", tiny);
	site_make(&s, "ee-0.36", NULL, NULL, bk);
	wiz(1, &s, &r, NULL, "backup", NULL, NULL, NULL, NULL, NULL);
	assert_non_null(strstr(r.err, "not enough free space"));
	testenv_run_done(&r);
	assert_int_equal(count_suffix(bk, ""), 0);

	/* Room at the start, the disk fills while pg_dump writes. */
	snprintf(bk, sizeof(bk), "%s/backups", mid);
	snprintf(wrapper, sizeof(wrapper), "%s/filling-pg_dump", te.tmpdir);
	snprintf(script, sizeof(script),
		 "#!/bin/sh\ndd if=/dev/zero of='%s/filler' bs=1M 2>/dev/null\n"
		 "exec '%s/pg_dump' \"$@\"\n",
		 mid, core_sandbox_bindir(te.sb));
	write_script(wrapper, script);
	snprintf(wextra, sizeof(wextra), "backup { dir = \"%s\" pg_dump = \"%s\" }", bk, wrapper);
	site_make(&s, "ee-0.36", NULL, wextra, bk);
	wiz(1, &s, &r, NULL, "backup", NULL, NULL, NULL, NULL, NULL);
	if (strstr(r.err, "No space left on device") == NULL && strstr(r.err, "space") == NULL)
		fail_msg("backup on a disk that fills:\n%s", r.err);
	testenv_run_done(&r);
	assert_int_equal(count_suffix(bk, ""), 0);
	{
		char events[16384];

		journal_events(&s, events, sizeof(events));
		assert_non_null(strstr(events, "backup-start backup-failed"));
	}

	/* The state directory is full: nothing that changes state may start. */
	fill_dir(full);
	snprintf(st, sizeof(st), "%s/state", full);
	site_new(&s, "ee-0.36");
	{
		FILE *f = fopen(s.wconf, "a");

		assert_non_null(f);
		fprintf(f, "state_dir = \"%s\"\n", st);
		fclose(f);
	}
	snprintf(s.state, sizeof(s.state), "%s", st);
	wiz(2, &s, &r, NULL, "up", NULL, NULL, NULL, NULL, NULL);
	if (strstr(r.err, "journal") == NULL || strstr(r.err, "No space left on device") == NULL)
		fail_msg("up with a full state directory:\n%s", r.err);
	testenv_run_done(&r);
	expect_q(&s, PENDING("core"), "{}");
	{
		char runs[4700];

		snprintf(runs, sizeof(runs), "%s/runs", st);
		assert_false(file_exists(runs));
	}
	DRILL_END();
}

/* A TCP port on 127.0.0.1 that nothing listens on. */
static int closed_port(void)
{
	struct sockaddr_in a = { 0 };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int port;

	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* The datastore unreachable (a closed port; a listener that never answers)
 * and a wrong password: a clear error, exit 2, within pg_timeout, and the
 * password never echoed. */
static void test_network(void **state)
{
	struct testenv_run r;
	struct site s;
	char extra[256];
	long long t0;

	(void)state;
	DRILL_BEGIN();
	snprintf(extra, sizeof(extra), "pg_port = %d\npg_timeout = 2000\n", closed_port());
	site_make(&s, "ee-0.36", extra, NULL, NULL);
	t0 = now_ms();
	wiz(2, &s, &r, NULL, "check", NULL, NULL, NULL, NULL, NULL);
	assert_true(now_ms() - t0 < 10000);
	if (strstr(r.out, "cannot connect to PostgreSQL at 127.0.0.1") == NULL ||
	    strstr(r.out, "Connection refused") == NULL)
		fail_msg("closed port:\n%s\n%s", r.out, r.err);
	testenv_run_done(&r);

	site_make(&s, "ee-0.36", "pg_password = Wrong-9f3a-pass\n", NULL, NULL);
	wiz(2, &s, &r, NULL, "check", NULL, NULL, NULL, NULL, NULL);
	assert_non_null(strstr(r.out, "password authentication failed"));
	assert_null(strstr(r.err, "Wrong-9f3a-pass"));
	assert_null(strstr(r.out, "Wrong-9f3a-pass"));
	testenv_run_done(&r);
	wiz(2, &s, &r, NULL, "up", NULL, NULL, NULL, NULL, NULL);
	assert_non_null(strstr(r.err, "password authentication failed"));
	assert_null(strstr(r.err, "Wrong-9f3a-pass"));
	testenv_run_done(&r);
	DRILL_END();
}

static const char *const mounts[] = { "tiny", "mid", "full" };

/* After each drill, pass or fail: no wizard left running, no tmpfs mounted. */
static int drill_teardown(void **state)
{
	char dir[4500];
	size_t i;

	(void)state;
	for (i = 0; i < n_live; i++) {
		kill(-live[i], SIGKILL);
		waitpid(live[i], NULL, 0);
	}
	n_live = 0;
	for (i = 0; i < sizeof(mounts) / sizeof(mounts[0]); i++) {
		snprintf(dir, sizeof(dir), "%s/%s", te.tmpdir, mounts[i]);
		umount2(dir, MNT_DETACH);
	}
	return 0;
}

/* A listener that accepts nothing: only pg_timeout ends the wait. The
 * wizard connects (twice: identity, inspection) and runs `kong migrations
 * list`, so a few pg_timeouts are fair; a minute is not. */
static void test_network_black_hole(void **state)
{
	struct sockaddr_in a = { 0 };
	socklen_t len = sizeof(a);
	struct site s;
	struct bg b;
	char extra[256];
	char *out;
	int hole;

	(void)state;
	DRILL_BEGIN();
	hole = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(hole, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(hole, 8), 0);
	assert_int_equal(getsockname(hole, (struct sockaddr *)&a, &len), 0);
	snprintf(extra, sizeof(extra), "pg_port = %d\npg_timeout = 2000\n", ntohs(a.sin_port));
	site_make(&s, "ee-0.36", extra, NULL, NULL);
	bg_start(&b, &s, NULL, "check", NULL, NULL, NULL, NULL);
	if (!bg_wait(&b, 15000)) {
		bg_reap(&b);
		close(hole);
		fail_msg("check did not end within 15 s against a datastore that never answers "
			 "(pg_timeout = 2000)");
	}
	close(hole);
	assert_int_equal(b.status, 2);
	out = slurp(b.out);
	if (strstr(out, "timeout expired") == NULL)
		fail_msg("black hole:\n%s", out);
	free(out);
	DRILL_END();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_hangup_during_up_and_finish, drill_teardown),
		cmocka_unit_test_teardown(test_sigkill_during_up, drill_teardown),
		cmocka_unit_test_teardown(test_status_beside_a_migration, drill_teardown),
		cmocka_unit_test_teardown(test_sigkill_during_backup, drill_teardown),
		cmocka_unit_test_teardown(test_pg_restart_fast, drill_teardown),
		cmocka_unit_test_teardown(test_pg_restart_immediate, drill_teardown),
		cmocka_unit_test_teardown(test_kong_fails_each_migration, drill_teardown),
		cmocka_unit_test_teardown(test_retry_after_partial_up, drill_teardown),
		cmocka_unit_test_teardown(test_retry_after_partial_finish, drill_teardown),
		cmocka_unit_test_teardown(test_kong_crash, drill_teardown),
		cmocka_unit_test_teardown(test_kong_lock_held, drill_teardown),
		cmocka_unit_test_teardown(test_two_operators, drill_teardown),
		cmocka_unit_test_teardown(test_disk_full, drill_teardown),
		cmocka_unit_test_teardown(test_network, drill_teardown),
		cmocka_unit_test_teardown(test_network_black_hole, drill_teardown),
	};
	const char *only = getenv("KUW_DRILLS_ONLY");
	int failed;

	/* One drill by name (a cmocka pattern), when chasing a failure. */
	if (only != NULL && only[0] != '\0')
		cmocka_set_test_filter(only);
	failed = cmocka_run_group_tests(tests, setup, teardown);

	if (n_failed_setup)
		n_run = 0;
	printf("drills: %d run, %d passed, %d skipped\n", n_run, n_passed, n_skipped);
	return failed;
}
