/* test_tui_e2e.c — drives tests/tui/tui_demo.c (the terminal layer alone) in
 * a real terminal: a private tmux server per test, clean environment, 80x24.
 * Waits for screen text with a deadline (capture-pane polling), never sleeps
 * a fixed time; kills its tmux server at the end of every test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/support/tmux.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define E2E_DEADLINE_MS 10000

struct e2e {
	struct tmux_term t;
};

/* Waits until the screen contains (or, with absent, no longer contains)
 * text; fails the test after the deadline, printing the screen. */
static void e2e_wait(struct e2e *e, const char *text, bool absent)
{
	if (tmux_wait(&e->t, text, absent, E2E_DEADLINE_MS) < 0) {
		print_error("screen after %d ms, waiting for %s\"%s\":\n%s\n", E2E_DEADLINE_MS,
			    absent ? "no " : "", text, e->t.out);
		fail();
	}
}

/* Starts the demo in a fresh tmux server; env: extra "K=V" words. The shell
 * reports the exit status and keeps the pane open. */
static void e2e_start(struct e2e *e, const char *env)
{
	int rc;

	tmux_name(&e->t, "kuwtui");
	rc = tmux_run(&e->t,
		      "-f /dev/null new-session -d -s kuw -x 80 -y 24 "
		      "\"env -i TERM=xterm-256color PATH=/usr/bin:/bin %s "
		      "sh -c '%s; echo EXITED \\$?; exec sleep 600'\"",
		      env, KUW_TUI_DEMO);
	assert_int_equal(rc, 0);
	e2e_wait(e, "step 6 of 6", false);
}

static int e2e_teardown(void **state)
{
	struct e2e *e = *state;

	if (e != NULL && e->t.socket[0] != '\0')
		tmux_stop(&e->t);
	free(e);
	return 0;
}

static int e2e_setup(void **state)
{
	*state = calloc(1, sizeof(struct e2e));
	return *state == NULL ? -1 : 0;
}

static char *e2e_read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* The whole screen against a golden file (KUW_TUI_UPDATE=1 rewrites it). */
static void e2e_golden(struct e2e *e, const char *name)
{
	char path[1024];
	char *want = NULL;
	const char *got = tmux_capture(&e->t, false);

	snprintf(path, sizeof(path), "%s/%s", KUW_TUI_GOLDEN_DIR, name);
	if (getenv("KUW_TUI_UPDATE") != NULL) {
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fputs(got, f);
		fclose(f);
	}
	want = e2e_read_file(path);
	assert_non_null(want);
	if (strcmp(want, got) != 0)
		print_error("golden %s differs; screen:\n%s\n", name, got);
	assert_string_equal(want, got);
	free(want);
}

/* The pid of the demo: the child of the pane's shell. */
static long e2e_demo_pid(struct e2e *e)
{
	char path[128], buf[128];
	long sh;
	FILE *f;

	tmux_run(&e->t, "display-message -p -t kuw '#{pane_pid}'");
	sh = atol(e->t.out);
	assert_true(sh > 0);
	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children", sh, sh);
	f = fopen(path, "r");
	assert_non_null(f);
	buf[0] = '\0';
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	fclose(f);
	assert_true(atol(buf) > 0);
	return atol(buf);
}

/* After the demo ended: the status line, and the terminal given back. */
static void e2e_expect_restored(struct e2e *e, const char *exited)
{
	e2e_wait(e, exited, false);
	tmux_run(&e->t, "display-message -p -t kuw '#{alternate_on} #{cursor_flag} #{keypad_flag}'");
	assert_string_equal(e->t.out, "0 1 0\n");
	tmux_capture(&e->t, false);
	assert_null(strstr(e->t.out, "Kong Upgrade Wizard"));
	assert_non_null(strstr(e->t.out, exited));
}

static void test_main_screen_and_help(void **state)
{
	struct e2e *e = *state;

	e2e_start(e, "LANG=C.UTF-8");
	e2e_golden(e, "demo_main.txt");
	tmux_run(&e->t, "send-keys -t kuw F1");
	e2e_wait(e, "Press any key to close this help.", false);
	e2e_golden(e, "demo_help.txt");
	tmux_run(&e->t, "send-keys -t kuw x");
	e2e_wait(e, "Press any key to close this help.", true);
	tmux_run(&e->t, "send-keys -t kuw '?'");
	e2e_wait(e, "quit; progress is saved", false);
	tmux_run(&e->t, "send-keys -t kuw Escape");
	e2e_wait(e, "quit; progress is saved", true);
	e2e_golden(e, "demo_main.txt");
}

static void test_typed_confirmation(void **state)
{
	struct e2e *e = *state;

	e2e_start(e, "LANG=C.UTF-8");
	tmux_run(&e->t, "send-keys -t kuw Enter");
	e2e_wait(e, "Type kong to confirm:", false);
	tmux_run(&e->t, "send-keys -t kuw Enter");
	e2e_wait(e, "Nothing typed: the answer is No.", false);
	/* q is a letter inside the dialog, not Quit. */
	tmux_run(&e->t, "send-keys -t kuw -l konq");
	tmux_run(&e->t, "send-keys -t kuw Enter");
	e2e_wait(e, "That is not the phrase: the answer is No.", false);
	tmux_capture(&e->t, false);
	assert_non_null(strstr(e->t.out, "Backup: none"));
	tmux_run(&e->t, "send-keys -t kuw Escape");
	e2e_wait(e, "confirmation cancelled", false);
	e2e_wait(e, "Type kong to confirm:", true);
	tmux_run(&e->t, "send-keys -t kuw Enter");
	e2e_wait(e, "Type kong to confirm:", false);
	tmux_run(&e->t, "send-keys -t kuw -l kong");
	tmux_run(&e->t, "send-keys -t kuw Enter");
	e2e_wait(e, "Confirmed.", false);
	e2e_wait(e, "Backup: 2024-05-01 10:02, 12.3 MiB, verified", false);
}

