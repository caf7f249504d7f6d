/* End-to-end tests of the headless upgrade commands (SPEC §3): backup, up,
 * finish, migrate-community-to-enterprise, status — the real binary, kong-sim
 * as the kong CLI, fixtures in a private PostgreSQL. What must hold after each
 * step is checked in schema_meta (reference §2.1), the tables (§4) and the
 * journal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core_oplock.h"
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

/* One upgrade: a database from a fixture, its kong.conf, a wizard config with
 * its own state and backup directories. */
struct site {
	char db[128];
	char kconf[4400];
	char wconf[4400];
	char state[4400];
};

static void site_new(struct site *s, const char *fixture)
{
	struct core_error err = { { 0 } };
	FILE *f;

	if (testenv_create_db(&te, fixture, NULL, s->db, sizeof(s->db), &err) < 0 ||
	    testenv_write_kongconf(&te, s->db, NULL, s->kconf, sizeof(s->kconf), &err) < 0)
		fail_msg("%s", err.msg);
	snprintf(s->state, sizeof(s->state), "%s/state-%s", te.tmpdir, s->db);
	snprintf(s->wconf, sizeof(s->wconf), "%s/wizard-%s.conf", te.tmpdir, s->db);
	f = fopen(s->wconf, "w");
	assert_non_null(f);
	fprintf(f, "kong { binary = \"%s\" conf = \"%s\" }\nstate_dir = \"%s\"\n"
		   "backup { dir = \"%s/backups-%s\" }\n",
		te.kong_sim, s->kconf, s->state, te.tmpdir, s->db);
	assert_int_equal(fclose(f), 0);
}

/* Runs the wizard with up to 5 arguments and checks its exit status; shows
 * its output when the status is not the one expected. */
static void wiz(int want, const struct site *s, struct testenv_run *run, const char *const *env,
		const char *a, const char *b, const char *c, const char *d, const char *e)
{
	struct core_error err = { { 0 } };
	const char *argv[] = { wizard, "-c", s->wconf, a, b, c, d, e, NULL };

	if (testenv_run(argv, env, run, &err) < 0)
		fail_msg("%s", err.msg);
	if (run->status != want)
		fail_msg("%s %s: exit %d, want %d\n--- stdout:\n%s\n--- stderr:\n%s", a,
			 b != NULL ? b : "", run->status, want, run->out, run->err);
}

static char *q(const struct site *s, const char *sql)
{
	struct core_error err = { { 0 } };
	char *v = testenv_query1(&te, s->db, sql, &err);

	if (v == NULL)
		fail_msg("%s", err.msg);
	return v;
}

static void expect_q(const struct site *s, const char *sql, const char *want)
{
	char *v = q(s, sql);

	if (strcmp(v, want) != 0)
		fail_msg("%s: got '%s', want '%s'", sql, v, want);
	free(v);
}

/* The names of the journal's events, joined by spaces. */
static void journal_events(const struct site *s, char *out, size_t size)
{
	char path[4500], line[65536];
	FILE *f;

	snprintf(path, sizeof(path), "%s/journal.jsonl", s->state);
	f = fopen(path, "r");
	assert_non_null(f);
	out[0] = '\0';
	while (fgets(line, sizeof(line), f) != NULL) {
		json_t *e = json_loads(line, 0, NULL);
		size_t len = strlen(out);

		assert_non_null(e);
		snprintf(out + len, size - len, "%s%s", len > 0 ? " " : "",
			 json_string_value(json_object_get(e, "event")));
		json_decref(e);
	}
	fclose(f);
}

