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
#include "archive_prune.h"
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
	/* a version 1 index (before snapshots.record and the verification
	 * columns) is migrated on open */
	assert_int_equal(sqlite3_exec(archive_index_db(f->idx), "ALTER TABLE snapshots DROP COLUMN record;"
				      " ALTER TABLE snapshots DROP COLUMN verified_at;"
				      " ALTER TABLE snapshots DROP COLUMN verified_data;"
				      " ALTER TABLE snapshots DROP COLUMN verify_error;"
				      " PRAGMA user_version = 1", NULL, NULL, NULL), SQLITE_OK);
	archive_index_close(&f->idx);
	assert_int_equal(archive_index_open(f->arch, 100, &f->idx, &err), 0);
	assert_int_equal(count(f, "PRAGMA user_version"), ARCHIVE_SCHEMA_VERSION);
	assert_int_equal(count(f, "SELECT count(*) FROM pragma_table_info('snapshots') WHERE name = 'record'"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM pragma_table_info('snapshots') WHERE name IN"
			       " ('verified_at', 'verified_data', 'verify_error')"), 3);
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
	archive_entry_release(&e);
	assert_int_equal(archive_tree_lookup(archive_index_db(f->idx), si.root, "l", &e, &err), 1);
	assert_int_equal(e.type, ARCHIVE_SYMLINK);
	assert_string_equal(e.link, "a.txt");
	archive_entry_release(&e);
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
	archive_entry_release(&e);
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

/* Listings and chunks shared by snapshots of two targets survive the
 * removal of one; removing the other reclaims everything. */
