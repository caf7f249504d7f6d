/* sim_main.c — kong-sim: a stand-in for the `kong` CLI of Kong 1.x / Kong
 * Enterprise (only `kong version` and `kong migrations ...`) that behaves
 * like the real one against a real PostgreSQL (reference
 * kong-migrations.md §1, §2).
 *
 * Environment (read here only, then passed down):
 *   KONG_SIM_VERSION   catalog id (default ee-1.3); KONG_SIM_EDITION=community
 *                      selects ce-1.3 when no id is given
 *   KONG_SIM_DELAY_MS  sleep before each migration step
 *   KONG_SIM_FAIL      up:<sub>/<name> or teardown:<sub>/<name> fails that step
 *   KONG_SIM_CRASH     <before|after>-<up|teardown>:<sub>/<name> raises SIGKILL
 *   KONG_*             kong.conf overrides, as Kong reads them (§6) */
#include "tests/kong-sim/sim.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/config_kongconf.h"
#include "tests/kong-sim/sim_serve.h"

extern char **environ;

static const char sim_main_usage[] = "Usage: kong COMMAND [OPTIONS]\n"
				     "\n"
				     "The available commands are:\n"
				     " check\n"
				     " config\n"
				     " health\n"
				     " migrations\n"
				     " prepare\n"
				     " quit\n"
				     " reload\n"
				     " restart\n"
				     " roar\n"
				     " start\n"
				     " stop\n"
				     " version\n"
				     "\n"
				     "Options:\n"
				     " --v              verbose\n"
				     " --vv             debug\n"
				     "\n";

/* The lapp text of kong/cmd/migrations.lua (§1.1) plus the universal options
 * of kong/cmd/init.lua; Enterprise adds its command. */
static const char sim_mig_usage_head[] =
	"Usage: kong migrations COMMAND [OPTIONS]\n"
	"\n"
	"Manage database schema migrations.\n"
	"\n"
	"The available commands are:\n"
	"  bootstrap                         Bootstrap the database and run all\n"
	"                                    migrations.\n"
	"\n"
	"  up                                Run any new migrations.\n"
	"\n"
	"  finish                            Finish running any pending migrations after\n"
	"                                    'up'.\n"
	"\n"
	"  list                              List executed migrations.\n"
	"\n"
	"  reset                             Reset the database.\n"
	"\n";
static const char sim_mig_usage_ee[] =
	"  migrate-community-to-enterprise   Migrates CE entities to EE on the default\n"
	"                                    workspace\n"
	"\n";
static const char sim_mig_usage_opts[] =
	"Options:\n"
	" -y,--yes                           Assume \"yes\" to prompts and run\n"
	"                                    non-interactively.\n"
	"\n"
	" -q,--quiet                         Suppress all output.\n"
	"\n"
	" -f,--force                         Run migrations even if database reports\n"
	"                                    as already executed.\n"
	"\n"
	" --db-timeout     (default 60)      Timeout, in seconds, for all database\n"
	"                                    operations (including schema consensus for\n"
	"                                    Cassandra).\n"
	"\n"
	" --lock-timeout   (default 60)      Timeout, in seconds, for nodes waiting on\n"
	"                                    the leader node to finish running\n"
	"                                    migrations.\n"
	"\n"
	" -c,--conf        (optional string) Configuration file.\n"
	"\n"
	" --v              verbose\n"
	" --vv             debug\n";

/* Bundled plugins of Kong 1.3 that ship no migrations (kong/constants.lua),
 * plus the Enterprise ones; naming them in `plugins` is valid. */
