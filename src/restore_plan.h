/* restore_plan.h - what a restore will do, decided before it does anything:
 * the paths checked against the snapshot and the live tree, the bytes to
 * stage, and the changes it will make (for the preview). */
#ifndef UPKEEP_RESTORE_PLAN_H
#define UPKEEP_RESTORE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "archive_diff.h"
#include "error.h"
#include "util.h"

struct sqlite3;

/* Normalizes the requested paths ("./a//b/" -> "a/b") into out, refusing
 * (UP_ERR_USAGE) absolute ones, "..", the tree itself, the data dumps'
 * directory, and one path inside another. */
int restore_plan_paths(const char *const *paths, size_t n, struct strvec *out,
		       struct up_error *err);

/* Each path must be in the snapshot (UP_ERR_NOT_FOUND) and its parent a
 * real directory of the live tree, reached without symbolic links
 * (UP_ERR_USAGE otherwise, saying to restore the parent instead). Adds the
 * staged bytes to *bytes and the staged entries to *entries. */
int restore_plan_check(struct sqlite3 *db, int64_t root, int64_t snapshot, const char *live,
		       const struct strvec *paths, long long *bytes, long long *entries,
		       struct up_error *err);

/* Whether the snapshot has path (0 no, 1 yes, -1 error). */
int restore_plan_has(struct sqlite3 *db, int64_t root, const char *path, struct up_error *err);

struct restore_changes {
	long long added, removed, changed;
};

/* The changes restoring listing root over live (NULL: nothing there) makes,
 * limited to the paths in `only` (none: all), leaving out those in `skip`
 * (the preserve: paths kept) and the data dumps' directory, each told to fn
 * as the restore sees it (added: only the snapshot has it). */
int restore_plan_diff(struct sqlite3 *db, int64_t root, const char *live,
		      const struct strvec *only, char *const *skip, size_t n_skip,
		      void (*fn)(void *, const struct diff_item *), void *ctx,
		      struct restore_changes *out, struct up_error *err);

#endif
