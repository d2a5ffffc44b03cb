/* test_version.c - version schemes: parsing, ordering, canonical text. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "version.h"

static void init_ok(struct version_parser *p, enum version_scheme s, const char *prefix,
		    const char *regex)
{
	struct up_error err = UP_ERROR_INIT;
	int rc = version_parser_init(p, s, prefix, regex, &err);
	if (rc != 0)
		fail_msg("parser init failed: %s", err.msg ? err.msg : "(no message)");
	err_clear(&err);
}

static bool parses(const struct version_parser *p, const char *tag)
{
	struct version v;
	bool ok = version_parse(p, tag, &v);
	version_free(&v);
	return ok;
}

static void assert_parses(const struct version_parser *p, const char *tag)
{
	if (!parses(p, tag))
		fail_msg("tag \"%s\" should parse", tag);
}

static void assert_rejects(const struct version_parser *p, const char *tag)
{
	if (parses(p, tag))
		fail_msg("tag \"%s\" should be rejected", tag ? tag : "(null)");
}

/* Sign of compare(a, b), both tags required to parse. */
static int cmp_tags(const struct version_parser *p, const char *a, const char *b)
{
	struct version va, vb;
	if (!version_parse(p, a, &va))
		fail_msg("tag \"%s\" should parse", a);
	if (!version_parse(p, b, &vb))
		fail_msg("tag \"%s\" should parse", b);
	int c = version_compare(&va, &vb);
	version_free(&va);
	version_free(&vb);
	return (c > 0) - (c < 0);
}

/* Each tag sorts strictly before all later ones, and equal to itself. */
static void assert_ascending(const struct version_parser *p, const char *const *tags, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(cmp_tags(p, tags[i], tags[i]), 0);
		for (size_t j = i + 1; j < n; j++) {
			if (cmp_tags(p, tags[i], tags[j]) != -1 || cmp_tags(p, tags[j], tags[i]) != 1)
				fail_msg("expected %s < %s", tags[i], tags[j]);
		}
	}
}

static void assert_text(const struct version_parser *p, const char *tag, const char *text)
{
	struct version v;
	if (!version_parse(p, tag, &v))
		fail_msg("tag \"%s\" should parse", tag);
	assert_string_equal(v.text, text);
	version_free(&v);
}

static void test_semver_precedence(void **state)
{
	(void)state;
	static const char *const tags[] = {
		"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
		"1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0",
		"1.0.1-0", "1.0.1", "1.9.0", "1.10.0", "1.11.0", "2.0.0", "10.0.0",
	};
	struct version_parser p;
	init_ok(&p, SCHEME_SEMVER, NULL, NULL);
	assert_ascending(&p, tags, sizeof(tags) / sizeof(tags[0]));
	/* Numeric identifiers sort before alphanumeric ones, numerically. */
	assert_int_equal(cmp_tags(&p, "1.0.0-2", "1.0.0-10"), -1);
	assert_int_equal(cmp_tags(&p, "1.0.0-999", "1.0.0-a"), -1);
	assert_int_equal(cmp_tags(&p, "1.0.0-rc.1", "1.0.0-rc.1.0"), -1);
	assert_int_equal(cmp_tags(&p, "1.0.0-Z", "1.0.0-a"), -1); /* ASCII order */
	assert_int_equal(cmp_tags(&p, "1.0.0-rc", "1.0.0-rc-1"), -1);
	version_parser_free(&p);
}

static void test_semver_fields(void **state)
{
	(void)state;
	struct version_parser p;
	init_ok(&p, SCHEME_SEMVER, NULL, NULL);
	struct version v;
	assert_true(version_parse(&p, "v1.22.333-rc.1+build.7", &v));
	assert_int_equal(v.scheme, SCHEME_SEMVER);
	assert_int_equal(v.n_nums, 3);
	assert_string_equal(v.nums[0], "1");
	assert_string_equal(v.nums[1], "22");
	assert_string_equal(v.nums[2], "333");
	assert_string_equal(v.pre, "rc.1");
	assert_string_equal(v.text, "1.22.333-rc.1");
	assert_true(version_is_prerelease(&v));
	version_free(&v);
	assert_null(v.text);

	assert_true(version_parse(&p, "0.0.0", &v));
	assert_null(v.pre);
	assert_false(version_is_prerelease(&v));
	assert_string_equal(v.text, "0.0.0");
	version_free(&v);
	version_parser_free(&p);
}

