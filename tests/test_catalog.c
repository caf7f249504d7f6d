/* Tests of the release catalog and detection (core/core_catalog.c). The
 * migration lists are those of reference kong-migrations.md §3. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/core_catalog.h"

/* A schema_meta row built from string literals. */
#define ROW(sub, ex, pe)                                                                       \
	{ sub, NULL, ex, sizeof(ex) / sizeof(char *), pe, sizeof(pe) / sizeof(char *), false }
/* A row with pending NULL (never used) or '{}' (emptied by a teardown), §2.1. */
#define ROW0(sub, ex, pnull) { sub, NULL, ex, sizeof(ex) / sizeof(char *), NULL, 0, pnull }
#define EMPTY(sub) { sub, NULL, NULL, 0, NULL, 0, true }

/* EE 0.36-2 as bootstrapped at 0.35 and upgraded (execution order differs
 * from index order, §2.1). */
static char *ee036_core[] = { "000_base", "001_13_to_14", "001_14_to_15",
					  "002_15_to_1", "003_100_to_110", "004_110_to_120" };
static char *ee036_ent[] = { "000_base", "001_034_to_035", "002_035_to_035-1",
					 "003_035-1_to_036-2" };
static char *ce12_core[] = { "000_base", "001_14_to_15", "002_15_to_1",
					  "003_100_to_110", "004_110_to_120" };
static char *core005[] = { "005_120_to_130" };
static char *ent004[] = { "004_036-2_to_037" };
static char *acl[] = { "000_base_acl", "001_14_to_15" };

static void test_empty_and_release(void **state)
{
	struct core_schema_row rows[] = {
		ROW0("core", ee036_core, true),
		ROW0("acl", acl, false),
		ROW0("enterprise", ee036_ent, false),
	};
	struct core_detection d;

	(void)state;
	core_catalog_detect(false, NULL, 0, &d);
	assert_int_equal(d.kind, CORE_DETECT_EMPTY);

	core_catalog_detect(true, rows, 3, &d);
	assert_int_equal(d.kind, CORE_DETECT_RELEASE);
	assert_string_equal(d.from->id, "ee-0.36");
	assert_int_equal(d.from->edition, CORE_EDITION_ENTERPRISE);

	/* Without enterprise 003 it is 0.36-0/-1 (§3.3). */
	rows[2].n_executed = 3;
	core_catalog_detect(true, rows, 3, &d);
	assert_int_equal(d.kind, CORE_DETECT_RELEASE);
	assert_string_equal(d.from->id, "ee-0.36-1");

	/* Community 1.2: no enterprise row, core without 001_13_to_14. */
	rows[0] = (struct core_schema_row)ROW0("core", ce12_core, true);
	core_catalog_detect(true, rows, 2, &d);
	assert_int_equal(d.kind, CORE_DETECT_RELEASE);
	assert_string_equal(d.from->id, "ce-1.2");
	assert_int_equal(d.from->edition, CORE_EDITION_COMMUNITY);
}

static void test_up_done_ee(void **state)
{
	struct core_schema_row rows[] = {
		ROW("core", ee036_core, core005),
		ROW("enterprise", ee036_ent, ent004),
	};
	struct core_detection d;

	(void)state;
	core_catalog_detect(true, rows, 2, &d);
	assert_int_equal(d.kind, CORE_DETECT_UP_DONE);
	assert_string_equal(d.from->id, "ee-0.36");
	assert_string_equal(d.to->id, "ee-1.3");
}

/* Community 1.2 after EE 1.3 `up`: §3.3 "Expected work, CE 1.2 -> EE 1.3.0.0". */
static void test_up_done_ce_to_ee(void **state)
{
	static char *core_pending[] = { "001_13_to_14", "005_120_to_130" };
	static char *ent_exec[] = { "000_base" };
	static char *ent_pending[] = { "001_034_to_035", "002_035_to_035-1",
						   "003_035-1_to_036-2", "004_036-2_to_037" };
	struct core_schema_row rows[] = {
		ROW("core", ce12_core, core_pending),
		ROW("enterprise", ent_exec, ent_pending),
	};
	struct core_detection d;

	(void)state;
	core_catalog_detect(true, rows, 2, &d);
	assert_int_equal(d.kind, CORE_DETECT_UP_DONE);
	assert_string_equal(d.from->id, "ce-1.2");
	assert_string_equal(d.to->id, "ee-1.3");
}

