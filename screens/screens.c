/* screens.c — the wizard's registry (the order of the steps) and the glue
 * that runs the current step on the terminal layer: frame, Next/Back, Quit,
 * Help, the 200 ms tick, where a restarted wizard resumes, and the busy
 * state while a worker runs (screen_wait). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "screens/screens_internal.h"

/* The wizard, in order (SPEC §2). */
static const struct screen_ops *const screen_registry[] = {
	&screen_welcome, &screen_prereq, &screen_session, &screen_backup, &screen_up,
	&screen_traffic, &screen_finish, &screen_c2e,	  &screen_done,
};

#define SCREEN_COUNT (sizeof(screen_registry) / sizeof(screen_registry[0]))
#define SCREEN_TICK_MS 200
/* screen_wait shows the busy state only for work that takes longer than
 * this (keys typed meanwhile wait in the terminal's buffer). */
#define SCREEN_BUSY_AFTER_MS 150

struct screen_app {
	struct screen_ctx ctx;
	size_t cur;
	int timer;
	bool quit_asked;	/* the "a run is in progress" question is open */
	struct tui_msgbox quit_box;
	char product[128];
	char backup_when[64];
	char hints[128];
};

static const struct screen_ops *screen_cur(const struct screen_app *app)
{
	return screen_registry[app->cur];
}

static void screen_on_tick(struct tui_loop *loop, int id, void *arg)
{
	struct screen_app *app = arg;

	(void)id;
	if (!app->ctx.quitting && screen_cur(app)->tick != NULL)
		screen_cur(app)->tick(&app->ctx);
	if (app->ctx.quitting)
		tui_loop_quit(loop);
	tui_loop_redraw(loop);
}

/* Arms or cancels the tick to match what the current screen wants. */
static void screen_sync_timer(struct screen_app *app)
{
	if (app->ctx.ticking && app->timer <= 0) {
		app->timer = tui_loop_add_timer(app->ctx.loop, SCREEN_TICK_MS, 1, screen_on_tick, app);
	} else if (!app->ctx.ticking && app->timer > 0) {
		tui_loop_cancel_timer(app->ctx.loop, app->timer);
		app->timer = 0;
	}
}

static void screen_go(struct screen_app *app, size_t to)
{
	if (screen_cur(app)->leave != NULL)
		screen_cur(app)->leave(&app->ctx);
	app->ctx.ticking = false;
	app->ctx.note[0] = '\0';
	app->cur = to;
	if (screen_cur(app)->enter != NULL)
		screen_cur(app)->enter(&app->ctx);
	screen_sync_timer(app);
}

/* The next (dir 1) or previous (dir -1) applicable step, or cur. */
static size_t screen_step_from(const struct screen_app *app, size_t from, int dir)
{
	size_t i = from;

	for (;;) {
		if ((dir < 0 && i == 0) || (dir > 0 && i + 1 >= SCREEN_COUNT))
			return from;
		i = dir > 0 ? i + 1 : i - 1;
		if (screen_registry[i]->applies(&app->ctx))
			return i;
	}
}

static size_t screen_index(const struct screen_ops *s)
{
	size_t i;

	for (i = 0; i < SCREEN_COUNT; i++)
		if (screen_registry[i] == s)
			return i;
	return 0;
}

/* Back is allowed until an irreversible step has run, and never while a
 * run is in progress. */
static bool screen_back_allowed(const struct screen_app *app)
{
	const struct core_inspection *in = screen_insp(&app->ctx);
	const struct core_runner_info *run = core_upgrade_run(app->ctx.u);

	if (run != NULL && run->state == CORE_RUNNER_RUNNING)
		return false;
	return in == NULL ||
	       (in->plan.phase != CORE_PHASE_FINISHED && in->plan.phase != CORE_PHASE_MIGRATED);
}

/* Where a (re)started wizard begins: a run in progress re-attaches to its
 * screen; otherwise the datastore's phase decides. */
