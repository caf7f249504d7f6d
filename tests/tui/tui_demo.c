/* tui_demo.c — a small program on the terminal layer alone, for the tmux
 * end-to-end test (tests/test_tui_e2e.c): a frame, a checklist, a gauge and a
 * log pane fed through a pipe by a timer, a typed confirmation and a message
 * box. Deterministic: six log lines, then idle. */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tui/tui.h"

#define DEMO_LINES 6

struct demo {
	struct tui_checklist list;
	struct tui_log *log;
	struct tui_confirm confirm;
	struct tui_msgbox box;
	bool in_confirm;
	bool in_box;
	bool log_focus;
	bool backed_up;
	int pipe[2];
	int written;
	int timer;
	int got;
};

static const struct tui_check_item demo_items[] = {
    {"Database reachable", TUI_CHECK_PASS, "Connected to kong@127.0.0.1:5432 as kong."},
    {"Source version supported", TUI_CHECK_PASS, "schema_meta says Kong Enterprise 0.36."},
    {"Free disk for the backup", TUI_CHECK_WARN,
     "Only 1.2 GiB free in the state directory; the dump needs about 0.9 GiB. "
     "Free some space or choose another directory."},
    {"No pending migrations", TUI_CHECK_FAIL,
     "Run `kong migrations list` to see them; finish the previous upgrade first."},
    {"Cluster events table small", TUI_CHECK_WAIVED, "Waived: \"we purge nightly\"."},
    {"Target binary found", TUI_CHECK_PENDING, NULL},
};

static void demo_frame(void *app, struct tui_frame *f)
{
	struct demo *d = app;

	f->product = "Kong Upgrade Wizard (demo)";
	f->path = "EE 0.36 -> EE 1.3";
	f->step = 2;
	f->steps = 9;
	f->title = "Prerequisites";
	if (d->backed_up) {
		f->backup.state = TUI_BACKUP_VERIFIED;
		f->backup.when = "2024-05-01 10:02";
		f->backup.bytes = 12897484ULL;
	}
}

static void demo_draw(void *app, WINDOW *body)
{
	struct demo *d = app;
	int cols = getmaxx(body), rows = getmaxy(body);

	tui_checklist_draw(&d->list, body, 0, 0, 10, cols, 6);
	tui_gauge_draw(body, 10, 1, cols - 2, d->got, DEMO_LINES, "log lines read");
	tui_box(body, 11, 0, rows - 11, cols, d->log_focus ? "Log (focused)" : "Log");
	tui_log_draw(d->log, body, 12, 1, rows - 13, cols - 2);
	if (d->in_confirm)
		tui_confirm_draw(&d->confirm, body);
	if (d->in_box)
		tui_msgbox_draw(&d->box, body);
}

static enum tui_result demo_action(void *app, struct tui_loop *loop, enum tui_action a, int ch)
{
	struct demo *d = app;
	enum tui_result r;

	(void)loop;
	if (d->in_box) {
		if (tui_msgbox_action(&d->box, a) != TUI_HANDLED)
			d->in_box = false;
		return TUI_HANDLED;
	}
	if (d->in_confirm) {
		r = tui_confirm_action(&d->confirm, a, ch);
		if (r == TUI_ACCEPT) {
			d->in_confirm = false;
			d->in_box = true;
			d->backed_up = true;
		} else if (r == TUI_CANCEL) {
			d->in_confirm = false;
			tui_log_append(d->log, "confirmation cancelled\n", 23);
		}
		return TUI_HANDLED;
	}
	if (a == TUI_ACT_FOCUS_NEXT || a == TUI_ACT_FOCUS_PREV) {
		d->log_focus = !d->log_focus;
		return TUI_HANDLED;
	}
	if (a == TUI_ACT_SELECT && !d->log_focus) {
		tui_confirm_reset(&d->confirm);
		d->in_confirm = true;
		return TUI_HANDLED;
	}
	if (d->log_focus)
		return tui_log_action(d->log, a, ch, 8);
	return tui_checklist_action(&d->list, a, 6);
}

static enum tui_context demo_context(void *app)
{
	struct demo *d = app;

	if (d->in_confirm)
		return TUI_CTX_DIALOG;
	return d->log_focus ? tui_log_context(d->log) : TUI_CTX_LIST;
}

static const char *demo_help(void *app)
{
	(void)app;
	return "Demo of the terminal layer. Enter on the checklist asks for a typed "
	       "confirmation (type kong); Tab moves to the log.";
}

static void demo_on_pipe(struct tui_loop *loop, int fd, void *arg)
{
	struct demo *d = arg;
	char buf[256];
	ssize_t n = read(fd, buf, sizeof(buf));
	ssize_t i;

	if (n <= 0) {
		tui_loop_remove_fd(loop, fd);
		return;
	}
	for (i = 0; i < n; i++)
		d->got += buf[i] == '\n';
	tui_log_append(d->log, buf, (size_t)n);
	tui_loop_redraw(loop);
}

static void demo_on_timer(struct tui_loop *loop, int id, void *arg)
{
	struct demo *d = arg;
	char line[64];
	int n;

	n = snprintf(line, sizeof(line), "migrating: step %d of %d done\n", d->written + 1,
		     DEMO_LINES);
	if (write(d->pipe[1], line, (size_t)n) != n)
		return;
	if (++d->written == DEMO_LINES)
		tui_loop_cancel_timer(loop, id);
}

int main(void)
{
	static const struct tui_app_ops ops = {
	    .frame = demo_frame,
	    .draw = demo_draw,
	    .action = demo_action,
	    .context = demo_context,
	    .help = demo_help,
	};
	struct tui_options opt = {0};
	struct demo d = {0};
	struct tui_loop *loop = NULL;
	enum tui_loop_end end = TUI_LOOP_ERROR;
	char err[256];
	int rc = 1;

	setlocale(LC_ALL, "");
	opt.utf8 = tui_locale_utf8();
	opt.colour = getenv("NO_COLOR") == NULL || getenv("NO_COLOR")[0] == '\0';
	opt.log_fd = -1;
	d.list.items = demo_items;
	d.list.n = sizeof(demo_items) / sizeof(demo_items[0]);
	d.confirm.title = "Finish the upgrade";
	d.confirm.text = "This is the point of no return: the old schema is removed.";
	d.confirm.phrase = "kong";
	d.box.title = "Done";
	d.box.text = "Confirmed.";
	d.box.role = TUI_ROLE_OK;
	d.pipe[0] = d.pipe[1] = -1;
	d.log = tui_log_new(200, 1 << 16);
	loop = tui_loop_new();
	if (d.log == NULL || loop == NULL || pipe(d.pipe) < 0) {
		fprintf(stderr, "tui-demo: out of resources\n");
		goto out;
	}
	if (tui_loop_add_fd(loop, d.pipe[0], demo_on_pipe, &d) < 0 ||
	    tui_loop_add_timer(loop, 50, 1, demo_on_timer, &d) < 0)
		goto out;
	if (tui_init(&opt, err, sizeof(err)) < 0) {
		fprintf(stderr, "tui-demo: %s\n", err);
		goto out;
	}
	end = tui_loop_run(loop, &ops, &d);
	if (end == TUI_LOOP_SIGNAL)
		tui_exit_by_signal(tui_signal_pending());
	tui_done();
	rc = end == TUI_LOOP_QUIT ? 0 : 1;
out:
	tui_loop_free(loop);
	tui_log_free(d.log);
	if (d.pipe[0] >= 0)
		close(d.pipe[0]);
	if (d.pipe[1] >= 0)
		close(d.pipe[1]);
	return rc;
}
