/* test_escape.c - the terminal sanitizer against hostile text. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "util.h"

#define ELLIPSIS "\xe2\x80\xa6"

/* escape_text over a C string, compared with want. */
static void check(const char *in, size_t max_chars, unsigned flags, const char *want)
{
	char *got = escape_text(in, (size_t)-1, max_chars, flags);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void check_len(const char *in, size_t len, const char *want)
{
	char *got = escape_text(in, len, 0, 0);
	assert_string_equal(got, want);
	free(got);
}

/* Characters (code points) in a UTF-8 string. */
static size_t count_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* No byte a terminal acts on: C0, DEL; no C1 or bidi control in UTF-8 form;
 * and, in ASCII mode, nothing above 0x7e. */
static void assert_terminal_safe(const char *s, bool ascii)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; p[i]; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			fail_msg("control byte 0x%02x at %zu", p[i], i);
		if (ascii && p[i] > 0x7e)
			fail_msg("non-ASCII byte 0x%02x at %zu", p[i], i);
		if (p[i] == 0xc2 && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
			fail_msg("C1 control at %zu", i);
		if (p[i] == 0xe2 && p[i + 1] == 0x80 && p[i + 2] >= 0xaa && p[i + 2] <= 0xae)
			fail_msg("bidi control at %zu", i);
		if (p[i] == 0xe2 && p[i + 1] == 0x81 && p[i + 2] >= 0xa6 && p[i + 2] <= 0xa9)
			fail_msg("bidi isolate at %zu", i);
	}
}

static void test_plain_text(void **state)
{
	(void)state;
	check("v1.2.3 release notes", 0, 0, "v1.2.3 release notes");
	check("", 0, 0, "");
	check("C:\\path\\x41", 0, 0, "C:\\path\\x41"); /* backslashes stay */
	check("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80", 0, 0, "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80");
	char *got = escape_text(NULL, 5, 10, 0);
	assert_string_equal(got, "");
	free(got);
}

static void test_terminal_sequences(void **state)
{
	(void)state;
	check("\x1b[2J", 0, 0, "\\e[2J");                         /* clear screen */
	check("\x1b[6n", 0, 0, "\\e[6n");                         /* cursor report */
	check("\x1b]52;c;ZXZpbA==\x07", 0, 0, "\\e]52;c;ZXZpbA==\\x07"); /* OSC 52 */
	check("\x1b]0;title\x1b\\", 0, 0, "\\e]0;title\\e\\");
	check("a\x9b" "6n", 0, 0, "a\\x9b6n");                    /* raw 8-bit CSI */
	check("a\xc2\x9b" "6n", 0, 0, "a\\u009b6n");              /* U+009B */
	check("\xc2\x80\xc2\x9f", 0, 0, "\\u0080\\u009f");
	check("\xc2\xa0", 0, 0, "\xc2\xa0");                      /* U+00A0 is text */
}

static void test_bidi_controls(void **state)
{
	(void)state;
	check("abc\xe2\x80\xae" "fdp.exe", 0, 0, "abc\\u202efdp.exe");
	check("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad", 0, 0,
	      "\\u202a\\u202b\\u202c\\u202d");
	check("\xe2\x81\xa6x\xe2\x81\xa7x\xe2\x81\xa8x\xe2\x81\xa9", 0, 0,
	      "\\u2066x\\u2067x\\u2068x\\u2069");
	check("\xe2\x80\xa9\xe2\x81\xaa", 0, 0, "\xe2\x80\xa9\xe2\x81\xaa"); /* neighbours kept */
}

static void test_c0_and_del(void **state)
{
	(void)state;
	check("a\x07" "b", 0, 0, "a\\x07b");
	check("line1\nline2\tx\r", 0, 0, "line1\\x0aline2\\x09x\\x0d");
	check("\x01\x1f\x7f", 0, 0, "\\x01\\x1f\\x7f");
	check("\x08\x08\x08" "ok", 0, 0, "\\x08\\x08\\x08ok");
}

static void test_keep_newlines(void **state)
{
	(void)state;
	check("line1\nline2\tx\r\n", 0, ESCAPE_KEEP_NEWLINES, "line1\nline2\tx\\x0d\n");
	check("a\n\x1b[2Jb", 0, ESCAPE_KEEP_NEWLINES, "a\n\\e[2Jb");
	check("\x0b\x0c", 0, ESCAPE_KEEP_NEWLINES, "\\x0b\\x0c");
}

static void test_nul_inside(void **state)
{
	(void)state;
	check_len("a\0b", 3, "a\\x00b");
	check_len("\0", 1, "\\x00");
	check_len("abc", 2, "ab"); /* len is honoured */
	check_len("", 0, "");
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	check("\xff", 0, 0, "\\xff");
	check("\x80" "a", 0, 0, "\\x80a");                         /* lone continuation */
	check("\xc0\xaf", 0, 0, "\\xc0\\xaf");                     /* overlong '/' */
	check("\xc1\xbf", 0, 0, "\\xc1\\xbf");
	check("\xe0\x80\xaf", 0, 0, "\\xe0\\x80\\xaf");            /* overlong, 3 bytes */
	check("\xf0\x80\x80\xaf", 0, 0, "\\xf0\\x80\\x80\\xaf");   /* overlong, 4 bytes */
	check("\xed\xa0\x80", 0, 0, "\\xed\\xa0\\x80");            /* surrogate D800 */
	check("\xed\xbf\xbf", 0, 0, "\\xed\\xbf\\xbf");            /* surrogate DFFF */
	check("\xf4\x90\x80\x80", 0, 0, "\\xf4\\x90\\x80\\x80");   /* U+110000 */
	check("\xf5\x80\x80\x80", 0, 0, "\\xf5\\x80\\x80\\x80");
	check("a\xe2\x80", 0, 0, "a\\xe2\\x80");                   /* cut at the end */
	check("\xe2\x80z", 0, 0, "\\xe2\\x80z");                   /* cut by ASCII */
	check("\xf0\x9f\x98", 0, 0, "\\xf0\\x9f\\x98");
	check("\xc3\x1b", 0, 0, "\\xc3\\e");                       /* cut by a control */
	/* The largest valid code points pass. */
	check("\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf", 0, 0,
	      "\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf");
	/* A cut sequence at the end of a len-given buffer is not read past. */
	check_len("\xe2\x80\xa6", 2, "\\xe2\\x80");
}

