/* pane_backups.c - the Backups pane. Snapshots come with the archive store;
 * until then the pane says so. */
#include "config.h"

#include <curses.h>

#include "draw.h"
#include "i18n.h"
#include "pane.h"

static void backups_draw(struct ui *ui, const struct rect *area)
{
	int y = area->y + 1, w = area->w - 4;

	ui->ps[PANE_BACKUPS].page = 1;
	draw_text(y++, 2, w, _("Snapshots arrive with the archive store."), A_BOLD);
	y++;
	draw_text(y++, 2, w,
		  _("This pane will list the snapshots of the selected target: date,"),
		  A_NORMAL);
	draw_text(y++, 2, w,
		  _("version, reason, size, new data, verified and pinned, and restore one."),
		  A_NORMAL);
}

const struct pane_ops pane_backups = {
	.title = N_("Backups"),
	.context = CTX_BACKUPS,
	.draw = backups_draw,
};