static const char *const sim_plugins_without_migrations[] = {
	"correlation-id", "cors", "tcp-log", "udp-log", "file-log", "http-log",
	"ip-restriction", "request-transformer", "response-transformer",
	"request-size-limiting", "syslog", "loggly", "datadog", "ldap-auth", "statsd",
	"bot-detection", "aws-lambda", "request-termination", "prometheus", "proxy-cache",
	"zipkin", "azure-functions", "pre-function", "post-function",
	"rate-limiting-advanced", "openid-connect", "ldap-auth-advanced", "request-validator",
	"canary", "forward-proxy", "proxy-cache-advanced", "request-transformer-advanced",
	"response-transformer-advanced", "route-by-header", "jwt-signer", "vault-auth",
	"collector", "kafka-log", "kafka-upstream", "degraphql", "graphql-proxy-cache-advanced",
	"graphql-rate-limiting-advanced", "application-registration", "exit-transformer",
	"mtls-auth", "oauth2-introspection", "upstream-tls", NULL,
};

/* lapp.quit(msg): the message and the usage on stderr, exit 1. */
static int sim_usage_quit(const struct sim_version *v, bool migrations, const char *msg)
{
	if (msg != NULL)
		fprintf(stderr, "%s\n\n", msg);
	if (!migrations) {
		fputs(sim_main_usage, stderr);
	} else {
		fputs(sim_mig_usage_head, stderr);
		if (v->enterprise)
			fputs(sim_mig_usage_ee, stderr);
		fputs(sim_mig_usage_opts, stderr);
		fputs("\n", stderr);
	}
	return 1;
}

/* lapp.error: "<script>: <msg>" then usage. */
static int sim_lapp_error(const struct sim_version *v, const char *before, const char *arg,
			  const char *after)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "kong: %s%s%s", before, arg, after);
	return sim_usage_quit(v, true, msg);
}

/* tonumber() of a lapp number option; -1 when it is not a number. */
static int sim_lapp_number(const char *s, long *out)
{
	char *end = NULL;
	double d;

	d = strtod(s, &end);
	if (s[0] == '\0' || end == NULL || *end != '\0')
		return -1;
	*out = (long)d;
	return 0;
}

/* Applies one option (name already resolved from short to long). *val is the
 * inline or following argument, consumed when the option takes one. Returns
 * 0, 1 when the option needs a value that is missing, -1 when unknown, -2
 * when a number does not convert. */
static int sim_opt_apply(struct sim_opts *o, const char *name, const char *val, bool *used)
{
	*used = false;
	if (strcmp(name, "y") == 0 || strcmp(name, "yes") == 0)
		o->yes = true;
	else if (strcmp(name, "q") == 0 || strcmp(name, "quiet") == 0)
		o->quiet = true;
	else if (strcmp(name, "f") == 0 || strcmp(name, "force") == 0)
		o->force = true;
	else if (strcmp(name, "v") == 0)
		o->v = true;
	else if (strcmp(name, "vv") == 0)
		o->vv = true;
	else if (strcmp(name, "db-timeout") == 0 || strcmp(name, "lock-timeout") == 0 ||
		 strcmp(name, "c") == 0 || strcmp(name, "conf") == 0) {
		if (val == NULL)
			return 1;
		*used = true;
		if (name[0] == 'c')
			o->conf = val;
		else if (sim_lapp_number(val, name[0] == 'd' ? &o->db_timeout : &o->lock_timeout) != 0)
			return -2;
	} else {
		return -1;
	}
	return 0;
}

/* Parses `kong migrations` arguments the way Penlight lapp does: long
 * options with `--name[=value]`, short ones grouped (`-yq`), and a lookup
 * by name in which `--v` also answers to `-v` (lapp keys flags by name).
 * Returns -1 when parsing succeeded, else the exit status to use. */
static int sim_parse_migrations(const struct sim_version *v, int argc, char **argv,
				struct sim_opts *o)
{
	char shortname[2] = { 0 };
	char longname[128];
	const char *positional = NULL;
	int i;

	o->db_timeout = 60;
	o->lock_timeout = 60;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char *val = NULL;
		const char *name = NULL;
		bool used = false;
		bool inl = false;
		int rc;

