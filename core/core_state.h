/* core_state.h — what a Kong datastore holds, read in two round trips.
 *
 * Round 1: server version, current schema, database and user, the tables of
 * the current schema (Kong looks only there, reference §2.2), privileges (CREATE
 * on the schema, tables not owned), and the database size. Round 2, shaped
 * by round 1 and pipelined: the schema_meta rows (§2.1), the `migrations`
 * lock (§2.3), entity counts of the Kong tables present and of their
 * entities in a workspace, the Enterprise workspace entity counter sum
 * (§1.9) and the plugin names in use, one statement per table, each its own
 * transaction: the read may run beside a migration (`status` during `up`)
 * and must never hold a table while it waits for another (a deadlock that
 * PostgreSQL could end by aborting Kong's migration). */
#ifndef CORE_STATE_H
#define CORE_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "core/core_catalog.h"
#include "core/core_error.h"

struct core_count {
	char *table;
	long long n;
	long long in_workspace; /* entities of this type in some workspace; -1 = no workspaces */
};

struct core_lock {
	bool held;	/* a row with key 'migrations' exists */
	bool expired;	/* its ttl is in the past: stale, the next acquirer removes it */
	char *owner;	/* the owning node's id (a UUID per kong CLI process) */
	char *ttl;	/* as PostgreSQL prints it */
};

struct core_db_state {
	int server_version_num;
	char *schema;
	char *database;
	char *user;		/* current_user */
	bool can_create;	/* CREATE on the current schema (up adds tables) */
	char **not_owned;	/* tables of the schema the user does not own (cannot ALTER) */
	size_t n_not_owned;
	long long database_bytes; /* pg_database_size: what a backup will hold, roughly */
	char **tables;		/* in the current schema, sorted */
	size_t n_tables;
	bool has_schema_meta;
	bool has_locks;
	bool has_legacy_migrations; /* schema_migrations: a pre-1.0 datastore */
	struct core_schema_row *rows;
	size_t n_rows;
	struct core_lock lock;
	struct core_count *counts; /* entity tables present, see core_state.c */
	size_t n_counts;
	long long ee_counter_sum;  /* SUM(count) of workspace_entity_counters, -1 if absent */
	char **plugins_in_use;	   /* DISTINCT plugins.name */
	size_t n_plugins_in_use;
	int round_trips;
};

/* Reads the state. On success st owns everything (core_state_done). */
int core_state_read(PGconn *conn, struct core_db_state *st, struct core_error *err);

void core_state_done(struct core_db_state *st);

bool core_state_has_table(const struct core_db_state *st, const char *table);

/* Rows of the table that belong to a workspace (workspace_entities), -1 when
 * the datastore has no workspaces or the table is absent. */
long long core_state_in_workspace(const struct core_db_state *st, const char *table);

/* Rows of an entity table, or -1 when the table is absent. */
long long core_state_count(const struct core_db_state *st, const char *table);

/* The schema_meta row of a subsystem, or NULL. */
const struct core_schema_row *core_state_row(const struct core_db_state *st, const char *subsystem);

#endif
