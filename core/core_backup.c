#include "core/core_backup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/core_exec.h"

extern char **environ;

/* The fd number the child finds the passfile on (PGPASSFILE=/dev/fd/3). */
#define BACKUP_PASSFD 3

/* Kong's tables every datastore of the supported releases has. */
static const char *const backup_kong_tables[] = {"schema_meta", "services", "routes",
						 "consumers",   "plugins",  NULL};

struct backup_buf {
	char data[8192];
	size_t len;
};

static long long backup_clock_ms(long long frozen)
{
	struct timespec ts;

	if (frozen != 0)
		return frozen;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000LL + ts.tv_nsec / 1000000L;
}

static void backup_copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src != NULL ? src : "");
}

/* Replaces every occurrence of secret in s with asterisks. A password that is
 * also the user or database name hides nothing the message does not already
 * say, and a very short one would only garble it. */
static void backup_redact(char *s, const struct core_pg_params *p)
{
	const char *pw = p->password;
	size_t n;
	char *at;

	if (pw == NULL || (n = strlen(pw)) < 4 || (p->user != NULL && strcmp(pw, p->user) == 0) ||
	    (p->dbname != NULL && strcmp(pw, p->dbname) == 0))
		return;
	while ((at = strstr(s, pw)) != NULL)
		memset(at, '*', n);
}

/* The first lines of a program's stderr, joined, for a message. */
static void backup_tail(const char *text, char *out, size_t size)
{
	size_t o = 0;
	const char *p = text;

	while (*p != '\0' && o + 1 < size) {
		char c = *p++;

		if (c == '\n') {
			if (*p == '\0')
				break;
			c = ' ';
		}
		out[o++] = c;
	}
	out[o] = '\0';
}

int core_backup_identify(PGconn *conn, const struct core_pg_params *p,
			 struct core_backup_identity *id, struct core_error *err)
{
	/* One round trip in the common case. An administrator may revoke
	 * pg_control_system() (some managed services do): the server then
	 * refuses the whole statement with insufficient_privilege, the
	 * identifier stays "" and host:port stand in for the cluster. */
	static const char with_sysid[] =
	    "SELECT current_database(), d.oid, "
	    "(SELECT system_identifier::text FROM pg_control_system()) "
	    "FROM pg_database d WHERE d.datname = current_database()";
	static const char without[] =
	    "SELECT current_database(), d.oid, '' "
	    "FROM pg_database d WHERE d.datname = current_database()";
	PGresult *res;
	const char *state;

	memset(id, 0, sizeof(*id));
	res = PQexec(conn, with_sysid);
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (PQresultStatus(res) == PGRES_FATAL_ERROR && state != NULL &&
	    strcmp(state, "42501") == 0) {
		PQclear(res);
		res = PQexec(conn, without);
	}
	if (core_pg_check(conn, res, "reading the database's identity", err) < 0)
		return -1;
	backup_copy(id->dbname, sizeof(id->dbname), PQgetvalue(res, 0, 0));
	id->database_oid = atoll(PQgetvalue(res, 0, 1));
	backup_copy(id->system_identifier, sizeof(id->system_identifier), PQgetvalue(res, 0, 2));
	PQclear(res);
	backup_copy(id->host, sizeof(id->host), p->host != NULL ? p->host : PQhost(conn));
	id->port = p->port > 0 ? p->port : atoi(PQport(conn));
	return 0;
}

/* The schema, size and tables the dump must hold. *tables is a NULL-ended
 * array owned by the caller (one free). */
