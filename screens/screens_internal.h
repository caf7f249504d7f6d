/* screens_internal.h — what the wizard's steps share: the context every
 * screen gets, the ops table each step exports, and small helpers
 * (screens_common.c). Only screens/ includes this file. */
#ifndef SCREENS_INTERNAL_H
#define SCREENS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/core_upgrade.h"
#include "screens/screens.h"
#include "tui/tui.h"

/* Output of the run in progress or the last one (Up, Finish, C2E share it:
 * there is one run at a time). */
struct screen_runpane {
	struct tui_log *log;
	struct core_runner_progress prog;
	char id[64];	 /* the run followed; "" when none */
	bool ended;	 /* the run has ended and was verified */
	char error[512]; /* polling failed */
};

struct core_census;
struct screen_census;

/* The wizard's state shared by every screen; owned by screens.c. */
struct screen_ctx {
	const struct screens_env *env;
	struct core_upgrade *u;
	struct tui_loop *loop;
	bool ticking;		   /* the screen wants .tick every 200 ms */
	struct screen_runpane run;
	char note[1024];	   /* last error of the glue, shown by the screens */
	/* The operator quit while a worker ran (screen_wait): the wizard ends
	 * without waiting for it, and nothing may touch the datastore. */
	bool quitting;
	struct screen_census *census; /* screen_census_poll's worker, or NULL */
};

/* One wizard step. Only name, title, applies and draw are required.
 *  applies: is the step part of the flow for the detected path?
 *  enter/leave: the step becomes / stops being the current one.
 *  action: TUI_NEXT / TUI_BACK ask the registry to move; TUI_IGNORED lets
 *          the registry handle NEXT/BACK/QUIT itself.
 *  context: where keys go now (dialogs and forms take text).
 *  tick: every 200 ms while ctx->ticking (runs, fleet polls).
 *  help: the step's help text. */
struct screen_ops {
	const char *name;
	const char *title;
	bool (*applies)(const struct screen_ctx *ctx);
	void (*enter)(struct screen_ctx *ctx);
	void (*draw)(struct screen_ctx *ctx, WINDOW *w);
	enum tui_result (*action)(struct screen_ctx *ctx, enum tui_action a, int ch);
	enum tui_context (*context)(const struct screen_ctx *ctx);
	void (*tick)(struct screen_ctx *ctx);
	void (*leave)(struct screen_ctx *ctx);
	const char *(*help)(const struct screen_ctx *ctx);
};

extern const struct screen_ops screen_welcome;
extern const struct screen_ops screen_prereq;
extern const struct screen_ops screen_session;
extern const struct screen_ops screen_backup;
extern const struct screen_ops screen_up;
extern const struct screen_ops screen_traffic;
extern const struct screen_ops screen_finish;
extern const struct screen_ops screen_c2e;
extern const struct screen_ops screen_done;

/* ---- helpers (screens_common.c) */

/* The current inspection (NULL only if none could be made). */
const struct core_inspection *screen_insp(const struct screen_ctx *ctx);

/* Inspects again; on failure the message goes to ctx->note. 0 or -1.
 * Once the terminal is taken the inspection runs on a worker
 * (core_upgrade_inspect_begin) while screen_wait keeps the terminal
 * answering; -1 with ctx->quitting set when the operator quit meanwhile. */
int screen_inspect(struct screen_ctx *ctx);

/* Waits until fd is readable (a worker has ended) in an event loop of its
 * own, so that a step's action can wait for a worker and the terminal keeps
 * answering: help, resize, q (with the usual question while a run is in
 * progress). After 150 ms it shows what ("Inspecting the datastore and
 * kong") with the seconds elapsed, then detail (may be NULL), instead of
 * the step, which is in the middle of its action. Returns 0 when fd became
 * readable, -1 when the operator quit (ctx->quitting: the wizard ends
 * without waiting for the worker). A signal ends the process here after the
 * terminal is restored, as in the main loop. (screens.c) */
int screen_wait(struct screen_ctx *ctx, int fd, const char *what, const char *detail);

/* The census of the datastore's clients, taken on a worker (a connection
 * of its own to env->pg, the clusters' addresses resolved there too) so
 * that a datastore that does not answer never freezes the screen. Never
 * blocks: hands over the census that ended since the last call and starts
 * the next one when none is under way. 1 with *out (owned by the caller,
 * core_census_free), 0 when none has ended since (*out NULL), -1 with err
 * when the last one failed. The loop redraws when one ends. */
int screen_census_poll(struct screen_ctx *ctx, struct core_census **out, struct core_error *err);

/* Frees the census worker's state at the wizard's end; one still running is
 * left to the end of the process (main.c sees core_bg_running()). */
void screen_census_done(struct screen_ctx *ctx);

/* "Kong Enterprise 0.36" for an edition and version. */
void screen_release(enum core_edition e, const char *version, char *buf, size_t size);

/* The upgrade path the wizard is on: the inspection's, or, when 'up'
 * stopped half-way (the datastore no longer shows one), the one the
 * journal's last inspection recorded, so that the steps and the header stay
 * those of the upgrade under way. */
enum core_path screen_path(const struct screen_ctx *ctx);

/* "EE 0.36 -> EE 1.3" / "CE -> EE 1.3" / "no upgrade path" for the header
 * (screen_path); "" before any inspection. */
const char *screen_path_label(const struct screen_ctx *ctx);

/* UTC "2024-05-01 10:02" from ms since the epoch. */
void screen_time_ms(long long ms, char *buf, size_t size);
/* "26 Nov 09:54 UTC": for the status bar, where space is short. */
void screen_time_short(long long ms, char *buf, size_t size);

/* "12.3 MiB". */
void screen_bytes(long long n, char *buf, size_t size);

/* The step of the journal's last run-start ("up", ...), or NULL. */
const char *screen_run_step(const struct screen_ctx *ctx);

/* Whether the run in progress or last run is of step. */
bool screen_run_is(const struct screen_ctx *ctx, enum core_upgrade_step step);

/* Follows the run (if any) into ctx->run: re-attaches after a restart
 * (the log is read from its start). Returns true when the run has just
 * ended (outcome recorded and verified). The verification reads the
 * datastore on a worker (screen_wait keeps the terminal answering); when
 * the operator quits meanwhile nothing is recorded: the next session
 * records the end as for a wizard that quit during the run. */
bool screen_run_poll(struct screen_ctx *ctx);

/* Draws the run pane: a gauge row then the log in a box. */
void screen_run_draw(const struct screen_ctx *ctx, WINDOW *w, int y, int h, int width,
		     const char *label);

/* A one-line summary of how the last run of the current step ended. */
void screen_run_outcome(const struct screen_ctx *ctx, char *buf, size_t size);

/* Whether the last run ended with exit code 0 and verified against
 * schema_meta. */
bool screen_run_ok(const struct screen_ctx *ctx);

/* What the operator does next when the last run did not complete and
 * verify, in the runbook's terms and from what the datastore shows now
 * (core_path's refusal for an 'up' stopped half-way, core_upgrade's
 * blockers), with the backup taken before the run; "" when it did. */
void screen_run_remedy(const struct screen_ctx *ctx, char *buf, size_t size);

/* How the last run ended, wrapped into rows y.. (at most h, width columns
 * from column 1): the outcome, the log's path, the remedy. w NULL measures.
 * Returns the rows used. */
int screen_run_end_draw(const struct screen_ctx *ctx, WINDOW *w, int y, int h, int width);

/* Writes "label  value" at row y (label column 14 wide). */
void screen_kv(WINDOW *w, int y, const char *label, enum tui_role role, const char *value);

#endif
