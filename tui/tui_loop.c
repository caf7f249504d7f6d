#include "tui/tui_loop.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tui/tui.h"

struct loop_fd {
	int fd;
	tui_fd_cb *cb;
	void *arg;
	bool dead;
};

struct loop_timer {
	int id;
	long long due;
	int period;
	tui_timer_cb *cb;
	void *arg;
	bool dead;
};

struct tui_loop {
	struct loop_fd *fds;
	size_t nfds;
	size_t capfds;
	struct loop_timer *timers;
	size_t ntimers;
	size_t captimers;
	int next_id;
	bool quit;
	bool dirty;
	bool help_shown;
	int mouse_y;
	int mouse_x;
	unsigned long wakeups;
	WINDOW *body;
};

static long long loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct tui_loop *tui_loop_new(void)
{
	struct tui_loop *loop = calloc(1, sizeof(*loop));

	if (loop == NULL)
		return NULL;
	loop->next_id = 1;
	loop->dirty = true;
	return loop;
}

void tui_loop_free(struct tui_loop *loop)
{
	if (loop == NULL)
		return;
	if (loop->body != NULL)
		delwin(loop->body);
	free(loop->fds);
	free(loop->timers);
	free(loop);
}

int tui_loop_add_fd(struct tui_loop *loop, int fd, tui_fd_cb *cb, void *arg)
{
	size_t i;

	for (i = 0; i < loop->nfds; i++) {
		if (loop->fds[i].fd == fd && !loop->fds[i].dead) {
			loop->fds[i].cb = cb;
			loop->fds[i].arg = arg;
			return 0;
		}
	}
	if (loop->nfds == loop->capfds) {
		size_t cap = loop->capfds == 0 ? 8 : loop->capfds * 2;
		struct loop_fd *p = realloc(loop->fds, cap * sizeof(*p));

		if (p == NULL)
			return -1;
		loop->fds = p;
		loop->capfds = cap;
	}
	loop->fds[loop->nfds++] = (struct loop_fd){.fd = fd, .cb = cb, .arg = arg};
	return 0;
}

void tui_loop_remove_fd(struct tui_loop *loop, int fd)
{
	size_t i;

	for (i = 0; i < loop->nfds; i++)
		if (loop->fds[i].fd == fd)
			loop->fds[i].dead = true;
}

int tui_loop_add_timer(struct tui_loop *loop, int ms, int repeat, tui_timer_cb *cb, void *arg)
{
	if (ms < 0)
		ms = 0;
	if (loop->ntimers == loop->captimers) {
		size_t cap = loop->captimers == 0 ? 8 : loop->captimers * 2;
		struct loop_timer *p = realloc(loop->timers, cap * sizeof(*p));

		if (p == NULL)
			return -1;
		loop->timers = p;
		loop->captimers = cap;
	}
	loop->timers[loop->ntimers++] = (struct loop_timer){
	    .id = loop->next_id,
	    .due = loop_now_ms() + ms,
	    .period = repeat ? (ms > 0 ? ms : 1) : 0,
	    .cb = cb,
	    .arg = arg,
	};
	return loop->next_id++;
}

void tui_loop_cancel_timer(struct tui_loop *loop, int id)
{
	size_t i;

	for (i = 0; i < loop->ntimers; i++)
		if (loop->timers[i].id == id)
			loop->timers[i].dead = true;
}

void tui_loop_redraw(struct tui_loop *loop)
{
	loop->dirty = true;
}

void tui_loop_quit(struct tui_loop *loop)
{
	loop->quit = true;
}

void tui_loop_mouse(const struct tui_loop *loop, int *y, int *x)
{
	*y = loop->mouse_y;
	*x = loop->mouse_x;
}

unsigned long tui_loop_wakeups(const struct tui_loop *loop)
{
	return loop->wakeups;
}

