/* adopt.h - recording the version of an application that was installed
 * before upkeep, after checking that its tree matches that release. */
#ifndef UPKEEP_ADOPT_H
#define UPKEEP_ADOPT_H

#include "conf.h"
#include "error.h"
#include "store.h"
#include "util.h"

/* Finds the release VERSION (a version such as "1.0.0" or a tag such as
 * "v1.0.0"), fetches it into the cache, and compares its tree with the live
 * tree at t->path, ignoring the preserve: paths and a top-level .git (for a
 * target with an asset, the tree of the release's verified asset, downloaded
 * into the cache if needed). When
 * they match, records VERSION as installed and returns 0. When they differ,
 * fills diffs with lines "modified: PATH", "missing: PATH", "extra: PATH",
 * "type: PATH" or "mode: PATH" (paths escaped) and fails with UP_ERR_MISMATCH;
 * nothing is recorded. */
int adopt_target(const struct config *cfg, const struct target_cfg *t, struct store *s,
		 const char *version, struct strvec *diffs, struct up_error *err);

/* Finds the remote tag of release VERSION (a version or a tag name) by
 * listing the remote's tags; VERSION NULL picks the highest version that
 * the target's channel accepts. *tag is owned by the caller. */
int adopt_find_release(const struct target_cfg *t, const char *version, char **tag,
		       struct up_error *err);

/* The canonical version of tag, or a copy of tag when it does not parse. */
char *adopt_version_of(const struct target_cfg *t, const char *tag);

struct source_cache;
/* Compares the live tree at t->path with the tree of refs/tags/TAG in the
 * cache, ignoring preserve: paths and a top-level .git, and appends one
 * line per difference to diffs (as adopt_target() describes). Returns 0
 * when the comparison ran (whether or not it found differences). */
int adopt_compare_tree(struct source_cache *cache, const struct target_cfg *t, const char *tag,
		       struct strvec *diffs, struct up_error *err);

/* The same comparison with the listing of an extracted release asset
 * (asset_tree.h) instead of a git tree. */
int adopt_compare_listing(const struct target_cfg *t, const char *listing, struct strvec *diffs,
			  struct up_error *err);

/* True when rel (relative path) is one of the target's preserve: paths or
 * lies below one. */
bool adopt_is_preserved(const struct target_cfg *t, const char *rel);

#endif
