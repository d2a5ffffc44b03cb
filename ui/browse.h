/* browse.h - the file browser of one snapshot (in the Backups pane):
 * listings read from the archive index, a directory at a time, and marks
 * for entries that differ from the live tree (from a diff job's result). */
#ifndef UPKEEP_BROWSE_H
#define UPKEEP_BROWSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "archive_index.h"
#include "archive_tree.h"
#include "jobs.h"
#include "ui.h"

struct browse {
	int64_t snapshot;
	char *target;
	int64_t root;                    /* the snapshot's root listing */
	struct archive_index *idx;
	char *path;                      /* the directory shown, "" = the root */
	struct archive_entry *entries;   /* its entries, sorted by name */
	size_t n;
	struct pane_state ps;
	int64_t diff_job;                /* the comparison with the live tree, 0 = none */
	const struct diff_view *diff;    /* its result (owned by the job's view), or NULL */
	char *diff_error;
	char *error;                     /* the listing could not be read */
};

/* Opens the browser on a snapshot of target, at its root, and starts the
 * comparison with the live tree. */
void browse_open(struct ui *ui, int64_t snapshot, const char *target);
void browse_close(struct ui *ui);
/* Into the selected directory; up to the parent. */
void browse_enter(struct ui *ui);
void browse_up(struct ui *ui);
void browse_move(struct ui *ui, long delta, int to_end);
/* The selected entry's path from the snapshot's root (new string), or NULL. */
char *browse_selected_path(const struct browse *b);
/* A diff job's result arrived: takes it when it is this browser's. */
void browse_diff_result(struct ui *ui, int64_t job, const struct diff_view *d, const char *error);

/* How an entry compares with the live tree. */
enum browse_mark { MARK_SAME, MARK_CHANGED, MARK_MISSING, MARK_INSIDE, MARK_UNKNOWN };
enum browse_mark browse_mark_of(const struct browse *b, const char *path);
/* Changes under path ("" = everything) as restore would undo them:
 * live-only paths, snapshot-only paths, changed paths. */
void browse_diff_counts(const struct browse *b, const char *path, size_t *added,
			size_t *removed, size_t *changed);

#endif
