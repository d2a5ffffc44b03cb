/* help.c - the help overlay: the action table, grouped by where each action
 * applies, in a centred frame that follows resizes and scrolls. */
#include "config.h"

#include <curses.h>
#include <stdlib.h>

#include "actions.h"
#include "draw.h"
#include "i18n.h"
#include "pane.h"
#include "util.h"

/* Distinct groups of panes the help has a heading for. */
#define SECTIONS_MAX 32

/* One line of the overlay: a heading (owned) or an action. */
struct help_line {
	char *heading;
	const struct action *action;
};

/* The sections of boxes and the browser: keys that apply only there. */
static const struct {
	unsigned ctx;
	const char *title;
} special[] = {
	{ CTX_BROWSE, N_("In the file browser") },
	{ CTX_VIEW, N_("In details and logs") },
	{ CTX_ASK, N_("In questions") },
	{ CTX_HELP, N_("In this help") },
};
#define N_SPECIAL (sizeof special / sizeof special[0])

static char *section_title(unsigned panes)
{
	struct strbuf sb = STRBUF_INIT;

	if (panes == CTX_PANES)
		return xstrdup(_("Everywhere"));
	/* L10N: heading of the help for keys of some panes: "In Updates, Progress" */
	strbuf_addstr(&sb, _("In"));
	for (int p = 0, n = 0; p < PANE_COUNT; p++) {
		if (panes & (1u << p)) {
			strbuf_addstr(&sb, n++ ? ", " : " ");
			strbuf_addstr(&sb, _(pane_get((enum ui_pane)p)->title));
		}
	}
	return strbuf_detach(&sb);
}

static bool seen_mask(const unsigned *masks, size_t n, unsigned m)
{
	for (size_t i = 0; i < n; i++)
		if (masks[i] == m)
			return true;
	return false;
}

/* Pane sections in this order: everywhere, then single panes in table
 * order. */
static size_t section_masks(unsigned *masks)
{
	size_t n = 0;
	masks[n++] = CTX_PANES;
	for (size_t i = 0; i < actions_count; i++) {
		unsigned m = actions[i].context & CTX_PANES;
		if (m && !seen_mask(masks, n, m) && n < SECTIONS_MAX - 1)
			masks[n++] = m;
	}
	return n;
}

static void add_section(struct help_line *lines, size_t *n, char *title,
			bool (*in)(const struct action *a, unsigned m), unsigned m)
{
	size_t start = *n;
	for (size_t i = 0; i < actions_count; i++) {
		if (!in(&actions[i], m))
			continue;
		if (*n == start) {
			if (*n > 0)
				lines[(*n)++] = (struct help_line){ xstrdup(""), NULL };
			lines[(*n)++] = (struct help_line){ title, NULL };
			title = NULL;
		}
		lines[(*n)++] = (struct help_line){ NULL, &actions[i] };
	}
	free(title);
}

static bool in_panes(const struct action *a, unsigned m)
{
	return (a->context & CTX_PANES) == m;
}

static bool in_special(const struct action *a, unsigned m)
{
	return (a->context & CTX_PANES) == 0 && (a->context & m);
}

static size_t help_build(struct help_line *lines)
{
	unsigned masks[SECTIONS_MAX];
	size_t n_masks = section_masks(masks), n = 0;

	for (size_t s = 0; s < n_masks; s++)
		add_section(lines, &n, section_title(masks[s]), in_panes, masks[s]);
	for (size_t s = 0; s < N_SPECIAL; s++)
		add_section(lines, &n, xstrdup(_(special[s].title)), in_special, special[s].ctx);
	return n;
}

static void help_lines_free(struct help_line *lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(lines[i].heading);
	free(lines);
}

void help_draw(struct ui *ui)
{
	struct help_line *lines = xcalloc(3 * actions_count + 16, sizeof *lines);
	size_t n = help_build(lines);
	int body_y = 1, body_h = LINES - 2;
	int w = COLS - 4 < 76 ? COLS - 4 : 76;
	int h = (int)n + 2 < body_h ? (int)n + 2 : body_h;
	int y = body_y + (body_h - h) / 2, x = (COLS - w) / 2;
	int key_w = 0;
	attr_t frame = A_NORMAL;

	for (size_t i = 0; i < actions_count; i++)
		if (draw_width(actions[i].key_label) > key_w)
			key_w = draw_width(actions[i].key_label);
	key_w += 2;

	draw_box(y, x, h, w, frame);
	draw_text(y, x + 2, w - 4, _(" Keys "), draw_attr(ROLE_TITLE));
	ui->help_lines = n;
	ui->help_page = h - 2 > 0 ? h - 2 : 1;
	/* Keep the scroll position in range, e.g. after a resize. */
	if (ui->help_top + (size_t)ui->help_page > n)
		ui->help_top = n > (size_t)ui->help_page ? n - (size_t)ui->help_page : 0;
	for (int r = 0; r < ui->help_page && ui->help_top + (size_t)r < n; r++) {
		const struct help_line *l = &lines[ui->help_top + (size_t)r];
		int ly = y + 1 + r;
		if (l->heading) {
			draw_text(ly, x + 2, w - 4, l->heading, draw_attr(ROLE_HEADER));
			continue;
		}
		draw_text(ly, x + 3, key_w, l->action->key_label, draw_attr(ROLE_KEY) | A_BOLD);
		draw_text(ly, x + 3 + key_w, w - 5 - key_w, _(l->action->help), A_NORMAL);
	}
	const char *foot = (size_t)ui->help_page < n ? _(" j/k scroll, Esc closes ")
						     : _(" Esc closes ");
	int fw = draw_width(foot);
	draw_text(y + h - 1, x + (w - fw > 4 ? w - fw - 2 : 2), w - 4, foot, draw_attr(ROLE_DIM));
	help_lines_free(lines, n);
}
