/* escape.h - makes untrusted text (tag names and messages, file names, remote
 * errors) safe to show on a terminal or in a log. */
#ifndef UPKEEP_ESCAPE_H
#define UPKEEP_ESCAPE_H

#include <stddef.h>

enum escape_flags {
	ESCAPE_KEEP_NEWLINES = 1 << 0, /* multi-line views: keep \n and \t */
	ESCAPE_ASCII = 1 << 1          /* escape all non-ASCII too, ellipsis as "..." */
};

/* Returns a new string in which C0 controls, DEL, C1 controls (U+0080-009F),
 * bidi controls (U+202A-202E, U+2066-2069) and invalid UTF-8 bytes are shown as
 * visible escapes (\e, \x07, \u202e, \xff), cut to at most max_chars characters
 * with a trailing ellipsis when longer (0 = no limit). len may be (size_t)-1
 * for a NUL-terminated s; s may be NULL (gives ""). */
char *escape_text(const char *s, size_t len, size_t max_chars, unsigned flags);

#endif
