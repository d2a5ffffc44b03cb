/* archive_repair.c - the archive index rebuilt from the packs. See
 * archive_repair.h. */
#include "config.h"

#include "archive_repair.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive_index.h"
#include "archive_pool.h"
#include "archive_tree.h"
#include "hash.h"
#include "i18n.h"
#include "lockfile.h"
#include "pack.h"

/* A listing read from a pack, parsed once every listing has a row. */
struct tree_rec {
	int64_t row;
	uint8_t *data;
	size_t len;
};

/* A snapshot record, listed once the whole tree is known to be there. */
struct snap_rec {
	char *json;
	int64_t pack;
	uint64_t offset;
	long long time;
	size_t order;
};

struct rebuild {
	struct archive_index *idx;
	sqlite3 *db;
	struct repair_result *res;
	sqlite3_stmt *pack, *chunk, *tree, *entry, *snap, *tree_by_hash, *has_chunk;
	struct tree_rec *trees;
	size_t n_trees, cap_trees;
	struct snap_rec *snaps;
	size_t n_snaps, cap_snaps;
	struct chunk_set *complete; /* listings whose whole subtree is present */
};

void repair_result_clear(struct repair_result *r)
{
	strvec_clear(&r->problems);
	free(r->moved_aside);
	memset(r, 0, sizeof(*r));
}

static void problem(struct rebuild *rb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct rebuild *rb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	strvec_push_owned(&rb->res->problems, xvasprintf(fmt, ap));
	va_end(ap);
}

static int step(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc;
}

