/* core_upgrade.h — the migration itself: the one module that does the real
 * work of every step, for the wizard's screens and the headless commands
 * alike. The screens only show what it says and ask what it needs.
 *
 * It joins the pieces: the journal (every answer, waiver, confirmation,
 * command and outcome), the one-operator lock, the inspection (datastore,
 * kong binary, checks), proven backups, and supervised `kong migrations`
 * runs that survive the operator. The datastore is the authority on the
 * migration state; the journal says who did what and when.
 *
 * The irreversible steps (`finish`, `migrate-community-to-enterprise`) need
 * the database name typed as confirmation, a fresh verified backup or a
 * typed reason to go without, and (finish) the traffic confirmation. */
#ifndef CORE_UPGRADE_H
#define CORE_UPGRADE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/core_backup.h"
#include "core/core_inspect.h"
#include "core/core_journal.h"
#include "core/core_oplock.h"
#include "core/core_runner.h"

enum core_upgrade_step {
	CORE_UPGRADE_UP,
	CORE_UPGRADE_FINISH,
	CORE_UPGRADE_C2E, /* migrate-community-to-enterprise */
};

struct core_upgrade_params {
	struct core_inspect_params inspect; /* the datastore, kong binary, settings */
	const char *state_dir;
	const char *backup_dir;
	long long backup_max_age_ms;
	const char *pg_dump;
	const char *pg_restore;
	struct core_journal_operator op;
	long long (*clock_ms)(void);	    /* NULL = the real clock */
	bool exclusive;			    /* take the operator lock, write the journal */
	/* The clusters' Admin API URLs: finish repeats the census of the
	 * datastore's clients just before it runs (may be empty). */
	const char *const *old_urls;
	size_t n_old;
	const char *const *new_urls;
	size_t n_new;
};

struct core_upgrade;

/* Opens an upgrade session: the journal (read-write when exclusive, else
 * read-only), the operator lock when exclusive (refused with the holder
 * named: *holder filled, returns -2), the last backup recorded, and the run
 * in progress or last finished, if any. Returns 0, -1 with err, or -2 when
 * another operator holds the lock. */
int core_upgrade_open(const struct core_upgrade_params *p, struct core_upgrade **out,
		      struct core_oplock_holder *holder, struct core_error *err);

/* Closes the session; waits for an inspection still under way. NULL is a
 * no-op. */
void core_upgrade_close(struct core_upgrade *u);

/* Runs the inspection (core_inspect) with the backup's freshness and the
 * waivers recorded in the journal, and records the check results. The
 * result stays valid until the next inspection; when one fails (-1: memory)
 * the previous result stays. */
int core_upgrade_inspect(struct core_upgrade *u, struct core_error *err);
const struct core_inspection *core_upgrade_inspection(const struct core_upgrade *u);

/* The same inspection without blocking the caller (the wizard, whose screen
 * keeps answering while a datastore that does not answer runs into its
 * connect timeout): begin starts the slow part (the session's connection,
 * the datastore, `kong version`, `kong migrations list`) on a worker thread
 * (core_bg) and sets *fd, which becomes readable when it has ended; end,
 * called then (it waits otherwise), takes the result in and records it as
 * core_upgrade_inspect does.
 *
 * In between (core_upgrade_busy) the worker owns the session's connection
 * and reads its parameters: the caller may read the last inspection, the
 * journal, the backup and the run, and must change nothing (no set_conf,
 * waiver, backup, start, poll); what needs the datastore fails with "under
 * way" instead of waiting. The worker changes nothing (it reads; on a new
 * connection it takes the operator lock again): the journal gets the result
 * from end, on the caller's thread. So a process may end meanwhile without
 * waiting, leaving nothing half-done; core_bg_running() tells it a worker is
 * left, and then the session must not be closed under it
 * (core_upgrade_close would wait for the worker).
 * 0, or -1 with err (a worker could not be started, or one is under way). */
int core_upgrade_inspect_begin(struct core_upgrade *u, int *fd, struct core_error *err);
int core_upgrade_inspect_end(struct core_upgrade *u, struct core_error *err);
bool core_upgrade_busy(const struct core_upgrade *u);

/* Replaces the kong.conf settings the next inspections read (the Kong
 * Manager session settings, portal, portal_is_legacy), after the wizard
 * wrote kong.conf. The strings are copied. 0, or -1 with err (memory). */
int core_upgrade_set_conf(struct core_upgrade *u, const struct core_session_input *session,
			  const struct core_setting *portal,
			  const struct core_setting *portal_is_legacy, struct core_error *err);

/* Records a waiver of a waivable check with the operator's typed reason. */
int core_upgrade_waive(struct core_upgrade *u, const char *check_id, const char *reason,
		       struct core_error *err);

/* Takes a verified backup (SPEC §5) and records it. progress as in
 * core_backup_opts. */
