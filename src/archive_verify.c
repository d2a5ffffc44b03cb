/* archive_verify.c - index against packs, optionally every byte re-hashed. */
#include "config.h"

#include "archive_verify.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive_pool.h"
#include "archive_snap.h"
#include "archive_tree.h"
#include "escape.h"
#include "i18n.h"
#include "pack.h"
#include "util.h"

struct verify {
	struct archive_index *idx;
	const struct verify_opts *o;
	struct verify_result *res;
	struct chunk_set *bad;      /* chunk and listing ids found damaged */
	long long next_progress_ms;
};

static void report_progress(struct verify *v)
{
	if (!v->o->progress)
		return;
	long long now = util_monotonic_ms();
	if (now < v->next_progress_ms)
		return;
	v->next_progress_ms = now + 200;
	v->o->progress(v->o->progress_ctx, v->res);
}

void verify_result_clear(struct verify_result *r)
{
	for (size_t i = 0; i < r->n_problems; i++) {
		free(r->problems[i].path);
		free(r->problems[i].what);
	}
	free(r->problems);
	memset(r, 0, sizeof(*r));
}

static void problem(struct verify *v, int64_t snap, const char *path, char *what)
{
	struct verify_result *r = v->res;
	r->problems = xrealloc(r->problems, (r->n_problems + 1) * sizeof(*r->problems));
	r->problems[r->n_problems++] = (struct verify_problem){
		snap, path ? escape_text(path, (size_t)-1, 0, 0) : NULL, what
	};
}

/* Marks every chunk and listing stored in one block (or the whole pack
 * when block < 0) as damaged. */
static void mark_bad(struct verify *v, int64_t pack, long long block)
{
	static const char *const sql[] = {
		"SELECT hash FROM chunks WHERE pack = ?1 AND (?2 < 0 OR block = ?2)",
		"SELECT hash FROM trees WHERE pack = ?1 AND (?2 < 0 OR block = ?2)",
	};
	for (int q = 0; q < 2; q++) {
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(archive_index_db(v->idx), sql[q], -1, &st, NULL) != SQLITE_OK)
			continue;
		sqlite3_bind_int64(st, 1, pack);
		sqlite3_bind_int64(st, 2, block);
		while (sqlite3_step(st) == SQLITE_ROW)
			if (sqlite3_column_bytes(st, 0) == HASH_LEN)
				chunk_set_add(v->bad, sqlite3_column_blob(st, 0));
		sqlite3_finalize(st);
	}
}

/* Re-reads each record of the pack that the index points into. */
static void read_pack_data(struct verify *v, int64_t pack, int fd, const char *path)
{
	long long base = v->res->bytes;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(archive_index_db(v->idx),
			       "SELECT block FROM chunks WHERE pack = ?1 UNION"
			       " SELECT block FROM trees WHERE pack = ?1 ORDER BY 1", -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, pack);
	while (sqlite3_step(st) == SQLITE_ROW) {
		long long block = sqlite3_column_int64(st, 0);
		struct pack_record rec;
		struct up_error err = UP_ERROR_INIT;
		v->res->blocks_read++;
		v->res->bytes = base + block;
		report_progress(v);
		if (pack_read_record(fd, path, (uint64_t)block, &rec, &err) < 0) {
			problem(v, 0, NULL, xstrdup(err.msg));
			mark_bad(v, pack, block);
			err_clear(&err);
			continue;
		}
		for (uint32_t i = 0; i < rec.n; i++) {
			v->res->chunks_checked++;
			if (!pack_record_entry_ok(&rec, i)) {
				char hex[HASH_HEX_LEN + 1];
				hash_to_hex(rec.entries[i].id, hex);
				problem(v, 0, NULL, xasprintf(_("archive file %s: chunk %.16s at offset %lld is damaged (hash mismatch)"),
							      path, hex, block));
				chunk_set_add(v->bad, rec.entries[i].id);
			}
		}
		pack_record_clear(&rec);
	}
	sqlite3_finalize(st);
}

/* Does the snapshot record (JSON) name this root listing? */
static bool record_names_root(const struct pack_record *rec, const void *root_hash)
{
	char *text = xstrndup((const char *)rec->data, rec->raw_len);
	json_object *o = json_tokener_parse(text), *root = NULL;
	char hex[HASH_HEX_LEN + 1];
	hash_to_hex(root_hash, hex);
	bool ok = o && json_object_object_get_ex(o, "root", &root) &&
		  strcmp(json_object_get_string(root), hex) == 0;
	json_object_put(o);
	free(text);
	return ok;
}

