/* archive_read.h - reading chunks back from the packs, each verified
 * against its SHA-256 before it is handed out. Keeps the last block record
 * decompressed, so reading a file's chunks in order decompresses each block
 * once. One reader per thread. */
#ifndef UPKEEP_ARCHIVE_READ_H
#define UPKEEP_ARCHIVE_READ_H

#include <stddef.h>
#include <stdint.h>

#include "archive_index.h"
#include "error.h"
#include "hash.h"

struct chunk_reader;

struct chunk_reader *chunk_reader_new(struct archive_index *idx);
void chunk_reader_free(struct chunk_reader **r);

/* Points *data at the chunk's *len bytes (valid until the next call). A
 * chunk missing from the index or the pack, or whose data does not hash to
 * its id, gives UP_ERR_MISMATCH naming the chunk and the pack. */
int chunk_reader_get(struct chunk_reader *r, const uint8_t id[HASH_LEN], const uint8_t **data,
		     size_t *len, struct up_error *err);

#endif
