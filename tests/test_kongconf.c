/* test_kongconf.c — the kong.conf reader against Kong 1.3's own rules.
 *
 * Sources named in comments: [REF §6] = shared/reference/kong-migrations.md
 * section 6; [PL] = Penlight lua/pl/config.lua; [CL] = Kong 1.3
 * kong/conf_loader.lua; [SPEC] = Kong spec/01-unit/03-conf_loader_spec.lua;
 * [FIX] = Kong spec/fixtures/to-strip.conf (copy in tests/data/kongconf). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config_kongconf.h"
#include "config/config_kongconf_keys.h"

static char tmpdir[256];

/* tests/data/kongconf/<name>: from $KUW_SOURCE_DIR (set by ctest), else
 * beside this source file. */
static void data_path(char *buf, size_t size, const char *name)
{
	const char *src = getenv("KUW_SOURCE_DIR");
	char file[4096];

	if (src != NULL) {
		snprintf(buf, size, "%s/tests/data/kongconf/%s", src, name);
		return;
	}
	snprintf(file, sizeof(file), "%s", __FILE__);
	snprintf(buf, size, "%s/data/kongconf/%s", dirname(file), name);
}

static void write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static char *tmp_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", tmpdir, name);
	return buf;
}

/* Parses text with envp; fails the test on error. */
static struct config_kongconf *parse(const char *text, char *const *envp)
{
	struct config_kongconf *kc = NULL;
	struct core_error err = {""};

	if (config_kongconf_parse(text, "t.conf", envp, &kc, &err) != 0)
		fail_msg("parse failed: %s", err.msg);
	return kc;
}

/* Parses text that must fail; returns the message. */
static void parse_fails(const char *text, const char *want)
{
	struct config_kongconf *kc = NULL;
	struct core_error err = {""};

	assert_int_equal(config_kongconf_parse(text, "t.conf", NULL, &kc, &err), -1);
	assert_null(kc);
	assert_string_equal(err.msg, want);
}

static void assert_value(const char *text, const char *key, const char *want)
{
	struct config_kongconf *kc = parse(text, NULL);
	const char *got = config_kongconf_get(kc, key);

	if (want == NULL) {
		if (got != NULL)
			fail_msg("%s: want unset, got '%s'", key, got);
	} else if (got == NULL || strcmp(got, want) != 0) {
		fail_msg("%s: want '%s', got '%s'", key, want, got != NULL ? got : "(unset)");
	}
	config_kongconf_free(kc);
}

