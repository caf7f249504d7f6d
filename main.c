/* main.c — wires the layers: parses the command line, reads the wizard
 * config and kong.conf once (with the environment), turns them into the
 * plain parameters core takes, runs one command, prints its result.
 *
 * No command: the interactive wizard (screens/). Commands: check, status,
 * backup, up, finish, migrate-community-to-enterprise (SPEC §3) and demo. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <locale.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "config/config_kongconf.h"
#include "config/config_wizard.h"
#include "core/core_error.h"
#include "core/core_bg.h"
#include "core/core_census.h"
#include "core/core_fleet.h"
#include "core/core_inspect.h"
#include "core/core_upgrade.h"
#include "core/core_sandbox.h"
#include "tests/support/fixtures.h"
#include "tests/support/nodes.h"
#include "screens/screens.h"
#include "tui/tui.h"

#ifndef KUW_VERSION
#define KUW_VERSION "0.0.0"
#endif

/* Where the build put the Kong stand-in; the demo's `kong` binary. */
#ifndef KUW_KONG_SIM_PATH
#define KUW_KONG_SIM_PATH "kong-sim"
#endif

extern char **environ;

enum { EXIT_READY = 0, EXIT_BLOCKED = 1, EXIT_CANNOT_RUN = 2 };

/* The global options of SPEC §3. */
struct options {
	const char *config;	/* -c */
	const char *kong_conf;	/* --kong-conf */
	const char *kong;	/* --kong */
	const char *state_dir;	/* --state-dir */
};

/* Everything read from files and the environment, once. */
struct world {
	struct config_wizard *cw;
	struct config_kongconf *kc;
	const char *kong_binary;
	const char *kong_conf;	/* passed to kong as -c; NULL = its own lookup */
	char user[64];
	char tty[64];
	char ssh[128];
	char app[256];		/* application_name: who is connected */
	const char *waived[64]; /* check ids waived by config and --waive */
	size_t n_waived;
	char where[8][512];	/* storage for struct core_setting.where */
	size_t n_where;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: kong-upgrade-wizard [-c CONFIG] [--kong-conf FILE] [--kong BINARY]\n"
		"                           [--state-dir DIR] [COMMAND [options]]\n"
		"\n"
		"Walks an operator through a Kong database upgrade on PostgreSQL: Kong Enterprise\n"
		"0.36 -> 1.3, and Kong 1.2/1.3 -> Kong Enterprise 1.3.\n"
		"\n"
		"Without a command: the interactive wizard (needs a terminal).\n"
		"\n"
		"Commands:\n"
		"  check [--json] [--waive ID[,ID...]]\n"
		"                run the prerequisite checks; exit 0 ready, 1 blocked, 2 could not run\n"
		"  status [--json]\n"
		"                what the datastore holds, where the upgrade stands, the journal\n"
		"                and the run in progress or last finished\n"
		"  backup        take a verified pg_dump -Fc backup of the Kong database\n"
		"  up            run 'kong migrations up' (non-destructive; old nodes keep working)\n"
		"  finish --confirm DBNAME [--without-backup REASON]\n"
		"                run 'kong migrations finish' (IRREVERSIBLE: old nodes can no\n"
		"                longer start against the datastore); DBNAME must be typed exactly\n"
		"  migrate-community-to-enterprise --confirm DBNAME [--without-backup REASON]\n"
		"                [--force REASON]\n"
		"                Kong -> Kong Enterprise only, after finish (IRREVERSIBLE)\n"
		"  demo [--community]\n"
		"                the wizard on a private PostgreSQL sandbox with a Kong Enterprise\n"
		"                0.36 datastore (--community: Kong 1.2), the Kong stand-in and four\n"
		"                stand-in nodes; all removed on exit\n"
		"\n"
		"Options:\n"
		"  -c CONFIG         wizard config (default %s)\n"
		"  --kong-conf FILE  the new node's kong.conf (default: the config's, else Kong's\n"
		"                    own lookup: /etc/kong/kong.conf, /etc/kong.conf)\n"
		"  --kong BINARY     the new (1.3) kong CLI (default: the config's, else kong)\n"
		"  --state-dir DIR   journal and run logs (default: the config's)\n"
		"  -h, --help        this help\n"
		"  -V, --version     the version\n",
		CONFIG_WIZARD_DEFAULT_PATH);
}

static void world_done(struct world *w)
{
	config_wizard_free(w->cw);
	config_kongconf_free(w->kc);
	memset(w, 0, sizeof(*w));
}

/* Reads the wizard config and kong.conf, applying the command-line overrides. */
static int world_load(const struct options *o, struct world *w, struct core_error *err)
{
	struct passwd *pw = getpwuid(getuid());

	memset(w, 0, sizeof(*w));
	snprintf(w->user, sizeof(w->user), "%s", pw != NULL ? pw->pw_name : "unknown");
	if (config_wizard_load(o->config, &w->cw, err) < 0)
		return -1;
	w->kong_binary = o->kong != NULL ? o->kong : w->cw->kong_binary;
	w->kong_conf = o->kong_conf != NULL ? o->kong_conf : w->cw->kong_conf;
	if (config_kongconf_load(w->kong_conf, environ, &w->kc, err) < 0) {
		core_error_prefix(err, "kong.conf");
		return -1;
	}
	/* Kong itself looked the file up when none was named: pass the same one. */
	if (w->kong_conf == NULL)
		w->kong_conf = config_kongconf_path(w->kc);
	return 0;
}

/* A kong.conf setting with a printable origin. */
static struct core_setting world_setting(struct world *w, const char *key)
{
	struct core_setting s = { config_kongconf_get(w->kc, key), "default" };
	const char *file = NULL;
	int line = 0;
	char *where;

