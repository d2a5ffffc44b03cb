/* test_classify.c - release kinds, flags from tag messages, channels. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "error.h"
#include "version.h"

/* Kind of candidate against installed (NULL = nothing installed). */
static enum release_kind kind_of(enum version_scheme s, const char *regex,
				 const char *installed, const char *candidate)
{
	struct version_parser p;
	struct up_error err = UP_ERROR_INIT;
	if (version_parser_init(&p, s, NULL, regex, &err) != 0)
		fail_msg("parser init: %s", err.msg);
	struct version vi, vc;
	if (installed && !version_parse(&p, installed, &vi))
		fail_msg("tag \"%s\" should parse", installed);
	if (!version_parse(&p, candidate, &vc))
		fail_msg("tag \"%s\" should parse", candidate);
	enum release_kind k = classify_kind(installed ? &vi : NULL, &vc);
	if (installed)
		version_free(&vi);
	version_free(&vc);
	version_parser_free(&p);
	return k;
}

#define SEMVER(i, c) kind_of(SCHEME_SEMVER, NULL, (i), (c))
#define DATE(i, c) kind_of(SCHEME_DATE, NULL, (i), (c))
#define REGEX(i, c) kind_of(SCHEME_REGEX, "r([0-9]+)_([0-9]+)_([0-9]+)_([0-9]+)", (i), (c))

static void test_kind_semver(void **state)
{
	(void)state;
	assert_int_equal(SEMVER("1.2.3", "2.0.0"), KIND_MAJOR);
	assert_int_equal(SEMVER("1.2.3", "1.3.0"), KIND_MINOR);
	assert_int_equal(SEMVER("1.2.3", "1.2.4"), KIND_PATCH);
	assert_int_equal(SEMVER("1.2.3", "v1.2.10"), KIND_PATCH);
	assert_int_equal(SEMVER("1.2.3", "1.3.0-rc.1"), KIND_PRERELEASE);
	assert_int_equal(SEMVER("1.2.3", "2.0.0-alpha"), KIND_PRERELEASE);
	assert_int_equal(SEMVER("1.2.3-rc.1", "1.2.3-rc.2"), KIND_PRERELEASE);
	/* From a pre-release to its final release: the smallest step. */
	assert_int_equal(SEMVER("2.0.0-rc.1", "2.0.0"), KIND_PATCH);
	assert_int_equal(SEMVER("1.0.18446744073709551615", "1.0.18446744073709551616"),
			 KIND_PATCH);
	assert_int_equal(SEMVER("9.9.9", "18446744073709551616.0.0"), KIND_MAJOR);
}

static void test_kind_not_newer(void **state)
{
	(void)state;
	assert_int_equal(SEMVER("1.2.3", "1.2.3"), KIND_NONE);
	assert_int_equal(SEMVER("1.2.3", "1.2.3+build.9"), KIND_NONE);
	assert_int_equal(SEMVER("1.2.3", "1.2.2"), KIND_NONE);
	assert_int_equal(SEMVER("1.2.3", "1.2.3-rc.1"), KIND_NONE);
	assert_int_equal(SEMVER("2.0.0", "1.9.9"), KIND_NONE);
	assert_int_equal(DATE("2024-02-06", "2024-02-05"), KIND_NONE);
	assert_int_equal(DATE("2024-02-06a", "2024-02-06"), KIND_NONE);
	assert_int_equal(REGEX("r1_2_3_4", "r1_2_3_4"), KIND_NONE);
	assert_int_equal(classify_kind(NULL, NULL), KIND_NONE);
}

static void test_kind_nothing_installed(void **state)
{
	(void)state;
	assert_int_equal(SEMVER(NULL, "1.0.0"), KIND_MAJOR);
	assert_int_equal(SEMVER(NULL, "0.5.0"), KIND_MINOR);
	assert_int_equal(SEMVER(NULL, "0.0.3"), KIND_PATCH);
	assert_int_equal(SEMVER(NULL, "1.0.0-beta"), KIND_PRERELEASE);
	assert_int_equal(DATE(NULL, "2024-02-06"), KIND_MAJOR);
	assert_int_equal(DATE(NULL, "0000-01-01"), KIND_MAJOR);
	assert_int_equal(REGEX(NULL, "r0_0_1_0"), KIND_PATCH);
	assert_int_equal(REGEX(NULL, "r3_0_0_0"), KIND_MAJOR);
}

