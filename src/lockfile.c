/* lockfile.c - flock with a deadline and a note naming the holder. */
#include "config.h"

#include "lockfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "i18n.h"
#include "util.h"

/* Naps between attempts grow from 1 ms to this. */
#define LOCKFILE_NAP_MAX_MS 10

int lockfile_open(const char *path, struct up_error *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		err_set(err, UP_ERR_IO, _("cannot open lock file %s: %s"), path, strerror(errno));
	return fd;
}

static void nap_ms(long long ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void stamp(int fd, const char *note)
{
	char *text = note && *note ? xasprintf("%ld\n%.*s\n", (long)getpid(),
					       (int)strcspn(note, "\r\n"), note)
				   : xasprintf("%ld\n", (long)getpid());
	size_t len = strlen(text);
	if (ftruncate(fd, 0) != 0 || pwrite(fd, text, len, 0) != (ssize_t)len) {
		/* harmless: a waiter then says "another process" */
	}
	free(text);
}

/* Names the holder from what it wrote into the lock file. */
static int fail_locked(int fd, const char *what, long long waited_ms, struct up_error *err)
{
	char buf[256], note[128] = "";
	long pid = 0;
	int off = 0;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	if (sscanf(buf, "%ld%n", &pid, &off) != 1 || pid <= 0 || buf[off] != '\n')
		return err_set(err, UP_ERR_STATE_LOCKED,
			       _("%s is locked by another process (gave up after %lld ms)"), what,
			       waited_ms);
	/* The note is shown to the user: printable ASCII only. */
	size_t j = 0;
	for (const char *p = buf + off + 1; *p && *p != '\n' && j + 1 < sizeof(note); p++)
		note[j++] = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
	note[j] = '\0';
	return err_set(err, UP_ERR_STATE_LOCKED, _("%s is locked by PID %ld%s%s%s (gave up after %lld ms)"),
		       what, pid, j ? " (" : "", note, j ? ")" : "", waited_ms);
}

/* Waits for the flock op (LOCK_EX or LOCK_SH) until timeout_ms has passed. */
static int wait_flock(int fd, int op, const char *what, long long timeout_ms,
		      struct up_error *err)
{
	long long deadline = util_monotonic_ms() + timeout_ms, nap = 1;
	while (flock(fd, op | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK)
			return err_set(err, UP_ERR_IO, _("cannot lock %s: %s"), what, strerror(errno));
		long long left = deadline - util_monotonic_ms();
		if (left <= 0)
			return fail_locked(fd, what, timeout_ms, err);
		nap_ms(nap < left ? nap : left);
		if (nap < LOCKFILE_NAP_MAX_MS)
			nap *= 2;
	}
	return 0;
}

int lockfile_acquire(int fd, const char *what, long long timeout_ms, const char *note,
		     struct up_error *err)
{
	if (wait_flock(fd, LOCK_EX, what, timeout_ms, err) < 0)
		return -1;
	stamp(fd, note);
	return 0;
}

int lockfile_acquire_shared(int fd, const char *what, long long timeout_ms, struct up_error *err)
{
	return wait_flock(fd, LOCK_SH, what, timeout_ms, err);
}

void lockfile_note(int fd, const char *note)
{
	stamp(fd, note);
}

void lockfile_release(int fd)
{
	if (ftruncate(fd, 0) != 0) {
		/* a stale note is harmless: it is read only while the lock is held */
	}
	flock(fd, LOCK_UN);
}
