/* test_fixtures.c — every fixture loads, with the schema_meta history Kong
 * would have recorded and the expected content. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_sandbox.h"
#include "tests/support/fixtures.h"
#include "tests/support/testenv.h"

static struct testenv te;

struct expect {
	const char *sql;
	const char *want;
};

static int group_setup(void **state)
{
	struct core_error err = { "" };

	(void)state;
	if (testenv_start(&te, &err) < 0) {
		fprintf(stderr, "testenv_start: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	testenv_stop(&te);
	return 0;
}

static void make_db(const char *fixture, char *db, size_t size)
{
	struct core_error err = { "" };

	if (testenv_create_db(&te, fixture, NULL, db, size, &err) < 0)
		fail_msg("creating a database from %s: %s", fixture, err.msg);
}

static void check(const char *db, const struct expect *e, size_t n)
{
	struct core_error err = { "" };
	char *got = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		got = testenv_query1(&te, db, e[i].sql, &err);
		if (got == NULL)
			fail_msg("%s: %s: %s", db, e[i].sql, err.msg);
		if (strcmp(got, e[i].want) != 0) {
			print_error("%s: %s\n  got  %s\n  want %s\n", db, e[i].sql, got, e[i].want);
			free(got);
			fail();
		}
		free(got);
	}
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* schema_meta of a subsystem, as "executed|pending" with NULL shown as
 * "(null)": reference kong-migrations.md §2.1 — arrays are in execution
 * order; pending is NULL while no migration with a teardown ever ran for the
 * subsystem and '{}' once its teardowns (finish, or bootstrap's) emptied it. */
#define META(sub) \
	"SELECT COALESCE(executed::text, '(null)') || '|' || COALESCE(pending::text, '(null)') " \
	"FROM schema_meta WHERE key = 'schema_meta' AND subsystem = '" sub "'"

#define EE_TABLES \
	"SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' " \
	"AND table_name IN ('workspaces', 'workspace_entities', 'workspace_entity_counters', " \
	"'rbac_users', 'rbac_roles', 'admins', 'developers', 'files', 'vitals_node_meta')"

#define NOTHING_PENDING \
	"SELECT count(*) FROM schema_meta WHERE pending IS NOT NULL AND pending <> '{}'"

/* Counts of content-ce.sql at scale 1 (its header), Kong 1.x cache_keys. */
static const struct expect ce_counts[] = {
	{ "SELECT count(*) FROM services", "200" },
	{ "SELECT count(*) FROM routes", "300" },
	{ "SELECT count(*) FROM routes WHERE service_id IS NULL", "0" },
	{ "SELECT count(*) FROM consumers", "500" },
	{ "SELECT count(*) FROM plugins", "150" },
	{ "SELECT count(*) FROM plugins WHERE cache_key = format('plugins:%s:%s:%s:%s:', name, "
	  "COALESCE(route_id::text, ''), COALESCE(service_id::text, ''), "
	  "COALESCE(consumer_id::text, ''))", "150" },
	{ "SELECT count(DISTINCT name) FROM plugins", "4" },
	{ "SELECT count(*) FROM keyauth_credentials", "300" },
	{ "SELECT count(*) FROM basicauth_credentials", "100" },
	{ "SELECT count(*) FROM acls", "150" },
	{ "SELECT count(*) FROM acls WHERE cache_key = format('acls:%s:%s:::', consumer_id, \"group\")",
	  "150" },
	{ "SELECT count(*) FROM jwt_secrets", "50" },
	{ "SELECT count(*) FROM hmacauth_credentials", "50" },
	{ "SELECT count(*) FROM oauth2_credentials", "20" },
	{ "SELECT count(*) FROM upstreams WHERE hash_on = 'none'", "5" },
	{ "SELECT count(*) FROM upstreams WHERE hash_on = 'header'", "5" },
	{ "SELECT count(*) FROM targets", "30" },
	{ "SELECT count(*) FROM certificates", "5" },
	{ "SELECT count(*) FROM snis", "10" },
	{ EE_TABLES, "0" },
	{ "SELECT count(*) FROM services WHERE name LIKE 'default:%'", "0" },
};

