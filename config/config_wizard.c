#include "config/config_wizard.h"

#include <confuse.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* libconfuse's error callback has no user pointer: the error being filled is
 * kept here for the duration of one load. Only the first message is kept,
 * since later ones are usually consequences of it. */
static _Thread_local struct core_error *load_err;
static _Thread_local int load_err_set;
static _Thread_local cfg_t *load_root;

static void config_on_error(cfg_t *cfg, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void config_on_error(cfg_t *cfg, const char *fmt, va_list ap)
{
	char msg[sizeof(load_err->msg)];
	const char *file = NULL;
	int line = 0;

	if (load_err == NULL || load_err_set)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* A section knows its line but not the file name; the root knows both
	 * only as of the section's start. Take the furthest line. */
	if (cfg != NULL && load_root != NULL) {
		file = load_root->filename;
		line = cfg->line > load_root->line ? cfg->line : load_root->line;
	} else if (cfg != NULL) {
		file = cfg->filename;
		line = cfg->line;
	}
	if (file != NULL && line > 0)
		core_error_set(load_err, "%s:%d: %s", file, line, msg);
	else if (file != NULL)
		core_error_set(load_err, "%s: %s", file, msg);
	else
		core_error_set(load_err, "%s", msg);
	load_err_set = 1;
}

int config_parse_duration(const char *s, long *ms)
{
	static const struct {
		const char *suffix;
		long ms;
	} units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "d", 86400000 }, { "", 1000 },
	};
	char *end = NULL;
	long n;
	size_t i;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || n < 0)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix) == 0) {
			if (n > __LONG_MAX__ / units[i].ms)
				return -1;
			*ms = n * units[i].ms;
			return 0;
		}
	}
	return -1;
}

static int config_duration_cb(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	if (config_parse_duration(value, (long *)result) < 0) {
		cfg_error(cfg, "option '%s': '%s' is not a duration (e.g. 24h, 5m, 1s, 250ms)",
			  cfg_opt_name(opt), value);
		return -1;
	}
	return 0;
}

static int config_url_valid(const char *url)
{
	const char *p;

	if (strncmp(url, "http://", 7) == 0)
		p = url + 7;
	else if (strncmp(url, "https://", 8) == 0)
		p = url + 8;
	else
		return 0;
	if (*p == '\0' || *p == '/')
		return 0;
	for (; *p != '\0'; p++)
		if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
			return 0;
	return 1;
}

/* Called by libconfuse when a `cluster NAME { ... }` section ends. */
static int config_validate_cluster(cfg_t *cfg, cfg_opt_t *opt)
{
	cfg_t *sec = cfg_opt_getnsec(opt, cfg_opt_size(opt) - 1);
	const char *title = cfg_title(sec);
	unsigned int i;

	if (title == NULL || (strcmp(title, "old") != 0 && strcmp(title, "new") != 0)) {
		cfg_error(cfg, "cluster '%s': the cluster must be named 'old' or 'new'",
			  title != NULL ? title : "");
		return -1;
	}
	for (i = 0; i < cfg_size(sec, "admin_urls"); i++) {
		const char *url = cfg_getnstr(sec, "admin_urls", i);

		if (!config_url_valid(url)) {
			cfg_error(cfg, "cluster %s: admin_urls: '%s' is not an http:// or https:// URL",
				  title, url);
			return -1;
		}
	}
	if (cfg_getstr(sec, "token_file") != NULL && cfg_getstr(sec, "token_env") != NULL) {
		cfg_error(cfg, "cluster %s: set token_file or token_env, not both", title);
		return -1;
	}
	return 0;
}

static int config_validate_traffic(cfg_t *cfg, cfg_opt_t *opt)
{
	cfg_t *sec = cfg_opt_getnsec(opt, cfg_opt_size(opt) - 1);

	if (cfg_getint(sec, "poll_interval") <= 0) {
		cfg_error(cfg, "traffic: poll_interval must be greater than 0");
		return -1;
	}
	if (cfg_getfloat(sec, "idle_rate") < 0) {
		cfg_error(cfg, "traffic: idle_rate must not be negative");
		return -1;
	}
	return 0;
}

static int config_validate_nonempty(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *s = cfg_opt_getnstr(opt, 0);

	if (s == NULL || *s == '\0') {
		cfg_error(cfg, "option '%s' must not be empty", cfg_opt_name(opt));
		return -1;
	}
	return 0;
}

/* What libconfuse lets pass silently: a NUL byte (it cuts the value there)
 * and a section never closed at the end of the file. A scan that knows its
 * quoting ("..." with \ escapes, '...') and comments (#, //, slash-star)
 * finds both, with the line, before libconfuse reads the file. */
