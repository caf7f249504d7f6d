/* bench_fleet.c — the traffic screen's poller against many stand-in nodes.
 *
 *   bench-fleet KONG_SIM NODES SECONDS INTERVAL_MS
 *
 * Starts NODES `kong-sim serve` nodes (half old 0.36, half new 1.3, steady
 * traffic), then for SECONDS drives core_fleet the way the UI loop does:
 * poll() on core_fleet_fds() with core_fleet_timeout(), a refresh started
 * every INTERVAL_MS on a monotonic schedule. Prints the poller's own CPU
 * (user+sys of this process over the window, as % of one core), refresh
 * durations, the jitter of the refresh completions against the schedule
 * (|completion interval - INTERVAL_MS|: p50, p99, max), and reachability. */
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/core_fleet.h"
#include "tests/support/nodes.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct core_error err = {{0}};
	struct core_fleet *f = NULL;
	struct node *nodes;
	double *dur, *jit, *done_at, next, end, c0, c1, w0, w1;
	size_t nn, i, nref = 0, maxref, reach = 0;
	int secs, interval, rc = 1;

	if (argc != 5) {
		fprintf(stderr, "usage: bench-fleet KONG_SIM NODES SECONDS INTERVAL_MS\n");
		return 2;
	}
	nn = (size_t)atoi(argv[2]);
	secs = atoi(argv[3]);
	interval = atoi(argv[4]);
	maxref = (size_t)secs * 1000 / (size_t)interval + 4;
	nodes = calloc(nn, sizeof(*nodes));
	dur = calloc(maxref, sizeof(double));
	jit = calloc(maxref, sizeof(double));
	done_at = calloc(maxref, sizeof(double));
	for (i = 0; i < nn; i++)
		if (node_start(&nodes[i], argv[1], NULL,
			       i % 2 ? "1.3.0.0-enterprise-edition" : "0.36-2-enterprise-edition",
			       "steady:20", NULL, &err) < 0)
			goto out;
	if (core_fleet_new(NULL, &f, &err) < 0)
		goto out;
	for (i = 0; i < nn; i++)
		if (core_fleet_add(f, i % 2 ? CORE_FLEET_NEW : CORE_FLEET_OLD, nodes[i].url, NULL,
				   &err) < 0)
			goto out;
	/* One warm-up refresh (connections made), not measured. */
	if (core_fleet_start_poll(f, &err) < 0 || core_fleet_poll_wait(f, &err) < 0)
		goto out;
	c0 = cpu_ms();
	w0 = now_ms();
	next = w0;
	end = w0 + secs * 1000.0;
	double started = 0;
	while (now_ms() < end && nref < maxref) {
		struct pollfd fds[CORE_FLEET_MAX_FDS];
		size_t n = 0;
		double t = now_ms();
		long to;
		int r;

		if (t >= next && !core_fleet_busy(f)) {
			if (core_fleet_start_poll(f, &err) < 0)
				goto out;
			started = t;
			next += interval;
			if (next < t)
				next = t + interval;
		}
		core_fleet_fds(f, fds, CORE_FLEET_MAX_FDS, &n);
		to = core_fleet_timeout(f);
		{
			long until = (long)ceil(next - now_ms());
			if (until < 0)
				until = 0;
			if (to < 0 || until < to)
				to = until;
		}
		poll(fds, n, (int)to);
		r = core_fleet_step(f, &err);
		if (r < 0)
			goto out;
		if (r == 1) {
			done_at[nref] = now_ms();
			dur[nref] = done_at[nref] - started;
			nref++;
		}
	}
	c1 = cpu_ms();
	w1 = now_ms();
	for (i = 0; i < core_fleet_count(f); i++)
		reach += core_fleet_node(f, i)->reachable;
	for (i = 1; i < nref; i++)
		jit[i - 1] = fabs(done_at[i] - done_at[i - 1] - interval);
	qsort(jit, nref > 1 ? nref - 1 : 0, sizeof(double), cmp_d);
	qsort(dur, nref, sizeof(double), cmp_d);
	printf("nodes=%zu refreshes=%zu window_s=%.1f cpu_ms=%.0f cpu_pct=%.2f "
	       "refresh_ms_p50=%.1f refresh_ms_max=%.1f jitter_ms_p50=%.1f jitter_ms_p99=%.1f "
	       "jitter_ms_max=%.1f reachable=%zu\n",
	       nn, nref, (w1 - w0) / 1e3, c1 - c0, 100.0 * (c1 - c0) / (w1 - w0),
	       nref ? dur[nref / 2] : 0, nref ? dur[nref - 1] : 0,
	       nref > 1 ? jit[(nref - 1) / 2] : 0,
	       nref > 1 ? jit[(size_t)ceil((double)(nref - 1) * 0.99) - 1] : 0,
	       nref > 1 ? jit[nref - 2] : 0, reach);
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "bench-fleet: %s\n", err.msg);
	core_fleet_free(f);
	for (i = 0; i < nn; i++)
		node_stop(&nodes[i]);
	free(nodes);
	free(dur);
	free(jit);
	free(done_at);
	return rc;
}
