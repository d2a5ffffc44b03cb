/* archive_index.c - the archive store's SQLite index: open, lock, migrate,
 * transactions, garbage removal. See archive_index.h. */
#include "config.h"

#include "archive_index.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "i18n.h"
#include "lockfile.h"
#include "util.h"

struct archive_index {
	sqlite3 *db;
	char *dir, *pack_dir, *db_path;
	int index_fd, archive_fd;  /* index.lock, archive.lock */
	bool in_write, archive_locked;
	long long timeout_ms;
	const volatile int *cancel;
};

/* Entry i migrates user_version i to i + 1. Never edit a released step. */
static const char *const archive_migrations[] = {
	"CREATE TABLE packs (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL,"
	" size INTEGER NOT NULL, created INTEGER NOT NULL);"
	"CREATE TABLE chunks (hash BLOB PRIMARY KEY NOT NULL,"
	" pack INTEGER NOT NULL REFERENCES packs (id), block INTEGER NOT NULL,"
	" offset INTEGER NOT NULL, length INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX chunks_by_pack ON chunks (pack, block);"
	"CREATE TABLE trees (id INTEGER PRIMARY KEY, hash BLOB UNIQUE NOT NULL,"
	" pack INTEGER NOT NULL REFERENCES packs (id), block INTEGER NOT NULL);"
	"CREATE TABLE entries (tree INTEGER NOT NULL REFERENCES trees (id),"
	" name BLOB NOT NULL, type INTEGER NOT NULL, mode INTEGER NOT NULL,"
	" uid INTEGER NOT NULL, gid INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,"
	" size INTEGER NOT NULL, ctime_ns INTEGER NOT NULL, ino INTEGER NOT NULL,"
	" dev INTEGER NOT NULL, link BLOB, subtree INTEGER REFERENCES trees (id),"
	" chunks BLOB, PRIMARY KEY (tree, name)) WITHOUT ROWID;"
	"CREATE TABLE snapshots (id INTEGER PRIMARY KEY AUTOINCREMENT, target TEXT NOT NULL,"
	" version TEXT, reason TEXT NOT NULL, note TEXT, time INTEGER NOT NULL,"
	" root INTEGER NOT NULL REFERENCES trees (id), files INTEGER NOT NULL,"
	" bytes INTEGER NOT NULL, new_bytes INTEGER NOT NULL, files_read INTEGER NOT NULL,"
	" duration_ms INTEGER NOT NULL, pinned INTEGER NOT NULL DEFAULT 0,"
	" pack INTEGER NOT NULL REFERENCES packs (id));"
	"CREATE INDEX snapshots_by_target ON snapshots (target, time);",

	/* 1 -> 2: where the snapshot's own record lies in its pack (-1: unknown). */
	"ALTER TABLE snapshots ADD COLUMN record INTEGER NOT NULL DEFAULT -1;",

	/* 2 -> 3: the snapshot's last verification: when (NULL: never), whether
	 * chunk data was read, and its first problem (NULL: it passed). */
	"ALTER TABLE snapshots ADD COLUMN verified_at INTEGER;"
	"ALTER TABLE snapshots ADD COLUMN verified_data INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE snapshots ADD COLUMN verify_error TEXT;",
};

_Static_assert(sizeof(archive_migrations) / sizeof(archive_migrations[0]) ==
		       ARCHIVE_SCHEMA_VERSION,
	       "ARCHIVE_SCHEMA_VERSION must match the migration table");

char *archive_dir_for(const char *state_dir)
{
	return xasprintf("%s/archive", state_dir);
}

int archive_index_fail(struct archive_index *idx, int rc, const char *what,
		       struct up_error *err)
{
	const char *msg = idx->db ? sqlite3_errmsg(idx->db) : sqlite3_errstr(rc);
	enum up_status status = UP_ERR_STATE;
	switch (rc & 0xff) {
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		status = UP_ERR_STATE_CORRUPT;
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		status = UP_ERR_STATE_LOCKED;
		break;
	case SQLITE_FULL:
	case SQLITE_IOERR:
		status = UP_ERR_IO;
		break;
	}
	return err_set(err, status, _("archive index %s: %s: %s"), idx->db_path, what, msg);
}

static int open_lock(const char *dir, const char *name, struct up_error *err)
{
	char *path = xasprintf("%s/%s", dir, name);
	int fd = lockfile_open(path, err);
	free(path);
	return fd;
}

int archive_index_lock_archive(struct archive_index *idx, struct up_error *err)
{
	char *path = xasprintf("%s/archive.lock", idx->dir);
	int rc = lockfile_acquire(idx->archive_fd, path, idx->timeout_ms, NULL, err);
	free(path);
	idx->archive_locked = rc == 0;
	return rc;
}

