/* screen_session.c — step 3: Kong Manager session and cookie settings, and
 * the Dev Portal's Legacy Mode (SPEC §2.3, runbook "Changes and
 * Configuration to Consider"). kong.conf is changed only through a planned
 * edit whose redacted diff the operator has seen; the secret never reaches
 * the screen. */
#include <stdio.h>
#include <string.h>

#include "config/config_kongconf.h"
#include "config/config_kongconf_write.h"
#include "screens/screens_internal.h"

extern char **environ;

static struct {
	struct config_kongconf *kc;	   /* kong.conf as read on entering */
	struct config_kongconf_edit *edit; /* planned, shown as a diff; NULL when none */
	char *diff;
	const char *key;
	char masked[1024];
	char msg[1200];
	enum tui_role msg_role;
} session;

static const struct core_check_result *session_check(const struct screen_ctx *ctx, const char *id)
{
	const struct core_inspection *in = screen_insp(ctx);
	size_t i;

	for (i = 0; i < in->n_results; i++)
		if (strcmp(in->results[i].id, id) == 0)
			return &in->results[i];
	return NULL;
}

static bool session_portal(const struct screen_ctx *ctx)
{
	const struct core_check_result *r = session_check(ctx, "dev-portal");

	return r != NULL && strstr(r->message, "not in use") == NULL;
}

/* Whether an inspection recorded in the journal ("check" events) saw the
 * Dev Portal in use. finish renames the 0.36 portal files to legacy_files,
 * after which the check no longer sees the portal: without the journal the
 * step would drop out of the flow and the header's step count would change.
 * (Kong Manager's need of session settings comes from kong.conf, which
 * finish leaves alone.) The journal only grows, so each call reads on from
 * where the last one stopped. */
static bool session_portal_recorded(const struct screen_ctx *ctx)
{
	static struct {
		const struct core_journal *j;
		size_t scanned;
		bool seen;
	} memo;
	const struct core_journal *j = core_upgrade_journal(ctx->u);
	size_t n = core_journal_count(j), i;

	if (memo.j != j)
		memset(&memo, 0, sizeof(memo));
	memo.j = j;
	for (; memo.scanned < n && !memo.seen; memo.scanned++) {
		const json_t *e = core_journal_event(j, memo.scanned);
		const json_t *res = json_object_get(json_object_get(e, "details"), "results");

		if (strcmp(json_string_value(json_object_get(e, "event")), "check") != 0)
			continue;
		for (i = 0; i < json_array_size(res) && !memo.seen; i++) {
			const json_t *r = json_array_get(res, i);
			const char *id = json_string_value(json_object_get(r, "id"));
			const char *msg = json_string_value(json_object_get(r, "message"));

			/* As session_portal reads the current result. */
			memo.seen = id != NULL && msg != NULL && strcmp(id, "dev-portal") == 0 &&
				    strstr(msg, "not in use") == NULL;
		}
	}
	return memo.seen;
}

/* Part of the flow for the whole upgrade once any inspection has seen a
 * reason for it (SPEC §2.3), so that every screen counts the same steps. */
static bool session_applies(const struct screen_ctx *ctx)
{
	return screen_insp(ctx)->session.needed || session_portal(ctx) ||
	       session_portal_recorded(ctx);
}

/* The recommended JSON with the secret's value replaced by "******". */
static void session_mask(const struct core_session_report *r, char *buf, size_t size)
{
	json_t *j = r->recommended != NULL ? json_loads(r->recommended, 0, NULL) : NULL;
	char *text = NULL;

	buf[0] = '\0';
	if (j == NULL)
		return;
	if (json_object_get(j, "secret") != NULL)
		json_object_set_new(j, "secret", json_string("******"));
	text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	snprintf(buf, size, "%s", text != NULL ? text : "");
	free(text);
	json_decref(j);
}

static void session_drop_plan(void)
{
	config_kongconf_edit_free(session.edit);
	session.edit = NULL;
	free(session.diff);
	session.diff = NULL;
}

