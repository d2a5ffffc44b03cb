/* drill.c - restore drills: restore, compare, check, time, record. */
#include "config.h"

#include "drill.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_diff.h"
#include "archive_index.h"
#include "archive_restore.h"
#include "archive_snap.h"
#include "escape.h"
#include "hooks.h"
#include "i18n.h"
#include "log.h"
#include "stage.h"
#include "store.h"
#include "upkeep.h"
#include "util.h"

/* How many differing paths a failed comparison names. */
#define DRILL_SHOW_DIFFS 20

void drill_result_clear(struct drill_result *r)
{
	free(r->failed_step);
	free(r->evidence);
	free(r->version);
	*r = (struct drill_result){ .previous_ms = -1 };
}

struct drill {
	const struct config *cfg;
	const struct target_cfg *t;
	struct store *s;
	struct archive_index *idx;
	struct drill_result *r;
	struct snapshot_info snap;
	char *scratch;     /* the mkdtemp directory */
	char *tree;        /* scratch/tree: the restored snapshot */
	const volatile int *cancel;
	struct up_error err;
};

static void note(struct drill *d, const char *level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void note(struct drill *d, const char *level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = xvasprintf(fmt, ap);
	va_end(ap);
	if (d->r->job)
		store_job_event(d->s, d->r->job, level, text, NULL);
	log_job(d->r->job, log_level_parse(level), "%s: drill: %s", d->t->name, text);
	free(text);
}

/* ---- steps ---- */

static int step_snapshot(struct drill *d)
{
	struct snapshot_info *v = NULL;
	size_t n = 0;
	if (archive_snapshots_list(d->idx, d->t->name, &v, &n, &d->err) < 0)
		return -1;
	if (n == 0) {
		snapshot_infos_free(&v, n);
		return err_set(&d->err, UP_ERR_NOT_FOUND, _("%s: no snapshot to restore"), d->t->name);
	}
	d->snap = v[n - 1]; /* oldest first: the newest is last */
	memset(&v[n - 1], 0, sizeof(v[n - 1]));
	snapshot_infos_free(&v, n);
	d->r->snapshot = d->snap.id;
	d->r->version = d->snap.version ? xstrdup(d->snap.version) : NULL;
	note(d, "info", "snapshot %lld of %s (%lld files, %lld bytes)", (long long)d->snap.id,
	     d->t->name, d->snap.files, d->snap.bytes);
	return 0;
}

/* A drill reads and compares every byte of the snapshot: a data
 * verification, recorded in the index as `verify --read-data` would. Only
 * its own outcome (error NULL: passed) or archive damage (UP_ERR_MISMATCH)
 * counts; a full scratch disk says nothing about the snapshot. */
static void record_verified(struct drill *d, const char *error)
{
	struct up_error e = UP_ERROR_INIT;
	if (archive_snapshot_set_verified(d->idx, d->snap.id, true, error, &e) < 0)
		note(d, "warning", "recording the verification of snapshot %lld: %s",
		     (long long)d->snap.id, e.msg);
	err_clear(&e);
}

static int step_restore(struct drill *d)
{
	char *parent = d->t->drill.dir ? xstrdup(d->t->drill.dir)
		: xasprintf("%s/drills", d->cfg->state_dir);
	if (util_mkdir_p(parent, 0700) < 0) {
		err_set(&d->err, UP_ERR_IO, "%s: %s", parent, strerror(errno));
		free(parent);
		return -1;
	}
	d->scratch = xasprintf("%s/%s-XXXXXX", parent, d->t->name);
	free(parent);
	if (!mkdtemp(d->scratch)) {
		err_set(&d->err, UP_ERR_IO, "%s: %s", d->scratch, strerror(errno));
		FREE(d->scratch);
		return -1;
	}
	d->tree = xasprintf("%s/tree", d->scratch);
	struct restore_opts ro = { .snapshot = d->snap.id, .dest = d->tree, .cancel = d->cancel };
	struct restore_result res = { 0 };
	long long t0 = util_monotonic_ms();
	int rc = archive_restore(d->idx, &ro, &res, &d->err);
	d->r->restore_ms = util_monotonic_ms() - t0;
	if (rc < 0 && d->err.status == UP_ERR_MISMATCH)
		record_verified(d, d->err.msg);
	if (rc < 0)
		return err_prefix(&d->err, _("restoring snapshot %lld"), (long long)d->snap.id);
	d->r->files = res.files;
	d->r->bytes = res.bytes;
	note(d, "info", "restored %lld files, %lld bytes into %s in %lld ms", res.files, res.bytes,
	     d->tree, d->r->restore_ms);
	return 0;
}

struct compare {
	long long n;
	struct strbuf shown;
};

static void on_difference(void *ctx, const struct diff_item *it)
{
	struct compare *c = ctx;
	if (c->n++ >= DRILL_SHOW_DIFFS)
		return;
	static const char *const change[] = { "only restored", "missing", "differs" };
	char *path = escape_text(it->path, (size_t)-1, 200, 0);
	strbuf_addf(&c->shown, "%s%s: %s%s%s", c->shown.len ? "\n" : "", path, change[it->change],
		    it->what ? " " : "", it->what ? it->what : "");
	free(path);
}

static int step_compare(struct drill *d)
{
	struct compare c = { 0, STRBUF_INIT };
	int rc = archive_diff_live(archive_index_db(d->idx), d->snap.root, d->tree, on_difference,
				   &c, &d->err);
	d->r->differences = c.n;
	if (rc == 0 && c.n > 0) {
		free(d->r->evidence);
		d->r->evidence = strbuf_detach(&c.shown);
		rc = err_set(&d->err, UP_ERR_MISMATCH, ngettext("the restored tree differs from snapshot %lld in %lld path",
				      "the restored tree differs from snapshot %lld in %lld paths",
				      (unsigned long)c.n),
			     (long long)d->snap.id, c.n);
	} else if (rc == 0) {
		note(d, "info", "the restored tree matches the index of snapshot %lld",
		     (long long)d->snap.id);
	}
	if (rc == 0 || d->err.status == UP_ERR_MISMATCH)
		record_verified(d, rc == 0 ? NULL : d->err.msg);
	strbuf_release(&c.shown);
	return rc;
}

static int step_check(struct drill *d)
{
	if (!d->t->drill.check)
		return 0;
	struct hook_env env = { .target = d->t->name, .path = d->tree, .phase = "drill",
				.from = d->snap.version, .to = d->snap.version, .cancel = d->cancel };
	struct hook_result hr = { 0 };
	int rc = hooks_run_command(d->t->drill.check, &env, d->t->drill.timeout_ms, &hr, &d->err);
	if (rc < 0 && hr.output && hr.output[0]) {
		free(d->r->evidence);
		d->r->evidence = escape_text(hr.output, (size_t)-1, 0, ESCAPE_KEEP_NEWLINES);
	}
	if (rc == 0)
		note(d, "info", "check passed in %lld ms", hr.duration_ms);
	hook_result_clear(&hr);
	return rc;
}

/* ---- the record ---- */

/* The previous successful drill's restore time, -1 when none. */
static long long previous_ms(struct store *s, const char *target, int64_t job)
{
	sqlite3_stmt *st = NULL;
	long long ms = -1;
	if (sqlite3_prepare_v2(store_db(s), "SELECT restore_ms FROM drills WHERE target = ?1 AND "
			       "ok = 1 AND job_id <> ?2 ORDER BY time DESC, job_id DESC LIMIT 1",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, target, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, job);
		if (sqlite3_step(st) == SQLITE_ROW)
			ms = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return ms;
}

long long drill_last_time(struct store *s, const char *target)
{
	sqlite3_stmt *st = NULL;
	long long t = 0;
	if (s && sqlite3_prepare_v2(store_db(s), "SELECT max(time) FROM drills WHERE target = ?1",
				    -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, target, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			t = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return t;
}

static int record(struct drill *d, const char *error, struct up_error *err)
{
	const struct drill_result *r = d->r;
	if (store_write_begin(d->s, err) < 0)
		return -1;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(store_db(d->s), "INSERT INTO drills (job_id, target, snapshot, "
				    "time, ok, restore_ms, files, bytes, slower, error) VALUES "
				    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, r->job);
		sqlite3_bind_text(st, 2, d->t->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, r->snapshot);
		sqlite3_bind_int64(st, 4, archive_now());
		sqlite3_bind_int(st, 5, r->ok);
		sqlite3_bind_int64(st, 6, r->restore_ms);
		sqlite3_bind_int64(st, 7, r->files);
		sqlite3_bind_int64(st, 8, r->bytes);
		sqlite3_bind_int(st, 9, r->slower);
		if (error)
			sqlite3_bind_text(st, 10, error, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		err_set(err, UP_ERR_STATE, _("state database: recording drill %lld: %s"),
			(long long)r->job, sqlite3_errmsg(store_db(d->s)));
		store_write_rollback(d->s);
		return -1;
	}
	return store_write_commit(d->s, err);
}

/* Slower: more than 1.5 times the previous time, by at least the tolerance. */
static void judge_time(struct drill *d)
{
	struct drill_result *r = d->r;
	r->previous_ms = previous_ms(d->s, d->t->name, r->job);
	if (r->previous_ms < 0)
		return;
	r->slower = r->restore_ms * 2 > r->previous_ms * 3 &&
		    r->restore_ms - r->previous_ms >= d->t->drill.tolerance_ms;
	if (r->slower)
		note(d, "warning", "slower: the restore took %lld ms, the previous drill's %lld ms",
		     r->restore_ms, r->previous_ms);
}

/* ---- the job ---- */

static int run_steps(struct drill *d)
{
	static const struct {
		const char *name;
		int (*fn)(struct drill *d);
	} steps[] = {
		{ "snapshot", step_snapshot },
		{ "restore", step_restore },
		{ "compare", step_compare },
		{ "check", step_check },
	};
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		int64_t step = 0;
		if (store_job_step_begin(d->s, d->r->job, steps[i].name, &step, &d->err) < 0)
			return -1;
		log_job(d->r->job, LOG_LVL_STEP, "%s: drill: step %s", d->t->name, steps[i].name);
		int rc = steps[i].fn(d);
		store_job_step_end(d->s, step, rc == 0, rc == 0 ? NULL : d->err.msg, NULL);
		if (rc < 0) {
			d->r->failed_step = xstrdup(steps[i].name);
			return -1;
		}
	}
	return 0;
}

int drill_run(const struct config *cfg, const struct target_cfg *t, const volatile int *cancel,
	      struct drill_result *r, struct up_error *err)
{
	*r = (struct drill_result){ .previous_ms = -1 };
	struct drill d = { .cfg = cfg, .t = t, .r = r, .cancel = cancel };
	int rc = store_open(cfg->state_dir, UPKEEP_LOCK_TIMEOUT_MS, &d.s, &d.err);
	if (rc == 0 && (rc = store_job_create(d.s, "drill", t->name, &r->job, &d.err)) == 0)
		rc = store_job_set_state(d.s, r->job, JOB_RUNNING, NULL, &d.err);
	if (rc == 0) {
		char *dir = archive_dir_for(cfg->state_dir);
		rc = archive_index_open(dir, UPKEEP_LOCK_TIMEOUT_MS, &d.idx, &d.err);
		free(dir);
	}
	if (rc == 0)
		rc = run_steps(&d);
	if (d.scratch) {
		struct up_error e = UP_ERROR_INIT;
		if (stage_remove_tree(d.scratch, &e) < 0)
			note(&d, "warning", "removing %s: %s", d.scratch, e.msg);
		err_clear(&e);
	}
	r->ok = rc == 0;
	r->cancelled = rc < 0 && d.err.status == UP_ERR_CANCELLED;
	if (r->job && r->cancelled) {
		note(&d, "warning", "cancelled at %s: %s", r->failed_step ? r->failed_step : "start",
		     d.err.msg ? d.err.msg : "?");
		store_job_set_state(d.s, r->job, JOB_CANCELLED, d.err.msg, NULL);
	} else if (r->job) {
		if (r->ok)
			judge_time(&d);
		else
			note(&d, "error", "failed at %s: %s", r->failed_step ? r->failed_step : "start",
			     d.err.msg ? d.err.msg : "?");
		struct up_error e = UP_ERROR_INIT;
		if (record(&d, r->ok ? NULL : d.err.msg, &e) < 0 && rc == 0) {
			rc = -1;
			r->ok = false;
			err_set(&d.err, e.status, "%s", e.msg);
		}
		err_clear(&e);
		store_job_set_state(d.s, r->job, r->ok ? JOB_OK : JOB_FAILED,
				    r->ok ? NULL : d.err.msg, NULL);
	}
	if (rc < 0)
		err_set(err, d.err.status ? d.err.status : UP_ERR_INTERNAL, "%s",
			d.err.msg ? d.err.msg : "drill failed");
	snapshot_info_clear(&d.snap);
	archive_index_close(&d.idx);
	store_close(&d.s);
	free(d.scratch);
	free(d.tree);
	err_clear(&d.err);
	return rc;
}