/* content-ce.sql + content-ee.sql at scale 1. */
static const struct expect ee_counts[] = {
	{ "SELECT count(*) FROM services", "205" },
	{ "SELECT count(*) FROM routes", "305" },
	{ "SELECT count(*) FROM consumers WHERE type = 0", "500" },
	{ "SELECT count(*) FROM consumers WHERE type = 1", "5" },
	{ "SELECT count(*) FROM consumers WHERE type = 2", "3" },
	{ "SELECT count(*) FROM plugins", "150" },
	{ "SELECT count(*) FROM plugins WHERE cache_key = format('plugins:%s:%s:%s:%s::%s', name, "
	  "COALESCE(route_id::text, ''), COALESCE(service_id::text, ''), "
	  "COALESCE(consumer_id::text, ''), (SELECT id FROM workspaces WHERE name = 'default'))",
	  "150" },
	{ "SELECT count(*) FROM keyauth_credentials", "300" },
	{ "SELECT count(*) FROM basicauth_credentials", "108" },
	{ "SELECT count(*) FROM acls", "150" },
	{ "SELECT count(*) FROM upstreams", "10" },
	{ "SELECT count(*) FROM targets", "30" },
	{ "SELECT count(*) FROM snis", "10" },
	{ EE_TABLES, "9" },
	{ "SELECT string_agg(name, ',' ORDER BY name) FROM workspaces", "default,team-a" },
	{ "SELECT count(*) FROM services WHERE name LIKE 'default:svc-%'", "200" },
	{ "SELECT count(*) FROM services WHERE name LIKE 'team-a:svc-a-%'", "5" },
	{ "SELECT count(*) FROM snis WHERE name LIKE '%:%'", "0" },
	{ "SELECT count(*) FROM admins a JOIN consumers c ON c.id = a.consumer_id AND c.type = 2 "
	  "JOIN rbac_users u ON u.id = a.rbac_user_id", "3" },
	{ "SELECT count(*) FROM developers d JOIN consumers c ON c.id = d.consumer_id AND c.type = 1",
	  "5" },
	{ "SELECT count(*) FROM rbac_users", "3" },
	{ "SELECT string_agg(DISTINCT r.name, ',' ORDER BY r.name) FROM rbac_user_roles ur "
	  "JOIN rbac_roles r ON r.id = ur.role_id WHERE NOT r.is_default",
	  "default:read-only,default:super-admin" },
	{ "SELECT count(*) FROM files", "18" },
	{ "SELECT string_agg(DISTINCT type, ',' ORDER BY type) FROM files", "page,partial,spec" },
	{ "SELECT count(*) FROM vitals_node_meta", "2" },
	{ "SELECT count(*) FROM workspace_entities w JOIN workspaces s ON s.id = w.workspace_id "
	  "WHERE s.name = 'default' AND w.entity_type = 'services' AND w.unique_field_name = 'id'",
	  "200" },
	{ "SELECT count(*) FROM workspace_entities WHERE entity_type = 'services' "
	  "AND unique_field_name = 'name' AND unique_field_value LIKE '%:%'", "0" },
	{ "SELECT count(*) FROM consumers c WHERE NOT EXISTS (SELECT 1 FROM workspace_entities w "
	  "WHERE w.entity_id = c.id::text AND w.unique_field_name = 'id')", "0" },
	{ "SELECT count(*) FROM workspace_entity_counters c WHERE c.count <> (SELECT count(*) "
	  "FROM workspace_entities w WHERE w.workspace_id = c.workspace_id "
	  "AND w.entity_type = c.entity_type AND w.unique_field_name = 'id')", "0" },
	{ "SELECT sum(count) FROM workspace_entity_counters WHERE entity_type = 'services'", "205" },
};

static void test_empty(void **state)
{
	static const struct expect e[] = {
		{ "SELECT to_regclass('schema_meta') IS NULL", "t" },
		{ "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'", "0" },
	};
	char db[128];

	(void)state;
	make_db("empty", db, sizeof(db));
	check(db, e, N(e));
}

static void test_ce_1_1(void **state)
{
	static const struct expect e[] = {
		{ META("core"), "{000_base,001_14_to_15,002_15_to_1,003_100_to_110}|{}" },
		{ META("acl"), "{000_base_acl,001_14_to_15}|{}" },
		{ META("key-auth"), "{000_base_key_auth,001_14_to_15}|(null)" },
		{ "SELECT count(*) FROM schema_meta WHERE subsystem IN ('session', 'enterprise')", "0" },
		{ NOTHING_PENDING, "0" },
	};
	char db[128];

	(void)state;
	make_db("ce-1.1", db, sizeof(db));
	check(db, e, N(e));
	check(db, ce_counts, N(ce_counts));
}

static void test_ce_1_2(void **state)
{
	static const struct expect e[] = {
		{ META("core"),
		  "{000_base,001_14_to_15,002_15_to_1,003_100_to_110,004_110_to_120}|{}" },
		{ META("rate-limiting"),
		  "{000_base_rate_limiting,001_14_to_15,002_15_to_10,003_10_to_112}|{}" },
		{ "SELECT count(*) FROM schema_meta WHERE subsystem IN ('session', 'enterprise')", "0" },
		{ NOTHING_PENDING, "0" },
		{ "SELECT count(*) FROM routes WHERE https_redirect_status_code = 426", "300" },
	};
	char db[128];

	(void)state;
	make_db("ce-1.2", db, sizeof(db));
	check(db, e, N(e));
	check(db, ce_counts, N(ce_counts));
}

