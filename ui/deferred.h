/* deferred.h - reads of the state database and the archive index that the
 * console does after it has drawn the screen a key asked for, never before:
 * a pane shows what it has at once, and the fresh rows a moment later. The
 * Progress pane's step line and log of the selected job come from a cache
 * filled here, so drawing never reads the database. */
#ifndef UPKEEP_DEFERRED_H
#define UPKEEP_DEFERRED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "joblog.h"

struct ui;

enum deferred_read {
	READ_HISTORY = 1 << 0,    /* the History rows (when the pane is shown) */
	READ_SNAPSHOTS = 1 << 1,  /* the selected target's snapshots */
	READ_JOBLOG = 1 << 2      /* steps and log of the job Progress shows */
};

/* The recorded steps and log lines of one job, as Progress last read them. */
struct joblog_cache {
	int64_t id;                   /* 0 = nothing read */
	bool stale;                   /* the job moved on since */
	struct job_step_row *steps;
	size_t n_steps;
	struct job_event_row *events; /* the last DEFERRED_LOG_LINES */
	size_t n_events;
};

#define DEFERRED_LOG_LINES 200

/* Asks for reads (enum deferred_read bits) after the next drawing. */
void deferred_want(struct ui *ui, unsigned reads);
bool deferred_pending(const struct ui *ui);
/* Does the reads asked for; marks what they change dirty. */
void deferred_run(struct ui *ui);

/* The cache for job `id` (its database id), or NULL while it holds another
 * job's; asks for a read when it is not the job's, or stale. */
const struct joblog_cache *deferred_joblog(struct ui *ui, int64_t id);
/* A job's steps or log changed: read them again when next shown. */
void deferred_joblog_stale(struct ui *ui);
void deferred_free(struct ui *ui);

#endif
