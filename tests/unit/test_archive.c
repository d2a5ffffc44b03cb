/* test_archive.c - the archive index and its queries, backup, restore and
 * verify through the library. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive_backup.h"
#include "archive_index.h"
#include "archive_read.h"
#include "archive_restore.h"
#include "archive_snap.h"
#include "archive_tree.h"
#include "archive_verify.h"
#include "util.h"

struct fx {
	char *dir, *src, *arch;
	struct archive_index *idx;
};

static void put(const char *dir, const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(p);
}

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	f->dir = xstrdup("/tmp/upkeep-archive-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->src = xasprintf("%s/src", f->dir);
	f->arch = xasprintf("%s/archive", f->dir);
	char *sub = xasprintf("%s/sub", f->src);
	assert_int_equal(util_mkdir_p(sub, 0755), 0);
	put(f->src, "a.txt", "alpha\n");
	put(f->src, "b.txt", "beta\n");
	put(sub, "c.txt", "gamma\n");
	free(sub);
	char *link = xasprintf("%s/l", f->src);
	assert_int_equal(symlink("a.txt", link), 0);
	free(link);
	struct up_error err = UP_ERROR_INIT;
	assert_int_equal(archive_index_open(f->arch, 1000, &f->idx, &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	archive_index_close(&f->idx);
	char *cmd = xasprintf("rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(f->dir);
	free(f->src);
	free(f->arch);
	free(f);
	return 0;
}

static int64_t backup(struct fx *f, struct backup_result *r)
{
	struct backup_opts o = { .target = "t", .path = f->src, .version = "1.0", .reason = "manual",
				 .level = 3, .threads = 2 };
	struct up_error err = UP_ERROR_INIT;
	int rc = archive_backup(f->idx, &o, r, &err);
	if (rc < 0)
		fail_msg("backup: %s", err.msg);
	return r->id;
}

static long long count(struct fx *f, const char *sql)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(archive_index_db(f->idx), sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	long long n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void test_open_schema(void **state)
{
	struct fx *f = *state;
	assert_int_equal(count(f, "PRAGMA user_version"), ARCHIVE_SCHEMA_VERSION);
	sqlite3_stmt *st;
	sqlite3_prepare_v2(archive_index_db(f->idx), "PRAGMA journal_mode", -1, &st, NULL);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	/* a database from a newer upkeep is refused */
	assert_int_equal(sqlite3_exec(archive_index_db(f->idx), "PRAGMA user_version = 99", NULL, NULL, NULL),
			 SQLITE_OK);
	struct archive_index *other;
	struct up_error err = UP_ERROR_INIT;
	assert_int_equal(archive_index_open(f->arch, 100, &other, &err), -1);
	assert_int_equal(err.status, UP_ERR_STATE);
	assert_non_null(strstr(err.msg, "newer"));
	err_clear(&err);
	/* a version 1 index (before snapshots.record) is migrated on open */
	assert_int_equal(sqlite3_exec(archive_index_db(f->idx), "ALTER TABLE snapshots DROP COLUMN record;"
				      " PRAGMA user_version = 1", NULL, NULL, NULL), SQLITE_OK);
	archive_index_close(&f->idx);
	assert_int_equal(archive_index_open(f->arch, 100, &f->idx, &err), 0);
	assert_int_equal(count(f, "PRAGMA user_version"), ARCHIVE_SCHEMA_VERSION);
	assert_int_equal(count(f, "SELECT count(*) FROM pragma_table_info('snapshots') WHERE name = 'record'"), 1);
}

