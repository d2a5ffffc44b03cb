/* intent.h - what a job that changes a target's tree means to do, kept in
 * the state database so that recovery can finish or undo it after a crash.
 *
 * A job that switches trees (install, restore in place) writes its intent
 * once its paths are known, before it touches anything, and moves it to
 * the next phase before each irreversible step; each write is one SQLite
 * transaction with synchronous=FULL, so it is durable before the step
 * starts. The row holds everything recovery needs without the
 * configuration: the path switched, where the new tree is staged (and,
 * after a plain swap, where the old one went), the layout, the versions,
 * the identities (device, inode) of the old and the new tree's roots, so
 * that recovery can see which side of the swap the path is on, and whether
 * the preserved paths were copied. A restore of single paths records, with
 * "swapping", each pair it exchanges and the identities of both sides
 * (recovery swaps exactly those back); a job whose rollback restores data
 * records the snapshot holding the dumps once it is taken (recovery runs
 * the same data restores).
 *
 * Phases, in order (the recovery rule, recover.h, keys on them):
 *   prepared     paths known; nothing touched yet (the snapshot runs)
 *   staging      the new tree is being written at `staging`
 *   hooks        the pre_install hook may have stopped the application
 *   preserving   the preserved paths are being copied into staging
 *   swapping     the swap may have happened (identities recorded)
 *   swapped      the swap happened and is durable
 *   healthy      the new tree passed its health check: commit point
 *   rolling-back the job is swapping back
 *   done         finished; only the job's record is left to close
 */
#ifndef UPKEEP_INTENT_H
#define UPKEEP_INTENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "store.h"

enum intent_phase {
	INTENT_PREPARED,
	INTENT_STAGING,
	INTENT_HOOKS,
	INTENT_PRESERVING,
	INTENT_SWAPPING,
	INTENT_SWAPPED,
	INTENT_HEALTHY,
	INTENT_ROLLING_BACK,
	INTENT_DONE
};
const char *intent_phase_name(enum intent_phase p);

/* What is switched (the same three cases as the swap module). */
enum intent_mode {
	INTENT_PLAIN,     /* path <-> staging directory beside it (RENAME_EXCHANGE) */
	INTENT_RELEASES,  /* path is a symlink: old_link -> new_link */
	INTENT_PATH       /* one entry inside a tree <-> its staged copy */
};
const char *intent_mode_name(enum intent_mode m);

/* A tree's root: the swap moves names, never inodes. */
struct intent_id {
	long long dev, ino;
};

/* INTENT_PATH: one exchanged pair (the roots' identities before the swap;
 * live_id is {0, 0} when the live path did not exist). */
struct intent_pair {
	char *live, *staged;
	bool existed;
	struct intent_id live_id, staged_id;
};

struct intent {
	int64_t job;
	char *kind;            /* "install", "restore" */
	char *target;
	enum intent_mode mode;
	char *path;            /* the path switched */
	char *staging;         /* the new tree before the swap; the old one after (plain, path) */
	char *releases;        /* releases layout: the releases directory */
	char *old_link;        /* releases layout: the previous link target, or NULL */
	char *new_link;        /* releases layout: the new link target */
	bool live_existed;     /* path existed before the job */
	char *from;            /* the version installed before (NULL = unknown/none) */
	char *to, *to_tag, *to_commit;
	bool record_version;   /* success records `to` as the installed version */
	int keep_releases;     /* releases layout: retention applied on success */
	struct intent_id old_id, new_id; /* set at "swapping" */
	enum intent_phase phase;
	bool preserved;        /* the preserved paths were copied into staging */
	long long updated;
	int64_t data_snapshot; /* the snapshot whose dumps a rollback restores (0: none) */
	struct intent_pair *pairs; /* INTENT_PATH, from "swapping" on */
	size_t n_pairs;
};
void intent_clear(struct intent *in);

/* Writes the intent of job in->job (phase in->phase). */
int intent_begin(struct store *s, const struct intent *in, struct up_error *err);
/* Moves the job's intent to phase p. */
int intent_set_phase(struct store *s, int64_t job, enum intent_phase p, struct up_error *err);
/* Phase "swapping" with the identities of both roots. */
int intent_set_swapping(struct store *s, int64_t job, const struct intent_id *old_id,
			const struct intent_id *new_id, struct up_error *err);
/* The same for INTENT_PATH, with the pairs about to be exchanged (one
 * transaction). */
int intent_set_swapping_pairs(struct store *s, int64_t job, const struct intent_pair *pairs,
			      size_t n, struct up_error *err);
/* The snapshot whose data dumps a rollback restores. */
int intent_set_data_snapshot(struct store *s, int64_t job, int64_t snapshot, struct up_error *err);
int intent_set_preserved(struct store *s, int64_t job, struct up_error *err);

/* Reads job's intent: 1 and *out filled, 0 when it has none, -1 on error. */
int intent_get(struct store *s, int64_t job, struct intent *out, struct up_error *err);

/* The identity of path's root (not following a final symlink); a missing
 * path gives {0, 0} and 0. */
int intent_id_of(const char *path, struct intent_id *id, struct up_error *err);
bool intent_id_equal(const struct intent_id *a, const struct intent_id *b);

#endif
