/* jobsnap.h - the snapshot a job takes before it switches a target: the
 * live tree plus the data dumps (datadump.h) as .upkeep-data/NAME, in the
 * archive, with reason "pre-update" (install) or "pre-restore" (restore).
 * The dumps stay in the job's scratch directory until the job ends, for a
 * rollback's data restore. */
#ifndef UPKEEP_JOBSNAP_H
#define UPKEEP_JOBSNAP_H

#include <stdbool.h>
#include <stdint.h>

#include "archive_backup.h"
#include "archive_index.h"
#include "conf.h"
#include "datadump.h"
#include "error.h"
#include "switchover.h"

struct jobsnap {
	const char *reason;     /* "pre-update", "pre-restore" */
	const char *version;    /* the live tree's version, or NULL */
	bool verify;            /* read the snapshot back and re-hash it (irreversible migration) */
	/* Filled in. */
	char *scratch;          /* STATE_DIR/tmp/KIND-JOB: the job's scratch directory */
	char *dumps;            /* SCRATCH/.upkeep-data when dumps were taken, else NULL */
	int64_t id;             /* the snapshot */
};
void jobsnap_clear(struct jobsnap *js);

/* Creates the job's scratch directory (removing a leftover of the same
 * job id). */
int jobsnap_scratch(struct jobsnap *js, const char *state_dir, const char *kind, int64_t job,
		    struct up_error *err);

/* Takes the dumps and the snapshot of sw->t, journaling through sw. */
int jobsnap_take(struct switchover *sw, struct jobsnap *js, const char *state_dir);

/* The next snapshot's new bytes (archive_diff_new_bytes() against the
 * target's newest snapshot), for the free-space check. */
int jobsnap_estimate(const char *state_dir, const struct target_cfg *t, long long *bytes,
		     struct up_error *err);

/* A switchover_data_fn: runs the restore commands with the dumps of the
 * jobsnap given as ctx ("rollback:data" when back). */
int jobsnap_data_restore(struct switchover *sw, void *ctx, bool back);

/* For a backup (manual or scheduled, job `job` of kind `kind`): takes t's
 * data dumps into the job's scratch directory and points bo->extra_dir at
 * them, so that the snapshot holds them as .upkeep-data/NAME as a
 * pre-update snapshot does. Nothing for a target without data:. A failed
 * dump fails naming it, with the command's output. tell (may be NULL)
 * hears each dump. jobsnap_clear() removes the scratch directory. */
int jobsnap_backup_dumps(struct jobsnap *js, const char *state_dir, const struct target_cfg *t,
			 const char *kind, int64_t job, struct backup_opts *bo,
			 datadump_note_fn tell, void *ctx,
			 struct up_error *err);

/* Makes js's dumps what a rollback restores (sw->data_back) and records
 * the snapshot in the job's intent, so that recovery restores them too. */
int jobsnap_data_back(struct switchover *sw, struct jobsnap *js);

/* Extracts snapshot id's dumps (DATADUMP_DIR) under dest; *dumps names
 * them, or is NULL when the snapshot holds none. cancel (cancel.h) may be
 * NULL. */
int jobsnap_extract_dumps(struct archive_index *idx, int64_t id, const char *dest,
			  const volatile int *cancel, char **dumps, struct up_error *err);

/* The rollback snapshot kept, prunes the target's snapshots per its
 * retention; problems are journaled as warnings. */
void jobsnap_prune(struct switchover *sw, const char *state_dir, int64_t rollback);

#endif
