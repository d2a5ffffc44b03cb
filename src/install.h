/* install.h - the guarded install of one release into one target.
 *
 * One job, journaled in the state database (each step is recorded before
 * it runs): lock → preflight → snapshot → stage → pre_install hook →
 * preserve → swap → post_install hook → health → finish; a failure from
 * the pre_install hook on swaps back, runs the hooks again and checks the
 * old release's health ("rolled back"). When the old release is unhealthy
 * too, both trees are kept and the result says what to do. The part from
 * the pre_install hook to the health check (and the rollback) is the
 * guarded switch of switchover.h, shared with restore.
 *
 * The per-target lock is an flock on STATE_DIR/locks/TARGET.lock
 * (lockfile.h), which lives and dies with the process; while held, the file
 * names the holder's PID, job, step and host for the message a second
 * process prints: "target T is locked by PID n (install job J, step S,
 * host H)".
 */
#ifndef UPKEEP_INSTALL_H
#define UPKEEP_INSTALL_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "error.h"
#include "preflight.h"
#include "util.h"

enum install_flags {
	INSTALL_ALLOW_DOWNGRADE = PREFLIGHT_ALLOW_DOWNGRADE,
	INSTALL_FORCE_DRIFT = PREFLIGHT_FORCE_DRIFT,
	INSTALL_ALLOW_MOVED = PREFLIGHT_ALLOW_MOVED
};

enum install_outcome {
	INSTALL_FAILED,       /* refused or failed before anything was switched */
	INSTALL_DONE,         /* the new release is live and healthy */
	INSTALL_CURRENT,      /* the release was already installed: nothing done */
	INSTALL_ROLLED_BACK,  /* failed after the switch began; the old release is back */
	INSTALL_BROKEN,       /* the rollback failed or the old release is unhealthy */
	INSTALL_CANCELLED,    /* cancelled before the switch: the target was never touched */
	INSTALL_CANCELLED_BACK /* cancelled after the switch began: rolled back, old release healthy */
};
const char *install_outcome_name(enum install_outcome o);

struct install_result {
	enum install_outcome outcome;
	int64_t job;
	char *from, *to, *tag;    /* versions and the release's tag */
	char *failed_step;        /* "health", "pre_install"... or NULL */
	char *evidence;           /* hook output, HTTP status and body excerpt... */
	char *advice;             /* INSTALL_BROKEN: what to do */
	char *verdict;            /* the release's signature verdict ("signed"...), or NULL */
	char *trust;              /* its description ("signed by ..."), or NULL */
	bool untrusted;           /* refused for the verdict or a moved tag */
	struct strvec drift;      /* local changes found by preflight */
	struct strvec log;        /* what happened, one line per step */
};
void install_result_clear(struct install_result *r);

/* Installs VERSION (NULL = the newest the channel offers) into t. Returns
 * 0 for INSTALL_DONE and INSTALL_CURRENT, -1 otherwise with err set (a
 * held lock gives UP_ERR_STATE_LOCKED, local drift UP_ERR_MISMATCH, a
 * cancel UP_ERR_CANCELLED). cancel (cancel.h; NULL = none) stops the job
 * at its next safe point, see switchover.h. */
int install_run(const struct config *cfg, const struct target_cfg *t, const char *version,
		unsigned flags, const volatile int *cancel, struct install_result *r,
		struct up_error *err);

/* The exit code (upkeep.h) for a result and its error. */
int install_exit_code(const struct install_result *r, const struct up_error *err);

/* Takes the target's lock without waiting. On contention fails with
 * UP_ERR_STATE_LOCKED naming the holder. *fd is the lock. */
int install_lock_target(const char *state_dir, const char *target, int *fd,
			struct up_error *err);
/* Rewrites the holder's note of a held lock (job and step). */
void install_lock_note(int fd, int64_t job, const char *step);

#endif
