/* swap.h - switching a target between two trees, atomically and durably.
 *
 * Plain layout: the live directory and the staging directory beside it are
 * exchanged with renameat2(RENAME_EXCHANGE), so at every instant the path
 * names either the whole old tree or the whole new one; swapping again
 * undoes it. A first install (no live directory yet) renames the staging
 * directory into place with RENAME_NOREPLACE.
 * Releases layout: `path` is a symlink to releases/VERSION beside it; a new
 * symlink is created under a temporary name and renamed over it.
 * Every switch fsyncs the parent directory before it returns, so the switch
 * survives a power cut once the call has succeeded.
 */
#ifndef UPKEEP_SWAP_H
#define UPKEEP_SWAP_H

#include <stddef.h>

#include "error.h"

/* Exchanges two directories (both must exist and be directories, on one
 * file system). EXDEV and EINVAL (file system without RENAME_EXCHANGE)
 * give messages that say so. */
int swap_exchange_dirs(const char *live, const char *staging, struct up_error *err);

/* Exchanges two entries of any type (files, directories, links) in one
 * directory: restoring one path of a tree. */
int swap_exchange_paths(const char *live, const char *staging, struct up_error *err);

/* Renames staging to live, which must not exist. */
int swap_install_first(const char *staging, const char *live, struct up_error *err);

/* The same for an entry of any type. */
int swap_place_path(const char *staging, const char *live, struct up_error *err);

/* Points the symlink `link` at `target` (relative, e.g. "releases/1.2.0"),
 * replacing it atomically. */
int swap_link_switch(const char *link, const char *target, struct up_error *err);

/* The target of symlink `link` (NULL and 0 when link does not exist). */
int swap_link_read(const char *link, char **target, struct up_error *err);

/* In directory `releases`, removes release directories beyond the newest
 * `keep` (by modification time), never those named in `protect` (the
 * current and the previous release). Staging directories (".upkeep-*")
 * are not touched. */
int swap_prune_releases(const char *releases, int keep, const char *const *protect,
			size_t n_protect, struct up_error *err);

/* The directory part of path ("/" for "/x", "." for "x"); caller frees. */
char *swap_parent_dir(const char *path);

#endif
