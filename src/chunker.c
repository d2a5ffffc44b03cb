/* chunker.c - FastCDC-style chunk boundaries. */
#include "config.h"

#include "chunker.h"

#include <pthread.h>

const struct chunker_params chunker_default = { CHUNKER_MIN, CHUNKER_AVG, CHUNKER_MAX };

static uint64_t gear[256];
static pthread_once_t gear_once = PTHREAD_ONCE_INIT;

/* splitmix64 from a fixed seed: the table, and so every cut point, is part
 * of the on-disk format (dedup across versions depends on it). */
static void gear_init(void)
{
	uint64_t x = 0x75706b6565702121ULL; /* "upkeep!!" */
	for (int i = 0; i < 256; i++) {
		uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		gear[i] = z ^ (z >> 31);
	}
}

static unsigned log2_floor(size_t v)
{
	unsigned b = 0;
	while (v >>= 1)
		b++;
	return b;
}

/* The top `bits` bits: they depend on the last `bits` bytes hashed. */
static uint64_t high_mask(unsigned bits)
{
	return bits >= 64 ? ~0ULL : ~0ULL << (64 - bits);
}

size_t chunker_next(const struct chunker_params *p, const uint8_t *buf, size_t len, bool eof)
{
	pthread_once(&gear_once, gear_init);
	if (len <= p->min)
		return eof ? len : 0;
	unsigned bits = log2_floor(p->avg);
	/* Normalized chunking: harder to cut before avg, easier after. */
	uint64_t mask_s = high_mask(bits + 2), mask_l = high_mask(bits > 2 ? bits - 2 : 1);
	size_t end = len < p->max ? len : p->max, normal = p->avg < end ? p->avg : end;
	uint64_t h = 0;
	size_t i = p->min;
	for (; i < normal; i++) {
		h = (h << 1) + gear[buf[i]];
		if (!(h & mask_s))
			return i + 1;
	}
	for (; i < end; i++) {
		h = (h << 1) + gear[buf[i]];
		if (!(h & mask_l))
			return i + 1;
	}
	if (end == p->max)
		return p->max;
	return eof ? len : 0;
}
