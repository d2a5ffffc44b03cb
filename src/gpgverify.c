/* gpgverify.c - OpenPGP signatures checked by running gpgv. */
#include "config.h"

#include "gpgverify.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "escape.h"
#include "i18n.h"
#include "pgparmor.h"
#include "util.h"

/* Status output beyond this is not read (a keyring with one signature
 * gives a few hundred bytes). */
#define STATUS_CAP (64 * 1024)

void gpg_result_clear(struct gpg_result *r)
{
	free(r->fingerprint);
	free(r->uid);
	free(r->detail);
	memset(r, 0, sizeof(*r));
}

/* The rest of a status line after its keyword, split at the first space:
 * "KEYID USER ID" -> key "KEYID", rest "USER ID". */
static void key_and_rest(const char *args, size_t len, char **key, char **rest)
{
	const char *sp = memchr(args, ' ', len);
	size_t klen = sp ? (size_t)(sp - args) : len;
	free(*key);
	*key = xstrndup(args, klen);
	if (rest) {
		free(*rest);
		*rest = sp ? escape_text(sp + 1, len - klen - 1, 200, 0) : NULL;
	}
}

void gpgverify_parse_status(const char *status, int exit_status, struct gpg_result *out)
{
	memset(out, 0, sizeof(*out));
	bool good = false, valid = false, bad = false, nokey = false, expired = false, errsig = false;
	size_t sigs = 0;
	char *keyid = NULL;
	for (const char *p = status; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		const char *line = p;
		p = nl ? nl + 1 : NULL;
		if (len < 9 || strncmp(line, "[GNUPG:] ", 9) != 0)
			continue;
		line += 9;
		len -= 9;
		const char *sp = memchr(line, ' ', len);
		size_t wlen = sp ? (size_t)(sp - line) : len;
		const char *args = sp ? sp + 1 : line + len;
		size_t alen = sp ? len - wlen - 1 : 0;
#define IS(w) (wlen == strlen(w) && strncmp(line, w, wlen) == 0)
		if (IS("NEWSIG"))
			sigs++;
		else if (IS("GOODSIG"))
			good = true, key_and_rest(args, alen, &keyid, &out->uid);
		else if (IS("VALIDSIG"))
			valid = true, key_and_rest(args, alen, &out->fingerprint, NULL);
		else if (IS("BADSIG"))
			bad = true, key_and_rest(args, alen, &keyid, &out->uid);
		else if (IS("EXPKEYSIG") || IS("REVKEYSIG"))
			expired = true, key_and_rest(args, alen, &keyid, &out->uid);
		else if (IS("EXPSIG"))
			expired = true, key_and_rest(args, alen, &keyid, &out->uid);
		else if (IS("NO_PUBKEY"))
			nokey = true, key_and_rest(args, alen, &keyid, NULL);
		else if (IS("ERRSIG"))
			errsig = true, key_and_rest(args, alen, &keyid, NULL);
#undef IS
	}
	if (!out->fingerprint && keyid)
		out->fingerprint = escape_text(keyid, (size_t)-1, 64, 0);
	free(keyid);
	/* ERRSIG comes with NO_PUBKEY when only the key is missing */
	bad |= errsig && !nokey;
	if (sigs > 1) {
		out->outcome = GPG_BAD;
		out->detail = xstrdup("more than one OpenPGP signature");
	} else if (bad) {
		out->outcome = GPG_BAD;
		out->detail = xstrdup("gpgv: BADSIG");
	} else if (expired) {
		out->outcome = GPG_EXPIRED;
		out->detail = xstrdup("gpgv: the key or signature has expired or the key is revoked");
	} else if (nokey) {
		out->outcome = GPG_NO_PUBKEY;
		out->detail = xstrdup("gpgv: NO_PUBKEY (the key is not in the keyring)");
	} else if (good && valid && exit_status == 0) {
		out->outcome = GPG_GOOD;
	} else {
		out->outcome = GPG_BAD;
		out->detail = xasprintf("gpgv exited with status %d without a valid signature",
					exit_status);
	}
}

static int write_file(const char *path, const void *data, size_t len, struct up_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return err_set(err, UP_ERR_IO, "%s: %s", path, strerror(errno));
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = errno;
			close(fd);
			return err_set(err, UP_ERR_IO, "%s: %s", path, strerror(e));
		}
		p += n;
		len -= (size_t)n;
	}
	close(fd);
	return 0;
}

/* Reads the status pipe until EOF or the deadline; false on timeout. */
static bool read_status(int fd, long long deadline, struct strbuf *sb)
{
	char buf[4096];
	for (;;) {
		long long left = deadline - util_monotonic_ms();
		if (left <= 0)
			return false;
		struct pollfd pfd = { fd, POLLIN, 0 };
		int r = poll(&pfd, 1, (int)(left > 1000 ? 1000 : left));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return true;
		if (sb->len < STATUS_CAP)
			strbuf_add(sb, buf, (size_t)n);
	}
}

