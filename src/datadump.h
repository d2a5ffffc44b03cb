/* datadump.h - a target's data dumps (confdata.h), taken with its code.
 *
 * A dump command's standard output is written to DIR/NAME (mode 0600,
 * fsynced); install and restore pass DIR as the snapshot's extra directory,
 * so the dumps are stored as .upkeep-data/NAME in the pre-update and
 * pre-restore snapshots. A restore command reads DIR/NAME on its standard
 * input (UPKEEP_DUMP names the file, UPKEEP_DATA the entry). Both run like
 * hooks (hooks.h): no shell, a clean environment, the output's tail kept.
 */
#ifndef UPKEEP_DATADUMP_H
#define UPKEEP_DATADUMP_H

#include "conf.h"
#include "error.h"
#include "hooks.h"

/* The directory name dumps are stored under at the top of a snapshot. */
#define DATADUMP_DIR ".upkeep-data"

/* Where a command's progress is told: level "info", "warning" or "error". */
typedef void (*datadump_note_fn)(void *ctx, const char *level, const char *text);

/* Runs every dump command of t into dir (created, mode 0700; must not hold
 * the dumps already). env gives the versions; phase and names are set
 * here. On failure *evidence (when not NULL) gets the command's output. */
int datadump_capture(const struct target_cfg *t, const struct hook_env *env, const char *dir,
		     datadump_note_fn note, void *ctx, char **evidence, struct up_error *err);

/* Runs every restore command of t with its dump from dir. An entry without
 * a dump in dir is skipped with a warning (a snapshot taken before the
 * entry was configured). phase: "data" or "rollback:data". */
int datadump_restore(const struct target_cfg *t, const struct hook_env *env, const char *dir,
		     const char *phase, datadump_note_fn note, void *ctx, char **evidence,
		     struct up_error *err);

#endif
