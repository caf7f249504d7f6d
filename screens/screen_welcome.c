/* screen_welcome.c — step 1: what was detected (SPEC §2.1). */
#include <stdio.h>
#include <string.h>

#include "screens/screens_internal.h"

static bool welcome_applies(const struct screen_ctx *ctx)
{
	(void)ctx;
	return true;
}

static const char *welcome_path_text(enum core_path p)
{
	switch (p) {
	case CORE_PATH_EE036_TO_EE13:
		return "ee-0.36-to-ee-1.3: up, traffic shift, finish (blue/green)";
	case CORE_PATH_CE_TO_EE13:
		return "ce-to-ee-1.3: up, finish, migrate-community-to-enterprise";
	case CORE_PATH_NONE:
		break;
	}
	return "none";
}

/* The refusal's lines skipped (Up/Down scroll it when it does not fit). */
static struct {
	int skip;
	int max_skip;
} welcome;

/* Where line k of s, word-wrapped to width, begins (as tui_wrap wraps). */
static const char *welcome_line_start(const char *s, int width, int k)
{
	char prefix[1024];
	size_t p, q, n = strlen(s);

	if (k <= 0)
		return s;
	for (p = 0; p < n && p < sizeof(prefix); p++) {
		if (s[p] == ' ' || (p > 0 && s[p - 1] != ' '))
			continue;
		for (q = p; q < n && s[q] != ' '; q++)
			;
		if (q >= sizeof(prefix))
			break;
		memcpy(prefix, s, q);
		prefix[q] = '\0';
		if (tui_wrap(NULL, 0, 0, 1000, width, TUI_ROLE_FAIL, prefix) > k)
			return s + p;
	}
	return s + n;
}

/* The refusal, whole: wrapped into h rows, scrolled when it needs more. */
static void welcome_draw_refusal(WINDOW *w, int y, int h, int width, const char *refusal)
{
	int need = tui_wrap(NULL, 0, 0, 1000, width, TUI_ROLE_FAIL, refusal);
	char more[64];

	if (need <= h) {
		welcome.skip = welcome.max_skip = 0;
		tui_wrap(w, y, 2, h, width, TUI_ROLE_FAIL, refusal);
		return;
	}
	welcome.max_skip = need - (h - 1);
	if (welcome.skip > welcome.max_skip)
		welcome.skip = welcome.max_skip;
	tui_wrap(w, y, 2, h - 1, width, TUI_ROLE_FAIL,
		 welcome_line_start(refusal, width, welcome.skip));
	snprintf(more, sizeof(more), "(lines %d-%d of %d: Up/Down scroll)", welcome.skip + 1,
		 welcome.skip + h - 1, need);
	tui_put(w, y + h - 1, 2, width, TUI_ROLE_DIM, false, more);
}

