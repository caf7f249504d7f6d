#include "tui/tui_theme.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define TUI_ROLE_ROW(name, fg, bg, attr, mono) {fg, bg, attr, mono},
static const struct {
	short fg;
	short bg;
	attr_t attr;
	attr_t mono;
} theme_table[] = {TUI_ROLES(TUI_ROLE_ROW)};
#undef TUI_ROLE_ROW

static bool theme_colour;
static bool theme_utf8;

void tui_theme_init(bool colour, bool utf8)
{
	int i;

	theme_utf8 = utf8;
	theme_colour = colour && has_colors() && start_color() == OK;
	if (!theme_colour)
		return;
	use_default_colors();
	for (i = 1; i < TUI_ROLE__COUNT; i++)
		init_pair((short)i, theme_table[i].fg, theme_table[i].bg);
}

attr_t tui_attr(enum tui_role role)
{
	if ((unsigned)role >= TUI_ROLE__COUNT)
		role = TUI_ROLE_NORMAL;
	if (!theme_colour)
		return theme_table[role].mono;
	if (role == TUI_ROLE_NORMAL)
		return A_NORMAL;
	return theme_table[role].attr | (attr_t)COLOR_PAIR((int)role);
}

bool tui_theme_colour(void)
{
	return theme_colour;
}

bool tui_theme_utf8(void)
{
	return theme_utf8;
}

/* Decodes one character of s: its length in bytes (>= 1), the wide character
 * to show and its width. Bad or non-displayable input shows as '?'. */
static size_t theme_next(const char *s, wchar_t *wc, int *width)
{
	mbstate_t st;
	size_t n;
	unsigned char c = (unsigned char)*s;

	if (c < 0x20 || c == 0x7f) {
		*wc = L' ';
		*width = 1;
		return 1;
	}
	if (c < 0x80) {
		*wc = (wchar_t)c;
		*width = 1;
		return 1;
	}
	memset(&st, 0, sizeof(st));
	n = theme_utf8 ? mbrtowc(wc, s, strlen(s), &st) : (size_t)-1;
	if (n == (size_t)-1 || n == (size_t)-2 || n == 0 || wcwidth(*wc) < 0) {
		/* Skip the whole UTF-8 sequence so one character gives one '?'. */
		n = 1;
		while ((((unsigned char)s[n]) & 0xc0) == 0x80 && n < 4)
			n++;
		*wc = L'?';
		*width = 1;
		return n;
	}
	*width = wcwidth(*wc);
	return n;
}

int tui_put(WINDOW *w, int y, int x, int width, enum tui_role role, bool pad, const char *s)
{
	attr_t a = tui_attr(role);
	int used = 0;

	if (w == NULL || width <= 0)
		return 0;
	wmove(w, y, x);
	wattrset(w, (int)a);
	while (s != NULL && *s != '\0') {
		wchar_t wc[2] = {0, 0};
		int cw;
		size_t n = theme_next(s, &wc[0], &cw);

		if (used + cw > width)
			break;
		if (cw > 0)
			waddnwstr(w, wc, 1);
		used += cw;
		s += n;
	}
	while (pad && used < width) {
		waddch(w, ' ');
		used++;
	}
	wattrset(w, A_NORMAL);
	return used;
}

int tui_text_width(const char *s)
{
	int total = 0;

	while (s != NULL && *s != '\0') {
		wchar_t wc;
		int cw;

		s += theme_next(s, &wc, &cw);
		total += cw;
	}
	return total;
}

/* Columns of the n bytes at s. */
static int theme_span_width(const char *s, size_t n)
{
	const char *end = s + n;
	int total = 0;

	while (s < end && *s != '\0') {
		wchar_t wc;
		int cw;

		s += theme_next(s, &wc, &cw);
		total += cw;
	}
	return total;
}

