/* main.c — wires the layers: parses the command line, reads the wizard
 * config and kong.conf once (with the environment), turns them into the
 * plain parameters core takes, runs one command, prints its result.
 *
 * Commands so far: check, status, demo; the interactive wizard and the
 * state-changing headless commands of SPEC §3 arrive with their issues. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "config/config_kongconf.h"
#include "config/config_wizard.h"
#include "core/core_error.h"
#include "core/core_inspect.h"
#include "core/core_sandbox.h"
#include "tests/support/fixtures.h"
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
	char where[8][512];	/* storage for struct core_setting.where */
	size_t n_where;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: kong-upgrade-wizard [-c CONFIG] [--kong-conf FILE] [--kong BINARY]\n"
		"                           [--state-dir DIR] COMMAND [options]\n"
		"\n"
		"Walks an operator through a Kong database upgrade on PostgreSQL: Kong Enterprise\n"
		"0.36 -> 1.3, and Kong 1.2/1.3 -> Kong Enterprise 1.3.\n"
		"\n"
		"Commands:\n"
		"  check [--json] [--waive ID[,ID...]]\n"
		"                run the prerequisite checks; exit 0 ready, 1 blocked, 2 could not run\n"
		"  status [--json]\n"
		"                what the datastore holds and where the upgrade stands\n"
		"  demo          a private PostgreSQL sandbox with a Kong Enterprise 0.36 datastore\n"
		"                and the Kong stand-in; shows what the wizard sees; removed on exit\n"
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

static int inspect(struct world *w, char *waive_arg, struct core_inspection *out,
		   struct core_error *err)
{
	struct core_inspect_params p;
	const char *waived[64];
	const char *pg_timeout = config_kongconf_get(w->kc, "pg_timeout");
	const char *port = config_kongconf_get(w->kc, "pg_port");
	char app[128];
	size_t n = 0;
	size_t i;

	for (i = 0; i < w->cw->n_waive && n < 64; i++)
		waived[n++] = w->cw->waive[i];
	if (waive_arg != NULL)
		n = split_ids(waive_arg, waived, 64, n);
	for (i = 0; i < n; i++)
		if (!core_checks_known(waived[i]))
			return core_error_set(err, "--waive: '%s' is not a check id (see check --json)",
					      waived[i]);

	memset(&p, 0, sizeof(p));
	snprintf(app, sizeof(app), "kong-upgrade-wizard (%s)", w->user);
	p.pg.host = config_kongconf_get(w->kc, "pg_host");
	p.pg.port = port != NULL ? atoi(port) : 5432;
	p.pg.user = config_kongconf_get(w->kc, "pg_user");
	p.pg.password = config_kongconf_get(w->kc, "pg_password");
	p.pg.dbname = config_kongconf_get(w->kc, "pg_database");
	p.pg.schema = config_kongconf_get(w->kc, "pg_schema");
	p.pg.ssl = config_kongconf_get_bool(w->kc, "pg_ssl");
	p.pg.ssl_verify = config_kongconf_get_bool(w->kc, "pg_ssl_verify");
	p.pg.ssl_root_cert = config_kongconf_get(w->kc, "lua_ssl_trusted_certificate");
	/* pg_timeout is in milliseconds (reference §6). */
	p.pg.connect_timeout_s = pg_timeout != NULL ? (atoi(pg_timeout) + 999) / 1000 : 5;
	p.pg.application_name = app;
	if (p.pg.host == NULL || p.pg.user == NULL || p.pg.dbname == NULL)
		return core_error_set(err, "kong.conf: pg_host, pg_user and pg_database must be set");
	p.kong_binary = w->kong_binary;
	p.kong_conf = w->kong_conf;
	p.database = world_setting(w, "database");
	p.plugins = world_setting(w, "plugins");
	p.portal = world_setting(w, "portal");
	p.portal_is_legacy = world_setting(w, "portal_is_legacy");
	p.session.admin_gui_auth = config_kongconf_get(w->kc, "admin_gui_auth");
	p.session.enforce_rbac = config_kongconf_get(w->kc, "enforce_rbac");
	p.session.admin_gui_session_conf = config_kongconf_get(w->kc, "admin_gui_session_conf");
	p.session.admin_gui_url = config_kongconf_get(w->kc, "admin_gui_url");
	p.session.admin_api_uri = config_kongconf_get(w->kc, "admin_api_uri");
	p.backup_dir = w->cw->backup_dir;
	p.backup_free_bytes = free_bytes(w->cw->backup_dir);
	p.backup_fresh = false;
	p.backup_why = "no backup recorded yet";
	p.waived = waived;
	p.n_waived = n;
	return core_inspect_run(&p, out, err);
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
	struct core_inspection in;
	struct core_error err = { { 0 } };
	struct world w;
	char *waive = NULL;
	int json = 0;
	int c, rc = EXIT_CANNOT_RUN;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'j')
			json = 1;
		else if (c == 'w')
			waive = optarg;
		else
			return EXIT_CANNOT_RUN;
	}
	if (world_load(o, &w, &err) < 0 || inspect(&w, waive, &in, &err) < 0) {
		fprintf(stderr, "kong-upgrade-wizard: check: %s\n", err.msg);
		world_done(&w);
		return EXIT_CANNOT_RUN;
	}
	if (json) {
		if (print_json(core_inspect_json(&in)) < 0)
			fprintf(stderr, "kong-upgrade-wizard: check: out of memory\n");
	} else {
		print_plan(&in);
		print_checks(&in);
	}
	if (!in.db_ok)
		rc = EXIT_CANNOT_RUN;
	else
		rc = in.ready ? EXIT_READY : EXIT_BLOCKED;
	core_inspect_done(&in);
	world_done(&w);
	return rc;
}

