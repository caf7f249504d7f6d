/* test_sandbox.c — the PostgreSQL sandbox and the test environment helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/core_sandbox.h"
#include "tests/support/testenv.h"

#define DEADLINE_MS 30000

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nap_ms(long ms)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000};

	nanosleep(&ts, NULL);
}

static int path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static int pid_alive(pid_t pid)
{
	return kill(pid, 0) == 0 || errno != ESRCH;
}

/* Waits until pid is gone and dir does not exist, reaping orphans that were
 * reparented to us (we are a child subreaper). 0 on success. */
static int wait_gone(pid_t pid, const char *dir)
{
	long deadline = now_ms() + DEADLINE_MS;

	while (now_ms() < deadline) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (!pid_alive(pid) && !path_exists(dir))
			return 0;
		nap_ms(20);
	}
	return -1;
}

static pid_t postmaster_pid(const char *dir)
{
	char path[4200];
	FILE *f = NULL;
	long pid = -1;

	snprintf(path, sizeof(path), "%s/data/postmaster.pid", dir);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = -1;
	fclose(f);
	return (pid_t)pid;
}

static PGconn *connect_to(const char *host, int port, const char *user, const char *password)
{
	char portstr[16];
	const char *const keys[] = {"host", "port", "user", "password", "dbname", NULL};
	const char *const vals[] = {host, portstr, user, password, "postgres", NULL};

	snprintf(portstr, sizeof(portstr), "%d", port);
	return PQconnectdbParams(keys, vals, 0);
}

/* First column of the first row of sql over the unix socket as superuser. */
static char *query1(struct core_sandbox *sb, const char *sql)
{
	PGconn *conn = NULL;
	PGresult *res = NULL;
	char *v = NULL;

	conn = connect_to(core_sandbox_dir(sb), core_sandbox_port(sb), core_sandbox_superuser(sb),
			  NULL);
	if (PQstatus(conn) != CONNECTION_OK)
		goto out;
	res = PQexec(conn, sql);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0)
		v = strdup(PQgetvalue(res, 0, 0));
out:
	PQclear(res);
	PQfinish(conn);
	return v;
}

static int group_setup(void **state)
{
	struct core_sandbox *sb = NULL;
	struct core_error err = {{0}};

	if (core_sandbox_start(NULL, &sb, &err) < 0) {
		print_error("sandbox: %s\n", err.msg);
		return -1;
	}
	if (core_sandbox_exec(sb, NULL, "CREATE ROLE kong LOGIN PASSWORD 'kong'", &err) < 0) {
		print_error("sandbox: %s\n", err.msg);
		core_sandbox_stop(sb);
		return -1;
	}
	*state = sb;
	return 0;
}

static int group_teardown(void **state)
{
	core_sandbox_stop(*state);
	return 0;
}

static void test_accessors(void **state)
{
	struct core_sandbox *sb = *state;
	char path[4200];

	assert_string_equal(core_sandbox_host(sb), "127.0.0.1");
	assert_string_equal(core_sandbox_superuser(sb), "postgres");
	assert_true(core_sandbox_port(sb) > 0 && core_sandbox_port(sb) < 65536);
	assert_true(path_exists(core_sandbox_dir(sb)));
	snprintf(path, sizeof(path), "%s/postgres", core_sandbox_bindir(sb));
	assert_int_equal(access(path, X_OK), 0);
}

static void test_tcp_password(void **state)
{
	struct core_sandbox *sb = *state;
	PGconn *conn = NULL;

	conn = connect_to("127.0.0.1", core_sandbox_port(sb), "kong", "kong");
	assert_int_equal(PQstatus(conn), CONNECTION_OK);
	PQfinish(conn);

	conn = connect_to("127.0.0.1", core_sandbox_port(sb), "kong", "wrong");
	assert_int_not_equal(PQstatus(conn), CONNECTION_OK);
	assert_non_null(strstr(PQerrorMessage(conn), "password authentication failed"));
	PQfinish(conn);

	/* Trust is for the socket only: the superuser without password over TCP fails. */
	conn = connect_to("127.0.0.1", core_sandbox_port(sb), "postgres", NULL);
	assert_int_not_equal(PQstatus(conn), CONNECTION_OK);
	PQfinish(conn);
}

