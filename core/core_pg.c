#include "core/core_pg.h"

#include <stdio.h>
#include <string.h>

/* libpq would print notices on stderr, which curses owns. */
static void core_pg_on_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* libpq messages end with a newline and may span lines; keep the first. */
static void core_pg_first_line(const char *msg, char *out, size_t size)
{
	size_t n = strcspn(msg, "\n");

	if (n >= size)
		n = size - 1;
	memcpy(out, msg, n);
	out[n] = '\0';
}

int core_pg_connect(const struct core_pg_params *p, PGconn **out, struct core_error *err)
{
	const char *keys[16];
	const char *vals[16];
	char port[16];
	char timeout[16];
	char options[600];
	char reason[512];
	PGconn *conn = NULL;
	int n = 0;

	*out = NULL;
	snprintf(port, sizeof(port), "%d", p->port);
	snprintf(timeout, sizeof(timeout), "%d", p->connect_timeout_s > 0 ? p->connect_timeout_s : 10);
	if (p->schema != NULL && strpbrk(p->schema, " \\\"'") != NULL)
		return core_error_set(err, "pg_schema '%s' contains characters a schema name "
					   "cannot be given with here", p->schema);
	snprintf(options, sizeof(options), "-c TimeZone=UTC%s%s",
		 p->schema != NULL ? " -c search_path=" : "", p->schema != NULL ? p->schema : "");

	keys[n] = "host", vals[n++] = p->host;
	keys[n] = "port", vals[n++] = port;
	keys[n] = "user", vals[n++] = p->user;
	keys[n] = "dbname", vals[n++] = p->dbname;
	keys[n] = "connect_timeout", vals[n++] = timeout;
	keys[n] = "options", vals[n++] = options;
	keys[n] = "application_name",
	vals[n++] = p->application_name != NULL ? p->application_name : "kong-upgrade-wizard";
	/* Kong (pgmoon) does not try TLS unless pg_ssl is on: neither do we, and
	 * "prefer" would cost a round trip on every connection. */
	keys[n] = "sslmode", vals[n++] = p->ssl_verify ? "verify-full" : p->ssl ? "require" : "disable";
	if (p->ssl_verify && p->ssl_root_cert != NULL)
		keys[n] = "sslrootcert", vals[n++] = p->ssl_root_cert;
	if (p->password != NULL)
		keys[n] = "password", vals[n++] = p->password;
	keys[n] = NULL, vals[n] = NULL;

	conn = PQconnectdbParams(keys, vals, 0);
	if (conn == NULL)
		return core_error_set(err, "out of memory connecting to PostgreSQL");
	if (PQstatus(conn) != CONNECTION_OK) {
		core_pg_first_line(PQerrorMessage(conn), reason, sizeof(reason));
		core_error_set(err, "cannot connect to PostgreSQL at %s:%d, database '%s', user '%s': %s",
			       p->host, p->port, p->dbname, p->user, reason);
		PQfinish(conn);
		return -1;
	}
	PQsetNoticeProcessor(conn, core_pg_on_notice, NULL);
	*out = conn;
	return 0;
}

void core_pg_close(PGconn *conn)
{
	PQfinish(conn);
}

const char *core_pg_where(PGconn *conn)
{
	static _Thread_local char buf[512];

	snprintf(buf, sizeof(buf), "%s:%s/%s", PQhost(conn), PQport(conn), PQdb(conn));
	return buf;
}

int core_pg_check(PGconn *conn, PGresult *res, const char *what, struct core_error *err)
{
	char reason[512];
	ExecStatusType st = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;

	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return 0;
	core_pg_first_line(res != NULL ? PQresultErrorMessage(res) : PQerrorMessage(conn), reason,
			   sizeof(reason));
	PQclear(res);
	return core_error_set(err, "%s on %s failed: %s", what, core_pg_where(conn), reason);
}
