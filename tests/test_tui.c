/* test_tui.c — unit tests of the terminal layer: the key map, the widgets'
 * state machines, the event loop, and drawing into an off-screen ncurses
 * screen (newterm on /dev/null) compared cell by cell with golden text. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <wchar.h>

#include "tui/tui.h"

static void test_key_map(void **state)
{
	static const struct {
		int ch;
		enum tui_context ctx;
		enum tui_action want;
	} cases[] = {
	    {'q', TUI_CTX_LIST, TUI_ACT_QUIT},
	    {'q', TUI_CTX_TEXT, TUI_ACT_CHAR},
	    {'q', TUI_CTX_DIALOG, TUI_ACT_CHAR},
	    {'j', TUI_CTX_LIST, TUI_ACT_DOWN},
	    {'k', TUI_CTX_LIST, TUI_ACT_UP},
	    {'j', TUI_CTX_TEXT, TUI_ACT_CHAR},
	    {'?', TUI_CTX_LIST, TUI_ACT_HELP},
	    {'?', TUI_CTX_TEXT, TUI_ACT_CHAR},
	    {KEY_F(1), TUI_CTX_TEXT, TUI_ACT_HELP},
	    {KEY_F(1), TUI_CTX_DIALOG, TUI_ACT_HELP},
	    {'\r', TUI_CTX_LIST, TUI_ACT_SELECT},
	    {'\r', TUI_CTX_DIALOG, TUI_ACT_CONFIRM},
	    {27, TUI_CTX_DIALOG, TUI_ACT_CANCEL},
	    {'\t', TUI_CTX_TEXT, TUI_ACT_FOCUS_NEXT},
	    {KEY_BTAB, TUI_CTX_LIST, TUI_ACT_FOCUS_PREV},
	    {KEY_NPAGE, TUI_CTX_LIST, TUI_ACT_PAGE_DOWN},
	    {KEY_HOME, TUI_CTX_LIST, TUI_ACT_HOME},
	    {KEY_END, TUI_CTX_TEXT, TUI_ACT_END},
	    {KEY_BACKSPACE, TUI_CTX_TEXT, TUI_ACT_ERASE},
	    {KEY_BACKSPACE, TUI_CTX_LIST, TUI_ACT_BACK},
	    {KEY_RESIZE, TUI_CTX_LIST, TUI_ACT_RESIZE},
	    {'n', TUI_CTX_LIST, TUI_ACT_SEARCH_NEXT},
	    {'N', TUI_CTX_LIST, TUI_ACT_SEARCH_PREV},
	    {'/', TUI_CTX_LIST, TUI_ACT_SEARCH},
	    {'x', TUI_CTX_LIST, TUI_ACT_NONE},
	    {'r', TUI_CTX_LIST, TUI_ACT_REFRESH},
	    {'r', TUI_CTX_TEXT, TUI_ACT_CHAR},
	    {'r', TUI_CTX_DIALOG, TUI_ACT_CHAR},
	    {' ', TUI_CTX_LIST, TUI_ACT_TOGGLE},
	    {KEY_F(10), TUI_CTX_TEXT, TUI_ACT_NEXT},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum tui_action got = tui_key_to_action(cases[i].ch, cases[i].ctx);

		if (got != cases[i].want)
			print_error("case %zu: key %d ctx %d: %s, want %s\n", i, cases[i].ch,
				    cases[i].ctx, tui_action_name(got),
				    tui_action_name(cases[i].want));
		assert_int_equal(got, cases[i].want);
	}
	assert_string_equal(tui_action_name(TUI_ACT_QUIT), "QUIT");
	assert_string_equal(tui_action_keys(TUI_ACT_HELP), "F1 ?");
	assert_string_equal(tui_action_keys(TUI_ACT_REFRESH), "r");
	assert_true(tui_action_in_context(TUI_ACT_REFRESH, TUI_CTX_LIST));
	assert_false(tui_action_in_context(TUI_ACT_REFRESH, TUI_CTX_TEXT));
	assert_string_equal(tui_action_help(TUI_ACT__COUNT), "");
}

static void test_log_bounds_and_lines(void **state)
{
	struct tui_log *log = tui_log_new(3, 1000);

	(void)state;
	assert_non_null(log);
	tui_log_append(log, "one\r\ntw", 7);
	assert_int_equal(tui_log_count(log), 2);
	assert_string_equal(tui_log_line(log, 0), "one");
	assert_string_equal(tui_log_line(log, 1), "tw");
	tui_log_append(log, "o\nthree\nfour\n", 13);
	assert_int_equal(tui_log_count(log), 3);
	assert_string_equal(tui_log_line(log, 0), "two");
	assert_string_equal(tui_log_line(log, 2), "four");
	assert_null(tui_log_line(log, 3));
	assert_int_equal(tui_log_dropped(log), 1);
	tui_log_free(log);

	/* Bounded by bytes too: 10 bytes hold two 4-byte lines, not three. */
	log = tui_log_new(100, 10);
	assert_non_null(log);
	tui_log_append(log, "aaaa\nbbbb\ncccc\n", 15);
	assert_int_equal(tui_log_count(log), 2);
	assert_string_equal(tui_log_line(log, 0), "bbbb");
	tui_log_free(log);
	tui_log_free(NULL);
}

