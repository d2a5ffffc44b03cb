/* archive_pool.c - hashing and compression threads of a backup. */
#include "config.h"

#include "archive_pool.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "chunker.h"
#include "util.h"

/* ---- chunk set */

struct chunk_set {
	uint8_t *slots; /* cap x HASH_LEN; an all-zero slot is empty */
	size_t cap, n;
	bool have_zero; /* the all-zero id itself */
};

struct chunk_set *chunk_set_new(void)
{
	struct chunk_set *s = xcalloc(1, sizeof(*s));
	s->cap = 1024;
	s->slots = xcalloc(s->cap, HASH_LEN);
	return s;
}

void chunk_set_free(struct chunk_set **s)
{
	if (!*s)
		return;
	free((*s)->slots);
	FREE(*s);
}

static const uint8_t zero_id[HASH_LEN];

static size_t slot_of(const struct chunk_set *s, const uint8_t *id)
{
	uint64_t h;
	memcpy(&h, id, sizeof(h));
	return (size_t)(h & (s->cap - 1));
}

static bool set_insert(struct chunk_set *s, const uint8_t *id)
{
	for (size_t i = slot_of(s, id);; i = (i + 1) & (s->cap - 1)) {
		uint8_t *slot = s->slots + i * HASH_LEN;
		if (memcmp(slot, zero_id, HASH_LEN) == 0) {
			memcpy(slot, id, HASH_LEN);
			return true;
		}
		if (memcmp(slot, id, HASH_LEN) == 0)
			return false;
	}
}

bool chunk_set_add(struct chunk_set *s, const uint8_t id[HASH_LEN])
{
	if (memcmp(id, zero_id, HASH_LEN) == 0) {
		bool added = !s->have_zero;
		s->have_zero = true;
		s->n += added;
		return added;
	}
	if (2 * (s->n + 1) > s->cap) {
		uint8_t *old = s->slots;
		size_t old_cap = s->cap;
		s->cap *= 2;
		s->slots = xcalloc(s->cap, HASH_LEN);
		for (size_t i = 0; i < old_cap; i++)
			if (memcmp(old + i * HASH_LEN, zero_id, HASH_LEN) != 0)
				set_insert(s, old + i * HASH_LEN);
		free(old);
	}
	bool added = set_insert(s, id);
	s->n += added;
	return added;
}

bool chunk_set_has(const struct chunk_set *s, const uint8_t id[HASH_LEN])
{
	if (memcmp(id, zero_id, HASH_LEN) == 0)
		return s->have_zero;
	for (size_t i = slot_of(s, id);; i = (i + 1) & (s->cap - 1)) {
		const uint8_t *slot = s->slots + i * HASH_LEN;
		if (memcmp(slot, zero_id, HASH_LEN) == 0)
			return false;
		if (memcmp(slot, id, HASH_LEN) == 0)
			return true;
	}
}

size_t chunk_set_count(const struct chunk_set *s)
{
	return s->n;
}

/* ---- blocks and the pool */

struct item {
	size_t offset, length;
	uint8_t *hash_out;
};

struct block {
	uint8_t *data;
	size_t len;
	struct item *items;
	size_t n, cap;
	struct block *next;
};

#define BLOCK_CAP (POOL_BLOCK_BYTES + CHUNKER_MAX)

struct backup_pool {
	pthread_mutex_t lock;
	pthread_cond_t work, room;
	struct block *head, *tail; /* queued blocks */
	size_t queued, max_queued;
	bool closing;
	pthread_t *threads;
	int n_threads;
	struct block *cur;         /* being filled by the walking thread */
	struct pack_writer *w;
	int level;
	struct chunk_set *known;
	struct chunk_loc *locs;
	size_t n_locs, cap_locs;
	struct up_error err;       /* the first worker error */
};

static struct block *block_new(void)
{
	struct block *b = xcalloc(1, sizeof(*b));
	b->data = xmalloc(BLOCK_CAP);
	return b;
}

static void block_free(struct block *b)
{
	free(b->data);
	free(b->items);
	free(b);
}

/* Marks which items are new (under the lock), packs them to the front of
 * the data and fills entries. Returns how many are new. */
static uint32_t block_select_new(struct backup_pool *p, struct block *b, struct pack_entry *ent,
				 bool *is_new)
{
	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < b->n; i++)
		is_new[i] = chunk_set_add(p->known, b->items[i].hash_out);
	pthread_mutex_unlock(&p->lock);
	uint32_t k = 0;
	size_t at = 0;
	for (size_t i = 0; i < b->n; i++) {
		if (!is_new[i])
			continue;
		memmove(b->data + at, b->data + b->items[i].offset, b->items[i].length);
		memcpy(ent[k].id, b->items[i].hash_out, HASH_LEN);
		ent[k].length = (uint32_t)b->items[i].length;
		b->items[i].offset = at;
		at += b->items[i].length;
		k++;
	}
	b->len = at;
	return k;
}

