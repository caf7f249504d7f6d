#include "core/core_checks.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void say(struct core_check_result *r, enum core_check_status s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fix(struct core_check_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(struct core_check_result *r, enum core_check_status s, const char *fmt, ...)
{
	va_list ap;

	r->status = s;
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
}

static void fix(struct core_check_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->remedy, sizeof(r->remedy), fmt, ap);
	va_end(ap);
}

/* Appends ", name" to a bounded list. */
static void list_add(char *buf, size_t size, const char *name)
{
	size_t len = strlen(buf);

	snprintf(buf + len, size - len, "%s%s", len > 0 ? ", " : "", name);
}

/* Checks that need the datastore say so when it could not be read. */
static int need_db(const struct core_check_input *in, struct core_check_result *r)
{
	if (in->db != NULL)
		return 1;
	say(r, CORE_CHECK_FAIL, "not checked: the datastore could not be read");
	fix(r, "Fix 'Datastore reachable' first.");
	return 0;
}

static void check_datastore(const struct core_check_input *in, struct core_check_result *r)
{
	if (in->db == NULL) {
		say(r, CORE_CHECK_FAIL, "%s", in->db_error != NULL ? in->db_error : "not read");
		fix(r, "Check pg_host, pg_port, pg_user, pg_password and pg_database in %s (or the "
		       "KONG_PG_* variables), that PostgreSQL is running and accepts this host "
		       "(pg_hba.conf), and pg_ssl/pg_ssl_verify.",
		    in->kong_conf_path != NULL ? in->kong_conf_path : "kong.conf");
		return;
	}
	say(r, CORE_CHECK_PASS, "database '%s', schema '%s', user '%s'", in->db->database,
	    in->db->schema, in->db->user);
}

/* Kong 1.x supports PostgreSQL 9.5 and later. */
static void check_pg_version(const struct core_check_input *in, struct core_check_result *r)
{
	int v;

	if (!need_db(in, r))
		return;
	v = in->db->server_version_num;
	if (v < 90500) {
		say(r, CORE_CHECK_FAIL, "PostgreSQL %d.%d is older than 9.5", v / 10000,
		    (v / 100) % 100);
		fix(r, "Kong 1.3 needs PostgreSQL 9.5 or later: upgrade PostgreSQL first.");
		return;
	}
	/* server_version_num: 90624 is 9.6.24; from 10 on, 150004 is 15.4. */
	if (v >= 100000)
		say(r, CORE_CHECK_PASS, "PostgreSQL %d.%d", v / 10000, v % 10000);
	else
		say(r, CORE_CHECK_PASS, "PostgreSQL %d.%d", v / 10000, (v / 100) % 100);
}

static void check_privileges(const struct core_check_input *in, struct core_check_result *r)
{
	char tables[400] = "";
	size_t i;

	if (!need_db(in, r))
		return;
	for (i = 0; i < in->db->n_not_owned && i < 8; i++)
		list_add(tables, sizeof(tables), in->db->not_owned[i]);
	if (in->db->n_not_owned > 8)
		list_add(tables, sizeof(tables), "...");
	if (!in->db->can_create) {
		say(r, CORE_CHECK_FAIL, "user '%s' may not create tables in schema '%s'",
		    in->db->user, in->db->schema);
		fix(r, "As a superuser: GRANT CREATE ON SCHEMA \"%s\" TO \"%s\";", in->db->schema,
		    in->db->user);
		return;
	}
	if (in->db->n_not_owned > 0) {
		say(r, CORE_CHECK_FAIL, "user '%s' does not own %zu table%s of schema '%s' (%s), "
					"so migrations cannot alter them",
		    in->db->user, in->db->n_not_owned, in->db->n_not_owned == 1 ? "" : "s",
		    in->db->schema, tables);
		fix(r, "Run the upgrade as the role that owns the Kong tables, or as a superuser: "
		       "ALTER TABLE <table> OWNER TO \"%s\"; for each of: %s",
		    in->db->user, tables);
		return;
	}
	say(r, CORE_CHECK_PASS, "user '%s' may create and alter in schema '%s'", in->db->user,
	    in->db->schema);
}

