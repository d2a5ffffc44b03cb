/* pane_history.c - the History pane: the jobs recorded in the state
 * database, newest first, with outcome, duration and error; above them a
 * summary (success rate, rollbacks, mean install time) of the jobs the
 * filters keep (by target with t, by outcome with o, by text with /). */
#include "config.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "draw.h"
#include "i18n.h"
#include "pane.h"
#include "words.h"

static size_t history_count(const struct ui *ui)
{
	return ui->model.n_history;
}

static bool history_keep(const struct ui *ui, size_t i)
{
	const struct job_row *j = &ui->model.history[i];
	if (ui->history_outcome >= 0 && (int)j->state != ui->history_outcome)
		return false;
	if (ui->history_target >= 0 && (size_t)ui->history_target < ui->model.n_rows &&
	    (!j->target || strcmp(j->target, ui->model.rows[ui->history_target].cfg->name) != 0))
		return false;
	return true;
}

static void history_row_text(const struct ui *ui, size_t i, struct strbuf *out)
{
	const struct job_row *j = &ui->model.history[i];
	strbuf_addf(out, "#%lld %s %s %s %s", (long long)j->id, words_job_kind(j->kind),
		    j->target ? j->target : "", words_job_state(j->state), j->error ? j->error : "");
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

/* Columns of the Kind and Outcome cells: as wide as their widest word in
 * this language (German words are longer), within limits. */
struct widths {
	int kind, outcome, target;
};

static int fit_width(int want, const char *word, int max)
{
	int w = draw_width(word);
	return w > want ? (w < max ? w : max) : want;
}

static struct widths widths_for(const struct model *m, const size_t *rows, size_t n, int width)
{
	struct widths c = { .kind = 8, .outcome = 11, .target = width >= 100 ? 20 : 12 };
	c.kind = fit_width(c.kind, _("Kind"), 14);
	c.outcome = fit_width(c.outcome, _("Outcome"), 14);
	for (size_t r = 0; r < n; r++) {
		c.kind = fit_width(c.kind, words_job_kind(m->history[rows[r]].kind), 14);
		c.outcome = fit_width(c.outcome, words_job_state(m->history[rows[r]].state), 14);
	}
	/* The target gives up what the wider words take, down to 8 columns. */
	int extra = c.kind - 8 + c.outcome - 11;
	c.target = c.target - extra < 8 ? 8 : c.target - extra;
	return c;
}

static void draw_job(const struct job_row *j, const struct widths *c, int y, int width, bool selected)
{
	attr_t extra = selected ? draw_attr(ROLE_SELECTED) : 0;
	char buf[64];
	int x = 2, target_w = c->target;

	draw_fill(y, 0, width, extra);
	if (selected)
		draw_text(y, 0, 2, draw_glyph(GLYPH_POINTER), extra | A_BOLD);
	snprintf(buf, sizeof buf, "#%lld", (long long)j->id);
	draw_text(y, x, 6, buf, A_BOLD | extra);
	x += 7;
	draw_untrusted(y, x, c->kind, words_job_kind(j->kind), extra);
	x += c->kind + 1;
	draw_untrusted(y, x, target_w, j->target ? j->target : _("(all)"), extra);
	x += target_w + 1;
	draw_text(y, x, c->outcome, words_job_state(j->state), draw_attr(state_role(j->state)) | extra);
	x += c->outcome + 1;
	draw_text(y, x, 16, when_text(j->started ? j->started : j->created, buf, sizeof buf),
		  extra);
	x += 17;
	draw_text(y, x, 7, duration_text(j, buf, sizeof buf), extra);
	x += 8;
	if (j->error && x < width)
		draw_untrusted(y, x, width - x, j->error, draw_attr(ROLE_ERROR) | extra);
}

/* "12 jobs, 92% ok, 1 rolled back, installs take 14s on average". */
static void draw_summary(const struct ui *ui, const size_t *rows, size_t n, int y, int w)
{
	size_t finished = 0, ok = 0, rolled = 0, installs = 0;
	long long install_s = 0;
	for (size_t r = 0; r < n; r++) {
		const struct job_row *j = &ui->model.history[rows[r]];
		if (j->state == JOB_QUEUED || j->state == JOB_RUNNING)
			continue;
		finished++;
		ok += j->state == JOB_OK;
		rolled += j->state == JOB_ROLLED_BACK;
		if (strcmp(j->kind, "install") == 0 && j->state == JOB_OK && j->started > 0 &&
		    j->finished >= j->started) {
			installs++;
			install_s += j->finished - j->started;
		}
	}
	/* The filters come first: at 80 columns a long summary would cut them. */
	struct strbuf sb = STRBUF_INIT;
	if (ui->history_target >= 0 && (size_t)ui->history_target < ui->model.n_rows) {
		char *t = draw_escape(ui->model.rows[ui->history_target].cfg->name);
		strbuf_addf(&sb, _("  [target %s]"), t);
		free(t);
	}
	if (ui->history_outcome >= 0)
		strbuf_addf(&sb, _("  [outcome %s]"), words_job_state((enum job_state)ui->history_outcome));
	if (sb.len)
		strbuf_addstr(&sb, "  ");
	/* L10N: History's summary: jobs listed, share that succeeded, rollbacks. */
	strbuf_addf(&sb, ngettext("%zu job, %zu%% ok, %zu rolled back",
				  "%zu jobs, %zu%% ok, %zu rolled back", n), n,
		    finished ? ok * 100 / finished : 0, rolled);
	if (installs)
		strbuf_addf(&sb, _(", installs take %llds on average"), install_s / (long long)installs);
	else
		strbuf_addstr(&sb, _(", no successful install yet"));
	const char *text = sb.buf;
	while (*text == ' ')
		text++;
	draw_text(y, 2, w - 4, text, A_BOLD);
	strbuf_release(&sb);
}

static void draw_heading(const struct widths *c, int y, int w)
{
	attr_t h = draw_attr(ROLE_HEADER);
	int x = 2, target_w = c->target;
	draw_cell(y, x, 6, _("Job"), h);
	x += 7;
	draw_cell(y, x, c->kind, _("Kind"), h);
	x += c->kind + 1;
	draw_cell(y, x, target_w, _("Target"), h);
	x += target_w + 1;
	draw_cell(y, x, c->outcome, _("Outcome"), h);
	x += c->outcome + 1;
	draw_cell(y, x, 16, _("Started"), h);
	x += 17;
	draw_cell(y, x, 7, _("Took"), h);
	x += 8;
	draw_cell(y, x, w - x, _("Error"), h);
}

static void history_draw(struct ui *ui, const struct rect *area)
{
	struct pane_state *ps = &ui->ps[PANE_HISTORY];
	const struct model *m = &ui->model;
	int y = area->y, w = area->w;

	if (!ui->store || m->history_error) {
		ps->page = 1;
		if (!ui->store)
			draw_text(y + 1, 2, w - 4, _("The state database is not open."), A_BOLD);
		else
			draw_untrusted(y + 1, 2, w - 4, m->history_error, draw_attr(ROLE_ERROR));
		return;
	}
	size_t n;
	size_t *rows = pane_rows(ui, PANE_HISTORY, &n);
	draw_summary(ui, rows, n, y++, w);
	if (n == 0) {
		ps->page = 1;
		draw_text(y + 1, 2, w - 4, m->n_history ? _("No job matches the filters (t, o, /).")
						       : _("No jobs recorded yet."), A_BOLD);
		free(rows);
		return;
	}
	struct widths c = widths_for(m, rows, n, w);
	draw_heading(&c, y++, w);
	int list_h = area->y + area->h - y;
	pane_list_layout(ps, n, list_h);
	for (int r = 0; r < list_h && ps->top + (size_t)r < n; r++) {
		size_t i = ps->top + (size_t)r;
		draw_job(&m->history[rows[i]], &c, y + r, w, i == ps->sel);
	}
	free(rows);
}

const struct pane_ops pane_history = {
	.title = N_("History"),
	.context = CTX_HISTORY,
	.enter = history_enter,
	.count = history_count,
	.row_text = history_row_text,
	.row_keep = history_keep,
	.draw = history_draw,
};
