/* test_chunker.c - SHA-256 and content-defined chunk boundaries. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "chunker.h"
#include "hash.h"
#include "util.h"

/* Deterministic pseudo-random bytes (xorshift64*). */
static void fill_random(uint8_t *p, size_t n, uint64_t seed)
{
	uint64_t x = seed | 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		p[i] = (uint8_t)((x * 0x2545f4914f6cdd1dULL) >> 56);
	}
}

/* All cut points (end offsets) of buf, fed as a whole. */
static size_t cut_all(const struct chunker_params *p, const uint8_t *buf, size_t len, size_t *cuts,
		      size_t max_cuts)
{
	size_t n = 0, pos = 0;
	while (pos < len && n < max_cuts) {
		size_t c = chunker_next(p, buf + pos, len - pos, true);
		assert_true(c > 0);
		pos += c;
		cuts[n++] = pos;
	}
	assert_int_equal(pos, len);
	return n;
}

static void test_sha256_vectors(void **state)
{
	(void)state;
	uint8_t h[HASH_LEN];
	char hex[HASH_HEX_LEN + 1];
	assert_int_equal(hash_sha256("abc", 3, h), 0);
	hash_to_hex(h, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(hash_sha256(NULL, 0, h), 0);
	hash_to_hex(h, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	uint8_t back[HASH_LEN];
	assert_true(hash_from_hex(hex, back));
	assert_true(hash_equal(back, h));
	assert_false(hash_from_hex("e3b0", back));
	assert_false(hash_from_hex(NULL, back));
	char bad[HASH_HEX_LEN + 1];
	memcpy(bad, hex, sizeof(bad));
	bad[10] = 'g';
	assert_false(hash_from_hex(bad, back));
}

static void test_small_is_one_chunk(void **state)
{
	(void)state;
	static uint8_t buf[CHUNKER_MIN];
	fill_random(buf, sizeof(buf), 1);
	assert_int_equal(chunker_next(&chunker_default, buf, sizeof(buf), true), CHUNKER_MIN);
	assert_int_equal(chunker_next(&chunker_default, buf, 10, true), 10);
	assert_int_equal(chunker_next(&chunker_default, buf, 0, true), 0);
	/* not at eof: too little data to decide */
	assert_int_equal(chunker_next(&chunker_default, buf, 100, false), 0);
}

static void test_bounds(void **state)
{
	(void)state;
	size_t len = 64u << 20;
	uint8_t *buf = xmalloc(len);
	fill_random(buf, len, 7);
	size_t cuts[1024];
	size_t n = cut_all(&chunker_default, buf, len, cuts, 1024);
	size_t prev = 0;
	for (size_t i = 0; i < n; i++) {
		size_t sz = cuts[i] - prev;
		assert_true(sz <= CHUNKER_MAX);
		if (i + 1 < n)
			assert_true(sz > CHUNKER_MIN);
		prev = cuts[i];
	}
	/* about 1 MiB on average: 64 MiB gives some tens of chunks */
	assert_in_range(n, 24, 100);
	/* zeros: no content cut, so every chunk is the maximum */
	memset(buf, 0, len);
	assert_int_equal(chunker_next(&chunker_default, buf, len, false), CHUNKER_MAX);
	free(buf);
}

static void test_needs_more_data(void **state)
{
	(void)state;
	size_t len = 8u << 20;
	uint8_t *buf = xmalloc(len);
	fill_random(buf, len, 3);
	size_t whole = chunker_next(&chunker_default, buf, len, true);
	/* with less data than the cut, not at eof: wait for more */
	assert_int_equal(chunker_next(&chunker_default, buf, whole - 1, false), 0);
	/* with the cut in the data: the same cut, eof or not */
	assert_int_equal(chunker_next(&chunker_default, buf, whole + 1, false), whole);
	free(buf);
}

/* Cut points after an insertion (or deletion) are those of the original
 * shifted by the inserted length. */
static void check_shift(size_t at, size_t ins_len)
{
	size_t len = 40u << 20;
	uint8_t *a = xmalloc(len), *b = xmalloc(len + ins_len);
	fill_random(a, len, 11);
	memcpy(b, a, at);
	fill_random(b + at, ins_len, 99);
	memcpy(b + at + ins_len, a + at, len - at);
	size_t ca[256], cb[256];
	size_t na = cut_all(&chunker_default, a, len, ca, 256);
	size_t nb = cut_all(&chunker_default, b, len + ins_len, cb, 256);
	/* cuts before the edit are unchanged */
	size_t same_before = 0;
	for (size_t i = 0; i < na && ca[i] <= at; i++) {
		assert_int_equal(ca[i], cb[i]);
		same_before++;
	}
	/* all but a few cuts after the edit come back, shifted */
	size_t shifted = 0, after = 0;
	for (size_t i = 0; i < na; i++) {
		if (ca[i] <= at + CHUNKER_MAX * 2)
			continue;
		after++;
		for (size_t j = 0; j < nb; j++)
			if (cb[j] == ca[i] + ins_len) {
				shifted++;
				break;
			}
	}
	assert_true(after > 5);
	assert_int_equal(shifted, after);
	free(a);
	free(b);
}

static void test_stable_under_insertion(void **state)
{
	(void)state;
	check_shift(0, 1);             /* one byte at the start */
	check_shift(5u << 20, 13);     /* a few bytes in the middle */
	check_shift(9u << 20, 300000); /* more than a minimum chunk */
}

static void test_small_params(void **state)
{
	(void)state;
	struct chunker_params p = { 64, 256, 1024 };
	uint8_t buf[20000];
	fill_random(buf, sizeof(buf), 5);
	size_t cuts[1000];
	size_t n = cut_all(&p, buf, sizeof(buf), cuts, 1000);
	assert_in_range(n, 20, 200);
	size_t prev = 0;
	for (size_t i = 0; i < n; i++) {
		assert_true(cuts[i] - prev <= 1024);
		prev = cuts[i];
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_vectors),
		cmocka_unit_test(test_small_is_one_chunk),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_needs_more_data),
		cmocka_unit_test(test_stable_under_insertion),
		cmocka_unit_test(test_small_params),
	};
	return cmocka_run_group_tests_name("chunker", tests, NULL, NULL);
}
