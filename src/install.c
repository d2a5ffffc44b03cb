/* install.c - the guarded install job: journal, lock, steps, rollback. */
#include "config.h"

#include "install.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive_backup.h"
#include "archive_index.h"
#include "asset.h"
#include "asset_extract.h"
#include "asset_tree.h"
#include "escape.h"
#include "i18n.h"
#include "jobsnap.h"
#include "lockfile.h"
#include "stage.h"
#include "store.h"
#include "swap.h"
#include "switchjob.h"
#include "switchover.h"
#include "upkeep.h"

const char *install_outcome_name(enum install_outcome o)
{
	static const char *const names[] = { "failed", "installed", "already installed",
					     "rolled back", "rollback failed", "cancelled",
					     "cancelled, rolled back" };
	return names[o];
}

void install_result_clear(struct install_result *r)
{
	free(r->from);
	free(r->to);
	free(r->tag);
	free(r->failed_step);
	free(r->evidence);
	free(r->advice);
	free(r->verdict);
	free(r->trust);
	strvec_clear(&r->drift);
	strvec_clear(&r->log);
	*r = (struct install_result){ 0 };
}

int install_exit_code(const struct install_result *r, const struct up_error *err)
{
	switch (r->outcome) {
	case INSTALL_DONE:
	case INSTALL_CURRENT: return EXIT_OK;
	case INSTALL_ROLLED_BACK: return EXIT_ROLLED_BACK;
	case INSTALL_BROKEN: return EXIT_BROKEN;
	case INSTALL_CANCELLED:
	case INSTALL_CANCELLED_BACK: return EXIT_CANCELLED;
	case INSTALL_FAILED: break;
	}
	if (r->untrusted)
		return EXIT_UNTRUSTED;
	if (r->drift.n && err->status == UP_ERR_MISMATCH)
		return EXIT_MISMATCH;
	if (err->status == UP_ERR_STATE_LOCKED || err->status == UP_ERR_STATE ||
	    err->status == UP_ERR_STATE_CORRUPT || err->status == UP_ERR_CONFIG)
		return err_exit_code(err->status);
	return EXIT_FAILED;
}

/* ---- the target lock ---- */

void install_lock_note(int fd, int64_t job, const char *step)
{
	char host[256] = "";
	gethostname(host, sizeof host - 1);
	char *note = xasprintf("install job %lld, step %s, host %s", (long long)job, step ? step : "-",
			       host);
	lockfile_note(fd, note);
	free(note);
}

int install_lock_target(const char *state_dir, const char *target, int *fd,
			struct up_error *err)
{
	char *dir = xasprintf("%s/locks", state_dir);
	char *path = xasprintf("%s/%s.lock", dir, target);
	char *what = xasprintf("target %s", target);
	int rc = 0;
	*fd = -1;
	if (util_mkdir_p(dir, 0700) < 0)
		rc = err_set(err, UP_ERR_IO, "%s: %s", dir, strerror(errno));
	else if ((*fd = lockfile_open(path, err)) < 0)
		rc = -1;
	else if (lockfile_acquire(*fd, what, 0, "install job 0, step preflight", err) < 0) {
		close(*fd);
		*fd = -1;
		rc = -1;
	}
	free(what);
	free(path);
	free(dir);
	return rc;
}

/* ---- the job ---- */

struct job {
	struct switchover sw;  /* first: the steps get &j->sw */
	const struct config *cfg;
	const struct target_cfg *t;
	unsigned flags;
	struct release_plan plan;
	struct asset_plan asset;  /* a target with asset: the verified download */
	struct jobsnap snap;
	struct install_result *r;
};

#define JOB(sw) ((struct job *)(sw))
#define journal switchover_journal

/* ---- the steps before the switch ---- */

static int do_snapshot(struct switchover *sw, void *ctx)
{
	(void)ctx;
	struct job *j = JOB(sw);
	if (!j->t->backup.before_install) {
		if (j->plan.irreversible && sw->live_existed)
			return err_set(&sw->err, UP_ERR_MISMATCH,
				       _("%s declares an irreversible migration: it is installed only after a "
				       "pre-update snapshot has verified, and backup.before_install is false"),
				       j->plan.version);
		journal(sw, "warning", "snapshot: skipped (backup.before_install is false)");
		return 0;
	}
	if (!sw->live_existed) {
		journal(sw, "info", "snapshot: nothing installed yet");
		return 0;
	}
	j->snap.reason = "pre-update";
	j->snap.version = j->plan.from_version;
	j->snap.verify = j->plan.irreversible;
	if (jobsnap_scratch(&j->snap, j->cfg->state_dir, "install", sw->job, &sw->err) < 0)
		return -1;
	if (jobsnap_take(sw, &j->snap, j->cfg->state_dir) < 0)
		return -1;
	return j->snap.dumps ? jobsnap_data_back(sw, &j->snap) : 0;
}

