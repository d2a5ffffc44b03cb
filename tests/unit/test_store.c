/* test_store.c - the state database: creation, settings, migrations, damage,
 * the inter-process write lock, targets, releases and jobs. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "store.h"
#include "util.h"

/* The schema of version 1, frozen as released: a migration test must start
 * from what old binaries really wrote, not from today's table. */
static const char V1_SQL[] =
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
	"CREATE INDEX releases_by_seen ON releases (target, first_seen);"
	"PRAGMA user_version = 1;";

struct fixture {
	char base[64];   /* a fresh temporary directory */
	char *dir;       /* base/state: not created yet */
	char *db;        /* dir/state.db */
	char *lock;      /* dir/state.lock */
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	strcpy(f->base, "/tmp/upkeep-test-store-XXXXXX");
	if (!mkdtemp(f->base))
		return -1;
	f->dir = xasprintf("%s/state", f->base);
	f->db = xasprintf("%s/state.db", f->dir);
	f->lock = xasprintf("%s/state.lock", f->dir);
	*state = f;
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	nftw(f->base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f->dir);
	free(f->db);
	free(f->lock);
	free(f);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Helpers */

static struct store *open_ok(const char *dir, long long timeout_ms)
{
	struct store *s = NULL;
	struct up_error err = UP_ERROR_INIT;
	if (store_open(dir, timeout_ms, &s, &err) != 0)
		fail_msg("store_open(%s): %s", dir, err.msg ? err.msg : "(no message)");
	assert_non_null(s);
	err_clear(&err);
	return s;
}

/* Runs a store call that must succeed; the call names its error &ck_err. */
#define CHECK_OK(call)                                                                \
	do {                                                                          \
		struct up_error ck_err = UP_ERROR_INIT;                               \
		if ((call) < 0)                                                       \
			fail_msg("%s: %s", #call, ck_err.msg ? ck_err.msg : "(no message)"); \
		err_clear(&ck_err);                                                   \
	} while (0)

static long long q_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	long long v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The first column of the first row as a new string ("" for NULL). */
static char *q_text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	const unsigned char *t = sqlite3_column_text(st, 0);
	char *v = xstrdup(t ? (const char *)t : "");
	sqlite3_finalize(st);
	return v;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		strbuf_add(&sb, buf, n);
	fclose(fp);
	*len = sb.len;
	return strbuf_detach(&sb);
}

static void spit(const char *path, const char *data, size_t len)
{
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* A copy of a file's bytes and times, to prove that a refusal wrote nothing. */
struct snapshot {
	char *data;
	size_t len;
	struct timespec mtime;
};

static void snap_take(const char *path, struct snapshot *sn)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	sn->mtime = st.st_mtim;
	sn->data = slurp(path, &sn->len);
}

static void snap_assert_same(const char *path, struct snapshot *sn)
{
	struct snapshot now;
	snap_take(path, &now);
	assert_int_equal(now.len, sn->len);
	assert_memory_equal(now.data, sn->data, sn->len);
	assert_int_equal(now.mtime.tv_sec, sn->mtime.tv_sec);
	assert_int_equal(now.mtime.tv_nsec, sn->mtime.tv_nsec);
	free(now.data);
	free(sn->data);
}

static void wait_child_ok(pid_t pid)
{
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("child %ld failed (status 0x%x)", (long)pid, status);
}

static void pipe_put(int fd)
{
	char c = 'x';
	if (write(fd, &c, 1) != 1)
		_exit(90);
}

static bool pipe_get(int fd)
{
	char c;
	return read(fd, &c, 1) == 1;
}

/* ------------------------------------------------------------------ */
/* Creating, settings */

static void test_create_and_reopen(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f->dir, 1000);
	struct stat st;
	assert_int_equal(stat(f->dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_true(exists(f->db));
	assert_true(exists(f->lock));
	assert_int_equal(q_int(store_db(s), "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(STORE_SCHEMA_VERSION, 6);
	CHECK_OK(store_target_set_installed(s, "wiki", "1.0.0", "v1.0.0", "abc", &ck_err));
	store_close(&s);
	assert_null(s);
	store_close(&s); /* twice is harmless */

	s = open_ok(f->dir, 1000);
	struct target_state ts;
	CHECK_OK(store_target_get(s, "wiki", &ts, &ck_err));
	assert_string_equal(ts.installed_version, "1.0.0");
	store_target_state_free(&ts);
	store_close(&s);
}

static void test_pragmas(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f->dir, 1234);
	sqlite3 *db = store_db(s);
	char *mode = q_text(db, "PRAGMA journal_mode");
	assert_string_equal(mode, "wal");
	free(mode);
	assert_int_equal(q_int(db, "PRAGMA foreign_keys"), 1);
	assert_int_equal(q_int(db, "PRAGMA synchronous"), 2);
	assert_int_equal(q_int(db, "PRAGMA wal_autocheckpoint"), 0);
	assert_int_equal(q_int(db, "PRAGMA busy_timeout"), 1234);
	char *ok = q_text(db, "PRAGMA integrity_check");
	assert_string_equal(ok, "ok");
	free(ok);
	store_close(&s);
}

/* ------------------------------------------------------------------ */
/* Targets, releases, jobs */

static void test_target_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f->dir, 1000);
	struct target_state ts;
	struct up_error err = UP_ERROR_INIT;

	assert_int_equal(store_target_get(s, "wiki", &ts, &err), 0);
	assert_string_equal(ts.name, "wiki");
	assert_null(ts.installed_version);
	assert_int_equal(ts.last_check, 0);
	store_target_state_free(&ts);

	long long before = util_now();
	CHECK_OK(store_target_set_installed(s, "wiki", "1.0.0", "v1.0.0", "c1", &ck_err));
	CHECK_OK(store_target_record_check(s, "wiki", 1700000000, false, "host unreachable", &ck_err));
	CHECK_OK(store_target_record_outcome(s, "wiki", "rolled back", &ck_err));
	assert_int_equal(store_target_get(s, "wiki", &ts, &err), 1);
	assert_string_equal(ts.installed_version, "1.0.0");
	assert_string_equal(ts.installed_tag, "v1.0.0");
	assert_string_equal(ts.installed_commit, "c1");
	assert_string_equal(ts.highest_version, "1.0.0");
	assert_true(ts.installed_at >= before);
	assert_int_equal(ts.last_check, 1700000000);
	assert_false(ts.last_check_ok);
	assert_string_equal(ts.last_check_error, "host unreachable");
	assert_string_equal(ts.last_outcome, "rolled back");
	assert_true(ts.last_outcome_at >= before);
	store_target_state_free(&ts);

	/* A later install keeps highest_version until the caller raises it. */
	CHECK_OK(store_target_set_installed(s, "wiki", "2.0.0", "v2.0.0", NULL, &ck_err));
	CHECK_OK(store_target_record_check(s, "wiki", 1700000100, true, "ignored when ok", &ck_err));
	assert_int_equal(store_target_get(s, "wiki", &ts, &err), 1);
	assert_string_equal(ts.installed_version, "2.0.0");
	assert_null(ts.installed_commit);
	assert_string_equal(ts.highest_version, "1.0.0");
	assert_true(ts.last_check_ok);
	assert_null(ts.last_check_error);
	store_target_state_free(&ts);
	CHECK_OK(store_target_set_highest(s, "wiki", "2.0.0", &ck_err));
	CHECK_OK(store_target_set_installed(s, "wiki", "1.5.0", "v1.5.0", "c15", &ck_err));
	assert_int_equal(store_target_get(s, "wiki", &ts, &err), 1);
	assert_string_equal(ts.highest_version, "2.0.0");
	store_target_state_free(&ts);

	/* Other targets are apart; names are data, not SQL. */
	assert_int_equal(store_target_get(s, "x'; DROP TABLE targets; --", &ts, &err), 0);
	store_target_state_free(&ts);
	assert_int_equal(store_target_get(s, "wiki", &ts, &err), 1);
	store_target_state_free(&ts);
	store_close(&s);
}

static void test_releases_upsert_and_moved(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f->dir, 1000);
	struct release_seen rel[2] = {
		{ .tag = "v1.1.0", .version = "1.1.0", .object = "aaaa", .kind = "minor",
		  .flags = 1, .tag_time = 500, .first_seen = 100 },
		{ .tag = "v1.2.0", .version = "1.2.0", .object = "bbbb", .kind = "minor",
		  .tag_time = 600, .first_seen = 200 },
	};
	CHECK_OK(store_releases_record(s, "wiki", rel, 2, &ck_err));
	CHECK_OK(store_releases_record(s, "blog", rel, 1, &ck_err));

