#include "core/core_fleet.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#define FLEET_MAX_SOCKS CORE_FLEET_MAX_FDS

enum fleet_stage { FLEET_IDLE, FLEET_STATUS, FLEET_ROOT };

struct fleet_buf {
	char *data;
	size_t len;
	size_t max;
	bool too_big;
};

struct fleet_node {
	struct core_fleet_node pub;
	struct core_fleet_node next; /* built during a refresh, published at its end */
	struct core_fleet *fleet;
	char *token;
	size_t token_len;
	struct curl_slist *headers;
	CURL *easy;
	enum fleet_stage stage;
	struct fleet_buf body;
	char errbuf[CURL_ERROR_SIZE];
	long deadline_ms;
	long long prev_total; /* baseline of the rate */
	long prev_ms;
	bool have_prev;
	long long own; /* our requests answered since the last /status */
	long root_ms;  /* when `GET /` last answered; 0 = never, or since a failure */
};

/* The version and node id of `GET /` change only when a node restarts, which
 * a failed /status shows: ask for them again after a failure and otherwise
 * only this often, so that a refresh of a large fleet costs one request a node. */
#define FLEET_ROOT_EVERY_MS 30000

struct fleet_sock {
	curl_socket_t fd;
	short events;
};

struct core_fleet {
	struct core_fleet_options opt;
	CURLM *multi;
	struct fleet_node **nodes;
	size_t n_nodes;
	struct fleet_sock socks[FLEET_MAX_SOCKS];
	size_t n_socks;
	long timer_ms; /* monotonic deadline of curl's timer, -1 = none */
	size_t active;
	bool busy;
	bool global;
};

static long fleet_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int core_fleet_parse_version(const char *s, struct core_fleet_version *v)
{
	long part[3] = {0, 0, 0};
	const char *p = s;
	char *end = NULL;
	int i;

	memset(v, 0, sizeof(*v));
	if (s == NULL)
		return -1;
	while (*p == ' ' || *p == 'v' || *p == 'V')
		p++;
	for (i = 0; i < 3; i++) {
		if (!isdigit((unsigned char)*p))
			break;
		part[i] = strtol(p, &end, 10);
		if (part[i] > 100000)
			return -1;
		p = end;
		/* "0.36-2": the package revision follows a dash. */
		if (*p != '.' && !(i == 1 && *p == '-' && isdigit((unsigned char)p[1]))) {
			i++;
			break;
		}
		p++;
	}
	if (i < 2)
		return -1;
	v->major = (int)part[0];
	v->minor = (int)part[1];
	v->patch = (int)part[2];
	v->enterprise = strstr(s, "enterprise") != NULL;
	return 0;
}

enum core_fleet_gen core_fleet_version_gen(const struct core_fleet_version *v)
{
	if (v == NULL || (v->major == 0 && v->minor == 0))
		return CORE_FLEET_GEN_UNKNOWN;
	if (v->major > 1 || (v->major == 1 && v->minor >= 3))
		return CORE_FLEET_GEN_NEW;
	return CORE_FLEET_GEN_OLD;
}

void core_fleet_rate_update(double *rate, bool *known, long long prev_total, long prev_ms,
			    long long total, long t_ms, long long own, long tau_ms)
{
	double dt = (double)(t_ms - prev_ms);
	double delta, inst, alpha;

	if (dt <= 0 || total < prev_total)
		return;
	delta = (double)(total - prev_total - own);
	if (delta < 0)
		delta = 0;
	inst = delta * 1000.0 / dt;
	if (!*known) {
		*rate = inst;
		*known = true;
		return;
	}
	/* Time-weighted: a long gap between answers weighs more. */
	alpha = dt / ((double)(tau_ms > 0 ? tau_ms : 5000) + dt);
	*rate += alpha * (inst - *rate);
}

/* Copies a string from a response, printable ASCII only (it goes on screen). */
static void fleet_copy_text(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; src[i] != '\0' && i + 1 < size; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[i] = '\0';
}

