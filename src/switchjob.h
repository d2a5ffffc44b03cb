/* switchjob.h - the job around a guarded switch, shared by install and
 * restore: the target's lock, the state database and the job's row on the
 * way in; the job's state, the target's last outcome and the lock on the
 * way out.
 */
#ifndef UPKEEP_SWITCHJOB_H
#define UPKEEP_SWITCHJOB_H

#include "conf.h"
#include "switchover.h"

/* Takes sw->t's lock, opens the state database and records a running job
 * of kind sw->kind (sw->job, sw->r->job); sets sw->live_existed. Returns 0,
 * or -1 with sw->err set. */
int switchjob_open(struct switchover *sw, const struct config *cfg);

/* Names the failed step in sw->r; a failed finish means switched and
 * healthy but not recorded (INSTALL_BROKEN); a cancel before the switch is
 * INSTALL_CANCELLED (switchover_cancelled). Returns -1. */
int switchjob_fail_step(struct switchover *sw, const char *name);

/* Closes the job (crash points KIND.before-close and KIND.after-close):
 * its state from sw->r->outcome (rc < 0: with sw->err's message), the
 * target's last outcome (outcome NULL: left as it is), the state database
 * and the lock. */
void switchjob_close(struct switchover *sw, int rc, const char *outcome);

/* Copies sw->err into err (fallback: the message when it has none) for a
 * failed job. */
void switchjob_error(struct switchover *sw, int rc, const char *fallback, struct up_error *err);

#endif
