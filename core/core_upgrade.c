#include "core/core_upgrade.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core_bg.h"
#include "core/core_census.h"
#include "core/core_pg.h"

#define MAX_WAIVERS 32

struct core_upgrade {
	struct core_upgrade_params p;
	struct core_journal *journal;
	PGconn *conn; /* holds the operator lock when exclusive; reused for queries */
	bool have_identity;
	struct core_backup_identity identity;
	bool have_backup;
	struct core_backup_info backup;
	bool have_inspection;
	struct core_inspection insp;
	struct core_runner_run *run;
	enum core_upgrade_step run_step;
	bool run_end_recorded;
	/* The run has ended, its run-end waits for core_upgrade_verify_finish
	 * (core_upgrade_poll_deferred); end is how it ended. */
	bool verify_pending;
	struct core_runner_progress end;
	char verification[1200];
	char notice[256];
	/* Waivers from the journal, as strings owned here. */
	char *waived[MAX_WAIVERS];
	char *reasons[MAX_WAIVERS];
	size_t n_waived;
	/* Settings given by core_upgrade_set_conf, owned here. */
	char *conf[9];
	/* The inspection on a worker (core_upgrade_inspect_begin), or NULL. */
	struct upgrade_job *job;
	struct core_bg *bg;
};

/* One inspection, in three parts that core_upgrade_inspect and the
 * background inspection share: upgrade_job_prepare copies what the session
 * knows (caller's thread); upgrade_job_work does the slow part (the
 * connection, the datastore, the `kong` commands) and touches nothing of the
 * session but its connection and its fixed parameters, so that it can run
 * on a worker; upgrade_job_commit takes the result in and records it in the
 * journal (caller's thread again: the journal is written by one thread). */
struct upgrade_job {
	struct core_upgrade *u;
	struct core_inspect_params p;
	const char *waived[MAX_WAIVERS + 64];
	const char *reasons[MAX_WAIVERS + 64];
	bool have_backup;
	struct core_backup_info backup;
	bool have_identity;
	struct core_backup_identity identity;
	char why[512];
	struct core_inspection insp;
	int rc;
	struct core_error err;
};

const char *core_upgrade_step_name(enum core_upgrade_step step)
{
	switch (step) {
	case CORE_UPGRADE_UP:
		return "up";
	case CORE_UPGRADE_FINISH:
		return "finish";
	case CORE_UPGRADE_C2E:
		return "migrate-community-to-enterprise";
	}
	return "?";
}

