/* The fleet census with stand-in nodes on distinct hosts (issue 6, SPEC §2
 * step 6). On loopback every client is 127.0.0.1, so test_fleet can only
 * show hosts shared by both clusters ("old or new"). Here each node runs
 * in its own network namespace joined to ours by a veth pair: its datastore
 * connections come from its own address and its Admin API listens there, as
 * on separate machines. Through the real code paths: the census classes each
 * host old or new with its connections and application; drain is detected
 * only once the old hosts have disconnected and after the soak, while a new
 * host's connections never hold it back; `finish` is refused when an old
 * node reconnects, naming its address; `status --json` shows the hosts.
 *
 * Needs root and iproute2's `ip` (CI has both): skipped with the reason
 * otherwise; as root, a namespace that cannot be made fails the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core_census.h"
#include "core/core_drain.h"
#include "core/core_fleet.h"
#include "core/core_pg.h"
#include "core/core_sandbox.h"
#include "tests/support/netns.h"
#include "tests/support/nodes.h"
#include "tests/support/testenv.h"

#define N_NODES     3
#define ADMIN_PORT  8001
#define IDLE_RATE   0.5
#define SOAK_MS     2000
#define OLD_VERSION "0.36-2-enterprise-edition"
#define NEW_VERSION "1.3.0.0-enterprise-edition"

/* The fleet: two old nodes and one new, each on its own host. */
static const struct {
	bool old;
	const char *version;
	const char *profile;
	int connections;
} spec[N_NODES] = {
    {true, OLD_VERSION, "drain:40:1", 2},
    {true, OLD_VERSION, "drain:20:1", 1},
    {false, NEW_VERSION, "ramp:40:2", 3},
};

static char skip_reason[256];
static struct testenv te;
static struct netns_set hosts;
static struct node nodes[N_NODES];
static char node_conf[N_NODES][4200];
static char wizard[4096];
static char db[128];
static char kconf[4096];
static char wconf[4200];
static bool upped;

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void pause_ms(int ms)
{
	poll(NULL, 0, ms);
}

/* Node i's host: its address (the census's and the URL's). */
static const char *addr_of(int i)
{
	return hosts.hosts[i].inner;
}

static int node_up(int i, struct core_error *err)
{
	struct node_options o = {.netns = hosts.hosts[i].name,
				 .addr = hosts.hosts[i].inner,
				 .port = ADMIN_PORT,
				 .db_connections = spec[i].connections};

	return node_start_with(&nodes[i], &o, te.kong_sim, node_conf[i], spec[i].version,
			       spec[i].profile, NULL, err);
}

/* Each node's kong.conf: the datastore at the root end of its veth. */
static int write_node_conf(int i, struct core_error *err)
{
	FILE *f;

	snprintf(node_conf[i], sizeof(node_conf[i]), "%s/node-%c.conf", te.tmpdir, 'a' + i);
	f = fopen(node_conf[i], "w");
	if (f == NULL)
		return core_error_errno(err, errno, "creating %s", node_conf[i]);
	fprintf(f,
		"pg_host = %s\npg_port = %d\npg_user = kong\npg_password = kong\n"
		"pg_database = %s\n",
		hosts.hosts[i].outer, core_sandbox_port(te.sb), db);
	if (fclose(f) != 0)
		return core_error_errno(err, errno, "writing %s", node_conf[i]);
	return 0;
}

static int write_wizard_conf(struct core_error *err)
{
	FILE *f;

	snprintf(wconf, sizeof(wconf), "%s/wizard.conf", te.tmpdir);
	f = fopen(wconf, "w");
	if (f == NULL)
		return core_error_errno(err, errno, "creating %s", wconf);
	fprintf(f,
		"kong { binary = \"%s\" conf = \"%s\" }\n"
		"state_dir = \"%s/state\"\n"
		"backup { dir = \"%s/backups\" }\n"
		"cluster old { admin_urls = {\"%s\", \"%s\"} }\n"
		"cluster new { admin_urls = {\"%s\"} }\n"
		"traffic { poll_interval = 1s idle_rate = %g min_soak = %ds }\n",
		te.kong_sim, kconf, te.tmpdir, te.tmpdir, nodes[0].url, nodes[1].url, nodes[2].url,
		IDLE_RATE, SOAK_MS / 1000);
	if (fclose(f) != 0)
		return core_error_errno(err, errno, "writing %s", wconf);
	return 0;
}