static int backup_probe(PGconn *conn, char *schema, size_t schema_size, long long *estimate,
			char ***tables, struct core_error *err)
{
	static const char sql[] =
	    "SELECT current_schema(), pg_database_size(current_database()), "
	    "(SELECT json_agg(tablename::text ORDER BY tablename) FROM pg_tables "
	    "WHERE schemaname = current_schema())";
	PGresult *res = PQexec(conn, sql);
	json_t *arr = NULL;
	char **list = NULL;
	size_t i, n, bytes;
	char *s;
	int rc = -1;

	*tables = NULL;
	if (core_pg_check(conn, res, "reading the database's size and tables", err) < 0)
		return -1;
	if (PQgetisnull(res, 0, 0)) {
		core_error_set(err,
			       "database %s: the schema in search_path does not exist "
			       "(check pg_schema)",
			       core_pg_where(conn));
		goto out;
	}
	backup_copy(schema, schema_size, PQgetvalue(res, 0, 0));
	*estimate = atoll(PQgetvalue(res, 0, 1));
	if (!PQgetisnull(res, 0, 2))
		arr = json_loads(PQgetvalue(res, 0, 2), 0, NULL);
	n = json_array_size(arr);
	bytes = (n + 1) * sizeof(char *);
	for (i = 0; i < n; i++)
		bytes += strlen(json_string_value(json_array_get(arr, i))) + 1;
	list = malloc(bytes);
	if (list == NULL) {
		core_error_set(err, "out of memory");
		goto out;
	}
	s = (char *)(list + n + 1);
	for (i = 0; i < n; i++) {
		const char *t = json_string_value(json_array_get(arr, i));

		list[i] = s;
		memcpy(s, t, strlen(t) + 1);
		s += strlen(t) + 1;
	}
	list[n] = NULL;
	for (i = 0; i < n && strcmp(list[i], "schema_meta") != 0; i++)
		;
	if (i == n) {
		core_error_set(err,
			       "database %s has no schema_meta table in schema '%s': not a "
			       "Kong datastore, or pg_schema is wrong",
			       core_pg_where(conn), schema);
		goto out;
	}
	*tables = list;
	list = NULL;
	rc = 0;
out:
	free(list);
	json_decref(arr);
	PQclear(res);
	return rc;
}

/* Creates dir (and missing parents) 0700, or checks an existing one is ours
 * and closed to everybody else: a dump holds every credential Kong stores. */
static int backup_prepare_dir(const char *dir, struct core_error *err)
{
	char path[4096];
	struct stat st;
	size_t i, len = strlen(dir);

	if (len == 0 || len >= sizeof(path))
		return core_error_set(err, "backup directory '%s' is not a usable path", dir);
	memcpy(path, dir, len + 1);
	for (i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return core_error_errno(err, errno, "cannot create backup directory %s",
						path);
		path[i] = dir[i];
	}
	if (stat(dir, &st) < 0)
		return core_error_errno(err, errno, "backup directory %s", dir);
	if (!S_ISDIR(st.st_mode))
		return core_error_set(err, "backup directory %s is not a directory", dir);
	if (st.st_uid != geteuid())
		return core_error_set(err,
				      "backup directory %s belongs to uid %u, not to this "
				      "user (uid %u)",
				      dir, (unsigned)st.st_uid, (unsigned)geteuid());
	if ((st.st_mode & 077) != 0)
		return core_error_set(err,
				      "backup directory %s is mode %04o; it must be 0700 "
				      "(chmod 700 %s)",
				      dir, (unsigned)(st.st_mode & 07777), dir);
	return 0;
}

/* A custom-format dump is compressed COPY text without the indexes, dead
 * rows and free space pg_database_size counts, so the database size bounds
 * it in practice; 10% and 16 MiB on top cover small databases and an
 * uncompressed pg_dump build. A full disk mid-way is still handled. */
static int backup_check_space(const char *dir, long long estimate, long long test_free,
			      struct core_error *err)
{
	long long need = estimate + estimate / 10 + (16LL << 20);
	long long avail = test_free;
	struct statvfs vfs;

	if (avail <= 0) {
		if (statvfs(dir, &vfs) < 0)
			return core_error_errno(err, errno, "free space of %s", dir);
		avail = (long long)vfs.f_bavail * (long long)vfs.f_frsize;
	}
	if (avail < need)
		return core_error_set(err,
				      "not enough free space for the backup: need ~%lld MB "
				      "(database %lld MB), %lld MB free in %s",
				      need >> 20, estimate >> 20, avail >> 20, dir);
	return 0;
}

/* Removes <dir>/<safe>-*.dump.partial left by a backup that was killed (the
 * wizard died mid-dump): only one operator works at a time (the operator
 * lock), so no such file belongs to a backup still running. */
static void backup_remove_stale(const char *dir, const char *safe)
{
	static const char suffix[] = ".dump.partial";
	char path[4096 + 256];
	struct dirent *e;
	DIR *d = opendir(dir);
	size_t n = strlen(safe);

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (len > n + sizeof(suffix) && strncmp(e->d_name, safe, n) == 0 &&
		    e->d_name[n] == '-' &&
		    strcmp(e->d_name + len - (sizeof(suffix) - 1), suffix) == 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
	}
	closedir(d);
}

