#include "core/core_state.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_pg.h"

/* Entity tables counted when present: what the wizard shows before and after
 * migrate-community-to-enterprise, and what the checks look at. */
static const char *const counted_tables[] = {
	"services", "routes", "consumers", "plugins", "upstreams", "targets", "certificates",
	"snis", "ca_certificates", "acls", "basicauth_credentials", "hmacauth_credentials",
	"jwt_secrets", "keyauth_credentials", "oauth2_credentials", "workspaces",
	"workspace_entities", "rbac_users", "rbac_roles", "admins", "developers", "files",
	"legacy_files", "vitals_node_meta",
};

static char *state_strdup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static int state_oom(struct core_error *err)
{
	return core_error_set(err, "out of memory reading the datastore state");
}

/* A JSON array of strings (array_to_json / json_agg) into a new char* array. */
static int state_json_strings(const char *text, char ***out, size_t *n)
{
	json_t *arr = NULL;
	json_error_t jerr;
	size_t i;
	int rc = -1;

	*out = NULL;
	*n = 0;
	if (text == NULL)
		return 0;
	arr = json_loads(text, 0, &jerr);
	if (arr == NULL || !json_is_array(arr))
		goto out;
	if (json_array_size(arr) > 0) {
		*out = calloc(json_array_size(arr), sizeof(**out));
		if (*out == NULL)
			goto out;
	}
	for (i = 0; i < json_array_size(arr); i++) {
		const char *s = json_string_value(json_array_get(arr, i));

		(*out)[i] = strdup(s != NULL ? s : "");
		if ((*out)[i] == NULL)
			goto out;
		(*n)++;
	}
	rc = 0;
out:
	json_decref(arr);
	return rc;
}

