#include "core/core_inspect.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* `kong version` and `kong migrations list` are two program starts (about
 * a second each for a real Kong) that need nothing from the datastore read:
 * they run in threads while the caller's thread reads the datastore, so a
 * check costs the slowest of the three, not their sum. */
struct inspect_kong_job {
	const struct core_inspect_params *p;
	int timeout_ms;
	bool list;		 /* the list, else the version */
	struct core_inspection *out;
	int rc;
	struct core_error err;
};

static void *inspect_kong_job_run(void *arg)
{
	struct inspect_kong_job *j = arg;

	if (j->list)
		j->rc = core_kong_list(j->p->kong_binary, j->p->kong_conf,
				       j->p->pg.connect_timeout_s, j->timeout_ms, &j->out->list,
				       &j->err);
	else
		j->rc = core_kong_version(j->p->kong_binary, j->timeout_ms, &j->out->kong, &j->err);
	return NULL;
}

int core_inspect_run(const struct core_inspect_params *p, struct core_inspection *out,
		     struct core_error *err)
{
	struct core_check_input in;
	struct core_error e = { { 0 } };
	int timeout = p->kong_timeout_ms > 0 ? p->kong_timeout_ms : 60000;
	struct inspect_kong_job jobs[2];
	pthread_t threads[2];
	bool started[2] = { false, false };
	PGconn *conn = NULL;
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < 2; i++) {
		jobs[i] = (struct inspect_kong_job){ .p = p, .timeout_ms = timeout,
						     .list = i == 1, .out = out, .rc = -1 };
		started[i] = pthread_create(&threads[i], NULL, inspect_kong_job_run, &jobs[i]) == 0;
		if (!started[i])	/* no thread to be had: run it here */
			inspect_kong_job_run(&jobs[i]);
	}

	if (p->conn != NULL)
		conn = p->conn;
	else if (p->connect_error != NULL)
		core_error_set(&e, "%s", p->connect_error);
	else
		core_pg_connect(&p->pg, &conn, &e);
	if (conn != NULL && core_state_read(conn, &out->db, &e) == 0)
		out->db_ok = true;
	else
		snprintf(out->db_error, sizeof(out->db_error), "%s", e.msg);
	if (conn != p->conn)
		PQfinish(conn);
	if (out->db_ok)
		core_catalog_detect(out->db.has_schema_meta, out->db.rows, out->db.n_rows,
				    &out->detection);

	for (i = 0; i < 2; i++)
		if (started[i])
			pthread_join(threads[i], NULL);
	if (jobs[0].rc == 0)
		out->kong_ok = true;
	else
		snprintf(out->kong_error, sizeof(out->kong_error), "%s", jobs[0].err.msg);
	/* With the datastore unreadable, the list only tells that again (after
	 * Kong's --db-timeout, the same as ours); without a kong binary it fails
	 * for the reason the version already gives. */
	if (!out->db_ok)
		snprintf(out->list_error, sizeof(out->list_error),
			 "not used: the datastore could not be read");
	else if (out->kong_ok && jobs[1].rc == 0)
		out->list_ok = true;
	else if (out->kong_ok)
		snprintf(out->list_error, sizeof(out->list_error), "%s", jobs[1].err.msg);
	if (!out->list_ok)
		core_kong_list_done(&out->list);

	if (core_session_evaluate(&p->session, NULL, &out->session, err) < 0) {
		core_inspect_done(out);
		return -1;
	}
	core_path_decide(p->database.value, out->db_ok ? &out->detection : NULL,
			 out->db_ok ? &out->db : NULL,
			 out->kong_ok ? out->kong.edition : CORE_EDITION_UNKNOWN,
			 out->kong_ok ? out->kong.version : NULL, &out->plan);

	memset(&in, 0, sizeof(in));
	in.db_error = out->db_ok ? NULL : out->db_error;
	in.db = out->db_ok ? &out->db : NULL;
	in.detection = &out->detection;
	in.plan = &out->plan;
	in.kong_binary = p->kong_binary;
	in.kong_error = out->kong_ok ? NULL : out->kong_error;
	in.kong = out->kong_ok ? &out->kong : NULL;
	in.list_error = out->list_ok ? NULL : out->list_error;
	in.list = out->list_ok ? &out->list : NULL;
	in.kong_conf_path = p->kong_conf;
	in.database = p->database;
	in.plugins = p->plugins;
	in.portal = p->portal;
	in.portal_is_legacy = p->portal_is_legacy;
	in.session = &out->session;
	in.backup_dir = p->backup_dir;
	in.backup_free_bytes = p->backup_free_bytes;
	in.backup_fresh = p->backup_fresh;
	in.backup_why = p->backup_why;
	out->n_results = core_checks_run(&in, p->waived, p->reasons, p->n_waived, out->results);
	out->ready = core_checks_ready(out->results, out->n_results);
	return 0;
}

void core_inspect_done(struct core_inspection *in)
{
	if (in->db_ok)
		core_state_done(&in->db);
	core_kong_list_done(&in->list);
	core_session_report_done(&in->session);
	memset(in, 0, sizeof(*in));
}

static json_t *inspect_edition(enum core_edition e, const char *version)
{
	if (e == CORE_EDITION_UNKNOWN)
		return json_pack("{s:n, s:n}", "edition", "version");
	return json_pack("{s:s, s:s}", "edition", core_edition_name(e), "version", version);
}

json_t *core_inspect_json(const struct core_inspection *in)
{
	const char *path = core_path_name(in->plan.path);
	json_t *checks = json_array();
	json_t *root = NULL;
	size_t i;

	if (checks == NULL)
		return NULL;
	for (i = 0; i < in->n_results; i++) {
		const struct core_check_result *r = &in->results[i];
		json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", r->id, "title", r->title,
				      "status", core_check_status_name(r->status), "message",
				      r->message, "remedy", r->remedy);

		if (c == NULL || json_array_append_new(checks, c) < 0) {
			json_decref(checks);
			return NULL;
		}
		if (r->status == CORE_CHECK_WAIVED)
			json_object_set_new(c, "waiver", json_string(r->waiver));
	}
	root = json_pack("{s:o, s:o, s:o, s:s, s:b, s:o}", "source",
			 inspect_edition(in->plan.source_edition, in->plan.source_version), "target",
			 inspect_edition(in->plan.target_edition, in->plan.target_version), "path",
			 path != NULL ? json_string(path) : json_null(), "phase",
			 core_phase_name(in->plan.phase), "ready", in->ready, "checks", checks);
	if (root != NULL && in->plan.refusal[0] != '\0')
		json_object_set_new(root, "refusal", json_string(in->plan.refusal));
	return root;
}
