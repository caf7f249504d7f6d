/* config_kongconf.c — kong.conf read the way Kong 1.3 reads it.
 *
 * Two stages, as in Kong: Penlight's pl.config.read (smart = false,
 * list_delim "_blank_") turns lines into key/value pairs, then conf_loader.lua
 * merges defaults < file < KONG_* environment and cleans each string value
 * (trailing comment, `\#`, trim, "" = unset). Sources: Penlight
 * lua/pl/config.lua, Kong 1.3 kong/conf_loader.lua, reference §6. */
#include "config/config_kongconf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/config_kongconf_keys.h"

/* Sanity limits of this reader; Kong has none. */
#define KC_LINE_MAX (64 * 1024)
#define KC_FILE_MAX (16 * 1024 * 1024)

struct kc_setting {
	char *key;
	char *value; /* effective value, NULL = unset */
	enum config_kongconf_origin origin;
	int line;
	bool known;
};

struct config_kongconf {
	char *path;
	struct kc_setting *set;
	size_t nset;
	size_t capset;
	struct config_kongconf_item *items;
	size_t nitems;
	size_t capitems;
};

static const char *const kc_default_paths[] = {"/etc/kong/kong.conf", "/etc/kong.conf", NULL};

/* DYNAMIC_KEY_NAMESPACES of Kong 1.3 conf_loader.lua (nginx_http_upstream_ is
 * covered by nginx_http_). */
static const char *const kc_dynamic_prefixes[] = {
    "nginx_http_", "nginx_stream_", "nginx_proxy_", "nginx_sproxy_", "nginx_admin_", NULL,
};

