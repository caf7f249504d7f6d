/* sim_cmd.c — `kong migrations list|bootstrap|up|finish|reset`, following
 * kong/cmd/migrations.lua and kong/cmd/utils/migrations.lua of Kong 1.3
 * (reference kong-migrations.md §1.3-§1.8). */
#include "tests/kong-sim/sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIM_NOT_LEADER "aborted: another node is performing database changes"

/* Lines of kong/cmd/utils/migrations.lua where the callbacks raise. The up
 * numbers are those printed by Kong 1.x (Kong/charts#92, Kong/kong#5934);
 * the others are approximate, which only shows in the traceback text. */
static const struct sim_raise sim_at_up_pending = { "error", 67, 63, "up", 172 };
static const struct sim_raise sim_at_up_run = { "assert", 97, 63, "up", 172 };
static const struct sim_raise sim_at_bootstrap_run = { "assert", 39, 38, "bootstrap", 164 };
static const struct sim_raise sim_at_finish_run = { "assert", 134, 124, "finish", 180 };
static const struct sim_raise sim_at_reset = { "assert", 157, 155, "reset", 158 };

/* CE 1.0 and 1.1 used lower-case wording in `list` (§1.3). */
static bool sim_old_wording(const struct sim_ctx *ctx)
{
	const char *v = ctx->version->kong_version;

	return !ctx->version->enterprise &&
	       (strncmp(v, "1.0", 3) == 0 || strncmp(v, "1.1", 3) == 0);
}

/* Migrations_mt.__tostring (§1.3): one line per subsystem with migrations in
 * that state, the subsystem names right-aligned to the longest of the group.
 * Returns a new string (caller frees) or NULL when the group is empty. */
static char *sim_state_table(const struct sim_state *st, enum sim_mig_state which)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = NULL;
	int width = 0;
	bool any = false;
	size_t i, j;

	for (i = 0; i < st->n_subs; i++) {
		for (j = 0; j < st->subs[i].n_migs; j++) {
			if (st->subs[i].migs[j].state == which &&
			    (int)strlen(st->subs[i].name) > width)
				width = (int)strlen(st->subs[i].name);
		}
	}
	f = open_memstream(&buf, &size);
	if (f == NULL)
		return NULL;
	for (i = 0; i < st->n_subs; i++) {
		bool first = true;

		for (j = 0; j < st->subs[i].n_migs; j++) {
			if (st->subs[i].migs[j].state != which)
				continue;
			if (first)
				fprintf(f, "%s%*s: ", any ? "\n" : "", width, st->subs[i].name);
			else
				fputs(", ", f);
			fputs(st->subs[i].migs[j].name, f);
			first = false;
			any = true;
		}
	}
	fclose(f);
	if (!any) {
		free(buf);
		return NULL;
	}
	return buf;
}

int sim_cmd_list(struct sim_ctx *ctx, const struct sim_state *st)
{
	char *executed = NULL;
	char *pending = NULL;
	char *fresh = NULL;
	bool printed = false;
	int rc = 0;

	/* §1.3: list never takes the lock. Legacy (< 1.0) detection is not
	 * simulated: such datastores cannot be created with this stand-in. */
	if (st->needs_bootstrap) {
		sim_log(ctx, "%s", sim_old_wording(ctx)
					   ? "database needs bootstrapping; run 'kong migrations bootstrap'"
					   : "Database needs bootstrapping; run 'kong migrations bootstrap'");
		return 3;
	}
	executed = sim_state_table(st, SIM_MIG_EXECUTED);
	pending = sim_state_table(st, SIM_MIG_PENDING);
	fresh = sim_state_table(st, SIM_MIG_NEW);
	if (executed != NULL) {
		sim_log(ctx, "%s:\n%s", sim_old_wording(ctx) ? "executed migrations" : "Executed migrations",
			executed);
		printed = true;
	}
	if (pending != NULL) {
		sim_log(ctx, "%sPending migrations:\n%s", printed ? "\n" : "", pending);
		printed = true;
	}
	if (fresh != NULL)
		sim_log(ctx, "%sNew migrations available:\n%s", printed ? "\n" : "", fresh);
	if (pending != NULL && fresh != NULL) {
		sim_log(ctx, "%s", "");
		sim_log_warn(ctx,
			     "Database has pending migrations from a previous upgrade, and new "
			     "migrations from this upgrade (version %s)",
			     ctx->version->meta_version);
		sim_log(ctx, "\nRun 'kong migrations finish' when ready to complete pending migrations "
			     "(postgres database will be incompatible with the previous Kong version)");
		rc = 4;
	} else if (pending != NULL) {
		sim_log(ctx, "\nRun 'kong migrations finish' when ready");
		rc = 4;
	} else if (fresh != NULL) {
		sim_log(ctx, "\nRun 'kong migrations up' to proceed");
		rc = 5;
	}
	free(executed);
	free(pending);
	free(fresh);
	return rc;
}