static void session_load(struct screen_ctx *ctx)
{
	struct core_error err = { { 0 } };

	config_kongconf_free(session.kc);
	session.kc = NULL;
	if (config_kongconf_load(ctx->env->kong_conf_path, environ, &session.kc, &err) < 0) {
		session.kc = NULL;
		snprintf(session.msg, sizeof(session.msg), "%s", err.msg);
		session.msg_role = TUI_ROLE_FAIL;
	}
}

static const char *session_value(const char *key)
{
	const char *v = session.kc != NULL ? config_kongconf_get(session.kc, key) : NULL;

	return v != NULL ? v : "(unset)";
}

static void session_enter(struct screen_ctx *ctx)
{
	session.msg[0] = '\0';
	session_load(ctx);
	session_mask(&screen_insp(ctx)->session, session.masked, sizeof(session.masked));
}

static void session_leave(struct screen_ctx *ctx)
{
	(void)ctx;
	session_drop_plan();
	config_kongconf_free(session.kc);
	session.kc = NULL;
}

static void session_draw_diff(WINDOW *w, int rows, int cols)
{
	const char *p = session.diff;
	int y = 2;

	tui_fill(w, 1, 1, rows - 2, cols - 2, TUI_ROLE_NORMAL);
	tui_box(w, 1, 1, rows - 2, cols - 2, "Change to kong.conf (secrets masked)");
	while (p != NULL && *p != '\0' && y < rows - 3) {
		size_t n = strcspn(p, "\n");
		char line[512];

		snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) ? n : sizeof(line) - 1),
			 p);
		tui_put(w, y++, 3, cols - 6,
			line[0] == '+' ? TUI_ROLE_OK : line[0] == '-' ? TUI_ROLE_FAIL : TUI_ROLE_NORMAL,
			false, line);
		p += n + (p[n] == '\n');
	}
	tui_put(w, rows - 3, 3, cols - 6, TUI_ROLE_DIM, false,
		"Enter: write it (a backup copy is kept)   Esc: cancel");
}

/* Two lines at most of wrapped text at column 2; returns the lines drawn. */
static int screen_wrap2(WINDOW *w, int y, int cols, enum tui_role role, const char *s)
{
	int n = tui_wrap(w, y, 2, 2, cols - 3, role, s);

	return n < 2 ? n : 2;
}