static void add_block(struct rebuild *rb, const struct pack_record *rec, int64_t pack, uint64_t off,
		      const char *name)
{
	for (uint32_t i = 0; i < rec->n; i++) {
		if (!pack_record_entry_ok(rec, i)) {
			problem(rb, _("%s: a damaged chunk in the block at offset %lld"), name, (long long)off);
			continue;
		}
		sqlite3_bind_blob(rb->chunk, 1, rec->entries[i].id, HASH_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(rb->chunk, 2, pack);
		sqlite3_bind_int64(rb->chunk, 3, (sqlite3_int64)off);
		sqlite3_bind_int64(rb->chunk, 4, (sqlite3_int64)rec->offsets[i]);
		sqlite3_bind_int64(rb->chunk, 5, rec->entries[i].length);
		if (step(rb->chunk) == SQLITE_DONE && sqlite3_changes(rb->db) == 1)
			rb->res->chunks++;
	}
}

static void add_tree(struct rebuild *rb, const struct pack_record *rec, int64_t pack, uint64_t off,
		     const char *name)
{
	if (rec->n != 1 || !pack_record_entry_ok(rec, 0)) {
		problem(rb, _("%s: a damaged directory listing at offset %lld"), name, (long long)off);
		return;
	}
	sqlite3_bind_blob(rb->tree, 1, rec->entries[0].id, HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(rb->tree, 2, pack);
	sqlite3_bind_int64(rb->tree, 3, (sqlite3_int64)off);
	if (step(rb->tree) != SQLITE_DONE || sqlite3_changes(rb->db) != 1)
		return; /* the same listing stored twice: the first one counts */
	if (rb->n_trees == rb->cap_trees) {
		rb->cap_trees = rb->cap_trees ? 2 * rb->cap_trees : 64;
		rb->trees = xrealloc(rb->trees, rb->cap_trees * sizeof(*rb->trees));
	}
	struct tree_rec *t = &rb->trees[rb->n_trees++];
	t->row = sqlite3_last_insert_rowid(rb->db);
	t->len = rec->raw_len;
	t->data = xmalloc(t->len + 1);
	memcpy(t->data, rec->data, t->len);
	rb->res->trees++;
}

static void add_snapshot(struct rebuild *rb, const struct pack_record *rec, int64_t pack,
			 uint64_t off, const char *name)
{
	if (rec->n != 1 || !pack_record_entry_ok(rec, 0)) {
		problem(rb, _("%s: a damaged snapshot record at offset %lld"), name, (long long)off);
		return;
	}
	if (rb->n_snaps == rb->cap_snaps) {
		rb->cap_snaps = rb->cap_snaps ? 2 * rb->cap_snaps : 16;
		rb->snaps = xrealloc(rb->snaps, rb->cap_snaps * sizeof(*rb->snaps));
	}
	struct snap_rec *s = &rb->snaps[rb->n_snaps];
	s->json = xmalloc(rec->raw_len + 1);
	memcpy(s->json, rec->data, rec->raw_len);
	s->json[rec->raw_len] = '\0';
	s->pack = pack;
	s->offset = off;
	s->order = rb->n_snaps++;
	json_object *o = json_tokener_parse(s->json);
	json_object *t;
	s->time = o && json_object_object_get_ex(o, "time", &t) ? json_object_get_int64(t) : 0;
	json_object_put(o);
}

/* Reads one pack's records into the index. */
static int scan_pack(struct rebuild *rb, int dfd, const char *name, struct up_error *err)
{
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		problem(rb, _("%s: cannot read it: %s"), name, strerror(fd < 0 ? errno : EINVAL));
		if (fd >= 0)
			close(fd);
		return 0;
	}
	struct up_error e = UP_ERROR_INIT;
	if (pack_check_magic(fd, name, &e) < 0) {
		problem(rb, _("%s: not an archive file"), name);
		err_clear(&e);
		close(fd);
		return 0;
	}
	sqlite3_bind_text(rb->pack, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(rb->pack, 2, st.st_size);
	sqlite3_bind_int64(rb->pack, 3, st.st_mtim.tv_sec);
	int rc = step(rb->pack);
	if (rc != SQLITE_DONE) {
		close(fd);
		return archive_index_fail(rb->idx, rc, _("recording an archive file"), err);
	}
	int64_t pack = sqlite3_last_insert_rowid(rb->db);
	rb->res->packs++;
	uint64_t off = PACK_MAGIC_LEN;
	while (off < (uint64_t)st.st_size) {
		struct pack_record rec;
		if (pack_read_record(fd, name, off, &rec, &e) < 0) {
			problem(rb, _("%s: damaged at offset %lld; the rest of it is not used"), name, (long long)off);
			err_clear(&e);
			break;
		}
		rb->res->records++;
		if (rec.type == PACK_BLOCK)
			add_block(rb, &rec, pack, off, name);
		else if (rec.type == PACK_TREE)
			add_tree(rb, &rec, pack, off, name);
		else if (rec.type == PACK_SNAPSHOT)
			add_snapshot(rb, &rec, pack, off, name);
		off = rec.next;
		pack_record_clear(&rec);
	}
	close(fd);
	return 0;
}

static int64_t tree_by_hash(struct rebuild *rb, const uint8_t *hash)
{
	sqlite3_bind_blob(rb->tree_by_hash, 1, hash, HASH_LEN, SQLITE_STATIC);
	int64_t id = sqlite3_step(rb->tree_by_hash) == SQLITE_ROW ? sqlite3_column_int64(rb->tree_by_hash, 0) : 0;
	sqlite3_reset(rb->tree_by_hash);
	return id;
}

static int insert_entry(struct rebuild *rb, int64_t tree, const struct archive_entry *e)
{
	sqlite3_stmt *st = rb->entry;
	sqlite3_clear_bindings(st);
	sqlite3_bind_int64(st, 1, tree);
	sqlite3_bind_blob(st, 2, e->name, (int)e->name_len, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, (int)e->type);
	sqlite3_bind_int64(st, 4, e->mode);
	sqlite3_bind_int64(st, 5, e->uid);
	sqlite3_bind_int64(st, 6, e->gid);
	sqlite3_bind_int64(st, 7, e->mtime_ns);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)e->size);
	sqlite3_bind_int64(st, 9, e->ctime_ns);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)e->ino);
	sqlite3_bind_int64(st, 11, (sqlite3_int64)e->dev);
	if (e->type == ARCHIVE_SYMLINK)
		sqlite3_bind_blob(st, 12, e->link, (int)e->link_len, SQLITE_STATIC);
	int64_t sub = e->type == ARCHIVE_DIR ? tree_by_hash(rb, e->sub_hash) : 0;
	if (sub)
		sqlite3_bind_int64(st, 13, sub); /* a missing listing stays NULL */
	if (e->type == ARCHIVE_FILE)
		sqlite3_bind_blob(st, 14, e->chunks ? (const void *)e->chunks : "",
				  (int)((size_t)e->n_chunks * HASH_LEN), SQLITE_STATIC);
	return step(st);
}

/* Every listing's entries, now that each listing has its row. */
static int add_entries(struct rebuild *rb, struct up_error *err)
{
	for (size_t i = 0; i < rb->n_trees; i++) {
		struct archive_entry *v;
		size_t n;
		if (archive_tree_parse(rb->trees[i].data, rb->trees[i].len, &v, &n) < 0) {
			problem(rb, _("a directory listing (row %lld) is malformed"), (long long)rb->trees[i].row);
			continue;
		}
		int rc = SQLITE_DONE;
		for (size_t k = 0; k < n && rc == SQLITE_DONE; k++)
			rc = insert_entry(rb, rb->trees[i].row, &v[k]);
		archive_entries_free(&v, n);
		if (rc != SQLITE_DONE)
			return archive_index_fail(rb->idx, rc, _("recording directory entries"), err);
	}
	return 0;
}

