/* fixtures.c — realistic Kong datastores: the schema from kong-sim, the
 * content SQL from tests/fixtures/. */
#include "tests/support/fixtures.h"

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "core/core_exec.h"

#ifndef KUW_FIXTURE_DIR
#error "KUW_FIXTURE_DIR must name the directory of the content SQL"
#endif


enum fixture_step_kind {
	FIXTURE_STEP_END = 0,
	FIXTURE_STEP_SIM,     /* kong-sim migrations <command> as <version> */
	FIXTURE_STEP_CONTENT, /* the fixture's content SQL files */
};

struct fixture_step {
	enum fixture_step_kind kind;
	const char *command; /* "bootstrap", "up", "finish" */
	const char *version; /* KONG_SIM_VERSION */
};

#define FIXTURE_MAX_STEPS 6
#define FIXTURE_MAX_FILES 3

struct fixture_def {
	const char *name;
	const char *files[FIXTURE_MAX_FILES]; /* NULL-terminated */
	struct fixture_step steps[FIXTURE_MAX_STEPS];
};

#define SIM(cmd, ver) { FIXTURE_STEP_SIM, (cmd), (ver) }
#define CONTENT { FIXTURE_STEP_CONTENT, NULL, NULL }

/* Each history bootstraps at an older release and then runs up and finish,
 * so that schema_meta records the order in which a real upgrade executed the
 * migrations (reference kong-migrations.md §2.1). */
static const struct fixture_def fixture_defs[] = {
	{ "ee-0.36", { "content-ce.sql", "content-ee.sql", NULL },
	  { SIM("bootstrap", "ee-0.35"), SIM("up", "ee-0.36"), SIM("finish", "ee-0.36"), CONTENT } },
	{ "ee-0.36-up-done", { "content-ce.sql", "content-ee.sql", NULL },
	  { SIM("bootstrap", "ee-0.35"), SIM("up", "ee-0.36"), SIM("finish", "ee-0.36"), CONTENT,
	    SIM("up", "ee-1.3") } },
	{ "ee-0.35", { "content-ce.sql", "content-ee.sql", NULL },
	  { SIM("bootstrap", "ee-0.35"), CONTENT } },
	{ "ce-1.3", { "content-ce.sql", NULL },
	  { SIM("bootstrap", "ce-1.2"), SIM("up", "ce-1.3"), SIM("finish", "ce-1.3"), CONTENT } },
	{ "ce-1.2", { "content-ce.sql", NULL },
	  { SIM("bootstrap", "ce-1.1"), SIM("up", "ce-1.2"), SIM("finish", "ce-1.2"), CONTENT } },
	{ "ce-1.1", { "content-ce.sql", NULL },
	  { SIM("bootstrap", "ce-1.0"), SIM("up", "ce-1.1"), SIM("finish", "ce-1.1"), CONTENT } },
	{ "empty", { NULL }, { { FIXTURE_STEP_END, NULL, NULL } } },
};

#define FIXTURE_COUNT (sizeof(fixture_defs) / sizeof(fixture_defs[0]))

/* Child output kept for the error message; the tail is what explains. */
#define FIXTURE_OUTPUT_MAX 65536
#define FIXTURE_OUTPUT_TAIL 600

const char *const *fixture_names(void)
{
	static const char *names[FIXTURE_COUNT + 1];
	size_t i;

	for (i = 0; i < FIXTURE_COUNT; i++)
		names[i] = fixture_defs[i].name;
	names[FIXTURE_COUNT] = NULL;
	return names;
}

static const struct fixture_def *fixture_find(const char *name)
{
	size_t i;

	for (i = 0; i < FIXTURE_COUNT; i++) {
		if (strcmp(fixture_defs[i].name, name) == 0)
			return &fixture_defs[i];
	}
	return NULL;
}

/* Writes one `key = value` line in kong.conf syntax: '#' is escaped, and
 * values that the format cannot carry (newlines, a trailing backslash) are
 * refused. */
static int fixture_conf_line(FILE *f, const char *key, const char *value, struct core_error *err)
{
	const char *p;
	size_t len = strlen(value);

	if (strpbrk(value, "\r\n") != NULL || (len > 0 && value[len - 1] == '\\'))
		return core_error_set(err, "%s cannot be written to a kong.conf", key);
	if (fprintf(f, "%s = ", key) < 0)
		return core_error_errno(err, errno, "writing kong.conf");
	for (p = value; *p != '\0'; p++) {
		if (*p == '#' && fputc('\\', f) == EOF)
			return core_error_errno(err, errno, "writing kong.conf");
		if (fputc(*p, f) == EOF)
			return core_error_errno(err, errno, "writing kong.conf");
	}
	if (fputc('\n', f) == EOF)
		return core_error_errno(err, errno, "writing kong.conf");
	return 0;
}

