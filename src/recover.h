/* recover.h - finishing or undoing jobs whose process died.
 *
 * A job left "running" in the state database whose process is gone (the
 * per-target lock is free; for jobs without one, its PID is gone) was
 * interrupted: a crash, kill -9, a power cut. Recovery runs at the start
 * of every upkeep process that uses the state (console and batch commands)
 * and as `upkeep --batch recover`. For a job that switches trees (install,
 * restore in place) it reads the job's intent (intent.h), looks at which
 * tree the path names (the roots' inode numbers, or the releases link),
 * and then, holding the target's lock:
 *
 *   - before the swap could have begun (phases prepared, staging): removes
 *     the staging tree; the target was never touched;
 *   - from the pre hook on, until the health check passed (hooks,
 *     preserving, swapping, swapped, rolling-back): ROLLS BACK exactly as a
 *     failed step does (switchover.h): swaps back if the new tree is in
 *     place, runs the pre and post hooks for the old release, checks its
 *     health, removes the new tree. The new release was never proved
 *     healthy, so it is never kept;
 *   - once the health check passed (healthy, done): ROLLS FORWARD: records
 *     the new version, removes the old tree (plain layout) or prunes the
 *     releases, as the finish step would have.
 * Whichever way, the path names exactly one whole tree, old or new, each
 * with its preserved data, the database records that tree's version, and
 * no staging tree is left. Recovery is itself crash-safe: every action is
 * decided from the intent and what is on disk, so running it again after
 * it was interrupted completes it.
 *
 * The interrupted job is marked "recovered" with what was done; a job of
 * kind "recover" records the recovery. When the path holds neither tree
 * (changed by hand, or a switch that did not survive a power cut) nothing
 * is touched: the result says so and what to do (exit code 10). Jobs of
 * other kinds (check, backup, prune...) have nothing on the target to undo
 * (an interrupted backup leaves garbage that the next one removes): they
 * are only marked.
 *
 * Last, the scratch directories of dead jobs (STATE_DIR/tmp/KIND-JOB: a
 * job's data dumps, a download) are removed: those of jobs no longer
 * running, after the recovery above; a job still running (its process
 * alive, as judged above) keeps its own.
 */
#ifndef UPKEEP_RECOVER_H
#define UPKEEP_RECOVER_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "error.h"
#include "util.h"

enum recover_action {
	RECOVER_MARKED,        /* nothing to undo: the job is only marked */
	RECOVER_ROLLED_BACK,   /* the old tree is in place (and healthy) */
	RECOVER_ROLLED_FORWARD,/* the new tree is in place and recorded */
	RECOVER_UNHEALTHY,     /* rolled back, but a hook or the health check failed */
	RECOVER_INCONSISTENT   /* not recovered: the path holds neither tree; nothing touched */
};
const char *recover_action_name(enum recover_action a);

struct recover_item {
	int64_t job;          /* the interrupted job */
	int64_t recover_job;  /* the job that recorded its recovery */
	char *kind, *target;
	char *phase;          /* its intent's phase, NULL without one */
	char *from, *to;
	enum recover_action action;
	char *summary;        /* what was done */
	char *advice;         /* UNHEALTHY, INCONSISTENT: what to do */
};

struct recover_result {
	struct recover_item *items;
	size_t n;
	size_t alive;         /* running jobs whose process is alive (left alone) */
	struct strvec removed;/* the scratch directories of dead jobs removed */
};
void recover_result_clear(struct recover_result *r);

/* Finds and recovers interrupted jobs. Without a state database there is
 * nothing to do (none is created). Returns -1 only when the state database
 * cannot be used; problems with single jobs are in their items. */
int recover_run(const struct config *cfg, struct recover_result *r, struct up_error *err);

/* 0, or EXIT_RECOVER_UNHEALTHY / EXIT_RECOVER_INCONSISTENT (upkeep.h). */
int recover_exit_code(const struct recover_result *r);

#endif
