/* sim_db.c — what kong/db/strategies/postgres/connector.lua and
 * kong/db/init.lua do against PostgreSQL for the migrations CLI: session
 * set-up, schema state (§2.1, §2.2), the cluster lock (§2.3) and
 * DB:run_migrations (§1.7). */
#include "tests/kong-sim/sim.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SIM_LOCK_KEY "migrations"

int sim_db_exec(struct sim_ctx *ctx, const char *sql, int nparams, const char *const *params,
		PGresult **res, char *err, size_t err_size)
{
	PGresult *r = NULL;
	ExecStatusType st;

	if (res != NULL)
		*res = NULL;
	r = PQexecParams(ctx->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		sim_pg_errfmt(ctx->conn, r, err, err_size);
		PQclear(r);
		return -1;
	}
	if (res != NULL)
		*res = r;
	else
		PQclear(r);
	return 0;
}

/* Multi-statement SQL through the simple query protocol, as pgmoon sends
 * migration bodies; PQexecParams cannot run more than one statement. The
 * text comes from the catalog, never from input. */
static int sim_db_exec_script(struct sim_ctx *ctx, const char *sql, char *err, size_t err_size)
{
	PGresult *r = NULL;
	ExecStatusType st;
	int rc = 0;

	r = PQexec(ctx->conn, sql);
	st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		sim_pg_errfmt(ctx->conn, r, err, err_size);
		rc = -1;
	}
	PQclear(r);
	return rc;
}

/* pgmoon reports socket failures with short words; keep the server's own
 * text (e.g. password authentication failed) when there is one. */
static void sim_db_connerr(const char *libpq, char *err, size_t err_size)
{
	const char *fatal = strstr(libpq, "FATAL:  ");

	if (strstr(libpq, "Connection refused") != NULL) {
		snprintf(err, err_size, "connection refused");
	} else if (strstr(libpq, "timeout expired") != NULL) {
		snprintf(err, err_size, "timeout");
	} else if (fatal != NULL) {
		snprintf(err, err_size, "%s", fatal + strlen("FATAL:  "));
	} else if (strstr(libpq, "could not translate host name") != NULL) {
		snprintf(err, err_size, "no resolver defined to resolve \"%s\"", "host");
	} else {
		snprintf(err, err_size, "%s", libpq);
	}
	err[strcspn(err, "\n")] = '\0';
}

/* Kong never shows server notices (pgmoon drops them); libpq would print
 * them on stderr. */
static void sim_db_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

int sim_db_connect(struct sim_ctx *ctx, const struct sim_pgconf *pc, char *err, size_t err_size)
{
	const char *keys[10];
	const char *vals[10];
	char timeout[32];
	char *ident = NULL;
	char *sql = NULL;
	int n = 0;
	int rc = -1;

	/* §1.1: pg_timeout = --db-timeout * 1000; libpq wants whole seconds. */
	snprintf(timeout, sizeof(timeout), "%ld", (pc->timeout_ms + 999) / 1000);
	keys[n] = "host", vals[n++] = pc->host;
	keys[n] = "port", vals[n++] = pc->port;
	keys[n] = "user", vals[n++] = pc->user;
	keys[n] = "dbname", vals[n++] = pc->database;
	keys[n] = "connect_timeout", vals[n++] = timeout;
	keys[n] = "sslmode", vals[n++] = pc->ssl ? (pc->ssl_verify ? "verify-full" : "require")
						 : "disable";
	if (pc->password != NULL)
		keys[n] = "password", vals[n++] = pc->password;
	keys[n] = NULL, vals[n] = NULL;

	snprintf(ctx->dbname, sizeof(ctx->dbname), "%s", pc->database);
	snprintf(ctx->schema, sizeof(ctx->schema), "%s", pc->schema != NULL ? pc->schema : "");
	ctx->conn = PQconnectdbParams(keys, vals, 0);
	if (ctx->conn == NULL) {
		snprintf(err, err_size, "out of memory");
		goto out;
	}
	if (PQstatus(ctx->conn) != CONNECTION_OK) {
		sim_db_connerr(PQerrorMessage(ctx->conn), err, err_size);
		goto out;
	}
	PQsetNoticeProcessor(ctx->conn, sim_db_notice, NULL);
	/* §2.2: every connection sets the schema (when pg_schema is set) and UTC. */
	if (pc->schema != NULL && pc->schema[0] != '\0') {
		ident = PQescapeIdentifier(ctx->conn, pc->schema, strlen(pc->schema));
		if (ident == NULL || asprintf(&sql, "SET search_path TO %s", ident) < 0) {
			snprintf(err, err_size, "out of memory");
			sql = NULL;
			goto out;
		}
		if (sim_db_exec(ctx, sql, 0, NULL, NULL, err, err_size) != 0)
			goto out;
	}
	if (sim_db_exec(ctx, "SET TIME ZONE 'UTC'", 0, NULL, NULL, err, err_size) != 0)
		goto out;
	if (sim_db_exec(ctx, "SHOW server_version_num", 0, NULL, NULL, err, err_size) != 0)
		goto out;
	rc = 0;
out:
	PQfreemem(ident);
	free(sql);
	return rc;
}

