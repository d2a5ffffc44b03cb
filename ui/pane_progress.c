/* pane_progress.c - the Progress pane: jobs that other upkeep processes
 * run (read from the state database), then this console's jobs, newest
 * first; for the selected one its steps with done/failed marks, the current
 * step's bar with bytes, files, rate and ETA, and the last lines of its
 * log. */
#include "config.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "draw.h"
#include "i18n.h"
#include "joblog.h"
#include "deferred.h"
#include "pane.h"
#include "words.h"
#include "util.h"

/* Rows kept for the details under the list, when there is room. */
#define DETAIL_MIN 8

bool progress_db_is_own(const struct ui *ui, const struct job_row *db)
{
	if (db->pid == (int)getpid())
		return true;
	for (size_t i = 0; i < ui->model.n_jobs; i++)
		if (ui->model.jobs[i]->store_id == db->id)
			return true;
	return false;
}

static size_t n_foreign(const struct ui *ui)
{
	size_t n = 0;
	for (size_t i = 0; i < ui->n_db_active; i++)
		n += !progress_db_is_own(ui, &ui->db_active[i]);
	return n;
}

bool progress_row_at(const struct ui *ui, size_t i, struct progress_row *out)
{
	out->job = NULL;
	out->db = NULL;
	for (size_t k = 0; k < ui->n_db_active; k++) {
		if (progress_db_is_own(ui, &ui->db_active[k]))
			continue;
		if (i-- == 0) {
			out->db = &ui->db_active[k];
			return true;
		}
	}
	if (i >= ui->model.n_jobs)
		return false;
	out->job = ui->model.jobs[ui->model.n_jobs - 1 - i];
	return true;
}

bool progress_selected(const struct ui *ui, struct progress_row *out)
{
	size_t i = ui_row_index(ui, PANE_PROGRESS, ui->ps[PANE_PROGRESS].sel);
	return i != (size_t)-1 && progress_row_at(ui, i, out);
}

static size_t progress_count(const struct ui *ui)
{
	return n_foreign(ui) + ui->model.n_jobs;
}

/* Plans and comparisons are the boxes' helpers, not jobs to watch. */
static bool progress_keep(const struct ui *ui, size_t i)
{
	struct progress_row r;
	if (!progress_row_at(ui, i, &r) || !r.job || !r.job->kind)
		return true;
	return strcmp(r.job->kind, "plan") != 0 && strcmp(r.job->kind, "diff") != 0;
}

static void progress_row_text(const struct ui *ui, size_t i, struct strbuf *out)
{
	struct progress_row r;
	if (!progress_row_at(ui, i, &r))
		return;
	if (r.job)
		strbuf_addf(out, "%s %s", r.job->label ? r.job->label : "", r.job->step ? words_step(r.job->step) : "");
	else
		strbuf_addf(out, "%s %s", words_job_kind(r.db->kind), r.db->target ? r.db->target : "");
}

static const char *size_text(long long b, char *buf, size_t len)
{
	const char *unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)b;
	int u = 0;
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
	return buf;
}

static bool is_check(const struct job_view *j)
{
	return !j->kind || strcmp(j->kind, "check") == 0;
}

