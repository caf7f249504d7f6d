/* testenv.c — the shared environment of integration tests: one sandbox, Kong
 * datastores copied from once-loaded templates, kong.conf files, and running
 * a program with its output captured. */
#include "tests/support/testenv.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "core/core_exec.h"
#include "core/core_sandbox.h"
#include "tests/support/fixtures.h"


static int testenv_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static void testenv_notice_ignore(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static void testenv_trim(char *buf, size_t size, const char *msg)
{
	size_t len = 0;

	snprintf(buf, size, "%s", msg != NULL ? msg : "");
	len = strlen(buf);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
}

/* A superuser connection over the unix socket, or NULL with err. */
static PGconn *testenv_connect(struct testenv *te, const char *dbname, struct core_error *err)
{
	char portstr[16];
	char msg[800];
	const char *const keys[] = {"host", "port", "user", "dbname", "connect_timeout", NULL};
	const char *const vals[] = {
	    core_sandbox_dir(te->sb), portstr, core_sandbox_superuser(te->sb), dbname, "10", NULL};
	PGconn *conn = NULL;

	snprintf(portstr, sizeof(portstr), "%d", core_sandbox_port(te->sb));
	conn = PQconnectdbParams(keys, vals, 0);
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
		testenv_trim(msg, sizeof(msg),
			     conn != NULL ? PQerrorMessage(conn) : "out of memory");
		core_error_set(err, "connecting to %s in the sandbox: %s", dbname, msg);
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeProcessor(conn, testenv_notice_ignore, NULL);
	return conn;
}

/* Runs one command on conn; 0 or -1 with err. */
static int testenv_command(PGconn *conn, const char *sql, struct core_error *err)
{
	char msg[800];
	PGresult *res = NULL;
	int rc = -1;

	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
		testenv_trim(msg, sizeof(msg), PQerrorMessage(conn));
		core_error_set(err, "%s: %s", sql, msg);
		goto out;
	}
	rc = 0;
out:
	PQclear(res);
	return rc;
}

/* Lower-case letters and digits kept, anything else becomes '_'. */
static void testenv_sanitize(char *out, size_t size, const char *in)
{
	size_t o = 0;

	for (; *in != '\0' && o + 1 < size; in++)
		out[o++] = isalnum((unsigned char)*in) ? (char)tolower((unsigned char)*in) : '_';
	out[o] = '\0';
}

