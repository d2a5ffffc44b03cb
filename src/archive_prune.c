/* archive_prune.c - retention and space reclamation. See archive_prune.h. */
#include "config.h"

#include "archive_prune.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crashpoint.h"
#include "hash.h"
#include "i18n.h"

/* ---- retention */

enum bucket { B_LAST, B_HOURLY, B_DAILY, B_WEEKLY, B_MONTHLY, B_YEARLY, B_COUNT };

/* The bucket of time t under a rule, in local time. */
static long long bucket_key(enum bucket b, long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!localtime_r(&tt, &tm))
		return t;
	long long y = tm.tm_year + 1900LL;
	switch (b) {
	case B_HOURLY: return (y * 1000 + tm.tm_yday) * 100 + tm.tm_hour;
	case B_DAILY: return y * 1000 + tm.tm_yday;
	case B_WEEKLY: {
		char iso[16];
		strftime(iso, sizeof(iso), "%G%V", &tm); /* ISO year and week */
		return atoll(iso);
	}
	case B_MONTHLY: return y * 100 + tm.tm_mon;
	case B_YEARLY: return y;
	default: return t;
	}
}

/* Newest first; equal times by id. */
static int newest_first(const void *x, const void *y)
{
	const struct snapshot_info *a = *(const struct snapshot_info *const *)x;
	const struct snapshot_info *b = *(const struct snapshot_info *const *)y;
	if (a->time != b->time)
		return a->time > b->time ? -1 : 1;
	return a->id > b->id ? -1 : a->id < b->id;
}

void archive_retention_apply(const struct snapshot_info *v, size_t n,
			     const struct retention_cfg *r, int64_t rollback, unsigned *keep)
{
	if (n == 0)
		return;
	const int want[B_COUNT] = { r->keep_last, r->keep_hourly, r->keep_daily, r->keep_weekly,
				    r->keep_monthly, r->keep_yearly };
	const struct snapshot_info **order = xmalloc(n * sizeof(*order));
	for (size_t i = 0; i < n; i++)
		order[i] = &v[i];
	qsort(order, n, sizeof(*order), newest_first);
	int left[B_COUNT];
	long long last[B_COUNT];
	bool seen[B_COUNT] = { false }, any_rule = false;
	for (int b = 0; b < B_COUNT; b++) {
		left[b] = want[b];
		any_rule |= want[b] >= 0;
	}
	for (size_t k = 0; k < n; k++) {
		const struct snapshot_info *s = order[k];
		unsigned flags = 0;
		for (int b = 0; b < B_COUNT; b++) {
			if (left[b] <= 0)
				continue;
			long long key = bucket_key((enum bucket)b, s->time);
			if (b == B_LAST || !seen[b] || key != last[b]) {
				flags |= 1u << b;
				left[b]--;
				last[b] = key;
				seen[b] = true;
			}
		}
		if (s->pinned)
			flags |= KEEP_PINNED;
		if (k == 0)
			flags |= KEEP_NEWEST;
		if (rollback && s->id == rollback)
			flags |= KEEP_ROLLBACK;
		if (!any_rule)
			flags |= KEEP_NO_POLICY;
		keep[s - v] = flags;
	}
	free(order);
}

void archive_keep_reasons(unsigned keep, struct strbuf *out)
{
	static const char *const names[] = { "last", "hourly", "daily", "weekly", "monthly",
					      "yearly", "pinned", "newest", "rollback", "no policy" };
	bool first = true;
	for (size_t b = 0; b < sizeof(names) / sizeof(names[0]); b++)
		if (keep & (1u << b)) {
			strbuf_addf(out, "%s%s", first ? "" : ", ", names[b]);
			first = false;
		}
}

int64_t archive_rollback_snapshot(const struct snapshot_info *v, size_t n, long long installed_at)
{
	const struct snapshot_info *best = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!v[i].reason || strcmp(v[i].reason, "pre-update") != 0)
			continue;
		if (installed_at > 0 && v[i].time > installed_at)
			continue;
		if (!best || v[i].time > best->time || (v[i].time == best->time && v[i].id > best->id))
			best = &v[i];
	}
	return best ? best->id : 0;
}