/* What the pre-update snapshot will store, for the free-space check. */
static void estimate_snapshot(struct job *j)
{
	struct stat st;
	if (!j->t->backup.before_install || stat(j->t->path, &st) < 0)
		return;
	struct up_error e = UP_ERROR_INIT;
	j->plan.archive_dir = archive_dir_for(j->cfg->state_dir);
	if (jobsnap_estimate(j->cfg->state_dir, j->t, &j->plan.snapshot_bytes, &e) < 0)
		journal(&j->sw, "warning", "free space: the snapshot's size is not known: %s", e.msg);
	err_clear(&e);
}

/* Download progress goes to the job's events only, the rest to the journal. */
static void asset_note(void *ctx, const char *level, const char *text)
{
	struct switchover *sw = ctx;
	if (strcmp(level, "progress") != 0) {
		journal(sw, level, "%s", text);
		return;
	}
	struct up_error e = UP_ERROR_INIT;
	store_job_event(sw->s, sw->job, level, text, &e);
	err_clear(&e);
}

static int do_download(struct switchover *sw, void *ctx)
{
	(void)ctx;
	struct job *j = JOB(sw);
	struct asset_release rel = { .tag = j->plan.tag, .version = j->plan.version,
				     .repo_dir = j->plan.cache_dir, .commit = j->plan.commit,
				     .tree = j->plan.tree, .object = j->plan.object };
	struct asset_events ev = { .note = asset_note, .ctx = sw, .cancel = switchover_cancel(sw) };
	return asset_prepare(j->cfg, j->t, &rel, &ev, &j->asset, &sw->err);
}

static int release_dirs(struct job *j)
{
	struct switchover *sw = &j->sw;
	if (j->t->layout == LAYOUT_PLAIN) {
		sw->staging = stage_dir_for(j->t->path, j->t->name);
		return 0;
	}
	const char *why = stage_name_problem(j->plan.version);
	if (why)
		return err_set(&sw->err, UP_ERR_MISMATCH,
			       _("version %s cannot name a release directory: %s"), j->plan.version, why);
	char *parent = swap_parent_dir(j->t->path);
	sw->releases = xasprintf("%s/releases", parent);
	sw->staging = xasprintf("%s/%s", sw->releases, j->plan.version);
	sw->new_link = xasprintf("releases/%s", j->plan.version);
	free(parent);
	if (util_mkdir_p(sw->releases, 0755) < 0)
		return err_set(&sw->err, UP_ERR_IO, "%s: %s", sw->releases, strerror(errno));
	return swap_link_read(j->t->path, &sw->old_link, &sw->err);
}

/* The listing of the extracted asset, kept for the drift check of the
 * next install (before preserve: paths are carried into the staging). */
static int list_asset(struct job *j)
{
	struct switchover *sw = &j->sw;
	char *file = asset_tree_file(j->plan.asset_trees, j->asset.sha256);
	int rc = 0;
	if (access(file, F_OK) != 0) {
		rc = asset_tree_write(sw->staging, file, &sw->err);
		if (rc < 0)
			err_prefix(&sw->err, _("listing the extracted asset"));
		else
			journal(sw, "info", "stage: listed the asset's tree in %s", file);
	}
	free(file);
	return rc;
}

