/* allowed_signers.c - OpenSSH's allowed-signers file. */
#include "config.h"

#include "allowed_signers.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "escape.h"
#include "i18n.h"
#include "sshsig.h"
#include "util.h"

void allowed_signers_free(struct allowed_signers *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->items[i].principals);
		free(a->items[i].namespaces);
		free(a->items[i].key);
	}
	FREE(a->items);
	a->n = 0;
}

/* ---- patterns ---- */

/* * and ? wildcards, iterative with one backtrack point: linear in practice,
 * never exponential on hostile patterns. */
static bool match_pattern(const char *s, size_t slen, const char *p, size_t plen)
{
	size_t si = 0, pi = 0, star = (size_t)-1, mark = 0;
	while (si < slen) {
		if (pi < plen && (p[pi] == '?' || p[pi] == s[si])) {
			si++;
			pi++;
		} else if (pi < plen && p[pi] == '*') {
			star = pi++;
			mark = si;
		} else if (star != (size_t)-1) {
			pi = star + 1;
			si = ++mark;
		} else {
			return false;
		}
	}
	while (pi < plen && p[pi] == '*')
		pi++;
	return pi == plen;
}

bool allowed_signers_pattern_list_match(const char *list, const char *s)
{
	bool matched = false;
	size_t slen = strlen(s);
	for (const char *p = list; p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		bool negated = len > 0 && p[0] == '!';
		if (match_pattern(s, slen, p + negated, len - negated)) {
			if (negated)
				return false;
			matched = true;
		}
		p = comma ? comma + 1 : NULL;
	}
	return matched;
}