static int spawn_gpgv(char *const argv[], int *out_fd, pid_t *pid, struct up_error *err)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return err_set(err, UP_ERR_IO, "pipe: %s", strerror(errno));
	const char *path = getenv("PATH");
	char *env_path = xasprintf("PATH=%s", path && *path ? path : "/usr/bin:/bin");
	char *envv[] = { env_path, (char *)"LC_ALL=C", NULL };
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawnattr_t at;
	posix_spawnattr_init(&at);
	sigset_t none, dfl;
	sigemptyset(&none);
	sigfillset(&dfl);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	/* the PATH lookup is the caller's (upkeep's own) PATH */
	int rc = posix_spawnp(pid, "gpgv", &fa, &at, argv, envv);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	free(env_path);
	close(pfd[1]);
	if (rc != 0) {
		close(pfd[0]);
		return err_set(err, UP_ERR_USAGE,
			       _("cannot run gpgv to check an OpenPGP signature: %s (install gpgv)"),
			       strerror(rc));
	}
	*out_fd = pfd[0];
	return 0;
}

/* Empties and removes the private directory (gpgv may leave files of its
 * own there: a trust database, lock files). */
static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			unlinkat(dirfd(d), de->d_name, 0);
	if (d)
		closedir(d);
	rmdir(dir);
}

/* The keyring gpgv is given: the file itself, or, when it is armored, its
 * keys decoded into the private directory. */
static int keyring_path(const char *keyring, const char *dir, char **out, struct up_error *err)
{
	struct strbuf sb = STRBUF_INIT;
	*out = NULL;
	if (util_read_capped(keyring, GPGVERIFY_KEYRING_MAX, &sb) < 0) {
		int e = errno;
		strbuf_release(&sb);
		return e == EFBIG ? err_set(err, UP_ERR_CONFIG, _("%s: larger than %d bytes"), keyring,
					    GPGVERIFY_KEYRING_MAX)
				  : err_set(err, UP_ERR_CONFIG, _("%s: cannot read the keyring: %s"),
					    keyring, strerror(e));
	}
	int rc = 0;
	if (!pgparmor_is_armored(sb.buf ? sb.buf : "", sb.len)) {
		*out = xstrdup(keyring);
	} else {
		struct strbuf bin = STRBUF_INIT;
		char *path = xasprintf("%s/keyring.gpg", dir);
		rc = pgparmor_decode(sb.buf, sb.len, keyring, &bin, err);
		if (rc == 0)
			rc = write_file(path, bin.buf, bin.len, err);
		if (rc == 0)
			*out = path;
		else
			free(path);
		strbuf_release(&bin);
	}
	strbuf_release(&sb);
	return rc;
}

int gpgverify_run(const char *keyring, const void *payload, size_t payload_len,
		  const char *signature, size_t sig_len, struct gpg_result *out,
		  struct up_error *err)
{
	memset(out, 0, sizeof(*out));
	const char *tmp = getenv("TMPDIR");
	char *dir = xasprintf("%s/upkeep-gpgv-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		int rc = err_set(err, UP_ERR_IO, "%s: %s", dir, strerror(errno));
		free(dir);
		return rc;
	}
	char *data_path = xasprintf("%s/payload", dir), *sig_path = xasprintf("%s/payload.sig", dir);
	char *keys = NULL;
	int rc = keyring_path(keyring, dir, &keys, err);
	if (rc == 0)
		rc = write_file(data_path, payload, payload_len, err);
	if (rc == 0)
		rc = write_file(sig_path, signature, sig_len, err);
	char *argv[] = { (char *)"gpgv", (char *)"--homedir", dir, (char *)"--keyring",
			 keys, (char *)"--status-fd", (char *)"1", sig_path, data_path, NULL };
	int fd = -1, status = 0;
	pid_t pid = 0;
	if (rc == 0)
		rc = spawn_gpgv(argv, &fd, &pid, err);
	if (rc == 0) {
		struct strbuf sb = STRBUF_INIT;
		bool in_time = read_status(fd, util_monotonic_ms() + GPGVERIFY_TIMEOUT_MS, &sb);
		close(fd);
		if (!in_time)
			kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (!in_time)
			rc = err_set(err, UP_ERR_TIMEOUT, _("gpgv did not finish within %d s"),
				     GPGVERIFY_TIMEOUT_MS / 1000);
		else
			gpgverify_parse_status(sb.buf ? sb.buf : "",
					       WIFEXITED(status) ? WEXITSTATUS(status) : -1, out);
		strbuf_release(&sb);
	}
	remove_dir(dir);
	free(keys);
	free(data_path);
	free(sig_path);
	free(dir);
	return rc;
}