	struct release_seen *out;
	size_t n;
	CHECK_OK(store_releases_list(s, "wiki", &out, &n, &ck_err));
	assert_int_equal(n, 2);
	assert_string_equal(out[0].tag, "v1.2.0"); /* newest first_seen first */
	assert_string_equal(out[1].tag, "v1.1.0");
	assert_string_equal(out[1].object, "aaaa");
	assert_string_equal(out[1].first_object, "aaaa");
	assert_string_equal(out[1].kind, "minor");
	assert_int_equal(out[1].flags, 1);
	assert_int_equal(out[1].tag_time, 500);
	assert_int_equal(out[1].first_seen, 100);
	assert_false(out[0].moved);
	assert_false(out[1].moved);
	for (size_t i = 0; i < n; i++)
		store_release_seen_free(&out[i]);
	free(out);

	/* Seen again, same object: not moved, first_seen kept. */
	rel[0].first_seen = 0;
	CHECK_OK(store_releases_record(s, "wiki", rel, 1, &ck_err));
	/* The tag now points elsewhere: moved, and it stays so even when the
	 * tag is put back. */
	rel[0].object = "evil";
	CHECK_OK(store_releases_record(s, "wiki", rel, 1, &ck_err));
	CHECK_OK(store_releases_list(s, "wiki", &out, &n, &ck_err));
	assert_int_equal(n, 2);
	assert_string_equal(out[1].tag, "v1.1.0");
	assert_int_equal(out[1].first_seen, 100);
	assert_string_equal(out[1].object, "evil");
	assert_string_equal(out[1].first_object, "aaaa");
	assert_true(out[1].moved);
	assert_false(out[0].moved);
	for (size_t i = 0; i < n; i++)
		store_release_seen_free(&out[i]);
	free(out);

