/* archive_backup.c - walk a tree, feed the worker pool, write listings and
 * the snapshot record, make the pack durable, commit the index rows. */
#include "config.h"

#include "archive_backup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive_pool.h"
#include "archive_snap.h"
#include "archive_tree.h"
#include "chunker.h"
#include "crashpoint.h"
#include "escape.h"
#include "i18n.h"
#include "pack.h"

struct bdir;

struct bent {
	struct archive_entry e;
	struct bdir *sub; /* directories */
};

struct bdir {
	struct bent *v;
	size_t n, cap;
	uint8_t hash[HASH_LEN];
	int64_t tree_id;  /* existing row, or the one inserted at commit */
	bool write;       /* new listing: a tree record and rows to write */
	uint64_t block;   /* its tree record's offset */
	struct strbuf ser;
};

struct backup {
	struct archive_index *idx;
	const struct backup_opts *o;
	struct backup_result *res;
	struct backup_pool *pool;
	struct pack_writer *w;
	uint8_t *buf;     /* the big-file read window */
	struct chunk_set *trees_written;
	long long next_progress_ms;
	uint64_t snapshot_record; /* offset of the snapshot's record in the pack */
	const char *extra_name;   /* base name of o->extra_dir, or NULL */
};

void backup_result_clear(struct backup_result *r)
{
	strvec_clear(&r->warnings);
	memset(r, 0, sizeof(*r));
}

static void bdir_free(struct bdir *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		archive_entry_release(&d->v[i].e);
		bdir_free(d->v[i].sub);
	}
	free(d->v);
	strbuf_release(&d->ser);
	free(d);
}

static struct bent *bdir_add(struct bdir *d, const char *name, const struct stat *st)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 16;
		d->v = xrealloc(d->v, d->cap * sizeof(*d->v));
	}
	struct bent *b = &d->v[d->n++];
	memset(b, 0, sizeof(*b));
	struct archive_entry *e = &b->e;
	e->name_len = strlen(name);
	e->name = xstrdup(name);
	e->mode = st->st_mode & 07777;
	e->uid = st->st_uid;
	e->gid = st->st_gid;
	e->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	e->ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
	e->ino = st->st_ino;
	e->dev = st->st_dev;
	return b;
}

static void warn(struct backup *b, const char *rel, const char *name, const char *what)
{
	char *path = xasprintf("%s%s%s", rel, *rel ? "/" : "", name);
	char *safe = escape_text(path, (size_t)-1, 0, 0);
	strvec_push_owned(&b->res->warnings, xasprintf("%s: %s", safe, what));
	free(safe);
	free(path);
}