static void test_backup_incremental_shared(void **state)
{
	struct fx *f = *state;
	struct backup_result r1, r2, r3;
	int64_t s1 = backup(f, &r1);
	assert_int_equal(r1.files, 3);
	assert_int_equal(r1.files_read, 3);
	long long trees = count(f, "SELECT count(*) FROM trees");
	long long entries = count(f, "SELECT count(*) FROM entries");
	assert_int_equal(trees, 2);
	int64_t s2 = backup(f, &r2);
	assert_true(s2 > s1);
	assert_int_equal(r2.files_read, 0);
	/* an unchanged tree adds no listing rows: snapshots share them */
	assert_int_equal(count(f, "SELECT count(*) FROM trees"), trees);
	assert_int_equal(count(f, "SELECT count(*) FROM entries"), entries);
	/* a change in sub/ adds one listing for sub and one for the root */
	char *sub = xasprintf("%s/sub", f->src);
	put(sub, "c.txt", "gamma, longer\n");
	free(sub);
	backup(f, &r3);
	assert_int_equal(r3.files_read, 1);
	assert_int_equal(count(f, "SELECT count(*) FROM trees"), trees + 2);
	/* which snapshots contain c.txt with this content: SQL over the index */
	assert_int_equal(count(f, "SELECT count(DISTINCT s.id) FROM snapshots s JOIN entries r ON r.tree = s.root"
				  " JOIN entries e ON e.tree = r.subtree WHERE r.name = CAST('sub' AS BLOB)"
				  " AND e.name = CAST('c.txt' AS BLOB) AND e.size = 6"), 2);
	backup_result_clear(&r1);
	backup_result_clear(&r2);
	backup_result_clear(&r3);

	struct snapshot_info *v;
	size_t n;
	struct up_error err = UP_ERROR_INIT;
	assert_int_equal(archive_snapshots_list(f->idx, "t", &v, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].version, "1.0");
	assert_int_equal(v[1].files_read, 0);
	snapshot_infos_free(&v, n);
	assert_int_equal(archive_snapshots_list(f->idx, "other", &v, &n, &err), 0);
	assert_int_equal(n, 0);
	struct snapshot_info si;
	assert_int_equal(archive_snapshot_get(f->idx, 999, &si, &err), -1);
	assert_int_equal(err.status, UP_ERR_NOT_FOUND);
	err_clear(&err);
}

static void test_lookup_and_names(void **state)
{
	struct fx *f = *state;
	struct backup_result r;
	int64_t id = backup(f, &r);
	backup_result_clear(&r);
	struct snapshot_info si;
	struct up_error err = UP_ERROR_INIT;
	assert_int_equal(archive_snapshot_get(f->idx, id, &si, &err), 0);
	struct archive_entry e;
	assert_int_equal(archive_tree_lookup(archive_index_db(f->idx), si.root, "sub/c.txt", &e, &err), 1);
	assert_int_equal(e.type, ARCHIVE_FILE);
	assert_int_equal(e.size, 6);
	assert_int_equal(e.n_chunks, 1);
	archive_entry_clear(&e);
	assert_int_equal(archive_tree_lookup(archive_index_db(f->idx), si.root, "l", &e, &err), 1);
	assert_int_equal(e.type, ARCHIVE_SYMLINK);
	assert_string_equal(e.link, "a.txt");
	archive_entry_clear(&e);
	assert_int_equal(archive_tree_lookup(archive_index_db(f->idx), si.root, "sub/nope", &e, &err), 0);
	assert_int_equal(archive_tree_lookup(archive_index_db(f->idx), si.root, "a.txt/x", &e, &err), 0);
	assert_int_equal(archive_tree_lookup(archive_index_db(f->idx), si.root, "sub/../a.txt", &e, &err), -1);
	assert_int_equal(err.status, UP_ERR_USAGE);
	err_clear(&err);
	snapshot_info_clear(&si);
	assert_false(archive_name_ok("..", 2));
	assert_false(archive_name_ok(".", 1));
	assert_false(archive_name_ok("", 0));
	assert_false(archive_name_ok("a/b", 3));
	assert_false(archive_name_ok("a\0b", 3));
	assert_true(archive_name_ok("...", 3));
	assert_true(archive_name_ok("a b\n\xff", 5));
	int64_t parsed;
	assert_true(archive_snapshot_parse_id("12", &parsed));
	assert_int_equal(parsed, 12);
	assert_false(archive_snapshot_parse_id("0", &parsed));
	assert_false(archive_snapshot_parse_id("-1", &parsed));
	assert_false(archive_snapshot_parse_id("1x", &parsed));
	assert_false(archive_snapshot_parse_id("99999999999999999999", &parsed));
}