	rel[0].object = "aaaa";
	CHECK_OK(store_releases_record(s, "wiki", rel, 1, &ck_err));
	CHECK_OK(store_releases_list(s, "wiki", &out, &n, &ck_err));
	assert_true(out[1].moved);
	assert_string_equal(out[1].object, "aaaa");
	for (size_t i = 0; i < n; i++)
		store_release_seen_free(&out[i]);
	free(out);

	/* The other target saw only the original object. */
	CHECK_OK(store_releases_list(s, "blog", &out, &n, &ck_err));
	assert_int_equal(n, 1);
	assert_false(out[0].moved);
	store_release_seen_free(&out[0]);
	free(out);

	/* A release without an object is refused and nothing of the batch lands. */
	struct release_seen bad[2] = { { .tag = "v9.0.0", .object = "cccc" }, { .tag = "v9.1.0" } };
	struct up_error err = UP_ERROR_INIT;
	assert_int_equal(store_releases_record(s, "wiki", bad, 2, &err), -1);
	assert_int_equal(err.status, UP_ERR_USAGE);
	err_clear(&err);
	assert_int_equal(q_int(store_db(s), "SELECT count(*) FROM releases WHERE target = 'wiki'"), 2);
	store_close(&s);
}

static void test_jobs_list(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f->dir, 1000);
	int64_t a, b, c;
	long long before = util_now();
	CHECK_OK(store_job_create(s, "check", NULL, &a, &ck_err));
	CHECK_OK(store_job_create(s, "install", "wiki", &b, &ck_err));
	CHECK_OK(store_job_create(s, "snapshot", "blog", &c, &ck_err));
	assert_true(a < b && b < c);

	CHECK_OK(store_job_set_state(s, b, JOB_RUNNING, NULL, &ck_err));
	CHECK_OK(store_job_set_state(s, b, JOB_ROLLED_BACK, "health check failed", &ck_err));

	struct job_row *rows;
	size_t n;
	CHECK_OK(store_jobs_list(s, 0, &rows, &n, &ck_err));
	assert_int_equal(n, 3);
	assert_int_equal(rows[0].id, c); /* newest first */
	assert_int_equal(rows[1].id, b);
	assert_int_equal(rows[2].id, a);
	assert_null(rows[2].target);
	assert_string_equal(rows[2].kind, "check");
	assert_int_equal(rows[2].state, JOB_QUEUED);
	assert_int_equal(rows[2].started, 0);
	assert_string_equal(rows[1].target, "wiki");
	assert_int_equal(rows[1].state, JOB_ROLLED_BACK);
	assert_int_equal(rows[1].pid, getpid());
	assert_true(rows[1].created >= before);
	assert_true(rows[1].started >= rows[1].created);
	assert_true(rows[1].finished >= rows[1].started);
	assert_string_equal(rows[1].error, "health check failed");
	for (size_t i = 0; i < n; i++)
		store_job_row_free(&rows[i]);
	free(rows);

	CHECK_OK(store_jobs_list(s, 2, &rows, &n, &ck_err));
	assert_int_equal(n, 2);
	assert_int_equal(rows[0].id, c);
	assert_int_equal(rows[1].id, b);
	for (size_t i = 0; i < n; i++)
		store_job_row_free(&rows[i]);
	free(rows);
	store_close(&s);
}