static int do_stage(struct switchover *sw, void *ctx)
{
	(void)ctx;
	struct job *j = JOB(sw);
	struct stat like;
	if (stat(j->t->path, &like) < 0) {
		like = (struct stat){ .st_mode = S_IFDIR | 0755, .st_uid = geteuid(), .st_gid = getegid() };
	}
	struct stat st;
	if (lstat(sw->staging, &st) == 0) {
		/* a leftover of an earlier run of upkeep's own (the name says so) */
		journal(sw, "warning", "stage: removing leftover %s", sw->staging);
		if (stage_remove_tree(sw->staging, &sw->err) < 0)
			return -1;
	}
	struct stage_stats ss;
	struct stage_limits lim = STAGE_LIMITS_DEFAULT;
	lim.cancel = switchover_cancel(sw);
	bool asset = j->asset.file != NULL;
	int rc = asset ? asset_extract(j->asset.file, sw->staging, j->t->source.asset.strip_components,
				       &like, &lim, &ss, &sw->err)
		       : stage_write_tree(j->plan.cache_dir, j->plan.tree, sw->staging, &like, &lim, &ss,
					  &sw->err);
	if (rc < 0)
		return err_prefix(&sw->err, asset ? _("stage %s from its asset into %s") : _("stage %s into %s"),
				  j->plan.version, sw->staging);
	journal(sw, "info", "stage: %s (%s %s): %zu files, %zu directories, %zu links, %lld bytes",
		sw->staging, asset ? "asset" : "tree", asset ? j->asset.sha256 : j->plan.tree, ss.files,
		ss.dirs, ss.links, ss.bytes);
	return asset ? list_asset(j) : 0;
}

/* ---- outcome ---- */

static int step_finish(struct switchover *sw, void *ctx)
{
	(void)ctx;
	struct job *j = JOB(sw);
	const struct release_plan *p = &j->plan;
	if (store_target_set_installed(sw->s, j->t->name, p->version, p->tag, p->commit, &sw->err) < 0)
		return -1;
	struct target_state ts = { 0 };
	int rc = store_target_get(sw->s, j->t->name, &ts, &sw->err);
	if (rc >= 0 && ts.highest_version &&
	    preflight_compare_versions(j->t, p->version, ts.highest_version) == 1)
		rc = store_target_set_highest(sw->s, j->t->name, p->version, &sw->err);
	store_target_state_free(&ts);
	if (rc < 0)
		return -1;
	if (j->t->layout == LAYOUT_PLAIN && sw->live_existed) {
		switchover_remove_quietly(sw, sw->staging, _("removing the old tree"));
	} else if (j->t->layout == LAYOUT_RELEASES) {
		const char *protect[] = { p->version, switchover_base_name(sw->old_link) };
		struct up_error e = UP_ERROR_INIT;
		if (swap_prune_releases(sw->releases, j->t->keep_releases, protect, 2, &e) < 0)
			journal(sw, "warning", "pruning releases: %s", e.msg);
		err_clear(&e);
	}
	journal(sw, "info", "finish: %s installed", p->version);
	if (j->asset.file)
		asset_tree_prune(p->asset_trees, j->asset.sha256);
	if (j->snap.id)
		jobsnap_prune(sw, j->cfg->state_dir, j->snap.id);
	return 0;
}

/* ---- the job ---- */

/* Compares the tag's object with the one it had when first seen (by a
 * check or an earlier install), and records the release with its verdict
 * (a tag never seen before is first seen now). */
