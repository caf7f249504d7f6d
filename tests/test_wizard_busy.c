/* test_wizard_busy.c — the wizard keeps answering while its datastore does
 * not (issue 5: "it never blocks on the database or a child ... the UI keeps
 * reading keys, including during a 30-second connect timeout").
 *
 * The wizard reaches its datastore through a TCP relay this test runs (a
 * thread): the relay forwards to the sandbox's PostgreSQL until the test
 * turns it silent, which drops the connections it carried (as a failover
 * would) and from then on accepts connections and never answers them. The
 * wizard's next inspection (r on the Prerequisites) then waits for
 * pg_timeout (10 s here), `kong migrations list` too. Meanwhile the screen
 * must show the busy state, help, resize and q must work, and the wizard
 * must use no CPU; once the connect times out the screen says what and where.
 * The same when a supervised run ends: its verification (an inspection)
 * waits on a worker while new connections go unanswered.
 *
 * The real binary in a private tmux server (80x24, clean environment), as
 * test_wizard_e2e.c does; waits for screen text with deadlines, never fixed
 * sleeps. */
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
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/core_journal.h"
#include "core/core_sandbox.h"
#include "tests/support/testenv.h"
#include "tests/support/tmux.h"

#define BUSY_DEADLINE_MS 30000
#define BUSY_PG_TIMEOUT_S 10
#define RELAY_MAX 64

static struct testenv te;
static char wizard[4096];

/* ---- the relay */

/* Silent drops the connections carried; hold keeps forwarding them; both
 * accept new ones and never answer them, until forward again forwards
 * those held too. */
enum relay_mode { RELAY_FORWARD, RELAY_SILENT, RELAY_HOLD, RELAY_STOP };

struct relay {
	int listen_fd;
	int port;
	int wake[2]; /* the test writes a byte after changing mode */
	atomic_int mode;
	pthread_t thread;
	bool started;
	/* Forwarded connections (client side, server side), and the silent
	 * ones: accepted, never read, never answered. */
	int client[RELAY_MAX], server[RELAY_MAX];
	size_t n_pairs;
	int held[RELAY_MAX];
	size_t n_held;
};