static size_t screen_resume(const struct screen_app *app)
{
	const struct core_inspection *in = screen_insp(&app->ctx);
	const struct core_runner_info *run = core_upgrade_run(app->ctx.u);
	const char *step = screen_run_step(&app->ctx);

	if (run != NULL && run->state == CORE_RUNNER_RUNNING && step != NULL) {
		if (strcmp(step, "up") == 0)
			return screen_index(&screen_up);
		if (strcmp(step, "finish") == 0)
			return screen_index(&screen_finish);
		return screen_index(&screen_c2e);
	}
	if (in == NULL || in->plan.refusal[0] != '\0')
		return 0;
	switch (in->plan.phase) {
	case CORE_PHASE_UP_DONE:
		if (in->plan.path == CORE_PATH_EE036_TO_EE13 &&
		    !core_upgrade_traffic_confirmed(app->ctx.u))
			return screen_index(&screen_traffic);
		return screen_index(&screen_finish);
	case CORE_PHASE_FINISHED:
		if (in->plan.path == CORE_PATH_CE_TO_EE13)
			return screen_index(&screen_c2e);
		return screen_index(&screen_done);
	case CORE_PHASE_MIGRATED:
		return screen_index(&screen_done);
	default:
		return 0;
	}
}

static void screen_app_frame(void *arg, struct tui_frame *f)
{
	struct screen_app *app = arg;
	const struct core_backup_info *b;
	char why[512];
	bool fresh;
	size_t i;

	f->product = app->product;
	f->path = screen_path_label(&app->ctx);
	f->title = screen_cur(app)->title;
	for (i = 0; i < SCREEN_COUNT; i++) {
		if (!screen_registry[i]->applies(&app->ctx))
			continue;
		f->steps++;
		if (i <= app->cur)
			f->step = f->steps;
	}
	/* The frame's hints name Back; leave it out where it is refused. */
	if (!screen_back_allowed(app)) {
		snprintf(app->hints, sizeof(app->hints), "%.*s Help  %.*s Next  %.*s Quit",
			 (int)strcspn(tui_action_keys(TUI_ACT_HELP), " "),
			 tui_action_keys(TUI_ACT_HELP),
			 (int)strcspn(tui_action_keys(TUI_ACT_NEXT), " "),
			 tui_action_keys(TUI_ACT_NEXT),
			 (int)strcspn(tui_action_keys(TUI_ACT_QUIT), " "),
			 tui_action_keys(TUI_ACT_QUIT));
		f->hints = app->hints;
	}
	b = core_upgrade_last_backup(app->ctx.u, &fresh, why, sizeof(why));
	if (b != NULL) {
		f->backup.state = b->verified ? TUI_BACKUP_VERIFIED : TUI_BACKUP_UNVERIFIED;
		screen_time_short(b->time_ms, app->backup_when, sizeof(app->backup_when));
		f->backup.when = app->backup_when;
		f->backup.bytes = (unsigned long long)b->size;
	}
}

static void screen_app_draw(void *arg, WINDOW *body)
{
	struct screen_app *app = arg;

	screen_cur(app)->draw(&app->ctx, body);
	if (app->quit_asked)
		tui_msgbox_draw(&app->quit_box, body);
}

static enum tui_result screen_app_action(void *arg, struct tui_loop *loop, enum tui_action a,
					 int ch)
{
	struct screen_app *app = arg;
	const struct core_runner_info *run;
	enum tui_result r = TUI_IGNORED;
	size_t to;

	(void)loop;
	if (app->ctx.quitting)
		return TUI_QUIT;
	if (app->quit_asked) {
		r = tui_msgbox_action(&app->quit_box, a);
		if (r == TUI_ACCEPT)
			return TUI_QUIT;
		if (r == TUI_CANCEL)
			app->quit_asked = false;
		return TUI_HANDLED;
	}
	if (screen_cur(app)->action != NULL)
		r = screen_cur(app)->action(&app->ctx, a, ch);
	if (r == TUI_IGNORED && (a == TUI_ACT_NEXT || a == TUI_ACT_BACK || a == TUI_ACT_QUIT))
		r = a == TUI_ACT_NEXT ? TUI_NEXT : a == TUI_ACT_BACK ? TUI_BACK : TUI_QUIT;
	switch (r) {
	case TUI_NEXT:
		to = screen_step_from(app, app->cur, 1);
		if (to != app->cur)
			screen_go(app, to);
		r = TUI_HANDLED;
		break;
	case TUI_BACK:
		if (!screen_back_allowed(app)) {
			snprintf(app->ctx.note, sizeof(app->ctx.note),
				 "Back is not possible now: %s",
				 core_upgrade_run(app->ctx.u) != NULL &&
						 core_upgrade_run(app->ctx.u)->state ==
							 CORE_RUNNER_RUNNING
					 ? "a run is in progress"
					 : "an irreversible step has run");
			r = TUI_HANDLED;
			break;
		}
		to = screen_step_from(app, app->cur, -1);
		if (to != app->cur)
			screen_go(app, to);
		r = TUI_HANDLED;
		break;
	case TUI_QUIT:
		run = core_upgrade_run(app->ctx.u);
		if (run != NULL && run->state == CORE_RUNNER_RUNNING) {
			app->quit_asked = true;
			r = TUI_HANDLED;
		}
		break;
	default:
		break;
	}
	screen_sync_timer(app);
	/* The operator quit in screen_wait, inside the step's action. */
	return app->ctx.quitting ? TUI_QUIT : r;
}