static int cmd_status(const struct options *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct core_inspection in;
	struct core_error err = { { 0 } };
	struct world w;
	int json = 0;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c != 'j')
			return EXIT_CANNOT_RUN;
		json = 1;
	}
	if (world_load(o, &w, &err) < 0 || inspect(&w, NULL, &in, &err) < 0) {
		fprintf(stderr, "kong-upgrade-wizard: status: %s\n", err.msg);
		world_done(&w);
		return EXIT_CANNOT_RUN;
	}
	if (json) {
		json_t *j = core_inspect_json(&in);

		json_object_del(j, "checks");
		json_object_del(j, "ready");
		if (in.db_ok) {
			json_object_set_new(j, "database",
					    json_pack("{s:s, s:s}", "name", in.db.database, "schema",
						      in.db.schema));
			json_object_set_new(j, "kong_lock",
					    in.db.lock.held
						    ? json_pack("{s:s, s:s, s:b}", "owner",
								in.db.lock.owner, "ttl", in.db.lock.ttl,
								"expired", in.db.lock.expired)
						    : json_null());
		} else {
			json_object_set_new(j, "error", json_string(in.db_error));
		}
		print_json(j);
	} else {
		print_plan(&in);
		if (!in.db_ok)
			printf("Datastore error: %s\n", in.db_error);
		else if (in.db.lock.held)
			printf("Kong migrations lock: held by %s until %s%s\n", in.db.lock.owner,
			       in.db.lock.ttl, in.db.lock.expired ? " (expired)" : "");
	}
	rc = in.db_ok ? 0 : EXIT_CANNOT_RUN;
	core_inspect_done(&in);
	world_done(&w);
	return rc;
}

static volatile sig_atomic_t demo_interrupted;

static void demo_on_signal(int sig)
{
	(void)sig;
	demo_interrupted = 1;
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
		"admin_gui_url = http://localhost:8002\nadmin_api_uri = http://localhost:8001\n"
		"portal = on\n",
		core_sandbox_host(sb), core_sandbox_port(sb));
	if (fclose(f) != 0)
		return core_error_errno(err, errno, "cannot write %s", path);
	return 0;
}

