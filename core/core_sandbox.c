/* core_sandbox.c — a private, throw-away PostgreSQL cluster.
 *
 * Process layout:
 *
 *   caller ──socketpair── guardian ──fork/exec── initdb, then postgres
 *
 * The guardian is forked right after the directory exists, so from then on a
 * caller that dies (even by SIGKILL) closes its end of the socket and the
 * guardian shuts the server down and removes the directory. The guardian runs
 * in its own session and ignores terminal signals: only EOF ends it.
 *
 * A socketpair is used instead of two pipes so that one descriptor carries
 * both directions and the caller can send with MSG_NOSIGNAL (no SIGPIPE when
 * the guardian is gone).
 *
 * Protocol, one byte per message:
 *   caller -> guardian: 'I' run initdb; 'S' + int port: start the postmaster;
 *                       'f' / 'i' fast / immediate restart; EOF: shut down.
 *   guardian -> caller: 'K' done; 'F' failed; 'X' the postmaster exited. */
#include "core/core_sandbox.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SANDBOX_SUPERUSER      "postgres"
#define SANDBOX_HOST           "127.0.0.1"
#define SANDBOX_PORT_TRIES     5
#define SANDBOX_STOP_GRACE_MS  10000
#define SANDBOX_QUIT_GRACE_MS  5000
#define SANDBOX_LOG_TAIL_LINES 5

struct core_sandbox {
	char dir[4096];
	char datadir[4200];
	char bindir[4096];
	char superuser[64];
	int port;
	char listen[1024]; /* listen_addresses */
	int timeout_ms;    /* for start and restart */
	int sock;          /* caller's end of the socketpair */
	pid_t guardian;
	int drop; /* run children as run_uid/run_gid */
	uid_t run_uid;
	gid_t run_gid;
	char run_user[64];
};

static long sandbox_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sandbox_sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int sandbox_has_server(const char *dir)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/initdb", dir);
	if (access(path, X_OK) != 0)
		return 0;
	snprintf(path, sizeof(path), "%s/postgres", dir);
	return access(path, X_OK) == 0;
}

/* The highest /usr/lib/postgresql/<major>/bin holding initdb and postgres. */
static int sandbox_find_debian_bindir(char *out, size_t size)
{
	DIR *d = NULL;
	struct dirent *de = NULL;
	char cand[4096];
	long best = -1;

	d = opendir("/usr/lib/postgresql");
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		char *end = NULL;
		long v = strtol(de->d_name, &end, 10);

		if (end == de->d_name || *end != '\0' || v <= best)
			continue;
		snprintf(cand, sizeof(cand), "/usr/lib/postgresql/%s/bin", de->d_name);
		if (!sandbox_has_server(cand))
			continue;
		best = v;
		snprintf(out, size, "%s", cand);
	}
	closedir(d);
	return best >= 0 ? 0 : -1;
}

static int sandbox_find_path_bindir(char *out, size_t size)
{
	const char *path = getenv("PATH");
	const char *p = NULL;

	if (path == NULL)
		return -1;
	for (p = path; *p != '\0';) {
		size_t len = strcspn(p, ":");

		if (len > 0 && len < size) {
			memcpy(out, p, len);
			out[len] = '\0';
			if (sandbox_has_server(out))
				return 0;
		}
		p += len;
		if (*p == ':')
			p++;
	}
	return -1;
}

static int sandbox_find_bindir(const char *want, char *out, size_t size, struct core_error *err)
{
	if (want != NULL) {
		if (!sandbox_has_server(want))
			return core_error_set(err, "no executable initdb and postgres in %s", want);
		snprintf(out, size, "%s", want);
		return 0;
	}
	if (sandbox_find_debian_bindir(out, size) == 0)
		return 0;
	if (sandbox_find_path_bindir(out, size) == 0)
		return 0;
	return core_error_set(err,
			      "no PostgreSQL server binaries (initdb and postgres) found: searched "
			      "/usr/lib/postgresql/*/bin and PATH");
}

