/* act_restore.c - `r`: restoring a snapshot in place (restore_run), the
 * whole tree from the Backups list or one file or directory from the file
 * browser. The question first shows what the restore changes in the live
 * tree (from the comparison with it), then the job runs on the worker. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "browse.h"
#include "draw.h"
#include "handlers.h"
#include "i18n.h"
#include "jobs.h"
#include "overlay.h"
#include "pane.h"
#include "ui.h"

struct restore_ask {
	char *target;
	int64_t snapshot;
	char *path;        /* NULL = the whole tree */
};

static void restore_ask_free(void *p)
{
	struct restore_ask *a = p;
	free(a->target);
	free(a->path);
	free(a);
}

static const struct snapshot_info *selected_snapshot(const struct ui *ui)
{
	size_t i = ui_row_index(ui, PANE_BACKUPS, ui->ps[PANE_BACKUPS].sel);
	return i < ui->model.n_snapshots ? &ui->model.snapshots[i] : NULL;
}

bool can_restore(const struct ui *ui)
{
	if (!ui->worker)
		return false;
	if (ui->browse)
		return ui->browse->ps.sel < ui->browse->n && !ui_target_busy(ui, ui->browse->target);
	const struct snapshot_info *s = selected_snapshot(ui);
	return s && !ui_target_busy(ui, s->target);
}

static void do_restore(struct ui *ui, void *ctx)
{
	struct restore_ask *a = ctx;
	struct up_error err = UP_ERROR_INIT;
	int64_t id = jobs_submit_restore(ui->worker, a->target, a->snapshot, a->path, &err);
	if (id < 0) {
		ui_error(ui, _("Cannot restore"), &err);
		return;
	}
	char *label = a->path ? xasprintf(_("restore %s %s from %lld"), a->target, a->path,
					  (long long)a->snapshot)
			      : xasprintf(_("restore %s from %lld"), a->target, (long long)a->snapshot);
	model_task_add(&ui->model, id, "restore", a->target, label);
	free(label);
	if (ui->browse)
		browse_close(ui);
	ui_switch_pane(ui, PANE_PROGRESS);
	ui->ps[PANE_PROGRESS].sel = 0;
	ui_message(ui, false, "%s", _("Restoring; Progress shows its steps"));
}

/* The changes, in the words of what the restore does to the live tree. */
static void change_lines(struct overlay *ov, size_t live_only, size_t missing, size_t changed,
			 bool whole)
{
	overlay_add(ov, ROLE_HEADER, "%s", _("What changes in the live tree:"));
	overlay_add(ov, missing ? ROLE_NORMAL : ROLE_DIM,
		    _("  %zu added: in the snapshot, missing from the live tree"), missing);
	overlay_add(ov, changed ? ROLE_NORMAL : ROLE_DIM,
		    _("  %zu changed: put back as they are in the snapshot"), changed);
	overlay_add(ov, live_only ? ROLE_ERROR : ROLE_DIM,
		    _("  %zu removed: only in the live tree, not in the snapshot"), live_only);
	if (!missing && !changed && !live_only)
		overlay_add(ov, ROLE_OK, "%s", _("  The live tree already matches the snapshot."));
	overlay_add(ov, ROLE_NORMAL, "%s", "");
	overlay_add(ov, ROLE_NORMAL, "%s", whole
		    ? _("The whole tree is exchanged for the snapshot's (preserved paths included) after a pre-restore snapshot; hooks, health check and rollback as for an install; the installed version becomes the snapshot's.")
		    : _("Only this path is exchanged (atomically) after a pre-restore snapshot; the rest of the tree and the installed version are left alone."));
}

static void ask_yes(struct overlay *ov)
{
	overlay_set_prompt(ov, 'y', _("y: restore   Esc/n: cancel"));
}

void restore_ask_fill(struct ui *ui, struct job_view *j)
{
	struct overlay *ov = ui->overlay;
	const struct diff_view *d = j->payload;
	ov->wait_job = 0;
	if (ov->lines.n)
		free(ov->lines.items[--ov->lines.n]);
	if (!d || d->error) {
		overlay_add(ov, ROLE_ERROR, "%s", _("The comparison with the live tree failed:"));
		overlay_add_untrusted(ov, ROLE_ERROR, 2, d ? d->error : j->error ? j->error : "?");
		overlay_set_prompt(ov, 0, _("Esc closes."));
	} else {
		change_lines(ov, d->added.n, d->removed.n, d->changed.n, true);
		ask_yes(ov);
	}
	ui->dirty |= DIRTY_OVERLAY;
}

static struct overlay *ask_new(const char *target, int64_t snap, const char *path)
{
	char *t = draw_escape(target), *p = path ? draw_escape(path) : NULL;
	char *title = p ? xasprintf(_("Restore %s from snapshot %lld?"), p, (long long)snap)
			: xasprintf(_("Restore %s from snapshot %lld?"), t, (long long)snap);
	struct overlay *ov = overlay_new(OVERLAY_ASK, OV_RESTORE, title);
	free(title);
	free(t);
	free(p);
	struct restore_ask *a = xcalloc(1, sizeof(*a));
	a->target = xstrdup(target);
	a->snapshot = snap;
	a->path = path ? xstrdup(path) : NULL;
	ov->ctx = a;
	ov->ctx_free = restore_ask_free;
	ov->on_yes = do_restore;
	return ov;
}

/* From the browser: the selected path; its changes are known already. */
static void restore_path(struct ui *ui)
{
	struct browse *b = ui->browse;
	char *path = browse_selected_path(b);
	struct overlay *ov = ask_new(b->target, b->snapshot, path);
	if (!b->diff || b->diff_error) {
		overlay_add(ov, ROLE_DIM, "%s", b->diff_error ? b->diff_error
			    : _("The comparison with the live tree has not finished: try again in a moment."));
		overlay_set_prompt(ov, 0, _("Esc closes."));
	} else {
		size_t added, removed, changed;
		browse_diff_counts(b, path, &added, &removed, &changed);
		change_lines(ov, added, removed, changed, false);
		ask_yes(ov);
	}
	free(path);
	ui_overlay_open(ui, ov);
}

enum act_result run_restore(struct ui *ui, int key)
{
	if (ui->browse) {
		restore_path(ui);
		return ACT_HANDLED;
	}
	const struct snapshot_info *s = selected_snapshot(ui);
	struct overlay *ov = ask_new(s->target, s->id, NULL);
	char when[32];
	char *v = draw_escape(s->version ? s->version : "-");
	overlay_add(ov, ROLE_NORMAL, _("Snapshot %lld, taken %s, version %s: %lld files."), (long long)s->id,
		    draw_date(s->time, when, sizeof when), v, s->files);
	free(v);
	struct up_error err = UP_ERROR_INIT;
	ov->wait_job = jobs_submit_diff(ui->quick, s->target, s->id, &err);
	if (ov->wait_job < 0) {
		ov->wait_job = 0;
		overlay_add_untrusted(ov, ROLE_ERROR, 0, err.msg ? err.msg : "?");
		err_clear(&err);
		overlay_set_prompt(ov, 0, _("Esc closes."));
	} else {
		char *label = xasprintf(_("compare snapshot %lld"), (long long)s->id);
		model_task_add(&ui->model, ov->wait_job, "diff", s->target, label);
		free(label);
		overlay_add(ov, ROLE_DIM, "%s", _("Comparing with the live tree..."));
	}
	ui_overlay_open(ui, ov);
	return ACT_HANDLED;
}
