/* core_oplock.h — one operator at a time (SPEC §5).
 *
 * A session-level PostgreSQL advisory lock on a fixed key, held on a
 * connection the wizard keeps for its lifetime: it goes away by itself when
 * the wizard exits or its connection dies, so it can never go stale. A second
 * wizard (or an irreversible headless command) is refused with the holder
 * named from pg_stat_activity: host, user, application_name (which carries
 * the operator), since when. Read-only `status` does not take it. */
#ifndef CORE_OPLOCK_H
#define CORE_OPLOCK_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "core/core_error.h"

/* "KONGUWZ1": the key of the wizard's advisory lock, per database. */
#define CORE_OPLOCK_KEY 0x4b4f4e4755575a31LL

struct core_oplock_holder {
	bool found;
	int pid;
	char host[128];	       /* client address or host name; "local" for a unix socket */
	char user[128];
	char application[128]; /* e.g. "kong-upgrade-wizard (alice on pts/3 from 10.0.0.5)" */
	char since[64];	       /* backend_start */
};

/* Tries to take the lock on conn (which must stay open while it is held).
 * Returns 1 when taken, 0 when another session holds it (holder filled when
 * it could be seen), -1 with err on a database error. */
int core_oplock_try(PGconn *conn, struct core_oplock_holder *holder, struct core_error *err);

/* Looks up who holds the lock, without trying to take it. 0 or -1 with err. */
int core_oplock_holder(PGconn *conn, struct core_oplock_holder *holder, struct core_error *err);

/* Releases it (also released when conn closes). */
int core_oplock_release(PGconn *conn, struct core_error *err);

/* "held by kong-upgrade-wizard (...) as user 'kong' from 10.0.0.5 since ..." */
void core_oplock_describe(const struct core_oplock_holder *h, char *buf, size_t size);

#endif
