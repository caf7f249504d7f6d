#include "tui/tui_widgets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A partial line longer than this is stored as a line of its own. */
#define LOG_MAX_LINE 4096

struct tui_log {
	char **lines; /* ring of cap lines, oldest at head */
	size_t cap;
	size_t head;
	size_t n;
	size_t bytes;
	size_t max_bytes;
	unsigned long long dropped;
	char *pending;
	size_t plen;
	bool follow;
	unsigned long long top; /* absolute number of the top line when not following */
	int page;
	bool prompt;
	char entry[TUI_FIELD_MAX];
	char search[TUI_FIELD_MAX];
	long long match; /* absolute number of the matching line, -1: none */
};

struct tui_log *tui_log_new(size_t max_lines, size_t max_bytes)
{
	struct tui_log *log = NULL;

	if (max_lines == 0 || max_bytes == 0)
		return NULL;
	log = calloc(1, sizeof(*log));
	if (log == NULL)
		goto out;
	log->lines = calloc(max_lines, sizeof(*log->lines));
	log->pending = malloc(LOG_MAX_LINE + 1);
	if (log->lines == NULL || log->pending == NULL) {
		tui_log_free(log);
		log = NULL;
		goto out;
	}
	log->cap = max_lines;
	log->max_bytes = max_bytes;
	log->follow = true;
	log->page = 10;
	log->match = -1;
out:
	return log;
}

void tui_log_free(struct tui_log *log)
{
	size_t i;

	if (log == NULL)
		return;
	for (i = 0; log->lines != NULL && i < log->n; i++)
		free(log->lines[(log->head + i) % log->cap]);
	free(log->lines);
	free(log->pending);
	free(log);
}

static void log_drop_oldest(struct tui_log *log)
{
	char *old = log->lines[log->head];

	log->bytes -= strlen(old);
	free(old);
	log->lines[log->head] = NULL;
	log->head = (log->head + 1) % log->cap;
	log->n--;
	log->dropped++;
}

static void log_store(struct tui_log *log, const char *s, size_t len)
{
	char *copy;

	if (len > 0 && s[len - 1] == '\r')
		len--;
	if (len > log->max_bytes)
		len = log->max_bytes;
	while (log->n > 0 && (log->n == log->cap || log->bytes + len > log->max_bytes))
		log_drop_oldest(log);
	copy = malloc(len + 1);
	if (copy == NULL)
		return;
	memcpy(copy, s, len);
	copy[len] = '\0';
	log->lines[(log->head + log->n) % log->cap] = copy;
	log->n++;
	log->bytes += len;
}

void tui_log_append(struct tui_log *log, const char *data, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (data[i] == '\n') {
			log_store(log, log->pending, log->plen);
			log->plen = 0;
			continue;
		}
		if (log->plen == LOG_MAX_LINE) {
			log_store(log, log->pending, log->plen);
			log->plen = 0;
		}
		log->pending[log->plen++] = data[i];
	}
	log->pending[log->plen] = '\0';
}

size_t tui_log_count(const struct tui_log *log)
{
	return log->n + (log->plen > 0 ? 1 : 0);
}

const char *tui_log_line(const struct tui_log *log, size_t i)
{
	if (i < log->n)
		return log->lines[(log->head + i) % log->cap];
	if (i == log->n && log->plen > 0)
		return log->pending;
	return NULL;
}

unsigned long long tui_log_dropped(const struct tui_log *log)
{
	return log->dropped;
}

bool tui_log_following(const struct tui_log *log)
{
	return log->follow;
}

enum tui_context tui_log_context(const struct tui_log *log)
{
	return log->prompt ? TUI_CTX_TEXT : TUI_CTX_LIST;
}

/* Index (in stored lines) of the top line of a view of rows lines. */
static size_t log_view_top(const struct tui_log *log, int rows)
{
	size_t count = tui_log_count(log);
	size_t last = count > (size_t)rows ? count - (size_t)rows : 0;
	size_t top;

	if (log->follow || log->top < log->dropped)
		return log->follow ? last : 0;
	top = (size_t)(log->top - log->dropped);
	return top > last ? last : top;
}

