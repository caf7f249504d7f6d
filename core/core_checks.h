/* core_checks.h — the prerequisite checks (SPEC §4): one table, one runner.
 *
 * Every check has an id, a title, a severity and a run function. Checks do no
 * I/O: everything they look at is gathered first into struct core_check_input
 * (the datastore state in two round trips, `kong version`, `kong migrations
 * list`, kong.conf settings, free disk, the last backup), so the same table
 * feeds the TUI checklist and `check --json`, and tests can feed it directly.
 * (PostgreSQL pg_upgrade check.c does the same.) */
#ifndef CORE_CHECKS_H
#define CORE_CHECKS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/core_catalog.h"
#include "core/core_kong.h"
#include "core/core_path.h"
#include "core/core_session.h"
#include "core/core_state.h"

enum core_check_status {
	CORE_CHECK_PASS,
	CORE_CHECK_WARN,
	CORE_CHECK_FAIL,
	CORE_CHECK_WAIVED,
};

enum core_check_severity {
	CORE_CHECK_FATAL,    /* a failure blocks; it cannot be waived */
	CORE_CHECK_WAIVABLE, /* a failure blocks unless waived with a typed reason */
};

/* A kong.conf setting as the checks need it: its value and where it came from
 * ("/etc/kong/kong.conf:120", "KONG_PLUGINS", "default"). */
struct core_setting {
	const char *value; /* NULL = unset */
	const char *where;
};

struct core_check_input {
	/* Datastore: db NULL when it could not be read, with db_error saying why. */
	const char *db_error;
	const struct core_db_state *db;
	const struct core_detection *detection;
	const struct core_plan *plan;
	/* The new kong binary. */
	const char *kong_binary;
	const char *kong_error;		  /* `kong version` failed */
	const struct core_kong_version *kong;
	const char *list_error;		  /* `kong migrations list` could not run */
	const struct core_kong_list *list;
	/* kong.conf of the new node. */
	const char *kong_conf_path;	  /* NULL = Kong's own lookup found none */
	struct core_setting database, plugins, portal, portal_is_legacy;
	const struct core_session_report *session;
	/* Backups. */
	const char *backup_dir;
	long long backup_free_bytes;	  /* -1 = could not be measured */
	bool backup_fresh;
	const char *backup_why;		  /* why not fresh ("no backup recorded yet") */
};

struct core_check_result {
	const char *id;
	const char *title;
	enum core_check_severity severity;
	enum core_check_status status;
	char message[512];
	char remedy[1024];
	char waiver[256]; /* the reason, when waived */
};

struct core_check {
	const char *id;
	const char *title;
	enum core_check_severity severity;
	void (*run)(const struct core_check_input *in, struct core_check_result *r);
};

/* The table, in display order. */
const struct core_check *core_checks_table(size_t *n);

/* Runs every check into results (an array of the table's size). A failed
 * waivable check whose id is in waived[] becomes WAIVED with the reason given
 * in reasons[] (same index; may be NULL). Returns the number of results. */
size_t core_checks_run(const struct core_check_input *in, const char *const *waived,
		       const char *const *reasons, size_t n_waived, struct core_check_result *results);

/* True when no result is FAIL. */
bool core_checks_ready(const struct core_check_result *results, size_t n);

/* "pass", "warn", "fail", "waived". */
const char *core_check_status_name(enum core_check_status s);

/* True when id names a check of the table. */
bool core_checks_known(const char *id);

#endif