		if (strncmp(a, "--", 2) == 0 && a[2] != '\0') {
			const char *eq = strchr(a + 2, '=');

			snprintf(longname, sizeof(longname), "%.*s",
				 (int)(eq != NULL ? (size_t)(eq - a - 2) : strlen(a + 2)), a + 2);
			name = longname;
			val = eq != NULL ? eq + 1 : (i + 1 < argc ? argv[i + 1] : NULL);
			inl = eq != NULL;
		} else if (a[0] == '-' && a[1] != '\0') {
			size_t k;

			/* Grouped short flags: every letter but the last is a flag. */
			for (k = 1; a[k + 1] != '\0' && a[k + 1] != '='; k++) {
				shortname[0] = a[k];
				if (strcmp(shortname, "h") == 0)
					return sim_usage_quit(v, true, NULL);
				rc = sim_opt_apply(o, shortname, NULL, &used);
				if (rc == -1)
					return sim_lapp_error(v, "unrecognized parameter: ", shortname, "");
				if (rc == 1)
					return sim_lapp_error(v, "", shortname[0] == 'c' ? "conf" : shortname,
							      " was expecting a value");
			}
			shortname[0] = a[k];
			name = shortname;
			if (a[k + 1] == '=') {
				val = a + k + 2;
				inl = true;
			} else {
				val = i + 1 < argc ? argv[i + 1] : NULL;
			}
		} else {
			if (positional == NULL)
				positional = a;
			continue;
		}
		if (strcmp(name, "h") == 0 || strcmp(name, "help") == 0)
			return sim_usage_quit(v, true, NULL);
		rc = sim_opt_apply(o, name, val, &used);
		if (rc == -1)
			return sim_lapp_error(v, "unrecognized parameter: ", name, "");
		if (rc == 1)
			return sim_lapp_error(v, "", strcmp(name, "c") == 0 ? "conf" : name,
					      " was expecting a value");
		if (rc == -2)
			return sim_lapp_error(v, "unable to convert to number: ", val, "");
		if (used && !inl)
			i++;
	}
	if (positional == NULL)
		return sim_usage_quit(v, true, NULL);
	if (strcmp(positional, "bootstrap") != 0 && strcmp(positional, "up") != 0 &&
	    strcmp(positional, "finish") != 0 && strcmp(positional, "list") != 0 &&
	    strcmp(positional, "reset") != 0 &&
	    !(v->enterprise && strcmp(positional, "migrate-community-to-enterprise") == 0)) {
		snprintf(longname, sizeof(longname), "No such command for migrations: %s", positional);
		return sim_usage_quit(v, true, longname);
	}
	o->command = positional;
	return -1;
}

/* A random (version 4) UUID: Kong's node id, the lock owner (§2.3). */
static void sim_uuid(char out[37])
{
	unsigned char b[16] = { 0 };
	int fd;
	ssize_t got = 0;

	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		got = read(fd, b, sizeof(b));
		close(fd);
	}
	if (got != (ssize_t)sizeof(b)) {
		size_t i;

		srand((unsigned)getpid() ^ (unsigned)time(NULL));
		for (i = 0; i < sizeof(b); i++)
			b[i] = (unsigned char)rand();
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
		 b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
		 b[14], b[15]);
}

static bool sim_name_in(const char *const *list, const char *name)
{
	for (; *list != NULL; list++) {
		if (strcmp(*list, name) == 0)
			return true;
	}
	return false;
}

/* Resolves the `plugins` setting into the loaded subsystems, in the
 * version's load order (§1.3: core, plugins, then enterprise). Returns 0 or
 * 1 after printing Kong's error. */