/* True when the listing and everything below it is in the index. */
static bool tree_complete(struct rebuild *rb, int64_t tree, const uint8_t *hash)
{
	if (!tree)
		return false;
	if (chunk_set_has(rb->complete, hash))
		return true;
	struct archive_entry *v;
	size_t n;
	struct up_error e = UP_ERROR_INIT;
	if (archive_tree_load(rb->db, tree, &v, &n, &e) < 0) {
		err_clear(&e);
		return false;
	}
	bool ok = true;
	for (size_t i = 0; i < n && ok; i++) {
		if (v[i].type == ARCHIVE_DIR) {
			ok = tree_complete(rb, v[i].subtree, v[i].sub_hash);
		} else if (v[i].type == ARCHIVE_FILE) {
			for (uint32_t c = 0; c < v[i].n_chunks && ok; c++) {
				sqlite3_bind_blob(rb->has_chunk, 1, v[i].chunks + (size_t)c * HASH_LEN, HASH_LEN,
						  SQLITE_STATIC);
				ok = sqlite3_step(rb->has_chunk) == SQLITE_ROW;
				sqlite3_reset(rb->has_chunk);
			}
		}
	}
	archive_entries_free(&v, n);
	if (ok)
		chunk_set_add(rb->complete, hash);
	return ok;
}

static const char *jtext(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v) : NULL;
}

static long long jint(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

static int add_snapshot_row(struct rebuild *rb, const struct snap_rec *s, struct up_error *err)
{
	json_object *o = json_tokener_parse(s->json);
	uint8_t root_hash[HASH_LEN];
	const char *target = o ? jtext(o, "target") : NULL, *reason = o ? jtext(o, "reason") : NULL;
	const char *root_hex = o ? jtext(o, "root") : NULL;
	int64_t root = root_hex && hash_from_hex(root_hex, root_hash) ? tree_by_hash(rb, root_hash) : 0;
	int rc = SQLITE_DONE;
	if (!target || !reason) {
		problem(rb, _("a snapshot record at offset %lld is malformed"), (long long)s->offset);
	} else if (!tree_complete(rb, root, root_hash)) {
		problem(rb, _("a snapshot of %s taken at %lld is incomplete (data lost or pruned); not listed"),
			target, jint(o, "time"));
	} else {
		sqlite3_stmt *st = rb->snap;
		sqlite3_bind_text(st, 1, target, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, jtext(o, "version"), -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, reason, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 4, jtext(o, "note"), -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 5, jint(o, "time"));
		sqlite3_bind_int64(st, 6, root);
		sqlite3_bind_int64(st, 7, jint(o, "files"));
		sqlite3_bind_int64(st, 8, jint(o, "bytes"));
		sqlite3_bind_int64(st, 9, jint(o, "files_read"));
		sqlite3_bind_int64(st, 10, s->pack);
		sqlite3_bind_int64(st, 11, (sqlite3_int64)s->offset);
		rc = step(st);
		if (rc == SQLITE_DONE)
			rb->res->snapshots++;
	}
	json_object_put(o);
	return rc == SQLITE_DONE ? 0 : archive_index_fail(rb->idx, rc, _("recording a snapshot"), err);
}

static int snap_order(const void *x, const void *y)
{
	const struct snap_rec *a = x, *b = y;
	if (a->time != b->time)
		return a->time < b->time ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

static int prepare_all(struct rebuild *rb)
{
	static const char *const sql[] = {
		"INSERT INTO packs (name, size, created) VALUES (?, ?, ?)",
		"INSERT OR IGNORE INTO chunks (hash, pack, block, offset, length) VALUES (?, ?, ?, ?, ?)",
		"INSERT OR IGNORE INTO trees (hash, pack, block) VALUES (?, ?, ?)",
		"INSERT OR IGNORE INTO entries (tree, name, type, mode, uid, gid, mtime_ns, size, ctime_ns,"
		" ino, dev, link, subtree, chunks) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		"INSERT INTO snapshots (target, version, reason, note, time, root, files, bytes, new_bytes,"
		" files_read, duration_ms, pack, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 0, ?, ?)",
		"SELECT id FROM trees WHERE hash = ?",
		"SELECT 1 FROM chunks WHERE hash = ?",
	};
	sqlite3_stmt **st[] = { &rb->pack, &rb->chunk, &rb->tree, &rb->entry, &rb->snap,
				&rb->tree_by_hash, &rb->has_chunk };
	int rc = SQLITE_OK;
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]) && rc == SQLITE_OK; i++)
		rc = sqlite3_prepare_v2(rb->db, sql[i], -1, st[i], NULL);
	return rc;
}