static void state_free_strings(char **list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

static int state_round1(PGconn *conn, struct core_db_state *st, struct core_error *err)
{
	static const char sql[] =
		"SELECT current_setting('server_version_num')::int, current_schema(), "
		"current_database(), (SELECT json_agg(table_name::text ORDER BY table_name) "
		"FROM information_schema.tables WHERE table_schema = current_schema()), "
		"current_schema() IS NOT NULL AND has_schema_privilege(current_schema(), 'CREATE'), "
		"(SELECT json_agg(tablename::text ORDER BY tablename) FROM pg_tables "
		"WHERE schemaname = current_schema() AND NOT pg_has_role(tableowner, 'MEMBER')), "
		"pg_database_size(current_database()), current_user";
	PGresult *res = PQexec(conn, sql);

	st->round_trips++;
	if (core_pg_check(conn, res, "reading the datastore's tables", err) < 0)
		return -1;
	st->server_version_num = atoi(PQgetvalue(res, 0, 0));
	st->schema = state_strdup(PQgetisnull(res, 0, 1) ? "" : PQgetvalue(res, 0, 1));
	st->database = state_strdup(PQgetvalue(res, 0, 2));
	st->can_create = PQgetvalue(res, 0, 4)[0] == 't';
	st->database_bytes = atoll(PQgetvalue(res, 0, 6));
	st->user = state_strdup(PQgetvalue(res, 0, 7));
	if (st->schema == NULL || st->database == NULL || st->user == NULL ||
	    state_json_strings(PQgetisnull(res, 0, 3) ? NULL : PQgetvalue(res, 0, 3), &st->tables,
			       &st->n_tables) < 0 ||
	    state_json_strings(PQgetisnull(res, 0, 5) ? NULL : PQgetvalue(res, 0, 5),
			       &st->not_owned, &st->n_not_owned) < 0) {
		PQclear(res);
		return state_oom(err);
	}
	PQclear(res);
	st->has_schema_meta = core_state_has_table(st, "schema_meta");
	st->has_locks = core_state_has_table(st, "locks");
	st->has_legacy_migrations = core_state_has_table(st, "schema_migrations");
	return 0;
}

/* What one statement of round 2 reads. */
enum state_what {
	STATE_ROWS,	/* schema_meta */
	STATE_LOCK,	/* the `migrations` row of locks */
	STATE_COUNT,	/* count(*) of one entity table */
	STATE_COUNTERS, /* SUM(count) of workspace_entity_counters */
	STATE_PLUGINS,	/* DISTINCT plugins.name */
	STATE_MAPPED,	/* entities per type in some workspace */
};

struct state_query {
	enum state_what what;
	const char *table; /* STATE_COUNT: one of counted_tables */
	char *sql;
};

#define STATE_MAX_QUERIES (sizeof(counted_tables) / sizeof(counted_tables[0]) + 5)

static void state_queries_free(struct state_query *q, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(q[i].sql);
}

static int state_query_add(struct state_query *q, size_t *n, enum state_what what,
			   const char *table, const char *sql)
{
	q[*n].what = what;
	q[*n].table = table;
	q[*n].sql = strdup(sql);
	if (q[*n].sql == NULL)
		return -1;
	(*n)++;
	return 0;
}

/* The statements of round 2, shaped by round 1: each reads one of Kong's
 * tables, no more. Table names are ours, quoted anyway. */
static int state_round2_plan(PGconn *conn, const struct core_db_state *st, struct state_query *q,
			     size_t *n)
{
	char sql[256];
	size_t i;

	*n = 0;
	if (st->has_schema_meta &&
	    state_query_add(q, n, STATE_ROWS, NULL,
			    "SELECT subsystem, last_executed, array_to_json(executed), "
			    "array_to_json(pending), pending IS NULL FROM schema_meta "
			    "WHERE key = 'schema_meta' ORDER BY subsystem") < 0)
		return -1;
	if (st->has_locks &&
	    state_query_add(q, n, STATE_LOCK, NULL,
			    "SELECT owner, ttl::text, ttl < CURRENT_TIMESTAMP FROM locks "
			    "WHERE key = 'migrations'") < 0)
		return -1;
	for (i = 0; i < sizeof(counted_tables) / sizeof(counted_tables[0]); i++) {
		char *id;

		if (!core_state_has_table(st, counted_tables[i]))
			continue;
		id = PQescapeIdentifier(conn, counted_tables[i], strlen(counted_tables[i]));
		if (id == NULL)
			return -1;
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", id);
		PQfreemem(id);
		if (state_query_add(q, n, STATE_COUNT, counted_tables[i], sql) < 0)
			return -1;
	}
	if (core_state_has_table(st, "workspace_entity_counters") &&
	    state_query_add(q, n, STATE_COUNTERS, NULL,
			    "SELECT coalesce(sum(count), 0) FROM workspace_entity_counters") < 0)
		return -1;
	if (core_state_has_table(st, "plugins") &&
	    state_query_add(q, n, STATE_PLUGINS, NULL,
			    "SELECT json_agg(DISTINCT name) FROM plugins") < 0)
		return -1;
	/* Entities per type that belong to a workspace (§1.9): what tells a
	 * community datastore after finish from an Enterprise one. */
	if (core_state_has_table(st, "workspace_entities") &&
	    state_query_add(q, n, STATE_MAPPED, NULL,
			    "SELECT json_object_agg(entity_type, n) FROM "
			    "(SELECT entity_type, count(DISTINCT entity_id) AS n "
			    "FROM workspace_entities GROUP BY entity_type) AS m") < 0)
		return -1;
	return 0;
}

static int state_read_rows(PGresult *res, struct core_db_state *st)
{
	int i;

	st->rows = calloc((size_t)PQntuples(res) + 1, sizeof(*st->rows));
	if (st->rows == NULL)
		return -1;
	for (i = 0; i < PQntuples(res); i++) {
		struct core_schema_row *r = &st->rows[st->n_rows++];

		r->subsystem = state_strdup(PQgetvalue(res, i, 0));
		r->last_executed = PQgetisnull(res, i, 1) ? NULL : state_strdup(PQgetvalue(res, i, 1));
		r->pending_null = PQgetvalue(res, i, 4)[0] == 't';
		if (r->subsystem == NULL || (!PQgetisnull(res, i, 1) && r->last_executed == NULL) ||
		    state_json_strings(PQgetisnull(res, i, 2) ? NULL : PQgetvalue(res, i, 2),
				       &r->executed, &r->n_executed) < 0 ||
		    state_json_strings(PQgetisnull(res, i, 3) ? NULL : PQgetvalue(res, i, 3),
				       &r->pending, &r->n_pending) < 0)
			return -1;
	}
	return 0;
}

/* Sets in_workspace of each counted table from {"services": 200, ...}. */
static void state_read_mapped(const char *text, struct core_db_state *st)
{
	json_t *obj = json_loads(text, 0, NULL);
	size_t i;

	for (i = 0; i < st->n_counts; i++) {
		json_t *v = json_object_get(obj, st->counts[i].table);

		st->counts[i].in_workspace = json_is_integer(v) ? json_integer_value(v) : 0;
	}
	json_decref(obj);
}

static int state_read_lock(PGresult *res, struct core_db_state *st)
{
	if (PQntuples(res) == 0)
		return 0;
	st->lock.held = true;
	st->lock.owner = state_strdup(PQgetvalue(res, 0, 0));
	st->lock.ttl = state_strdup(PQgetvalue(res, 0, 1));
	st->lock.expired = PQgetvalue(res, 0, 2)[0] == 't';
	return st->lock.owner != NULL && st->lock.ttl != NULL ? 0 : -1;
}

/* Takes in the results of round 2, query by query. */
static int state_read_results(const struct state_query *q, PGresult *const *results, size_t n,
			      struct core_db_state *st)
{
	const char *mapped = NULL;
	size_t i;

	st->counts = calloc(n + 1, sizeof(*st->counts));
	if (st->counts == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		PGresult *res = results[i];
		struct core_count *c;

		switch (q[i].what) {
		case STATE_ROWS:
			if (state_read_rows(res, st) < 0)
				return -1;
			break;
		case STATE_LOCK:
			if (state_read_lock(res, st) < 0)
				return -1;
			break;
		case STATE_COUNT:
			c = &st->counts[st->n_counts];
			c->table = strdup(q[i].table);
			if (c->table == NULL)
				return -1;
			c->n = atoll(PQgetvalue(res, 0, 0));
			c->in_workspace = -1;
			st->n_counts++;
			break;
		case STATE_COUNTERS:
			st->ee_counter_sum = atoll(PQgetvalue(res, 0, 0));
			break;
		case STATE_PLUGINS:
			if (state_json_strings(PQgetisnull(res, 0, 0) ? NULL : PQgetvalue(res, 0, 0),
					       &st->plugins_in_use, &st->n_plugins_in_use) < 0)
				return -1;
			break;
		case STATE_MAPPED:
			mapped = PQgetisnull(res, 0, 0) ? "{}" : PQgetvalue(res, 0, 0);
			break;
		}
	}
	/* After the counts, whatever the order of the statements. */
	if (mapped != NULL)
		state_read_mapped(mapped, st);
	return 0;
}

/* Round 2: its statements in pipeline mode with a Sync after each, so one
 * round trip still, and each statement is a transaction of its own that
 * reads one table. A migration may be altering Kong's tables while the
 * wizard looks (`status` during `up`). Were the wizard to keep the locks of
 * the tables it has read while it waits for one that a migration holds, and
 * the migration then want one of those, each would wait for the other, and
 * PostgreSQL's deadlock detector would abort one of them: perhaps Kong's
 * migration, and `up` fails. Here a statement that waits holds nothing. */
static int state_round2(PGconn *conn, struct core_db_state *st, struct core_error *err)
{
	struct state_query q[STATE_MAX_QUERIES];
	PGresult *results[STATE_MAX_QUERIES] = { NULL };
	PGresult *res;
	size_t nq = 0, sent = 0, synced = 0, i;
	bool nulled = false, exited;
	int rc = -1;

	memset(q, 0, sizeof(q));
	if (state_round2_plan(conn, st, q, &nq) < 0) {
		state_oom(err);
		goto out;
	}
	st->round_trips++;
	if (!PQenterPipelineMode(conn)) {
		core_pg_check(conn, NULL, "reading the datastore state", err);
		goto out;
	}
	while (sent < nq && PQsendQueryParams(conn, q[sent].sql, 0, NULL, NULL, NULL, NULL, 0) &&
	       PQpipelineSync(conn))
		sent++;
	if (sent < nq)
		core_pg_check(conn, NULL, "reading the datastore state", err);
	/* Statement k's result, a NULL, then its Sync: the results between
	 * Sync k-1 and Sync k are statement k's. Two NULLs in a row or a lost
	 * connection: nothing more will come. */
	while (synced < sent) {
		res = PQgetResult(conn);
		if (res == NULL) {
			if (nulled || PQstatus(conn) == CONNECTION_BAD)
				break;
			nulled = true;
			continue;
		}
		nulled = false;
		if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
			synced++;
			PQclear(res);
		} else if (results[synced] == NULL) {
			results[synced] = res;
		} else {
			PQclear(res);
		}
	}
	exited = PQexitPipelineMode(conn) == 1;
	if (sent < nq)
		goto out;
	/* The first failure says why (a lost connection's too), before the
	 * pipeline's own complaint. */
	for (i = 0; i < nq; i++) {
		if (core_pg_check(conn, results[i], "reading the datastore state", err) < 0) {
			results[i] = NULL;
			goto out;
		}
	}
	if (!exited) {
		core_pg_check(conn, NULL, "reading the datastore state", err);
		goto out;
	}
	if (state_read_results(q, results, nq, st) < 0) {
		state_oom(err);
		goto out;
	}
	rc = 0;
out:
	for (i = 0; i < nq; i++)
		PQclear(results[i]);
	state_queries_free(q, nq);
	return rc;
}

