/* Secrets stay secret (SPEC §5): with a recognisable database password and
 * RBAC token, run every headless command, then search everything the wizard
 * wrote (state and backup directories: logs, journal, run.json, status.json,
 * the backup itself) and everything it printed for both; the running kong
 * child's argv must not hold the password either. State and backup
 * directories are 0700, their files 0600; a world-writable state directory
 * is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/core_sandbox.h"
#include "tests/support/testenv.h"

#define PASSWORD "Pw-7e1f-secret"
#define TOKEN "Tk-91ab-secret"

static struct testenv te;
static char wizard[4096];

static int setup(void **state)
{
	struct core_error err = { { 0 } };
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

static char wconf[4400], state_dir[4400], backup_dir[4400], dbname[128];
static int leaks, files_scanned;

/* Whether the n bytes at buf hold either secret. */
static const char *secret_in(const char *buf, size_t n)
{
	if (memmem(buf, n, PASSWORD, strlen(PASSWORD)) != NULL)
		return "the password";
	if (memmem(buf, n, TOKEN, strlen(TOKEN)) != NULL)
		return "the token";
	return NULL;
}

/* Output of one command, checked at once. */
static void check_output(const char *what, const struct testenv_run *r)
{
	const char *s;

	if ((s = secret_in(r->out, strlen(r->out))) != NULL ||
	    (s = secret_in(r->err, strlen(r->err))) != NULL) {
		fprintf(stderr, "LEAK: %s in the output of %s\n", s, what);
		leaks++;
	}
}

static void wiz(int want, struct testenv_run *r, const char *const *env, const char *a,
		const char *b, const char *c)
{
	struct core_error err = { { 0 } };
	const char *argv[] = { wizard, "-c", wconf, a, b, c, NULL };

	if (testenv_run(argv, env, r, &err) < 0)
		fail_msg("%s", err.msg);
	check_output(a, r);
	if (want >= 0 && r->status != want)
		fail_msg("%s %s: exit %d, want %d\n--- stdout:\n%s\n--- stderr:\n%s", a,
			 b != NULL ? b : "", r->status, want, r->out, r->err);
}

static char *read_all(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, got;

	*n = 0;
	if (f == NULL)
		return NULL;
	for (;;) {
		if (cap - *n < 65536) {
			char *nb = realloc(buf, cap + (1 << 20));

			assert_non_null(nb);
			buf = nb;
			cap += 1 << 20;
		}
		got = fread(buf + *n, 1, cap - *n, f);
		if (got == 0)
			break;
		*n += got;
	}
	fclose(f);
	return buf;
}

/* nftw callback: scans regular files for secrets, checks modes. */
static int scan_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)ftw;
	if (flag == FTW_D || flag == FTW_DP) {
		if ((st->st_mode & 07777) != 0700) {
			fprintf(stderr, "MODE: directory %s is %04o, not 0700\n", path,
				(unsigned)(st->st_mode & 07777));
			leaks++;
		}
	} else if (flag == FTW_F && S_ISREG(st->st_mode)) {
		size_t n;
		char *buf = read_all(path, &n);
		const char *s = buf != NULL ? secret_in(buf, n) : NULL;

		files_scanned++;
		if (s != NULL) {
			fprintf(stderr, "LEAK: %s in %s\n", s, path);
			leaks++;
		}
		if ((st->st_mode & 07777) != 0600) {
			fprintf(stderr, "MODE: %s is %04o, not 0600\n", path,
				(unsigned)(st->st_mode & 07777));
			leaks++;
		}
		free(buf);
	}
	return 0;
}

static char *status_field(const char *a, const char *b)
{
	struct testenv_run r;
	json_t *j;
	json_t *v;
	char *out = NULL;

	wiz(-1, &r, NULL, "status", "--json", NULL);
	j = json_loads(r.out, 0, NULL);
	testenv_run_done(&r);
	if (j == NULL)
		return NULL;
	v = json_object_get(json_object_get(j, a), b);
	if (json_is_string(v))
		out = strdup(json_string_value(v));
	else if (json_is_integer(v) && asprintf(&out, "%lld", (long long)json_integer_value(v)) < 0)
		out = NULL;
	json_decref(j);
	return out;
}

/* Runs `up` slowly in the background and reads the kong child's argv while
 * it runs. */
