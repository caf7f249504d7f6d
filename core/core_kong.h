/* core_kong.h — asking the new `kong` CLI what it is and what it sees.
 *
 * `kong version` and `kong migrations list [-c conf]` are read-only and quick
 * (list never takes the cluster lock, reference §1.3), so they run to
 * completion with a deadline. Their output is parsed per reference §1.3 and
 * §5.7; the exit status of `list` is the primary signal: 0 up to date,
 * 1 error, 2 legacy (< 0.14), 3 needs bootstrap, 4 pending, 5 new. */
#ifndef CORE_KONG_H
#define CORE_KONG_H

#include <stddef.h>

#include "core/core_catalog.h"
#include "core/core_error.h"

enum core_kong_list_status {
	CORE_KONG_LIST_UP_TO_DATE = 0,
	CORE_KONG_LIST_ERROR = 1,
	CORE_KONG_LIST_LEGACY = 2,
	CORE_KONG_LIST_NEEDS_BOOTSTRAP = 3,
	CORE_KONG_LIST_PENDING = 4,
	CORE_KONG_LIST_NEW = 5,
};

/* One line of a `list` table: "<subsystem>: a, b, c". */
struct core_kong_migs {
	char *subsystem;
	char **names;
	size_t n;
};

struct core_kong_table {
	struct core_kong_migs *subs;
	size_t n;
};

struct core_kong_list {
	int status;			 /* the exit status (enum core_kong_list_status) */
	struct core_kong_table executed; /* "Executed migrations:" */
	struct core_kong_table pending;	 /* "Pending migrations:" */
	struct core_kong_table fresh;	 /* "New migrations available:" */
	char *message;			 /* for errors: the "Error: ..." text, else NULL */
};

struct core_kong_version {
	enum core_edition edition;
	char version[32]; /* "1.3" */
	char text[128];	  /* the first line as printed */
};

/* Runs `<kong> version`. err on a missing binary, a timeout, a failure, or
 * output that is not a Kong version. */
int core_kong_version(const char *kong, int timeout_ms, struct core_kong_version *v,
		      struct core_error *err);

/* Runs `<kong> migrations list [-c conf] [--db-timeout S]` and parses it.
 * db_timeout_s > 0 is passed on: Kong otherwise waits 60 s for an unreachable
 * datastore whatever pg_timeout says (reference §1.1). Returns 0 whenever
 * the command ran and its output made sense (l->status may still be 1, with
 * l->message); -1 with err otherwise. l is owned by the caller
 * (core_kong_list_done). */
int core_kong_list(const char *kong, const char *conf, int db_timeout_s, int timeout_ms,
		   struct core_kong_list *l,
		   struct core_error *err);

/* Parses the stdout of `list` (exposed for tests and fuzzing). */
int core_kong_list_parse(const char *out, struct core_kong_list *l);

void core_kong_list_done(struct core_kong_list *l);

/* The names of one subsystem in a table, or NULL. */
const struct core_kong_migs *core_kong_table_find(const struct core_kong_table *t,
						  const char *subsystem);

#endif
