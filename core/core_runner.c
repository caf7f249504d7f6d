#include "core/core_runner.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "core/core_exec.h"

#define RUNNER_READ_MAX (16u << 20) /* per poll: ~0.1 s of work, 80 MiB/s at a 200 ms tick */
#define RUNNER_LINE_MAX (64u << 10) /* a longer line is delivered in pieces */
#define RUNNER_MIGS_MAX 1024	    /* "migrated up to" lines kept for the schema check */
#define RUNNER_CHUNK    65536
#define RUNNER_READY_MS 10000 /* the supervisor reports within this */

/* A "<sub> migrated up to: <name> (...)" line, for the schema_meta check. */
struct runner_mig {
	char *sub;
	char *name;
	bool pending;
};

struct core_runner_run {
	struct core_runner_info info;
	int log_fd;
	off_t offset;
	char *rem; /* bytes read after the last newline */
	size_t rem_len;
	size_t rem_cap;
	struct runner_mig *migs;
	size_t n_migs;
	size_t cap_migs;
};

/* Everything the supervisor needs, prepared before fork so that it does not
 * allocate (the wizard may have threads, e.g. libcurl's resolver). */
struct runner_plan {
	char **argv;
	char **envp;
	const char *dir;
	const char *run_json_head; /* run.json without the pids and closing brace */
	int log_fd;
	int lock_fd;
	int ready_fd;
};

/* What the supervisor tells the starting wizard. */
struct runner_ready {
	pid_t supervisor;
	pid_t child;
	int exec_errno;
};

/* Now in UTC: "2026-11-26T09:30:00Z", or "20261126T093000Z" for run ids. */
static void runner_time(char *buf, size_t size, bool compact)
{
	struct tm tm;
	time_t now = time(NULL);
	size_t n;

	gmtime_r(&now, &tm);
	if (compact)
		n = strftime(buf, size, "%Y%m%dT%H%M%SZ", &tm);
	else
		n = strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (n == 0 && size > 0)
		buf[0] = '\0';
}

static int runner_write_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, s, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		len -= (size_t)w;
	}
	return 0;
}

static int runner_write_str(int fd, const char *s)
{
	return runner_write_all(fd, s, strlen(s));
}

/* Writes dir/name as head + tail via a temporary file, fsync and rename, so a
 * reader sees the old file or the whole new one. No allocation. */
static int runner_write_atomic(const char *dir, const char *name, const char *head,
			       const char *tail)
{
	char tmp[4200], path[4200];
	int fd = -1, dfd = -1, rc = -1;

	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		goto out;
	if (runner_write_str(fd, head) < 0 || runner_write_str(fd, tail) < 0 || fsync(fd) < 0)
		goto out;
	if (close(fd) < 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto out;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		fsync(dfd);
	rc = 0;
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	if (dfd >= 0)
		close(dfd);
	return rc;
}

/* Appends s shell-quoted (for a person to read; nothing executes it). */
static void runner_quote_arg(char *buf, size_t size, const char *s)
{
	size_t len = strlen(buf);
	const char *p;

	if (*s != '\0' && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				    "0123456789_./:=@%+,-") == strlen(s)) {
		snprintf(buf + len, size - len, "%s", s);
		return;
	}
	snprintf(buf + len, size - len, "'");
	for (p = s; *p != '\0'; p++) {
		len = strlen(buf);
		if (*p == '\'')
			snprintf(buf + len, size - len, "'\\''");
		else
			snprintf(buf + len, size - len, "%c", *p);
	}
	len = strlen(buf);
	snprintf(buf + len, size - len, "'");
}

static void runner_quote_argv(char *buf, size_t size, const char *const *argv, size_t argc)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < argc; i++) {
		size_t len = strlen(buf);

		if (i > 0)
			snprintf(buf + len, size - len, " ");
		runner_quote_arg(buf, size, argv[i]);
	}
}

/* --- the supervisor (after the double fork) --- */

/* The command: its own process group in the supervisor's session, stdin
 * /dev/null and stdout/stderr the log (already fds 0-2), SIGHUP ignored. */
