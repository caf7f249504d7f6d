/* tui_keys.h — the one key map: keys, resize and mouse become actions.
 *
 * Screens receive actions, never keys. Every action is one row of TUI_ACTIONS:
 * X(NAME, "keys as shown", "what it does", at most 23 columns); the enum, the help
 * overlay and the status-bar hints are all generated from that table, so the
 * help never drifts from the map. Rows with empty keys are internal. */
#ifndef TUI_KEYS_H
#define TUI_KEYS_H

#include <stddef.h>

#define TUI_ACTIONS(X)                                                                             \
	X(NONE, "", "")                                                                            \
	X(HELP, "F1 ?", "this help")                                                               \
	X(QUIT, "q", "quit; progress is saved")                                                    \
	X(NEXT, "> F10", "next step")                                                              \
	X(BACK, "< F9", "previous step")                                                           \
	X(UP, "Up k", "up / scroll up")                                                            \
	X(DOWN, "Down j", "down / scroll down")                                                    \
	X(LEFT, "Left", "left / previous choice")                                                  \
	X(RIGHT, "Right", "right / next choice")                                                   \
	X(PAGE_UP, "PgUp", "page up")                                                              \
	X(PAGE_DOWN, "PgDn", "page down")                                                          \
	X(HOME, "Home g", "first line")                                                            \
	X(END, "End G", "last line; log follows")                                                  \
	X(FOCUS_NEXT, "Tab", "next field or pane")                                                 \
	X(FOCUS_PREV, "Shift-Tab", "previous field or pane")                                       \
	X(SELECT, "Enter", "select / run / open")                                                  \
	X(TOGGLE, "Space", "toggle yes/no, choice")                                                \
	X(REFRESH, "r", "refresh / check again")                                                   \
	X(CONFIRM, "Enter", "confirm (exact phrase)")                                              \
	X(CANCEL, "Esc", "cancel; default is No")                                                  \
	X(SEARCH, "/", "search the log")                                                           \
	X(SEARCH_NEXT, "n", "next match")                                                          \
	X(SEARCH_PREV, "N", "previous match")                                                      \
	X(FOLLOW, "f", "follow log on/off")                                                        \
	X(ERASE, "Backspace", "delete before cursor")                                              \
	X(DELETE, "Del", "delete under cursor")                                                    \
	X(CHAR, "", "")                                                                            \
	X(CLICK, "", "")                                                                           \
	X(RESIZE, "", "")                                                                          \
	X(REDRAW, "Ctrl-L", "redraw the screen")

#define TUI_ACTION_ENUM(name, keys, help) TUI_ACT_##name,
enum tui_action { TUI_ACTIONS(TUI_ACTION_ENUM) TUI_ACT__COUNT };
#undef TUI_ACTION_ENUM

/* Where the keys go: a list or pane (letters are commands: j/k/q/?/n...),
 * a text field (letters are text: only F-keys, Tab, Enter, Esc, arrows and
 * editing keys are commands) or a dialog (text entry; Enter confirms). */
enum tui_context { TUI_CTX_LIST, TUI_CTX_TEXT, TUI_CTX_DIALOG };

/* Maps one wgetch() result to an action in a context. Printable characters
 * that are text in the context give TUI_ACT_CHAR (the caller keeps ch);
 * unknown keys give TUI_ACT_NONE. KEY_MOUSE gives TUI_ACT_CLICK: the loop
 * reads the event and turns the wheel into UP/DOWN. Pure; never fails. */
enum tui_action tui_key_to_action(int ch, enum tui_context ctx);

/* The action's symbolic name ("QUIT"), keys ("q") and help text; "" for an
 * out-of-range value. Static strings. */
const char *tui_action_name(enum tui_action a);
const char *tui_action_keys(enum tui_action a);
const char *tui_action_help(enum tui_action a);

/* Whether the action means anything in the context (the help overlay lists
 * only these). */
int tui_action_in_context(enum tui_action a, enum tui_context ctx);

#endif
