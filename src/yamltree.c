/* yamltree.c - libyaml's events turned into a tree of positioned nodes, and
 * the collected errors.
 *
 * The event parser is used (not libyaml's document loader) so that aliases
 * are refused before they expand, and so that depth is bounded while the
 * tree grows. Positions are 1-based; libyaml's are 0-based.
 */
#include "config.h"

#include "yamltree.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "escape.h"
#include "i18n.h"
#include "util.h"

/* ------------------------------------------------------------------
 * Collected errors
 * ------------------------------------------------------------------ */

struct yamltree_error {
	int line, column;
	size_t seq;
	char *msg;
};

void yamltree_vreport_at(struct yamltree_errors *errs, int line, int column, const char *fmt,
			 va_list ap)
{
	if (errs->quiet)
		return;
	if (errs->n == YAMLTREE_MAX_ERRORS) {
		errs->n_dropped++;
		return;
	}
	if (errs->n == errs->cap) {
		errs->cap = errs->cap ? 2 * errs->cap : 16;
		errs->items = xrealloc(errs->items, errs->cap * sizeof(*errs->items));
	}
	struct yamltree_error *e = &errs->items[errs->n];
	e->msg = xvasprintf(fmt, ap);
	e->line = line;
	e->column = column;
	e->seq = errs->n++;
}

void yamltree_report_at(struct yamltree_errors *errs, int line, int column, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	yamltree_vreport_at(errs, line, column, fmt, ap);
	va_end(ap);
}

void yamltree_report(struct yamltree_errors *errs, const struct yamltree_node *at,
		     const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	yamltree_vreport_at(errs, at ? at->line : 1, at ? at->column : 1, fmt, ap);
	va_end(ap);
}

bool yamltree_has_errors(const struct yamltree_errors *errs)
{
	return errs->n || errs->n_dropped;
}

static int error_cmp(const void *a, const void *b)
{
	const struct yamltree_error *x = a, *y = b;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->column != y->column)
		return x->column < y->column ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

char *yamltree_format_errors(struct yamltree_errors *errs, const char *file)
{
	struct strbuf sb = STRBUF_INIT;
	qsort(errs->items, errs->n, sizeof(*errs->items), error_cmp);
	for (size_t i = 0; i < errs->n; i++)
		strbuf_addf(&sb, "%s%s:%d:%d: %s", i ? "\n" : "", file,
			    errs->items[i].line, errs->items[i].column, errs->items[i].msg);
	if (errs->n_dropped)
		strbuf_addf(&sb, _("\n%s: %zu more errors not shown"), file, errs->n_dropped);
	return strbuf_detach(&sb);
}

void yamltree_release_errors(struct yamltree_errors *errs)
{
	for (size_t i = 0; i < errs->n; i++)
		free(errs->items[i].msg);
	FREE(errs->items);
	errs->n = errs->cap = errs->n_dropped = 0;
}

/* ------------------------------------------------------------------
 * Nodes
 * ------------------------------------------------------------------ */

static int mark_int(size_t v)
{
	return v >= (size_t)0x7fffffff ? 0x7fffffff : (int)v + 1;
}

static struct yamltree_node *node_new(enum yamltree_kind kind, yaml_mark_t mark)
{
	struct yamltree_node *n = xcalloc(1, sizeof(*n));
	n->kind = kind;
	n->line = mark_int(mark.line);
	n->column = mark_int(mark.column);
	return n;
}

static void node_add(struct yamltree_node *parent, struct yamltree_node *child)
{
	if (parent->n == parent->cap) {
		parent->cap = parent->cap ? 2 * parent->cap : 8;
		parent->items = xrealloc(parent->items, parent->cap * sizeof(*parent->items));
	}
	parent->items[parent->n++] = child;
}

/* Depth is bounded by YAMLTREE_MAX_DEPTH, so recursion is safe. */
static void node_free(struct yamltree_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		node_free(n->items[i]);
	free(n->items);
	free(n->text);
	free(n);
}

void yamltree_free(struct yamltree_node **root)
{
	if (!root)
		return;
	node_free(*root);
	*root = NULL;
}

static struct yamltree_node *node_scalar(struct yamltree_errors *errs, const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	if (plain && (len == 0 || !strcmp(v, "~") || !strcmp(v, "null") ||
		      !strcmp(v, "Null") || !strcmp(v, "NULL")))
		return node_new(YAMLTREE_NULL, ev->start_mark);
	struct yamltree_node *n = node_new(YAMLTREE_SCALAR, ev->start_mark);
	if (strlen(v) != len) {
		yamltree_report(errs, n, _("the value contains a NUL character (expected text)"));
		n->kind = YAMLTREE_BAD;
		return n;
	}
	n->text = xstrndup(v, len);
	return n;
}

