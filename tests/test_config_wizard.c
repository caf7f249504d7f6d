/* Tests of the wizard configuration loader (config/config_wizard.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config_wizard.h"

static char tmpdir[] = "/tmp/kuw-cfgtest-XXXXXX";

static const char *write_conf(const char *name, const char *text)
{
	static char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void test_defaults_without_file(void **state)
{
	struct config_wizard *cw = NULL;
	struct core_error err = { { 0 } };
	char path[4096];

	(void)state;
	snprintf(path, sizeof(path), "%s/absent.conf", tmpdir);
	assert_int_equal(config_wizard_load_file(path, true, &cw, &err), 0);
	assert_null(cw->path);
	assert_string_equal(cw->kong_binary, "kong");
	assert_null(cw->kong_conf);
	assert_string_equal(cw->state_dir, "/var/lib/kong-upgrade-wizard");
	assert_string_equal(cw->backup_dir, "/var/backups/kong-upgrade-wizard");
	assert_int_equal(cw->backup_max_age_ms, 24L * 3600 * 1000);
	assert_int_equal(cw->poll_interval_ms, 1000);
	assert_int_equal(cw->min_soak_ms, 5L * 60 * 1000);
	assert_true(cw->idle_rate > 0.49 && cw->idle_rate < 0.51);
	assert_int_equal(cw->old_cluster.n_admin_urls, 0);
	assert_int_equal(cw->n_waive, 0);
	config_wizard_free(cw);
}

static void test_explicit_missing_file_fails(void **state)
{
	struct config_wizard *cw = NULL;
	struct core_error err = { { 0 } };
	char path[4096];

	(void)state;
	snprintf(path, sizeof(path), "%s/nope.conf", tmpdir);
	assert_int_equal(config_wizard_load(path, &cw, &err), -1);
	assert_null(cw);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "No such file"));
}

/* The shape of SPEC §6, verbatim. */
static void test_spec_example(void **state)
{
	const char *path = write_conf("spec.conf",
		"kong {\n"
		"  binary = \"kong\"                    # the NEW (1.3) kong CLI; PATH is searched\n"
		"  conf   = \"/etc/kong/kong.conf\"     # passed as -c\n"
		"}\n"
		"state_dir = \"/var/lib/kong-upgrade-wizard\"\n"
		"backup {\n"
		"  dir     = \"/var/backups/kong-upgrade-wizard\"\n"
		"  max_age = 24h\n"
		"}\n"
		"cluster old { admin_urls = {\"http://10.0.0.11:8001\", \"http://10.0.0.12:8001\"} }\n"
		"cluster new { admin_urls = {\"http://10.0.1.11:8001\"}  token_file = \"/etc/kong/admin-token\" }\n"
		"traffic { poll_interval = 1s  idle_rate = 0.5  min_soak = 5m }\n"
		"checks  { waive = {} }\n");
	struct config_wizard *cw = NULL;
	struct core_error err = { { 0 } };

	(void)state;
	assert_int_equal(config_wizard_load(path, &cw, &err), 0);
	assert_string_equal(cw->path, path);
	assert_string_equal(cw->kong_conf, "/etc/kong/kong.conf");
	assert_int_equal(cw->old_cluster.n_admin_urls, 2);
	assert_string_equal(cw->old_cluster.admin_urls[1], "http://10.0.0.12:8001");
	assert_int_equal(cw->new_cluster.n_admin_urls, 1);
	assert_string_equal(cw->new_cluster.token_file, "/etc/kong/admin-token");
	assert_null(cw->old_cluster.token_file);
	config_wizard_free(cw);
}

static void test_example_file_parses(void **state)
{
	const char *src = getenv("KUW_SOURCE_DIR");
	struct config_wizard *cw = NULL;
	struct core_error err = { { 0 } };
	char path[4096];

	(void)state;
	assert_non_null(src);
	snprintf(path, sizeof(path), "%s/config/upgrade-wizard.conf.example", src);
	assert_int_equal(config_wizard_load(path, &cw, &err), 0);
	assert_string_equal(cw->kong_binary, "kong");
	config_wizard_free(cw);
}

static void test_durations_and_waivers(void **state)
{
	const char *path = write_conf("d.conf",
		"backup { max_age = 90m }\n"
		"traffic { poll_interval = 250ms min_soak = 2h idle_rate = 0 }\n"
		"checks { waive = {\"disk-space\", \"old-nodes-reachable\"} }\n");
	struct config_wizard *cw = NULL;
	struct core_error err = { { 0 } };
	long ms = 0;

	(void)state;
	assert_int_equal(config_wizard_load(path, &cw, &err), 0);
	assert_int_equal(cw->backup_max_age_ms, 90L * 60 * 1000);
	assert_int_equal(cw->poll_interval_ms, 250);
	assert_int_equal(cw->min_soak_ms, 2L * 3600 * 1000);
	assert_int_equal(cw->n_waive, 2);
	assert_string_equal(cw->waive[1], "old-nodes-reachable");
	config_wizard_free(cw);

	assert_int_equal(config_parse_duration("30", &ms), 0);
	assert_int_equal(ms, 30000);
	assert_int_equal(config_parse_duration("1d", &ms), 0);
	assert_int_equal(ms, 86400000);
	assert_int_equal(config_parse_duration("5 m", &ms), -1);
	assert_int_equal(config_parse_duration("-5m", &ms), -1);
	assert_int_equal(config_parse_duration("5y", &ms), -1);
	assert_int_equal(config_parse_duration("", &ms), -1);
}

/* Every bad input names the file and the line. */
static void expect_error(const char *name, const char *text, const char *line, const char *what)
{
	const char *path = write_conf(name, text);
	struct config_wizard *cw = NULL;
	struct core_error err = { { 0 } };
	char where[4200];

	if (config_wizard_load(path, &cw, &err) != -1)
		fail_msg("%s: loaded, expected an error about %s", name, what);
	assert_null(cw);
	snprintf(where, sizeof(where), "%s:%s:", path, line);
	if (strstr(err.msg, where) == NULL || strstr(err.msg, what) == NULL)
		fail_msg("expected '%s' and '%s' in: %s", where, what, err.msg);
}

static void test_errors_name_file_and_line(void **state)
{
	(void)state;
	expect_error("e1.conf", "kong {\n binray = \"x\"\n}\n", "2", "binray");
	expect_error("e2.conf", "\n\nbackup { max_age = soon }\n", "3", "not a duration");
	expect_error("e3.conf", "cluster blue { admin_urls = {\"http://a:8001\"} }\n", "1",
		     "'old' or 'new'");
	expect_error("e4.conf", "\ncluster old { admin_urls = {\"ftp://a\"} }\n", "2",
		     "not an http:// or https:// URL");
	expect_error("e5.conf", "traffic {\n idle_rate = -1\n}\n", "3", "idle_rate");
	expect_error("e6.conf", "\n\ntraffic { idle_rate = \"fast\" }\n", "3", "idle_rate");
	expect_error("e7.conf", "cluster old { token_file = \"/a\" token_env = \"T\" }\n", "1",
		     "not both");
}

static int teardown_dir(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static int setup_dir(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_without_file),
		cmocka_unit_test(test_explicit_missing_file_fails),
		cmocka_unit_test(test_spec_example),
		cmocka_unit_test(test_example_file_parses),
		cmocka_unit_test(test_durations_and_waivers),
		cmocka_unit_test(test_errors_name_file_and_line),
	};
	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