/* A port the kernel considers free right now on 127.0.0.1. */
static int sandbox_free_port(struct core_error *err)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = -1;
	int port = -1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		core_error_errno(err, errno, "socket for a free port");
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = 0;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		core_error_errno(err, errno, "finding a free port on 127.0.0.1");
		goto out;
	}
	port = ntohs(sa.sin_port);
out:
	if (fd >= 0)
		close(fd);
	return port;
}

/* The last n lines of a log file, joined with " | ", into buf. */
static void sandbox_log_tail(const char *path, int n, char *buf, size_t size)
{
	FILE *f = NULL;
	char *data = NULL;
	long len = 0;
	long i = 0;
	int lines = 0;
	size_t o = 0;

	buf[0] = '\0';
	f = fopen(path, "re");
	if (f == NULL) {
		snprintf(buf, size, "(no %s)", path);
		goto out;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0)
		goto out;
	if (len > 8192) {
		if (fseek(f, -8192, SEEK_END) != 0)
			goto out;
		len = 8192;
	} else if (fseek(f, 0, SEEK_SET) != 0) {
		goto out;
	}
	data = malloc((size_t)len + 1);
	if (data == NULL)
		goto out;
	len = (long)fread(data, 1, (size_t)len, f);
	data[len] = '\0';
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		data[--len] = '\0';
	for (i = len; i > 0; i--) {
		if (data[i - 1] == '\n' && ++lines == n)
			break;
	}
	for (; i < len && o + 4 < size; i++) {
		if (data[i] == '\n') {
			memcpy(buf + o, " | ", 3);
			o += 3;
		} else if (data[i] != '\r') {
			buf[o++] = data[i];
		}
	}
	buf[o] = '\0';
out:
	free(data);
	if (f != NULL)
		fclose(f);
}

static int sandbox_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static void sandbox_rm_tree(const char *dir)
{
	nftw(dir, sandbox_rm_entry, 32, FTW_DEPTH | FTW_PHYS);
	rmdir(dir);
}

