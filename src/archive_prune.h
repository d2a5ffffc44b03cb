/* archive_prune.h - removing snapshots and reclaiming their space.
 *
 * Retention (archive_retention_apply) has restic's and borg's meaning: the
 * snapshots of one target, newest first; each keep_* rule keeps the newest
 * snapshot of each of the last N buckets (hour, day, ISO week, month, year
 * in local time; keep_last: each snapshot is its own bucket) that hold
 * snapshots. A rule of -1 is unset. Pinned snapshots, the newest one and
 * the one a rollback of the running release needs are always kept. With no
 * rule set at all, everything is kept.
 *
 * Removal (archive_prune) deletes snapshot rows, then the listings, chunk
 * rows and pack rows nothing live references, in one transaction; after it
 * commits, the packs it dropped are unlinked. A crash before the commit
 * changes nothing; one after it leaves unnamed packs, which the next backup
 * or prune removes as garbage. Then packs that are mostly unused are
 * rewritten (archive_repack.h). The whole run holds the archive lock, so no
 * backup can meanwhile count on a chunk being there.
 */
#ifndef UPKEEP_ARCHIVE_PRUNE_H
#define UPKEEP_ARCHIVE_PRUNE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "archive_index.h"
#include "archive_repack.h"
#include "archive_snap.h"
#include "conf.h"
#include "error.h"
#include "util.h"

/* Why a snapshot is kept: a set of these. 0 = it goes. */
enum keep_reason {
	KEEP_LAST = 1 << 0,
	KEEP_HOURLY = 1 << 1,
	KEEP_DAILY = 1 << 2,
	KEEP_WEEKLY = 1 << 3,
	KEEP_MONTHLY = 1 << 4,
	KEEP_YEARLY = 1 << 5,
	KEEP_PINNED = 1 << 6,
	KEEP_NEWEST = 1 << 7,
	KEEP_ROLLBACK = 1 << 8,
	KEEP_NO_POLICY = 1 << 9
};

/* v: the snapshots of one target, in any order. keep[i] receives the
 * reasons snapshot v[i] is kept (0: prune it). rollback: the id of the
 * snapshot a rollback needs, or 0. */
void archive_retention_apply(const struct snapshot_info *v, size_t n,
			     const struct retention_cfg *r, int64_t rollback, unsigned *keep);
/* Appends the reasons as words ("last, daily, pinned") to out. */
void archive_keep_reasons(unsigned keep, struct strbuf *out);

/* The snapshot a rollback of the running release would restore: the newest
 * "pre-update" snapshot taken at or before installed_at (the install of the
 * running release took it just before switching); with installed_at 0, the
 * newest "pre-update" snapshot. 0 when there is none. */
int64_t archive_rollback_snapshot(const struct snapshot_info *v, size_t n, long long installed_at);

struct prune_result {
	long long snapshots, trees, chunks, packs, pack_bytes;
	int garbage_removed;
	struct repack_result repack; /* packs rewritten afterwards */
};
void prune_result_clear(struct prune_result *r);

/* Deletes the snapshots `ids` (none may be pinned: UP_ERR_USAGE) and
 * reclaims what only they used. With dry_run, the same work runs in a
 * transaction that is rolled back and nothing is unlinked or rewritten: the
 * result says what would go. Clear the result after. */
int archive_prune(struct archive_index *idx, const int64_t *ids, size_t n, bool dry_run,
		  struct prune_result *res, struct up_error *err);

/* Applies retention r to target's snapshots and prunes those it does not
 * keep (nothing when it keeps them all: res is zero). rollback: as for
 * archive_retention_apply(). */
int archive_prune_target(struct archive_index *idx, const char *target,
			 const struct retention_cfg *r, int64_t rollback, struct prune_result *res,
			 struct up_error *err);

#endif
