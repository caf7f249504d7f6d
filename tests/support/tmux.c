#include "tests/support/tmux.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

long tmux_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void tmux_name(struct tmux_term *t, const char *prefix)
{
	snprintf(t->socket, sizeof(t->socket), "%s%ld_%ld", prefix, (long)getpid(), tmux_now_ms());
}

int tmux_run(struct tmux_term *t, const char *fmt, ...)
{
	char args[8192], cmd[8400];
	va_list ap;
	FILE *p;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "tmux -L %s %s 2>/dev/null", t->socket, args);
	p = popen(cmd, "r");
	if (p == NULL)
		return -1;
	n = fread(t->out, 1, sizeof(t->out) - 1, p);
	t->out[n] = '\0';
	return pclose(p) == 0 ? 0 : -1;
}

const char *tmux_capture(struct tmux_term *t, bool escapes)
{
	char *r, *w;

	tmux_run(t, "capture-pane -p %s -t kuw", escapes ? "-e" : "");
	for (r = w = t->out; *r != '\0'; r++) {
		if (*r == '\n') {
			while (w > t->out && w[-1] == ' ')
				w--;
		}
		*w++ = *r;
	}
	*w = '\0';
	return t->out;
}

int tmux_wait(struct tmux_term *t, const char *text, bool absent, long deadline_ms)
{
	long end = tmux_now_ms() + deadline_ms;
	struct timespec tick = { 0, 20 * 1000000L };

	for (;;) {
		bool has = strstr(tmux_capture(t, false), text) != NULL;

		if (has != absent)
			return 0;
		if (tmux_now_ms() > end)
			return -1;
		nanosleep(&tick, NULL);
	}
}

bool tmux_only_bold_reverse(const char *screen)
{
	const char *p = screen;

	while ((p = strstr(p, "\033[")) != NULL) {
		size_t n = strspn(p + 2, "0123456789;:");
		char params[64];
		char *tok, *save = NULL;

		if (p[2 + n] != 'm') {
			p += 2;
			continue;
		}
		snprintf(params, sizeof(params), "%.*s", (int)n, p + 2);
		for (tok = strtok_r(params, ";:", &save); tok != NULL;
		     tok = strtok_r(NULL, ";:", &save)) {
			int v = atoi(tok);

			if (v != 0 && v != 1 && v != 7 && v != 22 && v != 27 && v != 39 && v != 49)
				return false;
		}
		p += 2 + n;
	}
	return true;
}

bool tmux_has_box_drawing(const char *screen)
{
	const unsigned char *s = (const unsigned char *)screen;

	/* U+2500..U+257F are E2 94 80 .. E2 95 BF in UTF-8. */
	for (; *s != '\0'; s++)
		if (s[0] == 0xe2 && (s[1] == 0x94 || s[1] == 0x95))
			return true;
	return false;
}

void tmux_stop(struct tmux_term *t)
{
	char path[1024];

	if (t->socket[0] == '\0')
		return;
	tmux_run(t, "display-message -p '#{socket_path}'");
	snprintf(path, sizeof(path), "%.*s", (int)strcspn(t->out, "\n"), t->out);
	tmux_run(t, "kill-server");
	if (path[0] == '/')
		unlink(path);
	t->socket[0] = '\0';
}
