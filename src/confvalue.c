/* confvalue.c - the configuration's values, parsed and validated one by one.
 *
 * config.c decides which key takes which kind of value and applies the
 * result; the checks themselves, and the messages that say what is wrong
 * with a value, live here.
 */
#include "config.h"

#include "confvalue.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "escape.h"
#include "i18n.h"
#include "util.h"
#include "yamltree.h"

char *confvalue_quote(const char *s)
{
	char *e = escape_text(s, (size_t)-1, 60, 0);
	char *q = xasprintf("\"%s\"", e);
	free(e);
	return q;
}

/* ------------------------------------------------------------------
 * Numbers, booleans and names
 * ------------------------------------------------------------------ */

bool confvalue_parse_int(const char *s, long long *out)
{
	const char *d = *s == '-' ? s + 1 : s;
	if (!isdigit((unsigned char)*d))
		return false;
	errno = 0;
	char *end;
	long long v = strtoll(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

bool confvalue_parse_bool(const char *s, bool *out)
{
	if (!strcasecmp(s, "true") || !strcasecmp(s, "yes"))
		return *out = true, true;
	if (!strcasecmp(s, "false") || !strcasecmp(s, "no"))
		return *out = false, true;
	return false;
}

int confvalue_name_lookup(const struct confvalue_name *names, const char *s)
{
	for (size_t i = 0; names[i].name; i++)
		if (!strcmp(names[i].name, s))
			return (int)i;
	return -1;
}

char *confvalue_names_list(const struct confvalue_name *names)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; names[i].name; i++)
		strbuf_addf(&sb, "%s%s", i ? ", " : "", names[i].name);
	return strbuf_detach(&sb);
}

/* ------------------------------------------------------------------
 * Time windows
 * ------------------------------------------------------------------ */

static bool window_day(const char *s, size_t avail)
{
	static const char *const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
	if (avail < 3)
		return false;
	for (size_t i = 0; i < 7; i++)
		if (!strncasecmp(s, days[i], 3))
			return true;
	return false;
}

/* "daily" or a comma-separated list of days and day ranges (Mon-Fri). */
static bool window_days(const char *s, size_t len)
{
	if (len == 5 && !strncasecmp(s, "daily", 5))
		return true;
	size_t i = 0;
	while (i < len) {
		if (!window_day(s + i, len - i))
			return false;
		i += 3;
		if (i < len && s[i] == '-') {
			if (!window_day(s + i + 1, len - i - 1))
				return false;
			i += 4;
		}
		if (i == len)
			return true;
		if (s[i] != ',' || ++i == len)
			return false;
	}
	return false;
}

/* "HH:MM" at s (5 bytes known to be there) in minutes; 24:00 is allowed. */
static bool window_time(const char *s, int *minutes)
{
	for (int i = 0; i < 5; i++)
		if (i == 2 ? s[i] != ':' : !isdigit((unsigned char)s[i]))
			return false;
	int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && m != 0))
		return false;
	*minutes = h * 60 + m;
	return true;
}

bool confvalue_window_valid(const char *s)
{
	const char *sp = strchr(s, ' ');
	if (!sp || !window_days(s, (size_t)(sp - s)))
		return false;
	while (*sp == ' ')
		sp++;
	int from, to;
	if (strlen(sp) != 11 || sp[5] != '-' || !window_time(sp, &from) || !window_time(sp + 6, &to))
		return false;
	return from != to && from != 24 * 60;
}

/* ------------------------------------------------------------------
 * Paths and URLs
 * ------------------------------------------------------------------ */

char *confvalue_abspath(struct yamltree_errors *errs, const struct yamltree_node *v,
			const char *path, bool not_root)
{
	const char *s = v->text;
	char *q = confvalue_quote(s);
	char *out = NULL;
	size_t len = strlen(s);
	while (len > 1 && s[len - 1] == '/')
		len--;
	if (s[0] != '/')
		yamltree_report(errs, v, _("%s: %s is a relative path (expected an absolute path "
				"starting with /)"), path, q);
	else if (not_root && len == 1)
		yamltree_report(errs, v, _("%s: %s is the root directory (expected an application's "
				"own directory)"), path, q);
	else
		out = xstrndup(s, len);
	free(q);
	return out;
}

/* "scheme://..." with an allowed scheme; *scheme_len is set when s has one. */
static bool url_scheme_allowed(const char *s, const char *const *allowed, size_t *scheme_len)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");
	*scheme_len = 0;
	if (n == 0 || strncmp(s + n, "://", 3) != 0)
		return false;
	*scheme_len = n;
	for (size_t i = 0; allowed[i]; i++)
		if (strlen(allowed[i]) == n && !strncasecmp(s, allowed[i], n))
			return true;
	return false;
}