static void test_kind_date(void **state)
{
	(void)state;
	assert_int_equal(DATE("2024-02-06", "2024-02-06a"), KIND_PATCH);
	assert_int_equal(DATE("2024-02-06a", "2024-02-06b"), KIND_PATCH);
	assert_int_equal(DATE("2024-02-06", "2024-02-07"), KIND_MINOR);
	assert_int_equal(DATE("2024-02-06z", "2024-02-07"), KIND_MINOR);
	assert_int_equal(DATE("2024-02-06", "2024-11-01"), KIND_MINOR);
	assert_int_equal(DATE("2024-12-31", "2025-01-01"), KIND_MAJOR);
	assert_int_equal(DATE("2024-02-06", "release-2025-02-06a"), KIND_MAJOR);
}

static void test_kind_regex(void **state)
{
	(void)state;
	assert_int_equal(REGEX("r1_2_3_4", "r2_0_0_0"), KIND_MAJOR);
	assert_int_equal(REGEX("r1_2_3_4", "r1_3_0_0"), KIND_MINOR);
	assert_int_equal(REGEX("r1_2_3_4", "r1_2_4_0"), KIND_PATCH);
	assert_int_equal(REGEX("r1_2_3_4", "r1_2_3_5"), KIND_PATCH);
}

static unsigned flags_of(const char *msg)
{
	return classify_flags(msg, NULL, NULL);
}

static void test_flags_security(void **state)
{
	(void)state;
	assert_int_equal(flags_of("Release 1.2.4\n\nSecurity: CVE-2024-1234\n"), FLAG_SECURITY);
	assert_int_equal(flags_of("Security: CVE-2024-1234"), FLAG_SECURITY);
	assert_int_equal(flags_of("security: yes"), FLAG_SECURITY);
	assert_int_equal(flags_of("SECURITY : fixes an XSS"), FLAG_SECURITY);
	assert_int_equal(flags_of("Fixes\r\nSecurity: CVE-2024-1\r\n"), FLAG_SECURITY);
	assert_int_equal(flags_of("Notes\n  Security: CVE-2024-1"), FLAG_SECURITY);
	/* Values that say no. */
	assert_int_equal(flags_of("Security: no"), 0);
	assert_int_equal(flags_of("Security: No\n"), 0);
	assert_int_equal(flags_of("Security: none"), 0);
	assert_int_equal(flags_of("Security: FALSE"), 0);
	assert_int_equal(flags_of("Security: 0\r\n"), 0);
	assert_int_equal(flags_of("Security:   no   "), 0);
	/* Not a trailer for the key. */
	assert_int_equal(flags_of("Fixes a security bug"), 0);
	assert_int_equal(flags_of("Improves security: yes really"), 0);
	assert_int_equal(flags_of("Insecurity: yes"), 0);
	assert_int_equal(flags_of("Security-Fix: yes"), 0);
	assert_int_equal(flags_of("Security yes"), 0);
	assert_int_equal(flags_of(""), 0);
	assert_int_equal(flags_of(NULL), 0);
	/* A "no" on one line does not cancel a "yes" on another. */
	assert_int_equal(flags_of("Security: no\nSecurity: CVE-2024-9"), FLAG_SECURITY);
}

static void test_flags_hotfix(void **state)
{
	(void)state;
	assert_int_equal(flags_of("Hotfix: login loop"), FLAG_HOTFIX);
	assert_int_equal(flags_of("hotfix: yes"), FLAG_HOTFIX);
	assert_int_equal(flags_of("Hotfix: false"), 0);
	assert_int_equal(flags_of("Hotfix: yes\nSecurity: CVE-2024-2"),
			 FLAG_SECURITY | FLAG_HOTFIX);

	/* The date scheme's letter suffix marks a hotfix. */
	struct version_parser p;
	struct up_error err = UP_ERROR_INIT;
	assert_int_equal(version_parser_init(&p, SCHEME_DATE, NULL, NULL, &err), 0);
	struct version v;
	assert_true(version_parse(&p, "2024-02-06a", &v));
	assert_int_equal(classify_flags(NULL, &v, NULL), FLAG_HOTFIX);
	assert_int_equal(classify_flags("Security: CVE-1", &v, NULL), FLAG_SECURITY | FLAG_HOTFIX);
	version_free(&v);
	assert_true(version_parse(&p, "2024-02-06", &v));
	assert_int_equal(classify_flags(NULL, &v, NULL), 0);
	version_free(&v);
	version_parser_free(&p);
}

