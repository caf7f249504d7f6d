#include "tui/tui_frame.h"

#include <stdio.h>
#include <string.h>

#include "tui/tui_theme.h"

bool tui_frame_fits(int rows, int cols)
{
	return rows >= TUI_MIN_LINES && cols >= TUI_MIN_COLS;
}

static void frame_size(unsigned long long bytes, char *buf, size_t size)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024.0;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%llu B", bytes);
	else
		snprintf(buf, size, "%.1f %s", v, units[u]);
}

/* "F1 Help  > Next  < Back  q Quit", the keys taken from the key table. */
static void frame_default_hints(char *buf, size_t size)
{
	static const struct {
		enum tui_action a;
		const char *label;
	} hints[] = {
	    {TUI_ACT_HELP, "Help"},
	    {TUI_ACT_NEXT, "Next"},
	    {TUI_ACT_BACK, "Back"},
	    {TUI_ACT_QUIT, "Quit"},
	};
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(hints) / sizeof(hints[0]) && len < size; i++) {
		const char *keys = tui_action_keys(hints[i].a);
		int n = snprintf(buf + len, size - len, "%s%.*s %s", i > 0 ? "  " : "",
				 (int)strcspn(keys, " "), keys, hints[i].label);

		if (n < 0)
			break;
		len += (size_t)n;
	}
}

void tui_frame_backup_text(const struct tui_backup *b, char *buf, size_t size)
{
	char sz[32];

	if (b->state == TUI_BACKUP_NONE) {
		snprintf(buf, size, "Backup: none");
		return;
	}
	frame_size(b->bytes, sz, sizeof(sz));
	snprintf(buf, size, "Backup: %s, %s, %s", b->when != NULL ? b->when : "?", sz,
		 b->state == TUI_BACKUP_VERIFIED ? "verified" : "NOT verified");
}

void tui_frame_draw(WINDOW *w, const struct tui_frame *f)
{
	int rows = getmaxy(w), cols = getmaxx(w);
	char left[256], right[256], backup[128], hints[128];
	int rw, used;
	enum tui_role brole;

	snprintf(left, sizeof(left), " %s%s%s", f->product != NULL ? f->product : "",
		 f->path != NULL ? " | " : "", f->path != NULL ? f->path : "");
	if (f->steps > 0)
		snprintf(right, sizeof(right), "Step %d/%d: %s ", f->step, f->steps,
			 f->title != NULL ? f->title : "");
	else
		snprintf(right, sizeof(right), "%s ", f->title != NULL ? f->title : "");
	rw = tui_text_width(right);
	if (rw > cols)
		rw = cols;
	tui_put(w, 0, 0, cols - rw, TUI_ROLE_HEADER, true, left);
	tui_put(w, 0, cols - rw, rw, TUI_ROLE_HEADER, true, right);

	tui_frame_backup_text(&f->backup, backup, sizeof(backup));
	brole = f->backup.state == TUI_BACKUP_NONE       ? TUI_ROLE_ALARM
		: f->backup.state == TUI_BACKUP_VERIFIED ? TUI_ROLE_OK
							 : TUI_ROLE_WARN;
	used = tui_put(w, rows - 1, 0, 1, TUI_ROLE_STATUS, true, "");
	used += tui_put(w, rows - 1, used, cols - used, brole, false, backup);
	used += tui_put(w, rows - 1, used, cols - used, TUI_ROLE_STATUS, false, " | ");
	if (f->hints == NULL)
		frame_default_hints(hints, sizeof(hints));
	tui_put(w, rows - 1, used, cols - used, TUI_ROLE_STATUS, true,
		f->hints != NULL ? f->hints : hints);
}

void tui_frame_draw_too_small(WINDOW *w)
{
	int rows = getmaxy(w), cols = getmaxx(w);
	char now[64];
	const char *msg = "terminal too small (need 80x24)";
	int len = (int)strlen(msg);

	werase(w);
	snprintf(now, sizeof(now), "now %dx%d: enlarge the window", cols, rows);
	tui_put(w, rows / 2 - 1 > 0 ? rows / 2 - 1 : 0, cols > len ? (cols - len) / 2 : 0, cols,
		TUI_ROLE_ALARM, false, msg);
	len = (int)strlen(now);
	if (rows > 1)
		tui_put(w, rows / 2, cols > len ? (cols - len) / 2 : 0, cols, TUI_ROLE_NORMAL,
			false, now);
}

void tui_frame_draw_help(WINDOW *w, enum tui_context ctx, const char *screen_help)
{
	int rows = getmaxy(w), cols = getmaxx(w);
	int bw = cols - 4 > 72 ? 72 : cols - 4;
	int bh = rows - 2;
	int by = 1, bx = (cols - bw) / 2;
	int y = by + 1, col = 0, colw = (bw - 2) / 2, a, key_rows = 0;

	if (bw < 40 || bh < 5)
		return;
	tui_fill(w, by, bx, bh, bw, TUI_ROLE_NORMAL);
	tui_box(w, by, bx, bh, bw, "Help");
	for (a = 0; a < TUI_ACT__COUNT; a++)
		key_rows += tui_action_in_context((enum tui_action)a, ctx);
	key_rows = (key_rows + 1) / 2;
	if (screen_help != NULL && *screen_help != '\0') {
		/* The keys always fit: the screen's text gets the rows above
		 * them, and the blank line between only when there is room. */
		int room = by + bh - 2 - y - key_rows;
		int n = tui_wrap(NULL, 0, 0, 0, bw - 4, TUI_ROLE_NORMAL, screen_help);
		int h = n < room ? n : room > 0 ? room : 0;

		tui_wrap(w, y, bx + 2, h, bw - 4, TUI_ROLE_NORMAL, screen_help);
		y += h + (n < room ? 1 : 0);
	}
	/* Two columns of "keys  what": the table keeps texts short for this. */
	for (a = 0; a < TUI_ACT__COUNT && y < by + bh - 2; a++) {
		int x = bx + 2 + col * colw;

		if (!tui_action_in_context((enum tui_action)a, ctx))
			continue;
		tui_put(w, y, x, 9, TUI_ROLE_TITLE, true, tui_action_keys((enum tui_action)a));
		tui_put(w, y, x + 10, colw - 12, TUI_ROLE_NORMAL, false,
			tui_action_help((enum tui_action)a));
		col = !col;
		if (col == 0)
			y++;
	}
	tui_put(w, by + bh - 2, bx + 2, bw - 4, TUI_ROLE_DIM, false,
		"Press any key to close this help.");
}
