#include "core/core_drain.h"

#include <stdio.h>
#include <string.h>

#include "core/core_census.h"
#include "core/core_fleet.h"

void core_drain_format_duration(long ms, char *buf, size_t size)
{
	long s = ms > 0 ? ms / 1000 : 0;
	long h = s / 3600, m = (s / 60) % 60, sec = s % 60;

	if (h > 0)
		snprintf(buf, size, m > 0 ? "%ldh%ldm" : "%ldh", h, m);
	else if (m > 0 && sec > 0)
		snprintf(buf, size, "%ldm%lds", m, sec);
	else if (m > 0)
		snprintf(buf, size, "%ldm", m);
	else
		snprintf(buf, size, "%lds", sec);
}

/* The node's name for messages: host:port of its URL. */
static void drain_node_name(const struct core_fleet_node *n, char *buf, size_t size)
{
	const char *p = strstr(n->url, "://");

	snprintf(buf, size, "%s", p != NULL ? p + 3 : n->url);
}

void core_drain_observe(const struct core_census *census, const struct core_fleet *fleet, long t_ms,
			struct core_drain_obs *obs)
{
	const struct core_census_host *top = NULL;
	char unknown[128] = "";
	bool have_rate = false;
	size_t i;

	memset(obs, 0, sizeof(*obs));
	obs->t_ms = t_ms;
	obs->old_connections = core_census_count(census, CORE_CENSUS_OLD, &top);
	if (top != NULL) {
		snprintf(obs->conn_host, sizeof(obs->conn_host), "%s", top->addr);
		obs->conn_host_count = top->connections;
	}
	for (i = 0; i < core_fleet_count(fleet); i++) {
		const struct core_fleet_node *n = core_fleet_node(fleet, i);

		/* The configured cluster, or the version a node reports, makes it old. */
		if (!n->reachable || (n->cluster != CORE_FLEET_OLD && n->gen != CORE_FLEET_GEN_OLD))
			continue;
		if (!n->rate_known) {
			if (!obs->rate_unknown)
				drain_node_name(n, unknown, sizeof(unknown));
			obs->rate_unknown = true;
		} else if (!have_rate || n->rate > obs->max_old_rate) {
			obs->max_old_rate = n->rate;
			drain_node_name(n, obs->busiest, sizeof(obs->busiest));
			have_rate = true;
		}
	}
	if (obs->rate_unknown)
		snprintf(obs->busiest, sizeof(obs->busiest), "%s", unknown);
}

static bool drain_idle(const struct core_drain_obs *o, double idle_rate)
{
	return o->old_connections == 0 && !o->rate_unknown && o->max_old_rate <= idle_rate;
}

void core_drain_evaluate(const struct core_drain_obs *history, size_t n, double idle_rate,
			 long min_soak_ms, long now_ms, struct core_drain_verdict *out)
{
	const struct core_drain_obs *last;
	char idle[32], soak[32];
	size_t i;

	memset(out, 0, sizeof(*out));
	if (n == 0) {
		snprintf(out->reason, sizeof(out->reason), "no observation of the fleet yet");
		return;
	}
	last = &history[n - 1];
	if (last->old_connections > 0) {
		snprintf(out->reason, sizeof(out->reason),
			 "old node %s still has %d database connection%s%s", last->conn_host,
			 last->conn_host_count, last->conn_host_count == 1 ? "" : "s",
			 last->old_connections > last->conn_host_count
			     ? " (and other old hosts more)"
			     : "");
		return;
	}
	if (last->rate_unknown) {
		snprintf(out->reason, sizeof(out->reason),
			 "old node %s: request rate not measured yet", last->busiest);
		return;
	}
	if (last->max_old_rate > idle_rate) {
		snprintf(out->reason, sizeof(out->reason), "old node %s at %.1f req/s > %g",
			 last->busiest, last->max_old_rate, idle_rate);
		return;
	}
	/* The idle run is the contiguous tail of idle observations; it counts
	 * from the first of them (the last busy one proves nothing later). */
	for (i = n - 1; i > 0 && drain_idle(&history[i - 1], idle_rate); i--)
		;
	out->idle_ms = now_ms - history[i].t_ms;
	if (out->idle_ms < 0)
		out->idle_ms = 0;
	core_drain_format_duration(out->idle_ms, idle, sizeof(idle));
	core_drain_format_duration(min_soak_ms, soak, sizeof(soak));
	if (out->idle_ms < min_soak_ms) {
		snprintf(out->reason, sizeof(out->reason), "idle for %s of %s", idle, soak);
		return;
	}
	out->drained = true;
	snprintf(out->reason, sizeof(out->reason),
		 "drained: no old database connections, old nodes at or under %g req/s for %s",
		 idle_rate, idle);
}
