/* version.c - release tags to versions under three schemes, and their order. */
#include "config.h"

#include "version.h"

#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "util.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_ident_char(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

/* A canonical copy of n decimal digits: leading zeros removed, "0" kept. */
static char *number_dup(const char *s, size_t n)
{
	while (n > 1 && *s == '0') {
		s++;
		n--;
	}
	return xstrndup(s, n);
}

int version_parser_init(struct version_parser *p, enum version_scheme scheme,
			const char *prefix, const char *regex, struct up_error *err)
{
	memset(p, 0, sizeof(*p));
	p->scheme = scheme;
	switch (scheme) {
	case SCHEME_SEMVER:
		p->prefix = prefix ? xstrdup(prefix) : NULL;
		return 0;
	case SCHEME_DATE:
		return 0;
	case SCHEME_REGEX:
		break;
	default:
		return err_set(err, UP_ERR_USAGE, _("unknown version scheme %d"), (int)scheme);
	}
	if (!regex || !*regex)
		return err_set(err, UP_ERR_CONFIG, _("the regex scheme needs a regex"));
	int rc = regcomp(&p->regex, regex, REG_EXTENDED);
	if (rc != 0) {
		char msg[256];
		regerror(rc, &p->regex, msg, sizeof(msg));
		return err_set(err, UP_ERR_CONFIG, _("regex \"%s\" is invalid: %s"), regex, msg);
	}
	if (p->regex.re_nsub == 0) {
		regfree(&p->regex);
		return err_set(err, UP_ERR_CONFIG,
			       _("regex \"%s\" has no capture group (expected one "
			       "parenthesised group per version number)"), regex);
	}
	p->has_regex = true;
	p->n_groups = p->regex.re_nsub;
	return 0;
}

void version_parser_free(struct version_parser *p)
{
	if (!p)
		return;
	free(p->prefix);
	if (p->has_regex)
		regfree(&p->regex);
	memset(p, 0, sizeof(*p));
}

/* Length of a numeric identifier at s (digits, no leading zero), 0 if none. */
static size_t semver_number_len(const char *s)
{
	size_t n = 0;
	while (is_digit(s[n]))
		n++;
	if (n > 1 && s[0] == '0')
		return 0;
	return n;
}

/* Length of dot-separated non-empty identifiers [0-9A-Za-z-]+ at s, or 0 when
 * malformed. With strict, all-digit identifiers may not have leading zeros. */
static size_t semver_idents_len(const char *s, bool strict)
{
	size_t i = 0;
	for (;;) {
		size_t start = i;
		bool digits = true;
		while (is_ident_char(s[i])) {
			if (!is_digit(s[i]))
				digits = false;
			i++;
		}
		if (i == start)
			return 0;
		if (strict && digits && i - start > 1 && s[start] == '0')
			return 0;
		if (s[i] != '.')
			return i;
		i++;
	}
}

static bool parse_semver(const struct version_parser *p, const char *s, struct version *out)
{
	if (p->prefix) {
		size_t n = strlen(p->prefix);
		if (strncmp(s, p->prefix, n) != 0)
			return false;
		s += n;
	} else if (*s == 'v') {
		s++;
	}
	const char *num[3];
	size_t num_len[3];
	for (int i = 0; i < 3; i++) {
		num[i] = s;
		num_len[i] = semver_number_len(s);
		if (num_len[i] == 0)
			return false;
		s += num_len[i];
		if (i < 2 && *s++ != '.')
			return false;
	}
	const char *pre = NULL;
	size_t pre_len = 0;
	if (*s == '-') {
		pre = s + 1;
		pre_len = semver_idents_len(pre, true);
		if (pre_len == 0)
			return false;
		s = pre + pre_len;
	}
	if (*s == '+') {
		size_t build_len = semver_idents_len(s + 1, false);
		if (build_len == 0)
			return false;
		s += 1 + build_len;
	}
	if (*s)
		return false;

	out->scheme = SCHEME_SEMVER;
	out->n_nums = 3;
	out->nums = xcalloc(3, sizeof(*out->nums));
	for (int i = 0; i < 3; i++)
		out->nums[i] = xstrndup(num[i], num_len[i]);
	out->pre = pre ? xstrndup(pre, pre_len) : NULL;
	out->text = xasprintf("%s.%s.%s%s%s", out->nums[0], out->nums[1], out->nums[2],
			      pre ? "-" : "", pre ? out->pre : "");
	return true;
}

