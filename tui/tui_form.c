#include "tui/tui_widgets.h"

#include <stdio.h>
#include <string.h>

#define FORM_LABEL_W 28

static const char *form_value(const struct tui_field *fl)
{
	switch (fl->type) {
	case TUI_FIELD_BOOL:
		return fl->on ? "yes" : "no";
	case TUI_FIELD_CHOICE:
		return fl->choices != NULL && fl->choices[fl->choice] != NULL
			   ? fl->choices[fl->choice]
			   : "";
	default:
		return fl->text;
	}
}

static bool form_field_validate(struct tui_field *fl)
{
	fl->error = fl->validate != NULL ? fl->validate(form_value(fl), fl->arg) : NULL;
	return fl->error == NULL;
}

size_t tui_form_validate(struct tui_form *f)
{
	size_t i, bad = 0;

	for (i = 0; i < f->n; i++)
		if (!form_field_validate(&f->fields[i]))
			bad++;
	return bad;
}

enum tui_context tui_form_context(const struct tui_form *f)
{
	if (f->focus < f->n && (f->fields[f->focus].type == TUI_FIELD_TEXT ||
				f->fields[f->focus].type == TUI_FIELD_SECRET))
		return TUI_CTX_TEXT;
	return TUI_CTX_LIST;
}

void tui_form_draw(const struct tui_form *f, WINDOW *w, int y, int x, int h, int width)
{
	int row = 0, vw = width - FORM_LABEL_W - 1;
	size_t i;

	for (i = 0; i < f->n && row < h; i++) {
		const struct tui_field *fl = &f->fields[i];
		bool focus = i == f->focus;
		char shown[TUI_FIELD_MAX + 8];
		int used;

		if (fl->type == TUI_FIELD_SECRET) {
			size_t k, n = (size_t)tui_text_width(fl->text);

			for (k = 0; k < n && k < TUI_FIELD_MAX; k++)
				shown[k] = '*';
			shown[k] = '\0';
		} else if (fl->type == TUI_FIELD_BOOL) {
			snprintf(shown, sizeof(shown), "[%c] %s", fl->on ? 'x' : ' ',
				 form_value(fl));
		} else if (fl->type == TUI_FIELD_CHOICE) {
			snprintf(shown, sizeof(shown), "< %s >", form_value(fl));
		} else {
			snprintf(shown, sizeof(shown), "%s", fl->text);
		}
		tui_put(w, y + row, x, FORM_LABEL_W, focus ? TUI_ROLE_TITLE : TUI_ROLE_NORMAL, true,
			fl->label);
		used = tui_put(w, y + row, x + FORM_LABEL_W + 1, vw,
			       focus ? TUI_ROLE_SELECTED : TUI_ROLE_INPUT, false, shown);
		if (focus && tui_form_context(f) == TUI_CTX_TEXT && used < vw)
			used += tui_put(w, y + row, x + FORM_LABEL_W + 1 + used, 1,
					TUI_ROLE_SELECTED, false, "_");
		tui_put(w, y + row, x + FORM_LABEL_W + 1 + used, vw - used, TUI_ROLE_NORMAL, true,
			"");
		row++;
		if (fl->error != NULL && row < h) {
			tui_put(w, y + row, x + FORM_LABEL_W + 1, vw, TUI_ROLE_FAIL, true,
				fl->error);
			row++;
		} else if (focus && fl->hint != NULL && row < h) {
			tui_put(w, y + row, x + FORM_LABEL_W + 1, vw, TUI_ROLE_DIM, true, fl->hint);
			row++;
		}
	}
}

static void form_move(struct tui_form *f, bool forward)
{
	if (f->n == 0)
		return;
	form_field_validate(&f->fields[f->focus]);
	if (forward)
		f->focus = (f->focus + 1) % f->n;
	else
		f->focus = (f->focus + f->n - 1) % f->n;
}

static void form_cycle(struct tui_field *fl, bool forward)
{
	size_t n = 0;

	if (fl->type == TUI_FIELD_BOOL) {
		fl->on = !fl->on;
		return;
	}
	while (fl->choices != NULL && fl->choices[n] != NULL)
		n++;
	if (n == 0)
		return;
	fl->choice = forward ? (fl->choice + 1) % n : (fl->choice + n - 1) % n;
}

enum tui_result tui_form_action(struct tui_form *f, enum tui_action a, int ch)
{
	struct tui_field *fl = f->focus < f->n ? &f->fields[f->focus] : NULL;
	bool text;
	size_t i;

	if (fl == NULL)
		return TUI_IGNORED;
	text = fl->type == TUI_FIELD_TEXT || fl->type == TUI_FIELD_SECRET;
	switch (a) {
	case TUI_ACT_FOCUS_NEXT:
	case TUI_ACT_DOWN:
		form_move(f, true);
		return TUI_HANDLED;
	case TUI_ACT_FOCUS_PREV:
	case TUI_ACT_UP:
		form_move(f, false);
		return TUI_HANDLED;
	case TUI_ACT_CHAR:
		if (!text)
			return TUI_IGNORED;
		tui_text_append(fl->text, sizeof(fl->text), ch);
		fl->error = NULL;
		return TUI_HANDLED;
	case TUI_ACT_ERASE:
		if (!text)
			return TUI_IGNORED;
		tui_text_erase(fl->text);
		fl->error = NULL;
		return TUI_HANDLED;
	case TUI_ACT_TOGGLE:
	case TUI_ACT_LEFT:
	case TUI_ACT_RIGHT:
		if (text)
			return TUI_IGNORED;
		form_cycle(fl, a != TUI_ACT_LEFT);
		form_field_validate(fl);
		return TUI_HANDLED;
	case TUI_ACT_SELECT:
		if (!text) {
			form_cycle(fl, true);
			form_field_validate(fl);
			return TUI_HANDLED;
		}
		if (tui_form_validate(f) == 0)
			return TUI_ACCEPT;
		for (i = 0; i < f->n; i++) {
			if (f->fields[i].error != NULL) {
				f->focus = i;
				break;
			}
		}
		return TUI_HANDLED;
	default:
		return TUI_IGNORED;
	}
}