	if (w->n_where == sizeof(w->where) / sizeof(w->where[0]))
		return s;
	where = w->where[w->n_where++];
	switch (config_kongconf_origin(w->kc, key, &file, &line)) {
	case CONFIG_KONGCONF_FILE:
		snprintf(where, sizeof(w->where[0]), "%s:%d", file, line);
		break;
	case CONFIG_KONGCONF_ENV:
		snprintf(where, sizeof(w->where[0]), "KONG_%s", key);
		for (char *p = where + 5; *p != '\0'; p++)
			*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
		break;
	case CONFIG_KONGCONF_DEFAULT:
		snprintf(where, sizeof(w->where[0]), "default");
		break;
	}
	s.where = where;
	return s;
}

/* Free bytes on the file system that holds dir (or its nearest existing parent). */
static long long free_bytes(const char *dir)
{
	char path[4096];
	struct statvfs sv;

	snprintf(path, sizeof(path), "%s", dir);
	while (statvfs(path, &sv) < 0) {
		char *slash = strrchr(path, '/');

		if (errno != ENOENT || slash == NULL || slash == path)
			return statvfs("/", &sv) == 0 ? (long long)sv.f_bavail * (long long)sv.f_frsize
						     : -1;
		*slash = '\0';
	}
	return (long long)sv.f_bavail * (long long)sv.f_frsize;
}

/* Splits "a,b,c" into the waiver list (pointers into s, which is modified). */
static size_t split_ids(char *s, const char **ids, size_t max, size_t n)
{
	char *save = NULL;
	char *tok;

	for (tok = strtok_r(s, ",", &save); tok != NULL && n < max; tok = strtok_r(NULL, ",", &save))
		ids[n++] = tok;
	return n;
}

/* Opens an upgrade session on the datastore of kong.conf and inspects it.
 * exclusive: take the operator lock and write the journal (state-changing
 * commands); otherwise read-only (check, status). Returns 0, -1 with err, or
 * -2 when another operator holds the lock (err names them). */
static int session_open(struct world *w, const struct options *o, char *waive_arg, bool exclusive,
			struct core_upgrade **u, struct core_error *err)
{
	struct core_upgrade_params p;
	struct core_oplock_holder holder;
	const char *pg_timeout = config_kongconf_get(w->kc, "pg_timeout");
	const char *port = config_kongconf_get(w->kc, "pg_port");
	const char *ssh = getenv("SSH_CLIENT");
	const char *tty = ttyname(STDIN_FILENO);
	size_t i;
	int rc;

	*u = NULL;
	for (i = 0; i < w->cw->n_waive && w->n_waived < 64; i++)
		w->waived[w->n_waived++] = w->cw->waive[i];
	if (waive_arg != NULL)
		w->n_waived = split_ids(waive_arg, w->waived, 64, w->n_waived);
	for (i = 0; i < w->n_waived; i++)
		if (!core_checks_known(w->waived[i]))
			return core_error_set(err, "--waive: '%s' is not a check id (see check --json)",
					      w->waived[i]);

	memset(&p, 0, sizeof(p));
	snprintf(w->tty, sizeof(w->tty), "%s", tty != NULL ? tty : "no tty");
	snprintf(w->ssh, sizeof(w->ssh), "%s", ssh != NULL ? ssh : "");
	/* The operator, for the other wizard's "held by" message (pg_stat_activity). */
	snprintf(w->app, sizeof(w->app), "kong-upgrade-wizard (%s on %s%s%.*s)", w->user, w->tty,
		 w->ssh[0] != '\0' ? " from " : "", (int)strcspn(w->ssh, " "), w->ssh);
	p.inspect.pg.host = config_kongconf_get(w->kc, "pg_host");
	if (port != NULL && (strspn(port, "0123456789") != strlen(port) || atoi(port) < 1 ||
			     atoi(port) > 65535)) {
		struct core_setting where = world_setting(w, "pg_port");

		return core_error_set(err, "kong.conf: pg_port = %s (%s) is not a port number", port,
				      where.where);
	}
	p.inspect.pg.port = port != NULL ? atoi(port) : 5432;
	p.inspect.pg.user = config_kongconf_get(w->kc, "pg_user");
	p.inspect.pg.password = config_kongconf_get(w->kc, "pg_password");
	p.inspect.pg.dbname = config_kongconf_get(w->kc, "pg_database");
	p.inspect.pg.schema = config_kongconf_get(w->kc, "pg_schema");
	p.inspect.pg.ssl = config_kongconf_get_bool(w->kc, "pg_ssl");
	p.inspect.pg.ssl_verify = config_kongconf_get_bool(w->kc, "pg_ssl_verify");
	p.inspect.pg.ssl_root_cert = config_kongconf_get(w->kc, "lua_ssl_trusted_certificate");
	/* pg_timeout is in milliseconds (reference §6). */
	p.inspect.pg.connect_timeout_s = pg_timeout != NULL ? (atoi(pg_timeout) + 999) / 1000 : 5;
	p.inspect.pg.application_name = w->app;
	if (p.inspect.pg.host == NULL || p.inspect.pg.user == NULL || p.inspect.pg.dbname == NULL)
		return core_error_set(err, "kong.conf: pg_host, pg_user and pg_database must be set");
	p.inspect.kong_binary = w->kong_binary;
	p.inspect.kong_conf = w->kong_conf;
	p.inspect.database = world_setting(w, "database");
	p.inspect.plugins = world_setting(w, "plugins");
	p.inspect.portal = world_setting(w, "portal");
	p.inspect.portal_is_legacy = world_setting(w, "portal_is_legacy");
	p.inspect.session.admin_gui_auth = config_kongconf_get(w->kc, "admin_gui_auth");
	p.inspect.session.enforce_rbac = config_kongconf_get(w->kc, "enforce_rbac");
	p.inspect.session.admin_gui_session_conf = config_kongconf_get(w->kc, "admin_gui_session_conf");
	p.inspect.session.admin_gui_url = config_kongconf_get(w->kc, "admin_gui_url");
	p.inspect.session.admin_api_uri = config_kongconf_get(w->kc, "admin_api_uri");
	p.inspect.backup_dir = w->cw->backup_dir;
	p.inspect.backup_free_bytes = free_bytes(w->cw->backup_dir);
	p.inspect.waived = w->waived;
	p.inspect.n_waived = w->n_waived;
	p.state_dir = o->state_dir != NULL ? o->state_dir : w->cw->state_dir;
	p.backup_dir = w->cw->backup_dir;
	p.backup_max_age_ms = w->cw->backup_max_age_ms;
	p.pg_dump = w->cw->pg_dump;
	p.pg_restore = w->cw->pg_restore;
	p.op.user = w->user;
	p.op.tty = w->tty;
	p.op.ssh_client = w->ssh;
	p.exclusive = exclusive;
	p.old_urls = (const char *const *)w->cw->old_cluster.admin_urls;
	p.n_old = w->cw->old_cluster.n_admin_urls;
	p.new_urls = (const char *const *)w->cw->new_cluster.admin_urls;
	p.n_new = w->cw->new_cluster.n_admin_urls;
	rc = core_upgrade_open(&p, u, &holder, err);
	if (rc < 0)
		return rc;
	if (core_upgrade_inspect(*u, err) < 0) {
		core_upgrade_close(*u);
		*u = NULL;
		return -1;
	}
	return 0;
}

