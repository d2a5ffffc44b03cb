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
	EV_JOB_RESULT,     /* payload: what a task job produced (ownership passes too) */
	EV_JOB_FINISHED    /* status: UP_OK or the failure; text = error summary */
};

struct event {
	enum event_type type;
	int64_t job_id;
	int64_t store_id;             /* the job's row in the state database, 0 = none */
	char *target;
	char *text;
	long long done, total;        /* progress: targets for checks, bytes for tasks */
	long long files, files_total; /* task progress: files (0 = not counted) */
	int status;                   /* enum up_status */
	struct check_result *result;  /* EV_CHECK_RESULT only */
	void *payload;                /* EV_JOB_RESULT only, freed with payload_free */
	void (*payload_free)(void *payload);
};
void event_free(struct event *ev);

struct worker;

/* Starts the worker thread. It opens its own connection to the state
 * database in cfg->state_dir. cfg must outlive the worker. */
int worker_start(const struct config *cfg, struct worker **out, struct up_error *err);
enum worker_flags {
	/* The worker and every thread it starts run below the caller's CPU
	 * priority (prio_background): for a front that must stay responsive. */
	WORKER_BACKGROUND = 1 << 0,
	/* For a dry run: the thread reads a private copy of the state database
	 * (store_open_copy()), so nothing on disk is created or changed. */
	WORKER_READ_ONLY = 1 << 1
};
int worker_start_flags(const struct config *cfg, unsigned flags, struct worker **out,
		       struct up_error *err);
/* Cancels running and queued jobs, joins the thread, frees *w. */
void worker_stop(struct worker **w);

/* Readable when events are waiting. */
int worker_event_fd(const struct worker *w);
/* Pops the next event without blocking; false when the queue is empty
 * (and then the fd's readiness is cleared). Progress events of a job that
 * follow each other in the queue arrive as one, with the latest figures. */
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
/* A task job: any engine work run on the worker thread, reporting through
 * the job context below. */
struct job_ctx;
struct worker_task {
	const char *kind;       /* "backup", "install"...: events and the state database */
	const char *target;     /* or NULL */
	/* The worker records the job (kind, target, state, each step, each log
	 * line) in the state database; false for work that records itself
	 * (install_run). */
	bool record;
	/* Returns 0, or -1 with err set (UP_ERR_CANCELLED when it stopped
	 * because the job was cancelled). */
	int (*run)(struct job_ctx *ctx, void *arg, struct up_error *err);
	void *arg;
	void (*arg_free)(void *arg);  /* called once the job is done or dropped */
};
/* Queues a task job; it runs after the jobs queued before it. Returns its
 * id (> 0). */
int64_t worker_submit_task(struct worker *w, const struct worker_task *task);

/* For a task's run function (on the worker thread). */
const struct config *job_ctx_config(const struct job_ctx *c);
/* The worker's connection to the state database, or NULL. */
struct store *job_ctx_store(struct job_ctx *c);
/* Set when the job is cancelled; engine loops poll it. */
const volatile int *job_ctx_cancel(const struct job_ctx *c);
bool job_ctx_cancelled(const struct job_ctx *c);
/* The job's row in the state database (recorded jobs), or 0. */
int64_t job_ctx_store_id(const struct job_ctx *c);
/* A job that records itself names its row once it knows it. */
void job_ctx_set_store_id(struct job_ctx *c, int64_t id);
/* A new step begins (the previous one ends ok). */
void job_ctx_step(struct job_ctx *c, const char *name);
/* Progress of the current step: bytes done of total, files of total
 * (totals 0 = unknown). Rate-limited by the caller's engine callbacks. */
void job_ctx_progress(struct job_ctx *c, long long bytes, long long bytes_total, long long files,
		      long long files_total);
/* One log line (escaped before it is shown); level "info", "warning", "error". */
void job_ctx_log(struct job_ctx *c, const char *level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Hands a result to the front (EV_JOB_RESULT). */
void job_ctx_result(struct job_ctx *c, void *payload, void (*payload_free)(void *));

/* Numbers this worker's jobs from `first` on, so that the jobs of two
 * workers of one front do not share ids. Call before submitting. */
void worker_set_first_id(struct worker *w, int64_t first);

/* Requests cooperative cancellation of a job (0 = all jobs). */
void worker_cancel(struct worker *w, int64_t job_id);
/* Per-target threads that were abandoned after their deadline and still
 * run (they read the configuration: do not free it while this is > 0). */
size_t worker_abandoned_tasks(void);
/* Number of jobs queued or running. */
size_t worker_busy(struct worker *w);

#endif