/* ---- times ---- */

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static int num(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

bool allowed_signers_parse_time(const char *s, long long *out)
{
	size_t len = strlen(s);
	bool utc = len > 0 && (s[len - 1] == 'Z' || s[len - 1] == 'z');
	len -= utc;
	if ((len != 8 && len != 12 && len != 14) || !digits(s, len))
		return false;
	struct tm tm = { 0 };
	tm.tm_year = num(s, 4) - 1900;
	tm.tm_mon = num(s + 4, 2) - 1;
	tm.tm_mday = num(s + 6, 2);
	if (len >= 12) {
		tm.tm_hour = num(s + 8, 2);
		tm.tm_min = num(s + 10, 2);
	}
	if (len == 14)
		tm.tm_sec = num(s + 12, 2);
	if (tm.tm_year < 0 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return false;
	tm.tm_isdst = -1;
	time_t t = utc ? timegm(&tm) : mktime(&tm);
	if (t == (time_t)-1)
		return false;
	*out = (long long)t;
	return true;
}

/* ---- one line ---- */

struct line_ctx {
	const char *file;
	int line;
	struct up_error *err;
};

static int line_error(struct line_ctx *c, const char *fmt, const char *what)
{
	char *safe = escape_text(what ? what : "", (size_t)-1, 60, 0);
	char *msg = xasprintf(fmt, safe);
	err_set(c->err, UP_ERR_CONFIG, "%s:%d: %s", c->file, c->line, msg);
	free(msg);
	free(safe);
	return -1;
}

/* The next whitespace-separated field of *p; double quotes group (and are
 * kept, for options; stripped for a quoted principals field by the caller). */
static char *next_field(const char **p, const char *end, bool *unterminated)
{
	const char *s = *p;
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	const char *start = s;
	bool quoted = false;
	while (s < end && (quoted || (*s != ' ' && *s != '\t'))) {
		if (*s == '"')
			quoted = !quoted;
		s++;
	}
	*unterminated = quoted;
	*p = s;
	return s > start ? xstrndup(start, (size_t)(s - start)) : NULL;
}

/* Names OpenSSH knows as key types: one of these in the second field means
 * the entry has no options. */
static bool looks_like_key_type(const char *f)
{
	static const char *const known[] = {
		"ssh-ed25519", "ssh-rsa", "ssh-dss", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
		"ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com",
		"sk-ecdsa-sha2-nistp256@openssh.com", "ssh-ed448",
	};
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strcmp(f, known[i]) == 0)
			return true;
	return strstr(f, "-cert-v01@openssh.com") != NULL;
}

/* A quoted option value: "..." with nothing after the closing quote. */
static char *option_value(struct line_ctx *c, const char *name, const char *v, size_t len)
{
	if (len < 2 || v[0] != '"' || v[len - 1] != '"' || memchr(v + 1, '"', len - 2)) {
		line_error(c, "option %s needs a value in double quotes", name);
		return NULL;
	}
	return xstrndup(v + 1, len - 2);
}

static int parse_option(struct line_ctx *c, const char *opt, size_t len, struct signer_entry *e)
{
	const char *eq = memchr(opt, '=', len);
	size_t nlen = eq ? (size_t)(eq - opt) : len;
	char *name = xstrndup(opt, nlen);
	int rc = 0;
	if (strcasecmp(name, "cert-authority") == 0) {
		rc = line_error(c, "%scert-authority: SSH certificates are not supported by upkeep "
			       "(list the signing keys themselves)", "");
	} else if (!eq) {
		rc = line_error(c, "unknown option \"%s\" (expected namespaces=, valid-after=, "
			       "valid-before=)", name);
	} else {
		char *v = option_value(c, name, eq + 1, len - nlen - 1);
		long long *t = strcasecmp(name, "valid-after") == 0    ? &e->valid_after
			       : strcasecmp(name, "valid-before") == 0 ? &e->valid_before
								       : NULL;
		if (!v) {
			rc = -1;
		} else if (strcasecmp(name, "namespaces") == 0) {
			free(e->namespaces);
			e->namespaces = v;
			v = NULL;
		} else if (!t) {
			rc = line_error(c, "unknown option \"%s\" (expected namespaces=, valid-after=, "
				       "valid-before=)", name);
		} else if (!allowed_signers_parse_time(v, t)) {
			rc = line_error(c, "\"%s\" is not a time (expected YYYYMMDD[HHMM[SS]][Z])", v);
		}
		free(v);
	}
	free(name);
	return rc;
}

/* Options are comma-separated; commas inside quotes do not split. */
static int parse_options(struct line_ctx *c, const char *opts, struct signer_entry *e)
{
	const char *start = opts;
	bool quoted = false;
	for (const char *p = opts;; p++) {
		if (*p == '"')
			quoted = !quoted;
		if ((*p == ',' && !quoted) || *p == '\0') {
			if (p == start)
				return line_error(c, "%sempty option", "");
			if (parse_option(c, start, (size_t)(p - start), e) < 0)
				return -1;
			if (*p == '\0')
				return 0;
			start = p + 1;
		}
	}
}

static char *unquote_principals(struct line_ctx *c, char *f)
{
	size_t len = strlen(f);
	if (f[0] != '"')
		return strchr(f, '"') ? (line_error(c, "%sstray double quote in the principals", ""), NULL)
				      : f;
	if (len < 2 || f[len - 1] != '"' || memchr(f + 1, '"', len - 2)) {
		line_error(c, "%sbad double quotes around the principals", "");
		return NULL;
	}
	memmove(f, f + 1, len - 2);
	f[len - 2] = '\0';
	return f;
}

/* Parses one non-empty, non-comment line into e. */
static int parse_line(struct line_ctx *c, const char *s, const char *end, struct signer_entry *e)
{
	bool open = false;
	char *principals = next_field(&s, end, &open);
	char *f2 = open ? NULL : next_field(&s, end, &open);
	char *type = NULL, *b64 = NULL;
	int rc = 0;
	if (open)
		rc = line_error(c, "%sunterminated double quote", "");
	else if (!f2)
		rc = line_error(c, "%sno key (expected: principals [options] keytype base64-key)", "");
	if (rc == 0) {
		e->principals = unquote_principals(c, principals);
		if (e->principals)
			principals = NULL; /* now owned by e */
		else
			rc = -1;
	}
	if (rc == 0 && e->principals[0] == '\0')
		rc = line_error(c, "%sempty principals", "");
	if (rc == 0 && !looks_like_key_type(f2)) {
		rc = parse_options(c, f2, e);
		type = rc == 0 ? next_field(&s, end, &open) : NULL;
		if (rc == 0 && !type)
			rc = line_error(c, "%sno key after the options", "");
	} else if (rc == 0) {
		type = f2;
		f2 = NULL;
	}
	if (rc == 0 && !(b64 = next_field(&s, end, &open)))
		rc = line_error(c, "no base64 key after the key type %s", type);
	if (rc == 0 && !looks_like_key_type(type))
		rc = line_error(c, "unknown key type \"%s\"", type);
	if (rc == 0 && strstr(type, "-cert-v01@openssh.com"))
		rc = line_error(c, "%sSSH certificates are not supported by upkeep", "");
	if (rc == 0 && sshsig_key_type_supported(type)) {
		struct up_error kerr = UP_ERROR_INIT;
		if (sshsig_key_decode(type, b64, strlen(b64), &e->key, &e->key_len, &kerr) < 0)
			rc = line_error(c, "%s", kerr.msg);
		err_clear(&kerr);
	}
	free(principals);
	free(f2);
	free(type);
	free(b64);
	return rc;
}

int allowed_signers_parse(const char *buf, size_t len, const char *file,
			  struct allowed_signers *out, struct up_error *err)
{
	memset(out, 0, sizeof(*out));
	struct line_ctx c = { file ? file : "allowed_signers", 0, err };
	size_t cap = 0;
	const char *end = buf + len;
	for (const char *s = buf; s < end;) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *eol = nl ? nl : end;
		c.line++;
		const char *p = s;
		while (p < eol && (*p == ' ' || *p == '\t' || *p == '\r'))
			p++;
		const char *q = eol;
		while (q > p && (q[-1] == '\r' || q[-1] == ' ' || q[-1] == '\t'))
			q--;
		s = nl ? nl + 1 : end;
		if (p == q || *p == '#')
			continue;
		if (memchr(p, '\0', (size_t)(q - p))) {
			allowed_signers_free(out);
			return line_error(&c, "%sNUL byte in the line", "");
		}
		if (out->n == cap) {
			cap = cap ? 2 * cap : 8;
			out->items = xrealloc(out->items, cap * sizeof(*out->items));
		}
		struct signer_entry *e = &out->items[out->n++];
		memset(e, 0, sizeof(*e));
		e->line = c.line;
		if (parse_line(&c, p, q, e) < 0) {
			allowed_signers_free(out);
			return -1;
		}
	}
	return 0;
}

