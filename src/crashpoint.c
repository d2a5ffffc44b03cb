/* crashpoint.c - named points where a test makes upkeep die or wait. */
#include "config.h"

#include "crashpoint.h"

#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static const struct {
	const char *name;
	const char *what;
} points[] = {
	{ "backup.after-file", "a snapshot: after each file read (use :NTH for a later one)" },
	{ "backup.before-fsync", "a snapshot: its pack written, not yet fsynced" },
	{ "backup.before-commit", "a snapshot: its pack durable, its index rows not committed" },
	{ "prune.before-commit", "prune: snapshots deleted in the transaction, not committed" },
	{ "prune.before-unlink", "prune: the deletion committed, unused packs not yet unlinked" },
	{ "repack.before-commit", "repack: the new pack durable, the moved rows not committed" },
	{ "repack.before-unlink", "repack: the rows committed, the old pack not yet unlinked" },
	{ "stage.after-file", "staging a release: after each file written (use :NTH)" },
	{ "install.before-preflight", "install: the job is recorded, nothing checked yet" },
	{ "install.after-preflight", "install: checked; its intent not yet recorded" },
	{ "install.before-download", "install (asset targets): the intent recorded, the download next" },
	{ "install.after-download", "install (asset targets): the release's asset downloaded" },
	{ "install.before-snapshot", "install: the intent recorded, the snapshot not begun" },
	{ "install.after-snapshot", "install: the pre-update snapshot taken" },
	{ "install.before-stage", "install: about to write the staging tree" },
	{ "install.after-stage", "install: the new tree staged and durable" },
	{ "install.before-pre_install", "install: about to run the pre_install hook" },
	{ "install.after-pre_install", "install: the pre_install hook ran" },
	{ "install.before-preserve", "install: about to copy the preserved paths" },
	{ "install.after-preserve", "install: the preserved paths copied into staging" },
	{ "install.before-swap", "install: the swap is next (both roots recorded)" },
	{ "install.after-swap", "install: the new tree is in place, the swap durable" },
	{ "install.before-post_install", "install: switched, the post_install hook is next" },
	{ "install.after-post_install", "install: the post_install hook ran" },
	{ "install.before-health", "install: about to check the new release's health" },
	{ "install.after-health", "install: healthy and recorded so (the commit point)" },
	{ "install.before-finish", "install: about to record the version, remove the old tree" },
	{ "install.after-finish", "install: finished and recorded as done" },
	{ "install.rollback-begin", "install: a step failed; rolling back is recorded" },
	{ "install.rollback-swapped-back", "install: rolling back: the old tree is back in place" },
	{ "install.rollback-end", "install: rolled back, the new tree removed" },
	{ "install.before-close", "install: the outcome known, the job not yet closed" },
	{ "install.after-close", "install: the job closed and the lock released" },
	{ "restore.before-preflight", "restore: the job is recorded, nothing checked yet" },
	{ "restore.after-preflight", "restore: the snapshot and the paths checked; the intent not yet recorded" },
	{ "restore.before-verify", "restore: the intent recorded, the snapshot's data about to be verified" },
	{ "restore.after-verify", "restore: the snapshot's data verified" },
	{ "restore.before-diff", "restore: about to list what the restore will change" },
	{ "restore.after-diff", "restore: the changes listed" },
	{ "restore.before-snapshot", "restore: about to take the pre-restore snapshot" },
	{ "restore.after-snapshot", "restore: the pre-restore snapshot taken" },
	{ "restore.before-stage", "restore: about to extract the snapshot into staging" },
	{ "restore.after-stage", "restore: the snapshot staged and durable" },
	{ "restore.before-pre_restore", "restore: about to run the pre_restore (or pre_install) hook" },
	{ "restore.after-pre_restore", "restore: the pre_restore hook ran" },
	{ "restore.before-preserve", "restore: about to copy the preserved paths (--keep-preserved)" },
	{ "restore.after-preserve", "restore: the preserved paths copied" },
	{ "restore.before-swap", "restore: the swap is next (both roots recorded)" },
	{ "restore.after-path", "restore (--path): one path exchanged, the next not yet" },
	{ "restore.after-swap", "restore: the snapshot's tree is in place, the swap durable" },
	{ "restore.before-data", "restore: (targets with data dumps) the data restore is next" },
	{ "restore.after-data", "restore: (targets with data dumps) the data restored" },
	{ "restore.before-post_restore", "restore: switched, the post_restore hook is next" },
	{ "restore.after-post_restore", "restore: the post_restore hook ran" },
	{ "restore.before-health", "restore: about to check the restored tree's health" },
	{ "restore.after-health", "restore: healthy and recorded so (the commit point)" },
	{ "restore.before-finish", "restore: about to record the version, remove the old tree" },
	{ "restore.after-finish", "restore: finished and recorded as done" },
	{ "restore.rollback-begin", "restore: a step failed; rolling back is recorded" },
	{ "restore.rollback-swapped-back", "restore: rolling back: the old tree is back in place" },
	{ "restore.rollback-end", "restore: rolled back, the restored tree removed" },
	{ "restore.before-close", "restore: the outcome known, the job not yet closed" },
	{ "restore.after-close", "restore: the job closed and the lock released" },
	{ "recover.before-undo", "recovery: the interrupted job found and locked, nothing done" },
	{ "recover.after-undo", "recovery: the tree finished or undone, the jobs not yet marked" },
	{ "recover.after-record", "recovery: the jobs marked, the target's lock still held" },
};

