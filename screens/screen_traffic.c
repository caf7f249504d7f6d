/* screen_traffic.c — step 6: the blue/green window (SPEC §2.6, runbook
 * steps 2-4). The census (pg_stat_activity) and the Admin API poll run on
 * the 200 ms tick: the fleet poller never blocks, the census is one quick
 * query per poll interval. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/core_census.h"
#include "core/core_drain.h"
#include "core/core_fleet.h"
#include "screens/screens_internal.h"

#define TRAFFIC_HISTORY 600

enum traffic_mode { TRAFFIC_VIEW, TRAFFIC_CONFIRM, TRAFFIC_OVERRIDE };

static struct {
	struct core_census *census;
	struct core_fleet *fleet;
	struct core_drain_obs hist[TRAFFIC_HISTORY];
	size_t n_hist;
	struct core_drain_verdict verdict;
	long last_poll;
	char census_error[512];
	enum traffic_mode mode;
	struct tui_confirm confirm;
	struct tui_field field;
	struct tui_form form;
	char msg[1024];
	char cell[8][4][128];
	char ncell[8][5][128];
} traffic;

static long traffic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)(ts.tv_sec * 1000L + ts.tv_nsec / 1000000L);
}

static bool traffic_applies(const struct screen_ctx *ctx)
{
	return screen_path(ctx) == CORE_PATH_EE036_TO_EE13;
}

static void traffic_observe(struct screen_ctx *ctx, bool fleet_done)
{
	struct core_drain_obs obs;
	long now = traffic_now();

	core_drain_observe(traffic.census, fleet_done ? traffic.fleet : NULL, now, &obs);
	if (traffic.n_hist == TRAFFIC_HISTORY) {
		memmove(traffic.hist, traffic.hist + 1, sizeof(traffic.hist[0]) * (TRAFFIC_HISTORY - 1));
		traffic.n_hist--;
	}
	traffic.hist[traffic.n_hist++] = obs;
	core_drain_evaluate(traffic.hist, traffic.n_hist, ctx->env->idle_rate,
			    ctx->env->min_soak_ms, now, &traffic.verdict);
}

static void traffic_poll(struct screen_ctx *ctx)
{
	struct core_census *c = NULL;
	struct core_error err = { { 0 } };

	traffic.last_poll = traffic_now();
	/* Taken on a worker (its own connection): shown one poll late, never
	 * waited for. */
	if (screen_census_poll(ctx, &c, &err) < 0) {
		snprintf(traffic.census_error, sizeof(traffic.census_error), "%s", err.msg);
	} else if (c != NULL) {
		core_census_free(traffic.census);
		traffic.census = c;
		traffic.census_error[0] = '\0';
	}
	if (traffic.fleet != NULL && core_fleet_count(traffic.fleet) > 0)
		core_fleet_start_poll(traffic.fleet, &err);
	else
		traffic_observe(ctx, false);
}

static void traffic_enter(struct screen_ctx *ctx)
{
	const struct screens_env *env = ctx->env;
	struct core_error err = { { 0 } };
	size_t i;

	traffic.mode = TRAFFIC_VIEW;
	traffic.msg[0] = '\0';
	traffic.n_hist = 0;
	memset(&traffic.verdict, 0, sizeof(traffic.verdict));
	if (traffic.fleet == NULL && env->n_old + env->n_new > 0 &&
	    core_fleet_new(NULL, &traffic.fleet, &err) == 0) {
		for (i = 0; i < env->n_old; i++)
			core_fleet_add(traffic.fleet, CORE_FLEET_OLD, env->old_urls[i], env->old_token,
				       &err);
		for (i = 0; i < env->n_new; i++)
			core_fleet_add(traffic.fleet, CORE_FLEET_NEW, env->new_urls[i], env->new_token,
				       &err);
	}
	traffic_poll(ctx);
	ctx->ticking = true;
}

static void traffic_leave(struct screen_ctx *ctx)
{
	(void)ctx;
	core_fleet_free(traffic.fleet);
	traffic.fleet = NULL;
	core_census_free(traffic.census);
	traffic.census = NULL;
}

