/* batch_policy.h - the unattended policy run (`upkeep --batch` with no
 * command, or `upkeep --batch run`) and restore drills
 * (`upkeep --batch drill TARGET`). */
#ifndef UPKEEP_BATCH_POLICY_H
#define UPKEEP_BATCH_POLICY_H

#include "batch.h"
#include "conf.h"
#include "error.h"
#include "install.h"

int batch_cmd_run(const struct config *cfg, int argc, char **argv, const struct batch_options *o);
int batch_cmd_drill(const struct config *cfg, int argc, char **argv, const struct batch_options *o);

/* Notifies an install's outcome (success, failure, rollback) through the
 * target's channels. */
void batch_notify_install(const struct target_cfg *t, const struct install_result *r,
			  const struct up_error *err);

#endif
