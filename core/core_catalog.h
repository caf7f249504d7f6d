/* core_catalog.h — what each Kong release records in schema_meta, and what a
 * datastore's schema_meta says about where it stands.
 *
 * The catalog is data (reference kong-migrations.md §3): per release, the
 * migrations of `core` and (Enterprise) `enterprise` in index order, with the
 * teardown flag, and the bundled plugin subsystems. Detection compares the
 * executed and pending sets of a datastore with every release: the release
 * whose core/enterprise sets equal the executed ones is the source; when
 * pending migrations are present, the release whose sets equal executed ∪
 * pending is the one whose `up` already ran. Plugin subsystems never decide
 * the version (their migrations are the same across 1.x), but they are
 * compared with the target to report custom or missing plugin subsystems. */
#ifndef CORE_CATALOG_H
#define CORE_CATALOG_H

#include <stdbool.h>
#include <stddef.h>

enum core_edition {
	CORE_EDITION_UNKNOWN,
	CORE_EDITION_COMMUNITY,
	CORE_EDITION_ENTERPRISE,
};

struct core_catalog_migration {
	const char *name;
	bool teardown; /* has a PostgreSQL teardown: "(pending)" after up */
};

struct core_catalog_subsystem {
	const char *name;
	const struct core_catalog_migration *migrations;
	size_t n;
};

struct core_catalog_release {
	const char *id;	      /* "ee-0.36", "ce-1.2", ... */
	enum core_edition edition;
	const char *version;  /* "0.36", "1.2", as an operator names it */
	const struct core_catalog_subsystem *subsystems; /* core, plugins, enterprise */
	size_t n;
};

/* One schema_meta row as read from the datastore. The arrays are in the
 * recorded (execution) order; pending_null tells NULL from '{}'. */
struct core_schema_row {
	char *subsystem;
	char *last_executed; /* NULL when NULL */
	char **executed;
	size_t n_executed;
	char **pending;
	size_t n_pending;
	bool pending_null;
};

enum core_detect_kind {
	CORE_DETECT_EMPTY,	/* no schema_meta: not bootstrapped */
	CORE_DETECT_RELEASE,	/* executed matches a release, nothing pending */
	CORE_DETECT_UP_DONE,	/* executed matches `from`, executed ∪ pending matches `to`;
				 * or `finish` stopped half-way (partial, from unknown) */
	CORE_DETECT_UP_PARTIAL,	/* `up` stopped half-way: executed matches `from`,
				 * executed ∪ pending is part of `to` */
	CORE_DETECT_PENDING,	/* pending migrations that match no known upgrade */
	CORE_DETECT_UNKNOWN,	/* executed matches no known release */
};

struct core_detection {
	enum core_detect_kind kind;
	const struct core_catalog_release *from; /* the release the data was at */
	const struct core_catalog_release *to;	 /* UP_DONE: the release whose up ran */
	bool partial;				 /* UP_DONE: some teardowns already ran */
	char reason[512];			 /* for UNKNOWN / PENDING / UP_PARTIAL */
};

/* The release with this id, or NULL. */
const struct core_catalog_release *core_catalog_release(const char *id);

/* All releases, oldest first per edition; *n set to the count. */
const struct core_catalog_release *core_catalog_releases(size_t *n);

/* The subsystem of a release with this name, or NULL. */
const struct core_catalog_subsystem *core_catalog_subsystem(const struct core_catalog_release *r,
							    const char *name);

/* Detects where a datastore stands from its schema_meta rows (rows may be
 * NULL when n is 0; has_schema_meta false = the table does not exist). */
void core_catalog_detect(bool has_schema_meta, const struct core_schema_row *rows, size_t n,
			 struct core_detection *out);

/* Edition and version parsed from `kong version` output: "1.3.0" is
 * community 1.3, "Kong Enterprise 1.3.0.0" is Enterprise 1.3 (reference
 * §5.7: parse leniently). Writes "major.minor" into version. Returns the
 * edition, CORE_EDITION_UNKNOWN when the text is not a Kong version. */
enum core_edition core_catalog_parse_kong_version(const char *text, char *version, size_t size);

/* "community" / "enterprise" / "unknown". */
const char *core_edition_name(enum core_edition e);

#endif
