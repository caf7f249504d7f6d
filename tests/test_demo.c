/* The demo (SPEC §7) without a terminal: it must bring up the sandbox with the
 * Kong Enterprise 0.36 datastore and the stand-in nodes, show what the wizard
 * sees, and leave nothing behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/support/testenv.h"

static void test_demo_headless(void **state)
{
	struct core_error err = { { 0 } };
	struct testenv_run run;
	const char *wizard = getenv("KUW_WIZARD");
	const char *argv[] = { wizard, "demo", NULL };
	char dir[512] = "";
	const char *p;
	struct stat st;

	(void)state;
	assert_non_null(wizard);
	assert_int_equal(testenv_run(argv, NULL, &run, &err), 0);
	if (run.status != 0)
		fail_msg("demo exited %d:\n%s\n%s", run.status, run.out, run.err);
	assert_non_null(strstr(run.out, "Datastore: Kong Enterprise 0.36"));
	assert_non_null(strstr(run.out, "Path:      ee-0.36-to-ee-1.3, phase not-started"));
	assert_non_null(strstr(run.out, "Removing the sandbox..."));
	/* The sandbox directory is gone afterwards. */
	p = strstr(run.out, "Its kong.conf: ");
	assert_non_null(p);
	sscanf(p, "Its kong.conf: %511[^\n]", dir);
	*strrchr(dir, '/') = '\0';
	assert_int_equal(stat(dir, &st), -1);
	testenv_run_done(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demo_headless),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
