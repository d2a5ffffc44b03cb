/* actions.c - the action table of the console and its handlers. */
#include "config.h"

#include "actions.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "browse.h"
#include "draw.h"
#include "handlers.h"
#include "overlay.h"
#include "i18n.h"
#include "pane.h"

#define KEY_ESC 27
#define KEY_CTRL(c) ((c) & 0x1f)

/* Quitting stops the worker, which cancels its jobs: an install or a
 * restore would be rolled back, so q leaves that to an explicit x. */
static enum act_result run_quit(struct ui *ui, int key)
{
	for (size_t i = 0; i < ui->model.n_jobs; i++) {
		const struct job_view *j = ui->model.jobs[i];
		if (j->phase == JOB_PHASE_DONE || !j->kind ||
		    (strcmp(j->kind, "install") != 0 && strcmp(j->kind, "restore") != 0))
			continue;
		char *label = draw_escape(j->label ? j->label : j->kind);
		ui_message(ui, true, _("%s is running: wait for it, or cancel it with x first"), label);
		free(label);
		return ACT_HANDLED;
	}
	return ACT_QUIT;
}

static enum act_result run_help(struct ui *ui, int key)
{
	ui->help_open = true;
	ui->help_top = 0;
	ui->dirty |= DIRTY_OVERLAY | DIRTY_STATUS;
	return ACT_HANDLED;
}

static enum act_result run_close(struct ui *ui, int key)
{
	ui->help_open = false;
	ui->dirty |= DIRTY_BODY | DIRTY_STATUS;
	return ACT_HANDLED;
}

static enum act_result run_pane(struct ui *ui, int key)
{
	ui_switch_pane(ui, (enum ui_pane)(key - '1'));
	return ACT_HANDLED;
}

static enum act_result run_next_pane(struct ui *ui, int key)
{
	ui_switch_pane(ui, (enum ui_pane)((ui->pane + 1) % PANE_COUNT));
	return ACT_HANDLED;
}

static enum act_result run_prev_pane(struct ui *ui, int key)
{
	ui_switch_pane(ui, (enum ui_pane)((ui->pane + PANE_COUNT - 1) % PANE_COUNT));
	return ACT_HANDLED;
}

static long page_rows(const struct ui *ui)
{
	int page = ui->help_open ? ui->help_page
		   : ui->overlay ? ui->overlay->page
		   : ui->pane == PANE_BACKUPS && ui->browse ? ui->browse->ps.page
		   : ui->ps[ui->pane].page;
	return page > 1 ? page - 1 : 1;
}

static enum act_result run_down(struct ui *ui, int key)
{
	ui_move(ui, 1, 0);
	return ACT_HANDLED;
}

static enum act_result run_up(struct ui *ui, int key)
{
	ui_move(ui, -1, 0);
	return ACT_HANDLED;
}

static enum act_result run_page_down(struct ui *ui, int key)
{
	ui_move(ui, page_rows(ui), 0);
	return ACT_HANDLED;
}

static enum act_result run_page_up(struct ui *ui, int key)
{
	ui_move(ui, -page_rows(ui), 0);
	return ACT_HANDLED;
}

static enum act_result run_first(struct ui *ui, int key)
{
	ui_move(ui, 0, -1);
	return ACT_HANDLED;
}

static enum act_result run_last(struct ui *ui, int key)
{
	ui_move(ui, 0, 1);
	return ACT_HANDLED;
}

static bool can_check_one(const struct ui *ui)
{
	const struct target_row *row = ui_selected_target(ui);
	return ui->worker && row && row->checking == 0;
}

static enum act_result run_check_one(struct ui *ui, int key)
{
	const struct target_row *row = ui_selected_target(ui);
	if (row)
		ui_submit_check(ui, (size_t)(row - ui->model.rows));
	return ACT_HANDLED;
}

static bool can_check_all(const struct ui *ui)
{
	return ui->worker && ui->model.n_rows > 0;
}

