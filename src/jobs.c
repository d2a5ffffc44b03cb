/* jobs.c - worker tasks that run the engine's install, archive and plan
 * functions for a front, reporting steps, progress and results through the
 * job context (worker.h). Nothing here knows about terminals. */
#include "config.h"

#include "jobs.h"

#include <stdlib.h>
#include <string.h>

#include "archive_backup.h"
#include "archive_diff.h"
#include "archive_index.h"
#include "archive_prune.h"
#include "archive_snap.h"
#include "archive_verify.h"
#include "asset.h"
#include "asset_fetch.h"
#include "i18n.h"
#include "install.h"
#include "jobsnap.h"
#include "preflight.h"
#include "restore.h"
#include "store.h"
#include "swap.h"
#include "upkeep.h"

/* The arguments of every task here; unused fields stay 0. */
struct task_arg {
	char *target, *version, *note;
	int64_t snapshot;
	unsigned flags;
	bool pinned;
};

static void task_arg_free(void *p)
{
	struct task_arg *a = p;
	free(a->target);
	free(a->version);
	free(a->note);
	free(a);
}

static struct task_arg *task_arg_new(const char *target, const char *version)
{
	struct task_arg *a = xcalloc(1, sizeof(*a));
	a->target = target ? xstrdup(target) : NULL;
	a->version = version ? xstrdup(version) : NULL;
	return a;
}

static int64_t submit(struct worker *w, const char *kind, const char *target, bool record,
		      int (*run)(struct job_ctx *, void *, struct up_error *), struct task_arg *a,
		      struct up_error *err)
{
	if (!w) {
		task_arg_free(a);
		return err_set(err, UP_ERR_INTERNAL, _("the worker is not running"));
	}
	struct worker_task t = { .kind = kind, .target = target, .record = record, .run = run,
				 .arg = a, .arg_free = task_arg_free };
	return worker_submit_task(w, &t);
}

static const struct target_cfg *find(struct job_ctx *c, const char *name, struct up_error *err)
{
	const struct target_cfg *t = config_find_target(job_ctx_config(c), name);
	if (!t)
		err_set(err, UP_ERR_NOT_FOUND, _("no target named \"%s\""), name);
	return t;
}

static int open_index(struct job_ctx *c, struct archive_index **idx, struct up_error *err)
{
	char *dir = archive_dir_for(job_ctx_config(c)->state_dir);
	int rc = archive_index_open(dir, UPKEEP_LOCK_TIMEOUT_MS, idx, err);
	free(dir);
	return rc;
}

/* ---- the plan of an install ---- */

void plan_view_free(void *p)
{
	struct plan_view *v = p;
	if (!v)
		return;
	free(v->target);
	free(v->version);
	free(v->tag);
	free(v->from);
	strvec_clear(&v->steps);
	strvec_clear(&v->drift);
	strvec_clear(&v->notes);
	free(v->refusal);
	free(v);
}

static char *hook_text(const char *cmd)
{
	return cmd ? xasprintf(_("run \"%s\""), cmd) : xstrdup(_("no hook configured"));
}