static long long upgrade_now(const struct core_upgrade *u)
{
	struct timespec ts;

	if (u->p.clock_ms != NULL)
		return u->p.clock_ms();
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Appends to the journal when this session writes it (exclusive). */
static int upgrade_record(struct core_upgrade *u, const char *event, json_t *details,
			  struct core_error *err)
{
	int rc = 0;

	if (u->p.exclusive)
		rc = core_journal_append(u->journal, event, details, err);
	json_decref(details);
	return rc;
}

static void upgrade_add_waiver(struct core_upgrade *u, const char *id, const char *reason)
{
	size_t i;

	for (i = 0; i < u->n_waived; i++) {
		if (strcmp(u->waived[i], id) == 0) {
			char *r = strdup(reason);

			if (r != NULL) {
				free(u->reasons[i]);
				u->reasons[i] = r;
			}
			return;
		}
	}
	if (u->n_waived == MAX_WAIVERS)
		return;
	u->waived[u->n_waived] = strdup(id);
	u->reasons[u->n_waived] = strdup(reason);
	if (u->waived[u->n_waived] == NULL || u->reasons[u->n_waived] == NULL) {
		free(u->waived[u->n_waived]);
		free(u->reasons[u->n_waived]);
		return;
	}
	u->n_waived++;
}

/* What the journal remembers: the last backup and the waivers. */
static void upgrade_replay(struct core_upgrade *u)
{
	struct core_error ignored = { { 0 } };
	const json_t *ev = core_journal_last(u->journal, "backup");
	size_t i;

	if (ev != NULL &&
	    core_backup_info_from_json(json_object_get(ev, "details"), &u->backup, &ignored) == 0)
		u->have_backup = true;
	for (i = 0; i < core_journal_count(u->journal); i++) {
		const json_t *e = core_journal_event(u->journal, i);
		const json_t *d = json_object_get(e, "details");

		if (strcmp(json_string_value(json_object_get(e, "event")), "waiver") == 0 &&
		    json_is_string(json_object_get(d, "check")) &&
		    json_is_string(json_object_get(d, "reason")))
			upgrade_add_waiver(u, json_string_value(json_object_get(d, "check")),
					   json_string_value(json_object_get(d, "reason")));
	}
}

/* Is the end of run id already in the journal? */
static bool upgrade_end_recorded(const struct core_upgrade *u, const char *id)
{
	const json_t *e = core_journal_last(u->journal, "run-end");
	const char *rid = json_string_value(json_object_get(json_object_get(e, "details"), "id"));

	return rid != NULL && strcmp(rid, id) == 0;
}

int core_upgrade_open(const struct core_upgrade_params *p, struct core_upgrade **out,
		      struct core_oplock_holder *holder, struct core_error *err)
{
	struct core_upgrade *u = calloc(1, sizeof(*u));
	int rc = -1;
	int taken;

	*out = NULL;
	if (u == NULL)
		return core_error_set(err, "out of memory");
	u->p = *p;
	if (p->exclusive) {
		if (core_pg_connect(&p->inspect.pg, &u->conn, err) < 0)
			goto out;
		taken = core_oplock_try(u->conn, holder, err);
		if (taken < 0)
			goto out;
		if (taken == 0) {
			char who[512];

			core_oplock_describe(holder, who, sizeof(who));
			core_error_set(err, "another operator is upgrading this database: the "
					    "wizard's lock is %s; 'kong-upgrade-wizard status' shows "
					    "where it stands",
				       who);
			rc = -2;
			goto out;
		}
		if (core_journal_open(p->state_dir, &p->op, p->clock_ms, &u->journal, err) < 0)
			goto out;
	} else if (core_journal_open_readonly(p->state_dir, &u->journal, err) < 0) {
		goto out;
	}
	upgrade_replay(u);
	if (core_runner_find(p->state_dir, &u->run, err) < 0)
		goto out;
	if (u->run != NULL) {
		const json_t *start = core_journal_last(u->journal, "run-start");
		const char *step = json_string_value(
			json_object_get(json_object_get(start, "details"), "step"));

		u->run_step = step != NULL && strcmp(step, "finish") == 0 ? CORE_UPGRADE_FINISH
			      : step != NULL && strcmp(step, "up") == 0   ? CORE_UPGRADE_UP
									  : CORE_UPGRADE_C2E;
		u->run_end_recorded = core_runner_info(u->run)->state != CORE_RUNNER_RUNNING &&
				      upgrade_end_recorded(u, core_runner_info(u->run)->id);
		/* A run that ended while no wizard watched (it was killed, the SSH
		 * session dropped): its outcome goes to the journal now. */
		if (p->exclusive && !u->run_end_recorded &&
		    core_runner_info(u->run)->state != CORE_RUNNER_RUNNING) {
			const struct core_runner_info *info = core_runner_info(u->run);

			if (upgrade_record(u, "run-end",
					   json_pack("{s:s, s:s, s:s, s:i, s:i, s:s, s:s}", "step",
						     core_upgrade_step_name(u->run_step), "id",
						     info->id, "state",
						     core_runner_state_name(info->state), "exit_code",
						     info->exit_code, "signal", info->signal, "log",
						     info->log, "noticed",
						     "after the wizard that started it was gone"),
					   err) < 0)
				goto out;
			u->run_end_recorded = true;
		}
	}
	*out = u;
	u = NULL;
	rc = 0;
out:
	core_upgrade_close(u);
	return rc;
}

void core_upgrade_close(struct core_upgrade *u)
{
	size_t i;

	if (u == NULL)
		return;
	if (u->job != NULL) {
		core_bg_free(u->bg);
		core_inspect_done(&u->job->insp);
		free(u->job);
	}
	if (u->have_inspection)
		core_inspect_done(&u->insp);
	core_runner_free(u->run);
	core_journal_close(u->journal);
	PQfinish(u->conn);
	for (i = 0; i < sizeof(u->conf) / sizeof(u->conf[0]); i++)
		free(u->conf[i]);
	for (i = 0; i < u->n_waived; i++) {
		free(u->waived[i]);
		free(u->reasons[i]);
	}
	free(u);
}

const struct core_pg_params *core_upgrade_pg_params(const struct core_upgrade *u)
{
	return &u->p.inspect.pg;
}

struct core_journal *core_upgrade_journal(const struct core_upgrade *u)
{
	return u->journal;
}

const struct core_inspection *core_upgrade_inspection(const struct core_upgrade *u)
{
	return u->have_inspection ? &u->insp : NULL;
}

/* Whether backup (NULL: none) may stand behind an irreversible step, given
 * the datastore's identity (NULL: unknown); why says why not, or its age. */
static bool upgrade_fresh(const struct core_upgrade *u, const struct core_backup_info *backup,
			  const struct core_backup_identity *identity, char *why, size_t size)
{
	char buf[256];
	bool fresh;

	if (backup == NULL) {
		snprintf(why, size, "no backup recorded yet");
		return false;
	}
	fresh = identity != NULL && core_backup_fresh(backup, identity, u->p.backup_max_age_ms,
						      upgrade_now(u), buf, sizeof(buf));
	if (identity == NULL)
		snprintf(buf, sizeof(buf), "the datastore's identity could not be read");
	snprintf(why, size, "%s: %s", backup->path, buf);
	return fresh;
}

const struct core_backup_info *core_upgrade_last_backup(const struct core_upgrade *u, bool *fresh,
							char *why, size_t size)
{
	*fresh = upgrade_fresh(u, u->have_backup ? &u->backup : NULL,
			       u->have_identity ? &u->identity : NULL, why, size);
	return u->have_backup ? &u->backup : NULL;
}

/* The session's connection, (re)made when needed: one connection serves the
 * operator lock, the identity and every inspection. When the server
 * restarted, the lock went with the old connection and is taken again. */
static PGconn *upgrade_conn(struct core_upgrade *u, struct core_error *err)
{
	struct core_oplock_holder holder;
	char who[512];
	int taken;

	if (u->conn != NULL && PQstatus(u->conn) == CONNECTION_OK)
		return u->conn;
	PQfinish(u->conn);
	u->conn = NULL;
	if (core_pg_connect(&u->p.inspect.pg, &u->conn, err) < 0)
		return NULL;
	if (!u->p.exclusive)
		return u->conn;
	taken = core_oplock_try(u->conn, &holder, err);
	if (taken == 1)
		return u->conn;
	if (taken == 0) {
		core_oplock_describe(&holder, who, sizeof(who));
		core_error_set(err, "the connection to the datastore was lost, and meanwhile another "
				    "operator took the wizard's lock: %s", who);
	}
	PQfinish(u->conn);
	u->conn = NULL;
	return NULL;
}

static json_t *upgrade_results_json(const struct core_inspection *in)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr != NULL && i < in->n_results; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "id", in->results[i].id,
						     "status",
						     core_check_status_name(in->results[i].status),
						     "message", in->results[i].message));
	return arr;
}

