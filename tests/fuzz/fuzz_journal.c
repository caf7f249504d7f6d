/* fuzz_journal — journal replay of an arbitrary journal.jsonl: opened
 * read-only and walked, then read-write (which cuts a torn last line), one
 * event appended, and read again: the new event must be there, redacted, and
 * a journal that replayed intact must still be intact. The append may only be
 * refused when the last event's seq is LLONG_MAX. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_journal.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static long long fuzz_clock(void)
{
	return 1714566896000LL;
}

static long long fuzz_seq(const json_t *ev)
{
	return (long long)json_integer_value(json_object_get(ev, "seq"));
}

static void fuzz_walk(const struct core_journal *j)
{
	size_t i;

	for (i = 0; i < core_journal_count(j); i++)
		if (core_journal_event(j, i) == NULL)
			fuzz_fail("event %zu is NULL", i);
	for (i = 0; i < core_journal_warning_count(j); i++)
		if (core_journal_warning(j, i) == NULL)
			fuzz_fail("warning %zu is NULL", i);
	core_journal_last(j, "note");
	core_journal_last(j, "check");
	core_journal_path(j);
}

static struct core_journal *fuzz_open_readonly(const char *dir)
{
	struct core_journal *j = NULL;
	struct core_error err = {{0}};

	if (core_journal_open_readonly(dir, &j, &err) < 0)
		fuzz_fail("read-only open failed: %s", err.msg);
	fuzz_walk(j);
	return j;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct core_journal_operator op = {"fuzz", "/dev/pts/0", ""};
	char *dir = fuzz_mkdtemp();
	struct core_journal *j = NULL;
	struct core_error err = {{0}};
	json_t *details = NULL;
	const json_t *last;
	size_t count;
	bool intact;

	fuzz_write_file(dir, CORE_JOURNAL_FILE, data, size);
	core_journal_close(fuzz_open_readonly(dir));

	if (core_journal_open(dir, &op, fuzz_clock, &j, &err) < 0)
		fuzz_fail("read-write open failed: %s", err.msg);
	fuzz_walk(j);
	count = core_journal_count(j);
	intact = core_journal_intact(j);
	details = json_pack("{s:s, s:s, s:[{s:i}]}", "step", "fuzz", "pg_password", "hunter2",
			    "list", "token", 1);
	if (details == NULL)
		fuzz_fail("fuzz: out of memory");
	if (core_journal_append(j, "note", details, &err) < 0) {
		/* Refused only after an (edited) seq of LLONG_MAX. */
		if (count == 0 || fuzz_seq(core_journal_event(j, count - 1)) != LLONG_MAX)
			fuzz_fail("append failed: %s", err.msg);
		json_decref(details);
		core_journal_close(j);
		fuzz_rmdir(dir);
		return 0;
	}
	json_decref(details);
	core_journal_close(j);

	j = fuzz_open_readonly(dir);
	if (core_journal_count(j) != count + 1)
		fuzz_fail("%zu events after appending to %zu", core_journal_count(j), count);
	if (intact && !core_journal_intact(j))
		fuzz_fail("an intact journal is no longer intact after one append");
	last = core_journal_event(j, count);
	if (strcmp(json_string_value(json_object_get(last, "event")), "note") != 0 ||
	    strcmp(
		json_string_value(json_object_get(json_object_get(last, "details"), "pg_password")),
		"******") != 0)
		fuzz_fail("the appended event is not the redacted note");
	core_journal_close(j);
	fuzz_rmdir(dir);
	return 0;
}