static int sim_load_subsystems(struct sim_ctx *ctx, const char *plugins)
{
	const struct sim_version *v = ctx->version;
	char *copy = NULL;
	char *save = NULL;
	char *tok;
	bool bundled = false;
	bool *wanted = NULL;
	size_t i;
	int rc = 1;

	wanted = calloc(v->n_subsystems, sizeof(*wanted));
	ctx->subs = calloc(v->n_subsystems > 0 ? v->n_subsystems : 1, sizeof(*ctx->subs));
	copy = strdup(plugins != NULL ? plugins : "bundled");
	if (wanted == NULL || ctx->subs == NULL || copy == NULL) {
		rc = sim_error(ctx, "out of memory");
		goto out;
	}
	for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		char *end;
		bool found = false;

		while (*tok == ' ' || *tok == '\t')
			tok++;
		end = tok + strlen(tok);
		while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (*tok == '\0' || strcmp(tok, "off") == 0)
			continue;
		if (strcmp(tok, "bundled") == 0) {
			bundled = true;
			continue;
		}
		for (i = 0; i < v->n_subsystems; i++) {
			if (v->subsystems[i].plugin && strcmp(v->subsystems[i].name, tok) == 0) {
				wanted[i] = true;
				found = true;
			}
		}
		if (!found && !sim_name_in(sim_plugins_without_migrations, tok)) {
			/* kong/db/dao/plugins.lua load_plugin_schemas. */
			rc = sim_error(ctx,
				       "%s plugin is enabled but not installed;\nmodule "
				       "'kong.plugins.%s.handler' not found",
				       tok, tok);
			goto out;
		}
	}
	for (i = 0; i < v->n_subsystems; i++) {
		if (!v->subsystems[i].plugin || bundled || wanted[i])
			ctx->subs[ctx->n_subs++] = &v->subsystems[i];
	}
	rc = 0;
out:
	free(wanted);
	free(copy);
	return rc;
}

/* execute() of kong/cmd/migrations.lua: configuration, connection, state,
 * then the subcommand. */
static int sim_migrations(struct sim_ctx *ctx)
{
	struct config_kongconf *kc = NULL;
	struct core_error cerr = { { 0 } };
	struct sim_pgconf pc = { 0 };
	struct sim_state st = { 0 };
	const char *database;
	char err[2048];
	int rc = 1;

	if (ctx->opts.quiet)
		ctx->level = SIM_LOG_QUIET;
	if (config_kongconf_load(ctx->opts.conf, environ, &kc, &cerr) != 0) {
		rc = sim_error(ctx, "%s", cerr.msg);
		goto out;
	}
	database = config_kongconf_get(kc, "database");
	if (database == NULL)
		database = "postgres";
	if (strcmp(database, "cassandra") == 0 || strcmp(database, "off") == 0) {
		rc = sim_error(ctx,
			       "kong-sim supports PostgreSQL only (database = %s); it stands in for "
			       "Kong against PostgreSQL",
			       database);
		goto out;
	}
	if (strcmp(database, "postgres") != 0) {
		rc = sim_error(ctx, "database has an invalid value: '%s' (postgres, cassandra, off)",
			       database);
		goto out;
	}
	if (sim_load_subsystems(ctx, config_kongconf_get(kc, "plugins")) != 0)
		goto out;
	pc.host = config_kongconf_get(kc, "pg_host");
	pc.port = config_kongconf_get(kc, "pg_port");
	pc.user = config_kongconf_get(kc, "pg_user");
	pc.password = config_kongconf_get(kc, "pg_password");
	pc.database = config_kongconf_get(kc, "pg_database");
	pc.schema = config_kongconf_get(kc, "pg_schema");
	pc.ssl = config_kongconf_get_bool(kc, "pg_ssl");
	pc.ssl_verify = config_kongconf_get_bool(kc, "pg_ssl_verify");
	/* §1.1: --db-timeout wins over pg_timeout. */
	pc.timeout_ms = ctx->opts.db_timeout * 1000;
	if (pc.host == NULL)
		pc.host = "127.0.0.1";
	if (pc.port == NULL)
		pc.port = "5432";
	if (pc.user == NULL)
		pc.user = "kong";
	if (pc.database == NULL)
		pc.database = "kong";
	/* §1.2: init_connector failing, connection errors included. */
	if (sim_db_connect(ctx, &pc, err, sizeof(err)) != 0) {
		rc = sim_error(ctx, "[PostgreSQL error] failed to retrieve server_version_num: %s",
			       err);
		goto out;
	}
	sim_log_verbose(ctx, "retrieving database schema state...");
	if (sim_state_load(ctx, &st, err, sizeof(err)) != 0) {
		rc = sim_error(ctx, "[PostgreSQL error] %s", err);
		goto out;
	}
	sim_log_verbose(ctx, "schema state retrieved");
	if (strcmp(ctx->opts.command, "list") == 0)
		rc = sim_cmd_list(ctx, &st);
	else if (strcmp(ctx->opts.command, "bootstrap") == 0)
		rc = sim_cmd_bootstrap(ctx, &st);
	else if (strcmp(ctx->opts.command, "up") == 0)
		rc = sim_cmd_up(ctx, &st);
	else if (strcmp(ctx->opts.command, "finish") == 0)
		rc = sim_cmd_finish(ctx, &st);
	else if (strcmp(ctx->opts.command, "reset") == 0)
		rc = sim_cmd_reset(ctx, &st);
	else
		rc = sim_cmd_c2e(ctx, &st);
out:
	sim_lock_release(ctx);
	sim_state_done(&st);
	if (ctx->conn != NULL)
		PQfinish(ctx->conn);
	ctx->conn = NULL;
	free(ctx->subs);
	ctx->subs = NULL;
	config_kongconf_free(kc);
	return rc;
}