static void test_prune_shared(void **state)
{
	struct fx *f = *state;
	struct backup_result r1, r2;
	struct backup_opts o = { .target = "other", .path = f->src, .reason = "manual", .level = 3,
				 .threads = 1 };
	struct up_error err = UP_ERROR_INIT;
	int64_t a = backup(f, &r1);
	assert_int_equal(archive_backup(f->idx, &o, &r2, &err), 0);
	int64_t b = r2.id;
	backup_result_clear(&r1);
	backup_result_clear(&r2);
	long long trees = count(f, "SELECT count(*) FROM trees");
	long long chunks = count(f, "SELECT count(*) FROM chunks");
	assert_true(trees >= 2 && chunks >= 3);
	/* the same tree: one root listing for both */
	assert_int_equal(count(f, "SELECT count(DISTINCT root) FROM snapshots"), 1);

	struct prune_result pr;
	assert_int_equal(archive_prune(f->idx, &a, 1, false, &pr, &err), 0);
	assert_int_equal(pr.snapshots, 1);
	assert_int_equal(pr.trees, 0);
	assert_int_equal(pr.chunks, 0);
	assert_int_equal(count(f, "SELECT count(*) FROM trees"), trees);
	assert_int_equal(count(f, "SELECT count(*) FROM chunks"), chunks);
	prune_result_clear(&pr);
	struct verify_opts vo = { .read_data = true };
	struct verify_result vr = { 0 };
	assert_int_equal(archive_verify(f->idx, &vo, &vr, &err), 0);
	assert_int_equal(vr.n_problems, 0);
	verify_result_clear(&vr);

	/* an unknown or pinned snapshot is refused and nothing changes */
	int64_t none = 999;
	assert_int_equal(archive_prune(f->idx, &none, 1, false, &pr, &err), -1);
	assert_int_equal(err.status, UP_ERR_USAGE);
	err_clear(&err);
	prune_result_clear(&pr);
	assert_int_equal(archive_snapshot_set_pinned(f->idx, b, true, &err), 0);
	assert_int_equal(archive_prune(f->idx, &b, 1, false, &pr, &err), -1);
	err_clear(&err);
	prune_result_clear(&pr);
	assert_int_equal(count(f, "SELECT count(*) FROM snapshots"), 1);

	/* a dry run reports everything and changes nothing */
	assert_int_equal(archive_snapshot_set_pinned(f->idx, b, false, &err), 0);
	assert_int_equal(archive_prune(f->idx, &b, 1, true, &pr, &err), 0);
	assert_int_equal(pr.snapshots, 1);
	assert_int_equal(pr.trees, trees);
	assert_int_equal(pr.chunks, chunks);
	assert_int_equal(pr.packs, 2);
	prune_result_clear(&pr);
	assert_int_equal(count(f, "SELECT count(*) FROM snapshots"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM packs"), 2);

	assert_int_equal(archive_prune(f->idx, &b, 1, false, &pr, &err), 0);
	assert_int_equal(pr.packs, 2);
	prune_result_clear(&pr);
	assert_int_equal(count(f, "SELECT count(*) FROM trees"), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM entries"), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM chunks"), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM packs"), 0);
	char *cmd = xasprintf("test -z \"$(ls -A '%s/packs')\"", f->arch);
	assert_int_equal(system(cmd), 0); /* every archive file unlinked */
	free(cmd);
}

/* A serialized listing parses back into the same entries; damage is -1. */
static void test_tree_parse(void **state)
{
	(void)state;
	struct archive_entry e[3];
	memset(e, 0, sizeof(e));
	uint8_t chunks[2 * HASH_LEN];
	memset(chunks, 0xab, sizeof(chunks));
	e[0] = (struct archive_entry){ .name = (char *)"d", .name_len = 1, .type = ARCHIVE_DIR,
				       .mode = 0755, .mtime_ns = -5 };
	memset(e[0].sub_hash, 7, HASH_LEN);
	e[1] = (struct archive_entry){ .name = (char *)"f", .name_len = 1, .type = ARCHIVE_FILE,
				       .mode = 0644, .uid = 1000, .gid = 1001, .size = 99, .ino = 42,
				       .chunks = chunks, .n_chunks = 2, .mtime_ns = 1234567890123 };
	e[2] = (struct archive_entry){ .name = (char *)"l", .name_len = 1, .type = ARCHIVE_SYMLINK,
				       .mode = 0777, .link = (char *)"target", .link_len = 6, .size = 6 };
	struct strbuf sb = STRBUF_INIT;
	archive_tree_serialize(e, 3, &sb);
	struct archive_entry *v;
	size_t n;
	assert_int_equal(archive_tree_parse((const uint8_t *)sb.buf, sb.len, &v, &n), 0);
	assert_int_equal(n, 3);
	struct strbuf again = STRBUF_INIT;
	archive_tree_serialize(v, n, &again);
	assert_int_equal(again.len, sb.len);
	assert_memory_equal(again.buf, sb.buf, sb.len);
	assert_memory_equal(v[0].sub_hash, e[0].sub_hash, HASH_LEN);
	assert_int_equal(v[1].n_chunks, 2);
	assert_int_equal(v[1].uid, 1000);
	assert_string_equal(v[2].link, "target");
	archive_entries_free(&v, n);
	strbuf_release(&again);
	/* a truncation is refused unless it falls between entries (the record's
	 * hash catches those): then it is exactly the entries before the cut */
	int refused = 0;
	for (size_t cut = 1; cut < sb.len; cut++) {
		if (archive_tree_parse((const uint8_t *)sb.buf, cut, &v, &n) < 0) {
			refused++;
			continue;
		}
		assert_true(n > 0 && n < 3);
		archive_tree_serialize(v, n, &again);
		assert_int_equal(again.len, cut);
		assert_memory_equal(again.buf, sb.buf, cut);
		strbuf_release(&again);
		archive_entries_free(&v, n);
	}
	assert_int_equal(refused, (int)sb.len - 1 - 2); /* two cuts fall between entries */
	assert_int_equal(archive_tree_parse((const uint8_t *)"", 0, &v, &n), 0);
	assert_int_equal(n, 0);
	/* an unknown type, a name "..": refused */
	sb.buf[2 + 1] = 9;
	assert_int_equal(archive_tree_parse((const uint8_t *)sb.buf, sb.len, &v, &n), -1);
	strbuf_release(&sb);
	struct archive_entry dots = { .name = (char *)"..", .name_len = 2, .type = ARCHIVE_SYMLINK,
				      .link = (char *)"x", .link_len = 1 };
	archive_tree_serialize(&dots, 1, &sb);
	assert_int_equal(archive_tree_parse((const uint8_t *)sb.buf, sb.len, &v, &n), -1);
	strbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup_incremental_shared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup_and_names, setup, teardown),
		cmocka_unit_test(test_serialize_canonical),
		cmocka_unit_test(test_tree_parse),
		cmocka_unit_test_setup_teardown(test_prune_shared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_and_damage, setup, teardown),
	};
	return cmocka_run_group_tests_name("archive", tests, NULL, NULL);
}
