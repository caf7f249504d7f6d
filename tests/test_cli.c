/* End-to-end tests of `kong-upgrade-wizard check` and `status` (the real
 * binary, kong-sim as the kong CLI, fixtures in a private PostgreSQL). The
 * JSON keys are SPEC §3's; the expectations per datastore follow the runbook
 * ("Prerequisites for Migrating to 1.3") and reference §1–§3. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_sandbox.h"
#include "tests/support/testenv.h"

static struct testenv te;
static char wizard[4096];

static int setup(void **state)
{
	struct core_error err = { { 0 } };
	const char *w = getenv("KUW_WIZARD");

	(void)state;
	if (w == NULL || testenv_start(&te, &err) < 0) {
		fprintf(stderr, "setup: %s\n", w == NULL ? "KUW_WIZARD is not set" : err.msg);
		return -1;
	}
	snprintf(wizard, sizeof(wizard), "%s", w);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	testenv_stop(&te);
	return 0;
}

/* Writes a wizard config naming kong-sim and the kong.conf; returns its path. */
static void write_wizard_conf(const char *kong_conf, char *path, size_t size)
{
	FILE *f;

	snprintf(path, size, "%s/wizard-%d.conf", te.tmpdir, ++te.counter);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "kong { binary = \"%s\" conf = \"%s\" }\nstate_dir = \"%s/state\"\n"
		   "backup { dir = \"%s/backups\" }\n",
		te.kong_sim, kong_conf, te.tmpdir, te.tmpdir);
	assert_int_equal(fclose(f), 0);
}

struct outcome {
	int status;
	json_t *json; /* NULL unless --json and parseable */
	char *out;
	char *err;
};

