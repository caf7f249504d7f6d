#include "core/core_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct exec_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
};

int core_exec_which(const char *name, char *out, size_t size, struct core_error *err)
{
	const char *path = getenv("PATH");
	const char *p;

	if (strchr(name, '/') != NULL) {
		if (access(name, X_OK) < 0)
			return core_error_errno(err, errno, "cannot execute %s", name);
		snprintf(out, size, "%s", name);
		return 0;
	}
	if (path == NULL || *path == '\0')
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; *p != '\0';) {
		size_t n = strcspn(p, ":");

		if (n > 0 && (int)n < (int)size - 2) {
			snprintf(out, size, "%.*s/%s", (int)n, p, name);
			if (access(out, X_OK) == 0)
				return 0;
		}
		p += n;
		if (*p == ':')
			p++;
	}
	return core_error_set(err, "%s: command not found in PATH (%s)", name, path);
}

/* Does the environment entry var match the name (or "PREFIX*") of spec,
 * where spec is "NAME=value", "NAME" or "PREFIX*"? */
static int exec_env_matches(const char *spec, const char *var)
{
	size_t n = strcspn(spec, "=");

	if (spec[n] == '\0' && n > 0 && spec[n - 1] == '*')
		return strncmp(spec, var, n - 1) == 0;
	return strncmp(spec, var, n) == 0 && var[n] == '=';
}

char **core_exec_env(const char *const *extra)
{
	size_t n = 0, m = 0, o = 0, i, j;
	char **envp;

	while (environ[n] != NULL)
		n++;
	while (extra != NULL && extra[m] != NULL)
		m++;
	envp = calloc(n + m + 1, sizeof(*envp));
	if (envp == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		int replaced = 0;

		for (j = 0; j < m && !replaced; j++)
			replaced = exec_env_matches(extra[j], environ[i]);
		if (!replaced)
			envp[o++] = environ[i];
	}
	for (j = 0; j < m; j++)
		if (strchr(extra[j], '=') != NULL)
			memcpy(&envp[o++], &extra[j], sizeof(char *));
	return envp;
}

/* Reads what is available; 1 on EOF, 0 on data, -1 on error. */
static int exec_drain(int fd, struct exec_buf *b)
{
	char chunk[65536];
	ssize_t r = read(fd, chunk, sizeof(chunk));
	size_t keep;

	if (r < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	if (r == 0)
		return 1;
	keep = b->len + (size_t)r > b->max ? b->max - b->len : (size_t)r;
	if (b->len + keep + 1 > b->cap) {
		size_t cap = b->cap == 0 ? 4096 : b->cap;
		char *p;

		while (cap < b->len + keep + 1)
			cap *= 2;
		p = realloc(b->data, cap);
		if (p == NULL)
			return -1;
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, chunk, keep);
	b->len += keep;
	b->data[b->len] = '\0';
	return 0;
}

/* In the child: own process group (so a timeout kills its children too),
 * stdin from /dev/null, exec; an exec failure's errno goes back on errfd. */
static void exec_child(char **argv, char **envp, int out, int errp, int errfd)
{
	int null = open("/dev/null", O_RDONLY);
	int e;

	setpgid(0, 0);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
	    dup2(errp, STDERR_FILENO) < 0) {
		e = errno;
	} else {
		signal(SIGPIPE, SIG_DFL);
		execve(argv[0], argv, envp);
		e = errno;
	}
	if (write(errfd, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

static long exec_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int core_exec_capture(const char *const *argv, const char *const *env_extra, int timeout_ms,
		      size_t max_output, struct core_exec_result *res, struct core_error *err)
{
	struct exec_buf bufs[2] = { { 0 }, { 0 } };
	int fds[2] = { -1, -1 };
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, px[2] = { -1, -1 };
	char path[4096];
	char **envp = NULL;
	char **av = NULL;
	size_t argc = 0;
	long deadline = timeout_ms > 0 ? exec_now_ms() + timeout_ms : 0;
	pid_t pid = -1;
	int exec_errno = 0;
	int st = 0;
	int i, rc = -1;

	memset(res, 0, sizeof(*res));
	bufs[0].max = bufs[1].max = max_output > 0 ? max_output : 16u << 20;
	if (core_exec_which(argv[0], path, sizeof(path), err) < 0)
		return -1;
	while (argv[argc] != NULL)
		argc++;
	av = calloc(argc + 1, sizeof(*av));
	envp = core_exec_env(env_extra);
	if (av == NULL || envp == NULL) {
		core_error_set(err, "out of memory starting %s", argv[0]);
		goto out;
	}
	/* execve wants char *const[]; the strings are borrowed, never written. */
	memcpy(av, argv, argc * sizeof(*av));
	av[0] = path;
	if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0 || pipe2(px, O_CLOEXEC) < 0) {
		core_error_errno(err, errno, "cannot start %s: pipe", argv[0]);
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		core_error_errno(err, errno, "cannot start %s: fork", argv[0]);
		goto out;
	}
	if (pid == 0)
		exec_child(av, envp, po[1], pe[1], px[1]);
	setpgid(pid, pid);
	close(po[1]);
	close(pe[1]);
	close(px[1]);
	po[1] = pe[1] = px[1] = -1;
	fds[0] = po[0];
	fds[1] = pe[0];
	po[0] = pe[0] = -1;

	while (fds[0] >= 0 || fds[1] >= 0) {
		struct pollfd pfd[2] = { { .fd = fds[0], .events = POLLIN },
					 { .fd = fds[1], .events = POLLIN } };
		int wait = -1;
		int n;

		if (deadline != 0) {
			wait = (int)(deadline - exec_now_ms());
			if (wait <= 0) {
				res->timed_out = 1;
				kill(-pid, SIGKILL);
				break;
			}
		}
		n = poll(pfd, 2, wait);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			core_error_errno(err, errno, "reading the output of %s", argv[0]);
			goto out;
		}
		for (i = 0; i < 2; i++) {
			int d;

			if (fds[i] < 0 || pfd[i].revents == 0)
				continue;
			d = exec_drain(fds[i], &bufs[i]);
			if (d < 0) {
				core_error_errno(err, errno, "reading the output of %s", argv[0]);
				goto out;
			}
			if (d == 1) {
				close(fds[i]);
				fds[i] = -1;
			}
		}
	}
	while (read(px[0], &exec_errno, sizeof(exec_errno)) < 0 && errno == EINTR)
		;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	if (exec_errno != 0) {
		core_error_errno(err, exec_errno, "cannot execute %s", path);
		goto out;
	}
	res->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	for (i = 0; i < 2; i++) {
		if (bufs[i].data == NULL && (bufs[i].data = strdup("")) == NULL) {
			core_error_set(err, "out of memory");
			goto out;
		}
	}
	res->out = bufs[0].data;
	res->out_len = bufs[0].len;
	res->err = bufs[1].data;
	res->err_len = bufs[1].len;
	bufs[0].data = bufs[1].data = NULL;
	rc = 0;
out:
	for (i = 0; i < 2; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		if (po[i] >= 0)
			close(po[i]);
		if (pe[i] >= 0)
			close(pe[i]);
		if (px[i] >= 0)
			close(px[i]);
		free(bufs[i].data);
	}
	if (pid > 0) {
		kill(-pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	free(envp);
	free(av);
	return rc;
}

void core_exec_result_done(struct core_exec_result *res)
{
	if (res == NULL)
		return;
	free(res->out);
	free(res->err);
	res->out = res->err = NULL;
}
