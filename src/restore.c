/* restore.c - the in-place restore job. See restore.h. */
#include "config.h"

#include "restore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive_index.h"
#include "archive_restore.h"
#include "archive_snap.h"
#include "archive_verify.h"
#include "datadump.h"
#include "i18n.h"
#include "jobsnap.h"
#include "preflight.h"
#include "restore_plan.h"
#include "stage.h"
#include "store.h"
#include "swap.h"
#include "switchjob.h"
#include "switchover.h"
#include "upkeep.h"

struct job {
	struct switchover sw;     /* first: the steps get &j->sw */
	const struct config *cfg;
	const struct target_cfg *t;
	const struct restore_request *rq;
	struct install_result *r;
	struct archive_index *idx;
	struct snapshot_info snap;
	struct strvec paths;      /* normalized; none: the whole tree */
	char *installed_tag;      /* before the restore */
	struct jobsnap pre;       /* the pre-restore snapshot and its dumps */
	char *snap_dumps;         /* the snapshot's own dumps, extracted, or NULL */
};

#define JOB(sw) ((struct job *)(sw))
#define journal switchover_journal

static bool whole(const struct job *j)
{
	return j->paths.n == 0;
}

/* ---- preflight ---- */

static int check_snapshot(struct job *j)
{
	struct switchover *sw = &j->sw;
	if (archive_snapshot_get(j->idx, j->rq->snapshot, &j->snap, &sw->err) < 0) {
		if (sw->err.status == UP_ERR_NOT_FOUND)
			err_set(&sw->err, UP_ERR_NOT_FOUND,
				_("snapshot %lld does not exist (`upkeep --batch snapshots %s` lists the "
				"target's snapshots)"), (long long)j->rq->snapshot, j->t->name);
		return -1;
	}
	if (strcmp(j->snap.target, j->t->name) != 0)
		return err_set(&sw->err, UP_ERR_NOT_FOUND,
			       _("snapshot %lld belongs to target %s, not %s; nothing was changed"),
			       (long long)j->rq->snapshot, j->snap.target, j->t->name);
	return 0;
}

/* Staging gets the snapshot (or its paths); the pre-restore snapshot its
 * new bytes. */
static int check_space(struct job *j, long long stage_bytes, long long stage_files)
{
	struct switchover *sw = &j->sw;
	long long snap = 0;
	struct up_error e = UP_ERROR_INIT;
	if (sw->live_existed && jobsnap_estimate(j->cfg->state_dir, j->t, &snap, &e) < 0)
		journal(sw, "warning", "free space: the snapshot's size is not known: %s", e.msg);
	err_clear(&e);
	char *parent = swap_parent_dir(j->t->path);
	char *archive = archive_dir_for(j->cfg->state_dir);
	struct stat a, b;
	bool same = stat(archive, &a) == 0 && stat(parent, &b) == 0 && a.st_dev == b.st_dev;
	long long need = stage_bytes + stage_bytes / 100;
	int rc = preflight_need_space(j->t->name, parent, need + (same ? snap : 0),
				/* L10N: what needs the space, after "not enough free space in DIR for ..." */
				      same ? _("staging and the snapshot") : _("staging"), &sw->err);
	if (rc == 0)
		rc = preflight_need_inodes(j->t->name, parent, stage_files, _("staging"), &sw->err);
	if (rc == 0 && !same && snap)
		rc = preflight_need_space(j->t->name, archive, snap, _("the snapshot"), &sw->err);
	free(archive);
	free(parent);
	return rc;
}

static char *release_name(const struct job *j)
{
	return xasprintf("snapshot-%lld-%lld", (long long)j->snap.id, (long long)util_now());
}