int allowed_signers_load(const char *path, struct allowed_signers *out, struct up_error *err)
{
	memset(out, 0, sizeof(*out));
	struct strbuf sb = STRBUF_INIT;
	int rc;
	if (util_read_capped(path, ALLOWED_SIGNERS_MAX, &sb) < 0)
		rc = errno == EFBIG
			? err_set(err, UP_ERR_CONFIG, _("%s: larger than %d bytes"), path,
				  ALLOWED_SIGNERS_MAX)
			: err_set(err, UP_ERR_CONFIG, _("%s: cannot read the allowed signers: %s"),
				  path, strerror(errno));
	else
		rc = allowed_signers_parse(sb.buf ? sb.buf : "", sb.len, path, out, err);
	strbuf_release(&sb);
	return rc;
}

/* ---- matching ---- */

enum signer_match allowed_signers_match(const struct allowed_signers *a, const unsigned char *key,
					size_t key_len, const char *principal, const char *ns,
					long long when, const struct signer_entry **found)
{
	enum signer_match best = SIGNER_UNKNOWN_KEY;
	*found = NULL;
	for (size_t i = 0; i < a->n; i++) {
		const struct signer_entry *e = &a->items[i];
		if (!e->key || e->key_len != key_len || memcmp(e->key, key, key_len) != 0)
			continue;
		enum signer_match m = SIGNER_OK;
		if (!principal || !allowed_signers_pattern_list_match(e->principals, principal))
			m = SIGNER_WRONG_PRINCIPAL;
		else if (e->namespaces && !allowed_signers_pattern_list_match(e->namespaces, ns))
			m = SIGNER_WRONG_NAMESPACE;
		else if ((e->valid_after && when < e->valid_after) ||
			 (e->valid_before && when > e->valid_before))
			m = SIGNER_EXPIRED;
		/* the enum is ordered from far to near: keep the nearest */
		if (!*found || m == SIGNER_OK || m > best) {
			best = m;
			*found = e;
		}
		if (m == SIGNER_OK)
			return SIGNER_OK;
	}
	return best;
}
