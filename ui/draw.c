/* draw.c - theme, glyphs and drawing primitives of the console. */
#include "config.h"

#include "draw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "escape.h"
#include "i18n.h"

static bool ascii_mode;
static attr_t roles[ROLE_COUNT];

static const char *const glyphs_utf8[GLYPH_COUNT] = {
	[GLYPH_VLINE] = "\u2502", [GLYPH_HLINE] = "\u2500",
	[GLYPH_CORNER_TL] = "\u250c", [GLYPH_CORNER_TR] = "\u2510",
	[GLYPH_CORNER_BL] = "\u2514", [GLYPH_CORNER_BR] = "\u2518",
	[GLYPH_ELLIPSIS] = "\u2026", [GLYPH_POINTER] = "\u25b6",
	[GLYPH_BAR_FULL] = "\u2588", [GLYPH_BAR_EMPTY] = "\u2591",
};

static const char *const glyphs_ascii[GLYPH_COUNT] = {
	[GLYPH_VLINE] = "|", [GLYPH_HLINE] = "-",
	[GLYPH_CORNER_TL] = "+", [GLYPH_CORNER_TR] = "+",
	[GLYPH_CORNER_BL] = "+", [GLYPH_CORNER_BR] = "+",
	[GLYPH_ELLIPSIS] = "...", [GLYPH_POINTER] = ">",
	[GLYPH_BAR_FULL] = "#", [GLYPH_BAR_EMPTY] = "-",
};

/* Colour pairs, one per coloured role. */
enum { PAIR_TITLE = 1, PAIR_TAB_ACTIVE, PAIR_HEADER, PAIR_STATUS, PAIR_KEY, PAIR_OK,
       PAIR_ERROR, PAIR_SECURITY, PAIR_HOTFIX, PAIR_MAJOR, PAIR_MINOR, PAIR_PATCH,
       PAIR_PRE, PAIR_BAR };

static void theme_mono(void)
{
	for (int i = 0; i < ROLE_COUNT; i++)
		roles[i] = A_NORMAL;
	roles[ROLE_TITLE] = A_BOLD;
	roles[ROLE_TAB_ACTIVE] = A_REVERSE | A_BOLD;
	roles[ROLE_HEADER] = A_BOLD | A_UNDERLINE;
	roles[ROLE_SELECTED] = A_REVERSE;
	roles[ROLE_STATUS] = A_REVERSE;
	roles[ROLE_KEY] = A_BOLD;
	roles[ROLE_DIM] = A_DIM;
	roles[ROLE_ERROR] = A_BOLD;
	roles[ROLE_SECURITY] = A_BOLD | A_UNDERLINE;
	roles[ROLE_MAJOR] = A_BOLD;
}

static void theme_colour(void)
{
	int bg = -1;
	if (use_default_colors() == ERR)
		bg = COLOR_BLACK;
	init_pair(PAIR_TITLE, COLOR_CYAN, bg);
	init_pair(PAIR_TAB_ACTIVE, COLOR_BLACK, COLOR_CYAN);
	init_pair(PAIR_HEADER, COLOR_CYAN, bg);
	init_pair(PAIR_STATUS, COLOR_BLACK, COLOR_WHITE);
	init_pair(PAIR_KEY, COLOR_BLUE, COLOR_WHITE);
	init_pair(PAIR_OK, COLOR_GREEN, bg);
	init_pair(PAIR_ERROR, COLOR_RED, bg);
	init_pair(PAIR_SECURITY, COLOR_WHITE, COLOR_RED);
	init_pair(PAIR_HOTFIX, COLOR_YELLOW, bg);
	init_pair(PAIR_MAJOR, COLOR_RED, bg);
	init_pair(PAIR_MINOR, COLOR_YELLOW, bg);
	init_pair(PAIR_PATCH, COLOR_GREEN, bg);
	init_pair(PAIR_PRE, COLOR_MAGENTA, bg);
	init_pair(PAIR_BAR, COLOR_CYAN, bg);

	theme_mono();
	roles[ROLE_TITLE] = COLOR_PAIR(PAIR_TITLE) | A_BOLD;
	roles[ROLE_TAB_ACTIVE] = COLOR_PAIR(PAIR_TAB_ACTIVE) | A_BOLD;
	roles[ROLE_HEADER] = COLOR_PAIR(PAIR_HEADER) | A_BOLD;
	roles[ROLE_STATUS] = COLOR_PAIR(PAIR_STATUS);
	roles[ROLE_KEY] = COLOR_PAIR(PAIR_KEY) | A_BOLD;
	roles[ROLE_OK] = COLOR_PAIR(PAIR_OK);
	roles[ROLE_ERROR] = COLOR_PAIR(PAIR_ERROR) | A_BOLD;
	roles[ROLE_SECURITY] = COLOR_PAIR(PAIR_SECURITY) | A_BOLD;
	roles[ROLE_HOTFIX] = COLOR_PAIR(PAIR_HOTFIX) | A_BOLD;
	roles[ROLE_MAJOR] = COLOR_PAIR(PAIR_MAJOR) | A_BOLD;
	roles[ROLE_MINOR] = COLOR_PAIR(PAIR_MINOR);
	roles[ROLE_PATCH] = COLOR_PAIR(PAIR_PATCH);
	roles[ROLE_PRE] = COLOR_PAIR(PAIR_PRE);
	roles[ROLE_BAR] = COLOR_PAIR(PAIR_BAR);
}

