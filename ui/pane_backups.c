/* pane_backups.c - the Backups pane: the snapshots of the target selected
 * in the Updates pane, newest first, read from the archive index. Taking,
 * verifying and restoring snapshots from the keyboard come with the
 * console's backup actions; batch mode does them today. */
#include "config.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "draw.h"
#include "i18n.h"
#include "pane.h"

/* The target whose snapshots the pane shows. */
static const char *selected_target(const struct ui *ui)
{
	size_t sel = ui->ps[PANE_UPDATES].sel;
	return sel < ui->model.n_rows ? ui->model.rows[sel].cfg->name : NULL;
}

static size_t backups_count(const struct ui *ui)
{
	return ui->model.n_snapshots;
}

static void backups_enter(struct ui *ui)
{
	const char *target = selected_target(ui);
	if (target)
		model_load_snapshots(&ui->model, target);
	ui->dirty |= DIRTY_BODY;
}

/* 12.3M style sizes: short enough for 80 columns. */
static const char *size_text(long long bytes, char *buf, size_t size)
{
	static const char units[] = "BKMGT";
	double v = (double)bytes;
	int u = 0;
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%lldB", bytes);
	else
		snprintf(buf, size, "%.1f%c", v, units[u]);
	return buf;
}

static void draw_snapshot(const struct snapshot_info *s, int y, int width, bool selected)
{
	attr_t extra = selected ? draw_attr(ROLE_SELECTED) : 0;
	char buf[64];
	struct tm tm;
	time_t t = (time_t)s->time;
	int x = 2;

	draw_fill(y, 0, width, extra);
	if (selected)
		draw_text(y, 0, 2, draw_glyph(GLYPH_POINTER), extra | A_BOLD);
	snprintf(buf, sizeof buf, "#%lld", (long long)s->id);
	draw_text(y, x, 6, buf, A_BOLD | extra);
	x += 7;
	if (!localtime_r(&t, &tm) || strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(buf, sizeof buf, "-");
	draw_text(y, x, 16, buf, extra);
	x += 17;
	draw_untrusted(y, x, 11, s->version ? s->version : "-", extra);
	x += 12;
	draw_untrusted(y, x, 10, s->reason ? s->reason : "-", extra);
	x += 11;
	snprintf(buf, sizeof buf, "%lld", s->files);
	draw_text(y, x, 7, buf, extra);
	x += 8;
	draw_text(y, x, 7, size_text(s->bytes, buf, sizeof buf), extra);
	x += 8;
	draw_text(y, x, 7, size_text(s->new_bytes, buf, sizeof buf), extra);
	x += 8;
	draw_text(y, x, 3, s->pinned ? _("yes") : "", extra);
	x += 4;
	if (s->note && x < width)
		draw_untrusted(y, x, width - x, s->note, extra);
}

static void draw_header(int y, int w)
{
	attr_t h = draw_attr(ROLE_HEADER);
	int x = 2;
	draw_cell(y, x, 6, _("Snap"), h);
	x += 7;
	draw_cell(y, x, 16, _("Date"), h);
	x += 17;
	draw_cell(y, x, 11, _("Version"), h);
	x += 12;
	draw_cell(y, x, 10, _("Reason"), h);
	x += 11;
	draw_cell(y, x, 7, _("Files"), h);
	x += 8;
	draw_cell(y, x, 7, _("Size"), h);
	x += 8;
	draw_cell(y, x, 7, _("New"), h);
	x += 8;
	draw_cell(y, x, 3, _("Pin"), h);
	x += 4;
	if (x < w)
		draw_cell(y, x, w - x, _("Note"), h);
}

static void backups_draw(struct ui *ui, const struct rect *area)
{
	struct pane_state *ps = &ui->ps[PANE_BACKUPS];
	const struct model *m = &ui->model;
	int y = area->y, w = area->w;

	ps->page = 1;
	if (!m->snapshots_target) {
		draw_text(y + 1, 2, w - 4, _("No target selected."), A_BOLD);
		return;
	}
	char *title = xasprintf(_("Snapshots of %s"), m->snapshots_target);
	draw_untrusted(y++, 2, w - 4, title, A_BOLD);
	free(title);
	if (m->snapshots_error) {
		draw_untrusted(y + 1, 2, w - 4, m->snapshots_error, draw_attr(ROLE_ERROR));
		return;
	}
	if (m->n_snapshots == 0) {
		draw_text(y + 1, 2, w - 4,
			  _("No snapshots yet. Take one with: upkeep --batch backup TARGET"), A_NORMAL);
		return;
	}
	draw_header(y++, w);
	int list_h = area->y + area->h - y;
	ps->page = list_h > 0 ? list_h : 1;
	ui_list_clamp(ps, m->n_snapshots, ps->page);
	for (int r = 0; r < list_h && ps->top + (size_t)r < m->n_snapshots; r++) {
		size_t i = ps->top + (size_t)r;
		draw_snapshot(&m->snapshots[i], y + r, w, i == ps->sel);
	}
}

const struct pane_ops pane_backups = {
	.title = N_("Backups"),
	.context = CTX_BACKUPS,
	.enter = backups_enter,
	.count = backups_count,
	.draw = backups_draw,
};
