/* core_session.h — the Kong Manager session rules of the 1.3 upgrade.
 *
 * Runbook "Changes and Configuration to Consider" and reference §5.3: with
 * RBAC for Kong Manager (admin_gui_auth set), Kong EE 1.3 refuses to start
 * without a valid admin_gui_session_conf; cookie_samesite must be "off" when
 * Kong Manager and the Admin API are on different domains; cookie_secure must
 * be false when Kong Manager is served over plain HTTP; the secret must be set
 * explicitly and be the same on every node. This module evaluates a kong.conf
 * against those rules and computes the value to write. */
#ifndef CORE_SESSION_H
#define CORE_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "core/core_error.h"

struct core_session_input {
	const char *admin_gui_auth;	    /* NULL = unset */
	const char *enforce_rbac;	    /* "on", "off", "both", "entity"; NULL = off */
	const char *admin_gui_session_conf; /* NULL = unset; may hold the secret: never shown */
	const char *admin_gui_url;
	const char *admin_api_uri;
};

enum core_session_level { CORE_SESSION_OK, CORE_SESSION_WARN, CORE_SESSION_FAIL };

#define CORE_SESSION_MAX_FINDINGS 8

struct core_session_finding {
	enum core_session_level level;
	bool fatal;	   /* Kong EE 1.3 refuses to start: cannot be waived */
	char text[384];
};

struct core_session_report {
	bool needed;	   /* admin_gui_auth is set: Kong Manager uses sessions */
	bool present;	   /* admin_gui_session_conf is set (valid or not) */
	bool cross_domain; /* Kong Manager and the Admin API on different domains */
	bool gui_http;	   /* Kong Manager over plain HTTP */
	char gui_host[256];
	char api_host[256];
	struct core_session_finding findings[CORE_SESSION_MAX_FINDINGS];
	size_t n_findings;
	enum core_session_level level; /* the worst finding */
	char *recommended; /* one-line JSON for admin_gui_session_conf, owned; NULL if not needed */
};

/* Evaluates the settings. secret: the value to put in a new conf when it has
 * none (NULL = generate 32 random bytes, base64). Returns 0, or -1 with err
 * only when memory or the random generator fails. The report never contains
 * the secret except inside `recommended`. */
int core_session_evaluate(const struct core_session_input *in, const char *secret,
			  struct core_session_report *out, struct core_error *err);

void core_session_report_done(struct core_session_report *r);

/* The host of a URL ("https://kong-admin.test:8445/x" -> "kong-admin.test"),
 * lower-cased; "" when there is none. Also returns whether the scheme is http. */
void core_session_url_host(const char *url, char *host, size_t size, bool *http);

/* SameSite compares sites: equal hosts, or the same last two labels of DNS
 * names (an approximation of the registrable domain). */
bool core_session_same_site(const char *a, const char *b);

#endif
