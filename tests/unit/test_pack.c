/* test_pack.c - archive files: records written and read back, damage found,
 * and the chunk id set. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive_pool.h"
#include "pack.h"
#include "util.h"

static char *tmpdir(void)
{
	char *d = xstrdup("/tmp/upkeep-pack-XXXXXX");
	assert_non_null(mkdtemp(d));
	return d;
}

static void rmtree(const char *d)
{
	char *cmd = xasprintf("rm -rf '%s'", d);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

/* A block of three chunks ("aaa...", "b", "") written, fsynced, read back. */
static uint64_t write_block(struct pack_writer *w, uint8_t *data, struct pack_entry *e)
{
	memset(data, 'a', 1000);
	data[1000] = 'b';
	hash_sha256(data, 1000, e[0].id);
	e[0].length = 1000;
	hash_sha256(data + 1000, 1, e[1].id);
	e[1].length = 1;
	hash_sha256("", 0, e[2].id);
	e[2].length = 0;
	uint64_t off = 0;
	struct up_error err = UP_ERROR_INIT;
	assert_int_equal(pack_write_record(w, PACK_BLOCK, e, 3, data, 1001, 3, &off, &err), 0);
	return off;
}

static void test_round_trip(void **state)
{
	(void)state;
	char *d = tmpdir();
	struct pack_writer *w;
	struct up_error err = UP_ERROR_INIT;
	assert_int_equal(pack_writer_create(d, "p.pack", &w, &err), 0);
	/* O_EXCL: an existing pack is never reopened for writing */
	struct pack_writer *w2;
	assert_int_equal(pack_writer_create(d, "p.pack", &w2, &err), -1);
	assert_int_equal(err.status, UP_ERR_IO);
	err_clear(&err);
	uint8_t data[1001];
	struct pack_entry e[3];
	uint64_t off = write_block(w, data, e);
	assert_int_equal(off, PACK_MAGIC_LEN);
	struct pack_entry t = { .length = 5 };
	hash_sha256("hello", 5, t.id);
	uint64_t off2;
	assert_int_equal(pack_write_record(w, PACK_TREE, &t, 1, "hello", 5, 1, &off2, &err), 0);
	uint64_t size;
	assert_int_equal(pack_writer_finish(w, &size, &err), 0);
	pack_writer_free(&w, false);
	char *path = xasprintf("%s/p.pack", d);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal((uint64_t)st.st_size, size);

	int fd = open(path, O_RDONLY);
	assert_int_equal(pack_check_magic(fd, path, &err), 0);
	struct pack_record rec;
	assert_int_equal(pack_read_record(fd, path, off, &rec, &err), 0);
	assert_int_equal(rec.type, PACK_BLOCK);
	assert_int_equal(rec.n, 3);
	assert_int_equal(rec.raw_len, 1001);
	assert_memory_equal(rec.data, data, 1001);
	assert_int_equal(rec.offsets[1], 1000);
	for (uint32_t i = 0; i < 3; i++)
		assert_true(pack_record_entry_ok(&rec, i));
	assert_false(pack_record_entry_ok(&rec, 3));
	assert_int_equal(rec.next, off2);
	rec.data[5] ^= 1; /* damage in memory: the chunk's hash no longer matches */
	assert_false(pack_record_entry_ok(&rec, 0));
	assert_true(pack_record_entry_ok(&rec, 1));
	pack_record_clear(&rec);
	assert_int_equal(pack_read_record(fd, path, off2, &rec, &err), 0);
	assert_int_equal(rec.type, PACK_TREE);
	assert_memory_equal(rec.data, "hello", 5);
	assert_int_equal(rec.next, size);
	pack_record_clear(&rec);
	/* past the end: a truncated record */
	assert_int_equal(pack_read_record(fd, path, size, &rec, &err), -1);
	assert_int_equal(err.status, UP_ERR_MISMATCH);
	assert_non_null(strstr(err.msg, "truncated"));
	err_clear(&err);
	close(fd);
	free(path);
	rmtree(d);
	free(d);
}

/* Flips one byte of the file at off and reads the record at rec_off. */
static int read_after_flip(const char *path, uint64_t off, uint64_t rec_off, struct pack_record *rec,
			   struct up_error *err)
{
	int fd = open(path, O_RDWR);
	uint8_t b;
	assert_int_equal(pread(fd, &b, 1, (off_t)off), 1);
	b ^= 0x10;
	assert_int_equal(pwrite(fd, &b, 1, (off_t)off), 1);
	int rc = pack_read_record(fd, path, rec_off, rec, err);
	b ^= 0x10;
	assert_int_equal(pwrite(fd, &b, 1, (off_t)off), 1);
	close(fd);
	return rc;
}

