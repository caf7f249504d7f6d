/* test_kongconf_write.c — the kong.conf writer: placement, encoding read back
 * by the reader, refusals, the diff and its masking, the atomic write. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config_kongconf.h"
#include "config/config_kongconf_write.h"

#define SESSION_CONF "{\"secret\":\"Zk3#q9\",\"storage\":\"kong\",\"cookie_secure\":false}"
#define STAMP        "20261126-093000"

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

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	assert_non_null(f);
	buf = malloc(1 << 20);
	assert_non_null(buf);
	n = fread(buf, 1, (1 << 20) - 1, f);
	assert_int_equal(fclose(f), 0);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

static void write_file(const char *path, const char *data, mode_t mode)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, strlen(data), f), strlen(data));
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* A fresh directory under tmpdir with kong.conf holding text; path filled. */
static void fresh_conf(char *path, size_t size, const char *text)
{
	static int seq;

	snprintf(path, size, "%s/d%d", tmpdir, ++seq);
	assert_int_equal(mkdir(path, 0755), 0);
	strncat(path, "/kong.conf", size - strlen(path) - 1);
	write_file(path, text, 0644);
}

static char *default_text(void)
{
	char src[4096];

	data_path(src, sizeof(src), "kong-1.3.0.conf.default");
	return read_all(src, NULL);
}

/* Number of entries in the directory of path (without . and ..). */
static int dir_entries(const char *path)
{
	char dir[4096];
	DIR *d;
	struct dirent *de;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s", path);
	d = opendir(dirname(dir));
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return n;
}

static struct config_kongconf_edit *plan(const char *path, const char *key, const char *value)
{
	struct config_kongconf_edit *e = NULL;
	struct core_error err = {""};

	if (config_kongconf_edit_plan(path, key, value, &e, &err) != 0)
		fail_msg("plan %s failed: %s", key, err.msg);
	assert_non_null(e);
	return e;
}

/* The planned text must read back as value and be text with `line` put in
 * place of old_line (NULL = inserted) before the first occurrence of at. */