static const char *status_word(enum core_check_status s)
{
	static const char *const words[] = { "ok", "warn", "FAIL", "waived" };

	return words[s];
}

static void print_plan(const struct core_inspection *in)
{
	const struct core_plan *p = &in->plan;

	if (p->source_edition != CORE_EDITION_UNKNOWN)
		printf("Datastore: Kong%s %s", p->source_edition == CORE_EDITION_ENTERPRISE
						       ? " Enterprise" : "",
		       p->source_version);
	else
		printf("Datastore: %s", in->db_ok ? "no known Kong release" : "not read");
	if (in->db_ok)
		printf(" (database '%s', schema '%s')", in->db.database, in->db.schema);
	printf("\nTarget:    %s\n", in->kong_ok ? in->kong.text : "unknown (kong binary not run)");
	if (p->refusal[0] != '\0')
		printf("Path:      none: %s\n", p->refusal);
	else if (p->path != CORE_PATH_NONE)
		printf("Path:      %s, phase %s\n", core_path_name(p->path), core_phase_name(p->phase));
}

static void print_checks(const struct core_inspection *in)
{
	size_t i, fails = 0;

	printf("\n");
	for (i = 0; i < in->n_results; i++) {
		const struct core_check_result *r = &in->results[i];

		printf("%-6s %s: %s\n", status_word(r->status), r->title, r->message);
		if (r->status == CORE_CHECK_WAIVED)
			printf("       waived: %s\n", r->waiver);
		else if (r->status != CORE_CHECK_PASS && r->remedy[0] != '\0')
			printf("       fix: %s\n", r->remedy);
		fails += r->status == CORE_CHECK_FAIL;
	}
	if (in->ready)
		printf("\nReady: yes\n");
	else
		printf("\nReady: no (%zu check%s failed)\n", fails, fails == 1 ? "" : "s");
}

static int print_json(json_t *j)
{
	char *text = j != NULL ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;

	json_decref(j);
	if (text == NULL)
		return -1;
	printf("%s\n", text);
	free(text);
	return 0;
}

static int cmd_check(const struct options *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "waive", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	const struct core_inspection *in;
	struct core_upgrade *u = NULL;
	struct core_error err = { { 0 } };
	struct world w = { 0 };
	char *waive = NULL;
	int json = 0;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'j')
			json = 1;
		else if (c == 'w')
			waive = optarg;
		else
			return EXIT_CANNOT_RUN;
	}
	if (world_load(o, &w, &err) < 0 || session_open(&w, o, waive, false, &u, &err) < 0) {
		fprintf(stderr, "kong-upgrade-wizard: check: %s\n", err.msg);
		world_done(&w);
		return EXIT_CANNOT_RUN;
	}
	in = core_upgrade_inspection(u);
	if (json) {
		if (print_json(core_inspect_json(in)) < 0)
			fprintf(stderr, "kong-upgrade-wizard: check: out of memory\n");
	} else {
		print_plan(in);
		print_checks(in);
	}
	if (!in->db_ok)
		rc = EXIT_CANNOT_RUN;
	else
		rc = in->ready ? EXIT_READY : EXIT_BLOCKED;
	core_upgrade_close(u);
	world_done(&w);
	return rc;
}

static json_t *run_json(const struct core_runner_info *r)
{
	if (r == NULL)
		return json_null();
	return json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:i, s:i, s:s}", "id", r->id, "command",
			 r->command, "state", core_runner_state_name(r->state), "pid",
			 (int)r->child_pid, "started", r->started, "ended", r->ended, "exit_code",
			 r->exit_code, "signal", r->signal, "log", r->log);
}

