/* pane_history.c - the History pane: the jobs recorded in the state
 * database, newest first. Outcomes of installs and rollbacks come with
 * guarded installs; for now it lists the check jobs. */
#include "config.h"

#include <curses.h>
#include <stdio.h>
#include <time.h>

#include "draw.h"
#include "i18n.h"
#include "pane.h"

static size_t history_count(const struct ui *ui)
{
	return ui->model.n_history;
}

static void history_enter(struct ui *ui)
{
	ui_refresh_history(ui);
}

static const char *when_text(long long t, char *buf, size_t size)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t <= 0 || !localtime_r(&tt, &tm) || strftime(buf, size, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(buf, size, "-");
	return buf;
}

static const char *duration_text(const struct job_row *j, char *buf, size_t size)
{
	long long d = j->finished > 0 && j->started > 0 ? j->finished - j->started : -1;

	if (d < 0)
		snprintf(buf, size, "-");
	else if (d < 60)
		snprintf(buf, size, "%llds", d);
	else if (d < 3600)
		snprintf(buf, size, "%lldm%02llds", d / 60, d % 60);
	else
		snprintf(buf, size, "%lldh%02lldm", d / 3600, d % 3600 / 60);
	return buf;
}

static enum theme_role state_role(enum job_state st)
{
	switch (st) {
	case JOB_OK: return ROLE_OK;
	case JOB_FAILED: case JOB_ROLLED_BACK: case JOB_RECOVERED: return ROLE_ERROR;
	case JOB_RUNNING: return ROLE_NORMAL;
	default: return ROLE_DIM;
	}
}

static void draw_job(const struct job_row *j, int y, int width, bool selected)
{
	attr_t extra = selected ? draw_attr(ROLE_SELECTED) : 0;
	char buf[64];
	int x = 2, target_w = width >= 100 ? 20 : 12;

	draw_fill(y, 0, width, extra);
	if (selected)
		draw_text(y, 0, 2, draw_glyph(GLYPH_POINTER), extra | A_BOLD);
	snprintf(buf, sizeof buf, "#%lld", (long long)j->id);
	draw_text(y, x, 6, buf, A_BOLD | extra);
	x += 7;
	draw_untrusted(y, x, 8, j->kind, extra);
	x += 9;
	draw_untrusted(y, x, target_w, j->target ? j->target : _("(all)"), extra);
	x += target_w + 1;
	draw_text(y, x, 11, store_job_state_name(j->state), draw_attr(state_role(j->state)) | extra);
	x += 12;
	draw_text(y, x, 16, when_text(j->started ? j->started : j->created, buf, sizeof buf),
		  extra);
	x += 17;
	draw_text(y, x, 7, duration_text(j, buf, sizeof buf), extra);
	x += 8;
	if (j->error && x < width)
		draw_untrusted(y, x, width - x, j->error, draw_attr(ROLE_ERROR) | extra);
}

static void history_draw(struct ui *ui, const struct rect *area)
{
	struct pane_state *ps = &ui->ps[PANE_HISTORY];
	const struct model *m = &ui->model;
	int y = area->y, w = area->w, target_w = w >= 100 ? 20 : 12;
	attr_t h = draw_attr(ROLE_HEADER);

	/* L10N: the History pane lists check jobs until installs exist. */
	draw_text(y++, 2, w - 4,
		  _("Job history arrives with guarded installs; check jobs are listed below."),
		  draw_attr(ROLE_DIM));
	if (!ui->store || m->history_error) {
		ps->page = 1;
		if (!ui->store)
			draw_text(y + 1, 2, w - 4, _("The state database is not open."), A_BOLD);
		else
			draw_untrusted(y + 1, 2, w - 4, m->history_error, draw_attr(ROLE_ERROR));
		return;
	}
	if (m->n_history == 0) {
		ps->page = 1;
		draw_text(y + 1, 2, w - 4, _("No jobs recorded yet."), A_BOLD);
		return;
	}
	int x = 2;
	draw_cell(y, x, 6, _("Job"), h);
	x += 7;
	draw_cell(y, x, 8, _("Kind"), h);
	x += 9;
	draw_cell(y, x, target_w, _("Target"), h);
	x += target_w + 1;
	draw_cell(y, x, 11, _("Outcome"), h);
	x += 12;
	draw_cell(y, x, 16, _("Started"), h);
	x += 17;
	draw_cell(y, x, 7, _("Took"), h);
	x += 8;
	draw_cell(y, x, w - x, _("Error"), h);
	y++;

	int list_h = area->y + area->h - y;
	ps->page = list_h > 0 ? list_h : 1;
	ui_list_clamp(ps, m->n_history, ps->page);
	for (int r = 0; r < list_h && ps->top + (size_t)r < m->n_history; r++) {
		size_t i = ps->top + (size_t)r;
		draw_job(&m->history[i], y + r, w, i == ps->sel);
	}
}

const struct pane_ops pane_history = {
	.title = N_("History"),
	.context = CTX_HISTORY,
	.enter = history_enter,
	.count = history_count,
	.draw = history_draw,
};
