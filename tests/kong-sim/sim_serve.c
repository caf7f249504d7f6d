/* sim_serve.c — `kong-sim serve`: a stand-in Kong node for the traffic
 * shift screen. A small single-threaded HTTP/1.1 server (one response per
 * connection) answering the Admin API's `GET /` and `GET /status` as
 * reference kong-migrations.md §7 shows them, with total_requests growing
 * at the rate of a profile; with -c it holds datastore connections as a
 * node does, so the census sees it. The options are in serve_usage below
 * (`kong-sim serve --help`). */
#include "tests/kong-sim/sim_serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "config/config_kongconf.h"
#include "core/core_pg.h"

#define SERVE_MAX_CLIENTS 64
#define SERVE_REQ_MAX     8192
#define SERVE_IDLE_MS     5000
#define SERVE_MAX_DB      16

static const char serve_usage[] =
    "Usage: kong-sim serve [OPTIONS]\n"
    "\n"
    "A stand-in Kong node: an Admin API answering GET / and GET /status like a\n"
    "Kong 1.x node of the given version, holding datastore connections (with -c)\n"
    "until it is stopped (SIGTERM or SIGINT: exit 0).\n"
    "\n"
    "  --listen IPV4:PORT       where the Admin API listens (default 127.0.0.1:0;\n"
    "                           port 0 picks a free one). Any local address works,\n"
    "                           e.g. a veth's inside a network namespace\n"
    "                           (ip netns exec NS kong-sim serve --listen\n"
    "                           10.213.0.2:0): the datastore then sees the node\n"
    "                           connect from that namespace's address\n"
    "  --version VERSION        what GET / reports (default 1.3.0.0-enterprise-edition)\n"
    "  --profile PROFILE        proxied traffic in total_requests:\n"
    "                           steady:RPS, drain:RPS:SECONDS (down to zero),\n"
    "                           ramp:RPS:SECONDS (up from zero); default steady:0\n"
    "  --hostname NAME          what GET / reports (default: this host's name)\n"
    "  --token-file FILE        answer 401 without this Kong-Admin-Token (RBAC on)\n"
    "  -c, --conf FILE          kong.conf of the datastore to hold connections to\n"
    "  --db-connections N       how many (1 to 16, default 1), like a node's workers\n"
    "\n"
    "Once ready it prints \"listening on IPV4:PORT\". Like nginx, total_requests\n"
    "counts the Admin API requests too.\n";

extern char **environ;

enum serve_shape { SERVE_STEADY, SERVE_DRAIN, SERVE_RAMP };

struct serve_client {
	int fd;
	long since_ms;
	size_t len;
	char req[SERVE_REQ_MAX + 1];
};

struct serve {
	const char *version;
	const char *hostname;
	char node_id[37];
	enum serve_shape shape;
	double rps;
	double seconds;
	long start_ms;
	long long served;
	long long accepted;
	char *token;
	struct config_kongconf *kc;
	PGconn *conns[SERVE_MAX_DB];
	int n_conns;
	char admin_listen[64];
	struct serve_client clients[SERVE_MAX_CLIENTS];
	size_t n_clients;
};

static volatile sig_atomic_t serve_stop;

static void serve_on_signal(int sig)
{
	(void)sig;
	serve_stop = 1;
}

static long serve_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Proxied requests so far, from the profile. */
static long long serve_traffic(const struct serve *s)
{
	double t = (double)(serve_now() - s->start_ms) / 1000.0;
	double r = s->rps, d = s->seconds > 0 ? s->seconds : 1;
	double total;

	switch (s->shape) {
	case SERVE_DRAIN:
		total = t < d ? r * (t - t * t / (2 * d)) : r * d / 2;
		break;
	case SERVE_RAMP:
		total = t < d ? r * t * t / (2 * d) : r * d / 2 + r * (t - d);
		break;
	default:
		total = r * t;
		break;
	}
	return (long long)total;
}

static int serve_parse_profile(struct serve *s, const char *p)
{
	char name[16];
	int n = 0;

	if (sscanf(p, "%15[a-z]:%lf%n", name, &s->rps, &n) < 2 || s->rps < 0)
		return -1;
	p += n;
	if (strcmp(name, "steady") == 0) {
		s->shape = SERVE_STEADY;
		return *p == '\0' ? 0 : -1;
	}
	if (strcmp(name, "drain") == 0)
		s->shape = SERVE_DRAIN;
	else if (strcmp(name, "ramp") == 0)
		s->shape = SERVE_RAMP;
	else
		return -1;
	if (sscanf(p, ":%lf%n", &s->seconds, &n) < 1 || p[n] != '\0' || s->seconds <= 0)
		return -1;
	return 0;
}

