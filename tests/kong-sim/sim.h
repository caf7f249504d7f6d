/* sim.h — the parts of kong-sim shared between its files: options, test knobs,
 * the log that imitates kong/cmd/utils/log.lua, the PostgreSQL session, the
 * schema state, the cluster lock and the commands.
 *
 * Every command returns the process exit status; output is written as Kong
 * 1.3 writes it (reference kong-migrations.md §1). */
#ifndef SIM_H
#define SIM_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "tests/kong-sim/sim_catalog.h"

/* Parsed `kong migrations` options (§1.1). */
struct sim_opts {
	const char *command; /* bootstrap, up, finish, list, reset, migrate-community-to-enterprise */
	bool yes;
	bool quiet;
	bool force;
	bool v;
	bool vv;
	long db_timeout;   /* seconds */
	long lock_timeout; /* seconds */
	const char *conf;  /* -c, or NULL */
};

/* Test knobs, read once in main from the environment. */
struct sim_knobs {
	long delay_ms;	   /* KONG_SIM_DELAY_MS: sleep before each migration step */
	const char *fail;  /* KONG_SIM_FAIL: "up:<sub>/<name>" or "teardown:<sub>/<name>" */
	const char *crash; /* KONG_SIM_CRASH: "<before|after>-<up|teardown>:<sub>/<name>" */
	bool stdin_tty;	   /* whether stdin is a terminal (prompts) */
};

enum sim_level { SIM_LOG_QUIET, SIM_LOG_INFO, SIM_LOG_VERBOSE, SIM_LOG_DEBUG };

enum sim_mig_state { SIM_MIG_NEW, SIM_MIG_PENDING, SIM_MIG_EXECUTED };

struct sim_mig {
	const char *name;
	const struct sim_migration *def; /* SQL from the catalog; NULL if the catalog has none */
	enum sim_mig_state state;
};

struct sim_sub {
	const char *name;
	struct sim_mig *migs;
	size_t n_migs;
};

/* The schema state of §2.1/§2.2 for the loaded subsystems. */
struct sim_state {
	bool needs_bootstrap;
	struct sim_sub *subs;
	size_t n_subs;
	size_t n_executed;
	size_t n_pending;
	size_t n_new;
};

/* Everything a command needs. */
struct sim_ctx {
	const struct sim_version *version;
	struct sim_opts opts;
	struct sim_knobs knobs;
	enum sim_level level;
	const struct sim_subsystem **subs; /* loaded subsystems in load order */
	size_t n_subs;
	PGconn *conn;
	char dbname[256];
	char schema[256]; /* pg_schema, "" when unset */
	char owner[37];	  /* lock owner: a random UUID per process (§2.3) */
	bool lock_held;
};

/* --- sim_log.c: kong/cmd/utils/log.lua (§1.2) --- */

