/* restore.h - restoring a snapshot into its target, in place.
 *
 * One job, journaled like an install (install.h): lock → preflight (the
 * snapshot exists and is the target's, the paths are in it, free space) →
 * verify (every chunk of the snapshot is in its pack) → diff (what will
 * change, told before anything does) → snapshot (the live tree and the data
 * dumps, reason "pre-restore") → stage (the snapshot, or the chosen paths,
 * extracted beside the target; each chunk re-hashed as it is written) →
 * the guarded switch of switchover.h with the pre_restore and post_restore
 * hooks (pre_install and post_install when those are not set): hook → swap
 * → data (the snapshot's dumps restored) → hook → health, rolled back on a
 * failure → finish (the installed version becomes the snapshot's).
 *
 * A whole restore exchanges the whole tree: the preserve: paths come back
 * from the snapshot too, unless RESTORE_KEEP_PRESERVED carries the live
 * ones over as an install does. A path restore exchanges each path with its
 * staged copy (renameat2 RENAME_EXCHANGE, for files and directories alike;
 * a rename when the path is missing from the live tree); the rest of the
 * tree, the installed version and the data are left alone.
 */
#ifndef UPKEEP_RESTORE_H
#define UPKEEP_RESTORE_H

#include <stddef.h>
#include <stdint.h>

#include "archive_diff.h"
#include "conf.h"
#include "error.h"
#include "install.h"

enum restore_flags {
	RESTORE_KEEP_PRESERVED = 1 << 0  /* whole restore: keep the live preserve: paths */
};

struct restore_request {
	int64_t snapshot;
	const char *const *paths;   /* relative to the target; NULL/0: the whole tree */
	size_t n_paths;
	unsigned flags;
	/* Told each change the restore will make to the live tree (added: the
	 * snapshot has it and the live tree not), before anything changes. */
	void (*on_change)(void *ctx, const struct diff_item *it);
	void *ctx;
	/* Stops the job at its next safe point (cancel.h; switchover.h says
	 * what is undone), or NULL. */
	const volatile int *cancel;
};

/* Restores rq->snapshot into t. r->from is the installed version, r->to
 * the snapshot's; outcome INSTALL_DONE (restored), INSTALL_ROLLED_BACK,
 * INSTALL_BROKEN, INSTALL_CANCELLED, INSTALL_CANCELLED_BACK or
 * INSTALL_FAILED (refused, nothing changed). Returns 0
 * when restored, -1 otherwise with err set (UP_ERR_NOT_FOUND: no such
 * snapshot, or one of another target, or a path not in it; UP_ERR_USAGE: a
 * bad path; UP_ERR_STATE_LOCKED: the target is locked). */
int restore_run(const struct config *cfg, const struct target_cfg *t,
		const struct restore_request *rq, struct install_result *r, struct up_error *err);

#endif