static void serve_uuid(char out[37])
{
	unsigned char b[16] = {0};
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (read(fd, b, sizeof(b)) != (ssize_t)sizeof(b))
			b[0] ^= (unsigned char)getpid();
		close(fd);
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

static const char *serve_conf(const struct serve *s, const char *key, const char *def)
{
	const char *v = s->kc != NULL ? config_kongconf_get(s->kc, key) : NULL;

	return v != NULL ? v : def;
}

static json_t *serve_root(const struct serve *s)
{
	return json_pack(
	    "{s:s, s:s, s:s, s:s, s:{s:i, s:i},"
	    " s:{s:{s:b, s:b, s:b, s:b}, s:[s, s]},"
	    " s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s]}}",
	    "tagline", "Welcome to kong", "version", s->version, "hostname", s->hostname, "node_id",
	    s->node_id, "timers", "running", 0, "pending", 0, "plugins", "available_on_server",
	    "acl", 1, "key-auth", 1, "rate-limiting", 1, "cors", 1, "enabled_in_cluster",
	    "key-auth", "rate-limiting", "lua_version", "LuaJIT 2.1.0-beta3", "configuration",
	    "database", "postgres", "pg_host", serve_conf(s, "pg_host", "127.0.0.1"), "pg_port",
	    serve_conf(s, "pg_port", "5432"), "pg_user", serve_conf(s, "pg_user", "kong"),
	    "pg_database", serve_conf(s, "pg_database", "kong"), "pg_password", "******",
	    "admin_listen", s->admin_listen, "plugins", "bundled");
}

/* Whether every datastore connection is up (false without -c). */
static bool serve_db_ok(const struct serve *s)
{
	int i;

	for (i = 0; i < s->n_conns; i++) {
		if (PQstatus(s->conns[i]) != CONNECTION_OK)
			return false;
	}
	return s->n_conns > 0;
}

static json_t *serve_status(const struct serve *s)
{
	long long total = serve_traffic(s) + s->served;
	int active = (int)s->n_clients;

	return json_pack("{s:{s:b}, s:{s:[{s:s, s:i}], s:{s:{s:s, s:s}}},"
			 " s:{s:I, s:i, s:I, s:I, s:i, s:i, s:i}}",
			 "database", "reachable", serve_db_ok(s), "memory", "workers_lua_vms",
			 "http_allocated_gc", "0.02 MiB", "pid", (int)getpid(), "lua_shared_dicts",
			 "kong", "allocated_slabs", "0.04 MiB", "capacity", "5.00 MiB", "server",
			 "total_requests", (json_int_t)total, "connections_active", active,
			 "connections_accepted", (json_int_t)s->accepted, "connections_handled",
			 (json_int_t)s->accepted, "connections_reading", 0, "connections_writing",
			 1, "connections_waiting", active > 0 ? active - 1 : 0);
}

/* Whether the request carries the expected token (headers are matched
 * case-insensitively, as nginx does). */
static bool serve_token_ok(const struct serve *s, const char *req)
{
	const char *line = strstr(req, "\r\n");
	size_t want = s->token != NULL ? strlen(s->token) : 0;

	if (s->token == NULL)
		return true;
	while (line != NULL && line[2] != '\r') {
		const char *v = line + 2;

		if (strncasecmp(v, "Kong-Admin-Token:", 17) == 0) {
			const char *end;

			v += 17;
			while (*v == ' ' || *v == '\t')
				v++;
			end = strstr(v, "\r\n");
			if (end != NULL && (size_t)(end - v) == want &&
			    memcmp(v, s->token, want) == 0)
				return true;
		}
		line = strstr(line + 2, "\r\n");
	}
	return false;
}

static void serve_respond(struct serve *s, struct serve_client *c)
{
	char method[16] = "", path[256] = "";
	json_t *body = NULL;
	char *text = NULL;
	char head[256];
	const char *status = "200 OK";
	struct timeval tv = {1, 0};
	size_t off = 0, len;
	int flags;

	s->served++;
	if (sscanf(c->req, "%15s %255s", method, path) < 2) {
		status = "400 Bad Request";
		body = json_pack("{s:s}", "message", "Bad request");
	} else if (!serve_token_ok(s, c->req)) {
		status = "401 Unauthorized";
		body = json_pack("{s:s}", "message", "Invalid RBAC credentials");
	} else if (strcmp(method, "GET") == 0 && strcmp(path, "/") == 0) {
		body = serve_root(s);
	} else if (strcmp(method, "GET") == 0 && strncmp(path, "/status", 7) == 0 &&
		   (path[7] == '\0' || path[7] == '?')) {
		body = serve_status(s);
	} else {
		status = "404 Not Found";
		body = json_pack("{s:s}", "message", "Not found");
	}
	text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	if (text == NULL)
		goto out;
	len = strlen(text);
	snprintf(head, sizeof(head),
		 "HTTP/1.1 %s\r\nContent-Type: application/json; charset=utf-8\r\n"
		 "Content-Length: %zu\r\nConnection: close\r\nServer: kong-sim\r\n\r\n",
		 status, len);
	/* A peer that does not read gets a second, not the whole server. */
	flags = fcntl(c->fd, F_GETFL);
	fcntl(c->fd, F_SETFL, flags & ~O_NONBLOCK);
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (send(c->fd, head, strlen(head), MSG_NOSIGNAL) < 0)
		goto out;
	while (off < len) {
		ssize_t w = send(c->fd, text + off, len - off, MSG_NOSIGNAL);

		if (w <= 0)
			break;
		off += (size_t)w;
	}
out:
	free(text);
	json_decref(body);
}

static void serve_drop(struct serve *s, size_t i)
{
	close(s->clients[i].fd);
	s->clients[i] = s->clients[--s->n_clients];
}

static int serve_connect_db(struct serve *s, const char *conf, int n)
{
	struct core_error err = {{0}};
	struct core_pg_params p = {0};

	if (config_kongconf_load(conf, environ, &s->kc, &err) != 0) {
		fprintf(stderr, "kong-sim serve: %s\n", err.msg);
		return -1;
	}
	p.host = serve_conf(s, "pg_host", "127.0.0.1");
	p.port = atoi(serve_conf(s, "pg_port", "5432"));
	p.user = serve_conf(s, "pg_user", "kong");
	p.password = config_kongconf_get(s->kc, "pg_password");
	p.dbname = serve_conf(s, "pg_database", "kong");
	p.schema = config_kongconf_get(s->kc, "pg_schema");
	p.connect_timeout_s = 5;
	p.application_name = "kong";
	for (; s->n_conns < n; s->n_conns++) {
		if (core_pg_connect(&p, &s->conns[s->n_conns], &err) != 0) {
			fprintf(stderr, "kong-sim serve: %s\n", err.msg);
			return -1;
		}
	}
	return 0;
}

static int serve_listen(const char *listen_at, int *port)
{
	struct sockaddr_in sa = {0};
	socklen_t sl = sizeof(sa);
	char host[64];
	int one = 1, fd = -1;

	if (sscanf(listen_at, "%63[^:]:%d", host, port) != 2 || *port < 0 || *port > 65535 ||
	    inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		fprintf(stderr, "kong-sim serve: --listen wants IPV4:PORT, not '%s'\n", listen_at);
		return -1;
	}
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)*port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0)
		goto fail;
	*port = ntohs(sa.sin_port);
	return fd;
