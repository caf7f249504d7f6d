/* sim_catalog.c — the Kong versions the stand-in can be (reference
 * kong-migrations.md §3): per version its subsystems in load order and their
 * migration names in index order. The SQL lives in sim_sql_*.c. */
#include "tests/kong-sim/sim_catalog.h"

#include <string.h>

#include "tests/kong-sim/sim_sql.h"

/* Core: CE 1.0.x .. 1.3.x */
static const char *const core_ce_10[] = {
	"000_base", "001_14_to_15", "002_15_to_1", NULL,
};
static const char *const core_ce_11[] = {
	"000_base", "001_14_to_15", "002_15_to_1", "003_100_to_110", NULL,
};
static const char *const core_ce_12[] = {
	"000_base", "001_14_to_15", "002_15_to_1", "003_100_to_110", "004_110_to_120", NULL,
};
static const char *const core_ce_13[] = {
	"000_base", "001_14_to_15", "002_15_to_1", "003_100_to_110", "004_110_to_120",
	"005_120_to_130", NULL,
};

/* Core: EE, with the EE-only 001_13_to_14 */
static const char *const core_ee_035[] = {
	"000_base", "001_13_to_14", "001_14_to_15", "002_15_to_1", NULL,
};
static const char *const core_ee_036[] = {
	"000_base", "001_13_to_14", "001_14_to_15", "002_15_to_1", "003_100_to_110",
	"004_110_to_120", NULL,
};
static const char *const core_ee_13[] = {
	"000_base", "001_13_to_14", "001_14_to_15", "002_15_to_1", "003_100_to_110",
	"004_110_to_120", "005_120_to_130", NULL,
};

/* Bundled plugins */
static const char *const acl[] = { "000_base_acl", "001_14_to_15", NULL };
static const char *const basic_auth[] = { "000_base_basic_auth", "001_14_to_15", NULL };
static const char *const hmac_auth[] = { "000_base_hmac_auth", "001_14_to_15", NULL };
static const char *const jwt[] = { "000_base_jwt", "001_14_to_15", NULL };
static const char *const key_auth[] = { "000_base_key_auth", "001_14_to_15", NULL };
static const char *const oauth2[] = {
	"000_base_oauth2", "001_14_to_15", "002_15_to_10", NULL,
};
/* 003_10_to_112 came with 1.1.2; 1.0.x-1.1.1 stop at 002 */
static const char *const rate_limiting_10[] = {
	"000_base_rate_limiting", "001_14_to_15", "002_15_to_10", NULL,
};
static const char *const rate_limiting_112[] = {
	"000_base_rate_limiting", "001_14_to_15", "002_15_to_10", "003_10_to_112", NULL,
};
static const char *const response_ratelimiting[] = {
	"000_base_response_rate_limiting", "001_14_to_15", "002_15_to_10", NULL,
};
static const char *const session[] = { "000_base_session", NULL };

/* The `enterprise` subsystem */
static const char *const enterprise_035[] = {
	"000_base", "001_034_to_035", "002_035_to_035-1", NULL,
};
static const char *const enterprise_036[] = {
	"000_base", "001_034_to_035", "002_035_to_035-1", "003_035-1_to_036-2", NULL,
};
static const char *const enterprise_13[] = {
	"000_base", "001_034_to_035", "002_035_to_035-1", "003_035-1_to_036-2",
	"004_036-2_to_037", NULL,
};

static const struct sim_subsystem subsystems_ce_10[] = {
	{ "core", false, core_ce_10 },
	{ "acl", true, acl },
	{ "basic-auth", true, basic_auth },
	{ "hmac-auth", true, hmac_auth },
	{ "jwt", true, jwt },
	{ "key-auth", true, key_auth },
	{ "oauth2", true, oauth2 },
	{ "rate-limiting", true, rate_limiting_10 },
	{ "response-ratelimiting", true, response_ratelimiting },
};

static const struct sim_subsystem subsystems_ce_11[] = {
	{ "core", false, core_ce_11 },
	{ "acl", true, acl },
	{ "basic-auth", true, basic_auth },
	{ "hmac-auth", true, hmac_auth },
	{ "jwt", true, jwt },
	{ "key-auth", true, key_auth },
	{ "oauth2", true, oauth2 },
	{ "rate-limiting", true, rate_limiting_112 },
	{ "response-ratelimiting", true, response_ratelimiting },
};

static const struct sim_subsystem subsystems_ce_12[] = {
	{ "core", false, core_ce_12 },
	{ "acl", true, acl },
	{ "basic-auth", true, basic_auth },
	{ "hmac-auth", true, hmac_auth },
	{ "jwt", true, jwt },
	{ "key-auth", true, key_auth },
	{ "oauth2", true, oauth2 },
	{ "rate-limiting", true, rate_limiting_112 },
	{ "response-ratelimiting", true, response_ratelimiting },
};