/* Creates <dir>/<db>-<UTC time>[-N].dump.partial with O_EXCL, 0600; the final
 * name (without .partial) is free too. Stale partial files go first. */
static int backup_create_partial(const char *dir, const char *dbname, long long time_ms,
				 char *final, size_t size, int *fd, struct core_error *err)
{
	char safe[128];
	char stamp[32];
	char partial[4096 + 16];
	time_t t = (time_t)(time_ms / 1000);
	struct tm tm;
	size_t i;
	int n;

	for (i = 0; dbname[i] != '\0' && i + 1 < sizeof(safe); i++)
		safe[i] = strchr("/\\ :", dbname[i]) == NULL && dbname[i] > 0x20 ? dbname[i] : '_';
	safe[i] = '\0';
	backup_remove_stale(dir, safe);
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	for (n = 1; n < 100; n++) {
		if (n == 1)
			snprintf(final, size, "%s/%s-%s.dump", dir, safe, stamp);
		else
			snprintf(final, size, "%s/%s-%s-%d.dump", dir, safe, stamp, n);
		snprintf(partial, sizeof(partial), "%s.partial", final);
		if (access(final, F_OK) == 0)
			continue;
		*fd = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (*fd >= 0)
			return 0;
		if (errno != EEXIST)
			return core_error_errno(err, errno, "cannot create %s", partial);
	}
	return core_error_set(err, "cannot find a free backup file name in %s", dir);
}

/* The password in a 0600 file in the (0700) backup directory, unlinked at
 * once and handed to pg_dump as an inherited descriptor: libpq reads
 * PGPASSFILE=/dev/fd/3. Nothing stays on disk even if we die, and the password
 * is neither in argv nor in an environment /proc would show. */
static int backup_passfd(const char *dir, const char *password, int *fd, struct core_error *err)
{
	char path[4096 + 32];
	char *line = NULL;
	size_t i, o = 0, n = strlen(password);
	int rc = -1;

	if (strpbrk(password, "\r\n") != NULL)
		return core_error_set(err, "pg_password contains a line break; pg_dump cannot be "
					   "given such a password");
	snprintf(path, sizeof(path), "%s/.pgpass-XXXXXX", dir);
	*fd = mkostemp(path, O_CLOEXEC);
	if (*fd < 0)
		return core_error_errno(err, errno, "cannot create a password file in %s", dir);
	unlink(path);
	line = malloc(2 * n + 16);
	if (line == NULL) {
		core_error_set(err, "out of memory");
		goto out;
	}
	memcpy(line, "*:*:*:*:", 8);
	o = 8;
	for (i = 0; i < n; i++) {
		if (password[i] == ':' || password[i] == '\\')
			line[o++] = '\\';
		line[o++] = password[i];
	}
	line[o++] = '\n';
	if (write(*fd, line, o) != (ssize_t)o) {
		core_error_errno(err, errno, "cannot write the password file in %s", dir);
		goto out;
	}
	rc = 0;
out:
	if (line != NULL) {
		explicit_bzero(line, 2 * n + 16);
		free(line);
	}
	if (rc < 0) {
		close(*fd);
		*fd = -1;
	}
	return rc;
}

/* The child's environment: ours, minus what we set or must not pass on
 * (PGPASSWORD would win over the passfile), plus extra. */
static char **backup_env(const char *const *extra, bool drop_password)
{
	static const char *const drop[] = {"PGSSLMODE=", "PGSSLROOTCERT=", "PGCONNECT_TIMEOUT=",
					   "PGAPPNAME=", "PGDATABASE=",    NULL};
	size_t n = 0, m = 0, o = 0, i, j;
	char **envp;

	while (environ[n] != NULL)
		n++;
	while (extra[m] != NULL)
		m++;
	envp = calloc(n + m + 1, sizeof(*envp));
	if (envp == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		bool skip = drop_password && (strncmp(environ[i], "PGPASSWORD=", 11) == 0 ||
					      strncmp(environ[i], "PGPASSFILE=", 11) == 0);

		for (j = 0; drop[j] != NULL && !skip; j++)
			skip = strncmp(environ[i], drop[j], strlen(drop[j])) == 0;
		if (!skip)
			envp[o++] = environ[i];
	}
	for (j = 0; j < m; j++)
		memcpy(&envp[o++], &extra[j], sizeof(char *));
	return envp;
}

