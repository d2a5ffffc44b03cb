/* batch_recover.h - `upkeep --batch recover`, and the recovery every
 * process that uses the state runs when it starts (recover.h). */
#ifndef UPKEEP_BATCH_RECOVER_H
#define UPKEEP_BATCH_RECOVER_H

#include "batch.h"
#include "conf.h"

/* `recover [--json]`: one line (or JSON object) per interrupted job, then
 * a summary. Exit 0, 10 (a target holds neither tree; untouched) or 11
 * (rolled back, but a hook or the health check failed). */
int batch_cmd_recover(const struct config *cfg, int argc, char **argv,
		      const struct batch_options *o);

/* Recovers before a command or the console starts, saying on stderr what
 * it did (a problem even when quiet). Never fails the command: a state
 * database that cannot be opened is the command's own error to report. */
void batch_recover_at_start(const struct config *cfg, bool quiet);

#endif
