/* tmux.h — driving a program in a private tmux server, for end-to-end tests
 * of the terminal (STYLE: "wait for text with a deadline, never fixed
 * sleeps"). Each terminal has its own server socket, removed by tmux_stop. */
#ifndef TMUX_H
#define TMUX_H

#include <stdbool.h>

struct tmux_term {
	char socket[64];  /* "" until tmux_name */
	char out[65536];  /* stdout of the last tmux command (a captured screen) */
};

/* Monotonic milliseconds. */
long tmux_now_ms(void);

/* Gives t a socket name unique to this process and moment. */
void tmux_name(struct tmux_term *t, const char *prefix);

/* Runs "tmux -L <socket> ARGS" (ARGS printf-formatted, passed to the shell)
 * and keeps its stdout in t->out. 0 when tmux exited 0. */
int tmux_run(struct tmux_term *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The screen of session "kuw", trailing spaces removed from every line;
 * escapes: with the colour and attribute sequences (capture-pane -e). */
const char *tmux_capture(struct tmux_term *t, bool escapes);

/* Waits until the screen contains text (absent: no longer contains it).
 * 0, or -1 after deadline_ms with t->out holding the last screen. */
int tmux_wait(struct tmux_term *t, const char *text, bool absent, long deadline_ms);

/* Whether a screen (captured with escapes) uses no colour: every SGR
 * sequence sets only reset, bold, reverse or their "off" codes, or the
 * default colours (39, 49), which tmux writes whatever the program did. */
bool tmux_only_bold_reverse(const char *screen);

/* Whether a screen holds UTF-8 line drawing (U+2500..U+257F). */
bool tmux_has_box_drawing(const char *screen);

/* Ends the server and removes its socket file. */
void tmux_stop(struct tmux_term *t);

#endif