static void traffic_tick(struct screen_ctx *ctx)
{
	struct core_error err = { { 0 } };
	long interval = ctx->env->poll_interval_ms > 0 ? ctx->env->poll_interval_ms : 1000;

	if (traffic.fleet != NULL && core_fleet_busy(traffic.fleet) &&
	    core_fleet_step(traffic.fleet, &err) == 1)
		traffic_observe(ctx, true);
	if (traffic_now() - traffic.last_poll >= interval)
		traffic_poll(ctx);
}

static const char *traffic_census_cell(void *data, size_t row, size_t col)
{
	const struct core_census_host *h = &traffic.census->hosts[row];

	(void)data;
	if (row >= 8)
		return "";
	switch (col) {
	case 0:
		snprintf(traffic.cell[row][0], sizeof(traffic.cell[row][0]), "%s%s%s", h->addr,
			 h->hostname[0] != '\0' ? " " : "", h->hostname);
		break;
	case 1:
		snprintf(traffic.cell[row][1], sizeof(traffic.cell[row][1]), "%d", h->connections);
		break;
	case 2:
		snprintf(traffic.cell[row][2], sizeof(traffic.cell[row][2]), "%s",
			 core_census_class_name(h->cls));
		break;
	default:
		snprintf(traffic.cell[row][3], sizeof(traffic.cell[row][3]), "%s", h->application);
		break;
	}
	return traffic.cell[row][col < 4 ? col : 3];
}

static const char *traffic_node_cell(void *data, size_t row, size_t col)
{
	const struct core_fleet_node *n = core_fleet_node(traffic.fleet, row);
	char *c = traffic.ncell[row < 8 ? row : 7][col < 5 ? col : 4];

	(void)data;
	switch (col) {
	case 0:
		snprintf(c, 128, "%s %s", n->cluster == CORE_FLEET_OLD ? "old" : "new", n->url);
		break;
	case 1:
		snprintf(c, 128, "%s", n->polled ? n->version : "...");
		break;
	case 2:
		if (n->rate_known)
			snprintf(c, 128, "%.1f", n->rate);
		else
			snprintf(c, 128, "-");
		break;
	case 3:
		snprintf(c, 128, "%lld", n->connections_active);
		break;
	default:
		snprintf(c, 128, "%s", !n->polled ? "asking" : n->reachable ? "yes" : n->error);
		break;
	}
	return c;
}

/* "12m5s since 'up' ended (2024-05-01T10:00:00Z)". */
static void traffic_since_up(struct screen_ctx *ctx, char *buf, size_t size)
{
	struct core_journal *j = core_upgrade_journal(ctx->u);
	const char *when = NULL;
	struct tm tm;
	char dur[32];
	size_t i = core_journal_count(j);

	while (i-- > 0) {
		const json_t *e = core_journal_event(j, i);
		const char *s = json_string_value(json_object_get(json_object_get(e, "details"),
								 "step"));

		if (strcmp(json_string_value(json_object_get(e, "event")), "run-end") == 0 &&
		    s != NULL && strcmp(s, "up") == 0) {
			when = json_string_value(json_object_get(e, "time"));
			break;
		}
	}
	memset(&tm, 0, sizeof(tm));
	if (when == NULL || strptime(when, "%Y-%m-%dT%H:%M:%SZ", &tm) == NULL) {
		snprintf(buf, size, "Time since up: unknown (no end of 'up' in the journal)");
		return;
	}
	core_drain_format_duration((long)(time(NULL) - timegm(&tm)) * 1000L, dur, sizeof(dur));
	snprintf(buf, size, "Time since up: %s (up ended %s)", dur, when);
}