static int sandbox_send(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int sandbox_recv_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len > 0) {
		ssize_t r = read(fd, p, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

/* ---- in the guardian and its children (no return to the caller's code) ---- */

/* In a forked child: become the server user, clean the environment, send
 * output to log (append), and exec argv. Never returns. */
static void sandbox_child_exec(const struct core_sandbox *sb, const char *log, char *const argv[])
{
	char path_env[4200];
	char home_env[4200];
	char *envp[] = {"LC_ALL=C", path_env, home_env, NULL};
	pid_t guardian = getppid();
	sigset_t none;
	int fd = -1;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	if (sb->drop) {
		if (setgid(sb->run_gid) != 0 || initgroups(sb->run_user, sb->run_gid) != 0 ||
		    setuid(sb->run_uid) != 0)
			_exit(126);
	}
	/* Only a backstop for a killed guardian (which then cannot clean up):
	 * set after setuid, which clears it. */
	if (prctl(PR_SET_PDEATHSIG, SIGQUIT) != 0 || getppid() != guardian)
		_exit(126);
	if (chdir(sb->dir) != 0)
		_exit(126);
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd < 0)
		_exit(126);
	if (dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
		_exit(126);
	if (fd > STDERR_FILENO)
		close(fd);
	snprintf(path_env, sizeof(path_env), "PATH=%s:/usr/bin:/bin", sb->bindir);
	snprintf(home_env, sizeof(home_env), "HOME=%s", sb->dir);
	execve(argv[0], argv, envp);
	dprintf(STDERR_FILENO, "cannot execute %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static int sandbox_guardian_initdb(struct core_sandbox *sb)
{
	char prog[4200];
	char log[4200];
	char *argv[] = {prog,
			"-D",
			sb->datadir,
			"-U",
			sb->superuser,
			"--auth-local=trust",
			"--auth-host=scram-sha-256",
			"-E",
			"UTF8",
			"--no-sync",
			NULL};
	pid_t pid = -1;
	int st = 0;

	snprintf(prog, sizeof(prog), "%s/initdb", sb->bindir);
	snprintf(log, sizeof(log), "%s/initdb.log", sb->dir);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		sandbox_child_exec(sb, log, argv);
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static pid_t sandbox_guardian_postmaster(struct core_sandbox *sb, int port)
{
	char prog[4200];
	char log[4200];
	char portstr[16];
	char *argv[] = {prog, "-D", sb->datadir, "-p", portstr, NULL};
	pid_t pid = -1;

	snprintf(prog, sizeof(prog), "%s/postgres", sb->bindir);
	snprintf(log, sizeof(log), "%s/server.log", sb->dir);
	snprintf(portstr, sizeof(portstr), "%d", port);
	pid = fork();
	if (pid == 0)
		sandbox_child_exec(sb, log, argv);
	return pid;
}

/* Waits up to ms for pid to exit; 0 when it did (reaped). */
static int sandbox_wait_exit(pid_t pid, long ms)
{
	long deadline = sandbox_now_ms() + ms;
	int st = 0;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid || (r < 0 && errno == ECHILD))
			return 0;
		if (sandbox_now_ms() >= deadline)
			return -1;
		sandbox_sleep_ms(20);
	}
}

/* Stops the postmaster with sig (SIGINT fast, SIGQUIT immediate), escalating
 * to SIGQUIT and SIGKILL when it does not go. */
static void sandbox_guardian_stop_pm(pid_t pm, int sig)
{
	if (pm <= 0)
		return;
	kill(pm, sig);
	if (sandbox_wait_exit(pm, SANDBOX_STOP_GRACE_MS) == 0)
		return;
	kill(pm, SIGQUIT);
	if (sandbox_wait_exit(pm, SANDBOX_QUIT_GRACE_MS) == 0)
		return;
	kill(pm, SIGKILL);
	sandbox_wait_exit(pm, SANDBOX_QUIT_GRACE_MS);
}

static void sandbox_guardian_reply(int sock, char c)
{
	sandbox_send(sock, &c, 1);
}

static void sandbox_guardian_main(struct core_sandbox *sb, int sock)
{
	pid_t pm = -1;
	int port = 0;
	int st = 0;
	sigset_t none;
	int null = -1;

	setsid();
	prctl(PR_SET_NAME, "kuw-pg-guardian");
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	/* Keep only our socket: descriptors of other sandboxes (or a caller's
	 * pipes) held here would hide their EOF. */
	if (sock != 3) {
		if (dup3(sock, 3, O_CLOEXEC) < 0)
			_exit(1);
		sock = 3;
	}
	close_range(4, ~0U, 0);
	null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO && null != sock)
			close(null);
	}

	for (;;) {
		struct pollfd pfd = {.fd = sock, .events = POLLIN};
		char c = 0;
		int n = poll(&pfd, 1, pm > 0 ? 100 : -1);
		ssize_t r = 0;

		if (pm > 0 && waitpid(pm, &st, WNOHANG) == pm) {
			pm = -1;
			sandbox_guardian_reply(sock, 'X');
		}
		if (n <= 0)
			continue;
		r = read(sock, &c, 1);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			break;
		switch (c) {
		case 'I':
			sandbox_guardian_reply(sock, sandbox_guardian_initdb(sb) == 0 ? 'K' : 'F');
			break;
		case 'S':
			if (sandbox_recv_all(sock, &port, sizeof(port)) < 0)
				goto out;
			sandbox_guardian_stop_pm(pm, SIGINT);
			pm = sandbox_guardian_postmaster(sb, port);
			sandbox_guardian_reply(sock, pm > 0 ? 'K' : 'F');
			break;
		case 'f':
		case 'i':
			sandbox_guardian_stop_pm(pm, c == 'i' ? SIGQUIT : SIGINT);
			pm = sandbox_guardian_postmaster(sb, port);
			sandbox_guardian_reply(sock, pm > 0 ? 'K' : 'F');
			break;
		default:
			break;
		}
	}
out:
	sandbox_guardian_stop_pm(pm, SIGINT);
	sandbox_rm_tree(sb->dir);
	_exit(0);
}

/* ---- in the caller ---- */

/* Sends a command (and payload) and waits for the guardian's answer, skipping
 * stale 'X' reports about an earlier postmaster. */
static int sandbox_command(struct core_sandbox *sb, char cmd, const void *payload, size_t len,
			   char *reply)
{
	char c = 0;

	for (;;) {
		struct pollfd pfd = {.fd = sb->sock, .events = POLLIN};

		if (poll(&pfd, 1, 0) <= 0)
			break;
		if (read(sb->sock, &c, 1) != 1)
			return -1;
	}
	if (sandbox_send(sb->sock, &cmd, 1) < 0)
		return -1;
	if (len > 0 && sandbox_send(sb->sock, payload, len) < 0)
		return -1;
	do {
		if (sandbox_recv_all(sb->sock, &c, 1) < 0)
			return -1;
	} while (c == 'X');
	*reply = c;
	return 0;
}

static void sandbox_server_tail(const struct core_sandbox *sb, char *buf, size_t size)
{
	char log[4200];

	snprintf(log, sizeof(log), "%s/server.log", sb->dir);
	sandbox_log_tail(log, SANDBOX_LOG_TAIL_LINES, buf, size);
}

/* Result of waiting for the server. */
enum sandbox_wait { SANDBOX_READY, SANDBOX_EXITED, SANDBOX_TIMEOUT, SANDBOX_LOST };

/* Polls PQping on the unix socket until the server accepts connections, the
 * guardian reports that the postmaster exited, or timeout_ms passes. */
static enum sandbox_wait sandbox_wait_ready(struct core_sandbox *sb, int timeout_ms)
{
	char portstr[16];
	const char *const keys[] = {"host", "port", "user", "dbname", "connect_timeout", NULL};
	const char *const vals[] = {sb->dir, portstr, sb->superuser, "postgres", "5", NULL};
	long deadline = sandbox_now_ms() + timeout_ms;

	snprintf(portstr, sizeof(portstr), "%d", sb->port);
	for (;;) {
		struct pollfd pfd = {.fd = sb->sock, .events = POLLIN};
		char c = 0;

		if (PQpingParams(keys, vals, 0) == PQPING_OK)
			return SANDBOX_READY;
		if (poll(&pfd, 1, 50) > 0) {
			if (read(sb->sock, &c, 1) != 1)
				return SANDBOX_LOST;
			if (c == 'X')
				return SANDBOX_EXITED;
		}
		if (sandbox_now_ms() >= deadline)
			return SANDBOX_TIMEOUT;
	}
}

static int sandbox_log_says_port_taken(const struct core_sandbox *sb)
{
	char tail[1024];

	sandbox_server_tail(sb, tail, sizeof(tail));
	return strstr(tail, "could not create any TCP/IP sockets") != NULL ||
	       strstr(tail, "Address already in use") != NULL;
}

static int sandbox_wait_error(struct core_sandbox *sb, enum sandbox_wait w, int timeout_ms,
			      struct core_error *err)
{
	char tail[700];

	sandbox_server_tail(sb, tail, sizeof(tail));
	switch (w) {
	case SANDBOX_EXITED:
		return core_error_set(err, "PostgreSQL in %s (port %d) exited while starting: %s",
				      sb->dir, sb->port, tail);
	case SANDBOX_TIMEOUT:
		return core_error_set(err,
				      "PostgreSQL in %s (port %d) not accepting connections after "
				      "%d ms: %s",
				      sb->dir, sb->port, timeout_ms, tail);
	case SANDBOX_LOST:
		return core_error_set(err, "sandbox guardian for %s is gone", sb->dir);
	case SANDBOX_READY:
		break;
	}
	return 0;
}

static int sandbox_write_conf(const struct core_sandbox *sb, struct core_error *err)
{
	char path[4300];
	char quoted[8200];
	FILE *f = NULL;
	size_t o = 0;
	int rc = -1;

	for (const char *p = sb->dir; *p != '\0' && o + 3 < sizeof(quoted); p++) {
		if (*p == '\'')
			quoted[o++] = '\'';
		quoted[o++] = *p;
	}
	quoted[o] = '\0';
	snprintf(path, sizeof(path), "%s/postgresql.conf", sb->datadir);
	f = fopen(path, "ae");
	if (f == NULL) {
		core_error_errno(err, errno, "opening %s", path);
		goto out;
	}
	/* fsync off is safe against a crash of the server (the kernel keeps the
	 * writes), which is what restart drills simulate; synchronous_commit stays
	 * on so that an immediate restart never loses a committed transaction. */
	fprintf(f,
		"\n# kong-upgrade-wizard sandbox\n"
		"listen_addresses = '" SANDBOX_HOST "'\n"
		"unix_socket_directories = '%s'\n"
		"max_connections = 100\n"
		"shared_buffers = 16MB\n"
		"fsync = off\n"
		"full_page_writes = off\n"
		"logging_collector = off\n"
		"log_timezone = 'UTC'\n"
		"timezone = 'UTC'\n",
		quoted);
	if (ferror(f) != 0) {
		core_error_set(err, "writing %s", path);
		goto out;
	}
	rc = 0;
out:
	if (f != NULL && fclose(f) != 0 && rc == 0)
		rc = core_error_errno(err, errno, "writing %s", path);
	return rc;
}

static int sandbox_prepare_dir(struct core_sandbox *sb, const char *parent, struct core_error *err)
{
	struct passwd *pw = NULL;

	snprintf(sb->dir, sizeof(sb->dir), "%s/kuw-pg-XXXXXX", parent);
	if (mkdtemp(sb->dir) == NULL) {
		sb->dir[0] = '\0';
		return core_error_errno(err, errno, "creating a directory under %s", parent);
	}
	snprintf(sb->datadir, sizeof(sb->datadir), "%s/data", sb->dir);
	if (geteuid() != 0)
		return 0;
	pw = getpwnam("postgres");
	if (pw == NULL)
		return core_error_set(err, "running as root and there is no `postgres` user to run "
					   "PostgreSQL as");
	sb->drop = 1;
	sb->run_uid = pw->pw_uid;
	sb->run_gid = pw->pw_gid;
	snprintf(sb->run_user, sizeof(sb->run_user), "%s", pw->pw_name);
	if (chown(sb->dir, sb->run_uid, sb->run_gid) != 0)
		return core_error_errno(err, errno, "chown %s to postgres", sb->dir);
	return 0;
}

static int sandbox_spawn_guardian(struct core_sandbox *sb, struct core_error *err)
{
	int sv[2] = {-1, -1};

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return core_error_errno(err, errno, "socketpair for the sandbox guardian");
	sb->guardian = fork();
	if (sb->guardian < 0) {
		close(sv[0]);
		close(sv[1]);
		return core_error_errno(err, errno, "fork of the sandbox guardian");
	}
	if (sb->guardian == 0) {
		close(sv[0]);
		sandbox_guardian_main(sb, sv[1]);
	}
	close(sv[1]);
	sb->sock = sv[0];
	return 0;
}

static int sandbox_initdb(struct core_sandbox *sb, struct core_error *err)
{
	char reply = 0;
	char log[4200];
	char tail[700];

	if (sandbox_command(sb, 'I', NULL, 0, &reply) < 0)
		return core_error_set(err, "sandbox guardian for %s is gone", sb->dir);
	if (reply == 'K')
		return 0;
	snprintf(log, sizeof(log), "%s/initdb.log", sb->dir);
	if (access(log, F_OK) != 0)
		return core_error_set(err,
				      "initdb could not start in %s as user %s (can that user "
				      "reach the directory?)",
				      sb->dir, sb->drop ? sb->run_user : "of the caller");
	sandbox_log_tail(log, SANDBOX_LOG_TAIL_LINES, tail, sizeof(tail));
	return core_error_set(err, "initdb -D %s failed: %s", sb->datadir, tail);
}

/* Starts the postmaster on a free port, retrying when the port got taken
 * between our probe and the server's bind. */
static int sandbox_start_server(struct core_sandbox *sb, int timeout_ms, struct core_error *err)
{
	enum sandbox_wait w = SANDBOX_LOST;
	char reply = 0;
	int port = -1;

	for (int attempt = 0; attempt < SANDBOX_PORT_TRIES; attempt++) {
		port = sandbox_free_port(err);
		if (port < 0)
			return -1;
		sb->port = port;
		if (sandbox_command(sb, 'S', &port, sizeof(port), &reply) < 0)
			return core_error_set(err, "sandbox guardian for %s is gone", sb->dir);
		if (reply != 'K')
			return core_error_set(err, "cannot start postgres for %s (fork failed)",
					      sb->dir);
		w = sandbox_wait_ready(sb, timeout_ms);
		if (w == SANDBOX_READY)
			return 0;
		if (w != SANDBOX_EXITED || !sandbox_log_says_port_taken(sb))
			break;
	}
	return sandbox_wait_error(sb, w, timeout_ms, err);
}

int core_sandbox_start(const struct core_sandbox_options *opt, struct core_sandbox **out,
		       struct core_error *err)
{
	struct core_sandbox *sb = NULL;
	const char *parent = "/tmp";
	int timeout_ms = 30000;
	int rc = -1;

	*out = NULL;
	if (opt != NULL && opt->parent_dir != NULL)
		parent = opt->parent_dir;
	if (opt != NULL && opt->start_timeout_ms > 0)
		timeout_ms = opt->start_timeout_ms;
	sb = calloc(1, sizeof(*sb));
	if (sb == NULL) {
		core_error_errno(err, errno, "allocating a sandbox");
		goto out;
	}
	sb->sock = -1;
	sb->guardian = -1;
	sb->timeout_ms = timeout_ms;
	snprintf(sb->listen, sizeof(sb->listen), "%s", SANDBOX_HOST);
	snprintf(sb->superuser, sizeof(sb->superuser), "%s", SANDBOX_SUPERUSER);
	if (sandbox_find_bindir(opt != NULL ? opt->bindir : NULL, sb->bindir, sizeof(sb->bindir),
				err) < 0)
		goto out;
	if (sandbox_prepare_dir(sb, parent, err) < 0)
		goto out;
	if (sandbox_spawn_guardian(sb, err) < 0)
		goto out;
	if (sandbox_initdb(sb, err) < 0 || sandbox_write_conf(sb, err) < 0 ||
	    sandbox_start_server(sb, timeout_ms, err) < 0)
		goto out;
	*out = sb;
	sb = NULL;
	rc = 0;
out:
	if (sb != NULL) {
		if (sb->guardian > 0)
			core_sandbox_stop(sb);
		else {
			if (sb->dir[0] != '\0')
				sandbox_rm_tree(sb->dir);
			free(sb);
		}
	}
	return rc;
}

void core_sandbox_stop(struct core_sandbox *sb)
{
	if (sb == NULL)
		return;
	if (sb->sock >= 0)
		close(sb->sock);
	if (sb->guardian > 0) {
		while (waitpid(sb->guardian, NULL, 0) < 0 && errno == EINTR)
			;
	}
	free(sb);
}

const char *core_sandbox_dir(const struct core_sandbox *sb)
{
	return sb->dir;
}

const char *core_sandbox_host(const struct core_sandbox *sb)
{
	(void)sb;
	return SANDBOX_HOST;
}

int core_sandbox_port(const struct core_sandbox *sb)
{
	return sb->port;
}

const char *core_sandbox_superuser(const struct core_sandbox *sb)
{
	return sb->superuser;
}

const char *core_sandbox_bindir(const struct core_sandbox *sb)
{
	return sb->bindir;
}

static void sandbox_notice_ignore(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* Copies a libpq message without its trailing newline. */
static void sandbox_trim(char *buf, size_t size, const char *msg)
{
	size_t len = 0;

	snprintf(buf, size, "%s", msg != NULL ? msg : "");
	len = strlen(buf);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
}

int core_sandbox_exec(struct core_sandbox *sb, const char *dbname, const char *sql,
		      struct core_error *err)
{
	char portstr[16];
	char msg[800];
	const char *db = dbname != NULL ? dbname : "postgres";
	const char *const keys[] = {"host", "port", "user", "dbname", "connect_timeout", NULL};
	const char *const vals[] = {sb->dir, portstr, sb->superuser, db, "10", NULL};
	PGconn *conn = NULL;
	PGresult *res = NULL;
	ExecStatusType st;
	int rc = -1;

	snprintf(portstr, sizeof(portstr), "%d", sb->port);
	conn = PQconnectdbParams(keys, vals, 0);
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
		sandbox_trim(msg, sizeof(msg),
			     conn != NULL ? PQerrorMessage(conn) : "out of memory");
		core_error_set(err, "connecting to database %s in sandbox %s: %s", db, sb->dir,
			       msg);
		goto out;
	}
	PQsetNoticeProcessor(conn, sandbox_notice_ignore, NULL);
	res = PQexec(conn, sql);
	st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
		sandbox_trim(msg, sizeof(msg),
			     res != NULL ? PQresultErrorMessage(res) : PQerrorMessage(conn));
		core_error_set(err, "SQL on database %s in sandbox %s: %s", db, sb->dir, msg);
		goto out;
	}
	rc = 0;
out:
	PQclear(res);
	PQfinish(conn);
	return rc;
}

