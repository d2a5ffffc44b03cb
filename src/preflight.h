/* preflight.h - everything an install checks before it touches anything.
 *
 * The release is resolved once, from the remote's tag list, fetched into
 * the target's cache repository, and pinned to its tree id: later steps use
 * that id and never look the tag up again.
 *
 * A release may ship `.upkeep.yaml` at the top of its tree, a YAML mapping:
 *   min_upkeep: "0.2.0"      # lowest upkeep version that may install it
 *   commands: [php, rsync]   # executables that must be in PATH
 *   min_free: 500M           # free space to leave on the target's file
 *                            # system after staging (size as in the config)
 *   irreversible_migration: true  # installed only once the pre-update
 *                            # snapshot has verified (read back and re-hashed)
 * Every key is optional; other keys are ignored (and logged), so a release
 * can describe things a later upkeep acts on. A file that is not valid YAML
 * or has a key of the wrong type refuses the release.
 */
#ifndef UPKEEP_PREFLIGHT_H
#define UPKEEP_PREFLIGHT_H

#include <stdbool.h>

#include "conf.h"
#include "error.h"
#include "store.h"
#include "tagverify.h"
#include "util.h"

struct release_plan {
	char *tag, *version;      /* the release (version canonical) */
	char object[41];          /* what refs/tags/TAG pointed at when verified */
	char *commit, *tree;      /* pinned ids (peeled from object), 40 hex digits */
	struct tag_trust trust;   /* the signature verdict on object */
	bool moved;               /* the tag pointed elsewhere when first seen (install.c) */
	char *first_object;       /* ... at this object */
	char *highest;            /* highest version ever installed, or NULL */
	bool below_highest;       /* lower than highest */
	bool untrusted;           /* refused for its verdict or a moved tag */
	char *cache_dir;          /* the target's cache repository */
	char *asset_trees;        /* a target with an asset: its listings (asset_tree.h) */
	char *from_version;       /* installed, or NULL */
	char *from_tag;
	long long bytes;          /* blob bytes of the release */
	size_t entries;
	bool same;                /* already the installed release */
	bool downgrade;
	long long min_free;       /* from .upkeep.yaml, 0 = none */
	bool irreversible;        /* .upkeep.yaml: irreversible_migration: true */
	/* Set by the caller before preflight_check(): the pre-update
	 * snapshot's expected new bytes and the archive directory that gets
	 * them (NULL: no snapshot). */
	long long snapshot_bytes;
	char *archive_dir;
	struct strvec drift;      /* local changes, as adopt_compare_tree() lists them */
	struct strvec notes;      /* things to journal ("verification: unverified"...) */
};
void release_plan_clear(struct release_plan *p);

/* Resolves VERSION (NULL = the newest the channel offers), fetches it into
 * the cache, reads the object its tag points at once, verifies it, and
 * fills tag, version, object, trust, commit and tree (peeled from that same
 * object), cache_dir, bytes, and the installed and highest versions from ts. */
int preflight_resolve(const struct config *cfg, const struct target_cfg *t,
		      const struct target_state *ts, const char *version, struct release_plan *p,
		      struct up_error *err);

enum preflight_flags {
	PREFLIGHT_ALLOW_DOWNGRADE = 1 << 0,
	PREFLIGHT_FORCE_DRIFT = 1 << 1,
	PREFLIGHT_ALLOW_MOVED = 1 << 2
};

/* The refusals: the verify policy (and a tag object naming another tag), a
 * moved tag (unless PREFLIGHT_ALLOW_MOVED), a downgrade below the installed
 * or the highest version ever installed, the hooks' executables, the
 * release's requirements, free space, then local drift. */
int preflight_check(const struct target_cfg *t, unsigned flags, struct release_plan *p,
		    struct up_error *err);

struct release_reqs {
	long long min_free;
	bool irreversible;
};

/* Parses a release's .upkeep.yaml (buf, len) and checks it against this
 * upkeep and this system. Fills *req. Messages go to notes. */
int preflight_requirements(const char *buf, size_t len, struct release_reqs *req,
			   struct strvec *notes, struct up_error *err);

/* Fails when the file system of dir has less than need bytes free for an
 * unprivileged user; what names the use ("staging", "the snapshot"). */
int preflight_need_space(const char *name, const char *dir, long long need, const char *what,
			 struct up_error *err);

/* Fails when the file system of dir has fewer than files inodes free for an
 * unprivileged user (statvfs f_favail), naming where it is mounted; a file
 * system without an inode count passes. */
int preflight_need_inodes(const char *name, const char *dir, long long files, const char *what,
			  struct up_error *err);

/* -1, 0, 1 as version a is lower, equal, higher than b under the
 * target's scheme; 2 when either does not parse. */
int preflight_compare_versions(const struct target_cfg *t, const char *a, const char *b);

/* Free bytes for an unprivileged user on the file system of path. */
int preflight_free_space(const char *path, long long *bytes, struct up_error *err);

#endif
