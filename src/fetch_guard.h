/* fetch_guard.h - listing and fetching tags that return by their deadline.
 *
 * libgit2 1.5 has no network timeout: a server that answers the ref
 * advertisement and then never sends the pack blocks git_remote_fetch in
 * recv() for ever, and the byte and time limits, checked in its progress
 * callback, are never consulted. The fetch therefore runs on a thread of
 * its own, with its own handle on the cache repository and copies of its
 * arguments; the caller waits until the deadline (plus a grace period) and
 * then gives up, leaving the thread to end with the process or the server.
 * (The check's per-target threads do the same in worker.c.)
 */
#ifndef UPKEEP_FETCH_GUARD_H
#define UPKEEP_FETCH_GUARD_H

#include <stddef.h>

#include "error.h"
#include "source.h"

/* How long after lim->deadline_ms the caller still waits for the fetch. */
#define FETCH_GUARD_GRACE_MS 2000

/* source_fetch_tags() into the cache repository at cache_dir, bounded by
 * lim->deadline_ms (required), which is limit_ms (limits.fetch_time) from
 * now: the timeout message names that limit. */
/* source_ls_tags() bounded the same way by lim->deadline_ms, which is
 * limit_ms (limits.timeout) from now. */
int fetch_guard_ls_tags(const char *url, const struct source_limits *lim, long long limit_ms,
			struct tag_list *out, struct up_error *err);

int fetch_guard_tags(const char *cache_dir, const char *url, const char *const *tags, size_t n,
		     const struct source_limits *lim, long long limit_ms, struct up_error *err);

#endif