static void print_run(const struct core_runner_info *r)
{
	if (r == NULL) {
		printf("Runs:      none yet\n");
		return;
	}
	printf("Last run:  %s (%s), started %s", r->command, core_runner_state_name(r->state),
	       r->started);
	if (r->state == CORE_RUNNER_RUNNING)
		printf(", pid %d\n", (int)r->child_pid);
	else if (r->state == CORE_RUNNER_FINISHED && r->signal != 0)
		printf(", killed by signal %d at %s\n", r->signal, r->ended);
	else if (r->state == CORE_RUNNER_FINISHED)
		printf(", exit code %d at %s\n", r->exit_code, r->ended);
	else
		printf(": its supervisor is gone and the outcome is unknown; the datastore above is "
		       "the authority\n");
	printf("           log: %s\n", r->log);
}

/* An RBAC token from the cluster's token_file or token_env (never logged). */
static int read_token(const struct config_cluster *c, char *buf, size_t size,
		      struct core_error *err)
{
	FILE *f;
	size_t n;

	buf[0] = '\0';
	if (c->token_env != NULL) {
		const char *v = getenv(c->token_env);

		if (v == NULL || *v == '\0')
			return core_error_set(err, "the environment variable %s (token_env) is not set",
					      c->token_env);
		snprintf(buf, size, "%s", v);
		return 0;
	}
	if (c->token_file == NULL)
		return 0;
	f = fopen(c->token_file, "r");
	if (f == NULL)
		return core_error_errno(err, errno, "cannot read the RBAC token file %s",
					c->token_file);
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

/* The datastore's clients and, when Admin API URLs are configured, one poll
 * of every node (bounded by the per-node timeout), as JSON. */
static json_t *fleet_json(struct world *w, struct core_upgrade *u)
{
	const struct config_cluster *clusters[2] = { &w->cw->old_cluster, &w->cw->new_cluster };
	struct core_census *census = NULL;
	struct core_fleet *fleet = NULL;
	struct core_error err = { { 0 } };
	json_t *hosts = json_array(), *nodes = json_array();
	char token[512];
	size_t i, c;

	if (core_upgrade_census(u, &census, &err) == 0) {
		for (i = 0; i < census->n_hosts; i++) {
			const struct core_census_host *h = &census->hosts[i];

			json_array_append_new(hosts, json_pack("{s:s, s:i, s:s, s:s}", "addr", h->addr,
							       "connections", h->connections,
							       "class", core_census_class_name(h->cls),
							       "application", h->application));
		}
	}
	core_census_free(census);
	if (core_fleet_new(NULL, &fleet, &err) == 0) {
		for (c = 0; c < 2; c++) {
			if (read_token(clusters[c], token, sizeof(token), &err) < 0)
				token[0] = '\0';
			for (i = 0; i < clusters[c]->n_admin_urls; i++)
				core_fleet_add(fleet, c == 0 ? CORE_FLEET_OLD : CORE_FLEET_NEW,
					       clusters[c]->admin_urls[i],
					       token[0] != '\0' ? token : NULL, &err);
		}
		memset(token, 0, sizeof(token));
		if (core_fleet_count(fleet) > 0 && core_fleet_start_poll(fleet, &err) == 0)
			core_fleet_poll_wait(fleet, &err);
		for (i = 0; i < core_fleet_count(fleet); i++) {
			const struct core_fleet_node *n = core_fleet_node(fleet, i);

			json_array_append_new(
				nodes, json_pack("{s:s, s:s, s:b, s:s, s:s, s:s, s:I}", "url", n->url,
						 "cluster", n->cluster == CORE_FLEET_OLD ? "old" : "new",
						 "reachable", n->reachable, "error", n->error,
						 "version", n->version, "hostname", n->hostname,
						 "total_requests", (json_int_t)n->total_requests));
		}
	}
	core_fleet_free(fleet);
	return json_pack("{s:o, s:o}", "census", hosts, "nodes", nodes);
}

static int cmd_status(const struct options *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const struct core_inspection *in;
	struct core_oplock_holder holder = { 0 };
	struct core_upgrade *u = NULL;
	struct core_journal *j;
	struct core_error err = { { 0 } };
	struct world w = { 0 };
	char who[512] = "";
	int json = 0;
	size_t i;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c != 'j')
			return EXIT_CANNOT_RUN;
		json = 1;
	}
	if (world_load(o, &w, &err) < 0 || session_open(&w, o, NULL, false, &u, &err) < 0) {
		fprintf(stderr, "kong-upgrade-wizard: status: %s\n", err.msg);
		world_done(&w);
		return EXIT_CANNOT_RUN;
	}
	in = core_upgrade_inspection(u);
	j = core_upgrade_journal(u);
	if (in->db_ok && core_upgrade_lock_holder(u, &holder, &err) == 0 && holder.found)
		core_oplock_describe(&holder, who, sizeof(who));
	if (json) {
		json_t *root = core_inspect_json(in);
		json_t *warnings = json_array();

		json_object_del(root, "checks");
		json_object_del(root, "ready");
		if (in->db_ok) {
			json_object_set_new(root, "database",
					    json_pack("{s:s, s:s}", "name", in->db.database, "schema",
						      in->db.schema));
			json_object_set_new(root, "kong_lock",
					    in->db.lock.held
						    ? json_pack("{s:s, s:s, s:b}", "owner",
								in->db.lock.owner, "ttl",
								in->db.lock.ttl, "expired",
								in->db.lock.expired)
						    : json_null());
		} else {
			json_object_set_new(root, "error", json_string(in->db_error));
		}
		json_object_set_new(root, "operator",
				    who[0] != '\0' ? json_string(who) : json_null());
		json_object_set_new(root, "run", run_json(core_upgrade_run(u)));
		if (in->db_ok)
			json_object_set_new(root, "fleet", fleet_json(&w, u));
		for (i = 0; i < core_journal_warning_count(j); i++)
			json_array_append_new(warnings, json_string(core_journal_warning(j, i)));
		json_object_set_new(root, "journal",
				    json_pack("{s:s, s:i, s:b, s:o}", "path", core_journal_path(j),
					      "events", (int)core_journal_count(j), "intact",
					      core_journal_intact(j), "warnings", warnings));
		print_json(root);
	} else {
		print_plan(in);
		if (!in->db_ok)
			printf("Datastore error: %s\n", in->db_error);
		else if (in->db.lock.held)
			printf("Kong lock: held by %s until %s%s\n", in->db.lock.owner, in->db.lock.ttl,
			       in->db.lock.expired ? " (expired)" : "");
		if (who[0] != '\0')
			printf("Operator:  the wizard's lock is %s\n", who);
		print_run(core_upgrade_run(u));
		printf("Journal:   %s, %zu events%s\n", core_journal_path(j), core_journal_count(j),
		       core_journal_intact(j) ? "" : ", NOT INTACT");
		for (i = 0; i < core_journal_warning_count(j); i++)
			printf("           %s\n", core_journal_warning(j, i));
	}
	rc = in->db_ok ? 0 : EXIT_CANNOT_RUN;
	core_upgrade_close(u);
	world_done(&w);
	return rc;
}

