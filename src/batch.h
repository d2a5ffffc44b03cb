/* batch.h - the headless front: `upkeep --batch COMMAND ...`. It submits
 * the same jobs as the console and prints their results as text or JSON
 * lines; it never prompts. */
#ifndef UPKEEP_BATCH_H
#define UPKEEP_BATCH_H

#include <stdbool.h>

#include "check.h"
#include "conf.h"

struct batch_options {
	bool json;     /* one JSON object per line on stdout */
	bool quiet;    /* no progress on stderr; errors only */
	bool verbose;  /* every log line (steps included) on stderr too */
	/* archive commands */
	const char *note;  /* backup --note TEXT */
	const char *to;    /* restore --to DIR */
	bool force;        /* restore: DIR may be non-empty */
	const char **paths; /* restore in place: --path P, repeatable */
	size_t n_paths;
	bool keep_preserved; /* restore in place: keep the live preserve: paths */
	bool read_data;    /* verify: re-read and re-hash every chunk */
	bool all;          /* verify: every snapshot */
	bool dry_run;      /* prune, the policy run: say what would be done, change nothing */
	bool yes;          /* forget: really delete */
	bool current;      /* diff: against the live tree */
	const char *output; /* export --output FILE */
	bool rebuild_index; /* repair --rebuild-index */
	/* install */
	bool allow_downgrade; /* a release older than the installed one */
	bool allow_moved_tag; /* a release whose tag moved since first seen */
	bool force_drift;     /* overwrite files changed locally */
};

/* Makes sure the state database can be opened and written (exit code
 * from err on failure). */
int batch_probe_store(const struct config *cfg, struct up_error *err);
/* Checks the named targets (n == 0: all) through the worker, concurrently
 * (flags: enum worker_check_flags). results[i] is target i's result or
 * NULL; *job the check's job in the state database (0 = none). Returns an
 * exit code; free the results with batch_check_free(). */
int batch_check(const struct config *cfg, const char *const *targets, size_t n, unsigned flags,
		const struct batch_options *o, struct check_result ***results, int64_t *job);
void batch_check_free(const struct config *cfg, struct check_result ***results);

/* Says on stderr that the command stopped at a signal (cancel.h) and in
 * what state it left things: "upkeep: cancelled by SIGTERM: " + text. */
void batch_say_cancelled(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The batch_say_cancelled() of an install or restore (nothing when it was
 * not cancelled); the too-late note when it finished after a signal. */
struct install_result;
void batch_say_switch_cancel(const char *target, const struct install_result *r);

/* Runs one command (argv[0]) and returns the exit code (upkeep.h). */
int batch_run(const struct config *cfg, int argc, char **argv, const struct batch_options *o);

#endif
