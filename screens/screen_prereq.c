/* screen_prereq.c — step 2: the prerequisite checks (SPEC §2.2, §4). */
#include <stdio.h>
#include <string.h>

#include "screens/screens_internal.h"

static struct {
	struct tui_check_item items[CORE_INSPECT_MAX_CHECKS];
	char details[CORE_INSPECT_MAX_CHECKS][2048];
	struct tui_checklist list;
	bool waiving;
	struct tui_field field;
	struct tui_form form;
	char msg[768];
} prereq;

static bool prereq_applies(const struct screen_ctx *ctx)
{
	(void)ctx;
	return true;
}

/* Failures that a later step fixes (Session & cookies, Backup). */
static bool prereq_fixed_later(const struct screen_ctx *ctx, const char *id)
{
	if (strcmp(id, "backup-fresh") == 0)
		return true;
	return screen_session.applies(ctx) &&
	       (strcmp(id, "session-conf") == 0 || strcmp(id, "cookie-rules") == 0 ||
		strcmp(id, "dev-portal") == 0);
}

static void prereq_load(struct screen_ctx *ctx)
{
	const struct core_inspection *in = screen_insp(ctx);
	size_t i;

	for (i = 0; i < in->n_results && i < CORE_INSPECT_MAX_CHECKS; i++) {
		const struct core_check_result *r = &in->results[i];
		static const enum tui_check_status map[] = {
			[CORE_CHECK_PASS] = TUI_CHECK_PASS,
			[CORE_CHECK_WARN] = TUI_CHECK_WARN,
			[CORE_CHECK_FAIL] = TUI_CHECK_FAIL,
			[CORE_CHECK_WAIVED] = TUI_CHECK_WAIVED,
		};

		prereq.items[i].label = r->title;
		prereq.items[i].status = map[r->status];
		snprintf(prereq.details[i], sizeof(prereq.details[i]), "%s%s%s%s%s%s", r->message,
			 r->remedy[0] != '\0' && r->status != CORE_CHECK_PASS ? "\nFix: " : "",
			 r->status != CORE_CHECK_PASS ? r->remedy : "",
			 r->waiver[0] != '\0' ? "\nWaived: " : "", r->waiver,
			 r->status == CORE_CHECK_FAIL && r->severity == CORE_CHECK_WAIVABLE
				 ? "\n(Enter: waive with a typed reason)"
				 : "");
		prereq.items[i].details = prereq.details[i];
	}
	prereq.list.items = prereq.items;
	prereq.list.n = i;
	if (prereq.list.sel >= prereq.list.n)
		prereq.list.sel = 0;
}

static void prereq_enter(struct screen_ctx *ctx)
{
	prereq.waiving = false;
	prereq.msg[0] = '\0';
	prereq_load(ctx);
}

/* What blocks Next: failures no later step fixes. */
static size_t prereq_blocking(const struct screen_ctx *ctx, char *first, size_t size)
{
	const struct core_inspection *in = screen_insp(ctx);
	size_t i, n = 0;

	first[0] = '\0';
	for (i = 0; i < in->n_results; i++) {
		if (in->results[i].status != CORE_CHECK_FAIL ||
		    prereq_fixed_later(ctx, in->results[i].id))
			continue;
		if (n++ == 0)
			snprintf(first, size, "%s", in->results[i].title);
	}
	return n;
}

/* Failures that a later step of the wizard fixes. */
static size_t prereq_later_count(struct screen_ctx *ctx)
{
	const struct core_inspection *in = screen_insp(ctx);
	size_t i, n = 0;

	for (i = 0; in != NULL && i < in->n_results; i++)
		n += in->results[i].status == CORE_CHECK_FAIL &&
		     prereq_fixed_later(ctx, in->results[i].id);
	return n;
}

static void prereq_draw(struct screen_ctx *ctx, WINDOW *w)
{
	int cols = getmaxx(w), rows = getmaxy(w);
	int list_h = prereq.list.n < 13 ? (int)prereq.list.n : 13;
	char first[256], buf[512];
	size_t blocking = prereq_blocking(ctx, first, sizeof(first));

	if (blocking > 0)
		snprintf(buf, sizeof(buf), "%zu failure(s) block the upgrade, first: %s", blocking,
			 first);
	else if (prereq_later_count(ctx) > 0)
		snprintf(buf, sizeof(buf), "Nothing blocks the next step; the steps ahead fix %zu "
					   "failure(s).",
			 prereq_later_count(ctx));
	else
		snprintf(buf, sizeof(buf), "Nothing blocks the next step.");
	tui_put(w, 0, 1, cols - 2, blocking > 0 ? TUI_ROLE_FAIL : TUI_ROLE_OK, false, buf);
	tui_checklist_draw(&prereq.list, w, 1, 0, rows - 3, cols, list_h);
	tui_put(w, rows - 2, 1, cols - 2, TUI_ROLE_DIM, false,
		"r: run the checks again   Enter: waive the selected failure");
	if (prereq.msg[0] != '\0' || ctx->note[0] != '\0')
		tui_put(w, rows - 1, 1, cols - 2, TUI_ROLE_WARN, false,
			prereq.msg[0] != '\0' ? prereq.msg : ctx->note);
	if (prereq.waiving) {
		tui_fill(w, rows / 2 - 3, 2, 6, cols - 4, TUI_ROLE_NORMAL);
		tui_box(w, rows / 2 - 3, 2, 6, cols - 4, "Waive a check (goes to the journal)");
		tui_form_draw(&prereq.form, w, rows / 2 - 2, 4, 3, cols - 8);
		tui_put(w, rows / 2 + 1, 4, cols - 8, TUI_ROLE_DIM, false,
			"Enter: waive   Esc: cancel");
	}
}

