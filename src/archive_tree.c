/* archive_tree.c - directory listings: model, canonical form, reading back. */
#include "config.h"

#include "archive_tree.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"

void archive_entry_release(struct archive_entry *e)
{
	FREE(e->name);
	FREE(e->link);
	FREE(e->chunks);
	memset(e, 0, sizeof(*e));
}

void archive_entries_free(struct archive_entry **e, size_t n)
{
	if (!*e)
		return;
	for (size_t i = 0; i < n; i++)
		archive_entry_release(&(*e)[i]);
	FREE(*e);
}

const char *archive_type_name(enum archive_type t)
{
	switch (t) {
	case ARCHIVE_FILE: return "file";
	case ARCHIVE_DIR: return "dir";
	case ARCHIVE_SYMLINK: return "symlink";
	}
	return "?";
}

static int name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);
	return c ? c : (alen < blen ? -1 : alen > blen);
}

static int entry_cmp(const void *a, const void *b)
{
	const struct archive_entry *x = a, *y = b;
	return name_cmp(x->name, x->name_len, y->name, y->name_len);
}

void archive_entries_sort(struct archive_entry *e, size_t n)
{
	if (n > 1)
		qsort(e, n, sizeof(*e), entry_cmp);
}

static void put_le(struct strbuf *out, uint64_t v, int bytes)
{
	char b[8];
	for (int i = 0; i < bytes; i++)
		b[i] = (char)(v >> (8 * i));
	strbuf_add(out, b, (size_t)bytes);
}

void archive_tree_serialize(const struct archive_entry *e, size_t n, struct strbuf *out)
{
	for (size_t i = 0; i < n; i++) {
		put_le(out, e[i].name_len, 2);
		strbuf_add(out, e[i].name, e[i].name_len);
		put_le(out, (uint64_t)e[i].type, 1);
		put_le(out, e[i].mode, 4);
		put_le(out, e[i].uid, 4);
		put_le(out, e[i].gid, 4);
		put_le(out, (uint64_t)e[i].mtime_ns, 8);
		put_le(out, e[i].size, 8);
		put_le(out, (uint64_t)e[i].ctime_ns, 8);
		put_le(out, e[i].ino, 8);
		put_le(out, e[i].dev, 8);
		if (e[i].type == ARCHIVE_FILE) {
			put_le(out, e[i].n_chunks, 4);
			strbuf_add(out, (const char *)e[i].chunks, (size_t)e[i].n_chunks * HASH_LEN);
		} else if (e[i].type == ARCHIVE_SYMLINK) {
			put_le(out, e[i].link_len, 4);
			strbuf_add(out, e[i].link, e[i].link_len);
		} else {
			strbuf_add(out, (const char *)e[i].sub_hash, HASH_LEN);
		}
	}
}

static uint64_t get_le(const uint8_t *p, int bytes)
{
	uint64_t v = 0;
	for (int i = bytes - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* The cursor of archive_tree_parse(). */
struct parse {
	const uint8_t *p;
	size_t left;
	bool bad;
};

static uint64_t take(struct parse *ps, int bytes)
{
	if (ps->bad || ps->left < (size_t)bytes) {
		ps->bad = true;
		return 0;
	}
	uint64_t v = get_le(ps->p, bytes);
	ps->p += bytes;
	ps->left -= (size_t)bytes;
	return v;
}

static char *take_bytes(struct parse *ps, size_t len)
{
	if (ps->bad || ps->left < len) {
		ps->bad = true;
		return NULL;
	}
	char *s = xmalloc(len + 1);
	if (len)
		memcpy(s, ps->p, len);
	s[len] = '\0';
	ps->p += len;
	ps->left -= len;
	return s;
}

static bool parse_entry(struct parse *ps, struct archive_entry *e)
{
	e->name_len = (size_t)take(ps, 2);
	e->name = take_bytes(ps, e->name_len);
	e->type = (enum archive_type)take(ps, 1);
	e->mode = (uint32_t)take(ps, 4);
	e->uid = (uint32_t)take(ps, 4);
	e->gid = (uint32_t)take(ps, 4);
	e->mtime_ns = (int64_t)take(ps, 8);
	e->size = take(ps, 8);
	e->ctime_ns = (int64_t)take(ps, 8);
	e->ino = take(ps, 8);
	e->dev = take(ps, 8);
	if (e->type == ARCHIVE_FILE) {
		e->n_chunks = (uint32_t)take(ps, 4);
		if (!ps->bad && e->n_chunks > ps->left / HASH_LEN)
			ps->bad = true;
		e->chunks = (uint8_t *)take_bytes(ps, (size_t)e->n_chunks * HASH_LEN);
	} else if (e->type == ARCHIVE_SYMLINK) {
		e->link_len = (size_t)take(ps, 4);
		e->link = take_bytes(ps, e->link_len);
	} else if (e->type == ARCHIVE_DIR) {
		char *h = take_bytes(ps, HASH_LEN);
		if (h)
			memcpy(e->sub_hash, h, HASH_LEN);
		free(h);
	} else {
		ps->bad = true;
	}
	return !ps->bad && archive_name_ok(e->name, e->name_len);
}

int archive_tree_parse(const uint8_t *data, size_t len, struct archive_entry **out, size_t *n)
{
	struct parse ps = { data, len, false };
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	while (ps.left > 0) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			*out = xrealloc(*out, cap * sizeof(**out));
		}
		struct archive_entry *e = &(*out)[(*n)++];
		memset(e, 0, sizeof(*e));
		if (!parse_entry(&ps, e)) {
			archive_entries_free(out, *n);
			*n = 0;
			return -1;
		}
	}
	return 0;
}