static void rebuild_free(struct rebuild *rb)
{
	sqlite3_stmt *st[] = { rb->pack, rb->chunk, rb->tree, rb->entry, rb->snap, rb->tree_by_hash,
			       rb->has_chunk };
	for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++)
		sqlite3_finalize(st[i]);
	for (size_t i = 0; i < rb->n_trees; i++)
		free(rb->trees[i].data);
	free(rb->trees);
	for (size_t i = 0; i < rb->n_snaps; i++)
		free(rb->snaps[i].json);
	free(rb->snaps);
	chunk_set_free(&rb->complete);
}

struct pack_name {
	char *name;
	long long mtime_ns;
};

static int pack_order(const void *x, const void *y)
{
	const struct pack_name *a = x, *b = y;
	if (a->mtime_ns != b->mtime_ns)
		return a->mtime_ns < b->mtime_ns ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* Packs in the order they were written (a pack is last modified when its
 * backup finishes it), so that snapshots of the same second keep their
 * order. */
static int rebuild_rows(struct rebuild *rb, struct up_error *err)
{
	const char *pdir = archive_index_pack_dir(rb->idx);
	DIR *d = opendir(pdir);
	if (!d)
		return err_set(err, UP_ERR_IO, _("cannot read %s: %s"), pdir, strerror(errno));
	struct pack_name *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		struct stat st;
		if (de->d_name[0] == '.' || fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[n].name = xstrdup(de->d_name);
		v[n++].mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), pack_order);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = scan_pack(rb, dirfd(d), v[i].name, err);
	closedir(d);
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
	if (rc == 0)
		rc = add_entries(rb, err);
	if (rb->n_snaps > 1)
		qsort(rb->snaps, rb->n_snaps, sizeof(*rb->snaps), snap_order);
	for (size_t i = 0; i < rb->n_snaps && rc == 0; i++)
		rc = add_snapshot_row(rb, &rb->snaps[i], err);
	return rc;
}

/* index.db and its -wal and -shm go to index.db.old-TIME*. */
static int move_aside(const char *dir, struct repair_result *res, struct up_error *err)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	long long now = util_now();
	for (size_t i = 0; i < 3; i++) {
		char *from = xasprintf("%s/index.db%s", dir, suffix[i]);
		char *to = xasprintf("%s/index.db.old-%lld%s", dir, now, suffix[i]);
		int rc = rename(from, to);
		int e = errno;
		if (rc == 0 && i == 0)
			res->moved_aside = xstrdup(to);
		free(from);
		free(to);
		if (rc < 0 && e != ENOENT)
			return err_set(err, UP_ERR_IO, _("cannot move the old archive index aside: %s"),
				       strerror(e));
	}
	return 0;
}

int archive_repair_rebuild(const char *dir, long long timeout_ms, struct repair_result *res,
			   struct up_error *err)
{
	memset(res, 0, sizeof(*res));
	char *pdir = xasprintf("%s/packs", dir), *lock = xasprintf("%s/archive.lock", dir);
	struct stat st;
	int rc = stat(pdir, &st) == 0 && S_ISDIR(st.st_mode) ? 0
		 : err_set(err, UP_ERR_NOT_FOUND, _("%s: no archive files to rebuild from"), pdir);
	int lfd = rc == 0 ? lockfile_open(lock, err) : -1;
	if (rc == 0 && (lfd < 0 || lockfile_acquire(lfd, lock, timeout_ms, "repair", err) < 0))
		rc = -1;
	bool locked = rc == 0;
	if (rc == 0)
		rc = move_aside(dir, res, err);
	struct rebuild rb = { .res = res, .complete = chunk_set_new() };
	if (rc == 0)
		rc = archive_index_open(dir, timeout_ms, &rb.idx, err);
	if (rc == 0) {
		rb.db = archive_index_db(rb.idx);
		rc = archive_index_write_begin(rb.idx, err);
	}
	if (rc == 0) {
		int src = prepare_all(&rb);
		rc = src == SQLITE_OK ? rebuild_rows(&rb, err)
				      : archive_index_fail(rb.idx, src, _("preparing the rebuild"), err);
		if (rc == 0)
			rc = archive_index_write_commit(rb.idx, err);
		else
			archive_index_write_rollback(rb.idx);
	}
	rebuild_free(&rb);
	archive_index_close(&rb.idx);
	if (locked)
		lockfile_release(lfd);
	if (lfd >= 0)
		close(lfd);
	free(pdir);
	free(lock);
	return rc;
}
