#include "tui/tui_widgets.h"

#include <stdio.h>
#include <string.h>

void tui_gauge_draw(WINDOW *w, int y, int x, int width, long done, long total, const char *label)
{
	char count[48];
	int bar, filled = 0, i, used;
	bool utf8 = tui_theme_utf8();

	if (total > 0)
		snprintf(count, sizeof(count), " %ld/%ld ", done, total);
	else
		snprintf(count, sizeof(count), " ? ");
	bar = width / 2 - 2;
	if (bar < 4)
		bar = 4;
	if (total > 0 && done > 0)
		filled = done >= total ? bar : (int)((long long)bar * done / total);
	used = tui_put(w, y, x, width, TUI_ROLE_NORMAL, false, "[");
	for (i = 0; i < bar && used < width; i++, used++)
		tui_put(w, y, x + used, 1, i < filled ? TUI_ROLE_OK : TUI_ROLE_DIM, false,
			i < filled ? (utf8 ? "\u2588" : "#") : (utf8 ? "\u00b7" : "-"));
	used += tui_put(w, y, x + used, width - used, TUI_ROLE_NORMAL, false, "]");
	used += tui_put(w, y, x + used, width - used, TUI_ROLE_TITLE, false, count);
	tui_put(w, y, x + used, width - used, TUI_ROLE_NORMAL, true, label != NULL ? label : "");
}
