/* fuzz_session_json — core_session_evaluate with arbitrary text as
 * admin_gui_session_conf and fixed other settings. Oracle for secret leaks:
 * when the input is a JSON object with a string "secret", the same object
 * with another secret must give the very same report texts (outside
 * `recommended`), and that other secret must appear in none of them. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_session.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CANARY "kuw-fuzz-canary-5ecret-7f3a9c"

static const struct core_session_input fixed[] = {
    /* Kong Manager over HTTP on another domain than the Admin API. */
    {"basic-auth", "on", NULL, "http://manager.example.test:8002", "https://admin.other.test:8444"},
    /* Same site, unknown auth, RBAC off, no admin_gui_url. */
    {"magic-auth", "off", NULL, NULL, "https://admin.example.test:8444/"},
    /* No admin_gui_auth: a session conf is an error of its own. */
    {NULL, NULL, NULL, "https://[::1]:8445", NULL},
};

static void fuzz_eval(const struct core_session_input *base, const char *conf,
		      struct core_session_report *r)
{
	struct core_session_input in = *base;
	struct core_error err = {{0}};

	in.admin_gui_session_conf = conf;
	if (core_session_evaluate(&in, "fixed-secret-for-new-confs", r, &err) < 0)
		fuzz_fail("core_session_evaluate failed: %s", err.msg);
	if (r->n_findings > CORE_SESSION_MAX_FINDINGS)
		fuzz_fail("%zu findings", r->n_findings);
}

static void fuzz_no_text(const struct core_session_report *r, const char *s)
{
	size_t i;

	if (strstr(r->gui_host, s) != NULL || strstr(r->api_host, s) != NULL)
		fuzz_fail("the secret shows in a host name");
	for (i = 0; i < r->n_findings; i++)
		if (strstr(r->findings[i].text, s) != NULL)
			fuzz_fail("the secret shows in finding %zu: %s", i, r->findings[i].text);
}

static void fuzz_same_texts(const struct core_session_report *a,
			    const struct core_session_report *b)
{
	size_t i;

	if (a->n_findings != b->n_findings)
		fuzz_fail("the number of findings depends on the secret's value");
	for (i = 0; i < a->n_findings; i++)
		if (strcmp(a->findings[i].text, b->findings[i].text) != 0)
			fuzz_fail("finding %zu depends on the secret's value:\n%s\n%s", i,
				  a->findings[i].text, b->findings[i].text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstring(data, size);
	json_t *conf = json_loads(text, JSON_DECODE_ANY, NULL);
	char *canary_text = NULL;
	size_t i;

	if (json_is_object(conf) && json_is_string(json_object_get(conf, "secret"))) {
		if (json_object_set_new(conf, "secret", json_string(FUZZ_CANARY)) < 0)
			fuzz_fail("fuzz: out of memory");
		canary_text = json_dumps(conf, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (canary_text == NULL)
			fuzz_fail("fuzz: out of memory");
	}
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		struct core_session_report r, c;

		fuzz_eval(&fixed[i], text, &r);
		if (canary_text != NULL) {
			fuzz_eval(&fixed[i], canary_text, &c);
			fuzz_no_text(&c, FUZZ_CANARY);
			fuzz_same_texts(&r, &c);
			if (c.recommended != NULL && strstr(c.recommended, FUZZ_CANARY) == NULL)
				fuzz_fail("the recommended value drops the existing secret");
			core_session_report_done(&c);
		}
		core_session_report_done(&r);
	}
	free(canary_text);
	json_decref(conf);
	free(text);
	return 0;
}
