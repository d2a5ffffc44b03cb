/* archive_export.c - a snapshot as a tar stream. See archive_export.h. */
#include "config.h"

#include "archive_export.h"

#include <stdlib.h>
#include <string.h>

#include "archive_read.h"
#include "archive_snap.h"
#include "archive_tree.h"
#include "escape.h"
#include "i18n.h"
#include "tar_writer.h"
#include "util.h"

struct export {
	struct archive_index *idx;
	struct chunk_reader *reader;
	struct tar_writer *w;
	struct export_result *res;
};

static int export_file(struct export *x, const struct archive_entry *e, const char *path,
		       struct up_error *err)
{
	uint64_t done = 0;
	for (uint32_t i = 0; i < e->n_chunks; i++) {
		const uint8_t *data;
		size_t len;
		if (chunk_reader_get(x->reader, e->chunks + (size_t)i * HASH_LEN, &data, &len, err) < 0 ||
		    (done + len > e->size && err_set(err, UP_ERR_MISMATCH, _("longer than recorded")) < 0) ||
		    tar_writer_data(x->w, data, len, err) < 0) {
			char *safe = escape_text(path, (size_t)-1, 0, 0);
			err_prefix(err, "%s", safe);
			free(safe);
			return -1;
		}
		done += len;
	}
	if (done != e->size) {
		char *safe = escape_text(path, (size_t)-1, 0, 0);
		err_set(err, UP_ERR_MISMATCH, _("%s: shorter than recorded"), safe);
		free(safe);
		return -1;
	}
	x->res->bytes += (long long)done;
	return 0;
}

static int export_dir(struct export *x, int64_t tree, const char *rel, struct up_error *err)
{
	struct archive_entry *v;
	size_t n;
	if (archive_tree_load(archive_index_db(x->idx), tree, &v, &n, err) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct archive_entry *e = &v[i];
		if (!archive_name_ok(e->name, e->name_len))
			continue; /* never a path that leaves the archive's root */
		char *path = xasprintf("%s%s%s", rel, *rel ? "/" : "", e->name);
		struct tar_item it = { .path = path, .mode = e->mode, .uid = e->uid, .gid = e->gid,
				       .mtime_ns = e->mtime_ns, .size = e->size, .link = e->link };
		it.type = e->type == ARCHIVE_DIR ? TAR_DIR : e->type == ARCHIVE_SYMLINK ? TAR_SYMLINK : TAR_FILE;
		rc = tar_writer_header(x->w, &it, err);
		if (rc == 0 && e->type == ARCHIVE_FILE) {
			rc = export_file(x, e, path, err);
			x->res->files++;
		} else if (rc == 0 && e->type == ARCHIVE_DIR) {
			rc = export_dir(x, e->subtree, path, err);
			x->res->dirs++;
		} else if (rc == 0) {
			x->res->symlinks++;
		}
		free(path);
	}
	archive_entries_free(&v, n);
	return rc;
}

int archive_export(struct archive_index *idx, int64_t snapshot, int fd, const char *name,
		   struct export_result *res, struct up_error *err)
{
	memset(res, 0, sizeof(*res));
	struct snapshot_info si;
	if (archive_snapshot_get(idx, snapshot, &si, err) < 0)
		return -1;
	struct export x = { .idx = idx, .res = res };
	int rc = tar_writer_open(fd, name, &x.w, err);
	if (rc == 0) {
		x.reader = chunk_reader_new(idx);
		rc = export_dir(&x, si.root, "", err);
	}
	if (rc == 0)
		rc = tar_writer_finish(x.w, err);
	chunk_reader_free(&x.reader);
	tar_writer_free(&x.w);
	snapshot_info_clear(&si);
	return rc;
}
