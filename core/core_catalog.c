#include "core/core_catalog.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Reference kong-migrations.md §3.1 (CE core) and §3.3 (EE core). */
static const struct core_catalog_migration core_ce_10[] = {
	{ "000_base", false }, { "001_14_to_15", true }, { "002_15_to_1", true },
};
static const struct core_catalog_migration core_ce_11[] = {
	{ "000_base", false }, { "001_14_to_15", true }, { "002_15_to_1", true },
	{ "003_100_to_110", false },
};
static const struct core_catalog_migration core_ce_12[] = {
	{ "000_base", false }, { "001_14_to_15", true }, { "002_15_to_1", true },
	{ "003_100_to_110", false }, { "004_110_to_120", false },
};
static const struct core_catalog_migration core_ce_13[] = {
	{ "000_base", false }, { "001_14_to_15", true }, { "002_15_to_1", true },
	{ "003_100_to_110", false }, { "004_110_to_120", false }, { "005_120_to_130", true },
};
static const struct core_catalog_migration core_ee_035[] = {
	{ "000_base", false }, { "001_13_to_14", true }, { "001_14_to_15", true },
	{ "002_15_to_1", true },
};
static const struct core_catalog_migration core_ee_036[] = {
	{ "000_base", false }, { "001_13_to_14", true }, { "001_14_to_15", true },
	{ "002_15_to_1", true }, { "003_100_to_110", false }, { "004_110_to_120", false },
};
static const struct core_catalog_migration core_ee_13[] = {
	{ "000_base", false }, { "001_13_to_14", true }, { "001_14_to_15", true },
	{ "002_15_to_1", true }, { "003_100_to_110", false }, { "004_110_to_120", false },
	{ "005_120_to_130", true },
};

/* §3.3 `enterprise` subsystem; 000_base has a teardown only on Cassandra. */
static const struct core_catalog_migration ent_035[] = {
	{ "000_base", false }, { "001_034_to_035", true }, { "002_035_to_035-1", true },
};
static const struct core_catalog_migration ent_036_1[] = {
	{ "000_base", false }, { "001_034_to_035", true }, { "002_035_to_035-1", true },
};
static const struct core_catalog_migration ent_036_2[] = {
	{ "000_base", false }, { "001_034_to_035", true }, { "002_035_to_035-1", true },
	{ "003_035-1_to_036-2", true },
};
static const struct core_catalog_migration ent_1300[] = {
	{ "000_base", false }, { "001_034_to_035", true }, { "002_035_to_035-1", true },
	{ "003_035-1_to_036-2", true }, { "004_036-2_to_037", true },
};
static const struct core_catalog_migration ent_1301[] = {
	{ "000_base", false }, { "001_034_to_035", true }, { "002_035_to_035-1", true },
	{ "003_035-1_to_036-2", true }, { "004_036-2_to_037", true }, { "005_037_to_1301", true },
};
static const struct core_catalog_migration ent_1302[] = {
	{ "000_base", false }, { "001_034_to_035", true }, { "002_035_to_035-1", true },
	{ "003_035-1_to_036-2", true }, { "004_036-2_to_037", true }, { "005_037_to_1301", true },
	{ "006_1301_to_1302", false },
};

/* §3.2 bundled plugin subsystems. */
static const struct core_catalog_migration p_acl[] = {
	{ "000_base_acl", false }, { "001_14_to_15", true },
};
static const struct core_catalog_migration p_basic_auth[] = {
	{ "000_base_basic_auth", false }, { "001_14_to_15", false },
};
static const struct core_catalog_migration p_hmac_auth[] = {
	{ "000_base_hmac_auth", false }, { "001_14_to_15", false },
};
static const struct core_catalog_migration p_jwt[] = {
	{ "000_base_jwt", false }, { "001_14_to_15", false },
};
static const struct core_catalog_migration p_key_auth[] = {
	{ "000_base_key_auth", false }, { "001_14_to_15", false },
};
static const struct core_catalog_migration p_oauth2[] = {
	{ "000_base_oauth2", false }, { "001_14_to_15", true }, { "002_15_to_10", true },
};
static const struct core_catalog_migration p_rl_10[] = {
	{ "000_base_rate_limiting", false }, { "001_14_to_15", true }, { "002_15_to_10", true },
};
static const struct core_catalog_migration p_rl_112[] = {
	{ "000_base_rate_limiting", false }, { "001_14_to_15", true }, { "002_15_to_10", true },
	{ "003_10_to_112", false },
};
static const struct core_catalog_migration p_rrl[] = {
	{ "000_base_response_rate_limiting", false }, { "001_14_to_15", true },
	{ "002_15_to_10", true },
};
static const struct core_catalog_migration p_session[] = {
	{ "000_base_session", false },
};