/* The source as the first inspection of this upgrade recorded it. */
static void upgrade_source_from_journal(struct core_upgrade *u)
{
	struct core_plan *plan = &u->insp.plan;
	size_t i;

	for (i = 0; i < core_journal_count(u->journal); i++) {
		const json_t *e = core_journal_event(u->journal, i);
		const json_t *d = json_object_get(e, "details");
		const char *ev = json_string_value(json_object_get(e, "event"));
		const char *ed = json_string_value(json_object_get(d, "source_edition"));
		const char *v = json_string_value(json_object_get(d, "source_version"));

		if (strcmp(ev, "check") != 0 || ed == NULL || v == NULL ||
		    strcmp(ed, "enterprise") != 0)
			continue;
		plan->source_edition = CORE_EDITION_ENTERPRISE;
		snprintf(plan->source_version, sizeof(plan->source_version), "%s", v);
		return;
	}
}

/* After finish and migrate-community-to-enterprise a community datastore
 * looks exactly like an Enterprise 1.3 one: only the journal remembers that
 * this upgrade started on the community path, and whether the migration of
 * its entities ran. */
static void upgrade_path_from_journal(struct core_upgrade *u)
{
	struct core_plan *plan = &u->insp.plan;
	bool community = false, migrated = false;
	size_t i;

	/* After finish the source is no longer in schema_meta; nor is it when
	 * finish stopped half-way. */
	if ((plan->phase != CORE_PHASE_FINISHED && plan->source_edition != CORE_EDITION_UNKNOWN) ||
	    plan->refusal[0] != '\0')
		return;
	for (i = 0; i < core_journal_count(u->journal); i++) {
		const json_t *e = core_journal_event(u->journal, i);
		const json_t *d = json_object_get(e, "details");
		const char *ev = json_string_value(json_object_get(e, "event"));
		const char *path = json_string_value(json_object_get(d, "path"));
		const char *step = json_string_value(json_object_get(d, "step"));

		if (strcmp(ev, "check") == 0 && path != NULL && strcmp(path, "ce-to-ee-1.3") == 0 &&
		    !community) {
			const char *v = json_string_value(json_object_get(d, "source_version"));

			community = true;
			if (v != NULL)
				snprintf(plan->source_version, sizeof(plan->source_version), "%s", v);
		}
		if (strcmp(ev, "run-end") == 0 && step != NULL &&
		    strcmp(step, "migrate-community-to-enterprise") == 0 &&
		    json_integer_value(json_object_get(d, "exit_code")) == 0)
			migrated = true;
	}
	/* The run just ended is verified before its end is recorded. */
	if (u->run != NULL && u->run_step == CORE_UPGRADE_C2E &&
	    core_runner_info(u->run)->state == CORE_RUNNER_FINISHED &&
	    core_runner_info(u->run)->exit_code == 0)
		migrated = true;
	if (!community) {
		if (plan->source_edition == CORE_EDITION_UNKNOWN)
			upgrade_source_from_journal(u);
		return;
	}
	plan->path = CORE_PATH_CE_TO_EE13;
	plan->source_edition = CORE_EDITION_COMMUNITY;
	if (migrated && plan->phase == CORE_PHASE_FINISHED)
		plan->phase = CORE_PHASE_MIGRATED;
}

static void upgrade_job_prepare(struct core_upgrade *u, struct upgrade_job *job)
{
	size_t n = 0, i;

	job->u = u;
	job->p = u->p.inspect;
	for (i = 0; i < u->p.inspect.n_waived && n < MAX_WAIVERS + 64; i++) {
		job->waived[n] = u->p.inspect.waived[i];
		job->reasons[n++] = u->p.inspect.reasons != NULL ? u->p.inspect.reasons[i] : NULL;
	}
	for (i = 0; i < u->n_waived && n < MAX_WAIVERS + 64; i++) {
		job->waived[n] = u->waived[i];
		job->reasons[n++] = u->reasons[i];
	}
	job->p.waived = job->waived;
	job->p.reasons = job->reasons;
	job->p.n_waived = n;
	job->have_backup = u->have_backup;
	job->backup = u->backup;
	job->have_identity = u->have_identity;
	job->identity = u->identity;
}

