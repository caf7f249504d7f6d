/* core_error.h — the one error report every layer fills in.
 *
 * Functions return 0 on success and a negative value on failure, and fill a
 * caller-provided struct core_error with a message for a person: what failed
 * and where (file:line, host:port, command). The message never contains a
 * secret. */
#ifndef CORE_ERROR_H
#define CORE_ERROR_H

#include <stddef.h>

struct core_error {
	char msg[1024];
};

/* Sets err->msg from a printf format (err may be NULL). Always returns -1 so
 * that callers can write `return core_error_set(err, ...);`. */
int core_error_set(struct core_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Like core_error_set, followed by ": " and strerror(errnum). Returns -1. */
int core_error_errno(struct core_error *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefixes the existing message with a printf-formatted context and ": ". */
void core_error_prefix(struct core_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Clears the message. */
void core_error_clear(struct core_error *err);

#endif
