/* sim_ee.c — Kong Enterprise `kong migrations migrate-community-to-enterprise`
 * (reference kong-migrations.md §1.9): map every community entity to the
 * default workspace in one transaction. */
#include "tests/kong-sim/sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A workspaceable table and its unique fields (NULL-terminated). */
struct sim_ws_table {
	const char *table;
	const char *unique[3];
	bool global_unique; /* unique across workspaces: values are not prefixed */
};

static const struct sim_ws_table sim_ws_tables[] = {
	{ "services", { "name", NULL }, false },
	{ "routes", { "name", NULL }, false },
	{ "consumers", { "username", "custom_id", NULL }, false },
	{ "plugins", { NULL }, true },
	{ "upstreams", { "name", NULL }, false },
	{ "targets", { NULL }, false },
	{ "certificates", { NULL }, false },
	{ "snis", { "name", NULL }, true },
	{ "acls", { NULL }, false },
	{ "basicauth_credentials", { "username", NULL }, false },
	{ "hmacauth_credentials", { "username", NULL }, false },
	{ "jwt_secrets", { "key", NULL }, false },
	{ "keyauth_credentials", { "key", NULL }, false },
	{ "oauth2_credentials", { "client_id", NULL }, false },
};

static const struct sim_raise sim_at_c2e = { "error", 227, 215, "migrate_core_entities", 240 };

/* 1 when the relation (or column of it) exists in the current schema. */
static int sim_ee_exists(struct sim_ctx *ctx, const char *table, const char *column, char *err,
			 size_t err_size)
{
	const char *params[2] = { table, column };
	PGresult *res = NULL;
	int rc;

	if (column == NULL) {
		if (sim_db_exec(ctx,
				"SELECT 1 FROM information_schema.tables WHERE table_schema = "
				"current_schema() AND table_name = $1",
				1, params, &res, err, err_size) != 0)
			return -1;
	} else if (sim_db_exec(ctx,
			       "SELECT 1 FROM information_schema.columns WHERE table_schema = "
			       "current_schema() AND table_name = $1 AND column_name = $2",
			       2, params, &res, err, err_size) != 0) {
		return -1;
	}
	rc = PQntuples(res) > 0 ? 1 : 0;
	PQclear(res);
	return rc;
}

/* Copies tmpl with {T} replaced by ti and {C} by ci; NULL on OOM. */
static char *sim_ee_subst(const char *tmpl, const char *ti, const char *ci)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = NULL;

	f = open_memstream(&buf, &size);
	if (f == NULL)
		return NULL;
	while (*tmpl != '\0') {
		if (strncmp(tmpl, "{T}", 3) == 0) {
			fputs(ti, f);
			tmpl += 3;
		} else if (strncmp(tmpl, "{C}", 3) == 0) {
			fputs(ci, f);
			tmpl += 3;
		} else {
			fputc(*tmpl++, f);
		}
	}
	fclose(f);
	return buf;
}

/* Runs a statement built from a template with {T} = the table identifier and
 * {C} = the column identifier (both escaped). *count gets the affected or
 * returned row count when not NULL. */
static int sim_ee_run(struct sim_ctx *ctx, const char *fmt, const char *table, const char *column,
		      int nparams, const char *const *params, long *count, char *err, size_t err_size)
{
	char *ti = NULL;
	char *ci = NULL;
	char *sql = NULL;
	PGresult *res = NULL;
	int rc = -1;

	ti = PQescapeIdentifier(ctx->conn, table, strlen(table));
	ci = PQescapeIdentifier(ctx->conn, column != NULL ? column : "id",
				column != NULL ? strlen(column) : 2);
	sql = ti != NULL && ci != NULL ? sim_ee_subst(fmt, ti, ci) : NULL;
	if (sql == NULL) {
		snprintf(err, err_size, "out of memory");
		goto out;
	}
	if (sim_db_exec(ctx, sql, nparams, params, &res, err, err_size) != 0)
		goto out;
	if (count != NULL)
		*count = PQresultStatus(res) == PGRES_TUPLES_OK ? atol(PQgetvalue(res, 0, 0))
								 : atol(PQcmdTuples(res));
	rc = 0;
out:
	PQclear(res);
	PQfreemem(ti);
	PQfreemem(ci);
	free(sql);
	return rc;
}

