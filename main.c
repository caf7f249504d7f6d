/* main.c — wires the layers: parses the command line, runs one command.
 *
 * For now the commands are the demo sandbox (SPEC §7, without the wizard
 * screens yet), --help and --version. The interactive wizard and the headless
 * commands of SPEC §3 arrive with their issues. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core_error.h"
#include "core/core_sandbox.h"
#include "tests/support/fixtures.h"
#include "tests/support/testenv.h"
#include "tui/tui.h"

#ifndef KUW_VERSION
#define KUW_VERSION "0.0.0"
#endif

/* Where the build put the Kong stand-in; the demo's default `kong` binary. */
#ifndef KUW_KONG_SIM_PATH
#define KUW_KONG_SIM_PATH "kong-sim"
#endif

enum { EXIT_BLOCKED = 1, EXIT_CANNOT_RUN = 2 };

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: kong-upgrade-wizard [--kong BINARY] COMMAND\n"
		"\n"
		"Walks an operator through a Kong database upgrade (Kong Enterprise 0.36 -> 1.3,\n"
		"Kong 1.2/1.3 -> Kong Enterprise 1.3) on PostgreSQL.\n"
		"\n"
		"Commands:\n"
		"  demo          start a private PostgreSQL sandbox with a Kong Enterprise 0.36\n"
		"                datastore and the Kong stand-in, show what Kong 1.3 sees, and\n"
		"                remove everything on exit\n"
		"\n"
		"Options:\n"
		"  --kong BINARY the new (1.3) kong CLI (demo default: the built kong-sim)\n"
		"  -h, --help    show this help\n"
		"  -V, --version show the version\n");
}

static volatile sig_atomic_t demo_interrupted;

static void demo_on_signal(int sig)
{
	(void)sig;
	demo_interrupted = 1;
}

/* Prints the output of `kong ARGS...` run against the demo datastore. */
static int demo_run_kong(const char *const *argv, const char *what, struct core_error *err)
{
	struct testenv_run run = { 0 };

	if (testenv_run(argv, NULL, &run, err) < 0)
		return -1;
	printf("$ %s\n%s%s", what, run.out, run.err);
	printf("(exit status %d)\n\n", run.status);
	testenv_run_done(&run);
	return 0;
}

static int cmd_demo(const char *kong, struct core_error *err)
{
	struct core_sandbox_options opt = { 0 };
	struct core_sandbox *sb = NULL;
	struct fixture_target target = { 0 };
	char conf[4096];
	char port[16];
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

	printf("Loading a Kong Enterprise 0.36 datastore (database 'kong' on 127.0.0.1:%d)...\n",
	       core_sandbox_port(sb));
	fflush(stdout);
	target.host = core_sandbox_host(sb);
	target.port = core_sandbox_port(sb);
	target.user = "kong";
	target.password = "kong";
	target.dbname = "kong";
	target.kong_sim = kong;
	target.workdir = core_sandbox_dir(sb);
	if (fixture_load("ee-0.36", &target, 1, err) < 0)
		goto out;

	snprintf(conf, sizeof(conf), "%s/kong.conf", core_sandbox_dir(sb));
	f = fopen(conf, "w");
	if (f == NULL) {
		core_error_errno(err, errno, "cannot write %s", conf);
		goto out;
	}
	fprintf(f, "pg_host = %s\npg_port = %d\npg_user = kong\npg_password = kong\npg_database = kong\n",
		core_sandbox_host(sb), core_sandbox_port(sb));
	if (fclose(f) != 0) {
		f = NULL;
		core_error_errno(err, errno, "cannot write %s", conf);
		goto out;
	}
	f = NULL;

	printf("\n");
	{
		const char *const version[] = { kong, "version", NULL };
		const char *const list[] = { kong, "migrations", "list", "-c", conf, NULL };

		if (demo_run_kong(version, "kong version", err) < 0 ||
		    demo_run_kong(list, "kong migrations list -c kong.conf", err) < 0)
			goto out;
	}
	snprintf(port, sizeof(port), "%d", core_sandbox_port(sb));
	printf("The sandbox datastore: psql -h %s -p %s -U kong kong (password: kong)\n",
	       core_sandbox_host(sb), port);

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
		{ NULL, 0, NULL, 0 },
	};
	struct core_error err = { { 0 } };
	const char *kong = NULL;
	const char *command;
	int c;

	while ((c = getopt_long(argc, argv, "+hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("kong-upgrade-wizard %s\n", KUW_VERSION);
			return 0;
		case 'k':
			kong = optarg;
			break;
		default:
			usage(stderr);
			return EXIT_CANNOT_RUN;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "kong-upgrade-wizard: the interactive wizard is not built yet; "
				"run 'kong-upgrade-wizard demo' to see the sandbox\n");
		return EXIT_CANNOT_RUN;
	}
	command = argv[optind];
	if (strcmp(command, "demo") == 0) {
		if (cmd_demo(kong != NULL ? kong : KUW_KONG_SIM_PATH, &err) < 0) {
			fprintf(stderr, "kong-upgrade-wizard: demo: %s\n", err.msg);
			return EXIT_CANNOT_RUN;
		}
		return 0;
	}
	fprintf(stderr, "kong-upgrade-wizard: unknown command '%s' (see --help)\n", command);
	return EXIT_CANNOT_RUN;
}
