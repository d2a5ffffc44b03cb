/* swap.c - atomic, durable switches between an old and a new tree. */
#include "config.h"

#include "swap.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "i18n.h"
#include "stage.h"
#include "util.h"

char *swap_parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

static int fsync_parent(const char *path, struct up_error *err)
{
	char *parent = swap_parent_dir(path);
	int rc = stage_fsync_dir(parent, err);
	free(parent);
	return rc;
}

static int must_be_dir(const char *path, struct up_error *err)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return err_set(err, UP_ERR_IO, "%s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return err_set(err, UP_ERR_IO, _("%s: not a directory (refusing to swap it)"), path);
	return 0;
}

int swap_exchange_dirs(const char *live, const char *staging, struct up_error *err)
{
	if (must_be_dir(live, err) < 0 || must_be_dir(staging, err) < 0)
		return -1;
	if (renameat2(AT_FDCWD, staging, AT_FDCWD, live, RENAME_EXCHANGE) < 0) {
		int e = errno;
		if (e == EXDEV)
			return err_set(err, UP_ERR_IO,
				       _("cannot swap %s and %s: they are on different file systems"), live,
				       staging);
		if (e == EINVAL || e == ENOSYS)
			return err_set(err, UP_ERR_IO,
				       _("cannot swap %s and %s atomically: the file system does not support "
				       "renameat2(RENAME_EXCHANGE) (use layout: releases)"),
				       live, staging);
		return err_set(err, UP_ERR_IO, _("swapping %s and %s: %s"), live, staging, strerror(e));
	}
	return fsync_parent(live, err);
}

int swap_exchange_paths(const char *live, const char *staging, struct up_error *err)
{
	if (renameat2(AT_FDCWD, staging, AT_FDCWD, live, RENAME_EXCHANGE) < 0) {
		int e = errno;
		if (e == EINVAL || e == ENOSYS)
			return err_set(err, UP_ERR_IO,
				       _("cannot swap %s and %s atomically: the file system does not support "
				       "renameat2(RENAME_EXCHANGE)"),
				       live, staging);
		return err_set(err, UP_ERR_IO, _("swapping %s and %s: %s"), live, staging, strerror(e));
	}
	return fsync_parent(live, err);
}

int swap_install_first(const char *staging, const char *live, struct up_error *err)
{
	if (must_be_dir(staging, err) < 0)
		return -1;
	return swap_place_path(staging, live, err);
}

int swap_place_path(const char *staging, const char *live, struct up_error *err)
{
	if (renameat2(AT_FDCWD, staging, AT_FDCWD, live, RENAME_NOREPLACE) < 0) {
		int e = errno;
		if (e == EEXIST)
			return err_set(err, UP_ERR_IO, _("%s appeared during the install; not replacing it"),
				       live);
		return err_set(err, UP_ERR_IO, _("renaming %s to %s: %s"), staging, live, strerror(e));
	}
	return fsync_parent(live, err);
}

int swap_link_switch(const char *link, const char *target, struct up_error *err)
{
	char *parent = swap_parent_dir(link);
	char *tmp = xasprintf("%s/.upkeep-link-%ld", parent, (long)getpid());
	free(parent);
	int rc = 0;
	struct stat st;
	if (lstat(link, &st) == 0 && !S_ISLNK(st.st_mode))
		rc = err_set(err, UP_ERR_IO, _("%s: not a symbolic link (layout: releases)"), link);
	else if (unlink(tmp) < 0 && errno != ENOENT)
		rc = err_set(err, UP_ERR_IO, "%s: %s", tmp, strerror(errno));
	else if (symlink(target, tmp) < 0)
		rc = err_set(err, UP_ERR_IO, "%s: symlink: %s", tmp, strerror(errno));
	else if (rename(tmp, link) < 0) {
		rc = err_set(err, UP_ERR_IO, _("renaming %s to %s: %s"), tmp, link, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return rc == 0 ? fsync_parent(link, err) : rc;
}

int swap_link_read(const char *link, char **target, struct up_error *err)
{
	*target = NULL;
	struct stat st;
	if (lstat(link, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return err_set(err, UP_ERR_IO, "%s: %s", link, strerror(errno));
	}
	if (!S_ISLNK(st.st_mode))
		return err_set(err, UP_ERR_IO, _("%s: not a symbolic link (layout: releases)"), link);
	size_t cap = (size_t)st.st_size + 1;
	char *buf = xmalloc(cap);
	ssize_t k = readlink(link, buf, cap);
	if (k < 0 || (size_t)k >= cap) {
		free(buf);
		return err_set(err, UP_ERR_IO, "%s: readlink: %s", link,
			       k < 0 ? strerror(errno) : _("changed while reading"));
	}
	buf[k] = '\0';
	*target = buf;
	return 0;
}

struct rel_dir {
	char *name;
	long long mtime_ns;
};

static int cmp_newest(const void *a, const void *b)
{
	const struct rel_dir *x = a, *y = b;
	return x->mtime_ns < y->mtime_ns ? 1 : x->mtime_ns > y->mtime_ns ? -1 : strcmp(x->name, y->name);
}

static bool is_protected(const char *name, const char *const *protect, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (protect[i] && strcmp(protect[i], name) == 0)
			return true;
	return false;
}

int swap_prune_releases(const char *releases, int keep, const char *const *protect,
			size_t n_protect, struct up_error *err)
{
	DIR *d = opendir(releases);
	if (!d)
		return err_set(err, UP_ERR_IO, "%s: %s", releases, strerror(errno));
	struct rel_dir *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		struct stat st;
		if (e->d_name[0] == '.' || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[n].name = xstrdup(e->d_name);
		v[n++].mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cmp_newest);
	int rc = 0;
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		if (is_protected(v[i].name, protect, n_protect) || (int)kept < keep) {
			kept++;
		} else if (rc == 0) {
			char *p = xasprintf("%s/%s", releases, v[i].name);
			rc = stage_remove_tree(p, err);
			free(p);
		}
		free(v[i].name);
	}
	free(v);
	return rc == 0 ? stage_fsync_dir(releases, err) : rc;
}
