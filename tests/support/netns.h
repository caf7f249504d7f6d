/* netns.h — network namespaces for tests whose clients must come from
 * distinct addresses (on loopback the kernel picks 127.0.0.1 as the source
 * whatever the destination, so every client looks like one host).
 *
 * Each host is a named namespace of iproute2's `ip netns` joined to ours by a
 * veth pair on a private /30 of 10.213.0.0/16: the root end (outer) is where
 * a client inside connects to, the inner end is its source address. A set of
 * hosts shares one /28, chosen so that it overlaps no address or route of
 * this machine, under a lock so that concurrent test programs get different
 * ones. Names are "kuw<pid><letter>": a run that crashed is recognised by its
 * dead pid and swept by the next (netns_sweep).
 *
 * Needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) and `ip`. */
#ifndef NETNS_H
#define NETNS_H

#include <stddef.h>

#include "core/core_error.h"

#define NETNS_MAX 4

struct netns_host {
	char name[16];  /* namespace, and the veth's root end: "kuw<pid><letter>" */
	char outer[16]; /* address of the root end, e.g. "10.213.4.1" */
	char inner[16]; /* address inside (on its eth0), e.g. "10.213.4.2" */
};

struct netns_set {
	char ip[256]; /* the ip program */
	char net[32]; /* the /28 holding every pair, e.g. "10.213.4.0/28" */
	size_t n;
	struct netns_host hosts[NETNS_MAX];
};

/* Why this process cannot make namespaces ("not running as root", "no `ip`
 * program ..."), written to why; 0 when it can, with the ip program's path
 * in ip. */
int netns_unavailable(char *ip, size_t ip_size, char *why, size_t why_size);

/* Removes the namespaces and veths of earlier runs whose process is gone. */
void netns_sweep(const char *ip);

/* Creates n (1..NETNS_MAX) hosts with lo and the veth ends up, into s. On
 * SIGINT, SIGTERM or SIGHUP, and at exit, the namespaces are removed too.
 * On failure removes what it made and returns -1 with err (the command and
 * what it said). */
int netns_create(struct netns_set *s, const char *ip, size_t n, struct core_error *err);

/* Removes the veth pairs and the namespaces (processes still inside keep
 * theirs alive until they exit). A set never created, or destroyed, is a
 * no-op. */
void netns_destroy(struct netns_set *s);

#endif
