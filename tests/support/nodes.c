#include "tests/support/nodes.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long nodes_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* In the child: enter the namespace named ns (none when NULL). */
static int nodes_enter(const char *ns)
{
	char path[300];
	int fd, rc;

	if (ns == NULL)
		return 0;
	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = setns(fd, CLONE_NEWNET);
	close(fd);
	return rc;
}

int node_start(struct node *n, const char *kong_sim, const char *kconf, const char *version,
	       const char *profile, const char *token_file, struct core_error *err)
{
	return node_start_with(n, NULL, kong_sim, kconf, version, profile, token_file, err);
}

int node_start_with(struct node *n, const struct node_options *o, const char *kong_sim,
		    const char *kconf, const char *version, const char *profile,
		    const char *token_file, struct core_error *err)
{
	const char *argv[20];
	const char *addr = o != NULL && o->addr != NULL ? o->addr : "127.0.0.1";
	const char *ns = o != NULL ? o->netns : NULL;
	char line[256] = "", listen[64], want[80], dbn[16];
	char *end = NULL;
	long port = 0;
	size_t len = 0;
	long deadline = nodes_now_ms() + 15000;
	pid_t parent = getpid();
	int pfd[2], ac = 0;

	memset(n, 0, sizeof(*n));
	snprintf(listen, sizeof(listen), "%s:%d", addr, o != NULL ? o->port : 0);
	snprintf(want, sizeof(want), "listening on %s:", addr);
	argv[ac++] = kong_sim;
	argv[ac++] = "serve";
	argv[ac++] = "--listen";
	argv[ac++] = listen;
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
	if (o != NULL && o->db_connections > 0) {
		snprintf(dbn, sizeof(dbn), "%d", o->db_connections);
		argv[ac++] = "--db-connections";
		argv[ac++] = dbn;
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

		/* Its complaint, if any, ends up in our error message. */
		dup2(null, STDIN_FILENO);
		dup2(pfd[1], STDERR_FILENO);
		dup2(pfd[1], STDOUT_FILENO);
		/* A node left behind by a crashed caller would hold its datastore
		 * connections (and its namespace) forever. */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
			_exit(126);
		if (nodes_enter(ns) < 0) {
			dprintf(STDERR_FILENO, "cannot enter network namespace %s: %s\n", ns,
				strerror(errno));
			_exit(126);
		}
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
	if (strncmp(line, want, strlen(want)) == 0)
		port = strtol(line + strlen(want), &end, 10);
	if (end == NULL || *end != '\n' || port <= 0 || port > 65535) {
		node_stop(n);
		line[strcspn(line, "\n")] = '\0';
		return core_error_set(err,
				      "%s serve --version %s did not start listening on %s%s%s "
				      "within 15 s%s%s",
				      kong_sim, version, addr,
				      ns != NULL ? " in network namespace " : "",
				      ns != NULL ? ns : "", line[0] != '\0' ? ": " : "", line);
	}
	n->port = (int)port;
	snprintf(n->url, sizeof(n->url), "http://%s:%d", addr, n->port);
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