#define SUB(name, arr) { name, arr, N(arr) }
#define PLUGINS(rl)                                                                            \
	SUB("acl", p_acl), SUB("basic-auth", p_basic_auth), SUB("hmac-auth", p_hmac_auth),      \
		SUB("jwt", p_jwt), SUB("key-auth", p_key_auth), SUB("oauth2", p_oauth2),        \
		SUB("rate-limiting", rl), SUB("response-ratelimiting", p_rrl)

static const struct core_catalog_subsystem subs_ce_10[] = {
	SUB("core", core_ce_10), PLUGINS(p_rl_10),
};
static const struct core_catalog_subsystem subs_ce_11[] = {
	SUB("core", core_ce_11), PLUGINS(p_rl_112),
};
static const struct core_catalog_subsystem subs_ce_12[] = {
	SUB("core", core_ce_12), PLUGINS(p_rl_112),
};
static const struct core_catalog_subsystem subs_ce_13[] = {
	SUB("core", core_ce_13), PLUGINS(p_rl_112), SUB("session", p_session),
};
static const struct core_catalog_subsystem subs_ee_035[] = {
	SUB("core", core_ee_035), PLUGINS(p_rl_10), SUB("session", p_session),
	SUB("enterprise", ent_035),
};
static const struct core_catalog_subsystem subs_ee_036_1[] = {
	SUB("core", core_ee_036), PLUGINS(p_rl_112), SUB("session", p_session),
	SUB("enterprise", ent_036_1),
};
static const struct core_catalog_subsystem subs_ee_036_2[] = {
	SUB("core", core_ee_036), PLUGINS(p_rl_112), SUB("session", p_session),
	SUB("enterprise", ent_036_2),
};
static const struct core_catalog_subsystem subs_ee_1300[] = {
	SUB("core", core_ee_13), PLUGINS(p_rl_112), SUB("session", p_session),
	SUB("enterprise", ent_1300),
};
static const struct core_catalog_subsystem subs_ee_1301[] = {
	SUB("core", core_ee_13), PLUGINS(p_rl_112), SUB("session", p_session),
	SUB("enterprise", ent_1301),
};
static const struct core_catalog_subsystem subs_ee_1302[] = {
	SUB("core", core_ee_13), PLUGINS(p_rl_112), SUB("session", p_session),
	SUB("enterprise", ent_1302),
};

/* Oldest first within each edition. EE 0.35-1 and 0.36-0/-1 record the same
 * migrations, so one entry stands for both; detection reports the first. */
static const struct core_catalog_release releases[] = {
	{ "ce-1.0", CORE_EDITION_COMMUNITY, "1.0", subs_ce_10, N(subs_ce_10) },
	{ "ce-1.1", CORE_EDITION_COMMUNITY, "1.1", subs_ce_11, N(subs_ce_11) },
	{ "ce-1.2", CORE_EDITION_COMMUNITY, "1.2", subs_ce_12, N(subs_ce_12) },
	{ "ce-1.3", CORE_EDITION_COMMUNITY, "1.3", subs_ce_13, N(subs_ce_13) },
	{ "ee-0.35", CORE_EDITION_ENTERPRISE, "0.35", subs_ee_035, N(subs_ee_035) },
	{ "ee-0.36-1", CORE_EDITION_ENTERPRISE, "0.36", subs_ee_036_1, N(subs_ee_036_1) },
	{ "ee-0.36", CORE_EDITION_ENTERPRISE, "0.36", subs_ee_036_2, N(subs_ee_036_2) },
	{ "ee-1.3", CORE_EDITION_ENTERPRISE, "1.3", subs_ee_1300, N(subs_ee_1300) },
	{ "ee-1.3.0.1", CORE_EDITION_ENTERPRISE, "1.3", subs_ee_1301, N(subs_ee_1301) },
	{ "ee-1.3.0.2", CORE_EDITION_ENTERPRISE, "1.3", subs_ee_1302, N(subs_ee_1302) },
};