static int relay_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int relay_connect_upstream(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_port = htons((uint16_t)core_sandbox_port(te.sb));
	if (fd < 0 || inet_pton(AF_INET, core_sandbox_host(te.sb), &sa.sin_addr) != 1 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void relay_drop_pair(struct relay *r, size_t i)
{
	close(r->client[i]);
	close(r->server[i]);
	r->n_pairs--;
	r->client[i] = r->client[r->n_pairs];
	r->server[i] = r->server[r->n_pairs];
}

static void relay_accept(struct relay *r)
{
	int fd = accept4(r->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	int up;

	if (fd < 0)
		return;
	if (atomic_load(&r->mode) != RELAY_FORWARD) {
		if (r->n_held < RELAY_MAX)
			r->held[r->n_held++] = fd;
		else
			close(fd);
		return;
	}
	up = relay_connect_upstream();
	if (up < 0 || r->n_pairs == RELAY_MAX) {
		close(fd);
		if (up >= 0)
			close(up);
		return;
	}
	r->client[r->n_pairs] = fd;
	r->server[r->n_pairs++] = up;
}

/* Forwarded again: the connections held get their answers late. */
static void relay_release_held(struct relay *r)
{
	while (r->n_held > 0) {
		int fd = r->held[--r->n_held];
		int up = relay_connect_upstream();

		if (up < 0 || r->n_pairs == RELAY_MAX) {
			close(fd);
			if (up >= 0)
				close(up);
			continue;
		}
		r->client[r->n_pairs] = fd;
		r->server[r->n_pairs++] = up;
	}
}

static void *relay_main(void *arg)
{
	struct relay *r = arg;
	char buf[65536];

	for (;;) {
		struct pollfd pfd[2 + 2 * RELAY_MAX];
		size_t n = 0, i;

		pfd[n++] = (struct pollfd){ .fd = r->wake[0], .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = r->listen_fd, .events = POLLIN };
		for (i = 0; i < r->n_pairs; i++) {
			pfd[n++] = (struct pollfd){ .fd = r->client[i], .events = POLLIN };
			pfd[n++] = (struct pollfd){ .fd = r->server[i], .events = POLLIN };
		}
		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents != 0) {
			if (read(r->wake[0], buf, sizeof(buf)) < 0 && errno != EAGAIN)
				break;
			switch (atomic_load(&r->mode)) {
			case RELAY_STOP:
				goto out;
			case RELAY_SILENT:
				/* The datastore "went away" under its clients. */
				while (r->n_pairs > 0)
					relay_drop_pair(r, 0);
				break;
			case RELAY_FORWARD:
				relay_release_held(r);
				break;
			case RELAY_HOLD:
				break;
			}
			continue;
		}
		if (pfd[1].revents != 0)
			relay_accept(r);
		/* From the end: dropping a pair moves the last one into its slot. */
		for (i = r->n_pairs; i-- > 0;) {
			int from[2] = { r->client[i], r->server[i] };
			int to[2] = { r->server[i], r->client[i] };
			short rev[2] = { pfd[2 + 2 * i].revents, pfd[3 + 2 * i].revents };
			bool drop = false;
			int k;

			if (2 + 2 * i >= n)
				continue; /* accepted in this round */
			for (k = 0; k < 2 && !drop; k++) {
				ssize_t got;

				if (rev[k] == 0)
					continue;
				got = read(from[k], buf, sizeof(buf));
				if (got <= 0 || relay_write_all(to[k], buf, (size_t)got) < 0)
					drop = true;
			}
			if (drop)
				relay_drop_pair(r, i);
		}
	}
out:
	while (r->n_pairs > 0)
		relay_drop_pair(r, 0);
	while (r->n_held > 0)
		close(r->held[--r->n_held]);
	return NULL;
}

static void relay_start(struct relay *r)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);

	memset(r, 0, sizeof(*r));
	atomic_init(&r->mode, RELAY_FORWARD);
	r->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(r->listen_fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(r->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(r->listen_fd, 16), 0);
	assert_int_equal(getsockname(r->listen_fd, (struct sockaddr *)&sa, &len), 0);
	r->port = ntohs(sa.sin_port);
	assert_int_equal(pipe2(r->wake, O_CLOEXEC | O_NONBLOCK), 0);
	assert_int_equal(pthread_create(&r->thread, NULL, relay_main, r), 0);
	r->started = true;
}

static void relay_set(struct relay *r, enum relay_mode mode)
{
	atomic_store(&r->mode, mode);
	assert_int_equal(write(r->wake[1], "x", 1), 1);
}

static void relay_stop(struct relay *r)
{
	if (!r->started)
		return;
	relay_set(r, RELAY_STOP);
	pthread_join(r->thread, NULL);
	close(r->listen_fd);
	close(r->wake[0]);
	close(r->wake[1]);
	r->started = false;
}

/* ---- driving the wizard (helpers as in test_wizard_e2e.c) */

struct busy {
	struct tmux_term t;
	struct relay relay;
	char db[128];
	char kconf[4400];
	char wconf[4400];
	char state[4400];
	char env[256]; /* more of the wizard's environment ("" or "NAME=value") */
};

/* Prints a screen line by line (cmocka cuts each message at 1 KiB). */
static void busy_print_screen(const char *screen)
{
	while (*screen != '\0') {
		size_t n = strcspn(screen, "\n");

		print_error("|%.*s\n", (int)n, screen);
		screen += n + (screen[n] == '\n');
	}
}

/* Waits until the screen contains (absent: no longer contains) text; fails
 * after deadline_ms with the screen printed. */
static void busy_wait_for(struct busy *b, const char *text, bool absent, long deadline_ms)
{
	if (tmux_wait(&b->t, text, absent, deadline_ms) < 0) {
		print_error("screen after %ld ms, waiting for %s\"%s\":\n", deadline_ms,
			    absent ? "no " : "", text);
		busy_print_screen(b->t.out);
		fail();
	}
}

static void busy_wait(struct busy *b, const char *text)
{
	busy_wait_for(b, text, false, BUSY_DEADLINE_MS);
}

static void busy_keys(struct busy *b, const char *keys)
{
	assert_int_equal(tmux_run(&b->t, "send-keys -t kuw %s", keys), 0);
}

/* A datastore reached through the relay, pg_timeout 10 s. */
static void busy_site(struct busy *b)
{
	struct core_error err = { { 0 } };
	FILE *f;

	if (testenv_create_db(&te, "ee-0.36", NULL, b->db, sizeof(b->db), &err) < 0)
		fail_msg("%s", err.msg);
	snprintf(b->kconf, sizeof(b->kconf), "%s/kong-%s.conf", te.tmpdir, b->db);
	f = fopen(b->kconf, "w");
	assert_non_null(f);
	fprintf(f, "pg_host = 127.0.0.1\npg_port = %d\npg_user = kong\npg_password = kong\n"
		   "pg_database = %s\npg_timeout = %d\n",
		b->relay.port, b->db, BUSY_PG_TIMEOUT_S * 1000);
	assert_int_equal(fclose(f), 0);
	snprintf(b->state, sizeof(b->state), "%s/state-%s", te.tmpdir, b->db);
	snprintf(b->wconf, sizeof(b->wconf), "%s/wizard-%s.conf", te.tmpdir, b->db);
	f = fopen(b->wconf, "w");
	assert_non_null(f);
	fprintf(f, "kong { binary = \"%s\" conf = \"%s\" }\nstate_dir = \"%s\"\n"
		   "backup { dir = \"%s/backups-%s\" }\n",
		te.kong_sim, b->kconf, b->state, te.tmpdir, b->db);
	assert_int_equal(fclose(f), 0);
}

/* Starts the wizard at 80x24; the shell reports its exit status. */
static void busy_start(struct busy *b)
{
	char cmd[8192];

	if (b->t.socket[0] != '\0')
		tmux_stop(&b->t);
	tmux_name(&b->t, "kuwbusy");
	snprintf(cmd, sizeof(cmd),
		 "env -i TERM=xterm-256color LANG=C.UTF-8 PATH=/usr/bin:/bin HOME=%s USER=op %s "
		 "sh -c '%s -c %s; echo EXITED \\$?; exec sleep 600'",
		 te.tmpdir, b->env, wizard, b->wconf);
	assert_int_equal(tmux_run(&b->t, "-f /dev/null new-session -d -s kuw -x 80 -y 24 \"%s\"",
				  cmd),
			 0);
}

/* The wizard's pid: the child of the pane's shell. */
static pid_t busy_wizard_pid(struct busy *b)
{
	char path[128];
	long sh;
	long pid = 0;
	FILE *f;

	assert_int_equal(tmux_run(&b->t, "display-message -p -t kuw '#{pane_pid}'"), 0);
	sh = strtol(b->t.out, NULL, 10);
	assert_true(sh > 0);
	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children", sh, sh);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld", &pid), 1);
	fclose(f);
	return (pid_t)pid;
}