static void test_log_follow_scroll_search(void **state)
{
	struct tui_log *log = tui_log_new(100, 100000);
	char line[32];
	int i;

	(void)state;
	for (i = 0; i < 30; i++) {
		int n = snprintf(line, sizeof(line), "line %d%s\n", i,
				 i == 7 || i == 20 ? " ERROR" : "");

		tui_log_append(log, line, (size_t)n);
	}
	assert_true(tui_log_following(log));
	assert_int_equal(tui_log_action(log, TUI_ACT_UP, 0, 10), TUI_HANDLED);
	assert_false(tui_log_following(log));
	assert_int_equal(tui_log_action(log, TUI_ACT_END, 0, 10), TUI_HANDLED);
	assert_true(tui_log_following(log));
	/* Search from the top: "/error" Enter, then n and N. */
	tui_log_action(log, TUI_ACT_HOME, 0, 10);
	tui_log_action(log, TUI_ACT_SEARCH, 0, 10);
	assert_int_equal(tui_log_context(log), TUI_CTX_TEXT);
	tui_log_action(log, TUI_ACT_CHAR, 'e', 10);
	tui_log_action(log, TUI_ACT_CHAR, 'r', 10);
	tui_log_action(log, TUI_ACT_CHAR, 'x', 10);
	tui_log_action(log, TUI_ACT_ERASE, 0, 10);
	tui_log_action(log, TUI_ACT_CHAR, 'r', 10);
	tui_log_action(log, TUI_ACT_SELECT, 0, 10);
	assert_int_equal(tui_log_context(log), TUI_CTX_LIST);
	assert_int_equal(tui_log_search(log, "err", true), 20);
	assert_int_equal(tui_log_search(log, "err", false), 7);
	assert_int_equal(tui_log_search(log, "err", false), -1);
	assert_int_equal(tui_log_search(log, "no such text", true), -1);
	assert_int_equal(tui_log_action(log, TUI_ACT_SELECT, 0, 10), TUI_IGNORED);
	tui_log_free(log);
}

