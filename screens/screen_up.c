/* screen_up.c — step 5: `kong migrations up`, non-destructive (SPEC §2.5). */
#include <stdio.h>
#include <string.h>

#include "core/core_catalog.h"
#include "screens/screens_internal.h"

/* The run pane's least height when the failure's text is long. */
#define UP_PANE_MIN 7

static struct {
	char msg[1024];
} up;

static bool up_applies(const struct screen_ctx *ctx)
{
	return screen_path(ctx) != CORE_PATH_NONE;
}

static void up_enter(struct screen_ctx *ctx)
{
	up.msg[0] = '\0';
	if (screen_run_is(ctx, CORE_UPGRADE_UP)) {
		screen_run_poll(ctx);
		ctx->ticking = !ctx->run.ended;
	}
}

static void up_tick(struct screen_ctx *ctx)
{
	if (screen_run_poll(ctx) || ctx->run.ended)
		ctx->ticking = false;
}

/* "core: 007_140_to_150, 008_150_to_200 (2)" lines of what up will run. */
static int up_draw_plan(const struct core_inspection *in, WINDOW *w, int y, int max, int cols)
{
	const struct core_kong_table *t = &in->list.fresh;
	char buf[1024];
	size_t i, k;
	int used = 0;

	if (!in->list_ok) {
		tui_wrap(w, y, 2, 2, cols - 4, TUI_ROLE_WARN, in->list_error);
		return 2;
	}
	if (t->n == 0)
		return tui_put(w, y, 2, cols - 4, TUI_ROLE_DIM, false,
			       "(kong migrations list shows no new migrations)") > 0;
	for (i = 0; i < t->n && used < max; i++) {
		size_t len = 0;

		len += (size_t)snprintf(buf, sizeof(buf), "%s (%zu): ", t->subs[i].subsystem,
					t->subs[i].n);
		for (k = 0; k < t->subs[i].n && len < sizeof(buf); k++)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s",
						k > 0 ? ", " : "", t->subs[i].names[k]);
		tui_put(w, y + used++, 4, cols - 6, TUI_ROLE_NORMAL, false, buf);
	}
	return used;
}

static bool up_has(char *const *names, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

static bool up_in_release(const struct core_catalog_subsystem *s, const char *name)
{
	size_t i;

	for (i = 0; s != NULL && i < s->n; i++)
		if (strcmp(s->migrations[i].name, name) == 0)
			return true;
	return false;
}

/* "core (2): 004_100_to_110, 005_120_to_130*" lines of what up ran, from
 * schema_meta: per subsystem, what is executed now but was not in the
 * release the datastore was at (the source), then what is pending (marked
 * "*": their teardown waits for finish). Without a known source, only the
 * pending ones. */
static int up_draw_ran(const struct core_inspection *in, WINDOW *w, int y, int max, int cols)
{
	const struct core_catalog_release *from = in->detection.from;
	char names[1024], buf[1200];
	size_t i, k, n;
	int used = 0;

	for (i = 0; i < in->db.n_rows && used < max; i++) {
		const struct core_schema_row *r = &in->db.rows[i];
		const struct core_catalog_subsystem *base =
			from != NULL ? core_catalog_subsystem(from, r->subsystem) : NULL;
		size_t len = 0;

		names[0] = '\0';
		n = 0;
		for (k = 0; from != NULL && k < r->n_executed && len < sizeof(names); k++)
			if (!up_in_release(base, r->executed[k]) &&
			    !up_has(r->pending, r->n_pending, r->executed[k]))
				len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s",
							n++ > 0 ? ", " : "", r->executed[k]);
		for (k = 0; k < r->n_pending && len < sizeof(names); k++)
			len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s*",
						n++ > 0 ? ", " : "", r->pending[k]);
		if (n == 0)
			continue;
		snprintf(buf, sizeof(buf), "%s (%zu): %s", r->subsystem, n, names);
		tui_put(w, y + used++, 4, cols - 6, TUI_ROLE_NORMAL, false, buf);
	}
	if (used == 0)
		return tui_put(w, y, 2, cols - 4, TUI_ROLE_DIM, false,
			       "(schema_meta shows no migrations of 'up')") > 0;
	return used;
}

