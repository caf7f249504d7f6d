/* sim_catalog.h — what each simulated Kong version knows: its subsystems, their
 * migrations in index order, and the PostgreSQL SQL of every migration's up
 * and teardown (reference kong-migrations.md §3, §4).
 *
 * A migration's SQL is the same in every version that ships it, so the SQL is
 * kept once per (subsystem, name) and versions only list names. */
#ifndef SIM_CATALOG_H
#define SIM_CATALOG_H

#include <stdbool.h>
#include <stddef.h>

struct sim_migration {
	const char *subsystem;
	const char *name;
	const char *up;	      /* SQL run inside BEGIN ... COMMIT; never NULL, may be "" */
	const char *teardown; /* SQL of the PostgreSQL teardown; NULL = none */
};

struct sim_subsystem {
	const char *name;	     /* "core", "acl", ..., "enterprise" */
	bool plugin;		     /* subject to the `plugins` setting */
	const char *const *names;    /* migration names in index order, NULL-terminated */
};

struct sim_version {
	const char *id;		     /* "ce-1.0" .. "ce-1.3", "ee-0.35", "ee-0.36", "ee-1.3" */
	bool enterprise;
	const char *kong_version;    /* what `kong version` prints: "1.3.0", "Kong Enterprise 1.3.0.0" */
	const char *meta_version;    /* _VERSION as used in messages: "1.3.0", "1.3.0.0-enterprise-edition" */
	const struct sim_subsystem *subsystems; /* load order: core, plugins, enterprise */
	size_t n_subsystems;
};

/* Looks a version up by id; NULL when unknown. */
const struct sim_version *sim_catalog_version(const char *id);

/* The list of all version ids, NULL-terminated (for messages). */
const char *const *sim_catalog_version_ids(void);

/* The SQL of one migration, or NULL when the catalog has none. */
const struct sim_migration *sim_catalog_migration(const char *subsystem, const char *name);

#endif
