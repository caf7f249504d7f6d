/* core_sandbox.h — a private, throw-away PostgreSQL cluster.
 *
 * core_sandbox_start() runs initdb in a fresh directory, starts the server on a
 * unix socket inside that directory and on 127.0.0.1 with a free port, and
 * waits until it accepts connections. A guardian process owns the server:
 * when core_sandbox_stop() is called, or when the caller dies for any reason
 * (the guardian sees its pipe close), it shuts the server down and removes the
 * directory. As root the server runs as the `postgres` user (PostgreSQL
 * refuses root), and the directory is made reachable for that user.
 *
 * Authentication: trust on the unix socket (for the superuser the tests use to
 * set up), scram-sha-256 on TCP, so that clients using pg_host/pg_port/pg_password
 * exercise real password authentication. TCP clients come from 127.0.0.1 only,
 * unless core_sandbox_listen() opens more addresses (tests whose clients live
 * in network namespaces). */
#ifndef CORE_SANDBOX_H
#define CORE_SANDBOX_H

#include "core/core_error.h"

struct core_sandbox;

struct core_sandbox_options {
	const char *bindir;	 /* PostgreSQL server binaries; NULL = search */
	const char *parent_dir;	 /* where to create the directory; NULL = /tmp */
	int start_timeout_ms;	 /* 0 = 30 s */
};

/* Creates and starts a cluster. On success *out owns it (free with
 * core_sandbox_stop). On failure returns -1 with err saying what and where
 * (the tail of the server log included) and leaves nothing behind. */
int core_sandbox_start(const struct core_sandbox_options *opt, struct core_sandbox **out,
		       struct core_error *err);

/* Stops the server (fast shutdown, then immediate), removes the directory and
 * frees sb. NULL is a no-op. */
void core_sandbox_stop(struct core_sandbox *sb);

/* The cluster directory; the unix socket lives here too (pass as host=). */
const char *core_sandbox_dir(const struct core_sandbox *sb);
/* The TCP host, always "127.0.0.1". */
const char *core_sandbox_host(const struct core_sandbox *sb);
int core_sandbox_port(const struct core_sandbox *sb);
/* Superuser name (trust over the unix socket). */
const char *core_sandbox_superuser(const struct core_sandbox *sb);
/* Server binaries directory in use (for pg_dump, pg_restore, psql). */
const char *core_sandbox_bindir(const struct core_sandbox *sb);

/* Runs SQL as the superuser over the unix socket in database dbname
 * ("postgres" when NULL). Multiple statements allowed. */
int core_sandbox_exec(struct core_sandbox *sb, const char *dbname, const char *sql,
		      struct core_error *err);

/* Stops the server without removing anything (fast or immediate shutdown),
 * and starts it again on the same port: for drills where the datastore
 * restarts mid-step. */
int core_sandbox_restart(struct core_sandbox *sb, int immediate, struct core_error *err);

/* Makes the server listen on the TCP addresses addrs too (numeric IPv4 or
 * IPv6, each one local, e.g. the root end of a veth pair) and accept clients
 * from the networks nets (CIDR, e.g. "10.213.4.0/28") with scram-sha-256,
 * then restarts it (fast) on the same port and checks that each address
 * accepts connections. Both lists are NULL-terminated and may be NULL; each
 * call adds to the earlier ones. Anything that is not a numeric address or
 * network is refused before a file is touched. */
int core_sandbox_listen(struct core_sandbox *sb, const char *const *addrs, const char *const *nets,
			struct core_error *err);

#endif