static bool two_digits(const char *s, int *value)
{
	if (!is_digit(s[0]) || !is_digit(s[1]))
		return false;
	*value = (s[0] - '0') * 10 + (s[1] - '0');
	return true;
}

static bool parse_date(const char *tag, struct version *out)
{
	size_t len = strlen(tag);
	char suffix = 0;
	if (len > 0 && tag[len - 1] >= 'a' && tag[len - 1] <= 'z')
		suffix = tag[--len];
	if (len < 10)
		return false;
	const char *d = tag + len - 10;
	int month, day;
	if (!is_digit(d[0]) || !is_digit(d[1]) || !is_digit(d[2]) || !is_digit(d[3]) ||
	    d[4] != '-' || d[7] != '-' || !two_digits(d + 5, &month) || !two_digits(d + 8, &day))
		return false;
	/* "12024-02-06" is not a date with a prefix of "1". */
	if (d > tag && is_digit(d[-1]))
		return false;
	if (month < 1 || month > 12 || day < 1 || day > 31)
		return false;

	out->scheme = SCHEME_DATE;
	out->n_nums = 3;
	out->nums = xcalloc(3, sizeof(*out->nums));
	out->nums[0] = number_dup(d, 4);
	out->nums[1] = number_dup(d + 5, 2);
	out->nums[2] = number_dup(d + 8, 2);
	out->suffix = suffix;
	if (suffix)
		out->text = xasprintf("%.10s%c", d, suffix);
	else
		out->text = xasprintf("%.10s", d);
	return true;
}

static bool all_digits(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return false;
	return true;
}

static bool parse_regex(const struct version_parser *p, const char *tag, struct version *out)
{
	if (!p->has_regex || p->n_groups == 0)
		return false;
	size_t n = p->n_groups + 1;
	regmatch_t *m = xcalloc(n, sizeof(*m));
	bool ok = regexec(&p->regex, tag, n, m, 0) == 0 && m[0].rm_so == 0 &&
		  (size_t)m[0].rm_eo == strlen(tag);
	for (size_t i = 1; ok && i < n; i++)
		ok = m[i].rm_so >= 0 &&
		     all_digits(tag + m[i].rm_so, (size_t)(m[i].rm_eo - m[i].rm_so));
	if (!ok) {
		free(m);
		return false;
	}
	out->scheme = SCHEME_REGEX;
	out->n_nums = p->n_groups;
	out->nums = xcalloc(p->n_groups, sizeof(*out->nums));
	struct strbuf text = STRBUF_INIT;
	for (size_t i = 0; i < p->n_groups; i++) {
		out->nums[i] = number_dup(tag + m[i + 1].rm_so,
					  (size_t)(m[i + 1].rm_eo - m[i + 1].rm_so));
		if (i > 0)
			strbuf_addch(&text, '.');
		strbuf_addstr(&text, out->nums[i]);
	}
	out->text = strbuf_detach(&text);
	free(m);
	return true;
}

bool version_parse(const struct version_parser *p, const char *tag, struct version *out)
{
	if (!out)
		return false;
	memset(out, 0, sizeof(*out));
	if (!p || !tag)
		return false;
	switch (p->scheme) {
	case SCHEME_SEMVER:
		return parse_semver(p, tag, out);
	case SCHEME_DATE:
		return parse_date(tag, out);
	case SCHEME_REGEX:
		return parse_regex(p, tag, out);
	}
	return false;
}

