/* ui.h - the console's state, shared by the loop, the panes, the action
 * table and the overlays. Curses-free: drawing lives in draw.h and pane.h. */
#ifndef UPKEEP_UI_H
#define UPKEEP_UI_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "console.h"
#include "deferred.h"
#include "model.h"

struct store;
struct worker;
struct overlay;
struct browse;

enum ui_pane { PANE_UPDATES, PANE_PROGRESS, PANE_BACKUPS, PANE_HISTORY, PANE_COUNT };

/* Where an action applies: one bit per pane, one for the help overlay. */
enum ui_context {
	CTX_UPDATES = 1 << PANE_UPDATES,
	CTX_PROGRESS = 1 << PANE_PROGRESS,
	CTX_BACKUPS = 1 << PANE_BACKUPS,
	CTX_HISTORY = 1 << PANE_HISTORY,
	CTX_HELP = 1 << PANE_COUNT,
	CTX_VIEW = 1 << (PANE_COUNT + 1),    /* a text box: details, a job's log */
	CTX_ASK = 1 << (PANE_COUNT + 2),     /* a question box */
	CTX_BROWSE = 1 << (PANE_COUNT + 3),  /* the snapshot file browser */
	CTX_PANES = CTX_UPDATES | CTX_PROGRESS | CTX_BACKUPS | CTX_HISTORY,
	CTX_LISTS = CTX_UPDATES | CTX_PROGRESS | CTX_BACKUPS | CTX_HISTORY,
	CTX_BOXES = CTX_VIEW | CTX_ASK
};

/* Parts of the screen to draw again in this turn of the loop. */
enum ui_dirty {
	DIRTY_TABS = 1 << 0,
	DIRTY_BODY = 1 << 1,
	DIRTY_STATUS = 1 << 2,
	DIRTY_OVERLAY = 1 << 3,
	DIRTY_CLEAR = 1 << 4,   /* everything, from a blank screen (resize, ^L) */
	DIRTY_ALL = (1 << 5) - 1
};

/* Selection in a pane's list; `page` is the number of visible rows, set
 * when the pane draws. */
struct pane_state {
	size_t sel, top;
	int page;
};

struct ui {
	const struct config *cfg;
	struct config *cfg_owned[8];  /* configurations loaded by `e`, kept to the end */
	size_t n_cfg_owned;
	struct console_options opts;
	struct model model;
	struct worker *worker;       /* NULL when it could not start */
	struct worker *quick;        /* a second one for plans and comparisons, which
				      * must not wait behind a long backup; or NULL */
	struct store *store;         /* read side; NULL when it could not open */
	enum ui_pane pane;
	struct pane_state ps[PANE_COUNT];
	bool help_open;
	size_t help_top;             /* first line of the help shown */
	int help_page;               /* help lines visible */
	size_t help_lines;           /* help lines in all */
	unsigned dirty;              /* enum ui_dirty */
	char *message;               /* one-line status message, or NULL */
	bool message_error;
	struct overlay *overlay;     /* the modal box, or NULL */
	struct browse *browse;       /* the snapshot file browser, or NULL */
	char *filter[PANE_COUNT];    /* the `/` filter of each pane, or NULL */
	bool filter_editing;         /* keys go to the filter of the current pane */
	int history_target;          /* History: -1 = all, else a target row */
	int history_outcome;         /* History: -1 = all, else enum job_state */
	long long db_read_ms;        /* when the jobs were last read from the state */
	bool db_pending;             /* the state changed since: read again */
	int watch_fd;                /* inotify on the state directory, or -1 */
	unsigned deferred;           /* enum deferred_read: reads to do after drawing */
	int64_t joblog_want;         /* the job whose steps and log Progress shows */
	struct joblog_cache joblog;  /* ... as last read */
	struct job_row *db_active;   /* queued and running jobs of every process */
	size_t n_db_active;
};

enum ui_context ui_context(const struct ui *ui);

/* A status-line message, shown until the next key. */
void ui_message(struct ui *ui, bool error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ui_message_clear(struct ui *ui);

void ui_switch_pane(struct ui *ui, enum ui_pane p);
/* Rows of the current pane's list (after its filters), of pane p. */
size_t ui_pane_count(const struct ui *ui);
size_t ui_pane_count_of(const struct ui *ui, enum ui_pane p);
/* A job was added to Progress: its selection stays on the same job. */
void ui_job_added(struct ui *ui);
/* Moves the current pane's selection (or scrolls the help) by delta rows;
 * to_end: 1 = last row, -1 = first row, 0 = by delta. */
void ui_move(struct ui *ui, long delta, int to_end);
/* Keeps sel inside count and on screen in `visible` rows. */
void ui_list_clamp(struct pane_state *ps, size_t count, int visible);

/* The selected target row, or NULL. */
struct target_row *ui_selected_target(const struct ui *ui);
/* Submits a check of one target row, or of all with (size_t)-1. Reports in
 * the status line. Returns 0 or -1. */
int ui_submit_check(struct ui *ui, size_t row);
/* The console's one fatal-error hook: gives the terminal back, prints the
 * message and exits. */
_Noreturn void ui_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Asks for the history again (after drawing) if a job finished since and
 * the pane shows it. */
void ui_refresh_history(struct ui *ui);

/* The `/` filter: whether row text matches the current pane's filter
 * (case-insensitive substring; no filter matches everything). */
bool ui_filter_match(const struct ui *ui, enum ui_pane p, const char *text);
/* Model index of the visible row `i` of pane p (after its filters), or
 * (size_t)-1. Visible rows in all: ui_pane_count(). */
size_t ui_row_index(const struct ui *ui, enum ui_pane p, size_t i);

/* console.c: gives the terminal to $EDITOR (else vi) on file and takes it
 * back; the console's signals are ignored meanwhile. */
int console_run_editor(struct ui *ui, const char *file, struct up_error *err);
/* console.c: replaces the configuration (the worker must be idle): the
 * worker, the model and the state are started again on cfg (owned). */
void console_reload(struct ui *ui, struct config *cfg);

/* Reports an engine error in the status line (escaped). */
void ui_error(struct ui *ui, const char *what, struct up_error *err);

#endif
