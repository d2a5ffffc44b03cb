/* archive_restore.c - a snapshot written back into a directory. */
#include "config.h"

#include "archive_restore.h"

#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive_read.h"
#include "archive_snap.h"
#include "archive_tree.h"
#include "escape.h"
#include "i18n.h"
#include "util.h"

#define HOLE_GRAIN 4096

/* A directory being restored: open while the walker or a file job needs it;
 * the last one out sets its mode and mtime (after every entry is created). */
struct rdir {
	int fd;
	int refs;
	bool has_meta;          /* DIR itself and parents of chosen paths: none */
	struct archive_entry meta;
};

/* A file to create, done by a worker thread. */
struct rjob {
	struct rdir *dir;
	struct archive_entry e; /* owned */
	char *rel;
	struct rjob *next;
};

#define RESTORE_QUEUE 256

struct restore {
	struct archive_index *idx;
	const struct restore_opts *o;
	struct restore_result *res;
	bool as_root;
	pthread_mutex_t lock;
	pthread_cond_t work, room;
	struct rjob *head, *tail;
	size_t queued;
	bool closing, failed;
	struct up_error err;    /* the first worker error */
	pthread_t *threads;
	int n_threads;
	long long next_progress_ms, total_files, total_bytes;
};

/* An error about path (shown escaped). */
static int fail_path(const char *rel, struct up_error *err, enum up_status st, const char *what)
{
	char *safe = escape_text(rel, (size_t)-1, 0, 0);
	err_set(err, st, "%s: %s", safe, what);
	free(safe);
	return -1;
}

static char *join(const char *rel, const struct archive_entry *e)
{
	return xasprintf("%s%s%s", rel, *rel ? "/" : "", e->name);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

/* Writes data at the file offset, leaving holes for zero pages. */
static int write_sparse(int fd, const uint8_t *p, size_t len, off_t *at)
{
	while (len > 0) {
		size_t n = len < HOLE_GRAIN ? len : HOLE_GRAIN;
		if (!all_zero(p, n)) {
			size_t done = 0;
			while (done < n) {
				ssize_t w = pwrite(fd, p + done, n - done, *at + (off_t)done);
				if (w < 0 && errno == EINTR)
					continue;
				if (w <= 0)
					return -1;
				done += (size_t)w;
			}
		}
		*at += (off_t)n;
		p += n;
		len -= n;
	}
	return 0;
}

static void set_meta(struct restore *r, int fd, const struct archive_entry *e)
{
	if (r->as_root && fchown(fd, e->uid, e->gid) < 0) {
		/* reported nowhere: owners are best effort like tar's */
	}
	fchmod(fd, (mode_t)e->mode);
	struct timespec ts[2] = { { (time_t)(e->mtime_ns / 1000000000), (long)(e->mtime_ns % 1000000000) },
				  { (time_t)(e->mtime_ns / 1000000000), (long)(e->mtime_ns % 1000000000) } };
	futimens(fd, ts);
}

static int open_new(struct restore *r, int dfd, const char *name)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST && r->o->force && unlinkat(dfd, name, 0) == 0)
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	return fd;
}

static int check_cancel(const struct restore *r, struct up_error *err)
{
	if (r->o->cancel && *r->o->cancel)
		return err_set(err, UP_ERR_CANCELLED, _("restoring into %s cancelled"), r->o->dest);
	return 0;
}

