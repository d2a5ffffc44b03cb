/* archive_index.h - the archive store's SQLite index, ARCHIVE_DIR/index.db.
 *
 * Same discipline as the state database (store.h): WAL, synchronous=FULL,
 * wal_autocheckpoint off, every write transaction and checkpoint under an
 * exclusive flock on ARCHIVE_DIR/index.lock, user_version migrations, a
 * database newer than this binary refused, quick_check on open.
 *
 * A second lock, ARCHIVE_DIR/archive.lock, is held by whoever adds or removes
 * archive files (a backup, for its whole run): while holding it, a pack that
 * no index row names is a killed run's garbage and may be removed.
 *
 * Tables: packs (archive files), chunks (id -> pack, block record offset,
 * offset and length in the block's data), trees (directory listings by
 * SHA-256 of their serialized form, shared by snapshots) and their entries,
 * snapshots.
 */
#ifndef UPKEEP_ARCHIVE_INDEX_H
#define UPKEEP_ARCHIVE_INDEX_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

/* 1: packs, chunks, trees, entries, snapshots. 2: snapshots.record.
 * 3: snapshots.verified_at, verified_data, verify_error. */
#define ARCHIVE_SCHEMA_VERSION 3

struct archive_index;
struct sqlite3;

/* The archive directory of a state directory: STATE_DIR/archive. */
char *archive_dir_for(const char *state_dir);

/* Opens (creating dir, dir/packs and the database when needed) the index. */
int archive_index_open(const char *dir, long long lock_timeout_ms, struct archive_index **out,
		       struct up_error *err);
void archive_index_close(struct archive_index **idx);
/* The connection is opened without SQLite's own mutexes: one thread at a
 * time uses it. Other threads open connections of their own to
 * archive_index_db_path() (chunk readers do). */
struct sqlite3 *archive_index_db(struct archive_index *idx);
const char *archive_index_db_path(const struct archive_index *idx);
const char *archive_index_dir(const struct archive_index *idx);
/* ARCHIVE_DIR/packs */
const char *archive_index_pack_dir(const struct archive_index *idx);

/* A cancel flag (cancel.h) that prune and repack poll between their
 * atomic units (before the removal's transaction, between archive files);
 * NULL (the default): never. */
void archive_index_set_cancel(struct archive_index *idx, const volatile int *cancel);
bool archive_index_cancelled(const struct archive_index *idx);

/* The archive lock (see above): waits up to the open's timeout. */
int archive_index_lock_archive(struct archive_index *idx, struct up_error *err);
void archive_index_unlock_archive(struct archive_index *idx);

/* Write transactions under index.lock (BEGIN IMMEDIATE ... COMMIT). */
int archive_index_write_begin(struct archive_index *idx, struct up_error *err);
int archive_index_write_commit(struct archive_index *idx, struct up_error *err);
void archive_index_write_rollback(struct archive_index *idx);

/* An error naming the index database, from an SQLite result code. */
int archive_index_fail(struct archive_index *idx, int rc, const char *what,
		       struct up_error *err);

/* A fresh, unique pack file name: "TIME-RANDOM.pack". */
char *archive_index_new_pack_name(void);

/* Removes archive files (and leftovers) that no index row names. Needs the
 * archive lock. *removed counts them. */
int archive_index_remove_garbage(struct archive_index *idx, int *removed, struct up_error *err);

#endif