static void assert_edit(const char *text, const char *key, const char *value, const char *at,
			const char *old_line, const char *line)
{
	char path[512];
	struct config_kongconf_edit *e = NULL;
	struct config_kongconf *kc = NULL;
	struct core_error err = {""};
	const char *pos = strstr(text, at);
	size_t off;
	char *want;

	assert_non_null(pos);
	off = (size_t)(pos - text);
	want = malloc(strlen(text) + strlen(line) + 1);
	assert_non_null(want);
	memcpy(want, text, off);
	strcpy(want + off, line);
	strcat(want, text + off + (old_line != NULL ? strlen(old_line) : 0));
	fresh_conf(path, sizeof(path), text);
	e = plan(path, key, value);
	assert_true(config_kongconf_edit_changed(e));
	assert_string_equal(config_kongconf_edit_text(e), want);
	if (config_kongconf_parse(config_kongconf_edit_text(e), "new", NULL, &kc, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(config_kongconf_get(kc, key), value);
	config_kongconf_free(kc);
	config_kongconf_edit_free(e);
	free(want);
}

static int setup_tmp(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kuw-kongconf-write-XXXXXX");
	return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

static int teardown_tmp(void **state)
{
	char cmd[1024];

	(void)state;
	snprintf(cmd, sizeof(cmd), "chmod -R u+w '%s'; rm -rf '%s'", tmpdir, tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* kong.conf.default: the new line follows `#pg_password =`; with the
 * Enterprise layout it follows `#admin_gui_session_conf =` and its doc
 * lines; the community file has no such line, so it goes at the end. */
static void test_insert_after_commented_default(void **state)
{
	char *def = default_text();
	const char *pw = "#pg_password =                   # Postgres user's password.\n";
	const char *ee = "#admin_gui_auth =\n"
			 "#admin_gui_session_conf =        # Session configuration.\n"
			 "                                 # One line of JSON.\n"
			 "#admin_gui_auth_header = Kong-Admin-User\n";

	(void)state;
	assert_non_null(strstr(def, pw));
	assert_null(strstr(def, "admin_gui_session_conf"));
	assert_edit(def, "pg_password", "hunter#2", strstr(def, pw) + strlen(pw), NULL,
		    "pg_password = hunter\\#2\n");
	assert_edit(ee, "admin_gui_session_conf", SESSION_CONF, "#admin_gui_auth_header", NULL,
		    "admin_gui_session_conf = "
		    "{\"secret\":\"Zk3\\#q9\",\"storage\":\"kong\",\"cookie_secure\":false}\n");
	/* Appended after the last byte of the community default. */
	{
		char path[512];
		struct config_kongconf_edit *e = NULL;
		const char *nt;

		fresh_conf(path, sizeof(path), def);
		e = plan(path, "portal_is_legacy", "on");
		nt = config_kongconf_edit_text(e);
		assert_int_equal(strncmp(nt, def, strlen(def)), 0);
		assert_string_equal(nt + strlen(def), "portal_is_legacy = on\n");
		config_kongconf_edit_free(e);
	}
	/* A last line without '\n' gets one before the new line. */
	assert_edit("pg_host = h", "pg_port", "5433", "pg_host = h", "pg_host = h",
		    "pg_host = h\npg_port = 5433\n");
	free(def);
}

static void test_replace(void **state)
{
	(void)state;
	/* Indentation, key spelling and the trailing comment are kept. */
	assert_edit("a = 1\n  pg-host =  old.example   # the db\nb = 2\n", "pg_host", "new.example",
		    "  pg-host", "  pg-host =  old.example   # the db\n",
		    "  pg-host =  new.example   # the db\n");
	/* `\#` in the old value is no comment start. */
	assert_edit("pg_host = a\\#b # c\n", "pg_host", "x", "pg_host", "pg_host = a\\#b # c\n",
		    "pg_host = x # c\n");
	/* CRLF line: the '\r' stays. */
	assert_edit("pg_user = kong\r\npg_host = h\r\n", "pg_user", "k2", "pg_user",
		    "pg_user = kong\r\n", "pg_user = k2\r\n");
	/* A continued value becomes one line; the comment between stays. */
	assert_edit("x = 1\nadmin_gui_session_conf = { \"cookie_name\": \"kookie\", \\\n"
		    "# between\n  \"secret\": \"changeme\" }\ny = 2\n",
		    "admin_gui_session_conf", SESSION_CONF, "admin_gui_session_conf",
		    "admin_gui_session_conf = { \"cookie_name\": \"kookie\", \\\n# between\n"
		    "  \"secret\": \"changeme\" }\n",
		    "admin_gui_session_conf = "
		    "{\"secret\":\"Zk3\\#q9\",\"storage\":\"kong\",\"cookie_secure\":false}\n"
		    "# between\n");
	/* No line for the key before a [section]: the new line goes above it. */
	assert_edit("pg_host = h\n[extra]\npg_user = ignored\n", "pg_user", "k", "[extra]", NULL,
		    "pg_user = k\n");
}

static void test_last_occurrence_wins(void **state)
{
	(void)state;
	assert_edit("pg_host = one\n#pg_host = commented\npg_host = two\nz = 1\n", "pg_host",
		    "three", "pg_host = two", "pg_host = two\n", "pg_host = three\n");
	/* An earlier line overridden by a later one is left as it is. */
	assert_edit("portal_is_legacy = off\nportal_is_legacy=off\n", "portal_is_legacy", "on",
		    "portal_is_legacy=off", "portal_is_legacy=off\n", "portal_is_legacy=on\n");
}

/* Values with `#` (also first, also after a backslash) come back exactly. */
static void test_hash_round_trip(void **state)
{
	static const char *const values[] = {
	    "#starts", "a#b", "a\\#b", "a \\ # b", "##", "x#", "{\"secret\":\"#\\\\#\"}", NULL,
	};
	char path[512];
	size_t i;

	(void)state;
	for (i = 0; values[i] != NULL; i++) {
		struct config_kongconf_edit *e = NULL;
		struct config_kongconf *kc = NULL;
		struct core_error err = {""};
		char bak[4096];

		fresh_conf(path, sizeof(path), "pg_user = kong\n");
		e = plan(path, "pg_database", values[i]);
		if (config_kongconf_edit_apply(e, STAMP, bak, sizeof(bak), &err) != 0)
			fail_msg("%s", err.msg);
		if (config_kongconf_load(path, NULL, &kc, &err) != 0)
			fail_msg("%s", err.msg);
		assert_string_equal(config_kongconf_get(kc, "pg_database"), values[i]);
		assert_string_equal(config_kongconf_get(kc, "pg_user"), "kong");
		config_kongconf_free(kc);
		config_kongconf_edit_free(e);
	}
}

/* Refused: the message names the file, the key and the reason; the secret
 * never shows; nothing is written. */
static void refused(const char *key, const char *value, const char *want)
{
	char path[512];
	const char *text = "pg_port = 5432\n#admin_gui_session_conf =\n";
	struct config_kongconf_edit *e = NULL;
	struct core_error err = {""};
	char *after;

	fresh_conf(path, sizeof(path), text);
	assert_int_equal(config_kongconf_edit_plan(path, key, value, &e, &err), -1);
	assert_null(e);
	if (strstr(err.msg, want) == NULL)
		fail_msg("%s=%s: want '%s' in '%s'", key, value, want, err.msg);
	if (strcmp(key, "admin_gui_session_conf") == 0 && value[0] != '\0' &&
	    strstr(err.msg, value) != NULL)
		fail_msg("the value shows in '%s'", err.msg);
	after = read_all(path, NULL);
	assert_string_equal(after, text);
	assert_int_equal(dir_entries(path), 1);
	free(after);
}

static void test_refused_values(void **state)
{
	(void)state;
	refused("admin_gui_session_conf", "{\"secret\":\"s1\",\n\"x\":1}", "line break");
	refused("admin_gui_session_conf", " {\"secret\":\"s2\"}", "whitespace");
	refused("admin_gui_session_conf", "{\"secret\":\"s3\"}\t", "whitespace");
	refused("admin_gui_session_conf", "", "empty value");
	refused("admin_gui_session_conf", "{\"secret\":\"s4\"}\\", "continuation");
	refused("admin_gui_session_conf", "a_blank_b", "_blank_");
	refused("pg_port", "05",
		"refusing the value '05' for pg_port: Kong 1.3 would read it back "
		"as '5'");
	refused("pg_port", "1e3", "as '1000'");
	refused("pg_port", "10 kB", "as '10'");
	refused("admin_gui_session_conf", "0123",
		"read it back differently (Lua reads it as a "
		"number");
	refused("no_such_key", "x", "does not know the key 'no_such_key'");
	refused("pg-port", "x", "not a key as Kong spells it");
}

static void test_diff_and_redaction(void **state)
{
	char path[512];
	char want[8192];
	const char *text = "a = 1\nb = 2\nc = 3\n#pg_password = old-pw\n"
			   "#admin_gui_session_conf =        # doc\n"
			   "                                 # more doc\n"
			   "d = 4\ne = 5\nf = 6\ng = 7\n";
	struct config_kongconf_edit *e = NULL;
	char *diff = NULL;

	(void)state;
	fresh_conf(path, sizeof(path), text);
	e = plan(path, "admin_gui_session_conf", SESSION_CONF);
	diff = config_kongconf_edit_diff(e, 0);
	snprintf(want, sizeof(want),
		 "--- %s\n+++ %s\n@@ -4,6 +4,7 @@\n"
		 " #pg_password = old-pw\n"
		 " #admin_gui_session_conf =        # doc\n"
		 "                                  # more doc\n"
		 "+admin_gui_session_conf = {\"secret\":\"Zk3\\#q9\",\"storage\":\"kong\","
		 "\"cookie_secure\":false}\n"
		 " d = 4\n e = 5\n f = 6\n",
		 path, path);
	assert_string_equal(diff, want);
	free(diff);
	diff = config_kongconf_edit_diff(e, 1);
	snprintf(want, sizeof(want),
		 "--- %s\n+++ %s\n@@ -4,6 +4,7 @@\n"
		 " #pg_password = ******\n"
		 " #admin_gui_session_conf =        # doc\n"
		 "                                  # more doc\n"
		 "+admin_gui_session_conf = ******\n"
		 " d = 4\n e = 5\n f = 6\n",
		 path, path);
	assert_string_equal(diff, want);
	free(diff);
	config_kongconf_edit_free(e);

	/* A replaced continued secret: both old lines masked; a file without
	 * a final newline says so. */
	fresh_conf(path, sizeof(path),
		   "cassandra_password = one \\\n  two\nadmin_api_uri = http://x:8001");
	e = plan(path, "cassandra_password", "three");
	diff = config_kongconf_edit_diff(e, 1);
	snprintf(want, sizeof(want),
		 "--- %s\n+++ %s\n@@ -1,3 +1,2 @@\n"
		 "-cassandra_password = ******\n"
		 "-******\n"
		 "+cassandra_password = ******\n"
		 " admin_api_uri = http://x:8001\n"
		 "\\ No newline at end of file\n",
		 path, path);
	assert_string_equal(diff, want);
	free(diff);
	config_kongconf_edit_free(e);

	/* Nothing to change: no diff. */
	fresh_conf(path, sizeof(path), "pg_host = same\n");
	e = plan(path, "pg_host", "same");
	assert_false(config_kongconf_edit_changed(e));
	diff = config_kongconf_edit_diff(e, 1);
	assert_string_equal(diff, "");
	free(diff);
	config_kongconf_edit_free(e);
}

static void test_apply_keeps_mode_and_backs_up(void **state)
{
	char path[512];
	char bak[4096];
	char want[4096];
	char *def = default_text();
	char *got = NULL;
	struct config_kongconf_edit *e = NULL;
	struct core_error err = {""};
	struct stat st;

	(void)state;
	fresh_conf(path, sizeof(path), def);
	assert_int_equal(chmod(path, 0640), 0);
	e = plan(path, "pg_password", "pw#1");
	assert_int_equal(config_kongconf_edit_apply(e, STAMP, bak, sizeof(bak), &err), 0);
	snprintf(want, sizeof(want), "%s.bak-" STAMP, path);
	assert_string_equal(bak, want);
	got = read_all(bak, NULL);
	assert_string_equal(got, def);
	free(got);
	assert_int_equal(stat(bak, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	got = read_all(path, NULL);
	assert_string_equal(got, config_kongconf_edit_text(e));
	free(got);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_uid, geteuid());
	assert_int_equal(dir_entries(path), 2);
	config_kongconf_edit_free(e);

	/* Same stamp again: the first backup is kept, the next one is .1. */
	e = plan(path, "pg_password", "pw2");
	assert_int_equal(config_kongconf_edit_apply(e, STAMP, bak, sizeof(bak), &err), 0);
	snprintf(want, sizeof(want), "%s.bak-" STAMP ".1", path);
	assert_string_equal(bak, want);
	got = read_all(path, NULL);
	assert_non_null(strstr(got, "\npg_password = pw2\n#pg_database"));
	free(got);
	snprintf(want, sizeof(want), "%s.bak-" STAMP, path);
	got = read_all(want, NULL);
	assert_string_equal(got, def);
	free(got);
	assert_int_equal(dir_entries(path), 3);
	config_kongconf_edit_free(e);

	/* Nothing to change: nothing written, no backup. */
	e = plan(path, "pg_password", "pw2");
	assert_int_equal(config_kongconf_edit_apply(e, NULL, bak, sizeof(bak), &err), 0);
	assert_string_equal(bak, "");
	assert_int_equal(dir_entries(path), 3);
	config_kongconf_edit_free(e);

	/* Without a stamp: the UTC time. */
	e = plan(path, "pg_password", "pw3");
	assert_int_equal(config_kongconf_edit_apply(e, NULL, bak, sizeof(bak), &err), 0);
	snprintf(want, sizeof(want), "%s.bak-2", path);
	assert_int_equal(strncmp(bak, want, strlen(want)), 0);
	assert_int_equal(strlen(bak), strlen(path) + strlen(".bak-" STAMP));
	config_kongconf_edit_free(e);
	free(def);
}

static void test_apply_refuses_concurrent_change(void **state)
{
	char path[512];
	char bak[4096] = "x";
	const char *theirs = "pg_host = theirs\n";
	struct config_kongconf_edit *e = NULL;
	struct core_error err = {""};
	char *got;

	(void)state;
	fresh_conf(path, sizeof(path), "pg_host = mine\n");
	e = plan(path, "pg_host", "planned");
	write_file(path, theirs, 0644);
	assert_int_equal(config_kongconf_edit_apply(e, STAMP, bak, sizeof(bak), &err), -1);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "changed since the change was planned"));
	assert_string_equal(bak, "");
	got = read_all(path, NULL);
	assert_string_equal(got, theirs);
	free(got);
	assert_int_equal(dir_entries(path), 1);
	config_kongconf_edit_free(e);
}

/* A failing write leaves the original, no temporary file and no backup.
 * As root, permission bits do not stop writes, so the file size limit
 * (which binds root too) makes writing the longer new text fail after the
 * backup, which is as long as the original, was written. Without root, a
 * read-only directory is tried as well. */
static void test_apply_failure_leaves_original(void **state)
{
	char path[512];
	char dir[4096];
	char bak[4096];
	const char *text = "pg_user = kong\n";
	struct config_kongconf_edit *e = NULL;
	struct core_error err = {""};
	struct rlimit old;
	struct rlimit lim;
	char *got;
	int rc;

	(void)state;
	fresh_conf(path, sizeof(path), text);
	e = plan(path, "pg_password", "a-longer-value");
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = strlen(text);
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	rc = config_kongconf_edit_apply(e, STAMP, bak, sizeof(bak), &err);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(rc, -1);
	if (strstr(err.msg, path) == NULL || strstr(err.msg, "cannot write temporary file") == NULL)
		fail_msg("unexpected message: %s", err.msg);
	assert_string_equal(bak, "");
	got = read_all(path, NULL);
	assert_string_equal(got, text);
	free(got);
	assert_int_equal(dir_entries(path), 1);

	if (geteuid() != 0) {
		snprintf(dir, sizeof(dir), "%s", path);
		assert_int_equal(chmod(dirname(dir), 0555), 0);
		rc = config_kongconf_edit_apply(e, STAMP, bak, sizeof(bak), &err);
		assert_int_equal(chmod(dir, 0755), 0);
		assert_int_equal(rc, -1);
		assert_non_null(strstr(err.msg, path));
		assert_non_null(strstr(err.msg, "cannot create the backup"));
		got = read_all(path, NULL);
		assert_string_equal(got, text);
		free(got);
		assert_int_equal(dir_entries(path), 1);
	}
	config_kongconf_edit_free(e);
}

/* A symbolic link is followed: the target changes, the link stays. */
static void test_apply_through_symlink(void **state)
{
	char path[512];
	char link[512];
	char bak[4096];
	struct config_kongconf_edit *e = NULL;
	struct core_error err = {""};
	struct stat st;
	char *got;

	(void)state;
	fresh_conf(path, sizeof(path), "pg_user = kong\n");
	snprintf(link, sizeof(link), "%s/link.conf", tmpdir);
	assert_int_equal(symlink(path, link), 0);
	e = plan(link, "pg_user", "k2");
	assert_int_equal(config_kongconf_edit_apply(e, STAMP, bak, sizeof(bak), &err), 0);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	got = read_all(path, NULL);
	assert_string_equal(got, "pg_user = k2\n");
	free(got);
	assert_int_equal(strncmp(bak, path, strlen(path)), 0);
	config_kongconf_edit_free(e);
	assert_int_equal(unlink(link), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_insert_after_commented_default),
	    cmocka_unit_test(test_replace),
	    cmocka_unit_test(test_last_occurrence_wins),
	    cmocka_unit_test(test_hash_round_trip),
	    cmocka_unit_test(test_refused_values),
	    cmocka_unit_test(test_diff_and_redaction),
	    cmocka_unit_test(test_apply_keeps_mode_and_backs_up),
	    cmocka_unit_test(test_apply_refuses_concurrent_change),
	    cmocka_unit_test(test_apply_failure_leaves_original),
	    cmocka_unit_test(test_apply_through_symlink),
	};

	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
