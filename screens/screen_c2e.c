/* screen_c2e.c — step 8 (path B): `kong migrations
 * migrate-community-to-enterprise`, irreversible, and the proof that every
 * entity is still there and in the `default` workspace (SPEC §2.8). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "screens/screens_internal.h"

#define C2E_MAX 32
/* The run pane's least height when the failure's text is long. */
#define C2E_PANE_MIN 7

enum c2e_mode { C2E_VIEW, C2E_FORM, C2E_CONFIRM };

static struct {
	enum c2e_mode mode;
	struct core_entity_count before[C2E_MAX], after[C2E_MAX];
	size_t n_before, n_after;
	struct tui_field fields[3];
	struct tui_form form;
	struct tui_confirm confirm;
	char text[512];
	char cell[C2E_MAX][5][32];
	char msg[2048];
} c2e;

static bool c2e_applies(const struct screen_ctx *ctx)
{
	return screen_path(ctx) == CORE_PATH_CE_TO_EE13;
}

static void c2e_count(struct screen_ctx *ctx, struct core_entity_count *out, size_t *n)
{
	struct core_error err = { { 0 } };

	if (core_upgrade_entity_counts(ctx->u, out, C2E_MAX, n, &err) < 0) {
		*n = 0;
		snprintf(c2e.msg, sizeof(c2e.msg), "counting entities: %s", err.msg);
	}
}

static void c2e_enter(struct screen_ctx *ctx)
{
	c2e.mode = C2E_VIEW;
	c2e.msg[0] = '\0';
	if (c2e.n_before == 0)
		c2e_count(ctx, c2e.before, &c2e.n_before);
	if (screen_run_is(ctx, CORE_UPGRADE_C2E)) {
		screen_run_poll(ctx);
		ctx->ticking = !ctx->run.ended;
		if (ctx->run.ended)
			c2e_count(ctx, c2e.after, &c2e.n_after);
	}
}

static void c2e_tick(struct screen_ctx *ctx)
{
	if (screen_run_poll(ctx)) {
		/* The run's end is journaled after core's own re-read; only now
		 * does the plan say "migrated". */
		screen_inspect(ctx);
		c2e_count(ctx, c2e.after, &c2e.n_after);
		ctx->ticking = false;
	}
}

static const char *c2e_cell(void *data, size_t row, size_t col)
{
	const struct core_entity_count *b = &c2e.before[row];
	const struct core_entity_count *a = row < c2e.n_after ? &c2e.after[row] : NULL;
	char *c = c2e.cell[row][col];

	(void)data;
	switch (col) {
	case 0:
		return b->table;
	case 1:
		snprintf(c, 32, "%lld", b->rows);
		break;
	case 2:
		snprintf(c, 32, "%s", "-");
		if (a != NULL)
			snprintf(c, 32, "%lld", a->rows);
		break;
	case 3:
		snprintf(c, 32, "%s", "-");
		if (a != NULL)
			snprintf(c, 32, "%lld", a->in_default);
		break;
	default:
		snprintf(c, 32, "%s",
			 a == NULL ? "" : a->rows >= b->rows && a->in_default == a->rows ? "ok" : "MISSING");
		break;
	}
	return c;
}

/* A row whose entities are not all in the default workspace stands out. */
static enum tui_role c2e_row_role(void *data, size_t row)
{
	(void)data;
	return row < c2e.n_after && c2e.after[row].in_default != c2e.after[row].rows ? TUI_ROLE_FAIL
										       : TUI_ROLE_NORMAL;
}

/* Whether the last run ended with exit 0 and its verification passed (the
 * journal's run-end, as screen_run_outcome reads it). */
static bool c2e_verified(const struct screen_ctx *ctx)
{
	const json_t *d = json_object_get(
		core_journal_last(core_upgrade_journal(ctx->u), "run-end"), "details");
	const json_t *code = json_object_get(d, "exit_code");
	const char *verif = json_string_value(json_object_get(d, "verification"));

	return json_is_integer(code) && json_integer_value(code) == 0 &&
	       (verif == NULL || verif[0] == '\0');
}

