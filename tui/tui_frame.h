/* tui_frame.h — what is on every screen: the header (product, path,
 * "Step N/M: Title"), the status bar (backup state, always, and key hints),
 * the help overlay and the "terminal too small" notice.
 *
 * Layout at LINES x COLS: row 0 header, rows 1..LINES-2 the body (given to the
 * screen), row LINES-1 status bar. Minimum TUI_MIN_COLS x TUI_MIN_LINES. */
#ifndef TUI_FRAME_H
#define TUI_FRAME_H

#include <curses.h>
#include <stdbool.h>

#include "tui/tui_keys.h"

#define TUI_MIN_COLS  80
#define TUI_MIN_LINES 24

enum tui_backup_state { TUI_BACKUP_NONE, TUI_BACKUP_UNVERIFIED, TUI_BACKUP_VERIFIED };

struct tui_backup {
	enum tui_backup_state state;
	const char *when;         /* preformatted time, e.g. "2024-05-01 10:02" */
	unsigned long long bytes; /* size of the dump */
};

/* Everything the frame shows; strings are borrowed for the draw only and may
 * be NULL (left out). step/steps 0: no step counter. hints NULL: generated
 * from the key table ("F1 Help  > Next  < Back  q Quit"). */
struct tui_frame {
	const char *product;
	const char *path;
	int step;
	int steps;
	const char *title;
	struct tui_backup backup;
	const char *hints;
};

/* Whether a rows x cols terminal is big enough for the wizard. */
bool tui_frame_fits(int rows, int cols);

/* Draws header and status bar onto w (normally stdscr) at its current size. */
void tui_frame_draw(WINDOW *w, const struct tui_frame *f);

/* Formats the backup state as the status bar shows it ("Backup: none",
 * "Backup: 2024-05-01 10:02, 12.3 MiB, verified") into buf. */
void tui_frame_backup_text(const struct tui_backup *b, char *buf, size_t size);

/* Clears w and shows "terminal too small (need 80x24)" with the current size,
 * centred as far as it fits. */
void tui_frame_draw_too_small(WINDOW *w);

/* The help overlay over w: screen_help (may be NULL) then every action of
 * the key table that applies in ctx, with its keys and text. */
void tui_frame_draw_help(WINDOW *w, enum tui_context ctx, const char *screen_help);

#endif
