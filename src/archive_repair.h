/* archive_repair.h - rebuilding the archive index from the packs alone.
 *
 * Every pack carries its block records (chunks by id), tree records (the
 * directory listings) and snapshot records (each snapshot's metadata and
 * root listing id). A rebuild moves the old database aside (index.db ->
 * index.db.old-TIME, with its -wal and -shm), creates an empty one and
 * reads every pack from the start: each chunk whose data hashes to its id,
 * each listing whose bytes do, becomes a row again; then each snapshot
 * whose whole tree is present (every listing and chunk) is listed again,
 * in time order (then the order its packs were written), with new ids. A damaged record ends the reading of its
 * pack; a snapshot that needs what was lost is reported, not listed.
 *
 * What packs do not carry is lost: pins, new_bytes and durations (0), and
 * the ids (renumbered by time; the same when nothing was ever forgotten).
 * A forgotten snapshot comes back when its record is still in a pack that
 * prune kept whole (it held needed data and was not mostly unused).
 * The archive lock is held throughout, so no backup or prune runs.
 */
#ifndef UPKEEP_ARCHIVE_REPAIR_H
#define UPKEEP_ARCHIVE_REPAIR_H

#include "error.h"
#include "util.h"

struct repair_result {
	long long packs, records, chunks, trees, snapshots;
	struct strvec problems;  /* damaged records, snapshots left out */
	char *moved_aside;       /* the old database's new name, or NULL */
};
void repair_result_clear(struct repair_result *r);

/* dir: the archive directory (archive_dir_for()). */
int archive_repair_rebuild(const char *dir, long long timeout_ms, struct repair_result *res,
			   struct up_error *err);

#endif