/* Seconds since the run started ("2026-11-26T09:30:00Z"), or -1. */
static long c2e_elapsed(const struct screen_ctx *ctx)
{
	const struct core_runner_info *info = core_upgrade_run(ctx->u);
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (info == NULL || strptime(info->started, "%Y-%m-%dT%H:%M:%SZ", &tm) == NULL)
		return -1;
	return (long)(time(NULL) - timegm(&tm));
}

/* The gauge row of the run pane. migrate-community-to-enterprise reports no
 * steps, so the shared gauge (N of M migrations) would stay at "?": while it
 * runs, a block slides along the bar with the time it has taken; once it has
 * ended, the bar counts the entities now in the default workspace out of
 * those counted before (full when the proof holds). */
static void c2e_draw_gauge(const struct screen_ctx *ctx, WINDOW *w, int y, int width)
{
	bool utf8 = tui_theme_utf8();
	long long total = 0, done = 0;
	int bar = width / 2 - 2, used, i, at;
	struct timespec now;
	char text[96];
	size_t r;
	long s;

	tui_put(w, y, 1, width, TUI_ROLE_NORMAL, true, "");
	if (ctx->run.ended) {
		for (r = 0; r < c2e.n_before; r++) {
			total += c2e.before[r].rows;
			if (r < c2e.n_after && c2e.after[r].in_default > 0)
				done += c2e.after[r].in_default < c2e.before[r].rows
						? c2e.after[r].in_default
						: c2e.before[r].rows;
		}
		if (total > 0 && c2e.n_after > 0)
			tui_gauge_draw(w, y, 1, width, (long)done, (long)total,
				       c2e_verified(ctx) ? "in default: done"
							 : "in default");
		else
			tui_gauge_draw(w, y, 1, width, c2e_verified(ctx) ? 1 : 0, 1,
				       c2e_verified(ctx) ? "done" : "ended");
		return;
	}
	if (bar < 4)
		bar = 4;
	s = c2e_elapsed(ctx);
	/* One cell a tick (200 ms), in again from the left past the end. */
	clock_gettime(CLOCK_MONOTONIC, &now);
	at = (int)(((long long)now.tv_sec * 5 + now.tv_nsec / 200000000) % (bar + 4)) - 4;
	used = tui_put(w, y, 1, width, TUI_ROLE_NORMAL, false, "[");
	for (i = 0; i < bar && used < width; i++, used++)
		tui_put(w, y, 1 + used, 1, i >= at && i < at + 4 ? TUI_ROLE_OK : TUI_ROLE_DIM, false,
			i >= at && i < at + 4 ? (utf8 ? "\u2588" : "#") : (utf8 ? "\u00b7" : "-"));
	used += tui_put(w, y, 1 + used, width - used, TUI_ROLE_NORMAL, false, "]");
	if (s >= 0)
		snprintf(text, sizeof(text), " running, %ld s ", s);
	else
		snprintf(text, sizeof(text), " running ");
	used += tui_put(w, y, 1 + used, width - used, TUI_ROLE_TITLE, false, text);
	tui_put(w, y, 1 + used, width - used, TUI_ROLE_DIM, true, "(one transaction)");
}

/* The step's body while the last run is not a failure: the proof table,
 * then the run or what Enter does. */