/* Opens an exclusive session for a state-changing command; prints why not. */
static struct core_upgrade *session_exclusive(struct world *w, const struct options *o,
					      const char *command)
{
	struct core_upgrade *u = NULL;
	struct core_error err = { { 0 } };

	if (world_load(o, w, &err) < 0 || session_open(w, o, NULL, true, &u, &err) < 0) {
		fprintf(stderr, "kong-upgrade-wizard: %s: %s\n", command, err.msg);
		return NULL;
	}
	if (!core_upgrade_inspection(u)->db_ok) {
		fprintf(stderr, "kong-upgrade-wizard: %s: %s\n", command,
			core_upgrade_inspection(u)->db_error);
		core_upgrade_close(u);
		return NULL;
	}
	return u;
}

static int backup_progress(void *ctx, long long written, long long estimate)
{
	int *last = ctx;
	int pct = estimate > 0 ? (int)(written * 100 / estimate) : 0;

	/* A custom-format dump is compressed: it usually ends well below the estimate. */
	if (pct / 10 != *last / 10) {
		fprintf(stderr, "  %lld MB written (database %lld MB)\n", written >> 20, estimate >> 20);
		*last = pct;
	}
	return 0;
}

static int cmd_backup(const struct options *o)
{
	struct core_backup_info info;
	struct core_error err = { { 0 } };
	struct core_upgrade *u;
	struct world w = { 0 };
	int last = -10;
	int rc = EXIT_CANNOT_RUN;

	u = session_exclusive(&w, o, "backup");
	if (u == NULL)
		goto out;
	printf("Backing up database '%s' into %s ...\n", core_upgrade_inspection(u)->db.database,
	       w.cw->backup_dir);
	fflush(stdout);
	if (core_upgrade_backup(u, backup_progress, &last, &info, &err) < 0) {
		fprintf(stderr, "kong-upgrade-wizard: backup: %s\n", err.msg);
		rc = EXIT_BLOCKED;
		goto out;
	}
	printf("Backup verified: %s\n  %lld bytes, sha256 %s\n  %d tables, %d with data\n", info.path,
	       info.size, info.sha256, info.tables, info.table_data);
	rc = 0;
out:
	core_upgrade_close(u);
	world_done(&w);
	return rc;
}

static volatile sig_atomic_t follow_stop;

static void follow_on_signal(int sig)
{
	(void)sig;
	follow_stop = 1;
}

static void follow_line(void *ctx, const char *line)
{
	(void)ctx;
	printf("  %s\n", line);
}

/* Follows a started run to its end, printing Kong's output. Ctrl-C stops
 * following only: the run is supervised and goes on. */
static int follow_run(struct core_upgrade *u)
{
	struct core_runner_progress progress = { 0 };
	struct core_error err = { { 0 } };
	struct sigaction sa = { 0 };
	const struct timespec tick = { 0, 200 * 1000 * 1000 };
	const struct core_runner_info *r;
	bool ended = false;

	sa.sa_handler = follow_on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!ended) {
		if (core_upgrade_poll(u, &progress, follow_line, NULL, &ended, &err) < 0) {
			fprintf(stderr, "kong-upgrade-wizard: %s\n", err.msg);
			return EXIT_CANNOT_RUN;
		}
		fflush(stdout);
		if (ended)
			break;
		if (follow_stop) {
			r = core_upgrade_run(u);
			fprintf(stderr, "\nStopped following. The run goes on (pid %d, log %s); "
					"'kong-upgrade-wizard status' shows it.\n",
				(int)r->child_pid, r->log);
			return EXIT_BLOCKED;
		}
		nanosleep(&tick, NULL);
	}
	r = core_upgrade_run(u);
	if (progress.state != CORE_RUNNER_FINISHED || progress.exit_code != 0) {
		if (progress.state == CORE_RUNNER_LOST)
			fprintf(stderr, "kong-upgrade-wizard: '%s': its supervisor is gone, the outcome "
					"is unknown; log: %s\n",
				r->command, r->log);
		else if (progress.signal != 0)
			fprintf(stderr, "kong-upgrade-wizard: '%s' was killed by signal %d; log: %s\n",
				r->command, progress.signal, r->log);
		else
			fprintf(stderr, "kong-upgrade-wizard: '%s' failed with exit code %d; log: %s\n",
				r->command, progress.exit_code, r->log);
		if (progress.error[0] != '\0')
			fprintf(stderr, "  %s\n", progress.error);
		return EXIT_BLOCKED;
	}
	if (core_upgrade_verification(u)[0] != '\0') {
		fprintf(stderr, "kong-upgrade-wizard: the run ended well but the datastore does not "
				"show it: %s\n",
			core_upgrade_verification(u));
		return EXIT_BLOCKED;
	}
	printf("Done: %zu migration%s, verified in schema_meta.\n", progress.done,
	       progress.done == 1 ? "" : "s");
	if (core_upgrade_notice(u)[0] != '\0')
		printf("Note: %s.\n", core_upgrade_notice(u));
	return 0;
}

