/* Integration tests of the backup (core/core_backup.c) against a Kong
 * Enterprise 0.36 datastore in a private PostgreSQL sandbox, with the real
 * pg_dump and pg_restore of the sandbox's binaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core_backup.h"
#include "core/core_sandbox.h"
#include "tests/support/testenv.h"

#define SECRET "S3cr3t-9f2a"

static struct testenv te;
static char pg_dump[4096];
static char pg_restore[4096];

static int setup(void **state)
{
	struct core_error err = {{0}};

	(void)state;
	if (testenv_start(&te, &err) < 0) {
		fprintf(stderr, "testenv: %s\n", err.msg);
		return -1;
	}
	/* A role whose password is unlike any other string in play, so that
	 * finding it anywhere means it leaked. */
	if (core_sandbox_exec(te.sb, NULL,
			      "CREATE ROLE kuw_backup LOGIN PASSWORD '" SECRET "' IN ROLE kong",
			      &err) < 0) {
		fprintf(stderr, "role: %s\n", err.msg);
		return -1;
	}
	snprintf(pg_dump, sizeof(pg_dump), "%s/pg_dump", core_sandbox_bindir(te.sb));
	snprintf(pg_restore, sizeof(pg_restore), "%s/pg_restore", core_sandbox_bindir(te.sb));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	testenv_stop(&te);
	return 0;
}

struct progress_log {
	long long calls;
	long long last;
	long long estimate;
	int decreased;
	long long cancel_after; /* 0 = never */
};

static int on_progress(void *ctx, long long written, long long estimate)
{
	struct progress_log *l = ctx;

	if (written < l->last)
		l->decreased = 1;
	l->calls++;
	l->last = written;
	l->estimate = estimate;
	return l->cancel_after > 0 && l->calls >= l->cancel_after;
}

/* A fresh ee-0.36 database, connection settings for it and an unused
 * backup directory path (not created). */
static void prepare(struct core_pg_params *p, char *db, size_t dbsize, char *dir, size_t dirsize)
{
	struct core_error err = {{0}};

	if (testenv_create_db(&te, "ee-0.36", NULL, db, dbsize, &err) < 0)
		fail_msg("create db: %s", err.msg);
	memset(p, 0, sizeof(*p));
	p->host = core_sandbox_host(te.sb);
	p->port = core_sandbox_port(te.sb);
	p->user = "kuw_backup";
	p->password = SECRET;
	p->dbname = db;
	snprintf(dir, dirsize, "%s/backups-%d/kong", te.tmpdir, ++te.counter);
}

/* A pg_dump stand-in that records its argv and environment, then runs the
 * real one (or exits with what fail says, when given). */
static void write_wrapper(const char *path, const char *record_dir, const char *fail)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fprintf(f, "#!/bin/sh\nprintf '%%s\\n' \"$@\" > '%s/argv.txt'\nenv > '%s/env.txt'\n",
		record_dir, record_dir);
	if (fail != NULL)
		fprintf(f, "%s\n", fail);
	else
		fprintf(f, "exec '%s' \"$@\"\n", pg_dump);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
}

/* out = a + "/" + b; the test fails rather than truncate. */
static void join(char *out, size_t size, const char *a, const char *b)
{
	int n = snprintf(out, size, "%s/%s", a, b);

	assert_true(n > 0 && (size_t)n < size);
}

static char *slurp(const char *path)
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
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

/* Entries of dir other than finished .dump files; -1 when dir is missing. */
static int leftovers(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (len > 5 && strcmp(e->d_name + len - 5, ".dump") == 0)
			continue;
		n++;
	}
	closedir(d);
	return n;
}

static char *query(const char *db, const char *sql)
{
	struct core_error err = {{0}};
	char *v = testenv_query1(&te, db, sql, &err);

	if (v == NULL)
		fail_msg("query %s: %s", sql, err.msg);
	return v;
}

static void take_ok(const struct core_pg_params *p, const char *dir, const char *dump_prog,
		    struct progress_log *log, struct core_backup_info *info)
{
	struct core_backup_opts o = {0};
	struct core_error err = {{0}};

	o.pg = p;
	o.dir = dir;
	o.pg_dump = dump_prog;
	o.pg_restore = pg_restore;
	o.progress = on_progress;
	o.ctx = log;
	if (core_backup_take(&o, info, &err) < 0)
		fail_msg("backup: %s", err.msg);
}