/* Where the snapshot is staged and what the swap exchanges. */
static int plan_switch(struct job *j)
{
	struct switchover *sw = &j->sw;
	if (!whole(j)) {
		sw->mode = SWITCH_PATH;
		sw->staging = stage_dir_for(j->t->path, j->t->name);
		return 0;
	}
	if (j->t->layout == LAYOUT_PLAIN) {
		sw->mode = SWITCH_PLAIN;
		sw->staging = stage_dir_for(j->t->path, j->t->name);
		return 0;
	}
	sw->mode = SWITCH_RELEASES;
	char *parent = swap_parent_dir(j->t->path), *name = release_name(j);
	sw->releases = xasprintf("%s/releases", parent);
	sw->staging = xasprintf("%s/%s", sw->releases, name);
	sw->new_link = xasprintf("releases/%s", name);
	free(name);
	free(parent);
	if (util_mkdir_p(sw->releases, 0755) < 0)
		return err_set(&sw->err, UP_ERR_IO, "%s: %s", sw->releases, strerror(errno));
	return swap_link_read(j->t->path, &sw->old_link, &sw->err);
}

static int step_preflight(struct switchover *sw, void *ctx)
{
	(void)ctx;
	struct job *j = JOB(sw);
	char *dir = archive_dir_for(j->cfg->state_dir);
	int rc = archive_index_open(dir, UPKEEP_LOCK_TIMEOUT_MS, &j->idx, &sw->err);
	free(dir);
	if (rc == 0)
		rc = check_snapshot(j);
	if (rc == 0)
		rc = restore_plan_paths(j->rq->paths, j->rq->n_paths, &j->paths, &sw->err);
	if (rc < 0)
		return -1;
	j->r->to = j->snap.version ? xstrdup(j->snap.version) : NULL;
	struct target_state ts = { 0 };
	if (store_target_get(sw->s, j->t->name, &ts, &sw->err) < 0)
		return -1;
	j->r->from = ts.installed_version ? xstrdup(ts.installed_version) : NULL;
	j->installed_tag = ts.installed_tag ? xstrdup(ts.installed_tag) : NULL;
	store_target_state_free(&ts);
	sw->from = j->r->from;
	sw->to = whole(j) ? j->r->to : j->r->from;
	long long bytes = whole(j) ? j->snap.bytes : 0, files = whole(j) ? j->snap.files : 0;
	if (!whole(j))
		rc = restore_plan_check(archive_index_db(j->idx), j->snap.root, j->snap.id, j->t->path,
					&j->paths, &bytes, &files, &sw->err);
	if (rc == 0)
		rc = check_space(j, bytes, files);
	if (rc == 0)
		rc = plan_switch(j);
	if (rc == 0)
		journal(sw, "info", "intent: restore snapshot=%lld layout=%s path=%s staging=%s from=%s "
			"to=%s paths=%zu", (long long)j->snap.id,
			sw->mode == SWITCH_PATH ? "path" : sw->mode == SWITCH_PLAIN ? "plain" : "releases",
			j->t->path, sw->staging, sw->from ? sw->from : "-", sw->to ? sw->to : "-",
			j->paths.n);
	return rc;
}

/* ---- verify, diff, snapshot ---- */

static int step_verify(struct switchover *sw, void *ctx)
{
	(void)ctx;
	struct job *j = JOB(sw);
	struct verify_opts vo = { .snapshot = j->snap.id, .cancel = switchover_cancel(sw) };
	struct verify_result vr;
	if (archive_verify(j->idx, &vo, &vr, &sw->err) < 0)
		return -1;
	int rc = 0;
	if (vr.n_problems)
		rc = err_set(&sw->err, UP_ERR_MISMATCH,
			     ngettext("snapshot %lld is damaged (%zu problem, first: %s%s%s); nothing was "
				      "changed (`upkeep --batch verify %s --read-data` tells more)",
				      "snapshot %lld is damaged (%zu problems, first: %s%s%s); nothing was "
				      "changed (`upkeep --batch verify %s --read-data` tells more)",
				      vr.n_problems),
			     (long long)j->snap.id, vr.n_problems,
			     vr.problems[0].path ? vr.problems[0].path : "",
			     vr.problems[0].path ? ": " : "", vr.problems[0].what, j->t->name);
	else
		journal(sw, "info", "verify: snapshot %lld: %lld chunks in %lld packs", (long long)j->snap.id,
			vr.chunks_checked, vr.packs);
	verify_result_clear(&vr);
	return rc;
}

