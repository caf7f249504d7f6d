/* config_kongconf_write.c — one key of kong.conf set, every other byte kept.
 *
 * The file is handled as physical lines (each with its '\n', the last one
 * maybe without). Which line Kong applies comes from the reader's items, so
 * the writer and the reader cannot disagree about continuations, sections or
 * duplicates; the new text is read back before anything is written. */
#include "config/config_kongconf_write.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config/config_kongconf.h"

/* Same sanity limit as the reader. */
#define KW_FILE_MAX     (16 * 1024 * 1024)
#define KW_MASK         "******"
#define KW_BACKUP_TRIES 1000

struct config_kongconf_edit {
	char *path;   /* as given: messages and the diff */
	char *target; /* the file written (symbolic links resolved) */
	char *key;
	char *old_text;
	size_t old_len;
	char *new_text;
	size_t new_len;
	int line;
};

struct kw_line {
	const char *s;
	size_t len; /* including the '\n', if any */
};

struct kw_buf {
	char *data;
	size_t len;
	size_t cap;
	bool oom;
};

/* Secret-bearing keys Kong masks (reference §5.3), plus the generic ones. */
static const char *const kw_secret_keys[] = {
    "admin_gui_session_conf",
    "portal_session_conf",
    "admin_gui_auth_conf",
    "admin_gui_auth_header",
    "pg_password",
    "cassandra_password",
    NULL,
};
static const char *const kw_secret_words[] = {"password", "secret", "token", NULL};

/* Lua's %s in the C locale, as the reader. */
static bool kw_isspace(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static bool kw_isalnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static void kw_put(struct kw_buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *d = realloc(b->data, cap);

		if (d == NULL) {
			b->oom = true;
			return;
		}
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void kw_puts(struct kw_buf *b, const char *s)
{
	kw_put(b, s, strlen(s));
}

/* Splits text into physical lines; *lines is malloc'd (NULL when empty). */
static int kw_split(const char *text, size_t len, struct kw_line **lines, size_t *n)
{
	const char *p = text;
	const char *end = text + len;
	size_t count = 0;
	size_t i = 0;

	*lines = NULL;
	*n = 0;
	for (p = text; p < end; count++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		p = nl != NULL ? nl + 1 : end;
	}
	if (count == 0)
		return 0;
	*lines = calloc(count, sizeof(**lines));
	if (*lines == NULL)
		return -1;
	for (p = text; p < end; i++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *next = nl != NULL ? nl + 1 : end;

		(*lines)[i].s = p;
		(*lines)[i].len = (size_t)(next - p);
		p = next;
	}
	*n = count;
	return 0;
}

/* Length of the line without its '\n'. */
static size_t kw_content_len(const struct kw_line *l)
{
	return l->len > 0 && l->s[l->len - 1] == '\n' ? l->len - 1 : l->len;
}

/* Blank or comment: lines the reader skips, even inside a continuation. */
static bool kw_skipped(const struct kw_line *l)
{
	size_t i = 0;

	while (i < l->len && kw_isspace((unsigned char)l->s[i]))
		i++;
	return i == l->len || l->s[i] == '#' || l->s[i] == ';';
}

/* The reader's continuation rule: `\` before trailing whitespace. */
static bool kw_continues(const struct kw_line *l)
{
	size_t t = l->len;

	while (t > 0 && kw_isspace((unsigned char)l->s[t - 1]))
		t--;
	return t > 0 && l->s[t - 1] == '\\';
}

/* True when the n bytes at s, with Penlight's key normalisation (every
 * non-alphanumeric byte becomes `_`), spell key. */
static bool kw_key_matches(const char *s, size_t n, const char *key)
{
	size_t i;

	if (n != strlen(key))
		return false;
	for (i = 0; i < n; i++) {
		char c = kw_isalnum((unsigned char)s[i]) ? s[i] : '_';

		if (c != key[i])
			return false;
	}
	return true;
}

static bool kw_secret_key(const char *s, size_t n)
{
	char key[256];
	size_t i;

	if (n == 0 || n >= sizeof(key))
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		key[i] = kw_isalnum((unsigned char)c) ? c : '_';
	}
	key[n] = '\0';
	for (i = 0; kw_secret_keys[i] != NULL; i++) {
		if (strcmp(key, kw_secret_keys[i]) == 0)
			return true;
	}
	for (i = 0; kw_secret_words[i] != NULL; i++) {
		if (strstr(key, kw_secret_words[i]) != NULL)
			return true;
	}
	return false;
}

static bool kw_is_secret(const char *key)
{
	return kw_secret_key(key, strlen(key));
}

/* True when s[from..to) is `key = ...` (key trimmed) with a secret key. */
static bool kw_secret_assignment(const char *s, size_t from, size_t to)
{
	const char *eq = memchr(s + from, '=', to - from);
	size_t kend;

	if (eq == NULL)
		return false;
	kend = (size_t)(eq - s);
	while (kend > from && kw_isspace((unsigned char)s[kend - 1]))
		kend--;
	return kw_secret_key(s + from, kend - from);
}

enum kw_mask {
	KW_PLAIN,
	KW_MASK_VALUE,     /* active `secret = value` */
	KW_MASK_COMMENTED, /* `#secret = value` */
	KW_MASK_LINE,      /* continuation of a secret value */
};

/* Which lines of a text carry a secret value. Over-masking is harmless, so
 * any line that looks like a secret assignment is masked. */
static void kw_secret_lines(const struct kw_line *lines, size_t n, enum kw_mask *mask)
{
	bool acont = false;
	bool ccont = false;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct kw_line *l = &lines[i];
		size_t end = kw_content_len(l);
		size_t p = 0;

		mask[i] = KW_PLAIN;
		while (p < end && kw_isspace((unsigned char)l->s[p]))
			p++;
		if (p == end)
			continue;
		if (l->s[p] == '#' || l->s[p] == ';') {
			while (p < end && (l->s[p] == '#' || l->s[p] == ';' ||
					   kw_isspace((unsigned char)l->s[p])))
				p++;
			if (ccont)
				mask[i] = KW_MASK_LINE;
			else if (kw_secret_assignment(l->s, p, end))
				mask[i] = KW_MASK_COMMENTED;
			ccont = mask[i] != KW_PLAIN && kw_continues(l);
			continue;
		}
		ccont = false;
		if (acont)
			mask[i] = KW_MASK_LINE;
		else if (kw_secret_assignment(l->s, p, end))
			mask[i] = KW_MASK_VALUE;
		acont = mask[i] != KW_PLAIN && kw_continues(l);
	}
}

