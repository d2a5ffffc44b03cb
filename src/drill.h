/* drill.h - restore drills: proof that the newest snapshot of a target
 * can be brought back, and how long that takes.
 *
 * A drill is one job of kind "drill" in the state database: the target's
 * newest snapshot is restored into a fresh scratch directory (drill.dir,
 * default STATE_DIR/drills; the restore checks every chunk's SHA-256),
 * the restored tree is compared with the snapshot's listing in the index
 * (types, sizes, modes, mtimes, link targets: nothing may differ), then
 * drill.check, if set, runs against it (without a shell, as hooks do, with
 * UPKEEP_PATH naming the restored tree and UPKEEP_PHASE=drill). The scratch
 * directory is removed afterwards, whatever happened.
 *
 * The restore time is measured (monotonic clock) and kept in the `drills`
 * table with the outcome. A drill is "slower" when it took more than 1.5
 * times the previous successful drill of the target and at least
 * drill.tolerance more: the recovery time an admin promised no longer holds.
 */
#ifndef UPKEEP_DRILL_H
#define UPKEEP_DRILL_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "error.h"

struct store;

struct drill_result {
	int64_t job;
	int64_t snapshot;
	bool ok;                  /* restored, identical to the index, check passed */
	bool slower;              /* see above; only when ok */
	long long restore_ms;
	long long previous_ms;    /* the previous successful drill's, -1 = none */
	long long files, bytes;
	long long differences;    /* paths that differ from the index */
	char *failed_step;        /* "snapshot", "restore", "compare", "check" or NULL */
	char *evidence;           /* the check's output, differing paths... or NULL */
	char *version;            /* the snapshot's version, or NULL */
	bool cancelled;           /* stopped by cancel: nothing recorded as a drill */
};
void drill_result_clear(struct drill_result *r);

/* Runs a drill of t. Returns 0 when the drill itself passed (slower or
 * not), -1 otherwise with err saying why (r filled as far as it got).
 * cancel (cancel.h, or NULL) stops the restore and the check: the scratch
 * tree is removed, the job recorded "cancelled" and no drill time kept. */
int drill_run(const struct config *cfg, const struct target_cfg *t, const volatile int *cancel,
	      struct drill_result *r, struct up_error *err);

/* The time (archive clock, unix seconds) of t's latest drill, 0 = none. */
long long drill_last_time(struct store *s, const char *target);

#endif