static int teardown(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < N_NODES; i++)
		node_stop(&nodes[i]);
	netns_destroy(&hosts);
	testenv_stop(&te);
	return 0;
}

static int setup(void **state)
{
	struct core_error err = {{0}};
	const char *outer[N_NODES + 1] = {NULL};
	const char *nets[2] = {NULL, NULL};
	const char *w = getenv("KUW_WIZARD");
	char ip[256];
	int i;

	(void)state;
	for (i = 0; i < N_NODES; i++)
		nodes[i].pid = -1;
	if (netns_unavailable(ip, sizeof(ip), skip_reason, sizeof(skip_reason)) < 0)
		return 0;
	if (w == NULL) {
		fprintf(stderr, "setup: KUW_WIZARD is not set\n");
		return -1;
	}
	snprintf(wizard, sizeof(wizard), "%s", w);
	netns_sweep(ip);
	if (testenv_start(&te, &err) < 0 || netns_create(&hosts, ip, N_NODES, &err) < 0)
		goto fail;
	for (i = 0; i < N_NODES; i++)
		outer[i] = hosts.hosts[i].outer;
	nets[0] = hosts.net;
	if (core_sandbox_listen(te.sb, outer, nets, &err) < 0 ||
	    testenv_create_db(&te, "ee-0.36", NULL, db, sizeof(db), &err) < 0 ||
	    testenv_write_kongconf(&te, db, NULL, kconf, sizeof(kconf), &err) < 0)
		goto fail;
	for (i = 0; i < N_NODES; i++) {
		if (write_node_conf(i, &err) < 0 || node_up(i, &err) < 0)
			goto fail;
	}
	if (write_wizard_conf(&err) < 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "setup: %s\n", err.msg);
	teardown(state);
	return -1;
}

static void skip_unless_ready(void)
{
	if (skip_reason[0] == '\0')
		return;
	print_message("test_census_netns: skipped: %s\n", skip_reason);
	skip();
}

/* A connection of the wizard's kind (left out of the census). */
static PGconn *connect_wizard(void)
{
	struct core_pg_params p = {0};
	struct core_error err = {{0}};
	PGconn *c = NULL;

	p.host = core_sandbox_host(te.sb);
	p.port = core_sandbox_port(te.sb);
	p.user = "kong";
	p.password = "kong";
	p.dbname = db;
	p.application_name = "kong-upgrade-wizard (netns test)";
	if (core_pg_connect(&p, &c, &err) < 0)
		fail_msg("%s", err.msg);
	return c;
}

static struct core_census_map *cluster_map(void)
{
	const char *old_urls[] = {nodes[0].url, nodes[1].url};
	const char *new_urls[] = {nodes[2].url};
	struct core_census_map *m = NULL;
	struct core_error err = {{0}};

	assert_int_equal(core_census_map_new(old_urls, 2, new_urls, 1, 0, &m, &err), 0);
	assert_string_equal(core_census_map_note(m), "");
	return m;
}

static const struct core_census_host *row_of(const struct core_census *c, const char *addr)
{
	size_t i;

	for (i = 0; i < c->n_hosts; i++) {
		if (strcmp(c->hosts[i].addr, addr) == 0)
			return &c->hosts[i];
	}
	return NULL;
}

/* Takes the census until the host at addr holds want connections (0: is
 * gone; the server ends a backend shortly after its client went), at most
 * 10 s. The last census is returned (the caller frees it). */
static struct core_census *census_until(PGconn *conn, const struct core_census_map *m,
					const char *addr, int want)
{
	struct core_error err = {{0}};
	struct core_census *c = NULL;
	long deadline = now_ms() + 10000;

	for (;;) {
		const struct core_census_host *h;

		core_census_free(c);
		if (core_census_take(conn, m, &c, &err) < 0)
			fail_msg("%s", err.msg);
		h = row_of(c, addr);
		if ((want == 0 && h == NULL) || (h != NULL && h->connections == want))
			return c;
		if (now_ms() > deadline)
			fail_msg("host %s: %d connections after 10 s, want %d", addr,
				 h != NULL ? h->connections : 0, want);
		pause_ms(50);
	}
}