/* The steps install_run() will take for this target, in its order. */
static void plan_steps(const struct target_cfg *t, struct plan_view *v)
{
	struct strvec *s = &v->steps;
	char *url = NULL;
	struct up_error e = UP_ERROR_INIT;
	if (t->source.asset.url &&
	    asset_url_expand(t->source.asset.url, v->tag, v->version, &url, &e) == 0) {
		char *shown = asset_url_for_display(url);
		strvec_push_owned(s, xasprintf(_("download: %s, checked against the SHA-256 in %s"),
					       shown, t->source.asset.checksums
					       ? t->source.asset.checksums : _("the tag message")));
		free(shown);
	}
	err_clear(&e);
	strvec_push_owned(s, xasprintf(_("snapshot: %s"), t->backup.before_install
				       ? _("pre-update snapshot of the live tree")
				       : _("skipped (backup.before_install is false)")));
	if (url)
		strvec_push_owned(s, xasprintf(_("stage: extract the verified asset of %s beside %s"),
					       v->version, t->path));
	else
		strvec_push_owned(s, xasprintf(_("stage: write %s (%zu entries, %lld bytes) beside %s"),
					       v->version, v->entries, v->bytes, t->path));
	free(url);
	char *h = hook_text(t->hooks.pre_install);
	strvec_push_owned(s, xasprintf("pre_install: %s", h));
	free(h);
	strvec_push_owned(s, xasprintf(_("preserve: copy %zu configured path(s) from the live tree"),
				       t->n_preserve));
	strvec_push_owned(s, xasprintf(_("swap: %s"), t->layout == LAYOUT_PLAIN
				       ? _("exchange the directories atomically")
				       : _("switch the symlink to the new release")));
	h = hook_text(t->hooks.post_install);
	strvec_push_owned(s, xasprintf("post_install: %s", h));
	free(h);
	if (t->health.command || t->health.url)
		strvec_push_owned(s, xasprintf(_("health: %s%s%s (rollback when it fails)"),
					       t->health.command ? t->health.command : "",
					       t->health.command && t->health.url ? ", " : "",
					       t->health.url ? t->health.url : ""));
	else
		strvec_push(s, _("health: no health check configured"));
	strvec_push(s, _("finish: record the new version, remove the old tree"));
}

static void plan_fill(const struct target_cfg *t, struct release_plan *p, struct plan_view *v)
{
	v->target = xstrdup(t->name);
	v->version = xstrdup(p->version);
	v->tag = xstrdup(p->tag);
	v->from = p->from_version ? xstrdup(p->from_version) : NULL;
	v->bytes = p->bytes;
	v->entries = p->entries;
	v->same = p->same;
	v->downgrade = p->downgrade;
	v->free_bytes = -1;
	char *parent = swap_parent_dir(t->path);
	struct up_error e = UP_ERROR_INIT;
	if (preflight_free_space(parent, &v->free_bytes, &e) < 0)
		v->free_bytes = -1;
	err_clear(&e);
	free(parent);
	if (!p->same && preflight_check(t, 0, p, &e) < 0) {
		v->refusal = xstrdup(e.msg ? e.msg : err_status_name(e.status));
		v->drift_only = p->drift.n > 0 && e.status == UP_ERR_MISMATCH;
	}
	err_clear(&e);
	for (size_t i = 0; i < p->drift.n; i++)
		strvec_push(&v->drift, p->drift.items[i]);
	for (size_t i = 0; i < p->notes.n; i++)
		strvec_push(&v->notes, p->notes.items[i]);
	plan_steps(t, v);
}

static int run_plan(struct job_ctx *c, void *arg, struct up_error *err)
{
	struct task_arg *a = arg;
	const struct target_cfg *t = find(c, a->target, err);
	if (!t)
		return -1;
	struct target_state ts = { 0 };
	struct store *s = job_ctx_store(c);
	if (s && store_target_get(s, t->name, &ts, err) < 0)
		return -1;
	job_ctx_step(c, "preflight");
	struct release_plan p = { 0 };
	int rc = preflight_resolve(job_ctx_config(c), t, &ts, a->version, &p, err);
	if (rc == 0) {
		struct plan_view *v = xcalloc(1, sizeof(*v));
		plan_fill(t, &p, v);
		job_ctx_result(c, v, plan_view_free);
	}
	release_plan_clear(&p);
	store_target_state_free(&ts);
	return rc;
}

int64_t jobs_submit_plan(struct worker *w, const char *target, const char *version,
			 struct up_error *err)
{
	return submit(w, "plan", target, false, run_plan, task_arg_new(target, version), err);
}

/* ---- install ---- */

