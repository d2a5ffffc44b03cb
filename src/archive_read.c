/* archive_read.c - verified chunk reads from the packs. */
#include "config.h"

#include "archive_read.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "i18n.h"
#include "pack.h"
#include "util.h"

struct chunk_reader {
	struct archive_index *idx;
	sqlite3_stmt *find;
	int64_t pack_id;       /* the open pack, 0 = none */
	int fd;
	char *path;
	uint64_t block;        /* the cached record's offset */
	struct pack_record rec;
	bool have_rec;
};

struct chunk_reader *chunk_reader_new(struct archive_index *idx)
{
	struct chunk_reader *r = xcalloc(1, sizeof(*r));
	r->idx = idx;
	r->fd = -1;
	return r;
}

void chunk_reader_free(struct chunk_reader **rp)
{
	struct chunk_reader *r = *rp;
	if (!r)
		return;
	sqlite3_finalize(r->find);
	if (r->fd >= 0)
		close(r->fd);
	free(r->path);
	pack_record_clear(&r->rec);
	free(r);
	*rp = NULL;
}

static int open_pack(struct chunk_reader *r, int64_t pack, const char *name, struct up_error *err)
{
	if (r->pack_id == pack)
		return 0;
	if (r->fd >= 0)
		close(r->fd);
	FREE(r->path);
	pack_record_clear(&r->rec);
	r->have_rec = false;
	r->pack_id = 0;
	r->path = xasprintf("%s/%s", archive_index_pack_dir(r->idx), name);
	r->fd = open(r->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (r->fd < 0)
		return err_set(err, UP_ERR_MISMATCH, _("archive file %s: %s"), r->path, strerror(errno));
	if (pack_check_magic(r->fd, r->path, err) < 0)
		return -1;
	r->pack_id = pack;
	return 0;
}

int chunk_reader_get(struct chunk_reader *r, const uint8_t id[HASH_LEN], const uint8_t **data,
		     size_t *len, struct up_error *err)
{
	char hex[HASH_HEX_LEN + 1];
	hash_to_hex(id, hex);
	sqlite3 *db = archive_index_db(r->idx);
	if (!r->find && sqlite3_prepare_v2(db,
		    "SELECT c.pack, p.name, c.block, c.offset, c.length FROM chunks c"
		    " JOIN packs p ON p.id = c.pack WHERE c.hash = ?", -1, &r->find, NULL) != SQLITE_OK)
		return archive_index_fail(r->idx, sqlite3_errcode(db), "reading chunks", err);
	sqlite3_reset(r->find);
	sqlite3_bind_blob(r->find, 1, id, HASH_LEN, SQLITE_STATIC);
	int rc = sqlite3_step(r->find);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE
			       ? err_set(err, UP_ERR_MISMATCH, _("chunk %.16s is missing from the index"), hex)
			       : archive_index_fail(r->idx, rc, "reading chunks", err);
	int64_t pack = sqlite3_column_int64(r->find, 0);
	uint64_t block = (uint64_t)sqlite3_column_int64(r->find, 2);
	uint64_t off = (uint64_t)sqlite3_column_int64(r->find, 3);
	uint64_t length = (uint64_t)sqlite3_column_int64(r->find, 4);
	if (open_pack(r, pack, (const char *)sqlite3_column_text(r->find, 1), err) < 0)
		return err_prefix(err, _("chunk %.16s"), hex);
	if (!r->have_rec || r->block != block) {
		pack_record_clear(&r->rec);
		r->have_rec = false;
		if (pack_read_record(r->fd, r->path, block, &r->rec, err) < 0)
			return err_prefix(err, _("chunk %.16s"), hex);
		r->have_rec = true;
		r->block = block;
	}
	if (off + length > r->rec.raw_len)
		return err_set(err, UP_ERR_MISMATCH, _("chunk %.16s: outside its block in %s"), hex,
			       r->path);
	uint8_t h[HASH_LEN];
	hash_sha256(r->rec.data + off, (size_t)length, h);
	if (!hash_equal(h, id))
		return err_set(err, UP_ERR_MISMATCH, _("chunk %.16s in %s is damaged (hash mismatch)"),
			       hex, r->path);
	*data = r->rec.data + off;
	*len = (size_t)length;
	return 0;
}
