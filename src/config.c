/* config.c - the configuration file (YAML): read, validated, defaults merged.
 *
 * The file (at most 1 MiB) is turned into a small tree whose nodes remember
 * where they start (yamltree.c). Tables describe the schema; the tree is
 * applied through them onto target structures, each value parsed and checked
 * by confvalue.c. Each target starts from the built-in defaults, then the
 * top-level `notify:` and the `defaults:` sections are applied to it, then
 * its own section: a value given for the target wins key by key, and lists
 * are replaced whole. Every error is collected (yamltree.c keeps the list);
 * they are returned sorted by position, one per line, as
 * "FILE:LINE:COLUMN: what is wrong (what was expected)".
 */
#include "config.h"

#include "conf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "asset.h"
#include "confvalue.h"
#include "escape.h"
#include "i18n.h"
#include "paths.h"
#include "util.h"
#include "version.h"
#include "yamltree.h"

#define CONFIG_MAX_BYTES (1024 * 1024)
#define CONFIG_MAX_NAME 64

struct loader {
	const char *file;        /* as given, for messages */
	char *dir;               /* absolute directory of the file */
	struct yamltree_errors errs; /* quiet while applying a section validated once */
};

static void loader_error_at(struct loader *L, int line, int column, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void loader_error(struct loader *L, const struct yamltree_node *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void loader_error_at(struct loader *L, int line, int column, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	yamltree_vreport_at(&L->errs, line, column, fmt, ap);
	va_end(ap);
}

static void loader_error(struct loader *L, const struct yamltree_node *at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	yamltree_vreport_at(&L->errs, at ? at->line : 1, at ? at->column : 1, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------
 * Mappings
 * ------------------------------------------------------------------ */

static int key_cmp(const void *a, const void *b)
{
	const struct yamltree_node *x = *(const struct yamltree_node *const *)a;
	const struct yamltree_node *y = *(const struct yamltree_node *const *)b;
	int c = strcmp(x->text, y->text);
	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return (x->column > y->column) - (x->column < y->column);
}

/* Reports every key given more than once (sorting keeps large maps cheap). */
static void check_duplicates(struct loader *L, const struct yamltree_node *map, const char *path,
			     bool targets)
{
	const struct yamltree_node **keys = xcalloc(map->n / 2 + 1, sizeof(*keys));
	size_t n = 0, first = 0;
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (map->items[i]->kind == YAMLTREE_SCALAR)
			keys[n++] = map->items[i];
	qsort(keys, n, sizeof(*keys), key_cmp);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(keys[i]->text, keys[first]->text) != 0) {
			first = i;
			continue;
		}
		char *q = confvalue_quote(keys[i]->text);
		if (targets)
			loader_error(L, keys[i], _("%s: duplicate target %s, first defined at line %d, "
				     "column %d (expected unique target names)"), path, q,
				     keys[first]->line, keys[first]->column);
		else
			loader_error(L, keys[i], _("%s: duplicate key %s, first given at line %d, "
				     "column %d (expected each key once)"), path, q,
				     keys[first]->line, keys[first]->column);
		free(q);
	}
	free(keys);
}

static char *node_describe(const struct yamltree_node *n)
{
	switch (n->kind) {
	case YAMLTREE_NULL: return xstrdup(_("no value"));
	case YAMLTREE_SEQ: return xstrdup(_("a list"));
	case YAMLTREE_MAP: return xstrdup(_("a mapping"));
	default: return confvalue_quote(n->text ? n->text : "");
	}
}

static const char *path_show(const char *path)
{
	return *path ? path : _("top level");
}

static void type_error(struct loader *L, const struct yamltree_node *v, const char *path,
		       const char *expect)
{
	char *got = node_describe(v);
	/* L10N: "targets.app.path: got a list (expected an absolute path)": the
	   key path, what the file has there, what belongs there. */
	loader_error(L, v, _("%s: got %s (expected %s)"), path_show(path), got, expect);
	free(got);
}

static char *path_join(const char *path, const char *key)
{
	return *path ? xasprintf("%s.%s", path, key) : xstrdup(key);
}

/* ------------------------------------------------------------------
 * The schema
 * ------------------------------------------------------------------ */

enum field_type {
	T_SKIP,       /* read by the caller */
	T_MAP,        /* aux: struct field[] */
	T_STR, T_ABSPATH, T_GIT_URL, T_HTTP_URL, T_DURATION, T_SIZE, T_INT, T_BOOL,
	T_ENUM,       /* aux: struct confvalue_name[]; stored as an int-sized enum */
	T_BITS,       /* aux: struct confvalue_name[]; list stored as unsigned bits */
	T_LIST,       /* strings at off, count at off_n */
	T_PRESERVE,   /* like T_LIST, relative paths */
	T_DATA,       /* the data: list (confdata.h) */
	T_WINDOW
};

enum field_flag {
	FL_NONEMPTY = 1 << 0,   /* T_STR: "" is an error */
	FL_KEEP_EMPTY = 1 << 1, /* T_STR: "" is kept (otherwise it unsets) */
	FL_POSITIVE = 1 << 2,   /* T_DURATION, T_SIZE: 0 is an error */
	FL_NOT_ROOT = 1 << 3,   /* T_ABSPATH: "/" is an error */
	FL_FILE_URL = 1 << 4    /* T_HTTP_URL: file:// is accepted too */
};

struct field {
	const char *key;
	enum field_type type;
	size_t off, off_n;
	const void *aux;
	int min, max;
	unsigned flags;
};

#define TOFF(m) offsetof(struct target_cfg, m)
#define F(k, t, m) { .key = (k), .type = (t), .off = TOFF(m) }
#define FX(k, t, m, ...) { .key = (k), .type = (t), .off = TOFF(m), __VA_ARGS__ }
#define SECTION(k, tbl) { .key = (k), .type = T_MAP, .aux = (tbl) }
#define LIST(k, t, m) { .key = (k), .type = (t), .off = TOFF(m), .off_n = TOFF(n_##m) }
#define END { .key = NULL }

_Static_assert(sizeof(enum version_scheme) == sizeof(int) && sizeof(enum layout) == sizeof(int) &&
	       sizeof(enum verify_mode) == sizeof(int), "T_ENUM stores enums as int");

static const struct confvalue_name scheme_names[] = {
	{ "semver", SCHEME_SEMVER }, { "date", SCHEME_DATE }, { "regex", SCHEME_REGEX }, { NULL, 0 }
};
static const struct confvalue_name layout_names[] = {
	{ "plain", LAYOUT_PLAIN }, { "releases", LAYOUT_RELEASES }, { NULL, 0 }
};
static const struct confvalue_name verify_names[] = {
	{ "required", VERIFY_REQUIRED }, { "if-signed", VERIFY_IF_SIGNED }, { "off", VERIFY_OFF },
	{ NULL, 0 }
};
static const struct confvalue_name auto_names[] = {
	{ "major", AUTO_MAJOR }, { "minor", AUTO_MINOR }, { "patch", AUTO_PATCH },
	{ "pre-release", AUTO_PRERELEASE }, { "security", AUTO_SECURITY },
	{ "hotfix", AUTO_HOTFIX }, { NULL, 0 }
};
static const struct confvalue_name event_names[] = {
	{ "success", NOTIFY_SUCCESS }, { "failure", NOTIFY_FAILURE },
	{ "rollback", NOTIFY_ROLLBACK }, { "security", NOTIFY_SECURITY },
	{ "backup_failure", NOTIFY_BACKUP_FAILURE }, { "drill_failure", NOTIFY_DRILL_FAILURE },
	{ NULL, 0 }
};

#define RETAIN_MAX 100000
static const struct field retention_fields[] = {
	FX("keep_last", T_INT, retention.keep_last, .max = RETAIN_MAX),
	FX("keep_hourly", T_INT, retention.keep_hourly, .max = RETAIN_MAX),
	FX("keep_daily", T_INT, retention.keep_daily, .max = RETAIN_MAX),
	FX("keep_weekly", T_INT, retention.keep_weekly, .max = RETAIN_MAX),
	FX("keep_monthly", T_INT, retention.keep_monthly, .max = RETAIN_MAX),
	FX("keep_yearly", T_INT, retention.keep_yearly, .max = RETAIN_MAX),
	END
};
static const struct field policy_fields[] = {
	FX("auto_install", T_BITS, policy.auto_install, .aux = auto_names),
	F("window", T_WINDOW, policy.window),
	END
};
static const struct field verify_fields[] = {
	FX("signatures", T_ENUM, verify.signatures, .aux = verify_names),
	F("allowed_signers", T_ABSPATH, verify.allowed_signers),
	F("keyring", T_ABSPATH, verify.keyring),
	END
};
static const struct field backup_fields[] = {
	F("before_install", T_BOOL, backup.before_install),
	F("every", T_DURATION, backup.every_ms),
	FX("compression", T_INT, backup.compression, .min = 1, .max = 19),
	END
};
static const struct field drill_fields[] = {
	F("every", T_DURATION, drill.every_ms),
	F("check", T_STR, drill.check),
	FX("timeout", T_DURATION, drill.timeout_ms, .flags = FL_POSITIVE),
	F("tolerance", T_DURATION, drill.tolerance_ms),
	FX("dir", T_ABSPATH, drill.dir, .flags = FL_NOT_ROOT),
	END
};
#define HEALTH_COMMON \
	FX("timeout", T_DURATION, health.timeout_ms, .flags = FL_POSITIVE), \
	FX("retries", T_INT, health.retries, .max = 100), \
	FX("interval", T_DURATION, health.interval_ms, .flags = FL_POSITIVE)
static const struct field health_default_fields[] = { HEALTH_COMMON, END };
static const struct field health_fields[] = {
	F("command", T_STR, health.command),
	F("url", T_HTTP_URL, health.url),
	FX("expect", T_INT, health.expect_status, .min = 100, .max = 599),
	F("body", T_STR, health.expect_body),
	HEALTH_COMMON,
	END
};
static const struct field flags_fields[] = {
	{ .key = "security", .type = T_LIST, .off = TOFF(flags.security),
	  .off_n = TOFF(flags.n_security) },
	{ .key = "hotfix", .type = T_LIST, .off = TOFF(flags.hotfix), .off_n = TOFF(flags.n_hotfix) },
	END
};
static const struct field limits_fields[] = {
	FX("fetch_size", T_SIZE, limits.fetch_bytes, .flags = FL_POSITIVE),
	FX("fetch_time", T_DURATION, limits.fetch_ms, .flags = FL_POSITIVE),
	FX("timeout", T_DURATION, limits.timeout_ms, .flags = FL_POSITIVE),
	END
};
static const struct field webhook_fields[] = {
	F("url", T_HTTP_URL, notify.webhook.url),
	F("secret", T_STR, notify.webhook.secret),
	F("token", T_STR, notify.webhook.token),
	FX("timeout", T_DURATION, notify.webhook.timeout_ms, .flags = FL_POSITIVE),
	FX("retries", T_INT, notify.webhook.retries, .max = 10),
	END
};
static const struct field mail_fields[] = {
	FX("to", T_STR, notify.mail.to, .flags = FL_NONEMPTY),
	FX("sendmail", T_STR, notify.mail.sendmail, .flags = FL_NONEMPTY),
	FX("from", T_STR, notify.mail.from, .flags = FL_NONEMPTY),
	END
};
static const struct field notify_fields[] = {
	SECTION("webhook", webhook_fields),
	SECTION("mail", mail_fields),
	FX("on", T_BITS, notify.on, .aux = event_names),
	FX("repeat", T_DURATION, notify.repeat_ms, .flags = FL_POSITIVE),
	END
};
static const struct field hooks_default_fields[] = {
	FX("timeout", T_DURATION, hooks.timeout_ms, .flags = FL_POSITIVE),
	END
};
static const struct field hooks_fields[] = {
	FX("timeout", T_DURATION, hooks.timeout_ms, .flags = FL_POSITIVE),
	F("pre_install", T_STR, hooks.pre_install),
	F("post_install", T_STR, hooks.post_install),
	F("pre_restore", T_STR, hooks.pre_restore),
	F("post_restore", T_STR, hooks.post_restore),
	END
};
static const struct field asset_fields[] = {
	FX("url", T_HTTP_URL, source.asset.url, .flags = FL_FILE_URL),
	FX("checksums", T_STR, source.asset.checksums, .flags = FL_NONEMPTY),
	FX("pin", T_STR, source.asset.pin, .flags = FL_NONEMPTY),
	F("ca_file", T_ABSPATH, source.asset.ca_file),
	FX("strip_components", T_INT, source.asset.strip_components, .max = 64),
	END
};
static const struct field source_fields[] = {
	F("git", T_GIT_URL, source.git),
	FX("scheme", T_ENUM, source.scheme, .aux = scheme_names),
	FX("tags", T_STR, source.tags, .flags = FL_NONEMPTY),
	FX("prefix", T_STR, source.prefix, .flags = FL_KEEP_EMPTY),
	FX("regex", T_STR, source.regex, .flags = FL_NONEMPTY),
	SECTION("asset", asset_fields),
	END
};
static const struct field defaults_fields[] = {
	FX("timeout", T_DURATION, limits.timeout_ms, .flags = FL_POSITIVE),
	FX("channel", T_STR, channel, .flags = FL_NONEMPTY),
	SECTION("retention", retention_fields),
	SECTION("policy", policy_fields),
	SECTION("verify", verify_fields),
	SECTION("backup", backup_fields),
	SECTION("drill", drill_fields),
	SECTION("health", health_default_fields),
	SECTION("hooks", hooks_default_fields),
	SECTION("flags", flags_fields),
	SECTION("limits", limits_fields),
	END
};
static const struct field target_fields[] = {
	SECTION("source", source_fields),
	FX("path", T_ABSPATH, path, .flags = FL_NOT_ROOT),
	FX("layout", T_ENUM, layout, .aux = layout_names),
	FX("keep_releases", T_INT, keep_releases, .min = 1, .max = 1000),
	FX("channel", T_STR, channel, .flags = FL_NONEMPTY),
	LIST("preserve", T_PRESERVE, preserve),
	{ .key = "data", .type = T_DATA },
	SECTION("hooks", hooks_fields),
	SECTION("health", health_fields),
	SECTION("policy", policy_fields),
	SECTION("verify", verify_fields),
	SECTION("retention", retention_fields),
	SECTION("backup", backup_fields),
	SECTION("drill", drill_fields),
	SECTION("flags", flags_fields),
	SECTION("limits", limits_fields),
	SECTION("notify", notify_fields),
	END
};
/* The top level applies to struct config, not struct target_cfg. */
static const struct field top_fields[] = {
	{ .key = "state_dir", .type = T_ABSPATH, .off = offsetof(struct config, state_dir) },
	{ .key = "cache_dir", .type = T_ABSPATH, .off = offsetof(struct config, cache_dir) },
	{ .key = "defaults", .type = T_SKIP },
	{ .key = "notify", .type = T_SKIP },
	{ .key = "targets", .type = T_SKIP },
	END
};

static char *keys_list(const struct field *fields)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; fields[i].key; i++)
		strbuf_addf(&sb, "%s%s", i ? ", " : "", fields[i].key);
	return strbuf_detach(&sb);
}