static int restore_file(struct restore *r, struct chunk_reader *reader, int dfd, const char *rel,
			const struct archive_entry *e, struct up_error *err)
{
	int fd = open_new(r, dfd, e->name);
	if (fd < 0)
		return fail_path(rel, err, UP_ERR_IO, strerror(errno));
	off_t at = 0;
	int rc = 0;
	for (uint32_t i = 0; i < e->n_chunks && rc == 0; i++) {
		const uint8_t *data;
		size_t len;
		if (check_cancel(r, err) < 0)
			rc = -1;
		else if (chunk_reader_get(reader, e->chunks + (size_t)i * HASH_LEN, &data, &len, err) < 0) {
			char *safe = escape_text(rel, (size_t)-1, 0, 0);
			rc = err_prefix(err, "%s", safe);
			free(safe);
		} else if (write_sparse(fd, data, len, &at) < 0) {
			rc = fail_path(rel, err, UP_ERR_IO, strerror(errno));
		}
	}
	if (rc == 0 && (uint64_t)at != e->size)
		rc = fail_path(rel, err, UP_ERR_MISMATCH, _("size differs from the index"));
	if (rc == 0 && ftruncate(fd, at) < 0)
		rc = fail_path(rel, err, UP_ERR_IO, strerror(errno));
	if (rc == 0)
		set_meta(r, fd, e);
	close(fd);
	if (rc < 0)
		unlinkat(dfd, e->name, 0); /* never leave wrong data behind */
	pthread_mutex_lock(&r->lock);
	r->res->files++;
	r->res->bytes += (long long)e->size;
	if (r->o->progress) {
		long long now = util_monotonic_ms();
		if (now >= r->next_progress_ms) {
			r->next_progress_ms = now + 200;
			r->o->progress(r->o->progress_ctx, r->res, r->total_files, r->total_bytes);
		}
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}

static int restore_symlink(struct restore *r, int dfd, const char *rel,
			   const struct archive_entry *e, struct up_error *err)
{
	int rc = symlinkat(e->link, dfd, e->name);
	if (rc < 0 && errno == EEXIST && r->o->force && unlinkat(dfd, e->name, 0) == 0)
		rc = symlinkat(e->link, dfd, e->name);
	if (rc < 0)
		return fail_path(rel, err, UP_ERR_IO, strerror(errno));
	if (r->as_root && fchownat(dfd, e->name, e->uid, e->gid, AT_SYMLINK_NOFOLLOW) < 0) {
		/* best effort */
	}
	struct timespec ts[2] = { { (time_t)(e->mtime_ns / 1000000000), (long)(e->mtime_ns % 1000000000) },
				  { (time_t)(e->mtime_ns / 1000000000), (long)(e->mtime_ns % 1000000000) } };
	utimensat(dfd, e->name, ts, AT_SYMLINK_NOFOLLOW);
	r->res->symlinks++;
	return 0;
}

/* Creates (or, with force, reuses) directory name in dfd and opens it. */
static int open_dir(struct restore *r, int dfd, const char *name, bool reuse)
{
	if (mkdirat(dfd, name, 0700) < 0 && (errno != EEXIST || !(reuse || r->o->force)))
		return -1;
	return openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* ---- the worker threads */

static struct rdir *rdir_new(int fd, const struct archive_entry *meta)
{
	struct rdir *d = xcalloc(1, sizeof(*d));
	d->fd = fd;
	d->refs = 1;
	if (meta) {
		d->has_meta = true;
		d->meta = *meta;
		d->meta.name = NULL; /* only the numbers are used */
		d->meta.link = NULL;
		d->meta.chunks = NULL;
	}
	return d;
}

static void rdir_release(struct restore *r, struct rdir *d)
{
	pthread_mutex_lock(&r->lock);
	bool last = --d->refs == 0;
	pthread_mutex_unlock(&r->lock);
	if (!last)
		return;
	if (d->has_meta)
		set_meta(r, d->fd, &d->meta); /* after the entries: mtime and a read-only mode */
	close(d->fd);
	free(d);
}

static void job_run(struct restore *r, struct chunk_reader *reader, struct rjob *j)
{
	pthread_mutex_lock(&r->lock);
	bool failed = r->failed;
	pthread_mutex_unlock(&r->lock);
	struct up_error err = UP_ERROR_INIT;
	if (!failed && restore_file(r, reader, j->dir->fd, j->rel, &j->e, &err) < 0) {
		pthread_mutex_lock(&r->lock);
		if (!r->failed) {
			r->failed = true;
			r->err = err;
			err.msg = NULL;
		}
		pthread_mutex_unlock(&r->lock);
	}
	err_clear(&err);
	rdir_release(r, j->dir);
	archive_entry_release(&j->e);
	free(j->rel);
	free(j);
}

static void *restore_worker(void *arg)
{
	struct restore *r = arg;
	struct chunk_reader *reader = chunk_reader_new(r->idx);
	pthread_mutex_lock(&r->lock);
	for (;;) {
		while (!r->head && !r->closing)
			pthread_cond_wait(&r->work, &r->lock);
		struct rjob *j = r->head;
		if (!j)
			break;
		r->head = j->next;
		if (!r->head)
			r->tail = NULL;
		r->queued--;
		pthread_cond_signal(&r->room);
		pthread_mutex_unlock(&r->lock);
		job_run(r, reader, j);
		pthread_mutex_lock(&r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	chunk_reader_free(&reader);
	return NULL;
}

/* Hands a file (whose entry it takes over) to the workers. */
static void enqueue_file(struct restore *r, struct rdir *d, struct archive_entry *e, const char *rel)
{
	struct rjob *j = xcalloc(1, sizeof(*j));
	j->dir = d;
	j->e = *e;
	memset(e, 0, sizeof(*e));
	j->rel = xstrdup(rel);
	pthread_mutex_lock(&r->lock);
	d->refs++;
	while (r->queued >= RESTORE_QUEUE)
		pthread_cond_wait(&r->room, &r->lock);
	if (r->tail)
		r->tail->next = j;
	else
		r->head = j;
	r->tail = j;
	r->queued++;
	pthread_cond_signal(&r->work);
	pthread_mutex_unlock(&r->lock);
}

static bool restore_failed(struct restore *r)
{
	pthread_mutex_lock(&r->lock);
	bool failed = r->failed;
	pthread_mutex_unlock(&r->lock);
	return failed;
}

/* ---- the walk: directories and symlinks here, files to the workers */

static int restore_entry(struct restore *r, struct rdir *d, const char *rel,
			 struct archive_entry *e, struct up_error *err);

static int restore_children(struct restore *r, struct rdir *d, const char *rel, int64_t tree,
			    struct up_error *err)
{
	struct archive_entry *v;
	size_t n;
	if (archive_tree_load(archive_index_db(r->idx), tree, &v, &n, err) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0 && !restore_failed(r); i++) {
		if ((rc = check_cancel(r, err)) < 0)
			break;
		char *path = join(rel, &v[i]);
		rc = restore_entry(r, d, path, &v[i], err);
		free(path);
	}
	archive_entries_free(&v, n);
	return rc;
}

static int restore_entry(struct restore *r, struct rdir *d, const char *rel,
			 struct archive_entry *e, struct up_error *err)
{
	if (!archive_name_ok(e->name, e->name_len))
		return fail_path(rel, err, UP_ERR_MISMATCH, _("unsafe name in the index; refused"));
	if (e->type == ARCHIVE_FILE) {
		enqueue_file(r, d, e, rel);
		return 0;
	}
	if (e->type == ARCHIVE_SYMLINK)
		return restore_symlink(r, d->fd, rel, e, err);
	if (e->type != ARCHIVE_DIR)
		return fail_path(rel, err, UP_ERR_MISMATCH, _("unknown entry type in the index"));
	int fd = open_dir(r, d->fd, e->name, false);
	if (fd < 0)
		return fail_path(rel, err, UP_ERR_IO, strerror(errno));
	struct rdir *child = rdir_new(fd, e);
	int rc = restore_children(r, child, rel, e->subtree, err);
	rdir_release(r, child);
	pthread_mutex_lock(&r->lock);
	r->res->dirs++;
	pthread_mutex_unlock(&r->lock);
	return rc;
}

/* DIR: created when missing; refused when it holds anything, unless force. */
static int open_dest(struct restore *r, struct up_error *err)
{
	const char *dest = r->o->dest;
	if (util_mkdir_p(dest, 0700) < 0)
		return err_set(err, UP_ERR_IO, _("cannot create %s: %s"), dest, strerror(errno));
	int fd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_set(err, UP_ERR_IO, "%s: %s", dest, strerror(errno));
	int probe = dup(fd);
	DIR *d = probe >= 0 ? fdopendir(probe) : NULL;
	bool empty = true;
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			empty = false;
	if (d)
		closedir(d);
	else if (probe >= 0)
		close(probe);
	if (!empty && !r->o->force) {
		close(fd);
		return err_set(err, UP_ERR_USAGE,
			       _("%s exists and is not empty; restore into an empty directory or use --force"),
			       dest);
	}
	return fd;
}

/* PATH: its missing parents are created inside DIR (mode 0700), then it. */
static int restore_path(struct restore *r, int dfd, int64_t root, const char *path,
			struct up_error *err)
{
	struct archive_entry e;
	int found = archive_tree_lookup(archive_index_db(r->idx), root, path, &e, err);
	if (found <= 0) {
		archive_entry_release(&e);
		return found < 0 ? -1 : fail_path(path, err, UP_ERR_NOT_FOUND, _("not in the snapshot"));
	}
	char *rel = xstrdup(path), *p = rel;
	while (*p == '/')
		p++;
	int fd = dup(dfd), rc = 0;
	char *slash;
	while (rc == 0 && (slash = strchr(p, '/'))) {
		*slash = '\0';
		int sub = *p ? open_dir(r, fd, p, true) : dup(fd);
		if (sub < 0)
			rc = fail_path(rel, err, UP_ERR_IO, strerror(errno));
		close(fd);
		fd = sub;
		p = slash + 1;
	}
	struct rdir *d = fd >= 0 ? rdir_new(fd, NULL) : NULL;
	if (rc == 0 && strcmp(e.name, ".") == 0)
		rc = restore_children(r, d, "", e.subtree, err);
	else if (rc == 0)
		rc = restore_entry(r, d, path, &e, err);
	if (d)
		rdir_release(r, d);
	free(rel);
	archive_entry_release(&e);
	return rc;
}

static void pool_start(struct restore *r)
{
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->work, NULL);
	pthread_cond_init(&r->room, NULL);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	r->n_threads = cores > 0 ? (int)cores : 1;
	r->threads = xcalloc((size_t)r->n_threads, sizeof(*r->threads));
	for (int i = 0; i < r->n_threads; i++)
		if (pthread_create(&r->threads[i], NULL, restore_worker, r) != 0)
			abort(); /* as an allocation failure */
}

/* Lets the workers finish the queue, then stops them. Returns their first
 * error, or rc. */
static int pool_finish(struct restore *r, int rc, struct up_error *err)
{
	pthread_mutex_lock(&r->lock);
	r->closing = true;
	pthread_cond_broadcast(&r->work);
	pthread_mutex_unlock(&r->lock);
	for (int i = 0; i < r->n_threads; i++)
		pthread_join(r->threads[i], NULL);
	if (r->failed && rc == 0)
		rc = err_set(err, r->err.status, "%s", r->err.msg ? r->err.msg : "?");
	err_clear(&r->err);
	free(r->threads);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->work);
	pthread_cond_destroy(&r->room);
	return rc;
}

int archive_restore(struct archive_index *idx, const struct restore_opts *o,
		    struct restore_result *res, struct up_error *err)
{
	memset(res, 0, sizeof(*res));
	struct snapshot_info snap;
	if (archive_snapshot_get(idx, o->snapshot, &snap, err) < 0)
		return -1;
	struct restore r = { .idx = idx, .o = o, .res = res, .as_root = geteuid() == 0,
			     .total_files = o->n_paths ? 0 : snap.files,
			     .total_bytes = o->n_paths ? 0 : snap.bytes };
	int dfd = open_dest(&r, err);
	if (dfd < 0) {
		snapshot_info_clear(&snap);
		return -1;
	}
	pool_start(&r);
	int rc = 0;
	if (o->n_paths == 0) {
		struct rdir *root = rdir_new(dup(dfd), NULL);
		rc = restore_children(&r, root, "", snap.root, err);
		rdir_release(&r, root);
	}
	for (size_t i = 0; i < o->n_paths && rc == 0 && !restore_failed(&r); i++)
		rc = restore_path(&r, dfd, snap.root, o->paths[i], err);
	rc = pool_finish(&r, rc, err);
	if (rc == 0 && fsync(dfd) < 0)
		rc = err_set(err, UP_ERR_IO, "%s: %s", o->dest, strerror(errno));
	close(dfd);
	snapshot_info_clear(&snap);
	return rc;
}
