/* Tests of the one-operator lock (core/core_oplock.c), SPEC §5. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/core_oplock.h"
#include "core/core_pg.h"
#include "core/core_sandbox.h"
#include "tests/support/testenv.h"

static struct testenv te;

static int setup(void **state)
{
	struct core_error err = { { 0 } };

	(void)state;
	if (testenv_start(&te, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
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

static PGconn *connect_as(const char *db, const char *app)
{
	struct core_pg_params p = { 0 };
	struct core_error err = { { 0 } };
	PGconn *c = NULL;

	p.host = core_sandbox_host(te.sb);
	p.port = core_sandbox_port(te.sb);
	p.user = "kong";
	p.password = "kong";
	p.dbname = db;
	p.application_name = app;
	if (core_pg_connect(&p, &c, &err) < 0)
		fail_msg("%s", err.msg);
	return c;
}

static void test_second_operator_refused(void **state)
{
	struct core_oplock_holder h;
	struct core_error err = { { 0 } };
	char db[128], text[512];
	PGconn *a, *b;

	(void)state;
	assert_int_equal(testenv_create_db(&te, "ee-0.36", NULL, db, sizeof(db), &err), 0);
	a = connect_as(db, "kong-upgrade-wizard (alice on pts/1 from 10.0.0.5)");
	b = connect_as(db, "kong-upgrade-wizard (bob on pts/2 from 10.0.0.6)");

	assert_int_equal(core_oplock_try(a, &h, &err), 1);
	/* Session-level advisory locks are re-entrant for the holder. */
	assert_int_equal(core_oplock_try(a, &h, &err), 1);
	assert_int_equal(core_oplock_try(b, &h, &err), 0);
	assert_true(h.found);
	assert_string_equal(h.application, "kong-upgrade-wizard (alice on pts/1 from 10.0.0.5)");
	assert_string_equal(h.user, "kong");
	assert_string_equal(h.host, "127.0.0.1");
	core_oplock_describe(&h, text, sizeof(text));
	assert_non_null(strstr(text, "alice on pts/1"));
	assert_non_null(strstr(text, "since 20"));

	/* The holder's death releases it: nothing can go stale. The server ends
	 * the holder's backend after the client has gone, so wait for it (5 s). */
	PQfinish(a);
	{
		const struct timespec tick = { 0, 20 * 1000 * 1000 };
		int taken = 0;
		int i;

		for (i = 0; i < 250 && taken == 0; i++) {
			taken = core_oplock_try(b, &h, &err);
			if (taken == 0)
				nanosleep(&tick, NULL);
		}
		assert_int_equal(taken, 1);
	}
	assert_int_equal(core_oplock_release(b, &err), 0);
	PQfinish(b);
}

static void test_other_database_is_independent(void **state)
{
	struct core_oplock_holder h;
	struct core_error err = { { 0 } };
	char db1[128], db2[128];
	PGconn *a, *b;

	(void)state;
	assert_int_equal(testenv_create_db(&te, "empty", NULL, db1, sizeof(db1), &err), 0);
	assert_int_equal(testenv_create_db(&te, "empty", NULL, db2, sizeof(db2), &err), 0);
	a = connect_as(db1, "wizard one");
	b = connect_as(db2, "wizard two");
	assert_int_equal(core_oplock_try(a, &h, &err), 1);
	assert_int_equal(core_oplock_try(b, &h, &err), 1);
	assert_int_equal(core_oplock_holder(b, &h, &err), 0);
	assert_false(h.found);
	PQfinish(a);
	PQfinish(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_second_operator_refused),
		cmocka_unit_test(test_other_database_is_independent),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