static void backup_child(char **argv, char **envp, int out, int errp, int passfd, int errfd)
{
	int null = open("/dev/null", O_RDONLY);
	int e;

	setpgid(0, 0);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
	    dup2(errp, STDERR_FILENO) < 0 || (passfd >= 0 && dup2(passfd, BACKUP_PASSFD) < 0)) {
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

static int backup_write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

struct backup_run {
	const struct core_backup_opts *o;
	int out_fd;  /* the .partial file */
	int pass_fd; /* -1 = none */
	long long estimate;
	EVP_MD_CTX *md;
	long long written;
	struct backup_buf errbuf;
};

/* Runs pg_dump with stdout into r->out_fd, hashing and counting on the way.
 * 0 when it exited 0; -1 with err otherwise (child reaped in every case). */
static int backup_run_dump(char **argv, char **envp, struct backup_run *r, struct core_error *err)
{
	char chunk[65536];
	int po[2] = {-1, -1}, pe[2] = {-1, -1}, px[2] = {-1, -1};
	int fds[2] = {-1, -1};
	const struct core_pg_params *p = r->o->pg;
	char tail[600];
	pid_t pid = -1;
	int exec_errno = 0;
	int st = 0;
	int i, rc = -1;

	if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0 || pipe2(px, O_CLOEXEC) < 0) {
		core_error_errno(err, errno, "cannot start pg_dump: pipe");
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		core_error_errno(err, errno, "cannot start pg_dump: fork");
		goto out;
	}
	if (pid == 0)
		backup_child(argv, envp, po[1], pe[1], r->pass_fd, px[1]);
	setpgid(pid, pid);
	close(po[1]);
	close(pe[1]);
	close(px[1]);
	po[1] = pe[1] = px[1] = -1;
	fds[0] = po[0];
	fds[1] = pe[0];
	po[0] = pe[0] = -1;
	while (fds[0] >= 0 || fds[1] >= 0) {
		struct pollfd pfd[2] = {{.fd = fds[0], .events = POLLIN},
					{.fd = fds[1], .events = POLLIN}};
		ssize_t n;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			core_error_errno(err, errno, "reading pg_dump's output");
			goto out;
		}
		if (fds[1] >= 0 && pfd[1].revents != 0) {
			struct backup_buf *b = &r->errbuf;

			n = read(fds[1], chunk, sizeof(chunk));
			if (n <= 0 && !(n < 0 && errno == EINTR)) {
				close(fds[1]);
				fds[1] = -1;
			} else if (n > 0) {
				size_t keep = sizeof(b->data) - 1 - b->len;

				keep = (size_t)n < keep ? (size_t)n : keep;
				memcpy(b->data + b->len, chunk, keep);
				b->len += keep;
				b->data[b->len] = '\0';
			}
		}
		if (fds[0] < 0 || pfd[0].revents == 0)
			continue;
		n = read(fds[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			core_error_errno(err, errno, "reading pg_dump's output");
			goto out;
		}
		if (n == 0) {
			close(fds[0]);
			fds[0] = -1;
			continue;
		}
		if (backup_write_all(r->out_fd, chunk, (size_t)n) < 0) {
			core_error_errno(err, errno, "writing the backup file");
			goto out;
		}
		if (EVP_DigestUpdate(r->md, chunk, (size_t)n) != 1) {
			core_error_set(err, "SHA-256 of the backup failed");
			goto out;
		}
		r->written += n;
		if (r->o->progress != NULL && r->o->progress(r->o->ctx, r->written, r->estimate)) {
			core_error_set(err, "backup cancelled");
			goto out;
		}
	}
	while (read(px[0], &exec_errno, sizeof(exec_errno)) < 0 && errno == EINTR)
		;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	if (exec_errno != 0) {
		core_error_errno(err, exec_errno, "cannot execute %s", argv[0]);
		goto out;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		backup_tail(r->errbuf.data, tail, sizeof(tail));
		backup_redact(tail, p);
		core_error_set(err,
			       "pg_dump of database '%s' at %s:%d as user '%s' failed (%s %d)%s%s",
			       p->dbname, p->host != NULL ? p->host : "(default)", p->port, p->user,
			       WIFEXITED(st) ? "exit status" : "signal",
			       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st),
			       tail[0] != '\0' ? ": " : "", tail);
		goto out;
	}
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
	}
	if (pid > 0) {
		kill(-pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	return rc;
}

static void backup_hex(const unsigned char *md, unsigned int n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned int i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * n] = '\0';
}