const struct core_catalog_release *core_catalog_releases(size_t *n)
{
	*n = N(releases);
	return releases;
}

const struct core_catalog_release *core_catalog_release(const char *id)
{
	size_t i;

	for (i = 0; i < N(releases); i++)
		if (strcmp(releases[i].id, id) == 0)
			return &releases[i];
	return NULL;
}

const struct core_catalog_subsystem *core_catalog_subsystem(const struct core_catalog_release *r,
							    const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->subsystems[i].name, name) == 0)
			return &r->subsystems[i];
	return NULL;
}

const char *core_edition_name(enum core_edition e)
{
	switch (e) {
	case CORE_EDITION_COMMUNITY:
		return "community";
	case CORE_EDITION_ENTERPRISE:
		return "enterprise";
	case CORE_EDITION_UNKNOWN:
		break;
	}
	return "unknown";
}

static const struct core_schema_row *detect_row(const struct core_schema_row *rows, size_t n,
						const char *subsystem)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(rows[i].subsystem, subsystem) == 0)
			return &rows[i];
	return NULL;
}

static bool detect_in(char *const *list, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

/* Does the recorded set of one subsystem equal the release's list? With
 * with_pending, the recorded set is executed ∪ pending. A missing row and a
 * missing subsystem both count as the empty set, except that a subsystem the
 * release does not have is accepted when its row has pending migrations: an
 * `up` of a newer release introduced it (community -> Enterprise: the
 * `enterprise` row appears with 000_base executed and the rest pending). */
static bool detect_sub_equal(const struct core_schema_row *row,
			     const struct core_catalog_subsystem *sub, bool with_pending)
{
	size_t recorded;
	size_t i;

	if (sub == NULL)
		return row == NULL || row->n_executed == 0 || (!with_pending && row->n_pending > 0);
	if (row == NULL)
		return false;
	recorded = row->n_executed;
	for (i = 0; with_pending && i < row->n_pending; i++)
		if (!detect_in(row->executed, row->n_executed, row->pending[i]))
			recorded++;
	if (recorded != sub->n)
		return false;
	for (i = 0; i < sub->n; i++) {
		const char *m = sub->migrations[i].name;

		if (!detect_in(row->executed, row->n_executed, m) &&
		    !(with_pending && detect_in(row->pending, row->n_pending, m)))
			return false;
	}
	return true;
}

/* The release whose core and enterprise sets equal what is recorded. */
static const struct core_catalog_release *detect_match(const struct core_schema_row *rows,
						       size_t n, bool with_pending)
{
	static const char *const deciding[] = { "core", "enterprise" };
	size_t i, j;

	for (i = 0; i < N(releases); i++) {
		bool equal = true;

		for (j = 0; j < N(deciding) && equal; j++)
			equal = detect_sub_equal(detect_row(rows, n, deciding[j]),
						 core_catalog_subsystem(&releases[i], deciding[j]),
						 with_pending);
		if (equal)
			return &releases[i];
	}
	return NULL;
}

/* The smallest release, other than from, whose core and enterprise lists
 * hold every executed and pending migration: the one an interrupted `up`
 * was heading for. */
static const struct core_catalog_release *detect_superset(const struct core_schema_row *rows,
							  size_t n,
							  const struct core_catalog_release *from)
{
	static const char *const deciding[] = { "core", "enterprise" };
	const struct core_catalog_release *best = NULL;
	size_t best_size = 0;
	size_t i, j, k;

	for (i = 0; i < N(releases); i++) {
		size_t size = 0;
		bool holds = &releases[i] != from;

		for (j = 0; j < N(deciding) && holds; j++) {
			const struct core_schema_row *row = detect_row(rows, n, deciding[j]);
			const struct core_catalog_subsystem *sub =
				core_catalog_subsystem(&releases[i], deciding[j]);

			for (k = 0; row != NULL && k < row->n_executed + row->n_pending && holds; k++) {
				const char *m = k < row->n_executed ? row->executed[k]
								    : row->pending[k - row->n_executed];
				size_t x;

				holds = false;
				for (x = 0; sub != NULL && x < sub->n && !holds; x++)
					holds = strcmp(sub->migrations[x].name, m) == 0;
			}
			size += sub != NULL ? sub->n : 0;
		}
		if (holds && (best == NULL || size < best_size)) {
			best = &releases[i];
			best_size = size;
		}
	}
	return best;
}

void core_catalog_detect(bool has_schema_meta, const struct core_schema_row *rows, size_t n,
			 struct core_detection *out)
{
	const struct core_schema_row *core;
	size_t pending = 0;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!has_schema_meta) {
		out->kind = CORE_DETECT_EMPTY;
		return;
	}
	for (i = 0; i < n; i++)
		pending += rows[i].n_pending;
	core = detect_row(rows, n, "core");
	if (core == NULL || core->n_executed == 0) {
		out->kind = CORE_DETECT_UNKNOWN;
		snprintf(out->reason, sizeof(out->reason),
			 "schema_meta has no executed migrations for 'core'");
		return;
	}
	out->from = detect_match(rows, n, false);
	if (pending == 0) {
		out->kind = out->from != NULL ? CORE_DETECT_RELEASE : CORE_DETECT_UNKNOWN;
		if (out->from == NULL)
			snprintf(out->reason, sizeof(out->reason),
				 "the executed migrations of 'core'%s match no known Kong release",
				 detect_row(rows, n, "enterprise") != NULL ? " and 'enterprise'" : "");
		return;
	}
	out->to = detect_match(rows, n, true);
	if (out->from != NULL && out->to != NULL && out->to != out->from) {
		out->kind = CORE_DETECT_UP_DONE;
		return;
	}
	/* `finish` stopped half-way (Kong failed at a teardown, §1.7): the
	 * teardowns that ran moved their migrations to executed, so executed
	 * matches no release, but executed ∪ pending is still the target.
	 * Running `finish` again completes it. */
	if (out->from == NULL && out->to != NULL) {
		out->kind = CORE_DETECT_UP_DONE;
		out->partial = true;
		return;
	}
	/* `up` stopped half-way: some of the target's migrations ran, the rest
	 * did not; Kong refuses `up` again while migrations are pending (§1.5). */
	if (out->from != NULL) {
		out->to = detect_superset(rows, n, out->from);
		if (out->to != NULL) {
			out->kind = CORE_DETECT_UP_PARTIAL;
			snprintf(out->reason, sizeof(out->reason),
				 "'kong migrations up' to %s stopped half-way: %zu migration%s "
				 "recorded as pending, the rest not run",
				 out->to->id, pending, pending == 1 ? "" : "s");
			return;
		}
	}
	out->kind = CORE_DETECT_PENDING;
	out->to = NULL;
	snprintf(out->reason, sizeof(out->reason),
		 "%zu pending migration%s that belong to no known upgrade%s", pending,
		 pending == 1 ? "" : "s",
		 out->from != NULL ? "" : ", and the executed ones match no known release");
}

enum core_edition core_catalog_parse_kong_version(const char *text, char *version, size_t size)
{
	static const char ee_prefix[] = "Kong Enterprise ";
	enum core_edition edition = CORE_EDITION_COMMUNITY;
	const char *p = text;
	unsigned major, minor;
	int used = 0;

	while (isspace((unsigned char)*p))
		p++;
	if (strncmp(p, ee_prefix, sizeof(ee_prefix) - 1) == 0) {
		edition = CORE_EDITION_ENTERPRISE;
		p += sizeof(ee_prefix) - 1;
	}
	if (sscanf(p, "%u.%u%n", &major, &minor, &used) != 2)
		return CORE_EDITION_UNKNOWN;
	/* "1.3-enterprise-edition" (the Admin API's _VERSION) is Enterprise too. */
	if (strstr(p + used, "enterprise-edition") != NULL)
		edition = CORE_EDITION_ENTERPRISE;
	snprintf(version, size, "%u.%u", major, minor);
	return edition;
}