void tui_log_draw(const struct tui_log *log, WINDOW *w, int y, int x, int h, int width)
{
	int rows = log->prompt ? h - 1 : h;
	size_t top = log_view_top(log, rows);
	int i;

	for (i = 0; i < rows; i++) {
		const char *line = tui_log_line(log, top + (size_t)i);
		bool hit = log->match >= 0 &&
			   (unsigned long long)log->match == log->dropped + top + (size_t)i;

		tui_put(w, y + i, x, width, hit ? TUI_ROLE_SELECTED : TUI_ROLE_NORMAL, true,
			line != NULL ? line : "");
	}
	if (log->prompt) {
		int used = tui_put(w, y + h - 1, x, width, TUI_ROLE_INPUT, false, "/");

		tui_put(w, y + h - 1, x + used, width - used, TUI_ROLE_INPUT, true, log->entry);
	}
}

static bool log_line_matches(const char *line, const char *needle)
{
	return line != NULL && strcasestr(line, needle) != NULL;
}

long tui_log_search(struct tui_log *log, const char *needle, bool forward)
{
	size_t count = tui_log_count(log);
	size_t top = log_view_top(log, log->page);
	long long start, i;

	if (needle != log->search)
		snprintf(log->search, sizeof(log->search), "%s", needle);
	if (log->search[0] == '\0' || count == 0)
		return -1;
	if (log->match >= 0 && (unsigned long long)log->match >= log->dropped &&
	    (unsigned long long)log->match < log->dropped + count)
		start =
		    (long long)((unsigned long long)log->match - log->dropped) + (forward ? 1 : -1);
	else
		start = forward ? (long long)top : (long long)top - 1;
	for (i = start; i >= 0 && i < (long long)count; i += forward ? 1 : -1) {
		if (log_line_matches(tui_log_line(log, (size_t)i), log->search)) {
			log->match = (long long)log->dropped + i;
			log->follow = false;
			log->top = log->dropped + (unsigned long long)i;
			return (long)i;
		}
	}
	return -1;
}

/* Moves the view by delta lines; reaching the end turns follow back on. */
static void log_scroll(struct tui_log *log, long delta)
{
	size_t count = tui_log_count(log);
	size_t last = count > (size_t)log->page ? count - (size_t)log->page : 0;
	long long top = (long long)log_view_top(log, log->page) + delta;

	if (top < 0)
		top = 0;
	if (top >= (long long)last) {
		log->follow = true;
		return;
	}
	log->follow = false;
	log->top = log->dropped + (unsigned long long)top;
}

static enum tui_result log_prompt_action(struct tui_log *log, enum tui_action a, int ch)
{
	switch (a) {
	case TUI_ACT_CHAR:
		tui_text_append(log->entry, sizeof(log->entry), ch);
		return TUI_HANDLED;
	case TUI_ACT_ERASE:
		tui_text_erase(log->entry);
		return TUI_HANDLED;
	case TUI_ACT_SELECT:
		log->prompt = false;
		log->match = -1;
		if (log->entry[0] != '\0')
			tui_log_search(log, log->entry, true);
		return TUI_HANDLED;
	case TUI_ACT_CANCEL:
		log->prompt = false;
		return TUI_HANDLED;
	default:
		return TUI_IGNORED;
	}
}

enum tui_result tui_log_action(struct tui_log *log, enum tui_action a, int ch, int page)
{
	if (page > 0)
		log->page = page;
	if (log->prompt)
		return log_prompt_action(log, a, ch);
	switch (a) {
	case TUI_ACT_UP:
		log_scroll(log, -1);
		break;
	case TUI_ACT_DOWN:
		log_scroll(log, 1);
		break;
	case TUI_ACT_PAGE_UP:
		log_scroll(log, -(long)(log->page > 1 ? log->page - 1 : 1));
		break;
	case TUI_ACT_PAGE_DOWN:
		log_scroll(log, log->page > 1 ? log->page - 1 : 1);
		break;
	case TUI_ACT_HOME:
		log->follow = false;
		log->top = log->dropped;
		break;
	case TUI_ACT_END:
		log->follow = true;
		break;
	case TUI_ACT_FOLLOW:
		if (log->follow) {
			log->top = log->dropped + log_view_top(log, log->page);
			log->follow = false;
		} else {
			log->follow = true;
		}
		break;
	case TUI_ACT_SEARCH:
		log->prompt = true;
		log->entry[0] = '\0';
		break;
	case TUI_ACT_SEARCH_NEXT:
	case TUI_ACT_SEARCH_PREV:
		tui_log_search(log, log->search, a == TUI_ACT_SEARCH_NEXT);
		break;
	default:
		return TUI_IGNORED;
	}
	return TUI_HANDLED;
}