static int run_install(struct job_ctx *c, void *arg, struct up_error *err)
{
	struct task_arg *a = arg;
	const struct target_cfg *t = find(c, a->target, err);
	if (!t)
		return -1;
	struct install_result r;
	unsigned flags = a->flags & JOBS_FORCE_DRIFT ? INSTALL_FORCE_DRIFT : 0;
	job_ctx_step(c, "install");
	int rc = install_run(job_ctx_config(c), t, a->version, flags, job_ctx_cancel(c), &r, err);
	job_ctx_set_store_id(c, r.job);
	for (size_t i = 0; i < r.log.n; i++)
		job_ctx_log(c, "info", "%s", r.log.items[i]);
	if (r.evidence && r.evidence[0])
		job_ctx_log(c, "error", _("evidence: %s"), r.evidence);
	if (r.advice)
		job_ctx_log(c, "error", "%s", r.advice);
	job_ctx_log(c, rc == 0 ? "info" : "error", "%s: %s", t->name,
		    install_outcome_name(r.outcome));
	install_result_clear(&r);
	return rc;
}

int64_t jobs_submit_install(struct worker *w, const char *target, const char *version,
			    unsigned flags, struct up_error *err)
{
	struct task_arg *a = task_arg_new(target, version);
	a->flags = flags;
	return submit(w, "install", target, false, run_install, a, err);
}

/* ---- backup ---- */

struct backup_progress {
	struct job_ctx *c;
	long long files_total, bytes_total;  /* the previous snapshot's, an estimate */
};

static void on_backup_progress(void *ctx, const struct backup_result *r)
{
	struct backup_progress *p = ctx;
	job_ctx_progress(p->c, r->bytes, p->bytes_total, r->files, p->files_total);
}

/* The previous snapshot of the target sizes the bar (0 = none). */
static void previous_totals(struct archive_index *idx, const char *target,
			    struct backup_progress *p)
{
	struct snapshot_info *v = NULL;
	size_t n = 0;
	struct up_error e = UP_ERROR_INIT;
	if (archive_snapshots_list(idx, target, &v, &n, &e) == 0 && n > 0) {
		p->files_total = v[n - 1].files;
		p->bytes_total = v[n - 1].bytes;
	}
	err_clear(&e);
	snapshot_infos_free(&v, n);
}

static void dump_note(void *ctx, const char *level, const char *text)
{
	job_ctx_log(ctx, level, "%s", text);
}

static int run_backup(struct job_ctx *c, void *arg, struct up_error *err)
{
	struct task_arg *a = arg;
	const struct target_cfg *t = find(c, a->target, err);
	struct archive_index *idx = NULL;
	if (!t || open_index(c, &idx, err) < 0)
		return -1;
	struct target_state ts = { 0 };
	if (job_ctx_store(c))
		store_target_get(job_ctx_store(c), t->name, &ts, NULL);
	struct backup_progress prog = { .c = c };
	previous_totals(idx, t->name, &prog);
	struct backup_opts bo = { .target = t->name, .path = t->path, .version = ts.installed_version,
				  .reason = "manual", .note = a->note, .level = t->backup.compression,
				  .progress = on_backup_progress, .progress_ctx = &prog,
				  .cancel = job_ctx_cancel(c) };
	struct backup_result r = { 0 };
	struct jobsnap js = { 0 };
	job_ctx_step(c, "snapshot");
	int rc = jobsnap_backup_dumps(&js, job_ctx_config(c)->state_dir, t, "backup",
				      job_ctx_store_id(c), &bo, dump_note, c, err);
	if (rc == 0)
		rc = archive_backup(idx, &bo, &r, err);
	jobsnap_clear(&js);
	if (rc == 0) {
		job_ctx_progress(c, r.bytes, r.bytes, r.files, r.files);
		for (size_t i = 0; i < r.warnings.n; i++)
			job_ctx_log(c, "warning", "%s", r.warnings.items[i]);
		job_ctx_log(c, "info", _("snapshot %lld: %lld files, %lld bytes, %lld new bytes"),
			    (long long)r.id, r.files, r.bytes, r.new_bytes);
	}
	backup_result_clear(&r);
	store_target_state_free(&ts);
	archive_index_close(&idx);
	return rc;
}