static void test_ce_1_3(void **state)
{
	static const struct expect e[] = {
		{ META("core"), "{000_base,001_14_to_15,002_15_to_1,003_100_to_110,004_110_to_120,"
				"005_120_to_130}|{}" },
		{ META("session"), "{000_base_session}|(null)" },
		{ "SELECT count(*) FROM schema_meta WHERE subsystem = 'enterprise'", "0" },
		{ NOTHING_PENDING, "0" },
		{ "SELECT to_regclass('ca_certificates') IS NOT NULL", "t" },
		{ "SELECT count(*) FROM upstreams WHERE algorithm = 'round-robin'", "5" },
		{ "SELECT count(*) FROM upstreams WHERE algorithm = 'consistent-hashing'", "5" },
	};
	char db[128];

	(void)state;
	make_db("ce-1.3", db, sizeof(db));
	check(db, e, N(e));
	check(db, ce_counts, N(ce_counts));
}

/* The EE core and enterprise histories start with 000_base and hold the
 * migrations of §3.3 for that release; 0.35's exact list is the catalog's. */
static void test_ee_0_35(void **state)
{
	static const struct expect e[] = {
		{ "SELECT executed[1] FROM schema_meta WHERE subsystem = 'core'", "000_base" },
		{ "SELECT executed[1] FROM schema_meta WHERE subsystem = 'enterprise'", "000_base" },
		{ NOTHING_PENDING, "0" },
		{ "SELECT count(*) FROM information_schema.columns WHERE table_name = 'developers' "
		  "AND column_name = 'custom_id'", "0" },
	};
	char db[128];

	(void)state;
	make_db("ee-0.35", db, sizeof(db));
	check(db, e, N(e));
	check(db, ee_counts, N(ee_counts));
}

static const struct expect ee_0_36_meta[] = {
	{ "SELECT executed @> ARRAY['000_base', '001_13_to_14', '001_14_to_15', '002_15_to_1', "
	  "'003_100_to_110', '004_110_to_120'] AND executed[1] = '000_base' "
	  "AND NOT executed @> ARRAY['005_120_to_130'] FROM schema_meta WHERE subsystem = 'core'",
	  "t" },
	{ "SELECT executed @> ARRAY['000_base', '001_034_to_035', '002_035_to_035-1'] "
	  "AND executed[1] = '000_base' AND NOT executed @> ARRAY['004_036-2_to_037'] "
	  "FROM schema_meta WHERE subsystem = 'enterprise'", "t" },
};

static void test_ee_0_36(void **state)
{
	static const struct expect e[] = {
		{ NOTHING_PENDING, "0" },
		{ "SELECT pending::text FROM schema_meta WHERE subsystem = 'core'", "{}" },
		{ "SELECT to_regclass('upstreams') IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
		  "information_schema.columns WHERE table_name = 'upstreams' "
		  "AND column_name = 'algorithm')", "t" },
	};
	char db[128];

	(void)state;
	make_db("ee-0.36", db, sizeof(db));
	check(db, ee_0_36_meta, N(ee_0_36_meta));
	check(db, e, N(e));
	check(db, ee_counts, N(ee_counts));
}

static void test_ee_0_36_up_done(void **state)
{
	static const struct expect e[] = {
		{ "SELECT pending::text FROM schema_meta WHERE subsystem = 'core'", "{005_120_to_130}" },
		{ "SELECT pending::text FROM schema_meta WHERE subsystem = 'enterprise'",
		  "{004_036-2_to_037}" },
		{ "SELECT count(*) FROM schema_meta WHERE pending IS NOT NULL AND pending <> '{}' "
		  "AND subsystem NOT IN ('core', 'enterprise')", "0" },
		/* 005's teardown has not run yet: the column exists, unfilled. */
		{ "SELECT count(*) FROM upstreams WHERE algorithm IS NULL", "10" },
		/* 004's teardown (files -> legacy_files) has not run yet either. */
		{ "SELECT to_regclass('legacy_files') IS NULL", "t" },
	};
	char db[128];

	(void)state;
	make_db("ee-0.36-up-done", db, sizeof(db));
	check(db, ee_0_36_meta, N(ee_0_36_meta));
	check(db, e, N(e));
	check(db, ee_counts, N(ee_counts));
}

/* Loads fixture at scale into a fresh database (fixture_load directly, no
 * template) and returns its name in db. */