static void test_take_verify_restore(void **state)
{
	struct core_pg_params p;
	struct core_backup_info info, back;
	struct progress_log log = {0};
	struct core_error err = {{0}};
	struct testenv_run run = {0};
	struct stat st;
	char db[128], dir[4200], wrapper[4400], rec[4400], path[4400], sql[300];
	char *argv_txt = NULL, *env_txt = NULL, *v = NULL, *w = NULL;
	char port[16];
	json_t *j = NULL;

	(void)state;
	prepare(&p, db, sizeof(db), dir, sizeof(dir));
	snprintf(rec, sizeof(rec), "%s/rec-%d", te.tmpdir, ++te.counter);
	assert_int_equal(mkdir(rec, 0700), 0);
	join(wrapper, sizeof(wrapper), rec, "pg_dump");
	write_wrapper(wrapper, rec, NULL);
	/* Would win over the passfile if it reached pg_dump: it must not. */
	setenv("PGPASSWORD", "not-the-password", 1);
	take_ok(&p, dir, wrapper, &log, &info);
	unsetenv("PGPASSWORD");

	/* The file: 0600 in a 0700 directory, nothing else left behind. */
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(stat(info.path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(strncmp(info.path, dir, strlen(dir)), 0);
	assert_non_null(strstr(info.path, db));
	assert_int_equal(leftovers(dir), 0);
	assert_int_equal(info.size, (long long)st.st_size);
	assert_true(info.size > 1000);

	/* SHA-256, recomputed by an independent program. */
	{
		const char *av[] = {"/usr/bin/sha256sum", info.path, NULL};

		assert_int_equal(testenv_run(av, NULL, &run, &err), 0);
		assert_int_equal(run.status, 0);
		assert_int_equal(strncmp(run.out, info.sha256, 64), 0);
		testenv_run_done(&run);
	}
	assert_true(info.verified);
	assert_true(info.tables >= 6);
	assert_true(info.table_data >= 6);
	assert_string_equal(info.schema, "public");

	/* Progress grew and ended at the file's size. */
	assert_true(log.calls >= 2);
	assert_false(log.decreased);
	assert_int_equal(log.last, info.size);
	assert_int_equal(log.estimate, info.estimate);
	assert_true(info.estimate > info.size);

	/* Identity as the server knows it, read by a role that is no superuser. */
	v = query(db, "SELECT system_identifier::text FROM pg_control_system()");
	assert_string_equal(info.id.system_identifier, v);
	free(v);
	v = query(db, "SELECT oid::text FROM pg_database WHERE datname = current_database()");
	assert_int_equal(info.id.database_oid, atoll(v));
	free(v);
	assert_string_equal(info.id.dbname, db);
	assert_string_equal(info.id.host, "127.0.0.1");
	assert_int_equal(info.id.port, core_sandbox_port(te.sb));

	/* The password was in neither argv nor the environment of pg_dump. */
	join(path, sizeof(path), rec, "argv.txt");
	argv_txt = slurp(path);
	assert_non_null(argv_txt);
	assert_non_null(strstr(argv_txt, "--username\nkuw_backup\n"));
	assert_null(strstr(argv_txt, SECRET));
	join(path, sizeof(path), rec, "env.txt");
	env_txt = slurp(path);
	assert_non_null(env_txt);
	assert_null(strstr(env_txt, SECRET));
	assert_null(strstr(env_txt, "PGPASSWORD="));
	assert_non_null(strstr(env_txt, "PGPASSFILE=/dev/fd/3\n"));

	/* pg_restore lists schema_meta. */
	{
		const char *av[] = {pg_restore, "--list", info.path, NULL};

		assert_int_equal(testenv_run(av, NULL, &run, &err), 0);
		assert_int_equal(run.status, 0);
		assert_non_null(strstr(run.out, " TABLE public schema_meta "));
		assert_non_null(strstr(run.out, " TABLE DATA public services "));
		testenv_run_done(&run);
	}

	/* It really holds the data: restore into an empty database and compare. */
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s_restored OWNER kong", db);
	assert_int_equal(core_sandbox_exec(te.sb, NULL, sql, &err), 0);
	snprintf(sql, sizeof(sql), "%s_restored", db);
	snprintf(port, sizeof(port), "%d", core_sandbox_port(te.sb));
	{
		const char *av[] = {pg_restore, "--exit-on-error",
				    "-h",       core_sandbox_dir(te.sb),
				    "-p",       port,
				    "-U",       core_sandbox_superuser(te.sb),
				    "-d",       sql,
				    info.path,  NULL};

		assert_int_equal(testenv_run(av, NULL, &run, &err), 0);
		if (run.status != 0)
			fail_msg("pg_restore: %s", run.err);
		testenv_run_done(&run);
	}
	v = query(db, "SELECT count(*) FROM services");
	w = query(sql, "SELECT count(*) FROM services");
	assert_true(atoi(v) > 0);
	assert_string_equal(v, w);
	free(v);
	free(w);
	v = query(db, "SELECT string_agg(subsystem || ':' || last_executed, ',' ORDER BY "
		      "subsystem) FROM schema_meta");
	w = query(sql, "SELECT string_agg(subsystem || ':' || last_executed, ',' ORDER BY "
		       "subsystem) FROM schema_meta");
	assert_string_equal(v, w);
	free(v);
	free(w);

	/* The journal's record reads back as it was written. */
	j = core_backup_info_json(&info);
	assert_non_null(j);
	assert_int_equal(core_backup_info_from_json(j, &back, &err), 0);
	assert_string_equal(back.id.system_identifier, info.id.system_identifier);
	assert_string_equal(back.id.dbname, info.id.dbname);
	assert_string_equal(back.id.host, info.id.host);
	assert_int_equal(back.id.port, info.id.port);
	assert_int_equal(back.id.database_oid, info.id.database_oid);
	assert_string_equal(back.path, info.path);
	assert_string_equal(back.sha256, info.sha256);
	assert_string_equal(back.schema, info.schema);
	assert_int_equal(back.size, info.size);
	assert_int_equal(back.time_ms, info.time_ms);
	assert_int_equal(back.estimate, info.estimate);
	assert_int_equal(back.verified, info.verified);
	assert_int_equal(back.tables, info.tables);
	assert_int_equal(back.table_data, info.table_data);
	json_decref(j);
	free(argv_txt);
	free(env_txt);
}

static void test_wrong_password(void **state)
{
	struct core_pg_params p;
	struct core_backup_opts o = {0};
	struct core_backup_info info;
	struct core_error err = {{0}};
	char db[128], dir[4200];

	(void)state;
	prepare(&p, db, sizeof(db), dir, sizeof(dir));
	p.password = "Wr0ng-pass-77";
	o.pg = &p;
	o.dir = dir;
	o.pg_dump = pg_dump;
	o.pg_restore = pg_restore;
	assert_int_equal(core_backup_take(&o, &info, &err), -1);
	assert_non_null(strstr(err.msg, "password authentication failed"));
	assert_non_null(strstr(err.msg, "kuw_backup"));
	assert_null(strstr(err.msg, "Wr0ng-pass-77"));
	assert_true(leftovers(dir) <= 0);
}

/* Where an administrator revoked pg_control_system() (managed services do),
 * the identity is still read, without the system identifier, and the
 * backup is taken and verified as usual. */
static void test_identity_without_system_identifier(void **state)
{
	struct core_pg_params p;
	struct core_backup_info info;
	struct progress_log log = {0};
	struct core_error err = {{0}};
	char db[128], dir[4200];
	char *v;

	(void)state;
	prepare(&p, db, sizeof(db), dir, sizeof(dir));
	if (core_sandbox_exec(te.sb, db,
			      "REVOKE EXECUTE ON FUNCTION pg_catalog.pg_control_system() FROM PUBLIC",
			      &err) < 0)
		fail_msg("revoke: %s", err.msg);
	take_ok(&p, dir, pg_dump, &log, &info);
	assert_true(info.verified);
	assert_string_equal(info.id.system_identifier, "");
	assert_string_equal(info.id.dbname, db);
	v = query(db, "SELECT oid::text FROM pg_database WHERE datname = current_database()");
	assert_int_equal(info.id.database_oid, atoll(v));
	free(v);
	assert_string_equal(info.id.host, "127.0.0.1");
	assert_int_equal(info.id.port, core_sandbox_port(te.sb));
}

/* pg_dump fails after writing part of an archive: its message is reported
 * (the password masked, had it ever appeared) and nothing is left. */
static void test_dump_fails(void **state)
{
	struct core_pg_params p;
	struct core_backup_opts o = {0};
	struct core_backup_info info;
	struct core_error err = {{0}};
	char db[128], dir[4200], rec[4400], wrapper[4400];

	(void)state;
	prepare(&p, db, sizeof(db), dir, sizeof(dir));
	snprintf(rec, sizeof(rec), "%s/rec-%d", te.tmpdir, ++te.counter);
	assert_int_equal(mkdir(rec, 0700), 0);
	join(wrapper, sizeof(wrapper), rec, "pg_dump");
	write_wrapper(wrapper, rec,
		      "printf 'PGDMP-partial'; echo 'pg_dump: error: query failed: boom "
		      "(" SECRET ")' >&2; exit 1");
	o.pg = &p;
	o.dir = dir;
	o.pg_dump = wrapper;
	o.pg_restore = pg_restore;
	assert_int_equal(core_backup_take(&o, &info, &err), -1);
	assert_non_null(strstr(err.msg, "exit status 1"));
	assert_non_null(strstr(err.msg, "query failed: boom"));
	assert_null(strstr(err.msg, SECRET));
	assert_int_equal(leftovers(dir), 0);
	assert_false(info.verified);
}

/* An archive without the rows (here: --schema-only slipped in) is refused. */
static void test_schema_only_refused(void **state)
{
	struct core_pg_params p;
	struct core_backup_opts o = {0};
	struct core_backup_info info;
	struct core_error err = {{0}};
	char db[128], dir[4200], rec[4400], wrapper[4400], line[4600];

	(void)state;
	prepare(&p, db, sizeof(db), dir, sizeof(dir));
	snprintf(rec, sizeof(rec), "%s/rec-%d", te.tmpdir, ++te.counter);
	assert_int_equal(mkdir(rec, 0700), 0);
	join(wrapper, sizeof(wrapper), rec, "pg_dump");
	snprintf(line, sizeof(line), "exec '%s' --schema-only \"$@\"", pg_dump);
	write_wrapper(wrapper, rec, line);
	o.pg = &p;
	o.dir = dir;
	o.pg_dump = wrapper;
	o.pg_restore = pg_restore;
	assert_int_equal(core_backup_take(&o, &info, &err), -1);
	assert_non_null(strstr(err.msg, "holds no data for public.schema_meta"));
	assert_int_equal(leftovers(dir), 0);
}

static void test_no_space(void **state)
{
	struct core_pg_params p;
	struct core_backup_opts o = {0};
	struct core_backup_info info;
	struct core_error err = {{0}};
	char db[128], dir[4200], rec[4400], wrapper[4400], argv_txt[4400];

	(void)state;
	prepare(&p, db, sizeof(db), dir, sizeof(dir));
	snprintf(rec, sizeof(rec), "%s/rec-%d", te.tmpdir, ++te.counter);
	assert_int_equal(mkdir(rec, 0700), 0);
	join(wrapper, sizeof(wrapper), rec, "pg_dump");
	write_wrapper(wrapper, rec, NULL);
	o.pg = &p;
	o.dir = dir;
	o.pg_dump = wrapper;
	o.pg_restore = pg_restore;
	o.test_free_bytes = 3LL << 20;
	assert_int_equal(core_backup_take(&o, &info, &err), -1);
	assert_non_null(strstr(err.msg, "not enough free space"));
	assert_non_null(strstr(err.msg, "3 MB free in"));
	/* pg_dump never ran, and nothing was written. */
	join(argv_txt, sizeof(argv_txt), rec, "argv.txt");
	assert_int_equal(access(argv_txt, F_OK), -1);
	assert_int_equal(leftovers(dir), 0);

	/* Enough (the same hook) and it goes through: the check is what refused. */
	o.test_free_bytes = 1LL << 40;
	if (core_backup_take(&o, &info, &err) < 0)
		fail_msg("backup: %s", err.msg);
	assert_int_equal(access(argv_txt, F_OK), 0);
}

static void test_cancel(void **state)
{
	struct core_pg_params p;
	struct core_backup_opts o = {0};
	struct core_backup_info info;
	struct progress_log log = {0};
	struct core_error err = {{0}};
	char db[128], dir[4200];

	(void)state;
	prepare(&p, db, sizeof(db), dir, sizeof(dir));
	log.cancel_after = 1;
	o.pg = &p;
	o.dir = dir;
	o.pg_dump = pg_dump;
	o.pg_restore = pg_restore;
	o.progress = on_progress;
	o.ctx = &log;
	assert_int_equal(core_backup_take(&o, &info, &err), -1);
	assert_string_equal(err.msg, "backup cancelled");
	assert_int_equal(log.calls, 1);
	assert_int_equal(leftovers(dir), 0);
}

static void test_directory_rules(void **state)
{
	struct core_pg_params p;
	struct core_backup_opts o = {0};
	struct core_backup_info info;
	struct core_error err = {{0}};
	char db[128], dir[4200];

	(void)state;
	prepare(&p, db, sizeof(db), dir, sizeof(dir));
	*strrchr(dir, '/') = '\0';
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(chmod(dir, 0777), 0);
	o.pg = &p;
	o.dir = dir;
	o.pg_dump = pg_dump;
	o.pg_restore = pg_restore;
	assert_int_equal(core_backup_take(&o, &info, &err), -1);
	assert_non_null(strstr(err.msg, "is mode 0777; it must be 0700"));
	assert_int_equal(leftovers(dir), 0);
}

static void copy_truncated(const char *from, const char *to, long long size)
{
	char *buf = NULL;
	FILE *in = fopen(from, "rb");
	FILE *out = fopen(to, "wb");

	assert_non_null(in);
	assert_non_null(out);
	buf = malloc((size_t)size);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)size, in), (size_t)size);
	assert_int_equal(fwrite(buf, 1, (size_t)size, out), (size_t)size);
	fclose(in);
	fclose(out);
	free(buf);
}

