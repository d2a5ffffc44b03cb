/* asset_tree.c - listings of extracted release assets, for drift and adopt. */
#include "config.h"

#include "asset_tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "asset_extract.h"
#include "i18n.h"
#include "stage.h"
#include "util.h"

/* A listing larger than this is refused when read (a million entries). */
#define ASSET_TREE_MAX (256L * 1024 * 1024)

char *asset_tree_dir(const struct config *cfg, const struct target_cfg *t)
{
	return xasprintf("%s/asset-trees/%s", cfg->cache_dir, t->name);
}

char *asset_tree_file(const char *dir, const char *sha256)
{
	return xasprintf("%s/%s.tree", dir, sha256);
}

static int not_dots(const struct dirent *e)
{
	return strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
}

/* Appends the record of entry rel (below root), and of its entries when it
 * is a directory (pre-order, names sorted). */
static int list_entry(const char *root, const char *rel, struct strbuf *out, struct up_error *err)
{
	char *full = xasprintf("%s/%s", root, rel);
	struct stat st;
	char blob[41] = "0000000000000000000000000000000000000000";
	unsigned mode = 0;
	int rc = lstat(full, &st) < 0 ? err_set(err, UP_ERR_IO, "%s: %s", full, strerror(errno)) : 0;
	if (rc == 0 && S_ISDIR(st.st_mode))
		mode = 040000;
	else if (rc == 0 && (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))) {
		mode = S_ISLNK(st.st_mode) ? 0120000 : st.st_mode & 0100 ? 0100755 : 0100644;
		rc = source_hash_file(full, S_ISLNK(st.st_mode), blob, err);
	}
	if (rc == 0 && mode) {
		strbuf_addf(out, "%06o %s %s", mode, blob, rel);
		strbuf_addch(out, '\0');
	}
	struct dirent **names = NULL;
	int n = rc == 0 && mode == 040000 ? scandir(full, &names, not_dots, alphasort) : 0;
	if (n < 0)
		rc = err_set(err, UP_ERR_IO, "%s: %s", full, strerror(errno));
	for (int i = 0; i < n; i++) {
		if (rc == 0) {
			char *child = xasprintf("%s/%s", rel, names[i]->d_name);
			rc = list_entry(root, child, out, err);
			free(child);
		}
		free(names[i]);
	}
	free(names);
	free(full);
	return rc;
}

