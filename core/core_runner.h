/* core_runner.h — state-changing `kong migrations` runs that survive the
 * operator (SPEC §5).
 *
 * A run lives in <state_dir>/runs/<id>/ (0700; id = UTC start time and a
 * counter, "20261126T093000Z-1"):
 *   log          0600, stdout and stderr of the command, after three header
 *                lines written first: "# kong-upgrade-wizard run <id>",
 *                "# started <time>", "# command: <argv, shell-quoted>";
 *                the supervisor appends "# finished <time>: <result>"
 *   run.json     {"id", "command": [argv], "started", "supervisor_pid",
 *                "child_pid"}, written atomically (temp, fsync, rename)
 *   status.json  {"exit_code" | "signal", "ended"}, written atomically by the
 *                supervisor when the command has ended
 *   lock         flock()ed by the supervisor for its whole life: the lock,
 *                not a pid that could be reused, says the run is supervised
 * and <state_dir>/runs/current is a symlink naming the latest run.
 *
 * The command runs from an argv array (never a shell) in its own session,
 * away from the wizard's terminal: stdin /dev/null, SIGHUP ignored. A small
 * supervisor process (its own session, SIGHUP/SIGINT/SIGTERM/SIGPIPE
 * ignored, every inherited descriptor closed) waits for it and records how
 * it ended. If the wizard dies or the SSH session hangs up, the command runs
 * to its end; the next wizard finds the run and follows the log or reports
 * the result. Only one run at a time per state directory.
 *
 * Secrets: argv and the log are readable by whoever can read the state
 * directory, so the database password must never be in argv; callers pass
 * `-c <kong.conf>`. The names (not the values) of env_extra go to the log,
 * on a fourth header line "# environment: set NAME, unset NAME". */
#ifndef CORE_RUNNER_H
#define CORE_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/core_catalog.h"
#include "core/core_error.h"

enum core_runner_state {
	CORE_RUNNER_RUNNING,  /* the supervisor holds the run lock */
	CORE_RUNNER_FINISHED, /* status.json: the command exited or was killed */
	CORE_RUNNER_LOST,     /* no status and no supervisor (it was killed, the
			       * machine rebooted): the outcome is unknown, the
			       * datastore is the authority */
};

/* What is known about a run. Plain data, read-only for callers. */
struct core_runner_info {
	char id[64];
	char dir[4096];
	char log[4200];
	char command[1024];   /* argv shell-quoted for reading, maybe truncated */
	char started[32];     /* UTC, "2026-11-26T09:30:00Z" */
	char ended[32];       /* "" until FINISHED */
	pid_t supervisor_pid; /* 0 when unknown */
	pid_t child_pid;      /* the command; also its process group */
	enum core_runner_state state;
	int exit_code; /* FINISHED by exit: its code; else -1 */
	int signal;    /* FINISHED by a signal: its number; else 0 */
};

/* Progress of a `kong migrations up/finish` run, from Kong's output
 * (reference kong-migrations.md §1.7). */
struct core_runner_progress {
	size_t done;        /* "<sub> migrated up to: <name> (...)" lines */
	size_t total;       /* set by the caller: what the command will run */
	size_t processed;   /* "<N> migration(s) processed"; 0 until seen */
	char subsystem[64]; /* of the last "migrating <sub> on database ..." */
	char last[128];     /* "<sub>: <name>" of the last migrated line */
	char error[512];    /* the first "Error: ..." line, "" when none */
	enum core_runner_state state;
	int exit_code; /* as in core_runner_info */
	int signal;
};

struct core_runner_run;

/* Starts argv (argv[0] looked up in PATH when it has no '/') with the
 * caller's environment changed by env_extra (may be NULL; as for
 * core_exec_capture: "K=V" replaces or adds, "K" removes, "PREFIX*" removes
 * all that start with PREFIX) as a supervised run in state_dir (created 0700 if
 * missing). Returns as soon as the command has been executed, with *out a
 * new handle (core_runner_free) in state RUNNING. Fails with err, and
 * starts nothing, when another run of state_dir is running (or lost with its
 * command still alive); the message names that run. Fails with err when the
 * command cannot be executed; that attempt stays recorded as FINISHED with
 * exit code 127. */
int core_runner_start(const char *state_dir, const char *const *argv, const char *const *env_extra,
		      struct core_runner_run **out, struct core_error *err);

/* Finds the latest run of state_dir (runs/current, else the newest run
 * directory) and its state. *out is a new handle, or NULL when state_dir has
 * no run at all. Returns 0, or -1 with err when the run cannot be read. */
int core_runner_find(const char *state_dir, struct core_runner_run **out, struct core_error *err);

/* Follows the log without blocking: reads what is new since the last call
 * (at most 16 MiB per call), calls on_line (may be NULL) for each complete
 * line without its newline, updates p from Kong's lines, then the state from
 * the run directory (p->state, exit_code, signal; p->total is left alone).
 * An unterminated last line is kept until its newline arrives, or delivered
 * once the run has FINISHED. Start each run with a zeroed p. Returns 0, or
 * -1 with err when the log cannot be read. */
int core_runner_poll(struct core_runner_run *r, struct core_runner_progress *p,
		     void (*on_line)(void *ctx, const char *line), void *ctx,
		     struct core_error *err);

/* Re-reads the state from the run directory (cheap: a stat and a lock
 * probe). Returns the state. */
enum core_runner_state core_runner_refresh(struct core_runner_run *r);

/* The run's facts; valid until core_runner_free. */
const struct core_runner_info *core_runner_info(const struct core_runner_run *r);

/* Checks the migrations the log reported (polled so far) against the
 * schema_meta rows read after the run: each "(pending)" migration must be in
 * its subsystem's pending list, each "(executed)" one in executed. Returns 0,
 * or -1 with err naming the first one that is not recorded. */
int core_runner_check_schema(const struct core_runner_run *r, const struct core_schema_row *rows,
			     size_t n_rows, struct core_error *err);

/* "running", "finished", "lost". */
const char *core_runner_state_name(enum core_runner_state s);

/* Closes the handle; the run itself is not affected. NULL is a no-op. */
void core_runner_free(struct core_runner_run *r);

#endif