static const struct sim_subsystem subsystems_ce_13[] = {
	{ "core", false, core_ce_13 },
	{ "acl", true, acl },
	{ "basic-auth", true, basic_auth },
	{ "hmac-auth", true, hmac_auth },
	{ "jwt", true, jwt },
	{ "key-auth", true, key_auth },
	{ "oauth2", true, oauth2 },
	{ "rate-limiting", true, rate_limiting_112 },
	{ "response-ratelimiting", true, response_ratelimiting },
	{ "session", true, session },
};

static const struct sim_subsystem subsystems_ee_035[] = {
	{ "core", false, core_ee_035 },
	{ "acl", true, acl },
	{ "basic-auth", true, basic_auth },
	{ "hmac-auth", true, hmac_auth },
	{ "jwt", true, jwt },
	{ "key-auth", true, key_auth },
	{ "oauth2", true, oauth2 },
	{ "rate-limiting", true, rate_limiting_10 },
	{ "response-ratelimiting", true, response_ratelimiting },
	{ "session", true, session },
	{ "enterprise", false, enterprise_035 },
};

static const struct sim_subsystem subsystems_ee_036[] = {
	{ "core", false, core_ee_036 },
	{ "acl", true, acl },
	{ "basic-auth", true, basic_auth },
	{ "hmac-auth", true, hmac_auth },
	{ "jwt", true, jwt },
	{ "key-auth", true, key_auth },
	{ "oauth2", true, oauth2 },
	{ "rate-limiting", true, rate_limiting_112 },
	{ "response-ratelimiting", true, response_ratelimiting },
	{ "session", true, session },
	{ "enterprise", false, enterprise_036 },
};

static const struct sim_subsystem subsystems_ee_13[] = {
	{ "core", false, core_ee_13 },
	{ "acl", true, acl },
	{ "basic-auth", true, basic_auth },
	{ "hmac-auth", true, hmac_auth },
	{ "jwt", true, jwt },
	{ "key-auth", true, key_auth },
	{ "oauth2", true, oauth2 },
	{ "rate-limiting", true, rate_limiting_112 },
	{ "response-ratelimiting", true, response_ratelimiting },
	{ "session", true, session },
	{ "enterprise", false, enterprise_13 },
};

#define SUBSYSTEMS(a) a, sizeof(a) / sizeof(a[0])

static const struct sim_version versions[] = {
	{ "ce-1.0", false, "1.0.3", "1.0.3", SUBSYSTEMS(subsystems_ce_10) },
	{ "ce-1.1", false, "1.1.2", "1.1.2", SUBSYSTEMS(subsystems_ce_11) },
	{ "ce-1.2", false, "1.2.1", "1.2.1", SUBSYSTEMS(subsystems_ce_12) },
	{ "ce-1.3", false, "1.3.0", "1.3.0", SUBSYSTEMS(subsystems_ce_13) },
	{ "ee-0.35", true, "Kong Enterprise 0.35-4", "0.35-4-enterprise-edition",
	  SUBSYSTEMS(subsystems_ee_035) },
	{ "ee-0.36", true, "Kong Enterprise 0.36-2", "0.36-2-enterprise-edition",
	  SUBSYSTEMS(subsystems_ee_036) },
	{ "ee-1.3", true, "Kong Enterprise 1.3.0.0", "1.3.0.0-enterprise-edition",
	  SUBSYSTEMS(subsystems_ee_13) },
};

static const char *const version_ids[] = {
	"ce-1.0", "ce-1.1", "ce-1.2", "ce-1.3", "ee-0.35", "ee-0.36", "ee-1.3", NULL,
};

const struct sim_version *sim_catalog_version(const char *id)
{
	size_t i;

	if (id == NULL)
		return NULL;
	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		if (strcmp(versions[i].id, id) == 0)
			return &versions[i];
	}
	return NULL;
}

const char *const *sim_catalog_version_ids(void)
{
	return version_ids;
}

static const struct sim_migration *find_in(const struct sim_migration *table, size_t n,
					   const char *subsystem, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(table[i].subsystem, subsystem) == 0 && strcmp(table[i].name, name) == 0)
			return &table[i];
	}
	return NULL;
}

const struct sim_migration *sim_catalog_migration(const char *subsystem, const char *name)
{
	const struct sim_migration *m;

	if (subsystem == NULL || name == NULL)
		return NULL;
	m = find_in(sim_sql_core, sim_sql_core_count, subsystem, name);
	if (m == NULL)
		m = find_in(sim_sql_plugins, sim_sql_plugins_count, subsystem, name);
	if (m == NULL)
		m = find_in(sim_sql_enterprise, sim_sql_enterprise_count, subsystem, name);
	return m;
}
