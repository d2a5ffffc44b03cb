/* worker.h - the background worker: one thread that runs jobs from a queue
 * and reports through an event queue whose file descriptor becomes readable
 * when events are waiting, so a front polls it together with its terminal.
 * The worker never touches the terminal. */
#ifndef UPKEEP_WORKER_H
#define UPKEEP_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "conf.h"
#include "error.h"

enum event_type {
	EV_JOB_STARTED,    /* job_id, kind in text */
	EV_JOB_STEP,       /* text = step name, target may be set */
	EV_JOB_PROGRESS,   /* done / total (units: targets for checks) */
	EV_JOB_LOG,        /* text = one log line (already escaped) */
	EV_CHECK_RESULT,   /* result: one target's check (ownership passes to the receiver) */
	EV_JOB_FINISHED    /* status: UP_OK or the failure; text = error summary */
};

struct event {
	enum event_type type;
	int64_t job_id;
	int64_t store_id;             /* the job's row in the state database, 0 = none */
	char *target;
	char *text;
	long long done, total;
	int status;                   /* enum up_status */
	struct check_result *result;  /* EV_CHECK_RESULT only */
};
void event_free(struct event *ev);

struct worker;

/* Starts the worker thread. It opens its own connection to the state
 * database in cfg->state_dir. cfg must outlive the worker. */
int worker_start(const struct config *cfg, struct worker **out, struct up_error *err);
/* Cancels running and queued jobs, joins the thread, frees *w. */
void worker_stop(struct worker **w);

/* Readable when events are waiting. */
int worker_event_fd(const struct worker *w);
/* Pops the next event without blocking; false when the queue is empty
 * (and then the fd's readiness is cleared). */
bool worker_next_event(struct worker *w, struct event *out);

/* Queues a check of the named targets (n == 0: every target), run
 * concurrently. Returns the job id (> 0), or -1 for an unknown name
 * (err set). */
int64_t worker_submit_check(struct worker *w, const char *const *targets, size_t n,
			    struct up_error *err);
enum worker_check_flags {
	/* Nothing is written to the state database: no job row, no recorded
	 * results (a dry run). Installed versions are still read from it. */
	WORKER_CHECK_NO_RECORD = 1 << 0
};
int64_t worker_submit_check_flags(struct worker *w, const char *const *targets, size_t n,
				  unsigned flags, struct up_error *err);
/* Requests cooperative cancellation of a job (0 = all jobs). */
void worker_cancel(struct worker *w, int64_t job_id);
/* Per-target threads that were abandoned after their deadline and still
 * run (they read the configuration: do not free it while this is > 0). */
size_t worker_abandoned_tasks(void);
/* Number of jobs queued or running. */
size_t worker_busy(struct worker *w);

#endif