/* True when name is a line of the newline-joined list. */
static bool sim_in_list(const char *list, const char *name)
{
	size_t len = strlen(name);
	const char *p = list;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, name, len) == 0 && (p[len] == '\n' || p[len] == '\0'))
			return true;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return false;
}

void sim_state_done(struct sim_state *st)
{
	size_t i;

	if (st->subs != NULL) {
		for (i = 0; i < st->n_subs; i++)
			free(st->subs[i].migs);
	}
	free(st->subs);
	memset(st, 0, sizeof(*st));
}

int sim_state_load(struct sim_ctx *ctx, struct sim_state *st, char *err, size_t err_size)
{
	PGresult *res = NULL;
	const char *executed;
	const char *pending;
	size_t i, j;
	int row;
	int rc = -1;

	memset(st, 0, sizeof(*st));
	/* §2.2: no schema_meta table in the current schema = needs bootstrap. */
	if (sim_db_exec(ctx, "SELECT to_regclass('schema_meta') IS NULL", 0, NULL, &res, err,
			err_size) != 0)
		goto out;
	st->needs_bootstrap = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	res = NULL;
	st->subs = calloc(ctx->n_subs, sizeof(*st->subs));
	if (st->subs == NULL) {
		snprintf(err, err_size, "out of memory");
		goto out;
	}
	st->n_subs = ctx->n_subs;
	if (!st->needs_bootstrap &&
	    sim_db_exec(ctx,
			"SELECT subsystem, array_to_string(executed, E'\\n'), "
			"array_to_string(pending, E'\\n') FROM schema_meta WHERE key = 'schema_meta'",
			0, NULL, &res, err, err_size) != 0)
		goto out;
	for (i = 0; i < ctx->n_subs; i++) {
		const struct sim_subsystem *def = ctx->subs[i];
		struct sim_sub *sub = &st->subs[i];
		size_t n = 0;

		while (def->names[n] != NULL)
			n++;
		sub->name = def->name;
		sub->migs = calloc(n > 0 ? n : 1, sizeof(*sub->migs));
		if (sub->migs == NULL) {
			snprintf(err, err_size, "out of memory");
			goto out;
		}
		sub->n_migs = n;
		executed = "";
		pending = "";
		for (row = 0; res != NULL && row < PQntuples(res); row++) {
			if (strcmp(PQgetvalue(res, row, 0), def->name) == 0) {
				executed = PQgetvalue(res, row, 1);
				pending = PQgetvalue(res, row, 2);
			}
		}
		/* §2.1: executed wins over pending; names the DB knows but this
		 * version does not are simply never looked at. */
		for (j = 0; j < n; j++) {
			struct sim_mig *m = &sub->migs[j];

			m->name = def->names[j];
			m->def = sim_catalog_migration(def->name, m->name);
			if (sim_in_list(executed, m->name)) {
				m->state = SIM_MIG_EXECUTED;
				st->n_executed++;
			} else if (sim_in_list(pending, m->name)) {
				m->state = SIM_MIG_PENDING;
				st->n_pending++;
			} else {
				m->state = SIM_MIG_NEW;
				st->n_new++;
			}
		}
	}
	rc = 0;
out:
	PQclear(res);
	if (rc != 0)
		sim_state_done(st);
	return rc;
}