static void loop_compact(struct tui_loop *loop)
{
	size_t i, o = 0;

	for (i = 0; i < loop->nfds; i++)
		if (!loop->fds[i].dead)
			loop->fds[o++] = loop->fds[i];
	loop->nfds = o;
	for (i = 0, o = 0; i < loop->ntimers; i++)
		if (!loop->timers[i].dead)
			loop->timers[o++] = loop->timers[i];
	loop->ntimers = o;
}

/* Milliseconds until the earliest timer, -1 (wait forever) when none. */
static int loop_timeout(const struct tui_loop *loop)
{
	long long now = loop_now_ms(), best = -1;
	size_t i;

	for (i = 0; i < loop->ntimers; i++) {
		long long d;

		if (loop->timers[i].dead)
			continue;
		d = loop->timers[i].due - now;
		if (d < 0)
			d = 0;
		if (best < 0 || d < best)
			best = d;
	}
	return best > 24 * 3600 * 1000LL ? 24 * 3600 * 1000 : (int)best;
}

static void loop_run_timers(struct tui_loop *loop)
{
	long long now = loop_now_ms();
	size_t i, n = loop->ntimers;

	/* Only the timers that existed before: callbacks may add more. */
	for (i = 0; i < n && !loop->quit; i++) {
		struct loop_timer *t = &loop->timers[i];
		tui_timer_cb *cb;
		void *arg;
		int id;

		if (t->dead || t->due > now)
			continue;
		cb = t->cb;
		arg = t->arg;
		id = t->id;
		if (t->period > 0) {
			t->due += t->period;
			if (t->due <= now)
				t->due = now + t->period;
		} else {
			t->dead = true;
		}
		cb(loop, id, arg);
	}
}

static void loop_relayout(struct tui_loop *loop)
{
	if (loop->body != NULL)
		delwin(loop->body);
	loop->body = NULL;
	if (tui_frame_fits(LINES, COLS))
		loop->body = derwin(stdscr, LINES - 2, COLS, 1, 0);
	loop->dirty = true;
}

static void loop_draw(struct tui_loop *loop, const struct tui_app_ops *ops, void *app)
{
	struct tui_frame f = {0};
	enum tui_context ctx = ops->context != NULL ? ops->context(app) : TUI_CTX_LIST;

	werase(stdscr);
	if (!tui_frame_fits(LINES, COLS) || loop->body == NULL) {
		tui_frame_draw_too_small(stdscr);
		wnoutrefresh(stdscr);
		doupdate();
		return;
	}
	if (ops->frame != NULL)
		ops->frame(app, &f);
	tui_frame_draw(stdscr, &f);
	if (ops->draw != NULL)
		ops->draw(app, loop->body);
	if (loop->help_shown)
		tui_frame_draw_help(stdscr, ctx, ops->help != NULL ? ops->help(app) : NULL);
	wnoutrefresh(stdscr);
	doupdate();
}

/* Turns a mouse event into an action (wheel: scroll) or NONE. */
static enum tui_action loop_mouse(struct tui_loop *loop)
{
	MEVENT ev;

	if (getmouse(&ev) != OK)
		return TUI_ACT_NONE;
	if (ev.bstate & BUTTON4_PRESSED)
		return TUI_ACT_UP;
	if (ev.bstate & BUTTON5_PRESSED)
		return TUI_ACT_DOWN;
	if ((ev.bstate & BUTTON1_CLICKED) == 0 || ev.y < 1 || ev.y > LINES - 2)
		return TUI_ACT_NONE;
	loop->mouse_y = ev.y - 1;
	loop->mouse_x = ev.x;
	return TUI_ACT_CLICK;
}

