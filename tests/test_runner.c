/* test_runner.c — supervised `kong migrations` runs (SPEC §5, "the migration
 * survives the operator") with kong-sim against a real PostgreSQL: progress
 * from Kong's lines (reference kong-migrations.md §1.7) checked against
 * schema_meta, the wizard dying or hanging up mid-run, one run at a time,
 * failures, a command killed by a signal, a supervisor killed (LOST), and the
 * log follower's handling of partial lines.
 *
 * The test program is a child subreaper, so supervisors orphaned by the
 * "wizard dies" tests are reparented to it; every test's teardown reaps them
 * and fails if any supervisor or command is left behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/core_pg.h"
#include "core/core_runner.h"
#include "core/core_sandbox.h"
#include "core/core_state.h"
#include "tests/support/testenv.h"

#define DEADLINE_MS 60000
#define MAX_PIDS    64

static struct testenv te;
static pid_t tracked[MAX_PIDS];
static size_t n_tracked;

struct ds {
	char db[128];
	char conf[4096];
	char state[4400];
};

/* Lines handed to on_line, joined with newlines. */
struct lines {
	char *text;
	size_t len;
	size_t count;
};

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void nap_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static void track(pid_t pid)
{
	if (pid > 0 && n_tracked < MAX_PIDS)
		tracked[n_tracked++] = pid;
}

static void track_run(const struct core_runner_run *r)
{
	track(core_runner_info(r)->supervisor_pid);
	track(core_runner_info(r)->child_pid);
}

/* Reaps pid if it is our (adopted) child; 1 once it no longer exists. */
static int gone(pid_t pid)
{
	waitpid(pid, NULL, WNOHANG);
	return kill(pid, 0) < 0 && errno == ESRCH;
}

static void on_line(void *ctx, const char *line)
{
	struct lines *l = ctx;
	size_t n = strlen(line);
	char *p = realloc(l->text, l->len + n + 2);

	assert_non_null(p);
	l->text = p;
	memcpy(l->text + l->len, line, n);
	l->len += n;
	l->text[l->len++] = '\n';
	l->text[l->len] = '\0';
	l->count++;
}

