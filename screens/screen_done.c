/* screen_done.c — step 9: the summary and the report file (SPEC §2.9). */
#include <stdio.h>
#include <string.h>

#include "core/core_report.h"
#include "screens/screens_internal.h"

static struct {
	char report[4200];
	char error[1024];
} done;

static bool done_applies(const struct screen_ctx *ctx)
{
	(void)ctx;
	return true;
}

static bool done_complete(const struct screen_ctx *ctx)
{
	const struct core_inspection *in = screen_insp(ctx);

	return in->plan.phase == CORE_PHASE_MIGRATED ||
	       (in->plan.phase == CORE_PHASE_FINISHED && in->plan.path == CORE_PATH_EE036_TO_EE13);
}

static void done_enter(struct screen_ctx *ctx)
{
	struct core_error err = { { 0 } };
	bool existed;

	done.error[0] = '\0';
	if (done.report[0] != '\0')
		return;
	/* One report per completed upgrade: none before, and a wizard started
	 * again at Done finds the one written. */
	if (!done_complete(ctx)) {
		snprintf(done.error, sizeof(done.error),
			 "No report yet: it is written once the upgrade is complete.");
		return;
	}
	if (core_report_write(ctx->u, ctx->env->state_dir, 0, done.report, sizeof(done.report),
			      &existed, &err) < 0) {
		done.report[0] = '\0';
		snprintf(done.error, sizeof(done.error), "%s", err.msg);
	}
}

static void done_draw(struct screen_ctx *ctx, WINDOW *w)
{
	struct core_journal *j = core_upgrade_journal(ctx->u);
	const struct core_backup_info *b;
	int cols = getmaxx(w), rows = getmaxy(w);
	char buf[4400], why[512];
	bool fresh;
	size_t i;
	int y = 0;

	y += tui_wrap(w, y, 1, 2, cols - 2, done_complete(ctx) ? TUI_ROLE_OK : TUI_ROLE_WARN,
		      done_complete(ctx) ? "The upgrade is complete. You can safely make Admin API "
					   "requests to your 1.3 nodes."
					 : "The upgrade is not complete yet: go back to the open step.");
	y++;
	tui_put(w, y++, 1, cols - 2, TUI_ROLE_TITLE, false, "What ran (journal)");
	for (i = 0; i < core_journal_count(j) && y < rows - 9; i++) {
		const json_t *e = core_journal_event(j, i);
		const json_t *d = json_object_get(e, "details");
		const char *ev = json_string_value(json_object_get(e, "event"));

		if (strcmp(ev, "run-end") != 0)
			continue;
		snprintf(buf, sizeof(buf), "%-32s %s by %s, exit %lld",
			 json_string_value(json_object_get(d, "step")),
			 json_string_value(json_object_get(e, "time")),
			 json_string_value(json_object_get(json_object_get(e, "operator"), "user")),
			 (long long)json_integer_value(json_object_get(d, "exit_code")));
		tui_put(w, y++, 2, cols - 3, TUI_ROLE_NORMAL, false, buf);
		snprintf(buf, sizeof(buf), "  log: %s",
			 json_string_value(json_object_get(d, "log")) != NULL
				 ? json_string_value(json_object_get(d, "log"))
				 : "-");
		tui_put(w, y++, 2, cols - 3, TUI_ROLE_DIM, false, buf);
	}
	y++;
	b = core_upgrade_last_backup(ctx->u, &fresh, why, sizeof(why));
	screen_kv(w, y++, "Backup", TUI_ROLE_NORMAL, b != NULL ? b->path : "none taken");
	screen_kv(w, y++, "SHA-256", TUI_ROLE_NORMAL, b != NULL ? b->sha256 : "-");
	screen_kv(w, y++, "Journal", TUI_ROLE_NORMAL, core_journal_path(j));
	y++;
	if (done.report[0] != '\0') {
		tui_put(w, y++, 1, cols - 2, TUI_ROLE_OK, false, "Report written:");
		tui_put(w, y++, 2, cols - 3, TUI_ROLE_NORMAL, false, done.report);
	} else {
		tui_wrap(w, y, 1, 2, cols - 2, TUI_ROLE_FAIL, done.error);
	}
	tui_put(w, rows - 1, 1, cols - 2, TUI_ROLE_DIM, false, "q: quit");
}

static enum tui_result done_action(struct screen_ctx *ctx, enum tui_action a, int ch)
{
	(void)ctx;
	(void)ch;
	return a == TUI_ACT_NEXT ? TUI_HANDLED : TUI_IGNORED;
}

static const char *done_help(const struct screen_ctx *ctx)
{
	(void)ctx;
	return "Done: what ran, when and by whom (from the journal), the backup and its "
	       "checksum, the logs of the runs, and the Markdown report written to the state "
	       "directory (0600).";
}

const struct screen_ops screen_done = {
	.name = "done",
	.title = "Done",
	.applies = done_applies,
	.enter = done_enter,
	.draw = done_draw,
	.action = done_action,
	.help = done_help,
};
