/* Tests of the journal (core/core_journal.c, SPEC §5 "Journal"): the line
 * format and hash chain recomputed here independently, replay, a torn last
 * line, edited / removed / inserted lines, redaction, directory and file
 * modes, the lock, the read-only view and a write that fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core_journal.h"

#define ZERO64 "0000000000000000000000000000000000000000000000000000000000000000"

static const struct core_journal_operator alice = {"alice", "/dev/pts/1", "10.0.0.5 51000 22"};

/* 2024-05-01T12:34:56.789Z */
static long long frozen_clock(void)
{
	return 1714566896789LL;
}

struct fixture {
	char base[64];
	char dir[128];
	char file[192];
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->base, sizeof(f->base), "/tmp/kuw-journal-XXXXXX");
	if (mkdtemp(f->base) == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/state", f->base);
	snprintf(f->file, sizeof(f->file), "%s/journal.jsonl", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	chmod(f->base, 0700);
	nftw(f->base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	long n;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	rewind(fp);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

static void spit(const char *path, const char *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	fclose(fp);
}

static void sha256_hex(const char *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int n = 0, i;

	assert_int_equal(EVP_Digest(data, len, md, &n, EVP_sha256(), NULL), 1);
	assert_int_equal(n, 32);
	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

/* Checks every line of the file independently of the module: exact keys,
 * seq 1.., prev = SHA-256 of the previous line. Returns the line count. */
static size_t assert_chain(const char *path)
{
	char prev[65] = ZERO64;
	size_t len, lines = 0;
	char *buf = slurp(path, &len);
	char *p = buf;

	assert_true(len > 0);
	assert_int_equal(buf[len - 1], '\n');
	while (*p != '\0') {
		char *nl = strchr(p, '\n');
		json_error_t jerr;
		json_t *ev;

		assert_non_null(nl);
		ev = json_loadb(p, (size_t)(nl - p), 0, &jerr);
		assert_non_null(ev);
		lines++;
		assert_int_equal(json_object_size(ev), 6);
		assert_int_equal(json_integer_value(json_object_get(ev, "seq")), (json_int_t)lines);
		assert_string_equal(json_string_value(json_object_get(ev, "prev")), prev);
		json_decref(ev);
		sha256_hex(p, (size_t)(nl - p), prev);
		p = nl + 1;
	}
	free(buf);
	return lines;
}

static struct core_journal *open_ok(const char *dir)
{
	struct core_error err = {{0}};
	struct core_journal *j = NULL;

	if (core_journal_open(dir, &alice, frozen_clock, &j, &err) != 0)
		fail_msg("open: %s", err.msg);
	assert_non_null(j);
	return j;
}

static void append_ok(struct core_journal *j, const char *event, const char *details_json)
{
	struct core_error err = {{0}};
	json_t *d = details_json != NULL ? json_loads(details_json, 0, NULL) : NULL;

	if (details_json != NULL)
		assert_non_null(d);
	if (core_journal_append(j, event, d, &err) != 0)
		fail_msg("append %s: %s", event, err.msg);
	json_decref(d);
}

static void write_five(const char *dir)
{
	struct core_journal *j = open_ok(dir);
	int i;

	for (i = 1; i <= 5; i++) {
		char d[64];

		snprintf(d, sizeof(d), "{\"n\":%d,\"result\":\"pass\"}", i);
		append_ok(j, "check", d);
	}
	core_journal_close(j);
}

static bool has_warning(const struct core_journal *j, const char *a, const char *b)
{
	size_t i;

	for (i = 0; i < core_journal_warning_count(j); i++) {
		const char *w = core_journal_warning(j, i);

		if (strstr(w, a) != NULL && (b == NULL || strstr(w, b) != NULL))
			return true;
	}
	return false;
}

/* The frozen clock and the exact bytes of a first line. */
static void test_exact_first_line(void **state)
{
	struct fixture *f = *state;
	struct core_journal *j = open_ok(f->dir);
	char *buf;

	append_ok(j, "check", "{\"id\":\"pg-version\",\"result\":\"pass\"}");
	core_journal_close(j);
	buf = slurp(f->file, NULL);
	assert_string_equal(buf, "{\"seq\":1,\"time\":\"2024-05-01T12:34:56Z\","
				 "\"operator\":{\"user\":\"alice\",\"tty\":\"/dev/pts/1\","
				 "\"ssh_client\":\"10.0.0.5 51000 22\"},\"event\":\"check\","
				 "\"details\":{\"id\":\"pg-version\",\"result\":\"pass\"},"
				 "\"prev\":\"" ZERO64 "\"}\n");
	free(buf);
}

static void test_real_clock_and_missing_operator(void **state)
{
	struct fixture *f = *state;
	struct core_error err = {{0}};
	struct core_journal *j = NULL;
	const json_t *ev, *op;
	const char *t;

	assert_int_equal(core_journal_open(f->dir, NULL, NULL, &j, &err), 0);
	assert_int_equal(core_journal_append(j, "note", NULL, &err), 0);
	ev = core_journal_event(j, 0);
	t = json_string_value(json_object_get(ev, "time"));
	assert_int_equal(strlen(t), 20);
	assert_true(strncmp(t, "20", 2) == 0 && t[10] == 'T' && t[19] == 'Z');
	op = json_object_get(ev, "operator");
	assert_string_equal(json_string_value(json_object_get(op, "user")), "");
	assert_int_equal(json_object_size(json_object_get(ev, "details")), 0);
	core_journal_close(j);
}

static void test_append_reopen_replay(void **state)
{
	struct fixture *f = *state;
	struct core_journal *j = open_ok(f->dir);
	json_t *expect = NULL;
	const json_t *ev;

	assert_int_equal(core_journal_count(j), 0);
	assert_true(core_journal_intact(j));
	append_ok(j, "check", "{\"id\":\"free-space\",\"result\":\"warn\"}");
	append_ok(j, "waiver", "{\"id\":\"free-space\",\"reason\":\"backup goes to NFS\"}");
	append_ok(j, "confirm", "{\"step\":\"up\",\"typed\":\"kong\"}");
	append_ok(j, "check", "{\"id\":\"free-space\",\"result\":\"pass\"}");
	assert_int_equal(core_journal_count(j), 4);
	expect = json_deep_copy(core_journal_event(j, 1));
	core_journal_close(j);
	assert_int_equal(assert_chain(f->file), 4);

	j = open_ok(f->dir);
	assert_int_equal(core_journal_count(j), 4);
	assert_int_equal(core_journal_warning_count(j), 0);
	assert_true(core_journal_intact(j));
	assert_true(json_equal(core_journal_event(j, 1), expect));
	assert_null(core_journal_event(j, 4));
	ev = core_journal_last(j, "check");
	assert_int_equal(json_integer_value(json_object_get(ev, "seq")), 4);
	ev = core_journal_last(j, "waiver");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(ev, "details"), "reason")),
	    "backup goes to NFS");
	assert_null(core_journal_last(j, "run-start"));
	append_ok(j, "run-start", "{\"argv\":[\"kong\",\"migrations\",\"up\"]}");
	ev = core_journal_last(j, "run-start");
	assert_int_equal(json_integer_value(json_object_get(ev, "seq")), 5);
	core_journal_close(j);
	assert_int_equal(assert_chain(f->file), 5);
	json_decref(expect);
}

static void test_bad_arguments(void **state)
{
	struct fixture *f = *state;
	struct core_error err = {{0}};
	struct core_journal *j = open_ok(f->dir);
	json_t *arr = json_array();

	assert_int_equal(core_journal_append(j, "Run Start", NULL, &err), -1);
	assert_non_null(strstr(err.msg, "invalid event name"));
	assert_int_equal(core_journal_append(j, "", NULL, &err), -1);
	assert_int_equal(core_journal_append(j, "note", arr, &err), -1);
	assert_non_null(strstr(err.msg, "must be a JSON object"));
	assert_int_equal(core_journal_count(j), 0);
	core_journal_close(j);
	json_decref(arr);
	assert_int_equal(core_journal_open("", &alice, NULL, &j, &err), -1);
	assert_null(j);
}

static void test_torn_last_line(void **state)
{
	struct fixture *f = *state;
	struct core_journal *j = NULL;
	const char torn[] = "{\"seq\":6,\"torn";
	size_t len;
	char *buf;
	FILE *fp;

	write_five(f->dir);
	fp = fopen(f->file, "ab");
	assert_non_null(fp);
	fputs(torn, fp);
	fclose(fp);

	/* The read-only view ignores it too, and leaves the file alone. */
	assert_int_equal(core_journal_open_readonly(f->dir, &j, NULL), 0);
	assert_true(has_warning(j, "incomplete", "(14 bytes)"));
	core_journal_close(j);
	buf = slurp(f->file, &len);
	assert_non_null(strstr(buf, torn));
	free(buf);

	j = open_ok(f->dir);
	assert_int_equal(core_journal_warning_count(j), 1);
	assert_true(has_warning(j, "the last line (14 bytes) is incomplete", "ignored"));
	assert_true(core_journal_intact(j));
	assert_int_equal(core_journal_count(j), 5);
	append_ok(j, "note", "{\"text\":\"after the crash\"}");
	core_journal_close(j);

	buf = slurp(f->file, &len);
	assert_null(strstr(buf, torn));
	free(buf);
	assert_int_equal(assert_chain(f->file), 6);
	j = open_ok(f->dir);
	assert_int_equal(core_journal_warning_count(j), 0);
	assert_true(core_journal_intact(j));
	assert_int_equal(core_journal_count(j), 6);
	core_journal_close(j);
}

static void test_edited_middle_line(void **state)
{
	struct fixture *f = *state;
	struct core_journal *j = NULL;
	size_t len;
	char *buf, *line3, *at;

	write_five(f->dir);
	buf = slurp(f->file, &len);
	line3 = strstr(buf, "\"seq\":3,");
	assert_non_null(line3);
	at = strstr(line3, "\"pass\"");
	assert_non_null(at);
	memcpy(at, "\"fail\"", 6);
	spit(f->file, buf, len);
	free(buf);

	j = open_ok(f->dir);
	assert_false(core_journal_intact(j));
	assert_true(
	    has_warning(j, "line 4 does not carry the hash of line 3", "line 3 was edited"));
	assert_int_equal(core_journal_warning_count(j), 1);
	/* Still usable: the operator can finish the upgrade. */
	assert_int_equal(core_journal_count(j), 5);
	append_ok(j, "note", NULL);
	assert_int_equal(json_integer_value(json_object_get(core_journal_last(j, "note"), "seq")),
			 6);
	core_journal_close(j);
}

static void test_deleted_middle_line(void **state)
{
	struct fixture *f = *state;
	struct core_journal *j = NULL;
	size_t len;
	char *buf, *line3, *line4;

	write_five(f->dir);
	buf = slurp(f->file, &len);
	line3 = strstr(buf, "{\"seq\":3,");
	line4 = strstr(buf, "{\"seq\":4,");
	assert_non_null(line3);
	assert_non_null(line4);
	memmove(line3, line4, strlen(line4) + 1);
	spit(f->file, buf, strlen(buf));
	free(buf);

	j = open_ok(f->dir);
	assert_false(core_journal_intact(j));
	assert_true(has_warning(j, "line 3: seq 4 follows seq 2", "1 event(s) are missing"));
	assert_int_equal(core_journal_count(j), 4);
	core_journal_close(j);
}

static void test_removed_beginning_and_inserted_line(void **state)
{
	struct fixture *f = *state;
	struct core_journal *j = NULL;
	size_t len;
	char *buf, *line2, *copy;

	write_five(f->dir);
	buf = slurp(f->file, &len);
	line2 = strstr(buf, "{\"seq\":2,");
	assert_non_null(line2);
	/* Drop line 1, then put a line that is not an event at line 2. */
	copy = calloc(1, len + 64);
	assert_non_null(copy);
	memcpy(copy, line2, (size_t)(strchr(line2, '\n') - line2) + 1);
	strcat(copy, "{\"hello\":1}\n");
	strcat(copy, strchr(line2, '\n') + 1);
	spit(f->file, copy, strlen(copy));
	free(copy);
	free(buf);

	j = open_ok(f->dir);
	assert_false(core_journal_intact(j));
	assert_true(has_warning(j, "line 1: seq 2 follows seq 0", NULL));
	assert_true(has_warning(j, "line 2 is not a journal event", "ignored"));
	/* The line after the inserted one does not chain on it. */
	assert_true(has_warning(j, "line 3 does not carry the hash of line 2", NULL));
	assert_int_equal(core_journal_count(j), 4);
	core_journal_close(j);
}

/* Found by fuzzing: an edited seq of LLONG_MAX made the next line's check
 * compute LLONG_MAX + 1 (UBSan), and so would the next append. */
static void test_largest_seq(void **state)
{
	struct fixture *f = *state;
	struct core_journal *j = NULL;
	struct core_error err = {{0}};
	const char *op = "\"operator\":{\"user\":\"a\",\"tty\":\"\",\"ssh_client\":\"\"}";
	char line1[256], line2[512], hash[65];
	char buf[800];
	size_t len = 0;

	snprintf(line1, sizeof(line1),
		 "{\"seq\":9223372036854775807,\"time\":\"t\",%s,\"event\":\"note\","
		 "\"details\":{},\"prev\":\"" ZERO64 "\"}",
		 op);
	sha256_hex(line1, strlen(line1), hash);
	snprintf(line2, sizeof(line2),
		 "{\"seq\":1,\"time\":\"t\",%s,\"event\":\"note\",\"details\":{},"
		 "\"prev\":\"%s\"}",
		 op, hash);
	snprintf(buf, sizeof(buf), "%s\n%s\n", line1, line2);
	assert_int_equal(mkdir(f->dir, 0700), 0);
	spit(f->file, buf, strlen(buf));

	j = open_ok(f->dir);
	assert_false(core_journal_intact(j));
	assert_true(has_warning(j, "line 2: seq 1 does not follow seq 9223372036854775807", NULL));
	assert_int_equal(core_journal_count(j), 2);
	append_ok(j, "note", NULL);
	assert_int_equal(json_integer_value(json_object_get(core_journal_event(j, 2), "seq")), 2);
	core_journal_close(j);

	/* With that line last, nothing can be appended: refused, file unchanged. */
	snprintf(buf, sizeof(buf), "%s\n", line1);
	spit(f->file, buf, strlen(buf));
	j = open_ok(f->dir);
	assert_int_equal(core_journal_append(j, "note", NULL, &err), -1);
	assert_non_null(strstr(err.msg, "no event can follow"));
	core_journal_close(j);
	free(slurp(f->file, &len));
	assert_int_equal(len, strlen(buf));
}

static void test_intact_journal_untouched_has_no_findings(void **state)
{
	struct fixture *f = *state;
	struct core_journal *j = NULL;

	write_five(f->dir);
	assert_int_equal(core_journal_open_readonly(f->dir, &j, NULL), 0);
	assert_true(core_journal_intact(j));
	assert_int_equal(core_journal_warning_count(j), 0);
	assert_int_equal(core_journal_count(j), 5);
	core_journal_close(j);
}

static void test_redaction(void **state)
{
	struct fixture *f = *state;
	struct core_journal *j = open_ok(f->dir);
	json_t *d =
	    json_loads("{\"user\":\"kong\",\"pg_password\":\"hunter2\",\"unset_token\":null,"
		       "\"conf\":{\"admin_gui_session_conf\":\"{\\\"secret\\\":\\\"s3\\\"}\","
		       "\"headers\":[{\"Kong-Admin-Token\":\"tok-abc\"},{\"n\":1}]},"
		       "\"Secret\":{\"deep\":\"xyz\"}}",
		       0, NULL);
	const json_t *ev, *det;
	char *buf;

	assert_non_null(d);
	append_ok(j, "answer", NULL);
	assert_int_equal(core_journal_append(j, "answer", d, NULL), 0);
	/* The caller's object is left as it was. */
	assert_string_equal(json_string_value(json_object_get(d, "pg_password")), "hunter2");
	det = json_object_get(core_journal_last(j, "answer"), "details");
	assert_string_equal(json_string_value(json_object_get(det, "user")), "kong");
	assert_string_equal(json_string_value(json_object_get(det, "pg_password")), "******");
	assert_true(json_is_null(json_object_get(det, "unset_token")));
	assert_string_equal(json_string_value(json_object_get(det, "Secret")), "******");
	ev = json_object_get(json_object_get(det, "conf"), "headers");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(ev, 0), "Kong-Admin-Token")),
	    "******");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(ev, 1), "n")), 1);
	core_journal_close(j);

	buf = slurp(f->file, NULL);
	assert_null(strstr(buf, "hunter2"));
	assert_null(strstr(buf, "s3"));
	assert_null(strstr(buf, "tok-abc"));
	assert_null(strstr(buf, "xyz"));
	assert_non_null(strstr(buf, "\"pg_password\":\"******\""));
	free(buf);

	core_journal_redact(d);
	assert_string_equal(json_string_value(json_object_get(d, "pg_password")), "******");
	core_journal_redact(NULL);
	json_decref(d);
}