static void prereq_recheck(struct screen_ctx *ctx)
{
	screen_inspect(ctx);
	prereq_load(ctx);
}

static enum tui_result prereq_action(struct screen_ctx *ctx, enum tui_action a, int ch)
{
	const struct core_inspection *in = screen_insp(ctx);
	const struct core_check_result *r = NULL;
	struct core_error err = { { 0 } };
	char first[256];

	if (prereq.list.sel < in->n_results)
		r = &in->results[prereq.list.sel];
	if (prereq.waiving) {
		if (a == TUI_ACT_CANCEL) {
			prereq.waiving = false;
			return TUI_HANDLED;
		}
		if (tui_form_action(&prereq.form, a, ch) != TUI_ACCEPT || r == NULL)
			return TUI_HANDLED;
		prereq.waiving = false;
		if (core_upgrade_waive(ctx->u, r->id, prereq.field.text, &err) < 0) {
			snprintf(prereq.msg, sizeof(prereq.msg), "%s", err.msg);
			return TUI_HANDLED;
		}
		prereq_recheck(ctx);
		snprintf(prereq.msg, sizeof(prereq.msg), "Waived '%s'; the reason is in the journal.",
			 r->title);
		return TUI_HANDLED;
	}
	switch (a) {
	case TUI_ACT_REFRESH:
		ctx->note[0] = '\0';
		prereq_recheck(ctx);
		snprintf(prereq.msg, sizeof(prereq.msg), "%s",
			 ctx->note[0] != '\0' ? ctx->note : "The checks ran again.");
		return TUI_HANDLED;
	case TUI_ACT_SELECT:
		if (r == NULL || r->status != CORE_CHECK_FAIL) {
			snprintf(prereq.msg, sizeof(prereq.msg), "Only a failed check can be waived.");
			return TUI_HANDLED;
		}
		if (r->severity == CORE_CHECK_FATAL) {
			snprintf(prereq.msg, sizeof(prereq.msg),
				 "'%s' cannot be waived: fix it, then r.", r->title);
			return TUI_HANDLED;
		}
		memset(&prereq.field, 0, sizeof(prereq.field));
		prereq.field.label = "Reason";
		prereq.field.type = TUI_FIELD_TEXT;
		prereq.field.hint = "why it is safe to go on (a few words)";
		prereq.form.fields = &prereq.field;
		prereq.form.n = 1;
		prereq.form.focus = 0;
		prereq.waiving = true;
		return TUI_HANDLED;
	case TUI_ACT_NEXT:
		if (prereq_blocking(ctx, first, sizeof(first)) > 0) {
			snprintf(prereq.msg, sizeof(prereq.msg),
				 "'%s' fails: fix it (then r) or waive it (Enter).", first);
			return TUI_HANDLED;
		}
		return TUI_NEXT;
	default:
		return tui_checklist_action(&prereq.list, a, 10);
	}
}

static enum tui_context prereq_context(const struct screen_ctx *ctx)
{
	(void)ctx;
	return prereq.waiving ? tui_form_context(&prereq.form) : TUI_CTX_LIST;
}

static const char *prereq_help(const struct screen_ctx *ctx)
{
	(void)ctx;
	return "Prerequisites: every check with pass / warn / FAIL / waived; the selected "
	       "row shows what was found and how to fix it. Fatal failures block the upgrade; a "
	       "waivable one can be waived with a typed reason (Enter), which goes to the "
	       "journal. r runs the checks again after a fix. Session settings and the "
	       "backup are fixed on the next steps.";
}

const struct screen_ops screen_prereq = {
	.name = "prerequisites",
	.title = "Prerequisites",
	.applies = prereq_applies,
	.enter = prereq_enter,
	.draw = prereq_draw,
	.action = prereq_action,
	.context = prereq_context,
	.help = prereq_help,
};