/* ---- removal */

static int exec(sqlite3 *db, const char *sql, long long *changes)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	if (rc == SQLITE_OK && changes)
		*changes += sqlite3_changes64(db);
	return rc;
}

/* Returns an SQLite result code; SQLITE_NOTFOUND (with err set) when a
 * snapshot does not exist or is pinned. */
static int delete_snapshots(sqlite3 *db, const int64_t *ids, size_t n, long long *deleted,
			    struct up_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "DELETE FROM snapshots WHERE id = ? AND pinned = 0", -1, &st,
				    NULL);
	for (size_t i = 0; rc == SQLITE_OK && i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, ids[i]);
		rc = sqlite3_step(st);
		if (rc == SQLITE_DONE && sqlite3_changes(db) != 1) {
			err_set(err, UP_ERR_USAGE, _("snapshot %lld does not exist or is pinned"),
				(long long)ids[i]);
			rc = SQLITE_NOTFOUND;
		} else if (rc == SQLITE_DONE) {
			(*deleted)++;
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

/* The chunk ids the live listings name, into the temp table live_chunks. */
static int mark_chunks(sqlite3 *db)
{
	sqlite3_stmt *sel = NULL, *ins = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT chunks FROM entries WHERE type = 1 AND tree IN"
				    " (SELECT id FROM live_trees)", -1, &sel, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO live_chunks VALUES (?)", -1, &ins, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
		const uint8_t *ids = sqlite3_column_blob(sel, 0);
		size_t len = (size_t)sqlite3_column_bytes(sel, 0);
		rc = SQLITE_DONE;
		for (size_t off = 0; ids && off + HASH_LEN <= len && rc == SQLITE_DONE; off += HASH_LEN) {
			sqlite3_reset(ins);
			sqlite3_bind_blob(ins, 1, ids + off, HASH_LEN, SQLITE_STATIC);
			rc = sqlite3_step(ins);
		}
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	sqlite3_finalize(sel);
	sqlite3_finalize(ins);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Deletes the pack rows nothing references; their names go to dead. */
static int drop_packs(sqlite3 *db, struct strvec *dead, struct prune_result *res)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT name, size FROM packs WHERE"
				    " id NOT IN (SELECT pack FROM chunks) AND"
				    " id NOT IN (SELECT pack FROM trees) AND"
				    " id NOT IN (SELECT pack FROM snapshots)", -1, &st, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		strvec_push(dead, (const char *)sqlite3_column_text(st, 0));
		res->pack_bytes += sqlite3_column_int64(st, 1);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return rc;
	rc = exec(db, "DELETE FROM packs WHERE id NOT IN (SELECT pack FROM chunks) AND"
		  " id NOT IN (SELECT pack FROM trees) AND id NOT IN (SELECT pack FROM snapshots)",
		  &res->packs);
	return rc;
}

/* Everything no remaining snapshot reaches goes, inside the transaction. */
static int sweep(sqlite3 *db, struct strvec *dead, struct prune_result *res)
{
	int rc = exec(db, "CREATE TEMP TABLE IF NOT EXISTS live_trees (id INTEGER PRIMARY KEY);"
		      "CREATE TEMP TABLE IF NOT EXISTS live_chunks (hash BLOB PRIMARY KEY) WITHOUT ROWID;"
		      "DELETE FROM live_trees; DELETE FROM live_chunks;"
		      "WITH RECURSIVE live(id) AS (SELECT root FROM snapshots UNION"
		      " SELECT e.subtree FROM entries e JOIN live ON e.tree = live.id"
		      " WHERE e.type = 2 AND e.subtree IS NOT NULL)"
		      " INSERT OR IGNORE INTO live_trees SELECT id FROM live;", NULL);
	if (rc == SQLITE_OK)
		rc = mark_chunks(db);
	if (rc == SQLITE_OK)
		rc = exec(db, "DELETE FROM entries WHERE tree NOT IN (SELECT id FROM live_trees)", NULL);
	if (rc == SQLITE_OK)
		rc = exec(db, "DELETE FROM trees WHERE id NOT IN (SELECT id FROM live_trees)", &res->trees);
	if (rc == SQLITE_OK)
		rc = exec(db, "DELETE FROM chunks WHERE hash NOT IN (SELECT hash FROM live_chunks)",
			  &res->chunks);
	if (rc == SQLITE_OK)
		rc = drop_packs(db, dead, res);
	if (rc == SQLITE_OK || rc == SQLITE_DONE)
		rc = exec(db, "DELETE FROM live_trees; DELETE FROM live_chunks;", NULL);
	return rc;
}

static void unlink_packs(struct archive_index *idx, const struct strvec *dead)
{
	if (dead->n == 0)
		return;
	int dfd = open(archive_index_pack_dir(idx), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return; /* left as garbage for the next run */
	for (size_t i = 0; i < dead->n; i++)
		unlinkat(dfd, dead->items[i], 0);
	fsync(dfd);
	close(dfd);
}

void prune_result_clear(struct prune_result *r)
{
	repack_result_clear(&r->repack);
	memset(r, 0, sizeof(*r));
}

int archive_prune(struct archive_index *idx, const int64_t *ids, size_t n, bool dry_run,
		  struct prune_result *res, struct up_error *err)
{
	memset(res, 0, sizeof(*res));
	if (!dry_run && archive_index_cancelled(idx))
		return err_set(err, UP_ERR_CANCELLED, _("prune cancelled before it removed anything"));
	if (archive_index_lock_archive(idx, err) < 0)
		return -1;
	int rc = dry_run ? 0 : archive_index_remove_garbage(idx, &res->garbage_removed, err);
	if (rc == 0)
		rc = archive_index_write_begin(idx, err);
	if (rc < 0) {
		archive_index_unlock_archive(idx);
		return -1;
	}
	sqlite3 *db = archive_index_db(idx);
	struct strvec dead = STRVEC_INIT;
	int sql = delete_snapshots(db, ids, n, &res->snapshots, err), src = 0;
	if (sql == SQLITE_OK && (sql = sweep(db, &dead, res)) != SQLITE_OK)
		src = archive_index_fail(idx, sql, _("reclaiming space"), err);
	else if (sql == SQLITE_NOTFOUND)
		src = -1;
	else if (sql != SQLITE_OK)
		src = archive_index_fail(idx, sql, _("deleting snapshots"), err);
	if (src == 0 && dry_run)
		src = archive_repack(idx, true, &res->repack, err); /* sees the deletions */
	if (src == 0 && !dry_run)
		crashpoint("prune.before-commit");
	if (src < 0 || dry_run) {
		archive_index_write_rollback(idx);
	} else if (archive_index_write_commit(idx, err) == 0) {
		crashpoint("prune.before-unlink");
		unlink_packs(idx, &dead);
		src = archive_repack(idx, false, &res->repack, err);
	} else {
		src = -1;
	}
	strvec_clear(&dead);
	archive_index_unlock_archive(idx);
	return src < 0 ? -1 : 0;
}

int archive_prune_target(struct archive_index *idx, const char *target,
			 const struct retention_cfg *r, int64_t rollback, struct prune_result *res,
			 struct up_error *err)
{
	memset(res, 0, sizeof(*res));
	struct snapshot_info *v = NULL;
	size_t n = 0;
	if (archive_snapshots_list(idx, target, &v, &n, err) < 0)
		return -1;
	unsigned *keep = xcalloc(n + 1, sizeof(*keep));
	archive_retention_apply(v, n, r, rollback, keep);
	int64_t *ids = xcalloc(n + 1, sizeof(*ids));
	size_t n_ids = 0;
	for (size_t i = 0; i < n; i++)
		if (!keep[i])
			ids[n_ids++] = v[i].id;
	int rc = n_ids ? archive_prune(idx, ids, n_ids, false, res, err) : 0;
	free(ids);
	free(keep);
	snapshot_infos_free(&v, n);
	return rc;
}