/* Appends the line without its '\n', masked as told. */
static void kw_put_masked(struct kw_buf *b, const struct kw_line *l, enum kw_mask mask)
{
	size_t end = kw_content_len(l);
	const char *eq = memchr(l->s, '=', end);
	size_t v;

	if (mask == KW_MASK_LINE) {
		kw_puts(b, KW_MASK);
		return;
	}
	if (mask == KW_PLAIN || eq == NULL) {
		kw_put(b, l->s, end);
		return;
	}
	v = (size_t)(eq - l->s) + 1;
	while (v < end && kw_isspace((unsigned char)l->s[v]))
		v++;
	/* Nothing after `=`, or only the doc comment of a commented default. */
	if (v == end || (mask == KW_MASK_COMMENTED && l->s[v] == '#')) {
		kw_put(b, l->s, end);
		return;
	}
	kw_put(b, l->s, (size_t)(eq - l->s) + 1);
	kw_puts(b, " " KW_MASK);
}

/* `#` -> `\#`: Kong strips a comment at any `#` not after a backslash and
 * then turns `\#` back into `#`; the value has no other escape. */
static char *kw_encode(const char *value)
{
	struct kw_buf b = {NULL, 0, 0, false};
	const char *p;

	for (p = value; *p != '\0'; p++) {
		if (*p == '#')
			kw_put(&b, "\\", 1);
		kw_put(&b, p, 1);
	}
	if (b.oom) {
		free(b.data);
		return NULL;
	}
	return b.data;
}

static int kw_check_key(const char *key, struct core_error *err)
{
	const char *p;

	if (key == NULL || key[0] == '\0')
		return core_error_set(err, "editing kong.conf: no key given");
	for (p = key; *p != '\0'; p++) {
		if (!kw_isalnum((unsigned char)*p) && *p != '_')
			return core_error_set(err,
					      "editing kong.conf: '%s' is not a key as Kong spells "
					      "it (letters, digits and '_' only)",
					      key);
	}
	if (!config_kongconf_known_key(key))
		return core_error_set(err, "editing kong.conf: Kong 1.3 does not know the key '%s'",
				      key);
	return 0;
}