static void test_socket_superuser(void **state)
{
	struct core_sandbox *sb = *state;
	char *v = NULL;
	char want[16];

	v = query1(sb, "SELECT current_user");
	assert_non_null(v);
	assert_string_equal(v, "postgres");
	free(v);
	v = query1(sb, "SHOW port");
	assert_non_null(v);
	snprintf(want, sizeof(want), "%d", core_sandbox_port(sb));
	assert_string_equal(v, want);
	free(v);
}

static void test_exec(void **state)
{
	struct core_sandbox *sb = *state;
	struct core_error err = {{0}};
	char *v = NULL;

	assert_int_equal(core_sandbox_exec(sb, NULL,
					   "CREATE TABLE t_exec (id int); "
					   "INSERT INTO t_exec VALUES (1), (2), (3)",
					   &err),
			 0);
	v = query1(sb, "SELECT count(*) FROM t_exec");
	assert_non_null(v);
	assert_string_equal(v, "3");
	free(v);

	assert_int_equal(core_sandbox_exec(sb, NULL, "SELEC 1", &err), -1);
	assert_non_null(strstr(err.msg, "syntax error"));

	assert_int_equal(core_sandbox_exec(sb, "no_such_db", "SELECT 1", &err), -1);
	assert_non_null(strstr(err.msg, "no_such_db"));
}

static void check_restart(struct core_sandbox *sb, int immediate, const char *table)
{
	struct core_error err = {{0}};
	char sql[256];
	pid_t before = -1;
	pid_t after = -1;
	char *v = NULL;

	snprintf(sql, sizeof(sql), "CREATE TABLE %s (id int); INSERT INTO %s VALUES (42)", table,
		 table);
	assert_int_equal(core_sandbox_exec(sb, NULL, sql, &err), 0);
	before = postmaster_pid(core_sandbox_dir(sb));
	assert_true(before > 0);
	if (core_sandbox_restart(sb, immediate, &err) < 0)
		fail_msg("restart: %s", err.msg);
	after = postmaster_pid(core_sandbox_dir(sb));
	assert_true(after > 0);
	assert_int_not_equal(before, after);
	assert_false(pid_alive(before));
	snprintf(sql, sizeof(sql), "SELECT id FROM %s", table);
	v = query1(sb, sql);
	assert_non_null(v);
	assert_string_equal(v, "42");
	free(v);
}

static void test_restart_fast(void **state)
{
	check_restart(*state, 0, "t_fast");
}

static void test_restart_immediate(void **state)
{
	check_restart(*state, 1, "t_immediate");
}

static void test_restart_after_crash(void **state)
{
	struct core_sandbox *sb = *state;
	struct core_error err = {{0}};
	pid_t pm = postmaster_pid(core_sandbox_dir(sb));
	char *v = NULL;

	/* The server dies behind our back; restart must still bring it up. */
	assert_true(pm > 0);
	assert_int_equal(kill(pm, SIGKILL), 0);
	if (core_sandbox_restart(sb, 0, &err) < 0)
		fail_msg("restart: %s", err.msg);
	v = query1(sb, "SELECT 1");
	assert_non_null(v);
	free(v);
}

/* The parent of a process, from /proc. */
static pid_t parent_of(pid_t pid)
{
	char path[64];
	char line[512];
	char *p = NULL;
	FILE *f = NULL;
	long ppid = -1;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	if (fgets(line, sizeof(line), f) != NULL) {
		p = strrchr(line, ')');
		if (p == NULL || sscanf(p + 1, " %*c %ld", &ppid) != 1)
			ppid = -1;
	}
	fclose(f);
	return (pid_t)ppid;
}

/* Ctrl-C and friends aimed at the guardian must not make it skip cleanup:
 * it survives them and still serves a restart. */