static void up_draw_msg(const struct screen_ctx *ctx, WINDOW *w, int rows, int cols)
{
	if (up.msg[0] != '\0' || ctx->note[0] != '\0')
		tui_put(w, rows - 1, 1, cols - 2, TUI_ROLE_FAIL, false,
			up.msg[0] != '\0' ? up.msg : ctx->note);
}

/* Whether 'up' completed: the datastore has its migrations (up-done or
 * later) and the last run of up, if it is the last run, verified. */
static bool up_complete(const struct screen_ctx *ctx)
{
	const struct core_inspection *in = screen_insp(ctx);
	const json_t *end = core_journal_last(core_upgrade_journal(ctx->u), "run-end");
	const json_t *d = json_object_get(end, "details");
	const char *step = json_string_value(json_object_get(d, "step"));
	const char *verif = json_string_value(json_object_get(d, "verification"));

	if (!in->db_ok || in->plan.refusal[0] != '\0' ||
	    (in->plan.phase != CORE_PHASE_UP_DONE && in->plan.phase != CORE_PHASE_FINISHED &&
	     in->plan.phase != CORE_PHASE_MIGRATED))
		return false;
	return step == NULL || strcmp(step, "up") != 0 || verif == NULL || verif[0] == '\0';
}

/* Why Next is refused (up.msg), or TUI_NEXT. */
static enum tui_result up_next(struct screen_ctx *ctx)
{
	const struct core_inspection *in = screen_insp(ctx);

	if (up_complete(ctx))
		return TUI_NEXT;
	if (in->db_ok && in->plan.phase == CORE_PHASE_NOT_STARTED)
		snprintf(up.msg, sizeof(up.msg), "%s",
			 screen_run_is(ctx, CORE_UPGRADE_UP) && !screen_run_ok(ctx)
				 ? "'up' failed, nothing was migrated: fix the cause, then Enter."
				 : "Run 'up' first (Enter).");
	else if (in->db_ok && in->plan.phase == CORE_PHASE_UP_PARTIAL)
		snprintf(up.msg, sizeof(up.msg),
			 "'up' stopped half-way: Next is refused. Do what the remedy says.");
	else
		snprintf(up.msg, sizeof(up.msg),
			 "Not going on: 'up' did not complete and verify (phase %s).",
			 core_phase_name(in->plan.phase));
	return TUI_HANDLED;
}

static void up_draw(struct screen_ctx *ctx, WINDOW *w)
{
	const struct core_inspection *in = screen_insp(ctx);
	int cols = getmaxx(w), rows = getmaxy(w);
	bool attached = screen_run_is(ctx, CORE_UPGRADE_UP) && ctx->run.log != NULL;
	bool ran = in->db_ok && in->plan.phase != CORE_PHASE_NOT_STARTED &&
		   in->plan.phase != CORE_PHASE_UNKNOWN && (!attached || ctx->run.ended);
	char buf[2048];
	int y = 0, pane;

	/* A run that did not complete and verify: its log's last lines, then
	 * the outcome, the log's path and the remedy, whole. */
	if (attached && ctx->run.ended && !screen_run_ok(ctx)) {
		pane = rows - 1 - screen_run_end_draw(ctx, NULL, 0, rows, cols);
		if (pane < UP_PANE_MIN)
			pane = UP_PANE_MIN;
		screen_run_draw(ctx, w, 0, pane, cols, "migrated ");
		screen_run_end_draw(ctx, w, pane, rows - 1 - pane, cols);
		up_draw_msg(ctx, w, rows, cols);
		return;
	}
	y += tui_wrap(w, y, 1, 3, cols - 2, TUI_ROLE_NORMAL,
		      "'kong migrations up' does only non-destructive operations: the old "
		      "cluster keeps working on this database while it runs and afterwards, "
		      "until 'finish'. Nothing is removed.");
	/* Once up has run (verified: the inspection after it is this one), the
	 * list of new migrations is empty; say what ran instead. */
	if (ran) {
		tui_put(w, y++, 1, cols - 2, TUI_ROLE_TITLE, false,
			"What 'up' ran (schema_meta; * = pending until 'finish'):");
		y += up_draw_ran(in, w, y, attached ? 3 : 8, cols);
	} else {
		tui_put(w, y++, 1, cols - 2, TUI_ROLE_TITLE, false,
			"What 'up' will run (kong migrations list: new migrations):");
		y += up_draw_plan(in, w, y, attached ? 3 : 8, cols);
	}
	y++;
	if (attached) {
		screen_run_draw(ctx, w, y, rows - 2 - y, cols, "migrated ");
		if (ctx->run.ended) {
			screen_run_outcome(ctx, buf, sizeof(buf));
			tui_put(w, rows - 2, 1, cols - 2,
				strstr(buf, "verified") != NULL ? TUI_ROLE_OK : TUI_ROLE_FAIL, false,
				buf);
		} else {
			tui_put(w, rows - 2, 1, cols - 2, TUI_ROLE_WARN, false,
				"Running... q quits the wizard; the run goes on.");
		}
	} else if (up_complete(ctx)) {
		tui_put(w, y, 2, cols - 4, TUI_ROLE_OK, false,
			"'up' has already run: the datastore has its migrations (phase up-done or "
			"later).");
	} else if (in->plan.phase != CORE_PHASE_NOT_STARTED) {
		tui_wrap(w, y, 2, rows - 1 - y, cols - 4, TUI_ROLE_FAIL,
			 in->plan.refusal[0] != '\0' ? in->plan.refusal
			 : !in->db_ok		     ? in->db_error
						     : "'up' did not complete and verify.");
	} else {
		core_upgrade_blockers(ctx->u, CORE_UPGRADE_UP, NULL, NULL, buf, sizeof(buf));
		if (buf[0] != '\0') {
			tui_put(w, y++, 2, cols - 4, TUI_ROLE_FAIL, false, "Cannot start yet:");
			tui_wrap(w, y, 2, rows - 3 - y, cols - 4, TUI_ROLE_FAIL, buf);
		} else {
			tui_put(w, y, 2, cols - 4, TUI_ROLE_NORMAL, false,
				"Enter: run 'kong migrations up' now.");
		}
	}
	up_draw_msg(ctx, w, rows, cols);
}