/* The slow part: may run on a worker (see struct upgrade_job). */
static void upgrade_job_work(void *arg)
{
	struct upgrade_job *job = arg;
	struct core_upgrade *u = job->u;
	struct core_inspect_params *p = &job->p;
	struct core_error conn_err = { { 0 } };
	struct core_error ignored = { { 0 } };

	p->conn = upgrade_conn(u, &conn_err);
	p->connect_error = p->conn == NULL ? conn_err.msg : NULL;
	/* The datastore's identity, once (for backup freshness). */
	if (!job->have_identity && p->conn != NULL)
		job->have_identity = core_backup_identify(p->conn, &u->p.inspect.pg,
							  &job->identity, &ignored) == 0;
	p->backup_fresh = upgrade_fresh(u, job->have_backup ? &job->backup : NULL,
					job->have_identity ? &job->identity : NULL, job->why,
					sizeof(job->why));
	p->backup_why = job->why;
	job->rc = core_inspect_run(p, &job->insp, &job->err);
	/* The server restarted since the last look: the failed query showed it;
	 * look once more on a new connection. */
	if (job->rc == 0 && !job->insp.db_ok && p->conn != NULL &&
	    PQstatus(p->conn) != CONNECTION_OK) {
		core_inspect_done(&job->insp);
		p->conn = upgrade_conn(u, &conn_err);
		p->connect_error = p->conn == NULL ? conn_err.msg : NULL;
		job->rc = core_inspect_run(p, &job->insp, &job->err);
	}
}

/* Takes the result in (the previous inspection stays when this one failed)
 * and records it. */
static int upgrade_job_commit(struct core_upgrade *u, struct upgrade_job *job,
			      struct core_error *err)
{
	if (job->have_identity && !u->have_identity) {
		u->identity = job->identity;
		u->have_identity = true;
	}
	if (job->rc < 0) {
		core_error_set(err, "%s", job->err.msg);
		return -1;
	}
	if (u->have_inspection)
		core_inspect_done(&u->insp);
	u->insp = job->insp;
	memset(&job->insp, 0, sizeof(job->insp));
	u->have_inspection = true;
	upgrade_path_from_journal(u);
	return upgrade_record(u, "check",
			      json_pack("{s:s?, s:s, s:s, s:s, s:b, s:o}", "path",
					core_path_name(u->insp.plan.path), "phase",
					core_phase_name(u->insp.plan.phase), "source_edition",
					core_edition_name(u->insp.plan.source_edition),
					"source_version", u->insp.plan.source_version, "ready",
					u->insp.ready, "results", upgrade_results_json(&u->insp)),
			      err);
}

int core_upgrade_inspect(struct core_upgrade *u, struct core_error *err)
{
	struct upgrade_job *job;
	int rc;

	if (u->job != NULL)
		return core_error_set(err, "an inspection is already under way");
	job = calloc(1, sizeof(*job));
	if (job == NULL)
		return core_error_set(err, "out of memory");
	upgrade_job_prepare(u, job);
	upgrade_job_work(job);
	rc = upgrade_job_commit(u, job, err);
	core_inspect_done(&job->insp);
	free(job);
	return rc;
}

int core_upgrade_inspect_begin(struct core_upgrade *u, int *fd, struct core_error *err)
{
	struct upgrade_job *job;

	if (u->job != NULL)
		return core_error_set(err, "an inspection is already under way");
	job = calloc(1, sizeof(*job));
	if (job == NULL)
		return core_error_set(err, "out of memory");
	upgrade_job_prepare(u, job);
	if (core_bg_start(upgrade_job_work, job, &u->bg, err) < 0) {
		free(job);
		return -1;
	}
	u->job = job;
	*fd = core_bg_fd(u->bg);
	return 0;
}

bool core_upgrade_busy(const struct core_upgrade *u)
{
	return u->job != NULL;
}

int core_upgrade_inspect_end(struct core_upgrade *u, struct core_error *err)
{
	struct upgrade_job *job = u->job;
	int rc;

	if (job == NULL)
		return core_error_set(err, "no inspection is under way");
	core_bg_free(u->bg);
	u->bg = NULL;
	u->job = NULL;
	rc = upgrade_job_commit(u, job, err);
	core_inspect_done(&job->insp);
	free(job);
	return rc;
}

int core_upgrade_set_conf(struct core_upgrade *u, const struct core_session_input *session,
			  const struct core_setting *portal,
			  const struct core_setting *portal_is_legacy, struct core_error *err)
{
	const char *in[9] = { session->admin_gui_auth, session->enforce_rbac,
			      session->admin_gui_session_conf, session->admin_gui_url,
			      session->admin_api_uri, portal->value, portal->where,
			      portal_is_legacy->value, portal_is_legacy->where };
	char *copy[9] = { NULL };
	size_t i;

	for (i = 0; i < 9; i++) {
		if (in[i] != NULL && (copy[i] = strdup(in[i])) == NULL) {
			while (i-- > 0)
				free(copy[i]);
			return core_error_set(err, "out of memory");
		}
	}
	for (i = 0; i < 9; i++) {
		free(u->conf[i]);
		u->conf[i] = copy[i];
	}
	u->p.inspect.session.admin_gui_auth = u->conf[0];
	u->p.inspect.session.enforce_rbac = u->conf[1];
	u->p.inspect.session.admin_gui_session_conf = u->conf[2];
	u->p.inspect.session.admin_gui_url = u->conf[3];
	u->p.inspect.session.admin_api_uri = u->conf[4];
	u->p.inspect.portal.value = u->conf[5];
	u->p.inspect.portal.where = u->conf[6];
	u->p.inspect.portal_is_legacy.value = u->conf[7];
	u->p.inspect.portal_is_legacy.where = u->conf[8];
	return 0;
}

