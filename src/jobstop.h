/* jobstop.h - cancelling a job that another upkeep process runs.
 *
 * The console lists the running jobs of other processes from the state
 * database, with their PID. Such a job is cancelled by sending its process
 * SIGTERM, which upkeep's batch mode turns into a cancel at the next safe
 * point (cancel.h). A PID from a database is only a claim: before anything
 * is sent, the job's row is read again (still running, still that PID), and
 * the process must be alive here and be upkeep (its /proc/PID/exe is the
 * same file as ours, or its command's name is "upkeep"). Each refusal says
 * why, so the console can show it.
 */
#ifndef UPKEEP_JOBSTOP_H
#define UPKEEP_JOBSTOP_H

#include <stdint.h>

#include "error.h"
#include "store.h"

/* Checks that job's process may be sent SIGTERM: 0 and *pid set, or -1
 * with err saying why not (UP_ERR_NOT_FOUND: no such job or it ended;
 * UP_ERR_MISMATCH: the PID is not an upkeep process here). */
int jobstop_check(struct store *s, int64_t job, int *pid, struct up_error *err);

/* jobstop_check(), then SIGTERM to the process. */
int jobstop_send(struct store *s, int64_t job, int *pid, struct up_error *err);

#endif