static void test_verify_detects_damage(void **state)
{
	static const char *const want_more[] = {"schema_meta", "workspaces", "no_such_table", NULL};
	struct core_pg_params p;
	struct core_backup_info info, v, second;
	struct core_backup_opts o = {0};
	struct core_error err = {{0}};
	char db[128], dir[4200], bad[4400];

	(void)state;
	prepare(&p, db, sizeof(db), dir, sizeof(dir));
	o.pg = &p;
	o.dir = dir;
	o.pg_dump = pg_dump;
	o.pg_restore = pg_restore;
	o.now_ms = 1700000000000LL;
	if (core_backup_take(&o, &info, &err) < 0)
		fail_msg("backup: %s", err.msg);
	assert_non_null(strstr(info.path, "-20231114T221320Z.dump"));
	/* Same second, frozen clock: a second name, the first file untouched. */
	if (core_backup_take(&o, &second, &err) < 0)
		fail_msg("backup: %s", err.msg);
	assert_non_null(strstr(second.path, "-20231114T221320Z-2.dump"));

	/* The intact file verifies on its own. */
	memset(&v, 0, sizeof(v));
	assert_int_equal(core_backup_verify(info.path, pg_restore, "public", NULL, &v, &err), 0);
	assert_true(v.verified);
	assert_string_equal(v.sha256, info.sha256);

	/* A table the archive lacks is named. */
	assert_int_equal(core_backup_verify(info.path, pg_restore, "public", want_more, &v, &err),
			 -1);
	assert_non_null(strstr(err.msg, "missing table(s) no_such_table in schema 'public'"));
	assert_false(v.verified);

	/* Another schema holds none of it. */
	assert_int_equal(core_backup_verify(info.path, pg_restore, "kong", NULL, &v, &err), -1);
	assert_non_null(strstr(err.msg, "schema_meta, services, routes, consumers, plugins"));

	/* Cut in half: the table of contents survives, the data does not. */
	snprintf(bad, sizeof(bad), "%s/half.dump", te.tmpdir);
	copy_truncated(info.path, bad, info.size / 2);
	assert_int_equal(core_backup_verify(bad, pg_restore, "public", NULL, &v, &err), -1);
	assert_non_null(strstr(err.msg, "is damaged"));
	assert_false(v.verified);
	assert_int_equal(v.size, info.size / 2);

	/* Cut to its first bytes: not an archive any more. */
	copy_truncated(info.path, bad, 100);
	assert_int_equal(core_backup_verify(bad, pg_restore, "public", NULL, &v, &err), -1);
	assert_non_null(strstr(err.msg, "not a readable archive"));
	unlink(bad);
}