int core_upgrade_waive(struct core_upgrade *u, const char *check_id, const char *reason,
		       struct core_error *err)
{
	size_t i;

	if (!core_checks_known(check_id))
		return core_error_set(err, "'%s' is not a check id", check_id);
	for (i = 0; u->have_inspection && i < u->insp.n_results; i++)
		if (strcmp(u->insp.results[i].id, check_id) == 0 &&
		    u->insp.results[i].severity == CORE_CHECK_FATAL)
			return core_error_set(err, "'%s' cannot be waived: %s", check_id,
					      u->insp.results[i].message);
	if (reason == NULL || strlen(reason) < 3)
		return core_error_set(err, "a waiver needs a reason (a few words, typed)");
	if (upgrade_record(u, "waiver", json_pack("{s:s, s:s}", "check", check_id, "reason", reason),
			   err) < 0)
		return -1;
	upgrade_add_waiver(u, check_id, reason);
	return 0;
}

int core_upgrade_backup(struct core_upgrade *u,
			int (*progress)(void *ctx, long long written, long long estimate),
			void *ctx, struct core_backup_info *out, struct core_error *err)
{
	struct core_backup_opts o = { 0 };
	json_t *info;

	o.pg = &u->p.inspect.pg;
	o.dir = u->p.backup_dir;
	o.pg_dump = u->p.pg_dump;
	o.pg_restore = u->p.pg_restore;
	o.now_ms = u->p.clock_ms != NULL ? u->p.clock_ms() : 0;
	o.progress = progress;
	o.ctx = ctx;
	if (upgrade_record(u, "backup-start", json_pack("{s:s}", "dir", u->p.backup_dir), err) < 0)
		return -1;
	if (core_backup_take(&o, out, err) < 0) {
		struct core_error ignored = { { 0 } };

		upgrade_record(u, "backup-failed", json_pack("{s:s}", "error", err->msg), &ignored);
		return -1;
	}
	info = core_backup_info_json(out);
	if (info == NULL)
		return core_error_set(err, "out of memory recording the backup");
	if (upgrade_record(u, "backup", info, err) < 0)
		return -1;
	u->backup = *out;
	u->have_backup = true;
	return 0;
}

/* Index of the last event named name, or -1. */
static long upgrade_last_index(const struct core_upgrade *u, const char *name, const char *step)
{
	size_t n = core_journal_count(u->journal);

	while (n-- > 0) {
		const json_t *e = core_journal_event(u->journal, n);
		const char *s = json_string_value(json_object_get(json_object_get(e, "details"),
								 "step"));

		if (strcmp(json_string_value(json_object_get(e, "event")), name) == 0 &&
		    (step == NULL || (s != NULL && strcmp(s, step) == 0)))
			return (long)n;
	}
	return -1;
}

bool core_upgrade_traffic_confirmed(const struct core_upgrade *u)
{
	return upgrade_last_index(u, "traffic-confirmed", NULL) >
	       upgrade_last_index(u, "run-start", "up");
}

int core_upgrade_confirm_traffic(struct core_upgrade *u, const char *override,
				 struct core_error *err)
{
	return upgrade_record(u, "traffic-confirmed",
			      json_pack("{s:s, s:s?}", "statement",
					"all traffic is on the new cluster and old nodes are "
					"decommissioned",
					"override", override),
			      err);
}

static void upgrade_why(char *why, size_t size, const char *text)
{
	size_t len = strlen(why);

	snprintf(why + len, size - len, "%s%s", len > 0 ? "; " : "", text);
}

/* The census again, right before finish: an old node that reconnected to
 * the datastore since the traffic was confirmed blocks it. Hosts shared by
 * both clusters cannot be told apart here (the traffic screen's rates did). */
static void upgrade_old_nodes_seen(struct core_upgrade *u, char *why, size_t size)
{
	const struct core_census_host *top = NULL;
	struct core_census_map *map = NULL;
	struct core_census *census = NULL;
	struct core_error e = { { 0 } };
	PGconn *conn;
	char buf[512];
	int n;

	if (u->p.n_old == 0)
		return;
	if (u->job != NULL) {
		upgrade_why(why, size, "the census of the datastore's clients waits for the "
				       "inspection under way");
		return;
	}
	conn = upgrade_conn(u, &e);
	if (conn == NULL ||
	    core_census_map_new(u->p.old_urls, u->p.n_old, u->p.new_urls, u->p.n_new, 0, &map,
				&e) < 0 ||
	    core_census_take(conn, map, &census, &e) < 0) {
		snprintf(buf, sizeof(buf), "the census of the datastore's clients failed: %s", e.msg);
		upgrade_why(why, size, buf);
		goto out;
	}
	n = core_census_count(census, CORE_CENSUS_OLD, &top);
	if (n > 0) {
		snprintf(buf, sizeof(buf), "an old-cluster node is connected to the datastore again "
			 "(%s, %d connection%s)", top != NULL ? top->addr : "?", n, n == 1 ? "" : "s");
		upgrade_why(why, size, buf);
	}
out:
	core_census_free(census);
	core_census_map_free(map);
}

/* Failed checks block every step, except the backup's: a backup is offered
 * before `up` and demanded (or typed away) before an irreversible step, which
 * core_upgrade_blockers checks on its own. */
