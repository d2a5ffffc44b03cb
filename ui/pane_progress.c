/* pane_progress.c - the Progress pane: the jobs of this session, newest
 * first (id, what, a bar of targets done out of total, state), and the log
 * tail of the selected job. */
#include "config.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>

#include "draw.h"
#include "i18n.h"
#include "pane.h"
#include "util.h"

/* Rows kept for the log under the list, when there is room. */
#define LOG_MIN 6

static size_t progress_count(const struct ui *ui)
{
	return ui->model.n_jobs;
}

/* Newest first. */
static const struct job_view *job_at(const struct ui *ui, size_t i)
{
	return i < ui->model.n_jobs ? ui->model.jobs[ui->model.n_jobs - 1 - i] : NULL;
}

static void draw_state(const struct job_view *j, int y, int x, int w, attr_t extra)
{
	int used;

	switch (j->phase) {
	case JOB_PHASE_QUEUED:
		draw_text(y, x, w, _("queued"), draw_attr(ROLE_DIM) | extra);
		return;
	case JOB_PHASE_RUNNING:
		used = draw_text(y, x, w, _("running"), A_BOLD | extra);
		if (j->step) {
			used += draw_text(y, x + used, w - used, ": ", extra);
			draw_untrusted(y, x + used, w - used, j->step, extra);
		}
		return;
	case JOB_PHASE_DONE:
		if (j->status == UP_OK) {
			draw_text(y, x, w, _("done"), draw_attr(ROLE_OK) | extra);
			return;
		}
		used = draw_text(y, x, w,
				 j->status == UP_ERR_CANCELLED ? _("cancelled") : _("failed"),
				 draw_attr(ROLE_ERROR) | extra);
		if (j->error) {
			used += draw_text(y, x + used, w - used, ": ", draw_attr(ROLE_ERROR) | extra);
			draw_untrusted(y, x + used, w - used, j->error, draw_attr(ROLE_ERROR) | extra);
		}
		return;
	}
}

static void draw_job(const struct job_view *j, int y, int width, bool selected)
{
	attr_t extra = selected ? draw_attr(ROLE_SELECTED) : 0;
	char buf[64];
	int x = 2;
	int label_w = width >= 100 ? 28 : width >= 70 ? 20 : 12;
	int bar_w = width >= 100 ? 22 : width >= 70 ? 14 : 8;

	draw_fill(y, 0, width, extra);
	if (selected)
		draw_text(y, 0, 2, draw_glyph(GLYPH_POINTER), extra | A_BOLD);
	snprintf(buf, sizeof buf, "#%lld", (long long)(j->store_id ? j->store_id : j->id));
	draw_text(y, x, 6, buf, A_BOLD | extra);
	x += 7;
	draw_untrusted(y, x, label_w, j->label, extra);
	x += label_w + 1;
	draw_bar(y, x, bar_w, j->phase == JOB_PHASE_DONE && j->status == UP_OK ? j->total : j->done,
		 j->total, extra);
	x += bar_w + 1;
	snprintf(buf, sizeof buf, "%lld/%lld",
		 j->phase == JOB_PHASE_DONE && j->status == UP_OK ? j->total : j->done, j->total);
	draw_text(y, x, 9, buf, extra);
	x += 10;
	if (x < width)
		draw_state(j, y, x, width - x, extra);
}

static void draw_log(const struct job_view *j, int y, int bottom, int width)
{
	size_t rows = bottom > y ? (size_t)(bottom - y) : 0;
	size_t first = j->log.n > rows ? j->log.n - rows : 0;

	if (j->log.n == 0 && rows > 0) {
		draw_text(y, 2, width - 2, _("No log lines yet."), draw_attr(ROLE_DIM));
		return;
	}
	for (size_t i = first; i < j->log.n; i++)
		draw_untrusted(y++, 2, width - 2, j->log.items[i], A_NORMAL);
}

static void progress_draw(struct ui *ui, const struct rect *area)
{
	struct pane_state *ps = &ui->ps[PANE_PROGRESS];
	size_t n = ui->model.n_jobs;

	if (n == 0) {
		draw_text(area->y + 1, 2, area->w - 2, _("No jobs in this session yet."), A_BOLD);
		draw_text(area->y + 2, 2, area->w - 2,
			  _("Press C to check every target; running and finished jobs show here."),
			  A_NORMAL);
		ps->page = 1;
		return;
	}
	int list_h = area->h - 2 - LOG_MIN;
	if (list_h > (int)n)
		list_h = (int)n;
	if (list_h < 3)
		list_h = (int)n < 3 ? (int)n : 3;
	if (list_h > area->h - 1)
		list_h = area->h - 1 > 0 ? area->h - 1 : 1;
	ps->page = list_h;
	ui_list_clamp(ps, n, list_h);

	int label_w = area->w >= 100 ? 28 : area->w >= 70 ? 20 : 12;
	int bar_w = area->w >= 100 ? 22 : area->w >= 70 ? 14 : 8;
	attr_t h = draw_attr(ROLE_HEADER);
	int x = 2;
	draw_cell(area->y, x, 6, _("Job"), h);
	x += 7;
	draw_cell(area->y, x, label_w, _("What"), h);
	x += label_w + 1;
	draw_cell(area->y, x, bar_w, _("Progress"), h);
	x += bar_w + 1;
	draw_cell(area->y, x, 9, _("Targets"), h);
	x += 10;
	draw_cell(area->y, x, area->w - x, _("State"), h);

	for (int r = 0; r < list_h && ps->top + (size_t)r < n; r++) {
		size_t i = ps->top + (size_t)r;
		draw_job(job_at(ui, i), area->y + 1 + r, area->w, i == ps->sel);
	}
	int sep = area->y + 1 + list_h;
	if (sep >= area->y + area->h)
		return;
	const struct job_view *sel = job_at(ui, ps->sel);
	draw_hline(sep, 0, area->w, draw_attr(ROLE_DIM));
	char *title = xasprintf(_(" Log of job #%lld "),
				(long long)(sel->store_id ? sel->store_id : sel->id));
	draw_text(sep, 2, area->w - 4, title, draw_attr(ROLE_DIM));
	free(title);
	draw_log(sel, sep + 1, area->y + area->h, area->w);
}

const struct pane_ops pane_progress = {
	.title = N_("Progress"),
	.context = CTX_PROGRESS,
	.count = progress_count,
	.draw = progress_draw,
};
