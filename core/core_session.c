#include "core/core_session.h"

#include <ctype.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void session_find(struct core_session_report *r, enum core_session_level level, bool fatal,
			 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void session_find(struct core_session_report *r, enum core_session_level level, bool fatal,
			 const char *fmt, ...)
{
	struct core_session_finding *f;
	va_list ap;

	if (r->n_findings == CORE_SESSION_MAX_FINDINGS)
		return;
	f = &r->findings[r->n_findings++];
	f->level = level;
	f->fatal = fatal;
	va_start(ap, fmt);
	vsnprintf(f->text, sizeof(f->text), fmt, ap);
	va_end(ap);
	if (level > r->level)
		r->level = level;
}

void core_session_url_host(const char *url, char *host, size_t size, bool *http)
{
	const char *p = url != NULL ? strstr(url, "://") : NULL;
	size_t n = 0;

	if (http != NULL)
		*http = url != NULL && strncmp(url, "http://", 7) == 0;
	host[0] = '\0';
	if (url == NULL)
		return;
	p = p != NULL ? p + 3 : url;
	if (*p == '[') {
		n = strcspn(p, "]");
		n += p[n] == ']';
	} else {
		n = strcspn(p, ":/?#");
	}
	if (n >= size)
		n = size - 1;
	for (size_t i = 0; i < n; i++)
		host[i] = (char)tolower((unsigned char)p[i]);
	host[n] = '\0';
}

static bool session_is_ip(const char *h)
{
	return h[0] == '[' || strspn(h, "0123456789.") == strlen(h);
}

/* The last two labels of a DNS name. */
static const char *session_site(const char *h)
{
	const char *last = strrchr(h, '.');
	const char *p;

	if (last == NULL)
		return h;
	for (p = last - 1; p > h; p--)
		if (*p == '.')
			return p + 1;
	return h;
}

bool core_session_same_site(const char *a, const char *b)
{
	if (strcmp(a, b) == 0)
		return true;
	if (session_is_ip(a) || session_is_ip(b))
		return false;
	return strcmp(session_site(a), session_site(b)) == 0;
}

