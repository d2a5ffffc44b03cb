/* switchover.h - the guarded switch shared by install and restore.
 *
 * Once a new tree is staged beside the live one, install and restore do
 * the same thing: pre_install hook → preserve → swap → post_install hook →
 * health; a failure from the pre_install hook on swaps back, runs the hooks
 * again and checks the old tree's health ("rolled back"). When the old tree
 * is unhealthy too, both trees are kept and the result says what to do.
 * Every step is recorded in the job's journal before it runs.
 *
 * The caller owns the job (lock, state database, job row) and fills the
 * first block of struct switchover; the steps before the switch (snapshot,
 * stage) and after it (finish) are the caller's, run through
 * switchover_step() so that they are journaled the same way.
 */
#ifndef UPKEEP_SWITCHOVER_H
#define UPKEEP_SWITCHOVER_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "error.h"
#include "install.h"
#include "store.h"

/* What the swap exchanges. */
enum switchover_mode {
	SWITCH_PLAIN,     /* live directory ↔ staging directory beside it */
	SWITCH_RELEASES,  /* the `path` symlink: releases/OLD → releases/NEW */
	SWITCH_PATH       /* one file or directory inside the tree ↔ its staged copy */
};

struct switchover;

/* The data step: back is false forward, true in a rollback. */
typedef int (*switchover_data_fn)(struct switchover *sw, void *ctx, bool back);

struct switchover_path {
	char *live, *staged;      /* owned */
	bool existed;             /* live existed: exchanged, not renamed into place */
	bool swapped;
};

struct switchover {
	/* Set by the caller. */
	const struct target_cfg *t;
	struct store *s;
	int64_t job;
	int lock_fd;
	const char *kind;         /* "install", "restore": the lock note's job kind */
	const char *action;       /* "installing 2.0.0": messages say "T: ACTION failed at..." */
	const char *from, *to;    /* versions for the hooks (NULL = unknown) */
	const char *snapshot_reason; /* "pre-update": named in the advice when broken */
	/* The hooks: NULL names take those of `kind` (an install's; a
	 * restore's pre_restore and post_restore, else an install's). */
	const char *pre_hook, *post_hook;   /* commands, or NULL */
	const char *pre_name, *post_name;   /* their steps: "pre_install", "post_install" */
	long long hook_timeout_ms;          /* 0 = the target's hooks.timeout */
	/* The data step, between the swap and the post hook (NULL: none), and
	 * its undoing in a rollback, after swapping back (NULL: none). */
	switchover_data_fn data_forward, data_back;
	void *data_ctx;
	enum switchover_mode mode;
	char *live;               /* the path swapped (t->path); owned */
	char *staging;            /* plain: beside live; releases: releases/NAME; owned */
	/* SWITCH_PATH: the pairs exchanged, in order (live inside the tree,
	 * staged in a staging directory on the same file system). */
	struct switchover_path *paths;
	size_t n_paths;
	char *releases;           /* releases layout: the releases directory; owned */
	char *old_link;           /* releases layout: the previous link target, or NULL; owned */
	char *new_link;           /* releases layout: the new link target ("releases/NAME"); owned */
	bool live_existed;        /* live existed before the switch */
	bool carry_preserved;     /* copy the preserve: paths from live into staging */
	/* The job's cancel flag (cancel.h), or NULL. Polled before each step
	 * and inside the long ones until the health check has passed: a cancel
	 * before the pre hook removes the staged tree (INSTALL_CANCELLED), one
	 * from the pre hook on rolls back (INSTALL_CANCELLED_BACK); after the
	 * health check it is too late and the job finishes. A rollback is never
	 * cancelled. */
	const volatile int *cancel;
	struct install_result *r;
	/* Kept by the module. */
	bool intent;              /* an intent is recorded: steps move its phase */
	bool swapped;
	bool healthy;             /* the health check passed: no more cancelling */
	bool late_noted;          /* a cancel after that was journaled */
	struct up_error err;
	struct strbuf timing;     /* "name 12.3 ms, ..." of the steps run */
	long long pre_end_us;     /* monotonic: the pre hook returned (0: not yet) */
	bool batching;            /* from the pre hook's end to the post hook's start,
				   * each step's records commit in one transaction,
				   * just before the step runs (store_group_begin) */
};

/* Adds a SWITCH_PATH pair (copies the strings). */
void switchover_add_path(struct switchover *sw, const char *live, const char *staged, bool existed);

/* Frees the owned strings (not r, not the store). */
void switchover_clear(struct switchover *sw);

/* Appends a line to the job's journal and to r->log. */
void switchover_journal(struct switchover *sw, const char *level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

typedef int (*switchover_step_fn)(struct switchover *sw, void *ctx);

/* Records step NAME in the journal (and the lock's note), runs fn, records
 * its end. A journal that cannot be written stops the job before fn runs.
 * A job cancelled before the step (and before its health check passed)
 * does not run it: -2 with sw->err UP_ERR_CANCELLED. */
int switchover_step(struct switchover *sw, const char *name, switchover_step_fn fn, void *ctx);

/* pre hook → preserve → swap → data → post hook → health, each a journaled
 * step (data only with data_forward); on a failure rolls back and sets
 * r->outcome (INSTALL_ROLLED_BACK, INSTALL_CANCELLED_BACK or
 * INSTALL_BROKEN), r->failed_step, r->evidence and sw->err. Cancelled
 * before the pre hook ran: the staged tree is removed, INSTALL_CANCELLED. */
int switchover_run(struct switchover *sw);

/* Records the job's intent (intent.h, phase "prepared") from the fields
 * above, before anything is touched; from then on switchover_step() moves
 * its phase before and after the steps that change the target (stage,
 * the pre hook, preserve, swap, health, finish) and the rollback marks it
 * "rolling-back". to_tag and to_commit are recorded with `to` when
 * record_version is set. A write that fails stops the job. */
int switchover_intent_begin(struct switchover *sw, const char *to_tag, const char *to_commit,
			    bool record_version, int keep_releases);

/* The cancel flag while the job may still be cancelled (NULL once the
 * health check passed), for the steps' long operations. */
const volatile int *switchover_cancel(const struct switchover *sw);

/* Whether the job stopped because it was cancelled: sets r->outcome
 * (INSTALL_CANCELLED before the switch) and r->failed_step; false for
 * other failures. For the caller's steps before the switch. */
bool switchover_cancelled(struct switchover *sw, const char *step);

/* The rollback of switchover_run(), for recovery: sw->swapped says whether
 * the new tree is in place. Sets r and sw->err as a failed step would. */
void switchover_rollback(struct switchover *sw, const char *failed);

/* Journals "timing: STEP N ms, ..." for the steps run so far (for the
 * admin and the benchmarks; the downtime lines are journaled as they
 * happen). */
void switchover_journal_timing(struct switchover *sw);

/* Removes a tree and makes the removal durable, journaling a failure as a
 * warning. */
void switchover_remove_quietly(struct switchover *sw, const char *dir, const char *what);

/* The last component of a path (NULL for NULL). */
const char *switchover_base_name(const char *p);

#endif
