/* store.c - the state database (SQLite): targets' state, releases seen, jobs.
 *
 * Every write transaction, every checkpoint, the switch to WAL and every
 * migration run under an exclusive flock() on STATE_DIR/state.lock (SQLite
 * 3.40.1 predates the WAL-reset fix); readers take no lock. While held, the
 * lock file says who holds it ("PID\nnote\n"), so a waiter that gives up can
 * name the holder. An existing state.db is opened without SQLITE_OPEN_CREATE
 * and checked (header, schema version, quick_check) before anything is
 * written to it: a damaged file is reported, never overwritten or deleted.
 */
#include "config.h"

#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "i18n.h"
#include "lockfile.h"
#include "util.h"

#define STORE_WAL_CHECKPOINT_BYTES (1LL << 20) /* below: no checkpoint after a commit */
#define STORE_WAL_TRUNCATE_BYTES (4LL << 20) /* above: TRUNCATE, not PASSIVE, checkpoints */
#define STORE_TRUNCATE_WAIT_MS 100            /* how long TRUNCATE may wait for readers */

struct store {
	sqlite3 *db;
	char *dir;
	char *db_path;
	char *lock_path;
	int lock_fd;
	int lock_depth;        /* nesting of store_lock() calls */
	bool in_group;         /* store_group_begin(): writes join one transaction */
	bool in_write;         /* inside store_write_begin() ... commit/rollback */
	long long lock_timeout_ms;
	int busy_ms;
	char *lock_note;       /* written after the PID while the lock is held */
	bool copy;             /* store_open_copy(): a private copy in memory, no lock */
};

/* ------------------------------------------------------------------ */
/* Schema history. Entry i migrates user_version i to i + 1, in one
 * transaction. Never edit a released step: add a new one. */

static const char *const store_migrations[] = {
	/* 0 -> 1: targets' state and the releases checks have seen. */
	"CREATE TABLE targets (name TEXT PRIMARY KEY NOT NULL,"
	" installed_version TEXT, installed_tag TEXT, installed_commit TEXT,"
	" highest_version TEXT, installed_at INTEGER NOT NULL DEFAULT 0,"
	" last_check INTEGER NOT NULL DEFAULT 0, last_check_ok INTEGER NOT NULL DEFAULT 0,"
	" last_check_error TEXT, last_outcome TEXT,"
	" last_outcome_at INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE releases (id INTEGER PRIMARY KEY, target TEXT NOT NULL,"
	" tag TEXT NOT NULL, version TEXT, object TEXT NOT NULL,"
	" first_object TEXT NOT NULL, kind TEXT, flags INTEGER NOT NULL DEFAULT 0,"
	" tag_time INTEGER NOT NULL DEFAULT 0, first_seen INTEGER NOT NULL,"
	" last_seen INTEGER NOT NULL, moved INTEGER NOT NULL DEFAULT 0,"
	" UNIQUE (target, tag));"
	"CREATE INDEX releases_by_seen ON releases (target, first_seen);",

	/* 1 -> 2: jobs and their journal (steps, events). */
	"CREATE TABLE jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL,"
	" target TEXT, state TEXT NOT NULL, pid INTEGER NOT NULL,"
	" created INTEGER NOT NULL, started INTEGER NOT NULL DEFAULT 0,"
	" finished INTEGER NOT NULL DEFAULT 0, error TEXT);"
	"CREATE INDEX jobs_by_state ON jobs (state);"
	"CREATE TABLE job_steps (id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,"
	" seq INTEGER NOT NULL, name TEXT NOT NULL, state TEXT NOT NULL,"
	" started INTEGER NOT NULL, finished INTEGER NOT NULL DEFAULT 0, error TEXT,"
	" UNIQUE (job_id, seq));"
	"CREATE TABLE job_events (id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,"
	" time INTEGER NOT NULL, level TEXT NOT NULL, text TEXT NOT NULL);"
	"CREATE INDEX job_events_by_job ON job_events (job_id, id);",

	/* 2 -> 3: the intent of a job that changes a target's tree, written
	 * before each irreversible step, so that recovery can finish or undo
	 * the job after a crash (intent.h). */
	"CREATE TABLE intents (job_id INTEGER PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,"
	" kind TEXT NOT NULL, target TEXT NOT NULL, mode TEXT NOT NULL, path TEXT NOT NULL,"
	" staging TEXT NOT NULL, releases TEXT, old_link TEXT, new_link TEXT,"
	" live_existed INTEGER NOT NULL, from_version TEXT, to_version TEXT, to_tag TEXT,"
	" to_commit TEXT, record_version INTEGER NOT NULL, keep_releases INTEGER NOT NULL,"
	" old_dev INTEGER NOT NULL DEFAULT 0, old_ino INTEGER NOT NULL DEFAULT 0,"
	" new_dev INTEGER NOT NULL DEFAULT 0, new_ino INTEGER NOT NULL DEFAULT 0,"
	" phase TEXT NOT NULL, preserved INTEGER NOT NULL DEFAULT 0, updated INTEGER NOT NULL);",
	/* 3 -> 4: restore drills (one row per drill job) and notices sent once
	 * (a security release per tag). */
	"CREATE TABLE drills (job_id INTEGER PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,"
	" target TEXT NOT NULL, snapshot INTEGER NOT NULL, time INTEGER NOT NULL,"
	" ok INTEGER NOT NULL, restore_ms INTEGER NOT NULL DEFAULT 0,"
	" files INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 0,"
	" slower INTEGER NOT NULL DEFAULT 0, error TEXT);"
	"CREATE INDEX drills_by_target ON drills (target, time);"
	"CREATE TABLE notices (target TEXT NOT NULL, event TEXT NOT NULL, subject TEXT NOT NULL,"
	" time INTEGER NOT NULL, PRIMARY KEY (target, event, subject));",

	/* 4 -> 5: each release's signature verdict ("signed", "unsigned"...)
	 * and its description ("signed by PRINCIPAL (FINGERPRINT)"). */
	("ALTER TABLE releases ADD COLUMN verdict TEXT;"
	 "ALTER TABLE releases ADD COLUMN trust TEXT;"),

	/* 5 -> 6: recovery of single-path restores (the pairs exchanged, with
	 * the identities of both sides) and of data (the snapshot whose dumps a
	 * rollback restores). */
	("ALTER TABLE intents ADD COLUMN data_snapshot INTEGER NOT NULL DEFAULT 0;"
	 "CREATE TABLE intent_pairs (job_id INTEGER NOT NULL REFERENCES intents (job_id)"
	 " ON DELETE CASCADE, seq INTEGER NOT NULL, live TEXT NOT NULL, staged TEXT NOT NULL,"
	 " existed INTEGER NOT NULL, live_ino INTEGER NOT NULL, staged_ino INTEGER NOT NULL,"
	 " PRIMARY KEY (job_id, seq));"),
};

