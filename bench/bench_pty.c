/* bench_pty.c — runs a program on a pseudo-terminal of a given size and
 * measures what it writes and what CPU it uses, as an SSH session would
 * carry it.
 *
 *   bench-pty [--cols 80] [--rows 24] [--gap MS] [--duration MS]
 *             [--idle-from MS] -- PROGRAM [ARGS...]
 *
 * Output is split into bursts: a burst ends after --gap ms (default 25)
 * without output. Prints "burst <n> at_ms=<t> bytes=<b>" for each, then
 * "total_bytes=", and, when --idle-from is given, the child's CPU time
 * (utime+stime) and voluntary context switches between that moment and the
 * end: "idle_window_ms= idle_cpu_ms= idle_wakeups=". After --duration ms
 * (default 3000) the child gets SIGTERM (then SIGKILL). */
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* utime+stime in ms and voluntary context switches of pid. */
static int proc_sample(pid_t pid, double *cpu_ms, long *vcsw)
{
	char path[64], buf[4096], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL || fgets(buf, sizeof(buf), f) == NULL) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	p = strrchr(buf, ')');
	if (p == NULL)
		return -1;
	p += 2; /* state is field 3 */
	for (i = 3; i < 14; i++)
		p = strchr(p, ' ') + 1;
	sscanf(p, "%lu %lu", &ut, &st);
	*cpu_ms = (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	*vcsw = -1;
	if (f != NULL) {
		while (fgets(buf, sizeof(buf), f) != NULL)
			if (sscanf(buf, "voluntary_ctxt_switches: %ld", vcsw) == 1)
				break;
		fclose(f);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct winsize ws = {.ws_row = 24, .ws_col = 80};
	long gap = 25, duration = 3000, idle_from = -1;
	long long t0, last = 0, burst_start = 0, total = 0, burst = 0;
	double cpu0 = 0, cpu1 = 0;
	long v0 = 0, v1 = 0;
	long long idle_t0 = 0, idle_t1 = 0;
	int nburst = 0, fd, i, status, sampled = 0;
	pid_t pid;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (i + 1 >= argc)
			break;
		if (strcmp(argv[i], "--cols") == 0)
			ws.ws_col = (unsigned short)atoi(argv[++i]);
		else if (strcmp(argv[i], "--rows") == 0)
			ws.ws_row = (unsigned short)atoi(argv[++i]);
		else if (strcmp(argv[i], "--gap") == 0)
			gap = atol(argv[++i]);
		else if (strcmp(argv[i], "--duration") == 0)
			duration = atol(argv[++i]);
		else if (strcmp(argv[i], "--idle-from") == 0)
			idle_from = atol(argv[++i]);
	}
	if (i + 1 >= argc) {
		fprintf(stderr, "usage: bench-pty [options] -- PROGRAM [ARGS...]\n");
		return 2;
	}
	t0 = now_ms();
	pid = forkpty(&fd, NULL, NULL, &ws);
	if (pid < 0) {
		perror("bench-pty: forkpty");
		return 1;
	}
	if (pid == 0) {
		setenv("TERM", "xterm-256color", 1);
		setenv("LANG", "C.UTF-8", 1);
		setenv("LC_ALL", "C.UTF-8", 1);
		execvp(argv[i + 1], argv + i + 1);
		_exit(127);
	}
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		long long t = now_ms() - t0;
		int r;

		if (idle_from >= 0 && !sampled && t >= idle_from) {
			proc_sample(pid, &cpu0, &v0);
			idle_t0 = t;
			sampled = 1;
		}
		if (t >= duration)
			break;
		r = poll(&p, 1, 5);
		if (r < 0 && errno != EINTR)
			break;
		t = now_ms() - t0;
		if (burst > 0 && t - last >= gap) {
			printf("burst %d at_ms=%lld bytes=%lld\n", ++nburst, burst_start, burst);
			burst = 0;
		}
		if (r > 0) {
			char buf[65536];
			ssize_t n = read(fd, buf, sizeof(buf));

			if (n <= 0)
				break; /* child closed the terminal */
			if (burst == 0)
				burst_start = t;
			burst += n;
			total += n;
			last = t;
		}
	}
	if (sampled) {
		proc_sample(pid, &cpu1, &v1);
		idle_t1 = now_ms() - t0;
	}
	if (burst > 0)
		printf("burst %d at_ms=%lld bytes=%lld\n", ++nburst, burst_start, burst);
	printf("total_bytes=%lld\n", total);
	if (sampled)
		printf("idle_window_ms=%lld idle_cpu_ms=%.0f idle_wakeups=%ld\n", idle_t1 - idle_t0,
		       cpu1 - cpu0, v1 - v0);
	fflush(stdout);
	kill(pid, SIGTERM);
	for (i = 0; i < 200; i++) {
		char buf[65536];
		struct pollfd p = {.fd = fd, .events = POLLIN};

		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		if (poll(&p, 1, 10) > 0 && read(fd, buf, sizeof(buf)) <= 0)
			usleep(10000);
	}
	if (i == 200) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	close(fd);
	return 0;
}