int main(int argc, char **argv)
{
	struct sim_ctx ctx = { 0 };
	const char *id = getenv("KONG_SIM_VERSION");
	const char *edition = getenv("KONG_SIM_EDITION");
	const char *delay = getenv("KONG_SIM_DELAY_MS");
	int rc;

	/* Line-buffered, so that a SIGKILL from KONG_SIM_CRASH loses nothing. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (id == NULL || id[0] == '\0')
		id = edition != NULL && strcmp(edition, "community") == 0 ? "ce-1.3" : "ee-1.3";
	ctx.version = sim_catalog_version(id);
	if (ctx.version == NULL) {
		const char *const *ids = sim_catalog_version_ids();

		fprintf(stderr, "kong-sim: unknown KONG_SIM_VERSION '%s'; known:", id);
		for (; ids != NULL && *ids != NULL; ids++)
			fprintf(stderr, " %s", *ids);
		fputc('\n', stderr);
		return 1;
	}
	ctx.knobs.delay_ms = delay != NULL ? atol(delay) : 0;
	ctx.knobs.fail = getenv("KONG_SIM_FAIL");
	ctx.knobs.crash = getenv("KONG_SIM_CRASH");
	ctx.knobs.stdin_tty = isatty(STDIN_FILENO) == 1;
	ctx.level = SIM_LOG_INFO;
	sim_uuid(ctx.owner);

	/* kong/cmd/init.lua: no command -> usage; unknown -> "No such command". */
	if (argc < 2)
		return sim_usage_quit(ctx.version, false, NULL);
	if (strcmp(argv[1], "serve") == 0)
		return sim_serve_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "version") == 0) {
		printf("%s\n", ctx.version->kong_version);
		return 0;
	}
	if (strcmp(argv[1], "migrations") != 0) {
		static const char *const others[] = { "check", "config", "health", "prepare", "quit",
						      "reload", "restart", "roar", "start", "stop",
						      NULL };
		char msg[512];

		if (sim_name_in(others, argv[1])) {
			fprintf(stderr, "kong-sim: 'kong %s' is not simulated\n", argv[1]);
			return 1;
		}
		snprintf(msg, sizeof(msg), "No such command: %s", argv[1]);
		return sim_usage_quit(ctx.version, false, msg);
	}
	rc = sim_parse_migrations(ctx.version, argc - 2, argv + 2, &ctx.opts);
	if (rc >= 0)
		return rc;
	/* init.lua: --v wins over --vv when both are given. */
	if (ctx.opts.v)
		ctx.level = SIM_LOG_VERBOSE;
	else if (ctx.opts.vv)
		ctx.level = SIM_LOG_DEBUG;
	sim_log_verbose(&ctx, "Kong: %s", ctx.version->meta_version);
	return sim_migrations(&ctx);
}