/* Enters the migrations mutex; on NOT_LEADER prints the abort line. Returns
 * 1 when acquired, 0 when not leader (status in *rc), -1 on error (printed). */
static int sim_mutex(struct sim_ctx *ctx, bool wait, int not_leader_rc, int *rc)
{
	char err[1024];

	switch (sim_mutex_enter(ctx, wait, err, sizeof(err))) {
	case SIM_MUTEX_ACQUIRED:
		return 1;
	case SIM_MUTEX_NOT_LEADER:
		/* §2.3: no_wait commands abort at once; waiting ones after a release. */
		sim_log(ctx, SIM_NOT_LEADER);
		*rc = not_leader_rc;
		return 0;
	case SIM_MUTEX_ERROR:
		break;
	}
	*rc = sim_error(ctx, "[PostgreSQL error] %s", err);
	return -1;
}

int sim_cmd_bootstrap(struct sim_ctx *ctx, const struct sim_state *st)
{
	char err[4096];
	int rc = 0;

	/* §1.4 */
	if (!st->needs_bootstrap) {
		sim_log(ctx, "Database already bootstrapped");
		return 0;
	}
	sim_log(ctx, "Bootstrapping database...");
	if (sim_db_bootstrap_tables(ctx, err, sizeof(err)) != 0)
		return sim_error(ctx, "[PostgreSQL error] %s", err);
	if (sim_mutex(ctx, false, 0, &rc) <= 0)
		return rc;
	if (sim_run_migrations(ctx, st, SIM_MIG_NEW, true, true, err, sizeof(err)) != 0) {
		sim_lock_release(ctx);
		return sim_error_mutex(ctx, &sim_at_bootstrap_run, err);
	}
	sim_log(ctx, "Database is up-to-date");
	sim_lock_release(ctx);
	return 0;
}

/* Re-runs up and teardown of every executed migration (-f, §1.5, §1.6). */
static int sim_force_rerun(struct sim_ctx *ctx, struct sim_state *st, char *err, size_t err_size)
{
	if (st->n_executed == 0)
		return 0;
	if (sim_run_migrations(ctx, st, SIM_MIG_EXECUTED, true, true, err, err_size) != 0)
		return -1;
	sim_state_done(st);
	return sim_state_load(ctx, st, err, err_size);
}

int sim_cmd_up(struct sim_ctx *ctx, const struct sim_state *outer)
{
	struct sim_state st = { 0 };
	char err[4096];
	int rc = 0;

	/* §1.5: pre-lock check; EE 1.3 spells it with a lower-case "cannot". */
	if (outer->needs_bootstrap)
		return sim_error(ctx, "%s run migrations: database needs bootstrapping; run 'kong "
				      "migrations bootstrap'",
				 ctx->version->enterprise ? "cannot" : "Cannot");
	/* `up` waits for the lock (opts.abort is ignored by cluster_mutex). */
	if (sim_mutex(ctx, true, 0, &rc) <= 0)
		return rc;
	/* The callback reads the state again, inside the lock. */
	if (sim_state_load(ctx, &st, err, sizeof(err)) != 0) {
		rc = sim_error_mutex(ctx, &sim_at_up_run, err);
		goto out;
	}
	if (!ctx->opts.force && st.n_pending > 0) {
		rc = sim_error_mutex(ctx, &sim_at_up_pending,
				     "Database has pending migrations; run 'kong migrations finish'");
		goto out;
	}
	if (ctx->opts.force) {
		if (sim_force_rerun(ctx, &st, err, sizeof(err)) != 0) {
			rc = sim_error_mutex(ctx, &sim_at_up_run, err);
			goto out;
		}
		if (st.n_pending > 0) {
			sim_log(ctx, "\nDatabase has pending migrations; run 'kong migrations finish' "
				     "when ready");
			goto out;
		}
	}
	if (st.n_new == 0) {
		if (!ctx->opts.force)
			sim_log(ctx, "Database is already up-to-date");
		goto out;
	}
	if (sim_run_migrations(ctx, &st, SIM_MIG_NEW, true, false, err, sizeof(err)) != 0) {
		rc = sim_error_mutex(ctx, &sim_at_up_run, err);
		goto out;
	}
	sim_state_done(&st);
	if (sim_state_load(ctx, &st, err, sizeof(err)) != 0) {
		rc = sim_error_mutex(ctx, &sim_at_up_run, err);
		goto out;
	}
	if (st.n_pending > 0)
		sim_log(ctx, "\nDatabase has pending migrations; run 'kong migrations finish' when ready");
out:
	/* §2.3: the lock is released after the callback, also after an error. */
	sim_lock_release(ctx);
	sim_state_done(&st);
	return rc;
}

