/* tui.h — the terminal layer (ncursesw): set-up and tear-down. Knows nothing
 * of Kong; never includes core/ or config/.
 *
 * While curses owns the terminal nothing else writes to it: stderr is
 * redirected to the caller's log descriptor. The terminal is restored on
 * every way out: tui_done() (normal path), the atexit hook (exit() anywhere),
 * SIGINT/SIGTERM/SIGHUP (a flag the event loop sees -> orderly exit, then
 * tui_exit_by_signal()), and crash signals (SEGV/BUS/FPE/ILL/ABRT: the saved
 * reset sequences and tty modes are written back async-signal-safely, then
 * the signal is re-raised with its default action).
 *
 * The rest of the layer: tui_keys.h (key map, actions), tui_theme.h (roles,
 * text primitives), tui_frame.h (header, status bar, help, too-small notice),
 * tui_loop.h (the poll() event loop and the app ops), tui_widgets.h. */
#ifndef TUI_H
#define TUI_H

#include <stdbool.h>

#include "tui/tui_frame.h"
#include "tui/tui_keys.h"
#include "tui/tui_loop.h"
#include "tui/tui_theme.h"
#include "tui/tui_widgets.h"

struct tui_options {
	bool colour; /* false for NO_COLOR / --no-color: reverse and bold only */
	bool utf8;   /* the locale is UTF-8 (see tui_locale_utf8); false: ASCII */
	bool mouse;  /* report wheel and clicks (off keeps the terminal's selection) */
	int log_fd;  /* stderr goes here while curses is active; -1: /dev/null */
};

/* True when stdin and stdout are terminals (the wizard needs one). */
bool tui_have_terminal(void);

/* Whether the current LC_CTYPE is UTF-8. Call after setlocale(LC_ALL, ""). */
bool tui_locale_utf8(void);

/* Takes the terminal (stdin/stdout, $TERM): curses screen, theme, stderr
 * redirection, signal handlers, atexit hook. The caller must have called
 * setlocale(LC_ALL, "") first. Returns 0, or -1 with a message in err
 * (nothing changed). Calling it twice is an error. */
int tui_init(const struct tui_options *opt, char *err, size_t errlen);

/* Gives the terminal back: leaves curses and the alternate screen, restores
 * tty modes, stderr and the previous signal handlers. Idempotent; safe when
 * tui_init was never called. */
void tui_done(void);

/* Whether tui_init has taken the terminal and tui_done not yet given it back. */
bool tui_active(void);

/* The INT/TERM/HUP signal received since tui_init (0: none). The event loop
 * checks it and returns TUI_LOOP_SIGNAL. */
int tui_signal_pending(void);

/* Read end of the self-pipe the signal handlers write to (-1 when inactive);
 * the event loop polls it so that a signal always wakes it. */
int tui_signal_fd(void);

/* Restores the terminal (tui_done) and ends the process by sig with its
 * default action, so the parent sees "killed by sig". For the orderly end
 * after TUI_LOOP_SIGNAL, once state has been saved. Does not return. */
_Noreturn void tui_exit_by_signal(int sig);

/* Restores the terminal, prints "kong-upgrade-wizard: msg" on the real
 * stderr and exits with status. Does not return. */
_Noreturn void tui_fatal(int status, const char *msg);

#endif
