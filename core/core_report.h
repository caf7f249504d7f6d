/* core_report.h — the upgrade report (SPEC §2.9): a Markdown summary made
 * from the journal and the last inspection: what ran, when, by whom, the
 * backup (path, SHA-256), the log paths and the final state. */
#ifndef CORE_REPORT_H
#define CORE_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/core_error.h"
#include "core/core_upgrade.h"

/* Writes the report once per completed upgrade: <state_dir>/report-<UTC
 * time>.md (0600, never overwriting), named after the journal's end of the
 * run that completed the upgrade (the last finish or
 * migrate-community-to-enterprise that exited 0), or after now_ms (0 = now)
 * when the journal has none. When that file exists already it is the
 * report: *existed is set and nothing is written. path gets the file's
 * path either way. 0, or -1 with err naming the file. */
int core_report_write(const struct core_upgrade *u, const char *state_dir, long long now_ms,
		      char *path, size_t size, bool *existed, struct core_error *err);

#endif
