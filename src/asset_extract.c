/* asset_extract.c - an untrusted archive into fresh staging (libarchive). */
#include "config.h"

#include "asset_extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "escape.h"
#include "i18n.h"
#include "util.h"

struct xw {
	struct archive *a;
	int root;
	int strip;
	const struct stage_limits *lim;
	struct stage_stats *stats;
	size_t entries;
	bool chown;
	uid_t uid;
	gid_t gid;
	struct strvec folded;     /* lowercase paths of what was created */
	char *cached_rel;         /* the parent directory last opened, and its fd */
	int cached_fd;
	char *buf;
	struct up_error *err;
};

/* A path split into components, "." and empty ones dropped, then the
 * first `strip` dropped. */
struct comps {
	char **v;
	size_t n;
	char *rel;                /* the components joined with '/' */
};

static void comps_clear(struct comps *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i]);
	free(c->v);
	free(c->rel);
	*c = (struct comps){ 0 };
}

static int refuse(struct xw *w, const char *path, const char *why)
{
	char *safe = escape_text(path, (size_t)-1, 200, 0);
	err_set(w->err, UP_ERR_MISMATCH, _("archive entry %s refused: %s"), safe, why);
	free(safe);
	return -1;
}

static int io_fail(struct xw *w, const char *path, const char *what)
{
	int e = errno;
	char *safe = escape_text(path, (size_t)-1, 200, 0);
	err_set(w->err, UP_ERR_IO, "staging %s: %s: %s", safe, what, strerror(e));
	free(safe);
	return -1;
}

/* 1: c is filled; 0: nothing left after stripping; -1: refused. */
static int split_path(struct xw *w, const char *path, struct comps *c)
{
	*c = (struct comps){ 0 };
	if (!path || !path[0])
		return refuse(w, "", _("empty path"));
	if (path[0] == '/')
		return refuse(w, path, _("absolute path"));
	size_t cap = 0;
	int skipped = 0;
	for (const char *p = path; *p;) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len && !(len == 1 && p[0] == '.')) {
			char *name = xstrndup(p, len);
			const char *why = stage_name_problem(name);
			if (why) {
				free(name);
				comps_clear(c);
				return refuse(w, path, why);
			}
			if (skipped < w->strip) {
				skipped++;
				free(name);
			} else {
				if (c->n == cap)
					c->v = xrealloc(c->v, (cap = cap ? 2 * cap : 8) * sizeof(*c->v));
				c->v[c->n++] = name;
			}
		}
		p += len + (end ? 1 : 0);
	}
	if (!c->n)
		return 0;
	if ((int)c->n - 1 > w->lim->max_depth) {
		comps_clear(c);
		return refuse(w, path, _("the tree is deeper than the depth limit"));
	}
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < c->n; i++)
		strbuf_addf(&sb, "%s%s", i ? "/" : "", c->v[i]);
	c->rel = strbuf_detach(&sb);
	return 1;
}

