/* nodes.h — stand-in Kong nodes (`kong-sim serve`) for tests and the demo:
 * an Admin API on 127.0.0.1 answering `/` and `/status` like a Kong node of
 * a given version, with a traffic profile, holding a connection to the
 * datastore of its kong.conf so that the census sees it. */
#ifndef NODES_H
#define NODES_H

#include <sys/types.h>

#include "core/core_error.h"

struct node {
	pid_t pid;
	int port;
	char url[64]; /* http://127.0.0.1:<port> */
};

/* Starts `<kong_sim> serve --listen 127.0.0.1:0 --version V --profile P
 * [-c kconf] [--token-file F]` and waits (at most 15 s) for its "listening
 * on" line. kconf and token_file may be NULL. */
int node_start(struct node *n, const char *kong_sim, const char *kconf, const char *version,
	       const char *profile, const char *token_file, struct core_error *err);

/* SIGTERM, then SIGKILL after 5 s; reaps it. A node never started is a no-op. */
void node_stop(struct node *n);

#endif
