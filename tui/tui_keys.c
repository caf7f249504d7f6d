#include "tui/tui_keys.h"

#include <curses.h>

#define TUI_ACTION_ROW(name, keys, help) {#name, keys, help},
static const struct {
	const char *name;
	const char *keys;
	const char *help;
} keys_table[] = {TUI_ACTIONS(TUI_ACTION_ROW)};
#undef TUI_ACTION_ROW

#define KEYS_CTRL(c) ((c)&0x1f)
#define KEYS_ESC     27
#define KEYS_DEL     127

/* Keys that mean the same in every context. */
static enum tui_action keys_common(int ch, enum tui_context ctx)
{
	switch (ch) {
	case KEY_F(1):
		return TUI_ACT_HELP;
	case KEY_F(9):
		return TUI_ACT_BACK;
	case KEY_F(10):
		return TUI_ACT_NEXT;
	case KEY_UP:
		return TUI_ACT_UP;
	case KEY_DOWN:
		return TUI_ACT_DOWN;
	case KEY_LEFT:
		return TUI_ACT_LEFT;
	case KEY_RIGHT:
		return TUI_ACT_RIGHT;
	case KEY_PPAGE:
		return TUI_ACT_PAGE_UP;
	case KEY_NPAGE:
		return TUI_ACT_PAGE_DOWN;
	case KEY_HOME:
		return TUI_ACT_HOME;
	case KEY_END:
		return TUI_ACT_END;
	case '\t':
		return TUI_ACT_FOCUS_NEXT;
	case KEY_BTAB:
		return TUI_ACT_FOCUS_PREV;
	case '\n':
	case '\r':
	case KEY_ENTER:
		return ctx == TUI_CTX_DIALOG ? TUI_ACT_CONFIRM : TUI_ACT_SELECT;
	case KEYS_ESC:
		return TUI_ACT_CANCEL;
	case KEY_BACKSPACE:
	case KEYS_DEL:
	case KEYS_CTRL('h'):
		return TUI_ACT_ERASE;
	case KEY_DC:
		return TUI_ACT_DELETE;
	case KEY_RESIZE:
		return TUI_ACT_RESIZE;
	case KEY_MOUSE:
		return TUI_ACT_CLICK;
	case KEYS_CTRL('l'):
		return TUI_ACT_REDRAW;
	default:
		return TUI_ACT__COUNT;
	}
}

/* Letters that are commands in a list or pane. */
static enum tui_action keys_list(int ch)
{
	switch (ch) {
	case '?':
		return TUI_ACT_HELP;
	case 'q':
	case 'Q':
		return TUI_ACT_QUIT;
	case '>':
		return TUI_ACT_NEXT;
	case '<':
		return TUI_ACT_BACK;
	case 'k':
		return TUI_ACT_UP;
	case 'j':
		return TUI_ACT_DOWN;
	case 'g':
		return TUI_ACT_HOME;
	case 'G':
		return TUI_ACT_END;
	case ' ':
		return TUI_ACT_TOGGLE;
	case 'r':
		return TUI_ACT_REFRESH;
	case '/':
		return TUI_ACT_SEARCH;
	case 'n':
		return TUI_ACT_SEARCH_NEXT;
	case 'N':
		return TUI_ACT_SEARCH_PREV;
	case 'f':
		return TUI_ACT_FOLLOW;
	default:
		return TUI_ACT_NONE;
	}
}

enum tui_action tui_key_to_action(int ch, enum tui_context ctx)
{
	enum tui_action a = keys_common(ch, ctx);

	if (a != TUI_ACT__COUNT) {
		/* Backspace is Back in a list, where there is nothing to erase. */
		if (a == TUI_ACT_ERASE && ctx == TUI_CTX_LIST)
			return TUI_ACT_BACK;
		return a;
	}
	if (ctx == TUI_CTX_LIST)
		return keys_list(ch);
	if (ch >= 0x20 && ch != KEYS_DEL && ch < KEY_MIN)
		return TUI_ACT_CHAR;
	return TUI_ACT_NONE;
}

const char *tui_action_name(enum tui_action a)
{
	return (unsigned)a < TUI_ACT__COUNT ? keys_table[a].name : "";
}

const char *tui_action_keys(enum tui_action a)
{
	return (unsigned)a < TUI_ACT__COUNT ? keys_table[a].keys : "";
}

const char *tui_action_help(enum tui_action a)
{
	return (unsigned)a < TUI_ACT__COUNT ? keys_table[a].help : "";
}

int tui_action_in_context(enum tui_action a, enum tui_context ctx)
{
	if ((unsigned)a >= TUI_ACT__COUNT || keys_table[a].keys[0] == '\0')
		return 0;
	switch (a) {
	case TUI_ACT_CONFIRM:
		return ctx == TUI_CTX_DIALOG;
	case TUI_ACT_SELECT:
		return ctx != TUI_CTX_DIALOG;
	case TUI_ACT_QUIT:
	case TUI_ACT_SEARCH:
	case TUI_ACT_SEARCH_NEXT:
	case TUI_ACT_SEARCH_PREV:
	case TUI_ACT_FOLLOW:
	case TUI_ACT_TOGGLE:
	case TUI_ACT_REFRESH:
		return ctx == TUI_CTX_LIST;
	case TUI_ACT_ERASE:
	case TUI_ACT_DELETE:
		return ctx != TUI_CTX_LIST;
	default:
		return 1;
	}
}
