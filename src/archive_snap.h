/* archive_snap.h - snapshot rows of the archive index. */
#ifndef UPKEEP_ARCHIVE_SNAP_H
#define UPKEEP_ARCHIVE_SNAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "archive_index.h"
#include "error.h"

struct snapshot_info {
	int64_t id;
	char *target, *version, *reason, *note;
	long long time, files, bytes, new_bytes, files_read, duration_ms;
	int64_t root;  /* tree row */
	bool pinned;
	/* The last verification: unix seconds (0: never), whether chunk data
	 * was read back, its first problem (NULL: it passed). */
	long long verified_at;
	bool verified_data;
	char *verify_error;
};
void snapshot_info_clear(struct snapshot_info *s);
void snapshot_infos_free(struct snapshot_info **s, size_t n);

/* UP_ERR_NOT_FOUND when there is no such snapshot. */
int archive_snapshot_get(struct archive_index *idx, int64_t id, struct snapshot_info *out,
			 struct up_error *err);
/* Oldest first; target NULL = every target. */
int archive_snapshots_list(struct archive_index *idx, const char *target,
			   struct snapshot_info **out, size_t *n, struct up_error *err);
/* The snapshots of one target, oldest first, for a front that only reads:
 * an archive that does not exist yet gives none (and is not created). */
int archive_snapshots_of(const char *state_dir, const char *target, struct snapshot_info **out,
			 size_t *n, struct up_error *err);
/* Records a verification of the snapshot at archive_now(): error NULL when
 * it passed, else its first problem. UP_ERR_NOT_FOUND when there is no such
 * snapshot. */
int archive_snapshot_set_verified(struct archive_index *idx, int64_t id, bool read_data,
				  const char *error, struct up_error *err);
/* Sets or clears a snapshot's pin (a pinned snapshot is never pruned or
 * forgotten). UP_ERR_NOT_FOUND when there is no such snapshot. */
int archive_snapshot_set_pinned(struct archive_index *idx, int64_t id, bool pinned,
				struct up_error *err);
/* The archive's clock: unix seconds, or UPKEEP_NOW when it is set (tests
 * only: it dates new snapshots). */
long long archive_now(void);
/* Parses a snapshot id given on the command line (a positive number). */
bool archive_snapshot_parse_id(const char *s, int64_t *id);

#endif
