/* archive_tree.h - directory listings of the archive store: the entry
 * model, the canonical serialized form (whose SHA-256 names a listing), and
 * listings and paths read back from the index.
 *
 * Serialized listing: entries sorted by name (bytes), each
 *   u16 name_len | name | u8 type | u32 mode | u32 uid | u32 gid |
 *   i64 mtime_ns | u64 size | i64 ctime_ns | u64 ino | u64 dev |
 *   file: u32 n | n x 32-byte chunk id;  symlink: u32 len | target;
 *   directory: 32-byte id of its listing
 * little-endian. It is the payload of a tree record in a pack.
 */
#ifndef UPKEEP_ARCHIVE_TREE_H
#define UPKEEP_ARCHIVE_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "hash.h"
#include "util.h"

struct sqlite3;

enum archive_type { ARCHIVE_FILE = 1, ARCHIVE_DIR = 2, ARCHIVE_SYMLINK = 3 };

struct archive_entry {
	char *name;              /* raw bytes, NUL-terminated; name_len excludes the NUL */
	size_t name_len;
	enum archive_type type;
	uint32_t mode, uid, gid; /* mode: permission bits (07777) */
	int64_t mtime_ns, ctime_ns;
	uint64_t size, ino, dev;
	char *link;              /* symlink target, NUL-terminated */
	size_t link_len;
	uint8_t sub_hash[HASH_LEN]; /* directory: its listing's id */
	int64_t subtree;         /* directory: its listing's row in the index, 0 = none yet */
	uint8_t *chunks;         /* file: n_chunks x HASH_LEN */
	uint32_t n_chunks;
};

/* (Not archive_entry_clear: libarchive exports that name, and a definition
 * here would take its place inside libarchive.) */
void archive_entry_release(struct archive_entry *e);
void archive_entries_free(struct archive_entry **e, size_t n);
const char *archive_type_name(enum archive_type t);

/* Sorts entries by name, bytewise (the canonical order). */
void archive_entries_sort(struct archive_entry *e, size_t n);
/* Appends the serialized listing of sorted entries to out. */
void archive_tree_serialize(const struct archive_entry *e, size_t n, struct strbuf *out);

/* Parses a serialized listing (a tree record's payload) into entries with
 * sub_hash set and subtree 0. -1 when it is malformed (truncated, a bad
 * type or name). */
int archive_tree_parse(const uint8_t *data, size_t len, struct archive_entry **out, size_t *n);

/* The entries of listing `tree` (row id), sorted by name. */
int archive_tree_load(struct sqlite3 *db, int64_t tree, struct archive_entry **out, size_t *n,
		      struct up_error *err);
/* Binary search in sorted entries; -1 when absent. */
long archive_tree_find(const struct archive_entry *e, size_t n, const char *name, size_t len);

/* True when name is a usable single path component: not empty, ".", ".."
 * and without '/' or NUL. */
bool archive_name_ok(const char *name, size_t len);

/* Resolves a relative path ("a/b/c", no "." or "..") from listing `root`.
 * Returns 1 and fills *out (a copy; clear it) when found, 0 when absent,
 * -1 on error. An empty path or "." gives a directory entry for the root. */
int archive_tree_lookup(struct sqlite3 *db, int64_t root, const char *path,
			struct archive_entry *out, struct up_error *err);

#endif
