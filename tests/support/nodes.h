/* nodes.h — stand-in Kong nodes (`kong-sim serve`) for tests and the demo:
 * an Admin API on 127.0.0.1 (or another address, in another network
 * namespace) answering `/` and `/status` like a Kong node of a given version,
 * with a traffic profile, holding connections to the datastore of its
 * kong.conf so that the census sees it. */
#ifndef NODES_H
#define NODES_H

#include <sys/types.h>

#include "core/core_error.h"

struct node {
	pid_t pid;
	int port;
	char url[64]; /* http://<address>:<port> */
};

/* Where a node runs and what it holds; zeroed members take the defaults. */
struct node_options {
	const char *netns;  /* network namespace of `ip netns` (/run/netns/NAME); NULL = ours */
	const char *addr;   /* IPv4 address the Admin API listens on; NULL = 127.0.0.1 */
	int port;           /* its port; 0 = a free one */
	int db_connections; /* datastore connections held (with kconf); 0 = 1 */
};

/* Starts `<kong_sim> serve --listen 127.0.0.1:0 --version V --profile P
 * [-c kconf] [--token-file F]` and waits (at most 15 s) for its "listening
 * on" line. kconf and token_file may be NULL. The node gets SIGTERM when the
 * thread that started it dies. */
int node_start(struct node *n, const char *kong_sim, const char *kconf, const char *version,
	       const char *profile, const char *token_file, struct core_error *err);

/* The same where o says (o may be NULL): the node enters the namespace
 * before it runs, so its datastore connections come from the namespace's
 * address, and listens on o->addr:o->port. */
int node_start_with(struct node *n, const struct node_options *o, const char *kong_sim,
		    const char *kconf, const char *version, const char *profile,
		    const char *token_file, struct core_error *err);

/* SIGTERM, then SIGKILL after 5 s; reaps it. A node never started is a no-op. */
void node_stop(struct node *n);

#endif