static void check_kong_binary(const struct core_check_input *in, struct core_check_result *r)
{
	if (in->kong == NULL) {
		say(r, CORE_CHECK_FAIL, "%s", in->kong_error != NULL ? in->kong_error : "not run");
		fix(r, "Install Kong Enterprise 1.3 on this node and set kong { binary = \"...\" } in "
		       "the wizard config, or pass --kong PATH.");
		return;
	}
	if (in->kong->edition != CORE_EDITION_ENTERPRISE || strcmp(in->kong->version, "1.3") != 0) {
		say(r, CORE_CHECK_FAIL, "'%s version' says '%s'; the target must be Kong Enterprise "
					"1.3",
		    in->kong_binary, in->kong->text);
		fix(r, "Point the wizard at the new node's kong (Kong Enterprise 1.3) with --kong or "
		       "kong { binary } in the wizard config.");
		return;
	}
	say(r, CORE_CHECK_PASS, "%s", in->kong->text);
}

static void check_path(const struct core_check_input *in, struct core_check_result *r)
{
	if (in->plan == NULL || (in->plan->refusal[0] == '\0' && in->plan->path == CORE_PATH_NONE)) {
		say(r, CORE_CHECK_FAIL, "not decided: the datastore or the kong binary could not be "
					"read");
		fix(r, "Fix the checks above first.");
		return;
	}
	if (in->plan->refusal[0] != '\0') {
		say(r, CORE_CHECK_FAIL, "%s", in->plan->refusal);
		fix(r, "This wizard takes Kong Enterprise 0.36 or Kong 1.2/1.3 to Kong Enterprise "
		       "1.3. Upgrade the datastore to a supported version first (runbook: "
		       "'Prerequisites for Migrating to 1.3').");
		return;
	}
	say(r, CORE_CHECK_PASS, "%s, phase %s", core_path_name(in->plan->path),
	    core_phase_name(in->plan->phase));
}

static void check_earlier_pending(const struct core_check_input *in, struct core_check_result *r)
{
	char subs[400] = "";
	size_t i;

	if (!need_db(in, r))
		return;
	for (i = 0; i < in->db->n_rows; i++)
		if (in->db->rows[i].n_pending > 0)
			list_add(subs, sizeof(subs), in->db->rows[i].subsystem);
	if (in->detection->kind == CORE_DETECT_PENDING ||
	    (in->detection->kind == CORE_DETECT_UP_DONE && in->plan != NULL &&
	     in->plan->refusal[0] != '\0')) {
		say(r, CORE_CHECK_FAIL, "pending migrations that do not belong to this upgrade, in: %s",
		    subs);
		fix(r, "Finish the earlier upgrade with the Kong version that ran its 'up' ('kong "
		       "migrations finish'), or restore the backup taken before it.");
		return;
	}
	if (in->detection->kind == CORE_DETECT_UP_PARTIAL) {
		say(r, CORE_CHECK_FAIL, "%s (pending in: %s)", in->detection->reason, subs);
		fix(r, "Restore the backup taken before 'up' and run the upgrade again (see 'Source "
		       "version has an upgrade path' for the other way).");
		return;
	}
	if (in->detection->kind == CORE_DETECT_UP_DONE) {
		say(r, CORE_CHECK_PASS, "'%s' of this upgrade already ran (pending in: %s); the "
					"wizard resumes after it",
		    in->detection->partial ? "finish, in part," : "up", subs);
		return;
	}
	say(r, CORE_CHECK_PASS, "no pending migrations");
}