static void traffic_draw(struct screen_ctx *ctx, WINDOW *w)
{
	static const struct tui_table_col ccols[] = {
		{ "Database client", 30, false }, { "Conns", 6, true },
		{ "Class", 12, false },		   { "Application", 0, false } };
	static const struct tui_table_col ncols[] = {
		{ "Admin API node", 30, false }, { "Version", 14, false }, { "req/s", 7, true },
		{ "active", 7, true },		  { "Reachable", 0, false } };
	struct tui_table t;
	int cols = getmaxx(w), rows = getmaxy(w);
	char buf[1024];
	int y = 0;

	y += tui_wrap(w, y, 1, 3, cols - 2, TUI_ROLE_NORMAL,
		      "Provision 1.3 nodes, but do not use their Admin API until finish; make Admin "
		      "API calls on the old cluster's nodes. Divert traffic to the 1.3 cluster, then "
		      "decommission the old nodes.");
	traffic_since_up(ctx, buf, sizeof(buf));
	tui_put(w, y++, 1, cols - 2, TUI_ROLE_TITLE, false, buf);
	memset(&t, 0, sizeof(t));
	t.cols = ccols;
	t.ncols = 4;
	t.nrows = traffic.census != NULL ? (traffic.census->n_hosts < 8 ? traffic.census->n_hosts : 8)
					 : 0;
	t.cell = traffic_census_cell;
	if (traffic.census_error[0] != '\0')
		tui_put(w, y, 1, cols - 2, TUI_ROLE_FAIL, false, traffic.census_error);
	else
		tui_table_draw(&t, w, y, 1, 5, cols - 2);
	y += 5;
	if (traffic.fleet == NULL) {
		tui_wrap(w, y, 1, 2, cols - 2, TUI_ROLE_WARN,
			 "No Admin API URLs are configured (cluster old/new in the wizard config): "
			 "node versions and request rates cannot be seen; the census is the only "
			 "evidence.");
		y += 2;
	} else {
		memset(&t, 0, sizeof(t));
		t.cols = ncols;
		t.ncols = 5;
		t.nrows = core_fleet_count(traffic.fleet) < 8 ? core_fleet_count(traffic.fleet) : 8;
		t.cell = traffic_node_cell;
		tui_table_draw(&t, w, y, 1, 5, cols - 2);
		y += 5;
	}
	y++;
	tui_wrap(w, y, 1, 2, cols - 2, traffic.verdict.drained ? TUI_ROLE_OK : TUI_ROLE_WARN,
		 traffic.verdict.reason[0] != '\0' ? traffic.verdict.reason : "observing...");
	if (core_upgrade_traffic_confirmed(ctx->u))
		tui_put(w, rows - 2, 1, cols - 2, TUI_ROLE_OK, false,
			"Confirmed: all traffic is on the new cluster. > goes on to finish.");
	else
		tui_put(w, rows - 2, 1, cols - 2, TUI_ROLE_DIM, false,
			traffic.verdict.drained
				? "Enter: confirm all traffic is on the new cluster   r: poll now"
				: "Enter: override (old nodes may remain; typed reason journaled)   "
				  "r: poll now");
	if (traffic.msg[0] != '\0' || ctx->note[0] != '\0')
		tui_put(w, rows - 1, 1, cols - 2, TUI_ROLE_FAIL, false,
			traffic.msg[0] != '\0' ? traffic.msg : ctx->note);
	if (traffic.mode == TRAFFIC_CONFIRM) {
		tui_confirm_draw(&traffic.confirm, w);
	} else if (traffic.mode == TRAFFIC_OVERRIDE) {
		tui_fill(w, rows / 2 - 3, 2, 7, cols - 4, TUI_ROLE_NORMAL);
		tui_box(w, rows / 2 - 3, 2, 7, cols - 4, "Override: the old cluster is not drained");
		tui_put(w, rows / 2 - 2, 4, cols - 8, TUI_ROLE_WARN, false,
			"Why is all traffic on the new cluster anyway? (journaled)");
		tui_form_draw(&traffic.form, w, rows / 2 - 1, 4, 3, cols - 8);
		tui_put(w, rows / 2 + 2, 4, cols - 8, TUI_ROLE_DIM, false,
			"Enter: confirm with this reason   Esc: cancel");
	}
}

static enum tui_result traffic_action(struct screen_ctx *ctx, enum tui_action a, int ch)
{
	struct core_error err = { { 0 } };
	enum tui_result r;

