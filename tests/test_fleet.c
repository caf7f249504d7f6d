/* Tests of the traffic shift evidence (SPEC §2 step 6): the census of
 * pg_stat_activity (core_census), the Admin API poller (core_fleet) against
 * `kong-sim serve` nodes and hostile servers, and drain detection
 * (core_drain) over a fake clock. Everything listens on 127.0.0.1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/core_census.h"
#include "core/core_drain.h"
#include "core/core_fleet.h"
#include "core/core_pg.h"
#include "core/core_sandbox.h"
#include "tests/support/nodes.h"
#include "tests/support/testenv.h"

#define TOKEN "s3cret-rbac-token-do-not-show"

static struct testenv te;
static char db[128];
static char kconf[4096];
static char token_file[4096];
static struct node old1, old2, new1;
static pid_t hostile_pid = -1;
static int hostile_port[5]; /* huge, nonjson, types, silent, notkong */

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* A stand-in node of this test's datastore (kconf). */
static int start_node(struct node *n, const char *version, const char *profile, bool token)
{
	struct core_error err = { { 0 } };

	if (node_start(n, te.kong_sim, kconf, version, profile, token ? token_file : NULL,
		       &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	return 0;
}

/* SIGTERM, then SIGKILL when it has not exited within 5 s. */
static void proc_stop(pid_t *pid)
{
	long deadline = now_ms() + 5000;
	int st;

	if (*pid <= 0)
		return;
	kill(*pid, SIGTERM);
	while (waitpid(*pid, &st, WNOHANG) == 0) {
		struct pollfd none = {-1, 0, 0};

		if (now_ms() > deadline) {
			kill(*pid, SIGKILL);
			waitpid(*pid, &st, 0);
			break;
		}
		poll(&none, 0, 20);
	}
	*pid = -1;
}

static int listen_any(int *port)
{
	struct sockaddr_in sa = {0};
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0)
		return -1;
	*port = ntohs(sa.sin_port);
	return fd;
}

/* The hostile servers' answers, by index of hostile_port. */
static void hostile_answer(int fd, int mode)
{
	static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
				   "Connection: close\r\n\r\n";
	static const char types[] =
	    "{\"server\": {\"total_requests\": \"many\","
	    " \"connections_active\": 1}, \"database\": {\"reachable\": true}}";
	static const char notkong[] =
	    "{\"server\": {\"total_requests\": 5, \"connections_active\": 1},"
	    " \"database\": {\"reachable\": true}, \"tagline\": \"nginx\","
	    " \"version\": \"1.3.0\"}";
	char chunk[65536];
	size_t i;

	if (send(fd, head, sizeof(head) - 1, MSG_NOSIGNAL) < 0)
		return;
	if (mode == 0) {
		/* 4 MiB of a JSON string that never ends. */
		memset(chunk, 'x', sizeof(chunk));
		chunk[0] = '{';
		if (send(fd, chunk, 1, MSG_NOSIGNAL) < 0)
			return;
		for (i = 0; i < 64; i++) {
			if (send(fd, chunk + 1, sizeof(chunk) - 1, MSG_NOSIGNAL) < 0)
				return;
		}
	} else if (mode == 1) {
		send(fd, "<html>hello</html>", 18, MSG_NOSIGNAL);
	} else if (mode == 2) {
		send(fd, types, sizeof(types) - 1, MSG_NOSIGNAL);
	} else {
		send(fd, notkong, sizeof(notkong) - 1, MSG_NOSIGNAL);
	}
}

/* The hostile servers, in one child process: huge body, not JSON, wrong
 * types, silent (accepts and never answers), and not Kong. */
static void hostile_serve(int *lfd)
{
	struct pollfd p[5];
	int i;

	for (;;) {
		for (i = 0; i < 5; i++) {
			p[i].fd = lfd[i];
			p[i].events = POLLIN;
			p[i].revents = 0;
		}
		/* The parent's death ends us too (getppid changes). */
		if (poll(p, 5, 1000) < 0 || getppid() == 1)
			_exit(0);
		for (i = 0; i < 5; i++) {
			char req[4096];
			int c;

			if (!(p[i].revents & POLLIN))
				continue;
			c = accept(lfd[i], NULL, NULL);
			if (c < 0)
				continue;
			/* Silent: the connection stays open, unanswered, until we exit. */
			if (i == 3)
				continue;
			if (recv(c, req, sizeof(req), 0) > 0)
				hostile_answer(c, i == 4 ? 3 : i);
			close(c);
		}
	}
}

static int hostile_start(void)
{
	int lfd[5], i;

	for (i = 0; i < 5; i++) {
		lfd[i] = listen_any(&hostile_port[i]);
		if (lfd[i] < 0)
			return -1;
	}
	hostile_pid = fork();
	if (hostile_pid == 0)
		hostile_serve(lfd);
	for (i = 0; i < 5; i++)
		close(lfd[i]);
	return hostile_pid > 0 ? 0 : -1;
}

static int setup(void **state)
{
	struct core_error err = {{0}};
	FILE *fp;

	(void)state;
	old1.pid = old2.pid = new1.pid = -1;
	if (testenv_start(&te, &err) < 0 ||
	    testenv_create_db(&te, "ee-0.36", NULL, db, sizeof(db), &err) < 0 ||
	    testenv_write_kongconf(&te, db, NULL, kconf, sizeof(kconf), &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	snprintf(token_file, sizeof(token_file), "%s/admin-token", te.tmpdir);
	fp = fopen(token_file, "w");
	if (fp == NULL)
		return -1;
	fputs(TOKEN "\n", fp);
	fclose(fp);
	if (start_node(&old1, "0.36-2-enterprise-edition", "drain:40:2", false) < 0 ||
	    start_node(&old2, "0.36-2-enterprise-edition", "drain:40:2", false) < 0 ||
	    start_node(&new1, "1.3.0.0-enterprise-edition", "steady:50", true) < 0 ||
	    hostile_start() < 0) {
		fprintf(stderr, "cannot start the stand-in nodes\n");
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	node_stop(&old1);
	node_stop(&old2);
	node_stop(&new1);
	proc_stop(&hostile_pid);
	testenv_stop(&te);
	return 0;
}

static PGconn *connect_kong(const char *app)
{
	struct core_pg_params p = {0};
	struct core_error err = {{0}};
	PGconn *c = NULL;

	p.host = core_sandbox_host(te.sb);
	p.port = core_sandbox_port(te.sb);
	p.user = "kong";
	p.password = "kong";
	p.dbname = db;
	p.application_name = app;
	if (core_pg_connect(&p, &c, &err) < 0)
		fail_msg("%s", err.msg);
	return c;
}

static void test_version_parse(void **state)
{
	struct core_fleet_version v;

	(void)state;
	assert_int_equal(core_fleet_parse_version("1.3.0", &v), 0);
	assert_int_equal(v.major, 1);
	assert_int_equal(v.minor, 3);
	assert_false(v.enterprise);
	assert_int_equal(core_fleet_version_gen(&v), CORE_FLEET_GEN_NEW);
	assert_int_equal(core_fleet_parse_version("1.3-enterprise-edition", &v), 0);
	assert_true(v.enterprise);
	assert_int_equal(core_fleet_version_gen(&v), CORE_FLEET_GEN_NEW);
	assert_int_equal(core_fleet_parse_version("0.36-2-enterprise-edition", &v), 0);
	assert_int_equal(v.major, 0);
	assert_int_equal(v.minor, 36);
	assert_int_equal(v.patch, 2);
	assert_true(v.enterprise);
	assert_int_equal(core_fleet_version_gen(&v), CORE_FLEET_GEN_OLD);
	assert_int_equal(core_fleet_parse_version("1.3.0.1-enterprise-edition", &v), 0);
	assert_int_equal(core_fleet_version_gen(&v), CORE_FLEET_GEN_NEW);
	assert_int_equal(core_fleet_parse_version("1.2.2", &v), 0);
	assert_int_equal(core_fleet_version_gen(&v), CORE_FLEET_GEN_OLD);
	assert_int_equal(core_fleet_parse_version("2.8.1", &v), 0);
	assert_int_equal(core_fleet_version_gen(&v), CORE_FLEET_GEN_NEW);
	assert_int_equal(core_fleet_parse_version("next", &v), -1);
	assert_int_equal(core_fleet_parse_version("1", &v), -1);
	assert_int_equal(core_fleet_parse_version("", &v), -1);
}

static void test_rate_update(void **state)
{
	double rate = 0;
	bool known = false;

	(void)state;
	/* 100 requests in 2 s, 2 of them ours: 49 req/s. */
	core_fleet_rate_update(&rate, &known, 1000, 10000, 1100, 12000, 2, 5000);
	assert_true(known);
	assert_true(rate > 48.99 && rate < 49.01);
	/* Then nothing for 5 s (only our 2): alpha = 5/(5+5) halves the estimate. */
	core_fleet_rate_update(&rate, &known, 1100, 12000, 1102, 17000, 2, 5000);
	assert_true(rate > 24.49 && rate < 24.51);
	/* A restart (total went down) keeps the estimate. */
	core_fleet_rate_update(&rate, &known, 1102, 17000, 3, 18000, 1, 5000);
	assert_true(rate > 24.49 && rate < 24.51);
	/* No time passed: nothing to learn. */
	core_fleet_rate_update(&rate, &known, 3, 18000, 50, 18000, 0, 5000);
	assert_true(rate > 24.49 && rate < 24.51);
}

static void test_classify_synthetic(void **state)
{
	const char *old_urls[] = {"http://10.0.0.11:8001", "https://10.0.0.12:8444/",
				  "http://localhost:8001", "not a url"};
	const char *new_urls[] = {"http://10.0.1.11:8001", "http://[::1]:8001"};
	const char *only_remote[] = {"http://10.0.0.11:8001"};
	struct core_census_map *m = NULL, *r = NULL;
	struct core_error err = {{0}};
	struct core_census c = {0};
	struct core_census_host rows[4];
	const struct core_census_host *top = NULL;
	bool local = false;

	(void)state;
	assert_int_equal(core_census_map_new(old_urls, 4, new_urls, 2, 2000, &m, &err), 0);
	assert_non_null(strstr(core_census_map_note(m), "not a URL: not a url"));
	assert_int_equal(core_census_classify(m, "10.0.0.11", &local), CORE_CENSUS_OLD);
	assert_false(local);
	assert_int_equal(core_census_classify(m, "::ffff:10.0.0.12", &local), CORE_CENSUS_OLD);
	assert_int_equal(core_census_classify(m, "10.0.1.11", &local), CORE_CENSUS_NEW);
	assert_int_equal(core_census_classify(m, "10.9.9.9", &local), CORE_CENSUS_UNKNOWN);
	assert_int_equal(core_census_classify(m, "garbage", &local), CORE_CENSUS_UNKNOWN);
	/* This host (loopback or the unix socket) is in both clusters' URLs here. */
	assert_int_equal(core_census_classify(m, NULL, &local), CORE_CENSUS_BOTH);
	assert_true(local);
	assert_int_equal(core_census_classify(m, "127.0.0.1", &local), CORE_CENSUS_BOTH);
	assert_true(local);
	assert_int_equal(core_census_map_new(only_remote, 1, NULL, 0, 0, &r, &err), 0);
	assert_int_equal(core_census_classify(r, "127.0.0.1", &local), CORE_CENSUS_UNKNOWN);
	assert_true(local);
	assert_int_equal(core_census_classify(r, "10.0.0.11", &local), CORE_CENSUS_OLD);

	/* Counting over synthetic rows. */
	memset(rows, 0, sizeof(rows));
	snprintf(rows[0].addr, sizeof(rows[0].addr), "10.0.0.11");
	rows[0].connections = 3;
	rows[0].cls = CORE_CENSUS_OLD;
	snprintf(rows[1].addr, sizeof(rows[1].addr), "10.0.0.12");
	rows[1].connections = 5;
	rows[1].cls = CORE_CENSUS_OLD;
	snprintf(rows[2].addr, sizeof(rows[2].addr), "10.0.1.11");
	rows[2].connections = 7;
	rows[2].cls = CORE_CENSUS_NEW;
	snprintf(rows[3].addr, sizeof(rows[3].addr), "hidden");
	rows[3].connections = 9;
	rows[3].hidden = true;
	c.hosts = rows;
	c.n_hosts = 4;
	assert_int_equal(core_census_count(&c, CORE_CENSUS_OLD, &top), 8);
	assert_non_null(top);
	assert_string_equal(top->addr, "10.0.0.12");
	assert_int_equal(core_census_count(&c, CORE_CENSUS_NEW, NULL), 7);
	assert_int_equal(core_census_count(&c, CORE_CENSUS_UNKNOWN, &top), 0);
	assert_null(top);
	core_census_map_free(m);
	core_census_map_free(r);
}

static const struct core_census_host *find_row(const struct core_census *c, const char *addr,
					       const char *app)
{
	size_t i;

	for (i = 0; i < c->n_hosts; i++) {
		if (strcmp(c->hosts[i].addr, addr) == 0 &&
		    strcmp(c->hosts[i].application, app) == 0)
			return &c->hosts[i];
	}
	return NULL;
}

static void test_census_real(void **state)
{
	const char *old_urls[] = {old1.url, old2.url};
	const char *new_urls[] = {new1.url};
	struct core_census_map *m_old = NULL, *m_both = NULL;
	struct core_census *c = NULL;
	struct core_error err = {{0}};
	const struct core_census_host *h;
	char conninfo[4200];
	PGconn *wiz, *other, *su;
	size_t i;

	(void)state;
	wiz = connect_kong("kong-upgrade-wizard (test on pts/0)");
	other = connect_kong("kong-upgrade-wizard (bob)");
	/* A superuser session over the unix socket: the kong role may not look at it. */
	snprintf(conninfo, sizeof(conninfo),
		 "host=%s port=%d dbname=%s user=%s application_name=psql", core_sandbox_dir(te.sb),
		 core_sandbox_port(te.sb), db, core_sandbox_superuser(te.sb));
	su = PQconnectdb(conninfo);
	assert_int_equal(PQstatus(su), CONNECTION_OK);

	assert_int_equal(core_census_map_new(old_urls, 2, NULL, 0, 0, &m_old, &err), 0);
	assert_int_equal(core_census_take(wiz, m_old, &c, &err), 0);
	h = find_row(c, "127.0.0.1", "kong");
	assert_non_null(h);
	/* The three stand-in nodes, one connection each. */
	assert_int_equal(h->connections, 3);
	assert_int_equal(h->cls, CORE_CENSUS_OLD);
	assert_true(h->local);
	assert_true(h->oldest_start > 1500000000LL);
	for (i = 0; i < c->n_hosts; i++)
		assert_null(strstr(c->hosts[i].application, "kong-upgrade-wizard"));
	h = find_row(c, "hidden", "psql");
	assert_non_null(h);
	assert_true(h->hidden);
	assert_true(c->hidden_connections >= 1);
	assert_int_equal(core_census_count(c, CORE_CENSUS_OLD, NULL), 3);
	core_census_free(c);
	c = NULL;

	/* Both clusters on one host: the census cannot tell them apart and says so. */
	assert_int_equal(core_census_map_new(old_urls, 2, new_urls, 1, 0, &m_both, &err), 0);
	assert_int_equal(core_census_take(wiz, m_both, &c, &err), 0);
	h = find_row(c, "127.0.0.1", "kong");
	assert_non_null(h);
	assert_int_equal(h->cls, CORE_CENSUS_BOTH);
	assert_int_equal(core_census_count(c, CORE_CENSUS_OLD, NULL), 0);
	core_census_free(c);

	PQfinish(other);
	PQfinish(su);
	PQfinish(wiz);
	core_census_map_free(m_old);
	core_census_map_free(m_both);
}

static const struct core_fleet_node *by_url(const struct core_fleet *f, const char *url)
{
	size_t i;

	for (i = 0; i < core_fleet_count(f); i++) {
		if (strcmp(core_fleet_node(f, i)->url, url) == 0)
			return core_fleet_node(f, i);
	}
	fail_msg("no node %s", url);
	return NULL;
}

/* One refresh driven the way the UI does it: poll on the fds for the
 * timeout, then step. Returns the elapsed milliseconds. */
static long refresh_ui_style(struct core_fleet *f)
{
	struct core_error err = {{0}};
	struct pollfd fds[CORE_FLEET_MAX_FDS];
	long t0 = now_ms();
	size_t n;
	int done = 0;

	assert_int_equal(core_fleet_start_poll(f, &err), 0);
	assert_int_equal(core_fleet_start_poll(f, &err), 1);
	while (!done) {
		long t = core_fleet_timeout(f);

		assert_true(now_ms() - t0 < 20000);
		core_fleet_fds(f, fds, CORE_FLEET_MAX_FDS, &n);
		poll(fds, n, (int)(t < 0 || t > 200 ? 200 : t));
		done = core_fleet_step(f, &err);
		assert_true(done >= 0);
	}
	assert_false(core_fleet_busy(f));
	return now_ms() - t0;
}

static int dead_port(void)
{
	int port = 0;
	int fd = listen_any(&port);

	assert_true(fd >= 0);
	close(fd);
	return port;
}

static void test_poll_fleet(void **state)
{
	struct core_fleet_options opt = {.timeout_ms = 2000, .tau_ms = 1000};
	struct core_fleet *f = NULL;
	struct core_error err = {{0}};
	const struct core_fleet_node *n;
	char dead[64], wrong[64];
	long long first_total;
	long elapsed, deadline;

	(void)state;
	snprintf(dead, sizeof(dead), "http://127.0.0.1:%d", dead_port());
	snprintf(wrong, sizeof(wrong), "%s/", new1.url);
	assert_int_equal(core_fleet_new(&opt, &f, &err), 0);
	assert_int_equal(core_fleet_add(f, CORE_FLEET_OLD, old1.url, NULL, &err), 0);
	assert_int_equal(core_fleet_add(f, CORE_FLEET_OLD, old2.url, NULL, &err), 0);
	assert_int_equal(core_fleet_add(f, CORE_FLEET_NEW, new1.url, TOKEN, &err), 0);
	assert_int_equal(core_fleet_add(f, CORE_FLEET_OLD, dead, NULL, &err), 0);
	/* The same new node without the token, and with a wrong one. */
	assert_int_equal(core_fleet_add(f, CORE_FLEET_NEW, wrong, NULL, &err), 0);
	assert_int_equal(core_fleet_add(f, CORE_FLEET_NEW, new1.url, "nope", &err), 0);
	assert_int_equal(core_fleet_add(f, CORE_FLEET_NEW, "ftp://127.0.0.1/", NULL, &err), -1);
	assert_int_equal(core_fleet_add(f, CORE_FLEET_NEW, new1.url, "a\r\nX-Evil: 1", &err), -1);
	assert_null(strstr(err.msg, "Evil"));

	elapsed = refresh_ui_style(f);
	assert_true(elapsed < 2000 + 1000);

	n = by_url(f, old1.url);
	assert_true(n->polled);
	assert_true(n->reachable);
	assert_string_equal(n->error, "");
	assert_string_equal(n->version, "0.36-2-enterprise-edition");
	assert_int_equal(n->gen, CORE_FLEET_GEN_OLD);
	assert_true(n->ver.enterprise);
	assert_int_equal(strlen(n->node_id), 36);
	assert_true(n->hostname[0] != '\0');
	assert_true(n->db_reachable);
	assert_true(n->connections_active >= 1);
	assert_false(n->rate_known);
	first_total = n->total_requests;

	n = by_url(f, new1.url);
	assert_true(n->reachable);
	assert_int_equal(n->gen, CORE_FLEET_GEN_NEW);
	assert_string_equal(n->version, "1.3.0.0-enterprise-edition");

	n = by_url(f, dead);
	assert_true(n->polled);
	assert_false(n->reachable);
	assert_non_null(strstr(n->error, "GET /status: "));

	/* Without the token (its URL stored without the trailing slash), and
	 * with a wrong one: refused as by RBAC. */
	n = core_fleet_node(f, 4);
	assert_string_equal(n->url, new1.url);
	assert_false(n->reachable);
	assert_non_null(strstr(n->error, "HTTP 401"));
	assert_non_null(strstr(n->error, "Invalid RBAC credentials"));
	assert_non_null(strstr(core_fleet_node(f, 5)->error, "HTTP 401"));
	for (size_t i = 0; i < core_fleet_count(f); i++)
		assert_null(strstr(core_fleet_node(f, i)->error, TOKEN));

	/* Refresh until the rates are known (bounded). */
	deadline = now_ms() + 15000;
	do {
		struct pollfd none = {-1, 0, 0};

		poll(&none, 0, 300);
		assert_int_equal(core_fleet_start_poll(f, &err), 0);
		assert_int_equal(core_fleet_poll_wait(f, &err), 0);
	} while (!by_url(f, new1.url)->rate_known && now_ms() < deadline);
	n = by_url(f, old1.url);
	assert_true(n->total_requests > first_total);
	assert_true(n->rate_known);
	n = by_url(f, new1.url);
	assert_true(n->rate_known);
	/* steady:50, measured over a fraction of a second: loosely. */
	assert_true(n->rate > 15 && n->rate < 150);
	assert_true(core_fleet_cluster_rate(f, CORE_FLEET_NEW) >= n->rate);
	core_fleet_free(f);
}

static void test_old_nodes_drain(void **state)
{
	struct core_fleet_options opt = {.timeout_ms = 2000, .tau_ms = 500};
	struct core_fleet *f = NULL;
	struct core_error err = {{0}};
	const struct core_fleet_node *n;
	long deadline = now_ms() + 20000;

	(void)state;
	/* drain:40:2 has been at zero for a while; only our own requests remain
	 * in total_requests, and they are subtracted. */
	assert_int_equal(core_fleet_new(&opt, &f, &err), 0);
	assert_int_equal(core_fleet_add(f, CORE_FLEET_OLD, old1.url, NULL, &err), 0);
	do {
		struct pollfd none = {-1, 0, 0};

		assert_int_equal(core_fleet_start_poll(f, &err), 0);
		assert_int_equal(core_fleet_poll_wait(f, &err), 0);
		n = core_fleet_node(f, 0);
		poll(&none, 0, 200);
	} while (!(n->rate_known && n->rate <= 0.5) && now_ms() < deadline);
	assert_true(n->reachable);
	assert_true(n->rate_known);
	assert_true(n->rate <= 0.5);
	core_fleet_free(f);
}

static void test_hostile_nodes(void **state)
{
	struct core_fleet_options opt = {.timeout_ms = 1500, .max_body = 1024 * 1024};
	struct core_fleet *f = NULL;
	struct core_error err = {{0}};
	static const char *const expect[] = {
	    "larger than 1048576 bytes", "not JSON", "total_requests is not a number",
	    "no answer within the timeout", "not a Kong Admin API"};
	char url[64];
	long t0;
	int i;

	(void)state;
	assert_int_equal(core_fleet_new(&opt, &f, &err), 0);
	for (i = 0; i < 5; i++) {
		snprintf(url, sizeof(url), "http://127.0.0.1:%d", hostile_port[i]);
		assert_int_equal(core_fleet_add(f, CORE_FLEET_OLD, url, NULL, &err), 0);
	}
	assert_int_equal(core_fleet_add(f, CORE_FLEET_NEW, new1.url, TOKEN, &err), 0);
	t0 = now_ms();
	assert_int_equal(core_fleet_start_poll(f, &err), 0);
	assert_int_equal(core_fleet_poll_wait(f, &err), 0);
	assert_true(now_ms() - t0 < 1500 + 1000);
	for (i = 0; i < 5; i++) {
		const struct core_fleet_node *n = core_fleet_node(f, (size_t)i);

		assert_true(n->polled);
		assert_false(n->reachable);
		if (strstr(n->error, expect[i]) == NULL)
			fail_msg("node %d: '%s' lacks '%s'", i, n->error, expect[i]);
	}
	assert_true(core_fleet_node(f, 5)->reachable);
	core_fleet_free(f);
}

static struct core_drain_obs obs_at(long t_s, int conns, double rate)
{
	struct core_drain_obs o;

	memset(&o, 0, sizeof(o));
	o.t_ms = t_s * 1000;
	o.old_connections = conns;
	o.conn_host_count = conns;
	snprintf(o.conn_host, sizeof(o.conn_host), "%s", conns > 0 ? "10.0.0.11" : "");
	o.max_old_rate = rate;
	snprintf(o.busiest, sizeof(o.busiest), "10.0.0.12:8001");
	return o;
}

static void test_drain_fake_clock(void **state)
{
	struct core_drain_obs h[8];
	struct core_drain_verdict v;
	char buf[32];

	(void)state;
	memset(h, 0, sizeof(h));
	core_drain_evaluate(h, 0, 0.5, 300000, 0, &v);
	assert_false(v.drained);

	h[0] = obs_at(0, 3, 30.0);
	core_drain_evaluate(h, 1, 0.5, 300000, 0, &v);
	assert_false(v.drained);
	assert_string_equal(v.reason, "old node 10.0.0.11 still has 3 database connections");

	h[1] = obs_at(50, 0, 12.5);
	core_drain_evaluate(h, 2, 0.5, 300000, 50000, &v);
	assert_false(v.drained);
	assert_string_equal(v.reason, "old node 10.0.0.12:8001 at 12.5 req/s > 0.5");

	/* Idle from t=100 s; at 230 s that is 2m10s of 5m. */
	h[2] = obs_at(100, 0, 0.4);
	h[3] = obs_at(160, 0, 0.0);
	h[4] = obs_at(230, 0, 0.1);
	core_drain_evaluate(h, 5, 0.5, 300000, 230000, &v);
	assert_false(v.drained);
	assert_int_equal(v.idle_ms, 130000);
	assert_string_equal(v.reason, "idle for 2m10s of 5m");

	/* After the soak: drained. */
	h[5] = obs_at(400, 0, 0.0);
	core_drain_evaluate(h, 6, 0.5, 300000, 400000, &v);
	assert_true(v.drained);
	assert_int_equal(v.idle_ms, 300000);
	assert_non_null(strstr(v.reason, "drained"));

	/* A busy blip restarts the soak: counted from the first idle answer after it. */
	h[5] = obs_at(300, 0, 3.0);
	h[6] = obs_at(400, 0, 0.0);
	h[7] = obs_at(500, 0, 0.2);
	core_drain_evaluate(h, 8, 0.5, 300000, 500000, &v);
	assert_false(v.drained);
	assert_string_equal(v.reason, "idle for 1m40s of 5m");

	/* A node whose rate is not known yet is not idle. */
	h[7].rate_unknown = true;
	core_drain_evaluate(h, 8, 0.5, 300000, 500000, &v);
	assert_false(v.drained);
	assert_non_null(strstr(v.reason, "not measured yet"));

	core_drain_format_duration(3723000, buf, sizeof(buf));
	assert_string_equal(buf, "1h2m");
	core_drain_format_duration(45999, buf, sizeof(buf));
	assert_string_equal(buf, "45s");
}

static void test_drain_observe_live(void **state)
{
	const char *old_urls[] = {old1.url, old2.url};
	struct core_census_map *m = NULL;
	struct core_census *c = NULL;
	struct core_fleet *f = NULL;
	struct core_error err = {{0}};
	struct core_drain_obs o;
	struct core_drain_verdict v;
	PGconn *wiz;

	(void)state;
	wiz = connect_kong("kong-upgrade-wizard (observe)");
	assert_int_equal(core_census_map_new(old_urls, 2, NULL, 0, 0, &m, &err), 0);
	assert_int_equal(core_census_take(wiz, m, &c, &err), 0);
	assert_int_equal(core_fleet_new(NULL, &f, &err), 0);
	assert_int_equal(core_fleet_add(f, CORE_FLEET_OLD, old1.url, NULL, &err), 0);
	assert_int_equal(core_fleet_start_poll(f, &err), 0);
	assert_int_equal(core_fleet_poll_wait(f, &err), 0);
	core_drain_observe(c, f, 1000, &o);
	assert_int_equal(o.old_connections, 3);
	assert_string_equal(o.conn_host, "127.0.0.1");
	/* First poll: the old node has no rate yet. */
	assert_true(o.rate_unknown);
	core_drain_evaluate(&o, 1, 0.5, 1000, 1000, &v);
	assert_false(v.drained);
	assert_string_equal(v.reason, "old node 127.0.0.1 still has 3 database connections");

	PQfinish(wiz);
	core_census_free(c);
	core_census_map_free(m);
	core_fleet_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_version_parse),      cmocka_unit_test(test_rate_update),
	    cmocka_unit_test(test_classify_synthetic), cmocka_unit_test(test_drain_fake_clock),
	    cmocka_unit_test(test_census_real),        cmocka_unit_test(test_poll_fleet),
	    cmocka_unit_test(test_hostile_nodes),      cmocka_unit_test(test_old_nodes_drain),
	    cmocka_unit_test(test_drain_observe_live),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