static struct yamltree_node *node_alias(struct yamltree_errors *errs, const yaml_event_t *ev)
{
	struct yamltree_node *n = node_new(YAMLTREE_BAD, ev->start_mark);
	char *name = escape_text((const char *)ev->data.alias.anchor, (size_t)-1, 60, 0);
	yamltree_report(errs, n, _("YAML alias \"*%s\" is not allowed (expected the value "
			"written out: aliases are refused because they can expand without bound)"),
			name);
	free(name);
	return n;
}

/* ------------------------------------------------------------------
 * Building the tree from events
 * ------------------------------------------------------------------ */

struct builder {
	struct yamltree_errors *errs;
	struct yamltree_node *root;
	struct yamltree_node *stack[YAMLTREE_MAX_DEPTH];
	size_t depth;
	int documents;
};

/* Hangs n under the open collection (or makes it the root) and opens it
 * when it is one; false when that is too deep (reported). */
static bool builder_attach(struct builder *b, struct yamltree_node *n)
{
	if (b->depth == 0)
		b->root = n;
	else
		node_add(b->stack[b->depth - 1], n);
	if (n->kind == YAMLTREE_SEQ || n->kind == YAMLTREE_MAP) {
		if (b->depth == YAMLTREE_MAX_DEPTH) {
			yamltree_report(b->errs, n, _("nesting deeper than %d levels (expected a "
					"shallower structure)"), YAMLTREE_MAX_DEPTH);
			return false;
		}
		b->stack[b->depth++] = n;
	}
	return true;
}

/* Adds one event to the tree; false stops parsing (after an error). */
static bool builder_event(struct builder *b, const yaml_event_t *ev)
{
	struct yamltree_node *n;
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++b->documents == 1)
			return true;
		yamltree_report_at(b->errs, mark_int(ev->start_mark.line),
				   mark_int(ev->start_mark.column), _("a second YAML document "
				   "starts here (expected a single document)"));
		return false;
	case YAML_SCALAR_EVENT:
		n = node_scalar(b->errs, ev);
		break;
	case YAML_ALIAS_EVENT:
		n = node_alias(b->errs, ev);
		break;
	case YAML_SEQUENCE_START_EVENT:
		n = node_new(YAMLTREE_SEQ, ev->start_mark);
		break;
	case YAML_MAPPING_START_EVENT:
		n = node_new(YAMLTREE_MAP, ev->start_mark);
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		b->depth--;
		return true;
	default:
		return true;
	}
	return builder_attach(b, n);
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

static void report_syntax_error(struct yamltree_errors *errs, const yaml_parser_t *p,
				const char *buf, size_t len)
{
	const char *problem = p->problem ? p->problem : _("unknown problem");
	if (p->error == YAML_READER_ERROR) {
		int line, column;
		offset_position(buf, len, p->problem_offset, &line, &column);
		if (p->problem_value != -1)
			yamltree_report_at(errs, line, column, _("invalid text: %s #%02X (expected "
					   "UTF-8 text)"), problem, (unsigned)p->problem_value);
		else
			yamltree_report_at(errs, line, column, _("invalid text: %s (expected UTF-8 "
					   "text)"), problem);
		return;
	}
	int line = mark_int(p->problem_mark.line), column = mark_int(p->problem_mark.column);
	if (p->error == YAML_MEMORY_ERROR)
		yamltree_report_at(errs, line, column, _("out of memory while parsing (expected a "
				   "smaller file)"));
	else if (p->context)
		yamltree_report_at(errs, line, column, _("YAML syntax error: %s (%s at line %d, "
				   "column %d) (expected valid YAML)"), problem, p->context,
				   mark_int(p->context_mark.line),
				   mark_int(p->context_mark.column));
	else
		yamltree_report_at(errs, line, column, _("YAML syntax error: %s (expected valid "
				   "YAML)"), problem);
}

struct yamltree_node *yamltree_parse(const char *buf, size_t len, struct yamltree_errors *errs,
				     bool *fatal)
{
	yaml_parser_t p;
	if (!yaml_parser_initialize(&p)) {
		fputs("upkeep: out of memory\n", stderr);
		abort();
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	struct builder b = { .errs = errs };
	bool ok = true, done = false;
	while (ok && !done) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&p, &ev)) {
			report_syntax_error(errs, &p, buf, len);
			ok = false;
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		ok = builder_event(&b, &ev);
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

/* ------------------------------------------------------------------
 * Mappings
 * ------------------------------------------------------------------ */

/* Index of the last key `key` in map (NULL or not a mapping: none), or -1. */
static long map_index(const struct yamltree_node *map, const char *key)
{
	long found = -1;
	if (!map || map->kind != YAMLTREE_MAP)
		return -1;
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (map->items[i]->kind == YAMLTREE_SCALAR && !strcmp(map->items[i]->text, key))
			found = (long)i;
	return found;
}

const struct yamltree_node *yamltree_find_key(const struct yamltree_node *map, const char *key)
{
	long i = map_index(map, key);
	return i < 0 ? NULL : map->items[i];
}

const struct yamltree_node *yamltree_find_value(const struct yamltree_node *map, const char *key)
{
	long i = map_index(map, key);
	return i < 0 ? NULL : map->items[i + 1];
}
