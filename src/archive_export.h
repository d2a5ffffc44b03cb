/* archive_export.h - a snapshot as a pax tar stream (tar_writer.h): every
 * directory, file and symlink under paths relative to the snapshot's root,
 * with modes, numeric owners and mtimes. Each chunk is checked against its
 * SHA-256 before it is written, so damage stops the export naming the file
 * instead of putting wrong data into the stream. Hard links come out as
 * separate files, as a restore writes them. */
#ifndef UPKEEP_ARCHIVE_EXPORT_H
#define UPKEEP_ARCHIVE_EXPORT_H

#include <stdint.h>

#include "archive_index.h"
#include "error.h"

struct export_result {
	long long files, dirs, symlinks, bytes;
};

/* Writes snapshot `snapshot` to fd (name for messages). */
int archive_export(struct archive_index *idx, int64_t snapshot, int fd, const char *name,
		   struct export_result *res, struct up_error *err);

#endif