void draw_init(bool ascii, bool colour)
{
	ascii_mode = ascii;
	if (colour && has_colors() && start_color() != ERR && COLOR_PAIRS > PAIR_BAR)
		theme_colour();
	else
		theme_mono();
}

bool draw_is_ascii(void)
{
	return ascii_mode;
}

attr_t draw_attr(enum theme_role role)
{
	return role < ROLE_COUNT ? roles[role] : A_NORMAL;
}

const char *draw_glyph(enum glyph g)
{
	if (g >= GLYPH_COUNT)
		return "?";
	return ascii_mode ? glyphs_ascii[g] : glyphs_utf8[g];
}

size_t draw_fit(const char *s, int width, int *cols)
{
	mbstate_t st;
	size_t off = 0, len = strlen(s);
	int used = 0;

	memset(&st, 0, sizeof st);
	while (off < len) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, s + off, len - off, &st);
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0)
			break;
		int w = wcwidth(wc);
		if (w < 0)
			w = 1;
		if (used + w > width)
			break;
		used += w;
		off += n;
	}
	if (cols)
		*cols = used;
	return off;
}

int draw_width(const char *s)
{
	int cols;
	if (!s)
		return 0;
	draw_fit(s, 1 << 30, &cols);
	return cols;
}

static void put(int y, int x, const char *s, size_t n, attr_t a)
{
	wattrset(stdscr, a);
	mvaddnstr(y, x, s, (int)n);
	wattrset(stdscr, A_NORMAL);
}

int draw_text(int y, int x, int width, const char *s, attr_t a)
{
	int cols;
	size_t n;

	if (width <= 0 || !s)
		return 0;
	if (draw_width(s) <= width) {
		n = draw_fit(s, width, &cols);
		put(y, x, s, n, a);
		return cols;
	}
	const char *ell = draw_glyph(GLYPH_ELLIPSIS);
	int ellw = draw_width(ell);
	if (width <= ellw) {
		n = draw_fit(s, width, &cols);
		put(y, x, s, n, a);
		return cols;
	}
	n = draw_fit(s, width - ellw, &cols);
	put(y, x, s, n, a);
	put(y, x + cols, ell, strlen(ell), a);
	return cols + ellw;
}

void draw_fill(int y, int x, int width, attr_t a)
{
	if (width <= 0)
		return;
	wattrset(stdscr, a);
	mvhline(y, x, ' ', width);
	wattrset(stdscr, A_NORMAL);
}

void draw_cell(int y, int x, int width, const char *s, attr_t a)
{
	int used = draw_text(y, x, width, s, a);
	draw_fill(y, x + used, width - used, a);
}

char *draw_escape(const char *s)
{
	return escape_text(s, (size_t)-1, 0, ascii_mode ? ESCAPE_ASCII : 0);
}

int draw_untrusted(int y, int x, int width, const char *s, attr_t a)
{
	if (width <= 0)
		return 0;
	char *e = draw_escape(s);
	int used = draw_text(y, x, width, e, a);
	free(e);
	return used;
}

void draw_hline(int y, int x, int width, attr_t a)
{
	const char *g = draw_glyph(GLYPH_HLINE);
	wattrset(stdscr, a);
	for (int i = 0; i < width; i++)
		mvaddstr(y, x + i, g);
	wattrset(stdscr, A_NORMAL);
}

void draw_box(int y, int x, int h, int w, attr_t a)
{
	if (h < 2 || w < 2)
		return;
	for (int r = 1; r < h - 1; r++) {
		draw_fill(r + y, x + 1, w - 2, a);
		draw_text(r + y, x, 1, draw_glyph(GLYPH_VLINE), a);
		draw_text(r + y, x + w - 1, 1, draw_glyph(GLYPH_VLINE), a);
	}
	draw_hline(y, x + 1, w - 2, a);
	draw_hline(y + h - 1, x + 1, w - 2, a);
	draw_text(y, x, 1, draw_glyph(GLYPH_CORNER_TL), a);
	draw_text(y, x + w - 1, 1, draw_glyph(GLYPH_CORNER_TR), a);
	draw_text(y + h - 1, x, 1, draw_glyph(GLYPH_CORNER_BL), a);
	draw_text(y + h - 1, x + w - 1, 1, draw_glyph(GLYPH_CORNER_BR), a);
}