int core_sandbox_restart(struct core_sandbox *sb, int immediate, struct core_error *err)
{
	enum sandbox_wait w = SANDBOX_LOST;
	char reply = 0;
	int timeout_ms = sb->timeout_ms;

	if (sandbox_command(sb, immediate ? 'i' : 'f', NULL, 0, &reply) < 0)
		return core_error_set(err, "sandbox guardian for %s is gone", sb->dir);
	if (reply != 'K')
		return core_error_set(err, "cannot restart postgres for %s (fork failed)", sb->dir);
	w = sandbox_wait_ready(sb, timeout_ms);
	if (w != SANDBOX_READY) {
		sandbox_wait_error(sb, w, timeout_ms, err);
		core_error_prefix(err, "restart");
		return -1;
	}
	return 0;
}

/* Whether s is a numeric IPv4 or IPv6 address: nothing else may reach the
 * server's configuration files. */
static int sandbox_is_addr(const char *s)
{
	unsigned char buf[16];

	return s != NULL && (inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1);
}

/* Whether s is ADDRESS/BITS with a numeric address and a prefix that fits it. */
static int sandbox_is_net(const char *s)
{
	const char *slash = s != NULL ? strchr(s, '/') : NULL;
	unsigned char buf[16];
	char addr[64];
	char *end = NULL;
	long bits = -1;
	int max = 0;

	if (slash == NULL || (size_t)(slash - s) >= sizeof(addr))
		return 0;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	if (inet_pton(AF_INET, addr, buf) == 1)
		max = 32;
	else if (inet_pton(AF_INET6, addr, buf) == 1)
		max = 128;
	else
		return 0;
	if (!isdigit((unsigned char)slash[1]))
		return 0;
	bits = strtol(slash + 1, &end, 10);
	return *end == '\0' && bits >= 0 && bits <= max;
}