static void session_draw(struct screen_ctx *ctx, WINDOW *w)
{
	const struct core_inspection *in = screen_insp(ctx);
	const struct core_session_report *r = &in->session;
	const struct core_check_result *sc = session_check(ctx, "session-conf");
	const struct core_check_result *pc = session_check(ctx, "dev-portal");
	int cols = getmaxx(w), rows = getmaxy(w);
	char buf[1200];
	size_t i;
	int y = 0;

	if (r->needed) {
		tui_put(w, y++, 1, cols - 2, TUI_ROLE_TITLE, false,
			"Kong Manager sessions (RBAC): Kong EE 1.3 needs admin_gui_session_conf");
		screen_kv(w, y++, "admin_gui_url", TUI_ROLE_NORMAL, session_value("admin_gui_url"));
		screen_kv(w, y++, "admin_api_uri", TUI_ROLE_NORMAL, session_value("admin_api_uri"));
		snprintf(buf, sizeof(buf), "%s; enforce_rbac = %s", session_value("admin_gui_auth"),
			 session_value("enforce_rbac"));
		screen_kv(w, y++, "admin_gui_auth", TUI_ROLE_NORMAL, buf);
		for (i = 0; i < r->n_findings && i < 3; i++)
			y += screen_wrap2(w, y, cols,
					 r->findings[i].level == CORE_SESSION_OK     ? TUI_ROLE_OK
					 : r->findings[i].level == CORE_SESSION_WARN ? TUI_ROLE_WARN
										     : TUI_ROLE_FAIL,
					 r->findings[i].text);
		if (sc != NULL && sc->status == CORE_CHECK_FAIL && session.masked[0] != '\0') {
			tui_put(w, y++, 2, cols - 3, TUI_ROLE_DIM, false,
				"Computed admin_gui_session_conf:");
			y += tui_wrap(w, y, 4, 2, cols - 5, TUI_ROLE_NORMAL, session.masked);
			y += tui_wrap(w, y, 2, 2, cols - 3, TUI_ROLE_WARN,
				      "The same secret must be set on every node: it is written to "
				      "kong.conf (0600 backup copy kept); copy that line to the others.");
		}
		if (r->n_findings == 0)
			tui_put(w, y++, 2, cols - 3, TUI_ROLE_OK, false,
				"admin_gui_session_conf is set and fits Kong Manager");
		y++;
	}
	if (session_portal(ctx)) {
		tui_put(w, y++, 1, cols - 2, TUI_ROLE_TITLE, false, "Dev Portal: breaking changes in 1.3");
		y += tui_wrap(w, y, 2, 3, cols - 3, TUI_ROLE_NORMAL,
			      "The Kong Developer Portal has undergone a number of Breaking Changes, if "
			      "you are currently using the Developer Portal, it will no longer work "
			      "without manually migrating files, or enabling Legacy Mode.");
		tui_wrap(w, y, 2, 2, cols - 3,
			 pc != NULL && pc->status == CORE_CHECK_PASS ? TUI_ROLE_OK : TUI_ROLE_WARN,
			 pc != NULL ? pc->message : "");
	}
	tui_put(w, rows - 2, 1, cols - 2, TUI_ROLE_DIM, false,
		r->needed ? "Enter: write admin_gui_session_conf   Space: turn on Legacy Mode"
			  : "Space: turn on Legacy Mode (portal_is_legacy = on)   >: go on");
	if (session.msg[0] != '\0' || ctx->note[0] != '\0')
		tui_put(w, rows - 1, 1, cols - 2, session.msg[0] != '\0' ? session.msg_role : TUI_ROLE_FAIL,
			false, session.msg[0] != '\0' ? session.msg : ctx->note);
	if (session.edit != NULL)
		session_draw_diff(w, rows, cols);
}

static void session_plan(struct screen_ctx *ctx, const char *key, const char *value)
{
	struct core_error err = { { 0 } };

	session_drop_plan();
	session.msg_role = TUI_ROLE_FAIL;
	if (config_kongconf_edit_plan(ctx->env->kong_conf_path, key, value, &session.edit, &err) < 0) {
		snprintf(session.msg, sizeof(session.msg), "%s", err.msg);
		session.edit = NULL;
		return;
	}
	if (!config_kongconf_edit_changed(session.edit)) {
		snprintf(session.msg, sizeof(session.msg), "kong.conf already has %s so.", key);
		session.msg_role = TUI_ROLE_OK;
		session_drop_plan();
		return;
	}
	session.diff = config_kongconf_edit_diff(session.edit, 1);
	session.key = key;
}

static struct core_setting session_setting(const struct config_kongconf *kc, const char *key,
					   const char *where)
{
	struct core_setting s = { config_kongconf_get(kc, key), where };

	return s;
}

