/* core_drain.h — is the old cluster drained? (SPEC §2 step 6)
 *
 * The old cluster is drained when no host classified old holds a database
 * connection and every reachable old node's request rate stayed at or under
 * the idle rate for the minimum soak time. The decision is a pure function
 * of a history of observations whose times the caller supplies, so a fake
 * clock tests it. Hosts the census cannot attribute (CORE_CENSUS_BOTH: both
 * clusters on one address) do not block: the Admin API rates decide there. */
#ifndef CORE_DRAIN_H
#define CORE_DRAIN_H

#include <stdbool.h>
#include <stddef.h>

struct core_census;
struct core_fleet;

/* One refresh of the fleet, reduced to what the decision needs. */
struct core_drain_obs {
	long t_ms;           /* when (any monotonic clock, same for all) */
	int old_connections; /* database connections held by old hosts */
	char conn_host[64];  /* the old host holding the most of them */
	int conn_host_count; /* ... and how many it holds */
	bool rate_unknown;   /* a reachable old node has no rate yet */
	double max_old_rate; /* highest rate among reachable old nodes */
	char busiest[128];   /* that node (its URL's host:port or hostname) */
};

struct core_drain_verdict {
	bool drained;
	long idle_ms;     /* how long the old cluster has been idle, 0 when not */
	char reason[256]; /* for the operator, always set */
};

/* Reduces a census and a finished fleet refresh at t_ms to an observation
 * (either may be NULL: no evidence of that kind). */
void core_drain_observe(const struct core_census *census, const struct core_fleet *fleet, long t_ms,
			struct core_drain_obs *obs);

/* Decides over history (oldest first, n >= 0) at now_ms. idle_rate in
 * requests per second, min_soak_ms the soak time. */
void core_drain_evaluate(const struct core_drain_obs *history, size_t n, double idle_rate,
			 long min_soak_ms, long now_ms, struct core_drain_verdict *out);

/* "2m10s", "5m", "45s", "1h2m" (ms rounded down to seconds). */
void core_drain_format_duration(long ms, char *buf, size_t size);

#endif
