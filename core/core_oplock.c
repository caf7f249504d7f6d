#include "core/core_oplock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_pg.h"

/* The bigint key as advisory locks store it: classid = high 32 bits, objid =
 * low 32 bits, objsubid = 1 (pg_locks documentation). */
#define KEY_TEXT "5426642144286169649" /* CORE_OPLOCK_KEY in decimal */

int core_oplock_holder(PGconn *conn, struct core_oplock_holder *h, struct core_error *err)
{
	static const char sql[] =
		"SELECT a.pid, coalesce(a.client_hostname, host(a.client_addr), 'local'), "
		"coalesce(a.usename::text, ''), coalesce(a.application_name, ''), "
		"coalesce(to_char(a.backend_start AT TIME ZONE 'UTC', "
		"'YYYY-MM-DD HH24:MI:SS \"UTC\"'), '') "
		"FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
		"WHERE l.locktype = 'advisory' AND l.granted AND l.database = "
		"(SELECT oid FROM pg_database WHERE datname = current_database()) "
		"AND l.objsubid = 1 "
		"AND ((l.classid::bigint << 32) | l.objid::bigint) = $1::bigint "
		"AND a.pid <> pg_backend_pid() LIMIT 1";
	const char *params[1] = { KEY_TEXT };
	PGresult *res = PQexecParams(conn, sql, 1, NULL, params, NULL, NULL, 0);

	memset(h, 0, sizeof(*h));
	if (core_pg_check(conn, res, "looking up the wizard lock's holder", err) < 0)
		return -1;
	if (PQntuples(res) == 1) {
		h->found = true;
		h->pid = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
		snprintf(h->host, sizeof(h->host), "%s", PQgetvalue(res, 0, 1));
		snprintf(h->user, sizeof(h->user), "%s", PQgetvalue(res, 0, 2));
		snprintf(h->application, sizeof(h->application), "%s", PQgetvalue(res, 0, 3));
		snprintf(h->since, sizeof(h->since), "%s", PQgetvalue(res, 0, 4));
	}
	PQclear(res);
	return 0;
}

int core_oplock_try(PGconn *conn, struct core_oplock_holder *h, struct core_error *err)
{
	const char *params[1] = { KEY_TEXT };
	PGresult *res = PQexecParams(conn, "SELECT pg_try_advisory_lock($1::bigint)", 1, NULL, params,
				     NULL, NULL, 0);
	int taken;

	memset(h, 0, sizeof(*h));
	if (core_pg_check(conn, res, "taking the wizard lock", err) < 0)
		return -1;
	taken = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	if (taken)
		return 1;
	return core_oplock_holder(conn, h, err) < 0 ? -1 : 0;
}

int core_oplock_release(PGconn *conn, struct core_error *err)
{
	const char *params[1] = { KEY_TEXT };
	PGresult *res = PQexecParams(conn, "SELECT pg_advisory_unlock($1::bigint)", 1, NULL, params,
				     NULL, NULL, 0);

	if (core_pg_check(conn, res, "releasing the wizard lock", err) < 0)
		return -1;
	PQclear(res);
	return 0;
}

void core_oplock_describe(const struct core_oplock_holder *h, char *buf, size_t size)
{
	if (!h->found) {
		snprintf(buf, size, "held by another session (its details are not visible to this "
				    "user)");
		return;
	}
	snprintf(buf, size, "held by %s as user '%s' from %s since %s (backend pid %d)",
		 h->application[0] != '\0' ? h->application : "an unnamed client", h->user, h->host,
		 h->since, h->pid);
}
