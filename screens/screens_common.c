/* screens_common.c — helpers the wizard's steps share. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core_bg.h"
#include "core/core_census.h"
#include "screens/screens_internal.h"

#define SCREEN_LOG_LINES 2000
#define SCREEN_LOG_BYTES (1 << 20)

const struct core_inspection *screen_insp(const struct screen_ctx *ctx)
{
	return core_upgrade_inspection(ctx->u);
}

/* screen_inspect with the failure in err (ctx->note untouched); what names
 * the busy state. */
static int screen_inspect_as(struct screen_ctx *ctx, const char *what, struct core_error *err)
{
	const struct core_pg_params *pg = core_upgrade_pg_params(ctx->u);
	char detail[1024];
	int fd = -1;

	if (ctx->quitting)
		return core_error_set(err, "the wizard is quitting");
	/* Before the terminal is taken (the wizard's start) there is no screen
	 * to keep answering, and Ctrl-C works as in any command. */
	if (!tui_active())
		return core_upgrade_inspect(ctx->u, err);
	snprintf(detail, sizeof(detail),
		 "Reading the datastore at %s:%d (database '%s') and asking kong (kong version, "
		 "kong migrations list). A datastore that does not answer says so after its "
		 "connect timeout (pg_timeout: %d s).",
		 pg->host, pg->port, pg->dbname,
		 pg->connect_timeout_s > 0 ? pg->connect_timeout_s : 10);
	if (core_upgrade_inspect_begin(ctx->u, &fd, err) < 0)
		return -1;
	/* Quitting leaves the worker to the end of the process: it only reads
	 * (the result is journaled by _end, which then never runs). */
	if (screen_wait(ctx, fd, what, detail) < 0)
		return core_error_set(err, "the wizard quit during the inspection");
	return core_upgrade_inspect_end(ctx->u, err);
}

int screen_inspect(struct screen_ctx *ctx)
{
	struct core_error err = { { 0 } };

	if (ctx->quitting)
		return -1;
	if (screen_inspect_as(ctx, "Inspecting the datastore and kong", &err) < 0) {
		if (ctx->quitting)
			snprintf(ctx->note, sizeof(ctx->note), "quitting during the inspection");
		else
			snprintf(ctx->note, sizeof(ctx->note), "inspection failed: %s", err.msg);
		return -1;
	}
	return 0;
}

/* The census worker: its fields belong to the worker while bg runs, to the
 * UI thread otherwise. */
struct screen_census {
	const struct screens_env *env;
	PGconn *conn;
	struct core_census_map *map;
	struct core_census *result;
	int rc;
	struct core_error err;
	struct core_bg *bg;
};

static void screen_census_work(void *arg)
{
	struct screen_census *c = arg;
	const struct screens_env *env = c->env;

	c->rc = -1;
	c->result = NULL;
	core_error_clear(&c->err);
	if (c->map == NULL && core_census_map_new(env->old_urls, env->n_old, env->new_urls,
						  env->n_new, 2000, &c->map, &c->err) < 0)
		return;
	if (c->conn == NULL && core_pg_connect(env->pg, &c->conn, &c->err) < 0) {
		c->conn = NULL;
		return;
	}
	if (core_census_take(c->conn, c->map, &c->result, &c->err) < 0) {
		core_pg_close(c->conn);
		c->conn = NULL;
		return;
	}
	c->rc = 0;
}

/* The worker has ended: stop watching (its pipe stays readable) and show
 * the news at the next poll. */
static void screen_census_on_end(struct tui_loop *loop, int fd, void *arg)
{
	(void)arg;
	tui_loop_remove_fd(loop, fd);
	tui_loop_redraw(loop);
}

int screen_census_poll(struct screen_ctx *ctx, struct core_census **out, struct core_error *err)
{
	struct screen_census *c = ctx->census;
	struct core_error start_err = { { 0 } };
	int rc = 0;

	*out = NULL;
	if (ctx->quitting)
		return 0;
	if (c == NULL) {
		c = calloc(1, sizeof(*c));
		if (c == NULL)
			return core_error_set(err, "out of memory");
		c->env = ctx->env;
		ctx->census = c;
	}
	if (c->bg != NULL) {
		if (!core_bg_done(c->bg))
			return 0;
		tui_loop_remove_fd(ctx->loop, core_bg_fd(c->bg));
		core_bg_free(c->bg);
		c->bg = NULL;
		if (c->rc < 0) {
			*err = c->err;
			rc = -1;
		} else {
			*out = c->result;
			c->result = NULL;
			rc = 1;
		}
	}
	if (core_bg_start(screen_census_work, c, &c->bg, &start_err) < 0) {
		if (rc == 0)
			*err = start_err;
		return rc == 0 ? -1 : rc;
	}
	/* Unwatched (no memory), the next poll still finds it ended. */
	(void)tui_loop_add_fd(ctx->loop, core_bg_fd(c->bg), screen_census_on_end, NULL);
	return rc;
}

