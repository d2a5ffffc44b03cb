/* draw.h - the console's theme (colours or attributes), its glyphs (UTF-8 or
 * ASCII) and the primitives every pane draws with: clipped text, untrusted
 * text (always escaped), kind badges, flags, progress bars, "5m ago". */
#ifndef UPKEEP_DRAW_H
#define UPKEEP_DRAW_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>

#include "classify.h"

enum theme_role {
	ROLE_NORMAL,
	ROLE_TITLE,       /* the program name in the tab bar */
	ROLE_TAB,
	ROLE_TAB_ACTIVE,
	ROLE_HEADER,      /* column headings */
	ROLE_SELECTED,    /* added to every cell of the selected row */
	ROLE_STATUS,      /* the status line */
	ROLE_KEY,         /* a key name in hints and help */
	ROLE_DIM,
	ROLE_OK,
	ROLE_ERROR,
	ROLE_SECURITY,
	ROLE_HOTFIX,
	ROLE_MAJOR,
	ROLE_MINOR,
	ROLE_PATCH,
	ROLE_PRE,
	ROLE_BAR,
	ROLE_COUNT
};

enum glyph {
	GLYPH_VLINE,
	GLYPH_HLINE,
	GLYPH_CORNER_TL,
	GLYPH_CORNER_TR,
	GLYPH_CORNER_BL,
	GLYPH_CORNER_BR,
	GLYPH_ELLIPSIS,
	GLYPH_POINTER,    /* marks the selected row */
	GLYPH_BAR_FULL,
	GLYPH_BAR_EMPTY,
	GLYPH_COUNT
};

/* Chooses the glyph set and the theme; call after initscr(). colour is
 * ignored when the terminal has none. */
void draw_init(bool ascii, bool colour);
bool draw_is_ascii(void);
attr_t draw_attr(enum theme_role role);
const char *draw_glyph(enum glyph g);

/* Display columns of trusted UTF-8 text. */
int draw_width(const char *s);
/* How many bytes of s fit in width columns (stopping at an invalid
 * sequence); *cols (may be NULL) gets the columns they take. */
size_t draw_fit(const char *s, int width, int *cols);

/* Draws trusted text (translations, numbers, already escaped strings) at
 * y,x in at most width columns, cut with an ellipsis when longer. Returns
 * the columns used. Nothing is drawn for width <= 0. */
int draw_text(int y, int x, int width, const char *s, attr_t a);
/* Same, but pads with spaces to exactly width columns. */
void draw_cell(int y, int x, int width, const char *s, attr_t a);
/* Untrusted text (tag names and messages, target names, remote errors):
 * escaped first (escape_text, ASCII-only in ASCII mode), never raw. */
int draw_untrusted(int y, int x, int width, const char *s, attr_t a);
/* Returns a newly allocated escaped copy of untrusted text. */
char *draw_escape(const char *s);
/* Spaces over width columns. */
void draw_fill(int y, int x, int width, attr_t a);
void draw_hline(int y, int x, int width, attr_t a);
/* A frame of h rows and w columns with the inside cleared. */
void draw_box(int y, int x, int h, int w, attr_t a);

/* "[M]major", "[m]minor", "[p]patch", "[r]pre": readable without colour.
 * In fewer than 8 columns only "[M]". extra is ORed into the attribute. */
void draw_badge(int y, int x, int width, enum release_kind k, attr_t extra);
/* "security,hotfix" (security highlighted), "sec,hot" when narrow. */
void draw_flags(int y, int x, int width, unsigned flags, attr_t extra);
/* "[#####-----]" style bar for done out of total (total <= 0: empty). */
void draw_bar(int y, int x, int width, long long done, long long total, attr_t extra);

/* "just now", "5m ago", "3h ago", "2d ago", or "never" for then == 0.
 * Writes into buf. */
const char *draw_time_ago(long long then, long long now, char *buf, size_t size);
/* Seconds until draw_time_ago's text for then changes (>= 1), or -1 when it
 * never does (then == 0). */
long long draw_time_ago_next(long long then, long long now);
/* "2024-05-01" in local time, or "" for 0. */
const char *draw_date(long long when, char *buf, size_t size);

#endif