static enum act_result run_check_all(struct ui *ui, int key)
{
	ui_submit_check(ui, (size_t)-1);
	return ACT_HANDLED;
}

static enum act_result run_redraw(struct ui *ui, int key)
{
	return ACT_REDRAW;
}

/* The order here is the order of the help overlay and of the hints. */
#define KEYS_ENTER '\r', '\n', KEY_ENTER
#define CTX_MOVE (CTX_LISTS | CTX_HELP | CTX_BOXES | CTX_BROWSE)
const struct action actions[] = {
	{ .name = "details", .keys = { KEYS_ENTER }, .key_label = "Enter",
	  /* L10N: status-line hint after the key "Enter": keep it short. */
	  .hint = N_("details"),
	  .help = N_("Release details: tag message, signer, date, commits, install plan"),
	  .context = CTX_UPDATES, .can = can_details,
	  .cannot = N_("No target selected"), .run = run_details },
	{ .name = "install", .keys = { 'i' }, .key_label = "i",
	  .hint = N_("install"),
	  .help = N_("Install the newest release the channel offers (asks first, shows the plan)"),
	  .context = CTX_UPDATES | CTX_VIEW, .can = can_install,
	  .cannot = N_("Nothing newer to install, a job on this target is running, or the worker is down"),
	  .run = run_install },
	{ .name = "check", .keys = { 'c' }, .key_label = "c",
	  /* L10N: status-line hint after the key "c": keep it short. */
	  .hint = N_("check"),
	  .help = N_("Check the selected target for new releases"),
	  .context = CTX_UPDATES, .can = can_check_one,
	  .cannot = N_("No target selected, a check of it is running, or the worker is down"),
	  .run = run_check_one },
	{ .name = "check-all", .keys = { 'C' }, .key_label = "C",
	  .hint = N_("check all"),
	  .help = N_("Check every target for new releases"),
	  .context = CTX_UPDATES | CTX_PROGRESS, .can = can_check_all,
	  .cannot = N_("No targets, or the worker is down"),
	  .run = run_check_all },
	{ .name = "cancel-job", .keys = { 'x' }, .key_label = "x",
	  .hint = N_("cancel"),
	  .help = N_("Cancel the selected job (asks; it stops at a safe point)"),
	  .context = CTX_PROGRESS, .can = can_cancel,
	  .cannot = N_("The selected job has finished or cannot be cancelled from here"),
	  .run = run_cancel },
	{ .name = "job-log", .keys = { KEYS_ENTER }, .key_label = "Enter",
	  .hint = N_("log"),
	  .help = N_("The selected job's steps and log"),
	  .context = CTX_PROGRESS | CTX_HISTORY, .can = can_job_log,
	  .cannot = N_("No job selected"), .run = run_job_log },
	{ .name = "history-target", .keys = { 't' }, .key_label = "t",
	  .hint = N_("target"),
	  .help = N_("Show the jobs of one target, the next one, or all"),
	  .context = CTX_HISTORY, .run = run_history_target },
	{ .name = "history-outcome", .keys = { 'o' }, .key_label = "o",
	  .hint = N_("outcome"),
	  .help = N_("Show the jobs with one outcome, the next one, or all"),
	  .context = CTX_HISTORY, .run = run_history_outcome },
	{ .name = "backup", .keys = { 'b' }, .key_label = "b",
	  .hint = N_("backup"),
	  .help = N_("Take a snapshot of the target now"),
	  .context = CTX_BACKUPS, .can = can_backup,
	  .cannot = N_("No target selected, or the worker is down"), .run = run_backup },
	{ .name = "browse", .keys = { KEYS_ENTER }, .key_label = "Enter",
	  .hint = N_("files"),
	  .help = N_("Browse the snapshot's files (entries that differ from the live tree marked)"),
	  .context = CTX_BACKUPS, .can = can_snapshot_op,
	  .cannot = N_("No snapshot selected"), .run = run_browse },
	{ .name = "verify", .keys = { 'v' }, .key_label = "v",
	  .hint = N_("verify"),
	  .help = N_("Verify the selected snapshot: re-read and re-hash its data"),
	  .context = CTX_BACKUPS, .can = can_snapshot_op,
	  .cannot = N_("No snapshot selected, or the worker is down"), .run = run_verify },
	{ .name = "pin", .keys = { 'p' }, .key_label = "p",
	  .hint = N_("pin"),
	  .help = N_("Pin or unpin the selected snapshot (pinned: never pruned or forgotten)"),
	  .context = CTX_BACKUPS, .can = can_snapshot_op,
	  .cannot = N_("No snapshot selected, or the worker is down"), .run = run_pin },
	{ .name = "forget", .keys = { 'd' }, .key_label = "d",
	  .hint = N_("forget"),
	  .help = N_("Forget the selected snapshot and reclaim its space (asks)"),
	  .context = CTX_BACKUPS, .can = can_snapshot_op,
	  .cannot = N_("No snapshot selected, or the worker is down"), .run = run_forget },
	{ .name = "restore", .keys = { 'r' }, .key_label = "r",
	  .hint = N_("restore"),
	  .help = N_("Restore the snapshot in place, or in the browser the selected file or directory (asks, shows the changes)"),
	  .context = CTX_BACKUPS | CTX_BROWSE, .can = can_restore,
	  .cannot = N_("Nothing to restore selected, a job on this target is running, or the worker is down"),
	  .run = run_restore },
	{ .name = "open-dir", .keys = { KEYS_ENTER, KEY_RIGHT, 'l' }, .key_label = "Enter/l",
	  .hint = N_("open"),
	  .help = N_("Open the selected directory"),
	  .context = CTX_BROWSE, .can = can_browse_enter,
	  .cannot = N_("Not a directory"), .run = run_browse_enter },
	{ .name = "parent-dir", .keys = { KEY_LEFT, 'h', KEY_BACKSPACE, 127 }, .key_label = "h/Left",
	  .hint = N_("up"),
	  .help = N_("Go to the parent directory"),
	  .context = CTX_BROWSE, .run = run_browse_up },
	{ .name = "close-browser", .keys = { KEY_ESC, 'q' }, .key_label = "Esc/q",
	  .hint = N_("close"),
	  .help = N_("Close the file browser"),
	  .context = CTX_BROWSE, .run = run_browse_close },
	{ .name = "yes", .keys = { 'y', 'f', 'e' }, .key_label = "y",
	  .hint = N_("yes"),
	  .help = N_("Answer yes (f or e where the question names that key)"),
	  .context = CTX_ASK, .can = can_yes,
	  .cannot = N_("This question has no yes yet"), .run = run_yes },
	{ .name = "no", .keys = { KEY_ESC, 'n', 'q' }, .key_label = "Esc/n",
	  .hint = N_("no"),
	  .help = N_("Answer no and close the question"),
	  .context = CTX_ASK, .run = run_box_close },
	{ .name = "close-box", .keys = { KEY_ESC, 'q', KEYS_ENTER }, .key_label = "Esc/q",
	  .hint = N_("close"),
	  .help = N_("Close the details"),
	  .context = CTX_VIEW, .run = run_box_close },
	{ .name = "down", .keys = { 'j', KEY_DOWN }, .key_label = "j/Down",
	  .help = N_("Move down (scroll in boxes and this help)"),
	  .context = CTX_MOVE, .run = run_down },
	{ .name = "up", .keys = { 'k', KEY_UP }, .key_label = "k/Up",
	  .help = N_("Move up"),
	  .context = CTX_MOVE, .run = run_up },
	{ .name = "page-down", .keys = { KEY_NPAGE, ' ' }, .key_label = "PgDn/Space",
	  .help = N_("One page down"),
	  .context = CTX_MOVE, .run = run_page_down },
	{ .name = "page-up", .keys = { KEY_PPAGE }, .key_label = "PgUp",
	  .help = N_("One page up"),
	  .context = CTX_MOVE, .run = run_page_up },
	{ .name = "first", .keys = { KEY_HOME, 'g' }, .key_label = "Home/g",
	  .help = N_("Go to the first row"),
	  .context = CTX_MOVE, .run = run_first },
	{ .name = "last", .keys = { KEY_END, 'G' }, .key_label = "End/G",
	  .help = N_("Go to the last row"),
	  .context = CTX_MOVE, .run = run_last },
	{ .name = "pane", .keys = { '1', '2', '3', '4' }, .key_label = "1-4",
	  .hint = N_("panes"),
	  .help = N_("Go to pane 1 Updates, 2 Progress, 3 Backups, 4 History"),
	  .context = CTX_PANES | CTX_BROWSE, .run = run_pane },
	{ .name = "next-pane", .keys = { '\t' }, .key_label = "Tab",
	  .help = N_("Next pane"),
	  .context = CTX_PANES | CTX_BROWSE, .run = run_next_pane },
	{ .name = "previous-pane", .keys = { KEY_BTAB }, .key_label = "S-Tab",
	  .help = N_("Previous pane"),
	  .context = CTX_PANES | CTX_BROWSE, .run = run_prev_pane },
	{ .name = "edit-config", .keys = { 'e' }, .key_label = "e",
	  .help = N_("Edit the configuration in $EDITOR; it is checked before it replaces the file"),
	  .context = CTX_PANES, .run = run_edit_config },
	{ .name = "redraw", .keys = { KEY_CTRL('l') }, .key_label = "^L",
	  .help = N_("Redraw the screen"),
	  .context = CTX_PANES | CTX_HELP | CTX_BOXES | CTX_BROWSE, .run = run_redraw },
	{ .name = "help", .keys = { '?', KEY_F(1) }, .key_label = "?",
	  .hint = N_("help"),
	  .help = N_("Show the keys (this help)"),
	  .context = CTX_PANES | CTX_BOXES | CTX_BROWSE, .run = run_help },
	{ .name = "close", .keys = { KEY_ESC, 'q', '?' }, .key_label = "Esc/q",
	  .hint = N_("close"),
	  .help = N_("Close this help"),
	  .context = CTX_HELP, .run = run_close },
	{ .name = "quit", .keys = { 'q' }, .key_label = "q",
	  .hint = N_("quit"),
	  .help = N_("Quit upkeep (running checks are cancelled; an install or restore must end first)"),
	  .context = CTX_PANES, .run = run_quit },
	{ .name = "filter", .keys = { '/' }, .key_label = "/",
	  .hint = N_("filter"),
	  .help = N_("Filter the list (type, Enter keeps it, Esc clears it)"),
	  .context = CTX_PANES, .run = run_filter },
};
const size_t actions_count = sizeof actions / sizeof actions[0];

const struct action *actions_find(unsigned context, int key)
{
	for (size_t i = 0; i < actions_count; i++) {
		const struct action *a = &actions[i];
		if (!(a->context & context))
			continue;
		for (size_t k = 0; k < ACTION_MAX_KEYS && a->keys[k]; k++)
			if (a->keys[k] == key)
				return a;
	}
	return NULL;
}

bool actions_available(const struct action *a, const struct ui *ui)
{
	return (a->context & ui_context(ui)) && (!a->can || a->can(ui));
}

enum act_result actions_dispatch(struct ui *ui, int key)
{
	if (ui->filter_editing)
		return filter_key(ui, key);
	const struct action *a = actions_find(ui_context(ui), key);

	if (!a) {
		if (!ui->help_open && !ui->overlay && key > ' ' && key < 127)
			ui_message(ui, false, _("Key %c does nothing here; press ? for help"), key);
		return ACT_HANDLED;
	}
	if (a->can && !a->can(ui)) {
		ui_message(ui, true, "%s", _(a->cannot));
		return ACT_HANDLED;
	}
	return a->run(ui, key);
}