static void test_confirm_default_no(void **state)
{
	struct tui_confirm c = {.title = "t", .text = "x", .phrase = "kong"};
	const char *p;

	(void)state;
	tui_confirm_reset(&c);
	assert_int_equal(tui_confirm_action(&c, TUI_ACT_CONFIRM, '\r'), TUI_HANDLED);
	assert_non_null(c.error);
	for (p = "kon"; *p != '\0'; p++)
		tui_confirm_action(&c, TUI_ACT_CHAR, *p);
	assert_int_equal(tui_confirm_action(&c, TUI_ACT_CONFIRM, '\r'), TUI_HANDLED);
	tui_confirm_action(&c, TUI_ACT_CHAR, 'G');
	assert_int_equal(tui_confirm_action(&c, TUI_ACT_CONFIRM, '\r'), TUI_HANDLED);
	tui_confirm_action(&c, TUI_ACT_ERASE, 0);
	tui_confirm_action(&c, TUI_ACT_CHAR, 'g');
	assert_null(c.error);
	assert_int_equal(tui_confirm_action(&c, TUI_ACT_CONFIRM, '\r'), TUI_ACCEPT);
	assert_int_equal(tui_confirm_action(&c, TUI_ACT_CANCEL, 27), TUI_CANCEL);
}

static const char *port_valid(const char *v, void *arg)
{
	(void)arg;
	return atoi(v) > 0 && atoi(v) < 65536 ? NULL : "a port is 1..65535";
}

static void test_form(void **state)
{
	static const char *const modes[] = {"strict", "lax", NULL};
	struct tui_field fields[3] = {
	    {.label = "Port", .type = TUI_FIELD_TEXT, .validate = port_valid},
	    {.label = "Secure", .type = TUI_FIELD_BOOL},
	    {.label = "SameSite", .type = TUI_FIELD_CHOICE, .choices = modes},
	};
	struct tui_form f = {.fields = fields, .n = 3};

	(void)state;
	assert_int_equal(tui_form_context(&f), TUI_CTX_TEXT);
	tui_form_action(&f, TUI_ACT_CHAR, '0');
	assert_int_equal(tui_form_action(&f, TUI_ACT_SELECT, '\r'), TUI_HANDLED);
	assert_string_equal(fields[0].error, "a port is 1..65535");
	tui_form_action(&f, TUI_ACT_ERASE, 0);
	tui_form_action(&f, TUI_ACT_CHAR, '8');
	assert_null(fields[0].error);
	tui_form_action(&f, TUI_ACT_FOCUS_NEXT, '\t');
	assert_int_equal(tui_form_context(&f), TUI_CTX_LIST);
	tui_form_action(&f, TUI_ACT_TOGGLE, ' ');
	assert_true(fields[1].on);
	tui_form_action(&f, TUI_ACT_FOCUS_NEXT, '\t');
	tui_form_action(&f, TUI_ACT_RIGHT, 0);
	assert_int_equal(fields[2].choice, 1);
	tui_form_action(&f, TUI_ACT_FOCUS_NEXT, '\t');
	assert_int_equal(f.focus, 0);
	assert_int_equal(tui_form_action(&f, TUI_ACT_SELECT, '\r'), TUI_ACCEPT);
}

struct loop_probe {
	int order[8];
	int n;
	int fds[2];
	char got[16];
};

static void probe_timer(struct tui_loop *loop, int id, void *arg)
{
	struct loop_probe *p = arg;

	(void)loop;
	p->order[p->n++] = id;
}

static void probe_quit(struct tui_loop *loop, int id, void *arg)
{
	probe_timer(loop, id, arg);
	tui_loop_quit(loop);
}

static void probe_write(struct tui_loop *loop, int id, void *arg)
{
	struct loop_probe *p = arg;

	(void)loop;
	(void)id;
	assert_int_equal(write(p->fds[1], "hi", 2), 2);
}

static void probe_read(struct tui_loop *loop, int fd, void *arg)
{
	struct loop_probe *p = arg;
	ssize_t n = read(fd, p->got, sizeof(p->got) - 1);

	p->got[n > 0 ? n : 0] = '\0';
	tui_loop_remove_fd(loop, fd);
}

static long cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000L +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000L;
}