/* Reference §2.3: expired rows are removed by the next acquirer. */
static void check_lock(const struct core_check_input *in, struct core_check_result *r)
{
	if (!need_db(in, r))
		return;
	if (!in->db->lock.held) {
		say(r, CORE_CHECK_PASS, "free");
		return;
	}
	if (in->db->lock.expired) {
		say(r, CORE_CHECK_WARN, "held by %s until %s: expired (stale); the next kong "
					"migrations command removes it",
		    in->db->lock.owner, in->db->lock.ttl);
		fix(r, "Nothing to do, unless you know that node is still migrating.");
		return;
	}
	say(r, CORE_CHECK_FAIL, "held by node %s until %s: another node is performing database "
				"changes",
	    in->db->lock.owner, in->db->lock.ttl);
	fix(r, "Wait until it ends (or its ttl passes). If no kong migrations command runs "
	       "anywhere, remove it: DELETE FROM locks WHERE key = 'migrations';");
}

/* What `kong migrations list` should say for each phase (reference §1.3). */
static void check_list_agrees(const struct core_check_input *in, struct core_check_result *r)
{
	int expected = -1;

	if (in->list == NULL) {
		say(r, CORE_CHECK_WARN, "%s", in->list_error != NULL ? in->list_error : "not run");
		fix(r, "Run '%s migrations list' by hand to see what Kong says.", in->kong_binary);
		return;
	}
	if (in->plan != NULL && in->plan->refusal[0] == '\0') {
		if (in->plan->phase == CORE_PHASE_NOT_STARTED)
			expected = CORE_KONG_LIST_NEW;
		else if (in->plan->phase == CORE_PHASE_UP_DONE)
			expected = CORE_KONG_LIST_PENDING;
		else if (in->plan->phase == CORE_PHASE_FINISHED ||
			 in->plan->phase == CORE_PHASE_MIGRATED)
			expected = CORE_KONG_LIST_UP_TO_DATE;
	}
	if (in->list->status == CORE_KONG_LIST_ERROR) {
		say(r, CORE_CHECK_WARN, "kong migrations list failed: %s",
		    in->list->message != NULL ? in->list->message : "(no message)");
		fix(r, "The wizard and kong must read the same datastore: check the kong.conf passed "
		       "with -c.");
		return;
	}
	if (expected >= 0 && in->list->status != expected) {
		say(r, CORE_CHECK_WARN, "kong migrations list exited %d, but schema_meta says phase "
					"'%s' (expected %d)",
		    in->list->status, core_phase_name(in->plan->phase), expected);
		fix(r, "The wizard's catalog and the kong binary disagree: compare '%s migrations "
		       "list' with schema_meta before going on.",
		    in->kong_binary);
		return;
	}
	say(r, CORE_CHECK_PASS, "kong migrations list exited %d", in->list->status);
}

static void check_session_conf(const struct core_check_input *in, struct core_check_result *r)
{
	char text[512] = "";
	size_t i;

	if (in->session == NULL || !in->session->needed) {
		say(r, CORE_CHECK_PASS, "Kong Manager does not use authentication (admin_gui_auth "
					"unset): no session config needed");
		for (i = 0; in->session != NULL && i < in->session->n_findings; i++)
			if (in->session->findings[i].fatal)
				say(r, CORE_CHECK_FAIL, "%s", in->session->findings[i].text);
		if (r->status == CORE_CHECK_FAIL)
			fix(r, "Remove admin_gui_session_conf from kong.conf, or set admin_gui_auth.");
		return;
	}
	for (i = 0; i < in->session->n_findings; i++)
		if (in->session->findings[i].fatal)
			list_add(text, sizeof(text), in->session->findings[i].text);
	if (text[0] != '\0') {
		say(r, CORE_CHECK_FAIL, "%s", text);
		fix(r, "Set in kong.conf (every node, same secret): admin_gui_session_conf = <the JSON "
		       "the Session & cookies step computes>; enforce_rbac = on. Kong Enterprise 1.3 "
		       "will not start otherwise.");
		return;
	}
	say(r, CORE_CHECK_PASS, "admin_gui_session_conf is set and valid JSON");
}

