/* archive_repack.c - mostly unused packs rewritten. See archive_repack.h. */
#include "config.h"

#include "archive_repack.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive_read.h"
#include "archive_pool.h"
#include "crashpoint.h"
#include "i18n.h"
#include "pack.h"

#define REPACK_LEVEL 3

struct moved {
	int64_t row;          /* trees.id / snapshots.id; chunks: unused */
	uint8_t id[HASH_LEN]; /* chunks: the id */
	uint64_t block;
	uint32_t offset;
};

struct repack {
	struct archive_index *idx;
	sqlite3 *db;
	int64_t pack;
	const char *name;
	int fd;                   /* the old pack */
	struct pack_writer *w;
	struct moved *chunks, *trees, *snaps;
	size_t n_chunks, n_trees, n_snaps;
};

void repack_result_clear(struct repack_result *r)
{
	strvec_clear(&r->skipped);
	memset(r, 0, sizeof(*r));
}

/* Room for one more after n (capacity doubles at powers of two). */
static struct moved *grow(struct moved *v, size_t n)
{
	if (n >= 16 && (n & (n - 1)) != 0)
		return v;
	return xrealloc(v, (n < 16 ? 16 : 2 * n) * sizeof(*v));
}

/* Raw bytes of the pack's block records, from their headers. */
static int block_bytes(int fd, const char *path, long long *total, struct up_error *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return err_set(err, UP_ERR_IO, "%s: %s", path, strerror(errno));
	*total = 0;
	uint64_t off = PACK_MAGIC_LEN;
	while (off < (uint64_t)st.st_size) {
		struct pack_record rec;
		if (pack_read_header(fd, path, off, &rec, err) < 0)
			return -1;
		if (rec.type == PACK_BLOCK)
			*total += (long long)rec.raw_len;
		off = rec.next;
		pack_record_clear(&rec);
	}
	return 0;
}