/* The refusals that need no reading back, with a message that says why. */
static int kw_check_value(const char *path, const char *key, const char *value,
			  struct core_error *err)
{
	size_t len = value != NULL ? strlen(value) : 0;

	if (len == 0)
		return core_error_set(err,
				      "%s: refusing an empty value for %s: Kong reads an "
				      "empty value as not set",
				      path, key);
	if (strpbrk(value, "\n\r") != NULL)
		return core_error_set(err,
				      "%s: refusing the value for %s: it contains a line "
				      "break, and a kong.conf value is one line",
				      path, key);
	if (kw_isspace((unsigned char)value[0]) || kw_isspace((unsigned char)value[len - 1]))
		return core_error_set(err,
				      "%s: refusing the value for %s: it starts or ends with "
				      "whitespace, which Kong trims",
				      path, key);
	if (value[len - 1] == '\\')
		return core_error_set(err,
				      "%s: refusing the value for %s: it ends with '\\', "
				      "which Kong reads as a line continuation",
				      path, key);
	if (strstr(value, "_blank_") != NULL)
		return core_error_set(err,
				      "%s: refusing the value for %s: it contains "
				      "\"_blank_\", which Kong 1.3 mangles",
				      path, key);
	return 0;
}

/* Reads all of fd; *text is NUL-terminated and owned by the caller. */
static int kw_read_fd(int fd, const char *path, char **text, size_t *len, struct core_error *err)
{
	char *buf = NULL;
	size_t n = 0;
	int rc = -1;

	buf = malloc(KW_FILE_MAX + 1);
	if (buf == NULL) {
		core_error_set(err, "reading %s: out of memory", path);
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, buf + n, KW_FILE_MAX + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			core_error_errno(err, errno, "cannot read %s", path);
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > KW_FILE_MAX) {
			core_error_set(err, "%s: file larger than %d bytes", path, KW_FILE_MAX);
			goto out;
		}
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	return rc;
}

/* Opens and reads path, checking it is a regular file with one link. */
static int kw_read_file(const char *path, char **text, size_t *len, struct stat *st,
			struct core_error *err)
{
	int fd = -1;
	int rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		core_error_errno(err, errno, "cannot open %s", path);
		goto out;
	}
	if (fstat(fd, st) < 0) {
		core_error_errno(err, errno, "cannot stat %s", path);
		goto out;
	}
	if (!S_ISREG(st->st_mode)) {
		core_error_set(err, "%s is not a regular file", path);
		goto out;
	}
	if (st->st_nlink > 1) {
		core_error_set(err,
			       "%s has %lu hard links; replacing it would leave the other "
			       "names with the old text",
			       path, (unsigned long)st->st_nlink);
		goto out;
	}
	rc = kw_read_fd(fd, path, text, len, err);
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Index of the line the reader applies last for key, or -1. */
static long kw_active_line(const struct config_kongconf *kc, const char *key)
{
	size_t i;
	long line = -1;

	for (i = 0; i < config_kongconf_item_count(kc); i++) {
		const struct config_kongconf_item *it = config_kongconf_item_at(kc, i);

		if (it->key != NULL && strcmp(it->key, key) == 0 &&
		    (it->fate == CONFIG_KONGCONF_USED || it->fate == CONFIG_KONGCONF_UNKNOWN))
			line = it->line - 1;
	}
	return line;
}

/* Index of the first `[section]` line, or n. */
static size_t kw_first_section(const struct config_kongconf *kc, size_t n)
{
	size_t i;

	for (i = 0; i < config_kongconf_item_count(kc); i++) {
		const struct config_kongconf_item *it = config_kongconf_item_at(kc, i);

		if (it->fate == CONFIG_KONGCONF_SECTION)
			return (size_t)it->line - 1 < n ? (size_t)it->line - 1 : n;
	}
	return n;
}

/* Where a new line goes after the commented default `#key = ...` and the
 * indented comment lines below it (kong.conf.default's layout); n = none. */
