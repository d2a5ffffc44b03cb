/* handlers.h - the handlers and preconditions the action table names,
 * grouped by file: act_updates.c, act_backups.c, act_jobs.c, act_config.c,
 * filter.c. */
#ifndef UPKEEP_HANDLERS_H
#define UPKEEP_HANDLERS_H

#include <stdbool.h>
#include <stdint.h>

#include "actions.h"

/* act_updates.c: release details and installs. */
bool can_details(const struct ui *ui);
enum act_result run_details(struct ui *ui, int key);
bool can_install(const struct ui *ui);
enum act_result run_install(struct ui *ui, int key);

/* act_backups.c: snapshots and the file browser. */
bool can_backup(const struct ui *ui);
enum act_result run_backup(struct ui *ui, int key);
bool can_snapshot_op(const struct ui *ui);
enum act_result run_verify(struct ui *ui, int key);
enum act_result run_pin(struct ui *ui, int key);
enum act_result run_forget(struct ui *ui, int key);
enum act_result run_browse(struct ui *ui, int key);
bool can_browse_enter(const struct ui *ui);
enum act_result run_browse_enter(struct ui *ui, int key);
enum act_result run_browse_up(struct ui *ui, int key);
enum act_result run_browse_close(struct ui *ui, int key);
void browse_diff_result_job(struct ui *ui, struct job_view *j);
/* act_restore.c: restore in place, asked with the changes it makes. */
bool can_restore(const struct ui *ui);
enum act_result run_restore(struct ui *ui, int key);
void restore_ask_fill(struct ui *ui, struct job_view *j);
/* A job of this console on target that has not finished. */
bool ui_target_busy(const struct ui *ui, const char *target);

/* act_jobs.c: Progress and History. */
bool can_cancel(const struct ui *ui);
enum act_result run_cancel(struct ui *ui, int key);
bool can_job_log(const struct ui *ui);
enum act_result run_job_log(struct ui *ui, int key);
enum act_result run_history_target(struct ui *ui, int key);
enum act_result run_history_outcome(struct ui *ui, int key);

/* Boxes: yes, no/close. */
bool can_yes(const struct ui *ui);
enum act_result run_yes(struct ui *ui, int key);
enum act_result run_box_close(struct ui *ui, int key);

/* act_config.c: `e`. */
enum act_result run_edit_config(struct ui *ui, int key);

/* filter.c: `/` and the keys while the filter is edited. */
enum act_result run_filter(struct ui *ui, int key);
enum act_result filter_key(struct ui *ui, int key);

/* What the loop passes on from the worker: a job's result or its end. */
void ui_job_result(struct ui *ui, struct job_view *j);
void ui_job_finished(struct ui *ui, struct job_view *j);

#endif
