/* worker.c - one background thread runs jobs from a queue; each job reports
 * through an event queue whose eventfd wakes the front's poll() loop.
 *
 * A check job runs one thread per target (at most WORKER_PARALLEL at once).
 * libgit2 has no connect timeout, so the worker waits for each target up to
 * its deadline and then abandons the thread: the target is reported as timed
 * out, and the thread frees itself whenever its network call returns. */
#include "config.h"

#include "worker.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <stdarg.h>
#include <stdio.h>

#include "escape.h"
#include "i18n.h"
#include "prio.h"
#include "store.h"
#include "upkeep.h"

#define WORKER_PARALLEL 8
/* Slack on top of a target's own limits before its thread is abandoned. */
#define WORKER_GRACE_MS 2000

enum job_kind { JOB_CHECK, JOB_TASK };

struct job {
	int64_t id;        /* the id events carry */
	int64_t store_id;  /* the row in the state database, 0 = none */
	enum job_kind kind;
	bool record;       /* write the job and its results to the state database */
	struct strvec targets;
	struct worker_task task;   /* JOB_TASK; kind and target owned copies */
	volatile int cancel;
	struct job *next;
};

struct event_node {
	struct event ev;
	struct event_node *next;
};

struct worker {
	const struct config *cfg;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int efd;
	bool background;   /* WORKER_BACKGROUND */
	bool read_only;    /* WORKER_READ_ONLY */
	bool stopping;
	int64_t next_id;
	struct job *queue, *running;
	struct event_node *ev_head, *ev_tail;
};

/* Completion of per-target threads. Process-wide, because an abandoned
 * thread may outlive the worker that started it. */
static pthread_mutex_t task_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t task_cv = PTHREAD_COND_INITIALIZER;
static size_t tasks_abandoned; /* under task_mu */

struct task {
	const struct config *cfg;
	const struct target_cfg *t;
	struct target_state st;
	bool has_state;
	struct check_result result;
	volatile int cancel;
	bool started, done, abandoned, reported;
	enum check_phase phase;        /* which limit the deadline is (under task_mu) */
	enum check_phase abandoned_in; /* the phase when abandoned */
	long long deadline_ms;
};

void event_free(struct event *ev)
{
	FREE(ev->target);
	FREE(ev->text);
	if (ev->payload && ev->payload_free)
		ev->payload_free(ev->payload);
	ev->payload = NULL;
	if (ev->result) {
		check_result_free(ev->result);
		FREE(ev->result);
	}
}

/* ---- event queue ---- */

static void emit(struct worker *w, struct event *ev)
{
	struct event_node *node = xcalloc(1, sizeof(*node));
	pthread_mutex_lock(&w->mu);
	/* Every event of a job carries its database id once it has one, so a
	 * front shows the same number as the History pane. */
	if (w->running && w->running->id == ev->job_id)
		ev->store_id = w->running->store_id;
	/* Progress the front has not taken yet is replaced, not queued behind:
	 * a fast engine loop cannot flood the front. */
	struct event_node *last = w->ev_tail;
	if (ev->type == EV_JOB_PROGRESS && last && last->ev.type == EV_JOB_PROGRESS &&
	    last->ev.job_id == ev->job_id) {
		last->ev.done = ev->done;
		last->ev.total = ev->total;
		last->ev.files = ev->files;
		last->ev.files_total = ev->files_total;
		last->ev.store_id = ev->store_id;
		pthread_mutex_unlock(&w->mu);
		free(node);
		event_free(ev);
		return;
	}
	node->ev = *ev;
	if (w->ev_tail)
		w->ev_tail->next = node;
	else
		w->ev_head = node;
	w->ev_tail = node;
	uint64_t one = 1;
	ssize_t n = write(w->efd, &one, sizeof(one));
	(void)n; /* the counter cannot overflow in practice; a lost ring is harmless */
	pthread_mutex_unlock(&w->mu);
}

static void emit_simple(struct worker *w, enum event_type type, int64_t job,
			const char *target, const char *text, int status)
{
	struct event ev = { .type = type, .job_id = job, .status = status };
	ev.target = target ? xstrdup(target) : NULL;
	ev.text = text ? xstrdup(text) : NULL;
	emit(w, &ev);
}

bool worker_next_event(struct worker *w, struct event *out)
{
	pthread_mutex_lock(&w->mu);
	struct event_node *node = w->ev_head;
	if (!node) {
		uint64_t v;
		ssize_t n = read(w->efd, &v, sizeof(v)); /* clears readiness */
		(void)n;
		pthread_mutex_unlock(&w->mu);
		return false;
	}
	w->ev_head = node->next;
	if (!w->ev_head)
		w->ev_tail = NULL;
	pthread_mutex_unlock(&w->mu);
	*out = node->ev;
	free(node);
	return true;
}