static void test_truncation(void **state)
{
	(void)state;
	check("abcdefghij", 5, 0, "abcd" ELLIPSIS);
	check("abcdefghij", 10, 0, "abcdefghij");
	check("abcdefghij", 11, 0, "abcdefghij");
	check("abcdefghij", 9, 0, "abcdefgh" ELLIPSIS);
	check("abcdefghij", 1, 0, ELLIPSIS);
	check("abcdefghij", 5, ESCAPE_ASCII, "ab...");
	check("abcdefghij", 3, ESCAPE_ASCII, "...");
	check("abcdefghij", 2, ESCAPE_ASCII, "..");
	check("abc", 3, ESCAPE_ASCII, "abc");
	/* Characters, not bytes. */
	check("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 3, 0, "\xc3\xa9\xc3\xa9" ELLIPSIS);
	check("\xc3\xa9\xc3\xa9\xc3\xa9", 3, 0, "\xc3\xa9\xc3\xa9\xc3\xa9");
	/* Escapes count as what they show, and are never split. */
	check("ab\x1b", 4, 0, "ab\\e");
	check("ab\x1b" "cd", 4, 0, "ab" ELLIPSIS);
	check("ab\x1b" "cd", 5, 0, "ab\\e" ELLIPSIS);
	check("\x07\x07\x07", 6, 0, "\\x07" ELLIPSIS);
	check("a\xe2\x80\xae" "bcdefgh", 7, 0, "a" ELLIPSIS);
	check("a\xe2\x80\xae" "bcdefgh", 8, 0, "a\\u202e" ELLIPSIS);
	check("line1\nline2", 8, ESCAPE_KEEP_NEWLINES, "line1\nl" ELLIPSIS);
}

static void test_ascii_mode(void **state)
{
	(void)state;
	check("caf\xc3\xa9", 0, ESCAPE_ASCII, "caf\\u00e9");
	check("\xe2\x9c\x93", 0, ESCAPE_ASCII, "\\u2713");
	check("\xf0\x9f\x98\x80", 0, ESCAPE_ASCII, "\\U0001f600");
	check("\xe2\x80\xae\x1b\xff", 0, ESCAPE_ASCII, "\\u202e\\e\\xff");
	check("plain", 0, ESCAPE_ASCII, "plain");
	char *got = escape_text("\xc3\xa9\xc3\xa9\xc3\xa9", (size_t)-1, 10, ESCAPE_ASCII);
	assert_string_equal(got, "\\u00e9...");
	assert_terminal_safe(got, true);
	free(got);
}

/* Every byte value, over and over: a hostile 1 MB tag message. */
static char *hostile_input(size_t n)
{
	char *buf = xmalloc(n);
	uint32_t x = 2463534242u;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (char)(i % 3 ? (x & 0xff) : (i & 0xff));
	}
	return buf;
}

static void test_large_input(void **state)
{
	(void)state;
	size_t n = 1024 * 1024;
	char *in = hostile_input(n);
	char *out = escape_text(in, n, 0, 0);
	assert_true(strlen(out) >= n);
	assert_terminal_safe(out, false);
	/* Escaped text contains nothing left to escape. */
	char *again = escape_text(out, (size_t)-1, 0, 0);
	assert_string_equal(again, out);
	free(again);
	free(out);

	out = escape_text(in, n, 0, ESCAPE_ASCII);
	assert_terminal_safe(out, true);
	free(out);

	out = escape_text(in, n, 80, 0);
	assert_true(count_chars(out) <= 80);
	assert_terminal_safe(out, false);
	assert_int_equal(memcmp(out + strlen(out) - 3, ELLIPSIS, 3), 0);
	free(out);
	free(in);

	/* 4 KB of ESC: every byte becomes two characters. */
	in = xmalloc(4096);
	memset(in, 0x1b, 4096);
	out = escape_text(in, 4096, 0, 0);
	assert_int_equal(strlen(out), 8192);
	for (size_t i = 0; i < 8192; i += 2)
		assert_memory_equal(out + i, "\\e", 2);
	free(out);
	free(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_text),
		cmocka_unit_test(test_terminal_sequences),
		cmocka_unit_test(test_bidi_controls),
		cmocka_unit_test(test_c0_and_del),
		cmocka_unit_test(test_keep_newlines),
		cmocka_unit_test(test_nul_inside),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_ascii_mode),
		cmocka_unit_test(test_large_input),
	};
	return cmocka_run_group_tests_name("escape", tests, NULL, NULL);
}
