/* act_jobs.c - Progress and History actions: cancel a job (asks), a job's
 * steps and journal in a box, History's target and outcome filters. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "draw.h"
#include "handlers.h"
#include "i18n.h"
#include "joblog.h"
#include "jobstop.h"
#include "overlay.h"
#include "pane.h"
#include "words.h"
#include "ui.h"
#include "worker.h"

/* Kinds whose engine work stops at a safe point when cancelled (an install
 * or restore is rolled back once its switch began, cancel.h). A forget runs
 * to its end once started. */
static bool cancellable_kind(const char *kind)
{
	static const char *const ok[] = { "check", "backup", "verify", "plan", "diff", "install",
					  "restore" };
	for (size_t i = 0; kind && i < sizeof ok / sizeof ok[0]; i++)
		if (strcmp(kind, ok[i]) == 0)
			return true;
	return false;
}

bool can_cancel(const struct ui *ui)
{
	struct progress_row r;
	if (!ui->worker || !progress_selected(ui, &r))
		return false;
	if (r.job)
		return r.job->phase == JOB_PHASE_QUEUED ||
		       (r.job->phase == JOB_PHASE_RUNNING && cancellable_kind(r.job->kind));
	return r.db != NULL; /* another process's: SIGTERM, after checks */
}

static void do_cancel(struct ui *ui, void *ctx)
{
	int64_t id = *(int64_t *)ctx;
	struct job_view *j = model_job_find(&ui->model, id);
	if (j && j->phase != JOB_PHASE_DONE)
		j->cancelling = true; /* Progress says so until the outcome comes */
	worker_cancel(ui->worker, id);
	ui_message(ui, false, _("Cancelling job; it stops at its next safe point"));
}

/* Another process's job: SIGTERM, which its batch mode turns into a cancel. */
static void do_signal(struct ui *ui, void *ctx)
{
	int64_t id = *(int64_t *)ctx;
	int pid = 0;
	struct up_error err = UP_ERROR_INIT;
	if (jobstop_send(ui->store, id, &pid, &err) < 0)
		ui_message(ui, true, _("Not cancelled: %s"), err.msg);
	else
		ui_message(ui, false, _("SIGTERM sent to process %d: job #%lld stops at its next safe "
					"point"), pid, (long long)id);
	err_clear(&err);
}

/* The question of a cancel: title (taken), one paragraph, y runs on_yes
 * with the job's id. */
static enum act_result ask_cancel(struct ui *ui, char *title, const char *text, int64_t job,
				  void (*on_yes)(struct ui *, void *), const char *prompt)
{
	struct overlay *ov = overlay_new(OVERLAY_ASK, OV_CANCEL, title);
	free(title);
	overlay_add(ov, ROLE_NORMAL, "%s", text);
	int64_t *id = xcalloc(1, sizeof(*id));
	*id = job;
	ov->ctx = id;
	ov->ctx_free = free;
	ov->on_yes = on_yes;
	overlay_set_prompt(ov, 'y', prompt);
	ui_overlay_open(ui, ov);
	return ACT_HANDLED;
}

static enum act_result ask_signal(struct ui *ui, const struct job_row *db)
{
	int pid = 0;
	struct up_error err = UP_ERROR_INIT;
	if (!ui->store || jobstop_check(ui->store, db->id, &pid, &err) < 0) {
		ui_message(ui, true, _("Job #%lld cannot be cancelled from here: %s"), (long long)db->id,
			   err.msg ? err.msg : _("no state database"));
		err_clear(&err);
		return ACT_HANDLED;
	}
	char *kind = draw_escape(words_job_kind(db->kind));
	char *title = xasprintf(_("Cancel job #%lld (%s) of process %d?"), (long long)db->id, kind,
				pid);
	free(kind);
	return ask_cancel(ui, title,
			  _("The process is sent SIGTERM and stops the job at its next safe point, as "
			    "`systemctl stop` would: an install or restore that began to switch is "
			    "rolled back; after its health check passed it finishes."),
			  db->id, do_signal, _("y: send SIGTERM   Esc/n: let it run"));
}

enum act_result run_cancel(struct ui *ui, int key)
{
	struct progress_row r;
	progress_selected(ui, &r);
	if (!r.job)
		return ask_signal(ui, r.db);
	char *label = draw_escape(r.job->label);
	char *title = xasprintf(_("Cancel %s?"), label);
	free(label);
	return ask_cancel(ui, title, r.job->phase == JOB_PHASE_QUEUED
			  ? _("The job has not started: it is dropped from the queue.")
			  : _("The job stops at its next safe point. Nothing is left half-done: a backup "
			      "commits no snapshot and removes its unfinished archive file; an install "
			      "or restore removes what it staged, or rolls back once its switch began; "
			      "after its health check passed it finishes."),
			  r.job->id, do_cancel, _("y: cancel the job   Esc/n: let it run"));
}

/* The database id of the selected job of Progress or History, or 0. */
static int64_t selected_store_id(const struct ui *ui, struct job_view **jv)
{
	*jv = NULL;
	if (ui->pane == PANE_HISTORY) {
		size_t i = ui_row_index(ui, PANE_HISTORY, ui->ps[PANE_HISTORY].sel);
		return i < ui->model.n_history ? ui->model.history[i].id : 0;
	}
	struct progress_row r;
	if (!progress_selected(ui, &r))
		return 0;
	*jv = r.job;
	return r.job ? r.job->store_id : r.db->id;
}