void archive_index_unlock_archive(struct archive_index *idx)
{
	if (idx->archive_locked)
		lockfile_release(idx->archive_fd);
	idx->archive_locked = false;
}

static int index_lock(struct archive_index *idx, struct up_error *err)
{
	char *path = xasprintf("%s/index.lock", idx->dir);
	int rc = lockfile_acquire(idx->index_fd, path, idx->timeout_ms, NULL, err);
	free(path);
	return rc;
}

int archive_index_write_begin(struct archive_index *idx, struct up_error *err)
{
	if (idx->in_write)
		return err_set(err, UP_ERR_INTERNAL, _("archive index: nested write transaction"));
	if (index_lock(idx, err) < 0)
		return -1;
	int rc = sqlite3_exec(idx->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		archive_index_fail(idx, rc, "begin", err);
		lockfile_release(idx->index_fd);
		return -1;
	}
	idx->in_write = true;
	return 0;
}

int archive_index_write_commit(struct archive_index *idx, struct up_error *err)
{
	if (!idx->in_write)
		return err_set(err, UP_ERR_INTERNAL, _("archive index: commit without begin"));
	int rc = sqlite3_exec(idx->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		archive_index_fail(idx, rc, "commit", err);
		if (!sqlite3_get_autocommit(idx->db))
			sqlite3_exec(idx->db, "ROLLBACK", NULL, NULL, NULL);
	} else {
		sqlite3_wal_checkpoint_v2(idx->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	}
	idx->in_write = false;
	lockfile_release(idx->index_fd);
	return rc == SQLITE_OK ? 0 : -1;
}

void archive_index_write_rollback(struct archive_index *idx)
{
	if (!idx->in_write)
		return;
	if (!sqlite3_get_autocommit(idx->db))
		sqlite3_exec(idx->db, "ROLLBACK", NULL, NULL, NULL);
	idx->in_write = false;
	lockfile_release(idx->index_fd);
}

static long long query_int(struct archive_index *idx, const char *sql, char **text, int *rc)
{
	sqlite3_stmt *st = NULL;
	long long v = -1;
	*rc = sqlite3_prepare_v2(idx->db, sql, -1, &st, NULL);
	if (*rc == SQLITE_OK && (*rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = sqlite3_column_int64(st, 0);
		if (text) {
			const unsigned char *t = sqlite3_column_text(st, 0);
			*text = xstrdup(t ? (const char *)t : "");
		}
		*rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return v;
}

/* Checks, settings, WAL and migrations, all writes under index.lock. */
static int index_prepare(struct archive_index *idx, struct up_error *err)
{
	int rc;
	char *check = NULL;
	long long version = query_int(idx, "PRAGMA user_version", NULL, &rc);
	if (rc != SQLITE_OK)
		return archive_index_fail(idx, rc, _("reading the schema version"), err);
	if (version > ARCHIVE_SCHEMA_VERSION)
		return err_set(err, UP_ERR_STATE,
			       _("%s has schema version %lld, newer than this upkeep (%d); upgrade upkeep"),
			       idx->db_path, version, ARCHIVE_SCHEMA_VERSION);
	query_int(idx, "PRAGMA quick_check(1)", &check, &rc);
	bool ok = rc == SQLITE_OK && check && strcmp(check, "ok") == 0;
	free(check);
	if (!ok)
		return rc != SQLITE_OK ? archive_index_fail(idx, rc, "quick_check", err)
				       : err_set(err, UP_ERR_STATE_CORRUPT,
						 _("archive index %s is damaged"), idx->db_path);
	rc = sqlite3_exec(idx->db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
			  " PRAGMA wal_autocheckpoint = 0", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return archive_index_fail(idx, rc, "settings", err);
	if (version == ARCHIVE_SCHEMA_VERSION)
		return 0;
	if (index_lock(idx, err) < 0)
		return -1;
	rc = sqlite3_exec(idx->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
	lockfile_release(idx->index_fd);
	if (rc != SQLITE_OK)
		return archive_index_fail(idx, rc, "WAL mode", err);
	for (long long v = version + 1; v <= ARCHIVE_SCHEMA_VERSION; v++) {
		if (archive_index_write_begin(idx, err) < 0)
			return -1;
		long long now = query_int(idx, "PRAGMA user_version", NULL, &rc);
		if (rc == SQLITE_OK && now < v) {
			char *sql = xasprintf("%s PRAGMA user_version = %lld;", archive_migrations[v - 1], v);
			rc = sqlite3_exec(idx->db, sql, NULL, NULL, NULL);
			free(sql);
		}
		if (rc != SQLITE_OK) {
			archive_index_fail(idx, rc, _("migrating the schema"), err);
			archive_index_write_rollback(idx);
			return -1;
		}
		if (archive_index_write_commit(idx, err) < 0)
			return -1;
	}
	return 0;
}

static int index_open_db(struct archive_index *idx, struct up_error *err)
{
	int rc = sqlite3_open_v2(idx->db_path, &idx->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				 SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		return err_set(err, UP_ERR_IO, _("cannot open archive index %s: %s"), idx->db_path,
			       idx->db ? sqlite3_errmsg(idx->db) : sqlite3_errstr(rc));
	sqlite3_extended_result_codes(idx->db, 1);
	sqlite3_busy_timeout(idx->db, (int)(idx->timeout_ms > 60000 ? 60000 : idx->timeout_ms));
	return index_prepare(idx, err);
}

int archive_index_open(const char *dir, long long lock_timeout_ms, struct archive_index **out,
		       struct up_error *err)
{
	*out = NULL;
	struct archive_index *idx = xcalloc(1, sizeof(*idx));
	idx->index_fd = idx->archive_fd = -1;
	idx->dir = xstrdup(dir);
	idx->pack_dir = xasprintf("%s/packs", dir);
	idx->db_path = xasprintf("%s/index.db", dir);
	idx->timeout_ms = lock_timeout_ms > 0 ? lock_timeout_ms : 0;
	int rc = 0;
	if (util_mkdir_p(idx->pack_dir, 0700) < 0)
		rc = err_set(err, UP_ERR_IO, _("cannot create archive directory %s: %s"),
			     idx->pack_dir, strerror(errno));
	if (rc == 0 && (idx->index_fd = open_lock(dir, "index.lock", err)) < 0)
		rc = -1;
	if (rc == 0 && (idx->archive_fd = open_lock(dir, "archive.lock", err)) < 0)
		rc = -1;
	if (rc == 0)
		rc = index_open_db(idx, err);
	if (rc < 0) {
		archive_index_close(&idx);
		return -1;
	}
	*out = idx;
	return 0;
}

void archive_index_close(struct archive_index **p)
{
	struct archive_index *idx = *p;
	if (!idx)
		return;
	archive_index_write_rollback(idx);
	archive_index_unlock_archive(idx);
	if (idx->db)
		sqlite3_close(idx->db);
	if (idx->index_fd >= 0)
		close(idx->index_fd);
	if (idx->archive_fd >= 0)
		close(idx->archive_fd);
	free(idx->dir);
	free(idx->pack_dir);
	free(idx->db_path);
	free(idx);
	*p = NULL;
}

struct sqlite3 *archive_index_db(struct archive_index *idx) { return idx->db; }
const char *archive_index_dir(const struct archive_index *idx) { return idx->dir; }
const char *archive_index_db_path(const struct archive_index *idx) { return idx->db_path; }
const char *archive_index_pack_dir(const struct archive_index *idx) { return idx->pack_dir; }

void archive_index_set_cancel(struct archive_index *idx, const volatile int *cancel)
{
	idx->cancel = cancel;
}

bool archive_index_cancelled(const struct archive_index *idx)
{
	return idx->cancel && *idx->cancel;
}

static bool pack_known(struct archive_index *idx, const char *name)
{
	sqlite3_stmt *st = NULL;
	bool known = true; /* when in doubt, keep the file */
	if (sqlite3_prepare_v2(idx->db, "SELECT 1 FROM packs WHERE name = ?", -1, &st, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		int rc = sqlite3_step(st);
		known = rc != SQLITE_DONE;
	}
	sqlite3_finalize(st);
	return known;
}

int archive_index_remove_garbage(struct archive_index *idx, int *removed, struct up_error *err)
{
	*removed = 0;
	if (!idx->archive_locked)
		return err_set(err, UP_ERR_INTERNAL, _("garbage removal without the archive lock"));
	DIR *d = opendir(idx->pack_dir);
	if (!d)
		return err_set(err, UP_ERR_IO, "%s: %s", idx->pack_dir, strerror(errno));
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || pack_known(idx, de->d_name))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			(*removed)++;
	}
	closedir(d);
	if (*removed > 0) {
		int fd = open(idx->pack_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0) {
			fsync(fd);
			close(fd);
		}
	}
	return 0;
}

char *archive_index_new_pack_name(void)
{
	uint8_t rnd[12];
	char hex[2 * sizeof(rnd) + 1];
	if (gnutls_rnd(GNUTLS_RND_NONCE, rnd, sizeof(rnd)) < 0)
		memset(rnd, 0, sizeof(rnd));
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	return xasprintf("%lld-%s.pack", util_now(), hex);
}