static void test_resize(void **state)
{
	struct e2e *e = *state;

	e2e_start(e, "LANG=C.UTF-8");
	tmux_run(&e->t, "resize-window -t kuw -x 70 -y 20");
	e2e_wait(e, "terminal too small (need 80x24)", false);
	e2e_wait(e, "now 70x20", false);
	/* Keys other than q do nothing while too small. */
	tmux_run(&e->t, "send-keys -t kuw Enter");
	tmux_run(&e->t, "resize-window -t kuw -x 80 -y 24");
	e2e_wait(e, "terminal too small", true);
	e2e_wait(e, "Step 2/9: Prerequisites", false);
	e2e_golden(e, "demo_main.txt");
	tmux_run(&e->t, "resize-window -t kuw -x 100 -y 30");
	e2e_wait(e, "Step 2/9: Prerequisites", false);
	tmux_capture(&e->t, false);
	assert_non_null(strstr(e->t.out, "Step 2/9: Prerequisites\n"));
}

static void test_quit_restores(void **state)
{
	struct e2e *e = *state;

	e2e_start(e, "LANG=C.UTF-8");
	tmux_run(&e->t, "send-keys -t kuw q");
	e2e_expect_restored(e, "EXITED 0");
}

static void e2e_signal_case(struct e2e *e, int sig, const char *exited)
{
	long pid;

	e2e_start(e, "LANG=C.UTF-8");
	pid = e2e_demo_pid(e);
	assert_int_equal(kill((pid_t)pid, sig), 0);
	e2e_expect_restored(e, exited);
	tmux_stop(&e->t);
}

static void test_signals_restore(void **state)
{
	struct e2e *e = *state;

	e2e_signal_case(e, SIGTERM, "EXITED 143");
	e2e_signal_case(e, SIGHUP, "EXITED 129");
	e2e_signal_case(e, SIGINT, "EXITED 130");
	/* A crash: the handler restores the terminal and dies by the signal. */
	e2e_signal_case(e, SIGSEGV, "EXITED 139");
}

static void test_ascii_locale(void **state)
{
	struct e2e *e = *state;

	e2e_start(e, "LANG=C.UTF-8");
	assert_true(tmux_has_box_drawing(tmux_capture(&e->t, false)));
	tmux_stop(&e->t);
	e2e_start(e, "LANG=C");
	assert_false(tmux_has_box_drawing(tmux_capture(&e->t, false)));
	e2e_golden(e, "demo_ascii.txt");
}

/* Bold and reverse in effect where text starts in s (SGR parsed from the
 * beginning). False when text is absent. */
static bool e2e_attrs_at(const char *s, const char *text, bool *bold, bool *reverse)
{
	const char *at = strstr(s, text), *p = s;

	*bold = *reverse = false;
	if (at == NULL)
		return false;
	while ((p = strstr(p, "\033[")) != NULL && p < at) {
		size_t n = strspn(p + 2, "0123456789;");
		const char *q = p + 2;

		while (p[2 + n] == 'm' && q < p + 2 + n + 1) {
			int v = atoi(q);

			if (v == 0) {
				*bold = *reverse = false;
			} else if (v == 1) {
				*bold = true;
			} else if (v == 7) {
				*reverse = true;
			} else if (v == 22) {
				*bold = false;
			} else if (v == 27) {
				*reverse = false;
			}
			q += strcspn(q, ";m") + 1;
		}
		p += 2 + n;
	}
	return true;
}

static void test_no_color(void **state)
{
	struct e2e *e = *state;
	bool bold, reverse;

	e2e_start(e, "LANG=C.UTF-8");
	tmux_capture(&e->t, true);
	assert_false(tmux_only_bold_reverse(e->t.out));
	tmux_stop(&e->t);
	e2e_start(e, "LANG=C.UTF-8 NO_COLOR=1");
	tmux_capture(&e->t, true);
	assert_true(tmux_only_bold_reverse(e->t.out));
	/* The alarm still stands out: "Backup: none" is bold and not reversed
	 * inside the reversed status bar; the hints are reversed. */
	assert_true(e2e_attrs_at(e->t.out, "Backup: none", &bold, &reverse));
	assert_true(bold);
	assert_false(reverse);
	assert_true(e2e_attrs_at(e->t.out, "F1 Help", &bold, &reverse));
	assert_true(reverse);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_main_screen_and_help, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_typed_confirmation, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_resize, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_quit_restores, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_signals_restore, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_ascii_locale, e2e_setup, e2e_teardown),
	    cmocka_unit_test_setup_teardown(test_no_color, e2e_setup, e2e_teardown),
	};

	if (system("tmux -V >/dev/null 2>&1") != 0) {
		printf("tmux not found: skipping\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