static size_t fleet_write(char *ptr, size_t size, size_t nmemb, void *userp)
{
	struct fleet_buf *b = userp;
	size_t n = size * nmemb;
	char *p;

	if (b->len + n > b->max) {
		b->too_big = true;
		return 0;
	}
	p = realloc(b->data, b->len + n + 1);
	if (p == NULL)
		return 0;
	b->data = p;
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

static int fleet_sock_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct core_fleet *f = userp;
	size_t i;

	(void)easy;
	(void)socketp;
	for (i = 0; i < f->n_socks && f->socks[i].fd != s; i++)
		;
	if (what == CURL_POLL_REMOVE) {
		if (i < f->n_socks)
			f->socks[i] = f->socks[--f->n_socks];
		return 0;
	}
	if (i == f->n_socks) {
		if (f->n_socks == FLEET_MAX_SOCKS)
			return -1;
		f->n_socks++;
	}
	f->socks[i].fd = s;
	f->socks[i].events =
	    (short)(((what & CURL_POLL_IN) ? POLLIN : 0) | ((what & CURL_POLL_OUT) ? POLLOUT : 0));
	return 0;
}

static int fleet_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct core_fleet *f = userp;

	(void)multi;
	f->timer_ms = timeout_ms < 0 ? -1 : fleet_now() + timeout_ms;
	return 0;
}

int core_fleet_new(const struct core_fleet_options *opt, struct core_fleet **out,
		   struct core_error *err)
{
	struct core_fleet *f = NULL;
	int rc = -1;

	*out = NULL;
	f = calloc(1, sizeof(*f));
	if (f == NULL) {
		rc = core_error_set(err, "Admin API poller: out of memory");
		goto out;
	}
	if (opt != NULL)
		f->opt = *opt;
	if (f->opt.timeout_ms <= 0)
		f->opt.timeout_ms = 3000;
	if (f->opt.tau_ms <= 0)
		f->opt.tau_ms = 5000;
	if (f->opt.max_body == 0)
		f->opt.max_body = 1024 * 1024;
	f->timer_ms = -1;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		rc = core_error_set(err, "Admin API poller: libcurl initialisation failed");
		goto out;
	}
	f->global = true;
	f->multi = curl_multi_init();
	if (f->multi == NULL) {
		rc = core_error_set(err, "Admin API poller: libcurl multi handle failed");
		goto out;
	}
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, fleet_sock_cb);
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, fleet_timer_cb);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f);
	*out = f;
	f = NULL;
	rc = 0;
out:
	core_fleet_free(f);
	return rc;
}

static void fleet_node_free(struct core_fleet *f, struct fleet_node *n)
{
	if (n == NULL)
		return;
	if (n->easy != NULL) {
		if (n->stage != FLEET_IDLE)
			curl_multi_remove_handle(f->multi, n->easy);
		curl_easy_cleanup(n->easy);
	}
	if (n->headers != NULL) {
		struct curl_slist *h;

		for (h = n->headers; h != NULL; h = h->next)
			explicit_bzero(h->data, strlen(h->data));
		curl_slist_free_all(n->headers);
	}
	if (n->token != NULL) {
		explicit_bzero(n->token, n->token_len);
		free(n->token);
	}
	free(n->body.data);
	free(n);
}

void core_fleet_free(struct core_fleet *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n_nodes; i++)
		fleet_node_free(f, f->nodes[i]);
	free(f->nodes);
	if (f->multi != NULL)
		curl_multi_cleanup(f->multi);
	if (f->global)
		curl_global_cleanup();
	free(f);
}