static void c2e_draw_body(struct screen_ctx *ctx, WINDOW *w, bool attached)
{
	static const struct tui_table_col cols_t[] = {
		{ "Entity table", 26, false }, { "Before", 9, true }, { "After", 9, true },
		{ "In default", 11, true },   { "Proof", 0, false } };
	const struct core_inspection *in = screen_insp(ctx);
	int cols = getmaxx(w), rows = getmaxy(w);
	struct tui_table t;
	char buf[2048];
	int y = 0;

	y += tui_wrap(w, y, 1, 2, cols - 2, TUI_ROLE_NORMAL,
		      "This action is irreversible: every Kong entity is moved into the `default` "
		      "workspace of Kong Enterprise (runs with -y; -f only if you choose it).");
	memset(&t, 0, sizeof(t));
	t.cols = cols_t;
	t.ncols = 5;
	t.nrows = c2e.n_before;
	t.cell = c2e_cell;
	t.role = c2e_row_role;
	tui_table_draw(&t, w, y, 1, attached ? 6 : 11, cols - 2);
	y += attached ? 6 : 11;
	if (attached) {
		screen_run_draw(ctx, w, y, rows - 2 - y, cols, "");
		c2e_draw_gauge(ctx, w, y, cols - 2);
		screen_run_outcome(ctx, buf, sizeof(buf));
		tui_put(w, rows - 2, 1, cols - 2,
			!ctx->run.ended	    ? TUI_ROLE_WARN
			: c2e_verified(ctx) ? TUI_ROLE_OK
					    : TUI_ROLE_FAIL,
			false, ctx->run.ended ? buf : "Running... q quits the wizard; the run goes on.");
	} else if (in->plan.phase == CORE_PHASE_MIGRATED) {
		tui_put(w, y, 2, cols - 4, TUI_ROLE_OK, false,
			"The entities have been migrated. > goes on.");
	} else {
		core_upgrade_blockers(ctx->u, CORE_UPGRADE_C2E, in->db.database, "(asked)", buf,
				      sizeof(buf));
		tui_wrap(w, y, 2, rows - 3 - y, cols - 4, buf[0] != '\0' ? TUI_ROLE_FAIL : TUI_ROLE_NORMAL,
			 buf[0] != '\0' ? buf : "Enter: migrate (options, then the database name).");
	}
}

static void c2e_draw(struct screen_ctx *ctx, WINDOW *w)
{
	int cols = getmaxx(w), rows = getmaxy(w);
	bool attached = screen_run_is(ctx, CORE_UPGRADE_C2E) && ctx->run.log != NULL;
	int pane;

	/* A run that did not complete and verify: its log's last lines, then
	 * the outcome, the log's path and the remedy, whole. */
	if (attached && ctx->run.ended && !screen_run_ok(ctx)) {
		pane = rows - 1 - screen_run_end_draw(ctx, NULL, 0, rows, cols);
		if (pane < C2E_PANE_MIN)
			pane = C2E_PANE_MIN;
		screen_run_draw(ctx, w, 0, pane, cols, "");
		c2e_draw_gauge(ctx, w, 0, cols - 2);
		screen_run_end_draw(ctx, w, pane, rows - 1 - pane, cols);
	} else {
		c2e_draw_body(ctx, w, attached);
	}
	if (c2e.msg[0] != '\0' || ctx->note[0] != '\0')
		tui_put(w, rows - 1, 1, cols - 2, TUI_ROLE_FAIL, false,
			c2e.msg[0] != '\0' ? c2e.msg : ctx->note);
	if (c2e.mode == C2E_FORM) {
		tui_fill(w, rows / 2 - 4, 2, 9, cols - 4, TUI_ROLE_NORMAL);
		tui_box(w, rows / 2 - 4, 2, 9, cols - 4, "migrate-community-to-enterprise");
		tui_form_draw(&c2e.form, w, rows / 2 - 3, 4, 6, cols - 8);
		tui_put(w, rows / 2 + 3, 4, cols - 8, TUI_ROLE_DIM, false,
			"Enter: go on   Esc: cancel");
	} else if (c2e.mode == C2E_CONFIRM) {
		tui_confirm_draw(&c2e.confirm, w);
	}
}

static void c2e_open_form(void)
{
	memset(c2e.fields, 0, sizeof(c2e.fields));
	c2e.fields[0].label = "Force (-f)";
	c2e.fields[0].type = TUI_FIELD_BOOL;
	c2e.fields[1].label = "Why force";
	c2e.fields[1].type = TUI_FIELD_TEXT;
	c2e.fields[1].hint = "only with Force: the reason goes to the journal";
	c2e.fields[2].label = "No backup because";
	c2e.fields[2].type = TUI_FIELD_TEXT;
	c2e.fields[2].hint = "only without a fresh verified backup";
	c2e.form.fields = c2e.fields;
	c2e.form.n = 3;
	c2e.form.focus = 0;
	c2e.mode = C2E_FORM;
}