/* Whether addr:port accepts a TCP connection within ms. */
static int sandbox_tcp_accepts(const char *addr, int port, int ms)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len = 0, sl = sizeof(int);
	int fd = -1, soerr = 0, ok = 0;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((unsigned short)port);
		len = sizeof(*in4);
	} else if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((unsigned short)port);
		len = sizeof(*in6);
	} else {
		return 0;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return 0;
	if (connect(fd, (struct sockaddr *)&ss, len) == 0) {
		ok = 1;
	} else if (errno == EINPROGRESS) {
		struct pollfd p = {.fd = fd, .events = POLLOUT};

		ok = poll(&p, 1, ms) == 1 &&
		     getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0;
	}
	close(fd);
	return ok;
}

/* Appends text to the file name in the data directory. */
static int sandbox_append(const struct core_sandbox *sb, const char *name, const char *text,
			  struct core_error *err)
{
	char path[4300];
	FILE *f = NULL;
	int rc = -1;

	snprintf(path, sizeof(path), "%s/%s", sb->datadir, name);
	f = fopen(path, "ae");
	if (f == NULL)
		return core_error_errno(err, errno, "opening %s", path);
	fputs(text, f);
	if (ferror(f) != 0) {
		core_error_set(err, "writing %s", path);
		goto out;
	}
	rc = 0;
out:
	if (fclose(f) != 0 && rc == 0)
		rc = core_error_errno(err, errno, "writing %s", path);
	return rc;
}

