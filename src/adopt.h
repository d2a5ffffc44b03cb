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
 * tree at t->path, ignoring the preserve: paths and a top-level .git. When
 * they match, records VERSION as installed and returns 0. When they differ,
 * fills diffs with lines "modified: PATH", "missing: PATH", "extra: PATH",
 * "type: PATH" or "mode: PATH" (paths escaped) and fails with UP_ERR_MISMATCH;
 * nothing is recorded. */
int adopt_target(const struct config *cfg, const struct target_cfg *t, struct store *s,
		 const char *version, struct strvec *diffs, struct up_error *err);

/* True when rel (relative path) is one of the target's preserve: paths or
 * lies below one. */
bool adopt_is_preserved(const struct target_cfg *t, const char *rel);

#endif