/* Maps the not-yet-mapped rows of one table; *n gets how many. */
static int sim_ee_map_table(struct sim_ctx *ctx, const struct sim_ws_table *t, const char *ws_id,
			    long *n, char *err, size_t err_size)
{
	const char *params[2] = { ws_id, t->table };
	long dummy;
	int has;
	size_t i;

	if (sim_ee_run(ctx, "DELETE FROM kong_sim_todo", t->table, NULL, 0, NULL, NULL, err,
		       err_size) != 0)
		return -1;
	/* Idempotent: entities that already have their id row are left alone. */
	if (sim_ee_run(ctx,
		       "INSERT INTO kong_sim_todo SELECT e.id::text FROM {T} e WHERE NOT EXISTS "
		       "(SELECT 1 FROM workspace_entities we WHERE we.entity_id::text = e.id::text "
		       "AND we.unique_field_name = 'id')",
		       t->table, NULL, 0, NULL, n, err, err_size) != 0)
		return -1;
	if (*n == 0)
		return 0;
	for (i = 0; t->unique[i] != NULL; i++) {
		const char *uparams[3] = { ws_id, t->table, t->unique[i] };

		has = sim_ee_exists(ctx, t->table, t->unique[i], err, err_size);
		if (has < 0)
			return -1;
		if (has == 0)
			continue;
		if (sim_ee_run(ctx,
			       "INSERT INTO workspace_entities (workspace_id, workspace_name, entity_id, "
			       "entity_type, unique_field_name, unique_field_value) "
			       "SELECT $1, 'default', e.id, $2, $3, e.{C} FROM {T} e "
			       "WHERE e.{C} IS NOT NULL AND e.id::text IN (SELECT id FROM kong_sim_todo)",
			       t->table, t->unique[i], 3, uparams, &dummy, err, err_size) != 0)
			return -1;
		/* §1.9: unique values become "<workspace>:<value>", except for the
		 * types that are unique across workspaces. */
		if (!t->global_unique &&
		    sim_ee_run(ctx,
			       "UPDATE {T} SET {C} = 'default:' || {C} WHERE {C} IS NOT NULL "
			       "AND {C} NOT LIKE 'default:%' "
			       "AND id::text IN (SELECT id FROM kong_sim_todo)",
			       t->table, t->unique[i], 0, NULL, &dummy, err, err_size) != 0)
			return -1;
	}
	if (sim_ee_run(ctx,
		       "INSERT INTO workspace_entities (workspace_id, workspace_name, entity_id, "
		       "entity_type, unique_field_name, unique_field_value) "
		       "SELECT $1, 'default', e.id, $2, 'id', e.id FROM {T} e "
		       "WHERE e.id::text IN (SELECT id FROM kong_sim_todo)",
		       t->table, NULL, 2, params, &dummy, err, err_size) != 0)
		return -1;
	if (strcmp(t->table, "plugins") == 0) {
		has = sim_ee_exists(ctx, "plugins", "cache_key", err, err_size);
		if (has < 0)
			return -1;
		if (has == 1 && sim_ee_run(ctx,
					   "UPDATE {T} SET cache_key = cache_key || ':' || $1 "
					   "WHERE cache_key IS NOT NULL "
					   "AND id::text IN (SELECT id FROM kong_sim_todo)",
					   t->table, NULL, 1, params, &dummy, err, err_size) != 0)
			return -1;
	}
	if (strcmp(t->table, "consumers") == 0) {
		has = sim_ee_exists(ctx, "consumers", "type", err, err_size);
		if (has < 0)
			return -1;
		if (has == 1 && sim_ee_run(ctx, "UPDATE {T} SET type = 0 WHERE type IS NULL",
					   t->table, NULL, 0, NULL, &dummy, err, err_size) != 0)
			return -1;
	}
	{
		char count[32];
		const char *cparams[3] = { ws_id, t->table, count };

		snprintf(count, sizeof(count), "%ld", *n);
		if (sim_ee_run(ctx,
			       "UPDATE workspace_entity_counters SET count = COALESCE(count, 0) + $3 "
			       "WHERE workspace_id = $1 AND entity_type = $2",
			       t->table, NULL, 3, cparams, &dummy, err, err_size) != 0)
			return -1;
		if (dummy == 0 &&
		    sim_ee_run(ctx,
			       "INSERT INTO workspace_entity_counters (workspace_id, entity_type, count) "
			       "VALUES ($1, $2, $3)",
			       t->table, NULL, 3, cparams, &dummy, err, err_size) != 0)
			return -1;
	}
	return 0;
}