static void check_cookies(const struct core_check_input *in, struct core_check_result *r)
{
	char fails[512] = "";
	char warns[512] = "";
	size_t i;

	if (in->session == NULL || !in->session->needed) {
		say(r, CORE_CHECK_PASS, "not applicable (no Kong Manager authentication)");
		return;
	}
	if (!in->session->present) {
		say(r, CORE_CHECK_PASS, "not set yet: the computed admin_gui_session_conf%s%s",
		    in->session->cross_domain ? " has cookie_samesite \"off\"" : "",
		    in->session->gui_http ? " has cookie_secure false (Kong Manager over HTTP)"
					  : " keeps the defaults");
		return;
	}
	for (i = 0; i < in->session->n_findings; i++) {
		const struct core_session_finding *f = &in->session->findings[i];

		if (f->fatal)
			continue;
		list_add(f->level == CORE_SESSION_FAIL ? fails : warns, sizeof(fails), f->text);
	}
	if (fails[0] != '\0') {
		say(r, CORE_CHECK_FAIL, "%s", fails);
		fix(r, "Use the Session & cookies step to write admin_gui_session_conf with "
		       "cookie_samesite \"off\" / cookie_secure false as needed; otherwise Kong "
		       "Manager logins will fail after the upgrade.");
		return;
	}
	if (warns[0] != '\0') {
		say(r, CORE_CHECK_WARN, "%s", warns);
		fix(r, "Set admin_gui_url, and an explicit \"secret\" in admin_gui_session_conf, the "
		       "same on every node.");
		return;
	}
	say(r, CORE_CHECK_PASS, "cookie_samesite and cookie_secure fit Kong Manager (%s)",
	    in->session->gui_host[0] != '\0' ? in->session->gui_host : "its own host");
}

static bool setting_on(const struct core_setting *s)
{
	return s->value != NULL && (strcmp(s->value, "on") == 0 || strcmp(s->value, "true") == 0);
}

/* Runbook: "The Kong Developer Portal has undergone a number of Breaking Changes". */
static void check_portal(const struct core_check_input *in, struct core_check_result *r)
{
	long long files = in->db != NULL ? core_state_count(in->db, "files") : -1;
	bool in_use = setting_on(&in->portal) || files > 0;

	if (!in_use) {
		say(r, CORE_CHECK_PASS, "the Dev Portal is not in use");
		return;
	}
	if (setting_on(&in->portal_is_legacy)) {
		say(r, CORE_CHECK_PASS, "the Dev Portal is in use and Legacy Mode is on "
					"(portal_is_legacy, %s)",
		    in->portal_is_legacy.where);
		return;
	}
	say(r, CORE_CHECK_WARN, "the Dev Portal is in use (portal = %s, %s; %lld portal files): in "
				"1.3 it will not work without migrating files or Legacy Mode",
	    in->portal.value != NULL ? in->portal.value : "off",
	    in->portal.where != NULL ? in->portal.where : "default", files > 0 ? files : 0);
	fix(r, "Set portal_is_legacy = on in kong.conf (the Session & cookies step offers it), or "
	       "migrate the portal files by hand after finish (the 0.36 files become "
	       "legacy_files).");
}

/* The release the new binary is: the up-done target, else Enterprise 1.3.0.0. */
static const struct core_catalog_release *target_release(const struct core_check_input *in)
{
	if (in->detection != NULL && in->detection->kind == CORE_DETECT_UP_DONE &&
	    in->detection->to != NULL)
		return in->detection->to;
	return core_catalog_release("ee-1.3");
}

static bool plugin_enabled(const char *plugins, const struct core_catalog_release *target,
			   const char *name)
{
	const char *p = plugins != NULL ? plugins : "bundled";

	while (*p != '\0') {
		size_t n;

		while (*p == ' ' || *p == ',')
			p++;
		n = strcspn(p, ",");
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n == 7 && strncmp(p, "bundled", 7) == 0 &&
		    core_catalog_subsystem(target, name) != NULL)
			return true;
		if (n == strlen(name) && strncmp(p, name, n) == 0)
			return true;
		p += strcspn(p, ",");
	}
	return false;
}

