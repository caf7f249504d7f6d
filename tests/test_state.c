/* Integration tests of the datastore connection and state reader
 * (core/core_pg.c, core/core_state.c) with detection (core/core_catalog.c),
 * against the fixtures in a private PostgreSQL sandbox. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/core_catalog.h"
#include "core/core_pg.h"
#include "core/core_sandbox.h"
#include "core/core_state.h"
#include "tests/support/testenv.h"

static struct testenv te;

static int setup(void **state)
{
	struct core_error err = { { 0 } };

	(void)state;
	if (testenv_start(&te, &err) < 0) {
		fprintf(stderr, "testenv: %s\n", err.msg);
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

static PGconn *connect_fixture(const char *fixture, const char *schema, char *db, size_t size)
{
	struct core_pg_params p = { 0 };
	struct core_error err = { { 0 } };
	PGconn *conn = NULL;

	if (testenv_create_db(&te, fixture, schema, db, size, &err) < 0)
		fail_msg("create db %s: %s", fixture, err.msg);
	p.host = core_sandbox_host(te.sb);
	p.port = core_sandbox_port(te.sb);
	p.user = "kong";
	p.password = "kong";
	p.dbname = db;
	p.schema = schema;
	if (core_pg_connect(&p, &conn, &err) < 0)
		fail_msg("connect: %s", err.msg);
	return conn;
}

static void read_and_detect(const char *fixture, const char *schema, struct core_db_state *st,
			    struct core_detection *d)
{
	struct core_error err = { { 0 } };
	char db[128];
	PGconn *conn = connect_fixture(fixture, schema, db, sizeof(db));

	if (core_state_read(conn, st, &err) < 0)
		fail_msg("state of %s: %s", fixture, err.msg);
	PQfinish(conn);
	core_catalog_detect(st->has_schema_meta, st->rows, st->n_rows, d);
}

static void test_ee_036(void **state)
{
	struct core_db_state st;
	struct core_detection d;
	const struct core_schema_row *core;

	(void)state;
	read_and_detect("ee-0.36", NULL, &st, &d);
	assert_int_equal(st.round_trips, 2);
	assert_int_equal(d.kind, CORE_DETECT_RELEASE);
	assert_string_equal(d.from->id, "ee-0.36");
	assert_string_equal(st.schema, "public");
	assert_true(st.server_version_num >= 90500);
	core = core_state_row(&st, "core");
	assert_non_null(core);
	/* §2.1: bootstrap at 0.35 ran 002_15_to_1's teardown, so pending is '{}'. */
	assert_false(core->pending_null);
	assert_int_equal(core->n_pending, 0);
	assert_true(core_state_count(&st, "services") > 0);
	assert_true(core_state_count(&st, "rbac_users") > 0);
	assert_true(core_state_count(&st, "files") > 0);
	assert_int_equal(core_state_count(&st, "legacy_files"), -1);
	assert_true(st.ee_counter_sum > 0);
	assert_true(st.n_plugins_in_use > 0);
	assert_false(st.lock.held);
	core_state_done(&st);
}

static void test_up_done_and_lock(void **state)
{
	struct core_db_state st;
	struct core_detection d;
	struct core_error err = { { 0 } };
	char db[128];
	PGconn *conn;
	PGresult *res;

	(void)state;
	read_and_detect("ee-0.36-up-done", NULL, &st, &d);
	assert_int_equal(d.kind, CORE_DETECT_UP_DONE);
	assert_string_equal(d.from->id, "ee-0.36");
	assert_string_equal(d.to->id, "ee-1.3");
	assert_string_equal(core_state_row(&st, "core")->pending[0], "005_120_to_130");
	core_state_done(&st);

	/* §2.3: a lock row with an expired ttl is stale. */
	conn = connect_fixture("ce-1.3", NULL, db, sizeof(db));
	res = PQexec(conn, "INSERT INTO locks (key, owner, ttl) VALUES ('migrations', "
			   "'0b6f4a0e-0000-4000-8000-000000000001', now() - interval '5 minutes')");
	assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	assert_int_equal(core_state_read(conn, &st, &err), 0);
	assert_true(st.lock.held);
	assert_true(st.lock.expired);
	assert_string_equal(st.lock.owner, "0b6f4a0e-0000-4000-8000-000000000001");
	core_state_done(&st);
	PQfinish(conn);
}

static void test_community_and_empty(void **state)
{
	struct core_db_state st;
	struct core_detection d;

	(void)state;
	read_and_detect("ce-1.2", NULL, &st, &d);
	assert_int_equal(d.kind, CORE_DETECT_RELEASE);
	assert_string_equal(d.from->id, "ce-1.2");
	assert_int_equal(st.ee_counter_sum, -1);
	assert_int_equal(core_state_count(&st, "rbac_users"), -1);
	core_state_done(&st);

	read_and_detect("ee-0.35", NULL, &st, &d);
	assert_int_equal(d.kind, CORE_DETECT_RELEASE);
	assert_string_equal(d.from->id, "ee-0.35");
	core_state_done(&st);

	read_and_detect("ce-1.1", NULL, &st, &d);
	assert_string_equal(d.from->id, "ce-1.1");
	core_state_done(&st);

	read_and_detect("empty", NULL, &st, &d);
	assert_int_equal(d.kind, CORE_DETECT_EMPTY);
	assert_false(st.has_schema_meta);
	core_state_done(&st);
}

/* pg_schema other than public: Kong looks only at the current schema (§2.2). */
static void test_pg_schema(void **state)
{
	struct core_db_state st;
	struct core_detection d;

	(void)state;
	read_and_detect("ce-1.3", "kong_schema", &st, &d);
	assert_string_equal(st.schema, "kong_schema");
	assert_int_equal(d.kind, CORE_DETECT_RELEASE);
	assert_string_equal(d.from->id, "ce-1.3");
	core_state_done(&st);
}

static void test_connect_errors(void **state)
{
	struct core_pg_params p = { 0 };
	struct core_error err = { { 0 } };
	PGconn *conn = NULL;

	(void)state;
	p.host = core_sandbox_host(te.sb);
	p.port = core_sandbox_port(te.sb);
	p.user = "kong";
	p.password = "not-the-password-7c1e";
	p.dbname = "postgres";
	assert_int_equal(core_pg_connect(&p, &conn, &err), -1);
	assert_null(conn);
	assert_non_null(strstr(err.msg, "password authentication failed"));
	assert_non_null(strstr(err.msg, "127.0.0.1"));
	assert_null(strstr(err.msg, "not-the-password-7c1e"));

	/* Nothing listens on port 1: refused, quickly. */
	p.port = 1;
	p.password = "kong";
	p.connect_timeout_s = 3;
	assert_int_equal(core_pg_connect(&p, &conn, &err), -1);
	assert_non_null(strstr(err.msg, "127.0.0.1:1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ee_036),
		cmocka_unit_test(test_up_done_and_lock),
		cmocka_unit_test(test_community_and_empty),
		cmocka_unit_test(test_pg_schema),
		cmocka_unit_test(test_connect_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