static void test_job_steps_events(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f->dir, 1000);
	sqlite3 *db = store_db(s);
	int64_t b, s1, s2;
	CHECK_OK(store_job_create(s, "install", "wiki", &b, &ck_err));
	CHECK_OK(store_job_step_begin(s, b, "fetch", &s1, &ck_err));
	CHECK_OK(store_job_step_end(s, s1, true, NULL, &ck_err));
	CHECK_OK(store_job_step_begin(s, b, "swap", &s2, &ck_err));
	CHECK_OK(store_job_step_end(s, s2, false, "health check failed", &ck_err));
	CHECK_OK(store_job_event(s, b, "info", "fetching v2.0.0", &ck_err));
	CHECK_OK(store_job_event(s, b, "error", "HTTP 500", &ck_err));

	/* Steps are numbered in order and keep their outcome. */
	char *sql = xasprintf("SELECT group_concat(seq || ':' || name || ':' || state || ':'"
			      " || coalesce(error, '-'), ',') FROM (SELECT * FROM job_steps"
			      " WHERE job_id = %lld ORDER BY seq)", (long long)b);
	char *steps = q_text(db, sql);
	assert_string_equal(steps, "1:fetch:ok:-,2:swap:failed:health check failed");
	free(steps);
	free(sql);
	sql = xasprintf("SELECT group_concat(level || ':' || text, ',') FROM (SELECT * FROM"
			" job_events WHERE job_id = %lld ORDER BY id)", (long long)b);
	char *events = q_text(db, sql);
	assert_string_equal(events, "info:fetching v2.0.0,error:HTTP 500");
	free(events);
	free(sql);

	/* Unknown ids are named, not silently ignored. */
	struct up_error err = UP_ERROR_INIT;
	int64_t dummy;
	assert_int_equal(store_job_set_state(s, 999, JOB_OK, NULL, &err), -1);
	assert_int_equal(err.status, UP_ERR_NOT_FOUND);
	assert_int_equal(store_job_step_begin(s, 999, "x", &dummy, &err), -1);
	assert_int_equal(err.status, UP_ERR_NOT_FOUND);
	assert_int_equal(store_job_step_end(s, 999, true, NULL, &err), -1);
	assert_int_equal(err.status, UP_ERR_NOT_FOUND);
	assert_int_equal(store_job_event(s, 999, "info", "x", &err), -1);
	assert_int_equal(err.status, UP_ERR_NOT_FOUND);
	err_clear(&err);

	/* Steps and events go with their job. */
	CHECK_OK(store_write_begin(s, &ck_err));
	sql = xasprintf("DELETE FROM jobs WHERE id = %lld", (long long)b);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	free(sql);
	CHECK_OK(store_write_commit(s, &ck_err));
	assert_int_equal(q_int(db, "SELECT count(*) FROM job_steps"), 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM job_events"), 0);

	for (int st = JOB_QUEUED; st <= JOB_RECOVERED; st++) {
		enum job_state back;
		assert_true(store_job_state_parse(store_job_state_name(st), &back));
		assert_int_equal(back, st);
	}
	enum job_state back;
	assert_false(store_job_state_parse("exploded", &back));
	store_close(&s);
}

