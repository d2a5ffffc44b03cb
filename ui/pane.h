/* pane.h - a pane of the console is a table of operations (tig's view_ops):
 * its title, where its actions apply, how many rows it lists, and how it
 * draws itself into the area it is given. */
#ifndef UPKEEP_PANE_H
#define UPKEEP_PANE_H

#include <stddef.h>

#include "ui.h"

struct rect {
	int y, x, h, w;
};

struct pane_ops {
	const char *title;                      /* N_() */
	enum ui_context context;
	/* Called when the pane becomes visible; may be NULL. */
	void (*enter)(struct ui *ui);
	/* Selectable rows; NULL = nothing to select. */
	size_t (*count)(const struct ui *ui);
	/* Draws the whole pane into area (already cleared). Sets the pane's
	 * ps.page to the number of list rows visible. */
	void (*draw)(struct ui *ui, const struct rect *area);
	/* Seconds until time-based text on the pane changes (>= 1), or -1;
	 * may be NULL. */
	long long (*next_tick)(const struct ui *ui, long long now);
};

extern const struct pane_ops pane_updates;
extern const struct pane_ops pane_progress;
extern const struct pane_ops pane_backups;
extern const struct pane_ops pane_history;

const struct pane_ops *pane_get(enum ui_pane p);

/* The frame around the panes (frame.c): tab bar, status line, rendering. */
/* Draws what is dirty, then one doupdate(). */
void frame_render(struct ui *ui);
/* Milliseconds until something time-based must be redrawn, -1 = never. */
int frame_timeout_ms(const struct ui *ui);

/* The help overlay (help.c), generated from the action table. */
void help_draw(struct ui *ui);

#endif
