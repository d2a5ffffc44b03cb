/* filter.c - the `/` filter of a list: typed in the status line; Enter
 * keeps it, Esc clears it, Backspace deletes. Matching is a
 * case-insensitive substring of the row's text (ui_filter_match). */
#include "config.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "i18n.h"
#include "util.h"

#define KEY_ESC 27
#define FILTER_MAX 128

enum act_result run_filter(struct ui *ui, int key)
{
	ui->filter_editing = true;
	if (!ui->filter[ui->pane])
		ui->filter[ui->pane] = xstrdup("");
	ui->dirty |= DIRTY_STATUS;
	return ACT_HANDLED;
}

static void refiltered(struct ui *ui)
{
	ui->ps[ui->pane].sel = ui->ps[ui->pane].top = 0;
	ui->dirty |= DIRTY_BODY | DIRTY_STATUS;
}

enum act_result filter_key(struct ui *ui, int key)
{
	char **f = &ui->filter[ui->pane];
	size_t len = *f ? strlen(*f) : 0;

	if (key == KEY_RESIZE)
		return ACT_RESIZE;
	if (key == KEY_ESC) {
		FREE(*f);
		ui->filter_editing = false;
		refiltered(ui);
	} else if (key == '\r' || key == '\n' || key == KEY_ENTER) {
		ui->filter_editing = false;
		if (*f && !**f)
			FREE(*f);
		ui->dirty |= DIRTY_STATUS;
	} else if (key == KEY_BACKSPACE || key == 127 || key == 8) {
		if (len > 0) {
			/* whole UTF-8 characters */
			do
				len--;
			while (len > 0 && ((unsigned char)(*f)[len] & 0xc0) == 0x80);
			(*f)[len] = '\0';
			refiltered(ui);
		}
	} else if (key >= ' ' && key < 256 && key != 127 && len < FILTER_MAX) {
		*f = xrealloc(*f, len + 2);
		(*f)[len] = (char)key;
		(*f)[len + 1] = '\0';
		refiltered(ui);
	}
	return ACT_HANDLED;
}