static void upgrade_failing_checks(const struct core_inspection *in, char *why, size_t size)
{
	char buf[600];
	size_t i;

	for (i = 0; i < in->n_results; i++) {
		if (in->results[i].status != CORE_CHECK_FAIL ||
		    strcmp(in->results[i].id, "backup-fresh") == 0)
			continue;
		snprintf(buf, sizeof(buf), "check '%s' fails: %s", in->results[i].title,
			 in->results[i].message);
		upgrade_why(why, size, buf);
	}
}

void core_upgrade_blockers(struct core_upgrade *u, enum core_upgrade_step step,
			   const char *confirm, const char *no_backup_reason, char *why,
			   size_t size)
{
	const struct core_inspection *in = u->have_inspection ? &u->insp : NULL;
	bool irreversible = step != CORE_UPGRADE_UP;
	char buf[600];
	bool fresh;

	why[0] = '\0';
	if (!u->p.exclusive)
		upgrade_why(why, size, "this session is read-only");
	if (u->run != NULL && core_runner_info(u->run)->state == CORE_RUNNER_RUNNING) {
		snprintf(buf, sizeof(buf), "a run is in progress (%s)", core_runner_info(u->run)->id);
		upgrade_why(why, size, buf);
	}
	if (in == NULL || !in->db_ok) {
		upgrade_why(why, size, "the datastore has not been read");
		return;
	}
	if (in->plan.refusal[0] != '\0') {
		upgrade_why(why, size, in->plan.refusal);
		return;
	}
	upgrade_failing_checks(in, why, size);
	switch (step) {
	case CORE_UPGRADE_UP:
		if (in->plan.phase != CORE_PHASE_NOT_STARTED)
			upgrade_why(why, size, "'up' already ran (the datastore has its migrations)");
		break;
	case CORE_UPGRADE_FINISH:
		if (in->plan.phase != CORE_PHASE_UP_DONE)
			upgrade_why(why, size, "'finish' needs the pending migrations of 'up'");
		if (!core_upgrade_traffic_confirmed(u))
			upgrade_why(why, size, "the traffic shift is not confirmed");
		upgrade_old_nodes_seen(u, why, size);
		break;
	case CORE_UPGRADE_C2E:
		if (in->plan.path != CORE_PATH_CE_TO_EE13 || in->plan.phase != CORE_PHASE_FINISHED)
			upgrade_why(why, size, "migrate-community-to-enterprise comes after 'finish' "
					       "on the community path");
		break;
	}
	if (!irreversible)
		return;
	if (confirm == NULL || strcmp(confirm, in->db.database) != 0) {
		snprintf(buf, sizeof(buf), "type the database name '%s' to confirm",
			 in->db.database);
		upgrade_why(why, size, buf);
	}
	core_upgrade_last_backup(u, &fresh, buf, sizeof(buf));
	if (!fresh && (no_backup_reason == NULL || strlen(no_backup_reason) < 3)) {
		char text[700];

		snprintf(text, sizeof(text), "no fresh verified backup (%s)", buf);
		upgrade_why(why, size, text);
	}
}

/* The number of migrations a step will run, for the N-of-M gauge. */
static size_t upgrade_expected(const struct core_upgrade *u, enum core_upgrade_step step)
{
	const struct core_kong_table *t = NULL;
	size_t i, n = 0;

	if (!u->have_inspection || !u->insp.list_ok)
		return 0;
	if (step == CORE_UPGRADE_UP)
		t = &u->insp.list.fresh;
	else if (step == CORE_UPGRADE_FINISH)
		t = &u->insp.list.pending;
	for (i = 0; t != NULL && i < t->n; i++)
		n += t->subs[i].n;
	return n;
}

int core_upgrade_start(struct core_upgrade *u, enum core_upgrade_step step, const char *confirm,
		       const char *no_backup_reason, bool force, const char *force_reason,
		       struct core_error *err)
{
	const char *argv[10];
	const char *kong_conf = u->p.inspect.kong_conf;
	char why[2048];
	json_t *args;
	size_t n = 0, i;
	bool fresh;

	if (u->verify_pending)
		return core_error_set(err, "the last run's verification is under way");
	core_upgrade_blockers(u, step, confirm, no_backup_reason, why, sizeof(why));
	if (why[0] != '\0')
		return core_error_set(err, "cannot start '%s': %s", core_upgrade_step_name(step), why);
	if (force && (step != CORE_UPGRADE_C2E || force_reason == NULL || strlen(force_reason) < 3))
		return core_error_set(err, "--force is for migrate-community-to-enterprise only, "
					   "with a typed reason");
	argv[n++] = u->p.inspect.kong_binary;
	argv[n++] = "migrations";
	argv[n++] = core_upgrade_step_name(step);
	if (step == CORE_UPGRADE_C2E)
		argv[n++] = "-y"; /* the wizard asked; Kong's own prompt needs a tty (§1.9) */
	if (force)
		argv[n++] = "-f";
	if (kong_conf != NULL) {
		argv[n++] = "-c";
		argv[n++] = kong_conf;
	}
	argv[n] = NULL;

