/* yamltree.h - a YAML document as a small tree of positioned nodes, and the
 * list of errors found in it.
 *
 * libyaml's event API builds the tree; every node remembers the line and
 * column where it starts, so that whoever interprets the tree can name the
 * place at fault. Aliases, NUL characters, a second document and nesting
 * deeper than YAMLTREE_MAX_DEPTH are refused while building. Errors are
 * collected, not returned one by one, and formatted sorted by position.
 */
#ifndef UPKEEP_YAMLTREE_H
#define UPKEEP_YAMLTREE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#define YAMLTREE_MAX_DEPTH 64
#define YAMLTREE_MAX_ERRORS 100

/* ------------------------------------------------------------------
 * Collected errors
 * ------------------------------------------------------------------ */

struct yamltree_error;

/* Zero-initialised when empty; owns its messages. */
struct yamltree_errors {
	struct yamltree_error *items;
	size_t n, cap;
	size_t n_dropped;        /* beyond YAMLTREE_MAX_ERRORS, counted only */
	bool quiet;              /* while set, new errors are discarded */
};

struct yamltree_node;

/* Adds a message (without position: that is added when formatting). */
void yamltree_report_at(struct yamltree_errors *errs, int line, int column, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void yamltree_vreport_at(struct yamltree_errors *errs, int line, int column, const char *fmt,
			 va_list ap) __attribute__((format(printf, 4, 0)));
/* The same, at the start of node at (line 1, column 1 when at is NULL). */
void yamltree_report(struct yamltree_errors *errs, const struct yamltree_node *at,
		     const char *fmt, ...) __attribute__((format(printf, 3, 4)));

bool yamltree_has_errors(const struct yamltree_errors *errs);
/* All messages, sorted by position, one per line, each
 * "FILE:LINE:COLUMN: message"; the caller frees the result. */
char *yamltree_format_errors(struct yamltree_errors *errs, const char *file);
void yamltree_release_errors(struct yamltree_errors *errs);

/* ------------------------------------------------------------------
 * The tree
 * ------------------------------------------------------------------ */

enum yamltree_kind {
	YAMLTREE_NULL,
	YAMLTREE_SCALAR,
	YAMLTREE_SEQ,
	YAMLTREE_MAP,
	YAMLTREE_BAD             /* already reported: skip silently */
};

struct yamltree_node {
	enum yamltree_kind kind;
	int line, column;        /* 1-based */
	char *text;              /* YAMLTREE_SCALAR */
	struct yamltree_node **items; /* YAMLTREE_SEQ; YAMLTREE_MAP as key, value, key, value */
	size_t n, cap;
};

/* Parses buf (len bytes, one YAML document) into a tree, reporting problems
 * to errs. Returns the document's root, NULL for an empty one. *fatal is
 * set when nothing usable could be read (the errors say why; NULL is
 * returned). */
struct yamltree_node *yamltree_parse(const char *buf, size_t len, struct yamltree_errors *errs,
				     bool *fatal);
/* Frees the tree and sets *root to NULL. */
void yamltree_free(struct yamltree_node **root);

/* In mapping map, the node of the last key named key and its value. NULL
 * when there is no such key, or map is NULL or not a mapping. */
const struct yamltree_node *yamltree_find_key(const struct yamltree_node *map, const char *key);
const struct yamltree_node *yamltree_find_value(const struct yamltree_node *map, const char *key);

#endif
