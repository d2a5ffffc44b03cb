/* pack.c - append-only archive (pack) files: see pack.h for the format. */
#include "config.h"

#include "pack.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "i18n.h"
#include "util.h"

struct pack_writer {
	pthread_mutex_t lock;
	int fd;
	char *dir;
	char *path;
	uint64_t size;
};

static void put_u16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Writes all of buf at off, retrying short writes. */
static int write_all_at(int fd, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;
	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* Reads exactly len bytes at off; a short file gives ENODATA. */
static int read_all_at(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;
	while (len > 0) {
		ssize_t n = pread(fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = ENODATA;
			return -1;
		}
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* The header check: SHA-256 over the first 32 header bytes and the table. */
static uint64_t record_check(const uint8_t *head, const uint8_t *table, size_t table_len)
{
	uint8_t *buf = xmalloc(32 + table_len), h[HASH_LEN];
	memcpy(buf, head, 32);
	if (table_len)
		memcpy(buf + 32, table, table_len);
	hash_sha256(buf, 32 + table_len, h);
	free(buf);
	return get_u64(h);
}

int pack_writer_create(const char *dir, const char *name, struct pack_writer **out,
		       struct up_error *err)
{
	*out = NULL;
	char *path = xasprintf("%s/%s", dir, name);
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || write_all_at(fd, PACK_MAGIC, PACK_MAGIC_LEN, 0) < 0) {
		err_set(err, UP_ERR_IO, _("cannot create archive file %s: %s"), path, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		free(path);
		return -1;
	}
	struct pack_writer *w = xcalloc(1, sizeof(*w));
	pthread_mutex_init(&w->lock, NULL);
	w->fd = fd;
	w->dir = xstrdup(dir);
	w->path = path;
	w->size = PACK_MAGIC_LEN;
	*out = w;
	return 0;
}

const char *pack_writer_path(const struct pack_writer *w)
{
	return w->path;
}

/* Header and table of a record, in one buffer. */
static uint8_t *record_head(enum pack_record_type type, const struct pack_entry *entries,
			    uint32_t n, size_t raw_len, size_t comp_len, size_t *len)
{
	size_t table_len = (size_t)n * PACK_ENTRY_LEN;
	uint8_t *buf = xcalloc(1, PACK_HEADER_LEN + table_len);
	memcpy(buf, "UPKR", 4);
	buf[4] = (uint8_t)type;
	put_u16(buf + 6, 0);
	put_u32(buf + 8, n);
	put_u64(buf + 12, raw_len);
	put_u64(buf + 20, comp_len);
	uint8_t *t = buf + PACK_HEADER_LEN;
	for (uint32_t i = 0; i < n; i++) {
		memcpy(t + (size_t)i * PACK_ENTRY_LEN, entries[i].id, HASH_LEN);
		put_u32(t + (size_t)i * PACK_ENTRY_LEN + HASH_LEN, entries[i].length);
	}
	put_u64(buf + 32, record_check(buf, t, table_len));
	*len = PACK_HEADER_LEN + table_len;
	return buf;
}

int pack_write_record(struct pack_writer *w, enum pack_record_type type,
		      const struct pack_entry *entries, uint32_t n, const void *raw,
		      size_t raw_len, int level, uint64_t *offset, struct up_error *err)
{
	if (n > PACK_MAX_ENTRIES || raw_len > PACK_MAX_RAW)
		return err_set(err, UP_ERR_INTERNAL, _("archive record too large (%u entries, %zu bytes)"),
			       n, raw_len);
	size_t bound = ZSTD_compressBound(raw_len);
	uint8_t *comp = xmalloc(bound ? bound : 1);
	size_t comp_len = ZSTD_compress(comp, bound, raw_len ? raw : "", raw_len, level);
	if (ZSTD_isError(comp_len)) {
		free(comp);
		return err_set(err, UP_ERR_INTERNAL, "zstd: %s", ZSTD_getErrorName(comp_len));
	}
	size_t head_len;
	uint8_t *head = record_head(type, entries, n, raw_len, comp_len, &head_len);
	pthread_mutex_lock(&w->lock);
	uint64_t at = w->size;
	w->size += head_len + comp_len;
	pthread_mutex_unlock(&w->lock);
	int rc = 0;
	if (write_all_at(w->fd, head, head_len, at) < 0 ||
	    write_all_at(w->fd, comp, comp_len, at + head_len) < 0)
		rc = err_set(err, UP_ERR_IO, _("cannot write archive file %s: %s"), w->path,
			     strerror(errno));
	free(head);
	free(comp);
	if (rc == 0 && offset)
		*offset = at;
	return rc;
}

int pack_writer_finish(struct pack_writer *w, uint64_t *size, struct up_error *err)
{
	if (fsync(w->fd) < 0)
		return err_set(err, UP_ERR_IO, _("cannot flush archive file %s: %s"), w->path,
			       strerror(errno));
	int dfd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0) {
		err_set(err, UP_ERR_IO, _("cannot flush directory %s: %s"), w->dir, strerror(errno));
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	close(dfd);
	if (size)
		*size = w->size;
	return 0;
}

void pack_writer_free(struct pack_writer **wp, bool remove)
{
	struct pack_writer *w = *wp;
	if (!w)
		return;
	close(w->fd);
	if (remove)
		unlink(w->path);
	pthread_mutex_destroy(&w->lock);
	free(w->dir);
	free(w->path);
	free(w);
	*wp = NULL;
}

/* ---- reading */

void pack_record_clear(struct pack_record *rec)
{
	FREE(rec->entries);
	FREE(rec->offsets);
	FREE(rec->data);
	memset(rec, 0, sizeof(*rec));
}

int pack_check_magic(int fd, const char *path, struct up_error *err)
{
	char magic[PACK_MAGIC_LEN];
	if (read_all_at(fd, magic, sizeof(magic), 0) < 0 ||
	    memcmp(magic, PACK_MAGIC, PACK_MAGIC_LEN) != 0)
		return err_set(err, UP_ERR_MISMATCH, _("%s is not an upkeep archive file"), path);
	return 0;
}

static int damaged(const char *path, uint64_t offset, const char *why, struct up_error *err)
{
	return err_set(err, UP_ERR_MISMATCH, _("archive file %s is damaged at offset %llu: %s"),
		       path, (unsigned long long)offset, why);
}

/* Reads and checks the header and table; fills everything but data. */
static int read_head(int fd, const char *path, uint64_t offset, struct pack_record *rec,
		     size_t *comp_len, struct up_error *err)
{
	uint8_t head[PACK_HEADER_LEN];
	if (read_all_at(fd, head, sizeof(head), offset) < 0)
		return errno == ENODATA ? damaged(path, offset, _("truncated record"), err)
					: err_set(err, UP_ERR_IO, "%s: %s", path, strerror(errno));
	uint32_t n = get_u32(head + 8);
	uint64_t raw = get_u64(head + 12), comp = get_u64(head + 20);
	if (memcmp(head, "UPKR", 4) != 0 || head[4] < PACK_BLOCK || head[4] > PACK_SNAPSHOT ||
	    n > PACK_MAX_ENTRIES || raw > PACK_MAX_RAW || comp > ZSTD_compressBound(PACK_MAX_RAW))
		return damaged(path, offset, _("bad record header"), err);
	size_t table_len = (size_t)n * PACK_ENTRY_LEN;
	uint8_t *table = xmalloc(table_len ? table_len : 1);
	if (read_all_at(fd, table, table_len, offset + PACK_HEADER_LEN) < 0) {
		free(table);
		return damaged(path, offset, _("truncated record"), err);
	}
	if (record_check(head, table, table_len) != get_u64(head + 32)) {
		free(table);
		return damaged(path, offset, _("record header checksum mismatch"), err);
	}
	rec->type = (enum pack_record_type)head[4];
	rec->n = n;
	rec->entries = xcalloc(n ? n : 1, sizeof(*rec->entries));
	rec->offsets = xcalloc(n ? n : 1, sizeof(*rec->offsets));
	uint64_t sum = 0;
	for (uint32_t i = 0; i < n; i++) {
		memcpy(rec->entries[i].id, table + (size_t)i * PACK_ENTRY_LEN, HASH_LEN);
		rec->entries[i].length = get_u32(table + (size_t)i * PACK_ENTRY_LEN + HASH_LEN);
		rec->offsets[i] = (size_t)sum;
		sum += rec->entries[i].length;
	}
	free(table);
	if (sum != raw)
		return damaged(path, offset, _("record sizes disagree"), err);
	rec->raw_len = (size_t)raw;
	rec->next = offset + PACK_HEADER_LEN + table_len + comp;
	*comp_len = (size_t)comp;
	return 0;
}

int pack_read_header(int fd, const char *path, uint64_t offset, struct pack_record *rec,
		     struct up_error *err)
{
	memset(rec, 0, sizeof(*rec));
	size_t comp_len = 0;
	if (read_head(fd, path, offset, rec, &comp_len, err) < 0) {
		pack_record_clear(rec);
		return -1;
	}
	return 0;
}

int pack_read_record(int fd, const char *path, uint64_t offset, struct pack_record *rec,
		     struct up_error *err)
{
	memset(rec, 0, sizeof(*rec));
	size_t comp_len = 0;
	if (read_head(fd, path, offset, rec, &comp_len, err) < 0) {
		pack_record_clear(rec);
		return -1;
	}
	uint8_t *comp = xmalloc(comp_len ? comp_len : 1);
	uint64_t at = offset + PACK_HEADER_LEN + (uint64_t)rec->n * PACK_ENTRY_LEN;
	int rc = 0;
	if (read_all_at(fd, comp, comp_len, at) < 0) {
		rc = damaged(path, offset, _("truncated record"), err);
	} else {
		rec->data = xmalloc(rec->raw_len ? rec->raw_len : 1);
		size_t got = ZSTD_decompress(rec->data, rec->raw_len, comp, comp_len);
		if (ZSTD_isError(got))
			rc = damaged(path, offset, ZSTD_getErrorName(got), err);
		else if (got != rec->raw_len)
			rc = damaged(path, offset, _("record sizes disagree"), err);
	}
	free(comp);
	if (rc < 0)
		pack_record_clear(rec);
	return rc;
}

bool pack_record_entry_ok(const struct pack_record *rec, uint32_t i)
{
	uint8_t h[HASH_LEN];
	if (i >= rec->n || hash_sha256(rec->data + rec->offsets[i], rec->entries[i].length, h) < 0)
		return false;
	return hash_equal(h, rec->entries[i].id);
}