static _Noreturn void runner_exec_child(const struct runner_plan *pl, int errfd)
{
	sigset_t none;
	int e;

	setpgid(0, 0);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(pl->argv[0], pl->argv, pl->envp);
	e = errno;
	if (write(errfd, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

/* Moves the log, lock and ready descriptors to 3, 4 and 5, points 0 at
 * /dev/null and 1, 2 at the log, and closes everything else inherited. */
static int runner_supervisor_fds(const struct runner_plan *pl)
{
	int hi[3] = {pl->log_fd, pl->lock_fd, pl->ready_fd};
	int null, i;

	for (i = 0; i < 3; i++) {
		hi[i] = fcntl(hi[i], F_DUPFD_CLOEXEC, 10);
		if (hi[i] < 0)
			return -1;
	}
	for (i = 0; i < 3; i++) {
		if (dup3(hi[i], 3 + i, O_CLOEXEC) < 0)
			return -1;
	}
	if (close_range(6, ~0U, 0) < 0) {
		long max = sysconf(_SC_OPEN_MAX);

		for (i = 6; i < (max > 0 && max < 65536 ? max : 65536); i++)
			close(i);
	}
	null = open("/dev/null", O_RDWR);
	if (null < 0 || dup2(null, 0) < 0 || dup2(3, 1) < 0 || dup2(3, 2) < 0)
		return -1;
	if (null > 2)
		close(null);
	return 0;
}

/* Makes sure the log ends with a newline before the supervisor's last line. */
static void runner_log_newline(int fd)
{
	struct stat st;
	char c = '\n';

	if (fstat(fd, &st) == 0 && st.st_size > 0 && pread(fd, &c, 1, st.st_size - 1) == 1 &&
	    c != '\n')
		runner_write_str(fd, "\n");
}

/* Appends the last log line and writes status.json for wait status st. */
static void runner_finish(const struct runner_plan *pl, int st, int exec_errno)
{
	char line[512], status[256], when[32];
	const char *abbrev;

	runner_time(when, sizeof(when), false);
	runner_log_newline(3);
	if (exec_errno != 0) {
		snprintf(line, sizeof(line), "# cannot execute %s: %s\n", pl->argv[0],
			 strerror(exec_errno));
		runner_write_str(3, line);
		st = 127 << 8;
	}
	if (WIFSIGNALED(st)) {
		abbrev = sigabbrev_np(WTERMSIG(st));
		snprintf(line, sizeof(line), "# finished %s: killed by signal %d (SIG%s)\n", when,
			 WTERMSIG(st), abbrev != NULL ? abbrev : "?");
		snprintf(status, sizeof(status),
			 "{\"exit_code\": null, \"signal\": %d, \"signal_name\": \"SIG%s\", "
			 "\"ended\": \"%s\"}\n",
			 WTERMSIG(st), abbrev != NULL ? abbrev : "?", when);
	} else {
		snprintf(line, sizeof(line), "# finished %s: exit code %d\n", when,
			 WEXITSTATUS(st));
		snprintf(status, sizeof(status),
			 "{\"exit_code\": %d, \"signal\": null, \"ended\": \"%s\"}\n",
			 WEXITSTATUS(st), when);
	}
	runner_write_str(3, line);
	fsync(3);
	runner_write_atomic(pl->dir, "status.json", status, "");
}

static _Noreturn void runner_supervise(const struct runner_plan *pl)
{
	struct runner_ready ready = {getpid(), -1, 0};
	char tail[256];
	int px[2] = {-1, -1};
	sigset_t none;
	int st = 0;
	ssize_t n;

	/* The wizard's terminal going away must not stop the supervisor. */
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (runner_supervisor_fds(pl) < 0)
		_exit(1);
	if (pipe2(px, O_CLOEXEC) < 0) {
		ready.exec_errno = errno;
	} else {
		ready.child = fork();
		if (ready.child < 0)
			ready.exec_errno = errno;
		if (ready.child == 0)
			runner_exec_child(pl, px[1]);
		close(px[1]);
		if (ready.child > 0)
			setpgid(ready.child, ready.child);
		do
			n = read(px[0], &ready.exec_errno, sizeof(ready.exec_errno));
		while (n < 0 && errno == EINTR);
		close(px[0]);
	}
	snprintf(tail, sizeof(tail), ", \"supervisor_pid\": %ld, \"child_pid\": %ld}\n",
		 (long)ready.supervisor, (long)(ready.child > 0 ? ready.child : 0));
	runner_write_atomic(pl->dir, "run.json", pl->run_json_head, tail);
	if (ready.exec_errno != 0) {
		/* Recorded before the wizard hears of it, so it finds the run
		 * finished, never running. */
		if (ready.child > 0)
			while (waitpid(ready.child, NULL, 0) < 0 && errno == EINTR)
				;
		runner_finish(pl, 0, ready.exec_errno);
		runner_write_all(5, (const char *)&ready, sizeof(ready));
		_exit(0);
	}
	runner_write_all(5, (const char *)&ready, sizeof(ready));
	close(5);
	while (waitpid(ready.child, &st, 0) < 0 && errno == EINTR)
		;
	runner_finish(pl, st, 0);
	/* Exiting releases the run lock (fd 4), after status.json is in place. */
	_exit(0);
}

/* --- reading a run directory --- */

static struct core_runner_run *runner_new(const char *runs, const char *id)
{
	struct core_runner_run *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->log_fd = -1;
	r->info.exit_code = -1;
	r->info.state = CORE_RUNNER_LOST;
	snprintf(r->info.id, sizeof(r->info.id), "%s", id);
	snprintf(r->info.dir, sizeof(r->info.dir), "%s/%s", runs, id);
	snprintf(r->info.log, sizeof(r->info.log), "%s/log", r->info.dir);
	return r;
}

/* Reads run.json when it is there (the supervisor writes it once the
 * command has started); a missing file leaves the info as it is. */
static void runner_read_run_json(struct core_runner_run *r)
{
	char path[4200];
	const char *argv[256];
	json_t *root = NULL, *cmd, *v;
	size_t i, argc = 0;

	snprintf(path, sizeof(path), "%s/run.json", r->info.dir);
	root = json_load_file(path, 0, NULL);
	if (root == NULL)
		return;
	if ((v = json_object_get(root, "started")) != NULL && json_is_string(v))
		snprintf(r->info.started, sizeof(r->info.started), "%s", json_string_value(v));
	if ((v = json_object_get(root, "supervisor_pid")) != NULL && json_is_integer(v))
		r->info.supervisor_pid = (pid_t)json_integer_value(v);
	if ((v = json_object_get(root, "child_pid")) != NULL && json_is_integer(v))
		r->info.child_pid = (pid_t)json_integer_value(v);
	cmd = json_object_get(root, "command");
	if (json_is_array(cmd)) {
		for (i = 0; i < json_array_size(cmd) && argc < sizeof(argv) / sizeof(argv[0]);
		     i++) {
			v = json_array_get(cmd, i);
			if (json_is_string(v))
				argv[argc++] = json_string_value(v);
		}
		runner_quote_argv(r->info.command, sizeof(r->info.command), argv, argc);
	}
	json_decref(root);
}

/* 1 when status.json is there (info filled), 0 when not. */
static int runner_read_status(struct core_runner_run *r)
{
	char path[4200];
	json_t *root = NULL, *v;

	snprintf(path, sizeof(path), "%s/status.json", r->info.dir);
	if (access(path, F_OK) < 0)
		return 0;
	root = json_load_file(path, 0, NULL);
	if (root == NULL)
		return 0;
	r->info.exit_code = -1;
	r->info.signal = 0;
	if ((v = json_object_get(root, "exit_code")) != NULL && json_is_integer(v))
		r->info.exit_code = (int)json_integer_value(v);
	if ((v = json_object_get(root, "signal")) != NULL && json_is_integer(v))
		r->info.signal = (int)json_integer_value(v);
	if ((v = json_object_get(root, "ended")) != NULL && json_is_string(v))
		snprintf(r->info.ended, sizeof(r->info.ended), "%s", json_string_value(v));
	json_decref(root);
	return 1;
}

/* 1 when someone (the supervisor) holds the run lock, 0 when not. */
static int runner_lock_held(const char *dir)
{
	char path[4200];
	int fd, held = 0;

	snprintf(path, sizeof(path), "%s/lock", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while (flock(fd, LOCK_SH | LOCK_NB) < 0) {
		if (errno != EINTR) {
			held = errno == EWOULDBLOCK;
			break;
		}
	}
	close(fd);
	return held;
}

enum core_runner_state core_runner_refresh(struct core_runner_run *r)
{
	if (r->info.state == CORE_RUNNER_FINISHED)
		return r->info.state;
	if (r->info.supervisor_pid == 0)
		runner_read_run_json(r);
	if (runner_read_status(r)) {
		r->info.state = CORE_RUNNER_FINISHED;
	} else if (runner_lock_held(r->info.dir)) {
		r->info.state = CORE_RUNNER_RUNNING;
	} else {
		/* The supervisor may have written status.json and exited between
		 * the two looks. */
		r->info.state = runner_read_status(r) ? CORE_RUNNER_FINISHED : CORE_RUNNER_LOST;
	}
	return r->info.state;
}

static int runner_load(const char *runs, const char *id, struct core_runner_run **out,
		       struct core_error *err)
{
	struct core_runner_run *r = runner_new(runs, id);

	if (r == NULL)
		return core_error_set(err, "out of memory reading run %s", id);
	runner_read_run_json(r);
	core_runner_refresh(r);
	*out = r;
	return 0;
}

static bool runner_is_id(const char *name)
{
	return name[0] >= '0' && name[0] <= '9' && strchr(name, '/') == NULL;
}

/* The latest run in runs (the directory): `current`, else the newest id. */
static int runner_find_in(const char *runs, struct core_runner_run **out, struct core_error *err)
{
	char link[4200], id[64] = "";
	struct dirent **names = NULL;
	struct stat st;
	ssize_t n;
	int i, count, rc = -1;

	*out = NULL;
	snprintf(link, sizeof(link), "%s/current", runs);
	n = readlink(link, id, sizeof(id) - 1);
	if (n > 0) {
		id[n] = '\0';
		snprintf(link, sizeof(link), "%s/%s", runs, id);
		if (runner_is_id(id) && stat(link, &st) == 0 && S_ISDIR(st.st_mode))
			return runner_load(runs, id, out, err);
		id[0] = '\0';
	}
	count = scandir(runs, &names, NULL, NULL);
	if (count < 0) {
		if (errno == ENOENT)
			return 0;
		return core_error_errno(err, errno, "cannot list %s", runs);
	}
	for (i = 0; i < count; i++) {
		const char *name = names[i]->d_name;

		snprintf(link, sizeof(link), "%s/%s", runs, name);
		if (runner_is_id(name) && strlen(name) < sizeof(id) && stat(link, &st) == 0 &&
		    S_ISDIR(st.st_mode) && (id[0] == '\0' || strverscmp(name, id) > 0))
			snprintf(id, sizeof(id), "%.63s", name);
	}
	rc = id[0] != '\0' ? runner_load(runs, id, out, err) : 0;
	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
	return rc;
}

int core_runner_find(const char *state_dir, struct core_runner_run **out, struct core_error *err)
{
	char runs[4200];

	*out = NULL;
	if (strlen(state_dir) > 3800)
		return core_error_set(err, "state directory path too long: %.64s...", state_dir);
	snprintf(runs, sizeof(runs), "%s/runs", state_dir);
	return runner_find_in(runs, out, err);
}

/* --- starting --- */

static int runner_mkdir(const char *path, struct core_error *err)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return core_error_errno(err, errno, "cannot create %s", path);
	return 0;
}

/* Refuses when the latest run is still going. */
static int runner_check_idle(const char *runs, struct core_error *err)
{
	struct core_runner_run *prev = NULL;
	const struct core_runner_info *i;
	int rc = -1;

	if (runner_find_in(runs, &prev, err) < 0) {
		core_error_prefix(err, "cannot tell whether a run is in progress");
		return -1;
	}
	if (prev == NULL)
		return 0;
	i = &prev->info;
	if (i->state == CORE_RUNNER_RUNNING) {
		core_error_set(err,
			       "another run is in progress: run %s (%s), started %s, "
			       "supervisor pid %ld, command pid %ld; its log is %s",
			       i->id, i->command[0] != '\0' ? i->command : "starting",
			       i->started[0] != '\0' ? i->started : "just now",
			       (long)i->supervisor_pid, (long)i->child_pid, i->log);
		goto out;
	}
	if (i->state == CORE_RUNNER_LOST && i->child_pid > 0 && kill(i->child_pid, 0) == 0) {
		core_error_set(err,
			       "run %s (%s) lost its supervisor but its command (pid %ld) "
			       "is still alive; wait for it to end (or stop it) before "
			       "starting another; its log is %s",
			       i->id, i->command, (long)i->child_pid, i->log);
		goto out;
	}
	rc = 0;
out:
	core_runner_free(prev);
	return rc;
}

/* Creates runs/<id> with a fresh id. */
static int runner_make_dir(const char *runs, char *id, size_t id_size, struct core_error *err)
{
	char stamp[32], path[4200];
	int k;

	runner_time(stamp, sizeof(stamp), true);
	for (k = 1; k < 1000; k++) {
		snprintf(id, id_size, "%s-%d", stamp, k);
		snprintf(path, sizeof(path), "%s/%s", runs, id);
		if (mkdir(path, 0700) == 0)
			return 0;
		if (errno != EEXIST)
			return core_error_errno(err, errno, "cannot create %s", path);
	}
	return core_error_set(err, "cannot create a run directory in %s: too many runs at %s", runs,
			      stamp);
}

/* The log's first lines: what runs, when, and which variables were set or
 * unset (names only: values may be secrets). */
static int runner_write_header(int fd, const char *id, const char *started, const char *command,
			       const char *const *env_extra)
{
	char buf[8192];
	size_t len, i;

	snprintf(buf, sizeof(buf), "# kong-upgrade-wizard run %s\n# started %s\n# command: %s\n",
		 id, started, command);
	if (env_extra != NULL && env_extra[0] != NULL) {
		len = strlen(buf);
		snprintf(buf + len, sizeof(buf) - len, "# environment:");
		for (i = 0; env_extra[i] != NULL; i++) {
			len = strlen(buf);
			snprintf(buf + len, sizeof(buf) - len, "%s %s %.*s", i > 0 ? "," : "",
				 strchr(env_extra[i], '=') != NULL ? "set" : "unset",
				 (int)strcspn(env_extra[i], "="), env_extra[i]);
		}
		len = strlen(buf);
		snprintf(buf + len, sizeof(buf) - len, "\n");
	}
	return runner_write_str(fd, buf);
}

/* {"id": ..., "started": ..., "command": [...] — the supervisor adds the pids. */
static char *runner_json_head(const char *id, const char *started, const char *const *argv)
{
	json_t *arr = json_array();
	char *dump = NULL, *head = NULL;
	size_t i;

	if (arr == NULL)
		return NULL;
	for (i = 0; argv[i] != NULL; i++) {
		if (json_array_append_new(arr, json_string(argv[i])) < 0)
			goto out;
	}
	dump = json_dumps(arr, JSON_COMPACT);
	if (dump == NULL)
		goto out;
	if (asprintf(&head, "{\"id\": \"%s\", \"started\": \"%s\", \"command\": %s", id, started,
		     dump) < 0)
		head = NULL;
out:
	free(dump);
	json_decref(arr);
	return head;
}

/* Waits for the supervisor's report; -1 when it died or stayed silent. */
static int runner_read_ready(int fd, struct runner_ready *ready)
{
	struct timespec t0, t;
	size_t got = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (got < sizeof(*ready)) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		long left;
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &t);
		left = RUNNER_READY_MS -
		       ((t.tv_sec - t0.tv_sec) * 1000L + (t.tv_nsec - t0.tv_nsec) / 1000000L);
		if (left <= 0)
			return -1;
		if (poll(&pfd, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		n = read(fd, (char *)ready + got, sizeof(*ready) - got);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

static int runner_set_current(const char *runs, const char *id, struct core_error *err)
{
	char tmp[4200], path[4200];

	snprintf(tmp, sizeof(tmp), "%s/.current.tmp", runs);
	snprintf(path, sizeof(path), "%s/current", runs);
	unlink(tmp);
	if (symlink(id, tmp) < 0 || rename(tmp, path) < 0)
		return core_error_errno(err, errno, "cannot point %s at run %s", path, id);
	return 0;
}

int core_runner_start(const char *state_dir, const char *const *argv, const char *const *env_extra,
		      struct core_runner_run **out, struct core_error *err)
{
	struct runner_plan pl = {.log_fd = -1, .lock_fd = -1, .ready_fd = -1};
	struct runner_ready ready = {0};
	char runs[4200], path[4400], dir[4300], exe[4096], id[64], started[32];
	char command[4096];
	char **av = NULL;
	char **envp = NULL;
	char *head = NULL;
	int start_fd = -1, log_fd = -1, lock_fd = -1;
	int pr[2] = {-1, -1};
	size_t argc = 0;
	pid_t a;
	int rc = -1;

	*out = NULL;
	if (argv == NULL || argv[0] == NULL)
		return core_error_set(err, "no command to run");
	if (strlen(state_dir) > 3800)
		return core_error_set(err, "state directory path too long: %.64s...", state_dir);
	if (core_exec_which(argv[0], exe, sizeof(exe), err) < 0)
		return -1;
	while (argv[argc] != NULL)
		argc++;
	snprintf(runs, sizeof(runs), "%s/runs", state_dir);
	if (runner_mkdir(state_dir, err) < 0 || runner_mkdir(runs, err) < 0)
		return -1;

	/* Two wizards starting at the same moment: one waits for the other. */
	snprintf(path, sizeof(path), "%s/start.lock", runs);
	start_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (start_fd < 0) {
		core_error_errno(err, errno, "cannot open %s", path);
		goto out;
	}
	while (flock(start_fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			core_error_errno(err, errno, "cannot lock %s", path);
			goto out;
		}
	}
	if (runner_check_idle(runs, err) < 0)
		goto out;
	if (runner_make_dir(runs, id, sizeof(id), err) < 0)
		goto out;
	snprintf(dir, sizeof(dir), "%s/%s", runs, id);
	runner_time(started, sizeof(started), false);
	runner_quote_argv(command, sizeof(command), argv, argc);

	snprintf(path, sizeof(path), "%s/log", dir);
	log_fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
	if (log_fd < 0 || runner_write_header(log_fd, id, started, command, env_extra) < 0) {
		core_error_errno(err, errno, "cannot write %s", path);
		goto out;
	}
	/* Taken here and inherited by the supervisor, so the run counts as
	 * running from the moment this function returns. */
	snprintf(path, sizeof(path), "%s/lock", dir);
	lock_fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB) < 0) {
		core_error_errno(err, errno, "cannot lock %s", path);
		goto out;
	}
	av = calloc(argc + 1, sizeof(*av));
	envp = core_exec_env(env_extra);
	head = runner_json_head(id, started, argv);
	if (av == NULL || envp == NULL || head == NULL) {
		core_error_set(err, "out of memory starting %s", argv[0]);
		goto out;
	}
	memcpy(av, argv, argc * sizeof(*av));
	av[0] = exe;
	if (pipe2(pr, O_CLOEXEC) < 0) {
		core_error_errno(err, errno, "cannot start %s: pipe", argv[0]);
		goto out;
	}
	pl.argv = av;
	pl.envp = envp;
	pl.dir = dir;
	pl.run_json_head = head;
	pl.log_fd = log_fd;
	pl.lock_fd = lock_fd;
	pl.ready_fd = pr[1];
	a = fork();
	if (a < 0) {
		core_error_errno(err, errno, "cannot start %s: fork", argv[0]);
		goto out;
	}
	if (a == 0) {
		/* A new session, then a second fork so the supervisor is not a
		 * session leader (it can never get a controlling terminal) and
		 * is reparented away from the wizard at once. */
		pid_t s;

		if (setsid() < 0)
			_exit(1);
		s = fork();
		if (s != 0)
			_exit(s < 0 ? 1 : 0);
		runner_supervise(&pl);
	}
	close(pr[1]);
	pr[1] = -1;
	while (waitpid(a, NULL, 0) < 0 && errno == EINTR)
		;
	if (runner_read_ready(pr[0], &ready) < 0) {
		core_error_set(err,
			       "the supervisor of run %s did not report within %d s; see %s/log",
			       id, RUNNER_READY_MS / 1000, dir);
		goto out;
	}
	if (runner_set_current(runs, id, err) < 0)
		goto out;
	if (ready.exec_errno != 0) {
		core_error_errno(err, ready.exec_errno, "cannot execute %s (run %s)", exe, id);
		goto out;
	}
	if (runner_load(runs, id, out, err) < 0)
		goto out;
	rc = 0;
out:
	if (pr[0] >= 0)
		close(pr[0]);
	if (pr[1] >= 0)
		close(pr[1]);
	/* Closing our copy keeps the lock: the supervisor holds the same
	 * open file description. */
	if (lock_fd >= 0)
		close(lock_fd);
	if (log_fd >= 0)
		close(log_fd);
	if (start_fd >= 0)
		close(start_fd);
	free(head);
	free(envp);
	free(av);
	return rc;
}

/* --- following the log --- */

static int runner_add_mig(struct core_runner_run *r, const char *sub, size_t sub_len,
			  const char *name, size_t name_len, bool pending)
{
	struct runner_mig *m;

	/* Kong prints one such line per migration (a few dozen); a log that
	 * prints thousands is not Kong's, and memory must stay flat. */
	if (r->n_migs == RUNNER_MIGS_MAX)
		return 0;
	if (r->n_migs == r->cap_migs) {
		size_t cap = r->cap_migs == 0 ? 16 : r->cap_migs * 2;

		m = realloc(r->migs, cap * sizeof(*m));
		if (m == NULL)
			return -1;
		r->migs = m;
		r->cap_migs = cap;
	}
	m = &r->migs[r->n_migs];
	m->sub = strndup(sub, sub_len);
	m->name = strndup(name, name_len);
	m->pending = pending;
	if (m->sub == NULL || m->name == NULL) {
		free(m->sub);
		free(m->name);
		return -1;
	}
	r->n_migs++;
	return 0;
}

/* Skips the "YYYY/MM/DD HH:MM:SS [level] " prefix of --v output (§1.2). */
static const char *runner_strip_prefix(const char *line)
{
	const char *end;

	if (strlen(line) > 21 && line[4] == '/' && line[7] == '/' && line[10] == ' ' &&
	    line[13] == ':' && line[19] == ' ' && line[20] == '[' &&
	    (end = strstr(line + 20, "] ")) != NULL)
		return end + 2;
	return line;
}

/* Kong's lines of reference kong-migrations.md §1.7 and §1.2. */
static int runner_parse_line(struct core_runner_run *r, struct core_runner_progress *p,
			     const char *line)
{
	const char *s, *up, *open;
	char *end;
	unsigned long long n;

	if (line[0] == '#')
		return 0;
	s = runner_strip_prefix(line);
	if (strncmp(s, "Error: ", 7) == 0) {
		if (p->error[0] == '\0')
			snprintf(p->error, sizeof(p->error), "%s", s);
		return 0;
	}
	if (strncmp(s, "migrating ", 10) == 0 && strstr(s, " on ") != NULL) {
		snprintf(p->subsystem, sizeof(p->subsystem), "%.*s", (int)strcspn(s + 10, " "),
			 s + 10);
		return 0;
	}
	up = strstr(s, " migrated up to: ");
	if (up != NULL && up > s && strchr(s, ' ') == up) {
		const char *name = up + 17;
		bool pending;

		open = strrchr(name, '(');
		if (open == NULL || open == name || open[-1] != ' ')
			return 0;
		pending = strcmp(open, "(pending)") == 0;
		if (!pending && strcmp(open, "(executed)") != 0)
			return 0;
		p->done++;
		snprintf(p->last, sizeof(p->last), "%.*s: %.*s", (int)(up - s), s,
			 (int)(open - 1 - name), name);
		return runner_add_mig(r, s, (size_t)(up - s), name, (size_t)(open - 1 - name),
				      pending);
	}
	if (s[0] >= '0' && s[0] <= '9') {
		n = strtoull(s, &end, 10);
		if (strcmp(end, " migration processed") == 0 ||
		    strcmp(end, " migrations processed") == 0)
			p->processed = (size_t)n;
	}
	return 0;
}

static int runner_deliver(struct core_runner_run *r, struct core_runner_progress *p, char *line,
			  void (*on_line)(void *ctx, const char *line), void *ctx)
{
	size_t len = strlen(line);

	if (len > 0 && line[len - 1] == '\r')
		line[len - 1] = '\0';
	if (on_line != NULL)
		on_line(ctx, line);
	return runner_parse_line(r, p, line);
}

/* Hands out the complete lines of r->rem and keeps the rest. */
static int runner_split(struct core_runner_run *r, struct core_runner_progress *p,
			void (*on_line)(void *ctx, const char *line), void *ctx)
{
	size_t start = 0;
	char *nl;

	while (start < r->rem_len &&
	       (nl = memchr(r->rem + start, '\n', r->rem_len - start)) != NULL) {
		*nl = '\0';
		if (runner_deliver(r, p, r->rem + start, on_line, ctx) < 0)
			return -1;
		start = (size_t)(nl - r->rem) + 1;
	}
	memmove(r->rem, r->rem + start, r->rem_len - start);
	r->rem_len -= start;
	if (r->rem_len >= RUNNER_LINE_MAX) {
		r->rem[r->rem_len] = '\0';
		r->rem_len = 0;
		return runner_deliver(r, p, r->rem, on_line, ctx);
	}
	return 0;
}

int core_runner_poll(struct core_runner_run *r, struct core_runner_progress *p,
		     void (*on_line)(void *ctx, const char *line), void *ctx,
		     struct core_error *err)
{
	enum core_runner_state st;
	size_t total = 0;
	bool eof = false;

	/* The state first: once FINISHED, everything the command wrote is
	 * in the log before we read it. */
	st = core_runner_refresh(r);
	if (r->log_fd < 0) {
		r->log_fd = open(r->info.log, O_RDONLY | O_CLOEXEC);
		if (r->log_fd < 0)
			return core_error_errno(err, errno, "cannot open %s", r->info.log);
	}
	while (!eof && total < RUNNER_READ_MAX) {
		ssize_t n;

		if (r->rem_cap - r->rem_len < RUNNER_CHUNK + 1) {
			size_t cap = r->rem_len + RUNNER_CHUNK + 1;
			char *b = realloc(r->rem, cap);

			if (b == NULL)
				return core_error_set(err, "out of memory reading %s", r->info.log);
			r->rem = b;
			r->rem_cap = cap;
		}
		n = pread(r->log_fd, r->rem + r->rem_len, RUNNER_CHUNK, r->offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return core_error_errno(err, errno, "cannot read %s", r->info.log);
		if (n == 0) {
			eof = true;
			break;
		}
		r->offset += n;
		r->rem_len += (size_t)n;
		total += (size_t)n;
		if (runner_split(r, p, on_line, ctx) < 0)
			return core_error_set(err, "out of memory reading %s", r->info.log);
	}
	if (eof && st == CORE_RUNNER_FINISHED && r->rem_len > 0) {
		r->rem[r->rem_len] = '\0';
		r->rem_len = 0;
		if (runner_deliver(r, p, r->rem, on_line, ctx) < 0)
			return core_error_set(err, "out of memory reading %s", r->info.log);
	}
	p->state = st;
	p->exit_code = r->info.exit_code;
	p->signal = r->info.signal;
	return 0;
}

static bool runner_in(char *const *list, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(list[i], name) == 0)
			return true;
	}
	return false;
}

int core_runner_check_schema(const struct core_runner_run *r, const struct core_schema_row *rows,
			     size_t n_rows, struct core_error *err)
{
	size_t i, j;

	for (i = 0; i < r->n_migs; i++) {
		const struct runner_mig *m = &r->migs[i];
		const struct core_schema_row *row = NULL;

		for (j = 0; j < n_rows && row == NULL; j++) {
			if (strcmp(rows[j].subsystem, m->sub) == 0)
				row = &rows[j];
		}
		if (row == NULL)
			return core_error_set(err,
					      "the log says %s migrated up to %s, but "
					      "schema_meta has no row for %s",
					      m->sub, m->name, m->sub);
		if (m->pending ? !runner_in(row->pending, row->n_pending, m->name)
			       : !runner_in(row->executed, row->n_executed, m->name))
			return core_error_set(err,
					      "the log says %s migrated up to %s (%s), but "
					      "schema_meta does not list it as %s",
					      m->sub, m->name, m->pending ? "pending" : "executed",
					      m->pending ? "pending" : "executed");
	}
	return 0;
}

const struct core_runner_info *core_runner_info(const struct core_runner_run *r)
{
	return &r->info;
}

const char *core_runner_state_name(enum core_runner_state s)
{
	switch (s) {
	case CORE_RUNNER_RUNNING:
		return "running";
	case CORE_RUNNER_FINISHED:
		return "finished";
	case CORE_RUNNER_LOST:
		return "lost";
	}
	return "unknown";
}

void core_runner_free(struct core_runner_run *r)
{
	size_t i;

	if (r == NULL)
		return;
	if (r->log_fd >= 0)
		close(r->log_fd);
	for (i = 0; i < r->n_migs; i++) {
		free(r->migs[i].sub);
		free(r->migs[i].name);
	}
	free(r->migs);
	free(r->rem);
	free(r);
}