bool can_job_log(const struct ui *ui)
{
	struct job_view *j;
	return selected_store_id(ui, &j) > 0 || j;
}

static const char *step_mark(enum job_state st)
{
	switch (st) {
	case JOB_OK: return draw_is_ascii() ? "+" : "\u2713";
	case JOB_RUNNING: return draw_is_ascii() ? ">" : "\u25b6";
	default: return draw_is_ascii() ? "x" : "\u2717";
	}
}

/* Returns the number of journal lines shown. */
static size_t add_db_log(struct ui *ui, struct overlay *ov, int64_t id)
{
	struct up_error err = UP_ERROR_INIT;
	struct job_row jr;
	struct job_step_row *steps = NULL;
	struct job_event_row *ev = NULL;
	size_t n_steps = 0, n_ev = 0;
	if (joblog_job(ui->store, id, &jr, &err) <= 0 ||
	    joblog_steps(ui->store, id, &steps, &n_steps, &err) < 0 ||
	    joblog_events(ui->store, id, 0, &ev, &n_ev, &err) < 0) {
		overlay_add_untrusted(ov, ROLE_ERROR, 0, err.msg ? err.msg : _("no such job"));
		err_clear(&err);
		store_job_row_free(&jr);
		return 0;
	}
	char *kind = draw_escape(words_job_kind(jr.kind));
	char *target = draw_escape(jr.target ? jr.target : _("(all)"));
	overlay_add(ov, ROLE_HEADER, _("Job #%lld: %s %s, %s"), (long long)jr.id, kind, target,
		    words_job_state(jr.state));
	free(kind);
	free(target);
	if (jr.error)
		overlay_add_untrusted(ov, ROLE_ERROR, 2, jr.error);
	overlay_add(ov, ROLE_HEADER, _("Steps (%zu):"), n_steps);
	for (size_t i = 0; i < n_steps; i++) {
		char *name = draw_escape(words_step(steps[i].name));
		long long took = steps[i].finished ? steps[i].finished - steps[i].started : -1;
		overlay_add(ov, steps[i].state == JOB_FAILED ? ROLE_ERROR : ROLE_NORMAL, "  %s %s%s",
			    step_mark(steps[i].state), name, took >= 0 ? "" : _(" (running)"));
		free(name);
		if (steps[i].error)
			overlay_add_untrusted(ov, ROLE_ERROR, 4, steps[i].error);
	}
	overlay_add(ov, ROLE_HEADER, _("Log (%zu lines):"), n_ev);
	for (size_t i = 0; i < n_ev; i++) {
		char when[16];
		time_t t = (time_t)ev[i].time;
		struct tm tm;
		if (!localtime_r(&t, &tm) || !strftime(when, sizeof when, "%H:%M:%S", &tm))
			strcpy(when, "-");
		char *text = draw_escape(ev[i].text);
		bool bad = ev[i].level && strcmp(ev[i].level, "info") != 0;
		char *level = draw_escape(bad ? words_level(ev[i].level) : "");
		overlay_add(ov, bad ? ROLE_ERROR : ROLE_NORMAL, "  %s %s%s%s", when, level,
			    bad ? ": " : "", text);
		free(level);
		free(text);
	}
	joblog_steps_free(&steps, n_steps);
	joblog_events_free(&ev, n_ev);
	store_job_row_free(&jr);
	return n_ev;
}

enum act_result run_job_log(struct ui *ui, int key)
{
	struct job_view *j;
	int64_t id = selected_store_id(ui, &j);
	char *title = id ? xasprintf(_("Job #%lld"), (long long)id) : xasprintf("%s", _("Job"));
	struct overlay *ov = overlay_new(OVERLAY_VIEW, OV_JOBLOG, title);
	free(title);
	size_t shown = id && ui->store ? add_db_log(ui, ov, id) : 0;
	if (j && j->log.n && !shown) {
		overlay_add(ov, ROLE_HEADER, "%s", _("This session's log:"));
		for (size_t i = 0; i < j->log.n; i++)
			overlay_add_untrusted(ov, ROLE_NORMAL, 2, j->log.items[i]);
	}
	if (ov->lines.n == 0)
		overlay_add(ov, ROLE_DIM, "%s", _("Nothing recorded for this job."));
	ui_overlay_open(ui, ov);
	return ACT_HANDLED;
}

enum act_result run_history_target(struct ui *ui, int key)
{
	int n = (int)ui->model.n_rows;
	ui->history_target = ui->history_target + 1 >= n ? -1 : ui->history_target + 1;
	ui->ps[PANE_HISTORY].sel = ui->ps[PANE_HISTORY].top = 0;
	ui->dirty |= DIRTY_BODY | DIRTY_STATUS;
	return ACT_HANDLED;
}

enum act_result run_history_outcome(struct ui *ui, int key)
{
	static const int order[] = { -1, JOB_OK, JOB_FAILED, JOB_ROLLED_BACK, JOB_CANCELLED,
				     JOB_RUNNING };
	size_t n = sizeof order / sizeof order[0], i = 0;
	while (i < n && order[i] != ui->history_outcome)
		i++;
	ui->history_outcome = order[(i + 1) % n];
	ui->ps[PANE_HISTORY].sel = ui->ps[PANE_HISTORY].top = 0;
	ui->dirty |= DIRTY_BODY | DIRTY_STATUS;
	return ACT_HANDLED;
}