int worker_event_fd(const struct worker *w)
{
	return w->efd;
}

/* ---- per-target threads ---- */

static void task_free(struct task *task)
{
	check_result_free(&task->result);
	if (task->has_state)
		store_target_state_free(&task->st);
	free(task);
}

/* A check entering a phase moves the time the worker waits for it. */
static void task_phase(void *arg, enum check_phase phase, long long deadline_ms)
{
	struct task *task = arg;
	pthread_mutex_lock(&task_mu);
	task->phase = phase;
	task->deadline_ms = deadline_ms + WORKER_GRACE_MS;
	pthread_cond_broadcast(&task_cv);
	pthread_mutex_unlock(&task_mu);
}

static void *task_main(void *arg)
{
	struct task *task = arg;
	struct check_control ctl = { .cancel = &task->cancel, .on_phase = task_phase, .arg = task };
	check_target(task->cfg, task->t, task->has_state ? &task->st : NULL, &ctl, &task->result);
	pthread_mutex_lock(&task_mu);
	task->done = true;
	bool abandoned = task->abandoned;
	pthread_cond_broadcast(&task_cv);
	pthread_mutex_unlock(&task_mu);
	if (abandoned) {
		task_free(task);
		pthread_mutex_lock(&task_mu);
		tasks_abandoned--;
		pthread_mutex_unlock(&task_mu);
	}
	return NULL;
}