/* Path A: Kong Enterprise 0.36 -> 1.3, the blue/green way. */
static void test_path_a(void **state)
{
	struct testenv_run r;
	struct site s;
	char events[8192];

	(void)state;
	site_new(&s, "ee-0.36");

	wiz(0, &s, &r, NULL, "backup", NULL, NULL, NULL, NULL);
	assert_non_null(strstr(r.out, "Backup verified:"));
	testenv_run_done(&r);

	wiz(0, &s, &r, NULL, "up", NULL, NULL, NULL, NULL);
	/* §1.7: up reports each migration; core 005 and enterprise 004 have teardowns. */
	assert_non_null(strstr(r.out, "core migrated up to: 005_120_to_130 (pending)"));
	assert_non_null(strstr(r.out, "enterprise migrated up to: 004_036-2_to_037 (pending)"));
	assert_non_null(strstr(r.out, "Done: 2 migrations, verified in schema_meta."));
	testenv_run_done(&r);
	expect_q(&s, "SELECT pending::text FROM schema_meta WHERE subsystem = 'core'",
		 "{005_120_to_130}");
	/* 005 up adds upstreams.algorithm (§4.1); old nodes keep working. */
	expect_q(&s, "SELECT count(*) FROM information_schema.columns WHERE table_name = "
		     "'upstreams' AND column_name = 'algorithm'", "1");

	/* Running up again is refused by the wizard before Kong would fail (§1.5). */
	wiz(1, &s, &r, NULL, "up", NULL, NULL, NULL, NULL);
	assert_non_null(strstr(r.err, "'up' already ran"));
	testenv_run_done(&r);

	/* finish: no terminal and no --confirm -> refused; a wrong name -> refused. */
	wiz(2, &s, &r, NULL, "finish", NULL, NULL, NULL, NULL);
	assert_non_null(strstr(r.err, "give --confirm DBNAME"));
	testenv_run_done(&r);
	wiz(1, &s, &r, NULL, "finish", "--confirm", "kong-prod", NULL, NULL);
	assert_non_null(strstr(r.err, "type the database name"));
	testenv_run_done(&r);
	expect_q(&s, "SELECT pending::text FROM schema_meta WHERE subsystem = 'core'",
		 "{005_120_to_130}");

	wiz(0, &s, &r, NULL, "finish", "--confirm", s.db, NULL, NULL);
	assert_non_null(strstr(r.out, "Done: 2 migrations"));
	/* Issue "doing it safely": the files -> legacy_files rename is reported. */
	assert_non_null(strstr(r.out, "renamed to legacy_files (18 rows)"));
	testenv_run_done(&r);
	/* §2.1: teardown empties pending to '{}'; §4.2: 004's teardown keeps the 0.36
	 * portal files as legacy_files; 005's fills upstreams.algorithm. */
	expect_q(&s, "SELECT pending::text FROM schema_meta WHERE subsystem = 'core'", "{}");
	expect_q(&s, "SELECT to_regclass('legacy_files') IS NOT NULL", "t");
	expect_q(&s, "SELECT count(*) FROM upstreams WHERE algorithm IS NULL", "0");

	wiz(0, &s, &r, NULL, "status", "--json", NULL, NULL, NULL);
	{
		json_t *j = json_loads(r.out, 0, NULL);

		assert_non_null(j);
		assert_string_equal(json_string_value(json_object_get(j, "phase")), "finished");
		assert_string_equal(json_string_value(json_object_get(
					    json_object_get(j, "run"), "state")),
				    "finished");
		assert_true(json_is_true(json_object_get(json_object_get(j, "journal"),
							 "intact")));
		json_decref(j);
	}
	testenv_run_done(&r);

	journal_events(&s, events, sizeof(events));
	/* Each command inspects first ("check"); each run re-inspects to verify. */
	if (strstr(events, "check backup-start backup check run-start check run-end") == NULL ||
	    strstr(events, "traffic-confirmed confirm run-start check run-end") == NULL)
		fail_msg("journal events: %s", events);
}

/* Path B: Kong 1.2 -> Kong Enterprise 1.3, then community to Enterprise. */
static void test_path_b(void **state)
{
	struct testenv_run r;
	struct site s;
	char *rows, *mapped;

	(void)state;
	site_new(&s, "ce-1.2");
	wiz(0, &s, &r, NULL, "up", NULL, NULL, NULL, NULL);
	testenv_run_done(&r);
	/* No backup was taken: an irreversible step demands one or a typed reason. */
	wiz(1, &s, &r, NULL, "finish", "--confirm", s.db, NULL, NULL);
	assert_non_null(strstr(r.err, "no fresh verified backup"));
	testenv_run_done(&r);
	wiz(0, &s, &r, NULL, "finish", "--confirm", s.db, "--without-backup",
			     "storage snapshot taken by the DBA");
	testenv_run_done(&r);
	wiz(0, &s, &r, NULL, "migrate-community-to-enterprise", "--confirm", s.db,
			     "--without-backup", "storage snapshot taken by the DBA");
	/* §1.9: every entity mapped to the default workspace. */
	assert_non_null(strstr(r.out, "Migrated"));
	assert_null(strstr(r.out, "MISMATCH"));
	testenv_run_done(&r);
	rows = q(&s, "SELECT count(*) FROM services");
	mapped = q(&s, "SELECT count(DISTINCT entity_id) FROM workspace_entities WHERE "
		       "entity_type = 'services' AND workspace_name = 'default'");
	assert_string_equal(rows, mapped);
	free(rows);
	free(mapped);

	wiz(0, &s, &r, NULL, "status", "--json", NULL, NULL, NULL);
	{
		json_t *j = json_loads(r.out, 0, NULL);

		/* The datastore now looks like Enterprise 1.3; the journal remembers the path. */
		assert_string_equal(json_string_value(json_object_get(j, "path")), "ce-to-ee-1.3");
		assert_string_equal(json_string_value(json_object_get(j, "phase")), "migrated");
		assert_string_equal(json_string_value(json_object_get(
					    json_object_get(j, "source"), "version")),
				    "1.2");
		json_decref(j);
	}
	testenv_run_done(&r);
}

