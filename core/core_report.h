/* core_report.h — the upgrade report (SPEC §2.9): a Markdown summary made
 * from the journal and the last inspection: what ran, when, by whom, the
 * backup (path, SHA-256), the log paths and the final state. */
#ifndef CORE_REPORT_H
#define CORE_REPORT_H

#include <stddef.h>

#include "core/core_error.h"
#include "core/core_upgrade.h"

/* Writes <state_dir>/report-<UTC time>.md (0600, never overwriting) and puts
 * its path into path. now_ms: the time in the name (0 = now). 0, or -1 with
 * err naming the file. */
int core_report_write(const struct core_upgrade *u, const char *state_dir, long long now_ms,
		      char *path, size_t size, struct core_error *err);

#endif