/* ------------------------------------------------------------------ */
/* Schema versions and damage */

static void test_migration_from_v1(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(util_mkdir_p(f->dir, 0700), 0);
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
					 NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, V1_SQL, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO targets (name, installed_version,"
				      " installed_tag, highest_version, installed_at)"
				      " VALUES ('wiki', '2024-02-06a', 'release-2024-02-06a',"
				      " '2024-02-06a', 1700000000);"
				      "INSERT INTO releases (target, tag, object, first_object,"
				      " first_seen, last_seen, moved) VALUES ('wiki', 't', 'o1',"
				      " 'o0', 5, 6, 1)", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);

	struct store *s = open_ok(f->dir, 1000);
	db = store_db(s);
	assert_int_equal(q_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(q_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
			       " AND name IN ('jobs', 'job_steps', 'job_events', 'intents')"), 4);
	assert_int_equal(q_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
			       " AND name IN ('drills', 'notices')"), 2);
	/* 5: the verdict columns, empty for releases seen before */
	assert_int_equal(q_int(db, "SELECT count(*) FROM releases WHERE verdict IS NULL"
			       " AND trust IS NULL"), 1);
	char *mode = q_text(db, "PRAGMA journal_mode");
	assert_string_equal(mode, "wal");
	free(mode);

	struct target_state ts;
	struct up_error err = UP_ERROR_INIT;
	assert_int_equal(store_target_get(s, "wiki", &ts, &err), 1);
	assert_string_equal(ts.installed_version, "2024-02-06a");
	assert_string_equal(ts.installed_tag, "release-2024-02-06a");
	assert_int_equal(ts.installed_at, 1700000000);
	store_target_state_free(&ts);
	assert_int_equal(q_int(db, "SELECT moved FROM releases WHERE tag = 't'"), 1);

	int64_t id;
	CHECK_OK(store_job_create(s, "check", "wiki", &id, &ck_err));
	store_close(&s);

	/* Reopening an up-to-date database changes nothing. */
	s = open_ok(f->dir, 1000);
	assert_int_equal(q_int(store_db(s), "SELECT count(*) FROM jobs"), 1);
	store_close(&s);
}

static void test_future_schema_refused(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(util_mkdir_p(f->dir, 0700), 0);
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
					 NULL), SQLITE_OK);
	char *sql = xasprintf("CREATE TABLE future (x); PRAGMA user_version = %d",
			      STORE_SCHEMA_VERSION + 1);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	free(sql);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);

	struct snapshot sn;
	snap_take(f->db, &sn);
	struct store *s = NULL;
	struct up_error err = UP_ERROR_INIT;
	assert_int_equal(store_open(f->dir, 1000, &s, &err), -1);
	assert_null(s);
	assert_int_equal(err.status, UP_ERR_STATE);
	char *want = xasprintf("%s has schema version %d, newer than this upkeep (%d); upgrade upkeep",
			       f->db, STORE_SCHEMA_VERSION + 1, STORE_SCHEMA_VERSION);
	assert_string_equal(err.msg, want);
	free(want);
	err_clear(&err);
	snap_assert_same(f->db, &sn);
	char *wal = xasprintf("%s-wal", f->db);
	assert_false(exists(wal));
	free(wal);
}

static void assert_corrupt_message(const struct up_error *err, const char *db)
{
	assert_int_equal(err->status, UP_ERR_STATE_CORRUPT);
	assert_non_null(strstr(err->msg, db));
	char *mv = xasprintf("mv %s %s.broken", db, db);
	assert_non_null(strstr(err->msg, mv));
	free(mv);
	assert_non_null(strstr(err->msg, "upkeep --batch adopt"));
}