static void print_counts(const struct core_entity_count *before, size_t nb,
			 const struct core_entity_count *after, size_t na)
{
	size_t i, k;

	printf("\n%-24s %10s %10s %12s\n", "table", "before", "after", "in default");
	for (i = 0; i < na; i++) {
		long long b = -1;

		for (k = 0; k < nb; k++)
			if (strcmp(before[k].table, after[i].table) == 0)
				b = before[k].rows;
		printf("%-24s %10lld %10lld %12lld%s\n", after[i].table, b, after[i].rows,
		       after[i].in_default,
		       after[i].rows != b || after[i].in_default != after[i].rows ? "  <-- MISMATCH"
										  : "");
	}
}

/* Reads the confirmation from the terminal when none was given. */
static const char *ask_confirmation(const char *dbname, char *buf, size_t size)
{
	size_t len;

	if (!tui_have_terminal())
		return NULL;
	printf("This step is IRREVERSIBLE. Type the database name (%s) to go on, anything else "
	       "to stop: ",
	       dbname);
	fflush(stdout);
	if (fgets(buf, (int)size, stdin) == NULL)
		return NULL;
	len = strcspn(buf, "\r\n");
	buf[len] = '\0';
	return buf;
}

static int cmd_step(const struct options *o, enum core_upgrade_step step, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "confirm", required_argument, NULL, 'C' },
		{ "without-backup", required_argument, NULL, 'W' },
		{ "force", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = core_upgrade_step_name(step);
	struct core_entity_count before[32], after[32];
	struct core_error err = { { 0 } };
	struct core_upgrade *u = NULL;
	struct world w = { 0 };
	const char *confirm = NULL, *no_backup = NULL, *force = NULL;
	char typed[256];
	size_t nb = 0, na = 0;
	int c, rc = EXIT_CANNOT_RUN;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'C')
			confirm = optarg;
		else if (c == 'W')
			no_backup = optarg;
		else if (c == 'F' && step == CORE_UPGRADE_C2E)
			force = optarg;
		else
			return EXIT_CANNOT_RUN;
	}
	u = session_exclusive(&w, o, name);
	if (u == NULL)
		goto out;
	if (step != CORE_UPGRADE_UP && confirm == NULL) {
		confirm = ask_confirmation(core_upgrade_inspection(u)->db.database, typed,
					   sizeof(typed));
		if (confirm == NULL) {
			fprintf(stderr, "kong-upgrade-wizard: %s is irreversible: give --confirm "
					"DBNAME (no terminal to ask on)\n",
				name);
			goto out;
		}
	}
	/* On the command line, the typed database name is also the operator's word
	 * that traffic has moved and the old nodes are gone (runbook steps 3-4). */
	if (step == CORE_UPGRADE_FINISH && confirm != NULL &&
	    strcmp(confirm, core_upgrade_inspection(u)->db.database) == 0 &&
	    !core_upgrade_traffic_confirmed(u) &&
	    core_upgrade_confirm_traffic(u, "confirmed with finish --confirm", &err) < 0) {
		fprintf(stderr, "kong-upgrade-wizard: %s: %s\n", name, err.msg);
		goto out;
	}
	if (step == CORE_UPGRADE_C2E &&
	    core_upgrade_entity_counts(u, before, 32, &nb, &err) < 0) {
		fprintf(stderr, "kong-upgrade-wizard: %s: %s\n", name, err.msg);
		goto out;
	}
	if (core_upgrade_start(u, step, confirm, no_backup, force != NULL, force, &err) < 0) {
		fprintf(stderr, "kong-upgrade-wizard: %s\n", err.msg);
		rc = EXIT_BLOCKED;
		goto out;
	}
	printf("Running: %s\n", core_upgrade_run(u)->command);
	fflush(stdout);
	rc = follow_run(u);
	if (step == CORE_UPGRADE_C2E && rc == 0) {
		if (core_upgrade_entity_counts(u, after, 32, &na, &err) < 0) {
			fprintf(stderr, "kong-upgrade-wizard: %s: %s\n", name, err.msg);
			rc = EXIT_BLOCKED;
			goto out;
		}
		print_counts(before, nb, after, na);
		for (size_t i = 0; i < na; i++)
			if (after[i].in_default != after[i].rows)
				rc = EXIT_BLOCKED;
	}
out:
	core_upgrade_close(u);
	world_done(&w);
	return rc;
}


