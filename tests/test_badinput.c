/* Bad input gets a clear error and loses nothing (SPEC §5): malformed and
 * hostile wizard configs and kong.conf files given to `check`, a `kong` that
 * prints garbage or exits with codes Kong never uses, a missing binary, and
 * the interactive wizard without a terminal. Each must end with a message
 * naming the input (and file:line where there is one), the documented exit
 * code, and nothing written. Prints "bad inputs: N tried, N handled" and
 * records each input for the test command's figures line (testenv_figure). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config_wizard.h"
#include "core/core_sandbox.h"
#include "tests/support/testenv.h"

static struct testenv te;
static char wizard[4096];
static char dbname[128];
static int n_tried, n_handled;

/* One input tried: counted, and recorded for the figures ... */
static void bad_tried(const char *name)
{
	n_tried++;
	testenv_figure("badinput", name, "tried");
}

/* ... and handled only once every check of it held, with the exit code. */
static void bad_handled(const char *name, int status)
{
	char event[32];

	n_handled++;
	snprintf(event, sizeof(event), "handled exit %d", status);
	testenv_figure("badinput", name, event);
}

static int setup(void **state)
{
	struct core_error err = { { 0 } };
	const char *w = getenv("KUW_WIZARD");

	(void)state;
	if (w == NULL || testenv_start(&te, &err) < 0 ||
	    testenv_create_db(&te, "ee-0.36", NULL, dbname, sizeof(dbname), &err) < 0) {
		fprintf(stderr, "setup: %s\n", w == NULL ? "KUW_WIZARD is not set" : err.msg);
		return -1;
	}
	snprintf(wizard, sizeof(wizard), "%s", w);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	testenv_stop(&te);
	return 0;
}

static void write_bytes(const char *path, const char *data, size_t n, mode_t mode)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* A good kong.conf for the test database, with extra appended (n bytes). */
static void write_kongconf(const char *path, const char *extra, size_t n)
{
	char head[1024];
	char *buf;
	int len;

	len = snprintf(head, sizeof(head),
		       "pg_host = 127.0.0.1\npg_port = %d\npg_user = kong\npg_password = kong\n"
		       "pg_database = %s\n",
		       core_sandbox_port(te.sb), dbname);
	buf = malloc((size_t)len + n);
	assert_non_null(buf);
	memcpy(buf, head, (size_t)len);
	memcpy(buf + len, extra, n);
	write_bytes(path, buf, (size_t)len + n, 0600);
	free(buf);
}

struct bad {
	const char *name;
	char which;	   /* 'W' wizard config, 'K' kong.conf */
	const char *data;  /* NULL: built by the caller */
	size_t len;	   /* 0: strlen(data) */
	int want;	   /* exit code */
	const char *where; /* must appear in the message after the file name, or NULL */
	const char *what;  /* must appear in the message, or NULL */
};

#define S(x) x, sizeof(x) - 1

static int seq;

/* Runs `check` on one bad input: exit code, message naming the input, and
 * no state directory created. */
