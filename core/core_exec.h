/* core_exec.h — run a program to completion with its output captured.
 *
 * For short commands (`kong version`, `kong migrations list`, pg_restore
 * --list): argv array, never a shell; stdin from /dev/null; stdout and stderr
 * read separately with poll() so neither can fill up and stall the child; a
 * deadline after which the child (and its process group) is killed. Long,
 * state-changing runs of `kong` go through the supervised runner instead. */
#ifndef CORE_EXEC_H
#define CORE_EXEC_H

#include <stddef.h>

#include "core/core_error.h"

struct core_exec_result {
	int status;	  /* exit code, or 128 + signal number */
	int timed_out;	  /* 1 when the deadline killed it */
	char *out;	  /* stdout, NUL-terminated, owned */
	size_t out_len;
	char *err;	  /* stderr, NUL-terminated, owned */
	size_t err_len;
};

/* Runs argv[0] (looked up in PATH when it has no '/') with the caller's
 * environment changed by env_extra (may be NULL): "K=V" replaces or adds a
 * variable, "K" removes it, "PREFIX*" removes all that start with PREFIX; and waits at most timeout_ms (0 = no limit). Output beyond
 * max_output bytes per stream (0 = 16 MiB) is dropped. Returns 0 when the
 * program ran, whatever its status; -1 with err when it could not be started
 * ("kong: command not found in PATH", "cannot execute ...: Permission denied"). */
int core_exec_capture(const char *const *argv, const char *const *env_extra, int timeout_ms,
		      size_t max_output, struct core_exec_result *res, struct core_error *err);

void core_exec_result_done(struct core_exec_result *res);

/* The caller's environment with extra applied (the rules of
 * core_exec_capture). A new array of borrowed strings: free the array only.
 * NULL when out of memory. */
char **core_exec_env(const char *const *extra);

/* Finds a program in PATH (or checks an explicit path). Writes the full path
 * into out; 0, or -1 with err naming what was searched. */
int core_exec_which(const char *name, char *out, size_t size, struct core_error *err);

#endif