void draw_badge(int y, int x, int width, enum release_kind k, attr_t extra)
{
	const char *name;
	enum theme_role role;

	switch (k) {
	/* L10N: short kind names after a one-letter badge: "[M]major". */
	case KIND_MAJOR: name = _("major"); role = ROLE_MAJOR; break;
	case KIND_MINOR: name = _("minor"); role = ROLE_MINOR; break;
	case KIND_PATCH: name = _("patch"); role = ROLE_PATCH; break;
	/* L10N: a pre-release, in the kind badge: "[r]pre". */
	case KIND_PRERELEASE: name = _("pre"); role = ROLE_PRE; break;
	default:
		draw_fill(y, x, width, extra);
		return;
	}
	char badge[4] = { '[', classify_kind_letter(k), ']', '\0' };
	int used = draw_text(y, x, width, badge, draw_attr(role) | A_BOLD | extra);
	used += draw_text(y, x + used, width - used, name, draw_attr(role) | extra);
	draw_fill(y, x + used, width - used, extra);
}

void draw_flags(int y, int x, int width, unsigned flags, attr_t extra)
{
	static const struct {
		unsigned flag;
		enum theme_role role;
		const char *forms[3];
	} names[] = {
		/* L10N: the flag names, then their short forms for narrow screens. */
		{ FLAG_SECURITY, ROLE_SECURITY, { N_("security"), N_("sec"), N_("S") } },
		{ FLAG_HOTFIX, ROLE_HOTFIX, { N_("hotfix"), N_("hot"), N_("H") } },
	};
	const size_t n_names = sizeof names / sizeof names[0];
	int used = 0;

	for (int form = 0; form < 3; form++) {
		int need = 0, count = 0;
		for (size_t i = 0; i < n_names; i++) {
			if (!(flags & names[i].flag))
				continue;
			const char *t = _(names[i].forms[form]);
			need += draw_width(t) + (count++ ? 1 : 0);
		}
		if (need > width && form < 2)
			continue;
		count = 0;
		for (size_t i = 0; i < n_names; i++) {
			if (!(flags & names[i].flag))
				continue;
			const char *t = _(names[i].forms[form]);
			if (count++)
				used += draw_text(y, x + used, width - used, ",", extra);
			used += draw_text(y, x + used, width - used, t,
					  draw_attr(names[i].role) | extra);
		}
		break;
	}
	draw_fill(y, x + used, width - used, extra);
}

void draw_bar(int y, int x, int width, long long done, long long total, attr_t extra)
{
	int inner = ascii_mode ? width - 2 : width;
	int fill = 0;

	if (inner <= 0)
		return;
	if (total > 0 && done > 0)
		fill = done >= total ? inner : (int)((done * inner) / total);
	if (ascii_mode)
		draw_text(y, x, 1, "[", extra);
	int at = ascii_mode ? x + 1 : x;
	for (int i = 0; i < inner; i++)
		draw_text(y, at + i, 1, draw_glyph(i < fill ? GLYPH_BAR_FULL : GLYPH_BAR_EMPTY),
			  draw_attr(ROLE_BAR) | extra);
	if (ascii_mode)
		draw_text(y, at + inner, 1, "]", extra);
}

const char *draw_time_ago(long long then, long long now, char *buf, size_t size)
{
	long long d = now - then;

	if (then <= 0)
		snprintf(buf, size, "%s", _("never"));
	else if (d < 60)
		snprintf(buf, size, "%s", _("just now"));
	else if (d < 3600)
		/* L10N: minutes ago, abbreviated: "5m ago" */
		snprintf(buf, size, _("%lldm ago"), d / 60);
	else if (d < 86400)
		/* L10N: hours ago, abbreviated: "3h ago" */
		snprintf(buf, size, _("%lldh ago"), d / 3600);
	else
		/* L10N: days ago, abbreviated: "2d ago" */
		snprintf(buf, size, _("%lldd ago"), d / 86400);
	return buf;
}

long long draw_time_ago_next(long long then, long long now)
{
	long long d = now - then;

	if (then <= 0)
		return -1;
	if (d < 0)
		return 1 - d;
	if (d < 60)
		return 60 - d;
	if (d < 3600)
		return 60 - d % 60;
	if (d < 86400)
		return 3600 - d % 3600;
	return 86400 - d % 86400;
}

const char *draw_date(long long when, char *buf, size_t size)
{
	struct tm tm;
	time_t t = (time_t)when;

	if (when <= 0 || !localtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%d", &tm) == 0)
		buf[0] = '\0';
	return buf;
}
