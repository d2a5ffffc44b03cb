/* switchjob.c - the job around a guarded switch. See switchjob.h. */
#include "config.h"

#include "switchjob.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crashpoint.h"
#include "lockfile.h"
#include "store.h"
#include "upkeep.h"

int switchjob_open(struct switchover *sw, const struct config *cfg)
{
	struct stat st;
	int rc = install_lock_target(cfg->state_dir, sw->t->name, &sw->lock_fd, &sw->err);
	if (rc == 0)
		rc = store_open(cfg->state_dir, UPKEEP_LOCK_TIMEOUT_MS, &sw->s, &sw->err);
	if (rc == 0)
		rc = store_job_create(sw->s, sw->kind, sw->t->name, &sw->job, &sw->err);
	if (rc == 0)
		rc = store_job_set_state(sw->s, sw->job, JOB_RUNNING, NULL, &sw->err);
	sw->r->job = sw->job;
	sw->live_existed = rc == 0 && stat(sw->t->path, &st) == 0 && S_ISDIR(st.st_mode);
	return rc;
}

int switchjob_fail_step(struct switchover *sw, const char *name)
{
	struct install_result *r = sw->r;
	if (switchover_cancelled(sw, name))
		return -1;
	free(r->failed_step);
	r->failed_step = xstrdup(name);
	if (strcmp(name, "finish") == 0)
		r->outcome = INSTALL_BROKEN; /* switched and healthy, not recorded */
	return -1;
}

void switchjob_close(struct switchover *sw, int rc, const char *outcome)
{
	static const enum job_state states[] = {
		[INSTALL_FAILED] = JOB_FAILED, [INSTALL_DONE] = JOB_OK, [INSTALL_CURRENT] = JOB_OK,
		[INSTALL_ROLLED_BACK] = JOB_ROLLED_BACK, [INSTALL_BROKEN] = JOB_FAILED,
		[INSTALL_CANCELLED] = JOB_CANCELLED, [INSTALL_CANCELLED_BACK] = JOB_CANCELLED,
	};
	struct up_error e = UP_ERROR_INIT;
	if (sw->job)
		crashpoint_at(sw->kind, "before-close");
	if (sw->s && sw->job) {
		store_job_set_state(sw->s, sw->job, states[sw->r->outcome],
				    rc < 0 ? sw->err.msg : NULL, &e);
		err_clear(&e);
		if (outcome)
			store_target_record_outcome(sw->s, sw->t->name, outcome, &e);
		err_clear(&e);
	}
	store_close(&sw->s);
	if (sw->lock_fd >= 0) {
		lockfile_release(sw->lock_fd);
		close(sw->lock_fd);
		sw->lock_fd = -1;
	}
	if (sw->job)
		crashpoint_at(sw->kind, "after-close");
}

void switchjob_error(struct switchover *sw, int rc, const char *fallback, struct up_error *err)
{
	if (rc < 0)
		err_set(err, sw->err.status, "%s", sw->err.msg ? sw->err.msg : fallback);
}
