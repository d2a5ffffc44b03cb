/* archive_diff.h - what changed between two snapshots, or between a
 * snapshot and the live tree.
 *
 * Between snapshots the index alone answers: listings with the same id are
 * equal and skipped whole; a file changed when its chunk list, type, mode
 * or owner differ (mtime alone is not a change), a symlink when its target
 * does. Against the live tree no file is read: a file changed when its
 * type, size, mtime or mode differ; equal size and mtime count as
 * unchanged, as for the incremental backup. Paths under an added or removed
 * directory are reported one by one.
 */
#ifndef UPKEEP_ARCHIVE_DIFF_H
#define UPKEEP_ARCHIVE_DIFF_H

#include <stdint.h>

#include "archive_tree.h"
#include "error.h"

struct sqlite3;

enum diff_change { DIFF_ADDED, DIFF_REMOVED, DIFF_CHANGED };

struct diff_item {
	enum diff_change change;
	const char *path;       /* raw bytes, relative, NUL-terminated */
	enum archive_type type; /* the new type (the old one when removed) */
	long long size_delta;   /* new size minus old size */
	const char *what;       /* changed: "content", "type", "mode", "owner", "target" */
};

typedef void (*diff_fn)(void *ctx, const struct diff_item *item);

/* Listings `from` and `to` (row ids of two snapshots' roots). */
int archive_diff_trees(struct sqlite3 *db, int64_t from, int64_t to, diff_fn fn, void *ctx,
		       struct up_error *err);
/* Listing `from` against the directory dir as it is now. */
int archive_diff_live(struct sqlite3 *db, int64_t from, const char *dir, diff_fn fn, void *ctx,
		      struct up_error *err);

/* An upper bound of the bytes a new snapshot of dir stores when listing
 * `from` is the previous one (0: none): the sizes of the files added or
 * changed since, before deduplication and compression. */
int archive_diff_new_bytes(struct sqlite3 *db, int64_t from, const char *dir, long long *bytes,
			   struct up_error *err);

#endif
