/* test_worker.c - the hand-off between the worker thread and a front: the
 * event queue, its eventfd doorbell, job order, ownership and cancellation. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <netinet/in.h>
#include <unistd.h>

#include "conf.h"
#include "util.h"
#include "worker.h"

struct fixture {
	char dir[64];
	struct config *cfg;
	struct worker *w;
	int silent_fd;   /* a listener that never answers */
};

static int sh(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd = xvasprintf(fmt, ap);
	va_end(ap);
	int rc = system(cmd);
	free(cmd);
	return rc;
}

/* A repository with tags v1.0.0 and v1.1.0, a silent TCP port, and a
 * configuration with one target for each. */
static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/upkeep-test-worker-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	if (sh("cd %s && git init -q -b main w && cd w && git -c user.name=t -c user.email=t@t "
	       "commit -q --allow-empty -m one && git tag v1.0.0 && git -c user.name=t "
	       "-c user.email=t@t commit -q --allow-empty -m two && git tag v1.1.0 && "
	       "git clone -q --bare . ../r.git && mkdir ../app1 ../app2", f->dir) != 0)
		return -1;
	f->silent_fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	if (bind(f->silent_fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(f->silent_fd, 8) < 0 ||
	    getsockname(f->silent_fd, (struct sockaddr *)&a, &len) < 0)
		return -1;
	char *path = xasprintf("%s/upkeep.yaml", f->dir);
	FILE *fp = fopen(path, "w");
	fprintf(fp, "state_dir: %s/state\ncache_dir: %s/cache\ntargets:\n"
		"  good:\n    source: { git: \"file://%s/r.git\" }\n    path: %s/app1\n"
		"  silent:\n    source: { git: \"http://127.0.0.1:%d/r.git\" }\n    path: %s/app2\n"
		"    limits: { timeout: 60s }\n",
		f->dir, f->dir, f->dir, f->dir, ntohs(a.sin_port), f->dir);
	fclose(fp);
	struct up_error err = UP_ERROR_INIT;
	int rc = config_load(path, &f->cfg, &err);
	if (rc < 0)
		fprintf(stderr, "%s\n", err.msg);
	free(path);
	err_clear(&err);
	if (rc < 0 || worker_start(f->cfg, &f->w, NULL) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	worker_stop(&f->w);
	/* Closing the listener resets the connection a cancelled check still
	 * waits on; its abandoned thread then ends and frees itself. */
	close(f->silent_fd);
	for (int i = 0; i < 100 && worker_abandoned_tasks(); i++)
		usleep(50000);
	assert_int_equal(worker_abandoned_tasks(), 0);
	config_free(&f->cfg);
	sh("rm -rf %s", f->dir);
	free(f);
	return 0;
}

static bool fd_readable(int fd, int timeout_ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	return poll(&p, 1, timeout_ms) == 1;
}

/* Waits for the next event, up to 30 s. */
static bool next_event(struct worker *w, struct event *ev)
{
	long long end = util_monotonic_ms() + 30000;
	while (util_monotonic_ms() < end) {
		if (worker_next_event(w, ev))
			return true;
		fd_readable(worker_event_fd(w), 100);
	}
	return false;
}

static void test_idle_fd_not_readable(void **state)
{
	struct fixture *f = *state;
	struct event ev;
	assert_false(worker_next_event(f->w, &ev));
	assert_false(fd_readable(worker_event_fd(f->w), 50));
	assert_int_equal(worker_busy(f->w), 0);
}

static void test_check_events_in_order(void **state)
{
	struct fixture *f = *state;
	const char *names[] = { "good" };
	int64_t id = worker_submit_check(f->w, names, 1, NULL);
	assert_true(id > 0);
	assert_true(fd_readable(worker_event_fd(f->w), 30000));

	enum event_type seen[8];
	size_t n = 0;
	struct event ev;
	struct check_result *result = NULL;
	int64_t store_id = 0;
	while (n < 8 && next_event(f->w, &ev)) {
		assert_int_equal(ev.job_id, id);
		seen[n++] = ev.type;
		if (ev.type == EV_JOB_STARTED)
			store_id = ev.store_id;
		if (ev.type == EV_CHECK_RESULT) {
			result = ev.result; /* the receiver owns it */
			ev.result = NULL;
		}
		bool last = ev.type == EV_JOB_FINISHED;
		if (last)
			assert_int_equal(ev.status, UP_OK);
		event_free(&ev);
		if (last)
			break;
	}
	assert_true(n >= 4);
	assert_int_equal(seen[0], EV_JOB_STARTED);
	assert_int_equal(seen[n - 1], EV_JOB_FINISHED);
	assert_true(store_id > 0); /* recorded in the state database */
	assert_non_null(result);
	assert_true(result->ok);
	assert_string_equal(result->target, "good");
	long newest = check_newest_offered(result);
	assert_true(newest >= 0);
	assert_string_equal(result->releases[newest].version.text, "1.1.0");
	check_result_free(result);
	free(result);
	/* Drained: the doorbell is quiet again. */
	assert_false(worker_next_event(f->w, &ev));
	assert_false(fd_readable(worker_event_fd(f->w), 50));
}

static void test_unknown_target_refused(void **state)
{
	struct fixture *f = *state;
	const char *names[] = { "good", "nope\033[2J" };
	struct up_error err = UP_ERROR_INIT;
	assert_int_equal(worker_submit_check(f->w, names, 2, &err), -1);
	assert_int_equal(err.status, UP_ERR_NOT_FOUND);
	assert_non_null(strstr(err.msg, "nope\\e[2J")); /* named, escaped */
	err_clear(&err);
	assert_false(fd_readable(worker_event_fd(f->w), 50));
}

static void test_cancel_a_hanging_check(void **state)
{
	struct fixture *f = *state;
	const char *names[] = { "silent" };
	int64_t id = worker_submit_check(f->w, names, 1, NULL);
	assert_true(id > 0);
	struct event ev;
	assert_true(next_event(f->w, &ev));
	assert_int_equal(ev.type, EV_JOB_STARTED);
	event_free(&ev);
	long long start = util_monotonic_ms();
	worker_cancel(f->w, id);
	bool finished = false, reported = false;
	while (!finished && next_event(f->w, &ev)) {
		if (ev.type == EV_CHECK_RESULT) {
			reported = true;
			assert_false(ev.result->ok);
			assert_non_null(strstr(ev.result->error, "cancelled"));
		}
		if (ev.type == EV_JOB_FINISHED) {
			finished = true;
			assert_int_equal(ev.status, UP_ERR_CANCELLED);
		}
		event_free(&ev);
	}
	assert_true(finished && reported);
	/* The target's limit is 60 s: cancelling must not wait for it. */
	assert_true(util_monotonic_ms() - start < 10000);
}

/* Waits until the worker has no job queued or running, up to 30 s. */
static bool wait_idle(struct worker *w)
{
	for (int i = 0; i < 600 && worker_busy(w); i++)
		usleep(50000);
	return worker_busy(w) == 0;
}

/* A task that reports progress in bursts: 1000 updates, a log line, 2 more. */
static int run_bursts(struct job_ctx *c, void *arg, struct up_error *err)
{
	for (long long i = 1; i <= 1000; i++)
		job_ctx_progress(c, i, 1000, i, 1000);
	job_ctx_log(c, "info", "half way");
	job_ctx_progress(c, 1, 2, 0, 0);
	job_ctx_progress(c, 2, 2, 0, 0);
	return 0;
}

static void test_progress_coalesced(void **state)
{
	struct fixture *f = *state;
	struct worker_task t = { .kind = "bursts", .run = run_bursts };
	int64_t id = worker_submit_task(f->w, &t);
	assert_true(id > 0);
	assert_true(wait_idle(f->w)); /* everything queued before the front reads */
	enum event_type seen[16];
	long long done[16];
	size_t n = 0;
	struct event ev;
	while (n < 16 && worker_next_event(f->w, &ev)) {
		assert_int_equal(ev.job_id, id);
		done[n] = ev.done;
		seen[n++] = ev.type;
		event_free(&ev);
	}
	/* Progress the front had not taken was replaced, in order, never
	 * merged across another event. */
	assert_int_equal(n, 5);
	assert_int_equal(seen[0], EV_JOB_STARTED);
	assert_int_equal(seen[1], EV_JOB_PROGRESS);
	assert_int_equal(done[1], 1000);
	assert_int_equal(seen[2], EV_JOB_LOG);
	assert_int_equal(seen[3], EV_JOB_PROGRESS);
	assert_int_equal(done[3], 2);
	assert_int_equal(seen[4], EV_JOB_FINISHED);
}

/* Records the nice value and the policy of the thread that runs it. */
struct sched_seen {
	int nice, policy;
};

static int run_sched(struct job_ctx *c, void *arg, struct up_error *err)
{
	struct sched_seen *s = arg;
	s->nice = getpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid));
	s->policy = sched_getscheduler(0);
	return 0;
}