static void try_bad(const struct bad *b, const char *data, size_t len)
{
	struct core_error err = { { 0 } };
	struct testenv_run r;
	char wconf[4400], kconf[4400], state[4400], where[4600], good_w[10000];
	const char *file;
	const char *argv[8];
	bool ok;

	bad_tried(b->name);
	seq++;
	snprintf(wconf, sizeof(wconf), "%s/bad-%d-wizard.conf", te.tmpdir, seq);
	snprintf(kconf, sizeof(kconf), "%s/bad-%d-kong.conf", te.tmpdir, seq);
	snprintf(state, sizeof(state), "%s/bad-%d-state", te.tmpdir, seq);
	if (b->which == 'W') {
		write_bytes(wconf, data, len, 0600);
		file = wconf;
		write_kongconf(kconf, "", 0);
	} else {
		write_kongconf(kconf, data, len);
		file = kconf;
		snprintf(good_w, sizeof(good_w), "kong { binary = \"%s\" conf = \"%s\" }\n",
			 te.kong_sim, kconf);
		write_bytes(wconf, good_w, strlen(good_w), 0600);
	}
	argv[0] = wizard;
	argv[1] = "-c";
	argv[2] = wconf;
	argv[3] = "--state-dir";
	argv[4] = state;
	argv[5] = "check";
	argv[6] = NULL;
	/* A wizard config that does not parse cannot name kong.conf: pass it. */
	if (b->which == 'W') {
		argv[5] = "--kong-conf";
		argv[6] = kconf;
		argv[7] = NULL;
	}
	{
		const char *full[10] = { argv[0], argv[1], argv[2], argv[3], argv[4], argv[5],
					 argv[6], b->which == 'W' ? "check" : NULL, NULL };

		if (testenv_run(full, NULL, &r, &err) < 0)
			fail_msg("%s", err.msg);
	}
	if (b->where != NULL)
		snprintf(where, sizeof(where), "%s%s", file, b->where);
	else
		snprintf(where, sizeof(where), "%s", b->which == 'W' ? file : "");
	ok = r.status == b->want && (strstr(r.err, where) != NULL || strstr(r.out, where) != NULL) &&
	     (b->what == NULL || strstr(r.err, b->what) != NULL || strstr(r.out, b->what) != NULL) &&
	     access(state, F_OK) != 0;
	if (!ok)
		fail_msg("%s: exit %d (want %d), want '%s' and '%s'; state dir %s\n--- stdout:\n%s\n"
			 "--- stderr:\n%s",
			 b->name, r.status, b->want, where, b->what != NULL ? b->what : "",
			 access(state, F_OK) == 0 ? "created" : "absent", r.out, r.err);
	bad_handled(b->name, r.status);
	testenv_run_done(&r);
}

static void test_bad_configs(void **state)
{
	static const struct bad cases[] = {
		{ "wizard: unknown key", 'W', S("kong { binary = \"kong\" }\ncolour = \"red\"\n"), 2, ":2:",
		  "colour" },
		{ "wizard: wrong type", 'W', S("traffic {\n  idle_rate = \"fast\"\n}\n"), 2, ":2:",
		  "idle_rate" },
		{ "wizard: bad duration", 'W', S("backup {\n  max_age = forever\n}\n"), 2, ":2:",
		  "max_age" },
		{ "wizard: unterminated string", 'W', S("state_dir = \"/tmp/x\n"), 2, NULL, NULL },
		{ "wizard: invalid UTF-8 key", 'W', S("\xff\xfe = 1\n"), 2, ":1:", NULL },
		{ "wizard: bad cluster", 'W', S("cluster blue {\n admin_urls = {\"http://x\"}\n}\n"), 2,
		  NULL, "blue" },
		{ "wizard: bad URL", 'W', S("cluster old {\n admin_urls = {\"ftp://x\"}\n}\n"), 2, NULL,
		  "ftp://x" },
		{ "kong.conf: NUL byte", 'K', S("admin_gui_url = http://a\0b\n"), 2, ":6:", "NUL" },
		/* Kong says "pg_port is not a number"; the wizard names the line. */
		{ "kong.conf: wrong type pg_port", 'K', S("pg_port = abc\n"), 2, ":6)",
		  "pg_port = abc" },
		/* A refused path: blocked (exit 1, SPEC §3), in the runbook's words. */
		{ "kong.conf: cassandra", 'K', S("database = cassandra\n"), 1, NULL,
		  "Cassandra is not supported" },
		/* Kong takes the bytes as they are; the datastore refuses the name. */
		{ "kong.conf: invalid UTF-8", 'K', S("pg_database = \xff\xfe\n"), 2, NULL,
		  "cannot connect to PostgreSQL" },
		/* Kong drops a continuation open at the end of the file (§6),
		 * and so does the wizard: the check runs on the rest. */
		{ "kong.conf: unterminated continuation", 'K', S("pg_password = other \\"), 1, NULL,
		  "Ready: no" },
		/* Kong ignores keys it does not know; so does the wizard. */
		{ "kong.conf: unknown key", 'K', S("no_such_key = 1\n"), 1, NULL, "Ready: no" },
	};
	size_t i;
	char *huge;
	size_t n = 300 * 1024;
	struct bad hw = { "wizard: huge line", 'W', NULL, 0, 2, ":1:", NULL };
	struct bad hk = { "kong.conf: huge line", 'K', NULL, 0, 2, ":6:", "longer than" };

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		try_bad(&cases[i], cases[i].data, cases[i].len);

	huge = malloc(n + 32);
	assert_non_null(huge);
	memset(huge, 'x', n);
	huge[n] = '\n';
	try_bad(&hw, huge, n + 1);
	memcpy(huge, "admin_gui_url=", 14);
	memset(huge + 14, 'y', n);
	huge[14 + n] = '\n';
	try_bad(&hk, huge, n + 15);
	free(huge);
}

