/* ui.c - small operations on the console's state shared by the actions,
 * the panes and the loop: messages, pane switching, selection, checks. */
#include "config.h"

#include "ui.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "browse.h"
#include "escape.h"
#include "i18n.h"
#include "overlay.h"
#include "pane.h"
#include "util.h"
#include "worker.h"

enum ui_context ui_context(const struct ui *ui)
{
	if (ui->help_open)
		return CTX_HELP;
	if (ui->overlay)
		return ui->overlay->kind == OVERLAY_ASK ? CTX_ASK : CTX_VIEW;
	if (ui->pane == PANE_BACKUPS && ui->browse)
		return CTX_BROWSE;
	return (enum ui_context)(1u << ui->pane);
}

void ui_error(struct ui *ui, const char *what, struct up_error *err)
{
	char *msg = escape_text(err->msg ? err->msg : err_status_name(err->status), (size_t)-1, 0,
				ui->opts.ascii ? ESCAPE_ASCII : 0);
	ui_message(ui, true, "%s: %s", what, msg);
	free(msg);
	err_clear(err);
}

bool ui_filter_match(const struct ui *ui, enum ui_pane p, const char *text)
{
	const char *f = ui->filter[p];
	if (!f || !*f)
		return true;
	size_t n = strlen(f);
	for (const char *t = text ? text : ""; *t; t++)
		if (strncasecmp(t, f, n) == 0)
			return true;
	return false;
}

size_t *pane_rows(const struct ui *ui, enum ui_pane p, size_t *n)
{
	const struct pane_ops *ops = pane_get(p);
	size_t total = ops->count ? ops->count(ui) : 0, k = 0;
	size_t *v = total ? xcalloc(total, sizeof(*v)) : NULL;
	bool filtered = ops->row_text && ui->filter[p] && ui->filter[p][0];
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < total; i++) {
		if (ops->row_keep && !ops->row_keep(ui, i))
			continue;
		if (filtered) {
			sb.len = 0;
			if (sb.buf)
				sb.buf[0] = '\0';
			ops->row_text(ui, i, &sb);
			if (!ui_filter_match(ui, p, sb.buf))
				continue;
		}
		v[k++] = i;
	}
	strbuf_release(&sb);
	*n = k;
	return v;
}

size_t ui_row_index(const struct ui *ui, enum ui_pane p, size_t i)
{
	size_t n, *v = pane_rows(ui, p, &n), r = i < n ? v[i] : (size_t)-1;
	free(v);
	return r;
}

void pane_list_layout(struct pane_state *ps, size_t n, int h)
{
	ps->page = h > 0 ? h : 1;
	ui_list_clamp(ps, n, ps->page);
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
	if (ui->pane == PANE_HISTORY && ui->model.history_stale)
		deferred_want(ui, READ_HISTORY);
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

size_t ui_pane_count_of(const struct ui *ui, enum ui_pane p)
{
	size_t n, *v = pane_rows(ui, p, &n);
	free(v);
	return n;
}

size_t ui_pane_count(const struct ui *ui)
{
	return ui_pane_count_of(ui, ui->pane);
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
	if (!ui->help_open && ui->overlay) {
		ui_overlay_move(ui, delta, to_end);
		return;
	}
	if (!ui->help_open && ui->pane == PANE_BACKUPS && ui->browse) {
		browse_move(ui, delta, to_end);
		return;
	}
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
	size_t i = ui_row_index(ui, PANE_UPDATES, ui->ps[PANE_UPDATES].sel);
	return i < ui->model.n_rows ? &ui->model.rows[i] : NULL;
}

void ui_job_added(struct ui *ui)
{
	/* While Progress is watched its selection stays on the job it was on
	 * (a new job comes first); otherwise the new job is selected, ready
	 * for when Progress is opened. */
	if (ui->pane == PANE_PROGRESS && ui_pane_count_of(ui, PANE_PROGRESS) > 1)
		ui->ps[PANE_PROGRESS].sel++;
	else if (ui->pane != PANE_PROGRESS)
		ui->ps[PANE_PROGRESS].sel = 0;
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
	ui_job_added(ui);
	ui->dirty |= DIRTY_TABS | DIRTY_BODY | DIRTY_STATUS;
	return 0;
}
