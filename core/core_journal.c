#include "core/core_journal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define JOURNAL_HASH_HEX  64
#define JOURNAL_ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"
#define JOURNAL_EVENT_MAX 32

struct core_journal {
	int fd;
	bool readonly;
	bool intact;
	bool broken; /* a failed append could not be cut off again: refuse more */
	char *path;
	char *user;
	char *tty;
	char *ssh_client;
	long long (*clock_ms)(void);
	json_t **events;
	size_t n_events;
	size_t cap_events;
	char **warnings;
	size_t n_warnings;
	size_t cap_warnings;
	long long last_seq;                   /* of the last well-formed event, 0 for none */
	char last_hash[JOURNAL_HASH_HEX + 1]; /* of the last complete line */
	off_t end;                            /* just past the last complete line */
	size_t torn;                          /* bytes of an incomplete last line */
};

static const char *const journal_secret_keys[] = {
    "password", "passwd",      "passphrase",    "secret",
    "token",    "private_key", "authorization", "session_conf",
};

static void journal_warn(struct core_journal *j, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A warning lost to memory exhaustion is dropped; intact is kept apart. */
static void journal_warn(struct core_journal *j, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (j->n_warnings == j->cap_warnings) {
		size_t cap = j->cap_warnings == 0 ? 8 : j->cap_warnings * 2;
		char **p = realloc(j->warnings, cap * sizeof(*p));

		if (p == NULL) {
			free(msg);
			return;
		}
		j->warnings = p;
		j->cap_warnings = cap;
	}
	j->warnings[j->n_warnings++] = msg;
}

/* Takes ownership of ev, also on failure. */
static int journal_push_event(struct core_journal *j, json_t *ev)
{
	if (j->n_events == j->cap_events) {
		size_t cap = j->cap_events == 0 ? 64 : j->cap_events * 2;
		json_t **p = realloc(j->events, cap * sizeof(*p));

		if (p == NULL) {
			json_decref(ev);
			return -1;
		}
		j->events = p;
		j->cap_events = cap;
	}
	j->events[j->n_events++] = ev;
	return 0;
}

static int journal_sha256_hex(const void *data, size_t len, char out[JOURNAL_HASH_HEX + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	unsigned int i;

	if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1 || n * 2 != JOURNAL_HASH_HEX)
		return -1;
	for (i = 0; i < n; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[JOURNAL_HASH_HEX] = '\0';
	return 0;
}

static long long journal_real_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ISO 8601 UTC with seconds: "2024-05-01T12:34:56Z". */
static void journal_format_time(long long ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "1970-01-01T00:00:00Z");
}

/* The environment may hold bytes that are not UTF-8, which JSON cannot
 * carry: those become '?'. NULL becomes "". */
static json_t *journal_string(const char *s)
{
	json_t *v = NULL;
	char *copy = NULL;
	size_t i;

	if (s == NULL)
		return json_string("");
	v = json_string(s);
	if (v != NULL)
		return v;
	copy = strdup(s);
	if (copy == NULL)
		return NULL;
	for (i = 0; copy[i] != '\0'; i++)
		if ((unsigned char)copy[i] >= 0x80)
			copy[i] = '?';
	v = json_string(copy);
	free(copy);
	return v;
}

static bool journal_is_hex_hash(const char *s)
{
	size_t i;

	for (i = 0; i < JOURNAL_HASH_HEX; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[JOURNAL_HASH_HEX] == '\0';
}

static bool journal_is_event_name(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return i > 0 && i <= JOURNAL_EVENT_MAX;
}

/* NULL when ev has exactly the keys of a journal event, else what is wrong. */
static const char *journal_event_problem(const json_t *ev)
{
	static const char *const op_keys[] = {"user", "tty", "ssh_client"};
	const json_t *op = json_object_get(ev, "operator");
	const json_t *seq = json_object_get(ev, "seq");
	const json_t *prev = json_object_get(ev, "prev");
	const json_t *event = json_object_get(ev, "event");
	size_t i;

	if (!json_is_object(ev))
		return "not a JSON object";
	if (!json_is_integer(seq) || json_integer_value(seq) < 1)
		return "no positive integer \"seq\"";
	if (!json_is_string(json_object_get(ev, "time")))
		return "no string \"time\"";
	if (!json_is_object(op) || json_object_size(op) != 3)
		return "no \"operator\" object with user, tty and ssh_client";
	for (i = 0; i < sizeof(op_keys) / sizeof(op_keys[0]); i++)
		if (!json_is_string(json_object_get(op, op_keys[i])))
			return "no \"operator\" object with user, tty and ssh_client";
	if (!json_is_string(event) || !journal_is_event_name(json_string_value(event)))
		return "no valid \"event\" name";
	if (!json_is_object(json_object_get(ev, "details")))
		return "no \"details\" object";
	if (!json_is_string(prev) || !journal_is_hex_hash(json_string_value(prev)))
		return "no 64-digit hex \"prev\"";
	if (json_object_size(ev) != 6)
		return "keys other than seq, time, operator, event, details and prev";
	return NULL;
}

/* Checks one complete line (without its newline) against the chain so far;
 * prev_hash is the hash of the line before it (zeros for line 1). */
static int journal_check_line(struct core_journal *j, size_t lineno, const char *line, size_t len,
			      const char *prev_hash)
{
	json_error_t jerr;
	json_t *ev = NULL;
	const char *problem;
	long long seq;
	bool gap = false;

	ev = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	problem = ev == NULL ? jerr.text : journal_event_problem(ev);
	if (problem != NULL) {
		j->intact = false;
		journal_warn(j,
			     "%s line %zu is not a journal event (%s): the line was edited or "
			     "inserted; it is ignored",
			     j->path, lineno, problem);
		json_decref(ev);
		return 0;
	}
	seq = (long long)json_integer_value(json_object_get(ev, "seq"));
	/* seq - 1, not last_seq + 1: an edited seq may be LLONG_MAX. */
	if (seq - 1 != j->last_seq) {
		j->intact = false;
		gap = true;
		if (seq - 1 > j->last_seq)
			journal_warn(j,
				     "%s line %zu: seq %lld follows seq %lld: %lld event(s) are "
				     "missing, lines were removed",
				     j->path, lineno, seq, j->last_seq, seq - j->last_seq - 1);
		else
			journal_warn(j,
				     "%s line %zu: seq %lld does not follow seq %lld: lines were "
				     "copied or reordered",
				     j->path, lineno, seq, j->last_seq);
	}
	if (strcmp(json_string_value(json_object_get(ev, "prev")), prev_hash) != 0) {
		j->intact = false;
		if (lineno == 1)
			journal_warn(j,
				     "%s line 1 does not start the hash chain: the beginning of "
				     "the journal was removed",
				     j->path);
		else if (!gap)
			journal_warn(j,
				     "%s line %zu does not carry the hash of line %zu: line %zu "
				     "was edited, or lines were removed before line %zu",
				     j->path, lineno, lineno - 1, lineno - 1, lineno);
	}
	j->last_seq = seq;
	return journal_push_event(j, ev);
}

static int journal_replay(struct core_journal *j, const char *buf, size_t len,
			  struct core_error *err)
{
	char hash[JOURNAL_HASH_HEX + 1] = JOURNAL_ZERO_HASH;
	size_t off = 0;
	size_t lineno = 0;

	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t n;

		if (nl == NULL) {
			j->torn = len - off;
			journal_warn(j,
				     "%s: the last line (%zu bytes) is incomplete, probably a "
				     "crash while writing; it is ignored",
				     j->path, j->torn);
			break;
		}
		n = (size_t)(nl - (buf + off));
		lineno++;
		if (journal_check_line(j, lineno, buf + off, n, hash) < 0)
			return core_error_set(err, "%s: out of memory replaying line %zu", j->path,
					      lineno);
		if (journal_sha256_hex(buf + off, n, hash) < 0)
			return core_error_set(err, "%s: SHA-256 failed", j->path);
		off += n + 1;
	}
	j->end = (off_t)(len - j->torn);
	memcpy(j->last_hash, hash, sizeof(hash));
	return 0;
}

static int journal_read_all(struct core_journal *j, char **out, size_t *len, struct core_error *err)
{
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int rc = -1;

	for (;;) {
		ssize_t r;

		if (cap - n < 65536) {
			char *p = realloc(buf, cap + 65536 + 1);

			if (p == NULL) {
				core_error_set(err, "%s: out of memory reading it", j->path);
				goto out;
			}
			buf = p;
			cap += 65536;
		}
		r = pread(j->fd, buf + n, cap - n, (off_t)n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			core_error_errno(err, errno, "cannot read %s", j->path);
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*out = buf;
	*len = n;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	return rc;
}

/* mkdir -p with mode 0700 for what it creates. */
static int journal_mkdirs(const char *dir, struct core_error *err)
{
	char *p = NULL;
	char *s;
	int rc = -1;

	p = strdup(dir);
	if (p == NULL)
		return core_error_set(err, "out of memory creating %s", dir);
	for (s = p + 1;; s++) {
		char c = *s;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		/* chmod: the umask must neither loosen nor lock us out of our own. */
		if (mkdir(p, 0700) == 0 ? chmod(p, 0700) < 0 : errno != EEXIST) {
			core_error_errno(err, errno, "cannot create the state directory %s", p);
			goto out;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	rc = 0;
out:
	free(p);
	return rc;
}

/* The directory must be ours and writable by us alone. Read-only openers
 * (status, perhaps as another user) are told, not refused. */
static int journal_check_dir(struct core_journal *j, int dfd, const char *dir,
			     struct core_error *err)
{
	struct stat st;

	if (fstat(dfd, &st) < 0)
		return core_error_errno(err, errno, "cannot stat the state directory %s", dir);
	if (st.st_uid != geteuid()) {
		if (!j->readonly)
			return core_error_set(err,
					      "the state directory %s belongs to uid %u, not to "
					      "the user running the wizard (uid %u): chown "
					      "it to that user or choose another state_dir",
					      dir, (unsigned)st.st_uid, (unsigned)geteuid());
		journal_warn(j, "the state directory %s belongs to uid %u, not to you", dir,
			     (unsigned)st.st_uid);
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		if (!j->readonly)
			return core_error_set(err,
					      "the state directory %s is group- or "
					      "world-writable (mode %04o): others could "
					      "replace the journal; run chmod 700 %s",
					      dir, (unsigned)(st.st_mode & 07777), dir);
		j->intact = false;
		journal_warn(j,
			     "the state directory %s is group- or world-writable (mode %04o): "
			     "others could have replaced the journal",
			     dir, (unsigned)(st.st_mode & 07777));
		return 0;
	}
	if ((st.st_mode & 077) != 0 && !j->readonly) {
		if (fchmod(dfd, 0700) < 0)
			return core_error_errno(err, errno,
						"cannot chmod 700 the state directory %s", dir);
		journal_warn(j, "the state directory %s had mode %04o; it is now 0700", dir,
			     (unsigned)(st.st_mode & 07777));
	}
	return 0;
}

static int journal_check_file(struct core_journal *j, struct core_error *err)
{
	struct stat st;

	if (fstat(j->fd, &st) < 0)
		return core_error_errno(err, errno, "cannot stat %s", j->path);
	if (!S_ISREG(st.st_mode))
		return core_error_set(err, "%s is not a regular file", j->path);
	if (st.st_uid != geteuid() && !j->readonly)
		return core_error_set(err,
				      "%s belongs to uid %u, not to the user running the "
				      "wizard (uid %u): chown it to that user",
				      j->path, (unsigned)st.st_uid, (unsigned)geteuid());
	/* Exactly 0600 whatever the umask was when it was created. */
	if ((st.st_mode & 07777) != 0600 && !j->readonly) {
		if (fchmod(j->fd, 0600) < 0)
			return core_error_errno(err, errno, "cannot chmod 600 %s", j->path);
		if (st.st_size > 0 && (st.st_mode & 077) != 0)
			journal_warn(j, "%s had mode %04o; it is now 0600", j->path,
				     (unsigned)(st.st_mode & 07777));
	}
	return 0;
}

/* The second wizard's message names whoever wrote the journal last. */
static int journal_in_use(struct core_journal *j, struct core_error *err)
{
	const json_t *last = NULL;
	const json_t *op;
	char *buf = NULL;
	size_t len = 0;

	if (journal_read_all(j, &buf, &len, err) == 0 && journal_replay(j, buf, len, err) == 0 &&
	    j->n_events > 0)
		last = j->events[j->n_events - 1];
	free(buf);
	if (last == NULL)
		return core_error_set(err,
				      "%s is in use by another kong-upgrade-wizard (it holds "
				      "the lock); only one operator at a time: use `status` "
				      "for a read-only view",
				      j->path);
	op = json_object_get(last, "operator");
	return core_error_set(err,
			      "%s is in use by another kong-upgrade-wizard (it holds the "
			      "lock; the last event was by %s on %s from %s at %s); only one "
			      "operator at a time: use `status` for a read-only view",
			      j->path, json_string_value(json_object_get(op, "user")),
			      json_string_value(json_object_get(op, "tty")),
			      json_string_value(json_object_get(op, "ssh_client"))[0] != '\0'
				  ? json_string_value(json_object_get(op, "ssh_client"))
				  : "this host",
			      json_string_value(json_object_get(last, "time")));
}

static int journal_open_common(const char *state_dir, bool readonly,
			       const struct core_journal_operator *op, long long (*clock_ms)(void),
			       struct core_journal **out, struct core_error *err)
{
	struct core_journal *j = NULL;
	char *buf = NULL;
	size_t len = 0;
	int dfd = -1;
	int flags;
	bool created = false;
	int rc = -1;

	*out = NULL;
	if (state_dir == NULL || state_dir[0] == '\0')
		return core_error_set(err, "no state directory given for the journal");
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return core_error_set(err, "out of memory opening the journal in %s", state_dir);
	j->fd = -1;
	j->readonly = readonly;
	j->intact = true;
	j->clock_ms = clock_ms != NULL ? clock_ms : journal_real_clock;
	memcpy(j->last_hash, JOURNAL_ZERO_HASH, sizeof(j->last_hash));
	if (asprintf(&j->path, "%s/%s", state_dir, CORE_JOURNAL_FILE) < 0) {
		j->path = NULL;
		core_error_set(err, "out of memory opening the journal in %s", state_dir);
		goto out;
	}
	if (!readonly) {
		j->user = strdup(op != NULL && op->user != NULL ? op->user : "");
		j->tty = strdup(op != NULL && op->tty != NULL ? op->tty : "");
		j->ssh_client = strdup(op != NULL && op->ssh_client != NULL ? op->ssh_client : "");
		if (j->user == NULL || j->tty == NULL || j->ssh_client == NULL) {
			core_error_set(err, "out of memory opening %s", j->path);
			goto out;
		}
		if (journal_mkdirs(state_dir, err) < 0)
			goto out;
	}
	dfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 && readonly && errno == ENOENT) {
		rc = 0;
		goto out;
	}
	if (dfd < 0) {
		core_error_errno(err, errno, "cannot open the state directory %s", state_dir);
		goto out;
	}
	if (journal_check_dir(j, dfd, state_dir, err) < 0)
		goto out;

	if (readonly) {
		j->fd = openat(dfd, CORE_JOURNAL_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (j->fd < 0 && errno == ENOENT) {
			rc = 0;
			goto out;
		}
	} else {
		flags = O_RDWR | O_APPEND | O_NOFOLLOW | O_CLOEXEC;
		j->fd = openat(dfd, CORE_JOURNAL_FILE, flags);
		if (j->fd < 0 && errno == ENOENT) {
			j->fd = openat(dfd, CORE_JOURNAL_FILE, flags | O_CREAT | O_EXCL, 0600);
			created = j->fd >= 0;
		}
	}
	if (j->fd < 0) {
		core_error_errno(err, errno, "cannot open %s", j->path);
		goto out;
	}
	if (journal_check_file(j, err) < 0)
		goto out;
	/* The new name must survive a crash as much as the lines in it. */
	if (created && fsync(dfd) < 0) {
		core_error_errno(err, errno, "cannot sync the state directory %s", state_dir);
		goto out;
	}
	if (!readonly && flock(j->fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			journal_in_use(j, err);
		else
			core_error_errno(err, errno, "cannot lock %s", j->path);
		goto out;
	}
	if (journal_read_all(j, &buf, &len, err) < 0 || journal_replay(j, buf, len, err) < 0)
		goto out;
	/* New lines must chain on the last good one, not on the torn bytes. */
	if (!readonly && j->torn > 0 && (ftruncate(j->fd, j->end) < 0 || fdatasync(j->fd) < 0)) {
		core_error_errno(err, errno, "cannot cut the incomplete last line off %s", j->path);
		goto out;
	}
	rc = 0;
out:
	free(buf);
	if (dfd >= 0)
		close(dfd);
	if (rc < 0)
		core_journal_close(j);
	else
		*out = j;
	return rc;
}

int core_journal_open(const char *state_dir, const struct core_journal_operator *op,
		      long long (*clock_ms)(void), struct core_journal **out,
		      struct core_error *err)
{
	return journal_open_common(state_dir, false, op, clock_ms, out, err);
}

int core_journal_open_readonly(const char *state_dir, struct core_journal **out,
			       struct core_error *err)
{
	return journal_open_common(state_dir, true, NULL, NULL, out, err);
}

static bool journal_key_is_secret(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(journal_secret_keys) / sizeof(journal_secret_keys[0]); i++)
		if (strcasestr(key, journal_secret_keys[i]) != NULL)
			return true;
	return false;
}

void core_journal_redact(json_t *details)
{
	const char *key;
	json_t *value;
	size_t i;

	if (json_is_array(details)) {
		json_array_foreach(details, i, value) core_journal_redact(value);
		return;
	}
	if (!json_is_object(details))
		return;
	json_object_foreach(details, key, value)
	{
		if (journal_key_is_secret(key) && !json_is_null(value))
			json_object_set_new(details, key, json_string("******"));
		else
			core_journal_redact(value);
	}
}

/* Builds the event object of the next line; NULL on memory exhaustion. */
static json_t *journal_build(struct core_journal *j, const char *event, json_t *redacted)
{
	char when[32];
	json_t *ev = json_object();
	json_t *op = json_object();
	int bad = 0;

	journal_format_time(j->clock_ms(), when, sizeof(when));
	if (ev == NULL || op == NULL) {
		json_decref(ev);
		json_decref(op);
		json_decref(redacted);
		return NULL;
	}
	bad |= json_object_set_new(op, "user", journal_string(j->user));
	bad |= json_object_set_new(op, "tty", journal_string(j->tty));
	bad |= json_object_set_new(op, "ssh_client", journal_string(j->ssh_client));
	bad |= json_object_set_new(ev, "seq", json_integer(j->last_seq + 1));
	bad |= json_object_set_new(ev, "time", json_string(when));
	bad |= json_object_set_new(ev, "operator", op);
	bad |= json_object_set_new(ev, "event", json_string(event));
	bad |= json_object_set_new(ev, "details", redacted);
	bad |= json_object_set_new(ev, "prev", json_string(j->last_hash));
	if (bad != 0) {
		json_decref(ev);
		return NULL;
	}
	return ev;
}

/* Cuts a partly written line off again so the chain stays whole. */
static void journal_rollback(struct core_journal *j)
{
	if (ftruncate(j->fd, j->end) < 0 || fdatasync(j->fd) < 0)
		j->broken = true;
}

int core_journal_append(struct core_journal *j, const char *event, json_t *details,
			struct core_error *err)
{
	char hash[JOURNAL_HASH_HEX + 1];
	json_t *redacted = NULL;
	json_t *ev = NULL;
	char *text = NULL;
	struct stat st;
	size_t len, done = 0;
	int rc = -1;

	if (j->readonly || j->fd < 0)
		return core_error_set(err, "%s was opened read-only", j->path);
	if (j->broken)
		return core_error_set(err,
				      "%s: an earlier write failed and could not be undone; "
				      "restart the wizard before going on",
				      j->path);
	/* Only an edited journal gets here; the next seq cannot be written. */
	if (j->last_seq == LLONG_MAX)
		return core_error_set(err,
				      "%s: the last event has seq %lld, so no event can follow "
				      "it; the journal was edited: move it aside to go on",
				      j->path, j->last_seq);
	if (event == NULL || !journal_is_event_name(event))
		return core_error_set(err, "%s: invalid event name \"%s\"", j->path,
				      event != NULL ? event : "(null)");
	if (details != NULL && !json_is_object(details))
		return core_error_set(err, "%s: the details of event %s must be a JSON object",
				      j->path, event);
	redacted = details != NULL ? json_deep_copy(details) : json_object();
	if (redacted == NULL) {
		core_error_set(err, "%s: out of memory writing event %s", j->path, event);
		goto out;
	}
	core_journal_redact(redacted);
	ev = journal_build(j, event, redacted);
	if (ev == NULL) {
		core_error_set(err, "%s: out of memory writing event %s", j->path, event);
		goto out;
	}
	text = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (text == NULL || journal_sha256_hex(text, strlen(text), hash) < 0) {
		core_error_set(err, "%s: cannot encode event %s", j->path, event);
		goto out;
	}
	len = strlen(text);
	/* One buffer, one write(2) in the normal case: the newline goes with it. */
	text[len] = '\n';
	if (fstat(j->fd, &st) < 0) {
		core_error_errno(err, errno, "cannot stat %s", j->path);
		goto out;
	}
	if (st.st_size != j->end) {
		core_error_set(err,
			       "%s changed under the wizard (%lld bytes, expected %lld); "
			       "restart the wizard to check it",
			       j->path, (long long)st.st_size, (long long)j->end);
		goto out;
	}
	while (done < len + 1) {
		ssize_t w = write(j->fd, text + done, len + 1 - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			core_error_errno(err, errno, "cannot write event %s to %s", event, j->path);
			journal_rollback(j);
			goto out;
		}
		done += (size_t)w;
	}
	if (fdatasync(j->fd) < 0) {
		core_error_errno(err, errno, "cannot make event %s durable in %s", event, j->path);
		journal_rollback(j);
		goto out;
	}
	j->end += (off_t)(len + 1);
	j->last_seq++;
	memcpy(j->last_hash, hash, sizeof(hash));
	rc = journal_push_event(j, ev);
	ev = NULL;
	if (rc < 0)
		core_error_set(err, "%s: out of memory after writing event %s", j->path, event);
out:
	free(text);
	json_decref(ev);
	return rc;
}

size_t core_journal_count(const struct core_journal *j)
{
	return j->n_events;
}

const json_t *core_journal_event(const struct core_journal *j, size_t i)
{
	return i < j->n_events ? j->events[i] : NULL;
}

const json_t *core_journal_last(const struct core_journal *j, const char *event)
{
	size_t i;

	for (i = j->n_events; i > 0; i--) {
		const json_t *name = json_object_get(j->events[i - 1], "event");

		if (strcmp(json_string_value(name), event) == 0)
			return j->events[i - 1];
	}
	return NULL;
}

size_t core_journal_warning_count(const struct core_journal *j)
{
	return j->n_warnings;
}

const char *core_journal_warning(const struct core_journal *j, size_t i)
{
	return i < j->n_warnings ? j->warnings[i] : NULL;
}

bool core_journal_intact(const struct core_journal *j)
{
	return j->intact;
}

const char *core_journal_path(const struct core_journal *j)
{
	return j->path;
}

void core_journal_close(struct core_journal *j)
{
	size_t i;

	if (j == NULL)
		return;
	if (j->fd >= 0)
		close(j->fd);
	for (i = 0; i < j->n_events; i++)
		json_decref(j->events[i]);
	for (i = 0; i < j->n_warnings; i++)
		free(j->warnings[i]);
	free(j->events);
	free(j->warnings);
	free(j->path);
	free(j->user);
	free(j->tty);
	free(j->ssh_client);
	free(j);
}