_Static_assert(sizeof(store_migrations) / sizeof(store_migrations[0]) == STORE_SCHEMA_VERSION,
	       "STORE_SCHEMA_VERSION must match the migration table");

/* ------------------------------------------------------------------ */
/* Errors */

/* The recovery advice for a damaged database, naming its files. */
static int store_fail_corrupt(struct store *s, struct up_error *err, const char *reason)
{
	char *why = xstrdup(reason), *wal = xasprintf("%s-wal", s->db_path);
	for (char *p = why; *p; p++) /* quick_check reports on several lines */
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	struct stat st;
	char *also = NULL;
	if (stat(wal, &st) == 0)
		also = xasprintf(_(" and mv %s %s.broken-wal"), wal, s->db_path);
	err_set(err, UP_ERR_STATE_CORRUPT,
		_("state database %s is damaged (%s); move it aside: mv %s %s.broken%s; "
		  "upkeep will create a new one; installed versions can be re-recorded "
		  "with upkeep --batch adopt"),
		s->db_path, why, s->db_path, s->db_path, also ? also : "");
	free(also);
	free(wal);
	free(why);
	return -1;
}

/* Turns an SQLite result code into an error naming the database. */
static int store_fail(struct store *s, struct up_error *err, int rc, const char *what)
{
	const char *msg = s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
	enum up_status status = UP_ERR_STATE;
	switch (rc & 0xff) {
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return store_fail_corrupt(s, err, msg);
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		status = UP_ERR_STATE_LOCKED;
		break;
	case SQLITE_FULL:
	case SQLITE_IOERR:
		status = UP_ERR_IO;
		break;
	}
	return err_set(err, status, _("state database %s: %s: %s"), s->db_path, what, msg);
}

/* ------------------------------------------------------------------ */
/* The inter-process lock */

/* Takes the exclusive lock, waiting up to timeout_ms. Nests. */
static int store_lock(struct store *s, long long timeout_ms, struct up_error *err)
{
	if (s->copy)
		return 0;
	if (s->lock_depth > 0) {
		s->lock_depth++;
		return 0;
	}
	char *what = xasprintf(_("state database %s"), s->db_path);
	int rc = lockfile_acquire(s->lock_fd, what, timeout_ms, s->lock_note, err);
	free(what);
	if (rc == 0)
		s->lock_depth = 1;
	return rc;
}

static void store_unlock(struct store *s)
{
	if (s->lock_depth == 0 || --s->lock_depth > 0)
		return;
	lockfile_release(s->lock_fd);
}

void store_set_lock_note(struct store *s, const char *note)
{
	free(s->lock_note);
	s->lock_note = note && *note ? xstrdup(note) : NULL;
	if (s->lock_note) /* one line */
		s->lock_note[strcspn(s->lock_note, "\r\n")] = '\0';
}

/* ------------------------------------------------------------------ */
/* Statements */

/* Binds arguments described by types: 's' const char * (NULL binds NULL),
 * 'I' long long. */
static int store_bindv(sqlite3_stmt *st, const char *types, va_list ap)
{
	int rc = SQLITE_OK;
	for (int i = 0; types[i] && rc == SQLITE_OK; i++) {
		switch (types[i]) {
		case 's': {
			const char *v = va_arg(ap, const char *);
			rc = v ? sqlite3_bind_text(st, i + 1, v, -1, SQLITE_TRANSIENT)
			       : sqlite3_bind_null(st, i + 1);
			break;
		}
		case 'I':
			rc = sqlite3_bind_int64(st, i + 1, (sqlite3_int64)va_arg(ap, long long));
			break;
		default:
			rc = SQLITE_MISUSE;
		}
	}
	return rc;
}