/* Reads kong.conf again, hands its settings to the upgrade and inspects. */
static void session_reload(struct screen_ctx *ctx)
{
	struct config_kongconf *kc = NULL;
	struct core_session_input si;
	struct core_setting portal, legacy;
	struct core_error err = { { 0 } };

	if (config_kongconf_load(ctx->env->kong_conf_path, environ, &kc, &err) < 0)
		goto out;
	si.admin_gui_auth = config_kongconf_get(kc, "admin_gui_auth");
	si.enforce_rbac = config_kongconf_get(kc, "enforce_rbac");
	si.admin_gui_session_conf = config_kongconf_get(kc, "admin_gui_session_conf");
	si.admin_gui_url = config_kongconf_get(kc, "admin_gui_url");
	si.admin_api_uri = config_kongconf_get(kc, "admin_api_uri");
	portal = session_setting(kc, "portal", ctx->env->kong_conf_path);
	legacy = session_setting(kc, "portal_is_legacy", ctx->env->kong_conf_path);
	if (core_upgrade_set_conf(ctx->u, &si, &portal, &legacy, &err) < 0)
		goto out;
	screen_inspect(ctx);
	session_load(ctx);
	session_mask(&screen_insp(ctx)->session, session.masked, sizeof(session.masked));
out:
	if (err.msg[0] != '\0') {
		snprintf(session.msg, sizeof(session.msg), "re-reading kong.conf: %s", err.msg);
		session.msg_role = TUI_ROLE_FAIL;
	}
	config_kongconf_free(kc);
}

static void session_apply(struct screen_ctx *ctx)
{
	struct core_error err = { { 0 } };
	char backup_path[4200];

	if (config_kongconf_edit_apply(session.edit, NULL, backup_path, sizeof(backup_path), &err) <
	    0) {
		snprintf(session.msg, sizeof(session.msg), "%s", err.msg);
		session.msg_role = TUI_ROLE_FAIL;
		session_drop_plan();
		return;
	}
	snprintf(session.msg, sizeof(session.msg), "Wrote %s; backup copy: %s", session.key,
		 backup_path);
	session.msg_role = TUI_ROLE_OK;
	session_drop_plan();
	session_reload(ctx);
}

static enum tui_result session_action(struct screen_ctx *ctx, enum tui_action a, int ch)
{
	const struct core_inspection *in = screen_insp(ctx);
	const struct core_check_result *sc = session_check(ctx, "session-conf");

	(void)ch;
	if (session.edit != NULL) {
		if (a == TUI_ACT_SELECT || a == TUI_ACT_CONFIRM)
			session_apply(ctx);
		else if (a == TUI_ACT_CANCEL)
			session_drop_plan();
		return TUI_HANDLED;
	}
	switch (a) {
	case TUI_ACT_SELECT:
		if (!in->session.needed || in->session.recommended == NULL) {
			snprintf(session.msg, sizeof(session.msg),
				 "Kong Manager does not need session settings here.");
			session.msg_role = TUI_ROLE_OK;
			return TUI_HANDLED;
		}
		session_plan(ctx, "admin_gui_session_conf", in->session.recommended);
		return TUI_HANDLED;
	case TUI_ACT_TOGGLE:
		session_plan(ctx, "portal_is_legacy", "on");
		return TUI_HANDLED;
	case TUI_ACT_NEXT:
		if (sc != NULL && sc->status == CORE_CHECK_FAIL) {
			snprintf(session.msg, sizeof(session.msg),
				 "Kong EE 1.3 will not start without a valid admin_gui_session_conf: "
				 "Enter writes it.");
			session.msg_role = TUI_ROLE_FAIL;
			return TUI_HANDLED;
		}
		return TUI_NEXT;
	default:
		return TUI_IGNORED;
	}
}

static const char *session_help(const struct screen_ctx *ctx)
{
	(void)ctx;
	return "Session & cookies: with RBAC for Kong Manager (admin_gui_auth), Kong EE 1.3 "
	       "needs admin_gui_session_conf: cookie_samesite off when Kong Manager and the "
	       "Admin API are on different domains, cookie_secure false over plain HTTP, and "
	       "one secret (never shown) on every node. The change is shown as a diff, written "
	       "atomically with a backup copy and checked again. Space turns on the Dev "
	       "Portal's Legacy Mode.";
}

const struct screen_ops screen_session = {
	.name = "session",
	.title = "Session & cookies",
	.applies = session_applies,
	.enter = session_enter,
	.draw = session_draw,
	.action = session_action,
	.leave = session_leave,
	.help = session_help,
};
