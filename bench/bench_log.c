/* bench_log.c — log streaming through the supervised runner and the log pane.
 *
 *   bench-log gen BYTES             kong-style output (migrations, --vv debug
 *                                   lines) on stdout, BYTES of it, fast
 *   bench-log run BYTES STATE_DIR TICK_MS
 *                                   core_runner_start(`bench-log gen BYTES`),
 *                                   then every TICK_MS (200 = the wizard's
 *                                   screen tick; 0 = back to back)
 *                                   core_runner_poll -> tui_log_append (2000
 *                                   lines, 1 MiB: the screens' bounds) and
 *                                   tui_log_draw into an 80x24 curses screen
 *                                   whose output goes to /dev/null, until the
 *                                   run has finished and its log is read.
 * "run" prints: bytes= seconds= mb_per_s= maxrss_kb= lines= dropped=
 * (maxrss is this process: runner handle + pane; the command and its
 * supervisor are other processes). */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "core/core_runner.h"
#include "tui/tui_widgets.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int gen(long long bytes)
{
	static const char *const subs[] = {"core", "enterprise", "rate-limiting", "oauth2",
					   "acl", "jwt", "session", "vitals"};
	static char buf[1 << 16];
	long long done = 0, i = 0;
	size_t len = 0;

	while (done < bytes) {
		int n;
		const char *s = subs[i % 8];

		switch (i % 4) {
		case 0:
			n = snprintf(buf + len, sizeof(buf) - len,
				     "2019/10/01 12:%02lld:%02lld [debug] migrating %s on database 'kong'...\n",
				     (i / 60) % 60, i % 60, s);
			break;
		case 1:
			n = snprintf(buf + len, sizeof(buf) - len,
				     "2019/10/01 12:%02lld:%02lld [debug] running migration %03lld_%s_up: "
				     "ALTER TABLE IF EXISTS ONLY \"%s_entities\" ADD \"ws_id\" UUID;\n",
				     (i / 60) % 60, i % 60, i % 1000, s, s);
			break;
		case 2:
			n = snprintf(buf + len, sizeof(buf) - len,
				     "%s migrated up to: %03lld_130_to_140 (executed)\n", s, i % 1000);
			break;
		default:
			n = snprintf(buf + len, sizeof(buf) - len,
				     "2019/10/01 12:%02lld:%02lld [verbose] %lld migrations processed, "
				     "%lld executed, 0 pending\n", (i / 60) % 60, i % 60, i, i);
			break;
		}
		len += (size_t)n;
		done += n;
		i++;
		if (len > sizeof(buf) - 512) {
			if (fwrite(buf, 1, len, stdout) != len)
				return 1;
			len = 0;
		}
	}
	if (len > 0 && fwrite(buf, 1, len, stdout) != len)
		return 1;
	return fflush(stdout) != 0;
}

static void on_line(void *ctx, const char *line)
{
	struct tui_log *log = ctx;

	tui_log_append(log, line, strlen(line));
	tui_log_append(log, "\n", 1);
}

int main(int argc, char **argv)
{
	struct core_error err = {{0}};
	struct core_runner_run *run = NULL;
	struct core_runner_progress prog;
	struct rusage ru;
	struct tui_log *log;
	char self[4096], bytes_s[32];
	const char *args[4];
	FILE *devnull;
	SCREEN *scr;
	WINDOW *w;
	long long bytes;
	long tick;
	double t0, t1;
	ssize_t n;

	if (argc == 3 && strcmp(argv[1], "gen") == 0)
		return gen(atoll(argv[2]));
	if (argc != 5 || strcmp(argv[1], "run") != 0) {
		fprintf(stderr, "usage: bench-log gen BYTES | run BYTES STATE_DIR TICK_MS\n");
		return 2;
	}
	bytes = atoll(argv[2]);
	tick = atol(argv[4]);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 1;
	self[n] = '\0';
	snprintf(bytes_s, sizeof(bytes_s), "%lld", bytes);
	args[0] = self, args[1] = "gen", args[2] = bytes_s, args[3] = NULL;

	devnull = fopen("/dev/null", "w");
	scr = newterm("xterm-256color", devnull, stdin);
	if (scr == NULL)
		return 1;
	resizeterm(24, 80);
	w = newwin(22, 80, 1, 0);
	log = tui_log_new(2000, 1 << 20);
	memset(&prog, 0, sizeof(prog));
	t0 = now_s();
	if (core_runner_start(argv[3], args, NULL, &run, &err) < 0) {
		endwin();
		fprintf(stderr, "bench-log: %s\n", err.msg);
		return 1;
	}
	for (;;) {
		if (core_runner_poll(run, &prog, on_line, log, &err) < 0) {
			endwin();
			fprintf(stderr, "bench-log: %s\n", err.msg);
			return 1;
		}
		werase(w);
		tui_log_draw(log, w, 0, 0, 22, 80);
		wnoutrefresh(w);
		doupdate();
		if (prog.state != CORE_RUNNER_RUNNING)
			break;
		if (tick > 0)
			usleep((useconds_t)tick * 1000);
	}
	/* Finished: read what is left. */
	for (int i = 0; i < 1000; i++) {
		size_t before = tui_log_count(log);
		unsigned long long dropped = tui_log_dropped(log);

		if (core_runner_poll(run, &prog, on_line, log, &err) < 0)
			break;
		if (tui_log_count(log) == before && tui_log_dropped(log) == dropped)
			break;
		if (tick > 0)
			usleep((useconds_t)tick * 1000);
	}
	t1 = now_s();
	endwin();
	delscreen(scr);
	getrusage(RUSAGE_SELF, &ru);
	printf("bytes=%lld seconds=%.3f mb_per_s=%.1f maxrss_kb=%ld lines=%zu dropped=%llu exit=%d\n",
	       bytes, t1 - t0, (double)bytes / 1e6 / (t1 - t0), ru.ru_maxrss, tui_log_count(log),
	       tui_log_dropped(log), prog.exit_code);
	tui_log_free(log);
	core_runner_free(run);
	return 0;
}
