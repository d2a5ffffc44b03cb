/* pane.h - a pane of the console is a table of operations (tig's view_ops):
 * its title, where its actions apply, how many rows it lists, and how it
 * draws itself into the area it is given. */
#ifndef UPKEEP_PANE_H
#define UPKEEP_PANE_H

#include <stddef.h>

#include "ui.h"
#include "util.h"

struct rect {
	int y, x, h, w;
};

struct pane_ops {
	const char *title;                      /* N_() */
	enum ui_context context;
	/* Called when the pane becomes visible; may be NULL. */
	void (*enter)(struct ui *ui);
	/* Rows of the model behind the list (before filters); NULL = none. */
	size_t (*count)(const struct ui *ui);
	/* The text the `/` filter searches in row i; NULL = not filterable. */
	void (*row_text)(const struct ui *ui, size_t i, struct strbuf *out);
	/* Other filters of the pane (History's target and outcome); NULL = all. */
	bool (*row_keep)(const struct ui *ui, size_t i);
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

/* The visible rows of pane p after its filters: model indices, *n of them
 * (NULL when there are none). */
size_t *pane_rows(const struct ui *ui, enum ui_pane p, size_t *n);
/* A row of the Progress pane: a job of this console, or one that another
 * process runs (from the state database). */
struct progress_row {
	struct job_view *job;
	const struct job_row *db;
};
/* Row i of the Progress pane's model (others' jobs first, then this
 * console's, newest first); false past the end. */
bool progress_row_at(const struct ui *ui, size_t i, struct progress_row *out);
bool progress_selected(const struct ui *ui, struct progress_row *out);
/* Whether a database job is one of this console's own. */
bool progress_db_is_own(const struct ui *ui, const struct job_row *db);

/* Lays out a list of n rows in h rows: sets ps->page, clamps sel and top. */
void pane_list_layout(struct pane_state *ps, size_t n, int h);

#endif
