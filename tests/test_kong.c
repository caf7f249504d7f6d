/* Tests of parsing `kong migrations list` (core/core_kong.c) and of running
 * programs with captured output (core/core_exec.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/core_exec.h"
#include "core/core_kong.h"

/* The table format of reference §1.3, example from Kong/kong#4849 (1.2.1),
 * followed by the pending/new sections and the trailing advice of §1.3 step 4. */
static const char list_output[] =
	"Executed migrations:\n"
	"         core: 000_base, 001_14_to_15, 002_15_to_1, 003_100_to_110, 004_110_to_120\n"
	"          jwt: 000_base_jwt, 001_14_to_15\n"
	"rate-limiting: 000_base_rate_limiting, 001_14_to_15, 002_15_to_10, 003_10_to_112\n"
	"\n"
	"Pending migrations:\n"
	"core: 005_120_to_130\n"
	"\n"
	"New migrations available:\n"
	"enterprise: 004_036-2_to_037\n"
	"\n"
	"Run 'kong migrations finish' when ready to complete pending migrations (postgres database "
	"will be incompatible with the previous Kong version)\n";

static void test_list_parse(void **state)
{
	struct core_kong_list l;
	const struct core_kong_migs *m;

	(void)state;
	memset(&l, 0, sizeof(l));
	assert_int_equal(core_kong_list_parse(list_output, &l), 0);
	assert_int_equal(l.executed.n, 3);
	m = core_kong_table_find(&l.executed, "rate-limiting");
	assert_non_null(m);
	assert_int_equal(m->n, 4);
	assert_string_equal(m->names[3], "003_10_to_112");
	m = core_kong_table_find(&l.executed, "core");
	assert_string_equal(m->names[0], "000_base");
	assert_int_equal(m->n, 5);
	assert_int_equal(l.pending.n, 1);
	assert_string_equal(l.pending.subs[0].names[0], "005_120_to_130");
	m = core_kong_table_find(&l.fresh, "enterprise");
	assert_non_null(m);
	assert_string_equal(m->names[0], "004_036-2_to_037");
	assert_null(core_kong_table_find(&l.fresh, "core"));
	core_kong_list_done(&l);

	memset(&l, 0, sizeof(l));
	assert_int_equal(core_kong_list_parse("Executed migrations:\nnot a table line\n", &l), -1);
	core_kong_list_done(&l);
}

static void test_exec_capture(void **state)
{
	const char *argv[] = { "sh", "-c", "echo out; echo err >&2; exit 3", NULL };
	const char *slow[] = { "sleep", "30", NULL };
	const char *missing[] = { "no-such-program-kuw", NULL };
	const char *env[] = { "KUW_TEST_VAR=seen", NULL };
	const char *show[] = { "sh", "-c", "printf %s \"$KUW_TEST_VAR\"", NULL };
	struct core_exec_result r;
	struct core_error err = { { 0 } };

	(void)state;
	assert_int_equal(core_exec_capture(argv, NULL, 5000, 0, &r, &err), 0);
	assert_int_equal(r.status, 3);
	assert_string_equal(r.out, "out\n");
	assert_string_equal(r.err, "err\n");
	core_exec_result_done(&r);

	assert_int_equal(core_exec_capture(show, env, 5000, 0, &r, &err), 0);
	assert_string_equal(r.out, "seen");
	core_exec_result_done(&r);

	/* "K" removes a variable, "PREFIX*" every variable with that prefix. */
	setenv("KUW_DROP_A", "1", 1);
	setenv("KUW_DROPX_B", "2", 1);
	{
		const char *drop[] = { "KUW_DROP_A", "KUW_DROPX*", NULL };
		const char *showall[] = { "sh", "-c", "printf '%s,%s' \"$KUW_DROP_A\" \"$KUW_DROPX_B\"",
					  NULL };

		assert_int_equal(core_exec_capture(showall, drop, 5000, 0, &r, &err), 0);
		assert_string_equal(r.out, ",");
		core_exec_result_done(&r);
		assert_int_equal(core_exec_capture(showall, NULL, 5000, 0, &r, &err), 0);
		assert_string_equal(r.out, "1,2");
		core_exec_result_done(&r);
	}

	assert_int_equal(core_exec_capture(slow, NULL, 200, 0, &r, &err), 0);
	assert_true(r.timed_out);
	assert_int_equal(r.status, 128 + 9);
	core_exec_result_done(&r);

	assert_int_equal(core_exec_capture(missing, NULL, 1000, 0, &r, &err), -1);
	assert_non_null(strstr(err.msg, "no-such-program-kuw: command not found"));
}

static void test_exec_output_cap(void **state)
{
	const char *argv[] = { "sh", "-c", "head -c 300000 /dev/zero | tr '\\0' x", NULL };
	struct core_exec_result r;
	struct core_error err = { { 0 } };

	(void)state;
	assert_int_equal(core_exec_capture(argv, NULL, 5000, 1000, &r, &err), 0);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.out_len, 1000);
	assert_int_equal(strlen(r.out), 1000);
	core_exec_result_done(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_parse),
		cmocka_unit_test(test_exec_capture),
		cmocka_unit_test(test_exec_output_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