void screen_census_done(struct screen_ctx *ctx)
{
	struct screen_census *c = ctx->census;

	if (c == NULL || (c->bg != NULL && !core_bg_done(c->bg)))
		return;
	core_bg_free(c->bg);
	core_census_free(c->result);
	core_census_map_free(c->map);
	core_pg_close(c->conn);
	free(c);
	ctx->census = NULL;
}

void screen_release(enum core_edition e, const char *version, char *buf, size_t size)
{
	const char *ed = e == CORE_EDITION_ENTERPRISE  ? "Kong Enterprise"
			 : e == CORE_EDITION_COMMUNITY ? "Kong (community)"
						       : "unknown edition";

	snprintf(buf, size, "%s %s", ed, version != NULL && version[0] != '\0' ? version : "?");
}

enum core_path screen_path(const struct screen_ctx *ctx)
{
	const struct core_inspection *in = screen_insp(ctx);
	struct core_journal *j = core_upgrade_journal(ctx->u);
	size_t i;

	if (in == NULL || in->plan.path != CORE_PATH_NONE ||
	    in->plan.phase != CORE_PHASE_UP_PARTIAL)
		return in != NULL ? in->plan.path : CORE_PATH_NONE;
	/* 'up' stopped half-way: the datastore no longer shows the path, the
	 * journal's last inspection that knew it does. */
	for (i = core_journal_count(j); i > 0; i--) {
		const json_t *e = core_journal_event(j, i - 1);
		const char *ev = json_string_value(json_object_get(e, "event"));
		const char *path =
			json_string_value(json_object_get(json_object_get(e, "details"), "path"));

		if (ev == NULL || strcmp(ev, "check") != 0 || path == NULL)
			continue;
		if (strcmp(path, core_path_name(CORE_PATH_EE036_TO_EE13)) == 0)
			return CORE_PATH_EE036_TO_EE13;
		if (strcmp(path, core_path_name(CORE_PATH_CE_TO_EE13)) == 0)
			return CORE_PATH_CE_TO_EE13;
	}
	return CORE_PATH_NONE;
}

const char *screen_path_label(const struct screen_ctx *ctx)
{
	if (screen_insp(ctx) == NULL)
		return "";
	switch (screen_path(ctx)) {
	case CORE_PATH_EE036_TO_EE13:
		return "EE 0.36 -> EE 1.3";
	case CORE_PATH_CE_TO_EE13:
		return "CE -> EE 1.3";
	case CORE_PATH_NONE:
		break;
	}
	return "no upgrade path";
}

void screen_time_ms(long long ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, size, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(buf, size, "?");
}

void screen_time_short(long long ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, size, "%d %b %H:%M UTC", &tm) == 0)
		snprintf(buf, size, "?");
}

void screen_bytes(long long n, char *buf, size_t size)
{
	if (n >= 1024LL * 1024 * 1024)
		snprintf(buf, size, "%.1f GiB", (double)n / (1024.0 * 1024 * 1024));
	else if (n >= 1024LL * 1024)
		snprintf(buf, size, "%.1f MiB", (double)n / (1024.0 * 1024));
	else if (n >= 1024)
		snprintf(buf, size, "%.1f KiB", (double)n / 1024.0);
	else
		snprintf(buf, size, "%lld B", n);
}

static const json_t *screen_last_details(const struct screen_ctx *ctx, const char *event)
{
	return json_object_get(core_journal_last(core_upgrade_journal(ctx->u), event), "details");
}

const char *screen_run_step(const struct screen_ctx *ctx)
{
	return json_string_value(json_object_get(screen_last_details(ctx, "run-start"), "step"));
}

bool screen_run_is(const struct screen_ctx *ctx, enum core_upgrade_step step)
{
	const char *s = screen_run_step(ctx);

	return core_upgrade_run(ctx->u) != NULL && s != NULL &&
	       strcmp(s, core_upgrade_step_name(step)) == 0;
}

static void screen_on_line(void *arg, const char *line)
{
	struct screen_runpane *rp = arg;

	tui_log_append(rp->log, line, strlen(line));
	tui_log_append(rp->log, "\n", 1);
}

