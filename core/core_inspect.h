/* core_inspect.h — look at everything once: the datastore, the new kong
 * binary, the kong.conf settings; detect the release, decide the path and
 * phase, and run the prerequisite checks. What `check`, `status` and the
 * wizard's first screens show. Costs: 2 datastore round trips (plus the
 * connection, when none is given), `kong version`, `kong migrations list`. */
#ifndef CORE_INSPECT_H
#define CORE_INSPECT_H

#include <jansson.h>
#include <stdbool.h>

#include "core/core_checks.h"
#include "core/core_kong.h"
#include "core/core_path.h"
#include "core/core_pg.h"
#include "core/core_session.h"
#include "core/core_state.h"

#define CORE_INSPECT_MAX_CHECKS 32

struct core_inspect_params {
	struct core_pg_params pg;
	PGconn *conn;			/* a connection to use (borrowed); NULL = connect */
	const char *connect_error;	/* with conn NULL: why the caller could not connect
					 * (then no second attempt is made) */
	const char *kong_binary;	/* the NEW kong CLI */
	const char *kong_conf;		/* passed to it as -c; NULL = its own lookup */
	int kong_timeout_ms;		/* for `kong version` / `kong migrations list`; 0 = 60 s */
	struct core_setting database, plugins, portal, portal_is_legacy;
	struct core_session_input session;
	const char *backup_dir;
	long long backup_free_bytes;	/* -1 = unknown */
	bool backup_fresh;
	const char *backup_why;
	const char *const *waived;	/* check ids waived (config or --waive) */
	const char *const *reasons;
	size_t n_waived;
};

struct core_inspection {
	bool db_ok;
	char db_error[1024];
	struct core_db_state db;
	struct core_detection detection;
	bool kong_ok;
	char kong_error[1024];
	struct core_kong_version kong;
	bool list_ok;
	char list_error[1024];
	struct core_kong_list list;
	struct core_session_report session;
	struct core_plan plan;
	struct core_check_result results[CORE_INSPECT_MAX_CHECKS];
	size_t n_results;
	bool ready;
};

/* Runs the inspection. Failures to reach the datastore or the binary are
 * findings (in out), not errors: returns -1 only when memory or randomness
 * fails. out is owned by the caller (core_inspect_done). */
int core_inspect_run(const struct core_inspect_params *p, struct core_inspection *out,
		     struct core_error *err);

void core_inspect_done(struct core_inspection *in);

/* The JSON of `check --json` (SPEC §3): source, target, path, phase, ready,
 * checks. New reference owned by the caller. */
json_t *core_inspect_json(const struct core_inspection *in);

#endif