static enum tui_result up_action(struct screen_ctx *ctx, enum tui_action a, int ch)
{
	const struct core_inspection *in = screen_insp(ctx);
	const struct core_runner_info *run = core_upgrade_run(ctx->u);
	struct core_error err = { { 0 } };

	(void)ch;
	switch (a) {
	case TUI_ACT_SELECT:
		if (run != NULL && run->state == CORE_RUNNER_RUNNING)
			return TUI_HANDLED;
		if (in->plan.phase != CORE_PHASE_NOT_STARTED)
			return up_next(ctx);
		if (core_upgrade_start(ctx->u, CORE_UPGRADE_UP, NULL, NULL, false, NULL, &err) < 0) {
			snprintf(up.msg, sizeof(up.msg), "%s", err.msg);
			return TUI_HANDLED;
		}
		up.msg[0] = '\0';
		screen_run_poll(ctx);
		ctx->ticking = true;
		return TUI_HANDLED;
	case TUI_ACT_NEXT:
		if (run != NULL && run->state == CORE_RUNNER_RUNNING) {
			snprintf(up.msg, sizeof(up.msg), "'up' is running: wait for it to end.");
			return TUI_HANDLED;
		}
		return up_next(ctx);
	default:
		if (ctx->run.log != NULL && screen_run_is(ctx, CORE_UPGRADE_UP))
			return tui_log_action(ctx->run.log, a, ch, 8);
		return TUI_IGNORED;
	}
}

static enum tui_context up_context(const struct screen_ctx *ctx)
{
	return ctx->run.log != NULL ? tui_log_context(ctx->run.log) : TUI_CTX_LIST;
}

static const char *up_help(const struct screen_ctx *ctx)
{
	(void)ctx;
	return "Up: runs 'kong migrations up' with the new node's kong.conf, supervised: it "
	       "survives the wizard and the SSH session. Its output streams into the log (/ "
	       "searches, f follows). When it ends, schema_meta is read again to verify that "
	       "every migration it reported is recorded. Old nodes keep working.";
}

const struct screen_ops screen_up = {
	.name = "up",
	.title = "Up (non-destructive)",
	.applies = up_applies,
	.enter = up_enter,
	.draw = up_draw,
	.action = up_action,
	.context = up_context,
	.tick = up_tick,
	.help = up_help,
};
