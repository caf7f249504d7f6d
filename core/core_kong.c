#include "core/core_kong.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_exec.h"

int core_kong_version(const char *kong, int timeout_ms, struct core_kong_version *v,
		      struct core_error *err)
{
	const char *argv[] = { kong, "version", NULL };
	struct core_exec_result res;
	size_t n;
	int rc = -1;

	memset(v, 0, sizeof(*v));
	if (core_exec_capture(argv, NULL, timeout_ms, 0, &res, err) < 0)
		return -1;
	n = strcspn(res.out, "\n");
	snprintf(v->text, sizeof(v->text), "%.*s", (int)(n < sizeof(v->text) ? n : sizeof(v->text) - 1),
		 res.out);
	if (res.timed_out) {
		core_error_set(err, "'%s version' did not answer within %d s", kong, timeout_ms / 1000);
		goto out;
	}
	if (res.status != 0) {
		core_error_set(err, "'%s version' failed with exit status %d: %.200s", kong, res.status,
			       res.err[0] != '\0' ? res.err : res.out);
		goto out;
	}
	v->edition = core_catalog_parse_kong_version(res.out, v->version, sizeof(v->version));
	if (v->edition == CORE_EDITION_UNKNOWN) {
		core_error_set(err, "'%s version' printed '%s', which is not a Kong version", kong,
			       v->text);
		goto out;
	}
	rc = 0;
out:
	core_exec_result_done(&res);
	return rc;
}

static void list_table_done(struct core_kong_table *t)
{
	size_t i, j;

	for (i = 0; i < t->n; i++) {
		free(t->subs[i].subsystem);
		for (j = 0; j < t->subs[i].n; j++)
			free(t->subs[i].names[j]);
		free(t->subs[i].names);
	}
	free(t->subs);
	t->subs = NULL;
	t->n = 0;
}

void core_kong_list_done(struct core_kong_list *l)
{
	list_table_done(&l->executed);
	list_table_done(&l->pending);
	list_table_done(&l->fresh);
	free(l->message);
	l->message = NULL;
}

/* One table line, "<right-aligned subsystem>: a, b" (Migrations_mt.__tostring). */
static int list_parse_line(const char *line, size_t len, struct core_kong_table *t)
{
	const char *colon = memchr(line, ':', len);
	const char *p = line;
	struct core_kong_migs *m;
	void *grown;

	if (colon == NULL || colon + 1 >= line + len || colon[1] != ' ')
		return -1;
	while (p < colon && *p == ' ')
		p++;
	if (p == colon)
		return -1;
	grown = realloc(t->subs, (t->n + 1) * sizeof(*t->subs));
	if (grown == NULL)
		return -1;
	t->subs = grown;
	m = &t->subs[t->n++];
	memset(m, 0, sizeof(*m));
	m->subsystem = strndup(p, (size_t)(colon - p));
	if (m->subsystem == NULL)
		return -1;
	p = colon + 2;
	while (p < line + len) {
		size_t n = 0;

		while (p + n < line + len && p[n] != ',')
			n++;
		grown = realloc(m->names, (m->n + 1) * sizeof(*m->names));
		if (grown == NULL)
			return -1;
		m->names = grown;
		m->names[m->n] = strndup(p, n);
		if (m->names[m->n] == NULL)
			return -1;
		m->n++;
		p += n;
		if (p < line + len)
			p += p + 1 < line + len && p[1] == ' ' ? 2 : 1;
	}
	return 0;
}

int core_kong_list_parse(const char *out, struct core_kong_list *l)
{
	static const struct {
		const char *heading;
		size_t offset;
	} sections[] = {
		{ "Executed migrations:", offsetof(struct core_kong_list, executed) },
		{ "Pending migrations:", offsetof(struct core_kong_list, pending) },
		{ "New migrations available:", offsetof(struct core_kong_list, fresh) },
	};
	struct core_kong_table *cur = NULL;
	const char *p = out;

	while (*p != '\0') {
		size_t len = strcspn(p, "\n");
		size_t i;
		int heading = 0;

		for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
			if (len == strlen(sections[i].heading) &&
			    strncmp(p, sections[i].heading, len) == 0) {
				cur = (struct core_kong_table *)((char *)l + sections[i].offset);
				heading = 1;
			}
		}
		if (!heading) {
			if (len == 0)
				cur = NULL;
			else if (cur != NULL && list_parse_line(p, len, cur) < 0)
				return -1;
		}
		p += len;
		if (*p == '\n')
			p++;
	}
	return 0;
}

/* The "Error: <msg>" line of a failed Kong command (§1.2). */
static char *list_error_message(const char *err, const char *out)
{
	const char *e = strstr(err, "Error: ");
	const char *src = e != NULL ? e + 7 : err[0] != '\0' ? err : out;

	return strndup(src, strcspn(src, "\n"));
}

int core_kong_list(const char *kong, const char *conf, int db_timeout_s, int timeout_ms,
		   struct core_kong_list *l, struct core_error *err)
{
	const char *argv[8] = { kong, "migrations", "list" };
	struct core_exec_result res;
	char secs[16];
	size_t n = 3;
	int rc = -1;

	if (db_timeout_s > 0) {
		snprintf(secs, sizeof(secs), "%d", db_timeout_s);
		argv[n++] = "--db-timeout";
		argv[n++] = secs;
	}
	if (conf != NULL) {
		argv[n++] = "-c";
		argv[n++] = conf;
	}
	argv[n] = NULL;

	memset(l, 0, sizeof(*l));
	if (core_exec_capture(argv, NULL, timeout_ms, 0, &res, err) < 0)
		return -1;
	if (res.timed_out) {
		core_error_set(err, "'kong migrations list' did not answer within %d s",
			       timeout_ms / 1000);
		goto out;
	}
	l->status = res.status;
	switch (res.status) {
	case CORE_KONG_LIST_UP_TO_DATE:
	case CORE_KONG_LIST_PENDING:
	case CORE_KONG_LIST_NEW:
		if (core_kong_list_parse(res.out, l) < 0) {
			core_error_set(err, "cannot read the output of 'kong migrations list': %.200s",
				       res.out);
			goto out;
		}
		break;
	case CORE_KONG_LIST_ERROR:
	case CORE_KONG_LIST_LEGACY:
	case CORE_KONG_LIST_NEEDS_BOOTSTRAP:
		l->message = list_error_message(res.err, res.out);
		if (l->message == NULL) {
			core_error_set(err, "out of memory");
			goto out;
		}
		break;
	default:
		if (res.status > 128)
			core_error_set(err, "'kong migrations list' was killed by signal %d%s%.200s",
				       res.status - 128, res.err[0] != '\0' ? ": " : "", res.err);
		else
			core_error_set(err, "'kong migrations list' ended with exit status %d, which "
					    "Kong 1.3 does not use%s%.200s",
				       res.status, res.err[0] != '\0' ? ": " : "", res.err);
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		core_kong_list_done(l);
	core_exec_result_done(&res);
	return rc;
}

const struct core_kong_migs *core_kong_table_find(const struct core_kong_table *t,
						  const char *subsystem)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->subs[i].subsystem, subsystem) == 0)
			return &t->subs[i];
	return NULL;
}