static void test_garbage_refused(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(util_mkdir_p(f->dir, 0700), 0);
	struct strbuf sb = STRBUF_INIT;
	for (int i = 0; i < 300; i++)
		strbuf_addstr(&sb, "this is not a database, just some text\n");
	spit(f->db, sb.buf, sb.len);
	strbuf_release(&sb);

	struct snapshot sn;
	snap_take(f->db, &sn);
	struct store *s = NULL;
	struct up_error err = UP_ERROR_INIT;
	assert_int_equal(store_open(f->dir, 1000, &s, &err), -1);
	assert_null(s);
	assert_corrupt_message(&err, f->db);
	err_clear(&err);
	snap_assert_same(f->db, &sn);
}

/* A real database with one damaged page: the header is fine, quick_check
 * is not. */
static void test_damaged_page_refused(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f->dir, 1000);
	struct release_seen rel[300];
	char tags[300][16];
	for (int i = 0; i < 300; i++) {
		snprintf(tags[i], sizeof(tags[i]), "v1.0.%d", i);
		rel[i] = (struct release_seen){ .tag = tags[i], .version = tags[i] + 1,
						.object = "0123456789abcdef0123456789abcdef01234567",
						.kind = "patch" };
	}
	CHECK_OK(store_releases_record(s, "wiki", rel, 300, &ck_err));
	long long pages = q_int(store_db(s), "PRAGMA page_count");
	long long page_size = q_int(store_db(s), "PRAGMA page_size");
	store_close(&s);
	assert_true(pages > 4);

	size_t len;
	char *data = slurp(f->db, &len);
	assert_int_equal((long long)len, pages * page_size);
	/* Scribble over a b-tree page in the middle (no page is free here). */
	memset(data + (pages / 2) * page_size, 0x5a, (size_t)page_size);
	spit(f->db, data, len);
	free(data);

	struct snapshot sn;
	snap_take(f->db, &sn);
	struct up_error err = UP_ERROR_INIT;
	assert_int_equal(store_open(f->dir, 1000, &s, &err), -1);
	assert_null(s);
	assert_corrupt_message(&err, f->db);
	err_clear(&err);
	snap_assert_same(f->db, &sn);
}

static void test_orphan_wal_refused(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(util_mkdir_p(f->dir, 0700), 0);
	char *wal = xasprintf("%s-wal", f->db);
	spit(wal, "some frames", 11);
	struct store *s = NULL;
	struct up_error err = UP_ERROR_INIT;
	assert_int_equal(store_open(f->dir, 1000, &s, &err), -1);
	assert_int_equal(err.status, UP_ERR_STATE_CORRUPT);
	assert_non_null(strstr(err.msg, wal));
	err_clear(&err);
	assert_false(exists(f->db));
	size_t len;
	char *data = slurp(wal, &len);
	assert_int_equal(len, 11);
	free(data);
	free(wal);
}

/* ------------------------------------------------------------------ */
/* The inter-process lock */

/* While a write transaction is open the lock file names this process and
 * others cannot take the lock; after it, the lock is free and the file empty. */
static void test_lock_stamp_and_release(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f->dir, 1000);
	store_set_lock_note(s, "backup wiki\nsecond line");
	int fd = open(f->lock, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);

	CHECK_OK(store_write_begin(s, &ck_err));
	int rc = flock(fd, LOCK_EX | LOCK_NB);
	int saved = errno;
	assert_int_equal(rc, -1);
	assert_int_equal(saved, EWOULDBLOCK);
	size_t len;
	char *text = slurp(f->lock, &len);
	char *want = xasprintf("%ld\nbackup wiki\n", (long)getpid());
	assert_string_equal(text, want);
	free(want);
	free(text);
	CHECK_OK(store_write_commit(s, &ck_err));

	text = slurp(f->lock, &len);
	assert_int_equal(len, 0);
	free(text);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	assert_int_equal(flock(fd, LOCK_UN), 0);

	/* Closing checkpoints (under the lock): the database file alone then
	 * holds the row. */
	CHECK_OK(store_target_set_installed(s, "wiki", "3.0", "v3.0", "c3", &ck_err));
	close(fd);
	store_close(&s);
	char *copy = xasprintf("%s/copy.db", f->base);
	char *data = slurp(f->db, &len);
	spit(copy, data, len);
	free(data);
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(copy, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(q_int(db, "SELECT count(*) FROM targets WHERE installed_version = '3.0'"), 1);
	sqlite3_close(db);
	free(copy);
}