static void node_down(int i, PGconn *conn, const struct core_census_map *m)
{
	node_stop(&nodes[i]);
	core_census_free(census_until(conn, m, addr_of(i), 0));
}

/* (a) Each host in its own class, with its connections and application. */
static void test_census_classes(void **state)
{
	struct core_census_map *m = NULL;
	struct core_census *c = NULL;
	const struct core_census_host *h, *top = NULL;
	PGconn *wiz;
	size_t i;
	int n;

	(void)state;
	skip_unless_ready();
	wiz = connect_wizard();
	m = cluster_map();
	for (n = 0; n < N_NODES; n++) {
		assert_int_equal(core_census_classify(m, addr_of(n), NULL),
				 spec[n].old ? CORE_CENSUS_OLD : CORE_CENSUS_NEW);
		core_census_free(census_until(wiz, m, addr_of(n), spec[n].connections));
	}
	c = census_until(wiz, m, addr_of(0), spec[0].connections);
	for (n = 0; n < N_NODES; n++) {
		h = row_of(c, addr_of(n));
		assert_non_null(h);
		assert_int_equal(h->connections, spec[n].connections);
		assert_int_equal(h->cls, spec[n].old ? CORE_CENSUS_OLD : CORE_CENSUS_NEW);
		assert_string_equal(core_census_class_name(h->cls), spec[n].old ? "old" : "new");
		assert_string_equal(h->application, "kong");
		assert_false(h->local);
		assert_false(h->hidden);
		assert_true(h->oldest_start > 1500000000LL);
	}
	/* Nothing of the fleet on loopback, nothing shared by both clusters, and
	 * the wizard's own session left out. */
	for (i = 0; i < c->n_hosts; i++) {
		assert_int_not_equal(c->hosts[i].cls, CORE_CENSUS_BOTH);
		assert_null(strstr(c->hosts[i].application, "kong-upgrade-wizard"));
		if (c->hosts[i].local)
			assert_string_not_equal(c->hosts[i].application, "kong");
	}
	/* Most connections first. */
	assert_string_equal(c->hosts[0].addr, addr_of(2));
	assert_int_equal(core_census_count(c, CORE_CENSUS_OLD, &top), 3);
	assert_non_null(top);
	assert_string_equal(top->addr, addr_of(0));
	assert_int_equal(core_census_count(c, CORE_CENSUS_NEW, &top), 3);
	assert_string_equal(top->addr, addr_of(2));
	assert_int_equal(core_census_count(c, CORE_CENSUS_BOTH, NULL), 0);
	core_census_free(c);
	core_census_map_free(m);
	PQfinish(wiz);
}

/* Runs the wizard and checks its exit status; shows its output otherwise. */
static void wiz(int want, struct testenv_run *run, const char *a, const char *b, const char *c,
		const char *d, const char *e)
{
	struct core_error err = {{0}};
	const char *argv[] = {wizard, "-c", wconf, a, b, c, d, e, NULL};

	if (testenv_run(argv, NULL, run, &err) < 0)
		fail_msg("%s", err.msg);
	if (run->status != want)
		fail_msg("%s %s: exit %d, want %d\n--- stdout:\n%s\n--- stderr:\n%s", a,
			 b != NULL ? b : "", run->status, want, run->out, run->err);
}

static char *query(const char *sql)
{
	struct core_error err = {{0}};
	char *v = testenv_query1(&te, db, sql, &err);

	if (v == NULL)
		fail_msg("%s", err.msg);
	return v;
}

static void expect_pending(const char *want)
{
	char *v = query("SELECT pending::text FROM schema_meta WHERE subsystem = 'core'");

	assert_string_equal(v, want);
	free(v);
}

static void ensure_up(void)
{
	struct testenv_run r;

	if (upped)
		return;
	wiz(0, &r, "up", NULL, NULL, NULL, NULL);
	testenv_run_done(&r);
	expect_pending("{005_120_to_130}");
	upped = true;
}

static json_t *json_find(json_t *array, const char *key, const char *value)
{
	size_t i;
	json_t *e;

	json_array_foreach(array, i, e)
	{
		const char *v = json_string_value(json_object_get(e, key));

		if (v != NULL && strcmp(v, value) == 0)
			return e;
	}
	return NULL;
}

