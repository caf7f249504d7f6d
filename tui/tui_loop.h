/* tui_loop.h — the one event loop, on poll(): the keyboard, descriptors the
 * app registers (log pipes of running children...), monotonic timers and the
 * signal self-pipe. It never blocks on anything else; with no timer armed it
 * waits without timeout (idle uses no CPU).
 *
 * The app plugs in with struct tui_app_ops. The loop owns the frame: it draws
 * header and status bar, shows the help overlay (F1/?) and the "too small"
 * notice by itself, turns keys into actions with tui_key_to_action() in the
 * app's context, relays out on resize and redraws after every event that may
 * have changed something. */
#ifndef TUI_LOOP_H
#define TUI_LOOP_H

#include <curses.h>

#include "tui/tui_frame.h"
#include "tui/tui_keys.h"

struct tui_loop;

/* What an app, screen or widget did with an action. The loop ends on
 * TUI_QUIT; the rest are for screens and their registry: NEXT/BACK move
 * between steps, ACCEPT/CANCEL end a dialog. */
enum tui_result {
	TUI_IGNORED,
	TUI_HANDLED,
	TUI_NEXT,
	TUI_BACK,
	TUI_QUIT,
	TUI_ACCEPT,
	TUI_CANCEL,
};

/* The app (normally the screens registry). Only action is required.
 *  frame:   fills the header/status data before each draw (strings borrowed
 *           until the draw is over).
 *  draw:    draws the body (rows 1..LINES-2, already cleared); pure.
 *  action:  one action; ch is the key (for TUI_ACT_CHAR: the character).
 *           TUI_ACT_QUIT that the app ignores ends the loop; HELP and
 *           RESIZE never reach it.
 *  context: where keys go now (default TUI_CTX_LIST).
 *  help:    the screen's own help text above the key list (may be NULL). */
struct tui_app_ops {
	void (*frame)(void *app, struct tui_frame *f);
	void (*draw)(void *app, WINDOW *body);
	enum tui_result (*action)(void *app, struct tui_loop *loop, enum tui_action a, int ch);
	enum tui_context (*context)(void *app);
	const char *(*help)(void *app);
};

/* Why tui_loop_run returned. */
enum tui_loop_end { TUI_LOOP_QUIT, TUI_LOOP_SIGNAL, TUI_LOOP_ERROR };

typedef void tui_fd_cb(struct tui_loop *loop, int fd, void *arg);
typedef void tui_timer_cb(struct tui_loop *loop, int id, void *arg);

/* A new loop; free with tui_loop_free (NULL is a no-op). NULL on ENOMEM. */
struct tui_loop *tui_loop_new(void);
void tui_loop_free(struct tui_loop *loop);

/* Calls cb whenever fd is readable or hung up (the callback must read or
 * remove it, or the loop spins). The loop does not own fd. One registration
 * per fd; re-adding replaces. Returns 0, -1 on ENOMEM. */
int tui_loop_add_fd(struct tui_loop *loop, int fd, tui_fd_cb *cb, void *arg);

/* Stops watching fd (safe inside any callback). */
void tui_loop_remove_fd(struct tui_loop *loop, int fd);

/* Calls cb after ms milliseconds (monotonic clock), then every ms if repeat.
 * Returns the timer id (> 0), -1 on ENOMEM. */
int tui_loop_add_timer(struct tui_loop *loop, int ms, int repeat, tui_timer_cb *cb, void *arg);

/* Cancels a timer (unknown ids are ignored; safe inside any callback). */
void tui_loop_cancel_timer(struct tui_loop *loop, int id);

/* Asks for a redraw before the next wait (call after changing state from an
 * fd or timer callback). */
void tui_loop_redraw(struct tui_loop *loop);

/* Makes tui_loop_run return TUI_LOOP_QUIT after the current callback. */
void tui_loop_quit(struct tui_loop *loop);

/* Runs until quit, a signal (INT/TERM/HUP: tui_signal_pending() says which)
 * or an error. ops NULL: no terminal, only descriptors and timers (tests,
 * headless). With ops the terminal must be active (tui_init). */
enum tui_loop_end tui_loop_run(struct tui_loop *loop, const struct tui_app_ops *ops, void *app);

/* The last mouse click (body coordinates), valid during TUI_ACT_CLICK. */
void tui_loop_mouse(const struct tui_loop *loop, int *y, int *x);

/* The number of times the loop woke up (poll returned); for idle tests. */
unsigned long tui_loop_wakeups(const struct tui_loop *loop);

#endif