/* Runs `kong-upgrade-wizard -c <conf> <args...>` for a datastore. */
static void run_wizard(const char *fixture, const char *schema, const char *extra_conf,
		       const char *const *args, const char *const *env, struct outcome *o)
{
	struct core_error err = { { 0 } };
	struct testenv_run run;
	char db[128], kconf[4400], wconf[4400];
	const char *argv[16] = { wizard, "-c", wconf };
	size_t n = 3, i;

	if (testenv_create_db(&te, fixture, schema, db, sizeof(db), &err) < 0)
		fail_msg("db: %s", err.msg);
	if (testenv_write_kongconf(&te, db, extra_conf, kconf, sizeof(kconf), &err) < 0)
		fail_msg("kong.conf: %s", err.msg);
	write_wizard_conf(kconf, wconf, sizeof(wconf));
	for (i = 0; args[i] != NULL && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	if (testenv_run(argv, env, &run, &err) < 0)
		fail_msg("run: %s", err.msg);
	o->status = run.status;
	o->json = json_loads(run.out, 0, NULL);
	o->out = run.out;
	o->err = run.err;
}

static void outcome_done(struct outcome *o)
{
	json_decref(o->json);
	free(o->out);
	free(o->err);
}

static const char *jstr(json_t *root, const char *path1, const char *path2)
{
	json_t *v = json_object_get(root, path1);

	if (path2 != NULL)
		v = json_object_get(v, path2);
	return json_is_string(v) ? json_string_value(v) : "(not a string)";
}

/* The status of one check in the JSON. */
static const char *check_status(json_t *root, const char *id)
{
	json_t *checks = json_object_get(root, "checks");
	size_t i;

	for (i = 0; i < json_array_size(checks); i++) {
		json_t *c = json_array_get(checks, i);

		if (strcmp(jstr(c, "id", NULL), id) == 0)
			return jstr(c, "status", NULL);
	}
	return "(missing)";
}

static const char *check_message(json_t *root, const char *id)
{
	json_t *checks = json_object_get(root, "checks");
	size_t i;

	for (i = 0; i < json_array_size(checks); i++) {
		json_t *c = json_array_get(checks, i);

		if (strcmp(jstr(c, "id", NULL), id) == 0)
			return jstr(c, "message", NULL);
	}
	return "(missing)";
}

static const char *const check_json[] = { "check", "--json", NULL };

static void test_ee_036_path_a(void **state)
{
	static const char *const waive[] = { "check", "--json", "--waive", "backup-fresh", NULL };
	struct outcome o;

	(void)state;
	run_wizard("ee-0.36", NULL, NULL, check_json, NULL, &o);
	assert_non_null(o.json);
	assert_string_equal(jstr(o.json, "source", "edition"), "enterprise");
	assert_string_equal(jstr(o.json, "source", "version"), "0.36");
	assert_string_equal(jstr(o.json, "target", "edition"), "enterprise");
	assert_string_equal(jstr(o.json, "target", "version"), "1.3");
	assert_string_equal(jstr(o.json, "path", NULL), "ee-0.36-to-ee-1.3");
	assert_string_equal(jstr(o.json, "phase", NULL), "not-started");
	/* Only the backup is missing: blocked (exit 1). */
	assert_false(json_is_true(json_object_get(o.json, "ready")));
	assert_string_equal(check_status(o.json, "backup-fresh"), "fail");
	assert_string_equal(check_status(o.json, "datastore-reachable"), "pass");
	/* §1.3: `list` exits 5 (new migrations) before up. */
	assert_string_equal(check_status(o.json, "kong-list"), "pass");
	assert_string_equal(check_status(o.json, "dev-portal"), "warn"); /* 0.36 portal files */
	assert_int_equal(o.status, 1);
	outcome_done(&o);

	run_wizard("ee-0.36", NULL, NULL, waive, NULL, &o);
	assert_true(json_is_true(json_object_get(o.json, "ready")));
	assert_string_equal(check_status(o.json, "backup-fresh"), "waived");
	assert_int_equal(o.status, 0);
	outcome_done(&o);
}

static void test_resume_and_path_b(void **state)
{
	struct outcome o;

	(void)state;
	run_wizard("ee-0.36-up-done", NULL, NULL, check_json, NULL, &o);
	assert_string_equal(jstr(o.json, "phase", NULL), "up-done");
	assert_string_equal(check_status(o.json, "earlier-pending"), "pass");
	assert_string_equal(check_status(o.json, "kong-list"), "pass"); /* §1.3: exit 4 */
	outcome_done(&o);

	run_wizard("ce-1.2", NULL, NULL, check_json, NULL, &o);
	assert_string_equal(jstr(o.json, "source", "edition"), "community");
	assert_string_equal(jstr(o.json, "source", "version"), "1.2");
	assert_string_equal(jstr(o.json, "path", NULL), "ce-to-ee-1.3");
	outcome_done(&o);

	/* A pg_schema other than public (§2.2: Kong looks only there). */
	run_wizard("ce-1.3", "kong_schema", "pg_schema = kong_schema\n", check_json, NULL, &o);
	assert_string_equal(jstr(o.json, "path", NULL), "ce-to-ee-1.3");
	assert_string_equal(jstr(o.json, "source", "version"), "1.3");
	outcome_done(&o);
}

static void test_refusals(void **state)
{
	static const char *const community[] = { "KONG_SIM_EDITION=community", NULL };
	struct outcome o;

	(void)state;
	run_wizard("ee-0.35", NULL, NULL, check_json, NULL, &o);
	assert_true(json_is_null(json_object_get(o.json, "path")));
	assert_non_null(strstr(jstr(o.json, "refusal", NULL), "migrate to 0.36 first"));
	assert_string_equal(check_status(o.json, "upgrade-path"), "fail");
	assert_int_equal(o.status, 1);
	outcome_done(&o);

	run_wizard("ce-1.1", NULL, NULL, check_json, NULL, &o);
	assert_non_null(strstr(jstr(o.json, "refusal", NULL), "upgrade to Kong 1.3 before"));
	outcome_done(&o);

	run_wizard("empty", NULL, NULL, check_json, NULL, &o);
	assert_non_null(strstr(jstr(o.json, "refusal", NULL), "not bootstrapped"));
	outcome_done(&o);

	/* The new binary is community Kong: the wrong target. */
	run_wizard("ee-0.36", NULL, NULL, check_json, community, &o);
	assert_string_equal(check_status(o.json, "kong-binary"), "fail");
	assert_string_equal(jstr(o.json, "target", "edition"), "community");
	outcome_done(&o);

	/* Cassandra is refused (SPEC §1). */
	run_wizard("ee-0.36", NULL, "database = cassandra\n", check_json, NULL, &o);
	assert_non_null(strstr(jstr(o.json, "refusal", NULL), "Cassandra"));
	outcome_done(&o);
}

static void test_kong_manager_rules(void **state)
{
	struct outcome o;

	(void)state;
	/* A 0.36 kong.conf with RBAC for Kong Manager but no session conf fails on 1.3 (§5.3). */
	run_wizard("ee-0.36", NULL,
		   "enforce_rbac = on\nadmin_gui_auth = basic-auth\n"
		   "admin_gui_url = https://manager.example.com\n"
		   "admin_api_uri = https://api.other.org:8444\n",
		   check_json, NULL, &o);
	assert_string_equal(check_status(o.json, "session-conf"), "fail");
	outcome_done(&o);

	run_wizard("ee-0.36", NULL,
		   "enforce_rbac = on\nadmin_gui_auth = basic-auth\n"
		   "admin_gui_url = https://manager.example.com\n"
		   "admin_api_uri = https://api.other.org:8444\n"
		   "admin_gui_session_conf = {\"secret\":\"Zq9-secret-value\"}\n",
		   check_json, NULL, &o);
	assert_string_equal(check_status(o.json, "session-conf"), "pass");
	assert_string_equal(check_status(o.json, "cookie-rules"), "fail");
	assert_non_null(strstr(check_message(o.json, "cookie-rules"), "cookie_samesite"));
	assert_null(strstr(o.out, "Zq9-secret-value"));
	outcome_done(&o);
}

static void test_locks(void **state)
{
	struct core_error err = { { 0 } };
	struct testenv_run run;
	char db[128], kconf[4400], wconf[4400], sql[512];
	const char *argv[] = { wizard, "-c", wconf, "check", "--json", NULL };
	json_t *j;
	char *r;

	(void)state;
	assert_int_equal(testenv_create_db(&te, "ee-0.36", NULL, db, sizeof(db), &err), 0);
	assert_int_equal(testenv_write_kongconf(&te, db, NULL, kconf, sizeof(kconf), &err), 0);
	write_wizard_conf(kconf, wconf, sizeof(wconf));

	/* §2.3: a live owner blocks. */
	snprintf(sql, sizeof(sql), "INSERT INTO locks (key, owner, ttl) VALUES ('migrations', "
				   "'live-owner-1', now() + interval '1 hour') RETURNING key");
	r = testenv_query1(&te, db, sql, &err);
	assert_non_null(r);
	free(r);
	assert_int_equal(testenv_run(argv, NULL, &run, &err), 0);
	j = json_loads(run.out, 0, NULL);
	assert_string_equal(check_status(j, "migrations-lock"), "fail");
	assert_non_null(strstr(check_message(j, "migrations-lock"), "live-owner-1"));
	json_decref(j);
	testenv_run_done(&run);

	/* An expired owner is stale: a warning only. */
	r = testenv_query1(&te, db, "UPDATE locks SET ttl = now() - interval '1 hour' RETURNING key",
			   &err);
	assert_non_null(r);
	free(r);
	assert_int_equal(testenv_run(argv, NULL, &run, &err), 0);
	j = json_loads(run.out, 0, NULL);
	assert_string_equal(check_status(j, "migrations-lock"), "warn");
	json_decref(j);
	testenv_run_done(&run);
}

static void test_cannot_run(void **state)
{
	static const char *const bad_waive[] = { "check", "--waive", "no-such-check", NULL };
	static const char *const check[] = { "check", NULL };
	struct core_error err = { { 0 } };
	struct testenv_run run;
	struct outcome o;
	char path[4400], kconf[4500];
	const char *argv[] = { wizard, "-c", path, "check", NULL };
	FILE *f;

	(void)state;
	/* Wrong password: exit 2, said clearly, and the password is not repeated. */
	run_wizard("ee-0.36", NULL, "pg_password = Wr0ng-pass-77\n", check, NULL, &o);
	assert_int_equal(o.status, 2);
	assert_non_null(strstr(o.out, "password authentication failed"));
	assert_null(strstr(o.out, "Wr0ng-pass-77"));
	assert_null(strstr(o.err, "Wr0ng-pass-77"));
	outcome_done(&o);

	/* Nothing listens: a clear error within the timeout. */
	run_wizard("ee-0.36", NULL, "pg_port = 1\npg_timeout = 3000\n", check, NULL, &o);
	assert_int_equal(o.status, 2);
	assert_non_null(strstr(o.out, "127.0.0.1:1"));
	outcome_done(&o);

	run_wizard("ee-0.36", NULL, NULL, bad_waive, NULL, &o);
	assert_int_equal(o.status, 2);
	assert_non_null(strstr(o.err, "'no-such-check' is not a check id"));
	outcome_done(&o);

	/* A malformed wizard config names file and line. */
	snprintf(path, sizeof(path), "%s/broken.conf", te.tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("kong {\n  binray = \"kong\"\n}\n", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(testenv_run(argv, NULL, &run, &err), 0);
	assert_int_equal(run.status, 2);
	snprintf(kconf, sizeof(kconf), "%s:2:", path);
	assert_non_null(strstr(run.err, kconf));
	testenv_run_done(&run);
}

static void test_status_json(void **state)
{
	static const char *const status[] = { "status", "--json", NULL };
	struct outcome o;

	(void)state;
	run_wizard("ee-0.36-up-done", NULL, NULL, status, NULL, &o);
	assert_int_equal(o.status, 0);
	assert_string_equal(jstr(o.json, "phase", NULL), "up-done");
	assert_string_equal(jstr(o.json, "path", NULL), "ee-0.36-to-ee-1.3");
	assert_true(json_is_null(json_object_get(o.json, "kong_lock")));
	assert_null(json_object_get(o.json, "checks"));
	outcome_done(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ee_036_path_a),
		cmocka_unit_test(test_resume_and_path_b),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_kong_manager_rules),
		cmocka_unit_test(test_locks),
		cmocka_unit_test(test_cannot_run),
		cmocka_unit_test(test_status_json),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