static void c2e_start(struct screen_ctx *ctx)
{
	struct core_error err = { { 0 } };

	c2e.mode = C2E_VIEW;
	c2e_count(ctx, c2e.before, &c2e.n_before);
	c2e.n_after = 0;
	/* The point of no return: the entities are rewritten into the default
	 * workspace; only the backup takes it back. */
	if (core_upgrade_start(ctx->u, CORE_UPGRADE_C2E, c2e.confirm.typed,
			       c2e.fields[2].text[0] != '\0' ? c2e.fields[2].text : NULL,
			       c2e.fields[0].on, c2e.fields[1].text, &err) < 0) {
		snprintf(c2e.msg, sizeof(c2e.msg), "%s", err.msg);
		return;
	}
	c2e.msg[0] = '\0';
	screen_run_poll(ctx);
	ctx->ticking = true;
}

static enum tui_result c2e_action(struct screen_ctx *ctx, enum tui_action a, int ch)
{
	const struct core_inspection *in = screen_insp(ctx);
	const struct core_runner_info *run = core_upgrade_run(ctx->u);
	enum tui_result r;

	if (c2e.mode == C2E_FORM) {
		if (a == TUI_ACT_CANCEL) {
			c2e.mode = C2E_VIEW;
		} else if (tui_form_action(&c2e.form, a, ch) == TUI_ACCEPT) {
			snprintf(c2e.text, sizeof(c2e.text),
				 "Every entity of database '%s' moves into the default workspace. "
				 "Type the database name; anything else is No.",
				 in->db.database);
			c2e.confirm.title = "Community to Enterprise: irreversible";
			c2e.confirm.text = c2e.text;
			c2e.confirm.phrase = in->db.database;
			tui_confirm_reset(&c2e.confirm);
			c2e.mode = C2E_CONFIRM;
		}
		return TUI_HANDLED;
	}
	if (c2e.mode == C2E_CONFIRM) {
		r = tui_confirm_action(&c2e.confirm, a, ch);
		if (r == TUI_ACCEPT)
			c2e_start(ctx);
		else if (r == TUI_CANCEL)
			c2e.mode = C2E_VIEW;
		return TUI_HANDLED;
	}
	switch (a) {
	case TUI_ACT_SELECT:
		if ((run != NULL && run->state == CORE_RUNNER_RUNNING) ||
		    in->plan.phase != CORE_PHASE_FINISHED)
			return in->plan.phase == CORE_PHASE_MIGRATED ? TUI_NEXT : TUI_HANDLED;
		c2e_open_form();
		return TUI_HANDLED;
	case TUI_ACT_NEXT:
		if (in->plan.phase != CORE_PHASE_MIGRATED) {
			snprintf(c2e.msg, sizeof(c2e.msg), "The entities are not migrated yet.");
			return TUI_HANDLED;
		}
		return TUI_NEXT;
	default:
		if (ctx->run.log != NULL && screen_run_is(ctx, CORE_UPGRADE_C2E))
			return tui_log_action(ctx->run.log, a, ch, 8);
		return TUI_IGNORED;
	}
}

static enum tui_context c2e_context(const struct screen_ctx *ctx)
{
	if (c2e.mode == C2E_CONFIRM)
		return TUI_CTX_DIALOG;
	if (c2e.mode == C2E_FORM)
		return tui_form_context(&c2e.form);
	return ctx->run.log != NULL ? tui_log_context(ctx->run.log) : TUI_CTX_LIST;
}

static const char *c2e_help(const struct screen_ctx *ctx)
{
	(void)ctx;
	return "Community to Enterprise: counts the entities, runs 'kong migrations "
	       "migrate-community-to-enterprise -y' (-f only when you choose it, with a reason), "
	       "counts again: every entity must still be there and mapped to the default "
	       "workspace. Irreversible: the database name must be typed.";
}

const struct screen_ops screen_c2e = {
	.name = "c2e",
	.title = "Community to Enterprise",
	.applies = c2e_applies,
	.enter = c2e_enter,
	.draw = c2e_draw,
	.action = c2e_action,
	.context = c2e_context,
	.tick = c2e_tick,
	.help = c2e_help,
};