int sim_lock_insert(struct sim_ctx *ctx, char *err, size_t err_size)
{
	char ttl[32];
	const char *params[3];
	PGresult *res = NULL;
	int rc = -1;

	/* §2.3 insert_lock: one transaction, expired rows deleted first, ttl =
	 * the client's clock + --lock-timeout, acquired iff one row went in. */
	snprintf(ttl, sizeof(ttl), "%lld", (long long)time(NULL) + ctx->opts.lock_timeout);
	params[0] = SIM_LOCK_KEY;
	params[1] = ctx->owner;
	params[2] = ttl;
	if (sim_db_exec(ctx, "BEGIN", 0, NULL, NULL, err, err_size) != 0)
		return -1;
	if (sim_db_exec(ctx, "DELETE FROM locks WHERE ttl < CURRENT_TIMESTAMP AT TIME ZONE 'UTC'",
			0, NULL, NULL, err, err_size) != 0)
		goto out;
	if (sim_db_exec(ctx,
			"INSERT INTO locks (key, owner, ttl) VALUES ($1, $2, "
			"TO_TIMESTAMP($3::double precision) AT TIME ZONE 'UTC') ON CONFLICT DO NOTHING",
			3, params, &res, err, err_size) != 0)
		goto out;
	if (sim_db_exec(ctx, "COMMIT", 0, NULL, NULL, err, err_size) != 0)
		goto out;
	rc = strcmp(PQcmdTuples(res), "1") == 0 ? 1 : 0;
	ctx->lock_held = rc == 1;
out:
	if (rc < 0)
		PQclear(PQexec(ctx->conn, "ROLLBACK"));
	PQclear(res);
	return rc;
}

int sim_lock_read(struct sim_ctx *ctx, char *err, size_t err_size)
{
	const char *params[1] = { SIM_LOCK_KEY };
	PGresult *res = NULL;
	int rc;

	if (sim_db_exec(ctx,
			"SELECT * FROM locks WHERE key = $1 "
			"AND ttl >= CURRENT_TIMESTAMP AT TIME ZONE 'UTC' LIMIT 1",
			1, params, &res, err, err_size) != 0)
		return -1;
	rc = PQntuples(res) > 0 ? 1 : 0;
	PQclear(res);
	return rc;
}

void sim_lock_release(struct sim_ctx *ctx)
{
	const char *params[2] = { SIM_LOCK_KEY, ctx->owner };
	char err[256];

	if (!ctx->lock_held || ctx->conn == NULL)
		return;
	/* A transaction left open by a failed step must not swallow the delete. */
	if (PQtransactionStatus(ctx->conn) != PQTRANS_IDLE)
		PQclear(PQexec(ctx->conn, "ROLLBACK"));
	(void)sim_db_exec(ctx, "DELETE FROM locks WHERE key = $1 AND owner = $2", 2, params, NULL,
			  err, sizeof(err));
	ctx->lock_held = false;
}

static void sim_sleep_ms(long ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0)
		;
}

enum sim_mutex sim_mutex_enter(struct sim_ctx *ctx, bool wait, char *err, size_t err_size)
{
	char why[1024];
	long step_ms = 100;
	long elapsed_ms = 0;
	int got;

	got = sim_lock_insert(ctx, why, sizeof(why));
	if (got < 0) {
		snprintf(err, err_size, "failed to insert cluster lock: %s", why);
		return SIM_MUTEX_ERROR;
	}
	if (got == 1)
		return SIM_MUTEX_ACQUIRED;
	if (!wait)
		return SIM_MUTEX_NOT_LEADER;
	/* §2.3: poll with a step of 0.1 s growing x3 up to 2 s, for at most ttl
	 * seconds; a lock released meanwhile means another node did the work. */
	while (elapsed_ms < ctx->opts.lock_timeout * 1000) {
		sim_sleep_ms(step_ms);
		elapsed_ms += step_ms;
		got = sim_lock_read(ctx, why, sizeof(why));
		if (got < 0) {
			snprintf(err, err_size, "failed to read cluster lock: %s", why);
			return SIM_MUTEX_ERROR;
		}
		if (got == 0)
			return SIM_MUTEX_NOT_LEADER;
		step_ms = step_ms * 3 > 2000 ? 2000 : step_ms * 3;
	}
	snprintf(err, err_size, "timeout");
	return SIM_MUTEX_ERROR;
}

/* Whether knob ("<prefix>:<sub>/<name>") names this step. */
static bool sim_knob_match(const char *knob, const char *prefix, const char *sub, const char *name)
{
	size_t plen = strlen(prefix);
	size_t slen = strlen(sub);

	if (knob == NULL || strncmp(knob, prefix, plen) != 0 || knob[plen] != ':')
		return false;
	knob += plen + 1;
	return strncmp(knob, sub, slen) == 0 && knob[slen] == '/' && strcmp(knob + slen + 1, name) == 0;
}

/* KONG_SIM_CRASH: die like a killed node, leaving the lock row behind. */
static void sim_maybe_crash(const struct sim_ctx *ctx, const char *point, const char *sub,
			    const char *name)
{
	if (sim_knob_match(ctx->knobs.crash, point, sub, name)) {
		fflush(stdout);
		fflush(stderr);
		raise(SIGKILL);
	}
}