int version_compare_numbers(const char *a, const char *b)
{
	if (!a)
		a = "0";
	if (!b)
		b = "0";
	while (a[0] == '0' && a[1])
		a++;
	while (b[0] == '0' && b[1])
		b++;
	size_t la = strlen(a), lb = strlen(b);
	if (la != lb)
		return la < lb ? -1 : 1;
	int c = memcmp(a, b, la);
	return (c > 0) - (c < 0);
}

/* One pre-release identifier each, of lengths la and lb. */
static int compare_identifier(const char *a, size_t la, const char *b, size_t lb)
{
	bool na = all_digits(a, la), nb = all_digits(b, lb);
	if (na && nb) {
		if (la != lb)
			return la < lb ? -1 : 1;
		int c = memcmp(a, b, la);
		return (c > 0) - (c < 0);
	}
	if (na != nb)
		return na ? -1 : 1; /* numeric identifiers sort first */
	int c = memcmp(a, b, la < lb ? la : lb);
	if (c != 0)
		return (c > 0) - (c < 0);
	return la == lb ? 0 : (la < lb ? -1 : 1);
}

/* SemVer 2.0.0 §11: no pre-release sorts after any pre-release. */
static int compare_prerelease(const char *a, const char *b)
{
	if (!a || !b)
		return a ? -1 : (b ? 1 : 0);
	for (;;) {
		size_t la = strcspn(a, "."), lb = strcspn(b, ".");
		int c = compare_identifier(a, la, b, lb);
		if (c != 0)
			return c;
		a += la;
		b += lb;
		if (!*a || !*b)
			return *a ? 1 : (*b ? -1 : 0);
		a++;
		b++;
	}
}

int version_compare(const struct version *a, const struct version *b)
{
	if (a->scheme != b->scheme)
		return a->scheme < b->scheme ? -1 : 1;
	size_t n = a->n_nums < b->n_nums ? a->n_nums : b->n_nums;
	for (size_t i = 0; i < n; i++) {
		int c = version_compare_numbers(a->nums[i], b->nums[i]);
		if (c != 0)
			return c;
	}
	if (a->n_nums != b->n_nums)
		return a->n_nums < b->n_nums ? -1 : 1;
	if (a->scheme == SCHEME_SEMVER)
		return compare_prerelease(a->pre, b->pre);
	if (a->scheme == SCHEME_DATE && a->suffix != b->suffix)
		return (unsigned char)a->suffix < (unsigned char)b->suffix ? -1 : 1;
	return 0;
}

bool version_is_prerelease(const struct version *v)
{
	return v && v->scheme == SCHEME_SEMVER && v->pre != NULL;
}

void version_copy(struct version *dst, const struct version *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->scheme = src->scheme;
	dst->n_nums = src->n_nums;
	if (src->n_nums) {
		dst->nums = xcalloc(src->n_nums, sizeof(*dst->nums));
		for (size_t i = 0; i < src->n_nums; i++)
			dst->nums[i] = xstrdup(src->nums[i] ? src->nums[i] : "0");
	}
	dst->pre = src->pre ? xstrdup(src->pre) : NULL;
	dst->suffix = src->suffix;
	dst->text = src->text ? xstrdup(src->text) : NULL;
}

void version_free(struct version *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n_nums && v->nums; i++)
		free(v->nums[i]);
	free(v->nums);
	free(v->pre);
	free(v->text);
	memset(v, 0, sizeof(*v));
}

static const char *const scheme_names[] = {
	[SCHEME_SEMVER] = "semver",
	[SCHEME_DATE] = "date",
	[SCHEME_REGEX] = "regex",
};

const char *version_scheme_name(enum version_scheme s)
{
	if ((size_t)s < sizeof(scheme_names) / sizeof(scheme_names[0]))
		return scheme_names[s];
	return "unknown";
}

bool version_scheme_from_name(const char *name, enum version_scheme *out)
{
	if (!name)
		return false;
	for (size_t i = 0; i < sizeof(scheme_names) / sizeof(scheme_names[0]); i++) {
		if (strcmp(name, scheme_names[i]) == 0) {
			if (out)
				*out = (enum version_scheme)i;
			return true;
		}
	}
	return false;
}