static void test_damage(void **state)
{
	(void)state;
	char *d = tmpdir();
	struct pack_writer *w;
	struct up_error err = UP_ERROR_INIT;
	assert_int_equal(pack_writer_create(d, "p.pack", &w, &err), 0);
	uint8_t data[1001];
	struct pack_entry e[3];
	uint64_t off = write_block(w, data, e);
	uint64_t size;
	assert_int_equal(pack_writer_finish(w, &size, &err), 0);
	pack_writer_free(&w, false);
	char *path = xasprintf("%s/p.pack", d);
	struct pack_record rec;
	/* header fields, the table (a chunk id) */
	for (uint64_t at = off; at < off + PACK_HEADER_LEN + 3 * PACK_ENTRY_LEN; at += 7) {
		assert_int_equal(read_after_flip(path, at, off, &rec, &err), -1);
		assert_int_equal(err.status, UP_ERR_MISMATCH);
		assert_non_null(strstr(err.msg, path));
		err_clear(&err);
	}
	/* the compressed frame: an error, data that no longer hashes right, or
	 * (a bit zstd ignores) the very same data: never wrong data that passes */
	uint64_t frame = off + PACK_HEADER_LEN + 3 * PACK_ENTRY_LEN;
	for (uint64_t at = frame; at < size; at++) {
		if (read_after_flip(path, at, off, &rec, &err) < 0) {
			err_clear(&err);
			continue;
		}
		bool all_ok = true;
		for (uint32_t i = 0; i < rec.n; i++)
			all_ok &= pack_record_entry_ok(&rec, i);
		if (all_ok) {
			assert_int_equal(rec.raw_len, 1001);
			assert_memory_equal(rec.data, data, 1001);
		}
		pack_record_clear(&rec);
	}
	/* not a pack */
	int fd = open(path, O_RDWR);
	assert_int_equal(pwrite(fd, "X", 1, 0), 1);
	assert_int_equal(pack_check_magic(fd, path, &err), -1);
	err_clear(&err);
	close(fd);
	free(path);
	rmtree(d);
	free(d);
}

struct writer_arg {
	struct pack_writer *w;
	int seed;
	uint64_t offs[50];
};

static void *writer_thread(void *p)
{
	struct writer_arg *a = p;
	for (int i = 0; i < 50; i++) {
		char buf[64];
		int len = snprintf(buf, sizeof(buf), "thread %d record %d", a->seed, i);
		struct pack_entry e = { .length = (uint32_t)len };
		hash_sha256(buf, (size_t)len, e.id);
		struct up_error err = UP_ERROR_INIT;
		assert_int_equal(pack_write_record(a->w, PACK_BLOCK, &e, 1, buf, (size_t)len, 1,
						   &a->offs[i], &err), 0);
	}
	return NULL;
}

static void test_threads_and_remove(void **state)
{
	(void)state;
	char *d = tmpdir();
	struct pack_writer *w;
	struct up_error err = UP_ERROR_INIT;
	assert_int_equal(pack_writer_create(d, "p.pack", &w, &err), 0);
	struct writer_arg args[4];
	pthread_t th[4];
	for (int i = 0; i < 4; i++) {
		args[i] = (struct writer_arg){ .w = w, .seed = i };
		assert_int_equal(pthread_create(&th[i], NULL, writer_thread, &args[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(pack_writer_finish(w, NULL, &err), 0);
	int fd = open(pack_writer_path(w), O_RDONLY);
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 50; j++) {
			struct pack_record rec;
			assert_int_equal(pack_read_record(fd, "p", args[i].offs[j], &rec, &err), 0);
			char want[64];
			snprintf(want, sizeof(want), "thread %d record %d", i, j);
			assert_int_equal(rec.raw_len, strlen(want));
			assert_memory_equal(rec.data, want, rec.raw_len);
			assert_true(pack_record_entry_ok(&rec, 0));
			pack_record_clear(&rec);
		}
	close(fd);
	char *path = xstrdup(pack_writer_path(w));
	pack_writer_free(&w, true);
	assert_null(w);
	assert_int_equal(access(path, F_OK), -1);
	free(path);
	rmtree(d);
	free(d);
}

static void test_chunk_set(void **state)
{
	(void)state;
	struct chunk_set *s = chunk_set_new();
	uint8_t id[HASH_LEN] = { 0 };
	assert_false(chunk_set_has(s, id));
	assert_true(chunk_set_add(s, id)); /* the all-zero id is a valid id too */
	assert_false(chunk_set_add(s, id));
	assert_true(chunk_set_has(s, id));
	for (uint32_t i = 0; i < 5000; i++) {
		char buf[16];
		snprintf(buf, sizeof(buf), "%u", i);
		hash_sha256(buf, strlen(buf), id);
		assert_true(chunk_set_add(s, id));
	}
	assert_int_equal(chunk_set_count(s), 5001);
	for (uint32_t i = 0; i < 5000; i++) {
		char buf[16];
		snprintf(buf, sizeof(buf), "%u", i);
		hash_sha256(buf, strlen(buf), id);
		assert_true(chunk_set_has(s, id));
		assert_false(chunk_set_add(s, id));
	}
	hash_sha256("absent", 6, id);
	assert_false(chunk_set_has(s, id));
	chunk_set_free(&s);
	assert_null(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_damage),
		cmocka_unit_test(test_threads_and_remove),
		cmocka_unit_test(test_chunk_set),
	};
	return cmocka_run_group_tests_name("pack", tests, NULL, NULL);
}
