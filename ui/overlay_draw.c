/* overlay_draw.c - drawing the modal box: a centred frame, the lines
 * wrapped to its width, a scroll position and the prompt at the bottom.
 * Recomputed from LINES and COLS each time, so it follows resizes. */
#include "config.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "i18n.h"
#include "overlay.h"
#include "ui.h"

/* Bytes of s on one row of width columns: cut after the last space that
 * fits when the rest does not, else where the width ends. */
static size_t row_len(const char *s, int width)
{
	size_t n = draw_fit(s, width, NULL);
	if (n == 0 && *s)
		return 1;
	if (s[n] != '\0' && s[n] != ' ') {
		size_t cut = n;
		while (cut > 0 && s[cut - 1] != ' ')
			cut--;
		if (cut > 0)
			n = cut;
	}
	return n;
}

/* Wrapped rows of one line in width columns (at least 1). */
static size_t line_rows(const char *s, int width)
{
	size_t rows = 0;
	do {
		s += row_len(s, width);
		rows++;
	} while (*s);
	return rows;
}

/* Draws row `skip` onwards of line s at y; returns rows drawn. */
static int draw_line(const char *s, size_t skip, int y, int x, int width, int max_rows, attr_t a)
{
	int drawn = 0;
	size_t row = 0;
	do {
		size_t n = row_len(s, width);
		if (row >= skip && drawn < max_rows) {
			char *piece = xstrndup(s, n);
			draw_text(y + drawn, x, width, piece, a);
			free(piece);
			drawn++;
		}
		s += n;
		row++;
	} while (*s && drawn < max_rows);
	return drawn;
}

void overlay_draw(struct ui *ui)
{
	struct overlay *ov = ui->overlay;
	int body_h = LINES - 2;
	int w = COLS - 4 < 100 ? COLS - 4 : 100;
	int inner = w - 4;
	if (!ov || w < 20 || body_h < 5)
		return;
	size_t rows = 0;
	for (size_t i = 0; i < ov->lines.n; i++)
		rows += line_rows(ov->lines.items[i], inner);
	ov->rows = rows;
	int foot = ov->kind == OVERLAY_ASK ? 2 : 0;
	int h = (int)rows + 2 + foot < body_h ? (int)rows + 2 + foot : body_h;
	if (h < 4 + foot)
		h = 4 + foot < body_h ? 4 + foot : body_h;
	int y = 1 + (body_h - h) / 2, x = (COLS - w) / 2;
	ov->page = h - 2 - foot > 0 ? h - 2 - foot : 1;
	if (ov->at_end || ov->top + (size_t)ov->page > rows)
		ov->top = rows > (size_t)ov->page ? rows - (size_t)ov->page : 0;

	draw_box(y, x, h, w, A_NORMAL);
	char *title = xasprintf(" %s ", ov->title);
	draw_text(y, x + 2, w - 4, title, draw_attr(ROLE_TITLE));
	free(title);
	size_t row = 0;
	int at = 0;
	for (size_t i = 0; i < ov->lines.n && at < ov->page; i++) {
		const char *s = ov->lines.items[i];
		size_t n = line_rows(s, inner);
		if (row + n > ov->top) {
			size_t skip = ov->top > row ? ov->top - row : 0;
			at += draw_line(s, skip, y + 1 + at, x + 2, inner, ov->page - at,
					draw_attr((enum theme_role)ov->roles[i]));
		}
		row += n;
	}
	if (foot) {
		draw_hline(y + h - 3, x + 1, w - 2, draw_attr(ROLE_DIM));
		const char *p = ov->prompt ? ov->prompt : _("Working it out...");
		draw_text(y + h - 2, x + 2, inner, p, ov->yes_key ? A_BOLD : draw_attr(ROLE_DIM));
	}
	if (rows > (size_t)ov->page) {
		char pos[64];
		snprintf(pos, sizeof pos, " %zu-%zu/%zu ", ov->top + 1,
			 ov->top + (size_t)ov->page < rows ? ov->top + (size_t)ov->page : rows, rows);
		int pw = draw_width(pos);
		draw_text(y + h - 1, x + w - pw - 2, pw, pos, draw_attr(ROLE_DIM));
	}
}