static void test_semver_leading_zeros(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"01.2.3", "1.02.3", "1.2.03", "00.0.0", "v01.2.3", "1.2.3-01", "1.2.3-rc.01",
		"1.2.3-rc.00",
	};
	static const char *const good[] = {
		"0.0.0", "1.0.0-0", "1.2.3-rc.0", "1.2.3-0a", "1.2.3-rc.0a1", "1.2.3+001",
		"1.2.3-rc.1+0.00",
	};
	struct version_parser p;
	init_ok(&p, SCHEME_SEMVER, NULL, NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_rejects(&p, bad[i]);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_parses(&p, good[i]);
	version_parser_free(&p);
}

static void test_semver_big_numbers(void **state)
{
	(void)state;
	struct version_parser p;
	init_ok(&p, SCHEME_SEMVER, NULL, NULL);
	assert_int_equal(cmp_tags(&p, "1.0.18446744073709551616", "1.0.18446744073709551615"), 1);
	assert_int_equal(cmp_tags(&p, "1.0.99999999999999999999", "1.0.100000000000000000000"), -1);
	assert_int_equal(cmp_tags(&p, "123456789012345678901234567890.0.0",
				  "123456789012345678901234567891.0.0"), -1);
	assert_int_equal(cmp_tags(&p, "1.0.0-rc.18446744073709551616",
				  "1.0.0-rc.18446744073709551615"), 1);
	assert_int_equal(cmp_tags(&p, "1.0.0-rc.99999999999999999999",
				  "1.0.0-rc.100000000000000000000"), -1);
	assert_text(&p, "v1.0.18446744073709551616", "1.0.18446744073709551616");
	version_parser_free(&p);
}

static void test_semver_build_ignored(void **state)
{
	(void)state;
	struct version_parser p;
	init_ok(&p, SCHEME_SEMVER, NULL, NULL);
	assert_int_equal(cmp_tags(&p, "1.0.0+build.1", "1.0.0+build.2"), 0);
	assert_int_equal(cmp_tags(&p, "1.0.0+zzz", "1.0.0"), 0);
	assert_int_equal(cmp_tags(&p, "1.0.0-rc.1+a", "1.0.0-rc.1+b"), 0);
	assert_int_equal(cmp_tags(&p, "1.0.0-rc.1+zzz", "1.0.0"), -1);
	assert_text(&p, "1.0.0+exp.sha.5114f85", "1.0.0");
	assert_text(&p, "1.0.0-beta+exp.sha.5114f85", "1.0.0-beta");
	version_parser_free(&p);
}

static void test_semver_garbage(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "v", "V", "1", "1.2", "1.2.3.4", "1.2.3-", "1.2.3+", " 1.2.3", "1.2.3 ",
		"v01.2.3", "1.2.3\n", "\x1b[2J1.2.3", "1.2.3\x1b", "1.2.3\t", "1.2.3-rc\x7f",
		"1..2.3", ".1.2.3", "1.2.3.", "-1.2.3", "1.-2.3", "a.b.c", "1.2.x",
		"1.2.3-rc..1", "1.2.3-rc.", "1.2.3-.rc", "1.2.3+a..b", "1.2.3+a.",
		"1.2.3-rc_1", "1.2.3-rc/1", "1.2.3+a+b", "1.2.3-+a", "1.2.3-r\xc3\xa9",
		"vv1.2.3", "V1.2.3", "version1.2.3", "1.2.3v", "+1.2.3", "1 .2.3",
		"\xef\xbc\x91.2.3", /* fullwidth digit one */
	};
	struct version_parser p;
	init_ok(&p, SCHEME_SEMVER, NULL, NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_rejects(&p, bad[i]);
	assert_rejects(&p, NULL);
	struct version v;
	assert_false(version_parse(&p, "garbage", &v));
	version_free(&v); /* a failed parse leaves a freeable version */
	version_parser_free(&p);
}

static void test_semver_prefix(void **state)
{
	(void)state;
	struct version_parser p;
	/* No prefix configured: an optional lowercase "v". */
	init_ok(&p, SCHEME_SEMVER, NULL, NULL);
	assert_int_equal(cmp_tags(&p, "v1.2.3", "1.2.3"), 0);
	assert_text(&p, "v1.2.3", "1.2.3");
	assert_rejects(&p, "V1.2.3");
	assert_rejects(&p, "release-1.2.3");
	version_parser_free(&p);

	/* A configured prefix is required, literally. */
	init_ok(&p, SCHEME_SEMVER, "release-", NULL);
	assert_text(&p, "release-1.2.3-rc.1", "1.2.3-rc.1");
	assert_rejects(&p, "1.2.3");
	assert_rejects(&p, "v1.2.3");
	assert_rejects(&p, "release-v1.2.3");
	assert_rejects(&p, "Release-1.2.3");
	assert_rejects(&p, "release-");
	assert_rejects(&p, "release");
	version_parser_free(&p);

	/* An empty prefix means bare versions only. */
	init_ok(&p, SCHEME_SEMVER, "", NULL);
	assert_parses(&p, "1.2.3");
	assert_rejects(&p, "v1.2.3");
	version_parser_free(&p);
}