static long long live_bytes(sqlite3 *db, int64_t pack)
{
	sqlite3_stmt *st = NULL;
	long long v = -1;
	if (sqlite3_prepare_v2(db, "SELECT coalesce(sum(length), 0) FROM chunks WHERE pack = ?", -1, &st,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, pack);
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return v;
}

/* Live chunks, read (and verified) from the old pack, into new blocks. */
static int copy_chunks(struct repack *r, struct up_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(r->db, "SELECT hash FROM chunks WHERE pack = ? ORDER BY block, offset",
				    -1, &st, NULL);
	if (rc != SQLITE_OK)
		return archive_index_fail(r->idx, rc, _("listing chunks"), err);
	sqlite3_bind_int64(st, 1, r->pack);
	struct chunk_reader *reader = chunk_reader_new(r->idx);
	struct strbuf data = STRBUF_INIT;
	struct pack_entry *ents = NULL;
	size_t n = 0, first = 0;
	int out = 0;
	for (;;) {
		bool row = out == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW;
		if (out == 0 && !row && rc != SQLITE_DONE)
			out = archive_index_fail(r->idx, rc, _("listing chunks"), err);
		if (out == 0 && n > 0 && (!row || data.len >= POOL_BLOCK_BYTES)) {
			uint64_t block;
			out = pack_write_record(r->w, PACK_BLOCK, ents, (uint32_t)n, data.buf, data.len,
						REPACK_LEVEL, &block, err);
			for (size_t i = first; i < r->n_chunks; i++)
				r->chunks[i].block = block;
			first = r->n_chunks;
			n = 0;
			data.len = 0;
		}
		if (!row || out < 0)
			break;
		const uint8_t *id = sqlite3_column_blob(st, 0), *p;
		size_t len;
		if (sqlite3_column_bytes(st, 0) != HASH_LEN ||
		    chunk_reader_get(reader, id, &p, &len, err) < 0) {
			out = -1;
			break;
		}
		r->chunks = grow(r->chunks, r->n_chunks);
		struct moved *m = &r->chunks[r->n_chunks++];
		memcpy(m->id, id, HASH_LEN);
		m->offset = (uint32_t)data.len;
		ents = xrealloc(ents, (n + 1) * sizeof(*ents));
		memcpy(ents[n].id, id, HASH_LEN);
		ents[n++].length = (uint32_t)len;
		strbuf_add(&data, (const char *)p, len);
	}
	free(ents);
	strbuf_release(&data);
	chunk_reader_free(&reader);
	sqlite3_finalize(st);
	return out;
}

/* Listings (PACK_TREE) or snapshot records (PACK_SNAPSHOT) of the old pack. */
static int copy_records(struct repack *r, enum pack_record_type type, struct up_error *err)
{
	const char *sql = type == PACK_TREE ? "SELECT id, block FROM trees WHERE pack = ?"
					    : "SELECT id, record FROM snapshots WHERE pack = ?";
	struct moved **v = type == PACK_TREE ? &r->trees : &r->snaps;
	size_t *nv = type == PACK_TREE ? &r->n_trees : &r->n_snaps;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(r->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return archive_index_fail(r->idx, rc, _("listing records"), err);
	sqlite3_bind_int64(st, 1, r->pack);
	int out = 0;
	while (out == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		long long at = sqlite3_column_int64(st, 1);
		struct pack_record rec;
		if (at < 0) {
			out = err_set(err, UP_ERR_MISMATCH, _("a snapshot's record is not indexed"));
			break;
		}
		if (pack_read_record(r->fd, r->name, (uint64_t)at, &rec, err) < 0) {
			out = -1;
			break;
		}
		if (rec.type != type || rec.n != 1 || !pack_record_entry_ok(&rec, 0))
			out = err_set(err, UP_ERR_MISMATCH, _("%s: a damaged record at offset %lld"), r->name, at);
		*v = grow(*v, *nv);
		struct moved *m = &(*v)[(*nv)++];
		m->row = sqlite3_column_int64(st, 0);
		if (out == 0)
			out = pack_write_record(r->w, type, rec.entries, 1, rec.data, rec.raw_len, REPACK_LEVEL,
						&m->block, err);
		pack_record_clear(&rec);
	}
	if (out == 0 && rc != SQLITE_DONE)
		out = archive_index_fail(r->idx, rc, _("listing records"), err);
	sqlite3_finalize(st);
	return out;
}

/* Binds a, b, c and (when not NULL) the id blob, in that order, and steps. */
static int run_update(sqlite3 *db, const char *sql, int64_t a, int64_t b, int64_t c,
		      const void *blob)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, a);
		sqlite3_bind_int64(st, 2, b);
		sqlite3_bind_int64(st, 3, c);
		if (blob)
			sqlite3_bind_blob(st, 4, blob, HASH_LEN, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	return rc;
}

/* One transaction: the new pack's row, every row moved, the old row gone. */
static int commit_moves(struct repack *r, const char *new_name, uint64_t size, struct up_error *err)
{
	if (archive_index_write_begin(r->idx, err) < 0)
		return -1;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(r->db, "INSERT INTO packs (name, size, created) VALUES (?, ?, ?)", -1,
				    &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, new_name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)size);
		sqlite3_bind_int64(st, 3, util_now());
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	int64_t np = sqlite3_last_insert_rowid(r->db);
	for (size_t i = 0; rc == SQLITE_DONE && i < r->n_chunks; i++)
		rc = run_update(r->db, "UPDATE chunks SET pack = ?, block = ?, offset = ? WHERE hash = ?",
				np, (int64_t)r->chunks[i].block, r->chunks[i].offset, r->chunks[i].id);
	for (size_t i = 0; rc == SQLITE_DONE && i < r->n_trees; i++)
		rc = run_update(r->db, "UPDATE trees SET pack = ?, block = ? WHERE id = ?", np,
				(int64_t)r->trees[i].block, r->trees[i].row, NULL);
	for (size_t i = 0; rc == SQLITE_DONE && i < r->n_snaps; i++)
		rc = run_update(r->db, "UPDATE snapshots SET pack = ?, record = ? WHERE id = ?", np,
				(int64_t)r->snaps[i].block, r->snaps[i].row, NULL);
	if (rc == SQLITE_DONE && sqlite3_prepare_v2(r->db, "DELETE FROM packs WHERE id = ?", -1, &st,
						    NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, r->pack);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
	}
	if (rc != SQLITE_DONE) {
		archive_index_fail(r->idx, rc, _("moving rows to the new archive file"), err);
		archive_index_write_rollback(r->idx);
		return -1;
	}
	return archive_index_write_commit(r->idx, err);
}

