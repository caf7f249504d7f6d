/* fixtures.h — realistic Kong datastores, loadable by name.
 *
 * Each fixture builds the schema by running kong-sim as the Kong version of
 * that datastore (bootstrap at an older release, then up and finish, so that
 * schema_meta records the history exactly as Kong would), then loads content
 * SQL from tests/fixtures/ (services, routes, consumers, plugins, credentials;
 * on Enterprise also workspaces, RBAC, admins, developers, portal files,
 * vitals). Names:
 *   ee-0.36          Kong Enterprise 0.36 (the source of path A)
 *   ee-0.36-up-done  ee-0.36 after `kong migrations up` of EE 1.3 (pending)
 *   ee-0.35          too old (migrate to 0.36 first)
 *   ce-1.3, ce-1.2   Kong community (the sources of path B)
 *   ce-1.1           too old
 *   empty            not bootstrapped */
#ifndef FIXTURES_H
#define FIXTURES_H

#include "core/core_error.h"

struct fixture_target {
	const char *host;     /* TCP host or socket directory */
	int port;
	const char *user;
	const char *password; /* may be NULL */
	const char *dbname;
	const char *schema;   /* NULL = public */
	const char *kong_sim; /* path of the kong-sim binary */
	const char *workdir;  /* where a temporary kong.conf may be written */
};

/* NULL-terminated list of fixture names. */
const char *const *fixture_names(void);

/* Loads the named fixture into an existing, empty database. scale multiplies
 * the entity counts (1 = a few hundred of each). Returns 0 or -1 with err. */
int fixture_load(const char *name, const struct fixture_target *t, int scale, struct core_error *err);

#endif