	if (step != CORE_UPGRADE_UP) {
		core_upgrade_last_backup(u, &fresh, why, sizeof(why));
		if (upgrade_record(u, "confirm",
				   json_pack("{s:s, s:s, s:s?, s:s?, s:s?}", "step",
					     core_upgrade_step_name(step), "database",
					     u->insp.db.database, "backup",
					     fresh ? u->backup.path : NULL, "without_backup",
					     fresh ? NULL : no_backup_reason, "force_reason",
					     force ? force_reason : NULL),
				   err) < 0)
			return -1;
	}
	args = json_array();
	for (i = 0; args != NULL && i < n; i++)
		json_array_append_new(args, json_string(argv[i]));
	if (upgrade_record(u, "run-start",
			   json_pack("{s:s, s:o, s:i}", "step", core_upgrade_step_name(step),
				     "command", args, "expected", (int)upgrade_expected(u, step)),
			   err) < 0)
		return -1;
	/* For finish and migrate-community-to-enterprise this is the point of no
	 * return: once the run starts, the old Kong version can no longer use the
	 * datastore (runbook step 5), and only the backup takes it back. */
	core_runner_free(u->run);
	u->run = NULL;
	if (core_runner_start(u->p.state_dir, argv, NULL, &u->run, err) < 0) {
		struct core_error ignored = { { 0 } };

		upgrade_record(u, "run-end",
			       json_pack("{s:s, s:s}", "step", core_upgrade_step_name(step), "error",
					 err->msg),
			       &ignored);
		return -1;
	}
	u->run_step = step;
	u->run_end_recorded = false;
	u->verification[0] = '\0';
	return 0;
}

const struct core_runner_info *core_upgrade_run(const struct core_upgrade *u)
{
	return u->run != NULL ? core_runner_info(u->run) : NULL;
}

const char *core_upgrade_verification(const struct core_upgrade *u)
{
	return u->verification;
}

const char *core_upgrade_notice(const struct core_upgrade *u)
{
	return u->notice;
}

/* After a run: check it against the inspection made since it ended;
 * inspect_error is NULL when that inspection succeeded, else why not. */
static void upgrade_verify(struct core_upgrade *u, const struct core_runner_progress *p,
			   const char *inspect_error)
{
	struct core_error e = { { 0 } };
	const struct core_inspection *in;

	u->verification[0] = '\0';
	u->notice[0] = '\0';
	if (inspect_error != NULL || !u->have_inspection || !u->insp.db_ok) {
		snprintf(u->verification, sizeof(u->verification), "the datastore could not be read "
			 "after the run: %s",
			 inspect_error != NULL && inspect_error[0] != '\0' ? inspect_error
			 : u->have_inspection				  ? u->insp.db_error
									  : "no inspection");
		return;
	}
	in = &u->insp;
	if (core_runner_check_schema(u->run, in->db.rows, in->db.n_rows, &e) < 0) {
		snprintf(u->verification, sizeof(u->verification), "%s", e.msg);
		return;
	}
	if (p->exit_code != 0)
		return;
	if (u->run_step == CORE_UPGRADE_UP && in->plan.phase != CORE_PHASE_UP_DONE)
		snprintf(u->verification, sizeof(u->verification),
			 "after 'up' the datastore is in phase '%s', not 'up-done'",
			 core_phase_name(in->plan.phase));
	else if (u->run_step == CORE_UPGRADE_FINISH && in->detection.kind != CORE_DETECT_RELEASE)
		snprintf(u->verification, sizeof(u->verification),
			 "after 'finish' pending migrations remain");
	/* §4.2: enterprise 004's teardown keeps the 0.36 portal files. */
	if (u->run_step == CORE_UPGRADE_FINISH && core_state_has_table(&in->db, "legacy_files"))
		snprintf(u->notice, sizeof(u->notice),
			 "the 0.36 Dev Portal files were renamed to legacy_files (%lld rows); the new "
			 "files table starts empty",
			 core_state_count(&in->db, "legacy_files"));
}

/* Records how the run ended (once), with the verification made. */
static int upgrade_record_end(struct core_upgrade *u, const struct core_runner_progress *progress,
			      struct core_error *err)
{
	const struct core_runner_info *info = core_runner_info(u->run);

	u->run_end_recorded = true;
	u->verify_pending = false;
	return upgrade_record(u, "run-end",
			      json_pack("{s:s, s:s, s:s, s:i, s:i, s:s, s:s, s:s}", "step",
					core_upgrade_step_name(u->run_step), "id", info->id, "state",
					core_runner_state_name(progress->state), "exit_code",
					progress->exit_code, "signal", progress->signal, "error",
					progress->error, "log", info->log, "verification",
					u->verification),
			      err);
}

/* core_upgrade_poll; deferred: leave the verification and the record to
 * core_upgrade_verify_finish. */
static int upgrade_poll(struct core_upgrade *u, struct core_runner_progress *progress,
			void (*on_line)(void *ctx, const char *line), void *ctx, bool deferred,
			bool *ended, struct core_error *err)
{
	struct core_error e = { { 0 } };

	*ended = false;
	if (u->run == NULL)
		return 0;
	if (u->verify_pending) {
		*ended = true;
		*progress = u->end;
		return 0;
	}
	if (core_runner_poll(u->run, progress, on_line, ctx, err) < 0)
		return -1;
	if (progress->state == CORE_RUNNER_RUNNING)
		return 0;
	*ended = true;
	if (u->run_end_recorded)
		return 0;
	if (deferred) {
		u->verify_pending = true;
		u->end = *progress;
		return 0;
	}
	upgrade_verify(u, progress, core_upgrade_inspect(u, &e) < 0 ? e.msg : NULL);
	return upgrade_record_end(u, progress, err);
}

