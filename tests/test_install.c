/* `cmake --install` puts the binary, the man page and the example wizard
 * config where an operator looks for them (SPEC §3, §6). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/support/testenv.h"

#ifndef KUW_BUILD_DIR
#error "KUW_BUILD_DIR must name the build tree"
#endif

static void expect_file(const char *prefix, const char *rel, mode_t exec_bits)
{
	char path[4200];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", prefix, rel);
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		fail_msg("not installed: %s", path);
	if (exec_bits != 0 && (st.st_mode & exec_bits) == 0)
		fail_msg("not executable: %s", path);
}

static void test_install_layout(void **state)
{
	struct core_error err = { { 0 } };
	struct testenv_run run;
	char prefix[] = "/tmp/kuw-install-XXXXXX";
	char bin[4200];
	const char *argv[] = { "cmake", "--install", KUW_BUILD_DIR, "--prefix", prefix, NULL };
	const char *version[] = { bin, "--version", NULL };
	const char *rm[] = { "rm", "-rf", prefix, NULL };

	(void)state;
	assert_non_null(mkdtemp(prefix));
	assert_int_equal(testenv_run(argv, NULL, &run, &err), 0);
	if (run.status != 0)
		fail_msg("cmake --install: %s%s", run.out, run.err);
	testenv_run_done(&run);
	expect_file(prefix, "bin/kong-upgrade-wizard", S_IXUSR);
	expect_file(prefix, "share/man/man1/kong-upgrade-wizard.1", 0);
	expect_file(prefix, "etc/kong/upgrade-wizard.conf.example", 0);
	snprintf(bin, sizeof(bin), "%s/bin/kong-upgrade-wizard", prefix);
	assert_int_equal(testenv_run(version, NULL, &run, &err), 0);
	assert_non_null(strstr(run.out, "kong-upgrade-wizard "));
	testenv_run_done(&run);
	assert_int_equal(testenv_run(rm, NULL, &run, &err), 0);
	testenv_run_done(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_install_layout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