/* Prepares sql and binds the arguments. */
static int store_stmtv(struct store *s, struct up_error *err, sqlite3_stmt **st,
		       const char *sql, const char *types, va_list ap)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
	if (rc == SQLITE_OK)
		rc = store_bindv(*st, types, ap);
	if (rc != SQLITE_OK) {
		store_fail(s, err, rc, "prepare");
		sqlite3_finalize(*st);
		*st = NULL;
		return -1;
	}
	return 0;
}

static int store_stmt(struct store *s, struct up_error *err, sqlite3_stmt **st,
		      const char *sql, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	int rc = store_stmtv(s, err, st, sql, types, ap);
	va_end(ap);
	return rc;
}

/* Runs one statement that returns no rows; returns the rows changed or -1. */
static int store_runv(struct store *s, struct up_error *err, const char *sql,
		      const char *types, va_list ap)
{
	sqlite3_stmt *st;
	if (store_stmtv(s, err, &st, sql, types, ap) < 0)
		return -1;
	int rc = sqlite3_step(st);
	int changes = sqlite3_changes(s->db);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		store_fail(s, err, rc, "write");
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? changes : -1;
}

static int store_run(struct store *s, struct up_error *err, const char *sql,
		     const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	int rc = store_runv(s, err, sql, types, ap);
	va_end(ap);
	return rc;
}

/* Runs one write statement in its own locked transaction; rows changed or -1. */
static int store_writev(struct store *s, struct up_error *err, const char *sql,
			const char *types, va_list ap)
{
	if (s->in_group)
		return store_runv(s, err, sql, types, ap);
	if (store_write_begin(s, err) < 0)
		return -1;
	int changes = store_runv(s, err, sql, types, ap);
	if (changes < 0) {
		store_write_rollback(s);
		return -1;
	}
	return store_write_commit(s, err) < 0 ? -1 : changes;
}

static int store_write(struct store *s, struct up_error *err, const char *sql,
		       const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	int changes = store_writev(s, err, sql, types, ap);
	va_end(ap);
	return changes;
}

int store_exec(struct store *s, struct up_error *err, const char *sql, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	int changes = store_writev(s, err, sql, types, ap);
	va_end(ap);
	return changes;
}

static char *store_col_text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return t ? xstrdup((const char *)t) : NULL;
}

/* Steps st to its end (and finalizes it), one element of `size` bytes per
 * row filled by fill(); on failure drops what was read. */
static int store_collect(struct store *s, struct up_error *err, sqlite3_stmt *st, size_t size,
			 void (*fill)(sqlite3_stmt *, void *), void (*drop)(void *),
			 void **out, size_t *n)
{
	char *items = NULL;
	size_t cap = 0, count = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			items = xrealloc(items, cap * size);
		}
		memset(items + count * size, 0, size);
		fill(st, items + count++ * size);
	}
	if (rc != SQLITE_DONE) {
		store_fail(s, err, rc, "reading");
		for (size_t i = 0; i < count; i++)
			drop(items + i * size);
		FREE(items);
		count = 0;
	}
	sqlite3_finalize(st);
	*out = items;
	*n = count;
	return rc == SQLITE_DONE ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* Transactions and checkpoints */

/* After a commit, under the lock: copy the WAL back into the database once
 * it has grown past STORE_WAL_CHECKPOINT_BYTES (and always when the last
 * connection closes). A commit is durable once its WAL frames are synced;
 * checkpointing after every small commit only doubled the fsyncs of a check.
 * Failures are not the commit's: the WAL just stays longer. */
static void store_checkpoint(struct store *s)
{
	if (s->copy)
		return;
	char *wal = xasprintf("%s-wal", s->db_path);
	struct stat st;
	if (stat(wal, &st) < 0 || st.st_size < STORE_WAL_CHECKPOINT_BYTES) {
		free(wal);
		return;
	}
	int log = 0, done = 0;
	int rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
	if (rc == SQLITE_OK && st.st_size > STORE_WAL_TRUNCATE_BYTES) {
		/* TRUNCATE waits for readers; do not keep the lock long for it. */
		sqlite3_busy_timeout(s->db, STORE_TRUNCATE_WAIT_MS);
		sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
		sqlite3_busy_timeout(s->db, s->busy_ms);
	}
	free(wal);
}

int store_group_begin(struct store *s, struct up_error *err)
{
	if (s->in_group)
		return 0;
	if (store_write_begin(s, err) < 0)
		return -1;
	s->in_group = true;
	return 0;
}

int store_group_end(struct store *s, struct up_error *err)
{
	if (!s->in_group)
		return 0;
	s->in_group = false;
	return store_write_commit(s, err);
}

bool store_in_group(const struct store *s)
{
	return s->in_group;
}

int store_write_begin(struct store *s, struct up_error *err)
{
	if (s->in_write)
		return err_set(err, UP_ERR_INTERNAL, _("state database %s: nested write transaction"),
			       s->db_path);
	if (store_lock(s, s->lock_timeout_ms, err) < 0)
		return -1;
	int rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		store_fail(s, err, rc, "begin");
		store_unlock(s);
		return -1;
	}
	s->in_write = true;
	return 0;
}

