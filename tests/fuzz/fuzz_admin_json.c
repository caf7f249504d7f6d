/* fuzz_admin_json — core_fleet_parse_response on arbitrary Admin API
 * response bodies (reference kong-migrations.md §7): the input parsed as a
 * `GET /status` answer and as a `GET /` answer with HTTP 200, and as a
 * Kong error body with a non-200 status (which one depends on the input's
 * length). Oracles: a good answer has counters in range, printable text and
 * a generation that agrees with its version; a refused one says why in
 * printable text; nothing is ever reported reachable with an error; the
 * rate estimate fed with a parsed total stays finite and not negative. */
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "core/core_fleet.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a previous poll left behind, so that stale values would show. */
static void fuzz_node_init(struct core_fleet_node *n)
{
	memset(n, 0, sizeof(*n));
	snprintf(n->url, sizeof(n->url), "%s", "http://127.0.0.1:8001");
	n->polled = true;
	n->reachable = true;
	n->total_requests = 42;
}

/* s is NUL-terminated within size and holds printable ASCII only (it goes
 * on screen and into the journal). */
static void fuzz_printable(const char *what, const char *s, size_t size)
{
	size_t i;

	for (i = 0; i < size && s[i] != '\0'; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			fuzz_fail("%s: byte 0x%02x at %zu is not printable", what,
				  (unsigned char)s[i], i);
	if (i == size)
		fuzz_fail("%s is not NUL-terminated within %zu bytes", what, size);
}

static void fuzz_outcome(const char *what, int rc, const struct core_fleet_node *n)
{
	fuzz_printable("error", n->error, sizeof(n->error));
	if (rc == 0 && (!n->reachable || n->error[0] != '\0'))
		fuzz_fail("%s: accepted but reachable=%d, error '%s'", what, n->reachable,
			  n->error);
	if (rc < 0 && (n->reachable || n->error[0] == '\0'))
		fuzz_fail("%s: refused but reachable=%d, error '%s'", what, n->reachable, n->error);
	if (rc < 0 && strncmp(n->error, "GET /", 5) != 0)
		fuzz_fail("%s: the error does not name the request: '%s'", what, n->error);
}

static void fuzz_status(const uint8_t *data, size_t size)
{
	struct core_fleet_node n;
	double rate = 0;
	bool known = false;
	int rc;

	fuzz_node_init(&n);
	rc = core_fleet_parse_response(&n, CORE_FLEET_REQ_STATUS, 200, (const char *)data, size);
	fuzz_outcome("GET /status", rc, &n);
	if (rc < 0)
		return;
	if (n.total_requests < 0 || n.connections_active < 0)
		fuzz_fail("negative counters accepted: %lld, %lld", n.total_requests,
			  n.connections_active);
	/* The poller's next step with this total: from nothing, and from a
	 * larger total (a restart, which keeps the rate). */
	core_fleet_rate_update(&rate, &known, 0, 0, n.total_requests, 1000, 3, 5000);
	core_fleet_rate_update(&rate, &known, n.total_requests, 1000, n.total_requests / 2, 2000, 0,
			       5000);
	if (!known || !isfinite(rate) || rate < 0)
		fuzz_fail("rate %g (known %d) from total %lld", rate, known, n.total_requests);
}

static void fuzz_root(const uint8_t *data, size_t size)
{
	struct core_fleet_node n;
	struct core_fleet_version v;
	int rc;

	fuzz_node_init(&n);
	rc = core_fleet_parse_response(&n, CORE_FLEET_REQ_ROOT, 200, (const char *)data, size);
	fuzz_outcome("GET /", rc, &n);
	if (rc < 0)
		return;
	fuzz_printable("version", n.version, sizeof(n.version));
	fuzz_printable("hostname", n.hostname, sizeof(n.hostname));
	fuzz_printable("node_id", n.node_id, sizeof(n.node_id));
	if (core_fleet_parse_version(n.version, &v) < 0)
		fuzz_fail("accepted version '%s' does not parse again", n.version);
	if (memcmp(&v, &n.ver, sizeof(v)) != 0 || core_fleet_version_gen(&v) != n.gen)
		fuzz_fail("version '%s' parsed differently the second time", n.version);
	if (v.major < 0 || v.minor < 0 || v.patch < 0)
		fuzz_fail("version '%s' has a negative part", n.version);
}

static void fuzz_error(const uint8_t *data, size_t size)
{
	static const long codes[] = {400, 401, 404, 500};
	struct core_fleet_node n;
	int rc;

	fuzz_node_init(&n);
	rc = core_fleet_parse_response(&n, size % 2 ? CORE_FLEET_REQ_ROOT : CORE_FLEET_REQ_STATUS,
				       codes[size % 4], (const char *)data, size);
	if (rc == 0)
		fuzz_fail("HTTP %ld accepted as a good answer", codes[size % 4]);
	fuzz_outcome("HTTP error", rc, &n);
	if (strstr(n.error, "HTTP ") == NULL)
		fuzz_fail("the error does not give the HTTP status: '%s'", n.error);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_status(data, size);
	fuzz_root(data, size);
	fuzz_error(data, size);
	return 0;
}
