/* escape.c - untrusted text made safe for a terminal or a log.
 *
 * The input is decoded as UTF-8 one unit at a time; each unit becomes either
 * itself or a visible escape. Output length is counted in characters (code
 * points), an escape counting as the characters it shows ("\x07" is four).
 */
#include "config.h"

#include "escape.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

/* One output unit: its bytes and how many characters it shows. */
struct unit {
	char bytes[16];
	size_t len;
	size_t chars;
};

/* Decodes one UTF-8 sequence at s (n bytes available, n >= 1). Returns its
 * length and sets *cp, or 0 for a byte that does not start a valid sequence
 * (stray continuation, overlong form, surrogate, beyond U+10FFFF, cut short). */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char b = s[0];
	size_t len;
	uint32_t c, min;
	if (b < 0x80) {
		*cp = b;
		return 1;
	} else if (b >= 0xc2 && b <= 0xdf) {
		len = 2, c = b & 0x1f, min = 0x80;
	} else if (b >= 0xe0 && b <= 0xef) {
		len = 3, c = b & 0x0f, min = 0x800;
	} else if (b >= 0xf0 && b <= 0xf4) {
		len = 4, c = b & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static bool is_dangerous_cp(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) ||      /* C1 controls (CSI is 0x9b) */
	       (cp >= 0x202a && cp <= 0x202e) ||  /* bidi embeddings, overrides */
	       (cp >= 0x2066 && cp <= 0x2069);    /* bidi isolates */
}

/* Backslash x 1b for a byte; backslash u 202e, or backslash U 0001f600 beyond
 * U+FFFF, for a code point. */
static void unit_escape(struct unit *u, char kind, uint32_t value)
{
	int n;
	if (kind == 'x')
		n = snprintf(u->bytes, sizeof(u->bytes), "\\x%02x", (unsigned)value);
	else if (kind == 'U')
		n = snprintf(u->bytes, sizeof(u->bytes), "\\U%08x", (unsigned)value);
	else
		n = snprintf(u->bytes, sizeof(u->bytes), "\\u%04x", (unsigned)value);
	u->len = u->chars = (size_t)n;
}

/* Reads the unit at s and returns the number of input bytes it consumed. */
static size_t next_unit(const unsigned char *s, size_t n, unsigned flags, struct unit *u)
{
	uint32_t cp;
	size_t used = utf8_decode(s, n, &cp);
	if (used == 0) {
		unit_escape(u, 'x', s[0]);
		return 1;
	}
	if (cp < 0x80) {
		bool keep = (flags & ESCAPE_KEEP_NEWLINES) && (cp == '\n' || cp == '\t');
		if (cp == 0x1b) {
			memcpy(u->bytes, "\\e", 2);
			u->len = u->chars = 2;
		} else if ((cp < 0x20 && !keep) || cp == 0x7f) {
			unit_escape(u, 'x', cp);
		} else {
			u->bytes[0] = (char)cp;
			u->len = u->chars = 1;
		}
	} else if (cp > 0xffff && (flags & ESCAPE_ASCII)) {
		unit_escape(u, 'U', cp);
	} else if (is_dangerous_cp(cp) || (flags & ESCAPE_ASCII)) {
		unit_escape(u, 'u', cp);
	} else {
		memcpy(u->bytes, s, used);
		u->len = used;
		u->chars = 1;
	}
	return used;
}

char *escape_text(const char *s, size_t len, size_t max_chars, unsigned flags)
{
	if (!s)
		return xstrdup("");
	if (len == (size_t)-1)
		len = strlen(s);
	const char *ellipsis = (flags & ESCAPE_ASCII) ? "..." : "\xe2\x80\xa6";
	size_t ell_chars = (flags & ESCAPE_ASCII) ? 3 : 1;
	/* Room for text when a cut is needed: the ellipsis takes the rest. */
	size_t budget = max_chars > ell_chars ? max_chars - ell_chars : 0;

	struct strbuf out = STRBUF_INIT;
	size_t chars = 0, cut_len = 0;
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	while (p < end) {
		struct unit u;
		p += next_unit(p, (size_t)(end - p), flags, &u);
		if (max_chars && chars + u.chars <= budget)
			cut_len = out.len + u.len; /* where to cut if more follows */
		chars += u.chars;
		if (max_chars && chars > max_chars) {
			out.len = cut_len;
			if (max_chars >= ell_chars)
				strbuf_addstr(&out, ellipsis);
			else
				strbuf_add(&out, ellipsis, max_chars); /* "." or ".." */
			return strbuf_detach(&out);
		}
		strbuf_add(&out, u.bytes, u.len);
	}
	return strbuf_detach(&out);
}