static int note_release(struct job *j, struct switchover *sw)
{
	struct release_plan *p = &j->plan;
	struct release_seen *seen = NULL;
	size_t n = 0;
	if (store_releases_list(sw->s, j->t->name, &seen, &n, &sw->err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (strcmp(seen[i].tag, p->tag) == 0 && seen[i].first_object) {
			p->moved = seen[i].moved || strcmp(seen[i].first_object, p->object) != 0;
			p->first_object = xstrdup(seen[i].first_object);
		}
	for (size_t i = 0; i < n; i++)
		store_release_seen_free(&seen[i]);
	free(seen);
	char *trust = tagverify_describe(&p->trust);
	struct release_seen row = { .tag = p->tag, .version = p->version, .object = p->object,
				    .verdict = (char *)tagverify_verdict_name(p->trust.verdict),
				    .trust = trust };
	int rc = store_releases_record(sw->s, j->t->name, &row, 1, &sw->err);
	free(trust);
	return rc;
}

static int step_preflight(struct switchover *sw, void *ctx)
{
	(void)ctx;
	struct job *j = JOB(sw);
	struct target_state ts = { 0 };
	int rc = store_target_get(sw->s, j->t->name, &ts, &sw->err) < 0 ? -1 : 0;
	if (rc == 0)
		rc = preflight_resolve(j->cfg, j->t, &ts, j->r->to, &j->plan, &sw->err);
	store_target_state_free(&ts);
	if (rc < 0)
		return -1;
	free(j->r->to);
	j->r->to = xstrdup(j->plan.version);
	j->r->tag = xstrdup(j->plan.tag);
	j->r->from = j->plan.from_version ? xstrdup(j->plan.from_version) : NULL;
	j->r->verdict = xstrdup(tagverify_verdict_name(j->plan.trust.verdict));
	j->r->trust = tagverify_describe(&j->plan.trust);
	if (note_release(j, sw) < 0)
		return -1;
	if (j->plan.same)
		return 0;
	estimate_snapshot(j);
	rc = preflight_check(j->t, j->flags, &j->plan, &sw->err);
	j->r->untrusted = j->plan.untrusted;
	for (size_t i = 0; i < j->plan.drift.n; i++)
		strvec_push(&j->r->drift, j->plan.drift.items[i]);
	for (size_t i = 0; i < j->plan.notes.n; i++)
		journal(sw, "info", "%s", j->plan.notes.items[i]);
	if (rc == 0)
		rc = release_dirs(j);
	if (rc == 0)
		journal(sw, "info", "intent: layout=%s path=%s staging=%s from=%s to=%s tag=%s tree=%s",
			j->t->layout == LAYOUT_PLAIN ? "plain" : "releases", j->t->path, sw->staging,
			j->plan.from_version ? j->plan.from_version : "-", j->plan.version, j->plan.tag,
			j->plan.tree);
	return rc;
}

/* Steps 3 to 7: snapshot and stage, the guarded switch (which rolls back
 * by itself), finish. */
static int run_switch(struct job *j)
{
	struct switchover *sw = &j->sw;
	char *action = xasprintf("installing %s", j->plan.version);
	sw->action = action;
	sw->from = j->plan.from_version;
	sw->to = j->plan.version;
	sw->mode = j->t->layout == LAYOUT_RELEASES ? SWITCH_RELEASES : SWITCH_PLAIN;
	sw->pre_hook = j->t->hooks.pre_install;
	sw->post_hook = j->t->hooks.post_install;
	sw->pre_name = "pre_install";
	sw->post_name = "post_install";
	sw->hook_timeout_ms = j->t->hooks.timeout_ms;
	sw->data_ctx = &j->snap;
	int rc;
	if (switchover_intent_begin(sw, j->plan.tag, j->plan.commit, true, j->t->keep_releases) < 0)
		rc = switchjob_fail_step(&j->sw, "intent");
	else if (j->t->source.asset.url && switchover_step(sw, "download", do_download, NULL) < 0)
		rc = switchjob_fail_step(&j->sw, "download"); /* the release's payload is its asset */
	else if (switchover_step(sw, "snapshot", do_snapshot, NULL) < 0)
		rc = switchjob_fail_step(&j->sw, "snapshot");
	else if (switchover_step(sw, "stage", do_stage, NULL) < 0)
		rc = switchjob_fail_step(&j->sw, "stage");
	else if ((rc = switchover_run(sw)) < 0)
		; /* rolled back, outcome set */
	else if (switchover_step(sw, "finish", step_finish, NULL) < 0)
		rc = switchjob_fail_step(&j->sw, "finish");
	else
		j->r->outcome = INSTALL_DONE;
	sw->action = NULL;
	free(action);
	return rc;
}

static void job_close(struct job *j, int rc)
{
	switchjob_close(&j->sw, rc, install_outcome_name(j->r->outcome));
	release_plan_clear(&j->plan);
	asset_plan_clear(&j->asset);
	jobsnap_clear(&j->snap);
}

int install_run(const struct config *cfg, const struct target_cfg *t, const char *version,
		unsigned flags, const volatile int *cancel, struct install_result *r,
		struct up_error *err)
{
	*r = (struct install_result){ .outcome = INSTALL_FAILED };
	struct job j = { .cfg = cfg, .t = t, .flags = flags, .r = r };
	struct switchover *sw = &j.sw;
	*sw = (struct switchover){ .t = t, .lock_fd = -1, .kind = "install", .r = r,
				   .live = xstrdup(t->path), .carry_preserved = true, .cancel = cancel };
	r->to = version ? xstrdup(version) : NULL;
	int rc = switchjob_open(sw, cfg);
	if (rc == 0)
		rc = switchover_step(sw, "preflight", step_preflight, NULL);
	if (rc == 0 && j.plan.same) {
		r->outcome = INSTALL_CURRENT;
		journal(sw, "info", "%s is already installed", j.plan.version);
	} else if (rc == 0) {
		rc = run_switch(&j);
	}
	switchover_journal_timing(sw);
	job_close(&j, rc);
	switchjob_error(sw, rc, _("install failed"), err);
	switchover_clear(sw);
	return rc;
}