static int config_prescan(const char *path, struct core_error *err)
{
	FILE *f = fopen(path, "r");
	int c, prev = 0, line = 1, open_line = 0, depth = 0;
	enum { CODE, DQ, SQ, LINE_COMMENT, BLOCK_COMMENT } st = CODE;
	int rc = -1;

	if (f == NULL)
		return core_error_errno(err, errno, "cannot read wizard config %s", path);
	while ((c = getc(f)) != EOF) {
		if (c == '\0') {
			core_error_set(err, "%s:%d: a NUL byte: this is not a text file", path, line);
			goto out;
		}
		switch (st) {
		case CODE:
			if (c == '"')
				st = DQ;
			else if (c == '\'')
				st = SQ;
			else if (c == '#' || (c == '/' && prev == '/'))
				st = LINE_COMMENT;
			else if (c == '*' && prev == '/')
				st = BLOCK_COMMENT;
			else if (c == '{' && depth++ == 0)
				open_line = line;
			else if (c == '}')
				depth--;
			break;
		case DQ:
			if (c == '\\' && prev == '\\')
				c = 0; /* an escaped backslash escapes nothing after it */
			else if (c == '"' && prev != '\\')
				st = CODE;
			break;
		case SQ:
			if (c == '\'')
				st = CODE;
			break;
		case LINE_COMMENT:
			if (c == '\n')
				st = CODE;
			break;
		case BLOCK_COMMENT:
			if (c == '/' && prev == '*')
				st = CODE;
			break;
		}
		if (c == '\n')
			line++;
		prev = c;
	}
	if (depth > 0) {
		core_error_set(err, "%s:%d: this section's '{' is never closed (end of file at line %d)",
			       path, open_line, line);
		goto out;
	}
	rc = 0;
out:
	fclose(f);
	return rc;
}

static char *config_strdup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static int config_copy_list(cfg_t *sec, const char *name, char ***list, size_t *n)
{
	unsigned int count = cfg_size(sec, name);
	unsigned int i;

	*list = NULL;
	*n = 0;
	if (count == 0)
		return 0;
	*list = calloc(count, sizeof(**list));
	if (*list == NULL)
		return -1;
	for (i = 0; i < count; i++) {
		(*list)[i] = strdup(cfg_getnstr(sec, name, i));
		if ((*list)[i] == NULL)
			return -1;
		(*n)++;
	}
	return 0;
}

static int config_copy_cluster(cfg_t *root, const char *title, struct config_cluster *cl)
{
	cfg_t *sec = cfg_gettsec(root, "cluster", title);

	if (sec == NULL)
		return 0;
	if (config_copy_list(sec, "admin_urls", &cl->admin_urls, &cl->n_admin_urls) < 0)
		return -1;
	cl->token_file = config_strdup_or_null(cfg_getstr(sec, "token_file"));
	cl->token_env = config_strdup_or_null(cfg_getstr(sec, "token_env"));
	if ((cfg_getstr(sec, "token_file") != NULL && cl->token_file == NULL) ||
	    (cfg_getstr(sec, "token_env") != NULL && cl->token_env == NULL))
		return -1;
	return 0;
}

static void config_cluster_done(struct config_cluster *cl)
{
	size_t i;

	for (i = 0; i < cl->n_admin_urls; i++)
		free(cl->admin_urls[i]);
	free(cl->admin_urls);
	free(cl->token_file);
	free(cl->token_env);
}

void config_wizard_free(struct config_wizard *cw)
{
	size_t i;

	if (cw == NULL)
		return;
	free(cw->path);
	free(cw->kong_binary);
	free(cw->kong_conf);
	free(cw->state_dir);
	free(cw->backup_dir);
	free(cw->pg_dump);
	free(cw->pg_restore);
	config_cluster_done(&cw->old_cluster);
	config_cluster_done(&cw->new_cluster);
	for (i = 0; i < cw->n_waive; i++)
		free(cw->waive[i]);
	free(cw->waive);
	free(cw);
}

/* Copies the parsed tree into the plain struct that core takes. */
static int config_copy(cfg_t *root, const char *path, struct config_wizard *cw)
{
	cfg_t *kong = cfg_getsec(root, "kong");
	cfg_t *backup = cfg_getsec(root, "backup");
	cfg_t *traffic = cfg_getsec(root, "traffic");
	cfg_t *checks = cfg_getsec(root, "checks");

	cw->path = config_strdup_or_null(path);
	cw->kong_binary = strdup(cfg_getstr(kong, "binary"));
	cw->kong_conf = config_strdup_or_null(cfg_getstr(kong, "conf"));
	cw->state_dir = strdup(cfg_getstr(root, "state_dir"));
	cw->backup_dir = strdup(cfg_getstr(backup, "dir"));
	cw->backup_max_age_ms = cfg_getint(backup, "max_age");
	cw->pg_dump = strdup(cfg_getstr(backup, "pg_dump"));
	cw->pg_restore = strdup(cfg_getstr(backup, "pg_restore"));
	cw->poll_interval_ms = cfg_getint(traffic, "poll_interval");
	cw->idle_rate = cfg_getfloat(traffic, "idle_rate");
	cw->min_soak_ms = cfg_getint(traffic, "min_soak");
	if ((path != NULL && cw->path == NULL) || cw->kong_binary == NULL ||
	    (cfg_getstr(kong, "conf") != NULL && cw->kong_conf == NULL) || cw->state_dir == NULL ||
	    cw->backup_dir == NULL || cw->pg_dump == NULL || cw->pg_restore == NULL)
		return -1;
	if (config_copy_cluster(root, "old", &cw->old_cluster) < 0 ||
	    config_copy_cluster(root, "new", &cw->new_cluster) < 0)
		return -1;
	return config_copy_list(checks, "waive", &cw->waive, &cw->n_waive);
}