bool screen_run_poll(struct screen_ctx *ctx)
{
	const struct core_runner_info *info = core_upgrade_run(ctx->u);
	struct screen_runpane *rp = &ctx->run;
	struct core_error err = { { 0 } };
	bool ended = false;

	if (info == NULL)
		return false;
	if (strcmp(rp->id, info->id) != 0 || rp->log == NULL) {
		tui_log_free(rp->log);
		rp->log = tui_log_new(SCREEN_LOG_LINES, SCREEN_LOG_BYTES);
		memset(&rp->prog, 0, sizeof(rp->prog));
		rp->prog.total = (size_t)json_integer_value(
			json_object_get(screen_last_details(ctx, "run-start"), "expected"));
		snprintf(rp->id, sizeof(rp->id), "%s", info->id);
		rp->ended = false;
		rp->error[0] = '\0';
	}
	/* An inspection under way: this is a redraw from inside its wait. */
	if (rp->ended || rp->log == NULL || core_upgrade_busy(ctx->u))
		return false;
	if (core_upgrade_poll_deferred(ctx->u, &rp->prog, screen_on_line, rp, &ended, &err) < 0) {
		snprintf(rp->error, sizeof(rp->error), "%s", err.msg);
		return false;
	}
	/* The run has ended: the datastore is read on a worker (the keys keep
	 * answering if it does not answer), then the outcome is journaled. */
	if (ended && core_upgrade_verify_pending(ctx->u)) {
		struct core_error ierr = { { 0 } };
		bool ok = screen_inspect_as(ctx, "The run has ended: reading the datastore to "
						 "verify it", &ierr) == 0;

		/* Quit meanwhile: as when the wizard quits during the run, the
		 * next session records the end (core_upgrade_open). */
		if (!ok && ctx->quitting)
			return false;
		if (core_upgrade_verify_finish(ctx->u, ok ? NULL : ierr.msg, &err) < 0) {
			snprintf(rp->error, sizeof(rp->error), "%s", err.msg);
			return false;
		}
	}
	rp->ended = ended;
	return ended;
}

void screen_run_draw(const struct screen_ctx *ctx, WINDOW *w, int y, int h, int width,
		     const char *label)
{
	const struct screen_runpane *rp = &ctx->run;
	char text[128];

	if (rp->log == NULL)
		return;
	snprintf(text, sizeof(text), "%s%s", label,
		 rp->prog.last[0] != '\0' ? rp->prog.last : "");
	tui_gauge_draw(w, y, 1, width - 2, (long)rp->prog.done, (long)rp->prog.total, text);
	tui_box(w, y + 1, 0, h - 1, width, rp->error[0] != '\0' ? rp->error : "Output");
	tui_log_draw(rp->log, w, y + 2, 1, h - 3, width - 2);
}

void screen_run_outcome(const struct screen_ctx *ctx, char *buf, size_t size)
{
	const json_t *d = screen_last_details(ctx, "run-end");
	const char *step = json_string_value(json_object_get(d, "step"));
	const char *error = json_string_value(json_object_get(d, "error"));
	const char *verif = json_string_value(json_object_get(d, "verification"));
	const json_t *code = json_object_get(d, "exit_code");

	if (d == NULL) {
		snprintf(buf, size, "no run has ended yet");
	} else if (!json_is_integer(code)) {
		snprintf(buf, size, "'%s' could not start: %s", step != NULL ? step : "?",
			 error != NULL ? error : "?");
	} else if (json_integer_value(code) != 0) {
		snprintf(buf, size, "'%s' FAILED (exit %lld)%s%s", step != NULL ? step : "?",
			 (long long)json_integer_value(code),
			 error != NULL && error[0] != '\0' ? ": " : "", error != NULL ? error : "");
	} else if (verif != NULL && verif[0] != '\0') {
		snprintf(buf, size, "'%s' ended but does NOT verify: %s", step != NULL ? step : "?",
			 verif);
	} else {
		snprintf(buf, size, "'%s' completed and verified against schema_meta",
			 step != NULL ? step : "?");
	}
}

bool screen_run_ok(const struct screen_ctx *ctx)
{
	const json_t *d = screen_last_details(ctx, "run-end");
	const json_t *code = json_object_get(d, "exit_code");
	const char *verif = json_string_value(json_object_get(d, "verification"));

	return d != NULL && json_is_integer(code) && json_integer_value(code) == 0 &&
	       (verif == NULL || verif[0] == '\0');
}

/* The backup the journal recorded last before the last run-start, or NULL
 * (0 when found). */
static int screen_backup_before_run(const struct screen_ctx *ctx, struct core_backup_info *b)
{
	struct core_journal *j = core_upgrade_journal(ctx->u);
	struct core_error ignored = { { 0 } };
	const json_t *last = NULL, *before = NULL;
	size_t i;

	for (i = 0; i < core_journal_count(j); i++) {
		const json_t *e = core_journal_event(j, i);
		const char *ev = json_string_value(json_object_get(e, "event"));

		if (ev == NULL)
			continue;
		if (strcmp(ev, "backup") == 0)
			last = e;
		else if (strcmp(ev, "run-start") == 0)
			before = last;
	}
	if (before == NULL)
		return -1;
	return core_backup_info_from_json(json_object_get(before, "details"), b, &ignored);
}

