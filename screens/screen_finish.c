/* screen_finish.c — step 7: `kong migrations finish`, the point of no
 * return (SPEC §2.7, runbook step 5). */
#include <stdio.h>
#include <string.h>

#include "screens/screens_internal.h"

enum finish_mode { FINISH_VIEW, FINISH_REASON, FINISH_CONFIRM };

/* The run pane's least height when the failure's text is long. */
#define FINISH_PANE_MIN 7

static struct {
	enum finish_mode mode;
	struct tui_field field;
	struct tui_form form;
	struct tui_confirm confirm;
	char text[1024];
	char reason[TUI_FIELD_MAX];
	char msg[2048];
	char blockers[2048]; /* core_upgrade_blockers, taken on entry and on r */
} finish;

static bool finish_applies(const struct screen_ctx *ctx)
{
	return screen_path(ctx) != CORE_PATH_NONE;
}

/* What stops finish now. Its census is a query: taken on entry and on r,
 * never per redraw (core_upgrade_start takes it again right before the
 * run, so a stale "nothing blocks" cannot let an old node through). */
static void finish_blockers(struct screen_ctx *ctx)
{
	const struct core_inspection *in = screen_insp(ctx);

	core_upgrade_blockers(ctx->u, CORE_UPGRADE_FINISH, in->db.database, "(asked)",
			      finish.blockers, sizeof(finish.blockers));
	/* On the community path the typed name records the confirmation. */
	if (in->plan.path == CORE_PATH_CE_TO_EE13 &&
	    strcmp(finish.blockers, "the traffic shift is not confirmed") == 0)
		finish.blockers[0] = '\0';
}

static void finish_enter(struct screen_ctx *ctx)
{
	finish_blockers(ctx);
	finish.mode = FINISH_VIEW;
	finish.msg[0] = '\0';
	finish.reason[0] = '\0';
	if (screen_run_is(ctx, CORE_UPGRADE_FINISH)) {
		screen_run_poll(ctx);
		ctx->ticking = !ctx->run.ended;
	}
}

static void finish_tick(struct screen_ctx *ctx)
{
	if (screen_run_poll(ctx) || ctx->run.ended)
		ctx->ticking = false;
}

static void finish_row(WINDOW *w, int y, int cols, bool ok, bool warn, const char *what,
		       const char *evidence)
{
	char buf[1024];

	tui_put(w, y, 2, 7, ok ? TUI_ROLE_OK : warn ? TUI_ROLE_WARN : TUI_ROLE_FAIL, false,
		ok ? "[ OK ]" : warn ? "[WARN]" : "[FAIL]");
	snprintf(buf, sizeof(buf), "%s: %s", what, evidence);
	tui_put(w, y, 9, cols - 10, TUI_ROLE_NORMAL, false, buf);
}

static int finish_draw_preconditions(struct screen_ctx *ctx, WINDOW *w, int y, int cols)
{
	const struct core_inspection *in = screen_insp(ctx);
	const json_t *tc = core_journal_last(core_upgrade_journal(ctx->u), "traffic-confirmed");
	const char *override = json_string_value(
		json_object_get(json_object_get(tc, "details"), "override"));
	const char *when = json_string_value(json_object_get(tc, "time"));
	const struct core_backup_info *b;
	bool fresh, confirmed = core_upgrade_traffic_confirmed(ctx->u);
	char why[1024], buf[1200];

	tui_put(w, y++, 1, cols - 2, TUI_ROLE_TITLE, false, "Preconditions and their evidence");
	screen_run_outcome(ctx, buf, sizeof(buf));
	finish_row(w, y++, cols, in->plan.phase == CORE_PHASE_UP_DONE, false, "up verified",
		   in->plan.phase == CORE_PHASE_UP_DONE ? "schema_meta has the pending migrations of up"
							: core_phase_name(in->plan.phase));
	if (in->plan.path == CORE_PATH_EE036_TO_EE13) {
		snprintf(buf, sizeof(buf), "%s%s", confirmed ? "confirmed " : "not confirmed",
			 confirmed && when != NULL ? when : "");
		finish_row(w, y++, cols, confirmed, false, "traffic on the new cluster", buf);
		snprintf(buf, sizeof(buf), "%s%s",
			 override != NULL ? "overridden: " : "none at confirmation",
			 override != NULL ? override : "");
		finish_row(w, y++, cols, confirmed && override == NULL, confirmed,
			   "no old nodes seen", buf);
	} else {
		finish_row(w, y++, cols, true, true, "old nodes stopped",
			   "your word, given with the database name");
	}
	b = core_upgrade_last_backup(ctx->u, &fresh, why, sizeof(why));
	if (b != NULL && fresh)
		snprintf(buf, sizeof(buf), "%s (sha256 %.12s...)", b->path, b->sha256);
	else
		snprintf(buf, sizeof(buf), "%s; Enter asks for a reason to go without", why);
	finish_row(w, y++, cols, fresh, true, "backup fresh and verified", buf);
	return y;
}