static int step_diff(struct switchover *sw, void *ctx)
{
	(void)ctx;
	struct job *j = JOB(sw);
	bool keep = whole(j) && (j->rq->flags & RESTORE_KEEP_PRESERVED);
	struct restore_changes c;
	if (restore_plan_diff(archive_index_db(j->idx), j->snap.root,
			      sw->live_existed ? j->t->path : NULL, &j->paths,
			      keep ? j->t->preserve : NULL, keep ? j->t->n_preserve : 0,
			      j->rq->on_change, j->rq->ctx, &c, &sw->err) < 0)
		return -1;
	journal(sw, "info", "diff: %lld added, %lld removed, %lld changed", c.added, c.removed,
		c.changed);
	return 0;
}

static int step_snapshot(struct switchover *sw, void *ctx)
{
	(void)ctx;
	struct job *j = JOB(sw);
	if (!sw->live_existed) {
		journal(sw, "info", "snapshot: nothing installed yet");
		return 0;
	}
	j->pre.reason = "pre-restore";
	j->pre.version = j->r->from;
	if (jobsnap_take(sw, &j->pre, j->cfg->state_dir) < 0)
		return -1;
	return whole(j) && j->pre.dumps ? jobsnap_data_back(sw, &j->pre) : 0;
}

/* ---- stage ---- */

/* The staged root gets the live root's mode and owner, as an install's. */
static int stage_like_live(struct job *j)
{
	struct stat like;
	if (stat(j->t->path, &like) < 0)
		like = (struct stat){ .st_mode = S_IFDIR | 0755, .st_uid = geteuid(), .st_gid = getegid() };
	if (geteuid() == 0 && lchown(j->sw.staging, like.st_uid, like.st_gid) < 0)
		return err_set(&j->sw.err, UP_ERR_IO, "%s: chown: %s", j->sw.staging, strerror(errno));
	if (chmod(j->sw.staging, like.st_mode & 07777) < 0)
		return err_set(&j->sw.err, UP_ERR_IO, "%s: chmod: %s", j->sw.staging, strerror(errno));
	return 0;
}

/* The snapshot's own dumps, for the data step, into the scratch directory. */
static int extract_dumps(struct job *j)
{
	char *dest = xasprintf("%s/snapshot", j->pre.scratch);
	int rc = jobsnap_extract_dumps(j->idx, j->snap.id, dest, switchover_cancel(&j->sw),
				       &j->snap_dumps, &j->sw.err);
	free(dest);
	return rc;
}