fail:
	fprintf(stderr, "kong-sim serve: cannot listen on %s: %s\n", listen_at, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Reads what a client sent; responds once the head is complete. 1 = done. */
static int serve_read(struct serve *s, struct serve_client *c)
{
	ssize_t r = read(c->fd, c->req + c->len, SERVE_REQ_MAX - c->len);

	if (r < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : 1;
	if (r == 0)
		return 1;
	c->len += (size_t)r;
	c->req[c->len] = '\0';
	if (strstr(c->req, "\r\n\r\n") == NULL && c->len < SERVE_REQ_MAX)
		return 0;
	serve_respond(s, c);
	return 1;
}

static int serve_loop(struct serve *s, int lfd)
{
	struct pollfd pfd[SERVE_MAX_CLIENTS + 1];
	sigset_t block, orig;
	size_t i;

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &orig);
	while (!serve_stop) {
		struct timespec ts = {1, 0};
		long now = serve_now();
		int r;

		pfd[0].fd = lfd;
		pfd[0].events = s->n_clients < SERVE_MAX_CLIENTS ? POLLIN : 0;
		for (i = 0; i < s->n_clients; i++) {
			pfd[i + 1].fd = s->clients[i].fd;
			pfd[i + 1].events = POLLIN;
			pfd[i + 1].revents = 0;
		}
		r = ppoll(pfd, s->n_clients + 1, &ts, &orig);
		if (r < 0 && errno != EINTR)
			return 1;
		now = serve_now();
		for (i = s->n_clients; r > 0 && i > 0; i--) {
			struct serve_client *c = &s->clients[i - 1];

			if ((pfd[i].revents != 0 && serve_read(s, c) == 1) ||
			    now - c->since_ms > SERVE_IDLE_MS)
				serve_drop(s, i - 1);
		}
		for (i = s->n_clients; r == 0 && i > 0; i--) {
			if (now - s->clients[i - 1].since_ms > SERVE_IDLE_MS)
				serve_drop(s, i - 1);
		}
		if (r > 0 && (pfd[0].revents & POLLIN)) {
			int cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

			if (cfd >= 0) {
				struct serve_client *c = &s->clients[s->n_clients++];

				c->fd = cfd;
				c->since_ms = now;
				c->len = 0;
				s->accepted++;
			}
		}
	}
	return 0;
}

static char *serve_read_token(const char *path)
{
	char buf[1024];
	size_t n;
	FILE *fp = fopen(path, "re");

	if (fp == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return strdup(buf);
}

int sim_serve_main(int argc, char **argv)
{
	struct serve *s = NULL;
	struct sigaction sa = {0};
	const char *listen_at = "127.0.0.1:0", *conf = NULL, *token_file = NULL;
	char host[256] = "kong-sim";
	char *end = NULL;
	int i, lfd = -1, port = 0, rc = 1, n_db = 1;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return 1;
	s->version = "1.3.0.0-enterprise-edition";
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(serve_usage, stdout);
			rc = 0;
			goto out;
		}
		if (v == NULL) {
			fprintf(stderr, "kong-sim serve: %s wants a value\n", a);
			goto out;
		}
		if (strcmp(a, "--listen") == 0)
			listen_at = v;
		else if (strcmp(a, "--version") == 0)
			s->version = v;
		else if (strcmp(a, "--hostname") == 0)
			snprintf(host, sizeof(host), "%s", v);
		else if (strcmp(a, "--token-file") == 0)
			token_file = v;
		else if (strcmp(a, "-c") == 0 || strcmp(a, "--conf") == 0)
			conf = v;
		else if (strcmp(a, "--db-connections") == 0) {
			n_db = (int)strtol(v, &end, 10);
			if (end == v || *end != '\0' || n_db < 1 || n_db > SERVE_MAX_DB) {
				fprintf(stderr,
					"kong-sim serve: --db-connections wants 1 to %d, "
					"not '%s'\n",
					SERVE_MAX_DB, v);
				goto out;
			}
		} else if (strcmp(a, "--profile") == 0) {
			if (serve_parse_profile(s, v) < 0) {
				fprintf(stderr,
					"kong-sim serve: bad profile '%s' (steady:RPS, "
					"drain:RPS:SECONDS, ramp:RPS:SECONDS)\n",
					v);
				goto out;
			}
		} else {
			fprintf(stderr, "kong-sim serve: unknown option %s (see --help)\n", a);
			goto out;
		}
		i++;
	}
	if (strcmp(host, "kong-sim") == 0 && gethostname(host, sizeof(host) - 1) < 0)
		snprintf(host, sizeof(host), "kong-sim");
	s->hostname = host;
	serve_uuid(s->node_id);
	if (token_file != NULL && (s->token = serve_read_token(token_file)) == NULL) {
		fprintf(stderr, "kong-sim serve: cannot read the token file %s\n", token_file);
		goto out;
	}
	if (conf != NULL && serve_connect_db(s, conf, n_db) < 0)
		goto out;
	sa.sa_handler = serve_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	lfd = serve_listen(listen_at, &port);
	if (lfd < 0)
		goto out;
	s->start_ms = serve_now();
	snprintf(s->admin_listen, sizeof(s->admin_listen), "%.*s:%d", (int)strcspn(listen_at, ":"),
		 listen_at, port);
	printf("listening on %s\n", s->admin_listen);
	fflush(stdout);
	rc = serve_loop(s, lfd);
out:
	if (lfd >= 0)
		close(lfd);
	while (s->n_clients > 0)
		serve_drop(s, 0);
	for (i = 0; i < s->n_conns; i++)
		PQfinish(s->conns[i]);
	config_kongconf_free(s->kc);
	free(s->token);
	free(s);
	return rc;
}