int config_wizard_load_file(const char *path, bool missing_ok, struct config_wizard **out,
			    struct core_error *err)
{
	static cfg_opt_t kong_opts[] = {
		CFG_STR("binary", "kong", CFGF_NONE),
		CFG_STR("conf", NULL, CFGF_NONE),
		CFG_END(),
	};
	static cfg_opt_t backup_opts[] = {
		CFG_STR("dir", "/var/backups/kong-upgrade-wizard", CFGF_NONE),
		CFG_INT_CB("max_age", 24L * 3600 * 1000, CFGF_NONE, config_duration_cb),
		CFG_STR("pg_dump", "pg_dump", CFGF_NONE),
		CFG_STR("pg_restore", "pg_restore", CFGF_NONE),
		CFG_END(),
	};
	static cfg_opt_t cluster_opts[] = {
		CFG_STR_LIST("admin_urls", "{}", CFGF_NONE),
		CFG_STR("token_file", NULL, CFGF_NONE),
		CFG_STR("token_env", NULL, CFGF_NONE),
		CFG_END(),
	};
	static cfg_opt_t traffic_opts[] = {
		CFG_INT_CB("poll_interval", 1000, CFGF_NONE, config_duration_cb),
		CFG_FLOAT("idle_rate", 0.5, CFGF_NONE),
		CFG_INT_CB("min_soak", 5L * 60 * 1000, CFGF_NONE, config_duration_cb),
		CFG_END(),
	};
	static cfg_opt_t checks_opts[] = {
		CFG_STR_LIST("waive", "{}", CFGF_NONE),
		CFG_END(),
	};
	static cfg_opt_t opts[] = {
		CFG_SEC("kong", kong_opts, CFGF_NONE),
		CFG_STR("state_dir", "/var/lib/kong-upgrade-wizard", CFGF_NONE),
		CFG_SEC("backup", backup_opts, CFGF_NONE),
		CFG_SEC("cluster", cluster_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
		CFG_SEC("traffic", traffic_opts, CFGF_NONE),
		CFG_SEC("checks", checks_opts, CFGF_NONE),
		CFG_END(),
	};
	struct config_wizard *cw = NULL;
	cfg_t *cfg = NULL;
	struct stat st;
	const char *file = path;
	int rc = -1;

	*out = NULL;
	if (stat(path, &st) < 0) {
		if (errno != ENOENT || !missing_ok)
			return core_error_errno(err, errno, "cannot read wizard config %s", path);
		file = NULL;
	} else if (!S_ISREG(st.st_mode)) {
		return core_error_set(err, "wizard config %s is not a regular file", path);
	}

	cw = calloc(1, sizeof(*cw));
	cfg = cfg_init(opts, CFGF_NONE);
	if (cw == NULL || cfg == NULL) {
		core_error_set(err, "out of memory reading wizard config %s", path);
		goto out;
	}
	load_err = err;
	load_err_set = 0;
	load_root = cfg;
	cfg_set_error_function(cfg, config_on_error);
	cfg_set_validate_func(cfg, "cluster", config_validate_cluster);
	cfg_set_validate_func(cfg, "traffic", config_validate_traffic);
	cfg_set_validate_func(cfg, "state_dir", config_validate_nonempty);
	if (file != NULL && config_prescan(file, err) < 0)
		goto out;
	if (file != NULL) {
		int r = cfg_parse(cfg, file);

		if (r == CFG_FILE_ERROR) {
			core_error_errno(err, errno, "cannot read wizard config %s", file);
			goto out;
		}
		if (r != CFG_SUCCESS) {
			if (!load_err_set)
				core_error_set(err, "%s: cannot parse the wizard config", file);
			goto out;
		}
	}
	if (config_copy(cfg, file, cw) < 0) {
		core_error_set(err, "out of memory reading wizard config %s", path);
		goto out;
	}
	*out = cw;
	cw = NULL;
	rc = 0;
out:
	load_err = NULL;
	load_root = NULL;
	if (cfg != NULL)
		cfg_free(cfg);
	config_wizard_free(cw);
	return rc;
}

int config_wizard_load(const char *path, struct config_wizard **out, struct core_error *err)
{
	if (path != NULL)
		return config_wizard_load_file(path, false, out, err);
	return config_wizard_load_file(CONFIG_WIZARD_DEFAULT_PATH, true, out, err);
}