static int setup_tmp(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kuw-kongconf-XXXXXX");
	return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

static int teardown_tmp(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_defaults(void **state)
{
	struct config_kongconf *kc = parse("", NULL);
	const char *file = "x";
	int line = 7;

	(void)state;
	/* [REF §6] keys/defaults of kong_defaults.lua 1.3 */
	assert_string_equal(config_kongconf_get(kc, "pg_host"), "127.0.0.1");
	assert_string_equal(config_kongconf_get(kc, "pg_port"), "5432");
	assert_string_equal(config_kongconf_get(kc, "pg_timeout"), "5000");
	assert_string_equal(config_kongconf_get(kc, "pg_user"), "kong");
	assert_string_equal(config_kongconf_get(kc, "database"), "postgres");
	assert_string_equal(config_kongconf_get(kc, "prefix"), "/usr/local/kong/");
	assert_string_equal(config_kongconf_get(kc, "admin_listen"),
			    "127.0.0.1:8001, 127.0.0.1:8444 ssl");
	/* [REF §6] pg_password / pg_schema default NONE = no value */
	assert_null(config_kongconf_get(kc, "pg_password"));
	assert_null(config_kongconf_get(kc, "pg_schema"));
	/* [REF §5.3/§5.4] Enterprise defaults */
	assert_string_equal(config_kongconf_get(kc, "enforce_rbac"), "off");
	assert_string_equal(config_kongconf_get(kc, "rbac_auth_header"), "Kong-Admin-Token");
	assert_null(config_kongconf_get(kc, "admin_api_uri"));
	assert_null(config_kongconf_get(kc, "admin_gui_url"));
	assert_null(config_kongconf_get(kc, "admin_gui_session_conf"));
	assert_string_equal(config_kongconf_get(kc, "admin_gui_listen"),
			    "0.0.0.0:8002, 0.0.0.0:8445 ssl");
	assert_string_equal(config_kongconf_get(kc, "admin_gui_auth_header"), "Kong-Admin-User");
	assert_string_equal(config_kongconf_get(kc, "portal_gui_listen"),
			    "0.0.0.0:8003, 0.0.0.0:8446 ssl");
	assert_string_equal(config_kongconf_get(kc, "portal_api_listen"),
			    "0.0.0.0:8004, 0.0.0.0:8447 ssl");
	assert_string_equal(config_kongconf_get(kc, "portal_gui_protocol"), "http");
	assert_string_equal(config_kongconf_get(kc, "portal_gui_host"), "127.0.0.1:8003");
	assert_false(config_kongconf_get_bool(kc, "portal"));
	assert_false(config_kongconf_get_bool(kc, "portal_is_legacy"));
	assert_true(config_kongconf_get_bool(kc, "anonymous_reports"));
	assert_int_equal(config_kongconf_origin(kc, "pg_host", &file, &line),
			 CONFIG_KONGCONF_DEFAULT);
	assert_null(file);
	assert_int_equal(line, 0);
	assert_string_equal(config_kongconf_path(kc), "t.conf");
	assert_int_equal(config_kongconf_item_count(kc), 0);
	assert_null(config_kongconf_item_at(kc, 0));
	config_kongconf_free(kc);
}

/* The shipped kong.conf.default is all comments: everything is a default. */
static void test_conf_default_all_comments(void **state)
{
	struct config_kongconf *kc = NULL;
	struct config_kongconf *def = parse("", NULL);
	struct core_error err = {""};
	char path[4096];
	size_t i;

	(void)state;
	data_path(path, sizeof(path), "kong-1.3.0.conf.default");
	if (config_kongconf_load(path, NULL, &kc, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(config_kongconf_path(kc), path);
	assert_int_equal(config_kongconf_item_count(kc), 0);
	for (i = 0; i < config_kongconf_defaults_count; i++) {
		const char *k = config_kongconf_defaults[i].key;
		const char *a = config_kongconf_get(kc, k);
		const char *b = config_kongconf_get(def, k);

		assert_true((a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0));
		assert_int_equal(config_kongconf_origin(kc, k, NULL, NULL),
				 CONFIG_KONGCONF_DEFAULT);
	}
	config_kongconf_free(kc);
	config_kongconf_free(def);
}

/* Uncomments every `#key = value  # doc` line of kong.conf.default: each key
 * must be known and its documented default must equal our table's. */
static void test_conf_default_uncommented(void **state)
{
	struct config_kongconf *kc = NULL;
	struct config_kongconf *def = parse("", NULL);
	char path[4096];
	char line[4096];
	char *text = NULL;
	size_t len = 0;
	size_t cap = 1 << 16;
	size_t nkeys = 0;
	size_t nquirk = 0;
	size_t i;
	FILE *f;

	(void)state;
	data_path(path, sizeof(path), "kong-1.3.0.conf.default");
	f = fopen(path, "r");
	assert_non_null(f);
	text = calloc(1, cap);
	assert_non_null(text);
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t k = 1;

		if (line[0] != '#')
			continue;
		while ((line[k] >= 'a' && line[k] <= 'z') || line[k] == '_' ||
		       (line[k] >= '0' && line[k] <= '9'))
			k++;
		if (k == 1 || strncmp(line + k, " =", 2) != 0)
			continue;
		assert_true(len + strlen(line) < cap);
		memcpy(text + len, line + 1, strlen(line + 1));
		len += strlen(line + 1);
		nkeys++;
	}
	fclose(f);
	assert_true(nkeys >= 80);
	kc = parse(text, NULL);
	assert_int_equal(config_kongconf_item_count(kc), nkeys);
	for (i = 0; i < config_kongconf_item_count(kc); i++) {
		const struct config_kongconf_item *it = config_kongconf_item_at(kc, i);
		const char *a = config_kongconf_get(kc, it->key);
		const char *b = config_kongconf_get(def, it->key);

		if (it->fate != CONFIG_KONGCONF_USED)
			fail_msg("line %d: %s not known", it->line, it->key);
		/* [REF §6] quirk: `#pg_password =    # Postgres user's password.`
		 * uncommented gives a value starting with `#`, which Kong does
		 * not strip: the doc text becomes the value */
		if (a != NULL && a[0] == '#') {
			assert_null(b);
			nquirk++;
			continue;
		}
		if (!((a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0)))
			fail_msg("%s: documented '%s', table '%s'", it->key, a ? a : "(unset)",
				 b ? b : "(unset)");
	}
	assert_true(nquirk > 0);
	assert_string_equal(config_kongconf_get(kc, "pg_password"), "# Postgres user's password.");
	config_kongconf_free(kc);
	config_kongconf_free(def);
	free(text);
}

static void test_to_strip_fixture(void **state)
{
	struct config_kongconf *kc = NULL;
	struct core_error err = {""};
	char path[4096];
	const char *file = NULL;
	int line = 0;

	(void)state;
	data_path(path, sizeof(path), "to-strip.conf");
	if (config_kongconf_load(path, NULL, &kc, &err) != 0)
		fail_msg("%s", err.msg);
	/* [SPEC] "strips comments ending settings" with [FIX] */
	assert_string_equal(config_kongconf_get(kc, "database"), "cassandra");
	assert_string_equal(config_kongconf_get(kc, "log_level"), "debug");
	/* [SPEC] "overcomes penlight's list_delim option": pg_ssl false, the
	 * plugin list stays one comma-separated string */
	assert_false(config_kongconf_get_bool(kc, "pg_ssl"));
	assert_string_equal(config_kongconf_get(kc, "plugins"), "foobar,hello-world");
	/* [SPEC] "correctly parses values containing an octothorpe" */
	assert_string_equal(config_kongconf_get(kc, "pg_password"), "test#123");
	assert_int_equal(config_kongconf_origin(kc, "log_level", &file, &line),
			 CONFIG_KONGCONF_FILE);
	assert_string_equal(file, path);
	assert_int_equal(line, 2);
	config_kongconf_free(kc);
}

static void test_octothorpe_quirks(void **state)
{
	(void)state;
	/* [REF §6] [CL] gsub("[^\\]#.-$", "") then gsub("\\#", "#") then strip */
	assert_value("pg_user = kong # note\n", "pg_user", "kong");
	assert_value("pg_user = a\\#b\n", "pg_user", "a#b");
	/* [REF §6] quirk: `a#b` loses the char before `#` -> "" -> unset */
	assert_value("pg_user = ab#c\n", "pg_user", "a");
	assert_value("pg_user = a#b\n", "pg_user", NULL);
	/* [REF §6] quirk: a value starting with `#` is not stripped */
	assert_value("pg_user = #kong\n", "pg_user", "#kong");
	assert_value("pg_user = ##kong\n", "pg_user", NULL);
	assert_value("pg_user = #a#b\n", "pg_user", "#");
	/* [CL] a backslash before `#` protects it; `\\#` keeps one backslash */
	assert_value("pg_user = a\\\\#b\n", "pg_user", "a\\#b");
}

static void test_continuation(void **state)
{
	struct config_kongconf *kc = NULL;
	const struct config_kongconf_item *it;

	(void)state;
	/* [PL] config.lines: backslash (and whitespace after it) and newline are
	 * removed; the next line is appended as is, leading blanks included */
	assert_value("pg_host = a\\\nb\n", "pg_host", "ab");
	assert_value("pg_host = a \\  \n  b\n", "pg_host", "a   b");
	/* [PL] comment and blank lines inside a continuation are skipped */
	assert_value("pg_host = a\\\n# c\n\nb\n", "pg_host", "ab");
	/* [REF §5.3] the Enterprise kong.conf.default JSON example */
	assert_value("admin_gui_session_conf = { \"cookie_name\": \"kookie\", \\\n"
		     "\"secret\": \"changeme\" }\n",
		     "admin_gui_session_conf",
		     "{ \"cookie_name\": \"kookie\", \"secret\": \"changeme\" }");
	/* [PL] an open continuation at end of file is dropped silently */
	kc = parse("pg_user = x\npg_host = a\\\n", NULL);
	assert_string_equal(config_kongconf_get(kc, "pg_host"), "127.0.0.1");
	assert_string_equal(config_kongconf_get(kc, "pg_user"), "x");
	assert_int_equal(config_kongconf_item_count(kc), 2);
	it = config_kongconf_item_at(kc, 1);
	assert_int_equal(it->fate, CONFIG_KONGCONF_UNTERMINATED);
	assert_string_equal(it->key, "pg_host");
	assert_int_equal(it->line, 2);
	config_kongconf_free(kc);
}

static void test_booleans(void **state)
{
	const char *cases[][2] = {
	    {"pg_ssl = on\n", "1"},  {"pg_ssl = true\n", "1"},   {"pg_ssl = off\n", "0"},
	    {"pg_ssl = yes\n", "0"}, {"pg_ssl = 1\n", "0"},      {"pg_ssl = TRUE\n", "0"},
	    {"pg_ssl = On\n", "0"},  {"pg_ssl = on # c\n", "1"},
	};
	size_t i;

	(void)state;
	/* [REF §6] [CL] typ boolean: true iff "on" or "true"; anything else false */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config_kongconf *kc = parse(cases[i][0], NULL);

		if (config_kongconf_get_bool(kc, "pg_ssl") != (cases[i][1][0] == '1'))
			fail_msg("%s", cases[i][0]);
		config_kongconf_free(kc);
	}
}

static void test_empty_and_none(void **state)
{
	struct config_kongconf *kc = NULL;

	(void)state;
	/* [REF §6] [CL] an empty value is unset; check_and_infer turns "" into
	 * nil after the merge, so the default does not come back */
	kc = parse("pg_password =\npg_host =   \n", NULL);
	assert_null(config_kongconf_get(kc, "pg_password"));
	assert_null(config_kongconf_get(kc, "pg_host"));
	assert_int_equal(config_kongconf_origin(kc, "pg_host", NULL, NULL), CONFIG_KONGCONF_FILE);
	config_kongconf_free(kc);
	/* [CL] overrides(): only a NONE default means ""; NONE in the file is text */
	assert_value("pg_password = NONE\n", "pg_password", "NONE");
}

static void test_env(void **state)
{
	char *envp[] = {
	    "KONG_PG_HOST=envhost",          "KONG_PG_USER=",      "KONG_FOO_BAR=fromenv",
	    "KONG_NGINX_HTTP_GZIP=on",       "KONG_PG_PORT=05432", "KONG_PG_PASSWORD=test#123",
	    "KONG_PG_DATABASE=db \\# 1 # c", "PG_SCHEMA=nope",     NULL,
	};
	struct config_kongconf *kc = NULL;
	const char *file = "x";
	int line = 3;

	(void)state;
	kc = parse("pg_host = filehost\nfoo_bar = fromfile\npg_user = u\n", envp);
	/* [REF §6] [CL] precedence default < file < env, KONG_<UPPER(key)> */
	assert_string_equal(config_kongconf_get(kc, "pg_host"), "envhost");
	assert_int_equal(config_kongconf_origin(kc, "pg_host", &file, &line), CONFIG_KONGCONF_ENV);
	assert_null(file);
	assert_int_equal(line, 0);
	/* [CL] an empty env value is "" -> unset */
	assert_null(config_kongconf_get(kc, "pg_user"));
	/* [CL] only known keys look at the environment */
	assert_string_equal(config_kongconf_get(kc, "foo_bar"), "fromfile");
	assert_false(config_kongconf_known_key("foo_bar"));
	/* [CL] KONG_NGINX_HTTP_* adds dynamic nginx keys */
	assert_string_equal(config_kongconf_get(kc, "nginx_http_gzip"), "on");
	/* [CL] env values are strings: no number conversion */
	assert_string_equal(config_kongconf_get(kc, "pg_port"), "05432");
	/* [CL] 1.3 check_and_infer strips comments from env values too (later
	 * Kong releases escape them: [SPEC] of 2.x, not 1.3) */
	assert_string_equal(config_kongconf_get(kc, "pg_password"), "tes");
	assert_string_equal(config_kongconf_get(kc, "pg_database"), "db # 1");
	assert_null(config_kongconf_get(kc, "pg_schema"));
	config_kongconf_free(kc);
}

static void test_keys(void **state)
{
	struct config_kongconf *kc = NULL;
	const struct config_kongconf_item *it;

	(void)state;
	/* [REF §6] [PL] non-alphanumeric key characters become `_` */
	assert_value("pg-host = a\n", "pg_host", "a");
	assert_value("  pg.port=1\n", "pg_port", "1");
	assert_value("pg host = b\n", "pg_host", "b");
	assert_value("pg\xc3\xa9 = c\n", "pg__", "c");
	/* [PL] split at the first `=` */
	assert_value("pg_password = a=b = c\n", "pg_password", "a=b = c");
	/* Kong keys are lower case: PG_HOST is unknown and dropped by Kong */
	kc = parse("PG_HOST = x\nfoo = bar\n", NULL);
	assert_string_equal(config_kongconf_get(kc, "pg_host"), "127.0.0.1");
	assert_string_equal(config_kongconf_get(kc, "PG_HOST"), "x");
	assert_string_equal(config_kongconf_get(kc, "foo"), "bar");
	it = config_kongconf_item_at(kc, 1);
	assert_string_equal(it->key, "foo");
	assert_int_equal(it->fate, CONFIG_KONGCONF_UNKNOWN);
	config_kongconf_free(kc);
	assert_true(config_kongconf_known_key("admin_gui_session_conf"));
	assert_true(config_kongconf_known_key("portal_session_conf"));
	assert_true(config_kongconf_known_key("nginx_http_upstream_keepalive"));
	assert_true(config_kongconf_known_key("nginx_proxy_large_client_header_buffers"));
	assert_false(config_kongconf_known_key("nginx_http_"));
	assert_false(config_kongconf_known_key("pg_host "));
	assert_false(config_kongconf_known_key(NULL));
}

static void test_numbers(void **state)
{
	(void)state;
	/* [REF §6] [PL] values starting with [%d+-] that tonumber() accepts are
	 * numbers; Kong prints them back with tostring ("%.14g") */
	assert_value("pg_port = 05432\n", "pg_port", "5432");
	assert_value("pg_timeout = 1e3\n", "pg_timeout", "1000");
	assert_value("pg_timeout = 0x10\n", "pg_timeout", "16");
	assert_value("pg_timeout = 1.50\n", "pg_timeout", "1.5");
	assert_value("pg_timeout = +5\n", "pg_timeout", "5");
	assert_value("pg_timeout = 1e15\n", "pg_timeout", "1e+15");
	assert_value("pg_timeout = 123456789012345678\n", "pg_timeout", "1.2345678901235e+17");
	/* [PL] conversion happens before Kong strips the comment */
	assert_value("pg_port = 05432 # c\n", "pg_port", "05432");
	/* [PL] " kB" is dropped when that makes a number — or even when not */
	assert_value("mem_cache_size = 64 kB\n", "mem_cache_size", "64");
	assert_value("mem_cache_size = 1x kB\n", "mem_cache_size", "1x");
	assert_value("mem_cache_size = 128m\n", "mem_cache_size", "128m");
	assert_value("pg_host = 10.0.0.1\n", "pg_host", "10.0.0.1");
	assert_value("pg_user = .5\n", "pg_user", ".5");
}

static void test_duplicates_sections_plain(void **state)
{
	struct config_kongconf *kc = NULL;
	int line = 0;

	(void)state;
	/* [PL] t[key] = value: a later duplicate wins */
	kc = parse("pg_host = a\npg_host = b\n", NULL);
	assert_string_equal(config_kongconf_get(kc, "pg_host"), "b");
	config_kongconf_origin(kc, "pg_host", NULL, &line);
	assert_int_equal(line, 2);
	assert_int_equal(config_kongconf_item_at(kc, 0)->fate, CONFIG_KONGCONF_SUPERSEDED);
	assert_int_equal(config_kongconf_item_at(kc, 1)->fate, CONFIG_KONGCONF_USED);
	config_kongconf_free(kc);
	/* [PL] a line without `=` is a list entry t[#t+1]; Kong ignores it */
	kc = parse("just words\npg_user = u\n", NULL);
	assert_int_equal(config_kongconf_item_at(kc, 0)->fate, CONFIG_KONGCONF_NO_EQUALS);
	assert_null(config_kongconf_item_at(kc, 0)->key);
	assert_string_equal(config_kongconf_get(kc, "pg_user"), "u");
	config_kongconf_free(kc);
	/* [PL] a line starting with `[` opens a section; later keys go into it
	 * and Kong never sees them */
	kc = parse("pg_user = u\n[extra]\npg_host = h\n", NULL);
	assert_string_equal(config_kongconf_get(kc, "pg_user"), "u");
	assert_string_equal(config_kongconf_get(kc, "pg_host"), "127.0.0.1");
	assert_int_equal(config_kongconf_item_at(kc, 1)->fate, CONFIG_KONGCONF_SECTION);
	assert_string_equal(config_kongconf_item_at(kc, 1)->key, "extra");
	assert_int_equal(config_kongconf_item_at(kc, 2)->fate, CONFIG_KONGCONF_IN_SECTION);
	config_kongconf_free(kc);
	/* [PL] `  [x]` (indented) is no section: a plain list entry */
	assert_value("  [x]\npg_host = h\n", "pg_host", "h");
}

static void test_line_endings_and_bytes(void **state)
{
	(void)state;
	/* [PL] reads lines without "\n"; "\r" is whitespace and trimmed */
	assert_value("pg_host = h\r\npg_user = u\r\n", "pg_host", "h");
	assert_value("pg_host = h", "pg_host", "h");
	/* Lua strings are bytes: invalid UTF-8 is accepted as is */
	assert_value("pg_password = \xff\xfe\n", "pg_password", "\xff\xfe");
	/* [PL] `;` starts a comment line too */
	assert_value("; pg_host = x\n", "pg_host", "127.0.0.1");
}

static void test_errors(void **state)
{
	struct config_kongconf *kc = NULL;
	struct core_error err = {""};
	char path[512];
	char want[1024];
	char *big = NULL;

	(void)state;
	/* [CL] "no file at: " .. path when -c names a missing file */
	assert_int_equal(config_kongconf_load("/nonexistent/kong.conf", NULL, &kc, &err), -1);
	assert_null(kc);
	assert_string_equal(err.msg, "no file at: /nonexistent/kong.conf");
	tmp_path(path, sizeof(path), "nul.conf");
	write_file(path, "pg_host = a\npg_user = b\0c\n", 26);
	assert_int_equal(config_kongconf_load(path, NULL, &kc, &err), -1);
	snprintf(want, sizeof(want), "%s:2: NUL byte in line", path);
	assert_string_equal(err.msg, want);
	/* a directory exists for Kong but cannot be read */
	assert_int_equal(config_kongconf_load(tmpdir, NULL, &kc, &err), -1);
	assert_non_null(strstr(err.msg, tmpdir));
	big = malloc(70000 + 32);
	assert_non_null(big);
	memcpy(big, "pg_user = u\npg_host = ", 22);
	memset(big + 22, 'x', 70000);
	big[70022 - 1] = '\0';
	parse_fails(big, "t.conf:2: line longer than 65536 bytes");
	free(big);
	/* [PL] `[]` makes pl.config index nil: Kong fails */
	parse_fails("pg_user = u\n\n[]\n", "t.conf:3: a line starting with '[' must be a "
					   "[section] header; Kong 1.3 fails to read this file");
	/* [CL] list_delim = "_blank_" splits such values into a table */
	parse_fails("pg_password = a_blank_b\n",
		    "t.conf:1: value of 'pg_password' contains \"_blank_\", which Kong 1.3 "
		    "mangles (pl.config list_delim)");
}

static void test_lookup_order(void **state)
{
	struct config_kongconf *kc = NULL;
	struct core_error err = {""};
	char a[512];
	char b[512];
	char c[512];
	const char *cands[4];

	(void)state;
	tmp_path(a, sizeof(a), "etc-kong-kong.conf");
	tmp_path(b, sizeof(b), "etc-kong.conf");
	tmp_path(c, sizeof(c), "explicit.conf");
	cands[0] = a;
	cands[1] = b;
	cands[2] = NULL;
	/* [REF §6] [CL] DEFAULT_PATHS: none exists -> defaults only */
	assert_int_equal(config_kongconf_load_paths(NULL, cands, NULL, &kc, &err), 0);
	assert_null(config_kongconf_path(kc));
	assert_string_equal(config_kongconf_get(kc, "pg_host"), "127.0.0.1");
	config_kongconf_free(kc);
	/* [CL] the second candidate when only it exists */
	write_file(b, "pg_host = second\n", 17);
	assert_int_equal(config_kongconf_load_paths(NULL, cands, NULL, &kc, &err), 0);
	assert_string_equal(config_kongconf_path(kc), b);
	assert_string_equal(config_kongconf_get(kc, "pg_host"), "second");
	config_kongconf_free(kc);
	/* [CL] the first one wins when both exist */
	write_file(a, "pg_host = first\n", 16);
	assert_int_equal(config_kongconf_load_paths(NULL, cands, NULL, &kc, &err), 0);
	assert_string_equal(config_kongconf_path(kc), a);
	assert_string_equal(config_kongconf_get(kc, "pg_host"), "first");
	config_kongconf_free(kc);
	/* [CL] an explicit path is used even when defaults exist */
	write_file(c, "pg_host = explicit\n", 19);
	assert_int_equal(config_kongconf_load_paths(c, cands, NULL, &kc, &err), 0);
	assert_string_equal(config_kongconf_get(kc, "pg_host"), "explicit");
	config_kongconf_free(kc);
	assert_int_equal(unlink(a), 0);
	assert_int_equal(unlink(b), 0);
	assert_int_equal(unlink(c), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_conf_default_all_comments),
	    cmocka_unit_test(test_conf_default_uncommented),
	    cmocka_unit_test(test_to_strip_fixture),
	    cmocka_unit_test(test_octothorpe_quirks),
	    cmocka_unit_test(test_continuation),
	    cmocka_unit_test(test_booleans),
	    cmocka_unit_test(test_empty_and_none),
	    cmocka_unit_test(test_env),
	    cmocka_unit_test(test_keys),
	    cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_duplicates_sections_plain),
	    cmocka_unit_test(test_line_endings_and_bytes),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_lookup_order),
	};

	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