static void test_flags_custom_markers(void **state)
{
	(void)state;
	char *sec[] = { "CVE", "Vulnerability" };
	char *hot[] = { "Urgent" };
	struct flag_markers m = { sec, 2, hot, 1 };
	assert_int_equal(classify_flags("CVE: 2024-1234", NULL, &m), FLAG_SECURITY);
	assert_int_equal(classify_flags("vulnerability: XSS", NULL, &m), FLAG_SECURITY);
	assert_int_equal(classify_flags("Security: CVE-2024-1", NULL, &m), 0);
	assert_int_equal(classify_flags("Urgent: yes", NULL, &m), FLAG_HOTFIX);
	assert_int_equal(classify_flags("Hotfix: yes", NULL, &m), 0);
	assert_int_equal(classify_flags("CVE: none", NULL, &m), 0);

	/* An empty list keeps that flag's default marker. */
	struct flag_markers only_hot = { NULL, 0, hot, 1 };
	assert_int_equal(classify_flags("Security: CVE-1", NULL, &only_hot), FLAG_SECURITY);
	assert_int_equal(classify_flags("Hotfix: yes", NULL, &only_hot), 0);
}

static bool accepts(const char *channel, const char *tag)
{
	struct version_parser p;
	struct up_error err = UP_ERROR_INIT;
	if (version_parser_init(&p, SCHEME_SEMVER, NULL, NULL, &err) != 0)
		fail_msg("parser init: %s", err.msg);
	struct version v;
	if (!version_parse(&p, tag, &v))
		fail_msg("tag \"%s\" should parse", tag);
	bool ok = classify_channel_accepts(channel, tag, &v);
	version_free(&v);
	version_parser_free(&p);
	return ok;
}

static void test_channels(void **state)
{
	(void)state;
	assert_true(accepts("stable", "v1.2.3"));
	assert_false(accepts("stable", "v1.3.0-rc.1"));
	assert_true(accepts(NULL, "v1.2.3"));
	assert_false(accepts(NULL, "v1.3.0-rc.1"));
	assert_true(accepts("beta", "v1.2.3"));
	assert_true(accepts("beta", "v1.3.0-rc.1"));
	/* Anything else is a glob over the tag name. */
	assert_true(accepts("v1.*", "v1.4.0"));
	assert_true(accepts("v1.*", "v1.4.0-beta.1"));
	assert_false(accepts("v1.*", "v2.0.0"));
	assert_false(accepts("v1.*", "1.4.0"));
	assert_true(accepts("v[12].*", "v2.0.0"));
	assert_false(accepts("Stable", "v1.2.3"));
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(classify_kind_name(KIND_MAJOR), "major");
	assert_string_equal(classify_kind_name(KIND_MINOR), "minor");
	assert_string_equal(classify_kind_name(KIND_PATCH), "patch");
	assert_string_equal(classify_kind_name(KIND_PRERELEASE), "pre-release");
	assert_string_equal(classify_kind_name(KIND_NONE), "");
	assert_int_equal(classify_kind_letter(KIND_MAJOR), 'M');
	assert_int_equal(classify_kind_letter(KIND_MINOR), 'm');
	assert_int_equal(classify_kind_letter(KIND_PATCH), 'p');
	assert_int_equal(classify_kind_letter(KIND_PRERELEASE), 'r');
	assert_int_equal(classify_kind_letter(KIND_NONE), ' ');
	assert_string_equal(classify_flags_text(0), "");
	assert_string_equal(classify_flags_text(FLAG_SECURITY), "security");
	assert_string_equal(classify_flags_text(FLAG_HOTFIX), "hotfix");
	assert_string_equal(classify_flags_text(FLAG_SECURITY | FLAG_HOTFIX), "security,hotfix");
	/* The same storage each time. */
	assert_ptr_equal(classify_flags_text(FLAG_HOTFIX), classify_flags_text(FLAG_HOTFIX));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_semver),
		cmocka_unit_test(test_kind_not_newer),
		cmocka_unit_test(test_kind_nothing_installed),
		cmocka_unit_test(test_kind_date),
		cmocka_unit_test(test_kind_regex),
		cmocka_unit_test(test_flags_security),
		cmocka_unit_test(test_flags_hotfix),
		cmocka_unit_test(test_flags_custom_markers),
		cmocka_unit_test(test_channels),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests_name("classify", tests, NULL, NULL);
}
