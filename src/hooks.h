/* hooks.h - running the configured hook and health commands.
 *
 * A command is run without a shell: it is split on runs of spaces and tabs
 * into words, and nothing else is interpreted (no quotes, no variables, no
 * globbing, no redirection). A command that needs any of those belongs in
 * a script, named by its path. A first word without a slash is looked up
 * in PATH.
 * The command runs in a clean environment: PATH, HOME and LANG from upkeep's
 * own environment (PATH defaults to /usr/local/bin:/usr/bin:/bin), plus
 * UPKEEP_TARGET, UPKEEP_PATH, UPKEEP_PHASE, UPKEEP_FROM and UPKEEP_TO (the old
 * and new versions, "" when unknown) and their aliases UPKEEP_OLD_VERSION
 * and UPKEEP_VERSION. stdin is /dev/null; stdout and stderr are captured
 * together, the last HOOKS_OUTPUT_CAP bytes kept as evidence. The command
 * runs in a process group of its own, which is sent SIGTERM and, two
 * seconds later, SIGKILL when the timeout passes (or the run is
 * cancelled). Once the command has
 * exited, its output pipe is closed even if a background process it started
 * still holds it: such a process must redirect its own output (or it gets
 * SIGPIPE), as any daemon should.
 */
#ifndef UPKEEP_HOOKS_H
#define UPKEEP_HOOKS_H

#include <stdbool.h>

#include "error.h"
#include "util.h"

#define HOOKS_OUTPUT_CAP 4096

struct hook_env {
	const char *target;
	const char *path;
	const char *phase;        /* "pre_install", "post_install", "health"... */
	const char *from, *to;    /* versions, or NULL */
	const char *data;         /* data commands: UPKEEP_DATA, the entry's name, or NULL */
	const char *dump;         /* data commands: UPKEEP_DUMP, the dump file, or NULL */
	/* Polled while the command runs: once set, the command's process group
	 * is ended as at a timeout and the run fails with UP_ERR_CANCELLED.
	 * NULL: the command runs to its end (a rollback's hooks). */
	const volatile int *cancel;
};

struct hook_result {
	int exit_code;            /* -1 when killed by a signal or the timeout */
	int signal;               /* the signal that ended it, or 0 */
	bool timed_out;
	bool cancelled;           /* ended because env->cancel was set */
	long long duration_ms;
	char *output;             /* the tail of stdout+stderr (owned, never NULL after a run) */
};
void hook_result_clear(struct hook_result *r);

/* Splits cmd into words (see above). Fails on an empty command. */
int hooks_split_command(const char *cmd, struct strvec *argv, struct up_error *err);

/* Resolves the command's executable (the first word, through PATH when it
 * has no slash) and checks that it can be executed. *found may be NULL. */
int hooks_find_executable(const char *cmd, char **found, struct up_error *err);

/* Runs cmd and waits up to timeout_ms (0 = no limit). Returns 0 when it
 * exited with status 0; otherwise -1 with err naming the phase, the exit
 * status, signal or timeout, and the last line of output. res is filled
 * either way once the command started. */
int hooks_run_command(const char *cmd, const struct hook_env *env, long long timeout_ms,
		      struct hook_result *res, struct up_error *err);

/* The same with the command's stdin read from in_fd and its stdout written
 * to out_fd (each -1 for the defaults: /dev/null and the captured output);
 * stderr is captured either way. For the data dump and restore commands. */
int hooks_run_io(const char *cmd, const struct hook_env *env, long long timeout_ms, int in_fd,
		 int out_fd, struct hook_result *res, struct up_error *err);

#endif