static void test_guardian_ignores_signals(void **state)
{
	struct core_sandbox *sb = *state;
	struct core_error err = {{0}};
	pid_t guardian = parent_of(postmaster_pid(core_sandbox_dir(sb)));
	pid_t pm = -1;

	assert_true(guardian > 1);
	assert_int_not_equal(getpgid(guardian), getpgid(0));
	assert_int_equal(kill(guardian, SIGINT), 0);
	assert_int_equal(kill(guardian, SIGTERM), 0);
	assert_int_equal(kill(guardian, SIGHUP), 0);
	if (core_sandbox_restart(sb, 0, &err) < 0)
		fail_msg("restart: %s", err.msg);
	pm = postmaster_pid(core_sandbox_dir(sb));
	assert_int_equal(parent_of(pm), guardian);
}

static void test_stop_removes_everything(void **state)
{
	struct core_sandbox *sb = NULL;
	struct core_error err = {{0}};
	char dir[4200];
	pid_t pm = -1;

	(void)state;
	if (core_sandbox_start(NULL, &sb, &err) < 0)
		fail_msg("start: %s", err.msg);
	snprintf(dir, sizeof(dir), "%s", core_sandbox_dir(sb));
	pm = postmaster_pid(dir);
	assert_true(pm > 0);
	core_sandbox_stop(sb);
	/* stop waits for the guardian, so everything is gone right now. */
	assert_false(path_exists(dir));
	assert_false(pid_alive(pm));
	core_sandbox_stop(NULL);
}

static void test_bad_bindir(void **state)
{
	struct core_sandbox *sb = NULL;
	struct core_error err = {{0}};
	struct core_sandbox_options opt = {.bindir = "/nonexistent/bin"};

	(void)state;
	assert_int_equal(core_sandbox_start(&opt, &sb, &err), -1);
	assert_null(sb);
	assert_non_null(strstr(err.msg, "/nonexistent/bin"));
}

/* As root the server runs as postgres; a parent directory postgres cannot
 * enter makes initdb fail: the error says so and nothing is left behind. */
static void test_failed_start_cleans_up(void **state)
{
	struct core_sandbox *sb = NULL;
	struct core_error err = {{0}};
	struct core_sandbox_options opt = {0};
	char parent[] = "/tmp/kuw-sbtest-XXXXXX";

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_non_null(mkdtemp(parent));
	assert_int_equal(chmod(parent, 0700), 0);
	opt.parent_dir = parent;
	assert_int_equal(core_sandbox_start(&opt, &sb, &err), -1);
	assert_null(sb);
	assert_non_null(strstr(err.msg, "initdb"));
	assert_int_equal(rmdir(parent), 0);
}

/* A server that dies while starting: the error carries the tail of its log,
 * and the directory is removed. The fake bindir has the real initdb (which
 * finds its own postgres through the symlink) and a postgres that fails. */
static void test_server_exit_reports_log(void **state)
{
	struct core_sandbox *sb = *state;
	struct core_sandbox *bad = NULL;
	struct core_error err = {{0}};
	struct core_sandbox_options opt = {0};
	char bin[] = "/tmp/kuw-sbbin-XXXXXX";
	char parent[] = "/tmp/kuw-sbtest-XXXXXX";
	char path[4200];
	char real[4200];
	FILE *f = NULL;

	assert_non_null(mkdtemp(bin));
	assert_non_null(mkdtemp(parent));
	assert_int_equal(chmod(bin, 0755), 0);
	assert_int_equal(chmod(parent, 0755), 0);
	snprintf(real, sizeof(real), "%s/initdb", core_sandbox_bindir(sb));
	snprintf(path, sizeof(path), "%s/initdb", bin);
	assert_int_equal(symlink(real, path), 0);
	snprintf(path, sizeof(path), "%s/postgres", bin);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("#!/bin/sh\necho 'line one'\necho 'FATAL:  fake server refuses to start'\nexit 1\n",
	      f);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);

	opt.bindir = bin;
	opt.parent_dir = parent;
	assert_int_equal(core_sandbox_start(&opt, &bad, &err), -1);
	assert_null(bad);
	assert_non_null(strstr(err.msg, "exited while starting"));
	assert_non_null(strstr(err.msg, "fake server refuses to start"));
	assert_int_equal(rmdir(parent), 0);
	unlink(path);
	snprintf(path, sizeof(path), "%s/initdb", bin);
	unlink(path);
	assert_int_equal(rmdir(bin), 0);
}