/* The terminal is the shell's again: the main screen, a visible cursor,
 * nothing of the wizard left on it. */
static void busy_expect_restored(struct busy *b)
{
	assert_int_equal(tmux_run(&b->t, "display-message -p -t kuw "
					 "'#{alternate_on} #{cursor_flag}'"),
			 0);
	assert_string_equal(b->t.out, "0 1\n");
	assert_null(strstr(tmux_capture(&b->t, false), "Kong Upgrade Wizard"));
}

/* CPU time (user + system, clock ticks) the process has used. */
static long long busy_cpu_ticks(pid_t pid)
{
	char path[64], buf[2048];
	unsigned long long ut = 0, st = 0;
	const char *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* After "(comm)": state is field 3; utime and stime are 14 and 15. */
	p = strrchr(buf, ')');
	assert_non_null(p);
	assert_int_equal(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
				&ut, &st),
			 2);
	return (long long)(ut + st);
}

static void test_busy_inspection(void **state)
{
	struct busy *b = *state;
	char text[256];
	long long cpu0, cpu1;
	long t0, waited;
	pid_t pid;

	relay_start(&b->relay);
	busy_site(b);
	busy_start(b);
	busy_wait(b, "Press > (or F10)");
	busy_keys(b, "'>'");
	busy_wait(b, "Nothing blocks the next step");

	/* The datastore stops answering; r inspects again. */
	relay_set(&b->relay, RELAY_SILENT);
	busy_keys(b, "r");
	busy_wait(b, "Inspecting the datastore and kong... ");
	busy_wait(b, "(q quits)");
	snprintf(text, sizeof(text), "127.0.0.1:%d (database '%s')", b->relay.port, b->db);
	busy_wait(b, text);

	/* Idle while waiting: the seconds go on, the CPU does not. */
	pid = busy_wizard_pid(b);
	busy_wait(b, "kong... 1 s (q quits)");
	cpu0 = busy_cpu_ticks(pid);
	busy_wait(b, "kong... 4 s (q quits)");
	cpu1 = busy_cpu_ticks(pid);
	if (cpu1 - cpu0 > sysconf(_SC_CLK_TCK) / 4)
		fail_msg("the waiting wizard used %lld clock ticks in 3 s", cpu1 - cpu0);

	/* Help shows and goes. */
	busy_keys(b, "F1");
	busy_wait(b, "Press any key to close this help.");
	busy_wait(b, "Busy: the wizard is waiting");
	busy_keys(b, "x");
	busy_wait_for(b, "Press any key to close this help.", true, BUSY_DEADLINE_MS);
	busy_wait(b, "Inspecting the datastore and kong... ");

	/* Resize: the notice at 60x20, the busy screen again at 100x30. */
	assert_int_equal(tmux_run(&b->t, "resize-window -t kuw -x 60 -y 20"), 0);
	busy_wait(b, "terminal too small (need 80x24)");
	assert_int_equal(tmux_run(&b->t, "resize-window -t kuw -x 100 -y 30"), 0);
	busy_wait_for(b, "terminal too small", true, BUSY_DEADLINE_MS);
	busy_wait(b, "Inspecting the datastore and kong... ");
	busy_wait(b, "q: quit the wizard");
	{
		/* The key hints on the body's last row, at the new size. */
		const char *screen = tmux_capture(&b->t, false);
		const char *p = strstr(screen, "q: quit the wizard");
		int row = 0;

		assert_non_null(p);
		for (; p > screen; p--)
			row += p[-1] == '\n';
		assert_int_equal(row, 30 - 3);
	}
	assert_int_equal(tmux_run(&b->t, "resize-window -t kuw -x 80 -y 24"), 0);

	/* The connect times out (the session's connection was dropped, a new
	 * one is tried): the Prerequisites say what failed and where. */
	snprintf(text, sizeof(text), "cannot connect to PostgreSQL at 127.0.0.1:%d",
		 b->relay.port);
	busy_wait_for(b, "Inspecting the datastore and kong", true,
		      4 * BUSY_PG_TIMEOUT_S * 1000 + BUSY_DEADLINE_MS);
	busy_wait(b, text);
	busy_wait(b, "failed: timeout");
	busy_wait(b, "[FAIL] Datastore reachable");

	/* Inspecting again, q quits at once: the terminal is the shell's again. */
	busy_keys(b, "r");
	busy_wait(b, "Inspecting the datastore and kong... ");
	t0 = tmux_now_ms();
	busy_keys(b, "q");
	busy_wait_for(b, "EXITED 0", false, BUSY_DEADLINE_MS);
	waited = tmux_now_ms() - t0;
	print_message("waiting: %lld clock ticks of CPU in 3 s; q ended the wizard in %ld ms\n",
		      cpu1 - cpu0, waited);
	if (waited > 1000)
		fail_msg("q took %ld ms to end the waiting wizard", waited);
	busy_expect_restored(b);
}

