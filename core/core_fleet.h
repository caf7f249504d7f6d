/* core_fleet.h — the Admin APIs of the old and new clusters (SPEC §2 step 6).
 *
 * Each refresh asks every configured node `GET /status` then `GET /`
 * (reference kong-migrations.md §7), all nodes in parallel with the libcurl
 * multi interface, each node within its own deadline, so a slow or dead
 * node never holds up the others or the UI. The poller never blocks: the
 * UI's poll loop waits on core_fleet_fds() for at most core_fleet_timeout()
 * and then calls core_fleet_step(). core_fleet_poll_wait() is the blocking
 * form for headless use.
 *
 * TLS peers are verified unless the options say otherwise. The RBAC token is
 * sent as `Kong-Admin-Token` and appears in no message. Responses are capped
 * in size and checked for shape; anything else is a per-node error.
 *
 * Request rates come from total_requests deltas between /status answers,
 * minus the poller's own requests (nginx counts Admin API requests too),
 * smoothed with a time-weighted EWMA. Other pollers still count. */
#ifndef CORE_FLEET_H
#define CORE_FLEET_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/core_error.h"

/* At most this many descriptors to wait on (sizes the caller's pollfd array). */
#define CORE_FLEET_MAX_FDS 256

enum core_fleet_cluster { CORE_FLEET_OLD, CORE_FLEET_NEW };

/* What a node's version says about it. */
enum core_fleet_gen {
	CORE_FLEET_GEN_UNKNOWN,
	CORE_FLEET_GEN_OLD, /* before 1.3: EE 0.3x, CE 1.2 and older */
	CORE_FLEET_GEN_NEW, /* 1.3 and later */
};

struct core_fleet_version {
	int major, minor, patch;
	bool enterprise; /* "-enterprise-edition" */
};

/* Parses a Kong version leniently: "1.3.0", "1.3-enterprise-edition",
 * "0.36-2-enterprise-edition", "1.3.0.1-enterprise-edition". 0 or -1. */
int core_fleet_parse_version(const char *s, struct core_fleet_version *v);
enum core_fleet_gen core_fleet_version_gen(const struct core_fleet_version *v);

struct core_fleet_options {
	long timeout_ms;     /* per node and refresh; 0 = 3000 */
	long tau_ms;         /* EWMA time constant of rates; 0 = 5000 */
	size_t max_body;     /* per response; 0 = 1 MiB */
	bool insecure;       /* turn TLS verification off (the operator asked) */
	const char *ca_file; /* CA bundle for https, or NULL for the system's */
};

/* A node's state after the last refresh that finished. */
struct core_fleet_node {
	char url[512];
	enum core_fleet_cluster cluster; /* where the config puts it */
	bool polled;                     /* at least one refresh finished */
	bool reachable;                  /* both requests of the last refresh answered well */
	char error[256];                 /* why not, "" when reachable */
	char version[64];                /* as reported, "" before the first answer */
	struct core_fleet_version ver;
	enum core_fleet_gen gen;
	char hostname[256];
	char node_id[64];
	long long total_requests;
	long long connections_active;
	bool db_reachable;
	bool rate_known; /* two /status answers in a row, at least */
	double rate;     /* smoothed requests per second, without our own */
};

struct core_fleet;

/* A poller with no nodes. opt may be NULL. *out owned by the caller
 * (core_fleet_free). */
int core_fleet_new(const struct core_fleet_options *opt, struct core_fleet **out,
		   struct core_error *err);
/* Stops what is in flight and frees; the tokens are wiped. NULL is a no-op. */
void core_fleet_free(struct core_fleet *f);

/* Adds a node: an http(s) Admin API URL and an RBAC token (NULL = none, copied). */
int core_fleet_add(struct core_fleet *f, enum core_fleet_cluster cluster, const char *url,
		   const char *token, struct core_error *err);

size_t core_fleet_count(const struct core_fleet *f);
const struct core_fleet_node *core_fleet_node(const struct core_fleet *f, size_t i);

/* Begins a refresh of every node. Returns 1 when one is still in flight
 * (nothing new started), 0 when started. */
int core_fleet_start_poll(struct core_fleet *f, struct core_error *err);
/* Whether a refresh is in flight. */
bool core_fleet_busy(const struct core_fleet *f);

/* Fills fds (up to max) with what to wait on; *n gets the count. */
void core_fleet_fds(const struct core_fleet *f, struct pollfd *fds, size_t max, size_t *n);
/* Milliseconds until core_fleet_step must be called even without events;
 * -1 when nothing is in flight. */
long core_fleet_timeout(const struct core_fleet *f);

/* Advances the transfers (never blocks). Returns 1 when the refresh just
 * finished (node results updated), 0 while it goes on or when idle. */
int core_fleet_step(struct core_fleet *f, struct core_error *err);

/* Runs the refresh in flight to its end, waiting at most each node's
 * deadline (headless use). */
int core_fleet_poll_wait(struct core_fleet *f, struct core_error *err);

/* Which request a response body answers. */
enum core_fleet_request { CORE_FLEET_REQ_STATUS, CORE_FLEET_REQ_ROOT };

/* Parses one response body (len bytes, not NUL-terminated) the way the
 * poller does when a request of node was answered with HTTP status code:
 * on 200, checks the shape of `GET /status` or `GET /` and fills node's
 * fields from it; otherwise records the error, with the message of a Kong
 * error body. Returns 0 when the answer is good; -1 with node->error saying
 * why and node->reachable false. For tests and fuzzing: the poller uses the
 * same parsers. */
int core_fleet_parse_response(struct core_fleet_node *node, enum core_fleet_request req, long code,
			      const char *body, size_t len);

/* Sum of the known rates of the reachable nodes of a cluster. */
double core_fleet_cluster_rate(const struct core_fleet *f, enum core_fleet_cluster cluster);

/* One step of the rate estimate (pure, for tests): a node answered total at
 * t_ms after prev_total at prev_ms, own of those requests being ours.
 * *rate is the EWMA (or the first value when !*known). A total that went
 * down (restart) keeps the rate. */
void core_fleet_rate_update(double *rate, bool *known, long long prev_total, long prev_ms,
			    long long total, long t_ms, long long own, long tau_ms);

#endif
