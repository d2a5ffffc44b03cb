/* confdata.c - parsing a target's `data:` list. */
#include "config.h"

#include "confdata.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "confvalue.h"
#include "i18n.h"
#include "util.h"
#include "yamltree.h"

#define CONFDATA_MAX 32

void confdata_free(struct data_cfg **v, size_t *n)
{
	for (size_t i = 0; *v && i < *n; i++) {
		free((*v)[i].name);
		free((*v)[i].dump);
		free((*v)[i].restore);
	}
	FREE(*v);
	*n = 0;
}

static bool name_valid(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");
	return n > 0 && !s[n] && n <= 64 && strspn(s, ".") != n;
}

/* One string value; NULL (reported) when it is not a non-empty string. */
static char *need_string(struct yamltree_errors *errs, const struct yamltree_node *v,
			 const char *path, const char *key)
{
	if (v->kind == YAMLTREE_SCALAR && v->text[0])
		return xstrdup(v->text);
	if (v->kind != YAMLTREE_BAD)
		yamltree_report(errs, v, _("%s.%s: expected a non-empty string"), path, key);
	return NULL;
}

/* One entry (a mapping); false when anything in it is wrong. */
static bool parse_entry(struct yamltree_errors *errs, const struct yamltree_node *m,
			const char *path, struct data_cfg *d)
{
	bool ok = true;
	for (size_t i = 0; i + 1 < m->n; i += 2) {
		const struct yamltree_node *k = m->items[i], *v = m->items[i + 1];
		const char *key = k->kind == YAMLTREE_SCALAR ? k->text : "";
		char **dst = !strcmp(key, "name") ? &d->name : !strcmp(key, "dump") ? &d->dump :
			     !strcmp(key, "restore") ? &d->restore : NULL;
		if (dst) {
			free(*dst);
			ok = (*dst = need_string(errs, v, path, key)) != NULL && ok;
		} else if (!strcmp(key, "timeout")) {
			if (v->kind != YAMLTREE_SCALAR || !util_parse_duration_ms(v->text, &d->timeout_ms) ||
			    d->timeout_ms <= 0) {
				yamltree_report(errs, v, _("%s.timeout: expected a non-zero duration such "
					"as 30s, 5m, 2h or 1d"), path);
				ok = false;
			}
		} else {
			char *q = confvalue_quote(key);
			yamltree_report(errs, k, _("%s: unknown key %s (expected one of: name, dump, "
				"restore, timeout)"), path, q);
			free(q);
			ok = false;
		}
	}
	static const char *const required[] = { "name", "dump", "restore" };
	char *have[] = { d->name, d->dump, d->restore };
	for (size_t i = 0; i < 3; i++)
		if (!have[i] && !yamltree_find_key(m, required[i])) {
			yamltree_report(errs, m, _("%s: missing required key \"%s\""), path, required[i]);
			ok = false;
		}
	if (d->name && !name_valid(d->name)) {
		char *q = confvalue_quote(d->name);
		yamltree_report(errs, yamltree_find_value(m, "name"), _("%s.name: invalid name %s "
			"(expected 1 to 64 letters, digits, '.', '_' or '-': it names a file)"), path, q);
		free(q);
		ok = false;
	}
	return ok;
}

void confdata_parse(struct yamltree_errors *errs, const struct yamltree_node *v,
		    const char *path, struct data_cfg **out, size_t *n)
{
	if (v->kind == YAMLTREE_BAD)
		return;
	if (v->kind != YAMLTREE_SEQ && v->kind != YAMLTREE_NULL) {
		yamltree_report(errs, v, _("%s: expected a list of { name, dump, restore } mappings"),
				path);
		return;
	}
	if (v->n > CONFDATA_MAX) {
		yamltree_report(errs, v, _("%s: more than %d entries"), path, CONFDATA_MAX);
		return;
	}
	struct data_cfg *list = xcalloc(v->n + 1, sizeof(*list));
	bool ok = true;
	for (size_t i = 0; i < v->n; i++) {
		const struct yamltree_node *m = v->items[i];
		char *sub = xasprintf("%s[%zu]", path, i);
		if (m->kind != YAMLTREE_MAP) {
			if (m->kind != YAMLTREE_BAD)
				yamltree_report(errs, m, _("%s: expected a mapping with name, dump and "
					"restore"), sub);
			ok = false;
		} else {
			ok = parse_entry(errs, m, sub, &list[i]) && ok;
		}
		for (size_t j = 0; ok && j < i; j++)
			if (list[i].name && list[j].name && !strcmp(list[i].name, list[j].name)) {
				yamltree_report(errs, m, _("%s: the name %s is used twice (expected "
					"unique names)"), sub, list[i].name);
				ok = false;
			}
		free(sub);
	}
	size_t count = v->n;
	if (!ok) {
		confdata_free(&list, &count);
		return;
	}
	confdata_free(out, n);
	*out = list;
	*n = count;
}