int core_state_read(PGconn *conn, struct core_db_state *st, struct core_error *err)
{
	memset(st, 0, sizeof(*st));
	st->ee_counter_sum = -1;
	if (state_round1(conn, st, err) < 0 || state_round2(conn, st, err) < 0) {
		core_state_done(st);
		return -1;
	}
	return 0;
}

void core_state_done(struct core_db_state *st)
{
	size_t i;

	free(st->schema);
	free(st->database);
	free(st->user);
	state_free_strings(st->not_owned, st->n_not_owned);
	state_free_strings(st->tables, st->n_tables);
	for (i = 0; i < st->n_rows; i++) {
		free(st->rows[i].subsystem);
		free(st->rows[i].last_executed);
		state_free_strings(st->rows[i].executed, st->rows[i].n_executed);
		state_free_strings(st->rows[i].pending, st->rows[i].n_pending);
	}
	free(st->rows);
	free(st->lock.owner);
	free(st->lock.ttl);
	for (i = 0; i < st->n_counts; i++)
		free(st->counts[i].table);
	free(st->counts);
	state_free_strings(st->plugins_in_use, st->n_plugins_in_use);
	memset(st, 0, sizeof(*st));
}

bool core_state_has_table(const struct core_db_state *st, const char *table)
{
	size_t i;

	for (i = 0; i < st->n_tables; i++)
		if (strcmp(st->tables[i], table) == 0)
			return true;
	return false;
}

long long core_state_count(const struct core_db_state *st, const char *table)
{
	size_t i;

	for (i = 0; i < st->n_counts; i++)
		if (strcmp(st->counts[i].table, table) == 0)
			return st->counts[i].n;
	return -1;
}

long long core_state_in_workspace(const struct core_db_state *st, const char *table)
{
	size_t i;

	for (i = 0; i < st->n_counts; i++)
		if (strcmp(st->counts[i].table, table) == 0)
			return st->counts[i].in_workspace;
	return -1;
}

const struct core_schema_row *core_state_row(const struct core_db_state *st, const char *subsystem)
{
	size_t i;

	for (i = 0; i < st->n_rows; i++)
		if (strcmp(st->rows[i].subsystem, subsystem) == 0)
			return &st->rows[i];
	return NULL;
}
