/* tui_widgets.h — the widgets. Each keeps its state in a plain struct the
 * screen owns; drawing is a pure function of that state into a rectangle of
 * a WINDOW; tui_X_action() takes an action and returns a tui_result
 * (TUI_IGNORED when the action means nothing to the widget, so the screen
 * can use it). */
#ifndef TUI_WIDGETS_H
#define TUI_WIDGETS_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>

#include "tui/tui_keys.h"
#include "tui/tui_loop.h"
#include "tui/tui_theme.h"

/* ---- log pane (tui_log.c): bounded ring of lines, follow, scroll, search */

struct tui_log;

/* A log holding at most max_lines lines and max_bytes bytes of text (the
 * oldest lines go first). NULL on ENOMEM. Free with tui_log_free (NULL ok). */
struct tui_log *tui_log_new(size_t max_lines, size_t max_bytes);
void tui_log_free(struct tui_log *log);

/* Appends raw output: complete lines are stored, a trailing partial line is
 * kept (and shown) until its newline arrives. "\r\n" counts as one break. */
void tui_log_append(struct tui_log *log, const char *data, size_t len);

/* Lines stored (a pending partial line included), and line i (0 = oldest
 * still stored); NULL when out of range. Borrowed until the next append. */
size_t tui_log_count(const struct tui_log *log);
const char *tui_log_line(const struct tui_log *log, size_t i);

/* Lines dropped so far because of the bounds. */
unsigned long long tui_log_dropped(const struct tui_log *log);

/* Follow mode: the view stays on the newest lines. On by default; scrolling
 * up turns it off, End / G / f turn it on. */
bool tui_log_following(const struct tui_log *log);

/* Draws the visible lines into (y, x, h, width); the last row is the search
 * prompt while one is being typed. A line matching the search is
 * highlighted. */
void tui_log_draw(const struct tui_log *log, WINDOW *w, int y, int x, int h, int width);

/* Scrolling (UP/DOWN/PAGE_UP/PAGE_DOWN/HOME/END), FOLLOW, SEARCH (starts the prompt;
 * then CHAR/ERASE edit it, SELECT runs it, CANCEL drops it), SEARCH_NEXT and
 * SEARCH_PREV. page is the pane height used for paging. */
enum tui_result tui_log_action(struct tui_log *log, enum tui_action a, int ch, int page);

/* TUI_CTX_TEXT while the search prompt is open, else TUI_CTX_LIST. */
enum tui_context tui_log_context(const struct tui_log *log);

/* Sets the search text and moves the view to the next (forward) or previous
 * match from the current top line. Returns the matching line index, -1 when
 * there is none (the view does not move). */
long tui_log_search(struct tui_log *log, const char *needle, bool forward);

/* ---- checklist with details pane (tui_checklist.c) */

enum tui_check_status {
	TUI_CHECK_PENDING,
	TUI_CHECK_RUNNING,
	TUI_CHECK_PASS,
	TUI_CHECK_WARN,
	TUI_CHECK_FAIL,
	TUI_CHECK_WAIVED,
	TUI_CHECK_SKIPPED,
};

struct tui_check_item {
	const char *label;
	enum tui_check_status status;
	const char *details; /* shown for the selected row; may be NULL */
};

/* items are borrowed; sel/top are the widget's state (start at 0). */
struct tui_checklist {
	const struct tui_check_item *items;
	size_t n;
	size_t sel;
	size_t top;
};

/* The badge for a status: "[ OK ]", "[WARN]", "[FAIL]"... */
const char *tui_check_badge(enum tui_check_status s);

/* The list in the upper part of (y, x, h, width), a separator and the
 * selected item's details (word-wrapped) below. list_h: rows for the list. */
void tui_checklist_draw(struct tui_checklist *cl, WINDOW *w, int y, int x, int h, int width,
			int list_h);

/* UP/DOWN/PAGE_UP/PAGE_DOWN/HOME/END move the selection. */
enum tui_result tui_checklist_action(struct tui_checklist *cl, enum tui_action a, int page);

/* ---- table (tui_table.c) */

struct tui_table_col {
	const char *title;
	int width;  /* columns; 0 for the last column: the rest */
	bool right; /* right-aligned (numbers) */
};

/* cell(data, row, col) returns borrowed text; role(data, row) may be NULL. */
struct tui_table {
	const struct tui_table_col *cols;
	size_t ncols;
	size_t nrows;
	const char *(*cell)(void *data, size_t row, size_t col);
	enum tui_role (*role)(void *data, size_t row);
	void *data;
	size_t sel;
	size_t top;
	bool selectable; /* highlight sel */
};