#define N_POINTS (sizeof(points) / sizeof(points[0]))

struct trigger {
	char *name;
	long nth;
};

static struct {
	bool loaded;
	struct trigger crash, pause;
	const char *pause_file;
	atomic_long hits[N_POINTS];
} cp;

size_t crashpoint_count(void)
{
	return N_POINTS;
}

const char *crashpoint_name(size_t i)
{
	return i < N_POINTS ? points[i].name : NULL;
}

const char *crashpoint_what(size_t i)
{
	return i < N_POINTS ? points[i].what : NULL;
}

/* NAME or NAME:NTH (NTH >= 1). */
static void parse(const char *env, struct trigger *t)
{
	const char *v = getenv(env);
	if (!v || !*v)
		return;
	const char *colon = strrchr(v, ':');
	char *end = NULL;
	long nth = colon ? strtol(colon + 1, &end, 10) : 1;
	if (colon && (end == colon + 1 || *end || nth < 1)) {
		fprintf(stderr, "upkeep: %s=%s: NTH must be a number from 1\n", env, v);
		abort();
	}
	t->name = colon ? xstrndup(v, (size_t)(colon - v)) : xstrdup(v);
	t->nth = nth;
}

static void load(void)
{
	cp.loaded = true;
	parse("UPKEEP_CRASH_AT", &cp.crash);
	parse("UPKEEP_PAUSE_AT", &cp.pause);
	cp.pause_file = getenv("UPKEEP_PAUSE_FILE");
}

static size_t lookup(const char *name)
{
	for (size_t i = 0; i < N_POINTS; i++)
		if (strcmp(points[i].name, name) == 0)
			return i;
	fprintf(stderr, "upkeep: crash point %s is not in the table (crashpoint.c)\n", name);
	abort();
}

/* Writes our PID into the marker file, then waits while it exists. */
static void pause_here(const char *name)
{
	if (!cp.pause_file) {
		fprintf(stderr, "upkeep: paused at %s (pid %ld)\n", name, (long)getpid());
		for (;;)
			pause();
	}
	char *tmp = xasprintf("%s.tmp", cp.pause_file);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		dprintf(fd, "%ld %s\n", (long)getpid(), name);
		close(fd);
		rename(tmp, cp.pause_file); /* the harness never sees it half written */
	}
	free(tmp);
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	while (access(cp.pause_file, F_OK) == 0)
		nanosleep(&ts, NULL);
}

static bool fires(const struct trigger *t, const char *name, long hit)
{
	return t->name && strcmp(t->name, name) == 0 && hit == t->nth;
}

void crashpoint(const char *name)
{
	if (!cp.loaded)
		load();
	if (!cp.crash.name && !cp.pause.name)
		return;
	long hit = atomic_fetch_add(&cp.hits[lookup(name)], 1) + 1;
	if (fires(&cp.pause, name, hit))
		pause_here(name);
	if (fires(&cp.crash, name, hit)) {
		kill(getpid(), SIGKILL);
		_exit(137); /* not reached */
	}
}

void crashpoint_at(const char *kind, const char *point)
{
	if (!cp.loaded)
		load();
	if (!cp.crash.name && !cp.pause.name)
		return;
	char *name = xasprintf("%s.%s", kind, point);
	crashpoint(name);
	free(name);
}