int store_write_commit(struct store *s, struct up_error *err)
{
	if (!s->in_write)
		return err_set(err, UP_ERR_INTERNAL, _("state database %s: commit without begin"),
			       s->db_path);
	int rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		store_fail(s, err, rc, "commit");
		if (!sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	} else {
		store_checkpoint(s);
	}
	s->in_write = false;
	store_unlock(s);
	return rc == SQLITE_OK ? 0 : -1;
}

void store_write_rollback(struct store *s)
{
	if (!s->in_write)
		return;
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_write = false;
	store_unlock(s);
}

/* ------------------------------------------------------------------ */
/* Opening: checks, settings, migrations */

/* The first column of the first row of sql, as a number and/or as text. */
static int store_query1(struct store *s, struct up_error *err, const char *sql,
			long long *num, char **text)
{
	sqlite3_stmt *st;
	if (store_stmt(s, err, &st, sql, "") < 0)
		return -1;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && num)
		*num = sqlite3_column_int64(st, 0);
	if (rc == SQLITE_ROW && text)
		*text = store_col_text(st, 0);
	if (rc != SQLITE_ROW)
		store_fail(s, err, rc == SQLITE_DONE ? SQLITE_ERROR : rc, sql);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* quick_check, reported with the first problem it names. */
static int store_quick_check(struct store *s, struct up_error *err)
{
	char *res = NULL;
	if (store_query1(s, err, "PRAGMA quick_check(1)", NULL, &res) < 0)
		return -1;
	int rc = res && strcmp(res, "ok") == 0 ? 0 : store_fail_corrupt(s, err, res ? res : "?");
	free(res);
	return rc;
}

/* Opens an existing file read-write, or creates one under the lock where
 * there is none. *locked tells whether the lock is now held. */
