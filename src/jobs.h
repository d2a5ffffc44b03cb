/* jobs.h - the engine's work packaged as worker tasks for a front (the
 * console): the plan of an install, the install itself, backup, verify,
 * pin, forget, and the comparison of a snapshot with the live tree. Each
 * submit returns the worker's job id (> 0) or -1 with err set; results come
 * back as EV_JOB_RESULT payloads of the types below. */
#ifndef UPKEEP_JOBS_H
#define UPKEEP_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "util.h"
#include "worker.h"

/* What an install would do, from preflight (resolve and every refusal). */
struct plan_view {
	char *target, *version, *tag, *from;  /* from = installed, or NULL */
	long long bytes;           /* the release's file bytes */
	size_t entries;            /* and entries */
	long long free_bytes;      /* free on the target's file system, -1 unknown */
	bool same, downgrade;
	struct strvec steps;       /* "snapshot: pre-update snapshot of PATH" ... */
	struct strvec drift;       /* local changes that an install would overwrite */
	struct strvec notes;
	char *refusal;             /* why preflight refuses (drift included), or NULL */
	bool drift_only;           /* the one refusal is local drift */
};
void plan_view_free(void *p);

/* A snapshot against the live tree (archive_diff_live). Paths are raw. */
struct diff_view {
	int64_t snapshot;
	struct strvec added, removed, changed;  /* live-only, snapshot-only, differing */
	char *error;               /* the comparison failed, or NULL */
};
void diff_view_free(void *p);

enum jobs_install_flags {
	JOBS_FORCE_DRIFT = 1 << 0
};

int64_t jobs_submit_plan(struct worker *w, const char *target, const char *version,
			 struct up_error *err);
int64_t jobs_submit_install(struct worker *w, const char *target, const char *version,
			    unsigned flags, struct up_error *err);
int64_t jobs_submit_backup(struct worker *w, const char *target, const char *note,
			   struct up_error *err);
/* snapshot 0 = every snapshot; always re-reads the data. */
int64_t jobs_submit_verify(struct worker *w, int64_t snapshot, struct up_error *err);
int64_t jobs_submit_pin(struct worker *w, int64_t snapshot, bool pinned, struct up_error *err);
int64_t jobs_submit_forget(struct worker *w, int64_t snapshot, struct up_error *err);
int64_t jobs_submit_diff(struct worker *w, const char *target, int64_t snapshot,
			 struct up_error *err);
/* Restores snapshot into target in place (restore_run): path NULL = the
 * whole tree, else that file or directory only. */
int64_t jobs_submit_restore(struct worker *w, const char *target, int64_t snapshot,
			    const char *path, struct up_error *err);

#endif
