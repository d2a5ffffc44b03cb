/* tar_writer.h - a pax tar stream through libarchive, behind an interface
 * of upkeep's own: libarchive's `struct archive_entry` must not meet the
 * archive store's type of the same name, so only tar_writer.c includes
 * libarchive's headers.
 *
 * Names and link targets are written as raw bytes (pax hdrcharset=BINARY),
 * so names that are not UTF-8 come back unchanged; long names and targets,
 * mtimes with nanoseconds, modes and numeric owners are kept.
 */
#ifndef UPKEEP_TAR_WRITER_H
#define UPKEEP_TAR_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

enum tar_type { TAR_FILE, TAR_DIR, TAR_SYMLINK };

struct tar_item {
	const char *path;   /* relative, raw bytes */
	enum tar_type type;
	uint32_t mode, uid, gid;
	int64_t mtime_ns;
	uint64_t size;      /* files */
	const char *link;   /* symlinks */
};

struct tar_writer;

/* Writes to fd (not closed by the writer); name is for messages. */
int tar_writer_open(int fd, const char *name, struct tar_writer **out, struct up_error *err);
/* A header; a file's size bytes follow through tar_writer_data(). */
int tar_writer_header(struct tar_writer *w, const struct tar_item *it, struct up_error *err);
int tar_writer_data(struct tar_writer *w, const void *data, size_t len, struct up_error *err);
/* Writes the end of the archive and flushes. */
int tar_writer_finish(struct tar_writer *w, struct up_error *err);
void tar_writer_free(struct tar_writer **w);

#endif
