/* asset_extract.h - writing an untrusted release archive (tar in any of
 * libarchive's compressions: gzip, xz, zstd, bzip2...; or zip, told apart
 * by content, not by name) into a fresh staging directory.
 *
 * The rules are those of stage.h for git trees, with the same messages:
 * every path component is checked with stage_name_problem() (so "..",
 * ".git" and empty components are refused; a leading "./" and a trailing
 * "/" are not components), absolute paths are refused, symlink targets go
 * through stage_link_problem() at the link's depth, two entries equal when
 * case-folded are refused, and so are devices, FIFOs and sockets. A hard
 * link must name a regular file extracted before it. Entries are created
 * by upkeep one component at a time below directory descriptors it opened
 * with O_NOFOLLOW (files with O_EXCL), so an entry that names a path
 * through a symlink of the archive fails instead of leaving the tree.
 * Directories named by no entry are created as needed. The tree is made
 * durable with one syncfs() of its file system at the end (then its
 * parent directory is fsynced), not a fsync per file. Modes are as for
 * git trees: 0755 when any execute bit is set, else 0644; directories
 * 0755; owner like `like` when running as root.
 *
 * strip_components drops that many leading components (as tar's option);
 * entries with no more components are skipped.
 */
#ifndef UPKEEP_ASSET_EXTRACT_H
#define UPKEEP_ASSET_EXTRACT_H

#include <sys/stat.h>

#include "error.h"
#include "stage.h"

/* Creates dir (it must not exist) and extracts the archive file into it.
 * On failure the directory is removed; UP_ERR_MISMATCH for a refused
 * entry or a damaged archive, UP_ERR_IO for the file system. */
int asset_extract(const char *archive_file, const char *dir, int strip_components,
		  const struct stat *like, const struct stage_limits *lim,
		  struct stage_stats *stats, struct up_error *err);

#endif