void screen_run_remedy(const struct screen_ctx *ctx, char *buf, size_t size)
{
	const struct core_inspection *in = screen_insp(ctx);
	const char *step = json_string_value(
		json_object_get(screen_last_details(ctx, "run-end"), "step"));
	struct core_backup_info b;
	char why[1024], when[64], backup[4300];

	buf[0] = '\0';
	if (step == NULL || in == NULL || screen_run_ok(ctx))
		return;
	if (screen_backup_before_run(ctx, &b) == 0) {
		screen_time_ms(b.time_ms, when, sizeof(when));
		snprintf(backup, sizeof(backup), " The backup taken before '%s': %s (%s%s).", step,
			 b.path, when, b.verified ? ", verified" : ", NOT verified");
	} else {
		snprintf(backup, sizeof(backup),
			 " The journal has no backup taken before '%s'.", step);
	}
	if (!in->db_ok) {
		snprintf(buf, size, "The datastore could not be read (%s): it is the authority on "
				    "what the run did. Start the wizard again once it answers.",
			 in->db_error);
	} else if (in->plan.refusal[0] != '\0') {
		/* up stopped half-way (core_path's words: restore the backup or
		 * finish by hand), or a state the wizard cannot take. */
		size_t n = strlen(in->plan.refusal);

		snprintf(buf, size, "%s%s%s", in->plan.refusal,
			 n > 0 && in->plan.refusal[n - 1] == '.' ? "" : ".", backup);
	} else if (strcmp(step, "up") == 0 && in->plan.phase == CORE_PHASE_NOT_STARTED) {
		core_upgrade_blockers(ctx->u, CORE_UPGRADE_UP, NULL, NULL, why, sizeof(why));
		if (why[0] == '\0')
			snprintf(buf, size, "Nothing was migrated: schema_meta is as before 'up' and "
					    "the old nodes keep working. Fix the cause the log shows, "
					    "then run 'up' again (Enter).");
		else
			snprintf(buf, size, "Nothing was migrated: schema_meta is as before 'up' and "
					    "the old nodes keep working. Before 'up' can run again: "
					    "%s.", why);
	} else if (strcmp(step, "finish") == 0 && in->plan.phase == CORE_PHASE_UP_DONE) {
		snprintf(buf, size, "Migrations are still pending and the old nodes can no longer "
				    "start on this datastore. Fix the cause the log shows, then run "
				    "'finish' again (Enter); only the backup takes the datastore "
				    "back.%s", backup);
	} else if (strcmp(step, "migrate-community-to-enterprise") == 0 &&
		   in->plan.phase == CORE_PHASE_FINISHED) {
		snprintf(buf, size, "The entities are not migrated. Fix the cause the log shows, "
				    "then run 'migrate-community-to-enterprise' again (Enter); "
				    "only the backup takes the datastore back.%s", backup);
	} else {
		snprintf(buf, size, "schema_meta shows phase %s: read the log before going on.",
			 core_phase_name(in->plan.phase));
	}
}

int screen_run_end_draw(const struct screen_ctx *ctx, WINDOW *w, int y, int h, int width)
{
	const json_t *d = screen_last_details(ctx, "run-end");
	const char *log = json_string_value(json_object_get(d, "log"));
	const struct core_runner_info *run = core_upgrade_run(ctx->u);
	char buf[4800];
	int used = 0;

	screen_run_outcome(ctx, buf, sizeof(buf));
	used += tui_wrap(w, y, 1, h, width - 2, TUI_ROLE_FAIL, buf);
	if (used > h)
		return h;
	if (log == NULL && run != NULL)
		log = run->log;
	snprintf(buf, sizeof(buf), "Log: %s", log != NULL ? log : "(none)");
	used += tui_wrap(w, y + used, 1, h - used, width - 2, TUI_ROLE_NORMAL, buf);
	if (used > h)
		return h;
	screen_run_remedy(ctx, buf, sizeof(buf));
	if (buf[0] != '\0')
		used += tui_wrap(w, y + used, 1, h - used, width - 2, TUI_ROLE_WARN, buf);
	return used > h ? h : used;
}

void screen_kv(WINDOW *w, int y, const char *label, enum tui_role role, const char *value)
{
	int cols = getmaxx(w);
	int width = (int)strlen(label) + 1 > 14 ? (int)strlen(label) + 1 : 14;

	tui_put(w, y, 2, width, TUI_ROLE_DIM, true, label);
	tui_put(w, y, 2 + width, cols - 2 - width, role, false, value);
}
