/* Tests of the Kong Manager session rules (core/core_session.c) and of the
 * upgrade path decision (core/core_path.c). Rules: runbook "Changes and
 * Configuration to Consider", reference §5.3; paths: SPEC §1, runbook
 * "Prerequisites for Migrating to 1.3". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "core/core_path.h"
#include "core/core_session.h"

static const struct core_session_finding *find(const struct core_session_report *r,
					       const char *text)
{
	size_t i;

	for (i = 0; i < r->n_findings; i++)
		if (strstr(r->findings[i].text, text) != NULL)
			return &r->findings[i];
	return NULL;
}

/* 1 when the finding with this text is fatal, 0 when waivable, -1 when absent. */
static int fatal_of(const struct core_session_report *r, const char *text)
{
	const struct core_session_finding *f = find(r, text);

	return f == NULL ? -1 : f->fatal;
}

static void test_no_kong_manager_auth(void **state)
{
	struct core_session_input in = { 0 };
	struct core_session_report r;
	struct core_error err = { { 0 } };

	(void)state;
	assert_int_equal(core_session_evaluate(&in, NULL, &r, &err), 0);
	assert_false(r.needed);
	assert_int_equal(r.level, CORE_SESSION_OK);
	assert_null(r.recommended);
	core_session_report_done(&r);

	/* §5.3: "admin_gui_session_conf is set with no admin_gui_auth". */
	in.admin_gui_session_conf = "{\"secret\":\"x\"}";
	assert_int_equal(core_session_evaluate(&in, NULL, &r, &err), 0);
	assert_non_null(find(&r, "admin_gui_session_conf is set with no admin_gui_auth"));
	core_session_report_done(&r);
}

/* A 0.36 config with admin_gui_auth but no session conf fails on 1.3 (§5.3). */
static void test_rbac_without_session_conf(void **state)
{
	struct core_session_input in = { .admin_gui_auth = "basic-auth", .enforce_rbac = "on",
					 .admin_gui_url = "https://manager.example.com:8445",
					 .admin_api_uri = "https://api.example.com:8444" };
	struct core_session_report r;
	struct core_error err = { { 0 } };
	json_t *rec;

	(void)state;
	assert_int_equal(core_session_evaluate(&in, "s3cr3t-fixed", &r, &err), 0);
	assert_true(r.needed);
	assert_false(r.cross_domain); /* same site: example.com */
	assert_false(r.gui_http);
	assert_int_equal(
		fatal_of(&r, "admin_gui_session_conf must be set when admin_gui_auth is enabled"), 1);
	assert_int_equal(r.level, CORE_SESSION_FAIL);
	rec = json_loads(r.recommended, 0, NULL);
	assert_non_null(rec);
	assert_string_equal(json_string_value(json_object_get(rec, "secret")), "s3cr3t-fixed");
	assert_string_equal(json_string_value(json_object_get(rec, "storage")), "kong");
	assert_null(json_object_get(rec, "cookie_samesite"));
	assert_null(json_object_get(rec, "cookie_secure"));
	json_decref(rec);
	assert_null(strchr(r.recommended, '\n')); /* kong.conf values are one line (§5.3) */
	core_session_report_done(&r);
}

static void test_samesite_and_secure(void **state)
{
	struct core_session_input in = { .admin_gui_auth = "basic-auth", .enforce_rbac = "on",
					 .admin_gui_url = "http://localhost:8002",
					 .admin_api_uri = "http://kong-api.internal:8001",
					 .admin_gui_session_conf = "{\"secret\":\"keep-me\"}" };
	struct core_session_report r;
	struct core_error err = { { 0 } };
	json_t *rec;

	(void)state;
	assert_int_equal(core_session_evaluate(&in, NULL, &r, &err), 0);
	assert_true(r.cross_domain);
	assert_true(r.gui_http);
	assert_int_equal(fatal_of(&r, "cookie_samesite must be \"off\""), 0);
	assert_non_null(find(&r, "cookie_secure must be false"));
	rec = json_loads(r.recommended, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(rec, "secret")), "keep-me");
	assert_string_equal(json_string_value(json_object_get(rec, "cookie_samesite")), "off");
	assert_true(json_is_false(json_object_get(rec, "cookie_secure")));
	json_decref(rec);
	core_session_report_done(&r);

	/* Fixed: no findings left. */
	in.admin_gui_session_conf =
		"{\"secret\":\"keep-me\",\"cookie_samesite\":\"off\",\"cookie_secure\":false}";
	assert_int_equal(core_session_evaluate(&in, NULL, &r, &err), 0);
	assert_int_equal(r.level, CORE_SESSION_OK);
	core_session_report_done(&r);
}