/* Each snapshot's own record in this pack: intact and naming its root. */
static void read_snapshot_records(struct verify *v, int64_t pack, int fd, const char *path)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(archive_index_db(v->idx),
			       "SELECT s.id, s.record, t.hash FROM snapshots s JOIN trees t ON t.id = s.root"
			       " WHERE s.pack = ? AND s.record >= 0", -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, pack);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t snap = sqlite3_column_int64(st, 0);
		struct pack_record rec;
		struct up_error err = UP_ERROR_INIT;
		v->res->blocks_read++;
		if (pack_read_record(fd, path, (uint64_t)sqlite3_column_int64(st, 1), &rec, &err) < 0) {
			problem(v, snap, NULL, xasprintf(_("snapshot record: %s"), err.msg));
		} else if (rec.type != PACK_SNAPSHOT || rec.n != 1 || !pack_record_entry_ok(&rec, 0) ||
			   sqlite3_column_bytes(st, 2) != HASH_LEN ||
			   !record_names_root(&rec, sqlite3_column_blob(st, 2))) {
			problem(v, snap, NULL, xasprintf(_("snapshot record in %s does not match the index"), path));
		}
		err_clear(&err);
		pack_record_clear(&rec);
	}
	sqlite3_finalize(st);
}

/* Every pack: present, its magic, its recorded size; with read_data its
 * records. */
static int check_packs(struct verify *v, struct up_error *err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(archive_index_db(v->idx), "SELECT count(*), total(size) FROM packs", -1, &st,
			       NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		v->res->total_packs = sqlite3_column_int64(st, 0);
		v->res->total_bytes = (long long)sqlite3_column_double(st, 1);
	}
	sqlite3_finalize(st);
	st = NULL;
	int rc = sqlite3_prepare_v2(archive_index_db(v->idx), "SELECT id, name, size FROM packs ORDER BY id",
				    -1, &st, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		rc = SQLITE_OK;
		if (v->o->cancel && *v->o->cancel) {
			sqlite3_finalize(st);
			return err_set(err, UP_ERR_CANCELLED, _("verify cancelled"));
		}
		int64_t id = sqlite3_column_int64(st, 0);
		char *path = xasprintf("%s/%s", archive_index_pack_dir(v->idx),
				       (const char *)sqlite3_column_text(st, 1));
		long long size = sqlite3_column_int64(st, 2);
		long long bytes_before = v->res->bytes;
		struct up_error perr = UP_ERROR_INIT;
		struct stat sb;
		int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		v->res->packs++;
		if (fd < 0 || fstat(fd, &sb) < 0) {
			problem(v, 0, NULL, xasprintf(_("archive file %s: %s"), path, strerror(errno)));
			mark_bad(v, id, -1);
		} else if (sb.st_size < size) {
			problem(v, 0, NULL, xasprintf(_("archive file %s is truncated (%lld bytes, index says %lld)"),
						      path, (long long)sb.st_size, size));
			mark_bad(v, id, -1);
		} else if (pack_check_magic(fd, path, &perr) < 0) {
			problem(v, 0, NULL, xstrdup(perr.msg));
			mark_bad(v, id, -1);
		} else if (v->o->read_data) {
			read_pack_data(v, id, fd, path);
			read_snapshot_records(v, id, fd, path);
		}
		err_clear(&perr);
		if (fd >= 0)
			close(fd);
		free(path);
		v->res->bytes = bytes_before + size;
		report_progress(v);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : archive_index_fail(v->idx, rc, _("reading packs"), err);
}

/* Is each chunk of the file indexed and not damaged? */
static bool file_ok(struct verify *v, const struct archive_entry *e, sqlite3_stmt *known)
{
	for (uint32_t i = 0; i < e->n_chunks; i++) {
		const uint8_t *id = e->chunks + (size_t)i * HASH_LEN;
		if (chunk_set_has(v->bad, id))
			return false;
		sqlite3_reset(known);
		sqlite3_bind_blob(known, 1, id, HASH_LEN, SQLITE_STATIC);
		if (sqlite3_step(known) != SQLITE_ROW)
			return false;
	}
	return true;
}

static int walk_snapshot(struct verify *v, int64_t snap, int64_t tree, const uint8_t *tree_hash,
			 const char *rel, sqlite3_stmt *known, struct up_error *err)
{
	if (tree_hash && chunk_set_has(v->bad, tree_hash))
		problem(v, snap, *rel ? rel : ".", xstrdup(_("directory listing damaged in its archive file")));
	struct archive_entry *e;
	size_t n;
	if (archive_tree_load(archive_index_db(v->idx), tree, &e, &n, err) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char *path = xasprintf("%s%s%s", rel, *rel ? "/" : "", e[i].name);
		if (e[i].type == ARCHIVE_FILE && !file_ok(v, &e[i], known))
			problem(v, snap, path, xstrdup(_("damaged or missing data")));
		else if (e[i].type == ARCHIVE_DIR)
			rc = walk_snapshot(v, snap, e[i].subtree, e[i].sub_hash, path, known, err);
		free(path);
	}
	archive_entries_free(&e, n);
	return rc;
}

/* The id of a snapshot's root listing (to see whether it was damaged). */
static bool root_listing_id(struct verify *v, int64_t tree, uint8_t out[HASH_LEN])
{
	sqlite3_stmt *st = NULL;
	bool ok = false;
	if (sqlite3_prepare_v2(archive_index_db(v->idx), "SELECT hash FROM trees WHERE id = ?", -1, &st,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, tree);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == HASH_LEN) {
			memcpy(out, sqlite3_column_blob(st, 0), HASH_LEN);
			ok = true;
		}
	}
	sqlite3_finalize(st);
	return ok;
}

