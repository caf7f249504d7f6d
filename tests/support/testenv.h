/* testenv.h — what integration tests share: one PostgreSQL sandbox per test
 * program, Kong datastores made from fixtures, kong.conf files pointing at
 * them, and running a program with stdout, stderr and exit status captured.
 *
 * Databases are owned by the role `kong` (password "kong") and reached over TCP
 * on 127.0.0.1, the way a Kong node reaches its datastore. */
#ifndef TESTENV_H
#define TESTENV_H

#include <stddef.h>

#include "core/core_error.h"

struct core_sandbox;

struct testenv {
	struct core_sandbox *sb;
	char kong_sim[4096];  /* path of the kong-sim binary (env KUW_KONG_SIM) */
	char tmpdir[4096];    /* scratch directory removed by testenv_stop */
	int counter;	      /* for unique database and file names */
};

/* Starts the sandbox and creates the role `kong`. Reads KUW_KONG_SIM from the
 * environment (set by ctest). Returns 0 or -1 with err. */
int testenv_start(struct testenv *te, struct core_error *err);

/* Stops the sandbox and removes the scratch directory. */
void testenv_stop(struct testenv *te);

/* Creates a new database (name written to dbname, e.g. "t_ee_0_36_3") holding
 * the named fixture (see fixtures.h), copied from a template that is loaded
 * once per test program. schema: NULL for public, else the fixture is loaded
 * into that schema (for pg_schema tests). */
int testenv_create_db(struct testenv *te, const char *fixture, const char *schema, char *dbname,
		      size_t dbname_size, struct core_error *err);

/* Writes a kong.conf for dbname into the scratch directory (path written to
 * path) with pg_host, pg_port, pg_user, pg_password, pg_database, and the
 * extra lines appended verbatim (may be NULL). */
int testenv_write_kongconf(struct testenv *te, const char *dbname, const char *extra, char *path,
			   size_t path_size, struct core_error *err);

/* The result of running a program. */
struct testenv_run {
	int status;	/* exit code, or 128+signal */
	char *out;	/* stdout, NUL-terminated; owned, freed by testenv_run_done */
	char *err;	/* stderr */
};

/* Runs argv (argv[0] a path) with the current environment plus env_extra
 * (NULL-terminated "K=V" strings, may be NULL), stdin from /dev/null, and
 * waits for it. Returns 0 when it ran (whatever its exit status). */
int testenv_run(const char *const *argv, const char *const *env_extra, struct testenv_run *run,
		struct core_error *err);
void testenv_run_done(struct testenv_run *run);

/* Runs one SQL query as the superuser on dbname and returns the first column
 * of the first row as a new string (NULL result -> "(null)"), or NULL on error. */
char *testenv_query1(struct testenv *te, const char *dbname, const char *sql, struct core_error *err);

/* Records one line "kind<TAB>name<TAB>event" in $KUW_FIGURES_DIR/figures.tsv
 * when the test command has set that directory (scripts/test.sh sums the
 * lines into its figures line), and does nothing otherwise. kind "drill":
 * event "run" when a drill starts, "passed" once all its checks held,
 * "skipped"; kind "badinput": "tried", then "handled exit N". One write
 * with O_APPEND, so that test programs running in parallel never mix their
 * lines; tabs and line breaks in name become spaces. */
void testenv_figure(const char *kind, const char *name, const char *event);

#endif