static void test_fresh_rules(void **state)
{
	const long long h = 3600000LL, now = 1700000000000LL;
	struct core_backup_info b = {0};
	struct core_backup_identity cur = {0};
	char why[300];

	(void)state;
	snprintf(b.path, sizeof(b.path), "/backups/kong-x.dump");
	snprintf(b.id.system_identifier, sizeof(b.id.system_identifier), "7301234567890123456");
	snprintf(b.id.dbname, sizeof(b.id.dbname), "kong");
	snprintf(b.id.host, sizeof(b.id.host), "db1");
	b.id.port = 5432;
	b.id.database_oid = 16384;
	b.verified = true;
	b.time_ms = now - 2 * h;
	cur = b.id;

	assert_true(core_backup_fresh(&b, &cur, 24 * h, now, why, sizeof(why)));
	assert_string_equal(why, "taken 2 h ago, verified");
	/* Same cluster by its identifier, however the host is spelled. */
	snprintf(cur.host, sizeof(cur.host), "10.0.0.5");
	assert_true(core_backup_fresh(&b, &cur, 24 * h, now, why, sizeof(why)));

	b.time_ms = now - 26 * h;
	assert_false(core_backup_fresh(&b, &cur, 24 * h, now, why, sizeof(why)));
	assert_string_equal(why, "taken 26 h ago; maximum 24 h");
	b.time_ms = now - 24 * h;
	assert_true(core_backup_fresh(&b, &cur, 24 * h, now, why, sizeof(why)));
	b.time_ms = now + 2 * h;
	assert_false(core_backup_fresh(&b, &cur, 24 * h, now, why, sizeof(why)));
	assert_non_null(strstr(why, "future"));
	b.time_ms = now - 2 * h;

	b.verified = false;
	assert_false(core_backup_fresh(&b, &cur, 24 * h, now, why, sizeof(why)));
	assert_non_null(strstr(why, "not verified"));
	b.verified = true;

	snprintf(cur.dbname, sizeof(cur.dbname), "kong2");
	assert_false(core_backup_fresh(&b, &cur, 24 * h, now, why, sizeof(why)));
	assert_string_equal(why, "backup is of database 'kong', not 'kong2'");
	snprintf(cur.dbname, sizeof(cur.dbname), "kong");

	snprintf(cur.system_identifier, sizeof(cur.system_identifier), "7309999999999999999");
	assert_false(core_backup_fresh(&b, &cur, 24 * h, now, why, sizeof(why)));
	assert_non_null(strstr(why, "another PostgreSQL cluster"));

	/* Identifier unreadable: host and port must then match. */
	cur.system_identifier[0] = '\0';
	assert_false(core_backup_fresh(&b, &cur, 24 * h, now, why, sizeof(why)));
	assert_non_null(strstr(why, "taken from db1:5432"));
	snprintf(cur.host, sizeof(cur.host), "db1");
	assert_true(core_backup_fresh(&b, &cur, 24 * h, now, why, sizeof(why)));
	cur.port = 5433;
	assert_false(core_backup_fresh(&b, &cur, 24 * h, now, NULL, 0));
	cur = b.id;

	cur.database_oid = 16999;
	assert_false(core_backup_fresh(&b, &cur, 24 * h, now, why, sizeof(why)));
	assert_non_null(strstr(why, "re-created"));
}