/* size and SHA-256 of a file. */
static int backup_hash_file(const char *path, long long *size, char *sha256, struct core_error *err)
{
	char chunk[65536];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int fd = -1;
	int rc = -1;

	*size = 0;
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		core_error_set(err, "SHA-256 is not available");
		goto out;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		core_error_errno(err, errno, "cannot open %s", path);
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			core_error_errno(err, errno, "cannot read %s", path);
			goto out;
		}
		if (n == 0)
			break;
		EVP_DigestUpdate(ctx, chunk, (size_t)n);
		*size += n;
	}
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1) {
		core_error_set(err, "SHA-256 of %s failed", path);
		goto out;
	}
	backup_hex(md, mdlen, sha256);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* Matches one `pg_restore --list` line: "ID; OID OID TABLE [DATA] SCHEMA NAME OWNER".
 * Returns 1 for TABLE, 2 for TABLE DATA, 0 otherwise; name gets NAME. */
static int backup_toc_line(const char *line, const char *schema, char *name, size_t size)
{
	size_t slen = strlen(schema);
	int off = -1;
	int kind;
	size_t n;

	if (sscanf(line, "%*d; %*u %*u %n", &off) != 0 || off < 0)
		return 0;
	line += off;
	if (strncmp(line, "TABLE DATA ", 11) == 0) {
		kind = 2;
		line += 11;
	} else if (strncmp(line, "TABLE ", 6) == 0) {
		kind = 1;
		line += 6;
	} else {
		return 0;
	}
	if (strncmp(line, schema, slen) != 0 || line[slen] != ' ')
		return 0;
	line += slen + 1;
	n = strcspn(line, " \n");
	if (n >= size)
		return 0;
	memcpy(name, line, n);
	name[n] = '\0';
	return kind;
}

/* Checks the archive's table of contents. */
static int backup_check_toc(const char *toc, const char *path, const char *schema,
			    const char *const *expect, struct core_backup_info *info,
			    struct core_error *err)
{
	const char *const *want = expect != NULL ? expect : backup_kong_tables;
	const char *line;
	char name[256];
	char missing[512] = "";
	bool meta_data = false;
	size_t i, o = 0;

	info->tables = info->table_data = 0;
	for (line = toc; *line != '\0'; line += strcspn(line, "\n"), line += *line == '\n') {
		int kind = backup_toc_line(line, schema, name, sizeof(name));

		if (kind == 1)
			info->tables++;
		if (kind == 2) {
			info->table_data++;
			meta_data |= strcmp(name, "schema_meta") == 0;
		}
	}
	for (i = 0; want[i] != NULL; i++) {
		bool found = false;

		for (line = toc; *line != '\0' && !found;
		     line += strcspn(line, "\n"), line += *line == '\n')
			found = backup_toc_line(line, schema, name, sizeof(name)) == 1 &&
				strcmp(name, want[i]) == 0;
		if (!found && o + 1 < sizeof(missing))
			o += (size_t)snprintf(missing + o, sizeof(missing) - o, "%s%s",
					      o > 0 ? ", " : "", want[i]);
	}
	if (o > 0)
		return core_error_set(err, "backup %s is missing table(s) %s in schema '%s'", path,
				      missing, schema);
	if (!meta_data)
		return core_error_set(err, "backup %s holds no data for %s.schema_meta", path,
				      schema);
	return 0;
}

int core_backup_verify(const char *path, const char *pg_restore, const char *schema,
		       const char *const *expect, struct core_backup_info *info,
		       struct core_error *err)
{
	const char *prog = pg_restore != NULL ? pg_restore : "pg_restore";
	const char *list_argv[] = {prog, "--list", path, NULL};
	const char *read_argv[] = {prog, "--file=/dev/null", path, NULL};
	struct core_exec_result res = {0};
	char tail[600];
	int rc = -1;

	info->verified = false;
	if (backup_hash_file(path, &info->size, info->sha256, err) < 0)
		return -1;
	if (core_exec_capture(list_argv, NULL, 120000, 0, &res, err) < 0)
		return -1;
	if (res.status != 0) {
		backup_tail(res.err, tail, sizeof(tail));
		core_error_set(err, "backup %s is not a readable archive (pg_restore --list: %s)",
			       path, tail[0] != '\0' ? tail : "failed");
		goto out;
	}
	if (backup_check_toc(res.out, path, schema, expect, info, err) < 0)
		goto out;
	core_exec_result_done(&res);
	/* The table of contents sits at the start of the file; only reading every
	 * data block proves the rest is there. */
	if (core_exec_capture(read_argv, NULL, 0, 0, &res, err) < 0)
		goto out;
	if (res.status != 0) {
		backup_tail(res.err, tail, sizeof(tail));
		core_error_set(err, "backup %s is damaged (pg_restore could not read it: %s)", path,
			       tail[0] != '\0' ? tail : "failed");
		goto out;
	}
	info->verified = true;
	rc = 0;
out:
	core_exec_result_done(&res);
	return rc;
}