static void finish_draw_reason(WINDOW *w, int rows, int cols)
{
	tui_fill(w, rows / 2 - 3, 2, 7, cols - 4, TUI_ROLE_NORMAL);
	tui_box(w, rows / 2 - 3, 2, 7, cols - 4, "No fresh verified backup");
	tui_put(w, rows / 2 - 2, 4, cols - 8, TUI_ROLE_WARN, false,
		"Type why it is safe to finish without one (journaled):");
	tui_form_draw(&finish.form, w, rows / 2 - 1, 4, 3, cols - 8);
	tui_put(w, rows / 2 + 2, 4, cols - 8, TUI_ROLE_DIM, false,
		"Enter: go on   Esc: cancel (take a backup first)");
}

static void finish_draw(struct screen_ctx *ctx, WINDOW *w)
{
	const struct core_inspection *in = screen_insp(ctx);
	int cols = getmaxx(w), rows = getmaxy(w);
	bool attached = screen_run_is(ctx, CORE_UPGRADE_FINISH) && ctx->run.log != NULL;
	char buf[2048];
	int y = 0, pane;

	tui_put(w, y++, 1, cols - 2, TUI_ROLE_FAIL, false, "THE POINT OF NO RETURN");
	/* A run that did not complete and verify: its log's last lines, then
	 * the outcome, the log's path and the remedy, whole. */
	if (attached && ctx->run.ended && !screen_run_ok(ctx)) {
		pane = rows - 1 - y - screen_run_end_draw(ctx, NULL, 0, rows, cols);
		if (pane < FINISH_PANE_MIN)
			pane = FINISH_PANE_MIN;
		screen_run_draw(ctx, w, y, pane, cols, "finished ");
		screen_run_end_draw(ctx, w, y + pane, rows - 1 - y - pane, cols);
		if (finish.msg[0] != '\0' || ctx->note[0] != '\0')
			tui_put(w, rows - 1, 1, cols - 2, TUI_ROLE_FAIL, false,
				finish.msg[0] != '\0' ? finish.msg : ctx->note);
		if (finish.mode == FINISH_CONFIRM)
			tui_confirm_draw(&finish.confirm, w);
		else if (finish.mode == FINISH_REASON)
			finish_draw_reason(w, rows, cols);
		return;
	}
	y += tui_wrap(w, y, 1, 4, cols - 2, TUI_ROLE_NORMAL,
		      "'kong migrations finish' puts the database in the final state for Kong "
		      "Enterprise 1.3. From this point on, it will not be possible to start nodes in "
		      "the old cluster pointing to the same datastore anymore. Only the backup takes "
		      "it back.");
	if (attached) {
		screen_run_draw(ctx, w, y, rows - 2 - y, cols, "finished ");
		if (ctx->run.ended) {
			screen_run_outcome(ctx, buf, sizeof(buf));
			tui_put(w, rows - 2, 1, cols - 2,
				strstr(buf, "verified") != NULL ? TUI_ROLE_OK : TUI_ROLE_FAIL, false,
				strstr(buf, "verified") != NULL
					? "'finish' completed and verified: no pending migrations "
					  "remain. > goes on."
					: buf);
		} else {
			tui_put(w, rows - 2, 1, cols - 2, TUI_ROLE_WARN, false,
				"Running... q quits the wizard; the run goes on.");
		}
	} else if (in->plan.phase == CORE_PHASE_FINISHED || in->plan.phase == CORE_PHASE_MIGRATED) {
		tui_put(w, y + 1, 2, cols - 4, TUI_ROLE_OK, false,
			"'finish' has run: no pending migrations remain. > goes on.");
	} else {
		y = finish_draw_preconditions(ctx, w, y + 1, cols);
		if (finish.blockers[0] != '\0')
			tui_wrap(w, y + 1, 2, rows - 4 - y, cols - 4, TUI_ROLE_FAIL, finish.blockers);
		else
			tui_put(w, y + 1, 2, cols - 4, TUI_ROLE_NORMAL, false,
				"Enter: finish (you will type the database name; Esc cancels).");
	}
	if (finish.msg[0] != '\0' || ctx->note[0] != '\0')
		tui_wrap(w, rows - 1, 1, 1, cols - 2, TUI_ROLE_FAIL,
			 finish.msg[0] != '\0' ? finish.msg : ctx->note);
	if (finish.mode == FINISH_REASON) {
		finish_draw_reason(w, rows, cols);
	} else if (finish.mode == FINISH_CONFIRM) {
		tui_confirm_draw(&finish.confirm, w);
	}
}

static void finish_ask_confirm(struct screen_ctx *ctx)
{
	const char *db = screen_insp(ctx)->db.database;

	snprintf(finish.text, sizeof(finish.text),
		 "Old nodes will no longer be able to start against database '%s'. "
		 "Type the database name to run 'kong migrations finish'; anything else is No.",
		 db);
	finish.confirm.title = "Finish: the point of no return";
	finish.confirm.text = finish.text;
	finish.confirm.phrase = db;
	tui_confirm_reset(&finish.confirm);
	finish.mode = FINISH_CONFIRM;
}