/* What a field takes, for "(expected ...)". */
static char *field_expect(const struct field *f)
{
	char *names, *s;
	switch (f->type) {
	case T_ABSPATH: return xstrdup(_("an absolute path"));
	case T_GIT_URL:
		return xstrdup(_("a repository: file://, http://, https://, ssh://, git:// URL, "
				 "user@host:path or a directory path"));
	case T_HTTP_URL:
		return xstrdup(f->flags & FL_FILE_URL ? _("an http://, https:// or file:// URL")
			       : _("an http:// or https:// URL"));
	case T_DURATION:
		return xstrdup(f->flags & FL_POSITIVE ? _("a non-zero duration such as 30s, 5m, 2h or 1d")
			       : _("a duration such as 30s, 5m, 2h or 1d"));
	case T_SIZE:
		return xstrdup(f->flags & FL_POSITIVE ? _("a non-zero size such as 512k, 100M or 2G")
			       : _("a size such as 512k, 100M or 2G"));
	case T_INT: return xasprintf(_("an integer from %d to %d"), f->min, f->max);
	case T_BOOL: return xstrdup(_("true, false, yes or no"));
	case T_ENUM:
	case T_BITS:
		names = confvalue_names_list(f->aux);
		s = xasprintf(f->type == T_ENUM ? _("one of: %s") : _("a list of: %s"), names);
		free(names);
		return s;
	case T_LIST: return xstrdup(_("a list of strings"));
	case T_PRESERVE: return xstrdup(_("a list of paths relative to the target directory"));
	case T_WINDOW:
		return xstrdup(_("DAYS HH:MM-HH:MM such as \"Sun 02:00-04:00\", "
				 "\"daily 01:00-05:00\" or \"Mon,Wed 22:00-02:00\", or \"any\""));
	case T_MAP: return xstrdup(_("a mapping"));
	default: return xstrdup(f->flags & FL_NONEMPTY ? _("a non-empty string") : _("a string"));
	}
}