static int backup_fsync_dir(const char *dir, struct core_error *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return core_error_errno(err, errno, "cannot open %s", dir);
	if (fsync(fd) < 0)
		rc = core_error_errno(err, errno, "cannot sync %s", dir);
	close(fd);
	return rc;
}

int core_backup_take(const struct core_backup_opts *o, struct core_backup_info *out,
		     struct core_error *err)
{
	const struct core_pg_params *p = o->pg;
	const char *dump_prog = o->pg_dump != NULL ? o->pg_dump : "pg_dump";
	struct backup_run run = {0};
	PGconn *conn = NULL;
	char **tables = NULL;
	char **envp = NULL;
	const char *argv[20];
	const char *extra[8];
	char prog[4096];
	char final[4096];
	char partial[4096 + 16];
	char port[16];
	char timeout[32];
	char schema_pat[300];
	char passfile[32];
	char sslroot[4200];
	char appname[300];
	char sslmode[32];
	unsigned char md[EVP_MAX_MD_SIZE];
	char streamed[65];
	unsigned int mdlen = 0;
	int argc = 0, n = 0;
	int fd = -1;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	partial[0] = '\0';
	run.o = o;
	run.pass_fd = -1;
	out->time_ms = backup_clock_ms(o->now_ms);
	if (core_exec_which(dump_prog, prog, sizeof(prog), err) < 0)
		return -1;
	if (core_pg_connect(p, &conn, err) < 0)
		return -1;
	if (core_backup_identify(conn, p, &out->id, err) < 0 ||
	    backup_probe(conn, out->schema, sizeof(out->schema), &out->estimate, &tables, err) < 0)
		goto out;
	PQfinish(conn);
	conn = NULL;
	if (backup_prepare_dir(o->dir, err) < 0 ||
	    backup_check_space(o->dir, out->estimate, o->test_free_bytes, err) < 0)
		goto out;
	if (backup_create_partial(o->dir, out->id.dbname, out->time_ms, final, sizeof(final), &fd,
				  err) < 0)
		goto out;
	snprintf(partial, sizeof(partial), "%s.partial", final);
	if (p->password != NULL && backup_passfd(o->dir, p->password, &run.pass_fd, err) < 0)
		goto out;

	argv[argc++] = prog;
	argv[argc++] = "--format=custom";
	argv[argc++] = "--no-password";
	if (p->host != NULL) {
		argv[argc++] = "--host";
		argv[argc++] = p->host;
	}
	if (p->port > 0) {
		snprintf(port, sizeof(port), "%d", p->port);
		argv[argc++] = "--port";
		argv[argc++] = port;
	}
	if (p->user != NULL) {
		argv[argc++] = "--username";
		argv[argc++] = p->user;
	}
	if (p->schema != NULL) {
		/* A pattern; double quotes make it the literal, case-kept name. */
		snprintf(schema_pat, sizeof(schema_pat), "\"%s\"", out->schema);
		argv[argc++] = "--schema";
		argv[argc++] = schema_pat;
	}
	argv[argc++] = "--dbname";
	argv[argc++] = p->dbname;
	argv[argc] = NULL;