/* A child starts a sandbox and a long-lived program (which must not keep the
 * sandbox alive: the guardian's socket is close-on-exec), reports the
 * directory and both pids, then dies without stopping the sandbox (by _exit
 * or by SIGKILL from us). */
static void check_caller_crash(int sigkill)
{
	int p[2] = {-1, -1};
	char buf[4400];
	size_t len = 0;
	int lines = 0;
	char dir[4200];
	long pm = -1;
	long sleeper = -1;
	pid_t child = -1;
	int st = 0;

	assert_int_equal(pipe(p), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct core_sandbox *sb = NULL;
		struct core_error err = {{0}};
		pid_t sl = -1;

		close(p[0]);
		if (core_sandbox_start(NULL, &sb, &err) < 0)
			_exit(2);
		sl = fork();
		if (sl == 0) {
			execl("/bin/sleep", "sleep", "600", (char *)NULL);
			_exit(127);
		}
		dprintf(p[1], "%s\n%ld\n%ld\n", core_sandbox_dir(sb),
			(long)postmaster_pid(core_sandbox_dir(sb)), (long)sl);
		if (sigkill) {
			for (;;)
				pause();
		}
		_exit(0);
	}
	close(p[1]);
	while (lines < 3 && len + 1 < sizeof(buf)) {
		ssize_t r = read(p[0], buf + len, sizeof(buf) - 1 - len);

		if (r <= 0)
			break;
		for (ssize_t k = 0; k < r; k++)
			lines += buf[len + (size_t)k] == '\n';
		len += (size_t)r;
	}
	buf[len] = '\0';
	close(p[0]);
	if (sigkill)
		kill(child, SIGKILL);
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_int_equal(sscanf(buf, "%4199s %ld %ld", dir, &pm, &sleeper), 3);
	assert_true(pm > 0);
	assert_true(sleeper > 0);
	assert_true(path_exists(dir));
	if (wait_gone((pid_t)pm, dir) < 0) {
		kill((pid_t)sleeper, SIGKILL);
		fail_msg("postmaster %ld or %s still there after the caller died", pm, dir);
	}
	assert_true(pid_alive((pid_t)sleeper));
	kill((pid_t)sleeper, SIGKILL);
	/* Orphaned by the dead child, the sleeper was reparented to us. */
	assert_int_equal(waitpid((pid_t)sleeper, NULL, 0), (pid_t)sleeper);
}

static void test_caller_exit(void **state)
{
	(void)state;
	check_caller_crash(0);
}

static void test_caller_sigkill(void **state)
{
	(void)state;
	check_caller_crash(1);
}

static void test_run_captures(void **state)
{
	const char *argv[] = {"/bin/sh", "-c", "echo out; echo err >&2; exit 3", NULL};
	const char *env_argv[] = {"/bin/sh", "-c", "echo \"$KUW_T\"", NULL};
	const char *env[] = {"KUW_T=forty two", NULL};
	const char *sig_argv[] = {"/bin/sh", "-c", "kill -TERM $$", NULL};
	const char *stdin_argv[] = {"/bin/cat", NULL};
	struct testenv_run run;
	struct core_error err = {{0}};

	(void)state;
	assert_int_equal(testenv_run(argv, NULL, &run, &err), 0);
	assert_int_equal(run.status, 3);
	assert_string_equal(run.out, "out\n");
	assert_string_equal(run.err, "err\n");
	testenv_run_done(&run);

	setenv("KUW_T", "old", 1);
	assert_int_equal(testenv_run(env_argv, env, &run, &err), 0);
	assert_string_equal(run.out, "forty two\n");
	testenv_run_done(&run);
	unsetenv("KUW_T");

	assert_int_equal(testenv_run(sig_argv, NULL, &run, &err), 0);
	assert_int_equal(run.status, 128 + SIGTERM);
	testenv_run_done(&run);

	assert_int_equal(testenv_run(stdin_argv, NULL, &run, &err), 0);
	assert_int_equal(run.status, 0);
	assert_string_equal(run.out, "");
	testenv_run_done(&run);
}

