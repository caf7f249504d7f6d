/* bench_env.c — a datastore for the benchmarks (scripts/bench.sh): a private
 * PostgreSQL sandbox (core_sandbox), the role `kong`, one database per
 * --db NAME:FIXTURE:SCALE argument loaded with that fixture, and for each a
 * kong.conf and a wizard config. Prints KEY=VALUE lines on stdout, then
 * "READY", then holds everything until its stdin reaches end of file (the
 * script closes it), and removes it all. Statement logging (server.log) is
 * switched on with --log-statements; --topup NAME runs bench/topup.sql in
 * database NAME after its fixture (1M consumers, 200k routes, 1 GB). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/core_sandbox.h"
#include "tests/support/fixtures.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fputs(text, f);
	return fclose(f);
}

int main(int argc, char **argv)
{
	struct core_sandbox_options opt = {0};
	struct core_sandbox *sb = NULL;
	struct core_error err = {{0}};
	const char *kong_sim = NULL;
	const char *topup_db = NULL;
	int log_statements = 0;
	char buf[8192];
	int i, rc = 1;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--kong-sim") == 0 && i + 1 < argc)
			kong_sim = argv[++i];
		else if (strcmp(argv[i], "--topup") == 0 && i + 1 < argc)
			topup_db = argv[++i];
		else if (strcmp(argv[i], "--log-statements") == 0)
			log_statements = 1;
	}
	if (kong_sim == NULL) {
		fprintf(stderr, "usage: bench-env --kong-sim PATH [--log-statements] "
				"[--db NAME:FIXTURE:SCALE]...\n");
		return 2;
	}
	if (core_sandbox_start(&opt, &sb, &err) < 0 ||
	    core_sandbox_exec(sb, NULL, "CREATE ROLE kong LOGIN PASSWORD 'kong' CREATEDB", &err) < 0)
		goto out;
	if (log_statements) {
		static const char *const set[] = {
		    "ALTER SYSTEM SET log_statement = 'all'",
		    "ALTER SYSTEM SET log_connections = on",
		    "ALTER SYSTEM SET log_disconnections = on",
		    "ALTER SYSTEM SET log_min_duration_statement = 0",
		    "ALTER SYSTEM SET log_line_prefix = '%m [%p] app=%a db=%d '",
		    "SELECT pg_reload_conf()",
		};
		for (size_t k = 0; k < sizeof(set) / sizeof(set[0]); k++)
			if (core_sandbox_exec(sb, NULL, set[k], &err) < 0)
				goto out;
	}
	printf("SB_DIR=%s\nPG_HOST=%s\nPG_PORT=%d\nPG_SUPERUSER=%s\nPG_BINDIR=%s\n",
	       core_sandbox_dir(sb), core_sandbox_host(sb), core_sandbox_port(sb),
	       core_sandbox_superuser(sb), core_sandbox_bindir(sb));
	fflush(stdout);
	for (i = 1; i < argc; i++) {
		struct fixture_target t = {0};
		char name[64], fixture[64], sql[256], kconf[4400], wconf[4400], text[16384];
		int scale = 1;
		double t0;

		if (strcmp(argv[i], "--db") != 0 || i + 1 >= argc)
			continue;
		if (sscanf(argv[++i], "%63[^:]:%63[^:]:%d", name, fixture, &scale) != 3) {
			core_error_set(&err, "bad --db %s (NAME:FIXTURE:SCALE)", argv[i]);
			goto out;
		}
		snprintf(sql, sizeof(sql), "CREATE DATABASE %s OWNER kong", name);
		if (core_sandbox_exec(sb, NULL, sql, &err) < 0)
			goto out;
		t.host = core_sandbox_host(sb);
		t.port = core_sandbox_port(sb);
		t.user = "kong";
		t.password = "kong";
		t.dbname = name;
		t.kong_sim = kong_sim;
		t.workdir = core_sandbox_dir(sb);
		t0 = now_s();
		if (fixture_load(fixture, &t, scale, &err) < 0)
			goto out;
		if (topup_db != NULL && strcmp(topup_db, name) == 0) {
			FILE *f = fopen(KUW_BENCH_DIR "/topup.sql", "r");
			static char big[1 << 16];
			size_t got = f != NULL ? fread(big, 1, sizeof(big) - 1, f) : 0;

			if (f == NULL) {
				core_error_errno(&err, errno, "reading %s/topup.sql", KUW_BENCH_DIR);
				goto out;
			}
			fclose(f);
			big[got] = '\0';
			if (core_sandbox_exec(sb, name, big, &err) < 0)
				goto out;
		}
		snprintf(sql, sizeof(sql), "VACUUM ANALYZE");
		if (core_sandbox_exec(sb, name, sql, &err) < 0)
			goto out;
		snprintf(kconf, sizeof(kconf), "%s/kong-%s.conf", core_sandbox_dir(sb), name);
		snprintf(text, sizeof(text),
			 "pg_host = %s\npg_port = %d\npg_user = kong\npg_password = kong\n"
			 "pg_database = %s\n",
			 core_sandbox_host(sb), core_sandbox_port(sb), name);
		snprintf(wconf, sizeof(wconf), "%s/wizard-%s.conf", core_sandbox_dir(sb), name);
		if (write_file(kconf, text) < 0)
			goto io;
		snprintf(text, sizeof(text),
			 "kong { binary = \"%s\" conf = \"%s\" }\nstate_dir = \"%s/state-%s\"\n"
			 "backup { dir = \"%s/backups-%s\" }\n",
			 kong_sim, kconf, core_sandbox_dir(sb), name, core_sandbox_dir(sb), name);
		if (write_file(wconf, text) < 0)
			goto io;
		printf("DB_%s=%s\nKCONF_%s=%s\nWCONF_%s=%s\nLOAD_S_%s=%.1f\n", name, name, name,
		       kconf, name, wconf, name, now_s() - t0);
		fflush(stdout);
	}
	printf("READY=1\n");
	fflush(stdout);
	while (fread(buf, 1, sizeof(buf), stdin) > 0)
		;
	rc = 0;
	goto out;
io:
	core_error_errno(&err, errno, "writing a config file in %s", core_sandbox_dir(sb));
out:
	if (rc != 0)
		fprintf(stderr, "bench-env: %s\n", err.msg);
	core_sandbox_stop(sb);
	return rc;
}