/* A child holds state.lock the way any upkeep process does: flock, then
 * "PID\n" in the file. Returns its pid; to_child/from_child are pipe ends. */
static pid_t spawn_raw_holder(const char *lock, int *to_child, int *from_child)
{
	int down[2], up[2];
	assert_int_equal(pipe(down), 0);
	assert_int_equal(pipe(up), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(30); /* never outlive a parent that failed an assertion */
		close(down[1]);
		close(up[0]);
		int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0 || flock(fd, LOCK_EX) < 0)
			_exit(2);
		char buf[32];
		int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
		if (ftruncate(fd, 0) < 0 || write(fd, buf, (size_t)n) != n)
			_exit(3);
		pipe_put(up[1]);
		pipe_get(down[0]); /* until the parent is done */
		_exit(0);
	}
	close(down[0]);
	close(up[1]);
	assert_true(pipe_get(up[0]));
	*to_child = down[1];
	*from_child = up[0];
	return pid;
}

static void assert_locked_by(const struct up_error *err, const char *db, pid_t pid)
{
	assert_int_equal(err->status, UP_ERR_STATE_LOCKED);
	char *want = xasprintf("state database %s is locked by PID %ld", db, (long)pid);
	if (!strstr(err->msg, want))
		fail_msg("\"%s\" does not contain \"%s\"", err->msg, want);
	free(want);
}

static void test_lock_contention(void **state)
{
	struct fixture *f = *state;
	struct up_error err = UP_ERROR_INIT;

	/* A new database is created under the lock: with the lock held
	 * elsewhere the open fails and creates nothing. */
	assert_int_equal(util_mkdir_p(f->dir, 0700), 0);
	int to_child, from_child;
	pid_t pid = spawn_raw_holder(f->lock, &to_child, &from_child);
	struct store *s = NULL;
	assert_int_equal(store_open(f->dir, 300, &s, &err), -1);
	assert_null(s);
	assert_locked_by(&err, f->db, pid);
	err_clear(&err);
	assert_false(exists(f->db));
	pipe_put(to_child);
	wait_child_ok(pid);
	close(to_child);
	close(from_child);

	/* An existing database opens for reading; writing waits, then names
	 * the holder. */
	s = open_ok(f->dir, 300);
	CHECK_OK(store_target_record_check(s, "wiki", 1, true, NULL, &ck_err));
	pid = spawn_raw_holder(f->lock, &to_child, &from_child);
	assert_int_equal(store_target_record_check(s, "wiki", 2, true, NULL, &err), -1);
	assert_locked_by(&err, f->db, pid);
	err_clear(&err);
	int64_t id;
	assert_int_equal(store_job_create(s, "check", "wiki", &id, &err), -1);
	assert_locked_by(&err, f->db, pid);
	err_clear(&err);
	struct target_state ts; /* reading does not need the lock */
	assert_int_equal(store_target_get(s, "wiki", &ts, &err), 1);
	assert_int_equal(ts.last_check, 1);
	store_target_state_free(&ts);
	pipe_put(to_child);
	wait_child_ok(pid);
	close(to_child);
	close(from_child);

	CHECK_OK(store_target_record_check(s, "wiki", 3, true, NULL, &ck_err));
	assert_int_equal(q_int(store_db(s), "SELECT last_check FROM targets"), 3);
	assert_int_equal(q_int(store_db(s), "SELECT count(*) FROM jobs"), 0);
	store_close(&s);
}