static void test_date_scheme(void **state)
{
	(void)state;
	static const char *const tags[] = {
		"2023-12-31", "2024-01-01", "2024-02-06", "2024-02-06a", "release-2024-02-06b",
		"2024-02-06z", "2024-02-07", "2024-09-30", "2024-10-01", "2025-01-01",
	};
	struct version_parser p;
	init_ok(&p, SCHEME_DATE, NULL, NULL);
	assert_ascending(&p, tags, sizeof(tags) / sizeof(tags[0]));
	assert_int_equal(cmp_tags(&p, "2024-02-06a", "2024-02-06"), 1);
	assert_int_equal(cmp_tags(&p, "release-2024-02-06", "2024-02-06"), 0);

	struct version v;
	assert_true(version_parse(&p, "release-2024-02-06a", &v));
	assert_int_equal(v.scheme, SCHEME_DATE);
	assert_int_equal(v.n_nums, 3);
	assert_string_equal(v.nums[0], "2024");
	assert_string_equal(v.nums[1], "2");
	assert_string_equal(v.nums[2], "6");
	assert_int_equal(v.suffix, 'a');
	assert_string_equal(v.text, "2024-02-06a");
	assert_false(version_is_prerelease(&v));
	version_free(&v);
	assert_text(&p, "wiki_2024-12-31", "2024-12-31");
	version_parser_free(&p);
}

static void test_date_invalid(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "release", "2024-13-01", "2024-00-10", "2024-02-00", "2024-02-32",
		"2024-2-06", "2024-02-6", "24-02-06", "2024-02-06A", "2024-02-06ab",
		"2024-02-06-1", "2024-02-06 ", "2024-02-06.1", "12024-02-06", "2024/02/06",
		"2024-02-0x", "v1.2.3",
	};
	struct version_parser p;
	init_ok(&p, SCHEME_DATE, NULL, NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_rejects(&p, bad[i]);
	assert_parses(&p, "2024-02-29");
	assert_parses(&p, "2024-12-31z");
	version_parser_free(&p);
}

static void test_regex_scheme(void **state)
{
	(void)state;
	static const char *const tags[] = {
		"r1_2", "r1_9", "r1_10", "r2_0", "r18446744073709551616_0",
	};
	struct version_parser p;
	init_ok(&p, SCHEME_REGEX, NULL, "r([0-9]+)_([0-9]+)");
	assert_int_equal(p.n_groups, 2);
	assert_ascending(&p, tags, sizeof(tags) / sizeof(tags[0]));
	assert_int_equal(cmp_tags(&p, "r01_002", "r1_2"), 0);
	assert_text(&p, "r01_002", "1.2");

	struct version v;
	assert_true(version_parse(&p, "r7_30", &v));
	assert_int_equal(v.scheme, SCHEME_REGEX);
	assert_int_equal(v.n_nums, 2);
	assert_string_equal(v.nums[0], "7");
	assert_string_equal(v.nums[1], "30");
	version_free(&v);

	/* The whole tag must match, not a part of it. */
	assert_rejects(&p, "r1_2x");
	assert_rejects(&p, "xr1_2");
	assert_rejects(&p, "r1_");
	assert_rejects(&p, "");
	version_parser_free(&p);
}

static void test_regex_groups_must_be_digits(void **state)
{
	(void)state;
	struct version_parser p;
	init_ok(&p, SCHEME_REGEX, NULL, "([a-z0-9]+)\\.([0-9]+)");
	assert_parses(&p, "12.1");
	assert_rejects(&p, "abc.1");
	assert_rejects(&p, "1a.1");
	version_parser_free(&p);

	/* A group that does not take part, or matches nothing, is not a number. */
	init_ok(&p, SCHEME_REGEX, NULL, "([0-9]*)x([0-9]+)?");
	assert_parses(&p, "1x2");
	assert_rejects(&p, "1x");
	assert_rejects(&p, "x2");
	version_parser_free(&p);
}