	snprintf(sslmode, sizeof(sslmode), "PGSSLMODE=%s",
		 p->ssl_verify ? "verify-full"
		 : p->ssl      ? "require"
			       : "prefer");
	extra[n++] = sslmode;
	if (p->ssl_verify && p->ssl_root_cert != NULL) {
		snprintf(sslroot, sizeof(sslroot), "PGSSLROOTCERT=%s", p->ssl_root_cert);
		extra[n++] = sslroot;
	}
	snprintf(timeout, sizeof(timeout), "PGCONNECT_TIMEOUT=%d",
		 p->connect_timeout_s > 0 ? p->connect_timeout_s : 10);
	extra[n++] = timeout;
	snprintf(appname, sizeof(appname), "PGAPPNAME=%s",
		 p->application_name != NULL ? p->application_name : "kong-upgrade-wizard");
	extra[n++] = appname;
	if (run.pass_fd >= 0) {
		snprintf(passfile, sizeof(passfile), "PGPASSFILE=/dev/fd/%d", BACKUP_PASSFD);
		extra[n++] = passfile;
	}
	extra[n] = NULL;
	envp = backup_env(extra, run.pass_fd >= 0);
	run.md = EVP_MD_CTX_new();
	if (envp == NULL || run.md == NULL) {
		core_error_set(err, "out of memory");
		goto out;
	}
	if (EVP_DigestInit_ex(run.md, EVP_sha256(), NULL) != 1) {
		core_error_set(err, "SHA-256 is not available");
		goto out;
	}
	run.out_fd = fd;
	run.estimate = out->estimate;
	/* execve wants char *const[]; the strings are only read. */
	if (backup_run_dump((char **)(void *)argv, envp, &run, err) < 0)
		goto out;
	if (fsync(fd) < 0) {
		core_error_errno(err, errno, "cannot sync %s", partial);
		goto out;
	}
	close(fd);
	fd = -1;
	if (EVP_DigestFinal_ex(run.md, md, &mdlen) != 1) {
		core_error_set(err, "SHA-256 of the backup failed");
		goto out;
	}
	backup_hex(md, mdlen, streamed);
	if (core_backup_verify(partial, o->pg_restore, out->schema, (const char *const *)tables,
			       out, err) < 0)
		goto out;
	if (out->size != run.written || strcmp(out->sha256, streamed) != 0) {
		core_error_set(err,
			       "backup %s on disk differs from what pg_dump wrote (%lld of "
			       "%lld bytes)",
			       partial, out->size, run.written);
		goto out;
	}
	if (renameat2(AT_FDCWD, partial, AT_FDCWD, final, RENAME_NOREPLACE) < 0 &&
	    ((errno != EINVAL && errno != ENOSYS) || rename(partial, final) < 0)) {
		core_error_errno(err, errno, "cannot rename %s to %s", partial, final);
		goto out;
	}
	partial[0] = '\0';
	backup_copy(out->path, sizeof(out->path), final);
	if (backup_fsync_dir(o->dir, err) < 0)
		goto out;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0 && partial[0] != '\0')
		unlink(partial);
	if (rc < 0 && out->path[0] != '\0')
		unlink(out->path);
	if (rc < 0)
		out->verified = false;
	if (run.pass_fd >= 0)
		close(run.pass_fd);
	EVP_MD_CTX_free(run.md);
	free(envp);
	free(tables);
	PQfinish(conn);
	return rc;
}

/* "26 h", "45 min", "30 s". */
static void backup_duration(long long ms, char *out, size_t size)
{
	long long s = ms / 1000;

	if (s < 120)
		snprintf(out, size, "%lld s", s);
	else if (s < 2 * 3600)
		snprintf(out, size, "%lld min", s / 60);
	else
		snprintf(out, size, "%lld h", s / 3600);
}

bool core_backup_fresh(const struct core_backup_info *b, const struct core_backup_identity *cur,
		       long long max_age_ms, long long now_ms, char *why, size_t size)
{
	const struct core_backup_identity *id = &b->id;
	char age[32], max[32];
	char dummy[8];
	long long old = now_ms - b->time_ms;

	if (why == NULL) {
		why = dummy;
		size = sizeof(dummy);
	}
	if (!b->verified) {
		snprintf(why, size, "backup %s was not verified", b->path);
		return false;
	}
	if (strcmp(id->dbname, cur->dbname) != 0) {
		snprintf(why, size, "backup is of database '%s', not '%s'", id->dbname,
			 cur->dbname);
		return false;
	}
	if (id->system_identifier[0] != '\0' && cur->system_identifier[0] != '\0') {
		if (strcmp(id->system_identifier, cur->system_identifier) != 0) {
			snprintf(why, size,
				 "backup is of another PostgreSQL cluster (system "
				 "identifier %s, this one is %s)",
				 id->system_identifier, cur->system_identifier);
			return false;
		}
	} else if (strcmp(id->host, cur->host) != 0 || id->port != cur->port) {
		snprintf(why, size,
			 "backup was taken from %s:%d, this database is at %s:%d "
			 "(the system identifier could not be read to tell)",
			 id->host, id->port, cur->host, cur->port);
		return false;
	}
	if (id->database_oid != 0 && cur->database_oid != 0 &&
	    id->database_oid != cur->database_oid) {
		snprintf(why, size,
			 "database '%s' was re-created since the backup (OID %lld, now "
			 "%lld)",
			 cur->dbname, id->database_oid, cur->database_oid);
		return false;
	}
	/* A little clock skew is tolerated; a backup from the future is not. */
	if (old < -300000) {
		snprintf(why, size, "backup is dated in the future; was the clock changed?");
		return false;
	}
	backup_duration(old > 0 ? old : 0, age, sizeof(age));
	backup_duration(max_age_ms, max, sizeof(max));
	if (old > max_age_ms) {
		snprintf(why, size, "taken %s ago; maximum %s", age, max);
		return false;
	}
	snprintf(why, size, "taken %s ago, verified", age);
	return true;
}