static void loop_key(struct tui_loop *loop, const struct tui_app_ops *ops, void *app, int rc,
		     wint_t wch)
{
	enum tui_context ctx = ops->context != NULL ? ops->context(app) : TUI_CTX_LIST;
	enum tui_action a;
	enum tui_result r;
	int ch = (int)wch;

	/* A typed character beyond ASCII is text wherever text is typed. */
	if (rc == OK && ctx != TUI_CTX_LIST && wch >= 0x80)
		a = TUI_ACT_CHAR;
	else if (rc == OK && wch >= 0x80)
		a = TUI_ACT_NONE;
	else
		a = tui_key_to_action(ch, ctx);
	if (a == TUI_ACT_RESIZE) {
		loop_relayout(loop);
		return;
	}
	if (a == TUI_ACT_REDRAW) {
		clearok(curscr, TRUE);
		loop->dirty = true;
		return;
	}
	if (a == TUI_ACT_CLICK)
		a = loop_mouse(loop);
	if (loop->help_shown) {
		loop->help_shown = false;
		loop->dirty = true;
		return;
	}
	if (loop->body == NULL) {
		if (a == TUI_ACT_QUIT)
			loop->quit = true;
		return;
	}
	if (a == TUI_ACT_HELP) {
		loop->help_shown = true;
		loop->dirty = true;
		return;
	}
	if (a == TUI_ACT_NONE)
		return;
	r = ops->action(app, loop, a, ch);
	loop->dirty = true;
	if (r == TUI_QUIT || (r == TUI_IGNORED && a == TUI_ACT_QUIT))
		loop->quit = true;
}

static void loop_drain(int fd)
{
	char buf[64];

	while (fd >= 0 && read(fd, buf, sizeof(buf)) > 0)
		;
}

enum tui_loop_end tui_loop_run(struct tui_loop *loop, const struct tui_app_ops *ops, void *app)
{
	struct pollfd *pfd = NULL;
	size_t cap = 0;
	enum tui_loop_end end = TUI_LOOP_ERROR;
	int sigfd = tui_signal_fd();

	loop->quit = false;
	if (ops != NULL)
		loop_relayout(loop);
	while (!loop->quit) {
		size_t n = 0, i, base;
		int r;

		if (tui_signal_pending() != 0) {
			end = TUI_LOOP_SIGNAL;
			goto out;
		}
		if (ops != NULL && loop->dirty) {
			loop->dirty = false;
			loop_draw(loop, ops, app);
		}
		if (cap < loop->nfds + 2) {
			struct pollfd *p = realloc(pfd, (loop->nfds + 2) * sizeof(*p));

			if (p == NULL)
				goto out;
			pfd = p;
			cap = loop->nfds + 2;
		}
		pfd[n++] = (struct pollfd){.fd = sigfd, .events = POLLIN};
		pfd[n++] = (struct pollfd){.fd = ops != NULL ? STDIN_FILENO : -1, .events = POLLIN};
		base = n;
		for (i = 0; i < loop->nfds; i++)
			pfd[n++] = (struct pollfd){.fd = loop->fds[i].fd, .events = POLLIN};
		r = poll(pfd, n, loop_timeout(loop));
		loop->wakeups++;
		if (r < 0 && errno != EINTR)
			goto out;
		if (tui_signal_pending() != 0) {
			end = TUI_LOOP_SIGNAL;
			goto out;
		}
		if (r > 0 && (pfd[0].revents & POLLIN))
			loop_drain(sigfd);
		/* The terminal went away without SIGHUP: nothing more to read. */
		if (r > 0 && (pfd[1].revents & (POLLHUP | POLLERR | POLLNVAL)))
			goto out;
		if (ops != NULL) {
			wint_t wch;
			int rc;

			/* After any wake-up: a signal (SIGWINCH) leaves KEY_RESIZE. */
			while (!loop->quit && (rc = wget_wch(stdscr, &wch)) != ERR)
				loop_key(loop, ops, app, rc, wch);
		}
		for (i = base; r > 0 && i < n && !loop->quit; i++) {
			size_t j;

			if ((pfd[i].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) == 0)
				continue;
			for (j = 0; j < loop->nfds; j++) {
				if (loop->fds[j].fd == pfd[i].fd && !loop->fds[j].dead) {
					loop->fds[j].cb(loop, pfd[i].fd, loop->fds[j].arg);
					break;
				}
			}
		}
		if (!loop->quit)
			loop_run_timers(loop);
		loop_compact(loop);
	}
	end = TUI_LOOP_QUIT;
out:
	free(pfd);
	return end;
}