static void test_invalid_json_hides_value(void **state)
{
	struct core_session_input in = { .admin_gui_auth = "basic-auth", .enforce_rbac = "off",
					 .admin_gui_url = "https://m.example.com",
					 .admin_gui_session_conf = "{ \"secret\": hunter2-secret }" };
	struct core_session_report r;
	struct core_error err = { { 0 } };
	char generated[64];
	size_t i;

	(void)state;
	assert_int_equal(core_session_evaluate(&in, NULL, &r, &err), 0);
	assert_non_null(find(&r, "must be valid json or not set"));
	assert_non_null(find(&r, "enforce_rbac must be enabled"));
	for (i = 0; i < r.n_findings; i++)
		assert_null(strstr(r.findings[i].text, "hunter2"));
	/* A generated secret: 32 random bytes in base64, different each time. */
	{
		json_t *rec = json_loads(r.recommended, 0, NULL);

		assert_int_equal(strlen(json_string_value(json_object_get(rec, "secret"))), 44);
		strcpy(generated, json_string_value(json_object_get(rec, "secret")));
		json_decref(rec);
	}
	core_session_report_done(&r);
	assert_int_equal(core_session_evaluate(&in, NULL, &r, &err), 0);
	assert_null(strstr(r.recommended, generated));
	core_session_report_done(&r);
}

static void test_hosts(void **state)
{
	char h[64];
	bool http;

	(void)state;
	core_session_url_host("https://Kong-Admin.test:8445/path", h, sizeof(h), &http);
	assert_string_equal(h, "kong-admin.test");
	assert_false(http);
	core_session_url_host("http://127.0.0.1:8002", h, sizeof(h), &http);
	assert_string_equal(h, "127.0.0.1");
	assert_true(http);
	assert_true(core_session_same_site("manager.example.com", "api.example.com"));
	assert_false(core_session_same_site("example.com", "example.org"));
	assert_false(core_session_same_site("10.0.0.1", "10.0.0.2"));
	assert_true(core_session_same_site("localhost", "localhost"));
}

static const struct core_catalog_release *rel(const char *id)
{
	return core_catalog_release(id);
}

static void test_paths(void **state)
{
	struct core_detection d = { 0 };
	struct core_plan p;

	(void)state;
	d.kind = CORE_DETECT_RELEASE;
	d.from = rel("ee-0.36");
	core_path_decide(NULL, &d, NULL, CORE_EDITION_ENTERPRISE, "1.3", &p);
	assert_string_equal(core_path_name(p.path), "ee-0.36-to-ee-1.3");
	assert_string_equal(core_phase_name(p.phase), "not-started");
	assert_string_equal(p.refusal, "");

	d.from = rel("ce-1.2");
	core_path_decide("postgres", &d, NULL, CORE_EDITION_ENTERPRISE, "1.3", &p);
	assert_string_equal(core_path_name(p.path), "ce-to-ee-1.3");
	d.from = rel("ce-1.3");
	core_path_decide("postgres", &d, NULL, CORE_EDITION_ENTERPRISE, "1.3", &p);
	assert_string_equal(core_path_name(p.path), "ce-to-ee-1.3");

	/* Runbook: "If running a version of Kong Enterprise earlier than 0.36, migrate to 0.36 first" */
	d.from = rel("ee-0.35");
	core_path_decide(NULL, &d, NULL, CORE_EDITION_ENTERPRISE, "1.3", &p);
	assert_null(core_path_name(p.path));
	assert_non_null(strstr(p.refusal, "migrate to 0.36 first"));

	d.from = rel("ce-1.1");
	core_path_decide(NULL, &d, NULL, CORE_EDITION_ENTERPRISE, "1.3", &p);
	assert_non_null(strstr(p.refusal, "upgrade to Kong 1.3 before upgrading to Kong Enterprise 1.3"));

	core_path_decide("cassandra", &d, NULL, CORE_EDITION_ENTERPRISE, "1.3", &p);
	assert_non_null(strstr(p.refusal, "Cassandra is not supported"));

	d.from = rel("ee-0.36");
	core_path_decide(NULL, &d, NULL, CORE_EDITION_COMMUNITY, "1.3", &p);
	assert_non_null(strstr(p.refusal, "the new kong binary is Kong 1.3"));

	d.kind = CORE_DETECT_UP_DONE;
	d.to = rel("ee-1.3");
	core_path_decide(NULL, &d, NULL, CORE_EDITION_ENTERPRISE, "1.3", &p);
	assert_string_equal(core_path_name(p.path), "ee-0.36-to-ee-1.3");
	assert_string_equal(core_phase_name(p.phase), "up-done");

	d.kind = CORE_DETECT_EMPTY;
	core_path_decide(NULL, &d, NULL, CORE_EDITION_ENTERPRISE, "1.3", &p);
	assert_non_null(strstr(p.refusal, "not bootstrapped"));

	/* §2.2: a schema_migrations table without schema_meta is pre-1.0 (EE 0.34). */
	{
		struct core_db_state st = { 0 };

		st.has_legacy_migrations = true;
		core_path_decide(NULL, &d, &st, CORE_EDITION_ENTERPRISE, "1.3", &p);
		assert_non_null(strstr(p.refusal, "migrate to 0.36 first"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_kong_manager_auth),
		cmocka_unit_test(test_rbac_without_session_conf),
		cmocka_unit_test(test_samesite_and_secure),
		cmocka_unit_test(test_invalid_json_hides_value),
		cmocka_unit_test(test_hosts),
		cmocka_unit_test(test_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