/* Creates a 0600 kong.conf for the target in t->workdir; path receives its
 * name (the caller unlinks it). */
static int fixture_write_conf(const struct fixture_target *t, char *path, size_t path_size,
			      struct core_error *err)
{
	char port[16];
	FILE *f = NULL;
	int fd = -1;
	int rc = -1;

	if ((size_t)snprintf(path, path_size, "%s/kuw-fixture-XXXXXX.conf", t->workdir) >= path_size) {
		path[0] = '\0';
		return core_error_set(err, "workdir path too long: %s", t->workdir);
	}
	fd = mkstemps(path, 5);
	if (fd < 0) {
		rc = core_error_errno(err, errno, "creating %s", path);
		path[0] = '\0';
		goto out;
	}
	f = fdopen(fd, "w");
	if (f == NULL) {
		rc = core_error_errno(err, errno, "opening %s", path);
		goto out;
	}
	fd = -1;
	snprintf(port, sizeof(port), "%d", t->port);
	if (fixture_conf_line(f, "database", "postgres", err) < 0 ||
	    fixture_conf_line(f, "pg_host", t->host, err) < 0 ||
	    fixture_conf_line(f, "pg_port", port, err) < 0 ||
	    fixture_conf_line(f, "pg_user", t->user, err) < 0 ||
	    fixture_conf_line(f, "pg_database", t->dbname, err) < 0)
		goto out;
	if (t->password != NULL && fixture_conf_line(f, "pg_password", t->password, err) < 0)
		goto out;
	if (t->schema != NULL && fixture_conf_line(f, "pg_schema", t->schema, err) < 0)
		goto out;
	rc = 0;
out:
	if (f != NULL && fclose(f) != 0 && rc == 0)
		rc = core_error_errno(err, errno, "writing %s", path);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Runs `<kong_sim> migrations <command> -c <conf>` as the given version with
 * stdin from /dev/null and the output captured; fails unless it exits 0. The
 * KONG_PG_* and KONG_DATABASE variables of our environment are dropped: Kong
 * reads them over the file, so an operator's shell could otherwise point the
 * load at another database. */
static int fixture_run_sim(const struct fixture_target *t, const struct fixture_step *step,
			   const char *conf, struct core_error *err)
{
	const char *argv[] = { t->kong_sim, "migrations", step->command, "-c", conf, NULL };
	const char *env[] = { "KONG_PG_*", "KONG_DATABASE", NULL, NULL };
	struct core_exec_result res = { 0 };
	char version[128];
	const char *tail;
	int rc = -1;

	snprintf(version, sizeof(version), "KONG_SIM_VERSION=%s", step->version);
	env[2] = version;
	if (core_exec_capture(argv, env, 0, FIXTURE_OUTPUT_MAX, &res, err) < 0)
		return -1;
	if (res.status == 0) {
		rc = 0;
		goto out;
	}
	tail = res.err_len > 0 ? res.err : res.out;
	if (strlen(tail) > FIXTURE_OUTPUT_TAIL)
		tail += strlen(tail) - FIXTURE_OUTPUT_TAIL;
	core_error_set(err, "%s migrations %s (KONG_SIM_VERSION=%s) exited with %d: %s", t->kong_sim,
		       step->command, step->version, res.status, tail);
out:
	core_exec_result_done(&res);
	return rc;
}

/* Reads a whole file into a new NUL-terminated string (caller frees). */
static char *fixture_read_file(const char *path, struct core_error *err)
{
	char *buf = NULL;
	char *result = NULL;
	FILE *f = NULL;
	long size;

	f = fopen(path, "r");
	if (f == NULL) {
		core_error_errno(err, errno, "opening %s", path);
		goto out;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		core_error_errno(err, errno, "reading %s", path);
		goto out;
	}
	buf = malloc((size_t)size + 1);
	if (buf == NULL) {
		core_error_set(err, "out of memory reading %s", path);
		goto out;
	}
	if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
		core_error_set(err, "short read on %s", path);
		goto out;
	}
	buf[size] = '\0';
	result = buf;
	buf = NULL;
out:
	if (f != NULL)
		fclose(f);
	free(buf);
	return result;
}

