/* act_backups.c - the Backups pane's actions: backup now, verify, pin,
 * forget (asks), the file browser, and restore (asks, with the changes it
 * makes). Everything that touches the archive runs as a worker job. */
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

/* The selected snapshot of the Backups pane, or NULL. */
static const struct snapshot_info *selected_snapshot(const struct ui *ui)
{
	size_t i = ui_row_index(ui, PANE_BACKUPS, ui->ps[PANE_BACKUPS].sel);
	return i < ui->model.n_snapshots ? &ui->model.snapshots[i] : NULL;
}

static void task_added(struct ui *ui, int64_t id, const char *kind, const char *target,
		       char *label, const char *msg)
{
	model_task_add(&ui->model, id, kind, target, label);
	free(label);
	ui_job_added(ui);
	ui_message(ui, false, "%s", msg);
	ui->dirty |= DIRTY_TABS;
}

bool can_backup(const struct ui *ui)
{
	return ui->worker && ui->model.snapshots_target;
}

enum act_result run_backup(struct ui *ui, int key)
{
	struct up_error err = UP_ERROR_INIT;
	const char *target = ui->model.snapshots_target;
	int64_t id = jobs_submit_backup(ui->worker, target, NULL, &err);
	if (id < 0) {
		ui_error(ui, _("Cannot back up"), &err);
		return ACT_HANDLED;
	}
	task_added(ui, id, "backup", target, xasprintf(_("backup %s"), target),
		   _("Backup started; Progress shows it (x cancels there)"));
	return ACT_HANDLED;
}

bool can_snapshot_op(const struct ui *ui)
{
	return ui->worker && selected_snapshot(ui);
}

enum act_result run_verify(struct ui *ui, int key)
{
	struct up_error err = UP_ERROR_INIT;
	const struct snapshot_info *s = selected_snapshot(ui);
	int64_t id = jobs_submit_verify(ui->worker, s->id, &err);
	if (id < 0) {
		ui_error(ui, _("Cannot verify"), &err);
		return ACT_HANDLED;
	}
	task_added(ui, id, "verify", NULL, xasprintf(_("verify snapshot %lld"), (long long)s->id),
		   _("Verifying; Progress shows it"));
	return ACT_HANDLED;
}

enum act_result run_pin(struct ui *ui, int key)
{
	struct up_error err = UP_ERROR_INIT;
	const struct snapshot_info *s = selected_snapshot(ui);
	int64_t id = jobs_submit_pin(ui->worker, s->id, !s->pinned, &err);
	if (id < 0) {
		ui_error(ui, _("Cannot pin"), &err);
		return ACT_HANDLED;
	}
	task_added(ui, id, s->pinned ? "unpin" : "pin", NULL,
		   xasprintf(s->pinned ? _("unpin snapshot %lld") : _("pin snapshot %lld"), (long long)s->id),
		   s->pinned ? _("Unpinning") : _("Pinning"));
	return ACT_HANDLED;
}

static void do_forget(struct ui *ui, void *ctx)
{
	int64_t snap = *(int64_t *)ctx;
	struct up_error err = UP_ERROR_INIT;
	int64_t id = jobs_submit_forget(ui->worker, snap, &err);
	if (id < 0) {
		ui_error(ui, _("Cannot forget"), &err);
		return;
	}
	task_added(ui, id, "forget", NULL, xasprintf(_("forget snapshot %lld"), (long long)snap),
		   _("Forgetting the snapshot; Progress shows it"));
}

enum act_result run_forget(struct ui *ui, int key)
{
	const struct snapshot_info *s = selected_snapshot(ui);
	char *title = xasprintf(_("Forget snapshot %lld?"), (long long)s->id);
	struct overlay *ov = overlay_new(OVERLAY_ASK, OV_FORGET, title);
	free(title);
	char when[32];
	char *target = draw_escape(s->target);
	overlay_add(ov, ROLE_NORMAL, _("Snapshot %lld of %s, taken %s: %lld files, %lld bytes."),
		    (long long)s->id, target, draw_date(s->time, when, sizeof when), s->files, s->bytes);
	free(target);
	overlay_add(ov, ROLE_NORMAL, "%s", _("It is deleted and the space only it uses is reclaimed. This cannot be undone."));
	if (s->pinned) {
		overlay_add(ov, ROLE_ERROR, "%s", _("It is pinned: unpin it first (p)."));
		overlay_set_prompt(ov, 0, _("Esc closes."));
	} else {
		overlay_set_prompt(ov, 'y', _("y: forget it   Esc/n: keep it"));
	}
	int64_t *id = xcalloc(1, sizeof(*id));
	*id = s->id;
	ov->ctx = id;
	ov->ctx_free = free;
	ov->on_yes = do_forget;
	ui_overlay_open(ui, ov);
	return ACT_HANDLED;
}

enum act_result run_browse(struct ui *ui, int key)
{
	const struct snapshot_info *s = selected_snapshot(ui);
	browse_open(ui, s->id, s->target);
	return ACT_HANDLED;
}

bool can_browse_enter(const struct ui *ui)
{
	const struct browse *b = ui->browse;
	return b && b->ps.sel < b->n && b->entries[b->ps.sel].type == ARCHIVE_DIR;
}

enum act_result run_browse_enter(struct ui *ui, int key)
{
	browse_enter(ui);
	return ACT_HANDLED;
}

enum act_result run_browse_up(struct ui *ui, int key)
{
	browse_up(ui);
	return ACT_HANDLED;
}

enum act_result run_browse_close(struct ui *ui, int key)
{
	browse_close(ui);
	return ACT_HANDLED;
}

void browse_diff_result_job(struct ui *ui, struct job_view *j)
{
	browse_diff_result(ui, j->id, j->payload, j->error);
}
