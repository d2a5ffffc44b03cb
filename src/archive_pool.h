/* archive_pool.h - the backup's worker threads: they hash chunks, drop the
 * ones the store already has (or another worker is storing), compress the
 * rest as one zstd frame per block and append the block to the pack, while
 * the walking thread goes on reading files. */
#ifndef UPKEEP_ARCHIVE_POOL_H
#define UPKEEP_ARCHIVE_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "hash.h"
#include "pack.h"

/* A set of chunk ids (open addressing); not thread-safe by itself. */
struct chunk_set;
struct chunk_set *chunk_set_new(void);
void chunk_set_free(struct chunk_set **s);
/* Adds id; returns true when it was not there yet. */
bool chunk_set_add(struct chunk_set *s, const uint8_t id[HASH_LEN]);
bool chunk_set_has(const struct chunk_set *s, const uint8_t id[HASH_LEN]);
size_t chunk_set_count(const struct chunk_set *s);

/* Where a new chunk went. */
struct chunk_loc {
	uint8_t id[HASH_LEN];
	uint64_t block;          /* record offset in the pack */
	uint32_t offset, length; /* in the block's data */
};

/* Blocks are sent to the workers once they hold this much data. */
#define POOL_BLOCK_BYTES (3u << 20)

struct backup_pool;

/* threads >= 1. known: the ids already stored (the pool adds to it, and
 * owns it from now on). */
struct backup_pool *backup_pool_start(struct pack_writer *w, int level, int threads,
				      struct chunk_set *known);
/* Room for a chunk of len bytes (<= CHUNKER_MAX) in the current block; the
 * caller writes the data there before the next call. Its id will be written
 * to hash_out (HASH_LEN bytes that must stay valid until finish). May wait
 * for a worker. */
uint8_t *backup_pool_reserve(struct backup_pool *p, size_t len, uint8_t *hash_out);
/* The last reserved chunk holds only len bytes (a file that shrank). */
void backup_pool_shrink_last(struct backup_pool *p, size_t len);
/* Sends the last block, waits for the workers, stops them. Returns the new
 * chunks' locations, and the first error of any worker. */
int backup_pool_finish(struct backup_pool **p, struct chunk_loc **locs, size_t *n,
		       struct up_error *err);

#endif
