/* batch_restore.h - `upkeep --batch restore TARGET SNAPSHOT [--path P]...`:
 * the in-place restore (restore.h), its changes listed before it acts. */
#ifndef UPKEEP_BATCH_RESTORE_H
#define UPKEEP_BATCH_RESTORE_H

#include "batch.h"
#include "conf.h"

int batch_cmd_restore_in_place(const struct config *cfg, int argc, char **argv,
			       const struct batch_options *o);

#endif