static size_t count_of(const char *hay, const char *needle)
{
	size_t n = 0;

	while (hay != NULL && (hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

static void assert_contains(const char *hay, const char *needle)
{
	if (hay == NULL || strstr(hay, needle) == NULL)
		fail_msg("'%s' not found in:\n%s", needle, hay != NULL ? hay : "(null)");
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t n;

	if (f == NULL)
		fail_msg("cannot open %s", path);
	buf = calloc(1, 1 << 20);
	assert_non_null(buf);
	n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void ds_make(struct ds *d, const char *fixture)
{
	struct core_error err = {{0}};

	if (testenv_create_db(&te, fixture, NULL, d->db, sizeof(d->db), &err) != 0)
		fail_msg("create_db %s: %s", fixture, err.msg);
	if (testenv_write_kongconf(&te, d->db, NULL, d->conf, sizeof(d->conf), &err) != 0)
		fail_msg("write_kongconf: %s", err.msg);
	snprintf(d->state, sizeof(d->state), "%s/state-%s", te.tmpdir, d->db);
}

static int ds_start(const struct ds *d, const char *sub, const char *knob,
		    struct core_runner_run **r, struct core_error *err)
{
	const char *argv[] = {te.kong_sim, "migrations", sub, "-c", d->conf, NULL};
	const char *env[] = {"KONG_SIM_VERSION=ee-1.3", knob, NULL};
	int rc = core_runner_start(d->state, argv, env, r, err);

	if (rc == 0)
		track_run(*r);
	return rc;
}

/* Polls until the run is no longer RUNNING (or the deadline passes). */
static void poll_until_done(struct core_runner_run *r, struct core_runner_progress *p,
			    struct lines *l)
{
	struct core_error err = {{0}};
	long deadline = now_ms() + DEADLINE_MS;

	do {
		if (core_runner_poll(r, p, on_line, l, &err) != 0)
			fail_msg("poll: %s", err.msg);
		if (p->state != CORE_RUNNER_RUNNING)
			return;
		nap_ms(20);
	} while (now_ms() < deadline);
	fail_msg("run %s still %s after %d ms", core_runner_info(r)->id,
		 core_runner_state_name(p->state), DEADLINE_MS);
}

static struct core_runner_run *find(const struct ds *d)
{
	struct core_error err = {{0}};
	struct core_runner_run *r = NULL;

	if (core_runner_find(d->state, &r, &err) != 0)
		fail_msg("find: %s", err.msg);
	assert_non_null(r);
	track_run(r);
	return r;
}

static void assert_q(const struct ds *d, const char *sql, const char *want)
{
	struct core_error err = {{0}};
	char *got = testenv_query1(&te, d->db, sql, &err);

	if (got == NULL)
		fail_msg("query '%s': %s", sql, err.msg);
	if (strcmp(got, want) != 0)
		fail_msg("%s -> '%s', want '%s'", sql, got, want);
	free(got);
}

/* The progress the log reported, checked against schema_meta as the wizard
 * reads it. */
static void assert_schema_agrees(const struct ds *d, const struct core_runner_run *r)
{
	struct core_pg_params pp = {.host = core_sandbox_host(te.sb),
				    .port = core_sandbox_port(te.sb),
				    .user = "kong",
				    .password = "kong",
				    .dbname = d->db};
	struct core_db_state st;
	struct core_error err = {{0}};
	PGconn *conn = NULL;

	memset(&st, 0, sizeof(st));
	if (core_pg_connect(&pp, &conn, &err) != 0)
		fail_msg("connect: %s", err.msg);
	if (core_state_read(conn, &st, &err) != 0)
		fail_msg("state: %s", err.msg);
	if (core_runner_check_schema(r, st.rows, st.n_rows, &err) != 0)
		fail_msg("check_schema: %s", err.msg);
	core_state_done(&st);
	PQfinish(conn);
}

static void assert_up_done(const struct ds *d)
{
	assert_q(d, "SELECT pending FROM schema_meta WHERE subsystem = 'core'", "{005_120_to_130}");
	assert_q(d, "SELECT pending FROM schema_meta WHERE subsystem = 'enterprise'",
		 "{004_036-2_to_037}");
}

/* A whole `up` of EE 0.36 -> EE 1.3, followed from start to end. */
static void test_up_progress(void **state)
{
	struct core_runner_progress p = {0};
	struct lines l = {0};
	struct core_error err = {{0}};
	struct core_runner_run *r = NULL;
	const struct core_runner_info *i;
	char want[12288], path[4500];
	struct stat st;
	char *log = NULL;
	struct ds d;
	const char *argv[] = {te.kong_sim, "migrations", "up", "-c", d.conf, NULL};
	const char *env[] = {"KONG_SIM_VERSION=ee-1.3", "KONG_SIM_DELAY_MS=300", "KONG_SIM_FAIL",
			     NULL};
	int rc;

	(void)state;
	ds_make(&d, "ee-0.36");
	/* A failure knob in our environment, removed for the run: had it
	 * reached kong-sim, the run would fail. */
	setenv("KONG_SIM_FAIL", "up:core/005_120_to_130", 1);
	rc = core_runner_start(d.state, argv, env, &r, &err);
	unsetenv("KONG_SIM_FAIL");
	if (rc != 0)
		fail_msg("start: %s", err.msg);
	track_run(r);
	i = core_runner_info(r);
	assert_int_equal(i->state, CORE_RUNNER_RUNNING);
	assert_true(i->supervisor_pid > 0 && i->child_pid > 0);
	assert_true(i->supervisor_pid != getpid() && i->child_pid != getpid());
	p.total = 2;
	poll_until_done(r, &p, &l);

	assert_int_equal(p.state, CORE_RUNNER_FINISHED);
	assert_int_equal(p.exit_code, 0);
	assert_int_equal(p.signal, 0);
	assert_int_equal(p.done, count_of(l.text, " migrated up to: "));
	assert_int_equal(p.done, 2);
	assert_int_equal(p.processed, 2);
	assert_string_equal(p.last, "enterprise: 004_036-2_to_037");
	assert_string_equal(p.subsystem, "enterprise");
	assert_string_equal(p.error, "");
	assert_contains(l.text, "core migrated up to: 005_120_to_130 (pending)\n");

	/* The log starts with what ran, then Kong's output, then the result. */
	log = slurp(i->log);
	snprintf(want, sizeof(want),
		 "# kong-upgrade-wizard run %s\n# started %s\n# command: %s migrations up -c %s\n"
		 "# environment: set KONG_SIM_VERSION, set KONG_SIM_DELAY_MS, unset KONG_SIM_FAIL\n"
		 "migrating core on ",
		 i->id, i->started, te.kong_sim, d.conf);
	if (strncmp(log, want, strlen(want)) != 0)
		fail_msg("log starts:\n%.600s\nwant:\n%s", log, want);
	assert_contains(log, "\n2 migrations processed\n");
	assert_contains(log, ": exit code 0\n");
	/* Everything in the log reached on_line, once. */
	assert_string_equal(log, l.text);

	assert_int_equal(stat(i->log, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(i->dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/runs/current", d.state);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));

	assert_up_done(&d);
	assert_schema_agrees(&d, r);
	free(log);
	free(l.text);
	core_runner_free(r);
}

/* The wizard starts a run and dies (SIGKILL, or SIGHUP to its process group
 * as when the SSH session hangs up): the run goes on and a new wizard finds
 * it and its result. */
static void wizard_dies(int how)
{
	struct core_runner_progress p = {0};
	struct lines l = {0};
	struct core_runner_run *r = NULL;
	const struct core_runner_info *i;
	int st = 0;
	pid_t w;
	struct ds d;

	ds_make(&d, "ee-0.36");
	w = fork();
	assert_true(w >= 0);
	if (w == 0) {
		struct core_error err = {{0}};
		struct core_runner_run *mine = NULL;

		setpgid(0, 0);
		if (ds_start(&d, "up", "KONG_SIM_DELAY_MS=500", &mine, &err) != 0)
			_exit(3);
		if (how == SIGHUP)
			kill(0, SIGHUP);
		else
			raise(SIGKILL);
		_exit(4);
	}
	while (waitpid(w, &st, 0) < 0 && errno == EINTR)
		;
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), how);

	r = find(&d);
	i = core_runner_info(r);
	assert_int_equal(i->state, CORE_RUNNER_RUNNING);
	assert_true(i->supervisor_pid > 0 && i->child_pid > 0);
	/* A hang-up reaching the run itself does not stop it either. */
	assert_int_equal(kill(i->supervisor_pid, SIGHUP), 0);
	assert_int_equal(kill(i->child_pid, SIGHUP), 0);
	poll_until_done(r, &p, &l);
	assert_int_equal(p.state, CORE_RUNNER_FINISHED);
	assert_int_equal(p.exit_code, 0);
	assert_int_equal(p.signal, 0);
	/* The new wizard read the log from the start. */
	assert_int_equal(p.done, 2);
	assert_contains(l.text, "# kong-upgrade-wizard run ");
	assert_up_done(&d);
	assert_schema_agrees(&d, r);
	free(l.text);
	core_runner_free(r);
}

static void test_wizard_killed(void **state)
{
	(void)state;
	wizard_dies(SIGKILL);
}

static void test_wizard_hangup(void **state)
{
	(void)state;
	wizard_dies(SIGHUP);
}

/* Never two runs at once; the refusal names the running run. */
static void test_one_at_a_time(void **state)
{
	struct core_runner_progress p = {0};
	struct lines l = {0};
	struct core_error err = {{0}};
	struct core_runner_run *r = NULL, *r2 = NULL, *latest = NULL;
	char id[64];
	struct ds d;

	(void)state;
	ds_make(&d, "ee-0.36");
	if (ds_start(&d, "up", "KONG_SIM_DELAY_MS=1500", &r, &err) != 0)
		fail_msg("start: %s", err.msg);
	snprintf(id, sizeof(id), "%s", core_runner_info(r)->id);
	assert_int_equal(ds_start(&d, "list", NULL, &r2, &err), -1);
	assert_null(r2);
	assert_contains(err.msg, "another run is in progress: run ");
	assert_contains(err.msg, id);
	assert_contains(err.msg, "migrations up -c");
	/* The refused start left nothing behind: the latest run is still r. */
	latest = find(&d);
	assert_string_equal(core_runner_info(latest)->id, id);
	core_runner_free(latest);

	poll_until_done(r, &p, &l);
	assert_int_equal(p.exit_code, 0);
	/* Once it has finished, the next run may start. */
	if (ds_start(&d, "list", NULL, &r2, &err) != 0)
		fail_msg("second start: %s", err.msg);
	assert_string_not_equal(core_runner_info(r2)->id, id);
	memset(&p, 0, sizeof(p));
	free(l.text);
	memset(&l, 0, sizeof(l));
	poll_until_done(r2, &p, &l);
	assert_int_equal(p.exit_code, 4); /* §1.3: pending migrations */
	latest = find(&d);
	assert_string_equal(core_runner_info(latest)->id, core_runner_info(r2)->id);
	core_runner_free(latest);
	free(l.text);
	core_runner_free(r2);
	core_runner_free(r);
}

/* A migration fails: exit 1 and Kong's Error line (§1.7). */
static void test_failing_run(void **state)
{
	struct core_runner_progress p = {0};
	struct lines l = {0};
	struct core_error err = {{0}};
	struct core_runner_run *r = NULL;
	struct ds d;

	(void)state;
	ds_make(&d, "ee-0.36");
	if (ds_start(&d, "up", "KONG_SIM_FAIL=up:enterprise/004_036-2_to_037", &r, &err) != 0)
		fail_msg("start: %s", err.msg);
	poll_until_done(r, &p, &l);
	assert_int_equal(p.state, CORE_RUNNER_FINISHED);
	assert_int_equal(p.exit_code, 1);
	assert_int_equal(p.signal, 0);
	assert_contains(p.error, "Error: [PostgreSQL error] ");
	assert_contains(p.error, "failed to run migration '004_036-2_to_037' up");
	assert_int_equal(p.done, count_of(l.text, " migrated up to: "));
	assert_int_equal(p.done, 1);
	assert_contains(l.text, ": exit code 1\n");
	/* §1.7: the migration before the failing one stays recorded. */
	assert_q(&d, "SELECT pending FROM schema_meta WHERE subsystem = 'core'",
		 "{005_120_to_130}");
	assert_schema_agrees(&d, r);
	free(l.text);
	core_runner_free(r);
}

/* The command is killed by a signal: the signal is reported. */
static void test_killed_by_signal(void **state)
{
	struct core_runner_progress p = {0};
	struct lines l = {0};
	struct core_error err = {{0}};
	struct core_runner_run *r = NULL, *again = NULL;
	struct ds d;

	(void)state;
	ds_make(&d, "ee-0.36");
	if (ds_start(&d, "up", "KONG_SIM_CRASH=before-up:enterprise/004_036-2_to_037", &r, &err) !=
	    0)
		fail_msg("start: %s", err.msg);
	poll_until_done(r, &p, &l);
	assert_int_equal(p.state, CORE_RUNNER_FINISHED);
	assert_int_equal(p.exit_code, -1);
	assert_int_equal(p.signal, SIGKILL);
	assert_contains(l.text, ": killed by signal 9 (SIGKILL)\n");
	/* status reads the same result from the state directory. */
	again = find(&d);
	assert_int_equal(core_runner_info(again)->state, CORE_RUNNER_FINISHED);
	assert_int_equal(core_runner_info(again)->signal, SIGKILL);
	assert_int_equal(core_runner_info(again)->exit_code, -1);
	assert_true(core_runner_info(again)->ended[0] != '\0');
	core_runner_free(again);
	free(l.text);
	core_runner_free(r);
}

/* The descriptors of pid: 0 is /dev/null, 1 and 2 the log; the supervisor
 * (sup) also holds the log and the run lock on 3 and 4 and nothing else; the
 * command has nothing of ours beyond 0-2 (its own sockets are its business).
 * Polled: the supervisor closes its report pipe just after reporting. */
static void assert_fds(pid_t pid, bool sup, const struct core_runner_info *i)
{
	char path[64], target[4200], lock[4300];
	long deadline = now_ms() + DEADLINE_MS;
	struct dirent *e;
	bool ok = false;
	DIR *d;
	ssize_t len;
	int fd;

	snprintf(lock, sizeof(lock), "%s/lock", i->dir);
	while (!ok && now_ms() < deadline) {
		int count = 0, extra = 0;

		snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
		d = opendir(path);
		assert_non_null(d);
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			count++;
			fd = atoi(e->d_name);
			snprintf(path, sizeof(path), "/proc/%ld/fd/%d", (long)pid, fd);
			len = readlink(path, target, sizeof(target) - 1);
			assert_true(len > 0);
			target[len] = '\0';
			if (fd == 0)
				assert_string_equal(target, "/dev/null");
			else if (fd <= 2 || (sup && fd == 3))
				assert_string_equal(target, i->log);
			else if (sup && fd == 4)
				assert_string_equal(target, lock);
			else if (!sup && strncmp(target, "socket:", 7) == 0)
				continue;
			else
				extra++;
		}
		closedir(d);
		ok = extra == 0 && count >= 3 && (!sup || count == 5);
		if (!ok)
			nap_ms(20);
	}
	if (!ok)
		fail_msg("pid %ld holds descriptors it should not", (long)pid);
}

/* The supervisor is killed: the run is LOST (reported, not guessed), its
 * command goes on in its own session, and no new run starts beside it. */
static void test_lost(void **state)
{
	struct core_error err = {{0}};
	struct core_runner_run *r = NULL, *r2 = NULL, *lost = NULL;
	pid_t sup, child;
	long deadline;
	struct ds d;

	(void)state;
	ds_make(&d, "ee-0.36");
	if (ds_start(&d, "up", "KONG_SIM_DELAY_MS=2000", &r, &err) != 0)
		fail_msg("start: %s", err.msg);
	sup = core_runner_info(r)->supervisor_pid;
	child = core_runner_info(r)->child_pid;
	assert_int_equal(core_runner_refresh(r), CORE_RUNNER_RUNNING);
	/* Away from our terminal session, with nothing of ours inherited: the
	 * supervisor keeps the log (and its copies on 1, 2) and the lock. */
	assert_true(getsid(sup) != getsid(0) && getsid(child) == getsid(sup));
	assert_int_equal(getpgid(child), child);
	assert_fds(sup, true, core_runner_info(r));
	assert_fds(child, false, core_runner_info(r));
	assert_int_equal(kill(sup, SIGKILL), 0);
	deadline = now_ms() + DEADLINE_MS;
	while (!gone(sup) && now_ms() < deadline)
		nap_ms(20);
	assert_true(gone(sup));

	lost = find(&d);
	assert_int_equal(core_runner_info(lost)->state, CORE_RUNNER_LOST);
	assert_string_equal(core_runner_state_name(core_runner_info(lost)->state), "lost");
	assert_int_equal(core_runner_refresh(r), CORE_RUNNER_LOST);
	assert_int_equal(kill(child, 0), 0);
	assert_int_equal(ds_start(&d, "list", NULL, &r2, &err), -1);
	assert_contains(err.msg, "lost its supervisor");
	assert_contains(err.msg, core_runner_info(r)->id);

	/* Clean up the orphaned command (now our child: we are a subreaper). */
	assert_int_equal(kill(-child, SIGKILL), 0);
	deadline = now_ms() + DEADLINE_MS;
	while (!gone(child) && now_ms() < deadline)
		nap_ms(20);
	assert_true(gone(child));
	core_runner_free(lost);
	core_runner_free(r);
}

/* A command that cannot be executed is refused, and recorded as exit 127. */
static void test_cannot_execute(void **state)
{
	struct core_error err = {{0}};
	struct core_runner_run *r = NULL;
	char dir[4200], script[4300];
	const char *missing[] = {"/nonexistent/kong", "migrations", "up", NULL};
	const char *bad[] = {script, NULL};
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/state-exec", te.tmpdir);
	assert_int_equal(core_runner_start(dir, missing, NULL, &r, &err), -1);
	assert_null(r);
	assert_contains(err.msg, "/nonexistent/kong");
	assert_int_equal(core_runner_find(dir, &r, &err), 0);
	assert_null(r);

	snprintf(script, sizeof(script), "%s/bad-interpreter", te.tmpdir);
	f = fopen(script, "w");
	assert_non_null(f);
	fputs("#!/nonexistent/interpreter\n", f);
	fclose(f);
	assert_int_equal(chmod(script, 0755), 0);
	assert_int_equal(core_runner_start(dir, bad, NULL, &r, &err), -1);
	assert_null(r);
	assert_contains(err.msg, "cannot execute");
	assert_int_equal(core_runner_find(dir, &r, &err), 0);
	assert_non_null(r);
	track_run(r);
	assert_int_equal(core_runner_info(r)->state, CORE_RUNNER_FINISHED);
	assert_int_equal(core_runner_info(r)->exit_code, 127);
	core_runner_free(r);
}

static void append(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_APPEND);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	close(fd);
}

static void poll_lines(struct core_runner_run *r, struct core_runner_progress *p, struct lines *l)
{
	struct core_error err = {{0}};

	if (core_runner_poll(r, p, on_line, l, &err) != 0)
		fail_msg("poll: %s", err.msg);
}

/* The follower delivers only complete lines, keeps the rest for later, and
 * hands out an unterminated last line once the run has finished. The run
 * directory is made by hand: no supervisor, so the state is LOST until a
 * status file appears. */
static void test_partial_lines(void **state)
{
	struct core_runner_progress p = {0};
	struct lines l = {0};
	struct core_error err = {{0}};
	struct core_runner_run *r = NULL;
	char dir[4200], path[4300];
	char *pending_core[] = {"005_120_to_130"};
	char *executed_ent[] = {"000_base", "001_session"};
	struct core_schema_row rows[2] = {
	    {.subsystem = "core", .pending = pending_core, .n_pending = 1},
	    {.subsystem = "enterprise", .executed = executed_ent, .n_executed = 2},
	};
	int fd;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/state-partial", te.tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/runs", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/runs/20260101T000000Z-1", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/runs/20260101T000000Z-2", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/runs/20260101T000000Z-10", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/runs/20260101T000000Z-10/log", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);

	/* No `current`: the newest directory, -10 after -2. */
	assert_int_equal(core_runner_find(dir, &r, &err), 0);
	assert_non_null(r);
	assert_string_equal(core_runner_info(r)->id, "20260101T000000Z-10");
	assert_int_equal(core_runner_info(r)->state, CORE_RUNNER_LOST);

	append(path, "migrating core on data");
	poll_lines(r, &p, &l);
	assert_int_equal(l.count, 0);
	assert_string_equal(p.subsystem, "");

	append(path, "base 'kong'...\ncore migrated up to: 005_120_to_130 (pend");
	poll_lines(r, &p, &l);
	assert_int_equal(l.count, 1);
	assert_string_equal(l.text, "migrating core on database 'kong'...\n");
	assert_string_equal(p.subsystem, "core");
	assert_int_equal(p.done, 0);

	append(path, "ing)\n2026/01/01 00:00:01 [info] enterprise migrated up to: 001_session "
		     "(executed)\r\n2 migrations pro");
	poll_lines(r, &p, &l);
	assert_int_equal(l.count, 3);
	assert_int_equal(p.done, 2);
	assert_string_equal(p.last, "enterprise: 001_session");
	assert_int_equal(p.processed, 0);
	assert_int_equal(p.state, CORE_RUNNER_LOST);

	/* Nothing new: nothing delivered, nothing counted twice. */
	poll_lines(r, &p, &l);
	assert_int_equal(l.count, 3);
	assert_int_equal(p.done, 2);

	append(path, "cessed\nError: something broke\nError: a second error\nno newline");
	poll_lines(r, &p, &l);
	assert_int_equal(l.count, 6);
	assert_int_equal(p.processed, 2);
	assert_string_equal(p.error, "Error: something broke");

	/* The run ends: the unterminated last line is delivered, once. */
	snprintf(path, sizeof(path), "%s/runs/20260101T000000Z-10/status.json", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	append(path, "{\"exit_code\": 3, \"signal\": null}");
	poll_lines(r, &p, &l);
	assert_int_equal(l.count, 7);
	assert_int_equal(p.state, CORE_RUNNER_FINISHED);
	assert_int_equal(p.exit_code, 3);
	assert_string_equal(l.text + l.len - strlen("no newline\n"), "no newline\n");
	poll_lines(r, &p, &l);
	assert_int_equal(l.count, 7);

	/* The lines agree with these rows; a row without the migration does not. */
	assert_int_equal(core_runner_check_schema(r, rows, 2, &err), 0);
	rows[1].n_executed = 1;
	assert_int_equal(core_runner_check_schema(r, rows, 2, &err), -1);
	assert_contains(err.msg, "001_session");
	assert_int_equal(core_runner_check_schema(r, rows, 1, &err), -1);
	assert_contains(err.msg, "no row for enterprise");
	free(l.text);
	core_runner_free(r);
	core_runner_free(NULL);
}

static int setup(void **state)
{
	struct core_error err = {{0}};

	(void)state;
	if (testenv_start(&te, &err) != 0) {
		fprintf(stderr, "testenv_start: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	testenv_stop(&te);
	return 0;
}

/* After every test: every supervisor and command it started has ended. */
static int no_leftovers(void **state)
{
	long deadline = now_ms() + DEADLINE_MS;
	size_t i;
	int left = 0;

	(void)state;
	for (i = 0; i < n_tracked; i++) {
		while (!gone(tracked[i]) && now_ms() < deadline)
			nap_ms(20);
		if (!gone(tracked[i])) {
			fprintf(stderr, "process %ld was left behind\n", (long)tracked[i]);
			kill(tracked[i], SIGKILL);
			left++;
		}
	}
	n_tracked = 0;
	return left == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_partial_lines, no_leftovers),
	    cmocka_unit_test_teardown(test_up_progress, no_leftovers),
	    cmocka_unit_test_teardown(test_wizard_killed, no_leftovers),
	    cmocka_unit_test_teardown(test_wizard_hangup, no_leftovers),
	    cmocka_unit_test_teardown(test_one_at_a_time, no_leftovers),
	    cmocka_unit_test_teardown(test_failing_run, no_leftovers),
	    cmocka_unit_test_teardown(test_killed_by_signal, no_leftovers),
	    cmocka_unit_test_teardown(test_lost, no_leftovers),
	    cmocka_unit_test_teardown(test_cannot_execute, no_leftovers),
	};

	/* Supervisors orphaned by the "wizard dies" tests come to us, so that
	 * the tests can reap them and nothing outlives the test program. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	return cmocka_run_group_tests(tests, setup, teardown);
}