static enum tui_context screen_app_context(void *arg)
{
	struct screen_app *app = arg;

	if (app->quit_asked)
		return TUI_CTX_DIALOG;
	if (screen_cur(app)->context != NULL)
		return screen_cur(app)->context(&app->ctx);
	return TUI_CTX_LIST;
}

static const char *screen_app_help(void *arg)
{
	struct screen_app *app = arg;

	if (screen_cur(app)->help != NULL)
		return screen_cur(app)->help(&app->ctx);
	return NULL;
}

/* ---- the busy state (screen_wait) */

struct screen_busy {
	struct screen_app *app;
	const char *what;
	const char *detail;
	long long started; /* monotonic ms */
	bool ended;	   /* the worker's descriptor became readable */
};

static long long screen_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The frame as the step's (its state is only read: the worker leaves the
 * last inspection, the backup and the journal alone). */
static void screen_busy_frame(void *arg, struct tui_frame *f)
{
	struct screen_busy *b = arg;

	screen_app_frame(b->app, f);
}

static void screen_busy_draw(void *arg, WINDOW *w)
{
	struct screen_busy *b = arg;
	int cols = getmaxx(w), rows = getmaxy(w);
	char buf[256];
	int y = 2;

	snprintf(buf, sizeof(buf), "%s... %lld s (q quits)", b->what,
		 (screen_mono_ms() - b->started) / 1000);
	tui_put(w, y, 2, cols - 4, TUI_ROLE_TITLE, false, buf);
	y += 2;
	if (b->detail != NULL)
		tui_wrap(w, y, 2, rows - y - 3, cols - 4, TUI_ROLE_NORMAL, b->detail);
	tui_put(w, rows - 2, 2, cols - 4, TUI_ROLE_DIM, false,
		"q: quit the wizard (nothing is half-done: this only reads)   F1: help");
	if (b->app->quit_asked)
		tui_msgbox_draw(&b->app->quit_box, w);
}

static enum tui_result screen_busy_action(void *arg, struct tui_loop *loop, enum tui_action a,
					  int ch)
{
	struct screen_busy *b = arg;
	struct screen_app *app = b->app;
	const struct core_runner_info *run;
	enum tui_result r;

	(void)loop;
	(void)ch;
	if (app->quit_asked) {
		r = tui_msgbox_action(&app->quit_box, a);
		if (r == TUI_ACCEPT)
			return TUI_QUIT;
		if (r == TUI_CANCEL)
			app->quit_asked = false;
		return TUI_HANDLED;
	}
	if (a != TUI_ACT_QUIT)
		return TUI_HANDLED;
	run = core_upgrade_run(app->ctx.u);
	if (run != NULL && run->state == CORE_RUNNER_RUNNING) {
		app->quit_asked = true;
		return TUI_HANDLED;
	}
	return TUI_QUIT;
}

static enum tui_context screen_busy_context(void *arg)
{
	struct screen_busy *b = arg;

	return b->app->quit_asked ? TUI_CTX_DIALOG : TUI_CTX_LIST;
}

static const char *screen_busy_help(void *arg)
{
	(void)arg;
	return "Busy: the wizard is waiting for work that may take long (a datastore that does "
	       "not answer only says so after its connect timeout). The step comes back when it "
	       "ends. Meanwhile only help, resize and q work; quitting leaves nothing half-done.";
}

