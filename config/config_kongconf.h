/* config_kongconf.h — kong.conf read exactly the way Kong 1.3 reads it.
 *
 * Rules (reference kong-migrations.md §6): one `key = value` per line split at
 * the first `=`, keys and values trimmed; lines starting with `#` or `;` are
 * comments; a line ending in `\` continues on the next; non-alphanumeric key
 * characters become `_`; trailing comments are stripped with Kong's pattern
 * (`[^\\]#.-$`, then `\#` -> `#`); an empty value is unset; `NONE` is no
 * value; booleans are true only for `on` and `true`; `KONG_<KEY>` environment
 * variables override known keys; without an explicit path Kong looks at
 * /etc/kong/kong.conf then /etc/kong.conf, else defaults only.
 *
 * Precisely as Kong 1.3 does (conf_loader.lua, Penlight pl.config): an empty
 * value in the file or the environment makes the key unset, it does NOT bring
 * back the default; `NONE` means no value only as a default — `NONE` written
 * in the file or the environment is kept as the literal text "NONE"; values
 * from the file that Lua reads as numbers are re-printed as Lua prints them
 * ("05432" -> "5432", "1e3" -> "1000"); keys after a `[section]` line and
 * lines without `=` are ignored; a continuation still open at the end of the
 * file is dropped. Such lines are listed by config_kongconf_item_at().
 *
 * The object keeps, per key, the effective value and where it came from
 * (default, file:line, or environment), so that errors can name the place. */
#ifndef CONFIG_KONGCONF_H
#define CONFIG_KONGCONF_H

#include <stdbool.h>
#include <stddef.h>

#include "core/core_error.h"

struct config_kongconf;

enum config_kongconf_origin {
	CONFIG_KONGCONF_DEFAULT,
	CONFIG_KONGCONF_FILE,
	CONFIG_KONGCONF_ENV,
};

/* Loads kong.conf. path: the file given with -c, or NULL for Kong's own
 * lookup (/etc/kong/kong.conf, then /etc/kong.conf, else no file). envp: the
 * environment to take KONG_* overrides from (NULL = none); it is read during
 * the call only. A path that does not exist fails with Kong's message
 * "no file at: <path>". On success *out is owned by the caller
 * (config_kongconf_free). */
int config_kongconf_load(const char *path, char *const *envp, struct config_kongconf **out,
			 struct core_error *err);

/* Parses kong.conf text (no defaults lookup); name is used in messages. */
int config_kongconf_parse(const char *text, const char *name, char *const *envp,
			  struct config_kongconf **out, struct core_error *err);

void config_kongconf_free(struct config_kongconf *kc);

/* Effective value of key (after env > file > default), or NULL when unset
 * (empty, or a NONE default). Unknown keys from the file are returned too
 * (without env override). The pointer lives as long as kc. */
const char *config_kongconf_get(const struct config_kongconf *kc, const char *key);

/* Kong's boolean rule: true iff the value is "on" or "true". Unset = false
 * unless the default says otherwise. */
bool config_kongconf_get_bool(const struct config_kongconf *kc, const char *key);

/* Where the effective value of key came from; *file and *line are set for
 * CONFIG_KONGCONF_FILE (else NULL / 0). Either out pointer may be NULL. */
enum config_kongconf_origin config_kongconf_origin(const struct config_kongconf *kc,
						   const char *key, const char **file, int *line);

/* The file read, or NULL when only defaults and the environment apply. */
const char *config_kongconf_path(const struct config_kongconf *kc);

/* True when key is one Kong 1.3 (community or Enterprise) knows, including
 * the dynamic `nginx_{http,http_upstream,proxy,admin,stream,sproxy}_*` keys. */
bool config_kongconf_known_key(const char *key);

/* Like config_kongconf_load, but when path is NULL the NULL-terminated list
 * candidates is tried in order instead of Kong's two paths (tests use it). */
int config_kongconf_load_paths(const char *path, const char *const *candidates, char *const *envp,
			       struct config_kongconf **out, struct core_error *err);

/* What Kong makes of one line of the file. */
enum config_kongconf_fate {
	CONFIG_KONGCONF_USED,         /* a known key, applied */
	CONFIG_KONGCONF_UNKNOWN,      /* Kong drops it; get() still returns it */
	CONFIG_KONGCONF_SUPERSEDED,   /* a later line sets the same key */
	CONFIG_KONGCONF_SECTION,      /* a `[name]` line: Kong ignores what follows */
	CONFIG_KONGCONF_IN_SECTION,   /* after a `[section]` line: ignored */
	CONFIG_KONGCONF_NO_EQUALS,    /* a line without `=`: ignored */
	CONFIG_KONGCONF_UNTERMINATED, /* `\` continuation open at end of file: dropped */
};

struct config_kongconf_item {
	const char *key;   /* normalised key or section name; NULL without `=` */
	const char *value; /* the value as Kong reads it (NULL = unset) */
	int line;          /* first line of the entry */
	enum config_kongconf_fate fate;
};

/* The entries of the file in file order, for diagnostics. item_at returns
 * NULL past the end; the pointer lives as long as kc. */
size_t config_kongconf_item_count(const struct config_kongconf *kc);
const struct config_kongconf_item *config_kongconf_item_at(const struct config_kongconf *kc,
							   size_t i);

#endif
