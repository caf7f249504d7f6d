#include "core/core_report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *report_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

/* One line of the journal table; skips the noisy check events. */
static void report_event(FILE *f, const json_t *e)
{
	const char *ev = report_str(e, "event");
	const json_t *d = json_object_get(e, "details");
	const json_t *op = json_object_get(e, "operator");
	char what[1024];

	if (strcmp(ev, "check") == 0)
		return;
	what[0] = '\0';
	if (strcmp(ev, "run-start") == 0 || strcmp(ev, "confirm") == 0)
		snprintf(what, sizeof(what), "%s%s%s", report_str(d, "step"),
			 json_is_string(json_object_get(d, "without_backup")) ? ", without backup: "
									      : "",
			 report_str(d, "without_backup"));
	else if (strcmp(ev, "run-end") == 0)
		snprintf(what, sizeof(what), "%s: %s, exit %lld%s%s", report_str(d, "step"),
			 report_str(d, "state"),
			 (long long)json_integer_value(json_object_get(d, "exit_code")),
			 report_str(d, "verification")[0] != '\0' ? "; verification: " : "",
			 report_str(d, "verification"));
	else if (strcmp(ev, "backup") == 0)
		snprintf(what, sizeof(what), "%s", report_str(d, "path"));
	else if (strcmp(ev, "waiver") == 0)
		snprintf(what, sizeof(what), "%s: %s", report_str(d, "check"),
			 report_str(d, "reason"));
	else if (strcmp(ev, "traffic-confirmed") == 0)
		snprintf(what, sizeof(what), "%s%s", report_str(d, "override")[0] != '\0' ?
			 "override: " : "confirmed", report_str(d, "override"));
	for (char *p = what; *p != '\0'; p++)
		if (*p == '|' || *p == '\n')
			*p = ' ';
	fprintf(f, "| %s | %s | %s | %s |\n", report_str(e, "time"), report_str(op, "user"), ev,
		what);
}

/* The journal's time of the run that completed the upgrade: the last
 * finish or migrate-community-to-enterprise that ended with exit code 0
 * (NULL when the journal has none). */
static const char *report_completion(struct core_journal *j)
{
	const char *when = NULL;
	size_t i;

	for (i = 0; i < core_journal_count(j); i++) {
		const json_t *e = core_journal_event(j, i);
		const json_t *d = json_object_get(e, "details");
		const char *step = report_str(d, "step");

		if (strcmp(report_str(e, "event"), "run-end") == 0 &&
		    (strcmp(step, "finish") == 0 ||
		     strcmp(step, "migrate-community-to-enterprise") == 0) &&
		    json_is_integer(json_object_get(d, "exit_code")) &&
		    json_integer_value(json_object_get(d, "exit_code")) == 0)
			when = report_str(e, "time");
	}
	return when != NULL && when[0] != '\0' ? when : NULL;
}

int core_report_write(const struct core_upgrade *u, const char *state_dir, long long now_ms,
		      char *path, size_t size, bool *existed, struct core_error *err)
{
	const struct core_inspection *in = core_upgrade_inspection(u);
	struct core_journal *j = core_upgrade_journal(u);
	const struct core_backup_info *b;
	const char *completion = report_completion(j);
	char stamp[32], why[512];
	time_t t = now_ms > 0 ? (time_t)(now_ms / 1000) : time(NULL);
	struct tm tm;
	FILE *f = NULL;
	bool fresh;
	size_t i, n = 0;
	int fd, rc = -1;

	*existed = false;
	if (completion != NULL) {
		/* "2026-11-26T09:30:00Z" -> "20261126T093000Z" */
		for (i = 0; completion[i] != '\0' && n + 1 < sizeof(stamp); i++)
			if (completion[i] != '-' && completion[i] != ':' && completion[i] != '/')
				stamp[n++] = completion[i];
		stamp[n] = '\0';
	} else {
		gmtime_r(&t, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	}
	snprintf(path, size, "%s/report-%s.md", state_dir, stamp);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST) {
		/* Written for this completion (or in this second) already. */
		*existed = true;
		return 0;
	}
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		core_error_errno(err, errno, "cannot write the report %s", path);
		if (fd >= 0)
			close(fd);
		goto out;
	}
	fprintf(f, "# Kong upgrade report\n\n");
	if (in != NULL) {
		fprintf(f, "- Path: %s\n- Phase now: %s\n- Source: %s %s\n- Target: %s %s\n",
			core_path_name(in->plan.path) != NULL ? core_path_name(in->plan.path) : "none",
			core_phase_name(in->plan.phase), core_edition_name(in->plan.source_edition),
			in->plan.source_version, core_edition_name(in->plan.target_edition),
			in->plan.target_version);
		if (in->db_ok)
			fprintf(f, "- Database: %s, schema %s\n", in->db.database, in->db.schema);
	}
	b = core_upgrade_last_backup(u, &fresh, why, sizeof(why));
	if (b != NULL)
		fprintf(f, "- Backup: %s (%lld bytes, sha256 %s, %s)\n", b->path, b->size, b->sha256,
			b->verified ? "verified" : "NOT verified");
	else
		fprintf(f, "- Backup: none recorded\n");
	fprintf(f, "- Journal: %s (%s)\n\n## Runs\n\n", core_journal_path(j),
		core_journal_intact(j) ? "intact" : "NOT intact");
	for (i = 0; i < core_journal_count(j); i++) {
		const json_t *e = core_journal_event(j, i);
		const json_t *d = json_object_get(e, "details");

		if (strcmp(report_str(e, "event"), "run-end") == 0)
			fprintf(f, "- `%s` ended %s (exit %lld), log: %s\n", report_str(d, "step"),
				report_str(e, "time"),
				(long long)json_integer_value(json_object_get(d, "exit_code")),
				report_str(d, "log"));
	}
	fprintf(f, "\n## Journal\n\n| time | operator | event | details |\n| --- | --- | --- | --- "
		   "|\n");
	for (i = 0; i < core_journal_count(j); i++)
		report_event(f, core_journal_event(j, i));
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		core_error_errno(err, errno, "cannot write the report %s", path);
		goto out;
	}
	rc = 0;
out:
	if (f != NULL && fclose(f) != 0 && rc == 0)
		rc = core_error_errno(err, errno, "cannot write the report %s", path);
	return rc;
}