/* Threads that run engine work must not receive the console's signals. */
static int start_detached(void *(*fn)(void *), void *arg, pthread_t *tid)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, tid ? PTHREAD_CREATE_JOINABLE : PTHREAD_CREATE_DETACHED);
	pthread_t dummy;
	int rc = pthread_create(tid ? tid : &dummy, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static void abstime_ms(struct timespec *ts, long long ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

/* Why an abandoned task failed: the limit of the phase it was in. */
static char *task_timeout_text(const struct task *task)
{
	const struct target_cfg *t = task->t;
	char *url = escape_text(t->source.git, (size_t)-1, 200, 0);
	char *msg = task->abandoned_in == CHECK_PHASE_FETCH
		? xasprintf(_("%s: fetching the tags took longer than limits.fetch_time (%lld s)"), url,
			    t->limits.fetch_ms / 1000)
		: xasprintf(_("%s: no answer within the time limit (limits.timeout %lld s)"), url,
			    t->limits.timeout_ms / 1000);
	free(url);
	return msg;
}

/* Records and reports one finished (or abandoned) target. */
static void report_task(struct worker *w, struct store *s, struct job *job, struct task *task,
			size_t *done, size_t total, size_t *failed)
{
	struct check_result *r = xcalloc(1, sizeof(*r));
	if (task->done) {
		*r = task->result;
		memset(&task->result, 0, sizeof(task->result));
	} else {
		r->target = xstrdup(task->t->name);
		r->checked_at = util_now();
		r->error = task->cancel && job->cancel ? xasprintf(_("check cancelled"))
			   : task_timeout_text(task);
	}
	struct up_error err = UP_ERROR_INIT;
	if (s && job->record && check_record(s, r, &err) < 0) {
		emit_simple(w, EV_JOB_LOG, job->id, r->target, err.msg, err.status);
		err_clear(&err);
	}
	if (!r->ok) {
		(*failed)++;
		char *line = xasprintf("%s: %s", task->t->name, r->error);
		emit_simple(w, EV_JOB_LOG, job->id, task->t->name, line, UP_ERR_SOURCE);
		if (s && job->store_id)
			store_job_event(s, job->store_id, "error", line, NULL);
		free(line);
	}
	struct event ev = { .type = EV_CHECK_RESULT, .job_id = job->id, .result = r };
	ev.target = xstrdup(task->t->name);
	emit(w, &ev);
	struct event prog = { .type = EV_JOB_PROGRESS, .job_id = job->id,
			      .done = (long long)++*done, .total = (long long)total };
	emit(w, &prog);
}

/* Starts tasks while fewer than WORKER_PARALLEL run; returns how many run. */
static size_t start_tasks(struct task **tasks, size_t n, size_t *next)
{
	size_t running = 0;
	for (size_t i = 0; i < *next; i++)
		running += tasks[i] && !tasks[i]->reported;
	while (*next < n && running < WORKER_PARALLEL) {
		struct task *task = tasks[(*next)++];
		const struct target_cfg *t = task->t;
		task->deadline_ms = util_monotonic_ms() + t->limits.timeout_ms + WORKER_GRACE_MS;
		task->started = true;
		if (start_detached(task_main, task, NULL) != 0) {
			task->result.target = xstrdup(t->name);
			task->result.error = xstrdup("cannot start a thread");
			task->done = true;
		}
		running++;
	}
	return running;
}

/* Stands in for a task that has been reported and handed off. */
static struct task reported_marker = { .reported = true };

static void run_check(struct worker *w, struct store *s, struct job *job)
{
	size_t n = job->targets.n;
	struct task **tasks = xcalloc(n ? n : 1, sizeof(*tasks));
	for (size_t i = 0; i < n; i++) {
		struct task *task = xcalloc(1, sizeof(*task));
		task->cfg = w->cfg;
		task->t = config_find_target(w->cfg, job->targets.items[i]);
		if (s && store_target_get(s, task->t->name, &task->st, NULL) >= 0)
			task->has_state = true;
		tasks[i] = task;
	}
	size_t next = 0, done = 0, failed = 0;
	pthread_mutex_lock(&task_mu);
	while (done < n) {
		start_tasks(tasks, n, &next);
		long long now = util_monotonic_ms(), wait = 1000;
		bool reported = false;
		for (size_t i = 0; i < next; i++) {
			struct task *task = tasks[i];
			if (task->reported)
				continue;
			if (job->cancel)
				task->cancel = 1;
			if (!task->done && now < task->deadline_ms && !job->cancel) {
				if (task->deadline_ms - now < wait)
					wait = task->deadline_ms - now;
				continue;
			}
			if (!task->done) {
				task->cancel = 1;
				task->abandoned = true;
				task->abandoned_in = task->phase;
				tasks_abandoned++;
			}
			task->reported = true;
			pthread_mutex_unlock(&task_mu);
			report_task(w, s, job, task, &done, n, &failed);
			reported = true; /* others may have finished meanwhile: rescan */
			pthread_mutex_lock(&task_mu);
			if (!task->abandoned)
				task_free(task); /* an abandoned one frees itself */
			tasks[i] = &reported_marker;
		}
		if (done < n && !reported) {
			struct timespec ts;
			abstime_ms(&ts, wait > 0 ? wait : 1);
			pthread_cond_timedwait(&task_cv, &task_mu, &ts);
		}
	}
	pthread_mutex_unlock(&task_mu);
	free(tasks);

	enum job_state st = job->cancel ? JOB_CANCELLED : failed ? JOB_FAILED : JOB_OK;
	char *summary = failed ? xasprintf("%zu of %zu targets failed", failed, n) : NULL;
	if (s && job->store_id)
		store_job_set_state(s, job->store_id, st, summary, NULL);
	emit_simple(w, EV_JOB_FINISHED, job->id, NULL, summary,
		    job->cancel ? UP_ERR_CANCELLED : failed ? UP_ERR_SOURCE : UP_OK);
	free(summary);
}

/* ---- the worker thread and the queue ---- */

static void job_free(struct job *job)
{
	strvec_clear(&job->targets);
	if (job->task.arg_free)
		job->task.arg_free(job->task.arg);
	free((char *)job->task.kind);
	free((char *)job->task.target);
	free(job);
}

/* ---- task jobs ---- */

struct job_ctx {
	struct worker *w;
	struct store *s;
	struct job *job;
	int64_t step;      /* the current step's row, 0 = none */
	bool task_record;
};

const struct config *job_ctx_config(const struct job_ctx *c)
{
	return c->w->cfg;
}

struct store *job_ctx_store(struct job_ctx *c)
{
	return c->s;
}

const volatile int *job_ctx_cancel(const struct job_ctx *c)
{
	return &c->job->cancel;
}

bool job_ctx_cancelled(const struct job_ctx *c)
{
	return c->job->cancel != 0;
}

int64_t job_ctx_store_id(const struct job_ctx *c)
{
	return c->job->store_id;
}

void job_ctx_set_store_id(struct job_ctx *c, int64_t id)
{
	pthread_mutex_lock(&c->w->mu);
	c->job->store_id = id;
	pthread_mutex_unlock(&c->w->mu);
}

static void ctx_step_end(struct job_ctx *c, bool ok, const char *error)
{
	if (c->step && c->s)
		store_job_step_end(c->s, c->step, ok, error, NULL);
	c->step = 0;
}

void job_ctx_step(struct job_ctx *c, const char *name)
{
	ctx_step_end(c, true, NULL);
	if (c->task_record && c->s && c->job->store_id)
		store_job_step_begin(c->s, c->job->store_id, name, &c->step, NULL);
	emit_simple(c->w, EV_JOB_STEP, c->job->id, c->job->task.target, name, UP_OK);
}

void job_ctx_progress(struct job_ctx *c, long long bytes, long long bytes_total, long long files,
		      long long files_total)
{
	struct event ev = { .type = EV_JOB_PROGRESS, .job_id = c->job->id, .done = bytes,
			    .total = bytes_total, .files = files, .files_total = files_total };
	emit(c->w, &ev);
}

void job_ctx_log(struct job_ctx *c, const char *level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = xvasprintf(fmt, ap);
	va_end(ap);
	if (c->task_record && c->s && c->job->store_id)
		store_job_event(c->s, c->job->store_id, level, text, NULL);
	struct event ev = { .type = EV_JOB_LOG, .job_id = c->job->id, .text = text };
	emit(c->w, &ev);
}

void job_ctx_result(struct job_ctx *c, void *payload, void (*payload_free)(void *))
{
	struct event ev = { .type = EV_JOB_RESULT, .job_id = c->job->id, .payload = payload,
			    .payload_free = payload_free };
	emit(c->w, &ev);
}

static void run_task(struct worker *w, struct store *s, struct job *job)
{
	struct job_ctx c = { .w = w, .s = s, .job = job, .task_record = job->task.record };
	struct up_error err = UP_ERROR_INIT;
	int rc = job->cancel ? err_set(&err, UP_ERR_CANCELLED, _("cancelled before it started"))
			     : job->task.run(&c, job->task.arg, &err);
	if (rc < 0 && err.status == UP_OK)
		err.status = UP_ERR_INTERNAL;
	ctx_step_end(&c, rc == 0, rc < 0 ? err.msg : NULL);
	enum job_state st = rc == 0 ? JOB_OK : err.status == UP_ERR_CANCELLED ? JOB_CANCELLED
									    : JOB_FAILED;
	if (job->task.record && s && job->store_id)
		store_job_set_state(s, job->store_id, st, rc < 0 ? err.msg : NULL, NULL);
	emit_simple(w, EV_JOB_FINISHED, job->id, job->task.target, rc < 0 ? err.msg : NULL,
		    rc < 0 ? (int)err.status : UP_OK);
	err_clear(&err);
}

int64_t worker_submit_task(struct worker *w, const struct worker_task *task)
{
	struct job *job = xcalloc(1, sizeof(*job));
	job->kind = JOB_TASK;
	job->task = *task;
	job->task.kind = xstrdup(task->kind);
	job->task.target = task->target ? xstrdup(task->target) : NULL;
	pthread_mutex_lock(&w->mu);
	job->id = ++w->next_id;
	struct job **tail = &w->queue;
	while (*tail)
		tail = &(*tail)->next;
	*tail = job;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return job->id;
}

static void run_job(struct worker *w, struct store *s, struct job *job)
{
	if (job->kind == JOB_TASK) {
		const char *target = job->task.target;
		int64_t id = 0;
		if (job->task.record && s && store_job_create(s, job->task.kind, target, &id, NULL) == 0 &&
		    store_job_set_state(s, id, JOB_RUNNING, NULL, NULL) == 0) {
			pthread_mutex_lock(&w->mu);
			job->store_id = id;
			pthread_mutex_unlock(&w->mu);
		}
		emit_simple(w, EV_JOB_STARTED, job->id, target, job->task.kind, UP_OK);
		run_task(w, s, job);
		return;
	}
	const char *target = job->targets.n == 1 ? job->targets.items[0] : NULL;
	if (s && job->record && store_job_create(s, "check", target, &job->store_id, NULL) == 0)
		store_job_set_state(s, job->store_id, JOB_RUNNING, NULL, NULL);
	emit_simple(w, EV_JOB_STARTED, job->id, target, "check", UP_OK);
	switch (job->kind) {
	case JOB_CHECK:
		run_check(w, s, job);
		break;
	case JOB_TASK:
		break;
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct store *s = NULL;
	struct up_error err = UP_ERROR_INIT;
	/* Without a state database checks still run; the failure is reported
	 * once with the first job so the front can say why nothing is saved. */
	if (w->background)
		prio_background();
	bool store_failed = (w->read_only ? store_open_copy : store_open)(w->cfg->state_dir,
									  UPKEEP_LOCK_TIMEOUT_MS, &s, &err) < 0;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->queue && !w->stopping)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->stopping)
			break;
		struct job *job = w->queue;
		w->queue = job->next;
		w->running = job;
		pthread_mutex_unlock(&w->mu);
		if (store_failed) {
			emit_simple(w, EV_JOB_LOG, job->id, NULL, err.msg, err.status);
			store_failed = false;
		}
		run_job(w, s, job);
		pthread_mutex_lock(&w->mu);
		w->running = NULL;
		job_free(job);
	}
	pthread_mutex_unlock(&w->mu);
	err_clear(&err);
	store_close(&s);
	return NULL;
}