/* The callback run under the lock. Returns 0 or -1 with err. */
static int sim_ee_migrate(struct sim_ctx *ctx, char *err, size_t err_size)
{
	PGresult *res = NULL;
	char ws_id[64];
	long counts[sizeof(sim_ws_tables) / sizeof(sim_ws_tables[0])] = { 0 };
	long total = 0;
	size_t i;
	int has;
	int rc = -1;

	if (sim_db_exec(ctx, "SELECT COALESCE(SUM(count), 0) FROM workspace_entity_counters", 0,
			NULL, &res, err, err_size) != 0)
		goto out;
	if (atol(PQgetvalue(res, 0, 0)) >= 100 && !ctx->opts.force) {
		snprintf(err, err_size,
			 "There are more than 100 EE entities on the database, run with the --force "
			 "flag to force running this migration");
		goto out;
	}
	PQclear(res);
	res = NULL;
	if (sim_db_exec(ctx, "SELECT id FROM workspaces WHERE name = 'default'", 0, NULL, &res, err,
			err_size) != 0)
		goto out;
	if (PQntuples(res) == 0) {
		snprintf(err, err_size, "default workspace not found");
		goto out;
	}
	snprintf(ws_id, sizeof(ws_id), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	res = NULL;
	/* §1.9: PostgreSQL does everything in one BEGIN ... COMMIT. */
	if (sim_db_exec(ctx, "BEGIN", 0, NULL, NULL, err, err_size) != 0)
		goto out;
	if (sim_db_exec(ctx, "CREATE TEMP TABLE kong_sim_todo (id TEXT) ON COMMIT DROP", 0, NULL,
			NULL, err, err_size) != 0)
		goto out;
	for (i = 0; i < sizeof(sim_ws_tables) / sizeof(sim_ws_tables[0]); i++) {
		has = sim_ee_exists(ctx, sim_ws_tables[i].table, NULL, err, err_size);
		if (has < 0)
			goto out;
		if (has == 0)
			continue;
		if (sim_ee_map_table(ctx, &sim_ws_tables[i], ws_id, &counts[i], err, err_size) != 0)
			goto out;
		total += counts[i];
	}
	sim_log(ctx, "Found %ld entities to migrate to the default workspace", total);
	for (i = 0; i < sizeof(sim_ws_tables) / sizeof(sim_ws_tables[0]); i++) {
		if (counts[i] > 0)
			sim_log_verbose(ctx, "%s: %ld entities", sim_ws_tables[i].table, counts[i]);
	}
	if (sim_db_exec(ctx, "COMMIT", 0, NULL, NULL, err, err_size) != 0)
		goto out;
	if (total > 0)
		sim_log(ctx, "Migrated %ld entities to the default workspace", total);
	rc = 0;
out:
	PQclear(res);
	if (rc != 0 && PQtransactionStatus(ctx->conn) != PQTRANS_IDLE)
		PQclear(PQexec(ctx->conn, "ROLLBACK"));
	return rc;
}

int sim_cmd_c2e(struct sim_ctx *ctx, const struct sim_state *st)
{
	char err[4096];

	/* §1.9: the prompt check names 'reset' (sic). */
	if (!ctx->opts.yes) {
		if (!ctx->knobs.stdin_tty)
			return sim_error(ctx, "not a tty: invoke 'reset' non-interactively with the "
					      "--yes flag");
		if (!sim_confirm("Are you sure? This operation is irreversible. Confirm you have a "
				 "backup of your production data")) {
			sim_log(ctx, "cancelled");
			return 0;
		}
	}
	/* check_state */
	if (st->needs_bootstrap)
		return sim_error(ctx, "Database needs bootstrapping; run 'kong migrations bootstrap'");
	if (st->n_new > 0)
		return sim_error(ctx, "New migrations available; run 'kong migrations up' to proceed");
	if (st->n_pending > 0)
		return sim_error(ctx, "database has pending migrations; run 'kong migrations finish'");
	/* Waits for the lock like `up` (§2.3). */
	switch (sim_mutex_enter(ctx, true, err, sizeof(err))) {
	case SIM_MUTEX_ACQUIRED:
		break;
	case SIM_MUTEX_NOT_LEADER:
		sim_log(ctx, "aborted: another node is performing database changes");
		return 0;
	case SIM_MUTEX_ERROR:
		return sim_error(ctx, "[PostgreSQL error] %s", err);
	}
	if (sim_ee_migrate(ctx, err, sizeof(err)) != 0) {
		sim_lock_release(ctx);
		return sim_error_mutex(ctx, &sim_at_c2e, err);
	}
	sim_lock_release(ctx);
	return 0;
}
