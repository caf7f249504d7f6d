#include "tui/tui_internal.h"

/* Draws one row of cells (or the titles when row is NULL). */
static void table_row(struct tui_table *t, WINDOW *w, int y, int x, int width, const size_t *row,
		      enum tui_role role)
{
	int cx = 0;
	size_t c;

	tui_put(w, y, x, width, role, true, "");
	for (c = 0; c < t->ncols && cx < width; c++) {
		const struct tui_table_col *col = &t->cols[c];
		int cw = col->width > 0 ? col->width : width - cx;
		const char *s = row == NULL ? col->title : t->cell(t->data, *row, c);
		int tw;

		if (cw > width - cx)
			cw = width - cx;
		if (s == NULL)
			s = "";
		tw = tui_text_width(s);
		if (col->right && tw < cw - 1)
			tui_put(w, y, x + cx + cw - 1 - tw, tw, role, false, s);
		else
			tui_put(w, y, x + cx, cw - 1, role, false, s);
		cx += cw;
	}
}

void tui_table_draw(struct tui_table *t, WINDOW *w, int y, int x, int h, int width)
{
	int rows = h - 1, i;

	if (h < 1)
		return;
	if (t->nrows > 0 && t->sel >= t->nrows)
		t->sel = t->nrows - 1;
	if (t->sel < t->top)
		t->top = t->sel;
	if (rows > 0 && t->sel >= t->top + (size_t)rows)
		t->top = t->sel + 1 - (size_t)rows;
	table_row(t, w, y, x, width, NULL, TUI_ROLE_TITLE);
	for (i = 0; i < rows; i++) {
		size_t r = t->top + (size_t)i;
		enum tui_role role = TUI_ROLE_NORMAL;

		if (r >= t->nrows) {
			tui_put(w, y + 1 + i, x, width, TUI_ROLE_NORMAL, true, "");
			continue;
		}
		if (t->role != NULL)
			role = t->role(t->data, r);
		if (t->selectable && r == t->sel)
			role = TUI_ROLE_SELECTED;
		table_row(t, w, y + 1 + i, x, width, &r, role);
	}
}

enum tui_result tui_table_action(struct tui_table *t, enum tui_action a, int page)
{
	return tui_list_move(&t->sel, &t->top, t->nrows, a, page);
}
