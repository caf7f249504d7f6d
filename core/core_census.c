#include "core/core_census.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>

#include "core/core_pg.h"

#define CENSUS_WIZARD_APP "kong-upgrade-wizard"
#define CENSUS_MAX_ADDRS  16

/* An address in a comparable form: IPv4-mapped IPv6 is folded to IPv4. */
struct census_addr {
	int family;
	unsigned char b[16];
};

struct census_entry {
	enum core_census_class cls;
	struct census_addr addrs[CENSUS_MAX_ADDRS];
	size_t n_addrs;
};

struct core_census_map {
	struct census_entry *entries;
	size_t n_entries;
	char note[2048];
};

/* One pending lookup. Allocated as one block: when a lookup cannot be
 * cancelled in time it is left to the resolver (a deliberate small leak)
 * rather than freed under its feet. */
struct census_lookup {
	struct gaicb cb;
	struct addrinfo hints;
	size_t entry;
	char name[256];
};

static int census_parse_addr(const char *s, struct census_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (s == NULL)
		return -1;
	if (inet_pton(AF_INET, s, a->b) == 1) {
		a->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->b) == 1) {
		static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

		a->family = AF_INET6;
		if (memcmp(a->b, mapped, sizeof(mapped)) == 0) {
			memmove(a->b, a->b + 12, 4);
			memset(a->b + 4, 0, 12);
			a->family = AF_INET;
		}
		return 0;
	}
	return -1;
}