/* ------------------------------------------------------------------
 * Values
 * ------------------------------------------------------------------ */

static void set_string(void *dst, char *owned)
{
	char **p = dst;
	free(*p);
	*p = owned;
}

static void apply_list(struct loader *L, const struct field *f, const struct yamltree_node *v,
		       void *base, const char *path)
{
	char ***items = (char ***)((char *)base + f->off);
	size_t *n = (size_t *)((char *)base + f->off_n);
	struct strvec vec = STRVEC_INIT;
	char *expect = field_expect(f);
	if (v->kind != YAMLTREE_SEQ && v->kind != YAMLTREE_NULL) {
		type_error(L, v, path, expect);
		free(expect);
		return;
	}
	for (size_t i = 0; i < v->n; i++) {
		const struct yamltree_node *it = v->items[i];
		const char *problem = NULL;
		if (it->kind != YAMLTREE_SCALAR || !*it->text) {
			if (it->kind != YAMLTREE_BAD)
				type_error(L, it, path, f->type == T_PRESERVE ?
					   _("a path relative to the target directory") :
					   _("a non-empty string"));
			continue;
		}
		if (f->type == T_LIST) {
			strvec_push(&vec, it->text);
		} else if ((problem = confvalue_preserve_problem(it->text))) {
			char *q = confvalue_quote(it->text);
			loader_error(L, it, _("%s: %s %s (expected a path relative to the target "
				     "directory, without \"..\")"), path, q, problem);
			free(q);
		} else {
			strvec_push_owned(&vec, confvalue_preserve_normalize(it->text));
		}
	}
	for (size_t i = 0; i < *n; i++)
		free((*items)[i]);
	free(*items);
	*items = vec.items;
	*n = vec.n;
	free(expect);
}