int core_fleet_add(struct core_fleet *f, enum core_fleet_cluster cluster, const char *url,
		   const char *token, struct core_error *err)
{
	struct fleet_node *n = NULL;
	struct fleet_node **grown;
	struct curl_slist *h;
	char *line = NULL;
	size_t len;
	int rc = -1;

	if (url == NULL || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) ||
	    strlen(url) >= sizeof(n->pub.url)) {
		rc = core_error_set(err, "Admin API URL '%.200s': not an http:// or https:// URL",
				    url != NULL ? url : "(null)");
		goto out;
	}
	if (token != NULL && strpbrk(token, "\r\n") != NULL) {
		rc = core_error_set(err, "Admin API %s: the RBAC token contains a line break", url);
		goto out;
	}
	n = calloc(1, sizeof(*n));
	if (n == NULL)
		goto nomem;
	grown = realloc(f->nodes, (f->n_nodes + 1) * sizeof(*f->nodes));
	if (grown == NULL)
		goto nomem;
	f->nodes = grown;
	n->fleet = f;
	snprintf(n->pub.url, sizeof(n->pub.url), "%s", url);
	len = strlen(n->pub.url);
	while (len > 0 && n->pub.url[len - 1] == '/')
		n->pub.url[--len] = '\0';
	n->pub.cluster = cluster;
	n->next = n->pub;
	n->body.max = f->opt.max_body;
	h = curl_slist_append(NULL, "Accept: application/json");
	if (h == NULL)
		goto nomem;
	n->headers = h;
	if (token != NULL && token[0] != '\0') {
		n->token_len = strlen(token);
		n->token = strdup(token);
		line = malloc(n->token_len + sizeof("Kong-Admin-Token: "));
		if (n->token == NULL || line == NULL)
			goto nomem;
		snprintf(line, n->token_len + sizeof("Kong-Admin-Token: "), "Kong-Admin-Token: %s",
			 token);
		h = curl_slist_append(n->headers, line);
		if (h == NULL)
			goto nomem;
		n->headers = h;
	}
	n->easy = curl_easy_init();
	if (n->easy == NULL)
		goto nomem;
	f->nodes[f->n_nodes++] = n;
	n = NULL;
	rc = 0;
	goto out;
nomem:
	rc = core_error_set(err, "Admin API poller: out of memory");
out:
	if (line != NULL) {
		explicit_bzero(line, strlen(line));
		free(line);
	}
	fleet_node_free(f, n);
	return rc;
}

size_t core_fleet_count(const struct core_fleet *f)
{
	return f != NULL ? f->n_nodes : 0;
}

const struct core_fleet_node *core_fleet_node(const struct core_fleet *f, size_t i)
{
	return f != NULL && i < f->n_nodes ? &f->nodes[i]->pub : NULL;
}

bool core_fleet_busy(const struct core_fleet *f)
{
	return f != NULL && f->busy;
}

static void fleet_fail(struct fleet_node *n, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records why the node failed in this refresh: "GET <what>: <reason>". */
static void fleet_fail(struct fleet_node *n, const char *what, const char *fmt, ...)
{
	int len = snprintf(n->next.error, sizeof(n->next.error), "GET %s: ", what);
	va_list ap;

	if (len > 0 && (size_t)len < sizeof(n->next.error)) {
		va_start(ap, fmt);
		vsnprintf(n->next.error + len, sizeof(n->next.error) - (size_t)len, fmt, ap);
		va_end(ap);
	}
	n->next.reachable = false;
}

/* Starts one request of the node; 0, or -1 after recording the error. */
static int fleet_request(struct core_fleet *f, struct fleet_node *n, enum fleet_stage stage)
{
	const char *path = stage == FLEET_STATUS ? "/status" : "/";
	char url[600];
	long left = n->deadline_ms - fleet_now();
	CURL *e = n->easy;

	if (left <= 0) {
		fleet_fail(n, path, "%s", "no answer within the timeout");
		return -1;
	}
	snprintf(url, sizeof(url), "%s%s", n->pub.url, path);
	curl_easy_reset(e);
	free(n->body.data);
	n->body.data = NULL;
	n->body.len = 0;
	n->body.too_big = false;
	n->errbuf[0] = '\0';
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, left);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, left);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, n->headers);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, fleet_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &n->body);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, n->errbuf);
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)n->body.max);
	curl_easy_setopt(e, CURLOPT_PRIVATE, n);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, f->opt.insecure ? 0L : 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, f->opt.insecure ? 0L : 2L);
	if (f->opt.ca_file != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, f->opt.ca_file);
	if (curl_multi_add_handle(f->multi, e) != CURLM_OK) {
		fleet_fail(n, path, "%s", "libcurl refused the request");
		return -1;
	}
	n->stage = stage;
	f->active++;
	return 0;
}

