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

static int state_append(char **buf, size_t *len, const char *s)
{
	size_t n = strlen(s);
	char *p = realloc(*buf, *len + n + 1);

	if (p == NULL)
		return -1;
	memcpy(p + *len, s, n + 1);
	*buf = p;
	*len += n;
	return 0;
}

/* The multi-statement query of round 2. Table names are ours, quoted anyway. */
static char *state_round2_sql(PGconn *conn, const struct core_db_state *st)
{
	char *sql = NULL;
	size_t len = 0;
	size_t i;
	int first = 1;
	int ok = 1;

	if (st->has_schema_meta)
		ok &= state_append(&sql, &len,
				   "SELECT subsystem, last_executed, array_to_json(executed), "
				   "array_to_json(pending), pending IS NULL FROM schema_meta "
				   "WHERE key = 'schema_meta' ORDER BY subsystem;") == 0;
	if (st->has_locks)
		ok &= state_append(&sql, &len,
				   "SELECT owner, ttl::text, ttl < CURRENT_TIMESTAMP FROM locks "
				   "WHERE key = 'migrations';") == 0;
	ok &= state_append(&sql, &len, "SELECT json_build_object(") == 0;
	for (i = 0; i < sizeof(counted_tables) / sizeof(counted_tables[0]); i++) {
		char *id;
		char part[256];

		if (!core_state_has_table(st, counted_tables[i]))
			continue;
		id = PQescapeIdentifier(conn, counted_tables[i], strlen(counted_tables[i]));
		if (id == NULL)
			goto fail;
		snprintf(part, sizeof(part), "%s'%s', (SELECT count(*) FROM %s)", first ? "" : ", ",
			 counted_tables[i], id);
		PQfreemem(id);
		ok &= state_append(&sql, &len, part) == 0;
		first = 0;
	}
	ok &= state_append(&sql, &len, "), ") == 0;
	ok &= state_append(&sql, &len, core_state_has_table(st, "workspace_entity_counters")
					       ? "(SELECT coalesce(sum(count), 0) FROM workspace_entity_counters), "
					       : "-1, ") == 0;
	ok &= state_append(&sql, &len, core_state_has_table(st, "plugins")
					       ? "(SELECT json_agg(DISTINCT name) FROM plugins), "
					       : "NULL, ") == 0;
	/* Entities per type that belong to a workspace (§1.9): what tells a
	 * community datastore after finish from an Enterprise one. */
	ok &= state_append(&sql, &len, core_state_has_table(st, "workspace_entities")
					       ? "(SELECT json_object_agg(entity_type, n) FROM "
						 "(SELECT entity_type, count(DISTINCT entity_id) AS n "
						 "FROM workspace_entities GROUP BY entity_type) AS m);"
					       : "NULL;") == 0;
	if (ok)
		return sql;
fail:
	free(sql);
	return NULL;
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

static int state_read_counts(PGresult *res, struct core_db_state *st)
{
	json_t *obj = NULL;
	json_error_t jerr;
	const char *key;
	json_t *val;
	int rc = -1;

	obj = json_loads(PQgetvalue(res, 0, 0), 0, &jerr);
	if (obj == NULL || !json_is_object(obj))
		goto out;
	st->counts = calloc(json_object_size(obj) + 1, sizeof(*st->counts));
	if (st->counts == NULL)
		goto out;
	json_object_foreach(obj, key, val) {
		struct core_count *c = &st->counts[st->n_counts];

		c->table = strdup(key);
		if (c->table == NULL)
			goto out;
		c->n = json_integer_value(val);
		c->in_workspace = -1;
		st->n_counts++;
	}
	st->ee_counter_sum = atoll(PQgetvalue(res, 0, 1));
	if (state_json_strings(PQgetisnull(res, 0, 2) ? NULL : PQgetvalue(res, 0, 2),
			       &st->plugins_in_use, &st->n_plugins_in_use) < 0)
		goto out;
	if (core_state_has_table(st, "workspace_entities"))
		state_read_mapped(PQgetisnull(res, 0, 3) ? "{}" : PQgetvalue(res, 0, 3), st);
	rc = 0;
out:
	json_decref(obj);
	return rc;
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

/* Sends round 2 and reads its results: schema_meta rows (if the table
 * exists), the lock (if locks exists), then the counts. */
static int state_round2(PGconn *conn, struct core_db_state *st, struct core_error *err)
{
	PGresult *results[3] = { NULL, NULL, NULL };
	PGresult *res;
	char *sql = state_round2_sql(conn, st);
	size_t expected = (size_t)st->has_schema_meta + (size_t)st->has_locks + 1;
	size_t n = 0;
	size_t i = 0;
	int rc = -1;

	if (sql == NULL)
		return state_oom(err);
	st->round_trips++;
	if (!PQsendQuery(conn, sql)) {
		core_pg_check(conn, NULL, "reading the datastore state", err);
		goto out;
	}
	while ((res = PQgetResult(conn)) != NULL) {
		if (n < expected)
			results[n++] = res;
		else
			PQclear(res);
	}
	for (i = 0; i < n; i++) {
		if (core_pg_check(conn, results[i], "reading the datastore state", err) < 0) {
			results[i] = NULL;
			goto out;
		}
	}
	if (n != expected) {
		core_error_set(err, "reading the datastore state on %s: the server sent %zu results, "
				    "expected %zu", core_pg_where(conn), n, expected);
		goto out;
	}
	i = 0;
	if ((st->has_schema_meta && state_read_rows(results[i++], st) < 0) ||
	    (st->has_locks && state_read_lock(results[i++], st) < 0) ||
	    state_read_counts(results[i], st) < 0) {
		state_oom(err);
		goto out;
	}
	rc = 0;
out:
	for (i = 0; i < n; i++)
		PQclear(results[i]);
	free(sql);
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