static int write_whole(const char *file, const struct strbuf *sb, struct up_error *err)
{
	char *tmp = xasprintf("%s.new", file);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	int rc = fd < 0 ? err_set(err, UP_ERR_IO, "%s: %s", tmp, strerror(errno)) : 0;
	for (size_t off = 0; rc == 0 && off < sb->len;) {
		ssize_t n = write(fd, sb->buf + off, sb->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			rc = err_set(err, UP_ERR_IO, "%s: %s", tmp, strerror(errno));
		else
			off += (size_t)n;
	}
	if (rc == 0 && fsync(fd) < 0)
		rc = err_set(err, UP_ERR_IO, "%s: fsync: %s", tmp, strerror(errno));
	if (fd >= 0)
		close(fd);
	if (rc == 0 && rename(tmp, file) < 0)
		rc = err_set(err, UP_ERR_IO, "%s: rename: %s", tmp, strerror(errno));
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

int asset_tree_write(const char *dir, const char *file, struct up_error *err)
{
	char *parent = xstrdup(file);
	char *slash = strrchr(parent, '/');
	if (slash)
		*slash = '\0';
	int rc = util_mkdir_p(parent, 0700) < 0
		? err_set(err, UP_ERR_IO, "cannot create %s: %s", parent, strerror(errno)) : 0;
	struct strbuf sb = STRBUF_INIT;
	strbuf_add(&sb, "", 0);
	struct dirent **names = NULL;
	int n = rc == 0 ? scandir(dir, &names, not_dots, alphasort) : 0;
	if (n < 0)
		rc = err_set(err, UP_ERR_IO, "%s: %s", dir, strerror(errno));
	for (int i = 0; i < n; i++) {
		if (rc == 0)
			rc = list_entry(dir, names[i]->d_name, &sb, err);
		free(names[i]);
	}
	free(names);
	if (rc == 0)
		rc = write_whole(file, &sb, err);
	if (rc == 0)
		rc = stage_fsync_dir(parent, err);
	strbuf_release(&sb);
	free(parent);
	return rc;
}

int asset_tree_of_archive(const char *dir, const char *archive, const char *sha256,
			  int strip_components, const struct stat *like, char **file,
			  struct up_error *err)
{
	*file = asset_tree_file(dir, sha256);
	if (access(*file, F_OK) == 0)
		return 0;
	char *scratch = xasprintf("%s/.extract-%s", dir, sha256);
	struct stat st;
	int rc = util_mkdir_p(dir, 0700) < 0
		? err_set(err, UP_ERR_IO, "cannot create %s: %s", dir, strerror(errno)) : 0;
	if (rc == 0 && lstat(scratch, &st) == 0)
		rc = stage_remove_tree(scratch, err); /* a leftover of a killed run */
	struct stage_stats ss;
	if (rc == 0)
		rc = asset_extract(archive, scratch, strip_components, like, NULL, &ss, err);
	if (rc == 0) {
		rc = asset_tree_write(scratch, *file, err);
		struct up_error ignore = UP_ERROR_INIT;
		stage_remove_tree(scratch, &ignore);
		err_clear(&ignore);
	}
	free(scratch);
	if (rc < 0)
		FREE(*file);
	return rc;
}

/* Parses "MODE BLOB PATH"; false when the record is not one. */
static bool parse_record(char *rec, unsigned *mode, const char **blob, const char **path)
{
	char *end;
	unsigned long m = strtoul(rec, &end, 8);
	if (end != rec + 6 || *end != ' ' || strlen(end + 1) < 42 || end[41] != ' ')
		return false;
	end[41] = '\0';
	*mode = (unsigned)m;
	*blob = end + 1;
	*path = end + 42;
	return **path != '\0';
}

int asset_tree_walk(const char *file, source_tree_cb cb, void *data, struct up_error *err)
{
	struct strbuf sb = STRBUF_INIT;
	if (util_read_capped(file, ASSET_TREE_MAX, &sb) < 0) {
		int e = errno;
		strbuf_release(&sb);
		return err_set(err, e == ENOENT ? UP_ERR_NOT_FOUND : UP_ERR_IO, "%s: %s", file,
			       strerror(e));
	}
	int rc = 0;
	char *skip = NULL; /* a directory whose entries the callback skips */
	size_t skip_len = 0;
	for (size_t off = 0; rc == 0 && off < sb.len;) {
		char *rec = sb.buf + off;
		size_t len = strnlen(rec, sb.len - off);
		off += len + 1;
		unsigned mode;
		const char *blob, *path;
		if (len == sb.len - (off - len - 1) || !parse_record(rec, &mode, &blob, &path)) {
			rc = err_set(err, UP_ERR_MISMATCH, _("%s: damaged listing (remove it; the next "
							     "install writes it again)"), file);
			break;
		}
		if (skip && strncmp(path, skip, skip_len) == 0 && path[skip_len] == '/')
			continue;
		FREE(skip);
		int r = cb(path, mode, blob, data);
		if (r < 0)
			rc = 1;
		else if (r > 0 && mode == 040000) {
			skip = xstrdup(path);
			skip_len = strlen(path);
		}
	}
	free(skip);
	strbuf_release(&sb);
	return rc;
}

void asset_tree_prune(const char *dir, const char *keep_sha256)
{
	char *keep = xasprintf("%s.tree", keep_sha256);
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' || strcmp(e->d_name, keep) == 0)
			continue;
		char *p = xasprintf("%s/%s", dir, e->d_name);
		unlink(p);
		free(p);
	}
	if (d)
		closedir(d);
	free(keep);
}