static void apply_bits(struct loader *L, const struct field *f, const struct yamltree_node *v,
		       void *dst, const char *path)
{
	const struct confvalue_name *names = f->aux;
	unsigned bits = 0;
	if (v->kind != YAMLTREE_SEQ && v->kind != YAMLTREE_NULL) {
		char *expect = field_expect(f);
		type_error(L, v, path, expect);
		free(expect);
		return;
	}
	for (size_t i = 0; i < v->n; i++) {
		const struct yamltree_node *it = v->items[i];
		int k = it->kind == YAMLTREE_SCALAR ? confvalue_name_lookup(names, it->text) : -1;
		if (k >= 0) {
			bits |= (unsigned)names[k].value;
		} else if (it->kind != YAMLTREE_BAD) {
			char *got = node_describe(it), *list = confvalue_names_list(names);
			loader_error(L, it, _("%s: unknown value %s (expected one of: %s)"), path, got,
				     list);
			free(got);
			free(list);
		}
	}
	*(unsigned *)dst = bits;
}

/* Numbers, booleans and names: parsed, range-checked, stored. */
static void apply_number(struct loader *L, const struct field *f, const struct yamltree_node *v,
			 void *dst, const char *path, const char *expect)
{
	const char *s = v->text;
	long long num = 0;
	bool b = false, ok;
	int k = -1;
	switch (f->type) {
	case T_DURATION: ok = util_parse_duration_ms(s, &num); break;
	case T_SIZE: ok = util_parse_size(s, &num); break;
	case T_INT: ok = confvalue_parse_int(s, &num); break;
	case T_BOOL: ok = confvalue_parse_bool(s, &b); break;
	default: ok = (k = confvalue_name_lookup(f->aux, s)) >= 0; break;
	}
	char *q = confvalue_quote(s);
	if (!ok && f->type == T_ENUM)
		loader_error(L, v, _("%s: unknown value %s (expected %s)"), path, q, expect);
	else if (!ok)
		loader_error(L, v, _("%s: %s is not %s (expected %s)"), path, q,
			     f->type == T_INT ? _("an integer") : f->type == T_BOOL ? _("a boolean") :
			     f->type == T_SIZE ? _("a size") : _("a duration"), expect);
	else if ((f->type == T_INT && (num < f->min || num > f->max)) ||
		 ((f->flags & FL_POSITIVE) && num == 0))
		loader_error(L, v, _("%s: %s is out of range (expected %s)"), path, s, expect);
	else if (f->type == T_INT)
		*(int *)dst = (int)num;
	else if (f->type == T_BOOL)
		*(bool *)dst = b;
	else if (f->type == T_ENUM)
		*(int *)dst = ((const struct confvalue_name *)f->aux)[k].value;
	else
		*(long long *)dst = num;
	free(q);
}