static int store_open_db(struct store *s, bool *locked, struct up_error *err)
{
	struct stat st;
	int flags = SQLITE_OPEN_READWRITE;
	*locked = false;
	if (stat(s->db_path, &st) < 0) {
		if (errno != ENOENT)
			return err_set(err, UP_ERR_IO, "%s: %s", s->db_path, strerror(errno));
		/* A WAL without its database belongs to some other file: pairing it
		 * with a new database would replay foreign pages into it. */
		char *wal = xasprintf("%s-wal", s->db_path);
		int have_wal = stat(wal, &st) == 0 && st.st_size > 0;
		if (have_wal)
			err_set(err, UP_ERR_STATE_CORRUPT,
				_("%s is missing but %s exists; move %s aside too (or put the "
				  "database back) before upkeep creates a new one"),
				s->db_path, wal, wal);
		free(wal);
		if (have_wal || store_lock(s, s->lock_timeout_ms, err) < 0)
			return -1;
		*locked = true;
		flags |= SQLITE_OPEN_CREATE;
	}
	int rc = sqlite3_open_v2(s->db_path, &s->db, flags, NULL);
	if (rc != SQLITE_OK) {
		err_set(err, rc == SQLITE_CANTOPEN ? UP_ERR_IO : UP_ERR_STATE,
			_("cannot open state database %s: %s"), s->db_path,
			s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		sqlite3_close(s->db);
		s->db = NULL;
		return -1;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, s->busy_ms);
	return 0;
}

/* Per-connection settings; none of them writes to the file. */
static int store_configure(struct store *s, struct up_error *err)
{
	int rc = sqlite3_exec(s->db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
			      " PRAGMA wal_autocheckpoint = 0", NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : store_fail(s, err, rc, "settings");
}

/* Switches the file to WAL if it is not in it yet (under the lock). */
static int store_use_wal(struct store *s, struct up_error *err)
{
	char *mode = NULL;
	if (store_query1(s, err, "PRAGMA journal_mode", NULL, &mode) < 0)
		return -1;
	bool wal = mode && strcmp(mode, "wal") == 0;
	FREE(mode);
	if (wal)
		return 0;
	if (store_lock(s, s->lock_timeout_ms, err) < 0)
		return -1;
	int rc = store_query1(s, err, "PRAGMA journal_mode = WAL", NULL, &mode);
	store_unlock(s);
	wal = mode && strcmp(mode, "wal") == 0;
	free(mode);
	if (rc == 0 && !wal)
		return err_set(err, UP_ERR_STATE, _("state database %s: cannot use WAL mode"),
			       s->db_path);
	return rc;
}

/* Applies one migration step in its own transaction. The version is read
 * again inside it: another process may have migrated meanwhile. */
static int store_migrate_step(struct store *s, long long to, struct up_error *err)
{
	if (store_write_begin(s, err) < 0)
		return -1;
	long long now;
	if (store_query1(s, err, "PRAGMA user_version", &now, NULL) < 0)
		goto fail;
	if (now >= to)
		return store_write_commit(s, err);
	int rc = sqlite3_exec(s->db, store_migrations[to - 1], NULL, NULL, NULL);
	if (rc == SQLITE_OK) {
		char *sql = xasprintf("PRAGMA user_version = %lld", to);
		rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
		free(sql);
	}
	if (rc != SQLITE_OK) {
		char *what = xasprintf(_("migrating the schema to version %lld"), to);
		store_fail(s, err, rc, what);
		free(what);
		goto fail;
	}
	return store_write_commit(s, err);
fail:
	store_write_rollback(s);
	return -1;
}

static int store_check_version(struct store *s, long long *version, struct up_error *err)
{
	if (store_query1(s, err, "PRAGMA user_version", version, NULL) < 0)
		return -1;
	if (*version > STORE_SCHEMA_VERSION)
		return err_set(err, UP_ERR_STATE,
			       _("%s has schema version %lld, newer than this upkeep (%d); "
				 "upgrade upkeep"),
			       s->db_path, *version, STORE_SCHEMA_VERSION);
	if (*version < 0)
		return store_fail_corrupt(s, err, _("negative schema version"));
	return 0;
}

/* Everything after the file is open: refuse what is damaged or too new,
 * then settings, WAL and migrations. */
static int store_prepare_db(struct store *s, struct up_error *err)
{
	long long version;
	if (store_check_version(s, &version, err) < 0 || store_quick_check(s, err) < 0)
		return -1;
	if (store_configure(s, err) < 0 || (!s->copy && store_use_wal(s, err) < 0))
		return -1;
	for (long long v = version + 1; v <= STORE_SCHEMA_VERSION; v++)
		if (store_migrate_step(s, v, err) < 0)
			return -1;
	return 0;
}

static int store_open_lockfile(struct store *s, struct up_error *err)
{
	if (util_mkdir_p(s->dir, 0700) < 0)
		return err_set(err, UP_ERR_IO, _("cannot create state directory %s: %s"), s->dir,
			       strerror(errno));
	s->lock_fd = lockfile_open(s->lock_path, err);
	return s->lock_fd < 0 ? -1 : 0;
}

static struct store *store_alloc(const char *state_dir, long long lock_timeout_ms)
{
	struct store *s = xcalloc(1, sizeof(*s));
	s->lock_fd = -1;
	s->dir = xstrdup(state_dir);
	s->db_path = xasprintf("%s/state.db", state_dir);
	s->lock_path = xasprintf("%s/state.lock", state_dir);
	s->lock_timeout_ms = lock_timeout_ms > 0 ? lock_timeout_ms : 0;
	s->busy_ms = s->lock_timeout_ms > INT_MAX ? INT_MAX : (int)s->lock_timeout_ms;
	return s;
}

int store_open(const char *state_dir, long long lock_timeout_ms, struct store **out,
	       struct up_error *err)
{
	*out = NULL;
	if (!state_dir || !*state_dir)
		return err_set(err, UP_ERR_USAGE, _("no state directory given"));
	struct store *s = store_alloc(state_dir, lock_timeout_ms);
	bool locked = false;
	int rc = store_open_lockfile(s, err);
	if (rc == 0)
		rc = store_open_db(s, &locked, err);
	if (rc == 0)
		rc = store_prepare_db(s, err);
	if (locked)
		store_unlock(s);
	if (rc < 0) {
		/* Leave a refused file exactly as it was: no checkpoint on close. */
		if (s->db)
			sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
		store_close(&s);
		return -1;
	}
	*out = s;
	return 0;
}

/* "file:PATH?QUERY" with the characters a URI gives a meaning escaped. */
static char *store_file_uri(const char *path, const char *query)
{
	size_t len = strlen(path);
	char *uri = xcalloc(len * 3 + strlen(query) + 8, 1), *o = uri + 5;
	memcpy(uri, "file:", 5);
	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		if (*p == '?' || *p == '#' || *p == '%' || *p <= 0x20 || *p >= 0x7f)
			o += sprintf(o, "%%%02X", *p);
		else
			*o++ = (char)*p;
	sprintf(o, "?%s", query);
	return uri;
}

/* Copies the file at db_path, if there is one, into s->db. Under a shared
 * lock on state.lock (no writer or checkpoint meanwhile), the file alone
 * is read with immutable=1, which creates no -wal or -shm file; only when
 * a WAL is beside it (another process has the database open, or one
 * crashed) is it read through the WAL with mode=ro. */
static int store_copy_file(struct store *s, struct up_error *err)
{
	struct stat st;
	if (stat(s->db_path, &st) < 0)
		return errno == ENOENT ? 0 : err_set(err, UP_ERR_IO, "%s: %s", s->db_path, strerror(errno));
	int lfd = open(s->lock_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	char *what = xasprintf(_("state database %s"), s->db_path);
	int rc = lfd >= 0 ? lockfile_acquire_shared(lfd, what, s->lock_timeout_ms, err) : 0;
	free(what);
	char *wal = xasprintf("%s-wal", s->db_path);
	char *uri = store_file_uri(s->db_path, stat(wal, &st) == 0 ? "mode=ro" : "immutable=1");
	sqlite3 *src = NULL;
	if (rc == 0) {
		int src_rc = sqlite3_open_v2(uri, &src, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
		sqlite3_backup *b = src_rc == SQLITE_OK ? sqlite3_backup_init(s->db, "main", src, "main")
			: NULL;
		src_rc = b ? sqlite3_backup_step(b, -1) : src_rc != SQLITE_OK ? src_rc : SQLITE_ERROR;
		sqlite3_backup_finish(b);
		if (src_rc != SQLITE_DONE) {
			const char *msg = src ? sqlite3_errmsg(src) : sqlite3_errstr(src_rc);
			rc = (src_rc & 0xff) == SQLITE_NOTADB || (src_rc & 0xff) == SQLITE_CORRUPT
				? store_fail_corrupt(s, err, msg)
				: err_set(err, UP_ERR_STATE, _("cannot read state database %s: %s"),
					  s->db_path, msg);
		}
	}
	sqlite3_close(src);
	if (lfd >= 0)
		close(lfd);
	free(uri);
	free(wal);
	return rc;
}

int store_open_copy(const char *state_dir, long long lock_timeout_ms, struct store **out,
		    struct up_error *err)
{
	*out = NULL;
	if (!state_dir || !*state_dir)
		return err_set(err, UP_ERR_USAGE, _("no state directory given"));
	struct store *s = store_alloc(state_dir, lock_timeout_ms);
	s->copy = true;
	int rc = sqlite3_open_v2(":memory:", &s->db, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK) {
		err_set(err, UP_ERR_STATE, _("cannot open state database %s: %s"), s->db_path,
			sqlite3_errstr(rc));
		store_close(&s);
		return -1;
	}
	sqlite3_extended_result_codes(s->db, 1);
	if (store_copy_file(s, err) < 0 || store_prepare_db(s, err) < 0) {
		store_close(&s);
		return -1;
	}
	*out = s;
	return 0;
}

void store_close(struct store **sp)
{
	struct store *s = *sp;
	if (!s)
		return;
	store_group_end(s, NULL); /* a group left open still commits */
	store_write_rollback(s);
	if (s->db) {
		/* The last connection to close checkpoints: do that under the lock,
		 * or not at all when another process holds it. */
		bool locked = s->lock_fd >= 0 && store_lock(s, 0, NULL) == 0;
		if (!locked)
			sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
		sqlite3_close(s->db);
		if (locked)
			store_unlock(s);
	}
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free(s->dir);
	free(s->db_path);
	free(s->lock_path);
	free(s->lock_note);
	free(s);
	*sp = NULL;
}

struct sqlite3 *store_db(struct store *s)
{
	return s->db;
}

/* ------------------------------------------------------------------ */
/* Targets */

void store_target_state_free(struct target_state *ts)
{
	if (!ts)
		return;
	free(ts->name);
	free(ts->installed_version);
	free(ts->installed_tag);
	free(ts->installed_commit);
	free(ts->highest_version);
	free(ts->last_check_error);
	free(ts->last_outcome);
	memset(ts, 0, sizeof(*ts));
}

int store_target_get(struct store *s, const char *name, struct target_state *out,
		     struct up_error *err)
{
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *st;
	if (store_stmt(s, err, &st,
		       "SELECT installed_version, installed_tag, installed_commit, highest_version,"
		       " installed_at, last_check, last_check_ok, last_check_error, last_outcome,"
		       " last_outcome_at FROM targets WHERE name = ?", "s", name) < 0)
		return -1;
	int rc = sqlite3_step(st);
	out->name = xstrdup(name);
	if (rc == SQLITE_ROW) {
		out->installed_version = store_col_text(st, 0);
		out->installed_tag = store_col_text(st, 1);
		out->installed_commit = store_col_text(st, 2);
		out->highest_version = store_col_text(st, 3);
		out->installed_at = sqlite3_column_int64(st, 4);
		out->last_check = sqlite3_column_int64(st, 5);
		out->last_check_ok = sqlite3_column_int(st, 6) != 0;
		out->last_check_error = store_col_text(st, 7);
		out->last_outcome = store_col_text(st, 8);
		out->last_outcome_at = sqlite3_column_int64(st, 9);
	} else if (rc != SQLITE_DONE) {
		store_fail(s, err, rc, _("reading target state"));
		store_target_state_free(out);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int store_target_set_installed(struct store *s, const char *name, const char *version,
			       const char *tag, const char *commit, struct up_error *err)
{
	return store_write(s, err,
			   "INSERT INTO targets (name, installed_version, installed_tag,"
			   " installed_commit, highest_version, installed_at)"
			   " VALUES (?1, ?2, ?3, ?4, ?2, ?5)"
			   " ON CONFLICT (name) DO UPDATE SET"
			   " installed_version = excluded.installed_version,"
			   " installed_tag = excluded.installed_tag,"
			   " installed_commit = excluded.installed_commit,"
			   " highest_version = COALESCE(highest_version, excluded.installed_version),"
			   " installed_at = excluded.installed_at",
			   "ssssI", name, version, tag, commit, util_now()) < 0 ? -1 : 0;
}

int store_target_set_highest(struct store *s, const char *name, const char *version,
			     struct up_error *err)
{
	return store_write(s, err,
			   "INSERT INTO targets (name, highest_version) VALUES (?1, ?2)"
			   " ON CONFLICT (name) DO UPDATE SET highest_version = excluded.highest_version",
			   "ss", name, version) < 0 ? -1 : 0;
}

int store_target_record_check(struct store *s, const char *name, long long when, bool ok,
			      const char *error, struct up_error *err)
{
	return store_write(s, err,
			   "INSERT INTO targets (name, last_check, last_check_ok, last_check_error)"
			   " VALUES (?1, ?2, ?3, ?4)"
			   " ON CONFLICT (name) DO UPDATE SET last_check = excluded.last_check,"
			   " last_check_ok = excluded.last_check_ok,"
			   " last_check_error = excluded.last_check_error",
			   "sIIs", name, when, ok ? 1LL : 0LL, ok ? NULL : error) < 0 ? -1 : 0;
}

int store_target_record_outcome(struct store *s, const char *name, const char *outcome,
				struct up_error *err)
{
	return store_write(s, err,
			   "INSERT INTO targets (name, last_outcome, last_outcome_at)"
			   " VALUES (?1, ?2, ?3)"
			   " ON CONFLICT (name) DO UPDATE SET last_outcome = excluded.last_outcome,"
			   " last_outcome_at = excluded.last_outcome_at",
			   "ssI", name, outcome, util_now()) < 0 ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* Releases */

void store_release_seen_free(struct release_seen *r)
{
	if (!r)
		return;
	free(r->tag);
	free(r->version);
	free(r->object);
	free(r->first_object);
	free(r->kind);
	free(r->verdict);
	free(r->trust);
	memset(r, 0, sizeof(*r));
}

int store_releases_record(struct store *s, const char *target, const struct release_seen *rel,
			  size_t n, struct up_error *err)
{
	for (size_t i = 0; i < n; i++)
		if (!rel[i].tag || !rel[i].object)
			return err_set(err, UP_ERR_USAGE, _("release %zu of %s has no tag or object"), i,
				       target);
	if (store_write_begin(s, err) < 0)
		return -1;
	long long now = util_now();
	for (size_t i = 0; i < n; i++) {
		const struct release_seen *r = &rel[i];
		long long first = r->first_seen ? r->first_seen : now;
		/* moved is sticky: once a tag pointed elsewhere, it stays suspect. */
		if (store_run(s, err,
			      "INSERT INTO releases (target, tag, version, object, first_object, kind,"
			      " flags, tag_time, first_seen, last_seen, moved, verdict, trust)"
			      " VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7, ?8, ?9, 0, ?10, ?11)"
			      " ON CONFLICT (target, tag) DO UPDATE SET"
			      " version = excluded.version, object = excluded.object,"
			      /* a row without kind (an install's) keeps the check's */
			      " kind = COALESCE(excluded.kind, kind),"
			      " flags = CASE WHEN excluded.kind IS NULL THEN flags ELSE excluded.flags END,"
			      " tag_time = CASE WHEN excluded.tag_time <> 0 THEN excluded.tag_time"
			      " ELSE tag_time END, last_seen = excluded.last_seen,"
			      " moved = (moved OR excluded.object <> first_object),"
			      " verdict = COALESCE(excluded.verdict, verdict),"
			      " trust = COALESCE(excluded.trust, trust)",
			      "sssssIIIIss", target, r->tag, r->version, r->object, r->kind,
			      (long long)r->flags, r->tag_time, first, now, r->verdict, r->trust) < 0) {
			store_write_rollback(s);
			return -1;
		}
	}
	return store_write_commit(s, err);
}

static void store_fill_release(sqlite3_stmt *st, void *p)
{
	struct release_seen *r = p;
	r->tag = store_col_text(st, 0);
	r->version = store_col_text(st, 1);
	r->object = store_col_text(st, 2);
	r->first_object = store_col_text(st, 3);
	r->kind = store_col_text(st, 4);
	r->flags = (unsigned)sqlite3_column_int64(st, 5);
	r->tag_time = sqlite3_column_int64(st, 6);
	r->first_seen = sqlite3_column_int64(st, 7);
	r->last_seen = sqlite3_column_int64(st, 8);
	r->moved = sqlite3_column_int(st, 9) != 0;
	r->verdict = store_col_text(st, 10);
	r->trust = store_col_text(st, 11);
}

static void store_drop_release(void *p)
{
	store_release_seen_free(p);
}

int store_releases_list(struct store *s, const char *target, struct release_seen **out,
			size_t *n, struct up_error *err)
{
	sqlite3_stmt *st;
	void *items = NULL;
	*n = 0;
	int rc = store_stmt(s, err, &st,
			    "SELECT tag, version, object, first_object, kind, flags, tag_time,"
			    " first_seen, last_seen, moved, verdict, trust FROM releases WHERE target = ?"
			    " ORDER BY first_seen DESC, tag_time DESC, id DESC", "s", target);
	if (rc == 0)
		rc = store_collect(s, err, st, sizeof(**out), store_fill_release,
				   store_drop_release, &items, n);
	*out = items;
	return rc;
}

/* ------------------------------------------------------------------ */
/* Jobs
 *
 * A job row is written with the pid of the process that runs it. A row left
 * "running" by a process that died (crash, kill -9, power loss) is NOT
 * touched here: the store cannot tell an interrupted install from one that
 * finished its swap but not its bookkeeping. The recovery feature reads such
 * rows (state running, pid gone) with the job's steps and finishes or undoes
 * the job before marking it. */

static const char *const job_state_names[] = {
	[JOB_QUEUED] = "queued",
	[JOB_RUNNING] = "running",
	[JOB_OK] = "ok",
	[JOB_FAILED] = "failed",
	[JOB_CANCELLED] = "cancelled",
	[JOB_ROLLED_BACK] = "rolled back",
	[JOB_RECOVERED] = "recovered",
};

const char *store_job_state_name(enum job_state st)
{
	if ((unsigned)st >= sizeof(job_state_names) / sizeof(job_state_names[0]))
		return "unknown";
	return job_state_names[st];
}

bool store_job_state_parse(const char *name, enum job_state *out)
{
	for (size_t i = 0; name && i < sizeof(job_state_names) / sizeof(job_state_names[0]); i++) {
		if (strcmp(name, job_state_names[i]) == 0) {
			*out = (enum job_state)i;
			return true;
		}
	}
	return false;
}

static enum job_state store_col_state(sqlite3_stmt *st, int col)
{
	enum job_state js;
	/* Written only by upkeep: anything else is treated as a failure. */
	return store_job_state_parse((const char *)sqlite3_column_text(st, col), &js) ? js
										    : JOB_FAILED;
}

static int store_no_job(struct store *s, struct up_error *err, const char *what, int64_t id)
{
	return err_set(err, UP_ERR_NOT_FOUND, _("state database %s: no %s %lld"), s->db_path,
		       what, (long long)id);
}

int store_job_create(struct store *s, const char *kind, const char *target, int64_t *id,
		     struct up_error *err)
{
	if (store_write(s, err, "INSERT INTO jobs (kind, target, state, pid, created)"
			" VALUES (?, ?, ?, ?, ?)", "sssII", kind, target,
			store_job_state_name(JOB_QUEUED), (long long)getpid(), util_now()) < 0)
		return -1;
	*id = (int64_t)sqlite3_last_insert_rowid(s->db);
	return 0;
}

int store_job_set_state(struct store *s, int64_t id, enum job_state st, const char *error,
			struct up_error *err)
{
	bool done = st != JOB_QUEUED && st != JOB_RUNNING;
	/* started is set by the first move to running; finished by an end state;
	 * the pid becomes the one of the process that runs the job. */
	int changes = store_write(s, err,
				  "UPDATE jobs SET state = ?2, error = ?3, pid = ?4,"
				  " started = CASE WHEN ?2 = 'running' AND started = 0 THEN ?5"
				  " ELSE started END,"
				  " finished = CASE WHEN ?6 THEN ?5 ELSE finished END"
				  " WHERE id = ?1",
				  "IssIII", (long long)id, store_job_state_name(st), error,
				  (long long)getpid(), util_now(), done ? 1LL : 0LL);
	return changes == 0 ? store_no_job(s, err, "job", id) : changes < 0 ? -1 : 0;
}

int store_job_step_begin(struct store *s, int64_t job, const char *name, int64_t *step,
			 struct up_error *err)
{
	int changes = store_write(s, err,
				  "INSERT INTO job_steps (job_id, seq, name, state, started)"
				  " SELECT id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM job_steps"
				  " WHERE job_id = ?1), ?2, ?3, ?4 FROM jobs WHERE id = ?1",
				  "IssI", (long long)job, name, store_job_state_name(JOB_RUNNING),
				  util_now());
	if (changes == 1)
		*step = (int64_t)sqlite3_last_insert_rowid(s->db);
	return changes == 0 ? store_no_job(s, err, "job", job) : changes < 0 ? -1 : 0;
}

int store_job_step_end(struct store *s, int64_t step, bool ok, const char *error,
		       struct up_error *err)
{
	int changes = store_write(s, err,
				  "UPDATE job_steps SET state = ?2, finished = ?3, error = ?4"
				  " WHERE id = ?1",
				  "IsIs", (long long)step, store_job_state_name(ok ? JOB_OK : JOB_FAILED),
				  util_now(), error);
	return changes == 0 ? store_no_job(s, err, "job step", step) : changes < 0 ? -1 : 0;
}

int store_job_event(struct store *s, int64_t job, const char *level, const char *text,
		    struct up_error *err)
{
	int changes = store_write(s, err,
				  "INSERT INTO job_events (job_id, time, level, text)"
				  " SELECT id, ?2, ?3, ?4 FROM jobs WHERE id = ?1",
				  "IIss", (long long)job, util_now(), level ? level : "info",
				  text ? text : "");
	return changes == 0 ? store_no_job(s, err, "job", job) : changes < 0 ? -1 : 0;
}

void store_job_row_free(struct job_row *j)
{
	if (!j)
		return;
	free(j->kind);
	free(j->target);
	free(j->error);
	memset(j, 0, sizeof(*j));
}

static void store_fill_job(sqlite3_stmt *st, void *p)
{
	struct job_row *j = p;
	j->id = (int64_t)sqlite3_column_int64(st, 0);
	j->kind = store_col_text(st, 1);
	j->target = store_col_text(st, 2);
	j->state = store_col_state(st, 3);
	j->pid = sqlite3_column_int(st, 4);
	j->created = sqlite3_column_int64(st, 5);
	j->started = sqlite3_column_int64(st, 6);
	j->finished = sqlite3_column_int64(st, 7);
	j->error = store_col_text(st, 8);
}

static void store_drop_job(void *p)
{
	store_job_row_free(p);
}

int store_jobs_list(struct store *s, size_t limit, struct job_row **out, size_t *n,
		    struct up_error *err)
{
	sqlite3_stmt *st;
	void *items = NULL;
	*n = 0;
	int rc = store_stmt(s, err, &st,
			    "SELECT id, kind, target, state, pid, created, started, finished, error"
			    " FROM jobs ORDER BY id DESC LIMIT ?", "I",
			    limit && limit <= LLONG_MAX ? (long long)limit : -1LL);
	if (rc == 0)
		rc = store_collect(s, err, st, sizeof(**out), store_fill_job, store_drop_job,
				   &items, n);
	*out = items;
	return rc;
}