static void test_loop_timers_fds_idle(void **state)
{
	struct tui_loop *loop = tui_loop_new();
	struct loop_probe p = {.n = 0};
	int late, early, never, quit;
	long cpu;

	(void)state;
	assert_non_null(loop);
	assert_int_equal(pipe(p.fds), 0);
	assert_int_equal(tui_loop_add_fd(loop, p.fds[0], probe_read, &p), 0);
	late = tui_loop_add_timer(loop, 60, 0, probe_timer, &p);
	early = tui_loop_add_timer(loop, 10, 0, probe_timer, &p);
	never = tui_loop_add_timer(loop, 20, 0, probe_timer, &p);
	tui_loop_cancel_timer(loop, never);
	tui_loop_add_timer(loop, 30, 0, probe_write, &p);
	/* Idle for 300 ms: only the timers may wake the loop. */
	quit = tui_loop_add_timer(loop, 300, 0, probe_quit, &p);
	cpu = cpu_ms();
	assert_int_equal(tui_loop_run(loop, NULL, NULL), TUI_LOOP_QUIT);
	cpu = cpu_ms() - cpu;
	assert_int_equal(p.n, 3);
	assert_int_equal(p.order[0], early);
	assert_int_equal(p.order[1], late);
	assert_int_equal(p.order[2], quit);
	assert_string_equal(p.got, "hi");
	assert_true(tui_loop_wakeups(loop) <= 8);
	assert_true(cpu < 100);
	close(p.fds[0]);
	close(p.fds[1]);
	tui_loop_free(loop);
}

/* ---- off-screen rendering */

static SCREEN *screen;
static FILE *screen_out, *screen_in;

static int screen_setup(void **state)
{
	(void)state;
	setenv("LINES", "24", 1);
	setenv("COLUMNS", "80", 1);
	screen_out = fopen("/dev/null", "w");
	screen_in = fopen("/dev/null", "r");
	screen = newterm("xterm-256color", screen_out, screen_in);
	if (screen == NULL)
		screen = newterm("vt100", screen_out, screen_in);
	if (screen == NULL)
		return -1;
	set_term(screen);
	return 0;
}

static int screen_teardown(void **state)
{
	(void)state;
	endwin();
	delscreen(screen);
	fclose(screen_out);
	fclose(screen_in);
	return 0;
}

/* The text of w, one line per row, trailing spaces removed. */
static void screen_dump(WINDOW *w, char *out, size_t size)
{
	size_t len = 0;
	int y, x;

	out[0] = '\0';
	for (y = 0; y < getmaxy(w); y++) {
		size_t line_start = len;

		for (x = 0; x < getmaxx(w); x++) {
			cchar_t cc;
			wchar_t wch[CCHARW_MAX + 1];
			attr_t a;
			short pair;
			char mb[16];
			mbstate_t st;
			size_t n;

			mvwin_wch(w, y, x, &cc);
			getcchar(&cc, wch, &a, &pair, NULL);
			memset(&st, 0, sizeof(st));
			n = wcrtomb(mb, wch[0] != 0 ? wch[0] : L' ', &st);
			if (n == (size_t)-1 || len + n + 2 > size)
				continue;
			memcpy(out + len, mb, n);
			len += n;
		}
		while (len > line_start && out[len - 1] == ' ')
			len--;
		out[len++] = '\n';
	}
	out[len] = '\0';
}

static void screen_golden(const char *name)
{
	char got[16384], want[16384], path[1024];
	FILE *f;
	size_t n;

	screen_dump(stdscr, got, sizeof(got));
	snprintf(path, sizeof(path), "%s/%s", KUW_TUI_GOLDEN_DIR, name);
	if (getenv("KUW_TUI_UPDATE") != NULL) {
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(got, f);
		fclose(f);
	}
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(want, 1, sizeof(want) - 1, f);
	want[n] = '\0';
	fclose(f);
	if (strcmp(want, got) != 0)
		print_error("golden %s differs; screen:\n%s\n", name, got);
	assert_string_equal(want, got);
}