/* Wizard configs that libconfuse alone would read without a word: the
 * wizard's own scan refuses them with the line. */
static void test_wizard_config_accepted(void **state)
{
	static const struct bad cases[] = {
		{ "wizard: unterminated section", 'W', S("\nkong {\n  binary = \"kong\"\n"), 2,
		  ":2:", "never closed" },
		{ "wizard: NUL byte", 'W', S("\nstate_dir = \"/tmp/a\0b\"\nkong { }\n"), 2, ":2:",
		  "NUL byte" },
		{ "wizard: braces in strings and comments", 'W',
		  S("# a { in a comment\nkong { binary = \"k}ong\" } // }\nstate_dir = 'x'\n"), 2,
		  NULL, NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]) - 1; i++)
		try_bad(&cases[i], cases[i].data, cases[i].len);
	/* Balanced braces inside strings and comments are not a fault. */
	{
		struct core_error err = { { 0 } };
		struct config_wizard *cw = NULL;
		char path[4400];

		snprintf(path, sizeof(path), "%s/braces.conf", te.tmpdir);
		write_bytes(path, cases[2].data, cases[2].len, 0600);
		if (config_wizard_load(path, &cw, &err) < 0)
			fail_msg("braces in strings: %s", err.msg);
		assert_string_equal(cw->kong_binary, "k}ong");
		config_wizard_free(cw);
	}
}

/* A stand-in kong: a shell script (0700) in the scratch directory. */
static void fake_kong(char *path, size_t size, const char *name, const char *body)
{
	char text[2048];

	snprintf(path, size, "%s/%s", te.tmpdir, name);
	snprintf(text, sizeof(text), "#!/bin/sh\n%s\n", body);
	write_bytes(path, text, strlen(text), 0700);
}

/* `check` with the given kong binary: blocked (exit 1), the named check
 * failing or warning with a message holding what. */
static void try_kong(const char *name, const char *kong, const char *check_title,
		     const char *what)
{
	struct core_error err = { { 0 } };
	struct testenv_run r;
	char kconf[4400], wconf[4400], good_w[10000], line[600];
	const char *argv[] = { wizard, "-c", wconf, "--kong", kong, "check", NULL };
	bool ok;

	bad_tried(name);
	seq++;
	snprintf(wconf, sizeof(wconf), "%s/kong-%d-wizard.conf", te.tmpdir, seq);
	snprintf(kconf, sizeof(kconf), "%s/kong-%d-kong.conf", te.tmpdir, seq);
	write_kongconf(kconf, "", 0);
	snprintf(good_w, sizeof(good_w), "kong { conf = \"%s\" }\nstate_dir = \"%s/kstate-%d\"\n",
		 kconf, te.tmpdir, seq);
	write_bytes(wconf, good_w, strlen(good_w), 0600);
	if (testenv_run(argv, NULL, &r, &err) < 0)
		fail_msg("%s", err.msg);
	snprintf(line, sizeof(line), "%s: ", check_title);
	ok = r.status == 1 && strstr(r.out, line) != NULL && strstr(r.out, what) != NULL;
	if (ok) {
		/* The finding is on the check's own line, as FAIL or warn. */
		const char *at = strstr(r.out, line);
		const char *bol = at;

		while (bol > r.out && bol[-1] != '\n')
			bol--;
		ok = strncmp(bol, "FAIL", 4) == 0 || strncmp(bol, "warn", 4) == 0;
	}
	if (!ok)
		fail_msg("%s: exit %d, want 1 with '%s' ... '%s'\n--- stdout:\n%s\n--- stderr:\n%s",
			 name, r.status, line, what, r.out, r.err);
	bad_handled(name, r.status);
	testenv_run_done(&r);
}