int sim_cmd_finish(struct sim_ctx *ctx, const struct sim_state *outer)
{
	struct sim_state st = { 0 };
	char err[4096];
	int rc = 0;

	/* §1.6; legacy datastores are not simulated. */
	if (outer->needs_bootstrap)
		return sim_error(ctx, "Cannot run migrations; run 'kong migrations bootstrap' instead");
	if (sim_mutex(ctx, false, 0, &rc) <= 0)
		return rc;
	if (sim_state_load(ctx, &st, err, sizeof(err)) != 0) {
		rc = sim_error_mutex(ctx, &sim_at_finish_run, err);
		goto out;
	}
	if (ctx->opts.force && sim_force_rerun(ctx, &st, err, sizeof(err)) != 0) {
		rc = sim_error_mutex(ctx, &sim_at_finish_run, err);
		goto out;
	}
	if (st.n_pending > 0) {
		if (sim_run_migrations(ctx, &st, SIM_MIG_PENDING, false, true, err, sizeof(err)) !=
		    0) {
			rc = sim_error_mutex(ctx, &sim_at_finish_run, err);
			goto out;
		}
		sim_state_done(&st);
		if (sim_state_load(ctx, &st, err, sizeof(err)) != 0) {
			rc = sim_error_mutex(ctx, &sim_at_finish_run, err);
			goto out;
		}
	}
	if (st.n_new > 0) {
		sim_log(ctx, "\nNew migrations available; run 'kong migrations up' to proceed");
		goto out;
	}
	/* §1.6: printed after a successful finish as well, as the code does. */
	if (!ctx->opts.force && st.n_pending == 0)
		sim_log(ctx, "No pending migrations to finish");
out:
	sim_lock_release(ctx);
	sim_state_done(&st);
	return rc;
}

int sim_confirm(const char *question)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int tries;
	int rc = 0;

	/* confirm_prompt of kong/cmd/migrations.lua: three tries, else no. */
	for (tries = 0; tries < 3; tries++) {
		printf("> %s [Y/n] ", question);
		fflush(stdout);
		len = getline(&line, &cap, stdin);
		if (len < 0)
			break;
		line[strcspn(line, "\r\n")] = '\0';
		if (strcmp(line, "y") == 0 || strcmp(line, "Y") == 0 || strcmp(line, "yes") == 0 ||
		    strcmp(line, "YES") == 0) {
			rc = 1;
			break;
		}
		if (strcmp(line, "n") == 0 || strcmp(line, "N") == 0 || strcmp(line, "no") == 0 ||
		    strcmp(line, "NO") == 0)
			break;
	}
	free(line);
	return rc;
}

int sim_cmd_reset(struct sim_ctx *ctx, const struct sim_state *st)
{
	char err[4096];
	int rc = 1;

	/* §1.8 */
	if (!ctx->opts.yes) {
		if (!ctx->knobs.stdin_tty)
			return sim_error(ctx, "not a tty: invoke 'reset' non-interactively with the "
					      "--yes flag");
		if (!sim_confirm("Are you sure? This operation is irreversible.")) {
			sim_log(ctx, "cancelled");
			return 0;
		}
	}
	if (st->needs_bootstrap) {
		sim_log(ctx, "Database not bootstrapped, nothing to reset");
		return 1;
	}
	/* reset uses no_wait and exits 1 when another node holds the lock. */
	if (sim_mutex(ctx, false, 1, &rc) <= 0)
		return rc;
	sim_log(ctx, "Resetting database...");
	if (sim_db_reset(ctx, err, sizeof(err)) != 0) {
		char msg[4200];

		snprintf(msg, sizeof(msg), "[PostgreSQL error] %s", err);
		sim_lock_release(ctx);
		return sim_error_mutex(ctx, &sim_at_reset, msg);
	}
	/* no_cleanup: the locks table is gone with the rest. */
	ctx->lock_held = false;
	sim_log(ctx, "Database successfully reset");
	return 0;
}