static void apply_scalar(struct loader *L, const struct field *f, const struct yamltree_node *v,
			 void *dst, const char *path, const char *expect)
{
	const char *s = v->text;
	switch (f->type) {
	case T_STR:
		if (*s || (f->flags & FL_KEEP_EMPTY))
			set_string(dst, xstrdup(s));
		else if (f->flags & FL_NONEMPTY)
			loader_error(L, v, _("%s: the value is empty (expected %s)"), path, expect);
		else
			set_string(dst, NULL);
		return;
	case T_ABSPATH: {
		char *p = confvalue_abspath(&L->errs, v, path, (f->flags & FL_NOT_ROOT) != 0);
		if (p)
			set_string(dst, p);
		return;
	}
	case T_GIT_URL: {
		char *url = confvalue_git_url(&L->errs, v, path, expect, L->dir);
		if (url)
			set_string(dst, url);
		return;
	}
	case T_HTTP_URL: {
		char *url = confvalue_http_url(&L->errs, v, path, expect,
					       (f->flags & FL_FILE_URL) != 0);
		if (url)
			set_string(dst, url);
		return;
	}
	case T_WINDOW:
		if (!strcasecmp(s, "any")) {
			set_string(dst, NULL);
		} else if (confvalue_window_valid(s)) {
			set_string(dst, xstrdup(s));
		} else {
			char *q = confvalue_quote(s);
			loader_error(L, v, _("%s: %s is not a time window (expected %s)"), path, q,
				     expect);
			free(q);
		}
		return;
	default:
		apply_number(L, f, v, dst, path, expect);
		return;
	}
}

static void apply_map(struct loader *L, const struct yamltree_node *map, const struct field *fields,
		      void *base, const char *path);

static void apply_value(struct loader *L, const struct field *f, const struct yamltree_node *v,
			void *base, const char *path)
{
	void *dst = (char *)base + f->off;
	if (v->kind == YAMLTREE_BAD)
		return;
	switch (f->type) {
	case T_MAP: apply_map(L, v, f->aux, base, path); return;
	case T_BITS: apply_bits(L, f, v, dst, path); return;
	case T_LIST:
	case T_PRESERVE: apply_list(L, f, v, base, path); return;
	case T_DATA: {
		struct target_cfg *t = base;
		confdata_parse(&L->errs, v, path, &t->data, &t->n_data);
		return;
	}
	default: break;
	}
	char *expect = field_expect(f);
	if (v->kind == YAMLTREE_SCALAR)
		apply_scalar(L, f, v, dst, path, expect);
	else
		type_error(L, v, path, expect);
	free(expect);
}

/* Applies each key of map through the fields table. A missing (null)
 * section is empty. */
static void apply_map(struct loader *L, const struct yamltree_node *map, const struct field *fields,
		      void *base, const char *path)
{
	if (map->kind == YAMLTREE_NULL || map->kind == YAMLTREE_BAD)
		return;
	if (map->kind != YAMLTREE_MAP) {
		type_error(L, map, path, _("a mapping"));
		return;
	}
	check_duplicates(L, map, path_show(path), false);
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const struct yamltree_node *k = map->items[i], *v = map->items[i + 1];
		const struct field *f = NULL;
		if (k->kind != YAMLTREE_SCALAR) {
			if (k->kind != YAMLTREE_BAD)
				type_error(L, k, path, _("a key name"));
			continue;
		}
		for (size_t j = 0; fields[j].key && !f; j++)
			if (!strcmp(fields[j].key, k->text))
				f = &fields[j];
		if (!f) {
			char *q = confvalue_quote(k->text), *keys = keys_list(fields);
			loader_error(L, k, _("%s: unknown key %s (expected one of: %s)"), path_show(path),
				     q, keys);
			free(q);
			free(keys);
		} else if (f->type != T_SKIP) {
			char *sub = path_join(path, f->key);
			apply_value(L, f, v, base, sub);
			free(sub);
		}
	}
}

/* ------------------------------------------------------------------
 * Targets
 * ------------------------------------------------------------------ */

