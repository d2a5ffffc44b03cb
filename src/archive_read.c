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

#define READER_PACKS 16  /* open archive files kept */
#define READER_BLOCKS 8  /* decompressed blocks kept (files restored in name
			  * order were stored in directory order: a few blocks
			  * serve a whole directory) */

struct open_pack {
	int64_t id;            /* 0 = free */
	int fd;
	char *path;
	unsigned long long used;
};

struct cached_block {
	int64_t pack;          /* 0 = free */
	uint64_t block;
	struct pack_record rec;
	unsigned long long used;
};

struct chunk_reader {
	struct archive_index *idx;
	sqlite3 *db;           /* a read-only connection of this reader's own */
	sqlite3_stmt *find;
	struct open_pack packs[READER_PACKS];
	struct cached_block blocks[READER_BLOCKS];
	unsigned long long clock;
};

struct chunk_reader *chunk_reader_new(struct archive_index *idx)
{
	struct chunk_reader *r = xcalloc(1, sizeof(*r));
	r->idx = idx;
	if (sqlite3_open_v2(archive_index_db_path(idx), &r->db,
			    SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) == SQLITE_OK) {
		sqlite3_busy_timeout(r->db, 5000);
		if (sqlite3_prepare_v2(r->db, "SELECT c.pack, p.name, c.block, c.offset, c.length"
				       " FROM chunks c JOIN packs p ON p.id = c.pack WHERE c.hash = ?",
				       -1, &r->find, NULL) != SQLITE_OK)
			r->find = NULL;
	}
	return r;
}

static void drop_pack(struct open_pack *p)
{
	if (p->id && p->fd >= 0)
		close(p->fd);
	FREE(p->path);
	p->id = 0;
}

void chunk_reader_free(struct chunk_reader **rp)
{
	struct chunk_reader *r = *rp;
	if (!r)
		return;
	sqlite3_finalize(r->find);
	sqlite3_close(r->db);
	for (int i = 0; i < READER_PACKS; i++)
		drop_pack(&r->packs[i]);
	for (int i = 0; i < READER_BLOCKS; i++)
		pack_record_clear(&r->blocks[i].rec);
	free(r);
	*rp = NULL;
}

static struct open_pack *open_pack(struct chunk_reader *r, int64_t pack, const char *name,
				   struct up_error *err)
{
	struct open_pack *victim = &r->packs[0];
	for (int i = 0; i < READER_PACKS; i++) {
		if (r->packs[i].id == pack) {
			r->packs[i].used = ++r->clock;
			return &r->packs[i];
		}
		if (r->packs[i].used < victim->used)
			victim = &r->packs[i];
	}
	drop_pack(victim);
	victim->path = xasprintf("%s/%s", archive_index_pack_dir(r->idx), name);
	victim->fd = open(victim->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (victim->fd < 0) {
		err_set(err, UP_ERR_MISMATCH, _("archive file %s: %s"), victim->path, strerror(errno));
		FREE(victim->path);
		return NULL;
	}
	if (pack_check_magic(victim->fd, victim->path, err) < 0) {
		close(victim->fd);
		FREE(victim->path);
		return NULL;
	}
	victim->id = pack;
	victim->used = ++r->clock;
	return victim;
}

/* The decompressed block at offset `block` of pack p, from the cache or read. */
static const struct pack_record *get_block(struct chunk_reader *r, const struct open_pack *p,
					   uint64_t block, struct up_error *err)
{
	struct cached_block *victim = &r->blocks[0];
	for (int i = 0; i < READER_BLOCKS; i++) {
		struct cached_block *c = &r->blocks[i];
		if (c->pack == p->id && c->block == block) {
			c->used = ++r->clock;
			return &c->rec;
		}
		if (c->used < victim->used)
			victim = c;
	}
	pack_record_clear(&victim->rec);
	victim->pack = 0;
	if (pack_read_record(p->fd, p->path, block, &victim->rec, err) < 0)
		return NULL;
	victim->pack = p->id;
	victim->block = block;
	victim->used = ++r->clock;
	return &victim->rec;
}

int chunk_reader_get(struct chunk_reader *r, const uint8_t id[HASH_LEN], const uint8_t **data,
		     size_t *len, struct up_error *err)
{
	char hex[HASH_HEX_LEN + 1];
	hash_to_hex(id, hex);
	if (!r->find)
		return err_set(err, UP_ERR_STATE, _("archive index %s: %s"), archive_index_db_path(r->idx),
			       r->db ? sqlite3_errmsg(r->db) : _("cannot open"));
	sqlite3_reset(r->find);
	sqlite3_bind_blob(r->find, 1, id, HASH_LEN, SQLITE_STATIC);
	int rc = sqlite3_step(r->find);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE
			       ? err_set(err, UP_ERR_MISMATCH, _("chunk %.16s is missing from the index"), hex)
			       : err_set(err, UP_ERR_STATE, _("archive index %s: %s"),
					 archive_index_db_path(r->idx), sqlite3_errmsg(r->db));
	int64_t pack = sqlite3_column_int64(r->find, 0);
	uint64_t block = (uint64_t)sqlite3_column_int64(r->find, 2);
	uint64_t off = (uint64_t)sqlite3_column_int64(r->find, 3);
	uint64_t length = (uint64_t)sqlite3_column_int64(r->find, 4);
	const struct open_pack *p = open_pack(r, pack, (const char *)sqlite3_column_text(r->find, 1), err);
	if (!p)
		return err_prefix(err, _("chunk %.16s"), hex);
	const struct pack_record *rec = get_block(r, p, block, err);
	if (!rec)
		return err_prefix(err, _("chunk %.16s"), hex);
	if (off + length > rec->raw_len)
		return err_set(err, UP_ERR_MISMATCH, _("chunk %.16s: outside its block in %s"), hex,
			       p->path);
	uint8_t h[HASH_LEN];
	hash_sha256(rec->data + off, (size_t)length, h);
	if (!hash_equal(h, id))
		return err_set(err, UP_ERR_MISMATCH, _("chunk %.16s in %s is damaged (hash mismatch)"),
			       hex, p->path);
	*data = rec->data + off;
	*len = (size_t)length;
	return 0;
}
