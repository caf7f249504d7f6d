/* core_bg.h — one function run on a worker thread, its end told on a
 * descriptor: for a caller with an event loop (the wizard) that must keep
 * reading keys while something may block for long (a datastore that does not
 * answer runs into its connect timeout; a `kong` command into its deadline).
 *
 * The caller watches core_bg_fd() (it becomes readable once the function
 * has returned; nothing to read from it), then calls core_bg_free(), which
 * joins the thread. Until then the function owns its argument and whatever
 * it reaches: the caller must not touch them. A job may never be freed when
 * the process ends first; core_bg_running() tells main() so, which must then
 * not free what such a job still reads. No curses, no output. */
#ifndef CORE_BG_H
#define CORE_BG_H

#include <stdbool.h>

#include "core/core_error.h"

struct core_bg;

/* Starts fn(arg) on a new thread. *out is owned by the caller
 * (core_bg_free). 0, or -1 with err (no thread, no pipe, no memory). */
int core_bg_start(void (*fn)(void *arg), void *arg, struct core_bg **out, struct core_error *err);

/* The read end of the job's pipe: readable (and stays so) once fn has
 * returned. Owned by bg. */
int core_bg_fd(const struct core_bg *bg);

/* Whether fn has returned (never blocks). */
bool core_bg_done(const struct core_bg *bg);

/* Waits for fn to return (if it has not), joins the thread and frees bg.
 * NULL is a no-op. */
void core_bg_free(struct core_bg *bg);

/* How many jobs of this process are still running their function. */
int core_bg_running(void);

#endif
