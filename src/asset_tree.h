/* asset_tree.h - the listing of an extracted release asset, kept so that
 * the live tree can be compared with the release it came from.
 *
 * A target whose payload is an archive has no git tree to compare the live
 * tree with (drift before an install, `adopt`). When an asset is extracted,
 * upkeep lists the result - every path with git's mode (040000, 0100644,
 * 0100755, 0120000) and git's blob id of its content - in
 * CACHE_DIR/asset-trees/TARGET/SHA256.tree, named by the SHA-256 of the
 * verified archive. Records are "MODE BLOB PATH" ended by a NUL (paths may
 * hold newlines), parents before their entries. The listing of the
 * installed release is kept; the others go after an install succeeds.
 */
#ifndef UPKEEP_ASSET_TREE_H
#define UPKEEP_ASSET_TREE_H

#include <sys/stat.h>

#include "conf.h"
#include "error.h"
#include "source.h"

/* The target's listings: CACHE_DIR/asset-trees/TARGET */
char *asset_tree_dir(const struct config *cfg, const struct target_cfg *t);
/* DIR/SHA256.tree */
char *asset_tree_file(const char *dir, const char *sha256);

/* Lists the tree extracted in dir into file (written beside it and
 * renamed, so a listing is whole or absent). */
int asset_tree_write(const char *dir, const char *file, struct up_error *err);

/* The listing of a verified archive (named by its SHA-256) in dir, made
 * when missing by extracting the archive into a scratch directory beside
 * it (removed after). *file is owned by the caller. */
int asset_tree_of_archive(const char *dir, const char *archive, const char *sha256,
			  int strip_components, const struct stat *like, char **file,
			  struct up_error *err);

/* Calls cb for each record of file, as source_walk_tag_tree() does for a
 * git tree (a positive return skips a directory's entries). Returns 0, 1
 * when cb stopped, -1 on error (a missing file is UP_ERR_NOT_FOUND). */
int asset_tree_walk(const char *file, source_tree_cb cb, void *data, struct up_error *err);

/* Removes the listings of dir other than keep_sha256's. */
void asset_tree_prune(const char *dir, const char *keep_sha256);

#endif
