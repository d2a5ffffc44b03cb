/* store.h - the state database (SQLite): targets' state, releases seen, jobs.
 *
 * WAL with synchronous=FULL, foreign keys on, a busy timeout. Because SQLite
 * 3.40.1 predates the WAL-reset fix, every write transaction and every
 * checkpoint is serialised across processes by one flock on STATE_DIR/state.lock,
 * and wal_autocheckpoint is off (the store checkpoints itself after commits,
 * under the lock). The schema version lives in PRAGMA user_version and is
 * migrated step by step; a database newer than this binary is refused.
 * A store handle is used by one thread at a time.
 */
#ifndef UPKEEP_STORE_H
#define UPKEEP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Version 1: targets, releases. Version 2: jobs, job_steps, job_events.
 * Version 3: intents. Version 4: drills (drill.c), notices (notify.c).
 * Version 5: releases' signature verdicts. */
#define STORE_SCHEMA_VERSION 6

struct store;

/* Opens (creating the directory and database if needed) STATE_DIR/state.db.
 * lock_timeout_ms: how long to wait for another process's write lock before
 * failing with UP_ERR_STATE_LOCKED ("... locked by PID n"). A damaged file
 * gives UP_ERR_STATE_CORRUPT with how to recover; it is never overwritten. */
int store_open(const char *state_dir, long long lock_timeout_ms, struct store **out,
	       struct up_error *err);
/* For a dry run: a private in-memory copy of STATE_DIR/state.db (an empty
 * database when there is none), an older schema migrated in the copy only.
 * Nothing on disk is created or changed (no directory, lock file, -wal or
 * -shm file; only a database that another process has open, whose WAL is
 * read too, may get a -shm file). Writes go to the copy and end with it. */
int store_open_copy(const char *state_dir, long long lock_timeout_ms, struct store **out,
		    struct up_error *err);
void store_close(struct store **s);
/* The raw handle, for tests. */
struct sqlite3 *store_db(struct store *s);

/* What this process is doing ("install wiki"), written after the PID into
 * the lock file while it holds the lock, so that a process that gives up
 * waiting can say who holds it. NULL clears it. */
void store_set_lock_note(struct store *s, const char *note);

/* A write transaction of its own (for modules that add tables): takes the
 * inter-process lock (waiting up to the open's lock_timeout_ms), then BEGIN
 * IMMEDIATE. Commit checkpoints and releases the lock; rollback releases it.
 * Writes through store_db() outside such a transaction are not allowed. */
int store_write_begin(struct store *s, struct up_error *err);
int store_write_commit(struct store *s, struct up_error *err);
void store_write_rollback(struct store *s);
/* One write statement in its own such transaction, with arguments bound by
 * types: 's' const char * (NULL binds NULL), 'I' long long. Returns the
 * rows changed or -1. */
int store_exec(struct store *s, struct up_error *err, const char *sql, const char *types, ...);

/* A group of writes: until store_group_end(), every write of this handle
 * (job steps, events, intents...) joins one transaction instead of
 * committing on its own, so a burst of them costs one commit (one fsync);
 * nothing of it is durable before the end. The inter-process lock is held
 * meanwhile: keep groups short. store_write_begin() inside one fails. */
int store_group_begin(struct store *s, struct up_error *err);
int store_group_end(struct store *s, struct up_error *err);
bool store_in_group(const struct store *s);

struct target_state {
	char *name;
	char *installed_version;  /* NULL = unknown */
	char *installed_tag;
	char *installed_commit;   /* commit id of the installed release */
	char *highest_version;    /* highest ever installed (rollback defence) */
	long long installed_at;   /* unix seconds, 0 = never */
	long long last_check;     /* unix seconds, 0 = never */
	bool last_check_ok;
	char *last_check_error;   /* NULL when ok */
	char *last_outcome;       /* outcome of the last job: "ok", "failed", "rolled back"... */
	long long last_outcome_at;
};
void store_target_state_free(struct target_state *ts);

