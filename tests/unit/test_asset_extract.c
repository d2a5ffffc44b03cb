/* test_asset_extract.c - extracting untrusted release archives: the escape
 * rules of git trees applied to tar and zip entries, against hostile
 * archives written here with libarchive's writer (tar would refuse to make
 * most of them). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "asset_extract.h"
#include "error.h"
#include "stage.h"
#include "util.h"

struct fx {
	char *dir, *file, *stage;
	struct archive *w;
	struct stat like;
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	char tmpl[] = "/tmp/test_asset_extract.XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	f->dir = xstrdup(tmpl);
	f->file = xasprintf("%s/asset", f->dir);
	f->stage = xasprintf("%s/.upkeep-stage-t-1", f->dir);
	assert_int_equal(stat(f->dir, &f->like), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	struct up_error e = UP_ERROR_INIT;
	stage_remove_tree(f->dir, &e);
	err_clear(&e);
	free(f->dir);
	free(f->file);
	free(f->stage);
	free(f);
	return 0;
}

/* ---- writing archives ---- */

static void begin(struct fx *f, bool zip)
{
	f->w = archive_write_new();
	if (zip)
		archive_write_set_format_zip(f->w);
	else {
		archive_write_set_format_pax_restricted(f->w);
		archive_write_add_filter_gzip(f->w);
	}
	assert_int_equal(archive_write_open_filename(f->w, f->file), ARCHIVE_OK);
}

/* type: 'f' file, 'd' dir, 'l' symlink (data = target), 'h' hard link
 * (data = target), 'p' FIFO, 'c' char device. */
static void add(struct fx *f, char type, const char *path, const char *data, int perm)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, path);
	archive_entry_set_perm(e, perm ? perm : 0644);
	size_t len = 0;
	switch (type) {
	case 'f': archive_entry_set_filetype(e, AE_IFREG); len = strlen(data); break;
	case 'd': archive_entry_set_filetype(e, AE_IFDIR); break;
	case 'l': archive_entry_set_filetype(e, AE_IFLNK); archive_entry_set_symlink(e, data); break;
	case 'h': archive_entry_set_filetype(e, AE_IFREG); archive_entry_set_hardlink(e, data); break;
	case 'p': archive_entry_set_filetype(e, AE_IFIFO); break;
	case 'c': archive_entry_set_filetype(e, AE_IFCHR); archive_entry_set_rdev(e, 0x0103); break;
	}
	archive_entry_set_size(e, (la_int64_t)len);
	assert_int_equal(archive_write_header(f->w, e), ARCHIVE_OK);
	if (len)
		assert_int_equal(archive_write_data(f->w, data, len), (la_ssize_t)len);
	archive_entry_free(e);
}

static void end(struct fx *f)
{
	assert_int_equal(archive_write_close(f->w), ARCHIVE_OK);
	archive_write_free(f->w);
	f->w = NULL;
}

/* Extracts; on failure checks that the message holds `want` and that
 * nothing is left. */
static int extract(struct fx *f, int strip, const struct stage_limits *lim, const char *want,
		   struct stage_stats *ss)
{
	struct up_error err = UP_ERROR_INIT;
	struct stage_stats local;
	int rc = asset_extract(f->file, f->stage, strip, &f->like, lim, ss ? ss : &local, &err);
	if (want) {
		assert_int_equal(rc, -1);
		if (!err.msg || !strstr(err.msg, want))
			fail_msg("expected \"%s\" in \"%s\"", want, err.msg ? err.msg : "(none)");
		assert_int_equal(access(f->stage, F_OK), -1); /* nothing staged */
	} else if (rc < 0) {
		fail_msg("extract failed: %s", err.msg);
	}
	err_clear(&err);
	return rc;
}