static void draw_state(const struct job_view *j, int y, int x, int w, attr_t extra)
{
	int used;

	switch (j->phase) {
	case JOB_PHASE_QUEUED:
		draw_text(y, x, w, _("queued"), draw_attr(ROLE_DIM) | extra);
		return;
	case JOB_PHASE_RUNNING:
		used = draw_text(y, x, w, j->cancelling ? _("cancelling...") : _("running"),
				 (j->cancelling ? draw_attr(ROLE_ERROR) : A_BOLD) | extra);
		if (j->step) {
			used += draw_text(y, x + used, w - used, ": ", extra);
			draw_untrusted(y, x + used, w - used, words_step(j->step), extra);
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

struct cols {
	int label, bar, count;
};

static struct cols cols_for(int width)
{
	struct cols c = { width >= 100 ? 28 : width >= 70 ? 20 : 12,
			  width >= 100 ? 22 : width >= 70 ? 14 : 8, 9 };
	return c;
}

/* "3/4" for checks, "45%" for tasks with a total, "" otherwise. */
static void count_text(const struct job_view *j, char *buf, size_t len)
{
	bool ok_done = j->phase == JOB_PHASE_DONE && j->status == UP_OK;
	if (is_check(j))
		snprintf(buf, len, "%lld/%lld", ok_done ? j->total : j->done, j->total);
	else if (ok_done)
		snprintf(buf, len, "100%%");
	else if (j->total > 0)
		snprintf(buf, len, "%lld%%", (j->done > j->total ? j->total : j->done) * 100 / j->total);
	else
		buf[0] = '\0';
}

static void draw_job(const struct job_view *j, int y, int width, bool selected)
{
	attr_t extra = selected ? draw_attr(ROLE_SELECTED) : 0;
	struct cols c = cols_for(width);
	char buf[64];
	int x = 2;
	bool ok_done = j->phase == JOB_PHASE_DONE && j->status == UP_OK;

	draw_fill(y, 0, width, extra);
	if (selected)
		draw_text(y, 0, 2, draw_glyph(GLYPH_POINTER), extra | A_BOLD);
	/* The state database's id, as History shows it; jobs it does not
	 * record (pin, unpin) have none. */
	if (j->store_id)
		snprintf(buf, sizeof buf, "#%lld", (long long)j->store_id);
	else
		snprintf(buf, sizeof buf, "-");
	draw_text(y, x, 6, buf, A_BOLD | extra);
	x += 7;
	draw_untrusted(y, x, c.label, j->label, extra);
	x += c.label + 1;
	draw_bar(y, x, c.bar, ok_done ? 1 : j->done, ok_done ? 1 : j->total, extra);
	x += c.bar + 1;
	count_text(j, buf, sizeof buf);
	draw_text(y, x, c.count, buf, extra);
	x += c.count + 1;
	if (x < width)
		draw_state(j, y, x, width - x, extra);
}

static void draw_db_job(const struct job_row *d, int y, int width, bool selected)
{
	attr_t extra = selected ? draw_attr(ROLE_SELECTED) : 0;
	struct cols c = cols_for(width);
	char buf[96];
	int x = 2;

	draw_fill(y, 0, width, extra);
	if (selected)
		draw_text(y, 0, 2, draw_glyph(GLYPH_POINTER), extra | A_BOLD);
	snprintf(buf, sizeof buf, "#%lld", (long long)d->id);
	draw_text(y, x, 6, buf, A_BOLD | extra);
	x += 7;
	char *label = xasprintf("%s %s", words_job_kind(d->kind), d->target ? d->target : "");
	draw_untrusted(y, x, c.label, label, extra);
	free(label);
	x += c.label + 1 + c.bar + 1 + c.count + 1;
	if (x >= width)
		return;
	/* L10N: a job another upkeep process runs: "running (PID 123)" */
	snprintf(buf, sizeof buf, _("%s (PID %d)"), words_job_state(d->state), d->pid);
	draw_text(y, x, width - x, buf, A_BOLD | extra);
}

static const char *mark_of(enum job_state st)
{
	switch (st) {
	case JOB_OK: return draw_is_ascii() ? "+" : "\u2713";
	case JOB_RUNNING: return draw_glyph(GLYPH_POINTER);
	default: return draw_is_ascii() ? "x" : "\u2717";
	}
}

/* The steps on one line: "✓ preflight ✓ snapshot ▶ stage", from the cache
 * (deferred.h: drawing never reads the database). */
static int draw_steps(const struct joblog_cache *c, int y, int width)
{
	if (!c || c->n_steps == 0)
		return 0;
	const struct job_step_row *v = c->steps;
	size_t n = c->n_steps;
	int x = 2;
	x += draw_text(y, x, width - x, _("Steps:"), draw_attr(ROLE_HEADER));
	for (size_t i = 0; i < n && x < width; i++) {
		enum theme_role role = v[i].state == JOB_OK ? ROLE_OK
				       : v[i].state == JOB_RUNNING ? ROLE_NORMAL : ROLE_ERROR;
		x += draw_text(y, x, width - x, " ", A_NORMAL);
		x += draw_text(y, x, width - x, mark_of(v[i].state), draw_attr(role) | A_BOLD);
		x += draw_text(y, x, width - x, " ", A_NORMAL);
		x += draw_untrusted(y, x, width - x, words_step(v[i].name),
				    v[i].state == JOB_RUNNING ? A_BOLD : A_NORMAL);
	}
	return 1;
}

/* The current step's bar: bytes and files of their totals, rate, ETA. */
static int draw_step_bar(const struct job_view *j, int y, int width)
{
	if (is_check(j) || j->phase != JOB_PHASE_RUNNING || (j->done == 0 && j->files == 0))
		return 0;
	char a[32], b[32], r[32], line[200];
	double secs = (double)(util_monotonic_ms() - j->step_ms) / 1000;
	double rate = secs > 0.2 ? (double)j->done / secs : 0;
	int bar_w = width >= 70 ? 24 : 12;
	draw_untrusted(y, 2, 12, j->step ? words_step(j->step) : "", A_BOLD);
	/* Totals are estimates (a backup's come from the previous snapshot):
	 * past them only the figures so far are shown. */
	bool bytes_known = j->total > 0 && j->done <= j->total;
	bool files_known = j->files_total > 0 && j->files <= j->files_total;
	draw_bar(y, 15, bar_w, bytes_known ? j->done : 0, bytes_known ? j->total : 0, 0);
	int n = bytes_known
		? snprintf(line, sizeof line, _("%s of %s"), size_text(j->done, a, sizeof a),
			   size_text(j->total, b, sizeof b))
		: snprintf(line, sizeof line, "%s", size_text(j->done, a, sizeof a));
	if (j->files && n < (int)sizeof line)
		n += files_known
			? snprintf(line + n, sizeof line - (size_t)n, _(", %lld of %lld files"), j->files,
				   j->files_total)
			: snprintf(line + n, sizeof line - (size_t)n, _(", %lld files"), j->files);
	if (rate > 0 && n < (int)sizeof line)
		n += snprintf(line + n, sizeof line - (size_t)n, _(", %s/s"),
			      size_text((long long)rate, r, sizeof r));
	if (rate > 0 && bytes_known && j->total > j->done && secs >= 1 && n < (int)sizeof line) {
		long long eta = (long long)((double)(j->total - j->done) / rate + 0.5);
		snprintf(line + n, sizeof line - (size_t)n, _(", ETA %lld:%02lld"), eta / 60, eta % 60);
	}
	draw_text(y, 16 + bar_w, width - 17 - bar_w, line, A_NORMAL);
	return 1;
}

static void draw_log(const struct joblog_cache *c, const struct progress_row *r, int y,
		     int bottom, int width)
{
	size_t rows = bottom > y ? (size_t)(bottom - y) : 0;
	const struct job_view *j = r->job;
	if (rows == 0)
		return;
	if (j && j->log.n) {
		size_t first = j->log.n > rows ? j->log.n - rows : 0;
		for (size_t i = first; i < j->log.n; i++)
			draw_untrusted(y++, 2, width - 2, j->log.items[i], A_NORMAL);
		return;
	}
	if (c && c->n_events) {
		const struct job_event_row *v = c->events;
		size_t first = c->n_events > rows ? c->n_events - rows : 0;
		for (size_t i = first; i < c->n_events; i++)
			draw_untrusted(y++, 2, width - 2, v[i].text,
				       strcmp(v[i].level, "info") ? draw_attr(ROLE_ERROR) : A_NORMAL);
	} else {
		draw_text(y, 2, width - 2, _("No log lines yet."), draw_attr(ROLE_DIM));
	}
}

static void draw_header(int y, int width)
{
	struct cols c = cols_for(width);
	attr_t h = draw_attr(ROLE_HEADER);
	int x = 2;
	draw_cell(y, x, 6, _("Job"), h);
	x += 7;
	draw_cell(y, x, c.label, _("What"), h);
	x += c.label + 1;
	draw_cell(y, x, c.bar, _("Progress"), h);
	x += c.bar + 1;
	draw_cell(y, x, c.count, _("Done"), h);
	x += c.count + 1;
	draw_cell(y, x, width - x, _("State"), h);
}

static void progress_draw(struct ui *ui, const struct rect *area)
{
	struct pane_state *ps = &ui->ps[PANE_PROGRESS];
	size_t n;
	size_t *rows = pane_rows(ui, PANE_PROGRESS, &n);

	if (n == 0) {
		draw_text(area->y + 1, 2, area->w - 2, ui->filter[PANE_PROGRESS]
			  ? _("No job matches the filter.") : _("No jobs in this session yet."), A_BOLD);
		draw_text(area->y + 2, 2, area->w - 2,
			  _("Press C to check every target; running and finished jobs show here."),
			  A_NORMAL);
		ps->page = 1;
		free(rows);
		return;
	}
	int list_h = area->h - 2 - DETAIL_MIN;
	if (list_h > (int)n)
		list_h = (int)n;
	if (list_h < 3)
		list_h = (int)n < 3 ? (int)n : 3;
	if (list_h > area->h - 1)
		list_h = area->h - 1 > 0 ? area->h - 1 : 1;
	pane_list_layout(ps, n, list_h);
	draw_header(area->y, area->w);
	for (int r = 0; r < list_h && ps->top + (size_t)r < n; r++) {
		size_t i = ps->top + (size_t)r;
		struct progress_row pr;
		progress_row_at(ui, rows[i], &pr);
		if (pr.job)
			draw_job(pr.job, area->y + 1 + r, area->w, i == ps->sel);
		else
			draw_db_job(pr.db, area->y + 1 + r, area->w, i == ps->sel);
	}
	int y = area->y + 1 + list_h, bottom = area->y + area->h;
	struct progress_row sel;
	progress_row_at(ui, rows[ps->sel], &sel);
	free(rows);
	if (y >= bottom)
		return;
	int64_t id = sel.job ? sel.job->store_id : sel.db->id;
	draw_hline(y, 0, area->w, draw_attr(ROLE_DIM));
	char *title = id ? xasprintf(_(" Job #%lld "), (long long)id) : xasprintf(" %s ", _("Job"));
	draw_text(y++, 2, area->w - 4, title, draw_attr(ROLE_DIM));
	free(title);
	const struct joblog_cache *c = deferred_joblog(ui, id);
	if (y < bottom)
		y += draw_steps(c, y, area->w);
	if (y < bottom && sel.job)
		y += draw_step_bar(sel.job, y, area->w);
	draw_log(c, &sel, y, bottom, area->w);
}

const struct pane_ops pane_progress = {
	.title = N_("Progress"),
	.context = CTX_PROGRESS,
	.count = progress_count,
	.row_text = progress_row_text,
	.row_keep = progress_keep,
	.draw = progress_draw,
};