int64_t jobs_submit_backup(struct worker *w, const char *target, const char *note,
			   struct up_error *err)
{
	struct task_arg *a = task_arg_new(target, NULL);
	a->note = note ? xstrdup(note) : NULL;
	return submit(w, "backup", target, true, run_backup, a, err);
}

/* ---- verify ---- */

static void on_verify_progress(void *ctx, const struct verify_result *r)
{
	job_ctx_progress(ctx, r->bytes, r->total_bytes, r->packs, r->total_packs);
}

static int run_verify(struct job_ctx *c, void *arg, struct up_error *err)
{
	struct task_arg *a = arg;
	struct archive_index *idx = NULL;
	if (open_index(c, &idx, err) < 0)
		return -1;
	struct verify_opts vo = { .snapshot = a->snapshot, .read_data = true, .record = true,
				  .progress = on_verify_progress, .progress_ctx = c,
				  .cancel = job_ctx_cancel(c) };
	struct verify_result r;
	job_ctx_step(c, "verify");
	int rc = archive_verify(idx, &vo, &r, err);
	if (rc == 0) {
		for (size_t i = 0; i < r.n_problems; i++)
			job_ctx_log(c, "error", "%s%s%s", r.problems[i].path ? r.problems[i].path : "",
				    r.problems[i].path ? ": " : "", r.problems[i].what);
		job_ctx_log(c, "info", _("verified %lld snapshots in %lld archive files: %s"),
			    r.snapshots, r.packs, r.n_problems ? _("DAMAGED") : _("ok"));
		if (r.n_problems)
			rc = err_set(err, UP_ERR_MISMATCH, _("%zu problems found"), r.n_problems);
	}
	verify_result_clear(&r);
	archive_index_close(&idx);
	return rc;
}

int64_t jobs_submit_verify(struct worker *w, int64_t snapshot, struct up_error *err)
{
	struct task_arg *a = task_arg_new(NULL, NULL);
	a->snapshot = snapshot;
	return submit(w, "verify", NULL, true, run_verify, a, err);
}

/* ---- pin, forget ---- */

static int run_pin(struct job_ctx *c, void *arg, struct up_error *err)
{
	struct task_arg *a = arg;
	struct archive_index *idx = NULL;
	if (open_index(c, &idx, err) < 0)
		return -1;
	int rc = archive_snapshot_set_pinned(idx, a->snapshot, a->pinned, err);
	if (rc == 0)
		job_ctx_log(c, "info", a->pinned ? _("snapshot %lld pinned") : _("snapshot %lld unpinned"),
			    (long long)a->snapshot);
	archive_index_close(&idx);
	return rc;
}

int64_t jobs_submit_pin(struct worker *w, int64_t snapshot, bool pinned, struct up_error *err)
{
	struct task_arg *a = task_arg_new(NULL, NULL);
	a->snapshot = snapshot;
	a->pinned = pinned;
	return submit(w, pinned ? "pin" : "unpin", NULL, false, run_pin, a, err);
}

static int run_forget(struct job_ctx *c, void *arg, struct up_error *err)
{
	struct task_arg *a = arg;
	struct archive_index *idx = NULL;
	if (open_index(c, &idx, err) < 0)
		return -1;
	struct snapshot_info si = { 0 };
	int rc = archive_snapshot_get(idx, a->snapshot, &si, err);
	if (rc == 0 && si.pinned)
		rc = err_set(err, UP_ERR_USAGE, _("snapshot %lld is pinned; unpin it first"),
			     (long long)a->snapshot);
	struct prune_result r;
	job_ctx_step(c, "forget");
	if (rc == 0 && (rc = archive_prune(idx, &a->snapshot, 1, false, &r, err)) == 0) {
		job_ctx_log(c, "info", _("removed snapshot %lld: %lld chunks, %lld archive files, %lld bytes freed"),
			    (long long)a->snapshot, r.chunks, r.packs, r.pack_bytes);
		prune_result_clear(&r);
	}
	snapshot_info_clear(&si);
	archive_index_close(&idx);
	return rc;
}

