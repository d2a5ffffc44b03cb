/* ui.c - small operations on the console's state shared by the actions,
 * the panes and the loop: messages, pane switching, selection, checks. */
#include "config.h"

#include "ui.h"

#include <stdarg.h>
#include <stdlib.h>

#include "escape.h"
#include "i18n.h"
#include "pane.h"
#include "util.h"
#include "worker.h"

/* Rows of history read from the store. */
#define HISTORY_LIMIT 500

enum ui_context ui_context(const struct ui *ui)
{
	return ui->help_open ? CTX_HELP : (enum ui_context)(1u << ui->pane);
}

void ui_message(struct ui *ui, bool error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	free(ui->message);
	ui->message = xvasprintf(fmt, ap);
	va_end(ap);
	ui->message_error = error;
	ui->dirty |= DIRTY_STATUS;
}

void ui_message_clear(struct ui *ui)
{
	if (!ui->message)
		return;
	FREE(ui->message);
	ui->dirty |= DIRTY_STATUS;
}

void ui_refresh_history(struct ui *ui)
{
	if (ui->pane == PANE_HISTORY && ui->model.history_stale) {
		model_load_history(&ui->model, ui->store, HISTORY_LIMIT);
		ui->dirty |= DIRTY_BODY;
	}
}

void ui_switch_pane(struct ui *ui, enum ui_pane p)
{
	if (p >= PANE_COUNT)
		return;
	ui->pane = p;
	const struct pane_ops *ops = pane_get(p);
	if (ops->enter)
		ops->enter(ui);
	ui->dirty |= DIRTY_TABS | DIRTY_BODY | DIRTY_STATUS;
}

size_t ui_pane_count(const struct ui *ui)
{
	const struct pane_ops *ops = pane_get(ui->pane);
	return ops->count ? ops->count(ui) : 0;
}

void ui_list_clamp(struct pane_state *ps, size_t count, int visible)
{
	size_t vis = visible > 0 ? (size_t)visible : 1;

	if (count == 0) {
		ps->sel = ps->top = 0;
		return;
	}
	if (ps->sel >= count)
		ps->sel = count - 1;
	if (ps->top > ps->sel)
		ps->top = ps->sel;
	if (ps->sel >= ps->top + vis)
		ps->top = ps->sel - vis + 1;
	if (ps->top + vis > count)
		ps->top = count > vis ? count - vis : 0;
}

static size_t moved(size_t at, size_t count, long delta, int to_end)
{
	if (count == 0)
		return 0;
	if (to_end > 0)
		return count - 1;
	if (to_end < 0)
		return 0;
	if (delta < 0)
		return (size_t)-delta > at ? 0 : at - (size_t)-delta;
	at += (size_t)delta;
	return at >= count ? count - 1 : at;
}

void ui_move(struct ui *ui, long delta, int to_end)
{
	if (ui->help_open) {
		size_t page = ui->help_page > 0 ? (size_t)ui->help_page : 1;
		size_t max_top = ui->help_lines > page ? ui->help_lines - page : 0;
		ui->help_top = moved(ui->help_top, max_top + 1, delta, to_end);
		ui->dirty |= DIRTY_OVERLAY;
		return;
	}
	struct pane_state *ps = &ui->ps[ui->pane];
	size_t count = ui_pane_count(ui);
	size_t sel = moved(ps->sel, count, delta, to_end);
	if (sel != ps->sel) {
		ps->sel = sel;
		ui->dirty |= DIRTY_BODY | DIRTY_STATUS;
	}
}

struct target_row *ui_selected_target(const struct ui *ui)
{
	size_t sel = ui->ps[PANE_UPDATES].sel;
	return sel < ui->model.n_rows ? &ui->model.rows[sel] : NULL;
}

int ui_submit_check(struct ui *ui, size_t row)
{
	struct up_error err = UP_ERROR_INIT;
	const char *name = NULL;
	char *label;
	int64_t id;

	if (!ui->worker || ui->model.n_rows == 0)
		return -1;
	if (row != (size_t)-1) {
		if (row >= ui->model.n_rows)
			return -1;
		name = ui->model.rows[row].cfg->name;
		id = worker_submit_check(ui->worker, &name, 1, &err);
	} else {
		id = worker_submit_check(ui->worker, NULL, 0, &err);
	}
	if (id < 0) {
		char *msg = escape_text(err.msg ? err.msg : err_status_name(err.status), (size_t)-1,
				       0, ui->opts.ascii ? ESCAPE_ASCII : 0);
		ui_message(ui, true, _("Cannot check: %s"), msg);
		free(msg);
		err_clear(&err);
		return -1;
	}
	if (name)
		/* L10N: a job's label in the Progress pane; %s is a target. */
		label = xasprintf(_("check %s"), name);
	else
		label = xstrdup(_("check all targets"));
	model_job_add(&ui->model, id, label, row);
	free(label);
	ui->dirty |= DIRTY_TABS | DIRTY_BODY | DIRTY_STATUS;
	return 0;
}