int testenv_start(struct testenv *te, struct core_error *err)
{
	const char *sim = getenv("KUW_KONG_SIM");
	struct core_sandbox_options opt = {0};
	int rc = -1;

	memset(te, 0, sizeof(*te));
	if (sim != NULL)
		snprintf(te->kong_sim, sizeof(te->kong_sim), "%s", sim);
	if (core_sandbox_start(&opt, &te->sb, err) < 0)
		goto out;
	if (core_sandbox_exec(te->sb, NULL, "CREATE ROLE kong LOGIN PASSWORD 'kong' CREATEDB",
			      err) < 0)
		goto out;
	snprintf(te->tmpdir, sizeof(te->tmpdir), "/tmp/kuw-test-XXXXXX");
	if (mkdtemp(te->tmpdir) == NULL) {
		core_error_errno(err, errno, "creating a scratch directory in /tmp");
		te->tmpdir[0] = '\0';
		goto out;
	}
	if (chmod(te->tmpdir, 0755) != 0) {
		core_error_errno(err, errno, "chmod %s", te->tmpdir);
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		testenv_stop(te);
	return rc;
}

void testenv_stop(struct testenv *te)
{
	core_sandbox_stop(te->sb);
	te->sb = NULL;
	if (te->tmpdir[0] != '\0') {
		nftw(te->tmpdir, testenv_rm_entry, 32, FTW_DEPTH | FTW_PHYS);
		rmdir(te->tmpdir);
		te->tmpdir[0] = '\0';
	}
}

/* 1 if the database exists, 0 if not, -1 with err. */
static int testenv_db_exists(PGconn *conn, const char *name, struct core_error *err)
{
	const char *params[] = {name};
	PGresult *res = NULL;
	char msg[800];
	int rc = -1;

	res = PQexecParams(conn, "SELECT 1 FROM pg_database WHERE datname = $1", 1, NULL, params,
			   NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		testenv_trim(msg, sizeof(msg), PQerrorMessage(conn));
		core_error_set(err, "looking up database %s: %s", name, msg);
		goto out;
	}
	rc = PQntuples(res) > 0;
out:
	PQclear(res);
	return rc;
}

/* Creates the schema owned by kong in database tpl (closing its connection). */
static int testenv_create_schema(struct testenv *te, const char *tpl, const char *schema,
				 struct core_error *err)
{
	char sql[512];
	PGconn *conn = NULL;
	char *id = NULL;
	int rc = -1;

	conn = testenv_connect(te, tpl, err);
	if (conn == NULL)
		goto out;
	id = PQescapeIdentifier(conn, schema, strlen(schema));
	if (id == NULL) {
		core_error_set(err, "escaping schema name %s", schema);
		goto out;
	}
	snprintf(sql, sizeof(sql), "CREATE SCHEMA %s AUTHORIZATION kong", id);
	if (testenv_command(conn, sql, err) < 0)
		goto out;
	rc = 0;
out:
	PQfreemem(id);
	PQfinish(conn);
	return rc;
}

/* Creates and loads template tpl unless it exists. conn is on "postgres". */
static int testenv_ensure_template(struct testenv *te, PGconn *conn, const char *tpl,
				   const char *fixture, const char *schema, struct core_error *err)
{
	struct fixture_target t;
	char sql[512];
	int exists = 0;
	int created = 0;
	int rc = -1;

	exists = testenv_db_exists(conn, tpl, err);
	if (exists != 0) {
		rc = exists < 0 ? -1 : 0;
		goto out;
	}
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s OWNER kong", tpl);
	if (testenv_command(conn, sql, err) < 0)
		goto out;
	created = 1;
	if (schema != NULL && testenv_create_schema(te, tpl, schema, err) < 0)
		goto out;
	memset(&t, 0, sizeof(t));
	t.host = core_sandbox_host(te->sb);
	t.port = core_sandbox_port(te->sb);
	t.user = "kong";
	t.password = "kong";
	t.dbname = tpl;
	t.schema = schema;
	t.kong_sim = te->kong_sim;
	t.workdir = te->tmpdir;
	if (fixture_load(fixture, &t, 1, err) < 0) {
		core_error_prefix(err, "loading fixture %s into %s", fixture, tpl);
		goto out;
	}
	rc = 0;
out:
	if (rc < 0 && created) {
		/* A half-loaded template must not be reused by the next call. */
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", tpl);
		PQclear(PQexec(conn, sql));
	}
	return rc;
}

int testenv_create_db(struct testenv *te, const char *fixture, const char *schema, char *dbname,
		      size_t dbname_size, struct core_error *err)
{
	char fx[64];
	char sc[64];
	char tpl[160];
	char name[160];
	char sql[512];
	PGconn *conn = NULL;
	int rc = -1;

	testenv_sanitize(fx, sizeof(fx), fixture);
	testenv_sanitize(sc, sizeof(sc), schema != NULL ? schema : "");
	if (schema != NULL)
		snprintf(tpl, sizeof(tpl), "tpl_%s_%s", fx, sc);
	else
		snprintf(tpl, sizeof(tpl), "tpl_%s", fx);
	snprintf(name, sizeof(name), "t_%s_%d", fx, te->counter++);
	if (strlen(tpl) > 63 || strlen(name) > 63) {
		core_error_set(err, "database name %s too long", strlen(tpl) > 63 ? tpl : name);
		goto out;
	}
	if (strlen(name) >= dbname_size) {
		core_error_set(err, "buffer too small for database name %s", name);
		goto out;
	}
	conn = testenv_connect(te, "postgres", err);
	if (conn == NULL)
		goto out;
	if (testenv_ensure_template(te, conn, tpl, fixture, schema, err) < 0)
		goto out;
	/* Names are [a-z0-9_] only, so they need no quoting. CREATE DATABASE waits
	 * a few seconds for the fixture loader's sessions on tpl to end. */
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s TEMPLATE %s OWNER kong", name, tpl);
	if (testenv_command(conn, sql, err) < 0)
		goto out;
	snprintf(dbname, dbname_size, "%s", name);
	rc = 0;
out:
	PQfinish(conn);
	return rc;
}

int testenv_write_kongconf(struct testenv *te, const char *dbname, const char *extra, char *path,
			   size_t path_size, struct core_error *err)
{
	char file[4200];
	FILE *f = NULL;
	int fd = -1;
	int rc = -1;

	snprintf(file, sizeof(file), "%s/kong-%d.conf", te->tmpdir, te->counter++);
	if (strlen(file) >= path_size) {
		core_error_set(err, "buffer too small for path %s", file);
		goto out;
	}
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		core_error_errno(err, errno, "creating %s", file);
		goto out;
	}
	f = fdopen(fd, "w");
	if (f == NULL) {
		core_error_errno(err, errno, "fdopen %s", file);
		goto out;
	}
	fd = -1;
	fprintf(f,
		"pg_host = %s\n"
		"pg_port = %d\n"
		"pg_user = kong\n"
		"pg_password = kong\n"
		"pg_database = %s\n",
		core_sandbox_host(te->sb), core_sandbox_port(te->sb), dbname);
	if (extra != NULL) {
		size_t len = strlen(extra);

		fputs(extra, f);
		if (len > 0 && extra[len - 1] != '\n')
			fputc('\n', f);
	}
	if (ferror(f) != 0) {
		core_error_set(err, "writing %s", file);
		goto out;
	}
	rc = 0;
out:
	if (f != NULL && fclose(f) != 0 && rc == 0)
		rc = core_error_errno(err, errno, "writing %s", file);
	if (fd >= 0)
		close(fd);
	if (rc == 0)
		snprintf(path, path_size, "%s", file);
	return rc;
}

