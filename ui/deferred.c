/* deferred.c - see deferred.h. */
#include "config.h"

#include "deferred.h"

#include <stdlib.h>
#include <string.h>

#include "ui.h"

/* Rows of history read from the store. */
#define HISTORY_ROWS 500

void deferred_want(struct ui *ui, unsigned reads)
{
	ui->deferred |= reads;
}

bool deferred_pending(const struct ui *ui)
{
	return ui->deferred != 0;
}

static void joblog_clear(struct joblog_cache *c)
{
	joblog_steps_free(&c->steps, c->n_steps);
	joblog_events_free(&c->events, c->n_events);
	c->n_steps = c->n_events = 0;
	c->id = 0;
	c->stale = false;
}

static void read_joblog(struct ui *ui)
{
	struct joblog_cache *c = &ui->joblog;
	int64_t id = ui->joblog_want;
	struct up_error e = UP_ERROR_INIT;
	joblog_clear(c);
	c->id = id; /* also when it cannot be read: drawing must not ask again */
	if (!id || !ui->store)
		return;
	if (joblog_steps(ui->store, id, &c->steps, &c->n_steps, &e) < 0 ||
	    joblog_events(ui->store, id, DEFERRED_LOG_LINES, &c->events, &c->n_events, &e) < 0)
		err_clear(&e); /* drawn as "no log lines yet"; the next change reads again */
	if (ui->pane == PANE_PROGRESS)
		ui->dirty |= DIRTY_BODY;
}

void deferred_run(struct ui *ui)
{
	unsigned reads = ui->deferred;
	ui->deferred = 0;
	if (reads & READ_HISTORY) {
		model_load_history(&ui->model, ui->store, HISTORY_ROWS);
		if (ui->pane == PANE_HISTORY)
			ui->dirty |= DIRTY_BODY;
	}
	if (reads & READ_SNAPSHOTS) {
		const struct target_row *row = ui_selected_target(ui);
		if (row)
			model_load_snapshots(&ui->model, row->cfg->name);
		if (ui->pane == PANE_BACKUPS)
			ui->dirty |= DIRTY_BODY | DIRTY_STATUS;
	}
	if (reads & READ_JOBLOG)
		read_joblog(ui);
}

const struct joblog_cache *deferred_joblog(struct ui *ui, int64_t id)
{
	struct joblog_cache *c = &ui->joblog;
	if (id && (c->id != id || c->stale)) {
		ui->joblog_want = id;
		deferred_want(ui, READ_JOBLOG);
	}
	return id && c->id == id ? c : NULL;
}

void deferred_joblog_stale(struct ui *ui)
{
	ui->joblog.stale = true;
	if (ui->pane == PANE_PROGRESS)
		ui->dirty |= DIRTY_BODY;
}

void deferred_free(struct ui *ui)
{
	joblog_clear(&ui->joblog);
	ui->deferred = 0;
	ui->joblog_want = 0;
}