/* Runs one step's SQL inside BEGIN ... COMMIT, ROLLBACK on error (§1.7). */
static int sim_run_step(struct sim_ctx *ctx, const char *kind, const char *sub, const char *name,
			const char *body, char *err, size_t err_size)
{
	char *sql = NULL;
	const char *fail = "";
	const char *semi;
	size_t len;
	int rc = -1;

	if (ctx->knobs.delay_ms > 0)
		sim_sleep_ms(ctx->knobs.delay_ms);
	/* KONG_SIM_FAIL: the step's SQL runs, then a server-side error aborts the
	 * transaction, so the failure looks exactly like a failing migration. */
	if (sim_knob_match(ctx->knobs.fail, kind, sub, name))
		fail = "DO $kong_sim$ BEGIN RAISE EXCEPTION 'kong-sim injected failure (KONG_SIM_FAIL)'; "
		       "END $kong_sim$;\n";
	len = strlen(body);
	while (len > 0 && (body[len - 1] == ' ' || body[len - 1] == '\n' || body[len - 1] == '\t'))
		len--;
	semi = len > 0 && body[len - 1] == ';' ? "" : ";";
	if (asprintf(&sql, "BEGIN;\n%.*s%s\n%sCOMMIT;\n", (int)len, body, semi, fail) < 0) {
		sql = NULL;
		snprintf(err, err_size, "out of memory");
		goto out;
	}
	rc = sim_db_exec_script(ctx, sql, err, err_size);
	if (rc != 0)
		PQclear(PQexec(ctx->conn, "ROLLBACK;"));
out:
	free(sql);
	return rc;
}

/* record_migration of the PostgreSQL connector (§2.1), with its exact upserts. */
static int sim_record(struct sim_ctx *ctx, const char *sub, const char *name, const char *state,
		      char *err, size_t err_size)
{
	const char *params[3] = { "schema_meta", sub, name };
	const char *sql;

	if (strcmp(state, "executed") == 0)
		sql = "INSERT INTO schema_meta (key, subsystem, last_executed, executed) "
		      "VALUES ($1, $2, $3, ARRAY[$3]) "
		      "ON CONFLICT (key, subsystem) DO UPDATE "
		      "SET last_executed = EXCLUDED.last_executed, "
		      "executed = ARRAY_APPEND(COALESCE(schema_meta.executed, ARRAY[]::TEXT[]), $3)";
	else if (strcmp(state, "pending") == 0)
		sql = "INSERT INTO schema_meta (key, subsystem, pending) "
		      "VALUES ($1, $2, ARRAY[$3]) "
		      "ON CONFLICT (key, subsystem) DO UPDATE "
		      "SET pending = ARRAY_APPEND(schema_meta.pending, $3)";
	else
		sql = "INSERT INTO schema_meta (key, subsystem, last_executed, executed) "
		      "VALUES ($1, $2, $3, ARRAY[$3]) "
		      "ON CONFLICT (key, subsystem) DO UPDATE "
		      "SET last_executed = EXCLUDED.last_executed, "
		      "executed = ARRAY_APPEND(COALESCE(schema_meta.executed, ARRAY[]::TEXT[]), $3), "
		      "pending = ARRAY_REMOVE(COALESCE(schema_meta.pending, ARRAY[]::TEXT[]), $3)";
	return sim_db_exec(ctx, sql, 3, params, NULL, err, err_size);
}

