/* archive_backup.h - taking a snapshot of a directory tree into the store.
 *
 * Regular files, directories and symlinks are stored with mode, owner and
 * mtime. Hard links are stored as separate files (their contents dedup to
 * the same chunks, so they cost no space; a restore writes copies). Sockets,
 * FIFOs and device nodes are skipped with a warning, as are files and
 * directories that cannot be read. A file is read again only when its size,
 * mtime, ctime, inode or device differ from the previous snapshot of the
 * same target. The snapshot becomes visible when its index rows commit,
 * after its pack is fsynced with its directory; a run that dies earlier
 * leaves only an unreferenced pack, removed by the next backup.
 */
#ifndef UPKEEP_ARCHIVE_BACKUP_H
#define UPKEEP_ARCHIVE_BACKUP_H

#include <stdint.h>

#include "archive_index.h"
#include "error.h"
#include "util.h"

struct backup_result;

struct backup_opts {
	const char *target;   /* target name */
	const char *path;     /* the tree to capture */
	const char *version;  /* installed version, or NULL */
	const char *reason;   /* "manual", "pre-update", "pre-restore", "scheduled" */
	const char *note;     /* or NULL */
	int level;            /* zstd level */
	int threads;          /* workers; 0 = one per core */
	/* A directory stored at the top of the snapshot under its own base
	 * name (the data dumps' ".upkeep-data"), in place of an entry of that
	 * name in the tree itself, which is skipped with a warning. Or NULL. */
	const char *extra_dir;
	/* Called from the walking thread at most every 200 ms with the figures
	 * so far (files, bytes, files_read), or NULL. */
	void (*progress)(void *ctx, const struct backup_result *so_far);
	void *progress_ctx;
	/* Non-zero = stop before the next file: UP_ERR_CANCELLED, nothing is
	 * committed and the unfinished archive file is removed. May be NULL. */
	const volatile int *cancel;
};

struct backup_result {
	int64_t id;
	long long time, files, dirs, bytes, new_bytes, files_read, duration_ms;
	int garbage_removed;     /* packs of killed runs removed first */
	struct strvec warnings;  /* skipped or changed paths, one message each */
};
void backup_result_clear(struct backup_result *r);

int archive_backup(struct archive_index *idx, const struct backup_opts *o,
		   struct backup_result *res, struct up_error *err);

#endif
