/* archive_diff.c - snapshot against snapshot or live tree. See
 * archive_diff.h. */
#include "config.h"

#include "archive_diff.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "i18n.h"
#include "util.h"

struct diff {
	struct sqlite3 *db;
	diff_fn fn;
	void *ctx;
	bool live;
	struct up_error *err;
};

/* One side of a comparison: a listing (tree row), or with live a
 * directory descriptor; tree 0 / dfd -1 = nothing there. */
struct side {
	int64_t tree;
	int dfd;
};

static int name_cmp(const struct archive_entry *a, const struct archive_entry *b)
{
	int r = memcmp(a->name, b->name, a->name_len < b->name_len ? a->name_len : b->name_len);
	return r ? r : (a->name_len < b->name_len ? -1 : a->name_len > b->name_len);
}

/* The live directory's entries, sorted; unreadable ones are left out. */
static int load_live(int dfd, struct archive_entry **out, size_t *n, struct up_error *err)
{
	*out = NULL;
	*n = 0;
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return err_set(err, UP_ERR_IO, _("cannot read a directory: %s"), strerror(errno));
	}
	size_t cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		enum archive_type t = S_ISREG(st.st_mode) ? ARCHIVE_FILE : S_ISDIR(st.st_mode) ? ARCHIVE_DIR
				    : S_ISLNK(st.st_mode) ? ARCHIVE_SYMLINK : 0;
		if (!t)
			continue; /* special files are not backed up either */
		if (*n == cap) {
			cap = cap ? 2 * cap : 32;
			*out = xrealloc(*out, cap * sizeof(**out));
		}
		struct archive_entry *e = &(*out)[(*n)++];
		memset(e, 0, sizeof(*e));
		e->name = xstrdup(de->d_name);
		e->name_len = strlen(de->d_name);
		e->type = t;
		e->mode = st.st_mode & 07777;
		e->uid = st.st_uid;
		e->gid = st.st_gid;
		e->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
		e->size = t == ARCHIVE_FILE || t == ARCHIVE_SYMLINK ? (uint64_t)st.st_size : 0;
		if (t == ARCHIVE_SYMLINK) {
			e->link = xmalloc((size_t)st.st_size + 2);
			ssize_t len = readlinkat(dfd, de->d_name, e->link, (size_t)st.st_size + 1);
			e->link_len = len < 0 ? 0 : (size_t)len;
			e->link[e->link_len] = '\0';
		}
	}
	closedir(d);
	archive_entries_sort(*out, *n);
	return 0;
}

static int load_side(struct diff *df, const struct side *s, bool live, struct archive_entry **v,
		     size_t *n)
{
	*v = NULL;
	*n = 0;
	if (live)
		return s->dfd >= 0 ? load_live(s->dfd, v, n, df->err) : 0;
	return s->tree ? archive_tree_load(df->db, s->tree, v, n, df->err) : 0;
}

static void emit(struct diff *df, enum diff_change c, const char *path,
		 const struct archive_entry *e, long long delta, const char *what)
{
	struct diff_item it = { c, path, e->type, delta, what };
	df->fn(df->ctx, &it);
}

/* What differs between two entries of one name, or NULL. */
static const char *entry_change(const struct diff *df, const struct archive_entry *a,
				const struct archive_entry *b)
{
	if (a->type != b->type)
		return "type";
	if (a->type == ARCHIVE_FILE) {
		if (a->size != b->size)
			return "content";
		if (df->live ? a->mtime_ns != b->mtime_ns
			     : a->n_chunks != b->n_chunks ||
				       memcmp(a->chunks, b->chunks, (size_t)a->n_chunks * HASH_LEN) != 0)
			return "content";
	}
	if (a->type == ARCHIVE_SYMLINK &&
	    (a->link_len != b->link_len || memcmp(a->link, b->link, a->link_len) != 0))
		return "target";
	if (a->mode != b->mode)
		return "mode";
	if (!df->live && (a->uid != b->uid || a->gid != b->gid))
		return "owner";
	return NULL;
}

static int diff_dir(struct diff *df, const struct side *a, const struct side *b, const char *rel);

static char *join(const char *rel, const struct archive_entry *e)
{
	return xasprintf("%s%s%s", rel, *rel ? "/" : "", e->name);
}