int sim_run_migrations(struct sim_ctx *ctx, const struct sim_state *st, enum sim_mig_state which,
		       bool run_up, bool run_teardown, char *err, size_t err_size)
{
	char why[2048];
	size_t n_migrations = 0;
	size_t n_pending = 0;
	size_t i, j;
	bool any;

	for (i = 0; i < st->n_subs; i++) {
		const struct sim_sub *sub = &st->subs[i];

		any = false;
		for (j = 0; j < sub->n_migs; j++)
			any = any || sub->migs[j].state == which;
		if (!any)
			continue;
		sim_log(ctx, "migrating %s on database '%s'...", sub->name, ctx->dbname);
		for (j = 0; j < sub->n_migs; j++) {
			const struct sim_mig *m = &sub->migs[j];
			bool teardown;

			if (m->state != which)
				continue;
			if (m->def == NULL) {
				snprintf(err, err_size,
					 "[PostgreSQL error] failed to load migration '%s': module "
					 "'kong.db.migrations.%s.%s' not found",
					 m->name, sub->name, m->name);
				return -1;
			}
			teardown = m->def->teardown != NULL;
			sim_log_debug(ctx, "running migration: %s", m->name);
			if (run_up) {
				sim_maybe_crash(ctx, "before-up", sub->name, m->name);
				if (sim_run_step(ctx, "up", sub->name, m->name, m->def->up, why,
						 sizeof(why)) != 0) {
					snprintf(err, err_size,
						 "[PostgreSQL error] failed to run migration '%s' up: %s",
						 m->name, why);
					return -1;
				}
				/* §2.1: a migration with a teardown is recorded pending first. */
				if (teardown)
					n_pending++;
				if (sim_record(ctx, sub->name, m->name,
					       teardown ? "pending" : "executed", why,
					       sizeof(why)) != 0) {
					snprintf(err, err_size,
						 "[PostgreSQL error] failed to record migration '%s': %s",
						 m->name, why);
					return -1;
				}
				sim_maybe_crash(ctx, "after-up", sub->name, m->name);
			}
			if (run_teardown && teardown) {
				sim_maybe_crash(ctx, "before-teardown", sub->name, m->name);
				if (sim_run_step(ctx, "teardown", sub->name, m->name,
						 m->def->teardown, why, sizeof(why)) != 0) {
					snprintf(err, err_size,
						 "[PostgreSQL error] failed to run migration '%s' "
						 "teardown: %s",
						 m->name, why);
					return -1;
				}
				if (sim_record(ctx, sub->name, m->name, "teardown", why,
					       sizeof(why)) != 0) {
					snprintf(err, err_size,
						 "[PostgreSQL error] failed to record migration '%s': %s",
						 m->name, why);
					return -1;
				}
				if (n_pending > 0)
					n_pending--;
				sim_maybe_crash(ctx, "after-teardown", sub->name, m->name);
			}
			sim_log(ctx, "%s migrated up to: %s %s", sub->name, m->name,
				teardown && !run_teardown ? "(pending)" : "(executed)");
			n_migrations++;
		}
	}
	/* §1.7: the summary; executed = processed - pending. */
	sim_log(ctx, "%zu migration%s processed", n_migrations, n_migrations > 1 ? "s" : "");
	if (n_migrations - n_pending > 0)
		sim_log(ctx, "%zu executed", n_migrations - n_pending);
	if (n_pending > 0)
		sim_log(ctx, "%zu pending", n_pending);
	return 0;
}

int sim_db_bootstrap_tables(struct sim_ctx *ctx, char *err, size_t err_size)
{
	char *ident = NULL;
	char *sql = NULL;
	int rc = -1;

	/* Kong creates the configured schema when it is missing. */
	if (ctx->schema[0] != '\0') {
		ident = PQescapeIdentifier(ctx->conn, ctx->schema, strlen(ctx->schema));
		if (ident == NULL || asprintf(&sql, "CREATE SCHEMA IF NOT EXISTS %s", ident) < 0) {
			sql = NULL;
			snprintf(err, err_size, "out of memory");
			goto out;
		}
		if (sim_db_exec(ctx, sql, 0, NULL, NULL, err, err_size) != 0)
			goto out;
	}
	/* §2.1 and §2.3: the bookkeeping tables, verbatim. */
	if (sim_db_exec(ctx,
			"CREATE TABLE IF NOT EXISTS schema_meta (key TEXT, subsystem TEXT, "
			"last_executed TEXT, executed TEXT[], pending TEXT[], "
			"PRIMARY KEY (key, subsystem))",
			0, NULL, NULL, err, err_size) != 0)
		goto out;
	if (sim_db_exec(ctx,
			"CREATE TABLE IF NOT EXISTS locks (key TEXT PRIMARY KEY, owner TEXT, "
			"ttl TIMESTAMP WITH TIME ZONE)",
			0, NULL, NULL, err, err_size) != 0)
		goto out;
	if (sim_db_exec(ctx, "CREATE INDEX IF NOT EXISTS locks_ttl_idx ON locks (ttl)", 0, NULL,
			NULL, err, err_size) != 0)
		goto out;
	rc = 0;
out:
	PQfreemem(ident);
	free(sql);
	return rc;
}

int sim_db_reset(struct sim_ctx *ctx, char *err, size_t err_size)
{
	/* §1.8: drop every table of the current schema (the fallback Kong uses
	 * without the privilege to drop the schema; the result is the same). */
	return sim_db_exec_script(ctx,
				  "DO $kong_sim$ DECLARE t record; BEGIN "
				  "FOR t IN SELECT tablename FROM pg_tables "
				  "WHERE schemaname = current_schema() LOOP "
				  "EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', t.tablename); "
				  "END LOOP; END $kong_sim$;",
				  err, err_size);
}
