/* test_kongsim.c — kong-sim against a real PostgreSQL: exit codes, output,
 * schema_meta bookkeeping, the cluster lock, the failure knobs and the
 * Enterprise community-to-enterprise migration. Every expectation about Kong
 * names its section of /work/shared/reference/kong-migrations.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/testenv.h"

static struct testenv te;

/* A datastore and the kong.conf that points at it. */
struct ds {
	char db[128];
	char conf[4096];
};

static void ds_make(struct ds *d, const char *fixture, const char *schema, const char *extra)
{
	struct core_error err = { { 0 } };

	if (testenv_create_db(&te, fixture, schema, d->db, sizeof(d->db), &err) != 0)
		fail_msg("create_db %s: %s", fixture, err.msg);
	if (testenv_write_kongconf(&te, d->db, extra, d->conf, sizeof(d->conf), &err) != 0)
		fail_msg("write_kongconf: %s", err.msg);
}

/* Runs `kong-sim migrations <sub> -c conf [a1] [a2]` as version (catalog id)
 * with one more optional environment entry. */
static void sim(struct testenv_run *run, const char *version, const char *env, const char *conf,
		const char *sub, const char *a1, const char *a2)
{
	char venv[64];
	const char *argv[8] = { te.kong_sim, "migrations", sub, "-c", conf, a1, a2, NULL };
	const char *envv[3] = { venv, env, NULL };
	struct core_error err = { { 0 } };

	if (a1 == NULL)
		argv[6] = NULL;
	snprintf(venv, sizeof(venv), "KONG_SIM_VERSION=%s", version);
	if (testenv_run(argv, envv, run, &err) != 0)
		fail_msg("run: %s", err.msg);
}

static char *q(const struct ds *d, const char *sql)
{
	struct core_error err = { { 0 } };
	char *v = testenv_query1(&te, d->db, sql, &err);

	if (v == NULL)
		fail_msg("query '%s': %s", sql, err.msg);
	return v;
}

static void assert_q(const struct ds *d, const char *sql, const char *want)
{
	char *got = q(d, sql);

	if (strcmp(got, want) != 0)
		fail_msg("%s -> '%s', want '%s'", sql, got, want);
	free(got);
}

static void assert_contains(const char *hay, const char *needle)
{
	if (hay == NULL || strstr(hay, needle) == NULL)
		fail_msg("'%s' not found in:\n%s", needle, hay != NULL ? hay : "(null)");
}

