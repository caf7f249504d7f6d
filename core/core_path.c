#include "core/core_path.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *core_path_name(enum core_path p)
{
	switch (p) {
	case CORE_PATH_EE036_TO_EE13:
		return "ee-0.36-to-ee-1.3";
	case CORE_PATH_CE_TO_EE13:
		return "ce-to-ee-1.3";
	case CORE_PATH_NONE:
		break;
	}
	return NULL;
}

const char *core_phase_name(enum core_phase p)
{
	switch (p) {
	case CORE_PHASE_NOT_STARTED:
		return "not-started";
	case CORE_PHASE_UP_DONE:
		return "up-done";
	case CORE_PHASE_UP_PARTIAL:
		return "up-partial";
	case CORE_PHASE_FINISHED:
		return "finished";
	case CORE_PHASE_MIGRATED:
		return "migrated";
	case CORE_PHASE_UNKNOWN:
		break;
	}
	return "unknown";
}

/* Are there community entities that migrate-community-to-enterprise has not
 * put into a workspace yet? (§1.9: it adds workspace_entities rows for every
 * entity, in `default`; Enterprise entities may live in other workspaces.) */
static int path_entities_unmapped(const struct core_db_state *st)
{
	static const char *const tables[] = { "services", "routes", "consumers", "plugins" };
	size_t i;

	for (i = 0; st != NULL && i < sizeof(tables) / sizeof(tables[0]); i++)
		if (core_state_count(st, tables[i]) > 0 &&
		    core_state_in_workspace(st, tables[i]) < core_state_count(st, tables[i]))
			return 1;
	return 0;
}

static void path_refuse(struct core_plan *plan, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void path_refuse(struct core_plan *plan, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(plan->refusal, sizeof(plan->refusal), fmt, ap);
	va_end(ap);
}

void core_path_decide(const char *database, const struct core_detection *d,
		      const struct core_db_state *st, enum core_edition target_edition,
		      const char *target_version, struct core_plan *plan)
{
	const struct core_catalog_release *from = d != NULL ? d->from : NULL;

	memset(plan, 0, sizeof(*plan));
	plan->target_edition = target_edition;
	snprintf(plan->target_version, sizeof(plan->target_version), "%s",
		 target_version != NULL ? target_version : "");
	if (from != NULL) {
		plan->source_edition = from->edition;
		snprintf(plan->source_version, sizeof(plan->source_version), "%s", from->version);
	}

	if (database != NULL && strcmp(database, "postgres") != 0) {
		path_refuse(plan, "kong.conf sets database = %s: this wizard upgrades PostgreSQL "
				  "datastores only%s", database,
			    strcmp(database, "cassandra") == 0 ? " (Cassandra is not supported)" : "");
		return;
	}
	if (target_edition != CORE_EDITION_UNKNOWN &&
	    (target_edition != CORE_EDITION_ENTERPRISE || strcmp(plan->target_version, "1.3") != 0)) {
		path_refuse(plan, "the new kong binary is %s %s; this wizard upgrades to Kong "
				  "Enterprise 1.3 only",
			    target_edition == CORE_EDITION_ENTERPRISE ? "Kong Enterprise" : "Kong",
			    plan->target_version);
		return;
	}
	if (d == NULL) {
		plan->phase = CORE_PHASE_UNKNOWN;
		return;
	}

	switch (d->kind) {
	case CORE_DETECT_EMPTY:
		/* No schema_meta but the pre-1.0 bookkeeping table (reference §2.2):
		 * Kong 0.x or Kong Enterprise 0.34 and older. */
		if (st != NULL && st->has_legacy_migrations) {
			path_refuse(plan, "the datastore keeps its migrations in schema_migrations: it "
					  "is Kong older than 1.0 or Kong Enterprise 0.34 or older. If "
					  "running a version of Kong Enterprise earlier than 0.36, "
					  "migrate to 0.36 first.");
			return;
		}
		path_refuse(plan, "the database has no Kong schema (not bootstrapped): there is "
				  "nothing to upgrade; a new Kong Enterprise 1.3 datastore is made "
				  "with 'kong migrations bootstrap'");
		return;
	case CORE_DETECT_UNKNOWN:
	case CORE_DETECT_PENDING:
		path_refuse(plan, "the datastore is in a state this wizard does not know: %s",
			    d->reason);
		return;
	case CORE_DETECT_UP_PARTIAL:
		plan->phase = CORE_PHASE_UP_PARTIAL;
		path_refuse(plan, "%s. Kong 1.3 will not run 'up' again while migrations are "
				  "pending, and 'finish' would make the datastore unusable for the "
				  "old nodes. Restore the backup taken before 'up' and run the "
				  "upgrade again; or, once no old node uses the datastore any more, "
				  "run 'kong migrations finish', then 'up' and 'finish' again, by "
				  "hand",
			    d->reason);
		return;
	case CORE_DETECT_UP_DONE:
		plan->phase = CORE_PHASE_UP_DONE;
		if (from == NULL) {
			/* finish stopped half-way: the source is no longer visible in
			 * schema_meta (the journal remembers it); finish again. */
			plan->path = d->to->edition == CORE_EDITION_ENTERPRISE
					     ? CORE_PATH_EE036_TO_EE13
					     : CORE_PATH_NONE;
			plan->source_edition = CORE_EDITION_UNKNOWN;
			if (plan->path == CORE_PATH_NONE)
				path_refuse(plan, "'finish' of an upgrade to %s stopped half-way: "
						  "run 'kong migrations finish' with that version",
					    d->to->id);
			return;
		}
		if (d->to->edition != CORE_EDITION_ENTERPRISE || strcmp(d->to->version, "1.3") != 0) {
			path_refuse(plan, "the datastore has pending migrations of an earlier upgrade "
					  "to %s (Kong %s): run 'kong migrations finish' with that "
					  "version first",
				    d->to->id, d->to->version);
			return;
		}
		break;
	case CORE_DETECT_RELEASE:
		plan->phase = CORE_PHASE_NOT_STARTED;
		break;
	}

	if (from->edition == CORE_EDITION_ENTERPRISE) {
		if (strcmp(from->version, "1.3") == 0) {
			/* Already Enterprise 1.3: either path A finished, or path B
			 * after finish (entities still outside any workspace). */
			plan->source_edition = CORE_EDITION_ENTERPRISE;
			if (path_entities_unmapped(st)) {
				plan->path = CORE_PATH_CE_TO_EE13;
				plan->phase = CORE_PHASE_FINISHED;
			} else {
				plan->path = CORE_PATH_EE036_TO_EE13;
				plan->phase = CORE_PHASE_FINISHED;
			}
			return;
		}
		if (strcmp(from->version, "0.36") != 0) {
			path_refuse(plan, "the datastore is Kong Enterprise %s. If running a version "
					  "of Kong Enterprise earlier than 0.36, migrate to 0.36 first.",
				    from->version);
			return;
		}
		plan->path = CORE_PATH_EE036_TO_EE13;
		return;
	}
	if (strcmp(from->version, "1.2") != 0 && strcmp(from->version, "1.3") != 0) {
		path_refuse(plan, "the datastore is Kong %s. Kong Enterprise 1.3 takes Kong 1.2 or "
				  "1.3 datastores: upgrade to Kong 1.3 before upgrading to Kong "
				  "Enterprise 1.3.",
			    from->version);
		return;
	}
	plan->path = CORE_PATH_CE_TO_EE13;
}
