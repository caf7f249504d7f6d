#include "tui/tui_widgets.h"

#include <stdio.h>
#include <string.h>

/* The dialog rectangle centred in w for a text of the given width needs. */
static void dialog_rect(WINDOW *w, int want_h, int *y, int *x, int *h, int *width)
{
	int rows = getmaxy(w), cols = getmaxx(w);

	*width = cols - 8 > 64 ? 64 : cols - 8;
	if (*width < 20)
		*width = cols;
	*h = want_h > rows ? rows : want_h;
	*y = (rows - *h) / 2;
	*x = (cols - *width) / 2;
}

void tui_confirm_reset(struct tui_confirm *c)
{
	c->typed[0] = '\0';
	c->error = NULL;
}

void tui_confirm_draw(const struct tui_confirm *c, WINDOW *w)
{
	char ask[TUI_FIELD_MAX + 64];
	int y, x, h, width, inner, tl, row, used;

	dialog_rect(w, 0, &y, &x, &h, &width);
	inner = width - 4;
	snprintf(ask, sizeof(ask), "Type %s to confirm:", c->phrase);
	tl = tui_wrap(NULL, 0, 0, 0, inner, TUI_ROLE_NORMAL, c->text);
	dialog_rect(w, tl + 9, &y, &x, &h, &width);
	tui_fill(w, y, x, h, width, TUI_ROLE_NORMAL);
	tui_box(w, y, x, h, width, c->title);
	row = y + 1 + tui_wrap(w, y + 1, x + 2, h - 8, inner, TUI_ROLE_NORMAL, c->text);
	row++;
	tui_put(w, row++, x + 2, inner, TUI_ROLE_TITLE, false, ask);
	used = tui_put(w, row, x + 2, inner, TUI_ROLE_INPUT, false, c->typed);
	tui_put(w, row, x + 2 + used, inner - used, TUI_ROLE_INPUT, true, "_");
	row++;
	if (c->error != NULL)
		tui_put(w, row, x + 2, inner, TUI_ROLE_FAIL, false, c->error);
	tui_put(w, y + h - 2, x + 2, inner, TUI_ROLE_DIM, false,
		"Enter: confirm   Esc: cancel   (default: No)");
}

enum tui_result tui_confirm_action(struct tui_confirm *c, enum tui_action a, int ch)
{
	switch (a) {
	case TUI_ACT_CHAR:
		tui_text_append(c->typed, sizeof(c->typed), ch);
		c->error = NULL;
		return TUI_HANDLED;
	case TUI_ACT_ERASE:
		tui_text_erase(c->typed);
		c->error = NULL;
		return TUI_HANDLED;
	case TUI_ACT_CONFIRM:
	case TUI_ACT_SELECT:
		if (c->phrase != NULL && c->phrase[0] != '\0' && strcmp(c->typed, c->phrase) == 0)
			return TUI_ACCEPT;
		c->error = c->typed[0] == '\0' ? "Nothing typed: the answer is No."
					       : "That is not the phrase: the answer is No.";
		return TUI_HANDLED;
	case TUI_ACT_CANCEL:
		return TUI_CANCEL;
	default:
		/* A modal dialog: nothing else gets through. */
		return a == TUI_ACT_QUIT ? TUI_IGNORED : TUI_HANDLED;
	}
}

void tui_msgbox_draw(const struct tui_msgbox *m, WINDOW *w)
{
	int y, x, h, width, tl;

	dialog_rect(w, 0, &y, &x, &h, &width);
	tl = tui_wrap(NULL, 0, 0, 0, width - 4, m->role, m->text);
	dialog_rect(w, tl + 5, &y, &x, &h, &width);
	tui_fill(w, y, x, h, width, TUI_ROLE_NORMAL);
	tui_box(w, y, x, h, width, m->title);
	tui_wrap(w, y + 1, x + 2, h - 4, width - 4, m->role, m->text);
	tui_put(w, y + h - 2, x + 2, width - 4, TUI_ROLE_DIM, false, "Enter: OK");
}

enum tui_result tui_msgbox_action(const struct tui_msgbox *m, enum tui_action a)
{
	(void)m;
	switch (a) {
	case TUI_ACT_SELECT:
	case TUI_ACT_CONFIRM:
		return TUI_ACCEPT;
	case TUI_ACT_CANCEL:
		return TUI_CANCEL;
	default:
		return a == TUI_ACT_QUIT ? TUI_IGNORED : TUI_HANDLED;
	}
}
