/* joblog.h - reading jobs back from the state database for a front that
 * shows them: the jobs that are queued or running (in any process), a
 * job's steps, the last lines of its journal, and summary figures. Reads
 * only; the rows are written by store.h's job functions. */
#ifndef UPKEEP_JOBLOG_H
#define UPKEEP_JOBLOG_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "store.h"

struct job_step_row {
	char *name;
	enum job_state state;      /* running, ok or failed */
	long long started, finished;
	char *error;
};
void joblog_steps_free(struct job_step_row **v, size_t n);

struct job_event_row {
	long long time;
	char *level, *text;
};
void joblog_events_free(struct job_event_row **v, size_t n);

/* Jobs whose state is queued or running, oldest first. */
int joblog_active(struct store *s, struct job_row **out, size_t *n, struct up_error *err);
/* One job; 0 when there is no such job, 1 when found. */
int joblog_job(struct store *s, int64_t id, struct job_row *out, struct up_error *err);
/* A job's steps in order. */
int joblog_steps(struct store *s, int64_t job, struct job_step_row **out, size_t *n,
		 struct up_error *err);
/* The last `limit` journal lines of a job, oldest first (0 = all). */
int joblog_events(struct store *s, int64_t job, size_t limit, struct job_event_row **out,
		  size_t *n, struct up_error *err);

#endif
