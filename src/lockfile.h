/* lockfile.h - advisory whole-file locks (flock) that say who holds them.
 *
 * The holder writes "PID\n[note\n]" into the lock file while it holds the
 * lock, so a process that gives up waiting can name it. flock dies with its
 * holder: there are no stale locks to break. Used for the state database,
 * the archive index and the per-target install lock. */
#ifndef UPKEEP_LOCKFILE_H
#define UPKEEP_LOCKFILE_H

#include "error.h"

/* Opens (creating, mode 0600, never through a symlink) the lock file.
 * Returns the descriptor, or -1 with err set. */
int lockfile_open(const char *path, struct up_error *err);

/* Takes the exclusive lock on fd, waiting up to timeout_ms (0: try once),
 * then stamps it with this process's PID and the note (may be NULL; one
 * line). On timeout fails with UP_ERR_STATE_LOCKED:
 * "WHAT is locked by PID n (note) (gave up after N ms)". */
int lockfile_acquire(int fd, const char *what, long long timeout_ms, const char *note,
		     struct up_error *err);

/* Takes a shared lock on fd (opened read-only will do), waiting up to
 * timeout_ms, without writing anything: holders of the exclusive lock wait
 * until it is released (by flock(fd, LOCK_UN) or closing fd). */
int lockfile_acquire_shared(int fd, const char *what, long long timeout_ms, struct up_error *err);

/* Rewrites the note of a held lock (what the holder is doing now). */
void lockfile_note(int fd, const char *note);

/* Clears the stamp and releases the lock. */
void lockfile_release(int fd);

#endif