/* The journal's run-end records: how many, and the last one's details. */
static size_t busy_run_ends(struct busy *b, json_t **last)
{
	struct core_error err = { { 0 } };
	struct core_journal *j = NULL;
	size_t i, n = 0;

	if (core_journal_open_readonly(b->state, &j, &err) < 0)
		fail_msg("%s", err.msg);
	if (last != NULL)
		*last = NULL;
	for (i = 0; i < core_journal_count(j); i++) {
		const json_t *e = core_journal_event(j, i);
		const char *ev = json_string_value(json_object_get(e, "event"));

		if (ev == NULL || strcmp(ev, "run-end") != 0)
			continue;
		n++;
		if (last != NULL) {
			json_decref(*last);
			*last = json_deep_copy(json_object_get(e, "details"));
		}
	}
	core_journal_close(j);
	return n;
}

/* 'up' ends while the datastore answers no new connection (kong-sim keeps
 * the one it migrates on): the verification after the run (an inspection:
 * the session's query, `kong migrations list` on a new connection) waits
 * on a worker and the screen keeps answering; nothing is journaled yet.
 * Once the datastore answers again the outcome shows, recorded once. */
static void busy_up_until_verifying(struct busy *b)
{
	relay_start(&b->relay);
	busy_site(b);
	/* kong-sim pauses before each of its two migrations. */
	snprintf(b->env, sizeof(b->env), "KONG_SIM_DELAY_MS=1500");
	busy_start(b);
	busy_wait(b, "Press > (or F10)");
	busy_keys(b, "'>'");
	busy_wait(b, "Nothing blocks the next step");
	busy_keys(b, "'>'");
	busy_wait(b, "Dev Portal: breaking changes in 1.3");
	busy_keys(b, "'>'");
	busy_wait(b, "Enter: take a backup now");
	busy_keys(b, "'>'");
	busy_wait(b, "Enter: run 'kong migrations up' now.");
	busy_keys(b, "Enter");
	busy_wait(b, "Running... q quits the wizard; the run goes on.");
	/* kong-sim says this once connected, then pauses. */
	busy_wait(b, "migrating core on database");
	relay_set(&b->relay, RELAY_HOLD);

	busy_wait(b, "The run has ended: reading the datastore to verify it... ");
	busy_wait(b, "(q quits)");
}