static void finish_start(struct screen_ctx *ctx)
{
	const struct core_inspection *in = screen_insp(ctx);
	struct core_error err = { { 0 } };

	finish.mode = FINISH_VIEW;
	/* On the community path there is no blue/green window: the typed
	 * database name is also the operator's word that the old nodes are
	 * stopped (as on the command line). */
	if (in->plan.path == CORE_PATH_CE_TO_EE13 && !core_upgrade_traffic_confirmed(ctx->u) &&
	    core_upgrade_confirm_traffic(ctx->u, NULL, &err) < 0) {
		snprintf(finish.msg, sizeof(finish.msg), "%s", err.msg);
		return;
	}
	/* The point of no return: once this run starts, nodes of the old
	 * cluster can no longer start against the datastore. */
	if (core_upgrade_start(ctx->u, CORE_UPGRADE_FINISH, finish.confirm.typed,
			       finish.reason[0] != '\0' ? finish.reason : NULL, false, NULL,
			       &err) < 0) {
		snprintf(finish.msg, sizeof(finish.msg), "%s", err.msg);
		finish_blockers(ctx);
		return;
	}
	finish.msg[0] = '\0';
	screen_run_poll(ctx);
	ctx->ticking = true;
}

static enum tui_result finish_action(struct screen_ctx *ctx, enum tui_action a, int ch)
{
	const struct core_inspection *in = screen_insp(ctx);
	const struct core_runner_info *run = core_upgrade_run(ctx->u);
	enum tui_result r;
	char why[512];
	bool fresh;

	if (finish.mode == FINISH_REASON) {
		if (a == TUI_ACT_CANCEL) {
			finish.mode = FINISH_VIEW;
			return TUI_HANDLED;
		}
		if (tui_form_action(&finish.form, a, ch) == TUI_ACCEPT) {
			snprintf(finish.reason, sizeof(finish.reason), "%s", finish.field.text);
			finish_ask_confirm(ctx);
		}
		return TUI_HANDLED;
	}
	if (finish.mode == FINISH_CONFIRM) {
		r = tui_confirm_action(&finish.confirm, a, ch);
		if (r == TUI_ACCEPT)
			finish_start(ctx);
		else if (r == TUI_CANCEL)
			finish.mode = FINISH_VIEW;
		return TUI_HANDLED;
	}
	switch (a) {
	case TUI_ACT_SELECT:
		if (run != NULL && run->state == CORE_RUNNER_RUNNING)
			return TUI_HANDLED;
		if (in->plan.phase != CORE_PHASE_UP_DONE)
			return in->plan.phase == CORE_PHASE_NOT_STARTED ? TUI_HANDLED : TUI_NEXT;
		finish.reason[0] = '\0';
		core_upgrade_last_backup(ctx->u, &fresh, why, sizeof(why));
		if (fresh) {
			finish_ask_confirm(ctx);
			return TUI_HANDLED;
		}
		memset(&finish.field, 0, sizeof(finish.field));
		finish.field.label = "Reason";
		finish.field.type = TUI_FIELD_TEXT;
		finish.form.fields = &finish.field;
		finish.form.n = 1;
		finish.form.focus = 0;
		finish.mode = FINISH_REASON;
		return TUI_HANDLED;
	case TUI_ACT_REFRESH:
		finish_blockers(ctx);
		finish.msg[0] = '\0';
		return TUI_HANDLED;
	case TUI_ACT_NEXT:
		if (in->plan.phase != CORE_PHASE_FINISHED && in->plan.phase != CORE_PHASE_MIGRATED) {
			snprintf(finish.msg, sizeof(finish.msg), "%s",
				 screen_run_is(ctx, CORE_UPGRADE_FINISH) && !screen_run_ok(ctx)
					 ? "'finish' did not complete: Next is refused. Do what "
					   "the remedy says."
					 : "'finish' has not run yet.");
			return TUI_HANDLED;
		}
		return TUI_NEXT;
	default:
		if (ctx->run.log != NULL && screen_run_is(ctx, CORE_UPGRADE_FINISH))
			return tui_log_action(ctx->run.log, a, ch, 8);
		return TUI_IGNORED;
	}
}

static enum tui_context finish_context(const struct screen_ctx *ctx)
{
	if (finish.mode == FINISH_CONFIRM)
		return TUI_CTX_DIALOG;
	if (finish.mode == FINISH_REASON)
		return tui_form_context(&finish.form);
	return ctx->run.log != NULL ? tui_log_context(ctx->run.log) : TUI_CTX_LIST;
}

static const char *finish_help(const struct screen_ctx *ctx)
{
	(void)ctx;
	return "Finish: runs 'kong migrations finish', which is irreversible: afterwards the "
	       "old cluster's nodes cannot start against this database. It needs up verified, "
	       "the traffic shift confirmed, a fresh verified backup (or a typed reason to go "
	       "without) and the database name typed; Esc or anything else is No. Then "
	       "schema_meta is checked: no pending migrations may remain. r: check again.";
}

const struct screen_ops screen_finish = {
	.name = "finish",
	.title = "Finish (irreversible)",
	.applies = finish_applies,
	.enter = finish_enter,
	.draw = finish_draw,
	.action = finish_action,
	.context = finish_context,
	.tick = finish_tick,
	.help = finish_help,
};
