/* sim_sql.h — the SQL tables behind the catalog (private to kong-sim).
 *
 * One table per source of migrations: core (CE and EE core), the bundled
 * plugins (and the session rock), and the Enterprise `enterprise` subsystem.
 * Every entry is one (subsystem, name) with its PostgreSQL up and teardown,
 * written from Kong's own migration files (reference kong-migrations.md §3, §4). */
#ifndef SIM_SQL_H
#define SIM_SQL_H

#include <stddef.h>

#include "tests/kong-sim/sim_catalog.h"

extern const struct sim_migration sim_sql_core[];
extern const size_t sim_sql_core_count;

extern const struct sim_migration sim_sql_plugins[];
extern const size_t sim_sql_plugins_count;

extern const struct sim_migration sim_sql_enterprise[];
extern const size_t sim_sql_enterprise_count;

#endif