static void test_run_large_output(void **state)
{
	/* stderr first: a reader that waits for stdout's EOF first deadlocks. */
	const char *argv[] = {"/bin/sh", "-c",
			      "head -c 1048576 /dev/zero | tr '\\000' e >&2; "
			      "head -c 1048576 /dev/zero | tr '\\000' o",
			      NULL};
	struct testenv_run run;
	struct core_error err = {{0}};

	(void)state;
	assert_int_equal(testenv_run(argv, NULL, &run, &err), 0);
	assert_int_equal(run.status, 0);
	assert_int_equal(strlen(run.out), 1048576);
	assert_int_equal(strlen(run.err), 1048576);
	assert_int_equal(strspn(run.out, "o"), 1048576);
	assert_int_equal(strspn(run.err, "e"), 1048576);
	testenv_run_done(&run);
}

static void test_run_missing_program(void **state)
{
	const char *argv[] = {"/nonexistent/program", NULL};
	struct testenv_run run;
	struct core_error err = {{0}};

	(void)state;
	assert_int_equal(testenv_run(argv, NULL, &run, &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent/program"));
	assert_null(run.out);
}

static void test_testenv(void **state)
{
	struct testenv te;
	struct core_error err = {{0}};
	char path[4200];
	char tmpdir[4200];
	char expect[512];
	char text[1024];
	struct stat st;
	FILE *f = NULL;
	size_t n = 0;
	char *v = NULL;
	PGconn *conn = NULL;

	(void)state;
	if (testenv_start(&te, &err) < 0)
		fail_msg("testenv_start: %s", err.msg);
	snprintf(tmpdir, sizeof(tmpdir), "%s", te.tmpdir);
	assert_int_equal(stat(tmpdir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0755);

	v = testenv_query1(&te, NULL, "SELECT rolcreatedb FROM pg_roles WHERE rolname = 'kong'",
			   &err);
	assert_non_null(v);
	assert_string_equal(v, "t");
	free(v);
	v = testenv_query1(&te, "postgres", "SELECT NULL", &err);
	assert_non_null(v);
	assert_string_equal(v, "(null)");
	free(v);
	assert_null(testenv_query1(&te, "postgres", "SELECT * FROM no_such_table", &err));
	assert_non_null(strstr(err.msg, "no_such_table"));

	conn = connect_to(core_sandbox_host(te.sb), core_sandbox_port(te.sb), "kong", "kong");
	assert_int_equal(PQstatus(conn), CONNECTION_OK);
	PQfinish(conn);

	assert_int_equal(
	    testenv_write_kongconf(&te, "kdb", "pg_schema = s1", path, sizeof(path), &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	snprintf(expect, sizeof(expect),
		 "pg_host = 127.0.0.1\npg_port = %d\npg_user = kong\npg_password = kong\n"
		 "pg_database = kdb\npg_schema = s1\n",
		 core_sandbox_port(te.sb));
	assert_string_equal(text, expect);

	testenv_stop(&te);
	assert_false(path_exists(tmpdir));
}

/* More listen addresses and client networks (for clients in network
 * namespaces; here 127.0.0.2, which needs none). Only numeric addresses and
 * networks reach the files; an address the server cannot bind is reported. */
static void test_listen_more(void **state)
{
	static const char *const addrs[] = {"127.0.0.2", NULL};
	static const char *const nets[] = {"10.213.255.0/28", "fd00:213::/64", NULL};
	static const char *const bad_addrs[][2] = {
	    {"127.0.0.3'\nlisten_addresses = '*", NULL}, {"localhost", NULL}, {"", NULL}};
	static const char *const bad_nets[][2] = {{"10.0.0.0/33", NULL},
						  {"10.0.0.1", NULL},
						  {"host.example/24", NULL},
						  {"10.0.0.0/8 trust", NULL},
						  {"10.0.0.0/", NULL}};
	static const char *const unbindable[] = {"198.51.100.7", NULL};
	struct core_sandbox *sb = NULL;
	struct core_error err = {{0}};
	PGconn *conn = NULL;
	char *v = NULL;
	size_t i;

	(void)state;
	if (core_sandbox_start(NULL, &sb, &err) < 0)
		fail_msg("sandbox: %s", err.msg);
	assert_int_equal(
	    core_sandbox_exec(sb, NULL, "CREATE ROLE kong LOGIN PASSWORD 'kong'", &err), 0);
	for (i = 0; i < sizeof(bad_addrs) / sizeof(bad_addrs[0]); i++) {
		assert_int_equal(core_sandbox_listen(sb, bad_addrs[i], NULL, &err), -1);
		assert_non_null(strstr(err.msg, "is not a numeric IP address"));
	}
	for (i = 0; i < sizeof(bad_nets) / sizeof(bad_nets[0]); i++) {
		assert_int_equal(core_sandbox_listen(sb, addrs, bad_nets[i], &err), -1);
		assert_non_null(strstr(err.msg, "is not a network"));
	}
	v = query1(sb, "SHOW listen_addresses");
	assert_non_null(v);
	assert_string_equal(v, "127.0.0.1");
	free(v);

	if (core_sandbox_listen(sb, addrs, nets, &err) < 0)
		fail_msg("listen: %s", err.msg);
	v = query1(sb, "SHOW listen_addresses");
	assert_non_null(v);
	assert_string_equal(v, "127.0.0.1,127.0.0.2");
	free(v);
	v = query1(sb,
		   "SELECT count(*) FROM pg_hba_file_rules WHERE type = 'host' AND "
		   "auth_method = 'scram-sha-256' AND address IN ('10.213.255.0', 'fd00:213::') "
		   "AND netmask IN ('255.255.255.240', 'ffff:ffff:ffff:ffff::')");
	assert_non_null(v);
	assert_string_equal(v, "2");
	free(v);
	/* Password authentication on the new address; 127.0.0.1 still works. */
	conn = connect_to("127.0.0.2", core_sandbox_port(sb), "kong", "kong");
	assert_int_equal(PQstatus(conn), CONNECTION_OK);
	PQfinish(conn);
	conn = connect_to("127.0.0.2", core_sandbox_port(sb), "kong", "wrong");
	assert_int_not_equal(PQstatus(conn), CONNECTION_OK);
	PQfinish(conn);
	conn = connect_to("127.0.0.1", core_sandbox_port(sb), "kong", "kong");
	assert_int_equal(PQstatus(conn), CONNECTION_OK);
	PQfinish(conn);

	/* Not an address of this machine: the server only warns; we do not. */
	assert_int_equal(core_sandbox_listen(sb, unbindable, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "does not accept connections on 198.51.100.7"));
	core_sandbox_stop(sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accessors),
	    cmocka_unit_test(test_tcp_password),
	    cmocka_unit_test(test_socket_superuser),
	    cmocka_unit_test(test_exec),
	    cmocka_unit_test(test_restart_fast),
	    cmocka_unit_test(test_restart_immediate),
	    cmocka_unit_test(test_restart_after_crash),
	    cmocka_unit_test(test_listen_more),
	    cmocka_unit_test(test_guardian_ignores_signals),
	    cmocka_unit_test(test_stop_removes_everything),
	    cmocka_unit_test(test_bad_bindir),
	    cmocka_unit_test(test_failed_start_cleans_up),
	    cmocka_unit_test(test_server_exit_reports_log),
	    cmocka_unit_test(test_caller_exit),
	    cmocka_unit_test(test_caller_sigkill),
	    cmocka_unit_test(test_run_captures),
	    cmocka_unit_test(test_run_large_output),
	    cmocka_unit_test(test_run_missing_program),
	    cmocka_unit_test(test_testenv),
	};

	/* Guardians orphaned by the crash tests are reparented to us, so that
	 * the tests can reap them and nothing outlives the test program. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