static void test_background_runs_below_the_front(void **state)
{
	struct fixture *f = *state;
	int front = getpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid));
	struct worker *bg = NULL;
	assert_int_equal(worker_start_flags(f->cfg, WORKER_BACKGROUND, &bg, NULL), 0);
	struct sched_seen plain = { -100, -1 }, low = { -100, -1 };
	struct worker_task t = { .kind = "sched", .run = run_sched, .arg = &plain };
	assert_true(worker_submit_task(f->w, &t) > 0);
	t.arg = &low;
	assert_true(worker_submit_task(bg, &t) > 0);
	assert_true(wait_idle(f->w) && wait_idle(bg));
	worker_stop(&bg);
	/* A plain worker runs as its front does; a background one nicer, as a
	 * batch thread. */
	assert_int_equal(plain.nice, front);
	assert_int_equal(plain.policy, SCHED_OTHER);
	assert_int_equal(low.nice, front + 10 > 19 ? 19 : front + 10);
	assert_int_equal(low.policy, SCHED_BATCH);
	assert_int_equal(getpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid)), front);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_idle_fd_not_readable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_events_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_target_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_a_hanging_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_progress_coalesced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_background_runs_below_the_front, setup, teardown),
	};
	return cmocka_run_group_tests_name("worker", tests, NULL, NULL);
}
