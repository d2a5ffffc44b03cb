/* version.h - parsing release tags into versions, and ordering them.
 *
 * Three schemes:
 *  - semver: [prefix]MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD] per SemVer 2.0.0;
 *    the prefix is the configured one (default: an optional "v"); build
 *    metadata is ignored for ordering; numeric identifiers with leading zeros
 *    are invalid (the tag is skipped).
 *  - date: [anything]YYYY-MM-DD[letter], e.g. release-2024-02-06 or 2024-02-06a;
 *    a letter suffix sorts after the bare date and marks a hotfix.
 *  - regex: the user's POSIX extended regex; its capture groups are compared
 *    numerically left to right (a group that is not all digits makes the tag
 *    unparsable).
 * Numbers may exceed 64 bits: they are kept as canonical decimal strings and
 * compared by length, then digit by digit.
 */
#ifndef UPKEEP_VERSION_H
#define UPKEEP_VERSION_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"

enum version_scheme {
	SCHEME_SEMVER,
	SCHEME_DATE,
	SCHEME_REGEX
};

/* How to read tags of one target. */
struct version_parser {
	enum version_scheme scheme;
	char *prefix;  /* semver: required literal prefix; NULL = optional "v" */
	regex_t regex; /* regex scheme only */
	bool has_regex;
	size_t n_groups;
};

struct version {
	enum version_scheme scheme;
	char **nums;     /* numeric components, canonical decimal (no leading zeros) */
	size_t n_nums;   /* semver 3; date 3 (year, month, day); regex: groups */
	char *pre;       /* semver pre-release identifiers ("rc.1"), or NULL */
	char suffix;     /* date scheme: letter suffix, or 0 */
	char *text;      /* canonical text for display: "1.2.3-rc.1", "2024-02-06a" */
};

/* Prepares a parser. regex is required for SCHEME_REGEX and ignored
 * otherwise; prefix may be NULL. Returns 0, or -1 with err set. */
int version_parser_init(struct version_parser *p, enum version_scheme scheme,
			const char *prefix, const char *regex, struct up_error *err);
void version_parser_free(struct version_parser *p);

/* Parses tag (a short tag name, without refs/tags/) under the parser's
 * scheme. Returns true and fills *out (free with version_free) on success;
 * false for a tag that does not parse, which callers skip and count. */
bool version_parse(const struct version_parser *p, const char *tag, struct version *out);

/* <0, 0, >0 as a sorts before, equal to, after b. Both of the same scheme. */
int version_compare(const struct version *a, const struct version *b);
/* Compares two canonical decimal strings. */
int version_compare_numbers(const char *a, const char *b);

bool version_is_prerelease(const struct version *v);
void version_copy(struct version *dst, const struct version *src);
void version_free(struct version *v);

/* "semver", "date", "regex"; and back (false if unknown). */
const char *version_scheme_name(enum version_scheme s);
bool version_scheme_from_name(const char *name, enum version_scheme *out);

#endif
