/* config.c - the configuration file (YAML): read, validated, defaults merged.
 *
 * The file (at most 1 MiB) is turned by libyaml's event API into a small
 * tree whose nodes remember where they start. Tables describe the schema;
 * the tree is applied through them onto target structures. Each target
 * starts from the built-in defaults, then the top-level `notify:` and the
 * `defaults:` sections are applied to it, then its own section: a value
 * given for the target wins key by key, and lists are replaced whole.
 * Every error is collected; they are returned sorted by position, one per
 * line, as "FILE:LINE:COLUMN: what is wrong (what was expected)".
 */
#include "config.h"

#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <yaml.h>

#include "escape.h"
#include "paths.h"
#include "util.h"
#include "version.h"

#define CONFIG_MAX_BYTES (1024 * 1024)
#define CONFIG_MAX_DEPTH 64
#define CONFIG_MAX_ERRORS 100
#define CONFIG_MAX_NAME 64

/* ------------------------------------------------------------------
 * Collected errors
 * ------------------------------------------------------------------ */

struct cfg_error {
	int line, column;
	size_t seq;
	char *msg;
};

struct loader {
	const char *file;        /* as given, for messages */
	char *dir;               /* absolute directory of the file */
	struct cfg_error *errs;
	size_t n_errs, cap_errs, n_dropped;
	bool quiet;              /* applying a section that was validated once */
};

static void loader_error_at(struct loader *L, int line, int column, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void loader_error_at(struct loader *L, int line, int column, const char *fmt, ...)
{
	if (L->quiet)
		return;
	if (L->n_errs == CONFIG_MAX_ERRORS) {
		L->n_dropped++;
		return;
	}
	if (L->n_errs == L->cap_errs) {
		L->cap_errs = L->cap_errs ? 2 * L->cap_errs : 16;
		L->errs = xrealloc(L->errs, L->cap_errs * sizeof(*L->errs));
	}
	struct cfg_error *e = &L->errs[L->n_errs];
	va_list ap;
	va_start(ap, fmt);
	e->msg = xvasprintf(fmt, ap);
	va_end(ap);
	e->line = line;
	e->column = column;
	e->seq = L->n_errs++;
}

static int cfg_error_cmp(const void *a, const void *b)
{
	const struct cfg_error *x = a, *y = b;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->column != y->column)
		return x->column < y->column ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* All messages, sorted by position, one per line. */
static char *loader_messages(struct loader *L)
{
	struct strbuf sb = STRBUF_INIT;
	qsort(L->errs, L->n_errs, sizeof(*L->errs), cfg_error_cmp);
	for (size_t i = 0; i < L->n_errs; i++)
		strbuf_addf(&sb, "%s%s:%d:%d: %s", i ? "\n" : "", L->file,
			    L->errs[i].line, L->errs[i].column, L->errs[i].msg);
	if (L->n_dropped)
		strbuf_addf(&sb, "\n%s: %zu more errors not shown", L->file, L->n_dropped);
	return strbuf_detach(&sb);
}

static void loader_release(struct loader *L)
{
	for (size_t i = 0; i < L->n_errs; i++)
		free(L->errs[i].msg);
	FREE(L->errs);
	FREE(L->dir);
}

/* Untrusted text for a message: quoted, escaped, cut short. */
static char *quote(const char *s)
{
	char *e = escape_text(s, (size_t)-1, 60, 0);
	char *q = xasprintf("\"%s\"", e);
	free(e);
	return q;
}

/* ------------------------------------------------------------------
 * The YAML tree
 * ------------------------------------------------------------------ */

enum node_kind { NODE_NULL, NODE_SCALAR, NODE_SEQ, NODE_MAP, NODE_BAD };

struct node {
	enum node_kind kind;     /* NODE_BAD: already reported, skip silently */
	int line, column;        /* 1-based */
	char *text;              /* NODE_SCALAR */
	struct node **items;     /* NODE_SEQ; NODE_MAP as key, value, key, value */
	size_t n, cap;
};

static void loader_error(struct loader *L, const struct node *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void loader_error(struct loader *L, const struct node *at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	loader_error_at(L, at ? at->line : 1, at ? at->column : 1, "%s", msg);
	free(msg);
}

static int mark_int(size_t v)
{
	return v >= (size_t)0x7fffffff ? 0x7fffffff : (int)v + 1;
}

static struct node *node_new(enum node_kind kind, yaml_mark_t mark)
{
	struct node *n = xcalloc(1, sizeof(*n));
	n->kind = kind;
	n->line = mark_int(mark.line);
	n->column = mark_int(mark.column);
	return n;
}

static void node_add(struct node *parent, struct node *child)
{
	if (parent->n == parent->cap) {
		parent->cap = parent->cap ? 2 * parent->cap : 8;
		parent->items = xrealloc(parent->items, parent->cap * sizeof(*parent->items));
	}
	parent->items[parent->n++] = child;
}

/* Depth is bounded by CONFIG_MAX_DEPTH, so recursion is safe. */
static void node_free(struct node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		node_free(n->items[i]);
	free(n->items);
	free(n->text);
	free(n);
}

static struct node *node_scalar(struct loader *L, const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	if (plain && (len == 0 || !strcmp(v, "~") || !strcmp(v, "null") ||
		      !strcmp(v, "Null") || !strcmp(v, "NULL")))
		return node_new(NODE_NULL, ev->start_mark);
	struct node *n = node_new(NODE_SCALAR, ev->start_mark);
	if (strlen(v) != len) {
		loader_error(L, n, "the value contains a NUL character (expected text)");
		n->kind = NODE_BAD;
		return n;
	}
	n->text = xstrndup(v, len);
	return n;
}

struct builder {
	struct loader *L;
	struct node *root;
	struct node *stack[CONFIG_MAX_DEPTH];
	size_t depth;
	int documents;
};

/* Adds one event to the tree; false stops parsing (after an error). */
static bool tree_event(struct builder *b, const yaml_event_t *ev)
{
	struct node *n;
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++b->documents == 1)
			return true;
		loader_error_at(b->L, mark_int(ev->start_mark.line), mark_int(ev->start_mark.column),
				"a second YAML document starts here (expected a single document)");
		return false;
	case YAML_SCALAR_EVENT:
		n = node_scalar(b->L, ev);
		break;
	case YAML_ALIAS_EVENT: {
		n = node_new(NODE_BAD, ev->start_mark);
		char *name = quote((const char *)ev->data.alias.anchor);
		loader_error(b->L, n, "YAML alias *%s is not allowed (expected the value "
			     "written out: aliases are refused because they can expand without bound)",
			     name + 1);
		free(name);
		break;
	}
	case YAML_SEQUENCE_START_EVENT:
		n = node_new(NODE_SEQ, ev->start_mark);
		break;
	case YAML_MAPPING_START_EVENT:
		n = node_new(NODE_MAP, ev->start_mark);
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		b->depth--;
		return true;
	default:
		return true;
	}
	if (b->depth == 0)
		b->root = n;
	else
		node_add(b->stack[b->depth - 1], n);
	if (n->kind == NODE_SEQ || n->kind == NODE_MAP) {
		if (b->depth == CONFIG_MAX_DEPTH) {
			loader_error(b->L, n, "nesting deeper than %d levels (expected a shallower structure)",
				     CONFIG_MAX_DEPTH);
			return false;
		}
		b->stack[b->depth++] = n;
	}
	return true;
}