static size_t kw_after_commented_default(const struct kw_line *lines, size_t limit, const char *key)
{
	size_t i;

	for (i = 0; i < limit; i++) {
		const char *s = lines[i].s;
		size_t end = kw_content_len(&lines[i]);
		size_t p = 0;
		size_t k;

		while (p < end && (s[p] == ' ' || s[p] == '\t'))
			p++;
		if (p == end || s[p] != '#')
			continue;
		p++;
		while (p < end && (s[p] == ' ' || s[p] == '\t'))
			p++;
		k = p;
		while (p < end && s[p] != '=' && !kw_isspace((unsigned char)s[p]))
			p++;
		if (!kw_key_matches(s + k, p - k, key))
			continue;
		while (p < end && (s[p] == ' ' || s[p] == '\t'))
			p++;
		if (p == end || s[p] != '=')
			continue;
		for (i++; i < limit; i++) {
			s = lines[i].s;
			end = kw_content_len(&lines[i]);
			p = 0;
			while (p < end && (s[p] == ' ' || s[p] == '\t'))
				p++;
			if (p == 0 || p == end || s[p] != '#')
				break;
		}
		return i;
	}
	return limit;
}

/* Appends a line, first ending the previous text with '\n' if needed. */
static void kw_put_line(struct kw_buf *b, const char *s, size_t n)
{
	if (b->len > 0 && b->data[b->len - 1] != '\n')
		kw_put(b, "\n", 1);
	kw_put(b, s, n);
}

/* New text with the value of the entry starting at line index at replaced.
 * *line is set to the 1-based line of the key in the new text. */
static int kw_build_replace(const struct kw_line *lines, size_t n, size_t at, const char *enc,
			    const char *path, const char *key, struct kw_buf *b, int *line,
			    struct core_error *err)
{
	const struct kw_line *l = &lines[at];
	size_t end = kw_content_len(l);
	const char *eq = memchr(l->s, '=', end);
	size_t last = at;
	size_t v;
	size_t tail;
	size_t i;

	if (eq == NULL)
		return core_error_set(err,
				      "%s:%zu: cannot edit %s: its '=' is on a continuation "
				      "line",
				      path, at + 1, key);
	while (kw_continues(&lines[last])) {
		size_t j = last + 1;

		while (j < n && kw_skipped(&lines[j]))
			j++;
		if (j == n)
			break;
		last = j;
	}
	v = (size_t)(eq - l->s) + 1;
	while (v < end && (l->s[v] == ' ' || l->s[v] == '\t'))
		v++;
	tail = end;
	if (last == at) {
		/* Keep a trailing comment as Kong finds it (`[^\\]#`) with the
		 * blanks before it, or else the trailing blanks. */
		for (i = v + 1; i < end; i++) {
			if (l->s[i] == '#' && l->s[i - 1] != '\\') {
				tail = i;
				break;
			}
		}
		while (tail > v && kw_isspace((unsigned char)l->s[tail - 1]))
			tail--;
	}
	for (i = 0; i < at; i++)
		kw_put(b, lines[i].s, lines[i].len);
	kw_put(b, l->s, v);
	kw_puts(b, enc);
	kw_put(b, l->s + tail, end - tail);
	if (end < l->len || last > at)
		kw_put(b, "\n", 1);
	for (i = at + 1; i <= last; i++) {
		if (kw_skipped(&lines[i]))
			kw_put(b, lines[i].s, lines[i].len);
	}
	for (i = last + 1; i < n; i++)
		kw_put(b, lines[i].s, lines[i].len);
	*line = (int)at + 1;
	return 0;
}

/* New text with `key = enc` inserted before line index at (n = at the end). */
static void kw_build_insert(const struct kw_line *lines, size_t n, size_t at, const char *key,
			    const char *enc, struct kw_buf *b, int *line)
{
	size_t i;

	for (i = 0; i < at; i++)
		kw_put(b, lines[i].s, lines[i].len);
	kw_put_line(b, key, strlen(key));
	kw_puts(b, " = ");
	kw_puts(b, enc);
	kw_put(b, "\n", 1);
	for (i = at; i < n; i++)
		kw_put(b, lines[i].s, lines[i].len);
	*line = (int)at + 1;
}