static void test_failure_and_second_operator(void **state)
{
	static const char *const fail_env[] = { "KONG_SIM_FAIL=up:enterprise/004_036-2_to_037",
						NULL };
	struct core_oplock_holder h;
	struct core_error err = { { 0 } };
	struct testenv_run r;
	struct site s;
	char conninfo[600];
	PGconn *other;

	(void)state;
	site_new(&s, "ee-0.36");
	/* An injected failure: reported with Kong's error; earlier migrations stay (§1.7). */
	wiz(1, &s, &r, fail_env, "up", NULL, NULL, NULL, NULL);
	assert_non_null(strstr(r.err, "failed with exit code 1"));
	assert_non_null(strstr(r.err, "failed to run migration '004_036-2_to_037' up"));
	testenv_run_done(&r);
	expect_q(&s, "SELECT pending::text FROM schema_meta WHERE subsystem = 'core'",
		 "{005_120_to_130}");

	/* Another operator holds the wizard's lock: refused, with the holder named. */
	snprintf(conninfo, sizeof(conninfo),
		 "host=%s port=%d dbname=%s user=kong password=kong "
		 "application_name='kong-upgrade-wizard (carol on pts/9)'",
		 core_sandbox_host(te.sb), core_sandbox_port(te.sb), s.db);
	other = PQconnectdb(conninfo);
	assert_int_equal(PQstatus(other), CONNECTION_OK);
	assert_int_equal(core_oplock_try(other, &h, &err), 1);
	wiz(2, &s, &r, NULL, "up", NULL, NULL, NULL, NULL);
	assert_non_null(strstr(r.err, "another operator"));
	assert_non_null(strstr(r.err, "carol on pts/9"));
	testenv_run_done(&r);
	/* Read-only status still works, and names the operator. */
	wiz(0, &s, &r, NULL, "status", NULL, NULL, NULL, NULL);
	assert_non_null(strstr(r.out, "carol on pts/9"));
	testenv_run_done(&r);
	PQfinish(other);
}

/* Issue "traffic shift": finish repeats the census just before it runs and
 * refuses while an old-cluster node holds a connection to the datastore. */
static void test_finish_refused_while_old_node_connected(void **state)
{
	struct testenv_run r;
	struct site s;
	char conninfo[600];
	FILE *f;
	PGconn *old_node;

	(void)state;
	site_new(&s, "ee-0.36");
	/* The old cluster is this host: its connections are the old nodes'. */
	f = fopen(s.wconf, "a");
	assert_non_null(f);
	fprintf(f, "cluster old { admin_urls = {\"http://127.0.0.1:1\"} }\n");
	assert_int_equal(fclose(f), 0);
	wiz(0, &s, &r, NULL, "up", NULL, NULL, NULL, NULL);
	testenv_run_done(&r);

	snprintf(conninfo, sizeof(conninfo),
		 "host=127.0.0.1 port=%d dbname=%s user=kong password=kong application_name=kong",
		 core_sandbox_port(te.sb), s.db);
	old_node = PQconnectdb(conninfo);
	assert_int_equal(PQstatus(old_node), CONNECTION_OK);
	wiz(1, &s, &r, NULL, "finish", "--confirm", s.db, "--without-backup", "test run");
	assert_non_null(strstr(r.err, "an old-cluster node is connected to the datastore again"));
	testenv_run_done(&r);
	expect_q(&s, "SELECT pending::text FROM schema_meta WHERE subsystem = 'core'",
		 "{005_120_to_130}");

	/* status --json shows the old node in the census, and its Admin API
	 * (nothing listens on port 1) unreachable with the error. */
	wiz(0, &s, &r, NULL, "status", "--json", NULL, NULL, NULL);
	{
		json_t *j = json_loads(r.out, 0, NULL);
		json_t *fleet = json_object_get(j, "fleet");
		json_t *node = json_array_get(json_object_get(fleet, "nodes"), 0);
		json_t *host = json_array_get(json_object_get(fleet, "census"), 0);

		assert_non_null(node);
		assert_false(json_is_true(json_object_get(node, "reachable")));
		assert_true(strlen(json_string_value(json_object_get(node, "error"))) > 0);
		assert_non_null(host);
		assert_string_equal(json_string_value(json_object_get(host, "class")), "old");
		json_decref(j);
	}
	testenv_run_done(&r);

	PQfinish(old_node);
	/* The server ends the backend after the client went: wait for it (5 s). */
	{
		const struct timespec tick = { 0, 20 * 1000 * 1000 };
		char sql[300];
		char *v = NULL;
		int i;

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM pg_stat_activity WHERE datname = "
					   "'%s' AND application_name = 'kong'", s.db);
		for (i = 0; i < 250; i++) {
			free(v);
			v = q(&s, sql);
			if (strcmp(v, "0") == 0)
				break;
			nanosleep(&tick, NULL);
		}
		assert_string_equal(v, "0");
		free(v);
	}
	wiz(0, &s, &r, NULL, "finish", "--confirm", s.db, "--without-backup", "test run");
	testenv_run_done(&r);
	expect_q(&s, "SELECT pending::text FROM schema_meta WHERE subsystem = 'core'", "{}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_a),
		cmocka_unit_test(test_path_b),
		cmocka_unit_test(test_failure_and_second_operator),
		cmocka_unit_test(test_finish_refused_while_old_node_connected),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