bool archive_name_ok(const char *name, size_t len)
{
	if (len == 0 || len > 255 || memchr(name, '/', len) || memchr(name, '\0', len))
		return false;
	return !(len == 1 && name[0] == '.') && !(len == 2 && name[0] == '.' && name[1] == '.');
}

static char *blob_dup(sqlite3_stmt *st, int col, size_t *len)
{
	const void *b = sqlite3_column_blob(st, col);
	size_t n = (size_t)sqlite3_column_bytes(st, col);
	char *p = xmalloc(n + 1);
	if (n)
		memcpy(p, b, n);
	p[n] = '\0';
	*len = n;
	return p;
}

static void entry_fill(sqlite3_stmt *st, struct archive_entry *e)
{
	e->name = blob_dup(st, 0, &e->name_len);
	e->type = (enum archive_type)sqlite3_column_int(st, 1);
	e->mode = (uint32_t)sqlite3_column_int64(st, 2);
	e->uid = (uint32_t)sqlite3_column_int64(st, 3);
	e->gid = (uint32_t)sqlite3_column_int64(st, 4);
	e->mtime_ns = sqlite3_column_int64(st, 5);
	e->size = (uint64_t)sqlite3_column_int64(st, 6);
	e->ctime_ns = sqlite3_column_int64(st, 7);
	e->ino = (uint64_t)sqlite3_column_int64(st, 8);
	e->dev = (uint64_t)sqlite3_column_int64(st, 9);
	if (e->type == ARCHIVE_SYMLINK)
		e->link = blob_dup(st, 10, &e->link_len);
	e->subtree = sqlite3_column_int64(st, 11);
	if (e->type == ARCHIVE_FILE) {
		size_t len;
		e->chunks = (uint8_t *)blob_dup(st, 12, &len);
		e->n_chunks = (uint32_t)(len / HASH_LEN);
	}
	if (e->type == ARCHIVE_DIR && sqlite3_column_bytes(st, 13) == HASH_LEN)
		memcpy(e->sub_hash, sqlite3_column_blob(st, 13), HASH_LEN);
}

int archive_tree_load(struct sqlite3 *db, int64_t tree, struct archive_entry **out, size_t *n,
		      struct up_error *err)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db,
		"SELECT e.name, e.type, e.mode, e.uid, e.gid, e.mtime_ns, e.size, e.ctime_ns,"
		" e.ino, e.dev, e.link, e.subtree, e.chunks, t.hash FROM entries e"
		" LEFT JOIN trees t ON t.id = e.subtree WHERE e.tree = ? ORDER BY e.name", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return err_set(err, UP_ERR_STATE, _("archive index: %s"), sqlite3_errmsg(db));
	sqlite3_bind_int64(st, 1, tree);
	size_t cap = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			*out = xrealloc(*out, cap * sizeof(**out));
		}
		memset(&(*out)[*n], 0, sizeof(**out));
		entry_fill(st, &(*out)[(*n)++]);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		archive_entries_free(out, *n);
		*n = 0;
		return err_set(err, UP_ERR_STATE, _("archive index: %s"), sqlite3_errmsg(db));
	}
	return 0;
}

long archive_tree_find(const struct archive_entry *e, size_t n, const char *name, size_t len)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = name_cmp(e[mid].name, e[mid].name_len, name, len);
		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static void entry_copy(struct archive_entry *dst, const struct archive_entry *src)
{
	*dst = *src;
	dst->name = xmalloc(src->name_len + 1);
	memcpy(dst->name, src->name, src->name_len + 1);
	dst->link = src->link ? xmalloc(src->link_len + 1) : NULL;
	if (dst->link)
		memcpy(dst->link, src->link, src->link_len + 1);
	dst->chunks = src->chunks ? xmalloc((size_t)src->n_chunks * HASH_LEN + 1) : NULL;
	if (dst->chunks)
		memcpy(dst->chunks, src->chunks, (size_t)src->n_chunks * HASH_LEN);
}

int archive_tree_lookup(struct sqlite3 *db, int64_t root, const char *path,
			struct archive_entry *out, struct up_error *err)
{
	memset(out, 0, sizeof(*out));
	int64_t tree = root;
	const char *p = path;
	while (*p == '/')
		p++;
	if (!*p || strcmp(p, ".") == 0) {
		out->name = xstrdup(".");
		out->name_len = 1;
		out->type = ARCHIVE_DIR;
		out->subtree = root;
		return 1;
	}
	for (;;) {
		size_t len = strcspn(p, "/");
		if (!archive_name_ok(p, len))
			return err_set(err, UP_ERR_USAGE, _("invalid path \"%s\""), path);
		struct archive_entry *e;
		size_t n;
		if (archive_tree_load(db, tree, &e, &n, err) < 0)
			return -1;
		long i = archive_tree_find(e, n, p, len);
		const char *next = p + len;
		while (*next == '/')
			next++;
		int found = 0;
		if (i >= 0 && !*next) {
			entry_copy(out, &e[i]);
			found = 1;
		} else if (i >= 0 && e[i].type == ARCHIVE_DIR) {
			tree = e[i].subtree;
			found = -2;
		}
		archive_entries_free(&e, n);
		if (found != -2)
			return found;
		p = next;
	}
}