static void test_modes(void **state)
{
	struct fixture *f = *state;
	struct core_error err = {{0}};
	struct core_journal *j = NULL;
	char deep[256], parent[256], file[320];
	struct stat st;
	mode_t old = umask(0);

	/* Parents too, and exact modes whatever the umask. */
	snprintf(parent, sizeof(parent), "%s/a", f->base);
	snprintf(deep, sizeof(deep), "%s/a/b/state", f->base);
	snprintf(file, sizeof(file), "%s/journal.jsonl", deep);
	j = open_ok(deep);
	core_journal_close(j);
	umask(old);
	assert_int_equal(stat(deep, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(stat(parent, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	snprintf(parent, sizeof(parent), "%s/strict", f->base);
	snprintf(deep, sizeof(deep), "%s/strict/state", f->base);
	snprintf(file, sizeof(file), "%s/journal.jsonl", deep);
	old = umask(0277);
	j = open_ok(deep);
	core_journal_close(j);
	umask(old);
	assert_int_equal(stat(parent, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(stat(deep, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	/* Readable by others: tightened, with a warning. */
	assert_int_equal(chmod(deep, 0755), 0);
	assert_int_equal(chmod(file, 0644), 0);
	write_five(deep);
	assert_int_equal(chmod(deep, 0755), 0);
	assert_int_equal(chmod(file, 0644), 0);
	j = open_ok(deep);
	assert_true(has_warning(j, "had mode 0755; it is now 0700", NULL));
	assert_true(has_warning(j, "had mode 0644; it is now 0600", NULL));
	assert_true(core_journal_intact(j));
	core_journal_close(j);
	assert_int_equal(stat(deep, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	/* Writable by others: refused, and the read-only view says why. */
	assert_int_equal(chmod(deep, 0777), 0);
	assert_int_equal(core_journal_open(deep, &alice, frozen_clock, &j, &err), -1);
	assert_null(j);
	assert_non_null(strstr(err.msg, "world-writable (mode 0777)"));
	assert_non_null(strstr(err.msg, "chmod 700"));
	assert_int_equal(core_journal_open_readonly(deep, &j, &err), 0);
	assert_false(core_journal_intact(j));
	assert_true(has_warning(j, "world-writable", NULL));
	core_journal_close(j);
	assert_int_equal(chmod(deep, 0700), 0);

	/* Not ours: refused. Giving it away needs root, which CI runs as. */
	if (geteuid() == 0) {
		assert_int_equal(chown(deep, 1, 1), 0);
		assert_int_equal(core_journal_open(deep, &alice, frozen_clock, &j, &err), -1);
		assert_non_null(strstr(err.msg, "belongs to uid 1, not to the user running"));
		assert_non_null(strstr(err.msg, "chown"));
		assert_int_equal(core_journal_open_readonly(deep, &j, &err), 0);
		assert_true(has_warning(j, "belongs to uid 1", NULL));
		assert_int_equal(core_journal_count(j), 5);
		core_journal_close(j);
		assert_int_equal(chown(deep, 0, 0), 0);
	}
	assert_int_equal(chmod(deep, 0770), 0);
	assert_int_equal(core_journal_open(deep, &alice, frozen_clock, &j, &err), -1);
	assert_non_null(strstr(err.msg, "(mode 0770)"));
	assert_int_equal(stat(deep, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0770);
}

static void test_lock_and_readonly(void **state)
{
	struct fixture *f = *state;
	struct core_error err = {{0}};
	struct core_journal *j = NULL, *second = NULL, *ro = NULL;

	/* Before anything exists, the read-only view is empty, not an error. */
	assert_int_equal(core_journal_open_readonly(f->dir, &ro, &err), 0);
	assert_int_equal(core_journal_count(ro), 0);
	assert_int_equal(core_journal_append(ro, "note", NULL, &err), -1);
	core_journal_close(ro);
	assert_int_equal(access(f->dir, F_OK), -1);

	j = open_ok(f->dir);
	append_ok(j, "check", "{\"result\":\"pass\"}");
	assert_int_equal(core_journal_open(f->dir, &alice, frozen_clock, &second, &err), -1);
	assert_null(second);
	assert_non_null(strstr(err.msg, "is in use by another kong-upgrade-wizard"));
	assert_non_null(strstr(err.msg, "by alice on /dev/pts/1 from 10.0.0.5 51000 22"));
	assert_non_null(strstr(err.msg, f->file));

	assert_int_equal(core_journal_open_readonly(f->dir, &ro, &err), 0);
	assert_int_equal(core_journal_count(ro), 1);
	assert_true(core_journal_intact(ro));
	assert_int_equal(core_journal_append(ro, "note", NULL, &err), -1);
	assert_non_null(strstr(err.msg, "read-only"));
	core_journal_close(ro);

	/* The holder still writes; after it closes, the next wizard may open. */
	append_ok(j, "note", NULL);
	core_journal_close(j);
	j = open_ok(f->dir);
	assert_int_equal(core_journal_count(j), 2);
	core_journal_close(j);
	core_journal_close(NULL);
}

/* A write that fails for real: RLIMIT_FSIZE makes write(2) on the journal
 * stop 10 bytes past its end (a short write) and then fail with EFBIG, the
 * way a full disk stops with ENOSPC. SIGXFSZ is ignored so the process lives. */
static void test_append_failure(void **state)
{
	struct fixture *f = *state;
	struct core_error err = {{0}};
	struct core_journal *j = open_ok(f->dir);
	json_t *details = json_pack("{s:s}", "file", "kong.dump");
	struct rlimit old, lim;
	void (*oldsig)(int);
	struct stat st;
	int rc;

	append_ok(j, "check", "{\"result\":\"pass\"}");
	assert_int_equal(stat(f->file, &st), 0);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)st.st_size + 10;
	oldsig = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	rc = core_journal_append(j, "backup", details, &err);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, oldsig);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err.msg, "cannot write event backup to"));
	assert_non_null(strstr(err.msg, f->file));
	assert_non_null(strstr(err.msg, "too large"));
	assert_int_equal(core_journal_count(j), 1);

	/* The 10 bytes that made it were cut off again; the chain goes on. */
	{
		struct stat after;

		assert_int_equal(stat(f->file, &after), 0);
		assert_int_equal(after.st_size, st.st_size);
	}
	assert_int_equal(core_journal_append(j, "backup", details, &err), 0);
	json_decref(details);
	core_journal_close(j);
	assert_int_equal(assert_chain(f->file), 2);
	j = open_ok(f->dir);
	assert_int_equal(core_journal_warning_count(j), 0);
	assert_true(core_journal_intact(j));
	core_journal_close(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_exact_first_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_real_clock_and_missing_operator, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_append_reopen_replay, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_torn_last_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_edited_middle_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_deleted_middle_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_removed_beginning_and_inserted_line, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_intact_journal_untouched_has_no_findings, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_largest_seq, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_redaction, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_modes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lock_and_readonly, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_append_failure, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