int worker_start(const struct config *cfg, struct worker **out, struct up_error *err)
{
	return worker_start_flags(cfg, 0, out, err);
}

int worker_start_flags(const struct config *cfg, unsigned flags, struct worker **out,
		       struct up_error *err)
{
	struct worker *w = xcalloc(1, sizeof(*w));
	w->cfg = cfg;
	w->background = flags & WORKER_BACKGROUND;
	w->read_only = flags & WORKER_READ_ONLY;
	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->efd < 0) {
		free(w);
		return err_set(err, UP_ERR_INTERNAL, "eventfd: %s", strerror(errno));
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (start_detached(worker_main, w, &w->thread) != 0) {
		close(w->efd);
		free(w);
		return err_set(err, UP_ERR_INTERNAL, _("cannot start the worker thread"));
	}
	*out = w;
	return 0;
}

void worker_set_first_id(struct worker *w, int64_t first)
{
	pthread_mutex_lock(&w->mu);
	w->next_id = first - 1;
	pthread_mutex_unlock(&w->mu);
}

void worker_cancel(struct worker *w, int64_t job_id)
{
	pthread_mutex_lock(&w->mu);
	for (struct job *j = w->queue; j; j = j->next)
		if (!job_id || j->id == job_id)
			j->cancel = 1;
	if (w->running && (!job_id || w->running->id == job_id))
		w->running->cancel = 1;
	pthread_mutex_unlock(&w->mu);
	pthread_mutex_lock(&task_mu);
	pthread_cond_broadcast(&task_cv);
	pthread_mutex_unlock(&task_mu);
}