static int repack_one(struct repack *r, uint64_t *new_size, struct up_error *err)
{
	char *new_name = archive_index_new_pack_name();
	const char *dir = archive_index_pack_dir(r->idx);
	int rc = pack_writer_create(dir, new_name, &r->w, err);
	if (rc == 0)
		rc = copy_chunks(r, err);
	if (rc == 0)
		rc = copy_records(r, PACK_TREE, err);
	if (rc == 0)
		rc = copy_records(r, PACK_SNAPSHOT, err);
	if (rc == 0)
		rc = pack_writer_finish(r->w, new_size, err);
	crashpoint("repack.before-commit");
	if (rc == 0)
		rc = commit_moves(r, new_name, *new_size, err);
	pack_writer_free(&r->w, rc < 0);
	if (rc == 0) {
		crashpoint("repack.before-unlink");
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			unlinkat(dfd, r->name, 0); /* if this fails, it is garbage for the next run */
			fsync(dfd);
			close(dfd);
		}
	}
	free(new_name);
	return rc;
}

/* Whether pack (id, name) is worth rewriting. */
static int candidate(struct archive_index *idx, int dfd, int64_t id, const char *name, int *fd,
		     struct up_error *err)
{
	*fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (*fd < 0)
		return err_set(err, UP_ERR_IO, _("cannot open %s: %s"), name, strerror(errno));
	long long total = 0, live = live_bytes(archive_index_db(idx), id);
	if (block_bytes(*fd, name, &total, err) < 0)
		return -1;
	return live >= 0 && total > 0 && live * 2 < total;
}

int archive_repack(struct archive_index *idx, bool dry_run, struct repack_result *res,
		   struct up_error *err)
{
	memset(res, 0, sizeof(*res));
	sqlite3 *db = archive_index_db(idx);
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT id, name, size FROM packs ORDER BY id", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return archive_index_fail(idx, rc, _("listing archive files"), err);
	struct strvec names = STRVEC_INIT;
	int64_t *ids = NULL;
	long long *sizes = NULL;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ids = xrealloc(ids, (names.n + 1) * sizeof(*ids));
		sizes = xrealloc(sizes, (names.n + 1) * sizeof(*sizes));
		ids[names.n] = sqlite3_column_int64(st, 0);
		sizes[names.n] = sqlite3_column_int64(st, 2);
		strvec_push(&names, (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	int dfd = open(archive_index_pack_dir(idx), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (size_t i = 0; dfd >= 0 && i < names.n; i++) {
		if (!dry_run && archive_index_cancelled(idx)) { /* each file's rewrite is whole */
			res->cancelled = true;
			break;
		}
		struct up_error e = UP_ERROR_INIT;
		struct repack r = { .idx = idx, .db = db, .pack = ids[i], .name = names.items[i] };
		int want = candidate(idx, dfd, ids[i], names.items[i], &r.fd, &e);
		uint64_t size = 0;
		if (want > 0 && !dry_run && repack_one(&r, &size, &e) < 0)
			want = -1;
		if (want > 0) {
			res->packs++;
			res->bytes_before += sizes[i];
			res->bytes_after += (long long)size;
		} else if (want < 0) {
			strvec_push_owned(&res->skipped, xasprintf("%s: %s", names.items[i], e.msg));
		}
		if (r.fd >= 0)
			close(r.fd);
		free(r.chunks);
		free(r.trees);
		free(r.snaps);
		err_clear(&e);
	}
	if (dfd >= 0)
		close(dfd);
	strvec_clear(&names);
	free(ids);
	free(sizes);
	return 0;
}