/* Line and column (in characters) of a byte offset. */
static void offset_position(const char *buf, size_t len, size_t offset, int *line, int *column)
{
	*line = 1;
	*column = 1;
	for (size_t i = 0; i < offset && i < len; i++) {
		if (buf[i] == '\n') {
			++*line;
			*column = 1;
		} else if (((unsigned char)buf[i] & 0xc0) != 0x80) {
			++*column;
		}
	}
}

static void tree_syntax_error(struct loader *L, const yaml_parser_t *p, const char *buf, size_t len)
{
	const char *problem = p->problem ? p->problem : "unknown problem";
	if (p->error == YAML_READER_ERROR) {
		int line, column;
		offset_position(buf, len, p->problem_offset, &line, &column);
		if (p->problem_value != -1)
			loader_error_at(L, line, column, "invalid text: %s #%02X (expected UTF-8 text)",
					problem, (unsigned)p->problem_value);
		else
			loader_error_at(L, line, column, "invalid text: %s (expected UTF-8 text)", problem);
		return;
	}
	int line = mark_int(p->problem_mark.line), column = mark_int(p->problem_mark.column);
	if (p->error == YAML_MEMORY_ERROR)
		loader_error_at(L, line, column, "out of memory while parsing (expected a smaller file)");
	else if (p->context)
		loader_error_at(L, line, column, "YAML syntax error: %s (%s at line %d, column %d) "
				"(expected valid YAML)", problem, p->context,
				mark_int(p->context_mark.line), mark_int(p->context_mark.column));
	else
		loader_error_at(L, line, column, "YAML syntax error: %s (expected valid YAML)", problem);
}

/* The document's root, NULL for an empty one. *fatal when nothing could be
 * read (errors reported). */
static struct node *tree_parse(struct loader *L, const char *buf, size_t len, bool *fatal)
{
	yaml_parser_t p;
	if (!yaml_parser_initialize(&p)) {
		fputs("upkeep: out of memory\n", stderr);
		abort();
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	struct builder b = { .L = L };
	bool ok = true, done = false;
	while (ok && !done) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&p, &ev)) {
			tree_syntax_error(L, &p, buf, len);
			ok = false;
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		ok = tree_event(&b, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	*fatal = !ok;
	if (!ok) {
		node_free(b.root);
		return NULL;
	}
	return b.root;
}