static void test_busy_run_end(void **state)
{
	struct busy *b = *state;
	json_t *end = NULL;
	const char *screen;

	busy_up_until_verifying(b);
	busy_keys(b, "F1");
	busy_wait(b, "Press any key to close this help.");
	busy_wait(b, "Busy: the wizard is waiting");
	busy_keys(b, "x");
	busy_wait_for(b, "Press any key to close this help.", true, BUSY_DEADLINE_MS);
	busy_wait(b, "The run has ended: reading the datastore to verify it... ");
	screen = tmux_capture(&b->t, false);
	assert_null(strstr(screen, "'up' completed"));
	assert_int_equal(busy_run_ends(b, NULL), 0);

	/* The datastore answers again: the held connection goes on. */
	relay_set(&b->relay, RELAY_FORWARD);
	busy_wait(b, "'up' completed and verified against schema_meta");
	assert_int_equal(busy_run_ends(b, &end), 1);
	assert_non_null(end);
	assert_string_equal(json_string_value(json_object_get(end, "step")), "up");
	assert_int_equal(json_integer_value(json_object_get(end, "exit_code")), 0);
	assert_string_equal(json_string_value(json_object_get(end, "verification")), "");
	assert_non_null(json_string_value(json_object_get(end, "id")));
	assert_non_null(json_string_value(json_object_get(end, "log")));
	json_decref(end);
	busy_keys(b, "q");
	busy_wait(b, "EXITED 0");
	assert_int_equal(busy_run_ends(b, NULL), 1);
}

/* q while the run's verification waits: the wizard ends at once, nothing
 * recorded; the next wizard records the run's end, once. */
static void test_busy_quit_run_end(void **state)
{
	struct busy *b = *state;
	json_t *end = NULL;

	busy_up_until_verifying(b);
	busy_keys(b, "q");
	busy_wait(b, "EXITED 0");
	assert_int_equal(busy_run_ends(b, NULL), 0);
	relay_set(&b->relay, RELAY_FORWARD);
	busy_start(b);
	busy_wait(b, "Time since up:");
	busy_keys(b, "q");
	busy_wait(b, "EXITED 0");
	assert_int_equal(busy_run_ends(b, &end), 1);
	assert_non_null(end);
	assert_string_equal(json_string_value(json_object_get(end, "step")), "up");
	assert_int_equal(json_integer_value(json_object_get(end, "exit_code")), 0);
	assert_non_null(json_string_value(json_object_get(end, "noticed")));
	json_decref(end);
}

/* SIGTERM while the inspection waits: the terminal is restored and the
 * wizard ends by the signal at once, as it does on its main screens. */
static void test_busy_signal(void **state)
{
	struct busy *b = *state;
	pid_t pid;
	long t0, waited;

	relay_start(&b->relay);
	busy_site(b);
	busy_start(b);
	busy_wait(b, "Press > (or F10)");
	busy_keys(b, "'>'");
	busy_wait(b, "Nothing blocks the next step");
	relay_set(&b->relay, RELAY_SILENT);
	busy_keys(b, "r");
	busy_wait(b, "Inspecting the datastore and kong... ");
	pid = busy_wizard_pid(b);
	t0 = tmux_now_ms();
	assert_int_equal(kill(pid, SIGTERM), 0);
	busy_wait(b, "EXITED 143");
	waited = tmux_now_ms() - t0;
	if (waited > 1000)
		fail_msg("SIGTERM took %ld ms to end the waiting wizard", waited);
	busy_expect_restored(b);
}

static int busy_setup(void **state)
{
	*state = calloc(1, sizeof(struct busy));
	return *state == NULL ? -1 : 0;
}

static int busy_teardown(void **state)
{
	struct busy *b = *state;

	if (b != NULL && b->t.socket[0] != '\0')
		tmux_stop(&b->t);
	if (b != NULL)
		relay_stop(&b->relay);
	free(b);
	return 0;
}

static int setup(void **state)
{
	struct core_error err = { { 0 } };
	const char *w = getenv("KUW_WIZARD");

	(void)state;
	if (w == NULL || testenv_start(&te, &err) < 0) {
		fprintf(stderr, "setup: %s\n", w == NULL ? "KUW_WIZARD is not set" : err.msg);
		return -1;
	}
	snprintf(wizard, sizeof(wizard), "%s", w);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	testenv_stop(&te);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_busy_inspection, busy_setup, busy_teardown),
		cmocka_unit_test_setup_teardown(test_busy_signal, busy_setup, busy_teardown),
		cmocka_unit_test_setup_teardown(test_busy_run_end, busy_setup, busy_teardown),
		cmocka_unit_test_setup_teardown(test_busy_quit_run_end, busy_setup, busy_teardown),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