static void strings_set(char ***items, size_t *n, const char *s)
{
	*items = xcalloc(1, sizeof(**items));
	(*items)[0] = xstrdup(s);
	*n = 1;
}

static void strings_free(char ***items, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		free((*items)[i]);
	FREE(*items);
	*n = 0;
}

/* The built-in defaults. */
static void target_init(struct target_cfg *t)
{
	memset(t, 0, sizeof(*t));
	t->source.scheme = SCHEME_SEMVER;
	t->channel = xstrdup("stable");
	t->layout = LAYOUT_PLAIN;
	t->keep_releases = 3;
	t->health = (struct health_cfg){ .expect_status = 200, .timeout_ms = 30000, .retries = 3,
					 .interval_ms = 2000 };
	t->verify.signatures = VERIFY_IF_SIGNED;
	t->retention = (struct retention_cfg){ 5, -1, -1, -1, -1, -1 };
	t->backup = (struct backup_cfg){ .before_install = true, .every_ms = 0, .compression = 3 };
	t->hooks.timeout_ms = 5 * 60 * 1000;
	t->limits = (struct limits_cfg){ 512LL << 20, 10 * 60 * 1000, 30 * 1000 };
	strings_set(&t->flags.security, &t->flags.n_security, "Security");
	strings_set(&t->flags.hotfix, &t->flags.n_hotfix, "Hotfix");
	t->drill = (struct drill_cfg){ .timeout_ms = 10 * 60 * 1000, .tolerance_ms = 1000 };
	t->notify.webhook.timeout_ms = 10 * 1000;
	t->notify.webhook.retries = 3;
	t->notify.repeat_ms = 24LL * 60 * 60 * 1000;
	t->notify.on = NOTIFY_FAILURE | NOTIFY_ROLLBACK | NOTIFY_SECURITY | NOTIFY_BACKUP_FAILURE |
		       NOTIFY_DRILL_FAILURE;
}

static void target_free(struct target_cfg *t)
{
	char **strings[] = {
		&t->name, &t->source.git, &t->source.tags, &t->source.prefix, &t->source.regex,
		&t->source.asset.url, &t->source.asset.checksums, &t->source.asset.pin,
		&t->source.asset.ca_file,
		&t->channel, &t->path, &t->hooks.pre_install, &t->hooks.post_install,
		&t->hooks.pre_restore, &t->hooks.post_restore, &t->health.command,
		&t->health.url, &t->health.expect_body, &t->policy.window,
		&t->verify.allowed_signers, &t->verify.keyring, &t->notify.webhook.url,
		&t->notify.webhook.secret, &t->notify.webhook.token, &t->notify.mail.to,
		&t->notify.mail.sendmail, &t->notify.mail.from, &t->drill.check, &t->drill.dir,
	};
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		FREE(*strings[i]);
	strings_free(&t->preserve, &t->n_preserve);
	confdata_free(&t->data, &t->n_data);
	strings_free(&t->flags.security, &t->flags.n_security);
	strings_free(&t->flags.hotfix, &t->flags.n_hotfix);
}

static bool target_name_valid(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");
	return n > 0 && !s[n] && n <= CONFIG_MAX_NAME && strspn(s, ".") != n;
}

/* asset: needs url; its placeholders and the pin's form are checked now. */
static void asset_check(struct loader *L, const struct target_cfg *t, const struct yamltree_node *sv,
			const char *path)
{
	const struct yamltree_node *ak = yamltree_find_key(sv, "asset");
	const struct yamltree_node *av = yamltree_find_value(sv, "asset");
	if (!ak || !av || av->kind != YAMLTREE_MAP)
		return;
	if (!yamltree_find_key(av, "url")) {
		loader_error(L, ak, _("%s.source.asset: missing required key \"url\" (expected the "
			     "asset's URL, with {version} or {tag})"), path);
		return;
	}
	struct up_error e = UP_ERROR_INIT;
	char *url = NULL;
	if (t->source.asset.url &&
	    asset_url_expand(t->source.asset.url, "v1.0.0", "1.0.0", &url, &e) < 0)
		loader_error(L, yamltree_find_value(av, "url"), _("%s.source.%s"), path, e.msg);
	free(url);
	err_clear(&e);
	const char *pin = t->source.asset.pin;
	if (pin && strncmp(pin, "sha256//", 8) != 0 && pin[0] != '/')
		loader_error(L, yamltree_find_value(av, "pin"), _("%s.source.asset.pin: not a pin "
			     "(expected sha256//BASE64, alternatives separated by ';', or the absolute "
			     "path of a public key file)"), path);
}