/* Returns 1 and fills *out when the target has state, 0 when it has none
 * (out zeroed with name set), -1 on error. */
int store_target_get(struct store *s, const char *name, struct target_state *out,
		     struct up_error *err);
/* Sets the installed version (now); highest_version is set too when it had
 * none. The store cannot order versions: callers that know the scheme raise
 * highest_version with store_target_set_highest(). */
int store_target_set_installed(struct store *s, const char *name, const char *version,
			       const char *tag, const char *commit, struct up_error *err);
int store_target_set_highest(struct store *s, const char *name, const char *version,
			     struct up_error *err);
/* error is stored only when !ok. */
int store_target_record_check(struct store *s, const char *name, long long when, bool ok,
			      const char *error, struct up_error *err);
int store_target_record_outcome(struct store *s, const char *name, const char *outcome,
				struct up_error *err);

/* A release as seen by a check. The first object id a tag was seen with is
 * kept: a later different one sets `moved`. */
struct release_seen {
	char *tag;
	char *version;
	char *object;        /* the tag ref's object id (tag object or commit) */
	char *kind;          /* "major", ... relative to installed at the time */
	unsigned flags;
	long long tag_time;  /* tagger or commit time, 0 = unknown */
	long long first_seen; /* recording: 0 = now */
	bool moved;
	char *verdict;       /* "signed", "unsigned"... NULL = not verified (kept) */
	char *trust;         /* "signed by PRINCIPAL (FINGERPRINT)"..., NULL = kept */
	/* Filled by store_releases_list(); ignored by store_releases_record(). */
	char *first_object;  /* the object id the tag had when first seen */
	long long last_seen;
};
void store_release_seen_free(struct release_seen *r);

/* Records the releases of one check in one transaction (upsert by tag). */
int store_releases_record(struct store *s, const char *target, const struct release_seen *rel,
			  size_t n, struct up_error *err);
/* Releases of a target, newest first_seen first. *out is an array of *n. */
int store_releases_list(struct store *s, const char *target, struct release_seen **out,
			size_t *n, struct up_error *err);

/* Jobs and their journal. */
/* JOB_RECOVERED: the job's process died and recovery finished or undid
 * the job (its events say which). */
enum job_state { JOB_QUEUED, JOB_RUNNING, JOB_OK, JOB_FAILED, JOB_CANCELLED, JOB_ROLLED_BACK,
		 JOB_RECOVERED };
const char *store_job_state_name(enum job_state st);
/* The inverse of store_job_state_name(); false for an unknown name. */
bool store_job_state_parse(const char *name, enum job_state *out);

/* Job rows carry the pid of the process that runs them. A job left
 * "running" by a process that no longer exists is left as it is by the
 * store: recovery (from the job's steps) decides what happened. */

int store_job_create(struct store *s, const char *kind, const char *target, int64_t *id,
		     struct up_error *err);
/* Moving to JOB_RUNNING sets `started` (once) and the pid; an end state
 * (ok, failed, cancelled, rolled back) sets `finished`. */
int store_job_set_state(struct store *s, int64_t id, enum job_state st, const char *error,
			struct up_error *err);
/* Appends a step ("fetch", "snapshot"...), returning its id; steps are
 * recorded before they run. */
int store_job_step_begin(struct store *s, int64_t job, const char *name, int64_t *step,
			 struct up_error *err);
int store_job_step_end(struct store *s, int64_t step, bool ok, const char *error,
		       struct up_error *err);
int store_job_event(struct store *s, int64_t job, const char *level, const char *text,
		    struct up_error *err);

struct job_row {
	int64_t id;
	char *kind;
	char *target;        /* NULL for jobs over all targets */
	enum job_state state;
	int pid;
	long long created, started, finished;
	char *error;
};
void store_job_row_free(struct job_row *j);
/* Newest first, at most limit rows (0 = all). */
int store_jobs_list(struct store *s, size_t limit, struct job_row **out, size_t *n,
		    struct up_error *err);

#endif