json_t *core_backup_info_json(const struct core_backup_info *b)
{
	char stamp[32];
	time_t t = (time_t)(b->time_ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_pack(
	    "{s:s, s:I, s:s, s:o, s:I, s:s, s:s, s:i, s:s, s:I, s:I, s:s, s:b, "
	    "s:i, s:i}",
	    "path", b->path, "size", (json_int_t)b->size, "sha256", b->sha256, "system_identifier",
	    b->id.system_identifier[0] != '\0' ? json_string(b->id.system_identifier) : json_null(),
	    "database_oid", (json_int_t)b->id.database_oid, "database", b->id.dbname, "host",
	    b->id.host, "port", b->id.port, "schema", b->schema, "estimate",
	    (json_int_t)b->estimate, "time_ms", (json_int_t)b->time_ms, "time", stamp, "verified",
	    b->verified, "tables", b->tables, "table_data", b->table_data);
}

static int backup_json_str(const json_t *j, const char *key, char *dst, size_t size, bool nullable,
			   struct core_error *err)
{
	const json_t *v = json_object_get(j, key);

	if (nullable && json_is_null(v)) {
		dst[0] = '\0';
		return 0;
	}
	if (!json_is_string(v) || json_string_length(v) >= size)
		return core_error_set(err, "backup record: '%s' is missing or not a string", key);
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int backup_json_int(const json_t *j, const char *key, long long *dst, struct core_error *err)
{
	const json_t *v = json_object_get(j, key);

	if (!json_is_integer(v))
		return core_error_set(err, "backup record: '%s' is missing or not an integer", key);
	*dst = json_integer_value(v);
	return 0;
}

int core_backup_info_from_json(const json_t *j, struct core_backup_info *b, struct core_error *err)
{
	long long port = 0, tables = 0, data = 0;
	const json_t *v;

	memset(b, 0, sizeof(*b));
	if (!json_is_object(j))
		return core_error_set(err, "backup record: not an object");
	if (backup_json_str(j, "path", b->path, sizeof(b->path), false, err) < 0 ||
	    backup_json_int(j, "size", &b->size, err) < 0 ||
	    backup_json_str(j, "sha256", b->sha256, sizeof(b->sha256), false, err) < 0 ||
	    backup_json_str(j, "system_identifier", b->id.system_identifier,
			    sizeof(b->id.system_identifier), true, err) < 0 ||
	    backup_json_int(j, "database_oid", &b->id.database_oid, err) < 0 ||
	    backup_json_str(j, "database", b->id.dbname, sizeof(b->id.dbname), false, err) < 0 ||
	    backup_json_str(j, "host", b->id.host, sizeof(b->id.host), false, err) < 0 ||
	    backup_json_int(j, "port", &port, err) < 0 ||
	    backup_json_str(j, "schema", b->schema, sizeof(b->schema), false, err) < 0 ||
	    backup_json_int(j, "estimate", &b->estimate, err) < 0 ||
	    backup_json_int(j, "time_ms", &b->time_ms, err) < 0 ||
	    backup_json_int(j, "tables", &tables, err) < 0 ||
	    backup_json_int(j, "table_data", &data, err) < 0)
		return -1;
	v = json_object_get(j, "verified");
	if (!json_is_boolean(v))
		return core_error_set(err, "backup record: 'verified' is missing or not a boolean");
	if (strlen(b->sha256) != 64 || strspn(b->sha256, "0123456789abcdef") != 64)
		return core_error_set(err, "backup record: 'sha256' is not a SHA-256 in hex");
	b->verified = json_is_true(v);
	b->id.port = (int)port;
	b->tables = (int)tables;
	b->table_data = (int)data;
	return 0;
}