static int session_secret(char *out, size_t size)
{
	unsigned char raw[32];

	if (size < 45 || RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	EVP_EncodeBlock((unsigned char *)out, raw, sizeof(raw));
	return 0;
}

static bool session_rbac_on(const char *v)
{
	return v != NULL && (strcmp(v, "on") == 0 || strcmp(v, "both") == 0 ||
			     strcmp(v, "entity") == 0);
}

/* Builds the value to write: the existing object (or a new one) with what
 * the rules require, and the documented defaults where a key is missing. */
static int session_recommend(json_t *conf, const struct core_session_report *r, const char *secret,
			     char **out)
{
	json_t *obj = conf != NULL && json_is_object(conf) ? json_deep_copy(conf) : json_object();
	char generated[64];
	int rc = -1;

	if (obj == NULL)
		return -1;
	if (!json_is_string(json_object_get(obj, "secret"))) {
		if (secret == NULL) {
			if (session_secret(generated, sizeof(generated)) < 0)
				goto out;
			secret = generated;
		}
		if (json_object_set_new(obj, "secret", json_string(secret)) < 0)
			goto out;
	}
	if (json_object_get(obj, "cookie_name") == NULL)
		json_object_set_new(obj, "cookie_name", json_string("admin_session"));
	if (json_object_get(obj, "storage") == NULL)
		json_object_set_new(obj, "storage", json_string("kong"));
	if (json_object_get(obj, "cookie_lifetime") == NULL)
		json_object_set_new(obj, "cookie_lifetime", json_integer(3600));
	if (r->cross_domain)
		json_object_set_new(obj, "cookie_samesite", json_string("off"));
	if (r->gui_http)
		json_object_set_new(obj, "cookie_secure", json_false());
	*out = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	rc = *out != NULL ? 0 : -1;
out:
	OPENSSL_cleanse(generated, sizeof(generated));
	json_decref(obj);
	return rc;
}

int core_session_evaluate(const struct core_session_input *in, const char *secret,
			  struct core_session_report *r, struct core_error *err)
{
	static const char *const auths[] = { "key-auth", "basic-auth", "ldap-auth-advanced",
					      "openid-connect" };
	json_t *conf = NULL;
	json_error_t jerr;
	bool auth_known = false;
	size_t i;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	r->needed = in->admin_gui_auth != NULL;
	r->present = in->admin_gui_session_conf != NULL;
	core_session_url_host(in->admin_gui_url, r->gui_host, sizeof(r->gui_host), &r->gui_http);
	core_session_url_host(in->admin_api_uri, r->api_host, sizeof(r->api_host), NULL);
	/* Without admin_api_uri Kong Manager calls the Admin API on its own host. */
	r->cross_domain = r->gui_host[0] != '\0' && r->api_host[0] != '\0' &&
			  !core_session_same_site(r->gui_host, r->api_host);

	if (in->admin_gui_session_conf != NULL) {
		conf = json_loads(in->admin_gui_session_conf, JSON_DECODE_ANY, &jerr);
		/* Kong says "... must be valid json or not set: <err> - <value>". The
		 * value holds the secret, and jansson's error text quotes the input
		 * near the fault, so only the position is given here. */
		if (conf == NULL)
			session_find(r, CORE_SESSION_FAIL, true,
				     "admin_gui_session_conf must be valid json or not set: it is "
				     "not valid JSON (line %d, column %d)",
				     jerr.line, jerr.column);
		else if (!json_is_object(conf))
			session_find(r, CORE_SESSION_FAIL, true,
				     "admin_gui_session_conf must be valid json or not set: it is "
				     "not a JSON object");
	}
	if (!r->needed) {
		if (in->admin_gui_session_conf != NULL)
			session_find(r, CORE_SESSION_FAIL, true,
				     "admin_gui_session_conf is set with no admin_gui_auth");
		rc = 0;
		goto out;
	}
	for (i = 0; i < sizeof(auths) / sizeof(auths[0]); i++)
		auth_known |= strcmp(in->admin_gui_auth, auths[i]) == 0;
	if (!auth_known)
		session_find(r, CORE_SESSION_FAIL, true,
			     "admin_gui_auth must be 'key-auth', 'basic-auth', 'ldap-auth-advanced', "
			     "'openid-connect' or not set (it is '%s')", in->admin_gui_auth);
	if (!session_rbac_on(in->enforce_rbac))
		session_find(r, CORE_SESSION_FAIL, true,
			     "enforce_rbac must be enabled when admin_gui_auth is enabled");
	if (in->admin_gui_session_conf == NULL)
		session_find(r, CORE_SESSION_FAIL, true,
			     "admin_gui_session_conf must be set when admin_gui_auth is enabled: "
			     "Kong Enterprise 1.3 will not start without it");
	if (in->admin_gui_url == NULL)
		session_find(r, CORE_SESSION_WARN, false,
			     "when admin_gui_auth is set, admin_gui_url is required");
	if (conf != NULL && json_is_object(conf)) {
		json_t *samesite = json_object_get(conf, "cookie_samesite");
		json_t *secure = json_object_get(conf, "cookie_secure");

		if (!json_is_string(json_object_get(conf, "secret")))
			session_find(r, CORE_SESSION_WARN, false,
				     "admin_gui_session_conf has no \"secret\": set one explicitly, "
				     "the same value on every node");
		if (r->cross_domain &&
		    !(json_is_string(samesite) && strcmp(json_string_value(samesite), "off") == 0))
			session_find(r, CORE_SESSION_FAIL, false,
				     "Kong Manager (%s) and the Admin API (%s) are on different "
				     "domains: cookie_samesite must be \"off\"",
				     r->gui_host, r->api_host);
		if (r->gui_http && !json_is_false(secure))
			session_find(r, CORE_SESSION_FAIL, false,
				     "Kong Manager is served over plain HTTP (%s): cookie_secure "
				     "must be false",
				     in->admin_gui_url);
	}
	if (session_recommend(conf, r, secret, &r->recommended) < 0) {
		core_error_set(err, "cannot compute admin_gui_session_conf: out of memory or no "
				    "randomness");
		goto out;
	}
	rc = 0;
out:
	json_decref(conf);
	return rc;
}

void core_session_report_done(struct core_session_report *r)
{
	if (r->recommended != NULL) {
		OPENSSL_cleanse(r->recommended, strlen(r->recommended));
		free(r->recommended);
	}
	r->recommended = NULL;
}