int testenv_run(const char *const *argv, const char *const *env_extra, struct testenv_run *run,
		struct core_error *err)
{
	struct core_exec_result res;

	memset(run, 0, sizeof(*run));
	if (core_exec_capture(argv, env_extra, 0, 0, &res, err) < 0)
		return -1;
	run->status = res.status;
	run->out = res.out;
	run->err = res.err;
	return 0;
}

void testenv_run_done(struct testenv_run *run)
{
	if (run == NULL)
		return;
	free(run->out);
	free(run->err);
	run->out = NULL;
	run->err = NULL;
}

char *testenv_query1(struct testenv *te, const char *dbname, const char *sql,
		     struct core_error *err)
{
	char msg[800];
	PGconn *conn = NULL;
	PGresult *res = NULL;
	char *value = NULL;

	conn = testenv_connect(te, dbname != NULL ? dbname : "postgres", err);
	if (conn == NULL)
		goto out;
	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		testenv_trim(msg, sizeof(msg), PQerrorMessage(conn));
		core_error_set(err, "%s: %s", sql, msg);
		goto out;
	}
	if (PQntuples(res) < 1 || PQnfields(res) < 1) {
		core_error_set(err, "%s: no rows", sql);
		goto out;
	}
	value = strdup(PQgetisnull(res, 0, 0) ? "(null)" : PQgetvalue(res, 0, 0));
	if (value == NULL)
		core_error_set(err, "out of memory");
out:
	PQclear(res);
	PQfinish(conn);
	return value;
}

void testenv_figure(const char *kind, const char *name, const char *event)
{
	const char *dir = getenv("KUW_FIGURES_DIR");
	char path[4200], clean[700], line[1024];
	size_t i;
	int fd, len;

	if (dir == NULL || dir[0] == '\0')
		return;
	snprintf(clean, sizeof(clean), "%s", name);
	for (i = 0; clean[i] != '\0'; i++)
		if (clean[i] == '\t' || clean[i] == '\n' || clean[i] == '\r')
			clean[i] = ' ';
	len = snprintf(line, sizeof(line), "%.60s\t%s\t%.200s\n", kind, clean, event);
	if (len < 0 || (size_t)len >= sizeof(line))
		return;
	snprintf(path, sizeof(path), "%s/figures.tsv", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (write(fd, line, (size_t)len) != len)
		fprintf(stderr, "testenv: cannot record a figure in %s\n", path);
	close(fd);
}
