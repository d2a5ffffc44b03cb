/* jobsnap.c - the snapshot before a switch, with the data dumps. */
#include "config.h"

#include "jobsnap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "archive_backup.h"
#include "archive_diff.h"
#include "archive_index.h"
#include "archive_prune.h"
#include "archive_restore.h"
#include "archive_snap.h"
#include "archive_verify.h"
#include "datadump.h"
#include "i18n.h"
#include "intent.h"
#include "restore_plan.h"
#include "stage.h"
#include "upkeep.h"

void jobsnap_clear(struct jobsnap *js)
{
	if (js->scratch) {
		struct up_error e = UP_ERROR_INIT;
		stage_remove_tree(js->scratch, &e);
		err_clear(&e);
	}
	FREE(js->scratch);
	FREE(js->dumps);
}

int jobsnap_scratch(struct jobsnap *js, const char *state_dir, const char *kind, int64_t job,
		    struct up_error *err)
{
	js->scratch = xasprintf("%s/tmp/%s-%lld", state_dir, kind, (long long)job);
	struct stat st;
	if (lstat(js->scratch, &st) == 0 && stage_remove_tree(js->scratch, err) < 0)
		return -1;
	if (util_mkdir_p(js->scratch, 0700) < 0)
		return err_set(err, UP_ERR_IO, "%s: %s", js->scratch, strerror(errno));
	return 0;
}

static void note(void *ctx, const char *level, const char *text)
{
	switchover_journal(ctx, level, "%s", text);
}

static struct hook_env env_of(const struct switchover *sw)
{
	return (struct hook_env){ .target = sw->t->name, .path = sw->t->path, .from = sw->from,
				  .to = sw->to, .cancel = switchover_cancel(sw) };
}

static int take_dumps(struct switchover *sw, struct jobsnap *js)
{
	if (!sw->t->n_data)
		return 0;
	js->dumps = xasprintf("%s/%s", js->scratch, DATADUMP_DIR);
	struct hook_env env = env_of(sw);
	if (datadump_capture(sw->t, &env, js->dumps, note, sw, &sw->r->evidence, &sw->err) < 0)
		return -1;
	return 0;
}

/* Reads the whole snapshot back: an irreversible migration needs it whole. */
static int verify_snapshot(struct switchover *sw, struct archive_index *idx, int64_t id)
{
	struct verify_opts vo = { .snapshot = id, .read_data = true, .cancel = switchover_cancel(sw) };
	struct verify_result vr;
	if (archive_verify(idx, &vo, &vr, &sw->err) < 0)
		return err_prefix(&sw->err, _("verifying snapshot %lld"), (long long)id);
	int rc = 0;
	if (vr.n_problems)
		rc = err_set(&sw->err, UP_ERR_MISMATCH,
			     ngettext("snapshot %lld did not verify (%zu problem, first: %s%s%s); the "
				      "release declares an irreversible migration, so it is not installed",
				      "snapshot %lld did not verify (%zu problems, first: %s%s%s); the "
				      "release declares an irreversible migration, so it is not installed",
				      vr.n_problems),
			     (long long)id, vr.n_problems,
			     vr.problems[0].path ? vr.problems[0].path : "",
			     vr.problems[0].path ? ": " : "", vr.problems[0].what);
	else
		switchover_journal(sw, "info", "snapshot: %lld verified (%lld chunks re-hashed)",
				   (long long)id, vr.chunks_checked);
	verify_result_clear(&vr);
	return rc;
}

int jobsnap_take(struct switchover *sw, struct jobsnap *js, const char *state_dir)
{
	if (take_dumps(sw, js) < 0)
		return -1;
	char *dir = archive_dir_for(state_dir);
	struct archive_index *idx = NULL;
	int rc = archive_index_open(dir, UPKEEP_LOCK_TIMEOUT_MS, &idx, &sw->err);
	free(dir);
	struct backup_opts bo = { .target = sw->t->name, .path = sw->t->path,
				  .version = js->version, .reason = js->reason,
				  .level = sw->t->backup.compression, .extra_dir = js->dumps,
				  .cancel = switchover_cancel(sw) };
	struct backup_result br = { 0 };
	if (rc == 0)
		rc = archive_backup(idx, &bo, &br, &sw->err);
	if (rc == 0) {
		js->id = br.id;
		switchover_journal(sw, "info", "snapshot: %lld (%lld files, %lld bytes)",
				   (long long)br.id, br.files, br.bytes);
	} else {
		err_prefix(&sw->err, _("%s snapshot"), js->reason);
	}
	for (size_t i = 0; rc == 0 && i < br.warnings.n; i++)
		switchover_journal(sw, "warning", "snapshot: %s", br.warnings.items[i]);
	if (rc == 0 && js->verify)
		rc = verify_snapshot(sw, idx, br.id);
	backup_result_clear(&br);
	archive_index_close(&idx);
	return rc;
}

