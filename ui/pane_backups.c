/* pane_backups.c - the Backups pane: the snapshots of the target selected
 * in the Updates pane, newest first, read from the archive index; or, when
 * one is opened, the file browser of that snapshot. */
#include "config.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "browse.h"
#include "deferred.h"
#include "draw.h"
#include "i18n.h"
#include "pane.h"
#include "words.h"

/* The target whose snapshots the pane shows. */
static const char *selected_target(const struct ui *ui)
{
	const struct target_row *row = ui_selected_target(ui);
	return row ? row->cfg->name : NULL;
}

static size_t backups_count(const struct ui *ui)
{
	return ui->model.n_snapshots;
}

static void backups_row_text(const struct ui *ui, size_t i, struct strbuf *out)
{
	const struct snapshot_info *s = &ui->model.snapshots[i];
	strbuf_addf(out, "#%lld %s %s %s", (long long)s->id, s->version ? s->version : "",
		    s->reason ? words_reason(s->reason) : "", s->note ? s->note : "");
}

/* The snapshots are read after the pane is drawn (deferred.h); until then
 * the pane shows the ones it has of this target, or says it reads them. */
static void backups_enter(struct ui *ui)
{
	const char *target = selected_target(ui);
	if (target) {
		model_expect_snapshots(&ui->model, target);
		deferred_want(ui, READ_SNAPSHOTS);
	}
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

/* Below this width the Files column goes first (the list has no
 * file count): everything else then fits in 80 columns. */
#define FILES_MIN_WIDTH 90

/* The last verification: "5m ago" (passed), "FAILED" or "-" (never). */
static void draw_verified(const struct snapshot_info *s, int y, int x, attr_t extra)
{
	char buf[32];
	if (!s->verified_at)
		draw_text(y, x, 9, "-", draw_attr(ROLE_DIM) | extra);
	else if (s->verify_error)
		/* L10N: the Verified column of a snapshot whose verification failed; at most 9 columns */
		draw_text(y, x, 9, _("FAILED"), draw_attr(ROLE_ERROR) | A_BOLD | extra);
	else
		draw_text(y, x, 9, draw_time_ago(s->verified_at, util_now(), buf, sizeof buf), extra);
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
	draw_untrusted(y, x, 11, s->reason ? words_reason(s->reason) : "-", extra);
	x += 12;
	if (width >= FILES_MIN_WIDTH) {
		snprintf(buf, sizeof buf, "%lld", s->files);
		draw_text(y, x, 7, buf, extra);
		x += 8;
	}
	draw_text(y, x, 7, size_text(s->bytes, buf, sizeof buf), extra);
	x += 8;
	draw_text(y, x, 7, size_text(s->new_bytes, buf, sizeof buf), extra);
	x += 8;
	draw_verified(s, y, x, extra);
	x += 10;
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
	draw_cell(y, x, 11, _("Reason"), h);
	x += 12;
	if (w >= FILES_MIN_WIDTH) {
		draw_cell(y, x, 7, _("Files"), h);
		x += 8;
	}
	draw_cell(y, x, 7, _("Size"), h);
	x += 8;
	draw_cell(y, x, 7, _("New"), h);
	x += 8;
	draw_cell(y, x, 9, _("Verified"), h);
	x += 10;
	draw_cell(y, x, 3, _("Pin"), h);
	x += 4;
	if (x < w)
		draw_cell(y, x, w - x, _("Note"), h);
}

/* The browser: the snapshot and directory, then one entry per row with its
 * mark against the live tree, type, size, mtime and name. */
static const char *mark_text(enum browse_mark m)
{
	switch (m) {
	case MARK_CHANGED: return "~";
	case MARK_MISSING: return "-";
	case MARK_INSIDE: return "*";
	case MARK_UNKNOWN: return "?";
	default: return " ";
	}
}

static void browse_entry(const struct browse *b, const struct archive_entry *e, int y, int w,
			 bool selected)
{
	attr_t extra = selected ? draw_attr(ROLE_SELECTED) : 0;
	char buf[64];
	struct tm tm;
	time_t t = (time_t)(e->mtime_ns / 1000000000);
	char *path = *b->path ? xasprintf("%s/%s", b->path, e->name) : xstrdup(e->name);
	enum browse_mark m = browse_mark_of(b, path);
	free(path);
	draw_fill(y, 0, w, extra);
	if (selected)
		draw_text(y, 0, 2, draw_glyph(GLYPH_POINTER), extra | A_BOLD);
	draw_text(y, 2, 1, mark_text(m), (m == MARK_SAME ? A_NORMAL : draw_attr(ROLE_ERROR) | A_BOLD) | extra);
	draw_text(y, 4, 4, e->type == ARCHIVE_DIR ? "dir" : e->type == ARCHIVE_SYMLINK ? "link" : "",
		  draw_attr(ROLE_DIM) | extra);
	draw_text(y, 9, 8, e->type == ARCHIVE_DIR ? "" : size_text((long long)e->size, buf, sizeof buf),
		  extra);
	if (!localtime_r(&t, &tm) || strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(buf, sizeof buf, "-");
	draw_text(y, 18, 16, buf, extra);
	int used = draw_untrusted(y, 35, w - 36, e->name, (e->type == ARCHIVE_DIR ? A_BOLD : 0) | extra);
	if (e->type == ARCHIVE_DIR)
		draw_text(y, 35 + used, w - 35 - used, "/", A_BOLD | extra);
}

static void browse_draw(struct ui *ui, const struct rect *area)
{
	struct browse *b = ui->browse;
	int y = area->y, w = area->w;
	char *dir = xasprintf("/%s", b->path);
	char *title = xasprintf(_("Snapshot %lld of %s: %s"), (long long)b->snapshot, b->target, dir);
	draw_untrusted(y++, 2, w - 4, title, A_BOLD);
	free(title);
	free(dir);
	const char *state = b->diff_error ? b->diff_error
			    : b->diff ? _("marks against the live tree: ~ differs, - missing there, * differences inside")
				      : _("comparing with the live tree...");
	draw_untrusted(y++, 2, w - 4, state, b->diff_error ? draw_attr(ROLE_ERROR) : draw_attr(ROLE_DIM));
	if (b->error) {
		draw_untrusted(y + 1, 2, w - 4, b->error, draw_attr(ROLE_ERROR));
		b->ps.page = 1;
		return;
	}
	if (b->n == 0) {
		draw_text(y + 1, 2, w - 4, _("(empty directory)"), draw_attr(ROLE_DIM));
		b->ps.page = 1;
		return;
	}
	attr_t h = draw_attr(ROLE_HEADER);
	draw_cell(y, 9, 8, _("Size"), h);
	draw_cell(y, 18, 16, _("Modified"), h);
	draw_cell(y, 35, w - 36, _("Name"), h);
	y++;
	pane_list_layout(&b->ps, b->n, area->y + area->h - y);
	for (int r = 0; r < b->ps.page && b->ps.top + (size_t)r < b->n; r++) {
		size_t i = b->ps.top + (size_t)r;
		browse_entry(b, &b->entries[i], y + r, w, i == b->ps.sel);
	}
}

static void backups_draw(struct ui *ui, const struct rect *area)
{
	struct pane_state *ps = &ui->ps[PANE_BACKUPS];
	if (ui->browse) {
		browse_draw(ui, area);
		return;
	}
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
		draw_text(y + 1, 2, w - 4, m->snapshots_reading ? _("Reading the snapshots...")
					   : _("No snapshots yet. Press b to take one."), A_NORMAL);
		return;
	}
	size_t n;
	size_t *rows = pane_rows(ui, PANE_BACKUPS, &n);
	draw_header(y++, w);
	int list_h = area->y + area->h - y;
	pane_list_layout(ps, n, list_h);
	for (int r = 0; r < list_h && ps->top + (size_t)r < n; r++) {
		size_t i = ps->top + (size_t)r;
		draw_snapshot(&m->snapshots[rows[i]], y + r, w, i == ps->sel);
	}
	free(rows);
}

const struct pane_ops pane_backups = {
	.title = N_("Backups"),
	.context = CTX_BACKUPS,
	.enter = backups_enter,
	.count = backups_count,
	.row_text = backups_row_text,
	.draw = backups_draw,
};
