/* frame.c - what surrounds the panes: the tab bar, the status line with the
 * hints generated from the action table, and the per-turn rendering from
 * dirty flags (one doupdate() per turn of the loop). */
#include "config.h"

#include <curses.h>
#include <limits.h>
#include <stdlib.h>

#include "actions.h"
#include "draw.h"
#include "i18n.h"
#include "overlay.h"
#include "pane.h"
#include "util.h"

/* Below this the console only asks for a larger terminal. */
#define MIN_COLS 40
#define MIN_ROWS 8

static const struct pane_ops *const panes[PANE_COUNT] = {
	[PANE_UPDATES] = &pane_updates,
	[PANE_PROGRESS] = &pane_progress,
	[PANE_BACKUPS] = &pane_backups,
	[PANE_HISTORY] = &pane_history,
};

const struct pane_ops *pane_get(enum ui_pane p)
{
	return panes[p < PANE_COUNT ? p : PANE_UPDATES];
}

static void draw_tabs(const struct ui *ui)
{
	int x = 0, w = COLS;

	draw_fill(0, 0, w, A_NORMAL);
	x += draw_text(0, x, w - x, " upkeep ", draw_attr(ROLE_TITLE));
	for (int p = 0; p < PANE_COUNT && x < w; p++) {
		char *label;
		size_t running = model_jobs_running(&ui->model);

		if (p == PANE_PROGRESS && running > 0)
			label = xasprintf(" %d %s (%zu) ", p + 1, _(panes[p]->title), running);
		else
			label = xasprintf(" %d %s ", p + 1, _(panes[p]->title));
		x += draw_text(0, x, w - x, draw_glyph(GLYPH_VLINE), draw_attr(ROLE_DIM));
		x += draw_text(0, x, w - x, label,
			       draw_attr((enum ui_pane)p == ui->pane ? ROLE_TAB_ACTIVE : ROLE_TAB));
		free(label);
	}
}

/* Hints for the actions available now: the pane's own first, then those
 * that apply everywhere. */
static void draw_hints(const struct ui *ui, int x)
{
	attr_t text = draw_attr(ROLE_STATUS), key = draw_attr(ROLE_KEY);

	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < actions_count && x < COLS; i++) {
			const struct action *a = &actions[i];
			bool general = (a->context & CTX_PANES) == CTX_PANES;
			if (!a->hint || general != (pass == 1) || !actions_available(a, ui))
				continue;
			x += draw_text(LINES - 1, x, COLS - x, " ", text);
			x += draw_text(LINES - 1, x, COLS - x, a->key_label, key);
			x += draw_text(LINES - 1, x, COLS - x, " ", text);
			x += draw_text(LINES - 1, x, COLS - x, _(a->hint), text);
		}
	}
}

static void draw_status(const struct ui *ui)
{
	int x = 0;
	attr_t base = draw_attr(ROLE_STATUS);

	draw_fill(LINES - 1, 0, COLS, base);
	const char *f = ui->filter[ui->pane];
	if (ui->filter_editing || (f && *f && !ui->overlay && !ui->help_open)) {
		/* L10N: the status line while a list is filtered: "Filter: wiki" */
		x += draw_text(LINES - 1, x, COLS - x, _(" Filter: "), base | A_BOLD);
		x += draw_untrusted(LINES - 1, x, COLS - x - 1, f ? f : "", base);
		if (ui->filter_editing) {
			x += draw_text(LINES - 1, x, COLS - x, "_", base | A_BLINK);
			draw_text(LINES - 1, x, COLS - x, _("   Enter keeps, Esc clears"), base);
			return;
		}
		x += draw_text(LINES - 1, x, COLS - x, " ", base);
		x += draw_text(LINES - 1, x, COLS - x, draw_glyph(GLYPH_VLINE), base);
	}
	if (ui->message) {
		attr_t a = ui->message_error ? draw_attr(ROLE_ERROR) | A_REVERSE : base;
		int room = COLS > 30 ? COLS * 3 / 5 : COLS;
		x += draw_text(LINES - 1, 0, room, " ", a);
		x += draw_text(LINES - 1, x, room - x, ui->message, a);
		x += draw_text(LINES - 1, x, COLS - x, " ", a);
		x += draw_text(LINES - 1, x, COLS - x, draw_glyph(GLYPH_VLINE), base);
	}
	draw_hints(ui, x);
}

static void draw_too_small(void)
{
	erase();
	/* L10N: shown when the terminal is smaller than 40x8. */
	draw_text(0, 0, COLS, _("Terminal too small for upkeep."), A_BOLD);
	if (LINES > 1)
		draw_text(1, 0, COLS, _("Enlarge it, or press q to quit."), A_NORMAL);
}

void frame_render(struct ui *ui)
{
	unsigned dirty = ui->dirty;

	if (!dirty)
		return;
	ui->dirty = 0;
	if (COLS < MIN_COLS || LINES < MIN_ROWS) {
		draw_too_small();
		wnoutrefresh(stdscr);
		doupdate();
		return;
	}
	if (dirty & DIRTY_CLEAR) {
		erase();
		dirty = DIRTY_ALL;
	}
	if (dirty & DIRTY_TABS)
		draw_tabs(ui);
	if (dirty & DIRTY_BODY) {
		struct rect area = { 1, 0, LINES - 2, COLS };
		for (int y = area.y; y < area.y + area.h; y++)
			draw_fill(y, 0, COLS, A_NORMAL);
		pane_get(ui->pane)->draw(ui, &area);
		dirty |= DIRTY_OVERLAY;
	}
	if (dirty & DIRTY_STATUS)
		draw_status(ui);
	if (ui->overlay && (dirty & DIRTY_OVERLAY))
		overlay_draw(ui);
	if (ui->help_open && (dirty & DIRTY_OVERLAY))
		help_draw(ui);
	wnoutrefresh(stdscr);
	doupdate();
}

int frame_timeout_ms(const struct ui *ui)
{
	const struct pane_ops *ops = pane_get(ui->pane);
	long long s;

	if (!ops->next_tick || (s = ops->next_tick(ui, util_now())) < 0)
		return -1;
	if (s > INT_MAX / 1000)
		s = INT_MAX / 1000;
	return (int)(s * 1000);
}