int jobsnap_estimate(const char *state_dir, const struct target_cfg *t, long long *bytes,
		     struct up_error *err)
{
	*bytes = 0;
	char *dir = archive_dir_for(state_dir);
	struct archive_index *idx = NULL;
	int rc = archive_index_open(dir, UPKEEP_LOCK_TIMEOUT_MS, &idx, err);
	free(dir);
	struct snapshot_info *v = NULL;
	size_t n = 0;
	if (rc == 0)
		rc = archive_snapshots_list(idx, t->name, &v, &n, err);
	if (rc == 0)
		rc = archive_diff_new_bytes(archive_index_db(idx), n ? v[n - 1].root : 0, t->path, bytes,
					    err);
	snapshot_infos_free(&v, n);
	archive_index_close(&idx);
	return rc;
}

int jobsnap_data_restore(struct switchover *sw, void *ctx, bool back)
{
	struct jobsnap *js = ctx;
	if (!js->dumps)
		return 0;
	struct hook_env env = env_of(sw);
	if (back) { /* a rollback's: never cancelled */
		env.from = sw->to;
		env.to = sw->from;
		env.cancel = NULL;
	}
	return datadump_restore(sw->t, &env, js->dumps, back ? "rollback:data" : "data", note, sw,
				&sw->r->evidence, &sw->err);
}

static void note_nothing(void *ctx, const char *level, const char *text)
{
	(void)ctx;
	(void)level;
	(void)text;
}

int jobsnap_backup_dumps(struct jobsnap *js, const char *state_dir, const struct target_cfg *t,
			 const char *kind, int64_t job, struct backup_opts *bo,
			 datadump_note_fn tell, void *ctx,
			 struct up_error *err)
{
	if (!t->n_data)
		return 0;
	if (jobsnap_scratch(js, state_dir, kind, job, err) < 0)
		return -1;
	js->dumps = xasprintf("%s/%s", js->scratch, DATADUMP_DIR);
	struct hook_env env = { .target = t->name, .path = t->path, .from = bo->version,
				.to = bo->version };
	char *evidence = NULL;
	int rc = datadump_capture(t, &env, js->dumps, tell ? tell : note_nothing, ctx, &evidence, err);
	size_t len = evidence ? strlen(evidence) : 0;
	while (len && (evidence[len - 1] == '\n' || evidence[len - 1] == ' '))
		evidence[--len] = '\0';
	if (rc < 0 && len) {
		char *msg = xstrdup(err->msg);
		err_set(err, err->status, _("%s; its output: %s"), msg, evidence);
		free(msg);
	}
	free(evidence);
	if (rc == 0)
		bo->extra_dir = js->dumps;
	return rc;
}

int jobsnap_data_back(struct switchover *sw, struct jobsnap *js)
{
	sw->data_back = jobsnap_data_restore;
	if (sw->intent && intent_set_data_snapshot(sw->s, sw->job, js->id, &sw->err) < 0)
		return err_prefix(&sw->err, _("recording the job's intent"));
	return 0;
}

int jobsnap_extract_dumps(struct archive_index *idx, int64_t id, const char *dest,
			  const volatile int *cancel, char **dumps, struct up_error *err)
{
	*dumps = NULL;
	struct snapshot_info info = { 0 };
	if (archive_snapshot_get(idx, id, &info, err) < 0)
		return -1;
	int has = restore_plan_has(archive_index_db(idx), info.root, DATADUMP_DIR, err);
	snapshot_info_clear(&info);
	if (has <= 0)
		return has;
	const char *what[] = { DATADUMP_DIR };
	struct restore_opts ro = { .snapshot = id, .dest = dest, .paths = what, .n_paths = 1,
				   .cancel = cancel };
	struct restore_result res;
	if (archive_restore(idx, &ro, &res, err) < 0)
		return err_prefix(err, _("extracting the data dumps of snapshot %lld"), (long long)id);
	*dumps = xasprintf("%s/%s", dest, DATADUMP_DIR);
	return 0;
}

void jobsnap_prune(struct switchover *sw, const char *state_dir, int64_t rollback)
{
	char *dir = archive_dir_for(state_dir);
	struct archive_index *idx = NULL;
	struct up_error e = UP_ERROR_INIT;
	struct prune_result pr = { 0 };
	int rc = archive_index_open(dir, UPKEEP_LOCK_TIMEOUT_MS, &idx, &e);
	free(dir);
	if (rc == 0)
		rc = archive_prune_target(idx, sw->t->name, &sw->t->retention, rollback, &pr, &e);
	if (rc < 0)
		switchover_journal(sw, "warning", "prune: %s", e.msg);
	else if (pr.snapshots)
		switchover_journal(sw, "info", "prune: %lld snapshot%s removed per retention, %lld "
				   "bytes of packs freed", pr.snapshots, pr.snapshots == 1 ? "" : "s",
				   pr.pack_bytes);
	prune_result_clear(&pr);
	archive_index_close(&idx);
	err_clear(&e);
}