static void screen_busy_on_end(struct tui_loop *loop, int fd, void *arg)
{
	struct screen_busy *b = arg;

	b->ended = true;
	tui_loop_remove_fd(loop, fd);
	tui_loop_quit(loop);
}

static void screen_busy_on_second(struct tui_loop *loop, int id, void *arg)
{
	(void)id;
	(void)arg;
	tui_loop_redraw(loop);
}

int screen_wait(struct screen_ctx *ctx, int fd, const char *what, const char *detail)
{
	static const struct tui_app_ops ops = {
		.frame = screen_busy_frame,
		.draw = screen_busy_draw,
		.action = screen_busy_action,
		.context = screen_busy_context,
		.help = screen_busy_help,
	};
	/* ctx is the first member of the one screen_app (C11 6.7.2.1p15). */
	struct screen_app *app = (struct screen_app *)ctx;
	struct screen_busy b = { .app = app, .what = what, .detail = detail };
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct tui_loop *loop = NULL;
	enum tui_loop_end end;

	b.started = screen_mono_ms();
	if (poll(&pfd, 1, SCREEN_BUSY_AFTER_MS) == 1)
		return 0;
	loop = tui_loop_new();
	if (loop == NULL || tui_loop_add_fd(loop, fd, screen_busy_on_end, &b) < 0 ||
	    tui_loop_add_timer(loop, 1000, 1, screen_busy_on_second, &b) < 0) {
		/* No memory for a loop of its own: wait without one. */
		tui_loop_free(loop);
		while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
			;
		return 0;
	}
	end = tui_loop_run(loop, &ops, &b);
	tui_loop_free(loop);
	app->quit_asked = false;
	if (end == TUI_LOOP_SIGNAL)
		tui_exit_by_signal(tui_signal_pending());
	/* A resize went to this loop: the caller's lays out again at its next
	 * key (harmless when the size did not change). */
	ungetch(KEY_RESIZE);
	if (end == TUI_LOOP_QUIT && b.ended)
		return 0;
	ctx->quitting = true;
	return -1;
}

int screens_run(const struct screens_env *env, struct core_error *err)
{
	static const struct tui_app_ops ops = {
		.frame = screen_app_frame,
		.draw = screen_app_draw,
		.action = screen_app_action,
		.context = screen_app_context,
		.help = screen_app_help,
	};
	struct screen_app app;
	struct tui_options opt = { 0 };
	enum tui_loop_end end = TUI_LOOP_ERROR;
	char msg[512];
	int rc = -1;

	memset(&app, 0, sizeof(app));
	app.ctx.env = env;
	app.ctx.u = env->u;
	snprintf(app.product, sizeof(app.product), "Kong Upgrade Wizard %s", env->version);
	app.quit_box.title = "A run is in progress";
	app.quit_box.text = "The migration keeps running without the wizard (it survives the "
			    "operator); starting the wizard again re-attaches to it.\n\n"
			    "Enter: quit now    Esc: stay";
	app.quit_box.role = TUI_ROLE_WARN;
	app.ctx.loop = tui_loop_new();
	if (app.ctx.loop == NULL) {
		core_error_set(err, "out of memory");
		goto out;
	}
	if (screen_insp(&app.ctx) == NULL && screen_inspect(&app.ctx) < 0) {
		core_error_set(err, "%s", app.ctx.note);
		goto out;
	}
	opt.colour = env->colour;
	opt.utf8 = env->utf8;
	opt.log_fd = env->log_fd;
	if (tui_init(&opt, msg, sizeof(msg)) < 0) {
		core_error_set(err, "%s", msg);
		goto out;
	}
	app.cur = screen_resume(&app);
	if (screen_cur(&app)->enter != NULL)
		screen_cur(&app)->enter(&app.ctx);
	screen_sync_timer(&app);
	end = tui_loop_run(app.ctx.loop, &ops, &app);
	if (screen_cur(&app)->leave != NULL)
		screen_cur(&app)->leave(&app.ctx);
	if (end == TUI_LOOP_SIGNAL)
		tui_exit_by_signal(tui_signal_pending());
	tui_done();
	if (end != TUI_LOOP_QUIT) {
		core_error_set(err, "the terminal went away");
		goto out;
	}
	rc = 0;
out:
	screen_census_done(&app.ctx);
	tui_log_free(app.ctx.run.log);
	tui_loop_free(app.ctx.loop);
	return rc;
}