/* Below a directory present on one side only (or on both). */
static int descend(struct diff *df, const struct archive_entry *ea, const struct archive_entry *eb,
		   const struct side *pb, const char *path)
{
	struct side a = { 0, -1 }, b = { 0, -1 };
	if (ea && ea->type == ARCHIVE_DIR)
		a.tree = ea->subtree;
	if (eb && eb->type == ARCHIVE_DIR) {
		b.tree = eb->subtree;
		if (df->live) {
			b.dfd = openat(pb->dfd, eb->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (b.dfd < 0)
				return 0; /* vanished or unreadable: compared as empty */
		}
	}
	int rc = !df->live && a.tree && a.tree == b.tree ? 0 : diff_dir(df, &a, &b, path);
	if (b.dfd >= 0)
		close(b.dfd);
	return rc;
}

static int diff_dir(struct diff *df, const struct side *a, const struct side *b, const char *rel)
{
	struct archive_entry *va, *vb;
	size_t na, nb;
	if (load_side(df, a, false, &va, &na) < 0)
		return -1;
	if (load_side(df, b, df->live, &vb, &nb) < 0) {
		archive_entries_free(&va, na);
		return -1;
	}
	int rc = 0;
	size_t i = 0, j = 0;
	while (rc == 0 && (i < na || j < nb)) {
		int c = i == na ? 1 : j == nb ? -1 : name_cmp(&va[i], &vb[j]);
		const struct archive_entry *ea = c <= 0 ? &va[i] : NULL, *eb = c >= 0 ? &vb[j] : NULL;
		char *path = join(rel, ea ? ea : eb);
		if (!eb) {
			emit(df, DIFF_REMOVED, path, ea, -(long long)ea->size, NULL);
		} else if (!ea) {
			emit(df, DIFF_ADDED, path, eb, (long long)eb->size, NULL);
		} else {
			const char *what = entry_change(df, ea, eb);
			if (what)
				emit(df, DIFF_CHANGED, path, eb, (long long)eb->size - (long long)ea->size, what);
		}
		if ((ea && ea->type == ARCHIVE_DIR) || (eb && eb->type == ARCHIVE_DIR))
			rc = descend(df, ea, eb, b, path);
		free(path);
		i += c <= 0;
		j += c >= 0;
	}
	archive_entries_free(&va, na);
	archive_entries_free(&vb, nb);
	return rc;
}

int archive_diff_trees(struct sqlite3 *db, int64_t from, int64_t to, diff_fn fn, void *ctx,
		       struct up_error *err)
{
	struct diff df = { db, fn, ctx, false, err };
	struct side a = { from, -1 }, b = { to, -1 };
	return from == to ? 0 : diff_dir(&df, &a, &b, "");
}

int archive_diff_live(struct sqlite3 *db, int64_t from, const char *dir, diff_fn fn, void *ctx,
		      struct up_error *err)
{
	struct diff df = { db, fn, ctx, true, err };
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return err_set(err, UP_ERR_IO, _("cannot open %s: %s"), dir, strerror(errno));
	struct side a = { from, -1 }, b = { 0, dfd };
	int rc = diff_dir(&df, &a, &b, "");
	close(dfd);
	return rc;
}

/* ---- the next snapshot's new bytes */

struct estimate {
	const char *dir;
	long long bytes;
};

static void estimate_item(void *ctx, const struct diff_item *it)
{
	struct estimate *e = ctx;
	if (it->type != ARCHIVE_FILE || it->change == DIFF_REMOVED)
		return;
	if (it->change == DIFF_ADDED) {
		e->bytes += it->size_delta;
		return;
	}
	char *p = xasprintf("%s/%s", e->dir, it->path);
	struct stat st;
	if (lstat(p, &st) == 0)
		e->bytes += (long long)st.st_size;
	free(p);
}

int archive_diff_new_bytes(struct sqlite3 *db, int64_t from, const char *dir, long long *bytes,
			   struct up_error *err)
{
	struct estimate e = { dir, 0 };
	int rc = archive_diff_live(db, from, dir, estimate_item, &e, err);
	*bytes = e.bytes;
	return rc;
}