static bool census_addr_loopback(const struct census_addr *a)
{
	static const unsigned char v6lo[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

	if (a->family == AF_INET)
		return a->b[0] == 127;
	return a->family == AF_INET6 && memcmp(a->b, v6lo, 16) == 0;
}

static void census_note(struct core_census_map *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends a line to the map's note (truncated when full). */
static void census_note(struct core_census_map *m, const char *fmt, ...)
{
	size_t len = strlen(m->note);
	va_list ap;

	if (len >= sizeof(m->note) - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(m->note + len, sizeof(m->note) - len, fmt, ap);
	va_end(ap);
}

static void census_entry_add(struct census_entry *e, const struct census_addr *a)
{
	size_t i;

	for (i = 0; i < e->n_addrs; i++) {
		if (e->addrs[i].family == a->family && memcmp(e->addrs[i].b, a->b, 16) == 0)
			return;
	}
	if (e->n_addrs < CENSUS_MAX_ADDRS)
		e->addrs[e->n_addrs++] = *a;
}

static void census_entry_add_ai(struct census_entry *e, const struct addrinfo *ai)
{
	char text[INET6_ADDRSTRLEN];
	struct census_addr a;

	for (; ai != NULL; ai = ai->ai_next) {
		const void *p = NULL;

		if (ai->ai_family == AF_INET)
			p = &((const struct sockaddr_in *)(const void *)ai->ai_addr)->sin_addr;
		else if (ai->ai_family == AF_INET6)
			p = &((const struct sockaddr_in6 *)(const void *)ai->ai_addr)->sin6_addr;
		if (p == NULL || inet_ntop(ai->ai_family, p, text, sizeof(text)) == NULL)
			continue;
		if (census_parse_addr(text, &a) == 0)
			census_entry_add(e, &a);
	}
}

/* The host part of url without IPv6 brackets, or -1. */
static int census_url_host(const char *url, char *host, size_t size)
{
	CURLU *u = curl_url();
	char *h = NULL;
	int rc = -1;
	size_t n;

	if (u == NULL)
		goto out;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK)
		goto out;
	n = strlen(h);
	if (n >= 2 && h[0] == '[' && h[n - 1] == ']')
		snprintf(host, size, "%.*s", (int)(n - 2), h + 1);
	else
		snprintf(host, size, "%s", h);
	rc = 0;
out:
	curl_free(h);
	curl_url_cleanup(u);
	return rc;
}

/* Waits for the lookups until the deadline, then cancels what is left. */
static void census_resolve(struct core_census_map *m, struct census_lookup **lk, size_t n,
			   long timeout_ms)
{
	struct gaicb **list = NULL;
	struct timespec deadline, now, left;
	size_t i, pending;

	list = calloc(n, sizeof(*list));
	if (list == NULL)
		return;
	for (i = 0; i < n; i++)
		list[i] = &lk[i]->cb;
	if (getaddrinfo_a(GAI_NOWAIT, list, (int)n, NULL) != 0) {
		for (i = 0; i < n; i++) {
			census_note(m, "cannot resolve %s\n", lk[i]->name);
			free(lk[i]);
			lk[i] = NULL;
		}
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	for (;;) {
		pending = 0;
		for (i = 0; i < n; i++) {
			list[i] = NULL;
			if (gai_error(&lk[i]->cb) == EAI_INPROGRESS) {
				list[i] = &lk[i]->cb;
				pending++;
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (pending == 0 || now.tv_sec > deadline.tv_sec ||
		    (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec))
			break;
		left.tv_sec = deadline.tv_sec - now.tv_sec;
		left.tv_nsec = deadline.tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0) {
			left.tv_sec--;
			left.tv_nsec += 1000000000L;
		}
		gai_suspend((const struct gaicb *const *)list, (int)n, &left);
	}
	for (i = 0; i < n; i++) {
		int e = gai_error(&lk[i]->cb);

		if (e == EAI_INPROGRESS && gai_cancel(&lk[i]->cb) != EAI_CANCELED) {
			census_note(m, "cannot resolve %s: no answer in time\n", lk[i]->name);
			lk[i] = NULL; /* still owned by the resolver */
			continue;
		}
		if (e == 0) {
			census_entry_add_ai(&m->entries[lk[i]->entry], lk[i]->cb.ar_result);
			freeaddrinfo(lk[i]->cb.ar_result);
		} else {
			census_note(m, "cannot resolve %s: %s\n", lk[i]->name,
				    e == EAI_INPROGRESS || e == EAI_CANCELED ? "no answer in time"
									     : gai_strerror(e));
		}
		free(lk[i]);
		lk[i] = NULL;
	}
out:
	free(list);
}

int core_census_map_new(const char *const *old_urls, size_t n_old, const char *const *new_urls,
			size_t n_new, long timeout_ms, struct core_census_map **out,
			struct core_error *err)
{
	struct core_census_map *m = NULL;
	struct census_lookup **lk = NULL;
	size_t n_lk = 0, i;
	int rc = -1;

	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		goto nomem;
	m->entries = calloc(n_old + n_new + 1, sizeof(*m->entries));
	lk = calloc(n_old + n_new + 1, sizeof(*lk));
	if (m->entries == NULL || lk == NULL)
		goto nomem;
	for (i = 0; i < n_old + n_new; i++) {
		const char *url = i < n_old ? old_urls[i] : new_urls[i - n_old];
		struct census_entry *e = &m->entries[m->n_entries];
		struct census_addr a;
		char host[256];

		if (url == NULL || census_url_host(url, host, sizeof(host)) < 0) {
			census_note(m, "not a URL: %s\n", url != NULL ? url : "(null)");
			continue;
		}
		e->cls = i < n_old ? CORE_CENSUS_OLD : CORE_CENSUS_NEW;
		m->n_entries++;
		if (census_parse_addr(host, &a) == 0) {
			census_entry_add(e, &a);
			continue;
		}
		lk[n_lk] = calloc(1, sizeof(**lk));
		if (lk[n_lk] == NULL)
			goto nomem;
		snprintf(lk[n_lk]->name, sizeof(lk[n_lk]->name), "%s", host);
		lk[n_lk]->hints.ai_socktype = SOCK_STREAM;
		lk[n_lk]->cb.ar_name = lk[n_lk]->name;
		lk[n_lk]->cb.ar_request = &lk[n_lk]->hints;
		lk[n_lk]->entry = m->n_entries - 1;
		n_lk++;
	}
	if (n_lk > 0)
		census_resolve(m, lk, n_lk, timeout_ms > 0 ? timeout_ms : 2000);
	*out = m;
	m = NULL;
	rc = 0;
	goto out;
nomem:
	rc = core_error_set(err, "census: out of memory");
	for (i = 0; i < n_lk; i++)
		free(lk[i]);
out:
	free(lk);
	core_census_map_free(m);
	return rc;
}

void core_census_map_free(struct core_census_map *m)
{
	if (m == NULL)
		return;
	free(m->entries);
	free(m);
}

const char *core_census_map_note(const struct core_census_map *m)
{
	return m != NULL ? m->note : "";
}

enum core_census_class core_census_classify(const struct core_census_map *m, const char *addr,
					    bool *local)
{
	struct census_addr a = {0};
	bool is_local, old = false, nw = false;
	size_t i, j;

	if (addr == NULL || strcmp(addr, "local") == 0)
		is_local = true;
	else if (census_parse_addr(addr, &a) == 0)
		is_local = census_addr_loopback(&a);
	else
		is_local = false;
	if (local != NULL)
		*local = is_local;
	if (m == NULL || (addr != NULL && !is_local && census_parse_addr(addr, &a) < 0))
		return CORE_CENSUS_UNKNOWN;
	for (i = 0; i < m->n_entries; i++) {
		const struct census_entry *e = &m->entries[i];

		for (j = 0; j < e->n_addrs; j++) {
			const struct census_addr *b = &e->addrs[j];
			bool match;

			if (is_local)
				match = census_addr_loopback(b);
			else
				match = b->family == a.family && memcmp(b->b, a.b, 16) == 0;
			if (!match)
				continue;
			if (e->cls == CORE_CENSUS_OLD)
				old = true;
			else
				nw = true;
		}
	}
	if (old && nw)
		return CORE_CENSUS_BOTH;
	return old ? CORE_CENSUS_OLD : nw ? CORE_CENSUS_NEW : CORE_CENSUS_UNKNOWN;
}

/* Hidden rows are other roles' sessions: pg_stat_activity leaves their
 * backend_start and client_addr NULL, and backend_type may be NULL too. */
static const char census_sql[] =
    "SELECT CASE WHEN a.backend_start IS NULL THEN 'hidden'"
    " WHEN a.client_addr IS NULL THEN 'local'"
    " ELSE host(a.client_addr) END,"
    " coalesce(a.client_hostname, ''),"
    " coalesce(a.application_name, ''),"
    " count(*),"
    " coalesce(extract(epoch FROM min(a.backend_start))::bigint, 0)"
    " FROM pg_catalog.pg_stat_activity a"
    " WHERE a.datname = pg_catalog.current_database()"
    " AND a.pid <> pg_catalog.pg_backend_pid()"
    " AND (a.backend_type IS NULL OR a.backend_type = 'client backend')"
    " AND pg_catalog.left(coalesce(a.application_name, ''), $1) <> $2"
    " GROUP BY 1, 2, 3"
    " ORDER BY 4 DESC, 1, 3";

int core_census_take(PGconn *conn, const struct core_census_map *m, struct core_census **out,
		     struct core_error *err)
{
	const char *params[2];
	char len[16];
	struct core_census *c = NULL;
	PGresult *res = NULL;
	int rc = -1, i, n;

	*out = NULL;
	snprintf(len, sizeof(len), "%zu", strlen(CENSUS_WIZARD_APP));
	params[0] = len;
	params[1] = CENSUS_WIZARD_APP;
	res = PQexecParams(conn, census_sql, 2, NULL, params, NULL, NULL, 0);
	if (core_pg_check(conn, res, "census of pg_stat_activity", err) < 0) {
		res = NULL;
		goto out;
	}
	n = PQntuples(res);
	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->hosts = calloc((size_t)n + 1, sizeof(*c->hosts))) == NULL) {
		rc = core_error_set(err, "census: out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct core_census_host *h = &c->hosts[c->n_hosts++];
		const char *addr = PQgetvalue(res, i, 0);

		snprintf(h->addr, sizeof(h->addr), "%s", addr);
		snprintf(h->hostname, sizeof(h->hostname), "%s", PQgetvalue(res, i, 1));
		snprintf(h->application, sizeof(h->application), "%s", PQgetvalue(res, i, 2));
		h->connections = atoi(PQgetvalue(res, i, 3));
		h->oldest_start = atoll(PQgetvalue(res, i, 4));
		h->hidden = strcmp(addr, "hidden") == 0;
		if (h->hidden) {
			c->hidden_connections += h->connections;
			h->cls = CORE_CENSUS_UNKNOWN;
		} else {
			h->cls = core_census_classify(m, strcmp(addr, "local") == 0 ? NULL : addr,
						      &h->local);
		}
	}
	*out = c;
	c = NULL;
	rc = 0;
out:
	PQclear(res);
	core_census_free(c);
	return rc;
}

void core_census_free(struct core_census *c)
{
	if (c == NULL)
		return;
	free(c->hosts);
	free(c);
}

int core_census_count(const struct core_census *c, enum core_census_class cls,
		      const struct core_census_host **top)
{
	int total = 0;
	size_t i;

	if (top != NULL)
		*top = NULL;
	for (i = 0; c != NULL && i < c->n_hosts; i++) {
		if (c->hosts[i].hidden || c->hosts[i].cls != cls)
			continue;
		total += c->hosts[i].connections;
		if (top != NULL && (*top == NULL || c->hosts[i].connections > (*top)->connections))
			*top = &c->hosts[i];
	}
	return total;
}

const char *core_census_class_name(enum core_census_class cls)
{
	switch (cls) {
	case CORE_CENSUS_OLD:
		return "old";
	case CORE_CENSUS_NEW:
		return "new";
	case CORE_CENSUS_BOTH:
		return "old or new";
	case CORE_CENSUS_UNKNOWN:
		break;
	}
	return "unknown";
}