static bool is_plugin_row(const char *sub)
{
	return strcmp(sub, "core") != 0 && strcmp(sub, "enterprise") != 0;
}

/* Kong/kong#4420: the migration run must load the same plugins as the nodes. */
static void check_plugins(const struct core_check_input *in, struct core_check_result *r)
{
	const struct core_catalog_release *target = target_release(in);
	char missing[400] = "";
	size_t i;

	if (!need_db(in, r))
		return;
	for (i = 0; i < in->db->n_rows; i++) {
		const char *sub = in->db->rows[i].subsystem;

		if (is_plugin_row(sub) && core_catalog_subsystem(target, sub) != NULL &&
		    !plugin_enabled(in->plugins.value, target, sub))
			list_add(missing, sizeof(missing), sub);
	}
	if (missing[0] != '\0') {
		say(r, CORE_CHECK_FAIL, "schema_meta has migrations of plugins that plugins = %s "
					"(%s) does not enable: %s",
		    in->plugins.value != NULL ? in->plugins.value : "bundled",
		    in->plugins.where != NULL ? in->plugins.where : "default", missing);
		fix(r, "Set plugins in the new node's kong.conf to what the old nodes use (e.g. "
		       "plugins = bundled,<custom>), so that 'up' migrates every plugin in use.");
		return;
	}
	say(r, CORE_CHECK_PASS, "plugins = %s enables every plugin subsystem in schema_meta",
	    in->plugins.value != NULL ? in->plugins.value : "bundled");
}

static void check_custom_plugins(const struct core_check_input *in, struct core_check_result *r)
{
	const struct core_catalog_release *target = target_release(in);
	char custom[400] = "";
	size_t i;

	if (!need_db(in, r))
		return;
	for (i = 0; i < in->db->n_rows; i++) {
		const char *sub = in->db->rows[i].subsystem;

		if (is_plugin_row(sub) && core_catalog_subsystem(target, sub) == NULL)
			list_add(custom, sizeof(custom), sub);
	}
	if (custom[0] != '\0') {
		say(r, CORE_CHECK_FAIL, "subsystems the target does not ship: %s", custom);
		fix(r, "Install these plugins on the new nodes (and list them in plugins), with "
		       "versions compatible with Kong Enterprise 1.3; Kong silently skips the "
		       "migrations of plugins it cannot load (Kong/kong#4514).");
		return;
	}
	say(r, CORE_CHECK_PASS, "none");
}

static void check_backup(const struct core_check_input *in, struct core_check_result *r)
{
	if (in->backup_fresh) {
		say(r, CORE_CHECK_PASS, "%s", in->backup_why != NULL ? in->backup_why : "fresh");
		return;
	}
	say(r, CORE_CHECK_FAIL, "%s", in->backup_why != NULL ? in->backup_why : "no backup");
	fix(r, "Take one with the Backup step or 'kong-upgrade-wizard backup' (pg_dump -Fc, "
	       "verified).");
}

static void check_disk(const struct core_check_input *in, struct core_check_result *r)
{
	long long need;

	if (in->backup_free_bytes < 0) {
		say(r, CORE_CHECK_WARN, "could not measure free space for %s",
		    in->backup_dir != NULL ? in->backup_dir : "the backup directory");
		return;
	}
	if (!need_db(in, r))
		return;
	/* A custom-format dump is compressed: the database size is an upper bound. */
	need = in->db->database_bytes + in->db->database_bytes / 10;
	if (in->backup_free_bytes < need) {
		say(r, CORE_CHECK_FAIL, "%lld MB free in %s, a backup may need up to %lld MB",
		    in->backup_free_bytes >> 20, in->backup_dir, need >> 20);
		fix(r, "Free space in %s or set backup { dir } in the wizard config to a larger "
		       "file system.",
		    in->backup_dir);
		return;
	}
	say(r, CORE_CHECK_PASS, "%lld MB free in %s (database %lld MB)", in->backup_free_bytes >> 20,
	    in->backup_dir, in->db->database_bytes >> 20);
}