char *confvalue_http_url(struct yamltree_errors *errs, const struct yamltree_node *v,
			 const char *path, const char *expect, bool file_ok)
{
	static const char *const web[] = { "http", "https", NULL };
	static const char *const web_file[] = { "http", "https", "file", NULL };
	size_t n;
	const char *s = v->text;
	bool allowed = url_scheme_allowed(s, file_ok ? web_file : web, &n);
	if (allowed && s[n + 3])
		return xstrdup(s);
	if (allowed)
		yamltree_report(errs, v, _("%s: the URL has no host (expected %s)"), path, expect);
	else if (n)
		yamltree_report(errs, v, _("%s: unsupported URL scheme \"%.*s://\" (expected %s)"),
				path, (int)n, s, expect);
	else {
		char *q = confvalue_quote(s);
		yamltree_report(errs, v, _("%s: %s is not a URL (expected %s)"), path, q, expect);
		free(q);
	}
	return NULL;
}

/* `[user@]host:path`, as git and scp read it. */
static bool git_scp_like(const char *s, const char *colon)
{
	const char *at = memchr(s, '@', (size_t)(colon - s));
	const char *host = at ? at + 1 : s;
	size_t n = strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_[]");
	/* "https:/host/repo" is a mistyped URL, not a host called https. */
	static const char *const schemes[] = { "file", "http", "https", "ssh", "git", "ftp", NULL };
	for (size_t i = 0; !at && schemes[i]; i++)
		if (strlen(schemes[i]) == n && !strncasecmp(host, schemes[i], n))
			return false;
	return (!at || at > s) && n > 0 && host + n == colon && colon[1] != '\0';
}

char *confvalue_git_url(struct yamltree_errors *errs, const struct yamltree_node *v,
			const char *path, const char *expect, const char *dir)
{
	static const char *const allowed[] = { "file", "http", "https", "ssh", "git", NULL };
	const char *s = v->text, *colon = strchr(s, ':'), *slash = strchr(s, '/');
	size_t n;
	if (url_scheme_allowed(s, allowed, &n)) {
		if (!s[n + 3] || (n == 4 && !strncasecmp(s, "file", 4) && s[n + 3] != '/')) {
			yamltree_report(errs, v, _("%s: the URL has no %s (expected %s)"), path,
					s[n + 3] ? _("absolute path (file:///path)") :
					_("host or path"), expect);
			return NULL;
		}
		return xstrdup(s);
	}
	if (n) {
		yamltree_report(errs, v, _("%s: unsupported URL scheme \"%.*s://\" (expected %s)"),
				path, (int)n, s, expect);
		return NULL;
	}
	bool scp = colon && (!slash || colon < slash);
	char *q = confvalue_quote(s), *out = NULL;
	if (!*s)
		yamltree_report(errs, v, _("%s: the value is empty (expected %s)"), path, expect);
	else if (*s == '~')
		yamltree_report(errs, v, _("%s: %s starts with ~, which is not expanded (expected an "
				"absolute path)"), path, q);
	else if (scp && !git_scp_like(s, colon))
		yamltree_report(errs, v, _("%s: %s is not a valid URL (expected %s)"), path, q,
				expect);
	else if (*s == '/' || scp)
		out = xstrdup(s);
	else if (!strcmp(s, "."))
		out = xstrdup(*dir ? dir : "/");
	else {
		while (s[0] == '.' && s[1] == '/')
			s += 2;
		out = xasprintf("%s/%s", dir, s);
	}
	free(q);
	return out;
}

/* ------------------------------------------------------------------
 * Preserve paths
 * ------------------------------------------------------------------ */

const char *confvalue_preserve_problem(const char *s)
{
	if (*s == '/')
		return _("is an absolute path");
	if (*s == '~')
		return _("starts with ~");
	bool named = false;
	for (const char *p = s; *p; ) {
		size_t len = strcspn(p, "/");
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return _("leaves the target directory");
		if (len && !(len == 1 && p[0] == '.'))
			named = true;
		p += len + (p[len] == '/');
	}
	return named ? NULL : _("names the target directory itself");
}

char *confvalue_preserve_normalize(const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	for (const char *p = s; *p; ) {
		size_t len = strcspn(p, "/");
		if (len && !(len == 1 && p[0] == '.')) {
			if (sb.len)
				strbuf_addch(&sb, '/');
			strbuf_add(&sb, p, len);
		}
		p += len + (p[len] == '/');
	}
	if (s[strlen(s) - 1] == '/')
		strbuf_addch(&sb, '/');
	return strbuf_detach(&sb);
}