/* Writes the staged tree to disk before anything is switched to it. */
static int sync_staging(struct switchover *sw)
{
	int fd = open(sw->staging, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = fd < 0 || syncfs(fd) < 0 ? err_set(&sw->err, UP_ERR_IO, "%s: sync: %s", sw->staging,
						    strerror(errno)) : 0;
	if (fd >= 0)
		close(fd);
	return rc;
}

static int extract(struct job *j)
{
	struct switchover *sw = &j->sw;
	struct restore_opts ro = { .snapshot = j->snap.id, .dest = sw->staging,
				   .paths = (const char *const *)j->paths.items, .n_paths = j->paths.n,
				   .cancel = switchover_cancel(sw) };
	struct restore_result res;
	if (archive_restore(j->idx, &ro, &res, &sw->err) < 0)
		return err_prefix(&sw->err, _("restoring snapshot %lld into %s"), (long long)j->snap.id,
				  sw->staging);
	struct stat st;
	char *dumps = xasprintf("%s/%s", sw->staging, DATADUMP_DIR);
	int rc = whole(j) && lstat(dumps, &st) == 0 ? stage_remove_tree(dumps, &sw->err) : 0;
	free(dumps);
	if (rc == 0 && whole(j))
		rc = stage_like_live(j);
	if (rc == 0)
		rc = sync_staging(sw);
	if (rc == 0)
		journal(sw, "info", "stage: %s: %lld files, %lld directories, %lld symlinks, %lld bytes",
			sw->staging, res.files, res.dirs, res.symlinks, res.bytes);
	return rc;
}

static int step_stage(struct switchover *sw, void *ctx)
{
	(void)ctx;
	struct job *j = JOB(sw);
	struct stat st;
	if (lstat(sw->staging, &st) == 0) {
		journal(sw, "warning", "stage: removing leftover %s", sw->staging);
		if (stage_remove_tree(sw->staging, &sw->err) < 0)
			return -1;
	}
	int rc = extract(j);
	if (rc == 0 && whole(j) && j->t->n_data)
		rc = extract_dumps(j);
	if (rc < 0) {
		struct up_error e = UP_ERROR_INIT;
		if (lstat(sw->staging, &st) == 0 && stage_remove_tree(sw->staging, &e) < 0)
			journal(sw, "warning", "stage: removing %s: %s", sw->staging, e.msg);
		err_clear(&e);
		return -1;
	}
	for (size_t i = 0; i < j->paths.n; i++) {
		char *live = xasprintf("%s/%s", j->t->path, j->paths.items[i]);
		char *staged = xasprintf("%s/%s", sw->staging, j->paths.items[i]);
		switchover_add_path(sw, live, staged, lstat(live, &st) == 0);
		free(live);
		free(staged);
	}
	return 0;
}

/* The data step: the snapshot's dumps go back with its tree. */
static int data_forward(struct switchover *sw, void *ctx, bool back)
{
	(void)ctx;
	(void)back; /* only forward: the rollback restores the pre-restore dumps */
	struct job *j = JOB(sw);
	struct jobsnap js = { .dumps = j->snap_dumps };
	if (!js.dumps) {
		journal(sw, "warning", "data: snapshot %lld holds no data dumps; the data is left as it is",
			(long long)j->snap.id);
		return 0;
	}
	return jobsnap_data_restore(sw, &js, false);
}

/* ---- finish ---- */

/* The tag of version among the releases a check has seen, or NULL. */
static char *tag_of(struct job *j, const char *version)
{
	struct release_seen *v = NULL;
	size_t n = 0;
	char *tag = NULL;
	struct up_error e = UP_ERROR_INIT;
	if (version && store_releases_list(j->sw.s, j->t->name, &v, &n, &e) == 0)
		for (size_t i = 0; i < n && !tag; i++)
			if (v[i].version && !strcmp(v[i].version, version))
				tag = xstrdup(v[i].tag);
	for (size_t i = 0; i < n; i++)
		store_release_seen_free(&v[i]);
	free(v);
	err_clear(&e);
	return tag;
}

static int record_version(struct job *j)
{
	struct switchover *sw = &j->sw;
	const char *v = j->snap.version;
	if (!v) {
		journal(sw, "warning", "finish: snapshot %lld has no version; the recorded version is "
			"left as it is", (long long)j->snap.id);
		return 0;
	}
	char *tag = j->r->from && !strcmp(v, j->r->from) && j->installed_tag ?
		    xstrdup(j->installed_tag) : tag_of(j, v);
	int rc = store_target_set_installed(sw->s, j->t->name, v, tag, NULL, &sw->err);
	free(tag);
	return rc;
}

static int step_finish(struct switchover *sw, void *ctx)
{
	(void)ctx;
	struct job *j = JOB(sw);
	if (whole(j) && record_version(j) < 0)
		return -1;
	if (sw->mode == SWITCH_RELEASES) {
		const char *protect[] = { switchover_base_name(sw->new_link),
					  switchover_base_name(sw->old_link) };
		struct up_error e = UP_ERROR_INIT;
		if (swap_prune_releases(sw->releases, j->t->keep_releases, protect, 2, &e) < 0)
			journal(sw, "warning", "pruning releases: %s", e.msg);
		err_clear(&e);
	} else if (sw->live_existed || sw->mode == SWITCH_PATH) {
		switchover_remove_quietly(sw, sw->staging, "removing the old tree");
	}
	journal(sw, "info", "finish: snapshot %lld restored%s", (long long)j->snap.id,
		whole(j) ? "" : " (paths only)");
	return 0;
}

/* ---- the job ---- */

/* What recovery needs if the process dies from here on (intent.h); a whole
 * restore records the snapshot's version, as finish does. */
static int begin_intent(struct job *j)
{
	const char *v = whole(j) ? j->snap.version : NULL;
	char *tag = NULL;
	if (v)
		tag = j->r->from && !strcmp(v, j->r->from) && j->installed_tag ?
		      xstrdup(j->installed_tag) : tag_of(j, v);
	int rc = switchover_intent_begin(&j->sw, tag, NULL, v != NULL, j->t->keep_releases);
	free(tag);
	return rc;
}

static void setup_switch(struct job *j, char **action)
{
	struct switchover *sw = &j->sw;
	const struct hooks_cfg *h = &j->t->hooks;
	*action = xasprintf("restoring snapshot %lld", (long long)j->rq->snapshot);
	sw->action = *action;
	sw->snapshot_reason = "pre-restore";
	sw->pre_hook = h->pre_restore ? h->pre_restore : h->pre_install;
	sw->post_hook = h->post_restore ? h->post_restore : h->post_install;
	sw->pre_name = "pre_restore";
	sw->post_name = "post_restore";
	sw->hook_timeout_ms = h->timeout_ms;
	sw->carry_preserved = whole(j) && (j->rq->flags & RESTORE_KEEP_PRESERVED);
	if (whole(j) && j->t->n_data) {
		sw->data_forward = data_forward;
		sw->data_ctx = &j->pre;
	}
}

static int run_restore(struct job *j)
{
	static const struct {
		const char *name;
		switchover_step_fn fn;
	} before[] = {
		{ "verify", step_verify },
		{ "diff", step_diff },
		{ "snapshot", step_snapshot },
		{ "stage", step_stage },
	};
	struct switchover *sw = &j->sw;
	char *action;
	setup_switch(j, &action);
	int rc = jobsnap_scratch(&j->pre, j->cfg->state_dir, "restore", sw->job, &sw->err);
	if (rc < 0)
		rc = switchjob_fail_step(&j->sw, "preflight");
	else if (begin_intent(j) < 0)
		rc = switchjob_fail_step(&j->sw, "intent");
	for (size_t i = 0; rc == 0 && i < sizeof before / sizeof before[0]; i++)
		if (switchover_step(sw, before[i].name, before[i].fn, NULL) < 0)
			rc = switchjob_fail_step(&j->sw, before[i].name);
	if (rc == 0 && (rc = switchover_run(sw)) == 0) {
		if (switchover_step(sw, "finish", step_finish, NULL) < 0)
			rc = switchjob_fail_step(&j->sw, "finish");
		else
			j->r->outcome = INSTALL_DONE;
	}
	sw->action = NULL;
	free(action);
	return rc;
}

static void job_close(struct job *j, int rc)
{
	const struct install_result *r = j->r;
	/* a refused restore changed nothing: the target's last outcome stays */
	bool changed = r->outcome != INSTALL_FAILED || r->failed_step;
	switchjob_close(&j->sw, rc, !changed ? NULL : r->outcome == INSTALL_DONE ? "restored" :
				    install_outcome_name(r->outcome));
	archive_index_close(&j->idx);
	snapshot_info_clear(&j->snap);
	strvec_clear(&j->paths);
	free(j->installed_tag);
	free(j->snap_dumps);
	jobsnap_clear(&j->pre);
}

int restore_run(const struct config *cfg, const struct target_cfg *t,
		const struct restore_request *rq, struct install_result *r, struct up_error *err)
{
	*r = (struct install_result){ .outcome = INSTALL_FAILED };
	struct job j = { .cfg = cfg, .t = t, .rq = rq, .r = r };
	struct switchover *sw = &j.sw;
	*sw = (struct switchover){ .t = t, .lock_fd = -1, .kind = "restore", .r = r,
				   .live = xstrdup(t->path), .cancel = rq->cancel };
	int rc = switchjob_open(sw, cfg);
	if (rc == 0)
		rc = switchover_step(sw, "preflight", step_preflight, NULL);
	if (rc == 0)
		rc = run_restore(&j);
	switchover_journal_timing(sw);
	job_close(&j, rc);
	switchjob_error(sw, rc, _("restore failed"), err);
	switchover_clear(sw);
	return rc;
}