static void test_regex_init_errors(void **state)
{
	(void)state;
	struct version_parser p;
	struct up_error err = UP_ERROR_INIT;

	assert_int_equal(version_parser_init(&p, SCHEME_REGEX, NULL, "v[0-9]+\\.[0-9]+", &err), -1);
	assert_int_equal(err.status, UP_ERR_CONFIG);
	assert_non_null(err.msg);
	assert_non_null(strstr(err.msg, "no capture group"));
	err_clear(&err);

	assert_int_equal(version_parser_init(&p, SCHEME_REGEX, NULL, "([0-9]+", &err), -1);
	assert_int_equal(err.status, UP_ERR_CONFIG);
	assert_non_null(strstr(err.msg, "([0-9]+"));
	err_clear(&err);

	assert_int_equal(version_parser_init(&p, SCHEME_REGEX, NULL, NULL, &err), -1);
	assert_int_equal(err.status, UP_ERR_CONFIG);
	err_clear(&err);

	assert_int_equal(version_parser_init(&p, SCHEME_REGEX, NULL, "", &err), -1);
	err_clear(&err);

	/* Freeing a parser whose init failed is harmless. */
	version_parser_free(&p);

	/* The regex is ignored by the other schemes. */
	assert_int_equal(version_parser_init(&p, SCHEME_SEMVER, NULL, "([0-9]+", &err), 0);
	assert_null(err.msg);
	version_parser_free(&p);
}

static void test_compare_numbers(void **state)
{
	(void)state;
	assert_int_equal(version_compare_numbers("0", "0"), 0);
	assert_true(version_compare_numbers("9", "10") < 0);
	assert_true(version_compare_numbers("10", "9") > 0);
	assert_true(version_compare_numbers("18446744073709551615", "18446744073709551616") < 0);
	assert_true(version_compare_numbers("100000000000000000000", "99999999999999999999") > 0);
	assert_int_equal(version_compare_numbers("123", "123"), 0);
	assert_true(version_compare_numbers("123", "124") < 0);
	assert_int_equal(version_compare_numbers("007", "7"), 0);
}

static void test_copy_and_free(void **state)
{
	(void)state;
	struct version_parser p;
	init_ok(&p, SCHEME_SEMVER, NULL, NULL);
	struct version a, b;
	assert_true(version_parse(&p, "2.3.4-beta.5", &a));
	version_copy(&b, &a);
	assert_int_equal(version_compare(&a, &b), 0);
	assert_ptr_not_equal(a.text, b.text);
	assert_ptr_not_equal(a.pre, b.pre);
	version_free(&a);
	assert_string_equal(b.text, "2.3.4-beta.5");
	assert_string_equal(b.nums[2], "4");
	assert_string_equal(b.pre, "beta.5");
	version_free(&b);
	version_free(&b); /* twice is harmless: free zeroes */
	version_free(NULL);
	version_parser_free(&p);
}

static void test_scheme_names(void **state)
{
	(void)state;
	enum version_scheme s = SCHEME_SEMVER;
	assert_string_equal(version_scheme_name(SCHEME_SEMVER), "semver");
	assert_string_equal(version_scheme_name(SCHEME_DATE), "date");
	assert_string_equal(version_scheme_name(SCHEME_REGEX), "regex");
	assert_true(version_scheme_from_name("date", &s));
	assert_int_equal(s, SCHEME_DATE);
	assert_true(version_scheme_from_name("regex", &s));
	assert_int_equal(s, SCHEME_REGEX);
	assert_true(version_scheme_from_name("semver", &s));
	assert_int_equal(s, SCHEME_SEMVER);
	assert_false(version_scheme_from_name("calver", &s));
	assert_false(version_scheme_from_name("", &s));
	assert_false(version_scheme_from_name(NULL, &s));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_semver_precedence),
		cmocka_unit_test(test_semver_fields),
		cmocka_unit_test(test_semver_leading_zeros),
		cmocka_unit_test(test_semver_big_numbers),
		cmocka_unit_test(test_semver_build_ignored),
		cmocka_unit_test(test_semver_garbage),
		cmocka_unit_test(test_semver_prefix),
		cmocka_unit_test(test_date_scheme),
		cmocka_unit_test(test_date_invalid),
		cmocka_unit_test(test_regex_scheme),
		cmocka_unit_test(test_regex_groups_must_be_digits),
		cmocka_unit_test(test_regex_init_errors),
		cmocka_unit_test(test_compare_numbers),
		cmocka_unit_test(test_copy_and_free),
		cmocka_unit_test(test_scheme_names),
	};
	return cmocka_run_group_tests_name("version", tests, NULL, NULL);
}
