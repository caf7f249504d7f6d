/* screens.h — the wizard: one file per step (SPEC §2), one ordered registry
 * (screens.c), run on the terminal layer. The screens only show what the core
 * upgrade module says and ask what it needs; they never talk to the datastore
 * or run programs themselves.
 *
 * main.c opens an exclusive upgrade session (operator lock, journal), reads
 * the configuration and calls screens_run(); it returns when the operator
 * quits (the journal has everything; running it again resumes). */
#ifndef SCREENS_H
#define SCREENS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/core_error.h"
#include "core/core_pg.h"
#include "core/core_upgrade.h"

/* Everything the screens need, prepared by main.c. Strings are borrowed. */
struct screens_env {
	struct core_upgrade *u;	    /* exclusive session, already inspected */
	const char *version;	    /* the wizard's version, for the header */
	bool colour;		    /* false: NO_COLOR or --no-color */
	bool utf8;		    /* the locale is UTF-8 */
	int log_fd;		    /* stderr while curses owns the terminal (0600 file) */
	const char *kong_conf_path; /* the new node's kong.conf (Session & cookies writes it) */
	const char *state_dir;	    /* the report file goes here */
	const struct core_pg_params *pg; /* the datastore (census connection) */
	/* Traffic shift (SPEC §2 step 6, §6): the clusters' Admin APIs. */
	const char *const *old_urls;
	size_t n_old;
	const char *const *new_urls;
	size_t n_new;
	const char *old_token;	    /* RBAC tokens, never shown; NULL = none */
	const char *new_token;
	long poll_interval_ms;
	double idle_rate;
	long min_soak_ms;
};

/* Runs the wizard until the operator quits. Returns 0, or -1 with err when
 * the terminal could not be taken or failed; the terminal is restored on
 * every way out. A signal (INT/TERM/HUP) ends the process after the
 * terminal is restored (tui_exit_by_signal); runs in progress go on. */
int screens_run(const struct screens_env *env, struct core_error *err);

#endif