/* Title row, then rows from top; keeps sel visible. */
void tui_table_draw(struct tui_table *t, WINDOW *w, int y, int x, int h, int width);
enum tui_result tui_table_action(struct tui_table *t, enum tui_action a, int page);

/* ---- progress gauge (tui_gauge.c) */

/* "[#####-----]  3/7  label" in width columns (Unicode blocks in UTF-8).
 * total <= 0 draws an empty bar with "?". */
void tui_gauge_draw(WINDOW *w, int y, int x, int width, long done, long total, const char *label);

/* ---- form (tui_form.c): text, secret, boolean and choice fields */

enum tui_field_type { TUI_FIELD_TEXT, TUI_FIELD_SECRET, TUI_FIELD_BOOL, TUI_FIELD_CHOICE };

#define TUI_FIELD_MAX 256

/* validate returns NULL when value is valid, else the message to show
 * (static or kept by the caller). For BOOL/CHOICE value is "yes"/"no" or the
 * choice text. */
struct tui_field {
	const char *label;
	enum tui_field_type type;
	char text[TUI_FIELD_MAX];   /* TEXT/SECRET value (UTF-8) */
	bool on;                    /* BOOL value */
	const char *const *choices; /* CHOICE: NULL-terminated */
	size_t choice;              /* CHOICE value */
	const char *hint;           /* shown under the field when focused; may be NULL */
	const char *(*validate)(const char *value, void *arg);
	void *arg;
	const char *error; /* set by validation */
};

struct tui_form {
	struct tui_field *fields; /* borrowed, n of them */
	size_t n;
	size_t focus;
};

/* Label column then value; the focused field is highlighted, secrets show
 * '*', errors appear under their field in the fail role. */
void tui_form_draw(const struct tui_form *f, WINDOW *w, int y, int x, int h, int width);

/* FOCUS_NEXT/PREV and UP/DOWN move between fields (validating the one left);
 * CHAR/ERASE edit text at its end (the cursor); TOGGLE/SELECT/LEFT/RIGHT
 * change booleans and choices. SELECT on a text field validates the form:
 * TUI_ACCEPT when every field is valid (else focus goes to the first error). */
enum tui_result tui_form_action(struct tui_form *f, enum tui_action a, int ch);

/* TUI_CTX_TEXT when a text or secret field has the focus, else LIST. */
enum tui_context tui_form_context(const struct tui_form *f);

/* Validates every field; returns the number of invalid fields. */
size_t tui_form_validate(struct tui_form *f);

/* ---- dialogs (tui_dialog.c) */

/* Typed confirmation: the operator must type phrase exactly; anything else
 * (including Enter on an empty entry) is No. Esc cancels. */
struct tui_confirm {
	const char *title;
	const char *text;   /* what will happen, in plain words */
	const char *phrase; /* what must be typed */
	char typed[TUI_FIELD_MAX];
	const char *error;
};

/* Resets the entry (call before showing the dialog again). */
void tui_confirm_reset(struct tui_confirm *c);

/* Centred box over w. */
void tui_confirm_draw(const struct tui_confirm *c, WINDOW *w);

/* CHAR/ERASE edit; CONFIRM/SELECT: TUI_ACCEPT only when the phrase matches,
 * else TUI_HANDLED with an error shown; CANCEL: TUI_CANCEL. Context: DIALOG. */
enum tui_result tui_confirm_action(struct tui_confirm *c, enum tui_action a, int ch);

/* Message box: a title, wrapped text and "Enter: OK". */
struct tui_msgbox {
	const char *title;
	const char *text;
	enum tui_role role; /* of the text: NORMAL, WARN, FAIL, OK */
};

void tui_msgbox_draw(const struct tui_msgbox *m, WINDOW *w);

/* SELECT/CONFIRM/CANCEL close it: TUI_ACCEPT (CANCEL gives TUI_CANCEL). */
enum tui_result tui_msgbox_action(const struct tui_msgbox *m, enum tui_action a);

/* Appends the UTF-8 encoding of the typed character ch to buf (size bytes,
 * NUL-terminated); false when it does not fit or ch is not text. */
bool tui_text_append(char *buf, size_t size, int ch);

/* Removes the last UTF-8 character of buf. */
void tui_text_erase(char *buf);

#endif