static ssize_t read_full(int fd, uint8_t *p, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Cuts the file into chunks (content-defined above CHUNKER_MIN), copies
 * them into the pool. Returns the bytes read, or -1 (errno). */
static long long read_chunks(struct backup *b, int fd, struct archive_entry *e, uint64_t size)
{
	size_t window = 2 * (size_t)CHUNKER_MAX, have = 0;
	uint64_t total = 0;
	bool eof = false;
	for (;;) {
		if (b->o->cancel && *b->o->cancel) { /* inside a large file too */
			errno = ECANCELED;
			return -1;
		}
		if (!eof && have < window) {
			size_t want = window - have;
			if ((uint64_t)want > size - total)
				want = (size_t)(size - total);
			ssize_t n = want ? read_full(fd, b->buf + have, want) : 0;
			if (n < 0)
				return -1;
			have += (size_t)n;
			total += (uint64_t)n;
			eof = (size_t)n < want || total >= size;
		}
		if (have == 0)
			break;
		size_t pos = 0;
		for (;;) {
			size_t cut = chunker_next(&chunker_default, b->buf + pos, have - pos, eof);
			if (cut == 0)
				break;
			uint8_t *dst = backup_pool_reserve(b->pool, cut, e->chunks + (size_t)e->n_chunks * HASH_LEN);
			memcpy(dst, b->buf + pos, cut);
			e->n_chunks++;
			pos += cut;
			if (pos == have)
				break;
		}
		memmove(b->buf, b->buf + pos, have - pos);
		have -= pos;
		if (eof && have == 0)
			break;
	}
	return (long long)total;
}

static int open_read(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	return fd;
}

/* Reads a changed or new file. Returns false when it was skipped. */
static bool backup_file(struct backup *b, int dfd, const char *rel, const char *name,
			struct archive_entry *e)
{
	int fd = open_read(dfd, name);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		warn(b, rel, name, strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	uint64_t size = (uint64_t)st.st_size;
	e->chunks = xmalloc(((size_t)(size / CHUNKER_MIN) + 2) * HASH_LEN);
	long long got;
	if (size <= CHUNKER_MIN) {
		uint8_t *dst = size ? backup_pool_reserve(b->pool, (size_t)size, e->chunks) : NULL;
		got = size ? read_full(fd, dst, (size_t)size) : 0;
		if (size)
			backup_pool_shrink_last(b->pool, got < 0 ? 0 : (size_t)got);
		e->n_chunks = size ? 1 : 0;
	} else {
		got = read_chunks(b, fd, e, size);
	}
	if (got < 0) {
		warn(b, rel, name, strerror(errno));
		close(fd);
		e->ctime_ns = -1; /* read again next time */
		e->size = 0;
		return true;
	}
	struct stat after;
	if (fstat(fd, &after) == 0 &&
	    (after.st_size != st.st_size || after.st_mtim.tv_sec != st.st_mtim.tv_sec ||
	     after.st_mtim.tv_nsec != st.st_mtim.tv_nsec || (uint64_t)got != size)) {
		warn(b, rel, name, _("changed while being read; stored as read"));
		e->ctime_ns = -1;
	}
	close(fd);
	e->size = (uint64_t)got;
	b->res->files_read++;
	crashpoint("backup.after-file");
	return true;
}

/* Takes the previous snapshot's chunk list when nothing says it changed. */
static bool reuse_prev(struct archive_entry *e, const struct stat *st,
		       const struct archive_entry *prev, size_t n_prev)
{
	long i = archive_tree_find(prev, n_prev, e->name, e->name_len);
	if (i < 0)
		return false;
	const struct archive_entry *p = &prev[i];
	if (p->type != ARCHIVE_FILE || p->size != (uint64_t)st->st_size || p->mtime_ns != e->mtime_ns ||
	    p->ctime_ns != e->ctime_ns || p->ino != e->ino || p->dev != e->dev)
		return false;
	e->n_chunks = p->n_chunks;
	e->chunks = xmalloc((size_t)p->n_chunks * HASH_LEN + 1);
	memcpy(e->chunks, p->chunks, (size_t)p->n_chunks * HASH_LEN);
	e->size = p->size;
	return true;
}

static int walk_dir(struct backup *b, int dfd, const char *rel, int64_t prev_tree,
		    struct bdir *d, struct up_error *err);

static int64_t prev_subtree(const struct archive_entry *prev, size_t n, const char *name)
{
	long i = archive_tree_find(prev, n, name, strlen(name));
	return i >= 0 && prev[i].type == ARCHIVE_DIR ? prev[i].subtree : 0;
}

static void report_progress(struct backup *b)
{
	if (!b->o->progress)
		return;
	long long now = util_monotonic_ms();
	if (now < b->next_progress_ms)
		return;
	b->next_progress_ms = now + 200;
	b->o->progress(b->o->progress_ctx, b->res);
}

/* One directory entry: stat it and store it by type. */
static int walk_entry(struct backup *b, int dfd, const char *rel, const char *name,
		      struct bdir *d, const struct archive_entry *prev, size_t n_prev,
		      struct up_error *err)
{
	struct stat st;
	if (b->o->cancel && *b->o->cancel)
		return err_set(err, UP_ERR_CANCELLED, _("backup of %s cancelled"), b->o->path);
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		warn(b, rel, name, strerror(errno));
		return 0;
	}
	if (S_ISREG(st.st_mode)) {
		struct bent *be = bdir_add(d, name, &st);
		be->e.type = ARCHIVE_FILE;
		if (!reuse_prev(&be->e, &st, prev, n_prev) && !backup_file(b, dfd, rel, name, &be->e)) {
			archive_entry_release(&be->e);
			d->n--;
			return 0;
		}
		b->res->files++;
		b->res->bytes += (long long)be->e.size;
		report_progress(b);
	} else if (S_ISLNK(st.st_mode)) {
		char *target = xmalloc((size_t)st.st_size + 2);
		ssize_t n = readlinkat(dfd, name, target, (size_t)st.st_size + 1);
		if (n < 0 || n > st.st_size) {
			warn(b, rel, name, n < 0 ? strerror(errno) : _("changed while being read"));
			free(target);
			return 0;
		}
		target[n] = '\0';
		struct bent *be = bdir_add(d, name, &st);
		be->e.type = ARCHIVE_SYMLINK;
		be->e.link = target;
		be->e.link_len = (size_t)n;
		be->e.size = (uint64_t)n;
	} else if (S_ISDIR(st.st_mode)) {
		int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0) {
			warn(b, rel, name, strerror(errno));
			return 0;
		}
		struct bent *be = bdir_add(d, name, &st);
		be->e.type = ARCHIVE_DIR;
		struct bdir *child = xcalloc(1, sizeof(*child));
		be->sub = child; /* d->v may move during the walk below: keep child */
		char *subrel = xasprintf("%s%s%s", rel, *rel ? "/" : "", name);
		int rc = walk_dir(b, sub, subrel, prev_subtree(prev, n_prev, name), child, err);
		free(subrel);
		close(sub);
		b->res->dirs++;
		return rc;
	} else {
		warn(b, rel, name, _("special file (socket, FIFO or device) skipped"));
	}
	return 0;
}