static int setup(void **state)
{
	struct core_error err = { { 0 } };

	(void)state;
	if (testenv_start(&te, &err) != 0) {
		fprintf(stderr, "testenv_start: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	testenv_stop(&te);
	return 0;
}

static void list_expect(const char *fixture, const char *version, int code, const char *text)
{
	struct testenv_run run = { 0 };
	struct ds d;

	ds_make(&d, fixture, NULL, NULL);
	sim(&run, version, NULL, d.conf, "list", NULL, NULL);
	if (run.status != code)
		fail_msg("%s as %s: list exit %d, want %d\nout:%s\nerr:%s", fixture, version,
			 run.status, code, run.out, run.err);
	assert_contains(run.out, text);
	testenv_run_done(&run);
}

/* §1.3: list exit codes 0 / 3 / 4 / 5 and their closing lines. */
static void test_list_fixtures(void **state)
{
	(void)state;
	list_expect("empty", "ee-1.3", 3, "Database needs bootstrapping; run 'kong migrations bootstrap'");
	list_expect("ee-0.36", "ee-1.3", 5, "\nRun 'kong migrations up' to proceed");
	list_expect("ee-0.36-up-done", "ee-1.3", 4, "\nRun 'kong migrations finish' when ready");
	list_expect("ee-0.35", "ee-1.3", 5, "New migrations available:\n");
	list_expect("ce-1.3", "ce-1.3", 0, "Executed migrations:\n");
	list_expect("ce-1.2", "ce-1.2", 0, "Executed migrations:\n");
	list_expect("ce-1.2", "ee-1.3", 5, "enterprise: 000_base");
	list_expect("ce-1.1", "ce-1.3", 5, "Run 'kong migrations up' to proceed");
}

/* §1.3 table format: subsystem names right-aligned to the longest one. */
static void test_list_alignment(void **state)
{
	struct testenv_run run = { 0 };
	struct ds d;

	(void)state;
	ds_make(&d, "ce-1.3", NULL, NULL);
	sim(&run, "ce-1.3", NULL, d.conf, "list", NULL, NULL);
	assert_int_equal(run.status, 0);
	assert_contains(run.out, "\n                 core: 000_base, 001_14_to_15");
	assert_contains(run.out, "\nresponse-ratelimiting: ");
	testenv_run_done(&run);
}

/* §1.5, §1.6, §1.7, §2.1: up records pending, finish moves them to
 * executed and leaves '{}' (not NULL) in pending. */
static void test_up_finish(void **state)
{
	struct testenv_run run = { 0 };
	struct ds d;

	(void)state;
	ds_make(&d, "ee-0.36", NULL, NULL);
	sim(&run, "ee-1.3", NULL, d.conf, "up", NULL, NULL);
	assert_int_equal(run.status, 0);
	/* §1.7 / §3.3: the expected work of EE 0.36 -> EE 1.3. */
	assert_contains(run.out, "migrating core on database '");
	assert_contains(run.out, "core migrated up to: 005_120_to_130 (pending)\n");
	assert_contains(run.out, "enterprise migrated up to: 004_036-2_to_037 (pending)\n");
	assert_contains(run.out, "\nDatabase has pending migrations; run 'kong migrations finish' "
				 "when ready\n");
	testenv_run_done(&run);
	assert_q(&d, "SELECT pending FROM schema_meta WHERE subsystem = 'core'", "{005_120_to_130}");
	assert_q(&d, "SELECT pending FROM schema_meta WHERE subsystem = 'enterprise'",
		 "{004_036-2_to_037}");
	/* §2.1: up of a migration with a teardown leaves executed untouched. */
	assert_q(&d, "SELECT last_executed <> '005_120_to_130' FROM schema_meta "
		     "WHERE subsystem = 'core'", "t");

	sim(&run, "ee-1.3", NULL, d.conf, "list", NULL, NULL);
	assert_int_equal(run.status, 4); /* §1.3 */
	assert_contains(run.out, "Pending migrations:\n");
	testenv_run_done(&run);

	sim(&run, "ee-1.3", NULL, d.conf, "finish", NULL, NULL);
	assert_int_equal(run.status, 0);
	assert_contains(run.out, "core migrated up to: 005_120_to_130 (executed)\n");
	/* §1.6: "No pending migrations to finish" also follows a real finish. */
	assert_contains(run.out, "No pending migrations to finish\n");
	testenv_run_done(&run);
	/* §2.1: teardown leaves '{}', appends to executed in execution order. */
	assert_q(&d, "SELECT pending FROM schema_meta WHERE subsystem = 'core'", "{}");
	assert_q(&d, "SELECT last_executed FROM schema_meta WHERE subsystem = 'core'",
		 "005_120_to_130");
	assert_q(&d, "SELECT executed[array_length(executed, 1)] FROM schema_meta "
		     "WHERE subsystem = 'enterprise'", "004_036-2_to_037");
	/* §2.3: the lock row is gone after a run. */
	assert_q(&d, "SELECT count(*) FROM locks", "0");

	sim(&run, "ee-1.3", NULL, d.conf, "list", NULL, NULL);
	assert_int_equal(run.status, 0); /* §1.3 */
	testenv_run_done(&run);
}

/* §1.5: a second up while migrations are pending fails inside the mutex. */
static void test_up_twice(void **state)
{
	struct testenv_run run = { 0 };
	struct ds d;

	(void)state;
	ds_make(&d, "ee-0.36-up-done", NULL, NULL);
	sim(&run, "ee-1.3", NULL, d.conf, "up", NULL, NULL);
	assert_int_equal(run.status, 1);
	assert_contains(run.err, "Error: [PostgreSQL error] cluster_mutex callback threw an error: "
				 "/usr/local/share/lua/5.1/kong/cmd/utils/migrations.lua:67: Database "
				 "has pending migrations; run 'kong migrations finish'\nstack traceback:\n");
	assert_contains(run.err, "\n  Run with --v (verbose) or --vv (debug) for more details\n");
	testenv_run_done(&run);
	assert_q(&d, "SELECT count(*) FROM locks", "0"); /* §2.3: released after an error */
}

/* §2.3: a live lock makes finish abort (exit 0) and up wait then time out;
 * an expired one is removed by the next acquirer. */
static void test_locks(void **state)
{
	struct testenv_run run = { 0 };
	struct ds d;
	char *v;

	(void)state;
	ds_make(&d, "ee-0.36-up-done", NULL, NULL);
	v = q(&d, "INSERT INTO locks (key, owner, ttl) VALUES ('migrations', 'other-node', "
		  "now() + interval '60 seconds') RETURNING owner");
	free(v);
	sim(&run, "ee-1.3", NULL, d.conf, "finish", NULL, NULL);
	assert_int_equal(run.status, 0);
	assert_string_equal(run.out, "aborted: another node is performing database changes\n");
	testenv_run_done(&run);

	sim(&run, "ee-1.3", NULL, d.conf, "up", "--lock-timeout", "1");
	assert_int_equal(run.status, 1);
	assert_contains(run.err, "Error: [PostgreSQL error] timeout\n");
	testenv_run_done(&run);
	assert_q(&d, "SELECT owner FROM locks", "other-node");

	v = q(&d, "UPDATE locks SET ttl = now() - interval '1 second' RETURNING owner");
	free(v);
	sim(&run, "ee-1.3", NULL, d.conf, "finish", NULL, NULL);
	assert_int_equal(run.status, 0);
	assert_contains(run.out, "core migrated up to: 005_120_to_130 (executed)\n");
	testenv_run_done(&run);
	assert_q(&d, "SELECT count(*) FROM locks", "0");
}

/* §1.7: a failing migration leaves the earlier ones committed and recorded,
 * and the failing one neither. */
static void test_injected_failure(void **state)
{
	struct testenv_run run = { 0 };
	struct ds d;

	(void)state;
	ds_make(&d, "ee-0.36", NULL, NULL);
	sim(&run, "ee-1.3", "KONG_SIM_FAIL=up:enterprise/004_036-2_to_037", d.conf, "up", NULL,
	    NULL);
	assert_int_equal(run.status, 1);
	assert_contains(run.err, "Error: [PostgreSQL error] cluster_mutex callback threw an error: ");
	assert_contains(run.err, "[PostgreSQL error] failed to run migration '004_036-2_to_037' up: "
				 "ERROR: ");
	assert_contains(run.out, "core migrated up to: 005_120_to_130 (pending)\n");
	testenv_run_done(&run);
	assert_q(&d, "SELECT pending FROM schema_meta WHERE subsystem = 'core'", "{005_120_to_130}");
	assert_q(&d, "SELECT COALESCE('004_036-2_to_037' = ANY(pending), false) OR "
		     "'004_036-2_to_037' = ANY(executed) FROM schema_meta WHERE subsystem = 'enterprise'",
		 "f");
	/* 004 up adds the groups table; rolled back with the failure (§4.2). */
	assert_q(&d, "SELECT to_regclass('groups') IS NULL", "t");
	assert_q(&d, "SELECT count(*) FROM locks", "0");
}

/* §2.3: a killed node leaves its lock until the TTL passes. */
static void test_crash_leaves_lock(void **state)
{
	struct testenv_run run = { 0 };
	struct ds d;

	(void)state;
	ds_make(&d, "ee-0.36", NULL, NULL);
	sim(&run, "ee-1.3", "KONG_SIM_CRASH=after-up:core/005_120_to_130", d.conf, "up", NULL, NULL);
	assert_int_equal(run.status, 128 + 9);
	testenv_run_done(&run);
	assert_q(&d, "SELECT count(*) FROM locks WHERE key = 'migrations' AND ttl > now()", "1");
	assert_q(&d, "SELECT pending FROM schema_meta WHERE subsystem = 'core'", "{005_120_to_130}");
	sim(&run, "ee-1.3", NULL, d.conf, "finish", NULL, NULL);
	assert_int_equal(run.status, 0);
	assert_contains(run.out, "aborted: another node is performing database changes\n");
	testenv_run_done(&run);
}

/* §1.9 and §5.2: Kong 1.2 -> EE 1.3 up, finish, then
 * migrate-community-to-enterprise maps every entity to the default workspace. */
static void test_community_to_enterprise(void **state)
{
	static const char *const tables[] = { "services", "routes", "consumers", "plugins",
					       "upstreams", "targets", "certificates", "snis",
					       "keyauth_credentials", "basicauth_credentials", NULL };
	struct testenv_run run = { 0 };
	struct ds d;
	char sql[512];
	size_t i;

	(void)state;
	ds_make(&d, "ce-1.2", NULL, NULL);
	sim(&run, "ee-1.3", NULL, d.conf, "migrate-community-to-enterprise", "-y", NULL);
	assert_int_equal(run.status, 1); /* §1.9: check_state first */
	assert_contains(run.err, "Error: New migrations available; run 'kong migrations up' to proceed");
	testenv_run_done(&run);
	sim(&run, "ee-1.3", NULL, d.conf, "up", NULL, NULL);
	assert_int_equal(run.status, 0);
	testenv_run_done(&run);
	sim(&run, "ee-1.3", NULL, d.conf, "finish", NULL, NULL);
	assert_int_equal(run.status, 0);
	testenv_run_done(&run);

	/* §1.9: without -y on a non-tty the error names 'reset' (sic). */
	sim(&run, "ee-1.3", NULL, d.conf, "migrate-community-to-enterprise", NULL, NULL);
	assert_int_equal(run.status, 1);
	assert_contains(run.err, "Error: not a tty: invoke 'reset' non-interactively with the --yes "
				 "flag\n");
	testenv_run_done(&run);

	sim(&run, "ee-1.3", NULL, d.conf, "migrate-community-to-enterprise", "-y", NULL);
	assert_int_equal(run.status, 0);
	assert_contains(run.out, "Found ");
	assert_contains(run.out, " entities to migrate to the default workspace\n");
	assert_contains(run.out, "Migrated ");
	testenv_run_done(&run);
	for (i = 0; tables[i] != NULL; i++) {
		snprintf(sql, sizeof(sql),
			 "SELECT (SELECT count(*) FROM %s) = (SELECT count(*) FROM workspace_entities "
			 "WHERE entity_type = '%s' AND unique_field_name = 'id')",
			 tables[i], tables[i]);
		assert_q(&d, sql, "t");
	}
	/* §1.9: unique values prefixed, except snis; counters incremented. */
	assert_q(&d, "SELECT count(*) FROM services WHERE name NOT LIKE 'default:%'", "0");
	assert_q(&d, "SELECT (SELECT count(*) FROM consumers) = (SELECT count FROM "
		     "workspace_entity_counters WHERE entity_type = 'consumers')", "t");

	/* Idempotent (§1.9); counters now exceed 100 only if the fixture is big,
	 * so raise them: then -f is required. */
	free(q(&d, "INSERT INTO workspace_entity_counters (workspace_id, entity_type, count) "
		   "SELECT id, 'kong_sim_test', 150 FROM workspaces WHERE name = 'default' "
		   "RETURNING count"));
	sim(&run, "ee-1.3", NULL, d.conf, "migrate-community-to-enterprise", "-y", NULL);
	assert_int_equal(run.status, 1);
	assert_contains(run.err, "There are more than 100 EE entities on the database, run with the "
				 "--force flag to force running this migration");
	testenv_run_done(&run);
	sim(&run, "ee-1.3", NULL, d.conf, "migrate-community-to-enterprise", "-y", "-f");
	assert_int_equal(run.status, 0);
	assert_contains(run.out, "Found 0 entities to migrate to the default workspace\n");
	testenv_run_done(&run);
}

/* §2.2, §6: pg_schema selects where schema_meta is looked for. */
static void test_pg_schema(void **state)
{
	struct testenv_run run = { 0 };
	struct ds d;
	struct ds plain;
	struct core_error err = { { 0 } };

	(void)state;
	ds_make(&d, "ce-1.3", "kong_schema", "pg_schema = kong_schema\n");
	sim(&run, "ce-1.3", NULL, d.conf, "list", NULL, NULL);
	assert_int_equal(run.status, 0);
	testenv_run_done(&run);
	/* The same database without pg_schema: public has no schema_meta. */
	snprintf(plain.db, sizeof(plain.db), "%s", d.db);
	if (testenv_write_kongconf(&te, d.db, NULL, plain.conf, sizeof(plain.conf), &err) != 0)
		fail_msg("%s", err.msg);
	sim(&run, "ce-1.3", NULL, plain.conf, "list", NULL, NULL);
	assert_int_equal(run.status, 3);
	testenv_run_done(&run);
}

/* §1.2: connection failures; §6: KONG_PG_* override the file. */
static void test_connection_and_env(void **state)
{
	struct testenv_run run = { 0 };
	struct ds d;
	struct ds other;
	char env[256];

	(void)state;
	ds_make(&d, "empty", NULL, NULL);
	sim(&run, "ee-1.3", "KONG_PG_PASSWORD=wrong", d.conf, "list", NULL, NULL);
	assert_int_equal(run.status, 1);
	assert_contains(run.err, "Error: [PostgreSQL error] failed to retrieve server_version_num: ");
	assert_contains(run.err, "password authentication failed");
	assert_null(strstr(run.err, "wrong"));
	testenv_run_done(&run);

	ds_make(&other, "ce-1.3", NULL, NULL);
	snprintf(env, sizeof(env), "KONG_PG_DATABASE=%s", other.db);
	sim(&run, "ce-1.3", env, d.conf, "list", NULL, NULL);
	assert_int_equal(run.status, 0);
	testenv_run_done(&run);
}

/* §1.1, §1.2: lapp's own errors and usage. */
static void test_cli_errors(void **state)
{
	struct testenv_run run = { 0 };
	const char *argv[] = { te.kong_sim, "migrations", "lst", NULL };
	const char *argv2[] = { te.kong_sim, "migrations", "list", "--bogus", NULL };
	struct core_error err = { { 0 } };

	(void)state;
	assert_int_equal(testenv_run(argv, NULL, &run, &err), 0);
	assert_int_equal(run.status, 1);
	assert_contains(run.err, "No such command for migrations: lst\n\nUsage: kong migrations");
	testenv_run_done(&run);
	assert_int_equal(testenv_run(argv2, NULL, &run, &err), 0);
	assert_int_equal(run.status, 1);
	assert_contains(run.err, "kong: unrecognized parameter: bogus\n");
	testenv_run_done(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cli_errors),
		cmocka_unit_test(test_list_fixtures),
		cmocka_unit_test(test_list_alignment),
		cmocka_unit_test(test_up_finish),
		cmocka_unit_test(test_up_twice),
		cmocka_unit_test(test_locks),
		cmocka_unit_test(test_injected_failure),
		cmocka_unit_test(test_crash_leaves_lock),
		cmocka_unit_test(test_community_to_enterprise),
		cmocka_unit_test(test_pg_schema),
		cmocka_unit_test(test_connection_and_env),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