static void test_bad_kong(void **state)
{
	char k[4400], sim[4200];

	(void)state;
	snprintf(sim, sizeof(sim), "%s", te.kong_sim);
	fake_kong(k, sizeof(k), "kong-garbage-version",
		  "printf '\\001\\377garbage \\033[2J\\n'; exit 0");
	try_kong("garbage version", k, "New kong binary is Kong Enterprise 1.3", "kong");
	fake_kong(k, sizeof(k), "kong-version-exit-9", "echo 'Kong Enterprise 1.3.0.0'; exit 9");
	try_kong("version exit 9", k, "New kong binary is Kong Enterprise 1.3", "9");
	{
		char body[4600];

		/* version answers like 1.3, list prints garbage with codes Kong
		 * never uses. */
		snprintf(body, sizeof(body),
			 "if [ \"$1\" = version ]; then exec '%s' version; fi\n"
			 "printf 'Executed migrations:\\n\\377\\376 nonsense, , ,\\n::::\\n'; exit 7",
			 sim);
		fake_kong(k, sizeof(k), "kong-garbage-list", body);
		try_kong("garbage list, exit 7", k, "kong migrations list agrees", "7");
		snprintf(body, sizeof(body),
			 "if [ \"$1\" = version ]; then exec '%s' version; fi\n"
			 "echo 'Pending migrations:'; echo 'core: no_such_migration'; exit 4",
			 sim);
		fake_kong(k, sizeof(k), "kong-lying-list", body);
		try_kong("list disagrees with schema_meta", k, "kong migrations list agrees",
			 "exited 4");
		snprintf(body, sizeof(body),
			 "if [ \"$1\" = version ]; then exec '%s' version; fi\nkill -9 $$", sim);
		fake_kong(k, sizeof(k), "kong-list-killed", body);
		try_kong("list killed by a signal", k, "kong migrations list agrees", "killed by signal 9");
	}
	try_kong("missing binary", "/nonexistent/bin/kong", "New kong binary is Kong Enterprise 1.3",
		 "/nonexistent/bin/kong");
}

/* The interactive wizard needs a terminal: without one (and with TERM=dumb
 * and no terminal) it refuses with exit 2 and points at the headless
 * commands. A TERM=dumb terminal itself is the screens' business. */
static void test_no_terminal(void **state)
{
	static const char *const envs[][2] = { { "TERM=xterm", NULL }, { "TERM=dumb", NULL } };
	struct core_error err = { { 0 } };
	struct testenv_run r;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		const char *argv[] = { wizard, NULL };
		char name[64];

		snprintf(name, sizeof(name), "no terminal, %s", envs[i][0]);
		bad_tried(name);
		if (testenv_run(argv, envs[i], &r, &err) < 0)
			fail_msg("%s", err.msg);
		if (r.status != 2 || strstr(r.err, "needs a terminal") == NULL ||
		    strstr(r.err, "headless commands") == NULL || r.out[0] != '\0')
			fail_msg("%s: exit %d\n%s%s", envs[i][0], r.status, r.out, r.err);
		bad_handled(name, r.status);
		testenv_run_done(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_configs),
		cmocka_unit_test(test_wizard_config_accepted),
		cmocka_unit_test(test_bad_kong),
		cmocka_unit_test(test_no_terminal),
	};
	int failed = cmocka_run_group_tests(tests, setup, teardown);

	printf("bad inputs: %d tried, %d handled\n", n_tried, n_handled);
	return failed;
}