static bool kw_str_eq(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* The next item at or after *i that is not about key, or NULL. */
static const struct config_kongconf_item *kw_next_other(const struct config_kongconf *kc, size_t *i,
							const char *key)
{
	const struct config_kongconf_item *it;

	while ((it = config_kongconf_item_at(kc, *i)) != NULL) {
		(*i)++;
		if (it->key == NULL || strcmp(it->key, key) != 0)
			return it;
	}
	return NULL;
}

/* Reads the new text back: key must be value, set by the new line, and
 * every other entry must read as before. */
static int kw_verify(const struct config_kongconf *old, const struct config_kongconf_edit *e,
		     const char *value, struct core_error *err)
{
	struct config_kongconf *kc = NULL;
	const char *got;
	const char *file = NULL;
	int line = 0;
	size_t i = 0;
	size_t j = 0;
	int rc = -1;

	if (config_kongconf_parse(e->new_text, e->path, NULL, &kc, err) < 0) {
		core_error_prefix(err, "the changed %s would not be read by Kong", e->path);
		goto out;
	}
	got = config_kongconf_get(kc, e->key);
	if (!kw_str_eq(got, value)) {
		bool number =
		    value[0] == '+' || value[0] == '-' || (value[0] >= '0' && value[0] <= '9');

		if (kw_is_secret(e->key))
			core_error_set(err,
				       "%s: refusing the value for %s: Kong 1.3 would read "
				       "it back differently%s",
				       e->path, e->key,
				       number ? " (Lua reads it as a number and prints it "
						"again)"
					      : "");
		else
			core_error_set(err,
				       "%s: refusing the value '%s' for %s: Kong 1.3 would "
				       "read it back as '%s'%s",
				       e->path, value, e->key, got != NULL ? got : "(not set)",
				       number ? " (Lua reads it as a number)" : "");
		goto out;
	}
	if (config_kongconf_origin(kc, e->key, &file, &line) != CONFIG_KONGCONF_FILE ||
	    line != e->line) {
		core_error_set(err,
			       "%s:%d: the new line for %s would not be the one Kong "
			       "applies; refusing",
			       e->path, e->line, e->key);
		goto out;
	}
	for (;;) {
		const struct config_kongconf_item *a = kw_next_other(old, &i, e->key);
		const struct config_kongconf_item *b = kw_next_other(kc, &j, e->key);

		if (a == NULL && b == NULL)
			break;
		if (a == NULL || b == NULL || a->fate != b->fate || !kw_str_eq(a->key, b->key) ||
		    !kw_str_eq(a->value, b->value)) {
			core_error_set(err,
				       "%s: setting %s at line %d would change how Kong reads "
				       "line %d; refusing",
				       e->path, e->key, e->line, a != NULL ? a->line : b->line);
			goto out;
		}
	}
	rc = 0;
out:
	config_kongconf_free(kc);
	return rc;
}

int config_kongconf_edit_plan(const char *path, const char *key, const char *value,
			      struct config_kongconf_edit **out, struct core_error *err)
{
	struct config_kongconf_edit *e = NULL;
	struct config_kongconf *kc = NULL;
	struct kw_line *lines = NULL;
	struct kw_buf b = {NULL, 0, 0, false};
	struct stat st;
	char *enc = NULL;
	size_t n = 0;
	long at;
	int rc = -1;

	*out = NULL;
	if (path == NULL) {
		core_error_set(err, "editing kong.conf: no path given");
		goto out;
	}
	if (kw_check_key(key, err) < 0 || kw_check_value(path, key, value, err) < 0)
		goto out;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		goto oom;
	e->path = strdup(path);
	e->key = strdup(key);
	if (e->path == NULL || e->key == NULL)
		goto oom;
	e->target = realpath(path, NULL);
	if (e->target == NULL) {
		core_error_errno(err, errno, "cannot resolve %s", path);
		goto out;
	}
	if (kw_read_file(e->target, &e->old_text, &e->old_len, &st, err) < 0)
		goto out;
	if (memchr(e->old_text, '\0', e->old_len) != NULL) {
		core_error_set(err, "%s: NUL byte in the file; refusing to edit it", path);
		goto out;
	}
	if (config_kongconf_parse(e->old_text, path, NULL, &kc, err) < 0)
		goto out;
	enc = kw_encode(value);
	if (enc == NULL || kw_split(e->old_text, e->old_len, &lines, &n) < 0)
		goto oom;
	at = kw_active_line(kc, key);
	if (at >= 0) {
		if (kw_build_replace(lines, n, (size_t)at, enc, path, key, &b, &e->line, err) < 0)
			goto out;
	} else {
		size_t limit = kw_first_section(kc, n);

		kw_build_insert(lines, n, kw_after_commented_default(lines, limit, key), key, enc,
				&b, &e->line);
	}
	if (b.oom)
		goto oom;
	if (b.data == NULL) {
		b.data = strdup("");
		if (b.data == NULL)
			goto oom;
	}
	e->new_text = b.data;
	e->new_len = b.len;
	b.data = NULL;
	if (kw_verify(kc, e, value, err) < 0)
		goto out;
	*out = e;
	e = NULL;
	rc = 0;
	goto out;
oom:
	core_error_set(err, "editing %s: out of memory", path);
out:
	free(b.data);
	free(enc);
	free(lines);
	config_kongconf_free(kc);
	config_kongconf_edit_free(e);
	return rc;
}

bool config_kongconf_edit_changed(const struct config_kongconf_edit *e)
{
	return e != NULL &&
	       (e->old_len != e->new_len || memcmp(e->old_text, e->new_text, e->old_len) != 0);
}

const char *config_kongconf_edit_text(const struct config_kongconf_edit *e)
{
	return e != NULL ? e->new_text : NULL;
}

int config_kongconf_edit_line(const struct config_kongconf_edit *e)
{
	return e != NULL ? e->line : 0;
}

static bool kw_line_eq(const struct kw_line *a, const struct kw_line *b)
{
	return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
}

/* A hunk range as diff -u prints it: "start,count", the count left out
 * when 1, and the start one less when the range is empty. */
static void kw_put_range(struct kw_buf *b, char sign, size_t start, size_t count)
{
	char buf[64];

	if (count == 1)
		snprintf(buf, sizeof(buf), "%c%zu", sign, start + 1);
	else
		snprintf(buf, sizeof(buf), "%c%zu,%zu", sign, count > 0 ? start + 1 : start, count);
	kw_puts(b, buf);
}

static void kw_put_diff_line(struct kw_buf *b, char sign, const struct kw_line *l,
			     enum kw_mask mask)
{
	kw_put(b, &sign, 1);
	kw_put_masked(b, l, mask);
	kw_put(b, "\n", 1);
	if (kw_content_len(l) == l->len)
		kw_puts(b, "\\ No newline at end of file\n");
}

char *config_kongconf_edit_diff(const struct config_kongconf_edit *e, int redact)
{
	struct kw_buf b = {NULL, 0, 0, false};
	struct kw_line *ol = NULL;
	struct kw_line *nl = NULL;
	enum kw_mask *om = NULL;
	enum kw_mask *nm = NULL;
	size_t on = 0;
	size_t nn = 0;
	size_t pre = 0;
	size_t suf = 0;
	size_t ctx;
	size_t oend;
	size_t nend;
	size_t i;

	if (e == NULL)
		return NULL;
	kw_puts(&b, "");
	if (!config_kongconf_edit_changed(e))
		goto out;
	if (kw_split(e->old_text, e->old_len, &ol, &on) < 0 ||
	    kw_split(e->new_text, e->new_len, &nl, &nn) < 0)
		goto oom;
	om = calloc(on + 1, sizeof(*om));
	nm = calloc(nn + 1, sizeof(*nm));
	if (om == NULL || nm == NULL)
		goto oom;
	if (redact) {
		kw_secret_lines(ol, on, om);
		kw_secret_lines(nl, nn, nm);
	}
	while (pre < on && pre < nn && kw_line_eq(&ol[pre], &nl[pre]))
		pre++;
	while (suf < on - pre && suf < nn - pre && kw_line_eq(&ol[on - 1 - suf], &nl[nn - 1 - suf]))
		suf++;
	ctx = pre > 3 ? pre - 3 : 0;
	oend = on - suf + 3 < on ? on - suf + 3 : on;
	nend = nn - suf + 3 < nn ? nn - suf + 3 : nn;
	kw_puts(&b, "--- ");
	kw_puts(&b, e->path);
	kw_puts(&b, "\n+++ ");
	kw_puts(&b, e->path);
	kw_puts(&b, "\n@@ ");
	kw_put_range(&b, '-', ctx, oend - ctx);
	kw_puts(&b, " ");
	kw_put_range(&b, '+', ctx, nend - ctx);
	kw_puts(&b, " @@\n");
	for (i = ctx; i < pre; i++)
		kw_put_diff_line(&b, ' ', &ol[i], om[i]);
	for (i = pre; i < on - suf; i++)
		kw_put_diff_line(&b, '-', &ol[i], om[i]);
	for (i = pre; i < nn - suf; i++)
		kw_put_diff_line(&b, '+', &nl[i], nm[i]);
	for (i = on - suf; i < oend; i++)
		kw_put_diff_line(&b, ' ', &ol[i], om[i]);
	goto out;
oom:
	b.oom = true;
out:
	free(ol);
	free(nl);
	free(om);
	free(nm);
	if (b.oom) {
		free(b.data);
		return NULL;
	}
	return b.data;
}

static int kw_write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, data, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		data += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Gives the new file fd at name the mode and owner of orig, writes data and
 * fsyncs it. what names the file in messages ("backup", "temporary file"). */
static int kw_fill(int fd, const char *name, const struct stat *orig, const char *data, size_t len,
		   const char *what, const char *path, struct core_error *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return core_error_errno(err, errno, "%s: cannot stat %s %s", path, what, name);
	if ((st.st_uid != orig->st_uid || st.st_gid != orig->st_gid) &&
	    fchown(fd, orig->st_uid, orig->st_gid) < 0)
		return core_error_errno(err, errno,
					"%s: cannot give %s %s the owner %lu:%lu of "
					"the file",
					path, what, name, (unsigned long)orig->st_uid,
					(unsigned long)orig->st_gid);
	if (fchmod(fd, orig->st_mode & 07777) < 0)
		return core_error_errno(err, errno, "%s: cannot set the mode of %s %s", path, what,
					name);
	if (kw_write_all(fd, data, len) < 0)
		return core_error_errno(err, errno, "%s: cannot write %s %s", path, what, name);
	if (fsync(fd) < 0)
		return core_error_errno(err, errno, "%s: cannot fsync %s %s", path, what, name);
	return 0;
}

static bool kw_stamp_ok(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (!kw_isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return false;
	}
	return true;
}

/* Creates the backup file <target>.bak-<stamp>[.<n>] exclusively; fills
 * name. Returns the open fd or -1. */
static int kw_create_backup(const struct config_kongconf_edit *e, const char *stamp, char *name,
			    size_t size, struct core_error *err)
{
	int i;

	for (i = 0; i < KW_BACKUP_TRIES; i++) {
		int fd;
		int len = i == 0 ? snprintf(name, size, "%s.bak-%s", e->target, stamp)
				 : snprintf(name, size, "%s.bak-%s.%d", e->target, stamp, i);

		if (len < 0 || (size_t)len >= size)
			return core_error_set(err, "%s: backup file name too long", e->path);
		fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			return core_error_errno(err, errno, "%s: cannot create the backup %s",
						e->path, name);
	}
	return core_error_set(err, "%s: cannot create a backup: %s.bak-%s and %d more exist",
			      e->path, e->target, stamp, KW_BACKUP_TRIES - 1);
}

/* Refuses when the file's content is not what the plan was made from. */
static int kw_unchanged(const struct config_kongconf_edit *e, struct stat *st,
			struct core_error *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc = -1;

	if (kw_read_file(e->target, &text, &len, st, err) < 0) {
		core_error_prefix(err, "%s: re-reading before writing", e->path);
		goto out;
	}
	if (len != e->old_len || memcmp(text, e->old_text, len) != 0) {
		core_error_set(err,
			       "%s changed since the change was planned; nothing written, "
			       "plan it again",
			       e->path);
		goto out;
	}
	rc = 0;
out:
	free(text);
	return rc;
}

int config_kongconf_edit_apply(const struct config_kongconf_edit *e, const char *stamp,
			       char *backup_path, size_t size, struct core_error *err)
{
	char now[32];
	char bak[PATH_MAX];
	char *tmp = NULL;
	char *dir = NULL;
	char *slash;
	size_t tmplen;
	struct stat st;
	struct tm tm;
	time_t t;
	int dfd = -1;
	int bfd = -1;
	int tfd = -1;
	bool bak_made = false;
	bool tmp_made = false;
	bool renamed = false;
	int rc = -1;

	bak[0] = '\0';
	if (backup_path != NULL && size > 0)
		backup_path[0] = '\0';
	if (e == NULL)
		return core_error_set(err, "writing kong.conf: no planned change");
	if (kw_unchanged(e, &st, err) < 0)
		goto out;
	if (!config_kongconf_edit_changed(e)) {
		rc = 0;
		goto out;
	}
	if (stamp == NULL) {
		t = time(NULL);
		if (gmtime_r(&t, &tm) == NULL ||
		    strftime(now, sizeof(now), "%Y%m%d-%H%M%S", &tm) == 0) {
			core_error_set(err, "%s: cannot format the backup time", e->path);
			goto out;
		}
		stamp = now;
	} else if (!kw_stamp_ok(stamp)) {
		core_error_set(err, "%s: backup stamp must be letters, digits, '-' or '_'",
			       e->path);
		goto out;
	}
	dir = strdup(e->target);
	tmplen = strlen(e->target) + sizeof(".kuw-tmp-XXXXXX");
	tmp = malloc(tmplen);
	if (dir == NULL || tmp == NULL) {
		core_error_set(err, "writing %s: out of memory", e->path);
		goto out;
	}
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	dfd = open(slash != NULL ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		core_error_errno(err, errno, "%s: cannot open its directory", e->path);
		goto out;
	}

	bfd = kw_create_backup(e, stamp, bak, sizeof(bak), err);
	if (bfd < 0)
		goto out;
	bak_made = true;
	if (kw_fill(bfd, bak, &st, e->old_text, e->old_len, "backup", e->path, err) < 0)
		goto out;
	if (close(bfd) < 0) {
		bfd = -1;
		core_error_errno(err, errno, "%s: cannot close the backup %s", e->path, bak);
		goto out;
	}
	bfd = -1;
	/* The backup's name must be on disk before the original is replaced. */
	if (fsync(dfd) < 0) {
		core_error_errno(err, errno, "%s: cannot fsync its directory", e->path);
		goto out;
	}

	snprintf(tmp, tmplen, "%s.kuw-tmp-XXXXXX", e->target);
	tfd = mkostemp(tmp, O_CLOEXEC);
	if (tfd < 0) {
		core_error_errno(err, errno, "%s: cannot create a temporary file beside it",
				 e->path);
		goto out;
	}
	tmp_made = true;
	if (kw_fill(tfd, tmp, &st, e->new_text, e->new_len, "temporary file", e->path, err) < 0)
		goto out;
	if (close(tfd) < 0) {
		tfd = -1;
		core_error_errno(err, errno, "%s: cannot close the temporary file %s", e->path,
				 tmp);
		goto out;
	}
	tfd = -1;
	if (rename(tmp, e->target) < 0) {
		core_error_errno(err, errno, "%s: cannot rename %s over it", e->path, tmp);
		goto out;
	}
	renamed = true;
	if (fsync(dfd) < 0) {
		core_error_errno(err, errno,
				 "%s was replaced (backup %s) but its directory "
				 "could not be fsync'd",
				 e->path, bak);
		goto out;
	}
	rc = 0;
out:
	if (bfd >= 0)
		close(bfd);
	if (tfd >= 0)
		close(tfd);
	if (tmp_made && !renamed)
		unlink(tmp);
	if (bak_made && !renamed)
		unlink(bak);
	else if (bak_made && backup_path != NULL && size > 0)
		snprintf(backup_path, size, "%s", bak);
	if (dfd >= 0)
		close(dfd);
	free(tmp);
	free(dir);
	return rc;
}

void config_kongconf_edit_free(struct config_kongconf_edit *e)
{
	if (e == NULL)
		return;
	free(e->path);
	free(e->target);
	free(e->key);
	free(e->old_text);
	free(e->new_text);
	free(e);
}