int core_upgrade_poll(struct core_upgrade *u, struct core_runner_progress *progress,
		      void (*on_line)(void *ctx, const char *line), void *ctx, bool *ended,
		      struct core_error *err)
{
	return upgrade_poll(u, progress, on_line, ctx, false, ended, err);
}

int core_upgrade_poll_deferred(struct core_upgrade *u, struct core_runner_progress *progress,
			       void (*on_line)(void *ctx, const char *line), void *ctx,
			       bool *ended, struct core_error *err)
{
	return upgrade_poll(u, progress, on_line, ctx, true, ended, err);
}

bool core_upgrade_verify_pending(const struct core_upgrade *u)
{
	return u->verify_pending;
}

int core_upgrade_verify_finish(struct core_upgrade *u, const char *inspect_error,
			       struct core_error *err)
{
	if (!u->verify_pending)
		return core_error_set(err, "no run waits for its verification");
	/* With an inspection under way only the failure may be recorded: the
	 * worker reads neither the journal nor the verification. */
	if (u->job != NULL && inspect_error == NULL)
		return core_error_set(err, "an inspection is under way");
	upgrade_verify(u, &u->end, inspect_error);
	return upgrade_record_end(u, &u->end, err);
}

int core_upgrade_entity_counts(struct core_upgrade *u, struct core_entity_count *out, size_t max,
			       size_t *n, struct core_error *err)
{
	static const char *const tables[] = {
		"services", "routes", "consumers", "plugins", "upstreams", "targets",
		"certificates", "snis", "acls", "basicauth_credentials", "hmacauth_credentials",
		"jwt_secrets", "keyauth_credentials", "oauth2_credentials",
	};
	const struct core_db_state *st = u->have_inspection && u->insp.db_ok ? &u->insp.db : NULL;
	PGconn *conn = NULL;
	bool has_we = st != NULL && core_state_has_table(st, "workspace_entities");
	PGresult *res = NULL;
	char sql[8192] = "SELECT ";
	size_t len = strlen(sql), i;
	int col = 0;

	*n = 0;
	if (u->job != NULL)
		return core_error_set(err, "counting entities: an inspection is under way");
	conn = upgrade_conn(u, err);
	if (conn == NULL)
		return -1;
	if (st == NULL)
		return core_error_set(err, "counting entities: the datastore has not been read");
	/* One query for every table present in Kong's schema (§2.2): its rows
	 * and, with workspaces, its entities in `default` (§1.9). Table names are
	 * ours, quoted all the same. */
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]) && *n < max; i++) {
		char *id;

		if (!core_state_has_table(st, tables[i]))
			continue;
		id = PQescapeIdentifier(conn, tables[i], strlen(tables[i]));
		if (id == NULL)
			return core_error_set(err, "out of memory");
		len += (size_t)snprintf(sql + len, sizeof(sql) - len,
					"%s(SELECT count(*) FROM %s), ", col > 0 ? ", " : "", id);
		if (has_we)
			len += (size_t)snprintf(sql + len, sizeof(sql) - len,
						"(SELECT count(DISTINCT entity_id) FROM "
						"workspace_entities WHERE workspace_name = 'default' "
						"AND entity_type = '%s')",
						tables[i]);
		else
			len += (size_t)snprintf(sql + len, sizeof(sql) - len, "-1");
		PQfreemem(id);
		snprintf(out[*n].table, sizeof(out[*n].table), "%s", tables[i]);
		(*n)++;
		col += 2;
	}
	if (*n == 0)
		return 0;
	res = PQexec(conn, sql);
	if (core_pg_check(conn, res, "counting entities", err) < 0) {
		*n = 0;
		return -1;
	}
	for (i = 0; i < *n; i++) {
		out[i].rows = atoll(PQgetvalue(res, 0, (int)(2 * i)));
		out[i].in_default = atoll(PQgetvalue(res, 0, (int)(2 * i + 1)));
	}
	PQclear(res);
	return 0;
}

int core_upgrade_lock_holder(struct core_upgrade *u, struct core_oplock_holder *h,
			     struct core_error *err)
{
	PGconn *conn;

	memset(h, 0, sizeof(*h));
	if (u->p.exclusive)
		return 0; /* we hold it */
	if (u->job != NULL)
		return core_error_set(err, "an inspection is under way");
	conn = upgrade_conn(u, err);
	return conn != NULL ? core_oplock_holder(conn, h, err) : -1;
}

int core_upgrade_census(struct core_upgrade *u, struct core_census **out, struct core_error *err)
{
	struct core_census_map *map = NULL;
	PGconn *conn;
	int rc;

	*out = NULL;
	if (u->job != NULL)
		return core_error_set(err, "the census waits for the inspection under way");
	conn = upgrade_conn(u, err);
	if (conn == NULL)
		return -1;
	if (core_census_map_new(u->p.old_urls, u->p.n_old, u->p.new_urls, u->p.n_new, 0, &map,
				err) < 0)
		return -1;
	rc = core_census_take(conn, map, out, err);
	core_census_map_free(map);
	return rc;
}