static void block_process(struct backup_pool *p, struct block *b)
{
	for (size_t i = 0; i < b->n; i++)
		hash_sha256(b->data + b->items[i].offset, b->items[i].length, b->items[i].hash_out);
	struct pack_entry *ent = xcalloc(b->n ? b->n : 1, sizeof(*ent));
	bool *is_new = xcalloc(b->n ? b->n : 1, sizeof(*is_new));
	uint32_t k = block_select_new(p, b, ent, is_new);
	struct up_error err = UP_ERROR_INIT;
	uint64_t off = 0;
	int rc = k ? pack_write_record(p->w, PACK_BLOCK, ent, k, b->data, b->len, p->level, &off, &err)
		   : 0;
	pthread_mutex_lock(&p->lock);
	if (rc < 0 && p->err.status == UP_OK) {
		p->err = err;
		err.msg = NULL;
	}
	for (size_t i = 0; rc == 0 && i < b->n; i++) {
		if (!is_new[i])
			continue;
		if (p->n_locs == p->cap_locs) {
			p->cap_locs = p->cap_locs ? 2 * p->cap_locs : 256;
			p->locs = xrealloc(p->locs, p->cap_locs * sizeof(*p->locs));
		}
		struct chunk_loc *l = &p->locs[p->n_locs++];
		memcpy(l->id, b->items[i].hash_out, HASH_LEN);
		l->block = off;
		l->offset = (uint32_t)b->items[i].offset;
		l->length = (uint32_t)b->items[i].length;
	}
	pthread_mutex_unlock(&p->lock);
	err_clear(&err);
	free(ent);
	free(is_new);
}

static void *worker_main(void *arg)
{
	struct backup_pool *p = arg;
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->head && !p->closing)
			pthread_cond_wait(&p->work, &p->lock);
		struct block *b = p->head;
		if (!b)
			break;
		p->head = b->next;
		if (!p->head)
			p->tail = NULL;
		p->queued--;
		pthread_cond_signal(&p->room);
		bool failed = p->err.status != UP_OK;
		pthread_mutex_unlock(&p->lock);
		if (!failed)
			block_process(p, b);
		block_free(b);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct backup_pool *backup_pool_start(struct pack_writer *w, int level, int threads,
				      struct chunk_set *known)
{
	struct backup_pool *p = xcalloc(1, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->room, NULL);
	p->w = w;
	p->level = level;
	p->known = known;
	p->n_threads = threads < 1 ? 1 : threads;
	p->max_queued = (size_t)p->n_threads + 1;
	p->threads = xcalloc((size_t)p->n_threads, sizeof(*p->threads));
	for (int i = 0; i < p->n_threads; i++)
		if (pthread_create(&p->threads[i], NULL, worker_main, p) != 0)
			abort(); /* as an allocation failure: nothing sensible to do */
	return p;
}

static void pool_send(struct backup_pool *p)
{
	struct block *b = p->cur;
	p->cur = NULL;
	if (!b)
		return;
	if (b->n == 0) {
		block_free(b);
		return;
	}
	pthread_mutex_lock(&p->lock);
	while (p->queued >= p->max_queued)
		pthread_cond_wait(&p->room, &p->lock);
	if (p->tail)
		p->tail->next = b;
	else
		p->head = b;
	p->tail = b;
	p->queued++;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->lock);
}

uint8_t *backup_pool_reserve(struct backup_pool *p, size_t len, uint8_t *hash_out)
{
	if (p->cur && (p->cur->len >= POOL_BLOCK_BYTES || p->cur->len + len > BLOCK_CAP))
		pool_send(p);
	if (!p->cur)
		p->cur = block_new();
	struct block *b = p->cur;
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 64;
		b->items = xrealloc(b->items, b->cap * sizeof(*b->items));
	}
	b->items[b->n++] = (struct item){ b->len, len, hash_out };
	uint8_t *at = b->data + b->len;
	b->len += len;
	return at;
}

void backup_pool_shrink_last(struct backup_pool *p, size_t len)
{
	struct item *it = &p->cur->items[p->cur->n - 1];
	p->cur->len -= it->length - len;
	it->length = len;
}

int backup_pool_finish(struct backup_pool **pp, struct chunk_loc **locs, size_t *n,
		       struct up_error *err)
{
	struct backup_pool *p = *pp;
	pool_send(p);
	pthread_mutex_lock(&p->lock);
	p->closing = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (int i = 0; i < p->n_threads; i++)
		pthread_join(p->threads[i], NULL);
	int rc = 0;
	if (p->err.status != UP_OK) {
		rc = err_set(err, p->err.status, "%s", p->err.msg ? p->err.msg : "?");
		err_clear(&p->err);
		FREE(p->locs);
		p->n_locs = 0;
	}
	*locs = p->locs;
	*n = p->n_locs;
	chunk_set_free(&p->known);
	free(p->threads);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->room);
	free(p);
	*pp = NULL;
	return rc;
}