/* Info-level line to stdout (bare unless --v/--vv). */
void sim_log(const struct sim_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sim_log_verbose(const struct sim_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sim_log_debug(const struct sim_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Warn line to stderr, always with the date and [warn] prefix. */
void sim_log_warn(const struct sim_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* An error raised in a command: "Error: <msg>" + the --v hint on stderr.
 * Returns 1, the exit status. */
int sim_error(const struct sim_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Where a Lua error was raised inside a cluster_mutex callback. */
struct sim_raise {
	const char *how;   /* "error" or "assert" */
	int line;	   /* line in kong/cmd/utils/migrations.lua */
	int cb_line;	   /* line of the callback function */
	const char *func;  /* "up", "finish", "bootstrap", ... */
	int cmd_line;	   /* line in kong/cmd/migrations.lua */
};

/* An error thrown inside the cluster_mutex callback (§1.5, §1.7): "Error:
 * [PostgreSQL error] cluster_mutex callback threw an error: <path>:<line>:
 * <msg>" and a stack traceback. Returns 1. */
int sim_error_mutex(const struct sim_ctx *ctx, const struct sim_raise *at, const char *msg);

/* Formats a libpq error the way pgmoon reports it ("ERROR: <msg> (<pos>)"). */
void sim_pg_errfmt(const PGconn *conn, const PGresult *res, char *buf, size_t size);

/* --- sim_db.c: PostgreSQL session, state, lock and migration runs --- */

/* Connection settings taken from kong.conf (§6) and --db-timeout. */
struct sim_pgconf {
	const char *host;
	const char *port;
	const char *user;
	const char *password; /* NULL = none */
	const char *database;
	const char *schema;   /* NULL = keep the server's search_path */
	bool ssl;
	bool ssl_verify;
	long timeout_ms;
};

/* Connects, sets search_path and time zone, and reads server_version_num the
 * way db:init_connector() does. On failure err holds the reason (pgmoon
 * style: "connection refused", "timeout", the server's message). */
int sim_db_connect(struct sim_ctx *ctx, const struct sim_pgconf *pc, char *err, size_t err_size);

/* Runs one statement with parameters; 0 when it succeeded (res may be NULL
 * when the caller does not want the result), else -1 with err set. */
int sim_db_exec(struct sim_ctx *ctx, const char *sql, int nparams, const char *const *params,
		PGresult **res, char *err, size_t err_size);

/* Loads the state of every loaded subsystem. 0, or -1 with err. */
int sim_state_load(struct sim_ctx *ctx, struct sim_state *st, char *err, size_t err_size);
void sim_state_done(struct sim_state *st);

/* Acquires the "migrations" lock (§2.3). Returns 1 when acquired, 0 when
 * another owner holds it, -1 with err on a database error. */
int sim_lock_insert(struct sim_ctx *ctx, char *err, size_t err_size);
/* 1 while someone holds an unexpired lock, 0 when free, -1 on error. */
int sim_lock_read(struct sim_ctx *ctx, char *err, size_t err_size);
/* Removes our own lock row (DELETE ... WHERE key AND owner). */
void sim_lock_release(struct sim_ctx *ctx);

/* cluster_mutex outcome. */
enum sim_mutex { SIM_MUTEX_ACQUIRED, SIM_MUTEX_NOT_LEADER, SIM_MUTEX_ERROR };

/* DB:cluster_mutex (§2.3): acquire, or with wait poll until released (->
 * NOT_LEADER) or ttl passes (-> ERROR "timeout"). err gets the message
 * without the "[PostgreSQL error] " prefix. */
enum sim_mutex sim_mutex_enter(struct sim_ctx *ctx, bool wait, char *err, size_t err_size);

/* DB:run_migrations (§1.7): for each subsystem with work, run the
 * migrations whose state is `which`: their up step when run_up, their
 * teardown (if any) when run_teardown.
 * Returns 0, or -1 with err holding "[PostgreSQL error] failed to run ...". */
int sim_run_migrations(struct sim_ctx *ctx, const struct sim_state *st, enum sim_mig_state which,
		       bool run_up, bool run_teardown, char *err, size_t err_size);

/* Creates schema_meta and locks (and the schema when pg_schema is set). */
int sim_db_bootstrap_tables(struct sim_ctx *ctx, char *err, size_t err_size);

/* Drops every table of the schema (reset, §1.8). */
int sim_db_reset(struct sim_ctx *ctx, char *err, size_t err_size);

/* --- sim_cmd.c / sim_ee.c: the subcommands --- */

int sim_cmd_list(struct sim_ctx *ctx, const struct sim_state *st);
int sim_cmd_bootstrap(struct sim_ctx *ctx, const struct sim_state *st);
int sim_cmd_up(struct sim_ctx *ctx, const struct sim_state *st);
int sim_cmd_finish(struct sim_ctx *ctx, const struct sim_state *st);
int sim_cmd_reset(struct sim_ctx *ctx, const struct sim_state *st);
int sim_cmd_c2e(struct sim_ctx *ctx, const struct sim_state *st);

/* The confirmation prompt of kong/cmd/migrations.lua: 1 yes, 0 no/cancel. */
int sim_confirm(const char *question);

#endif
