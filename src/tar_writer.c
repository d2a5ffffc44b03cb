/* tar_writer.c - pax tar streams through libarchive. See tar_writer.h. */
#include "config.h"

#include "tar_writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "i18n.h"
#include "util.h"

struct tar_writer {
	struct archive *a;
	struct archive_entry *e;
	char *name;
};

static int tar_fail(struct tar_writer *w, const char *what, struct up_error *err)
{
	const char *msg = archive_error_string(w->a);
	return err_set(err, UP_ERR_IO, _("%s: %s: %s"), w->name, what, msg ? msg : _("write error"));
}

int tar_writer_open(int fd, const char *name, struct tar_writer **out, struct up_error *err)
{
	struct tar_writer *w = xcalloc(1, sizeof(*w));
	w->name = xstrdup(name);
	w->a = archive_write_new();
	w->e = archive_entry_new();
	*out = NULL;
	if (!w->a || !w->e) {
		tar_writer_free(&w);
		return err_set(err, UP_ERR_INTERNAL, _("libarchive: out of memory"));
	}
	if (archive_write_set_format_pax(w->a) != ARCHIVE_OK ||
	    archive_write_set_options(w->a, "hdrcharset=BINARY") < ARCHIVE_WARN ||
	    archive_write_set_bytes_in_last_block(w->a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(w->a, fd) != ARCHIVE_OK) {
		tar_fail(w, _("cannot start the tar stream"), err);
		tar_writer_free(&w);
		return -1;
	}
	*out = w;
	return 0;
}

int tar_writer_header(struct tar_writer *w, const struct tar_item *it, struct up_error *err)
{
	struct archive_entry *e = w->e;
	archive_entry_clear(e);
	archive_entry_copy_pathname(e, it->path);
	mode_t type = it->type == TAR_DIR ? AE_IFDIR : it->type == TAR_SYMLINK ? AE_IFLNK : AE_IFREG;
	archive_entry_set_filetype(e, (unsigned)type);
	archive_entry_set_perm(e, (mode_t)(it->mode & 07777));
	archive_entry_set_uid(e, it->uid);
	archive_entry_set_gid(e, it->gid);
	int64_t sec = it->mtime_ns / 1000000000, nsec = it->mtime_ns % 1000000000;
	if (nsec < 0) {
		sec--;
		nsec += 1000000000;
	}
	archive_entry_set_mtime(e, (time_t)sec, (long)nsec);
	archive_entry_set_size(e, it->type == TAR_FILE ? (la_int64_t)it->size : 0);
	if (it->type == TAR_SYMLINK)
		archive_entry_copy_symlink(e, it->link);
	int rc = archive_write_header(w->a, e);
	return rc >= ARCHIVE_WARN ? 0 : tar_fail(w, it->path, err);
}

int tar_writer_data(struct tar_writer *w, const void *data, size_t len, struct up_error *err)
{
	const char *p = data;
	while (len > 0) {
		la_ssize_t n = archive_write_data(w->a, p, len);
		if (n <= 0)
			return tar_fail(w, _("writing"), err);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int tar_writer_finish(struct tar_writer *w, struct up_error *err)
{
	return archive_write_close(w->a) == ARCHIVE_OK ? 0 : tar_fail(w, _("finishing"), err);
}

void tar_writer_free(struct tar_writer **p)
{
	struct tar_writer *w = *p;
	if (!w)
		return;
	if (w->e)
		archive_entry_free(w->e);
	if (w->a)
		archive_write_free(w->a);
	free(w->name);
	free(w);
	*p = NULL;
}