int tui_wrap(WINDOW *w, int y, int x, int h, int width, enum tui_role role, const char *s)
{
	char *line = NULL;
	int lines = 0;

	if (width <= 0 || s == NULL)
		return 0;
	line = malloc(strlen(s) + 1);
	if (line == NULL)
		return 0;
	while (*s != '\0') {
		size_t len = 0, brk = 0;
		int cols = 0;

		/* Take words while they fit; remember the last break. */
		while (s[len] != '\0' && s[len] != '\n') {
			size_t wl = strcspn(s + len, " \n");
			int ww = theme_span_width(s + len, wl);

			if (cols + ww > width) {
				if (brk == 0) {
					/* A word longer than the line: cut it. */
					while (wl > 0 &&
					       cols + theme_span_width(s + len, wl) > width)
						wl--;
					brk = len + wl;
				}
				break;
			}
			cols += ww;
			len += wl;
			brk = len;
			if (s[len] == ' ') {
				cols++;
				len++;
			}
		}
		if (s[len] == '\0' || s[len] == '\n')
			brk = len;
		memcpy(line, s, brk);
		line[brk] = '\0';
		if (w != NULL && lines < h)
			tui_put(w, y + lines, x, width, role, false, line);
		lines++;
		s += brk;
		while (*s == ' ')
			s++;
		if (*s == '\n')
			s++;
		if (brk == 0 && *s != '\0' && *s != '\n' && s[0] != ' ')
			s++;
	}
	free(line);
	return lines;
}

void tui_box(WINDOW *w, int y, int x, int h, int width, const char *title)
{
	attr_t a = tui_attr(TUI_ROLE_BORDER);
	int i;

	if (h < 2 || width < 2)
		return;
	wattrset(w, (int)a);
	if (theme_utf8) {
		mvwadd_wch(w, y, x, WACS_ULCORNER);
		mvwadd_wch(w, y, x + width - 1, WACS_URCORNER);
		mvwadd_wch(w, y + h - 1, x, WACS_LLCORNER);
		mvwadd_wch(w, y + h - 1, x + width - 1, WACS_LRCORNER);
		mvwhline_set(w, y, x + 1, WACS_HLINE, width - 2);
		mvwhline_set(w, y + h - 1, x + 1, WACS_HLINE, width - 2);
		for (i = 1; i < h - 1; i++) {
			mvwadd_wch(w, y + i, x, WACS_VLINE);
			mvwadd_wch(w, y + i, x + width - 1, WACS_VLINE);
		}
	} else {
		mvwaddch(w, y, x, '+');
		mvwaddch(w, y, x + width - 1, '+');
		mvwaddch(w, y + h - 1, x, '+');
		mvwaddch(w, y + h - 1, x + width - 1, '+');
		mvwhline(w, y, x + 1, '-', width - 2);
		mvwhline(w, y + h - 1, x + 1, '-', width - 2);
		for (i = 1; i < h - 1; i++) {
			mvwaddch(w, y + i, x, '|');
			mvwaddch(w, y + i, x + width - 1, '|');
		}
	}
	wattrset(w, A_NORMAL);
	if (title != NULL && *title != '\0' && width > 6) {
		mvwaddch(w, y, x + 1, ' ');
		tui_put(w, y, x + 2, width - 5, TUI_ROLE_TITLE, false, title);
		waddch(w, ' ');
	}
}

void tui_hline(WINDOW *w, int y, int x, int width)
{
	if (width <= 0)
		return;
	wattrset(w, (int)tui_attr(TUI_ROLE_BORDER));
	if (theme_utf8)
		mvwhline_set(w, y, x, WACS_HLINE, width);
	else
		mvwhline(w, y, x, '-', width);
	wattrset(w, A_NORMAL);
}

void tui_fill(WINDOW *w, int y, int x, int h, int width, enum tui_role role)
{
	int i;

	for (i = 0; i < h; i++)
		tui_put(w, y + i, x, width, role, true, "");
}
