/* config_wizard.h — the wizard's own configuration (SPEC §6), read with
 * libconfuse from /etc/kong/upgrade-wizard.conf or the file given with -c.
 *
 * Every option has a default, so a node with /etc/kong/kong.conf needs no
 * wizard config at all. Values are validated while parsing; an error names
 * the file and the line. libconfuse never prints: its messages are captured
 * into the caller's struct core_error. */
#ifndef CONFIG_WIZARD_H
#define CONFIG_WIZARD_H

#include <stdbool.h>
#include <stddef.h>

#include "core/core_error.h"

#define CONFIG_WIZARD_DEFAULT_PATH "/etc/kong/upgrade-wizard.conf"

struct config_cluster {
	char **admin_urls;    /* http(s) URLs of the cluster's Admin APIs */
	size_t n_admin_urls;
	char *token_file;     /* RBAC token read from this file, or NULL */
	char *token_env;      /* ... or from this environment variable, or NULL */
};

struct config_wizard {
	char *path;	       /* the file read, or NULL when only defaults apply */
	char *kong_binary;     /* the NEW (1.3) kong CLI; PATH is searched */
	char *kong_conf;       /* passed as -c; NULL = Kong's own lookup and KONG_* */
	char *state_dir;
	char *backup_dir;
	long backup_max_age_ms;
	char *pg_dump;
	char *pg_restore;
	struct config_cluster old_cluster;
	struct config_cluster new_cluster;
	long poll_interval_ms;
	double idle_rate;      /* requests per second at or under which a node is idle */
	long min_soak_ms;
	char **waive;	       /* check ids waived by configuration */
	size_t n_waive;
};

/* Loads the configuration. path: the file given with -c (must exist), or NULL
 * for CONFIG_WIZARD_DEFAULT_PATH (defaults only when that file is absent).
 * On success *out is owned by the caller (config_wizard_free). On failure
 * returns -1 and err says "<file>:<line>: <what>". */
int config_wizard_load(const char *path, struct config_wizard **out, struct core_error *err);

/* Same, from a file name that need not be the default (used by tests):
 * missing_ok says whether an absent file means "defaults only". */
int config_wizard_load_file(const char *path, bool missing_ok, struct config_wizard **out,
			    struct core_error *err);

void config_wizard_free(struct config_wizard *cw);

/* Parses a duration such as "24h", "5m", "1s", "250ms" or a bare number of
 * seconds into milliseconds. Returns 0, or -1 when s is not a duration. */
int config_parse_duration(const char *s, long *ms);

#endif