	if (traffic.mode == TRAFFIC_CONFIRM) {
		r = tui_confirm_action(&traffic.confirm, a, ch);
		if (r == TUI_ACCEPT) {
			traffic.mode = TRAFFIC_VIEW;
			if (core_upgrade_confirm_traffic(ctx->u, NULL, &err) < 0)
				snprintf(traffic.msg, sizeof(traffic.msg), "%s", err.msg);
		} else if (r == TUI_CANCEL) {
			traffic.mode = TRAFFIC_VIEW;
		}
		return TUI_HANDLED;
	}
	if (traffic.mode == TRAFFIC_OVERRIDE) {
		if (a == TUI_ACT_CANCEL) {
			traffic.mode = TRAFFIC_VIEW;
			return TUI_HANDLED;
		}
		if (tui_form_action(&traffic.form, a, ch) == TUI_ACCEPT) {
			traffic.mode = TRAFFIC_VIEW;
			if (core_upgrade_confirm_traffic(ctx->u, traffic.field.text, &err) < 0)
				snprintf(traffic.msg, sizeof(traffic.msg), "%s", err.msg);
		}
		return TUI_HANDLED;
	}
	switch (a) {
	case TUI_ACT_SELECT:
		if (core_upgrade_traffic_confirmed(ctx->u))
			return TUI_NEXT;
		if (traffic.verdict.drained) {
			traffic.confirm.title = "Traffic shift";
			traffic.confirm.text = "All traffic is on the new cluster and old nodes are "
					       "decommissioned. Type yes to confirm.";
			traffic.confirm.phrase = "yes";
			tui_confirm_reset(&traffic.confirm);
			traffic.mode = TRAFFIC_CONFIRM;
			return TUI_HANDLED;
		}
		memset(&traffic.field, 0, sizeof(traffic.field));
		traffic.field.label = "Reason";
		traffic.field.type = TUI_FIELD_TEXT;
		traffic.form.fields = &traffic.field;
		traffic.form.n = 1;
		traffic.form.focus = 0;
		traffic.mode = TRAFFIC_OVERRIDE;
		return TUI_HANDLED;
	case TUI_ACT_REFRESH:
		/* Now rather than at the next poll interval; a fleet poll still
		 * in flight is left to end. */
		if (traffic.fleet == NULL || !core_fleet_busy(traffic.fleet))
			traffic_poll(ctx);
		traffic.msg[0] = '\0';
		return TUI_HANDLED;
	case TUI_ACT_NEXT:
		if (!core_upgrade_traffic_confirmed(ctx->u)) {
			snprintf(traffic.msg, sizeof(traffic.msg),
				 "Confirm the traffic shift first (Enter).");
			return TUI_HANDLED;
		}
		return TUI_NEXT;
	default:
		return TUI_IGNORED;
	}
}

static enum tui_context traffic_context(const struct screen_ctx *ctx)
{
	(void)ctx;
	if (traffic.mode == TRAFFIC_CONFIRM)
		return TUI_CTX_DIALOG;
	if (traffic.mode == TRAFFIC_OVERRIDE)
		return tui_form_context(&traffic.form);
	return TUI_CTX_LIST;
}

static const char *traffic_help(const struct screen_ctx *ctx)
{
	(void)ctx;
	return "Traffic shift: old and new clusters share the database. The census lists the "
	       "hosts connected to it (pg_stat_activity) by the clusters' Admin API addresses; "
	       "configured Admin APIs show each node's version and request rate; r polls now. "
	       "Confirming is offered once the old cluster is drained; before that only with a "
	       "typed reason, which the journal keeps.";
}

const struct screen_ops screen_traffic = {
	.name = "traffic",
	.title = "Traffic shift",
	.applies = traffic_applies,
	.enter = traffic_enter,
	.draw = traffic_draw,
	.action = traffic_action,
	.context = traffic_context,
	.tick = traffic_tick,
	.leave = traffic_leave,
	.help = traffic_help,
};