static void fixture_notice_ignore(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* Runs one parameterised statement that returns nothing of interest. */
static int fixture_exec_param(PGconn *conn, const char *sql, const char *param, struct core_error *err)
{
	PGresult *res = NULL;
	int rc = 0;

	res = PQexecParams(conn, sql, 1, NULL, &param, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = core_error_set(err, "%s: %s", sql, PQerrorMessage(conn));
	PQclear(res);
	return rc;
}

/* Connects to the target with the session settings Kong uses (schema, UTC)
 * and the scale setting the content SQL reads. NULL on error. */
static PGconn *fixture_connect(const struct fixture_target *t, int scale, struct core_error *err)
{
	/* libpq skips a NULL value, so a missing password is simply not sent. */
	const char *keys[] = { "host", "port", "user", "dbname", "application_name",
			       "connect_timeout", "password", NULL };
	const char *values[] = { t->host, NULL, t->user, t->dbname, "kuw-fixtures", "10",
				 t->password, NULL };
	const char *schema = t->schema != NULL ? t->schema : "public";
	char port[16];
	char scale_text[16];
	char *ident = NULL;
	PGconn *conn = NULL;
	PGconn *result = NULL;

	snprintf(port, sizeof(port), "%d", t->port);
	snprintf(scale_text, sizeof(scale_text), "%d", scale);
	values[1] = port;
	conn = PQconnectdbParams(keys, values, 0);
	if (conn == NULL) {
		core_error_set(err, "out of memory connecting to %s:%d", t->host, t->port);
		goto out;
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		core_error_set(err, "connecting to %s:%d/%s as %s: %s", t->host, t->port, t->dbname,
			       t->user, PQerrorMessage(conn));
		goto out;
	}
	PQsetNoticeProcessor(conn, fixture_notice_ignore, NULL);
	ident = PQescapeIdentifier(conn, schema, strlen(schema));
	if (ident == NULL) {
		core_error_set(err, "escaping schema name: %s", PQerrorMessage(conn));
		goto out;
	}
	if (fixture_exec_param(conn, "SELECT set_config('search_path', $1, false)", ident, err) < 0 ||
	    fixture_exec_param(conn, "SELECT set_config('TimeZone', $1, false)", "UTC", err) < 0 ||
	    fixture_exec_param(conn, "SELECT set_config('client_min_messages', $1, false)", "warning",
			       err) < 0 ||
	    fixture_exec_param(conn, "SELECT set_config('kuw.scale', $1, false)", scale_text, err) < 0)
		goto out;
	result = conn;
	conn = NULL;
out:
	PQfreemem(ident);
	PQfinish(conn);
	return result;
}

/* Loads the content SQL files of def; each file runs as one transaction. */
static int fixture_load_content(const struct fixture_def *def, const struct fixture_target *t,
				int scale, struct core_error *err)
{
	char path[4096];
	char *sql = NULL;
	PGconn *conn = NULL;
	PGresult *res = NULL;
	size_t i;
	int rc = -1;

	conn = fixture_connect(t, scale, err);
	if (conn == NULL)
		goto out;
	for (i = 0; def->files[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", KUW_FIXTURE_DIR, def->files[i]);
		free(sql);
		sql = fixture_read_file(path, err);
		if (sql == NULL)
			goto out;
		res = PQexec(conn, sql);
		if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
			core_error_set(err, "loading %s into %s: %s", path, t->dbname,
				       PQerrorMessage(conn));
			goto out;
		}
		PQclear(res);
		res = NULL;
	}
	rc = 0;
out:
	PQclear(res);
	PQfinish(conn);
	free(sql);
	return rc;
}

int fixture_load(const char *name, const struct fixture_target *t, int scale, struct core_error *err)
{
	const struct fixture_def *def = NULL;
	const struct fixture_step *step;
	char conf[4096] = "";
	int rc = -1;

	def = name != NULL ? fixture_find(name) : NULL;
	if (def == NULL)
		return core_error_set(err, "unknown fixture '%s'", name != NULL ? name : "(null)");
	if (scale < 1)
		return core_error_set(err, "fixture %s: scale must be at least 1, not %d", name, scale);
	if (t->host == NULL || t->user == NULL || t->dbname == NULL)
		return core_error_set(err, "fixture %s: host, user and dbname are required", name);
	if (def->steps[0].kind == FIXTURE_STEP_END)
		return 0;
	if (t->kong_sim == NULL || t->workdir == NULL)
		return core_error_set(err, "fixture %s: kong_sim and workdir are required", name);
	if (fixture_write_conf(t, conf, sizeof(conf), err) < 0)
		goto out;
	for (step = def->steps; step->kind != FIXTURE_STEP_END; step++) {
		if (step->kind == FIXTURE_STEP_SIM)
			rc = fixture_run_sim(t, step, conf, err);
		else
			rc = fixture_load_content(def, t, scale, err);
		if (rc < 0)
			goto out;
	}
	rc = 0;
out:
	if (conf[0] != '\0')
		unlink(conf);
	if (rc < 0)
		core_error_prefix(err, "fixture %s", name);
	return rc;
}