/* Lua's %s in the C locale. */
static bool kc_isspace(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* Lua's %w in the C locale: ASCII letters and digits only. */
static bool kc_isalnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool kc_isdigit(int c)
{
	return c >= '0' && c <= '9';
}

static bool kc_isxdigit(int c)
{
	return kc_isdigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static char *kc_strndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* Trims Lua whitespace at both ends, in place (pl.stringx.strip). */
static void kc_strip(char *s)
{
	size_t len = strlen(s);
	size_t start = 0;

	while (len > 0 && kc_isspace((unsigned char)s[len - 1]))
		len--;
	while (start < len && kc_isspace((unsigned char)s[start]))
		start++;
	memmove(s, s + start, len - start);
	s[len - start] = '\0';
}

/* LuaJIT tonumber() on a string: optional sign, decimal with optional
 * fraction and exponent, or 0x hex integer; whitespace around allowed.
 * inf/nan spellings and hex fractions are deliberately not recognised. */
static bool kc_lua_tonumber(const char *s, double *out)
{
	const char *p = s;
	const char *num;
	char *end = NULL;
	size_t digits = 0;

	while (kc_isspace((unsigned char)*p))
		p++;
	num = p;
	if (*p == '+' || *p == '-')
		p++;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		p += 2;
		while (kc_isxdigit((unsigned char)*p)) {
			p++;
			digits++;
		}
		if (digits == 0)
			return false;
	} else {
		while (kc_isdigit((unsigned char)*p)) {
			p++;
			digits++;
		}
		if (*p == '.') {
			p++;
			while (kc_isdigit((unsigned char)*p)) {
				p++;
				digits++;
			}
		}
		if (digits == 0)
			return false;
		if (*p == 'e' || *p == 'E') {
			p++;
			if (*p == '+' || *p == '-')
				p++;
			if (!kc_isdigit((unsigned char)*p))
				return false;
			while (kc_isdigit((unsigned char)*p))
				p++;
		}
	}
	while (kc_isspace((unsigned char)*p))
		p++;
	if (*p != '\0')
		return false;
	*out = strtod(num, &end);
	return end != NULL && end != num;
}

/* Penlight process_value with convert_numbers on: a value starting with a
 * digit, `+` or `-` that Lua reads as a number becomes that number (printed
 * back with Lua's "%.14g"); a trailing " kB" is tried away first, and the
 * value stays without it even when it is still no number. Other values are
 * trimmed. *is_number tells the caller that Kong will not comment-strip it. */
static char *kc_penlight_value(const char *raw, bool *is_number)
{
	char *v = NULL;
	char buf[64];
	double d = 0;
	size_t len = strlen(raw);

	*is_number = false;
	v = kc_strndup(raw, len);
	if (v == NULL)
		return NULL;
	if (kc_isdigit((unsigned char)v[0]) || v[0] == '+' || v[0] == '-') {
		bool ok = kc_lua_tonumber(v, &d);

		if (!ok && len >= 3 && strcmp(v + len - 3, " kB") == 0) {
			char *r = v;
			char *w = v;

			while (*r != '\0') {
				if (strncmp(r, " kB", 3) == 0)
					r += 3;
				else
					*w++ = *r++;
			}
			*w = '\0';
			ok = kc_lua_tonumber(v, &d);
		}
		if (ok) {
			snprintf(buf, sizeof(buf), "%.14g", d);
			free(v);
			*is_number = true;
			return strdup(buf);
		}
	}
	kc_strip(v);
	return v;
}

/* Kong's check_and_infer on a string value, in place: gsub("[^\\]#.-$", ""),
 * gsub("\\#", "#"), strip. Returns true when the result is empty (unset). */
static bool kc_kong_clean(char *v)
{
	size_t i;
	char *r = v;
	char *w = v;

	for (i = 0; v[i] != '\0' && v[i + 1] != '\0'; i++) {
		if (v[i] != '\\' && v[i + 1] == '#') {
			v[i] = '\0';
			break;
		}
	}
	while (*r != '\0') {
		if (r[0] == '\\' && r[1] == '#') {
			*w++ = '#';
			r += 2;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	kc_strip(v);
	return v[0] == '\0';
}

/* Both stages on a raw file value: Penlight, then Kong's cleaning (skipped
 * for numbers, which are no strings any more). NULL with *oom false = unset. */
static char *kc_file_value(const char *raw, bool *oom)
{
	bool num = false;
	char *v = kc_penlight_value(raw, &num);

	*oom = v == NULL;
	if (v != NULL && !num && kc_kong_clean(v)) {
		free(v);
		v = NULL;
	}
	return v;
}

static bool kc_dynamic_key(const char *key)
{
	size_t i;

	for (i = 0; kc_dynamic_prefixes[i] != NULL; i++) {
		size_t n = strlen(kc_dynamic_prefixes[i]);

		if (strncmp(key, kc_dynamic_prefixes[i], n) == 0 && key[n] != '\0')
			return true;
	}
	return false;
}

static bool kc_table_key(const char *key)
{
	size_t i;

	for (i = 0; i < config_kongconf_defaults_count; i++) {
		if (strcmp(config_kongconf_defaults[i].key, key) == 0)
			return true;
	}
	return false;
}

bool config_kongconf_known_key(const char *key)
{
	if (key == NULL)
		return false;
	return kc_table_key(key) || kc_dynamic_key(key);
}

static struct kc_setting *kc_find(const struct config_kongconf *kc, const char *key)
{
	size_t i;

	for (i = 0; i < kc->nset; i++) {
		if (strcmp(kc->set[i].key, key) == 0)
			return &kc->set[i];
	}
	return NULL;
}

/* Finds or appends the setting for key. */
static struct kc_setting *kc_setting(struct config_kongconf *kc, const char *key)
{
	struct kc_setting *s = kc_find(kc, key);

	if (s != NULL)
		return s;
	if (kc->nset == kc->capset) {
		size_t cap = kc->capset != 0 ? kc->capset * 2 : 256;
		struct kc_setting *n = realloc(kc->set, cap * sizeof(*n));

		if (n == NULL)
			return NULL;
		kc->set = n;
		kc->capset = cap;
	}
	s = &kc->set[kc->nset];
	memset(s, 0, sizeof(*s));
	s->key = strdup(key);
	if (s->key == NULL)
		return NULL;
	s->known = config_kongconf_known_key(key);
	kc->nset++;
	return s;
}

/* Takes ownership of value (may be NULL). */
static int kc_item_add(struct config_kongconf *kc, const char *key, char *value, int line,
		       enum config_kongconf_fate fate)
{
	struct config_kongconf_item *it;
	char *k = NULL;

	if (kc->nitems == kc->capitems) {
		size_t cap = kc->capitems != 0 ? kc->capitems * 2 : 32;
		struct config_kongconf_item *n = realloc(kc->items, cap * sizeof(*n));

		if (n == NULL)
			goto fail;
		kc->items = n;
		kc->capitems = cap;
	}
	if (key != NULL) {
		k = strdup(key);
		if (k == NULL)
			goto fail;
	}
	it = &kc->items[kc->nitems++];
	it->key = k;
	it->value = value;
	it->line = line;
	it->fate = fate;
	return 0;
fail:
	free(value);
	return -1;
}

static int kc_set_value(struct kc_setting *s, const char *v, bool clean,
			enum config_kongconf_origin origin, int line)
{
	char *copy = NULL;

	if (v != NULL) {
		copy = strdup(v);
		if (copy == NULL)
			return -1;
		if (clean && kc_kong_clean(copy)) {
			free(copy);
			copy = NULL;
		}
	}
	free(s->value);
	s->value = copy;
	s->origin = origin;
	s->line = line;
	return 0;
}

static int kc_load_defaults(struct config_kongconf *kc, struct core_error *err)
{
	size_t i;
	char *v = NULL;
	bool num = false;
	struct kc_setting *s;

	for (i = 0; i < config_kongconf_defaults_count; i++) {
		v = kc_penlight_value(config_kongconf_defaults[i].value, &num);
		s = kc_setting(kc, config_kongconf_defaults[i].key);
		if (v == NULL || s == NULL)
			goto oom;
		/* overrides(): "PL will ignore empty strings, so we need a
		 * placeholder (NONE)" — a NONE default becomes "". */
		if (kc_set_value(s, strcmp(v, "NONE") == 0 ? NULL : v, !num,
				 CONFIG_KONGCONF_DEFAULT, 0) < 0)
			goto oom;
		free(v);
		v = NULL;
	}
	return 0;
oom:
	free(v);
	return core_error_set(err, "reading Kong defaults: out of memory");
}

/* Penlight process_name: every byte that is not [A-Za-z0-9] becomes `_`. */
static void kc_normalise_key(char *key)
{
	for (; *key != '\0'; key++) {
		if (!kc_isalnum((unsigned char)*key))
			*key = '_';
	}
}

struct kc_parse {
	struct config_kongconf *kc;
	const char *name;
	bool in_section;
};

/* Marks earlier applied entries of key as superseded (Penlight: t[key] = v). */
static void kc_supersede(struct config_kongconf *kc, const char *key)
{
	size_t i;

	for (i = 0; i < kc->nitems; i++) {
		struct config_kongconf_item *it = &kc->items[i];

		if (it->key != NULL && strcmp(it->key, key) == 0 &&
		    (it->fate == CONFIG_KONGCONF_USED || it->fate == CONFIG_KONGCONF_UNKNOWN))
			it->fate = CONFIG_KONGCONF_SUPERSEDED;
	}
}

/* Finds Lua's %[([^%]]+)%] in line; sets name and len. */
static bool kc_section_name(const char *line, const char **name, size_t *len)
{
	const char *p;

	for (p = strchr(line, '['); p != NULL; p = strchr(p + 1, '[')) {
		const char *q = p + 1;

		while (*q != '\0' && *q != ']')
			q++;
		if (*q == ']' && q > p + 1) {
			*name = p + 1;
			*len = (size_t)(q - p - 1);
			return true;
		}
	}
	return false;
}

/* One logical line (continuations joined). pending: the line is a
 * continuation left open at end of file. */
static int kc_parse_logical(struct kc_parse *ps, char *line, int lineno, bool pending,
			    struct core_error *err)
{
	struct config_kongconf *kc = ps->kc;
	char *key = NULL;
	char *value = NULL;
	char *eq;
	char *p;
	size_t klen;
	bool oom = false;
	enum config_kongconf_fate fate;
	struct kc_setting *s;
	int rc = -1;

	if (!pending && line[0] == '[') {
		const char *name = NULL;
		size_t len = 0;

		if (!kc_section_name(line, &name, &len)) {
			core_error_set(err,
				       "%s:%d: a line starting with '[' must be a [section] "
				       "header; Kong 1.3 fails to read this file",
				       ps->name, lineno);
			goto out;
		}
		key = kc_strndup(name, len);
		if (key == NULL)
			goto oom;
		kc_normalise_key(key);
		ps->in_section = true;
		if (kc_item_add(kc, key, NULL, lineno, CONFIG_KONGCONF_SECTION) < 0)
			goto oom;
		rc = 0;
		goto out;
	}
	p = line;
	while (kc_isspace((unsigned char)*p))
		p++;
	eq = strchr(p, '=');
	if (eq == NULL) {
		value = kc_file_value(p, &oom);
		if (oom)
			goto oom;
		fate = pending ? CONFIG_KONGCONF_UNTERMINATED : CONFIG_KONGCONF_NO_EQUALS;
		if (kc_item_add(kc, NULL, value, lineno, fate) < 0)
			goto oom;
		value = NULL;
		rc = 0;
		goto out;
	}
	klen = (size_t)(eq - p);
	while (klen > 0 && kc_isspace((unsigned char)p[klen - 1]))
		klen--;
	key = kc_strndup(p, klen);
	if (key == NULL)
		goto oom;
	kc_normalise_key(key);
	p = eq + 1;
	while (kc_isspace((unsigned char)*p))
		p++;
	if (!pending && !ps->in_section && strstr(p, "_blank_") != NULL) {
		/* Kong's list_delim "_blank_" splits such a value into a table. */
		core_error_set(err,
			       "%s:%d: value of '%s' contains \"_blank_\", which Kong 1.3 "
			       "mangles (pl.config list_delim)",
			       ps->name, lineno, key);
		goto out;
	}
	value = kc_file_value(p, &oom);
	if (oom)
		goto oom;
	if (pending || ps->in_section) {
		fate = pending ? CONFIG_KONGCONF_UNTERMINATED : CONFIG_KONGCONF_IN_SECTION;
		if (kc_item_add(kc, key, value, lineno, fate) < 0)
			goto oom;
		value = NULL;
		rc = 0;
		goto out;
	}
	s = kc_setting(kc, key);
	if (s == NULL || kc_set_value(s, value, false, CONFIG_KONGCONF_FILE, lineno) < 0)
		goto oom;
	kc_supersede(kc, key);
	fate = s->known ? CONFIG_KONGCONF_USED : CONFIG_KONGCONF_UNKNOWN;
	if (kc_item_add(kc, key, value, lineno, fate) < 0)
		goto oom;
	value = NULL;
	rc = 0;
	goto out;
oom:
	core_error_set(err, "%s:%d: out of memory", ps->name, lineno);
out:
	free(key);
	free(value);
	return rc;
}

/* Appends n bytes to the growing buffer *buf. */
static int kc_append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t ncap = (*len + n + 1) * 2;
		char *nb = realloc(*buf, ncap);

		if (nb == NULL)
			return -1;
		*buf = nb;
		*cap = ncap;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

/* Penlight config.lines: skips blank and comment lines (also inside a
 * continuation); a line ending in `\` plus optional whitespace is joined to
 * the next without the backslash, the whitespace and the newline; the next
 * line keeps its leading whitespace. An open continuation at the end of the
 * text is dropped. */
static int kc_parse_text(struct config_kongconf *kc, const char *text, size_t size,
			 const char *name, struct core_error *err)
{
	struct kc_parse ps = {kc, name, false};
	const char *p = text;
	const char *end = text + size;
	char *acc = NULL;
	size_t acclen = 0;
	size_t acccap = 0;
	bool pending = false;
	int start = 0;
	int lineno = 0;
	int rc = -1;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		size_t i = 0;
		size_t t = len;

		lineno++;
		if (len > KC_LINE_MAX) {
			core_error_set(err, "%s:%d: line longer than %d bytes", name, lineno,
				       KC_LINE_MAX);
			goto out;
		}
		if (memchr(p, '\0', len) != NULL) {
			core_error_set(err, "%s:%d: NUL byte in line", name, lineno);
			goto out;
		}
		while (i < len && kc_isspace((unsigned char)p[i]))
			i++;
		if (i == len || p[i] == '#' || p[i] == ';')
			goto next;
		while (t > 0 && kc_isspace((unsigned char)p[t - 1]))
			t--;
		if (!pending) {
			start = lineno;
			acclen = 0;
		}
		if (p[t - 1] == '\\') {
			if (kc_append(&acc, &acclen, &acccap, p, t - 1) < 0)
				goto oom;
			pending = true;
		} else {
			if (kc_append(&acc, &acclen, &acccap, p, len) < 0)
				goto oom;
			pending = false;
			if (kc_parse_logical(&ps, acc, start, false, err) < 0)
				goto out;
		}
		if (acclen > KC_LINE_MAX) {
			core_error_set(err, "%s:%d: continued line longer than %d bytes", name,
				       start, KC_LINE_MAX);
			goto out;
		}
	next:
		p = nl != NULL ? nl + 1 : end;
	}
	if (pending && acclen > 0 && kc_parse_logical(&ps, acc, start, true, err) < 0)
		goto out;
	rc = 0;
	goto out;
oom:
	core_error_set(err, "%s:%d: out of memory", name, lineno);
out:
	free(acc);
	return rc;
}

/* The value of env var name in envp, or NULL (first match, as getenv). */
static const char *kc_envp_get(char *const *envp, const char *name)
{
	size_t n = strlen(name);

	for (; envp != NULL && *envp != NULL; envp++) {
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	}
	return NULL;
}

/* Kong 1.3 load(): env KONG_<ns>_* names add dynamic nginx keys; then every
 * known key takes KONG_<UPPER(key)>. Values from the environment are strings
 * (no number conversion) but are comment-stripped like file values. */
static int kc_apply_env(struct config_kongconf *kc, char *const *envp, struct core_error *err)
{
	char *const *e;
	char *key = NULL;
	char name[512];
	size_t i;
	int rc = -1;

	for (e = envp; e != NULL && *e != NULL; e++) {
		const char *eq = strchr(*e, '=');
		size_t j;

		if (eq == NULL || strncmp(*e, "KONG_", 5) != 0)
			continue;
		key = kc_strndup(*e + 5, (size_t)(eq - *e - 5));
		if (key == NULL)
			goto oom;
		for (j = 0; key[j] != '\0'; j++) {
			if (key[j] >= 'A' && key[j] <= 'Z')
				key[j] = (char)(key[j] - 'A' + 'a');
		}
		if (kc_dynamic_key(key) && kc_setting(kc, key) == NULL)
			goto oom;
		free(key);
		key = NULL;
	}
	for (i = 0; i < kc->nset; i++) {
		struct kc_setting *s = &kc->set[i];
		const char *v;
		size_t j;

		if (!s->known)
			continue;
		if (snprintf(name, sizeof(name), "KONG_%s", s->key) >= (int)sizeof(name))
			continue;
		for (j = 5; name[j] != '\0'; j++) {
			if (name[j] >= 'a' && name[j] <= 'z')
				name[j] = (char)(name[j] - 'a' + 'A');
		}
		v = kc_envp_get(envp, name);
		if (v != NULL && kc_set_value(s, v, true, CONFIG_KONGCONF_ENV, 0) < 0)
			goto oom;
	}
	rc = 0;
	goto out;
oom:
	core_error_set(err, "reading KONG_* environment: out of memory");
out:
	free(key);
	return rc;
}

/* Builds the object from text (NULL = no file). */
static int kc_build(const char *text, size_t size, const char *name, char *const *envp,
		    struct config_kongconf **out, struct core_error *err)
{
	struct config_kongconf *kc = NULL;
	int rc = -1;

	*out = NULL;
	kc = calloc(1, sizeof(*kc));
	if (kc == NULL) {
		core_error_set(err, "reading kong.conf: out of memory");
		goto out;
	}
	if (name != NULL && text != NULL) {
		kc->path = strdup(name);
		if (kc->path == NULL) {
			core_error_set(err, "reading %s: out of memory", name);
			goto out;
		}
	}
	if (kc_load_defaults(kc, err) < 0)
		goto out;
	if (text != NULL && kc_parse_text(kc, text, size, name != NULL ? name : "<text>", err) < 0)
		goto out;
	if (kc_apply_env(kc, envp, err) < 0)
		goto out;
	*out = kc;
	kc = NULL;
	rc = 0;
out:
	config_kongconf_free(kc);
	return rc;
}

static int kc_read_file(const char *path, char **text, size_t *size, struct core_error *err)
{
	FILE *f = NULL;
	char *buf = NULL;
	size_t len = 0;
	size_t n;
	int rc = -1;

	f = fopen(path, "rb");
	if (f == NULL) {
		core_error_errno(err, errno, "cannot read %s", path);
		goto out;
	}
	buf = malloc(KC_FILE_MAX + 1);
	if (buf == NULL) {
		core_error_set(err, "reading %s: out of memory", path);
		goto out;
	}
	while ((n = fread(buf + len, 1, KC_FILE_MAX + 1 - len, f)) > 0) {
		len += n;
		if (len > KC_FILE_MAX) {
			core_error_set(err, "%s: file larger than %d bytes", path, KC_FILE_MAX);
			goto out;
		}
	}
	if (ferror(f)) {
		core_error_errno(err, errno, "cannot read %s", path);
		goto out;
	}
	buf[len] = '\0';
	*text = buf;
	*size = len;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	if (f != NULL)
		fclose(f);
	return rc;
}

int config_kongconf_load_paths(const char *path, const char *const *candidates, char *const *envp,
			       struct config_kongconf **out, struct core_error *err)
{
	struct stat st;
	char *text = NULL;
	size_t size = 0;
	size_t i;
	int rc = -1;

	*out = NULL;
	if (path != NULL) {
		/* pl_path.exists(): a stat that fails means "no file". */
		if (stat(path, &st) != 0) {
			core_error_set(err, "no file at: %s", path);
			goto out;
		}
	} else {
		for (i = 0; candidates != NULL && candidates[i] != NULL; i++) {
			if (stat(candidates[i], &st) == 0) {
				path = candidates[i];
				break;
			}
		}
	}
	if (path != NULL && kc_read_file(path, &text, &size, err) < 0)
		goto out;
	rc = kc_build(text, size, path, envp, out, err);
out:
	free(text);
	return rc;
}

int config_kongconf_load(const char *path, char *const *envp, struct config_kongconf **out,
			 struct core_error *err)
{
	return config_kongconf_load_paths(path, kc_default_paths, envp, out, err);
}

int config_kongconf_parse(const char *text, const char *name, char *const *envp,
			  struct config_kongconf **out, struct core_error *err)
{
	if (text == NULL)
		text = "";
	return kc_build(text, strlen(text), name, envp, out, err);
}

void config_kongconf_free(struct config_kongconf *kc)
{
	size_t i;

	if (kc == NULL)
		return;
	for (i = 0; i < kc->nset; i++) {
		free(kc->set[i].key);
		free(kc->set[i].value);
	}
	for (i = 0; i < kc->nitems; i++) {
		free((char *)(uintptr_t)kc->items[i].key);
		free((char *)(uintptr_t)kc->items[i].value);
	}
	free(kc->set);
	free(kc->items);
	free(kc->path);
	free(kc);
}

const char *config_kongconf_get(const struct config_kongconf *kc, const char *key)
{
	const struct kc_setting *s;

	if (kc == NULL || key == NULL)
		return NULL;
	s = kc_find(kc, key);
	return s != NULL ? s->value : NULL;
}

bool config_kongconf_get_bool(const struct config_kongconf *kc, const char *key)
{
	const char *v = config_kongconf_get(kc, key);

	return v != NULL && (strcmp(v, "on") == 0 || strcmp(v, "true") == 0);
}

enum config_kongconf_origin config_kongconf_origin(const struct config_kongconf *kc,
						   const char *key, const char **file, int *line)
{
	const struct kc_setting *s = NULL;
	enum config_kongconf_origin origin = CONFIG_KONGCONF_DEFAULT;

	if (kc != NULL && key != NULL)
		s = kc_find(kc, key);
	if (s != NULL)
		origin = s->origin;
	if (file != NULL)
		*file = origin == CONFIG_KONGCONF_FILE ? kc->path : NULL;
	if (line != NULL)
		*line = origin == CONFIG_KONGCONF_FILE ? s->line : 0;
	return origin;
}

const char *config_kongconf_path(const struct config_kongconf *kc)
{
	return kc != NULL ? kc->path : NULL;
}

size_t config_kongconf_item_count(const struct config_kongconf *kc)
{
	return kc != NULL ? kc->nitems : 0;
}

const struct config_kongconf_item *config_kongconf_item_at(const struct config_kongconf *kc,
							   size_t i)
{
	if (kc == NULL || i >= kc->nitems)
		return NULL;
	return &kc->items[i];
}
