/* core_pg.h — the one module that talks libpq for the wizard.
 *
 * Connections are made from explicit parameters (main reads kong.conf and
 * fills them; libpq's own environment and ~/.pgpass still apply for what is
 * not given). Session settings Kong uses — search_path from pg_schema and
 * TimeZone UTC (reference kong-migrations.md §2.2) — travel in the startup
 * packet, so they cost no round trip. libpq notices never reach the
 * terminal. The password is never part of any message. */
#ifndef CORE_PG_H
#define CORE_PG_H

#include <stdbool.h>

#include <libpq-fe.h>

#include "core/core_error.h"

struct core_pg_params {
	const char *host;	      /* pg_host */
	int port;		      /* pg_port */
	const char *user;	      /* pg_user */
	const char *password;	      /* pg_password; NULL = libpq's .pgpass / PGPASSWORD */
	const char *dbname;	      /* pg_database */
	const char *schema;	      /* pg_schema; NULL = the server's search_path */
	bool ssl;		      /* pg_ssl: sslmode=require */
	bool ssl_verify;	      /* pg_ssl_verify: sslmode=verify-full */
	const char *ssl_root_cert;    /* lua_ssl_trusted_certificate, for verify-full */
	int connect_timeout_s;	      /* 0 = 10 s */
	const char *application_name; /* who is connected, e.g. "kong-upgrade-wizard (alice)" */
};

/* Connects. On failure err says where ("PostgreSQL at HOST:PORT, database
 * 'D', user 'U'") and libpq's reason; the password is never shown. *out is
 * owned by the caller (PQfinish). */
int core_pg_connect(const struct core_pg_params *p, PGconn **out, struct core_error *err);

/* Closes a connection from core_pg_connect; NULL is a no-op. */
void core_pg_close(PGconn *conn);

/* "host:port/dbname" of a connection, for messages (static buffer per thread). */
const char *core_pg_where(PGconn *conn);

/* Fails with err when res is not PGRES_TUPLES_OK / PGRES_COMMAND_OK; clears
 * res in that case. what names the query for the message. */
int core_pg_check(PGconn *conn, PGresult *res, const char *what, struct core_error *err);

#endif