/* (d) status --json: the census with the distinct hosts classified, and
 * every node's poll. During the window between up and finish, as operators
 * look at it. */
static void test_status_json(void **state)
{
	struct testenv_run r;
	json_error_t jerr;
	json_t *j, *census, *list, *e;
	size_t i;
	int n;

	(void)state;
	skip_unless_ready();
	ensure_up();
	wiz(0, &r, "status", "--json", NULL, NULL, NULL);
	j = json_loads(r.out, 0, &jerr);
	if (j == NULL)
		fail_msg("status --json: %s\n%s", jerr.text, r.out);
	census = json_object_get(json_object_get(j, "fleet"), "census");
	list = json_object_get(json_object_get(j, "fleet"), "nodes");
	assert_true(json_is_array(census));
	assert_int_equal(json_array_size(list), N_NODES);
	for (n = 0; n < N_NODES; n++) {
		e = json_find(census, "addr", addr_of(n));
		if (e == NULL)
			fail_msg("no census entry for %s in %s", addr_of(n), r.out);
		assert_string_equal(json_string_value(json_object_get(e, "class")),
				    spec[n].old ? "old" : "new");
		assert_int_equal(json_integer_value(json_object_get(e, "connections")),
				 spec[n].connections);
		assert_string_equal(json_string_value(json_object_get(e, "application")), "kong");

		e = json_find(list, "url", nodes[n].url);
		assert_non_null(e);
		assert_string_equal(json_string_value(json_object_get(e, "cluster")),
				    spec[n].old ? "old" : "new");
		assert_true(json_is_true(json_object_get(e, "reachable")));
		assert_string_equal(json_string_value(json_object_get(e, "version")),
				    spec[n].version);
	}
	json_array_foreach(census, i, e)
	{
		assert_string_not_equal(json_string_value(json_object_get(e, "class")),
					"old or new");
	}
	json_decref(j);
	testenv_run_done(&r);
}

/* One refresh as the traffic screen does it: a census and a poll of every
 * node, reduced to an observation and judged over the history. */
struct watch {
	PGconn *conn;
	struct core_census_map *map;
	struct core_fleet *fleet;
	struct core_drain_obs history[512];
	size_t n;
	struct core_census *census; /* the last one */
	struct core_drain_verdict v;
};

static void watch_step(struct watch *w)
{
	struct core_error err = {{0}};
	long t;

	core_census_free(w->census);
	w->census = NULL;
	if (core_census_take(w->conn, w->map, &w->census, &err) < 0 ||
	    core_fleet_start_poll(w->fleet, &err) < 0 || core_fleet_poll_wait(w->fleet, &err) < 0)
		fail_msg("%s", err.msg);
	t = now_ms();
	if (w->n == sizeof(w->history) / sizeof(w->history[0]))
		fail_msg("more refreshes than expected");
	core_drain_observe(w->census, w->fleet, t, &w->history[w->n++]);
	core_drain_evaluate(w->history, w->n, IDLE_RATE, SOAK_MS, t, &w->v);
}

static bool old_nodes_idle(const struct core_fleet *f)
{
	size_t i;

	for (i = 0; i < core_fleet_count(f); i++) {
		const struct core_fleet_node *n = core_fleet_node(f, i);

		if (n->cluster == CORE_FLEET_OLD &&
		    !(n->reachable && n->rate_known && n->rate <= IDLE_RATE))
			return false;
	}
	return true;
}

/* (b) Not drained while an old host holds a connection, even with its node
 * idle; drained only once the old hosts are gone and after the soak, with
 * the new host still connected. */
