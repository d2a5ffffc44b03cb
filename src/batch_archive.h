/* batch_archive.h - the archive store's batch commands: backup, snapshots,
 * restore, verify, files, pin, unpin, forget, prune, diff, export, repair. */
#ifndef UPKEEP_BATCH_ARCHIVE_H
#define UPKEEP_BATCH_ARCHIVE_H

#include "batch.h"
#include "conf.h"

int batch_cmd_backup(const struct config *cfg, int argc, char **argv, const struct batch_options *o);
int batch_cmd_snapshots(const struct config *cfg, int argc, char **argv, const struct batch_options *o);
int batch_cmd_restore(const struct config *cfg, int argc, char **argv, const struct batch_options *o);
int batch_cmd_verify(const struct config *cfg, int argc, char **argv, const struct batch_options *o);
int batch_cmd_files(const struct config *cfg, int argc, char **argv, const struct batch_options *o);
int batch_cmd_pin(const struct config *cfg, int argc, char **argv, const struct batch_options *o);
int batch_cmd_unpin(const struct config *cfg, int argc, char **argv, const struct batch_options *o);
int batch_cmd_forget(const struct config *cfg, int argc, char **argv, const struct batch_options *o);
int batch_cmd_prune(const struct config *cfg, int argc, char **argv, const struct batch_options *o);
int batch_cmd_diff(const struct config *cfg, int argc, char **argv, const struct batch_options *o);
int batch_cmd_export(const struct config *cfg, int argc, char **argv, const struct batch_options *o);
int batch_cmd_repair(const struct config *cfg, int argc, char **argv, const struct batch_options *o);

#endif