/* The interactive wizard (SPEC §2). */
static int cmd_wizard(const struct options *o)
{
	struct screens_env env;
	struct core_error err = { { 0 } };
	struct core_upgrade *u = NULL;
	struct world w = { 0 };
	char log_path[4200];
	char old_token[512], new_token[512];
	const char *no_color = getenv("NO_COLOR");
	int log_fd = -1;
	int rc = EXIT_CANNOT_RUN;

	if (!tui_have_terminal()) {
		fprintf(stderr, "kong-upgrade-wizard: the wizard needs a terminal; without one use "
				"the headless commands: check, status, backup, up, finish, "
				"migrate-community-to-enterprise (see --help)\n");
		return EXIT_CANNOT_RUN;
	}
	setlocale(LC_ALL, "");
	u = session_exclusive(&w, o, "wizard");
	if (u == NULL)
		goto out;
	if (read_token(&w.cw->old_cluster, old_token, sizeof(old_token), &err) < 0 ||
	    read_token(&w.cw->new_cluster, new_token, sizeof(new_token), &err) < 0) {
		fprintf(stderr, "kong-upgrade-wizard: %s\n", err.msg);
		goto out;
	}
	/* While curses owns the terminal, stray stderr output goes to this log. */
	snprintf(log_path, sizeof(log_path), "%s/wizard.log",
		 o->state_dir != NULL ? o->state_dir : w.cw->state_dir);
	log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	memset(&env, 0, sizeof(env));
	env.u = u;
	env.version = KUW_VERSION;
	env.colour = no_color == NULL || *no_color == '\0';
	env.utf8 = tui_locale_utf8();
	env.log_fd = log_fd;
	env.kong_conf_path = w.kong_conf;
	env.state_dir = o->state_dir != NULL ? o->state_dir : w.cw->state_dir;
	env.pg = core_upgrade_pg_params(u);
	env.old_urls = (const char *const *)w.cw->old_cluster.admin_urls;
	env.n_old = w.cw->old_cluster.n_admin_urls;
	env.new_urls = (const char *const *)w.cw->new_cluster.admin_urls;
	env.n_new = w.cw->new_cluster.n_admin_urls;
	env.old_token = old_token[0] != '\0' ? old_token : NULL;
	env.new_token = new_token[0] != '\0' ? new_token : NULL;
	env.poll_interval_ms = w.cw->poll_interval_ms;
	env.idle_rate = w.cw->idle_rate;
	env.min_soak_ms = w.cw->min_soak_ms;
	if (screens_run(&env, &err) < 0) {
		fprintf(stderr, "kong-upgrade-wizard: %s\n", err.msg);
		goto out;
	}
	rc = 0;
out:
	memset(old_token, 0, sizeof(old_token));
	memset(new_token, 0, sizeof(new_token));
	if (log_fd >= 0)
		close(log_fd);
	/* The operator quit while an inspection (or a census) waited on the
	 * datastore: its worker still reads the session and the configuration,
	 * so they stay allocated, and main_end ends the process without waiting
	 * (a connect timeout can be 30 s and more). Nothing is left half-done:
	 * the worker only reads (the check it gathers is journaled by the
	 * wizard's thread, which will not do it now), its `kong migrations list`
	 * only reads, and the datastore drops the session and its operator lock
	 * when the process ends. */
	if (core_bg_running() > 0)
		return rc;
	core_upgrade_close(u);
	world_done(&w);
	return rc;
}

/* Writes the demo's kong.conf (0600: it holds the sandbox password). */
static int demo_write_conf(const struct core_sandbox *sb, const char *path, struct core_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (f == NULL) {
		if (fd >= 0)
			close(fd);
		return core_error_errno(err, errno, "cannot write %s", path);
	}
	fprintf(f,
		"# The demo's new (Kong Enterprise 1.3) node.\n"
		"pg_host = %s\npg_port = %d\npg_user = kong\npg_password = kong\n"
		"pg_database = kong\n"
		"enforce_rbac = on\nadmin_gui_auth = basic-auth\n"
		"admin_gui_url = http://manager.example.com:8002\n"
		"admin_api_uri = http://kong-admin.example.org:8001\n"
		"portal = on\n",
		core_sandbox_host(sb), core_sandbox_port(sb));
	if (fclose(f) != 0)
		return core_error_errno(err, errno, "cannot write %s", path);
	return 0;
}

/* The demo's fleet: two old (0.36) nodes whose traffic drains away and two
 * new (1.3) nodes whose traffic ramps up, all on the sandbox's datastore. */
#define DEMO_NODES 4

static int demo_start_nodes(const char *kong_sim, const char *conf, struct node *nodes,
			    struct core_error *err)
{
	static const struct {
		const char *version;
		const char *profile;
	} fleet[DEMO_NODES] = {
		{ "0.36-2-enterprise-edition", "drain:40:90" },
		{ "0.36-2-enterprise-edition", "drain:25:60" },
		{ "1.3.0.0-enterprise-edition", "ramp:40:90" },
		{ "1.3.0.0-enterprise-edition", "ramp:25:60" },
	};
	size_t i;

	for (i = 0; i < DEMO_NODES; i++)
		if (node_start(&nodes[i], kong_sim, conf, fleet[i].version, fleet[i].profile, NULL,
			       err) < 0)
			return -1;
	return 0;
}

static int demo_write_wizard_conf(const char *path, const char *kong_sim, const char *conf,
				  const char *dir, const struct node *nodes, struct core_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (f == NULL) {
		if (fd >= 0)
			close(fd);
		return core_error_errno(err, errno, "cannot write %s", path);
	}
	fprintf(f,
		"kong { binary = \"%s\" conf = \"%s\" }\n"
		"state_dir = \"%s/state\"\n"
		"backup { dir = \"%s/backups\" }\n"
		"cluster old { admin_urls = {\"%s\", \"%s\"} }\n"
		"cluster new { admin_urls = {\"%s\", \"%s\"} }\n"
		"traffic { poll_interval = 1s idle_rate = 0.5 min_soak = 30s }\n",
		kong_sim, conf, dir, dir, nodes[0].url, nodes[1].url, nodes[2].url, nodes[3].url);
	if (fclose(f) != 0)
		return core_error_errno(err, errno, "cannot write %s", path);
	return 0;
}

