/* jobstop.c - SIGTERM to another upkeep process's job. See jobstop.h. */
#include "config.h"

#include "jobstop.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "i18n.h"
#include "joblog.h"
#include "util.h"

/* Whether /proc/PID runs upkeep: the same executable file as this process,
 * or (a different build or path) a command named upkeep. */
static bool is_upkeep(int pid)
{
	char path[64];
	struct stat self, other;
	snprintf(path, sizeof path, "/proc/%d/exe", pid);
	if (stat(path, &other) == 0 && stat("/proc/self/exe", &self) == 0 &&
	    self.st_dev == other.st_dev && self.st_ino == other.st_ino)
		return true;
	snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	char argv0[4096] = "";
	size_t n = fread(argv0, 1, sizeof argv0 - 1, f);
	fclose(f);
	argv0[n] = '\0'; /* the first NUL ends argv[0] */
	const char *base = strrchr(argv0, '/');
	return strcmp(base ? base + 1 : argv0, "upkeep") == 0;
}

int jobstop_check(struct store *s, int64_t job, int *pid, struct up_error *err)
{
	struct job_row jr = { 0 };
	int found = joblog_job(s, job, &jr, err);
	int rc = found < 0 ? -1 : 0;
	*pid = jr.pid;
	if (found == 0)
		rc = err_set(err, UP_ERR_NOT_FOUND, _("job #%lld is not in the state database"),
			     (long long)job);
	else if (rc == 0 && jr.state != JOB_RUNNING)
		rc = err_set(err, UP_ERR_NOT_FOUND, _("job #%lld is no longer running (%s)"),
			     (long long)job, store_job_state_name(jr.state));
	else if (rc == 0 && jr.pid <= 0)
		rc = err_set(err, UP_ERR_NOT_FOUND, _("job #%lld names no process"), (long long)job);
	else if (rc == 0 && jr.pid == getpid())
		rc = err_set(err, UP_ERR_USAGE, _("job #%lld is this console's own"), (long long)job);
	else if (rc == 0 && kill(jr.pid, 0) < 0 && errno == ESRCH)
		rc = err_set(err, UP_ERR_NOT_FOUND, _("process %d of job #%lld is not running on this "
						      "host (the next start of upkeep recovers the job)"),
			     jr.pid, (long long)job);
	else if (rc == 0 && !is_upkeep(jr.pid))
		rc = err_set(err, UP_ERR_MISMATCH, _("process %d is not upkeep (the job's row names a "
						     "process of another program, or of another host)"),
			     jr.pid);
	store_job_row_free(&jr);
	return rc;
}

int jobstop_send(struct store *s, int64_t job, int *pid, struct up_error *err)
{
	if (jobstop_check(s, job, pid, err) < 0)
		return -1;
	if (kill(*pid, SIGTERM) < 0)
		return err_set(err, UP_ERR_IO, _("sending SIGTERM to process %d: %s"), *pid,
			       strerror(errno));
	return 0;
}
