/* stage.h - writing a release tree from a cache repository into a fresh
 * staging directory beside the target, and carrying preserved paths over.
 *
 * The tree is untrusted: every entry is written by upkeep itself, one path
 * component at a time, relative to directory descriptors of directories it
 * just created (mkdirat, openat with O_EXCL|O_NOFOLLOW, symlinkat), so no
 * entry can land outside the staging directory by construction. Rejected,
 * each with its own message, before anything is swapped in:
 *   - names "", ".", "..", names with '/', ".git" in any case, also with
 *     trailing dots or spaces or an NTFS stream suffix (".git::$INDEX"),
 *     and its 8.3 short name "git~1" (harmless on Linux, refused like git's
 *     core.protectNTFS so a tree upkeep accepts is safe on any checkout);
 *   - two names in one directory equal when case-folded (ASCII);
 *   - modes other than 100644, 100755, 120000 and 040000 (so gitlinks too);
 *   - symlink targets that are empty, absolute, contain NUL, or contain a
 *     ".." after a normal component, or more leading ".." than the link's
 *     depth: targets may only climb first and then descend, which keeps
 *     chains of links inside the tree too;
 *   - more entries, depth or bytes than the limits.
 * The file system is then synced (syncfs: every file and directory
 * written, in one pass) and the staging root's parent fsynced.
 */
#ifndef UPKEEP_STAGE_H
#define UPKEEP_STAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "error.h"

struct stage_limits {
	size_t max_entries;      /* default 1,000,000 */
	int max_depth;           /* default 256 */
	long long max_bytes;     /* total size of blobs, default 64 GiB */
	/* Polled before each entry and each 64 KiB written (cancel.h): once
	 * set, the write stops with UP_ERR_CANCELLED and the partial directory
	 * is removed. NULL: never. */
	const volatile int *cancel;
};
#define STAGE_LIMITS_DEFAULT { 1000000, 256, 64LL << 30, NULL }

struct stage_stats {
	size_t files, dirs, links;
	long long bytes;
};

/* Why a tree entry name is refused, or NULL when it is acceptable. */
const char *stage_name_problem(const char *name);
/* Why a symlink target is refused, or NULL. depth is how many directories
 * below the tree's root the link lies (0 for a link at the top). */
const char *stage_link_problem(const char *target, size_t len, int depth);

/* Creates dir (mode 0700 until finished) and writes tree TREE_ID (40 hex
 * digits) of the bare repository at repo_dir into it. The root gets the
 * mode of `like` (and its owner when running as root; every entry too).
 * dir must not exist. On failure the partial directory is removed. */
int stage_write_tree(const char *repo_dir, const char *tree_id, const char *dir,
		     const struct stat *like, const struct stage_limits *lim,
		     struct stage_stats *stats, struct up_error *err);

/* Copies each preserved path (relative, normalized as in config) that
 * exists under live into dir, replacing what the release has there.
 * Copies, not moves: the live tree keeps the data exactly as it was, so
 * swapping back on a rollback restores it even if the new release has
 * changed its copy. Missing preserved paths are skipped. Fsyncs what it
 * writes. */
int stage_carry_preserved(const char *live, const char *dir, char *const *paths, size_t n,
			  struct up_error *err);

/* UP_ERR_CANCELLED with "stage DIR cancelled" when lim->cancel is set. */
int stage_check_cancel(const struct stage_limits *lim, const char *dir, struct up_error *err);
/* Removes a tree (no symlinks followed). Returns 0 when it is gone. */
int stage_remove_tree(const char *dir, struct up_error *err);

/* Sums the blob sizes and counts the entries of a tree, for the free
 * space check; fails beyond lim->max_entries. lim may be NULL. */
int stage_tree_size(const char *repo_dir, const char *tree_id, const struct stage_limits *lim,
		    long long *bytes, size_t *entries, struct up_error *err);

/* Reads regular file NAME (a path: "SHA256SUMS", "dist/SUMS") of the tree (at most max bytes).
 * Returns 1 and sets *data (NUL-terminated) when it exists, 0 when not. */
int stage_read_file(const char *repo_dir, const char *tree_id, const char *name, size_t max,
		    char **data, size_t *len, struct up_error *err);

/* PARENT/.upkeep-stage-NAME-PID for a live path PARENT/BASE. */
char *stage_dir_for(const char *live, const char *name);

/* fsyncs a directory (its entries: renames, creations, removals).
 * UPKEEP_TEST_SKIP_DIRSYNC=1 makes it do nothing, for the crash tests'
 * mutation check only. */
int stage_fsync_dir(const char *dir, struct up_error *err);

#endif
