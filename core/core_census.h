/* core_census.h — who is connected to the Kong database (SPEC §2 step 6).
 *
 * One query of pg_stat_activity per refresh lists every client host with its
 * connection count, application name and oldest connection start, leaving
 * out the wizard's own sessions (application_name "kong-upgrade-wizard...").
 * Each host is classified old, new or unknown by comparing its address with
 * the addresses of the clusters' Admin API URLs, resolved once.
 *
 * Limits, said plainly: the census sees addresses, not clusters. Nodes of
 * both clusters on one host (or behind one NAT address) cannot be told apart
 * here; such hosts are CORE_CENSUS_BOTH and the Admin API poll (core_fleet)
 * is the evidence. Clients on 127.0.0.1 or the unix socket are "this host"
 * and match URLs whose host is a loopback address. A role without
 * pg_read_all_stats does not see the address of other roles' sessions: they
 * are counted as hidden, never dropped. */
#ifndef CORE_CENSUS_H
#define CORE_CENSUS_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "core/core_error.h"

enum core_census_class {
	CORE_CENSUS_UNKNOWN,
	CORE_CENSUS_OLD,
	CORE_CENSUS_NEW,
	CORE_CENSUS_BOTH, /* the address belongs to both clusters' URLs */
};

/* The cluster addresses, resolved once from the Admin API URLs. */
struct core_census_map;

/* Resolves the host of every URL (getaddrinfo, at most timeout_ms for all of
 * them; 0 = 2000). A URL that does not parse or resolve is kept with a note
 * (core_census_map_note) and matches nothing. *out is owned by the caller
 * (core_census_map_free). -1 with err only when out of memory. */
int core_census_map_new(const char *const *old_urls, size_t n_old, const char *const *new_urls,
			size_t n_new, long timeout_ms, struct core_census_map **out,
			struct core_error *err);
void core_census_map_free(struct core_census_map *m);

/* Problems met while resolving ("cannot resolve kong-a.example: ..."), one
 * per line, or "" (owned by m). */
const char *core_census_map_note(const struct core_census_map *m);

/* Classifies a client address as pg_stat_activity shows it (host(client_addr),
 * NULL for the unix socket). local says the client is on this host. */
enum core_census_class core_census_classify(const struct core_census_map *m, const char *addr,
					    bool *local);

/* One client host and application of the census. */
struct core_census_host {
	char addr[64];         /* client address; "local" (unix socket); "hidden" */
	char hostname[256];    /* client_hostname (log_hostname), or "" */
	char application[128]; /* application_name, "" when unset */
	int connections;
	long long oldest_start; /* oldest backend_start, Unix seconds; 0 when hidden */
	enum core_census_class cls;
	bool local;  /* 127.0.0.1, ::1 or the unix socket */
	bool hidden; /* another role's sessions we may not look at */
};

struct core_census {
	struct core_census_host *hosts; /* most connections first */
	size_t n_hosts;
	int hidden_connections; /* total of the hidden rows */
};

/* Takes the census of the database conn is connected to, in one query,
 * excluding conn's own session and the wizard's. *out is owned by the caller
 * (core_census_free). */
int core_census_take(PGconn *conn, const struct core_census_map *m, struct core_census **out,
		     struct core_error *err);
void core_census_free(struct core_census *c);

/* Connections held by hosts of class cls; *top (may be NULL) is set to the
 * host holding the most of them, or NULL. */
int core_census_count(const struct core_census *c, enum core_census_class cls,
		      const struct core_census_host **top);

/* "old", "new", "unknown", "old or new". */
const char *core_census_class_name(enum core_census_class cls);

#endif