static void load_scaled(const char *fixture, int scale, const char *db)
{
	struct core_error err = { "" };
	struct fixture_target t;
	char sql[256];

	snprintf(sql, sizeof(sql), "CREATE DATABASE %s OWNER kong", db);
	if (core_sandbox_exec(te.sb, NULL, sql, &err) < 0)
		fail_msg("%s", err.msg);
	memset(&t, 0, sizeof(t));
	t.host = core_sandbox_host(te.sb);
	t.port = core_sandbox_port(te.sb);
	t.user = "kong";
	t.password = "kong";
	t.dbname = db;
	t.kong_sim = te.kong_sim;
	t.workdir = te.tmpdir;
	if (fixture_load(fixture, &t, scale, &err) < 0)
		fail_msg("fixture_load %s scale %d: %s", fixture, scale, err.msg);
}

static void test_scale_2(void **state)
{
	static const struct expect ce[] = {
		{ "SELECT count(*) FROM services", "400" },
		{ "SELECT count(*) FROM routes", "600" },
		{ "SELECT count(*) FROM consumers", "1000" },
		{ "SELECT count(*) FROM plugins", "300" },
		{ "SELECT count(DISTINCT cache_key) FROM plugins", "300" },
		{ "SELECT count(*) FROM keyauth_credentials", "600" },
		{ "SELECT count(*) FROM basicauth_credentials", "200" },
		{ "SELECT count(*) FROM acls", "300" },
		{ "SELECT count(*) FROM jwt_secrets", "100" },
		{ "SELECT count(*) FROM hmacauth_credentials", "100" },
		{ "SELECT count(*) FROM oauth2_credentials", "40" },
		{ "SELECT count(*) FROM upstreams", "20" },
		{ "SELECT count(*) FROM targets", "60" },
		{ "SELECT count(*) FROM certificates", "10" },
		{ "SELECT count(*) FROM snis", "20" },
	};
	static const struct expect ee[] = {
		{ "SELECT count(*) FROM services", "410" },
		{ "SELECT count(*) FROM consumers WHERE type = 0", "1000" },
		{ "SELECT count(*) FROM plugins", "300" },
		{ "SELECT sum(count) FROM workspace_entity_counters WHERE entity_type = 'consumers'",
		  "1008" },
		{ "SELECT count(*) FROM admins", "3" },
	};

	(void)state;
	load_scaled("ce-1.3", 2, "fx_scale2_ce");
	check("fx_scale2_ce", ce, N(ce));
	load_scaled("ee-0.36", 2, "fx_scale2_ee");
	check("fx_scale2_ee", ee, N(ee));
}

/* Number of temporary kong.conf files fixture_load left in dir. */
static int leftover_confs(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "kuw-fixture-", 12) == 0)
			n++;
	}
	closedir(d);
	return n;
}

static void test_names_and_errors(void **state)
{
	static const char *const want[] = {
		"ee-0.36", "ee-0.36-up-done", "ee-0.35", "ce-1.3", "ce-1.2", "ce-1.1", "empty",
	};
	const char *const *names = fixture_names();
	struct core_error err = { "" };
	struct fixture_target t;
	size_t i;

	(void)state;
	for (i = 0; i < N(want); i++) {
		assert_non_null(names[i]);
		assert_string_equal(names[i], want[i]);
	}
	assert_null(names[N(want)]);

	memset(&t, 0, sizeof(t));
	t.host = core_sandbox_host(te.sb);
	t.port = core_sandbox_port(te.sb);
	t.user = "kong";
	t.password = "kong";
	t.dbname = "postgres";
	t.kong_sim = te.kong_sim;
	t.workdir = te.tmpdir;
	assert_int_equal(fixture_load("ce-9.9", &t, 1, &err), -1);
	assert_non_null(strstr(err.msg, "ce-9.9"));
	assert_int_equal(fixture_load("ce-1.3", &t, 0, &err), -1);
	assert_non_null(strstr(err.msg, "scale"));

	/* A kong-sim that cannot run is reported, and no kong.conf is left. */
	t.dbname = "fx_missing_sim";
	t.kong_sim = "/nonexistent/kong-sim";
	assert_int_equal(fixture_load("ce-1.3", &t, 1, &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent/kong-sim"));
	assert_int_equal(leftover_confs(te.tmpdir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_and_errors),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_ce_1_1),
		cmocka_unit_test(test_ce_1_2),
		cmocka_unit_test(test_ce_1_3),
		cmocka_unit_test(test_ee_0_35),
		cmocka_unit_test(test_ee_0_36),
		cmocka_unit_test(test_ee_0_36_up_done),
		cmocka_unit_test(test_scale_2),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