static char *slurp(const char *dir, const char *rel)
{
	char *p = xasprintf("%s/%s", dir, rel);
	FILE *fp = fopen(p, "r");
	free(p);
	if (!fp)
		return NULL;
	char buf[256];
	size_t n = fread(buf, 1, sizeof buf - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	return xstrdup(buf);
}

static mode_t mode_of(const char *dir, const char *rel)
{
	char *p = xasprintf("%s/%s", dir, rel);
	struct stat st;
	int rc = lstat(p, &st);
	free(p);
	assert_int_equal(rc, 0);
	return st.st_mode;
}

/* ---- tests ---- */

static void test_good_tar(void **state)
{
	struct fx *f = *state;
	begin(f, false);
	add(f, 'd', "app-1.0/", NULL, 0700);
	add(f, 'f', "app-1.0/bin/run", "#!/bin/sh\n", 0700); /* parent named by no entry */
	add(f, 'f', "./app-1.0/lib/a.txt", "a\n", 0600);
	add(f, 'l', "app-1.0/current", "lib", 0);
	add(f, 'l', "app-1.0/lib/up", "../bin/run", 0);
	add(f, 'h', "app-1.0/lib/b.txt", "app-1.0/lib/a.txt", 0);
	add(f, 'f', "app-1.0/setuid", "x", 04755);
	add(f, 'd', "app-1.0/lib", NULL, 0777); /* named again, after its files */
	end(f);
	struct stage_stats ss;
	extract(f, 1, NULL, NULL, &ss);
	char *s = slurp(f->stage, "lib/b.txt");
	assert_string_equal(s, "a\n");
	free(s);
	assert_int_equal(mode_of(f->stage, "bin/run") & 07777, 0755);
	assert_int_equal(mode_of(f->stage, "lib/a.txt") & 07777, 0644);
	assert_int_equal(mode_of(f->stage, "setuid") & 07777, 0755);
	assert_int_equal(mode_of(f->stage, "lib") & 07777, 0755);
	assert_true(S_ISLNK(mode_of(f->stage, "current")));
	assert_int_equal(ss.files, 4);
	assert_int_equal(ss.links, 2);
	assert_int_equal(ss.dirs, 2); /* bin, lib (app-1.0 stripped) */
}

static void test_good_zip(void **state)
{
	struct fx *f = *state;
	begin(f, true);
	add(f, 'f', "app/index.html", "<p>hi</p>\n", 0644);
	add(f, 'f', "app/bin/tool", "#!/bin/sh\n", 0755);
	end(f);
	extract(f, 1, NULL, NULL, NULL);
	char *s = slurp(f->stage, "index.html");
	assert_string_equal(s, "<p>hi</p>\n");
	free(s);
	assert_int_equal(mode_of(f->stage, "bin/tool") & 07777, 0755);
}

struct hostile {
	char type;
	const char *path, *data;
	const char *want;
};

static void one_hostile(struct fx *f, const struct hostile *h)
{
	begin(f, false);
	add(f, 'f', "app/ok.txt", "ok\n", 0);
	add(f, 'f', "app/lib/x", "x\n", 0);
	add(f, 'l', "app/lnk", "lib", 0);
	add(f, h->type, h->path, h->data, 0);
	end(f);
	extract(f, 0, NULL, h->want, NULL);
}

static void test_hostile(void **state)
{
	static const struct hostile cases[] = {
		{ 'f', "app/../x", "x", "name \".\" or \"..\"" },
		{ 'f', "../x", "x", "name \".\" or \"..\"" },
		{ 'f', "/etc/x", "x", "absolute path" },
		{ 'f', "app/.git/config", "x", "a .git name" },
		{ 'f', "app/.GIT./hooks", "x", "a .git name" },
		{ 'l', "app/etc", "/etc", "absolute symlink target" },
		{ 'l', "app/esc", "../../x", "symlink target leads outside the tree" },
		{ 'l', "app/mid", "lib/../../x", "symlink target with \"..\" after a name" },
		{ 'h', "app/passwd", "/etc/passwd", "absolute path" },
		{ 'h', "app/up", "app/../../x", "name \".\" or \"..\"" },
		{ 'h', "app/hl", "app/lnk", "hard link to something that is not a regular file" },
		{ 'h', "app/hm", "app/missing", "hard link to something that is not a regular file" },
		{ 'p', "app/fifo", NULL, "a device, FIFO or socket" },
		{ 'c', "app/tty", NULL, "a device, FIFO or socket" },
		{ 'f', "app/lnk/y", "y", "a path through a symlink" },
		{ 'f', "app/ok.txt/y", "y", "a path through a symlink or a file" },
		{ 'f', "app/ok.txt", "again", "a second entry with the same path" },
		{ 'f', "app/OK.txt", "case", "two names that differ only in case" },
		{ 'd', "app/LIB", NULL, "two names that differ only in case" },
	};
	struct fx *f = *state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		one_hostile(f, &cases[i]);
}

static void test_strip_and_limits(void **state)
{
	struct fx *f = *state;
	begin(f, false);
	add(f, 'f', "README", "top\n", 0); /* nothing left after strip 1: skipped */
	add(f, 'f', "app/a/b/c/d.txt", "deep\n", 0);
	add(f, 'f', "app/e.txt", "0123456789", 0);
	end(f);
	struct stage_stats ss;
	extract(f, 1, NULL, NULL, &ss);
	assert_int_equal(access(f->stage, F_OK), 0);
	char *p = xasprintf("%s/README", f->stage);
	assert_int_equal(access(p, F_OK), -1);
	free(p);
	struct up_error e = UP_ERROR_INIT;
	assert_int_equal(stage_remove_tree(f->stage, &e), 0);
	struct stage_limits few = { 1, 256, 1 << 20 }, shallow = { 100, 2, 1 << 20 },
			    small = { 100, 256, 12 };
	extract(f, 1, &few, "more entries than the limit", NULL);
	extract(f, 1, &shallow, "deeper than the depth limit", NULL);
	extract(f, 1, &small, "larger than the size limit", NULL);
	extract(f, 3, NULL, NULL, NULL); /* only c/d.txt is left */
	assert_int_equal(stage_remove_tree(f->stage, &e), 0);
	extract(f, 9, NULL, "holds no entries below strip_components", NULL);
}

static void test_not_an_archive(void **state)
{
	struct fx *f = *state;
	FILE *fp = fopen(f->file, "w");
	assert_non_null(fp);
	fputs("#!/bin/sh\necho I am not an archive\n", fp);
	fclose(fp);
	extract(f, 0, NULL, "not an archive upkeep can read", NULL);
	/* a truncated archive */
	begin(f, false);
	char big[20000];
	memset(big, 'z', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	for (int i = 0; i < 20; i++) {
		char name[32];
		snprintf(name, sizeof name, "app/f%d", i);
		add(f, 'f', name, big, 0);
	}
	end(f);
	struct stat st;
	assert_int_equal(stat(f->file, &st), 0);
	assert_int_equal(truncate(f->file, st.st_size / 2), 0);
	extract(f, 0, NULL, "archive entry", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good_tar, setup, teardown),
		cmocka_unit_test_setup_teardown(test_good_zip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_strip_and_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_an_archive, setup, teardown),
	};
	return cmocka_run_group_tests_name("asset_extract", tests, NULL, NULL);
}