static void test_serialize_canonical(void **state)
{
	(void)state;
	struct archive_entry e[2] = { { .name = (char *)"b", .name_len = 1, .type = ARCHIVE_SYMLINK,
					.link = (char *)"x", .link_len = 1 },
				      { .name = (char *)"a", .name_len = 1, .type = ARCHIVE_DIR } };
	archive_entries_sort(e, 2);
	assert_string_equal(e[0].name, "a");
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	archive_tree_serialize(e, 2, &a);
	e[1].mtime_ns = 1;
	archive_tree_serialize(e, 2, &b);
	assert_int_equal(a.len, b.len);
	assert_memory_not_equal(a.buf, b.buf, a.len);
	assert_int_equal(archive_tree_find(e, 2, "b", 1), 1);
	assert_int_equal(archive_tree_find(e, 2, "c", 1), -1);
	strbuf_release(&a);
	strbuf_release(&b);
}

static void test_restore_and_damage(void **state)
{
	struct fx *f = *state;
	struct backup_result r;
	int64_t id = backup(f, &r);
	backup_result_clear(&r);
	char *dest = xasprintf("%s/out", f->dir);
	struct restore_opts ro = { .snapshot = id, .dest = dest };
	struct restore_result rr;
	struct up_error err = UP_ERROR_INIT;
	assert_int_equal(archive_restore(f->idx, &ro, &rr, &err), 0);
	assert_int_equal(rr.files, 3);
	assert_int_equal(rr.symlinks, 1);
	char *cmd = xasprintf("diff -r --no-dereference '%s' '%s'", f->src, dest);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	/* again: refused, DIR is not empty */
	assert_int_equal(archive_restore(f->idx, &ro, &rr, &err), -1);
	assert_int_equal(err.status, UP_ERR_USAGE);
	err_clear(&err);

	struct verify_opts vo = { .read_data = true };
	struct verify_result vr;
	assert_int_equal(archive_verify(f->idx, &vo, &vr, &err), 0);
	assert_int_equal(vr.n_problems, 0);
	assert_true(vr.chunks_checked >= 3);
	verify_result_clear(&vr);

	/* point a.txt's chunk at b.txt's data: the read must refuse it */
	assert_int_equal(sqlite3_exec(archive_index_db(f->idx),
		"UPDATE chunks SET length = length - 1 WHERE length = 6", NULL, NULL, NULL), SQLITE_OK);
	struct chunk_reader *cr = chunk_reader_new(f->idx);
	struct archive_entry e;
	struct snapshot_info si;
	assert_int_equal(archive_snapshot_get(f->idx, id, &si, &err), 0);
	assert_int_equal(archive_tree_lookup(archive_index_db(f->idx), si.root, "a.txt", &e, &err), 1);
	const uint8_t *data;
	size_t len;
	assert_int_equal(chunk_reader_get(cr, e.chunks, &data, &len, &err), -1);
	assert_int_equal(err.status, UP_ERR_MISMATCH);
	assert_non_null(strstr(err.msg, "damaged"));
	err_clear(&err);
	archive_entry_clear(&e);
	snapshot_info_clear(&si);
	chunk_reader_free(&cr);
	/* verify names the snapshot and the path */
	vo.read_data = false;
	assert_int_equal(sqlite3_exec(archive_index_db(f->idx),
		"DELETE FROM chunks WHERE length = 5", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(archive_verify(f->idx, &vo, &vr, &err), 0);
	assert_true(vr.n_problems >= 1);
	bool named = false;
	for (size_t i = 0; i < vr.n_problems; i++)
		named |= vr.problems[i].snapshot == id && vr.problems[i].path &&
			 (strcmp(vr.problems[i].path, "a.txt") == 0 || strcmp(vr.problems[i].path, "l") == 0 ||
			  strcmp(vr.problems[i].path, "b.txt") == 0);
	assert_true(named);
	verify_result_clear(&vr);
	free(dest);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup_incremental_shared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup_and_names, setup, teardown),
		cmocka_unit_test(test_serialize_canonical),
		cmocka_unit_test_setup_teardown(test_restore_and_damage, setup, teardown),
	};
	return cmocka_run_group_tests_name("archive", tests, NULL, NULL);
}