void worker_stop(struct worker **wp)
{
	struct worker *w = *wp;
	if (!w)
		return;
	worker_cancel(w, 0);
	pthread_mutex_lock(&w->mu);
	w->stopping = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	while (w->queue) {
		struct job *j = w->queue;
		w->queue = j->next;
		job_free(j);
	}
	struct event ev;
	while (worker_next_event(w, &ev))
		event_free(&ev);
	close(w->efd);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	FREE(*wp);
}

size_t worker_busy(struct worker *w)
{
	pthread_mutex_lock(&w->mu);
	size_t n = w->running ? 1 : 0;
	for (struct job *j = w->queue; j; j = j->next)
		n++;
	pthread_mutex_unlock(&w->mu);
	return n;
}

int64_t worker_submit_check(struct worker *w, const char *const *targets, size_t n,
			    struct up_error *err)
{
	return worker_submit_check_flags(w, targets, n, 0, err);
}

int64_t worker_submit_check_flags(struct worker *w, const char *const *targets, size_t n,
				  unsigned flags, struct up_error *err)
{
	struct job *job = xcalloc(1, sizeof(*job));
	job->kind = JOB_CHECK;
	job->record = !(flags & WORKER_CHECK_NO_RECORD);
	for (size_t i = 0; i < n; i++) {
		if (!config_find_target(w->cfg, targets[i])) {
			char *name = escape_text(targets[i], (size_t)-1, 64, 0);
			err_set(err, UP_ERR_NOT_FOUND, _("no target named \"%s\" in %s"), name, w->cfg->file);
			free(name);
			job_free(job);
			return -1;
		}
		strvec_push(&job->targets, targets[i]);
	}
	for (size_t i = 0; n == 0 && i < w->cfg->n_targets; i++)
		strvec_push(&job->targets, w->cfg->targets[i].name);
	pthread_mutex_lock(&w->mu);
	job->id = ++w->next_id;
	struct job **tail = &w->queue;
	while (*tail)
		tail = &(*tail)->next;
	*tail = job;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return job->id;
}

size_t worker_abandoned_tasks(void)
{
	pthread_mutex_lock(&task_mu);
	size_t n = tasks_abandoned;
	pthread_mutex_unlock(&task_mu);
	return n;
}