int core_fleet_start_poll(struct core_fleet *f, struct core_error *err)
{
	size_t i;

	(void)err;
	if (f->busy)
		return 1;
	f->busy = true;
	for (i = 0; i < f->n_nodes; i++) {
		struct fleet_node *n = f->nodes[i];

		n->next = n->pub;
		n->next.error[0] = '\0';
		n->next.reachable = true;
		n->deadline_ms = fleet_now() + f->opt.timeout_ms;
		if (fleet_request(f, n, FLEET_STATUS) < 0) {
			n->next.polled = true;
			n->pub = n->next;
		}
	}
	return 0;
}

/* The body as a JSON object, or NULL after recording the error. */
static json_t *fleet_json(struct fleet_node *n, const char *path)
{
	json_error_t jerr;
	json_t *j;

	if (n->body.data == NULL) {
		fleet_fail(n, path, "%s", "empty response");
		return NULL;
	}
	j = json_loadb(n->body.data, n->body.len, 0, &jerr);
	if (j == NULL) {
		fleet_fail(n, path, "%s", "response is not JSON");
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		fleet_fail(n, path, "%s", "response is not a JSON object");
		return NULL;
	}
	return j;
}

static int fleet_get_count(struct fleet_node *n, json_t *obj, const char *key, long long *out)
{
	json_t *v = json_object_get(obj, key);
	double d;

	if (!json_is_number(v)) {
		fleet_fail(n, "/status", "server.%s is not a number", key);
		return -1;
	}
	d = json_number_value(v);
	if (!(d >= 0 && d < 9e18)) {
		fleet_fail(n, "/status", "server.%s is out of range", key);
		return -1;
	}
	*out = json_is_integer(v) ? (long long)json_integer_value(v) : (long long)d;
	return 0;
}

static int fleet_parse_status(struct fleet_node *n)
{
	json_t *j = fleet_json(n, "/status");
	json_t *server, *db, *reach;
	int rc = -1;

	if (j == NULL)
		return -1;
	server = json_object_get(j, "server");
	db = json_object_get(j, "database");
	reach = json_object_get(db, "reachable");
	if (!json_is_object(server)) {
		fleet_fail(n, "/status", "%s", "no \"server\" object");
		goto out;
	}
	if (!json_is_boolean(reach)) {
		fleet_fail(n, "/status", "%s", "database.reachable is not true or false");
		goto out;
	}
	if (fleet_get_count(n, server, "total_requests", &n->next.total_requests) < 0 ||
	    fleet_get_count(n, server, "connections_active", &n->next.connections_active) < 0)
		goto out;
	n->next.db_reachable = json_is_true(reach);
	rc = 0;
out:
	json_decref(j);
	return rc;
}

static int fleet_parse_root(struct fleet_node *n)
{
	json_t *j = fleet_json(n, "/");
	json_t *tag, *ver, *host, *id;
	int rc = -1;

	if (j == NULL)
		return -1;
	tag = json_object_get(j, "tagline");
	ver = json_object_get(j, "version");
	host = json_object_get(j, "hostname");
	id = json_object_get(j, "node_id");
	if (!json_is_string(tag) || strcasecmp(json_string_value(tag), "Welcome to kong") != 0) {
		fleet_fail(n, "/", "%s", "not a Kong Admin API (no \"Welcome to kong\" tagline)");
		goto out;
	}
	if (!json_is_string(ver)) {
		fleet_fail(n, "/", "%s", "\"version\" is not a string");
		goto out;
	}
	if ((host != NULL && !json_is_string(host)) || (id != NULL && !json_is_string(id))) {
		fleet_fail(n, "/", "%s", "\"hostname\" or \"node_id\" is not a string");
		goto out;
	}
	fleet_copy_text(n->next.version, sizeof(n->next.version), json_string_value(ver));
	fleet_copy_text(n->next.hostname, sizeof(n->next.hostname),
			host != NULL ? json_string_value(host) : "");
	fleet_copy_text(n->next.node_id, sizeof(n->next.node_id),
			id != NULL ? json_string_value(id) : "");
	if (core_fleet_parse_version(n->next.version, &n->next.ver) < 0) {
		fleet_fail(n, "/", "version '%s' is not a Kong version", n->next.version);
		goto out;
	}
	n->next.gen = core_fleet_version_gen(&n->next.ver);
	rc = 0;
out:
	json_decref(j);
	return rc;
}

