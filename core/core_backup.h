/* core_backup.h — a backup of the Kong database that is proven, not assumed
 * (SPEC §5).
 *
 * core_backup_take() reads the database's identity and size, checks free
 * space in the backup directory (0700, created when missing), runs
 * `pg_dump -Fc` with the datastore's connection settings (the password in a
 * 0600 passfile, never in argv), streams its output into a 0600 file while
 * hashing it (SHA-256) and reporting progress, verifies the archive with
 * pg_restore, and only then gives it its final name. What it returns is what
 * the journal records (core_backup_info_json). core_backup_fresh() says
 * whether a recorded backup may stand behind an irreversible step. Nothing
 * here prints; progress goes through a callback. */
#ifndef CORE_BACKUP_H
#define CORE_BACKUP_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "core/core_error.h"
#include "core/core_pg.h"

/* Which database a backup is of. system_identifier comes from
 * pg_control_system() (PostgreSQL 9.6+, callable by any role unless an
 * administrator revoked it); "" when it could not be read, and then host and
 * port stand in for it. database_oid tells a re-created database from the one
 * backed up. */
struct core_backup_identity {
	char system_identifier[32];
	long long database_oid;
	char dbname[128];
	char host[256];
	int port;
};

struct core_backup_info {
	char path[4096]; /* the final .dump file */
	long long size;  /* bytes */
	char sha256[65]; /* lowercase hex */
	struct core_backup_identity id;
	char schema[128];   /* the schema holding Kong's tables */
	long long estimate; /* pg_database_size at the time */
	long long time_ms;  /* when the backup began, ms since the epoch (UTC) */
	bool verified;      /* pg_restore listed and read the whole archive */
	int tables;         /* TABLE entries of schema in the archive */
	int table_data;     /* TABLE DATA entries of schema in the archive */
};

struct core_backup_opts {
	const struct core_pg_params *pg; /* the datastore, as read from kong.conf */
	const char *dir;                 /* backup directory */
	const char *pg_dump;             /* program name (PATH) or path; NULL = "pg_dump" */
	const char *pg_restore;          /* likewise; NULL = "pg_restore" */
	long long now_ms;                /* frozen clock for tests; 0 = the real clock */
	/* Called as output arrives (the last call has written == the file's
	 * size); estimate is the database size. Returning non-zero
	 * cancels: pg_dump is stopped and nothing is left behind. May be NULL. */
	int (*progress)(void *ctx, long long written, long long estimate);
	void *ctx;
	/* Test hook: when > 0, used instead of statvfs()'s free space. */
	long long test_free_bytes;
};

/* Reads conn's identity. host/port are the configured ones (p), since
 * that is what the operator knows the datastore by. 0, or -1 with err. */
int core_backup_identify(PGconn *conn, const struct core_pg_params *p,
			 struct core_backup_identity *id, struct core_error *err);

/* Takes a verified backup as described above. On success fills *out and
 * returns 0. On failure returns -1 with err (pg_dump's own message included,
 * never the password) and leaves no file behind; out is then unspecified. */
int core_backup_take(const struct core_backup_opts *o, struct core_backup_info *out,
		     struct core_error *err);

/* Verifies an archive on its own: hashes the file (size, sha256), checks
 * with `pg_restore --list` that schema holds a TABLE for each name in expect
 * (NULL = schema_meta, services, routes, consumers, plugins) and TABLE DATA for
 * schema_meta, and reads every data block (`pg_restore -f /dev/null`) so a
 * truncated or damaged file fails. Fills size, sha256, tables, table_data and
 * verified of *info, nothing else. 0 when verified; -1 with err saying what is
 * missing or wrong. */
int core_backup_verify(const char *path, const char *pg_restore, const char *schema,
		       const char *const *expect, struct core_backup_info *info,
		       struct core_error *err);

/* Whether b may stand behind an irreversible step on the database cur:
 * verified, of the same database (name, cluster, OID), and at most max_age_ms
 * old at now_ms. why (may be NULL) says why not, or how old it is. */
bool core_backup_fresh(const struct core_backup_info *b, const struct core_backup_identity *cur,
		       long long max_age_ms, long long now_ms, char *why, size_t size);

/* The journal's form of a backup record. New reference, NULL on out of memory. */
json_t *core_backup_info_json(const struct core_backup_info *b);

/* Reads a record written by core_backup_info_json. 0, or -1 with err naming the
 * bad field. */
int core_backup_info_from_json(const json_t *j, struct core_backup_info *b, struct core_error *err);

#endif