static const struct tui_check_item render_items[] = {
    {"Database reachable", TUI_CHECK_PASS, "Connected."},
    {"No pending migrations", TUI_CHECK_FAIL,
     "Run kong migrations list to see them; finish the previous upgrade before starting "
     "this one, or restore the backup taken before it."},
    {"Disk space", TUI_CHECK_WARN, NULL},
};

static void test_render_frame_ascii_mono(void **state)
{
	struct tui_frame f = {.product = "Kong Upgrade Wizard",
			      .path = "CE 1.3 -> EE 1.3",
			      .step = 8,
			      .steps = 9,
			      .title = "Community to Enterprise"};
	struct tui_checklist cl = {.items = render_items, .n = 3, .sel = 1};
	WINDOW *body = NULL;

	(void)state;
	tui_theme_init(false, false);
	assert_false(tui_theme_colour());
	werase(stdscr);
	tui_frame_draw(stdscr, &f);
	body = derwin(stdscr, 22, 80, 1, 0);
	tui_checklist_draw(&cl, body, 0, 0, 9, 80, 4);
	tui_gauge_draw(body, 10, 0, 80, 3, 7, "migrations");
	tui_box(body, 12, 0, 5, 40, "Table");
	tui_form_draw(&(struct tui_form){.fields = (struct tui_field[]){{.label = "Secret",
									 .type = TUI_FIELD_SECRET,
									 .text = "abc",
									 .error = "too short"}},
					 .n = 1},
		      body, 17, 0, 3, 80);
	screen_golden("render_ascii.txt");
	/* The status bar: the alarm role for no backup, monochrome = bold. */
	assert_int_equal(tui_attr(TUI_ROLE_ALARM) & (A_COLOR | A_UNDERLINE | A_DIM | A_BLINK), 0);
	delwin(body);
}

static void test_render_help_lists_every_action(void **state)
{
	char got[16384];
	int a;

	(void)state;
	tui_theme_init(false, true);
	werase(stdscr);
	tui_frame_draw_help(stdscr, TUI_CTX_LIST, "Screen help.");
	screen_dump(stdscr, got, sizeof(got));
	assert_non_null(strstr(got, "Screen help."));
	for (a = 0; a < TUI_ACT__COUNT; a++) {
		if (!tui_action_in_context((enum tui_action)a, TUI_CTX_LIST))
			continue;
		if (strstr(got, tui_action_help((enum tui_action)a)) == NULL)
			print_error("help lacks %s:\n%s\n", tui_action_name((enum tui_action)a),
				    got);
		assert_non_null(strstr(got, tui_action_help((enum tui_action)a)));
	}
	assert_non_null(strstr(got, "\u250c Help"));
}

static void test_render_too_small(void **state)
{
	WINDOW *w = newwin(20, 70, 0, 0);
	char got[8192];

	(void)state;
	assert_false(tui_frame_fits(20, 70));
	assert_false(tui_frame_fits(24, 79));
	assert_true(tui_frame_fits(24, 80));
	tui_frame_draw_too_small(w);
	screen_dump(w, got, sizeof(got));
	assert_non_null(strstr(got, "terminal too small (need 80x24)"));
	assert_non_null(strstr(got, "now 70x20"));
	delwin(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_key_map),
	    cmocka_unit_test(test_log_bounds_and_lines),
	    cmocka_unit_test(test_log_follow_scroll_search),
	    cmocka_unit_test(test_confirm_default_no),
	    cmocka_unit_test(test_form),
	    cmocka_unit_test(test_loop_timers_fds_idle),
	};
	const struct CMUnitTest render[] = {
	    cmocka_unit_test(test_render_frame_ascii_mono),
	    cmocka_unit_test(test_render_help_lists_every_action),
	    cmocka_unit_test(test_render_too_small),
	};
	int rc;

	if (setlocale(LC_ALL, "C.UTF-8") == NULL)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	return rc + cmocka_run_group_tests(render, screen_setup, screen_teardown);
}