int64_t jobs_submit_forget(struct worker *w, int64_t snapshot, struct up_error *err)
{
	struct task_arg *a = task_arg_new(NULL, NULL);
	a->snapshot = snapshot;
	return submit(w, "forget", NULL, true, run_forget, a, err);
}

/* ---- a snapshot against the live tree ---- */

void diff_view_free(void *p)
{
	struct diff_view *v = p;
	if (!v)
		return;
	strvec_clear(&v->added);
	strvec_clear(&v->removed);
	strvec_clear(&v->changed);
	free(v->error);
	free(v);
}

static void on_diff_item(void *ctx, const struct diff_item *it)
{
	struct diff_view *v = ctx;
	struct strvec *to = it->change == DIFF_ADDED ? &v->added
			    : it->change == DIFF_REMOVED ? &v->removed : &v->changed;
	strvec_push(to, it->path);
}

static int run_diff(struct job_ctx *c, void *arg, struct up_error *err)
{
	struct task_arg *a = arg;
	const struct target_cfg *t = find(c, a->target, err);
	struct archive_index *idx = NULL;
	if (!t || open_index(c, &idx, err) < 0)
		return -1;
	struct snapshot_info si = { 0 };
	struct diff_view *v = xcalloc(1, sizeof(*v));
	v->snapshot = a->snapshot;
	struct up_error e = UP_ERROR_INIT;
	if (archive_snapshot_get(idx, a->snapshot, &si, &e) < 0 ||
	    archive_diff_live(archive_index_db(idx), si.root, t->path, on_diff_item, v, &e) < 0)
		v->error = xstrdup(e.msg ? e.msg : err_status_name(e.status));
	err_clear(&e);
	job_ctx_result(c, v, diff_view_free);
	snapshot_info_clear(&si);
	archive_index_close(&idx);
	return 0;
}

int64_t jobs_submit_diff(struct worker *w, const char *target, int64_t snapshot,
			 struct up_error *err)
{
	struct task_arg *a = task_arg_new(target, NULL);
	a->snapshot = snapshot;
	return submit(w, "diff", target, false, run_diff, a, err);
}

/* ---- restore in place ---- */

static int run_restore(struct job_ctx *c, void *arg, struct up_error *err)
{
	struct task_arg *a = arg;
	const struct target_cfg *t = find(c, a->target, err);
	if (!t)
		return -1;
	const char *paths[1] = { a->version };  /* the path rides in `version` */
	struct restore_request rq = { .snapshot = a->snapshot, .paths = a->version ? paths : NULL,
				      .n_paths = a->version ? 1 : 0, .cancel = job_ctx_cancel(c) };
	struct install_result r;
	job_ctx_step(c, "restore");
	int rc = restore_run(job_ctx_config(c), t, &rq, &r, err);
	job_ctx_set_store_id(c, r.job);
	for (size_t i = 0; i < r.log.n; i++)
		job_ctx_log(c, "info", "%s", r.log.items[i]);
	if (r.evidence && r.evidence[0])
		job_ctx_log(c, "error", _("evidence: %s"), r.evidence);
	if (r.advice)
		job_ctx_log(c, "error", "%s", r.advice);
	job_ctx_log(c, rc == 0 ? "info" : "error", "%s: %s", t->name,
		    rc == 0 ? _("restored") : install_outcome_name(r.outcome));
	install_result_clear(&r);
	return rc;
}

int64_t jobs_submit_restore(struct worker *w, const char *target, int64_t snapshot,
			    const char *path, struct up_error *err)
{
	struct task_arg *a = task_arg_new(target, path);
	a->snapshot = snapshot;
	return submit(w, "restore", target, false, run_restore, a, err);
}