/* The message of a Kong error body, if it has one, for the node's error. */
static void fleet_http_error(struct fleet_node *n, const char *path, long code)
{
	char what[200];
	json_t *j = NULL;
	json_t *msg;

	snprintf(what, sizeof(what), "HTTP %ld", code);
	if (n->body.data != NULL)
		j = json_loadb(n->body.data, n->body.len, 0, NULL);
	msg = json_object_get(j, "message");
	if (json_is_string(msg)) {
		size_t len = strlen(what);

		snprintf(what + len, sizeof(what) - len, " (");
		len = strlen(what);
		fleet_copy_text(what + len,
				sizeof(what) - len - 1 > 100 ? 100 : sizeof(what) - len - 1,
				json_string_value(msg));
		len = strlen(what);
		snprintf(what + len, sizeof(what) - len, ")");
	}
	json_decref(j);
	fleet_fail(n, path, "%s", what);
}

int core_fleet_parse_response(struct core_fleet_node *node, enum core_fleet_request req, long code,
			      const char *body, size_t len)
{
	const char *path = req == CORE_FLEET_REQ_STATUS ? "/status" : "/";
	struct fleet_node n;
	int rc = -1;

	memset(&n, 0, sizeof(n));
	n.next = *node;
	n.next.error[0] = '\0';
	n.next.reachable = true;
	/* An exact copy without a terminator, as libcurl's buffer would be
	 * without the one fleet_write adds: a parser reading past len shows. */
	if (len > 0) {
		n.body.data = malloc(len);
		if (n.body.data == NULL) {
			fleet_fail(&n, path, "%s", "out of memory");
			goto out;
		}
		memcpy(n.body.data, body, len);
		n.body.len = len;
	}
	if (code != 200)
		fleet_http_error(&n, path, code);
	else if (req == CORE_FLEET_REQ_STATUS)
		rc = fleet_parse_status(&n);
	else
		rc = fleet_parse_root(&n);
out:
	free(n.body.data);
	*node = n.next;
	return rc;
}

/* A request of n finished with result: parse, then go on or finish. */
static void fleet_done(struct core_fleet *f, struct fleet_node *n, CURLcode result)
{
	enum fleet_stage stage = n->stage;
	const char *path = stage == FLEET_STATUS ? "/status" : "/";
	long code = 0;
	long now = fleet_now();
	int ok = -1;

	curl_multi_remove_handle(f->multi, n->easy);
	n->stage = FLEET_IDLE;
	f->active--;
	curl_easy_getinfo(n->easy, CURLINFO_RESPONSE_CODE, &code);
	if (code > 0)
		n->own++;
	if (result != CURLE_OK) {
		if (n->body.too_big)
			fleet_fail(n, path, "response larger than %zu bytes", n->body.max);
		else if (result == CURLE_OPERATION_TIMEDOUT)
			fleet_fail(n, path, "%s", "no answer within the timeout");
		else
			fleet_fail(n, path, "%s",
				   n->errbuf[0] != '\0' ? n->errbuf : curl_easy_strerror(result));
	} else if (code != 200) {
		fleet_http_error(n, path, code);
	} else if (stage == FLEET_STATUS) {
		ok = fleet_parse_status(n);
	} else {
		ok = fleet_parse_root(n);
	}
	if (ok == 0 && stage == FLEET_STATUS) {
		if (n->have_prev && n->next.total_requests >= n->prev_total) {
			core_fleet_rate_update(&n->next.rate, &n->next.rate_known, n->prev_total,
					       n->prev_ms, n->next.total_requests, now, n->own,
					       f->opt.tau_ms);
		}
		n->prev_total = n->next.total_requests;
		n->prev_ms = now;
		n->have_prev = true;
		n->own = 0;
		if ((n->root_ms == 0 || now - n->root_ms >= FLEET_ROOT_EVERY_MS) &&
		    fleet_request(f, n, FLEET_ROOT) == 0)
			return;
	} else if (ok == 0) {
		n->root_ms = now;
	} else if (ok < 0 && stage == FLEET_STATUS) {
		/* Without a fresh total the rate has no baseline any more. */
		n->root_ms = 0;
		n->have_prev = false;
		n->next.rate_known = false;
		n->next.rate = 0;
	}
	n->next.polled = true;
	n->pub = n->next;
}