static void remember(struct xw *w, const char *rel)
{
	char *f = xstrdup(rel);
	for (char *p = f; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	strvec_push_owned(&w->folded, f);
}

/* The directory holding the last component of c, opened (O_NOFOLLOW at
 * every step); missing directories are created when create is set.
 * Returns an fd the caller must not close (it is cached), or -1. */
static int open_parent(struct xw *w, const struct comps *c, const char *path, bool create)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i + 1 < c->n; i++)
		strbuf_addf(&sb, "%s%s", i ? "/" : "", c->v[i]);
	char *prel = strbuf_detach(&sb);
	if (w->cached_rel && strcmp(prel, w->cached_rel) == 0) {
		free(prel);
		return w->cached_fd;
	}
	int fd = dup(w->root);
	for (size_t i = 0; fd >= 0 && i + 1 < c->n; i++) {
		if (create && mkdirat(fd, c->v[i], 0700) == 0) {
			struct strbuf p = STRBUF_INIT;
			for (size_t k = 0; k <= i; k++)
				strbuf_addf(&p, "%s%s", k ? "/" : "", c->v[k]);
			remember(w, p.buf);
			strbuf_release(&p);
			w->stats->dirs++;
		}
		int next = openat(fd, c->v[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int e = errno;
		close(fd);
		fd = next;
		if (fd < 0 && (e == ENOTDIR || e == ELOOP || (e == ENOENT && !create))) {
			free(prel);
			return refuse(w, path, e == ENOENT ? _("it names a path that is not in the archive")
						     : _("a path through a symlink or a file of the archive"));
		}
		if (fd < 0) {
			errno = e;
			io_fail(w, path, _("open directory"));
		}
	}
	if (fd < 0) {
		free(prel);
		return -1;
	}
	if (w->cached_fd >= 0)
		close(w->cached_fd);
	free(w->cached_rel);
	w->cached_rel = prel;
	w->cached_fd = fd;
	return fd;
}

/* Mode and owner; no fsync here: one syncfs() at the end makes the whole
 * tree durable before anything is swapped, for the price of one `sync`
 * instead of a journal commit per file (16 s against 4 s for 2,360 files,
 * BENCHMARKS.md). */
static int finish_fd(struct xw *w, int fd, mode_t mode, const char *path)
{
	if (fchmod(fd, mode) < 0)
		return io_fail(w, path, "chmod");
	if (w->chown && fchown(fd, w->uid, w->gid) < 0)
		return io_fail(w, path, "chown");
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static int damaged(struct xw *w, const char *path)
{
	char *safe = escape_text(path, (size_t)-1, 200, 0);
	const char *why = archive_error_string(w->a);
	err_set(w->err, UP_ERR_MISMATCH, _("archive entry %s: %s"), safe, why ? why : _("cannot be read"));
	free(safe);
	return -1;
}

static int copy_data(struct xw *w, int fd, const char *path)
{
	for (;;) {
		if (stage_check_cancel(w->lim, path, w->err) < 0)
			return -1;
		ssize_t k = archive_read_data(w->a, w->buf, 1 << 16);
		if (k == 0)
			return 0;
		if (k < 0)
			return damaged(w, path);
		w->stats->bytes += k;
		if (w->stats->bytes > w->lim->max_bytes)
			return refuse(w, path, _("the release is larger than the size limit"));
		if (write_all(fd, w->buf, (size_t)k) < 0)
			return io_fail(w, path, "write");
	}
}

static int make_file(struct xw *w, int pfd, const struct comps *c, struct archive_entry *e,
		     const char *path)
{
	const char *leaf = c->v[c->n - 1];
	int fd = openat(pfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == EEXIST ? refuse(w, path, _("a second entry with the same path"))
				       : io_fail(w, path, "create");
	remember(w, c->rel);
	int rc = copy_data(w, fd, path);
	if (rc == 0)
		rc = finish_fd(w, fd, archive_entry_perm(e) & 0111 ? 0755 : 0644, path);
	if (close(fd) < 0 && rc == 0)
		rc = io_fail(w, path, "close");
	w->stats->files++;
	return rc;
}

static int make_dir(struct xw *w, int pfd, const struct comps *c, const char *path)
{
	const char *leaf = c->v[c->n - 1];
	if (mkdirat(pfd, leaf, 0700) == 0) {
		remember(w, c->rel);
		w->stats->dirs++;
		return 0;
	}
	struct stat st;
	if (errno == EEXIST && fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
		return 0; /* named again, or created for an earlier entry */
	return errno == EEXIST ? refuse(w, path, _("a second entry with the same path"))
			       : io_fail(w, path, "mkdir");
}

static int make_symlink(struct xw *w, int pfd, const struct comps *c, struct archive_entry *e,
			const char *path)
{
	const char *target = archive_entry_symlink(e);
	const char *why = stage_link_problem(target ? target : "", target ? strlen(target) : 0,
					     (int)c->n - 1);
	if (why)
		return refuse(w, path, why);
	const char *leaf = c->v[c->n - 1];
	if (symlinkat(target, pfd, leaf) < 0)
		return errno == EEXIST ? refuse(w, path, _("a second entry with the same path"))
				       : io_fail(w, path, "symlink");
	remember(w, c->rel);
	if (w->chown && fchownat(pfd, leaf, w->uid, w->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return io_fail(w, path, "chown");
	w->stats->links++;
	return 0;
}

/* A hard link to a regular file extracted before, inside the tree. */
static int make_hardlink(struct xw *w, const struct comps *c, const char *target,
			 const char *path)
{
	struct comps t;
	int rc = split_path(w, target, &t);
	if (rc == 0)
		return refuse(w, path, _("hard link to a path outside the extracted tree"));
	if (rc < 0) {
		char *safe = escape_text(path, (size_t)-1, 200, 0);
		err_prefix(w->err, _("hard link %s"), safe);
		free(safe);
		return -1;
	}
	int tfd = open_parent(w, &t, path, false);
	int tdup = tfd >= 0 ? dup(tfd) : -1;
	struct stat st;
	if (tfd < 0 || tdup < 0) {
		rc = tfd < 0 ? -1 : io_fail(w, path, "dup");
	} else if (fstatat(tdup, t.v[t.n - 1], &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode)) {
		rc = refuse(w, path, _("hard link to something that is not a regular file of the archive"));
	} else {
		int pfd = open_parent(w, c, path, true);
		if (pfd < 0)
			rc = -1;
		else if (linkat(tdup, t.v[t.n - 1], pfd, c->v[c->n - 1], 0) < 0)
			rc = errno == EEXIST ? refuse(w, path, _("a second entry with the same path"))
					     : io_fail(w, path, "link");
		else {
			remember(w, c->rel);
			w->stats->files++;
		}
	}
	if (tdup >= 0)
		close(tdup);
	comps_clear(&t);
	return rc;
}

static int one_entry(struct xw *w, struct archive_entry *e)
{
	const char *path = archive_entry_pathname(e);
	struct comps c;
	int rc = split_path(w, path, &c);
	if (rc <= 0)
		return rc;
	if (++w->entries > w->lim->max_entries) {
		comps_clear(&c);
		return refuse(w, path, _("the tree has more entries than the limit"));
	}
	const char *hard = archive_entry_hardlink(e);
	mode_t type = archive_entry_filetype(e);
	if (hard) {
		rc = make_hardlink(w, &c, hard, path);
	} else if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) {
		rc = refuse(w, path, _("a device, FIFO or socket, which a release may not hold"));
	} else {
		int pfd = open_parent(w, &c, path, true);
		if (pfd < 0)
			rc = -1;
		else if (type == AE_IFREG)
			rc = make_file(w, pfd, &c, e, path);
		else if (type == AE_IFDIR)
			rc = make_dir(w, pfd, &c, path);
		else
			rc = make_symlink(w, pfd, &c, e, path);
	}
	comps_clear(&c);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Two created paths equal when case-folded: refused, as in git trees. */
static int check_case_twins(struct xw *w)
{
	qsort(w->folded.items, w->folded.n, sizeof(*w->folded.items), cmp_str);
	for (size_t i = 1; i < w->folded.n; i++)
		if (strcmp(w->folded.items[i - 1], w->folded.items[i]) == 0)
			return refuse(w, w->folded.items[i], _("two names that differ only in case"));
	return 0;
}

/* Directories were 0700 while being filled: now 0755, owned. */
static int finish_dirs(struct xw *w, int fd, const char *rel, int depth)
{
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return io_fail(w, rel, "opendir");
	}
	int rc = 0;
	struct dirent *de;
	while (rc == 0 && (de = readdir(d))) {
		struct stat st;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (de->d_type == DT_UNKNOWN &&
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
			de->d_type = DT_DIR;
		if (de->d_type != DT_DIR)
			continue;
		int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		char *child = xasprintf("%s%s%s", rel, rel[0] ? "/" : "", de->d_name);
		if (sub < 0)
			rc = io_fail(w, child, "open");
		else if ((rc = finish_fd(w, sub, 0755, child)) == 0)
			rc = finish_dirs(w, sub, child, depth + 1);
		else
			close(sub);
		free(child);
	}
	closedir(d);
	return rc;
}

static struct archive *open_archive(const char *file, struct up_error *err)
{
	struct archive *a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	archive_read_support_format_zip(a);
	if (archive_read_open_filename(a, file, 1 << 16) != ARCHIVE_OK) {
		err_set(err, UP_ERR_MISMATCH, _("%s: not an archive upkeep can read (%s)"), file,
			archive_error_string(a) ? archive_error_string(a) : _("unknown format"));
		archive_read_free(a);
		return NULL;
	}
	return a;
}

static int extract_all(struct xw *w, const char *file)
{
	struct archive_entry *e;
	for (size_t headers = 0;; headers++) {
		int r = archive_read_next_header(w->a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN && headers == 0) {
			const char *why = archive_error_string(w->a);
			return err_set(w->err, UP_ERR_MISMATCH, "%s: not an archive upkeep can read (%s)",
				       file, why ? why : "unknown format");
		}
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return damaged(w, "after the last good one");
		if (stage_check_cancel(w->lim, file, w->err) < 0 || one_entry(w, e) < 0)
			return -1;
	}
	if (w->entries == 0)
		return err_set(w->err, UP_ERR_MISMATCH, _("the archive holds no entries%s"),
			       w->strip ? _(" below strip_components") : "");
	return check_case_twins(w);
}

int asset_extract(const char *archive_file, const char *dir, int strip_components,
		  const struct stat *like, const struct stage_limits *lim,
		  struct stage_stats *stats, struct up_error *err)
{
	static const struct stage_limits defaults = STAGE_LIMITS_DEFAULT;
	struct stage_stats local = { 0 };
	struct xw w = { .strip = strip_components, .lim = lim ? lim : &defaults,
			.stats = stats ? stats : &local, .chown = geteuid() == 0,
			.uid = like->st_uid, .gid = like->st_gid, .cached_fd = -1, .root = -1,
			.err = err };
	*w.stats = (struct stage_stats){ 0 };
	w.a = open_archive(archive_file, err);
	if (!w.a)
		return -1;
	if (mkdir(dir, 0700) < 0) {
		err_set(err, UP_ERR_IO, "%s: mkdir: %s", dir, strerror(errno));
		archive_read_free(w.a);
		return -1;
	}
	w.buf = xmalloc(1 << 16);
	int rc = -1;
	w.root = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (w.root < 0)
		err_set(err, UP_ERR_IO, "%s: %s", dir, strerror(errno));
	else
		rc = extract_all(&w, archive_file);
	if (w.cached_fd >= 0)
		close(w.cached_fd);
	if (rc == 0) {
		int fd = dup(w.root);
		rc = fd < 0 ? io_fail(&w, "", "dup") : finish_dirs(&w, fd, "", 0);
	}
	if (rc == 0)
		rc = finish_fd(&w, w.root, like->st_mode & 07777, ".");
	if (rc == 0 && syncfs(w.root) < 0)
		rc = io_fail(&w, ".", "syncfs");
	if (rc == 0) {
		char *parent = xstrdup(dir);
		char *slash = strrchr(parent, '/');
		if (slash)
			*(slash == parent ? slash + 1 : slash) = '\0';
		rc = stage_fsync_dir(slash ? parent : ".", err);
		free(parent);
	}
	if (w.root >= 0)
		close(w.root);
	if (rc < 0) {
		struct up_error ignore = UP_ERROR_INIT;
		stage_remove_tree(dir, &ignore);
		err_clear(&ignore);
	}
	archive_read_free(w.a);
	strvec_clear(&w.folded);
	free(w.cached_rel);
	free(w.buf);
	return rc;
}
