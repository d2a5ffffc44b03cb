/* complete.h - what `upkeep --list-targets` and `--list-snapshots` print:
 * listings for shell completion and scripts that change nothing (no
 * recovery at start, no state database opened, no archive created). */
#ifndef UPKEEP_COMPLETE_H
#define UPKEEP_COMPLETE_H

#include <stdio.h>

#include "conf.h"
#include "error.h"

/* One configured target name a line. */
void complete_print_targets(const struct config *cfg, FILE *out);
/* One snapshot a line, oldest first: id, target, local time
 * (YYYY-MM-DD HH:MM), version (escaped), reason, separated by tabs. An
 * archive that does not exist gives nothing. */
int complete_print_snapshots(const struct config *cfg, FILE *out, struct up_error *err);

#endif
