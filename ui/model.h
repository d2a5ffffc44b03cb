/* model.h - what the console shows, kept apart from curses: one row per
 * target (stored state, then this session's check results), the jobs this
 * console submitted or heard of, and the job history from the store.
 * Everything here is owned by the model; text is raw (escaped at drawing). */
#ifndef UPKEEP_MODEL_H
#define UPKEEP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "archive_snap.h"
#include "check.h"
#include "conf.h"
#include "store.h"
#include "util.h"
#include "worker.h"

/* Log lines kept per job. */
#define MODEL_LOG_LINES 200

struct target_row {
	const struct target_cfg *cfg;
	char *installed;              /* installed version, NULL = unknown */
	long long last_check;         /* unix seconds, 0 = never */
	bool checked_ok;
	char *error;                  /* the last check's error, NULL if none */
	char *last_outcome;           /* of the last job on it ("ok", "rolled back"), or NULL */
	long long last_outcome_at;
	struct check_result *result;  /* this session's latest check, or NULL */
	int checking;                 /* jobs covering it that have not reported */
	long long last_backup;        /* time of its newest snapshot, 0 = none */
	char *last_job;               /* "install rolled back": its newest finished job, or NULL
				       * (in the user's language) */
	bool last_job_ok;             /* ... and it ended ok */
};

enum job_phase { JOB_PHASE_QUEUED, JOB_PHASE_RUNNING, JOB_PHASE_DONE };

struct job_view {
	int64_t id;                   /* the worker's id */
	int64_t store_id;             /* the state database's id (History), 0 = not yet */
	char *kind;                   /* "check", "install", "backup"... */
	char *target;                 /* or NULL */
	char *label;                  /* what it does, for display */
	char *step;                   /* current step, or NULL */
	enum job_phase phase;
	bool cancelling;              /* cancel asked for, not finished yet */
	int status;                   /* enum up_status once done */
	char *error;                  /* error summary once done, or NULL */
	long long done, total;        /* checks: targets; tasks: bytes (total 0 = unknown) */
	long long files, files_total; /* tasks: files (0 = not counted) */
	long long step_ms;            /* monotonic start of the current step, for the rate */
	long long started, finished;  /* unix seconds, 0 = not yet */
	void *payload;                /* a task's result (EV_JOB_RESULT), owned */
	void (*payload_free)(void *payload);
	bool *pending;                /* per target row: covered, not reported yet */
	struct strvec log;            /* the last MODEL_LOG_LINES lines */
};

struct model {
	const struct config *cfg;
	struct target_row *rows;
	size_t n_rows;
	struct job_view **jobs;       /* in submission order; owned */
	size_t n_jobs, cap_jobs;
	struct job_row *history;      /* store_jobs_list, newest first */
	size_t n_history;
	char *history_error;          /* why the history could not be read */
	bool history_stale;           /* a job finished since it was read */
	struct snapshot_info *snapshots; /* of snapshots_target, newest first */
	size_t n_snapshots;
	char *snapshots_target;       /* whose snapshots are loaded, or NULL */
	bool snapshots_reading;       /* ... being read, none loaded yet */
	char *snapshots_error;        /* why they could not be read */
};

/* What an update changed, so the console redraws only that. */
enum model_change {
	MODEL_TARGETS = 1 << 0,
	MODEL_JOBS = 1 << 1,
	MODEL_HISTORY = 1 << 2,
	MODEL_RESULT = 1 << 3,  /* a job's payload arrived */
	MODEL_ARCHIVE = 1 << 4, /* a job that changes snapshots finished */
	MODEL_INSTALL = 1 << 5  /* an install finished: the installed version may differ */
};

void model_init(struct model *m, const struct config *cfg);
void model_free(struct model *m);

/* Reads each target's stored state (installed version, last check). s may
 * be NULL (no state database): rows stay "unknown / never". Returns 0, or
 * -1 with err set for the first target that could not be read (the others
 * are still read). */
int model_load_state(struct model *m, struct store *s, struct up_error *err);
/* Reads the snapshots of the named target from the archive index. */
void model_load_snapshots(struct model *m, const char *target);
/* The snapshots of target are about to be read: those of another target
 * are dropped (snapshots_reading), this target's are kept until then. */
void model_expect_snapshots(struct model *m, const char *target);
/* Re-reads the job history (at most limit rows) and each target's newest
 * finished job from it. s may be NULL. */
void model_load_history(struct model *m, struct store *s, size_t limit);
/* Re-reads each target's newest snapshot time from the archive index. */
void model_load_backups(struct model *m);

/* Records a job the console submitted: target row `row`, or every target
 * when row is (size_t)-1. Marks the covered rows as checking. */
struct job_view *model_job_add(struct model *m, int64_t id, const char *label, size_t row);
/* Records a task job the console submitted (kind, target may be NULL). */
struct job_view *model_task_add(struct model *m, int64_t id, const char *kind, const char *target,
				const char *label);
struct job_view *model_job_find(const struct model *m, int64_t id);
size_t model_jobs_running(const struct model *m);

/* Applies one worker event, taking what it owns (ev->result, texts). Returns
 * enum model_change bits. */
unsigned model_apply_event(struct model *m, struct event *ev);

/* The row of a target name, or (size_t)-1. */
size_t model_find_row(const struct model *m, const char *name);

/* The newest pre-release outside the channel that is newer than everything
 * the channel offers (a "beta" hint), or NULL. */
const struct release *model_beta_hint(const struct check_result *r);
/* Union of the flags of the releases the channel offers. */
unsigned model_offered_flags(const struct check_result *r);

#endif