static int cmd_demo(const struct options *o, bool community, struct core_error *err)
{
	struct core_sandbox_options opt = { 0 };
	struct core_sandbox *sb = NULL;
	struct fixture_target target = { 0 };
	struct node nodes[DEMO_NODES] = { { 0 } };
	struct options demo = *o;
	char conf[4096];
	char wizard_conf[4096];
	char *argv[] = { "check", NULL };
	size_t i;
	int rc = -1;

	printf("Starting a private PostgreSQL sandbox...\n");
	fflush(stdout);
	if (core_sandbox_start(&opt, &sb, err) < 0)
		goto out;
	/* Two calls: CREATE DATABASE cannot share a (multi-statement) transaction. */
	if (core_sandbox_exec(sb, NULL, "CREATE ROLE kong LOGIN PASSWORD 'kong'", err) < 0 ||
	    core_sandbox_exec(sb, NULL, "CREATE DATABASE kong OWNER kong", err) < 0)
		goto out;
	printf("Loading a %s datastore (database 'kong' on %s:%d)...\n",
	       community ? "Kong 1.2" : "Kong Enterprise 0.36", core_sandbox_host(sb),
	       core_sandbox_port(sb));
	fflush(stdout);
	target.host = core_sandbox_host(sb);
	target.port = core_sandbox_port(sb);
	target.user = "kong";
	target.password = "kong";
	target.dbname = "kong";
	target.kong_sim = o->kong != NULL ? o->kong : KUW_KONG_SIM_PATH;
	target.workdir = core_sandbox_dir(sb);
	if (fixture_load(community ? "ce-1.2" : "ee-0.36", &target, 1, err) < 0)
		goto out;
	snprintf(conf, sizeof(conf), "%s/kong.conf", core_sandbox_dir(sb));
	snprintf(wizard_conf, sizeof(wizard_conf), "%s/upgrade-wizard.conf", core_sandbox_dir(sb));
	if (demo_write_conf(sb, conf, err) < 0)
		goto out;
	printf("Starting two old (0.36) and two new (1.3) stand-in Kong nodes...\n");
	fflush(stdout);
	if (demo_start_nodes(target.kong_sim, conf, nodes, err) < 0 ||
	    demo_write_wizard_conf(wizard_conf, target.kong_sim, conf, core_sandbox_dir(sb), nodes,
				   err) < 0)
		goto out;

	demo.config = wizard_conf;
	demo.kong = NULL;
	demo.kong_conf = NULL;
	demo.state_dir = NULL;
	/* A pause before each migration, so that progress is visible. */
	setenv("KONG_SIM_DELAY_MS", "600", 0);
	if (tui_have_terminal()) {
		rc = cmd_wizard(&demo) == 0 ? 0 : -1;
		if (rc < 0)
			core_error_set(err, "the wizard ended with an error (see above)");
		goto out;
	}
	/* No terminal: show what the wizard's first screens would. */
	printf("\n$ kong-upgrade-wizard check\n");
	fflush(stdout);
	cmd_check(&demo, 1, argv);
	printf("\nThe sandbox datastore: psql -h %s -p %d -U kong kong (password: kong)\n"
	       "Its kong.conf: %s\n(no terminal: the wizard itself needs one)\n",
	       core_sandbox_host(sb), core_sandbox_port(sb), conf);
	rc = 0;
out:
	for (i = 0; i < DEMO_NODES; i++)
		node_stop(&nodes[i]);
	printf("Removing the sandbox...\n");
	core_sandbox_stop(sb);
	return rc;
}

/* main's return: after a wizard that left a worker running (cmd_wizard),
 * _exit, so that the atexit handlers (OpenSSL's cleanup among them) do not
 * run beside it. */
static int main_end(int rc)
{
	if (core_bg_running() > 0) {
		fflush(NULL);
		_exit(rc);
	}
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "kong", required_argument, NULL, 'k' },
		{ "kong-conf", required_argument, NULL, 'K' },
		{ "state-dir", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct options o = { 0 };
	struct core_error err = { { 0 } };
	const char *command;
	int c;

	while ((c = getopt_long(argc, argv, "+hVc:", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("kong-upgrade-wizard %s\n", KUW_VERSION);
			return 0;
		case 'c':
			o.config = optarg;
			break;
		case 'k':
			o.kong = optarg;
			break;
		case 'K':
			o.kong_conf = optarg;
			break;
		case 's':
			o.state_dir = optarg;
			break;
		default:
			usage(stderr);
			return EXIT_CANNOT_RUN;
		}
	}
	if (optind >= argc)
		return main_end(cmd_wizard(&o));
	command = argv[optind];
	if (strcmp(command, "check") == 0)
		return cmd_check(&o, argc - optind, argv + optind);
	if (strcmp(command, "status") == 0)
		return cmd_status(&o, argc - optind, argv + optind);
	if (strcmp(command, "backup") == 0)
		return cmd_backup(&o);
	if (strcmp(command, "up") == 0)
		return cmd_step(&o, CORE_UPGRADE_UP, argc - optind, argv + optind);
	if (strcmp(command, "finish") == 0)
		return cmd_step(&o, CORE_UPGRADE_FINISH, argc - optind, argv + optind);
	if (strcmp(command, "migrate-community-to-enterprise") == 0)
		return cmd_step(&o, CORE_UPGRADE_C2E, argc - optind, argv + optind);
	if (strcmp(command, "demo") == 0) {
		bool community = optind + 1 < argc && strcmp(argv[optind + 1], "--community") == 0;

		if (optind + 1 < argc && !community) {
			fprintf(stderr, "kong-upgrade-wizard: demo takes only --community\n");
			return EXIT_CANNOT_RUN;
		}
		if (cmd_demo(&o, community, &err) < 0) {
			fprintf(stderr, "kong-upgrade-wizard: demo: %s\n", err.msg);
			return main_end(EXIT_CANNOT_RUN);
		}
		return main_end(0);
	}
	fprintf(stderr, "kong-upgrade-wizard: unknown command '%s' (see --help)\n", command);
	return EXIT_CANNOT_RUN;
}
