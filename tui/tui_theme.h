/* tui_theme.h — semantic colour roles and the text primitives every widget
 * draws with.
 *
 * Widgets never name a colour: they name a role. One table (TUI_ROLES) gives
 * each role its colour pair plus attribute, and its monochrome attribute for
 * NO_COLOR and terminals without colour (reverse and bold only, so the
 * meaning survives without colour). Line drawing is Unicode in a UTF-8 locale
 * and plain ASCII (+ - |) elsewhere. */
#ifndef TUI_THEME_H
#define TUI_THEME_H

#include <curses.h>
#include <stdbool.h>

/* X(NAME, foreground, background, colour attribute, monochrome attribute) */
#define TUI_ROLES(X)                                                                               \
	X(NORMAL, -1, -1, A_NORMAL, A_NORMAL)                                                      \
	X(HEADER, COLOR_WHITE, COLOR_BLUE, A_BOLD, A_REVERSE)                                      \
	X(STATUS, COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE)                                    \
	X(ALARM, COLOR_WHITE, COLOR_RED, A_BOLD, A_BOLD)                                           \
	X(OK, COLOR_GREEN, -1, A_BOLD, A_NORMAL)                                                   \
	X(WARN, COLOR_YELLOW, -1, A_BOLD, A_BOLD)                                                  \
	X(FAIL, COLOR_RED, -1, A_BOLD, A_BOLD | A_REVERSE)                                         \
	X(WAIVED, COLOR_MAGENTA, -1, A_NORMAL, A_NORMAL)                                           \
	X(SELECTED, COLOR_BLACK, COLOR_WHITE, A_NORMAL, A_REVERSE)                                 \
	X(DIM, COLOR_BLUE, -1, A_BOLD, A_NORMAL)                                                   \
	X(INPUT, COLOR_WHITE, COLOR_BLACK, A_BOLD, A_BOLD)                                         \
	X(BORDER, COLOR_CYAN, -1, A_NORMAL, A_NORMAL)                                              \
	X(TITLE, COLOR_CYAN, -1, A_BOLD, A_BOLD)

#define TUI_ROLE_ENUM(name, fg, bg, attr, mono) TUI_ROLE_##name,
enum tui_role { TUI_ROLES(TUI_ROLE_ENUM) TUI_ROLE__COUNT };
#undef TUI_ROLE_ENUM

/* Chooses the theme after newterm()/initscr(). colour: the caller wants
 * colour (false for NO_COLOR or --no-color); colour is used only when the
 * terminal has it too. utf8: the locale's charset is UTF-8 (false gives
 * ASCII line drawing and '?' for non-ASCII text). Never fails. */
void tui_theme_init(bool colour, bool utf8);

/* The attributes (colour pair included) for a role under the current theme. */
attr_t tui_attr(enum tui_role role);

/* Whether the current theme uses colour / Unicode line drawing. */
bool tui_theme_colour(void);
bool tui_theme_utf8(void);

/* Draws s at (y, x) in at most width columns with the role's attributes:
 * control characters become spaces, text that does not fit is cut, non-ASCII
 * text is shown only in a UTF-8 locale. pad: fill the rest of width with
 * spaces. Returns the columns used. */
int tui_put(WINDOW *w, int y, int x, int width, enum tui_role role, bool pad, const char *s);

/* Display columns of s under the current theme (as tui_put draws it). */
int tui_text_width(const char *s);

/* Word-wraps s into the rectangle (y, x, h, width); '\n' breaks lines; a word
 * longer than width is cut. Returns the number of lines s needs (which may be
 * more than h: only h are drawn). w may be NULL to measure only. */
int tui_wrap(WINDOW *w, int y, int x, int h, int width, enum tui_role role, const char *s);

/* A box with the border role; title (may be NULL) is set into the top edge. */
void tui_box(WINDOW *w, int y, int x, int h, int width, const char *title);

/* A horizontal line of width columns. */
void tui_hline(WINDOW *w, int y, int x, int width);

/* Clears the rectangle to the role's background. */
void tui_fill(WINDOW *w, int y, int x, int h, int width, enum tui_role role);

#endif
