/* chunker.h - content-defined chunking (FastCDC: a gear rolling hash with
 * normalized chunking). A cut depends only on the bytes just before it, so
 * inserting or deleting bytes early in a file moves the cut points after
 * the edit with the data: only the chunks around the edit change. */
#ifndef UPKEEP_CHUNKER_H
#define UPKEEP_CHUNKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct chunker_params {
	size_t min, avg, max; /* avg a power of two; min < avg < max */
};

/* 256 KiB / 1 MiB / 4 MiB: what the archive store uses. */
#define CHUNKER_MIN (256u << 10)
#define CHUNKER_AVG (1u << 20)
#define CHUNKER_MAX (4u << 20)
extern const struct chunker_params chunker_default;

/* The length of the chunk that starts at buf[0], given len bytes of data
 * from there. eof says that no data follows buf[len - 1]. Returns 0 when
 * more data is needed to decide (only when !eof and len < p->max); at eof,
 * a remainder shorter than p->min is one chunk. len == 0 at eof gives 0. */
size_t chunker_next(const struct chunker_params *p, const uint8_t *buf, size_t len, bool eof);

#endif
