/* core_path.h — which upgrade this is, and where it stands (SPEC §1).
 *
 * From the detected datastore release (core_catalog), the target `kong`
 * binary's edition and version, and what the datastore holds, decide:
 *   ee-0.36-to-ee-1.3  Kong Enterprise 0.36 -> 1.3 (up, traffic shift, finish)
 *   ce-to-ee-1.3       Kong 1.2 or 1.3 -> Kong Enterprise 1.3 (up, finish,
 *                      migrate-community-to-enterprise)
 * and the phase: not-started, up-done (pending migrations of this upgrade;
 * also when `finish` stopped half-way), up-partial (`up` stopped half-way),
 * finished (finish ran; on ce-to-ee the entities are not yet in a workspace),
 * migrated (ce-to-ee complete), or a refusal in the runbook's words. */
#ifndef CORE_PATH_H
#define CORE_PATH_H

#include "core/core_catalog.h"
#include "core/core_state.h"

enum core_path {
	CORE_PATH_NONE,
	CORE_PATH_EE036_TO_EE13,
	CORE_PATH_CE_TO_EE13,
};

enum core_phase {
	CORE_PHASE_UNKNOWN,
	CORE_PHASE_NOT_STARTED,
	CORE_PHASE_UP_DONE,
	CORE_PHASE_UP_PARTIAL, /* `up` stopped half-way: refused, with the ways on */
	CORE_PHASE_FINISHED,
	CORE_PHASE_MIGRATED,
};

struct core_plan {
	enum core_path path;
	enum core_phase phase;
	enum core_edition source_edition;
	char source_version[32];   /* "0.36", "1.2"; "" when unknown */
	enum core_edition target_edition;
	char target_version[32];
	char refusal[768];	   /* non-empty: the wizard cannot take this upgrade, and why */
};

/* Decides the plan. database: kong.conf's `database` value (NULL = postgres).
 * target_edition/target_version: from `kong version` (UNKNOWN / NULL when it
 * could not be asked). st may be NULL when the datastore was not read. */
void core_path_decide(const char *database, const struct core_detection *d,
		      const struct core_db_state *st, enum core_edition target_edition,
		      const char *target_version, struct core_plan *plan);

/* "ee-0.36-to-ee-1.3", "ce-to-ee-1.3", or NULL for none (the JSON's null). */
const char *core_path_name(enum core_path p);

/* "not-started", "up-done", "up-partial", "finished", "migrated", "unknown". */
const char *core_phase_name(enum core_phase p);

#endif
