/* screens_common.c — helpers the wizard's steps share. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "screens/screens_internal.h"

#define SCREEN_LOG_LINES 2000
#define SCREEN_LOG_BYTES (1 << 20)

const struct core_inspection *screen_insp(const struct screen_ctx *ctx)
{
	return core_upgrade_inspection(ctx->u);
}

int screen_inspect(struct screen_ctx *ctx)
{
	struct core_error err = { { 0 } };

	if (core_upgrade_inspect(ctx->u, &err) < 0) {
		snprintf(ctx->note, sizeof(ctx->note), "inspection failed: %s", err.msg);
		return -1;
	}
	return 0;
}

void screen_release(enum core_edition e, const char *version, char *buf, size_t size)
{
	const char *ed = e == CORE_EDITION_ENTERPRISE  ? "Kong Enterprise"
			 : e == CORE_EDITION_COMMUNITY ? "Kong (community)"
						       : "unknown edition";

	snprintf(buf, size, "%s %s", ed, version != NULL && version[0] != '\0' ? version : "?");
}

const char *screen_path_label(const struct core_inspection *in)
{
	if (in == NULL)
		return "";
	switch (in->plan.path) {
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
	if (rp->ended || rp->log == NULL)
		return false;
	if (core_upgrade_poll(ctx->u, &rp->prog, screen_on_line, rp, &ended, &err) < 0) {
		snprintf(rp->error, sizeof(rp->error), "%s", err.msg);
		return false;
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

void screen_kv(WINDOW *w, int y, const char *label, enum tui_role role, const char *value)
{
	int cols = getmaxx(w);
	int width = (int)strlen(label) + 1 > 14 ? (int)strlen(label) + 1 : 14;

	tui_put(w, y, 2, width, TUI_ROLE_DIM, true, label);
	tui_put(w, y, 2 + width, cols - 2 - width, role, false, value);
}