static void test_json_rejects(void **state)
{
	struct core_backup_info b = {0}, back;
	struct core_error err = {{0}};
	json_t *j = NULL;

	(void)state;
	snprintf(b.path, sizeof(b.path), "/b/kong.dump");
	memset(b.sha256, 'a', 64);
	snprintf(b.id.dbname, sizeof(b.id.dbname), "kong");
	j = core_backup_info_json(&b);
	assert_non_null(j);
	assert_true(json_is_null(json_object_get(j, "system_identifier")));
	assert_int_equal(core_backup_info_from_json(j, &back, &err), 0);
	assert_string_equal(back.id.system_identifier, "");

	json_object_set_new(j, "sha256", json_string("abc"));
	assert_int_equal(core_backup_info_from_json(j, &back, &err), -1);
	assert_non_null(strstr(err.msg, "sha256"));
	json_object_del(j, "size");
	assert_int_equal(core_backup_info_from_json(j, &back, &err), -1);
	assert_non_null(strstr(err.msg, "'size'"));
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fresh_rules),
	    cmocka_unit_test(test_json_rejects),
	    cmocka_unit_test(test_take_verify_restore),
	    cmocka_unit_test(test_wrong_password),
	    cmocka_unit_test(test_identity_without_system_identifier),
	    cmocka_unit_test(test_dump_fails),
	    cmocka_unit_test(test_schema_only_refused),
	    cmocka_unit_test(test_no_space),
	    cmocka_unit_test(test_cancel),
	    cmocka_unit_test(test_directory_rules),
	    cmocka_unit_test(test_verify_detects_damage),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
