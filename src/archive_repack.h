/* archive_repack.h - rewriting archive files that are mostly unused.
 *
 * A pack whose block records hold more than twice the bytes its remaining
 * chunk rows need (what prune left of it) is rewritten: its live chunks,
 * listings and snapshot records go into a new pack (each chunk verified
 * against its SHA-256 on the way), the new pack is fsynced with its
 * directory, then one transaction moves the rows to it and drops the old
 * pack's row, and only then is the old file unlinked. A crash before the
 * commit leaves the new pack unnamed, one after it the old one: either is
 * garbage that the next backup or prune removes. Needs the archive lock.
 */
#ifndef UPKEEP_ARCHIVE_REPACK_H
#define UPKEEP_ARCHIVE_REPACK_H

#include "archive_index.h"
#include "error.h"
#include "util.h"

struct repack_result {
	long long packs, bytes_before, bytes_after;
	struct strvec skipped;  /* packs left as they were, with the reason */
	bool cancelled;         /* stopped between two archive files (archive_index_cancelled) */
};
void repack_result_clear(struct repack_result *r);

/* With dry_run, only counts the packs it would rewrite (bytes_after 0). */
int archive_repack(struct archive_index *idx, bool dry_run, struct repack_result *res,
		   struct up_error *err);

#endif