/* Checks that need the whole target: required keys and the version scheme. */
static void target_check(struct loader *L, const struct target_cfg *t,
			 const struct yamltree_node *k, const struct yamltree_node *v,
			 const char *path)
{
	const struct yamltree_node *sk = yamltree_find_key(v, "source");
	const struct yamltree_node *sv = yamltree_find_value(v, "source");
	if (v->kind != YAMLTREE_MAP && v->kind != YAMLTREE_NULL)
		return;
	if (!sk)
		loader_error(L, k, _("%s: missing required key \"source\" (expected a mapping with "
			     "git: URL)"), path);
	else if (sv->kind == YAMLTREE_NULL ||
		 (sv->kind == YAMLTREE_MAP && !yamltree_find_key(sv, "git")))
		loader_error(L, sk, _("%s.source: missing required key \"git\" (expected a "
			     "repository URL or path)"), path);
	if (!yamltree_find_key(v, "path"))
		loader_error(L, k, _("%s: missing required key \"path\" (expected an absolute path)"),
			     path);
	if (t->verify.signatures == VERIFY_REQUIRED && !t->verify.allowed_signers &&
	    !t->verify.keyring)
		loader_error(L, k, _("%s: verify.signatures is required but neither allowed_signers "
			     "nor keyring is set (expected at least one of them)"), path);
	if (!sv || sv->kind != YAMLTREE_MAP)
		return;
	asset_check(L, t, sv, path);
	const struct yamltree_node *rk = yamltree_find_key(sv, "regex");
	const struct yamltree_node *rv = yamltree_find_value(sv, "regex");
	if (t->source.scheme == SCHEME_REGEX && !rk && yamltree_find_key(sv, "scheme"))
		loader_error(L, yamltree_find_key(sv, "scheme"), _("%s.source: missing required "
			     "key \"regex\" for scheme regex (expected a POSIX extended regular "
			     "expression)"), path);
	if (t->source.scheme != SCHEME_REGEX && rk)
		loader_error(L, rk, _("%s.source.regex: only used with scheme regex (expected no regex "
			     "with scheme %s)"), path, version_scheme_name(t->source.scheme));
	if (t->source.scheme == SCHEME_REGEX && t->source.regex) {
		struct version_parser p;
		struct up_error e = UP_ERROR_INIT;
		if (version_parser_init(&p, SCHEME_REGEX, NULL, t->source.regex, &e) == 0) {
			version_parser_free(&p);
		} else {
			char *msg = escape_text(e.msg, (size_t)-1, 200, 0);
			loader_error(L, rv, _("%s.source.regex: %s%s"), path, msg,
				     strstr(msg, "(expected") ? "" :
				     _(" (expected a POSIX extended regular expression with capture groups)"));
			free(msg);
		}
		err_clear(&e);
	}
}

static void target_load(struct loader *L, struct target_cfg *t, const struct yamltree_node *k,
			const struct yamltree_node *v, const struct yamltree_node *notify,
			const struct yamltree_node *defaults)
{
	target_init(t);
	t->name = xstrdup(k->text);
	t->line = k->line;
	t->column = k->column;
	char *path = path_join("targets", t->name);
	L->errs.quiet = true; /* these were validated once, in load_root */
	if (notify)
		apply_map(L, notify, notify_fields, t, "notify");
	if (defaults)
		apply_map(L, defaults, defaults_fields, t, "defaults");
	L->errs.quiet = false;
	apply_map(L, v, target_fields, t, path);
	target_check(L, t, k, v, path);
	free(path);
}

static int target_path_cmp(const void *a, const void *b)
{
	const struct target_cfg *x = *(const struct target_cfg *const *)a;
	const struct target_cfg *y = *(const struct target_cfg *const *)b;
	int c = strcmp(x->path, y->path);
	return c ? c : (x > y) - (x < y);
}

/* Two targets installing into one directory would destroy each other. */
static void check_same_paths(struct loader *L, const struct config *cfg)
{
	const struct target_cfg **v = xcalloc(cfg->n_targets + 1, sizeof(*v));
	size_t n = 0, first = 0;
	for (size_t i = 0; i < cfg->n_targets; i++)
		if (cfg->targets[i].path)
			v[n++] = &cfg->targets[i];
	qsort(v, n, sizeof(*v), target_path_cmp);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(v[i]->path, v[first]->path) != 0) {
			first = i;
			continue;
		}
		loader_error_at(L, v[i]->line, v[i]->column, _("targets.%s.path: same directory as "
				"target %s at line %d (expected a directory of its own)"), v[i]->name,
				v[first]->name, v[first]->line);
	}
	free(v);
}

static void load_targets(struct loader *L, const struct yamltree_node *targets,
			 const struct yamltree_node *notify, const struct yamltree_node *defaults,
			 struct config *cfg)
{
	if (targets->kind == YAMLTREE_NULL || targets->kind == YAMLTREE_BAD)
		return;
	if (targets->kind != YAMLTREE_MAP) {
		type_error(L, targets, "targets", _("a mapping of target names to targets"));
		return;
	}
	check_duplicates(L, targets, "targets", true);
	cfg->targets = xcalloc(targets->n / 2 + 1, sizeof(*cfg->targets));
	for (size_t i = 0; i + 1 < targets->n; i += 2) {
		const struct yamltree_node *k = targets->items[i], *v = targets->items[i + 1];
		if (k->kind != YAMLTREE_SCALAR || !target_name_valid(k->text)) {
			char *got = node_describe(k);
			if (k->kind != YAMLTREE_BAD)
				loader_error(L, k, _("targets: invalid target name %s (expected 1 to %d "
					     "letters, digits, '.', '_' or '-': it names a directory)"),
					     got, CONFIG_MAX_NAME);
			free(got);
			continue;
		}
		if (config_find_target(cfg, k->text))
			continue; /* a duplicate, reported above */
		target_load(L, &cfg->targets[cfg->n_targets++], k, v, notify, defaults);
	}
	check_same_paths(L, cfg);
}