/* The snapshot's first problem, "PATH: WHAT" (NULL: none), kept short. */
static char *first_problem(const struct verify_result *r, int64_t snap)
{
	for (size_t i = 0; i < r->n_problems; i++)
		if (r->problems[i].snapshot == snap)
			return xasprintf("%.200s%s%.200s", r->problems[i].path ? r->problems[i].path : "",
					 r->problems[i].path ? ": " : "", r->problems[i].what);
	return NULL;
}

/* Each snapshot checked gets its result in the index. */
static int record_results(struct verify *v, const struct snapshot_info *s, size_t n,
			  struct up_error *err)
{
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char *error = first_problem(v->res, s[i].id);
		rc = archive_snapshot_set_verified(v->idx, s[i].id, v->o->read_data, error, err);
		free(error);
		if (rc < 0 && err->status == UP_ERR_NOT_FOUND) {
			/* forgotten or pruned meanwhile: nothing to record */
			err_clear(err);
			rc = 0;
		}
	}
	return rc;
}

static int check_snapshots(struct verify *v, struct up_error *err)
{
	struct snapshot_info *s = NULL;
	size_t n = 0;
	if (v->o->snapshot) {
		s = xcalloc(1, sizeof(*s));
		if (archive_snapshot_get(v->idx, v->o->snapshot, s, err) < 0) {
			free(s);
			return -1;
		}
		n = 1;
	} else if (archive_snapshots_list(v->idx, NULL, &s, &n, err) < 0) {
		return -1;
	}
	sqlite3_stmt *known = NULL;
	int rc = sqlite3_prepare_v2(archive_index_db(v->idx), "SELECT 1 FROM chunks WHERE hash = ?", -1,
				    &known, NULL) == SQLITE_OK ? 0 : archive_index_fail(v->idx, SQLITE_ERROR, "verify", err);
	for (size_t i = 0; i < n && rc == 0; i++) {
		uint8_t root_hash[HASH_LEN];
		if (v->o->cancel && *v->o->cancel) {
			rc = err_set(err, UP_ERR_CANCELLED, _("verify cancelled"));
			break;
		}
		bool have = root_listing_id(v, s[i].root, root_hash);
		v->res->snapshots++;
		rc = walk_snapshot(v, s[i].id, s[i].root, have ? root_hash : NULL, "", known, err);
	}
	sqlite3_finalize(known);
	if (rc == 0 && v->o->record)
		rc = record_results(v, s, n, err);
	snapshot_infos_free(&s, n);
	return rc;
}

int archive_verify(struct archive_index *idx, const struct verify_opts *o,
		   struct verify_result *res, struct up_error *err)
{
	memset(res, 0, sizeof(*res));
	struct verify v = { .idx = idx, .o = o, .res = res, .bad = chunk_set_new() };
	int rc = check_packs(&v, err);
	if (rc == 0)
		rc = check_snapshots(&v, err);
	chunk_set_free(&v.bad);
	return rc;
}