int core_sandbox_listen(struct core_sandbox *sb, const char *const *addrs, const char *const *nets,
			struct core_error *err)
{
	char listen[sizeof(sb->listen)];
	char conf[sizeof(sb->listen) + 64];
	char hba[4096] = "";
	char tail[700];
	size_t i, len;

	snprintf(listen, sizeof(listen), "%s", sb->listen);
	for (i = 0; addrs != NULL && addrs[i] != NULL; i++) {
		if (!sandbox_is_addr(addrs[i]))
			return core_error_set(err, "sandbox %s: '%s' is not a numeric IP address",
					      sb->dir, addrs[i]);
		len = strlen(listen);
		if (len + strlen(addrs[i]) + 2 > sizeof(listen))
			return core_error_set(err, "sandbox %s: too many listen addresses",
					      sb->dir);
		snprintf(listen + len, sizeof(listen) - len, ",%s", addrs[i]);
	}
	for (i = 0; nets != NULL && nets[i] != NULL; i++) {
		if (!sandbox_is_net(nets[i]))
			return core_error_set(err,
					      "sandbox %s: '%s' is not a network (ADDRESS/BITS)",
					      sb->dir, nets[i]);
		len = strlen(hba);
		if (len + strlen(nets[i]) + 40 > sizeof(hba))
			return core_error_set(err, "sandbox %s: too many client networks", sb->dir);
		snprintf(hba + len, sizeof(hba) - len, "host all all %s scram-sha-256\n", nets[i]);
	}
	/* postgresql.conf: the last setting of a name wins. */
	snprintf(conf, sizeof(conf), "listen_addresses = '%s'\n", listen);
	if (sandbox_append(sb, "postgresql.conf", conf, err) < 0 ||
	    (hba[0] != '\0' && sandbox_append(sb, "pg_hba.conf", hba, err) < 0))
		return -1;
	snprintf(sb->listen, sizeof(sb->listen), "%s", listen);
	if (core_sandbox_restart(sb, 0, err) < 0)
		return -1;
	/* The server only warns about an address it cannot bind. */
	for (i = 0; addrs != NULL && addrs[i] != NULL; i++) {
		if (sandbox_tcp_accepts(addrs[i], sb->port, 2000))
			continue;
		sandbox_server_tail(sb, tail, sizeof(tail));
		return core_error_set(err,
				      "PostgreSQL in %s does not accept connections on %s "
				      "port %d: %s",
				      sb->dir, addrs[i], sb->port, tail);
	}
	return 0;
}