int core_upgrade_backup(struct core_upgrade *u,
			int (*progress)(void *ctx, long long written, long long estimate),
			void *ctx, struct core_backup_info *out, struct core_error *err);

/* The last recorded backup, or NULL; fresh says whether it may stand behind
 * an irreversible step now, why says why not (or its age). */
const struct core_backup_info *core_upgrade_last_backup(const struct core_upgrade *u, bool *fresh,
							char *why, size_t size);

/* Records the operator's confirmation that all traffic is on the new cluster
 * and the old nodes are decommissioned (runbook steps 3-4). override: NULL,
 * or the typed reason when old nodes are still seen. */
int core_upgrade_confirm_traffic(struct core_upgrade *u, const char *override,
				 struct core_error *err);

/* Whether the traffic confirmation is recorded (since the last `up`). */
bool core_upgrade_traffic_confirmed(const struct core_upgrade *u);

/* Why step cannot start now, or "" when it can (given the confirmation text
 * and, for irreversible steps, the reason to go without a fresh backup). */
void core_upgrade_blockers(struct core_upgrade *u, enum core_upgrade_step step,
			   const char *confirm, const char *no_backup_reason, char *why,
			   size_t size);

/* Starts step as a supervised run after checking its preconditions
 * (core_upgrade_blockers) and recording the confirmation. force: for C2E
 * only, `-f` with force_reason recorded. */
int core_upgrade_start(struct core_upgrade *u, enum core_upgrade_step step, const char *confirm,
		       const char *no_backup_reason, bool force, const char *force_reason,
		       struct core_error *err);

/* The run in progress or the last one (NULL when none). */
const struct core_runner_info *core_upgrade_run(const struct core_upgrade *u);

/* Follows the run (never blocks while it runs). When it has ended,
 * re-inspects the datastore to verify it (synchronously: up to the connect
 * timeout when the datastore does not answer) and records the outcome once;
 * *ended is set then. on_line gets each new log line. */
int core_upgrade_poll(struct core_upgrade *u, struct core_runner_progress *progress,
		      void (*on_line)(void *ctx, const char *line), void *ctx, bool *ended,
		      struct core_error *err);

/* core_upgrade_poll for a caller that must not block (the wizard): when
 * the run has ended it sets *ended (and *progress to how it ended) without
 * reading the datastore or recording anything; core_upgrade_verify_pending
 * is true then, until the caller has inspected (core_upgrade_inspect, or
 * core_upgrade_inspect_begin/_end on a worker) and called
 * core_upgrade_verify_finish. Polls meanwhile report ended again. */
int core_upgrade_poll_deferred(struct core_upgrade *u, struct core_runner_progress *progress,
			       void (*on_line)(void *ctx, const char *line), void *ctx,
			       bool *ended, struct core_error *err);
bool core_upgrade_verify_pending(const struct core_upgrade *u);

/* Verifies the ended run against the inspection made since it ended and
 * records its outcome (the one run-end, as core_upgrade_poll does).
 * inspect_error: NULL when that inspection succeeded, else why there is
 * none (then the verification says the datastore could not be read; this
 * may be called with an inspection still under way, e.g. when the operator
 * quit during it). 0, or -1 with err (nothing pending, the journal). */
int core_upgrade_verify_finish(struct core_upgrade *u, const char *inspect_error,
			       struct core_error *err);

/* The verification of the last run against schema_meta: "" when it checks
 * out, else what is missing. Valid after core_upgrade_poll reported ended. */
const char *core_upgrade_verification(const struct core_upgrade *u);

/* What the last run changed that the operator should know of ("" when
 * nothing): after finish, the Dev Portal files kept as legacy_files. */
const char *core_upgrade_notice(const struct core_upgrade *u);

/* One line of the community-to-Enterprise proof: rows of an entity table and
 * how many of them are mapped to the `default` workspace. */
struct core_entity_count {
	char table[64];
	long long rows;
	long long in_default; /* -1 when there is no workspace_entities table */
};

/* Counts the entities of every entity table present (reference §1.9). */
int core_upgrade_entity_counts(struct core_upgrade *u, struct core_entity_count *out, size_t max,
			       size_t *n, struct core_error *err);

/* The datastore's clients by cluster (one query; core_census_free). */
struct core_census;
int core_upgrade_census(struct core_upgrade *u, struct core_census **out, struct core_error *err);

/* Who holds the operator lock (for read-only sessions: `status`). */
int core_upgrade_lock_holder(struct core_upgrade *u, struct core_oplock_holder *h,
			     struct core_error *err);

/* The datastore connection settings of this session. */
const struct core_pg_params *core_upgrade_pg_params(const struct core_upgrade *u);

/* The journal (for the screens' history and status). */
struct core_journal *core_upgrade_journal(const struct core_upgrade *u);

/* "up", "finish", "migrate-community-to-enterprise". */
const char *core_upgrade_step_name(enum core_upgrade_step step);

#endif
