/* core_journal.h — the wizard's append-only journal (SPEC §5 "Journal").
 *
 * One file, <state_dir>/journal.jsonl, one event per line, each line one
 * compact JSON object with exactly these keys, in this order:
 *
 *   {"seq":3,"time":"2024-05-01T12:34:56Z",
 *    "operator":{"user":"alice","tty":"/dev/pts/1","ssh_client":"10.0.0.5 51000 22"},
 *    "event":"waiver","details":{...},"prev":"<hex SHA-256 of line 2>"}
 *
 * seq counts from 1; prev is the SHA-256 of the previous line's bytes without
 * its newline (64 zeros on the first line). Each event is written with one
 * write(2) and made durable with fdatasync before append returns.
 *
 * Opening replays the file. A last line without its newline is a torn write
 * (a crash while writing): it is ignored with a warning and, in read-write
 * mode, cut off so that new lines chain on the last good one. Anything else
 * that does not fit (a line that is not such an object, a seq gap, a prev
 * that is not the hash of the line before) is an integrity finding: a
 * warning naming the line, and core_journal_intact() turns false. The
 * journal still opens and accepts events, so an operator can finish an
 * upgrade; the datastore's schema_meta stays the authority on migration state.
 *
 * The state directory must belong to the user running the wizard and must
 * not be group- or world-writable (refused); it is created 0700, the journal
 * 0600, and looser read permissions are tightened with a warning. A
 * read-write journal holds an exclusive flock for its lifetime. */
#ifndef CORE_JOURNAL_H
#define CORE_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "core/core_error.h"

#define CORE_JOURNAL_FILE "journal.jsonl"

/* Who is at the keyboard, read once by main from the environment. NULL
 * members are written as "". The strings are borrowed for the call. */
struct core_journal_operator {
	const char *user;       /* login name */
	const char *tty;        /* the controlling terminal, e.g. "/dev/pts/1" */
	const char *ssh_client; /* $SSH_CLIENT: "ip port localport", "" when local */
};

struct core_journal;

/* Opens <state_dir>/journal.jsonl for appending, creating the directory
 * (0700, parents too) and the file (0600) when missing, takes the exclusive
 * lock and replays the journal. clock_ms returns milliseconds since the
 * epoch (NULL = the real clock; tests pass a frozen one). op is copied.
 * On success *out owns the journal (core_journal_close). Errors: a state
 * directory that is not ours or is group/world-writable, a journal held by
 * another wizard, I/O; the message says what to do. */
int core_journal_open(const char *state_dir, const struct core_journal_operator *op,
		      long long (*clock_ms)(void), struct core_journal **out,
		      struct core_error *err);

/* Opens the journal only to read it, e.g. for `status` while another wizard
 * holds the lock: no lock, no directory creation, nothing written or cut.
 * A missing journal gives an empty one. Appending to it fails. */
int core_journal_open_readonly(const char *state_dir, struct core_journal **out,
			       struct core_error *err);

/* Appends one event and makes it durable. event: a short name of lower-case
 * letters, digits and '-' ("check", "waiver", "answer", "confirm",
 * "run-start", "run-end", "backup", "verify", "note"). details: a JSON
 * object or NULL, borrowed and left unchanged; what is written is a copy
 * passed through core_journal_redact, so secrets never reach the file.
 * Returns -1 with err naming the file when the event could not be written
 * durably (a full disk, an I/O error): the caller must not go on to a step
 * that changes state. A partly written line is cut off again. */
int core_journal_append(struct core_journal *j, const char *event, json_t *details,
			struct core_error *err);

/* Replaces, in place and recursively (objects and arrays), every non-null
 * value whose key contains, case-insensitively, password, passwd,
 * passphrase, secret, token, private_key, authorization or session_conf,
 * by the string "******". NULL is a no-op. */
void core_journal_redact(json_t *details);

/* The events replayed and appended so far, oldest first; lines that are
 * not well-formed events are not among them. The journal owns them. */
size_t core_journal_count(const struct core_journal *j);
const json_t *core_journal_event(const struct core_journal *j, size_t i);

/* The most recent event with that name, or NULL. */
const json_t *core_journal_last(const struct core_journal *j, const char *event);

/* Warnings from opening (torn line, integrity findings, tightened modes),
 * for a person; owned by the journal. */
size_t core_journal_warning_count(const struct core_journal *j);
const char *core_journal_warning(const struct core_journal *j, size_t i);

/* False when the replay found a line that was edited, removed or inserted. */
bool core_journal_intact(const struct core_journal *j);

/* The journal file's path, for messages; owned by the journal. */
const char *core_journal_path(const struct core_journal *j);

/* Releases the lock and everything the journal owns. NULL is a no-op. */
void core_journal_close(struct core_journal *j);

#endif