static void welcome_draw(struct screen_ctx *ctx, WINDOW *w)
{
	const struct core_inspection *in = screen_insp(ctx);
	const struct core_pg_params *pg = core_upgrade_pg_params(ctx->u);
	const struct core_runner_info *run = core_upgrade_run(ctx->u);
	struct core_journal *j = core_upgrade_journal(ctx->u);
	int cols = getmaxx(w), rows = getmaxy(w);
	char buf[1024];
	int y = 1;

	tui_put(w, y++, 1, cols - 2, TUI_ROLE_TITLE, false, "What was detected");
	y++;
	screen_release(in->plan.source_edition, in->plan.source_version, buf, sizeof(buf));
	screen_kv(w, y++, "Source", TUI_ROLE_NORMAL,
		  in->db_ok ? strcat(buf, " (schema_meta)") : "the datastore could not be read");
	if (in->kong_ok) {
		screen_release(in->kong.edition, in->kong.version, buf, sizeof(buf));
		strcat(buf, " (the new kong binary)");
	} else {
		snprintf(buf, sizeof(buf), "unknown: %s", in->kong_error);
	}
	screen_kv(w, y++, "Target", TUI_ROLE_NORMAL, buf);
	screen_kv(w, y++, "Path", TUI_ROLE_NORMAL, welcome_path_text(screen_path(ctx)));
	screen_kv(w, y++, "Phase", TUI_ROLE_NORMAL, core_phase_name(in->plan.phase));
	snprintf(buf, sizeof(buf), "%s on %s:%d, schema %s, user %s",
		 pg->dbname != NULL ? pg->dbname : "?", pg->host != NULL ? pg->host : "?", pg->port,
		 in->db_ok && in->db.schema != NULL ? in->db.schema : "public",
		 pg->user != NULL ? pg->user : "?");
	screen_kv(w, y++, "Database", TUI_ROLE_NORMAL, buf);
	if (!in->db_ok)
		screen_kv(w, y++, "", TUI_ROLE_FAIL, in->db_error);
	y++;
	if (run != NULL && run->state != CORE_RUNNER_FINISHED) {
		snprintf(buf, sizeof(buf), "Unfinished run found: %s (%s, started %s) is %s.", run->id,
			 screen_run_step(ctx) != NULL ? screen_run_step(ctx) : "?", run->started,
			 run->state == CORE_RUNNER_RUNNING
				 ? "still running; its screen follows it"
				 : "LOST (no supervisor, no result): the datastore is the authority");
		y += tui_wrap(w, y, 2, 2, cols - 4, TUI_ROLE_WARN, buf);
	}
	if (!core_journal_intact(j) || core_journal_warning_count(j) > 0) {
		snprintf(buf, sizeof(buf), "Journal %s: %s", core_journal_intact(j) ? "warning" :
			 "NOT intact (edited or truncated)",
			 core_journal_warning_count(j) > 0 ? core_journal_warning(j, 0) : "");
		y += tui_wrap(w, y, 2, 2, cols - 4, TUI_ROLE_WARN, buf);
	}
	if (in->plan.refusal[0] != '\0') {
		welcome_draw_refusal(w, y, rows - 2 - y, cols - 4, in->plan.refusal);
		tui_put(w, rows - 2, 2, cols - 4, TUI_ROLE_NORMAL, false,
			"The wizard cannot take this upgrade. q quits, F1 explains.");
		return;
	}
	tui_wrap(w, y, 2, 3, cols - 4, TUI_ROLE_WARN,
		 "Before you begin: the upgrade ends with an irreversible step, \"therefore it is "
		 "highly recommended to have a backup of production data\". The wizard takes and "
		 "verifies one for you (step Backup).");
	tui_put(w, rows - 2, 2, cols - 4, TUI_ROLE_NORMAL, false,
		"Press > (or F10) for the prerequisite checks.");
}

static enum tui_result welcome_action(struct screen_ctx *ctx, enum tui_action a, int ch)
{
	(void)ch;
	if (a == TUI_ACT_UP || a == TUI_ACT_DOWN) {
		welcome.skip += a == TUI_ACT_DOWN ? 1 : -1;
		if (welcome.skip > welcome.max_skip)
			welcome.skip = welcome.max_skip;
		if (welcome.skip < 0)
			welcome.skip = 0;
		return TUI_HANDLED;
	}
	if ((a == TUI_ACT_NEXT || a == TUI_ACT_SELECT) && screen_insp(ctx)->plan.refusal[0] != '\0')
		return TUI_HANDLED;
	if (a == TUI_ACT_SELECT)
		return TUI_NEXT;
	return TUI_IGNORED;
}

static const char *welcome_help(const struct screen_ctx *ctx)
{
	(void)ctx;
	return "Welcome: what the wizard found. Source from the datastore's schema_meta, "
	       "target from the new kong binary, the upgrade path and where it stands. The "
	       "database password is never shown. Quitting is always safe: the journal keeps "
	       "everything and the wizard resumes where you left.";
}

const struct screen_ops screen_welcome = {
	.name = "welcome",
	.title = "Welcome",
	.applies = welcome_applies,
	.draw = welcome_draw,
	.action = welcome_action,
	.help = welcome_help,
};
