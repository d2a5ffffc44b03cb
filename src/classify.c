/* classify.c - the kind of an update, its flags, and channel filtering. */
#include "config.h"

#include "classify.h"

#include <fnmatch.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

/* Index of the first numeric component in which candidate differs from
 * installed (missing components count as zero), or n_nums if none does. */
static size_t first_difference(const struct version *installed, const struct version *candidate)
{
	for (size_t i = 0; i < candidate->n_nums; i++) {
		const char *old = installed && i < installed->n_nums ? installed->nums[i] : "0";
		if (version_compare_numbers(old, candidate->nums[i]) != 0)
			return i;
	}
	return candidate->n_nums;
}

static enum release_kind kind_from_index(size_t i, size_t n)
{
	if (i >= n)
		return KIND_PATCH; /* only a pre-release or suffix changed */
	if (i == 0)
		return KIND_MAJOR;
	return i == 1 ? KIND_MINOR : KIND_PATCH;
}

enum release_kind classify_kind(const struct version *installed, const struct version *candidate)
{
	if (!candidate)
		return KIND_NONE;
	if (installed && installed->scheme != candidate->scheme)
		installed = NULL; /* not comparable: treat as nothing installed */
	if (installed && version_compare(candidate, installed) <= 0)
		return KIND_NONE;
	if (candidate->scheme == SCHEME_SEMVER && version_is_prerelease(candidate))
		return KIND_PRERELEASE;
	size_t i = first_difference(installed, candidate);
	if (candidate->scheme == SCHEME_DATE) {
		if (i == 0 || !installed)
			return KIND_MAJOR;
		return i >= candidate->n_nums ? KIND_PATCH : KIND_MINOR;
	}
	return kind_from_index(i, candidate->n_nums);
}

static const char *const default_security[] = { "Security" };
static const char *const default_hotfix[] = { "Hotfix" };

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* A value that names no problem: "no", "false", "none", "0". */
static bool value_is_negative(const char *v, size_t n)
{
	static const char *const negatives[] = { "no", "false", "none", "0" };
	for (size_t i = 0; i < sizeof(negatives) / sizeof(negatives[0]); i++)
		if (strlen(negatives[i]) == n && strncasecmp(v, negatives[i], n) == 0)
			return true;
	return false;
}

/* Whether the line [line, line+n) is a trailer "Key: value" for one of keys
 * whose value does not say no. Blanks may precede the key and the colon. */
static bool line_raises(const char *line, size_t n, const char *const *keys, size_t n_keys)
{
	const char *end = line + n;
	while (line < end && is_blank(*line))
		line++;
	for (size_t k = 0; k < n_keys; k++) {
		size_t kl = keys[k] ? strlen(keys[k]) : 0;
		if (kl == 0 || (size_t)(end - line) < kl || strncasecmp(line, keys[k], kl) != 0)
			continue;
		const char *p = line + kl;
		while (p < end && is_blank(*p))
			p++;
		if (p == end || *p != ':')
			continue;
		p++;
		while (p < end && is_blank(*p))
			p++;
		const char *v_end = end;
		while (v_end > p && (is_blank(v_end[-1]) || v_end[-1] == '\r'))
			v_end--;
		if (!value_is_negative(p, (size_t)(v_end - p)))
			return true;
	}
	return false;
}

static bool message_raises(const char *msg, const char *const *keys, size_t n_keys)
{
	while (msg && *msg) {
		size_t n = strcspn(msg, "\n");
		if (line_raises(msg, n, keys, n_keys))
			return true;
		msg += n;
		if (*msg)
			msg++;
	}
	return false;
}

unsigned classify_flags(const char *tag_message, const struct version *v,
			const struct flag_markers *markers)
{
	const char *const *sec = default_security, *const *hot = default_hotfix;
	size_t n_sec = 1, n_hot = 1;
	if (markers && markers->n_security) {
		sec = (const char *const *)markers->security;
		n_sec = markers->n_security;
	}
	if (markers && markers->n_hotfix) {
		hot = (const char *const *)markers->hotfix;
		n_hot = markers->n_hotfix;
	}
	unsigned flags = 0;
	if (message_raises(tag_message, sec, n_sec))
		flags |= FLAG_SECURITY;
	if (message_raises(tag_message, hot, n_hot))
		flags |= FLAG_HOTFIX;
	if (v && v->scheme == SCHEME_DATE && v->suffix)
		flags |= FLAG_HOTFIX;
	return flags;
}

bool classify_channel_accepts(const char *channel, const char *tag, const struct version *v)
{
	if (!channel || !*channel || strcmp(channel, "stable") == 0)
		return !version_is_prerelease(v);
	if (strcmp(channel, "beta") == 0)
		return true;
	if (!tag)
		tag = v ? v->text : NULL;
	return tag && fnmatch(channel, tag, 0) == 0;
}

const char *classify_kind_name(enum release_kind k)
{
	switch (k) {
	case KIND_MAJOR: return "major";
	case KIND_MINOR: return "minor";
	case KIND_PATCH: return "patch";
	case KIND_PRERELEASE: return "pre-release";
	case KIND_NONE: break;
	}
	return "";
}

char classify_kind_letter(enum release_kind k)
{
	switch (k) {
	case KIND_MAJOR: return 'M';
	case KIND_MINOR: return 'm';
	case KIND_PATCH: return 'p';
	case KIND_PRERELEASE: return 'r';
	case KIND_NONE: break;
	}
	return ' ';
}

const char *classify_flags_text(unsigned flags)
{
	static const char *const texts[] = { "", "security", "hotfix", "security,hotfix" };
	return texts[flags & (FLAG_SECURITY | FLAG_HOTFIX)];
}
