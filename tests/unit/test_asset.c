/* test_asset.c - the asset's URL template, its file name, and the lookup
 * of its SHA-256 in checksums text (a file of the tag's tree, or the tag
 * message), against hostile and ambiguous input. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "asset.h"
#include "util.h"

#define H1 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define H2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static int find(const char *text, const char *name, char hex[65])
{
	struct up_error err = UP_ERROR_INIT;
	int rc = asset_checksum_find(text, strlen(text), name, hex, &err);
	if (rc < 0)
		assert_non_null(err.msg);
	err_clear(&err);
	return rc;
}

static void test_checksum_formats(void **state)
{
	(void)state;
	char hex[65];
	assert_int_equal(find(H1 "  app-1.0.tar.gz\n", "app-1.0.tar.gz", hex), 1);
	assert_string_equal(hex, H1);
	assert_int_equal(find(H2 " *app.zip\r\n", "app.zip", hex), 1); /* binary mode, CRLF */
	assert_string_equal(hex, H2);
	assert_int_equal(find("SHA256 (app.tgz) = " H1 "\n", "app.tgz", hex), 1); /* BSD */
	assert_string_equal(hex, H1);
	assert_int_equal(find(H1 "  ./app.tgz", "app.tgz", hex), 1); /* no final newline */
	/* upper case is accepted and given back in lower case */
	assert_int_equal(find("0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF  a\n",
			      "a", hex), 1);
	assert_string_equal(hex, H1);
}

static void test_checksum_in_prose(void **state)
{
	(void)state;
	char hex[65];
	const char *msg = "Release 1.2.0\n\nFixes things.\n\nChecksums:\n  " H2 "  app-1.2.0.tar.gz\n"
			  H1 "  app-1.2.0.zip\nSigned-off-by: someone\n";
	assert_int_equal(find(msg, "app-1.2.0.tar.gz", hex), 1);
	assert_string_equal(hex, H2);
	assert_int_equal(find(msg, "app-1.2.0.zip", hex), 1);
	assert_string_equal(hex, H1);
}

static void test_checksum_refusals(void **state)
{
	(void)state;
	char hex[65] = "";
	/* no entry, a prefix or suffix of the name, another directory */
	assert_int_equal(find(H1 "  app.tgz\n", "pp.tgz", hex), 0);
	assert_int_equal(find(H1 "  app.tgz.sig\n", "app.tgz", hex), 0);
	assert_int_equal(find(H1 "  dist/app.tgz\n", "app.tgz", hex), 0);
	/* not 64 hex digits, or one space only */
	assert_int_equal(find("0123  app.tgz\n", "app.tgz", hex), 0);
	assert_int_equal(find(H1 " app.tgz\n", "app.tgz", hex), 0);
	assert_int_equal(find("g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef  a\n",
			      "a", hex), 0);
	assert_int_equal(find("", "a", hex), 0);
	/* two entries that disagree are refused; two that agree are fine */
	assert_int_equal(find(H1 "  a\n" H2 "  a\n", "a", hex), -1);
	assert_int_equal(find(H1 "  a\n" H1 " *a\n", "a", hex), 1);
	/* a NUL in the text ends nothing: the name must still match exactly */
	const char bin[] = H1 "  a\0b\n";
	struct up_error err = UP_ERROR_INIT;
	assert_int_equal(asset_checksum_find(bin, sizeof bin - 1, "a", hex, &err), 0);
	err_clear(&err);
}

static void expand(const char *tmpl, const char *want)
{
	struct up_error err = UP_ERROR_INIT;
	char *out = NULL;
	assert_int_equal(asset_url_expand(tmpl, "v1.2.0+b/1", "1.2.0+b/1", &out, &err), 0);
	assert_string_equal(out, want);
	free(out);
}

static void test_url_expand(void **state)
{
	(void)state;
	expand("https://h/app-{version}.tar.gz", "https://h/app-1.2.0+b%2F1.tar.gz");
	expand("https://h/{tag}/app-{version}.zip", "https://h/v1.2.0+b%2F1/app-1.2.0+b%2F1.zip");
	expand("https://h/fixed.tgz", "https://h/fixed.tgz");
	struct up_error err = UP_ERROR_INIT;
	char *out = NULL;
	assert_int_equal(asset_url_expand("https://h/{name}.tgz", "t", "v", &out, &err), -1);
	assert_null(out);
	assert_non_null(strstr(err.msg, "{name}"));
	err_clear(&err);
	assert_int_equal(asset_url_expand("https://h/{version.tgz", "t", "v", &out, &err), -1);
	err_clear(&err);
	/* a value cannot smuggle a path, a query or a host */
	assert_int_equal(asset_url_expand("https://h/{tag}.tgz", "../x?y#z@w", "v", &out, &err), 0);
	assert_string_equal(out, "https://h/..%2Fx%3Fy%23z%40w.tgz");
	free(out);
}

static void name_is(const char *url, const char *want)
{
	char *got = asset_url_name(url);
	if (!want)
		assert_null(got);
	else
		assert_string_equal(got, want);
	free(got);
}

static void test_url_name(void **state)
{
	(void)state;
	name_is("https://h/dl/app-1.0.tar.gz", "app-1.0.tar.gz");
	name_is("https://h/dl/app.zip?token=x#frag", "app.zip");
	name_is("https://h/dl/app%2B1.zip", "app+1.zip");
	name_is("https://user:pw@h:8443/a/b", "b");
	name_is("https://h", NULL);
	name_is("https://h/", NULL);
	name_is("https://h/dir/", NULL);
	name_is("https://h/..", NULL);
	name_is("https://h/%2e%2e", NULL);
	name_is("https://h/a%00b", NULL);
	name_is("https://h/a%2Fb", NULL);
	name_is("https://h/x%zz", "x%zz");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checksum_formats),
		cmocka_unit_test(test_checksum_in_prose),
		cmocka_unit_test(test_checksum_refusals),
		cmocka_unit_test(test_url_expand),
		cmocka_unit_test(test_url_name),
	};
	return cmocka_run_group_tests_name("asset", tests, NULL, NULL);
}