static int cmd_demo(const struct options *o, struct core_error *err)
{
	struct core_sandbox_options opt = { 0 };
	struct core_sandbox *sb = NULL;
	struct fixture_target target = { 0 };
	struct options demo = *o;
	char conf[4096];
	char wizard_conf[4096];
	char *argv[] = { "check", NULL };
	FILE *f = NULL;
	int rc = -1;

	printf("Starting a private PostgreSQL sandbox...\n");
	fflush(stdout);
	if (core_sandbox_start(&opt, &sb, err) < 0)
		goto out;
	/* Two calls: CREATE DATABASE cannot share a (multi-statement) transaction. */
	if (core_sandbox_exec(sb, NULL, "CREATE ROLE kong LOGIN PASSWORD 'kong'", err) < 0 ||
	    core_sandbox_exec(sb, NULL, "CREATE DATABASE kong OWNER kong", err) < 0)
		goto out;
	printf("Loading a Kong Enterprise 0.36 datastore (database 'kong' on %s:%d)...\n",
	       core_sandbox_host(sb), core_sandbox_port(sb));
	fflush(stdout);
	target.host = core_sandbox_host(sb);
	target.port = core_sandbox_port(sb);
	target.user = "kong";
	target.password = "kong";
	target.dbname = "kong";
	target.kong_sim = o->kong != NULL ? o->kong : KUW_KONG_SIM_PATH;
	target.workdir = core_sandbox_dir(sb);
	if (fixture_load("ee-0.36", &target, 1, err) < 0)
		goto out;

	snprintf(conf, sizeof(conf), "%s/kong.conf", core_sandbox_dir(sb));
	snprintf(wizard_conf, sizeof(wizard_conf), "%s/upgrade-wizard.conf", core_sandbox_dir(sb));
	if (demo_write_conf(sb, conf, err) < 0)
		goto out;
	f = fopen(wizard_conf, "wx");
	if (f == NULL) {
		core_error_errno(err, errno, "cannot write %s", wizard_conf);
		goto out;
	}
	fprintf(f, "kong { binary = \"%s\" conf = \"%s\" }\nstate_dir = \"%s/state\"\n"
		   "backup { dir = \"%s/backups\" }\n",
		target.kong_sim, conf, core_sandbox_dir(sb), core_sandbox_dir(sb));
	if (fclose(f) != 0) {
		f = NULL;
		core_error_errno(err, errno, "cannot write %s", wizard_conf);
		goto out;
	}
	f = NULL;

	printf("\n$ kong-upgrade-wizard check\n");
	fflush(stdout);
	demo.config = wizard_conf;
	demo.kong = NULL;
	demo.kong_conf = NULL;
	cmd_check(&demo, 1, argv);
	printf("\nThe sandbox datastore: psql -h %s -p %d -U kong kong (password: kong)\n"
	       "Its kong.conf: %s\n",
	       core_sandbox_host(sb), core_sandbox_port(sb), conf);

	if (tui_have_terminal()) {
		struct sigaction sa = { 0 };
		int c;

		sa.sa_handler = demo_on_signal;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		printf("Press Enter to remove the sandbox and exit.\n");
		fflush(stdout);
		do
			c = getchar();
		while (c != '\n' && c != EOF && !demo_interrupted);
	}
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	printf("Removing the sandbox...\n");
	core_sandbox_stop(sb);
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
	if (optind >= argc) {
		fprintf(stderr, "kong-upgrade-wizard: the interactive wizard is not built yet; "
				"see 'check', 'status' and 'demo' in --help\n");
		return EXIT_CANNOT_RUN;
	}
	command = argv[optind];
	if (strcmp(command, "check") == 0)
		return cmd_check(&o, argc - optind, argv + optind);
	if (strcmp(command, "status") == 0)
		return cmd_status(&o, argc - optind, argv + optind);
	if (strcmp(command, "demo") == 0) {
		if (cmd_demo(&o, &err) < 0) {
			fprintf(stderr, "kong-upgrade-wizard: demo: %s\n", err.msg);
			return EXIT_CANNOT_RUN;
		}
		return 0;
	}
	fprintf(stderr, "kong-upgrade-wizard: unknown command '%s' (see --help)\n", command);
	return EXIT_CANNOT_RUN;
}
