/* pack.h - append-only archive (pack) files of the archive store.
 *
 * A pack is "UPKPACK1" followed by records. A record is a 40-byte header,
 * a table of n entries (SHA-256 id, u32 raw length) and one zstd frame:
 *
 *   "UPKR" | u8 type | u8 0 | u16 0 | u32 n | u64 raw_len | u64 comp_len |
 *   u64 check | n x (32-byte id, u32 length) | comp_len bytes of zstd
 *
 * little-endian; check = the first 8 bytes (LE) of SHA-256 over the first
 * 32 header bytes and the table. A block record holds chunks: the frame
 * decompresses to their data, concatenated in table order. A tree record
 * holds one directory listing (its id is the SHA-256 of the listing), a
 * snapshot record a snapshot's metadata. So a pack alone says which chunks
 * it holds and which snapshots it completes: enough to rebuild the index.
 *
 * Durability: a writer appends records, then pack_writer_finish() fsyncs the
 * file and its directory; only then may index rows that point into the pack
 * commit. A pack that no index row names is garbage (a killed run's).
 */
#ifndef UPKEEP_PACK_H
#define UPKEEP_PACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "hash.h"

#define PACK_MAGIC "UPKPACK1"
#define PACK_MAGIC_LEN 8
#define PACK_HEADER_LEN 40
#define PACK_ENTRY_LEN (HASH_LEN + 4)
#define PACK_MAX_ENTRIES (1u << 20)
#define PACK_MAX_RAW (64u << 20)

enum pack_record_type { PACK_BLOCK = 1, PACK_TREE = 2, PACK_SNAPSHOT = 3 };

struct pack_entry {
	uint8_t id[HASH_LEN];
	uint32_t length;
};

/* ---- writing (one writer per pack; records may come from many threads) */
struct pack_writer;

/* Creates dir/name exclusively (O_EXCL) and writes the magic. */
int pack_writer_create(const char *dir, const char *name, struct pack_writer **out,
		       struct up_error *err);
/* Compresses raw (raw_len = the sum of the entries' lengths) at zstd level
 * `level` in the calling thread, then appends the record; *offset is where
 * its header starts. Thread-safe. */
int pack_write_record(struct pack_writer *w, enum pack_record_type type,
		      const struct pack_entry *entries, uint32_t n, const void *raw,
		      size_t raw_len, int level, uint64_t *offset, struct up_error *err);
/* fsyncs the file, then its directory; *size is the pack's final size. */
int pack_writer_finish(struct pack_writer *w, uint64_t *size, struct up_error *err);
/* Closes; with remove, unlinks the file (a failed run's pack). */
void pack_writer_free(struct pack_writer **w, bool remove);
const char *pack_writer_path(const struct pack_writer *w);

/* ---- reading */
struct pack_record {
	enum pack_record_type type;
	uint32_t n;
	struct pack_entry *entries;
	size_t *offsets;       /* offsets[i]: where entry i starts in data */
	uint8_t *data;         /* raw_len bytes, decompressed */
	size_t raw_len;
	uint64_t next;         /* offset of the following record */
};
void pack_record_clear(struct pack_record *rec);

/* Reads and decompresses the record at offset of the open pack fd (path for
 * messages). Damage (bad magic, check, frame or sizes) gives
 * UP_ERR_MISMATCH naming the pack and offset. */
int pack_read_record(int fd, const char *path, uint64_t offset, struct pack_record *rec,
		     struct up_error *err);
/* The same without the data: type, n, entries, raw_len and next only
 * (data and offsets stay NULL). */
int pack_read_header(int fd, const char *path, uint64_t offset, struct pack_record *rec,
		     struct up_error *err);
/* Checks the magic at the start of an open pack. */
int pack_check_magic(int fd, const char *path, struct up_error *err);
/* True when entry i's data hashes to its id. */
bool pack_record_entry_ok(const struct pack_record *rec, uint32_t i);

#endif
