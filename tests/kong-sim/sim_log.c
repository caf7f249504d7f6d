/* sim_log.c — output exactly as kong/cmd/utils/log.lua and the error handler
 * of kong/cmd/init.lua write it (reference kong-migrations.md §1.2). */
#include "tests/kong-sim/sim.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define SIM_LUA_PATH "/usr/local/share/lua/5.1/kong"

static void sim_log_prefix(FILE *f, const char *level)
{
	char buf[32];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(buf, sizeof(buf), "%Y/%m/%d %H:%M:%S", &tm);
	fprintf(f, "%s [%s] ", buf, level);
}

/* One log line; §1.2: info lines are bare at the default level, every line
 * carries the date and level once --v or --vv is given. */
static void sim_log_line(const struct sim_ctx *ctx, enum sim_level lvl, const char *name,
			 const char *fmt, va_list ap)
{
	if (ctx->level < lvl)
		return;
	if (ctx->level > SIM_LOG_INFO)
		sim_log_prefix(stdout, name);
	vfprintf(stdout, fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
}

void sim_log(const struct sim_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sim_log_line(ctx, SIM_LOG_INFO, "info", fmt, ap);
	va_end(ap);
}

void sim_log_verbose(const struct sim_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sim_log_line(ctx, SIM_LOG_VERBOSE, "verbose", fmt, ap);
	va_end(ap);
}

void sim_log_debug(const struct sim_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sim_log_line(ctx, SIM_LOG_DEBUG, "debug", fmt, ap);
	va_end(ap);
}

void sim_log_warn(const struct sim_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	/* §1.2: warn/error go to stderr, always prefixed; -q silences them too. */
	if (ctx->level == SIM_LOG_QUIET)
		return;
	fflush(stdout);
	sim_log_prefix(stderr, "warn");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

/* The xpcall handler of kong/cmd/init.lua; it writes with io.stderr
 * directly, so -q does not silence it (§1.2). */
static void sim_error_write(const struct sim_ctx *ctx, const char *where, const char *msg)
{
	fflush(stdout);
	if (ctx->opts.v || ctx->opts.vv) {
		fprintf(stderr, "Error: \n%s%s\n", where, msg);
		fprintf(stderr, "stack traceback:\n\t[C]: in function 'error'\n"
				"\t" SIM_LUA_PATH "/cmd/init.lua:88: in function <" SIM_LUA_PATH
				"/cmd/init.lua:88>\n");
	} else {
		fprintf(stderr, "Error: %s\n", msg);
		fprintf(stderr, "\n  Run with --v (verbose) or --vv (debug) for more details\n");
	}
	fflush(stderr);
}

int sim_error(const struct sim_ctx *ctx, const char *fmt, ...)
{
	char msg[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sim_error_write(ctx, SIM_LUA_PATH "/cmd/migrations.lua:1: ", msg);
	return 1;
}

int sim_error_mutex(const struct sim_ctx *ctx, const struct sim_raise *at, const char *msg)
{
	char full[8192];

	/* §1.5: the callback error keeps its own "<path>:<line>: " position and
	 * the traceback of xpcall(cb, debug.traceback) in DB:cluster_mutex; the
	 * frames are those printed by Kong 1.x (Kong/charts#92, Kong/kong#5934). */
	snprintf(full, sizeof(full),
		 "[PostgreSQL error] cluster_mutex callback threw an error: " SIM_LUA_PATH
		 "/cmd/utils/migrations.lua:%d: %s\n"
		 "stack traceback:\n"
		 "\t[C]: in function '%s'\n"
		 "\t" SIM_LUA_PATH "/cmd/utils/migrations.lua:%d: in function <" SIM_LUA_PATH
		 "/cmd/utils/migrations.lua:%d>\n"
		 "\t[C]: in function 'xpcall'\n"
		 "\t" SIM_LUA_PATH "/db/init.lua:358: in function <" SIM_LUA_PATH
		 "/db/init.lua:308>\n"
		 "\t[C]: in function 'pcall'\n"
		 "\t" SIM_LUA_PATH "/concurrency.lua:45: in function 'cluster_mutex'\n"
		 "\t" SIM_LUA_PATH "/cmd/utils/migrations.lua:%d: in function '%s'\n"
		 "\t" SIM_LUA_PATH "/cmd/migrations.lua:%d: in function 'cmd_exec'\n"
		 "\t" SIM_LUA_PATH "/cmd/init.lua:88: in function <" SIM_LUA_PATH
		 "/cmd/init.lua:88>\n"
		 "\t[C]: in function 'xpcall'\n"
		 "\t" SIM_LUA_PATH "/cmd/init.lua:88: in function <" SIM_LUA_PATH
		 "/cmd/init.lua:45>\n"
		 "\t/usr/local/bin/kong:9: in function 'file_gen'\n"
		 "\tinit_worker_by_lua:47: in function <init_worker_by_lua:45>\n"
		 "\t[C]: in function 'xpcall'\n"
		 "\tinit_worker_by_lua:54: in function <init_worker_by_lua:52>",
		 at->line, msg, at->how, at->line, at->cb_line, at->cb_line, at->func,
		 at->cmd_line);
	sim_error_write(ctx, SIM_LUA_PATH "/cmd/utils/migrations.lua:108: ", full);
	return 1;
}

void sim_pg_errfmt(const PGconn *conn, const PGresult *res, char *buf, size_t size)
{
	const char *sev = NULL;
	const char *msg = NULL;
	const char *pos = NULL;
	const char *detail = NULL;
	size_t len;

	if (res != NULL) {
		sev = PQresultErrorField(res, PG_DIAG_SEVERITY);
		msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
		detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	}
	if (msg == NULL) {
		/* No server error: a connection-level failure; keep libpq's first line. */
		snprintf(buf, size, "%s", conn != NULL ? PQerrorMessage(conn) : "unknown error");
		buf[strcspn(buf, "\n")] = '\0';
		return;
	}
	/* pgmoon's parse_error: "<severity>: <message> (<position>)\n<detail>". */
	snprintf(buf, size, "%s: %s", sev != NULL ? sev : "ERROR", msg);
	len = strlen(buf);
	if (pos != NULL && len < size)
		snprintf(buf + len, size - len, " (%s)", pos);
	len = strlen(buf);
	if (detail != NULL && len < size)
		snprintf(buf + len, size - len, "\n%s", detail);
}
