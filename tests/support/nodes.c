#include "tests/support/nodes.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long nodes_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int node_start(struct node *n, const char *kong_sim, const char *kconf, const char *version,
	       const char *profile, const char *token_file, struct core_error *err)
{
	const char *argv[16];
	char line[256] = "";
	size_t len = 0;
	long deadline = nodes_now_ms() + 15000;
	int pfd[2], ac = 0;

	memset(n, 0, sizeof(*n));
	argv[ac++] = kong_sim;
	argv[ac++] = "serve";
	argv[ac++] = "--listen";
	argv[ac++] = "127.0.0.1:0";
	argv[ac++] = "--version";
	argv[ac++] = version;
	argv[ac++] = "--profile";
	argv[ac++] = profile;
	if (kconf != NULL) {
		argv[ac++] = "-c";
		argv[ac++] = kconf;
	}
	if (token_file != NULL) {
		argv[ac++] = "--token-file";
		argv[ac++] = token_file;
	}
	argv[ac] = NULL;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return core_error_errno(err, errno, "pipe for %s serve", kong_sim);
	n->pid = fork();
	if (n->pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return core_error_errno(err, errno, "fork for %s serve", kong_sim);
	}
	if (n->pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, STDIN_FILENO);
		dup2(null, STDERR_FILENO);
		dup2(pfd[1], STDOUT_FILENO);
		/* execv wants char *const[]; the strings are not written. */
		execv(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	close(pfd[1]);
	while (nodes_now_ms() < deadline && strchr(line, '\n') == NULL) {
		struct pollfd p = { pfd[0], POLLIN, 0 };
		ssize_t r;

		if (poll(&p, 1, 500) <= 0)
			continue;
		r = read(pfd[0], line + len, sizeof(line) - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
		line[len] = '\0';
	}
	close(pfd[0]);
	if (sscanf(line, "listening on 127.0.0.1:%d", &n->port) != 1) {
		node_stop(n);
		return core_error_set(err, "%s serve --version %s did not start listening within "
					   "15 s",
				      kong_sim, version);
	}
	snprintf(n->url, sizeof(n->url), "http://127.0.0.1:%d", n->port);
	return 0;
}

void node_stop(struct node *n)
{
	long deadline = nodes_now_ms() + 5000;
	int st;

	if (n->pid <= 0)
		return;
	kill(n->pid, SIGTERM);
	while (waitpid(n->pid, &st, WNOHANG) == 0) {
		if (nodes_now_ms() > deadline) {
			kill(n->pid, SIGKILL);
			waitpid(n->pid, &st, 0);
			break;
		}
		poll(NULL, 0, 20);
	}
	n->pid = -1;
}