static void up_and_watch_argv(void)
{
	const char *argv[] = { wizard, "-c", wconf, "up", NULL };
	long long end = now_ms() + 20000;
	char proc[64];
	int checked = 0;
	pid_t pid;
	int st;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		setenv("KONG_SIM_DELAY_MS", "1000", 1);
		execv(wizard, (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	while (now_ms() < end && !checked) {
		char *state = status_field("run", "state");
		char *child = status_field("run", "pid");

		if (state != NULL && child != NULL && strcmp(state, "running") == 0 &&
		    atoi(child) > 0) {
			size_t n;
			char *cmd;

			snprintf(proc, sizeof(proc), "/proc/%d/cmdline", atoi(child));
			cmd = read_all(proc, &n);
			assert_non_null(cmd);
			assert_true(n > 0);
			assert_non_null(memmem(cmd, n, "migrations", 10));
			if (secret_in(cmd, n) != NULL) {
				fprintf(stderr, "LEAK: the password in %s\n", proc);
				leaks++;
			}
			free(cmd);
			checked = 1;
		}
		free(state);
		free(child);
		if (!checked)
			nap(50);
	}
	while (waitpid(pid, &st, WNOHANG) == 0 && now_ms() < end + 30000)
		nap(50);
	if (waitpid(pid, &st, WNOHANG) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		fail_msg("up did not end");
	}
	assert_true(checked);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_no_secret_anywhere(void **state)
{
	struct core_error err = { { 0 } };
	struct testenv_run r;
	char kconf[4400], token[4400], sql[256];
	FILE *f;
	int fd;

	(void)state;
	if (testenv_create_db(&te, "ee-0.36", NULL, dbname, sizeof(dbname), &err) < 0)
		fail_msg("%s", err.msg);
	/* The role owning the database gets the recognisable password. */
	snprintf(sql, sizeof(sql), "ALTER ROLE kong PASSWORD '%s'", PASSWORD);
	if (core_sandbox_exec(te.sb, NULL, sql, &err) < 0)
		fail_msg("%s", err.msg);

	snprintf(kconf, sizeof(kconf), "%s/kong.conf", te.tmpdir);
	fd = open(kconf, O_WRONLY | O_CREAT | O_EXCL, 0600);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fprintf(f, "pg_host = %s\npg_port = %d\npg_user = kong\npg_password = %s\npg_database = %s\n",
		core_sandbox_host(te.sb), core_sandbox_port(te.sb), PASSWORD, dbname);
	assert_int_equal(fclose(f), 0);
	snprintf(token, sizeof(token), "%s/admin-token", te.tmpdir);
	fd = open(token, O_WRONLY | O_CREAT | O_EXCL, 0600);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fprintf(f, "%s\n", TOKEN);
	assert_int_equal(fclose(f), 0);

	snprintf(state_dir, sizeof(state_dir), "%s/state", te.tmpdir);
	snprintf(backup_dir, sizeof(backup_dir), "%s/backups", te.tmpdir);
	snprintf(wconf, sizeof(wconf), "%s/wizard.conf", te.tmpdir);
	f = fopen(wconf, "w");
	assert_non_null(f);
	/* Admin API URLs on ports where nothing listens. */
	fprintf(f,
		"kong { binary = \"%s\" conf = \"%s\" }\nstate_dir = \"%s\"\n"
		"backup { dir = \"%s\" }\n"
		"cluster old { admin_urls = {\"http://127.0.0.1:9\"} token_file = \"%s\" }\n"
		"cluster new { admin_urls = {\"http://127.0.0.1:9\"} token_file = \"%s\" }\n",
		te.kong_sim, kconf, state_dir, backup_dir, token, token);
	assert_int_equal(fclose(f), 0);

	wiz(1, &r, NULL, "check", NULL, NULL); /* blocked: no backup yet */
	testenv_run_done(&r);
	wiz(1, &r, NULL, "check", "--json", NULL);
	testenv_run_done(&r);
	wiz(0, &r, NULL, "backup", NULL, NULL);
	testenv_run_done(&r);
	up_and_watch_argv();
	wiz(0, &r, NULL, "status", NULL, NULL);
	testenv_run_done(&r);
	wiz(0, &r, NULL, "status", "--json", NULL);
	testenv_run_done(&r);
	wiz(0, &r, NULL, "finish", "--confirm", dbname);
	testenv_run_done(&r);
	wiz(0, &r, NULL, "status", NULL, NULL);
	testenv_run_done(&r);
	wiz(0, &r, NULL, "status", "--json", NULL);
	testenv_run_done(&r);
	/* A failing command's messages too. */
	wiz(1, &r, NULL, "finish", "--confirm", "wrong-name");
	testenv_run_done(&r);

	/* The scanner finds what it looks for: kong.conf holds the password. */
	{
		size_t n;
		char *conf = read_all(kconf, &n);

		assert_non_null(conf);
		assert_non_null(secret_in(conf, n));
		free(conf);
	}
	nftw(state_dir, scan_entry, 16, FTW_PHYS);
	nftw(backup_dir, scan_entry, 16, FTW_PHYS);
	fprintf(stderr, "secrets: %d files scanned, %d finding(s)\n", files_scanned, leaks);
	/* The journal, a run's log, run.json, status.json and the dump at least. */
	assert_true(files_scanned >= 5);
	assert_int_equal(leaks, 0);
}

/* A state directory others may write to is refused before anything runs. */
static void test_world_writable_state(void **state)
{
	struct testenv_run r;
	struct core_error err = { { 0 } };

	(void)state;
	assert_true(wconf[0] != '\0');
	snprintf(state_dir, sizeof(state_dir), "%s/open-state", te.tmpdir);
	assert_int_equal(mkdir(state_dir, 0700), 0);
	assert_int_equal(chmod(state_dir, 0777), 0);
	{
		const char *argv[] = { wizard, "-c", wconf, "--state-dir", state_dir, "backup", NULL };

		assert_int_equal(testenv_run(argv, NULL, &r, &err), 0);
	}
	check_output("backup", &r);
	if (r.status != 2 || strstr(r.err, "world-writable") == NULL)
		fail_msg("exit %d:\n%s", r.status, r.err);
	testenv_run_done(&r);
	/* Nothing was written into it. */
	{
		char j[4500];

		snprintf(j, sizeof(j), "%s/journal.jsonl", state_dir);
		assert_int_equal(access(j, F_OK), -1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_secret_anywhere),
		cmocka_unit_test(test_world_writable_state),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
