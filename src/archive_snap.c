/* archive_snap.c - snapshot rows of the archive index. */
#include "config.h"

#include "archive_snap.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "i18n.h"
#include "upkeep.h"
#include "util.h"

#define SNAP_COLUMNS "id, target, version, reason, note, time, files, bytes, new_bytes," \
	" files_read, duration_ms, root, pinned, verified_at, verified_data, verify_error"

void snapshot_info_clear(struct snapshot_info *s)
{
	free(s->target);
	free(s->version);
	free(s->reason);
	free(s->note);
	free(s->verify_error);
	memset(s, 0, sizeof(*s));
}

void snapshot_infos_free(struct snapshot_info **s, size_t n)
{
	if (!*s)
		return;
	for (size_t i = 0; i < n; i++)
		snapshot_info_clear(&(*s)[i]);
	FREE(*s);
}

static char *col_text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return t ? xstrdup((const char *)t) : NULL;
}

static void fill(sqlite3_stmt *st, struct snapshot_info *s)
{
	s->id = sqlite3_column_int64(st, 0);
	s->target = col_text(st, 1);
	s->version = col_text(st, 2);
	s->reason = col_text(st, 3);
	s->note = col_text(st, 4);
	s->time = sqlite3_column_int64(st, 5);
	s->files = sqlite3_column_int64(st, 6);
	s->bytes = sqlite3_column_int64(st, 7);
	s->new_bytes = sqlite3_column_int64(st, 8);
	s->files_read = sqlite3_column_int64(st, 9);
	s->duration_ms = sqlite3_column_int64(st, 10);
	s->root = sqlite3_column_int64(st, 11);
	s->pinned = sqlite3_column_int(st, 12) != 0;
	s->verified_at = sqlite3_column_int64(st, 13);
	s->verified_data = sqlite3_column_int(st, 14) != 0;
	s->verify_error = col_text(st, 15);
}

int archive_snapshot_get(struct archive_index *idx, int64_t id, struct snapshot_info *out,
			 struct up_error *err)
{
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(archive_index_db(idx),
				    "SELECT " SNAP_COLUMNS " FROM snapshots WHERE id = ?", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, id);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			fill(st, out);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return err_set(err, UP_ERR_NOT_FOUND, _("no snapshot %lld"), (long long)id);
	return archive_index_fail(idx, rc, _("reading snapshots"), err);
}

int archive_snapshots_list(struct archive_index *idx, const char *target,
			   struct snapshot_info **out, size_t *n, struct up_error *err)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(archive_index_db(idx),
				    target ? "SELECT " SNAP_COLUMNS " FROM snapshots WHERE target = ? ORDER BY id"
					   : "SELECT " SNAP_COLUMNS " FROM snapshots ORDER BY id",
				    -1, &st, NULL);
	if (rc == SQLITE_OK && target)
		sqlite3_bind_text(st, 1, target, -1, SQLITE_STATIC);
	size_t cap = 0;
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			*out = xrealloc(*out, cap * sizeof(**out));
		}
		memset(&(*out)[*n], 0, sizeof(**out));
		fill(st, &(*out)[(*n)++]);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
	snapshot_infos_free(out, *n);
	*n = 0;
	return archive_index_fail(idx, rc, _("reading snapshots"), err);
}

int archive_snapshots_of(const char *state_dir, const char *target, struct snapshot_info **out,
			 size_t *n, struct up_error *err)
{
	*out = NULL;
	*n = 0;
	char *dir = archive_dir_for(state_dir);
	char *db = xasprintf("%s/index.db", dir);
	struct archive_index *idx = NULL;
	int rc = 0;
	if (access(db, F_OK) == 0 && (rc = archive_index_open(dir, UPKEEP_LOCK_TIMEOUT_MS, &idx, err)) == 0)
		rc = archive_snapshots_list(idx, target, out, n, err);
	archive_index_close(&idx);
	free(db);
	free(dir);
	return rc;
}

/* One UPDATE of one snapshot row (?1 its id) in a write transaction. */
static int update_snapshot(struct archive_index *idx, int64_t id, const char *sql,
			   void (*bind)(sqlite3_stmt *, const void *), const void *ctx,
			   const char *what, struct up_error *err)
{
	if (archive_index_write_begin(idx, err) < 0)
		return -1;
	sqlite3 *db = archive_index_db(idx);
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, id);
		bind(st, ctx);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		archive_index_fail(idx, rc, what, err);
		archive_index_write_rollback(idx);
		return -1;
	}
	if (sqlite3_changes(db) != 1) {
		archive_index_write_rollback(idx);
		return err_set(err, UP_ERR_NOT_FOUND, _("no snapshot %lld"), (long long)id);
	}
	return archive_index_write_commit(idx, err);
}

static void bind_pinned(sqlite3_stmt *st, const void *ctx)
{
	sqlite3_bind_int(st, 2, *(const bool *)ctx);
}

int archive_snapshot_set_pinned(struct archive_index *idx, int64_t id, bool pinned,
				struct up_error *err)
{
	return update_snapshot(idx, id, "UPDATE snapshots SET pinned = ?2 WHERE id = ?1", bind_pinned,
			       &pinned, "pinning", err);
}

struct verified {
	bool read_data;
	const char *error;
};

static void bind_verified(sqlite3_stmt *st, const void *ctx)
{
	const struct verified *v = ctx;
	sqlite3_bind_int64(st, 2, archive_now());
	sqlite3_bind_int(st, 3, v->read_data);
	if (v->error)
		sqlite3_bind_text(st, 4, v->error, -1, SQLITE_STATIC);
}

int archive_snapshot_set_verified(struct archive_index *idx, int64_t id, bool read_data,
				  const char *error, struct up_error *err)
{
	struct verified v = { read_data, error };
	return update_snapshot(idx, id,
			       "UPDATE snapshots SET verified_at = ?2, verified_data = ?3,"
			       " verify_error = ?4 WHERE id = ?1",
			       bind_verified, &v, "recording a verification", err);
}

long long archive_now(void)
{
	const char *env = getenv("UPKEEP_NOW");
	if (env && *env) {
		char *end;
		errno = 0;
		long long v = strtoll(env, &end, 10);
		if (!errno && !*end && v > 0)
			return v;
	}
	return util_now();
}

bool archive_snapshot_parse_id(const char *s, int64_t *id)
{
	if (!s || *s < '1' || *s > '9')
		return false;
	errno = 0;
	char *end;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v <= 0)
		return false;
	*id = v;
	return true;
}