static void test_drain_after_soak(void **state)
{
	struct core_fleet_options opt = {.timeout_ms = 2000, .tau_ms = 500};
	struct core_error err = {{0}};
	static struct watch w; /* the history is large for a stack */
	char want[256];
	long deadline, t_idle;
	int i;

	(void)state;
	skip_unless_ready();
	memset(&w, 0, sizeof(w));
	w.conn = connect_wizard();
	w.map = cluster_map();
	assert_int_equal(core_fleet_new(&opt, &w.fleet, &err), 0);
	for (i = 0; i < N_NODES; i++)
		assert_int_equal(core_fleet_add(w.fleet,
						spec[i].old ? CORE_FLEET_OLD : CORE_FLEET_NEW,
						nodes[i].url, NULL, &err),
				 0);

	/* Both old nodes' traffic has gone (their profiles drain in 1 s), but
	 * they still hold their datastore connections: that alone blocks. */
	deadline = now_ms() + 15000;
	do {
		pause_ms(200);
		watch_step(&w);
		assert_false(w.v.drained);
	} while (!old_nodes_idle(w.fleet) && now_ms() < deadline);
	assert_true(old_nodes_idle(w.fleet));
	assert_int_equal(w.history[w.n - 1].old_connections, 3);
	snprintf(want, sizeof(want),
		 "old node %s still has 2 database connections (and other old hosts more)",
		 addr_of(0));
	assert_string_equal(w.v.reason, want);

	/* The first old node is decommissioned: the second one is named. */
	node_down(0, w.conn, w.map);
	watch_step(&w);
	assert_false(w.v.drained);
	snprintf(want, sizeof(want), "old node %s still has 1 database connection", addr_of(1));
	assert_string_equal(w.v.reason, want);

	/* The second too. The new host keeps its 3 connections throughout. */
	node_down(1, w.conn, w.map);
	watch_step(&w);
	t_idle = w.history[w.n - 1].t_ms;
	assert_int_equal(w.history[w.n - 1].old_connections, 0);
	assert_int_equal(core_census_count(w.census, CORE_CENSUS_NEW, NULL), 3);
	assert_false(w.v.drained);
	assert_non_null(strstr(w.v.reason, "idle for 0s of 2s"));
	deadline = now_ms() + SOAK_MS + 10000;
	while (!w.v.drained && now_ms() < deadline) {
		pause_ms(200);
		watch_step(&w);
		if (!w.v.drained) {
			assert_true(w.history[w.n - 1].t_ms - t_idle < SOAK_MS);
			assert_non_null(strstr(w.v.reason, "idle for "));
		}
	}
	assert_true(w.v.drained);
	assert_true(w.history[w.n - 1].t_ms - t_idle >= SOAK_MS);
	assert_true(w.v.idle_ms >= SOAK_MS);
	assert_non_null(strstr(w.v.reason, "drained: no old database connections"));
	assert_int_equal(core_census_count(w.census, CORE_CENSUS_NEW, NULL), 3);

	core_census_free(w.census);
	core_fleet_free(w.fleet);
	core_census_map_free(w.map);
	PQfinish(w.conn);
}

/* (c) finish repeats the census: refused while an old node is back on its
 * host, naming that host; runs once it is gone again, the new host still
 * connected. */
static void test_finish_refused_on_reconnect(void **state)
{
	struct core_error err = {{0}};
	struct core_census_map *m = NULL;
	struct testenv_run r;
	char want[256];
	PGconn *conn;

	(void)state;
	skip_unless_ready();
	conn = connect_wizard();
	m = cluster_map();
	ensure_up();
	/* Both old nodes gone (the drain test decommissioned them). */
	node_down(0, conn, m);
	node_down(1, conn, m);

	/* The first old node comes back, from its own address. */
	if (node_up(0, &err) < 0)
		fail_msg("%s", err.msg);
	core_census_free(census_until(conn, m, addr_of(0), spec[0].connections));
	wiz(1, &r, "finish", "--confirm", db, "--without-backup", "netns test");
	snprintf(want, sizeof(want),
		 "an old-cluster node is connected to the datastore again (%s, 2 connections)",
		 addr_of(0));
	if (strstr(r.err, want) == NULL)
		fail_msg("finish said:\n%s\nwant: %s", r.err, want);
	testenv_run_done(&r);
	expect_pending("{005_120_to_130}");

	node_down(0, conn, m);
	core_census_free(census_until(conn, m, addr_of(2), spec[2].connections));
	wiz(0, &r, "finish", "--confirm", db, "--without-backup", "netns test");
	testenv_run_done(&r);
	expect_pending("{}");

	core_census_map_free(m);
	PQfinish(conn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_census_classes),
	    cmocka_unit_test(test_status_json),
	    cmocka_unit_test(test_drain_after_soak),
	    cmocka_unit_test(test_finish_refused_on_reconnect),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
