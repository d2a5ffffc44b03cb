/* classify.h - what kind of update a release is, its flags, and whether a
 * channel offers it. */
#ifndef UPKEEP_CLASSIFY_H
#define UPKEEP_CLASSIFY_H

#include <stdbool.h>

#include "version.h"

enum release_kind {
	KIND_NONE = 0,    /* not newer than the installed version */
	KIND_MAJOR,
	KIND_MINOR,
	KIND_PATCH,
	KIND_PRERELEASE
};

enum release_flag {
	FLAG_SECURITY = 1 << 0,
	FLAG_HOTFIX = 1 << 1
};

/* Trailer keys that raise a flag, matched case-insensitively at the start of a
 * line of the tag message ("Security: CVE-2024-1234"); a value of "no",
 * "false", "none" or "0" does not raise it. */
struct flag_markers {
	char **security; size_t n_security; /* default: "Security" */
	char **hotfix; size_t n_hotfix;     /* default: "Hotfix" */
};

/* The kind of candidate relative to installed (NULL = nothing installed:
 * every release is classified against 0.0.0, i.e. major for >= 1.0.0).
 *  semver: a pre-release candidate is KIND_PRERELEASE; else the first of
 *          major/minor/patch that differs.
 *  date:   same date with a (higher) letter suffix = patch; a later date in
 *          a later year = major; otherwise minor.
 *  regex:  first group differs = major, second = minor, any later = patch. */
enum release_kind classify_kind(const struct version *installed, const struct version *candidate);

/* Flags from the tag message (may be NULL) and, for the date scheme, a
 * letter suffix (hotfix). markers NULL = the defaults. */
unsigned classify_flags(const char *tag_message, const struct version *v,
			const struct flag_markers *markers);

/* Channels: "stable" excludes pre-releases; "beta" includes them; any other
 * string is a glob (fnmatch) over the tag name. */
bool classify_channel_accepts(const char *channel, const char *tag, const struct version *v);

/* "major", "minor", "patch", "pre-release", "" and a one-letter badge
 * ('M', 'm', 'p', 'r', ' ') readable without colour. */
const char *classify_kind_name(enum release_kind k);
char classify_kind_letter(enum release_kind k);
/* "security,hotfix" style text (static storage per combination). */
const char *classify_flags_text(unsigned flags);

#endif