/* The holder is another store in a write transaction, with a note. */
static void test_lock_held_by_store(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f->dir, 300);
	store_close(&s);
	int down[2], up[2];
	assert_int_equal(pipe(down), 0);
	assert_int_equal(pipe(up), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(30);
		struct store *c = NULL;
		struct up_error cerr = UP_ERROR_INIT;
		if (store_open(f->dir, 1000, &c, &cerr) < 0)
			_exit(2);
		store_set_lock_note(c, "install wiki");
		if (store_write_begin(c, &cerr) < 0)
			_exit(3);
		pipe_put(up[1]);
		pipe_get(down[0]);
		store_write_rollback(c);
		store_close(&c);
		_exit(0);
	}
	close(down[0]);
	close(up[1]);
	assert_true(pipe_get(up[0]));

	s = open_ok(f->dir, 300);
	struct up_error err = UP_ERROR_INIT;
	assert_int_equal(store_target_record_outcome(s, "wiki", "ok", &err), -1);
	assert_locked_by(&err, f->db, pid);
	assert_non_null(strstr(err.msg, "(install wiki)"));
	err_clear(&err);
	pipe_put(down[1]);
	wait_child_ok(pid);
	close(down[1]);
	close(up[0]);
	CHECK_OK(store_target_record_outcome(s, "wiki", "ok", &ck_err));
	store_close(&s);
}

/* Two processes write at once, each through its own store: nothing is lost,
 * nothing is damaged. */
static void test_concurrent_writers(void **state)
{
	struct fixture *f = *state;
	enum { WRITES = 200 };
	struct store *s = open_ok(f->dir, 1000);
	int64_t job;
	CHECK_OK(store_job_create(s, "check", NULL, &job, &ck_err));
	store_close(&s); /* no connection crosses fork() */

	pid_t kids[2];
	for (int k = 0; k < 2; k++) {
		kids[k] = fork();
		assert_true(kids[k] >= 0);
		if (kids[k] == 0) {
			alarm(120);
			struct store *c = NULL;
			struct up_error cerr = UP_ERROR_INIT;
			if (store_open(f->dir, 60000, &c, &cerr) < 0)
				_exit(2);
			for (int i = 0; i < WRITES; i++) {
				char text[32];
				snprintf(text, sizeof(text), "%c %03d", 'A' + k, i);
				int rc = i % 2 ? store_job_event(c, job, "info", text, &cerr)
					       : store_target_record_check(c, k ? "b" : "a", i, true,
									   NULL, &cerr);
				if (rc < 0) {
					fprintf(stderr, "child %d: %s\n", k, cerr.msg);
					_exit(3);
				}
			}
			store_close(&c);
			_exit(0);
		}
	}
	for (int k = 0; k < 2; k++)
		wait_child_ok(kids[k]);

	s = open_ok(f->dir, 1000);
	sqlite3 *db = store_db(s);
	assert_int_equal(q_int(db, "SELECT count(*) FROM job_events"), WRITES);
	for (int k = 0; k < 2; k++) {
		char *sql = xasprintf("SELECT group_concat(text, ',') FROM (SELECT text FROM"
				      " job_events WHERE text LIKE '%c %%' ORDER BY id)", 'A' + k);
		char *got = q_text(db, sql);
		struct strbuf want = STRBUF_INIT;
		for (int i = 1; i < WRITES; i += 2)
			strbuf_addf(&want, "%s%c %03d", i > 1 ? "," : "", 'A' + k, i);
		assert_string_equal(got, want.buf);
		strbuf_release(&want);
		free(got);
		free(sql);
	}
	assert_int_equal(q_int(db, "SELECT last_check FROM targets WHERE name = 'a'"), WRITES - 2);
	assert_int_equal(q_int(db, "SELECT last_check FROM targets WHERE name = 'b'"), WRITES - 2);
	char *ok = q_text(db, "PRAGMA integrity_check");
	assert_string_equal(ok, "ok");
	free(ok);
	store_close(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_and_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pragmas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_target_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_releases_upsert_and_moved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jobs_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_job_steps_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_from_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_future_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_page_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_orphan_wal_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_stamp_and_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_contention, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_held_by_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_writers, setup, teardown),
	};
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