static int name_order(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk_dir(struct backup *b, int dfd, const char *rel, int64_t prev_tree,
		    struct bdir *d, struct up_error *err)
{
	struct archive_entry *prev = NULL;
	size_t n_prev = 0;
	if (prev_tree && archive_tree_load(archive_index_db(b->idx), prev_tree, &prev, &n_prev, err) < 0)
		return -1;
	int fd = dup(dfd);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	if (!dir) {
		if (fd >= 0)
			close(fd);
		warn(b, rel, ".", strerror(errno));
		archive_entries_free(&prev, n_prev);
		return 0;
	}
	struct strvec names = STRVEC_INIT;
	struct dirent *de;
	while ((de = readdir(dir)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			strvec_push(&names, de->d_name);
	closedir(dir);
	/* In name order, the order of restore: a restore then meets the blocks
	 * one after the other and decompresses each about once. */
	if (names.n > 1)
		qsort(names.items, names.n, sizeof(*names.items), name_order);
	int rc = 0;
	for (size_t i = 0; i < names.n && rc == 0; i++) {
		if (!*rel && b->extra_name && !strcmp(names.items[i], b->extra_name)) {
			warn(b, rel, names.items[i], _("replaced by the data dumps in the snapshot"));
			continue;
		}
		rc = walk_entry(b, dfd, rel, names.items[i], d, prev, n_prev, err);
	}
	strvec_clear(&names);
	archive_entries_free(&prev, n_prev);
	return rc;
}

static int bent_cmp(const void *x, const void *y)
{
	const struct archive_entry *a = &((const struct bent *)x)->e, *c = &((const struct bent *)y)->e;
	int r = memcmp(a->name, c->name, a->name_len < c->name_len ? a->name_len : c->name_len);
	return r ? r : (a->name_len < c->name_len ? -1 : a->name_len > c->name_len);
}

static int64_t tree_row(sqlite3 *db, const uint8_t *hash)
{
	sqlite3_stmt *st = NULL;
	int64_t id = 0;
	if (sqlite3_prepare_v2(db, "SELECT id FROM trees WHERE hash = ?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_blob(st, 1, hash, HASH_LEN, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			id = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return id;
}

/* Post-order: children's ids into the entries, sort, serialize, hash; a
 * listing the index does not have yet goes into the pack. */
static int tree_finish(struct backup *b, struct bdir *d, struct up_error *err)
{
	/* Sorted first, so that insert_tree() meets listings in this order: a
	 * listing met twice (empty directories) is written by the first. */
	if (d->n > 1)
		qsort(d->v, d->n, sizeof(*d->v), bent_cmp);
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].sub) {
			if (tree_finish(b, d->v[i].sub, err) < 0)
				return -1;
			memcpy(d->v[i].e.sub_hash, d->v[i].sub->hash, HASH_LEN);
		}
	for (size_t i = 0; i < d->n; i++)
		archive_tree_serialize(&d->v[i].e, 1, &d->ser);
	hash_sha256(d->ser.buf ? d->ser.buf : "", d->ser.len, d->hash);
	d->tree_id = tree_row(archive_index_db(b->idx), d->hash);
	if (d->tree_id || !chunk_set_add(b->trees_written, d->hash)) {
		strbuf_release(&d->ser);
		return 0; /* already stored (here or in an earlier snapshot) */
	}
	d->write = true;
	struct pack_entry pe;
	memcpy(pe.id, d->hash, HASH_LEN);
	pe.length = (uint32_t)d->ser.len;
	int rc = pack_write_record(b->w, PACK_TREE, &pe, 1, d->ser.buf, d->ser.len, b->o->level,
				   &d->block, err);
	strbuf_release(&d->ser);
	return rc;
}

/* ---- commit */

struct inserts {
	sqlite3 *db;
	sqlite3_stmt *tree, *entry, *chunk;
	int64_t pack;
};

static int bind_entry(sqlite3_stmt *st, int64_t tree, const struct archive_entry *e)
{
	sqlite3_reset(st);
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
	if (e->type == ARCHIVE_DIR)
		sqlite3_bind_int64(st, 13, e->subtree);
	if (e->type == ARCHIVE_FILE)
		sqlite3_bind_blob(st, 14, e->chunks ? (const void *)e->chunks : "",
				  (int)((size_t)e->n_chunks * HASH_LEN), SQLITE_STATIC);
	return sqlite3_step(st);
}

/* Post-order, as tree_finish wrote them: listings and their entries. */
static int insert_tree(struct inserts *ins, struct bdir *d)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].sub) {
			int rc = insert_tree(ins, d->v[i].sub);
			if (rc != SQLITE_DONE)
				return rc;
			d->v[i].e.subtree = d->v[i].sub->tree_id;
		}
	if (!d->write) {
		if (!d->tree_id)
			d->tree_id = tree_row(ins->db, d->hash);
		return d->tree_id ? SQLITE_DONE : SQLITE_INTERNAL;
	}
	sqlite3_reset(ins->tree);
	sqlite3_bind_blob(ins->tree, 1, d->hash, HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(ins->tree, 2, ins->pack);
	sqlite3_bind_int64(ins->tree, 3, (sqlite3_int64)d->block);
	int rc = sqlite3_step(ins->tree);
	if (rc != SQLITE_DONE)
		return rc;
	d->tree_id = sqlite3_last_insert_rowid(ins->db);
	for (size_t i = 0; i < d->n && rc == SQLITE_DONE; i++)
		rc = bind_entry(ins->entry, d->tree_id, &d->v[i].e);
	return rc;
}

static int insert_chunks(struct inserts *ins, const struct chunk_loc *locs, size_t n)
{
	int rc = SQLITE_DONE;
	for (size_t i = 0; i < n && rc == SQLITE_DONE; i++) {
		sqlite3_reset(ins->chunk);
		sqlite3_bind_blob(ins->chunk, 1, locs[i].id, HASH_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(ins->chunk, 2, ins->pack);
		sqlite3_bind_int64(ins->chunk, 3, (sqlite3_int64)locs[i].block);
		sqlite3_bind_int64(ins->chunk, 4, locs[i].offset);
		sqlite3_bind_int64(ins->chunk, 5, locs[i].length);
		rc = sqlite3_step(ins->chunk);
	}
	return rc;
}

static int run_sql(sqlite3 *db, const char *sql, const char *types, const void **args)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	for (int i = 0; rc == SQLITE_OK && types[i]; i++)
		rc = types[i] == 's' ? sqlite3_bind_text(st, i + 1, args[i], -1, SQLITE_STATIC)
				     : sqlite3_bind_int64(st, i + 1, *(const long long *)args[i]);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc;
}

static int commit_rows(struct backup *b, struct bdir *root, const char *pack_name,
		       uint64_t pack_size, const struct chunk_loc *locs, size_t n_locs)
{
	struct inserts ins = { .db = archive_index_db(b->idx) };
	struct backup_result *r = b->res;
	long long size = (long long)pack_size;
	int rc = run_sql(ins.db, "INSERT INTO packs (name, size, created) VALUES (?, ?, ?)", "sII",
			 (const void *[]){ pack_name, &size, &r->time });
	if (rc != SQLITE_DONE)
		return rc;
	ins.pack = sqlite3_last_insert_rowid(ins.db);
	rc = sqlite3_prepare_v2(ins.db, "INSERT INTO trees (hash, pack, block) VALUES (?, ?, ?)", -1,
				&ins.tree, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(ins.db, "INSERT INTO entries (tree, name, type, mode, uid, gid,"
					" mtime_ns, size, ctime_ns, ino, dev, link, subtree, chunks)"
					" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1,
					&ins.entry, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(ins.db, "INSERT OR IGNORE INTO chunks (hash, pack, block, offset,"
					" length) VALUES (?, ?, ?, ?, ?)", -1, &ins.chunk, NULL);
	if (rc == SQLITE_OK)
		rc = insert_chunks(&ins, locs, n_locs);
	if (rc == SQLITE_DONE)
		rc = insert_tree(&ins, root);
	sqlite3_finalize(ins.tree);
	sqlite3_finalize(ins.entry);
	sqlite3_finalize(ins.chunk);
	if (rc != SQLITE_DONE)
		return rc;
	long long root_id = root->tree_id, pack = ins.pack, record = (long long)b->snapshot_record;
	rc = run_sql(ins.db, "INSERT INTO snapshots (target, version, reason, note, time, root, files,"
		     " bytes, new_bytes, files_read, duration_ms, pack, record)"
		     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "ssssIIIIIIIII",
		     (const void *[]){ b->o->target, b->o->version, b->o->reason, b->o->note, &r->time,
				       &root_id, &r->files, &r->bytes, &r->new_bytes, &r->files_read,
				       &r->duration_ms, &pack, &record });
	r->id = sqlite3_last_insert_rowid(ins.db);
	return rc;
}

/* The snapshot's own record, so that the pack alone can restore the index. */
static int write_snapshot_record(struct backup *b, const struct bdir *root, struct up_error *err)
{
	char hex[HASH_HEX_LEN + 1];
	hash_to_hex(root->hash, hex);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "target", json_object_new_string(b->o->target));
	json_object_object_add(o, "version", b->o->version ? json_object_new_string(b->o->version) : NULL);
	json_object_object_add(o, "reason", json_object_new_string(b->o->reason));
	json_object_object_add(o, "note", b->o->note ? json_object_new_string(b->o->note) : NULL);
	json_object_object_add(o, "time", json_object_new_int64(b->res->time));
	json_object_object_add(o, "root", json_object_new_string(hex));
	json_object_object_add(o, "files", json_object_new_int64(b->res->files));
	json_object_object_add(o, "bytes", json_object_new_int64(b->res->bytes));
	json_object_object_add(o, "files_read", json_object_new_int64(b->res->files_read));
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	struct pack_entry pe;
	pe.length = (uint32_t)strlen(text);
	hash_sha256(text, pe.length, pe.id);
	int rc = pack_write_record(b->w, PACK_SNAPSHOT, &pe, 1, text, pe.length, b->o->level,
				   &b->snapshot_record, err);
	json_object_put(o);
	return rc;
}

static int load_known(struct archive_index *idx, struct chunk_set *set, struct up_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(archive_index_db(idx), "SELECT hash FROM chunks", -1, &st, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		if (sqlite3_column_bytes(st, 0) == HASH_LEN) {
			chunk_set_add(set, sqlite3_column_blob(st, 0));
			rc = SQLITE_OK;
		}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : archive_index_fail(idx, rc, _("reading chunks"), err);
}

static int64_t previous_root(struct archive_index *idx, const char *target)
{
	sqlite3_stmt *st = NULL;
	int64_t root = 0;
	if (sqlite3_prepare_v2(archive_index_db(idx), "SELECT root FROM snapshots WHERE target = ?"
			       " ORDER BY id DESC LIMIT 1", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, target, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			root = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return root;
}

/* The extra directory, as an entry of the root (read whole: dumps change
 * every time). */
static int walk_extra(struct backup *b, struct bdir *root, struct up_error *err)
{
	char *parent = xstrndup(b->o->extra_dir, (size_t)(b->extra_name - b->o->extra_dir));
	int pfd = open(*parent ? parent : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(parent);
	if (pfd < 0)
		return err_set(err, UP_ERR_IO, _("cannot open %s: %s"), b->o->extra_dir, strerror(errno));
	int rc = walk_entry(b, pfd, "", b->extra_name, root, NULL, 0, err);
	close(pfd);
	return rc;
}

/* Walk, chunks, listings, snapshot record; the pack durable. */
static int backup_data(struct backup *b, struct bdir *root, struct chunk_loc **locs,
		       size_t *n_locs, struct up_error *err)
{
	struct chunk_set *known = chunk_set_new();
	if (load_known(b->idx, known, err) < 0) {
		chunk_set_free(&known);
		return -1;
	}
	int dfd = open(b->o->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		chunk_set_free(&known);
		return err_set(err, UP_ERR_IO, _("cannot open %s: %s"), b->o->path, strerror(errno));
	}
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int threads = b->o->threads > 0 ? b->o->threads : cores > 0 ? (int)cores : 1;
	b->pool = backup_pool_start(b->w, b->o->level, threads, known);
	int rc = walk_dir(b, dfd, "", previous_root(b->idx, b->o->target), root, err);
	close(dfd);
	if (rc == 0 && b->o->extra_dir)
		rc = walk_extra(b, root, err);
	struct up_error perr = UP_ERROR_INIT;
	if (backup_pool_finish(&b->pool, locs, n_locs, &perr) < 0 && rc == 0)
		rc = err_set(err, perr.status, "%s", perr.msg);
	err_clear(&perr);
	if (rc == 0 && b->o->cancel && *b->o->cancel) /* the last file's read may have seen it */
		rc = err_set(err, UP_ERR_CANCELLED, _("backup of %s cancelled"), b->o->path);
	if (rc == 0)
		rc = tree_finish(b, root, err);
	if (rc == 0)
		rc = write_snapshot_record(b, root, err);
	crashpoint("backup.before-fsync");
	uint64_t size = 0;
	if (rc == 0)
		rc = pack_writer_finish(b->w, &size, err);
	b->res->new_bytes = (long long)size;
	return rc;
}

int archive_backup(struct archive_index *idx, const struct backup_opts *o,
		   struct backup_result *res, struct up_error *err)
{
	memset(res, 0, sizeof(*res));
	long long t0 = util_monotonic_ms();
	res->time = archive_now();
	struct backup b = { .idx = idx, .o = o, .res = res };
	if (o->extra_dir) {
		const char *slash = strrchr(o->extra_dir, '/');
		b.extra_name = slash ? slash + 1 : o->extra_dir;
		if (!slash || !archive_name_ok(b.extra_name, strlen(b.extra_name)))
			return err_set(err, UP_ERR_USAGE, _("%s: not an absolute directory path"), o->extra_dir);
	}
	if (archive_index_lock_archive(idx, err) < 0)
		return -1;
	if (archive_index_remove_garbage(idx, &res->garbage_removed, err) < 0) {
		archive_index_unlock_archive(idx);
		return -1;
	}
	char *name = archive_index_new_pack_name();
	if (pack_writer_create(archive_index_pack_dir(idx), name, &b.w, err) < 0) {
		free(name);
		archive_index_unlock_archive(idx);
		return -1;
	}
	b.buf = xmalloc(2 * (size_t)CHUNKER_MAX);
	b.trees_written = chunk_set_new();
	struct bdir *root = xcalloc(1, sizeof(*root));
	struct chunk_loc *locs = NULL;
	size_t n_locs = 0;
	int rc = backup_data(&b, root, &locs, &n_locs, err);
	crashpoint("backup.before-commit");
	if (rc == 0 && (rc = archive_index_write_begin(idx, err)) == 0) {
		res->duration_ms = util_monotonic_ms() - t0;
		int src = commit_rows(&b, root, name, (uint64_t)res->new_bytes, locs, n_locs);
		if (src != SQLITE_DONE) {
			rc = archive_index_fail(idx, src, _("recording the snapshot"), err);
			archive_index_write_rollback(idx);
		} else {
			rc = archive_index_write_commit(idx, err);
		}
	}
	pack_writer_free(&b.w, rc < 0);
	archive_index_unlock_archive(idx);
	free(locs);
	bdir_free(root);
	chunk_set_free(&b.trees_written);
	free(b.buf);
	free(name);
	return rc;
}
