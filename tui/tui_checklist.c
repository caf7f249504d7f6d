#include "tui/tui_internal.h"

#include <stdio.h>

enum tui_result tui_list_move(size_t *sel, size_t *top, size_t n, enum tui_action a, int page)
{
	size_t step = page > 1 ? (size_t)page - 1 : 1;

	if (n == 0)
		return a == TUI_ACT_UP || a == TUI_ACT_DOWN ? TUI_HANDLED : TUI_IGNORED;
	switch (a) {
	case TUI_ACT_UP:
		*sel = *sel > 0 ? *sel - 1 : 0;
		break;
	case TUI_ACT_DOWN:
		*sel = *sel + 1 < n ? *sel + 1 : n - 1;
		break;
	case TUI_ACT_PAGE_UP:
		*sel = *sel > step ? *sel - step : 0;
		break;
	case TUI_ACT_PAGE_DOWN:
		*sel = *sel + step < n ? *sel + step : n - 1;
		break;
	case TUI_ACT_HOME:
		*sel = 0;
		break;
	case TUI_ACT_END:
		*sel = n - 1;
		break;
	default:
		return TUI_IGNORED;
	}
	if (page > 0 && *sel < *top)
		*top = *sel;
	if (page > 0 && *sel >= *top + (size_t)page)
		*top = *sel + 1 - (size_t)page;
	return TUI_HANDLED;
}

const char *tui_check_badge(enum tui_check_status s)
{
	switch (s) {
	case TUI_CHECK_PENDING:
		return "[    ]";
	case TUI_CHECK_RUNNING:
		return "[ .. ]";
	case TUI_CHECK_PASS:
		return "[ OK ]";
	case TUI_CHECK_WARN:
		return "[WARN]";
	case TUI_CHECK_FAIL:
		return "[FAIL]";
	case TUI_CHECK_WAIVED:
		return "[WAIV]";
	case TUI_CHECK_SKIPPED:
		return "[SKIP]";
	}
	return "[ ?? ]";
}

static enum tui_role checklist_role(enum tui_check_status s)
{
	switch (s) {
	case TUI_CHECK_PASS:
		return TUI_ROLE_OK;
	case TUI_CHECK_WARN:
		return TUI_ROLE_WARN;
	case TUI_CHECK_FAIL:
		return TUI_ROLE_FAIL;
	case TUI_CHECK_WAIVED:
		return TUI_ROLE_WAIVED;
	case TUI_CHECK_PENDING:
	case TUI_CHECK_SKIPPED:
		return TUI_ROLE_DIM;
	default:
		return TUI_ROLE_NORMAL;
	}
}

void tui_checklist_draw(struct tui_checklist *cl, WINDOW *w, int y, int x, int h, int width,
			int list_h)
{
	size_t i;
	int row;

	if (list_h > h)
		list_h = h;
	if (cl->n > 0 && cl->sel >= cl->n)
		cl->sel = cl->n - 1;
	if (cl->sel < cl->top)
		cl->top = cl->sel;
	if (list_h > 0 && cl->sel >= cl->top + (size_t)list_h)
		cl->top = cl->sel + 1 - (size_t)list_h;
	for (row = 0, i = cl->top; row < list_h; row++, i++) {
		const struct tui_check_item *it = i < cl->n ? &cl->items[i] : NULL;
		bool sel = it != NULL && i == cl->sel;

		if (it == NULL) {
			tui_put(w, y + row, x, width, TUI_ROLE_NORMAL, true, "");
			continue;
		}
		tui_put(w, y + row, x, 2, sel ? TUI_ROLE_SELECTED : TUI_ROLE_NORMAL, true,
			sel ? ">" : "");
		tui_put(w, y + row, x + 2, 6, checklist_role(it->status), false,
			tui_check_badge(it->status));
		tui_put(w, y + row, x + 8, width - 8, sel ? TUI_ROLE_SELECTED : TUI_ROLE_NORMAL,
			true, "");
		tui_put(w, y + row, x + 9, width - 9, sel ? TUI_ROLE_SELECTED : TUI_ROLE_NORMAL,
			true, it->label);
	}
	if (h - list_h < 2)
		return;
	tui_hline(w, y + list_h, x, width);
	tui_put(w, y + list_h, x + 2, width - 4, TUI_ROLE_TITLE, false, " Details ");
	if (cl->sel < cl->n && cl->items[cl->sel].details != NULL)
		tui_wrap(w, y + list_h + 1, x + 1, h - list_h - 1, width - 2, TUI_ROLE_NORMAL,
			 cl->items[cl->sel].details);
}

enum tui_result tui_checklist_action(struct tui_checklist *cl, enum tui_action a, int page)
{
	return tui_list_move(&cl->sel, &cl->top, cl->n, a, page);
}
