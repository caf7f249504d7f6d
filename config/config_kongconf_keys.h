/* config_kongconf_keys.h — the table of keys Kong 1.3 knows (internal). */
#ifndef CONFIG_KONGCONF_KEYS_H
#define CONFIG_KONGCONF_KEYS_H

#include <stddef.h>

struct config_kongconf_default {
	const char *key;
	const char *value; /* as written in kong_defaults.lua; "NONE" = no value */
};

extern const struct config_kongconf_default config_kongconf_defaults[];
extern const size_t config_kongconf_defaults_count;

#endif
