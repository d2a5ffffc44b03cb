/* check.h - finding the releases of a target that are newer than the
 * installed one: list the remote's tags (no objects), parse them under the
 * target's scheme, classify, then fetch the candidates into the target's
 * cache repository to read tag messages, dates and commit subjects. */
#ifndef UPKEEP_CHECK_H
#define UPKEEP_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "classify.h"
#include "conf.h"
#include "error.h"
#include "store.h"
#include "tagverify.h"
#include "util.h"
#include "version.h"

/* At most this many commit subjects are kept per release. */
#define CHECK_MAX_SUBJECTS 200

struct release {
	char *tag;               /* short tag name, as the remote has it (untrusted) */
	struct version version;
	char object[41];         /* what refs/tags/TAG points at (tag object or commit) */
	char commit[41];         /* the commit it peels to */
	enum release_kind kind;
	unsigned flags;          /* enum release_flag */
	bool in_channel;         /* offered by the target's channel */
	long long date;          /* tagger date, else commit date; 0 = unknown */
	char *message;           /* tag message without signature; NULL if lightweight */
	char *tagger;            /* "Name <email>" or NULL */
	struct strvec subjects;  /* commits since the installed release, newest first */
	size_t n_commits;        /* how many there are (subjects may be capped) */
	struct tag_trust trust;  /* the signature verdict (fetched releases only) */
	bool verified;           /* trust holds a verdict */
	/* Set by check_record(): the tag pointed at another object when first
	 * seen (first_object says which). */
	bool moved;
	char first_object[41];
	/* Below the highest version ever installed: installing it needs
	 * --allow-downgrade, so it is not offered. */
	bool below_highest;
};

struct check_result {
	char *target;
	bool ok;
	char *error;             /* set when !ok: URL, what failed, libgit2's reason */
	char *installed;         /* installed version text, NULL = unknown */
	size_t n_tags;           /* tags on the remote */
	size_t n_skipped;        /* tags that do not parse under the scheme */
	/* Releases newer than the installed one, newest first; pre-releases
	 * outside the channel are kept with in_channel = false. */
	struct release *releases;
	size_t n_releases;
	long long checked_at;    /* unix seconds */
	long long duration_ms;
};

/* Offered: in the channel and above the highest version ever installed. */
bool check_offered(const struct release *rel);
/* Index of the newest release the channel offers, or -1. */
long check_newest_offered(const struct check_result *r);
/* How many releases the channel offers. */
size_t check_count_offered(const struct check_result *r);

/* How a caller steers a running check (every field may be 0/NULL). */
enum check_phase { CHECK_PHASE_LIST, CHECK_PHASE_FETCH };

struct check_control {
	const volatile int *cancel;   /* polled during network operations */
	/* Called when a phase starts with the monotonic deadline it may take:
	 * listing tags (limits.timeout), then fetching (limits.fetch_time). */
	void (*on_phase)(void *arg, enum check_phase phase, long long deadline_ms);
	void *arg;
};

/* Checks one target. `installed` may be NULL (no state yet). Never fails as
 * a whole: problems land in out->ok/out->error. */
void check_target(const struct config *cfg, const struct target_cfg *t,
		  const struct target_state *installed, const struct check_control *ctl,
		  struct check_result *out);
/* Records the result in the state database (last check, releases seen
 * with their verdicts) and marks the releases whose tag moved since it was
 * first seen. */
int check_record(struct store *s, struct check_result *r, struct up_error *err);
void check_result_free(struct check_result *r);

#endif
