/* archive_verify.h - checking the store: the index against the packs
 * (each pack present, with its magic and at least its recorded size; each
 * chunk inside its pack), and with read_data every block and listing re-read,
 * decompressed and re-hashed. Damage is reported per snapshot and path. */
#ifndef UPKEEP_ARCHIVE_VERIFY_H
#define UPKEEP_ARCHIVE_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "archive_index.h"
#include "error.h"

struct verify_result;

struct verify_opts {
	int64_t snapshot;   /* 0 = every snapshot */
	bool read_data;
	/* Record the result of each snapshot checked in the index
	 * (archive_snapshot_set_verified): a completed verify then writes. */
	bool record;
	/* Called at most every 200 ms with the figures so far. */
	void (*progress)(void *ctx, const struct verify_result *r);
	void *progress_ctx;
	/* Non-zero = stop at the next archive file or snapshot with
	 * UP_ERR_CANCELLED (verify changes nothing). May be NULL. */
	const volatile int *cancel;
};

struct verify_problem {
	int64_t snapshot;   /* 0 = not tied to one snapshot (a pack) */
	char *path;         /* escaped for display; NULL for a pack problem or
			     * one of the snapshot's own record */
	char *what;
};

struct verify_result {
	long long snapshots, packs, blocks_read, chunks_checked;
	/* archive files: how many and how many bytes in all; bytes checked */
	long long total_packs, total_bytes, bytes;
	struct verify_problem *problems;
	size_t n_problems;
};
void verify_result_clear(struct verify_result *r);

/* Returns 0 when it could check (problems or not), -1 on an error that
 * stopped it. */
int archive_verify(struct archive_index *idx, const struct verify_opts *o,
		   struct verify_result *res, struct up_error *err);

#endif
