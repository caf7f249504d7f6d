/* fuzz_kongconf — config_kongconf_parse on arbitrary kong.conf text, then
 * every accessor on what it returned. The environment is chosen by the input
 * size (one parse per run: each one loads all of Kong's defaults): none, a
 * fixed one, or the input's own KONG_* lines. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_kongconf.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ENV_MAX 16

static char *const fixed_env[] = {
    "HOME=/root",
    "KONG_DATABASE=postgres",
    "KONG_PG_HOST=db.example.test",
    "KONG_PG_PORT=05432",
    "KONG_ADMIN_LISTEN=",
    "KONG_PG_PASSWORD=NONE",
    "KONG_ADMIN_GUI_SESSION_CONF={\"secret\":\"s\"}",
    "KONG_NGINX_HTTP_LUA_SHARED_DICT=x 1m",
    "KONG_NOT_A_KEY=1",
    NULL,
};

static void fuzz_use(const struct config_kongconf *kc)
{
	static const char *const keys[] = {"database",          "pg_host", "pg_port",
					   "admin_listen",      "prefix",  "plugins",
					   "anonymous_reports", "nope"};
	size_t i, n = config_kongconf_item_count(kc);
	const char *file;
	int line;

	for (i = 0; i < n; i++) {
		const struct config_kongconf_item *it = config_kongconf_item_at(kc, i);

		if (it == NULL)
			fuzz_fail("item_at(%zu) is NULL below item_count %zu", i, n);
		if (it->key != NULL) {
			const char *v = config_kongconf_get(kc, it->key);

			if (v != NULL)
				(void)strlen(v);
			config_kongconf_get_bool(kc, it->key);
			config_kongconf_origin(kc, it->key, &file, &line);
			config_kongconf_known_key(it->key);
		}
	}
	if (config_kongconf_item_at(kc, n) != NULL)
		fuzz_fail("item_at(item_count) is not NULL");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		config_kongconf_get(kc, keys[i]);
		config_kongconf_get_bool(kc, keys[i]);
		if (config_kongconf_origin(kc, keys[i], &file, &line) == CONFIG_KONGCONF_FILE &&
		    (file == NULL || line < 1))
			fuzz_fail("origin of %s is the file, without a place", keys[i]);
	}
	config_kongconf_path(kc);
}

static void fuzz_parse(const char *text, char *const *envp)
{
	struct config_kongconf *kc = NULL;
	struct core_error err = {{0}};

	if (config_kongconf_parse(text, "fuzz.conf", envp, &kc, &err) == 0) {
		if (kc == NULL)
			fuzz_fail("config_kongconf_parse succeeded without an object");
		fuzz_use(kc);
	} else if (err.msg[0] == '\0') {
		fuzz_fail("config_kongconf_parse failed without a message");
	}
	config_kongconf_free(kc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstring(data, size);
	char *copy = fuzz_cstring(data, size);
	char *env[FUZZ_ENV_MAX + 1];
	size_t n = 0;
	char *line, *save = NULL;

	switch (size % 3) {
	case 0:
		fuzz_parse(text, NULL);
		break;
	case 1:
		fuzz_parse(text, fixed_env);
		break;
	default:
		for (line = strtok_r(copy, "\n", &save); line != NULL && n < FUZZ_ENV_MAX;
		     line = strtok_r(NULL, "\n", &save))
			if (strncmp(line, "KONG_", 5) == 0)
				env[n++] = line;
		env[n] = NULL;
		fuzz_parse(text, env);
		break;
	}
	free(copy);
	free(text);
	return 0;
}
