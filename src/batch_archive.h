/* batch_archive.h - the archive store's batch commands: backup, snapshots,
 * restore, verify, files. */
#ifndef UPKEEP_BATCH_ARCHIVE_H
#define UPKEEP_BATCH_ARCHIVE_H

#include "batch.h"
#include "conf.h"

int batch_cmd_backup(const struct config *cfg, int argc, char **argv, const struct batch_options *o);
int batch_cmd_snapshots(const struct config *cfg, int argc, char **argv, const struct batch_options *o);
int batch_cmd_restore(const struct config *cfg, int argc, char **argv, const struct batch_options *o);
int batch_cmd_verify(const struct config *cfg, int argc, char **argv, const struct batch_options *o);
int batch_cmd_files(const struct config *cfg, int argc, char **argv, const struct batch_options *o);

#endif