/* Kong failed half-way (§1.7: earlier migrations of the run stay recorded). */
static void test_partial_steps(void **state)
{
	static char *core_after_finish[] = { "000_base", "001_13_to_14", "001_14_to_15",
					     "002_15_to_1", "003_100_to_110", "004_110_to_120",
					     "005_120_to_130" };
	struct core_schema_row up_half[] = {
		ROW("core", ee036_core, core005),
		ROW0("enterprise", ee036_ent, false),
	};
	struct core_schema_row finish_half[] = {
		ROW0("core", core_after_finish, false),
		ROW("enterprise", ee036_ent, ent004),
	};
	struct core_detection d;

	(void)state;
	/* up ran core 005 and failed at enterprise 004: not resumable by up. */
	core_catalog_detect(true, up_half, 2, &d);
	assert_int_equal(d.kind, CORE_DETECT_UP_PARTIAL);
	assert_string_equal(d.from->id, "ee-0.36");
	assert_string_equal(d.to->id, "ee-1.3");
	assert_non_null(strstr(d.reason, "stopped half-way"));

	/* finish tore down core 005 and failed at enterprise 004: finish again. */
	core_catalog_detect(true, finish_half, 2, &d);
	assert_int_equal(d.kind, CORE_DETECT_UP_DONE);
	assert_true(d.partial);
	assert_null(d.from);
	assert_string_equal(d.to->id, "ee-1.3");
}

static void test_unknown_and_odd_pending(void **state)
{
	static char *odd[] = { "000_base", "999_custom" };
	static char *weird_pending[] = { "042_not_a_migration" };
	struct core_schema_row rows[] = { ROW0("core", odd, true) };
	struct core_schema_row rows2[] = { ROW("core", ee036_core, weird_pending) };
	struct core_detection d;

	(void)state;
	core_catalog_detect(true, rows, 1, &d);
	assert_int_equal(d.kind, CORE_DETECT_UNKNOWN);
	assert_non_null(strstr(d.reason, "match no known Kong release"));

	core_catalog_detect(true, rows2, 1, &d);
	assert_int_equal(d.kind, CORE_DETECT_PENDING);
	assert_non_null(strstr(d.reason, "1 pending migration that belong"));

	{
		struct core_schema_row e[] = { EMPTY("core") };

		core_catalog_detect(true, e, 1, &d);
		assert_int_equal(d.kind, CORE_DETECT_UNKNOWN);
	}
}

/* §5.7 and §1.10: `kong version` prints "1.3.0" (CE) or "Kong Enterprise <ver>". */
static void test_parse_kong_version(void **state)
{
	char v[16];

	(void)state;
	assert_int_equal(core_catalog_parse_kong_version("1.3.0\n", v, sizeof(v)),
			 CORE_EDITION_COMMUNITY);
	assert_string_equal(v, "1.3");
	assert_int_equal(core_catalog_parse_kong_version("Kong Enterprise 1.3.0.0\n", v, sizeof(v)),
			 CORE_EDITION_ENTERPRISE);
	assert_string_equal(v, "1.3");
	assert_int_equal(core_catalog_parse_kong_version("Kong Enterprise 0.36-2", v, sizeof(v)),
			 CORE_EDITION_ENTERPRISE);
	assert_string_equal(v, "0.36");
	assert_int_equal(core_catalog_parse_kong_version("1.3-enterprise-edition", v, sizeof(v)),
			 CORE_EDITION_ENTERPRISE);
	assert_int_equal(core_catalog_parse_kong_version("bash: kong: not found", v, sizeof(v)),
			 CORE_EDITION_UNKNOWN);
}

static void test_catalog_lists(void **state)
{
	const struct core_catalog_release *r = core_catalog_release("ee-1.3");
	const struct core_catalog_subsystem *s;

	(void)state;
	assert_non_null(r);
	s = core_catalog_subsystem(r, "core");
	assert_int_equal(s->n, 7);
	assert_string_equal(s->migrations[6].name, "005_120_to_130");
	assert_true(s->migrations[6].teardown); /* §3.1: 005 has a teardown */
	s = core_catalog_subsystem(r, "enterprise");
	assert_string_equal(s->migrations[4].name, "004_036-2_to_037");
	assert_false(s->migrations[0].teardown); /* §3.3: no PG teardown for 000_base */
	assert_null(core_catalog_subsystem(core_catalog_release("ce-1.2"), "session"));
	assert_non_null(core_catalog_subsystem(core_catalog_release("ce-1.3"), "session"));
	assert_null(core_catalog_release("ee-9.9"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_and_release),
		cmocka_unit_test(test_up_done_ee),
		cmocka_unit_test(test_up_done_ce_to_ee),
		cmocka_unit_test(test_partial_steps),
		cmocka_unit_test(test_unknown_and_odd_pending),
		cmocka_unit_test(test_parse_kong_version),
		cmocka_unit_test(test_catalog_lists),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