static const struct core_check checks[] = {
	{ "datastore-reachable", "Datastore reachable", CORE_CHECK_FATAL, check_datastore },
	{ "postgres-version", "PostgreSQL version supported", CORE_CHECK_FATAL, check_pg_version },
	{ "schema-privileges", "Privileges in the Kong schema", CORE_CHECK_FATAL, check_privileges },
	{ "kong-binary", "New kong binary is Kong Enterprise 1.3", CORE_CHECK_FATAL,
	  check_kong_binary },
	{ "upgrade-path", "Source version has an upgrade path", CORE_CHECK_FATAL, check_path },
	{ "earlier-pending", "No pending migrations of an earlier upgrade", CORE_CHECK_FATAL,
	  check_earlier_pending },
	{ "migrations-lock", "Kong's migrations lock is free", CORE_CHECK_FATAL, check_lock },
	{ "kong-list", "kong migrations list agrees", CORE_CHECK_WAIVABLE, check_list_agrees },
	{ "session-conf", "Kong Manager session config", CORE_CHECK_FATAL, check_session_conf },
	{ "cookie-rules", "SameSite and Secure cookie rules", CORE_CHECK_WAIVABLE, check_cookies },
	{ "dev-portal", "Dev Portal 1.3 breaking changes", CORE_CHECK_WAIVABLE, check_portal },
	{ "plugins-match", "plugins setting matches schema_meta", CORE_CHECK_WAIVABLE,
	  check_plugins },
	{ "custom-plugins", "No unknown plugin subsystems", CORE_CHECK_WAIVABLE,
	  check_custom_plugins },
	{ "backup-fresh", "A fresh, verified backup", CORE_CHECK_WAIVABLE, check_backup },
	{ "backup-disk", "Free disk for the backup", CORE_CHECK_WAIVABLE, check_disk },
};

const struct core_check *core_checks_table(size_t *n)
{
	*n = N(checks);
	return checks;
}

bool core_checks_known(const char *id)
{
	size_t i;

	for (i = 0; i < N(checks); i++)
		if (strcmp(checks[i].id, id) == 0)
			return true;
	return false;
}

size_t core_checks_run(const struct core_check_input *in, const char *const *waived,
		       const char *const *reasons, size_t n_waived, struct core_check_result *results)
{
	size_t i, j;

	for (i = 0; i < N(checks); i++) {
		struct core_check_result *r = &results[i];

		memset(r, 0, sizeof(*r));
		r->id = checks[i].id;
		r->title = checks[i].title;
		r->severity = checks[i].severity;
		checks[i].run(in, r);
		if (r->status != CORE_CHECK_FAIL || r->severity != CORE_CHECK_WAIVABLE)
			continue;
		for (j = 0; j < n_waived; j++) {
			if (strcmp(waived[j], r->id) != 0)
				continue;
			r->status = CORE_CHECK_WAIVED;
			snprintf(r->waiver, sizeof(r->waiver), "%s",
				 reasons != NULL && reasons[j] != NULL ? reasons[j] : "waived");
		}
	}
	return N(checks);
}

bool core_checks_ready(const struct core_check_result *results, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (results[i].status == CORE_CHECK_FAIL)
			return false;
	return true;
}

const char *core_check_status_name(enum core_check_status s)
{
	switch (s) {
	case CORE_CHECK_PASS:
		return "pass";
	case CORE_CHECK_WARN:
		return "warn";
	case CORE_CHECK_FAIL:
		return "fail";
	case CORE_CHECK_WAIVED:
		return "waived";
	}
	return "fail";
}
