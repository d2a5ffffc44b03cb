/* archive_restore.h - writing a snapshot (or some of its paths) into a
 * directory. Everything is created relative to directory descriptors that
 * restore itself opened (openat, mkdirat, symlinkat with O_NOFOLLOW and
 * O_EXCL), and names are single components other than "." and "..", so
 * nothing is written outside DIR whatever the index says. Each chunk is
 * checked against its SHA-256 before it is written: damage fails the
 * restore naming the file (which is removed, not left with wrong data).
 * Contents, modes, mtimes and symlinks are restored; owners too when run
 * as root. Hard links come back as separate files. */
#ifndef UPKEEP_ARCHIVE_RESTORE_H
#define UPKEEP_ARCHIVE_RESTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "archive_index.h"
#include "error.h"

struct restore_result;

struct restore_opts {
	int64_t snapshot;
	const char *dest;
	const char *const *paths;  /* NULL/0: the whole tree */
	size_t n_paths;
	bool force;                /* DIR may exist and hold files; they are replaced */
	/* Called at most every 200 ms (from a worker thread, one at a time)
	 * with the figures so far and the totals (0 when not known: a restore
	 * of some paths only). */
	void (*progress)(void *ctx, const struct restore_result *r, long long total_files,
			 long long total_bytes);
	void *progress_ctx;
	/* Polled before each entry and each chunk (cancel.h): once set, the
	 * restore stops with UP_ERR_CANCELLED, leaving DIR partly written (the
	 * caller removes it). NULL: never. */
	const volatile int *cancel;
};

struct restore_result {
	long long files, dirs, symlinks, bytes;
};

int archive_restore(struct archive_index *idx, const struct restore_opts *o,
		    struct restore_result *res, struct up_error *err);

#endif