/* ------------------------------------------------------------------
 * Loading
 * ------------------------------------------------------------------ */

static void load_root(struct loader *L, const struct yamltree_node *root, struct config *cfg)
{
	if (!root || root->kind == YAMLTREE_NULL || root->kind == YAMLTREE_BAD)
		return; /* an empty file: no targets */
	if (root->kind != YAMLTREE_MAP) {
		char *keys = keys_list(top_fields);
		char *expect = xasprintf(_("a mapping with the keys %s"), keys);
		type_error(L, root, "", expect);
		free(expect);
		free(keys);
		return;
	}
	apply_map(L, root, top_fields, cfg, "");
	const struct yamltree_node *defaults = yamltree_find_value(root, "defaults");
	const struct yamltree_node *notify = yamltree_find_value(root, "notify");
	const struct yamltree_node *targets = yamltree_find_value(root, "targets");
	/* Validate the shared sections once; targets apply them quietly. */
	struct target_cfg scratch;
	target_init(&scratch);
	if (notify)
		apply_map(L, notify, notify_fields, &scratch, "notify");
	if (defaults)
		apply_map(L, defaults, defaults_fields, &scratch, "defaults");
	target_free(&scratch);
	const struct yamltree_node *t1 = yamltree_find_key(defaults, "timeout");
	const struct yamltree_node *t2 =
		yamltree_find_key(yamltree_find_value(defaults, "limits"), "timeout");
	if (t1 && t2)
		loader_error(L, t1 ->line > t2->line ? t1 : t2, _("defaults: both timeout and "
			     "limits.timeout are given (expected one of them)"));
	if (targets)
		load_targets(L, targets, notify, defaults, cfg);
}

/* Reads the whole file, refusing more than CONFIG_MAX_BYTES. */
static int config_read(const char *path, struct strbuf *sb, struct up_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return err_set(err, UP_ERR_IO, _("cannot read %s: %s"), path, strerror(errno));
	char chunk[16384];
	for (;;) {
		ssize_t r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int saved = errno;
			close(fd);
			return err_set(err, UP_ERR_IO, _("cannot read %s: %s"), path, strerror(saved));
		}
		if (r == 0)
			break;
		if (sb->len + (size_t)r > CONFIG_MAX_BYTES) {
			close(fd);
			return err_set(err, UP_ERR_CONFIG, _("%s:1:1: the file is larger than 1 MiB "
				       "(expected a configuration of at most 1 MiB)"), path);
		}
		strbuf_add(sb, chunk, (size_t)r);
	}
	close(fd);
	return 0;
}

/* The absolute directory of file, for relative repository paths. */
static char *config_dir(const char *file)
{
	const char *slash = strrchr(file, '/');
	char *dir = slash ? xstrndup(file, slash == file ? 1 : (size_t)(slash - file)) : xstrdup(".");
	if (dir[0] == '/')
		return dir;
	char *cwd = getcwd(NULL, 0);
	if (!cwd)
		return dir;
	char *abs = !strcmp(dir, ".") ? xstrdup(cwd) :
		xasprintf("%s%s%s", cwd, strcmp(cwd, "/") ? "/" : "", dir);
	free(cwd);
	free(dir);
	return abs;
}

int config_load(const char *path, struct config **out, struct up_error *err)
{
	struct strbuf sb = STRBUF_INIT;
	*out = NULL;
	if (!path)
		return err_set(err, UP_ERR_USAGE, _("no configuration file given"));
	if (config_read(path, &sb, err) < 0) {
		strbuf_release(&sb);
		return -1;
	}
	struct loader L = { .file = path, .dir = config_dir(path) };
	if (!strcmp(L.dir, "/"))
		L.dir[0] = '\0'; /* "/repo", not "//repo" */
	bool fatal;
	struct yamltree_node *root = yamltree_parse(sb.buf ? sb.buf : "", sb.len, &L.errs, &fatal);
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	cfg->file = xstrdup(path);
	cfg->state_dir = paths_default_state_dir();
	cfg->cache_dir = paths_default_cache_dir();
	if (!fatal)
		load_root(&L, root, cfg);
	yamltree_free(&root);
	strbuf_release(&sb);
	int rc = 0;
	if (yamltree_has_errors(&L.errs)) {
		char *msg = yamltree_format_errors(&L.errs, L.file);
		rc = err_set(err, UP_ERR_CONFIG, "%s", msg);
		free(msg);
		config_free(&cfg);
	}
	yamltree_release_errors(&L.errs);
	free(L.dir);
	*out = cfg;
	return rc;
}

void config_free(struct config **cfg)
{
	if (!cfg || !*cfg)
		return;
	struct config *c = *cfg;
	for (size_t i = 0; i < c->n_targets; i++)
		target_free(&c->targets[i]);
	free(c->targets);
	free(c->file);
	free(c->state_dir);
	free(c->cache_dir);
	FREE(*cfg);
}

const struct target_cfg *config_find_target(const struct config *cfg, const char *name)
{
	for (size_t i = 0; cfg && name && i < cfg->n_targets; i++)
		if (!strcmp(cfg->targets[i].name, name))
			return &cfg->targets[i];
	return NULL;
}