/* Drives curl once for what is ready now; never blocks. */
static void fleet_drive(struct core_fleet *f)
{
	struct pollfd pfd[FLEET_MAX_SOCKS];
	size_t n = f->n_socks, i;
	int running = 0;
	CURLMsg *msg;
	int left = 0;

	for (i = 0; i < n; i++) {
		pfd[i].fd = f->socks[i].fd;
		pfd[i].events = f->socks[i].events;
		pfd[i].revents = 0;
	}
	if (n > 0 && poll(pfd, n, 0) > 0) {
		for (i = 0; i < n; i++) {
			int ev = 0;

			if (pfd[i].revents & (POLLIN | POLLHUP))
				ev |= CURL_CSELECT_IN;
			if (pfd[i].revents & POLLOUT)
				ev |= CURL_CSELECT_OUT;
			if (pfd[i].revents & (POLLERR | POLLNVAL))
				ev |= CURL_CSELECT_ERR;
			if (ev != 0)
				curl_multi_socket_action(f->multi, pfd[i].fd, ev, &running);
		}
	}
	if (f->timer_ms >= 0 && fleet_now() >= f->timer_ms) {
		f->timer_ms = -1;
		curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	}
	while ((msg = curl_multi_info_read(f->multi, &left)) != NULL) {
		char *priv = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		if (priv != NULL)
			fleet_done(f, (struct fleet_node *)(void *)priv, msg->data.result);
	}
}

int core_fleet_step(struct core_fleet *f, struct core_error *err)
{
	int round;

	(void)err;
	if (!f->busy)
		return 0;
	/* New requests set a zero timer; a few rounds serve them now. */
	for (round = 0; round < 4 && f->active > 0; round++) {
		fleet_drive(f);
		if (f->timer_ms < 0 || f->timer_ms > fleet_now())
			break;
	}
	if (f->active > 0)
		return 0;
	f->busy = false;
	return 1;
}

void core_fleet_fds(const struct core_fleet *f, struct pollfd *fds, size_t max, size_t *n)
{
	size_t i;

	*n = 0;
	for (i = 0; f != NULL && i < f->n_socks && i < max; i++) {
		fds[i].fd = f->socks[i].fd;
		fds[i].events = f->socks[i].events;
		fds[i].revents = 0;
		(*n)++;
	}
}

long core_fleet_timeout(const struct core_fleet *f)
{
	long left;

	if (f == NULL || !f->busy)
		return -1;
	if (f->timer_ms < 0)
		return 1000;
	left = f->timer_ms - fleet_now();
	return left < 0 ? 0 : left;
}

int core_fleet_poll_wait(struct core_fleet *f, struct core_error *err)
{
	struct pollfd fds[FLEET_MAX_SOCKS];
	long limit = fleet_now() + 2 * f->opt.timeout_ms + 1000;
	size_t n;

	while (f->busy) {
		long t = core_fleet_timeout(f);

		if (fleet_now() > limit)
			return core_error_set(err, "Admin API poll did not finish in time");
		core_fleet_fds(f, fds, FLEET_MAX_SOCKS, &n);
		if (n > 0 || t > 0)
			poll(fds, n, (int)(t < 0 || t > 1000 ? 1000 : t));
		if (core_fleet_step(f, err) < 0)
			return -1;
	}
	return 0;
}

double core_fleet_cluster_rate(const struct core_fleet *f, enum core_fleet_cluster cluster)
{
	double sum = 0;
	size_t i;

	for (i = 0; f != NULL && i < f->n_nodes; i++) {
		const struct core_fleet_node *n = &f->nodes[i]->pub;

		if (n->cluster == cluster && n->reachable && n->rate_known)
			sum += n->rate;
	}
	return sum;
}
