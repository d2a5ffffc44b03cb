/* gpgverify.h - OpenPGP signatures checked by gpgv, as apt does.
 *
 * gpgv runs without a shell (posix_spawn), with a clean environment, its
 * home in a private temporary directory, and the payload and signature in
 * files of that directory; its machine-readable status lines (--status-fd)
 * decide, never its exit code or messages alone. The keyring is a file of
 * binary OpenPGP keys (`gpg --export KEYID > FILE`), a keybox, or armored
 * keys (`gpg --export --armor`), decoded into that directory first.
 */
#ifndef UPKEEP_GPGVERIFY_H
#define UPKEEP_GPGVERIFY_H

#include <stddef.h>

#include "error.h"

/* A keyring file larger than this is refused. */
#define GPGVERIFY_KEYRING_MAX (8 * 1024 * 1024)

/* gpgv is stopped after this long. */
#define GPGVERIFY_TIMEOUT_MS 30000

enum gpg_outcome {
	GPG_GOOD,          /* GOODSIG and VALIDSIG, nothing else */
	GPG_BAD,           /* BADSIG, or a signature that did not verify */
	GPG_NO_PUBKEY,     /* the key is not in the keyring */
	GPG_EXPIRED        /* EXPKEYSIG, EXPSIG or REVKEYSIG */
};

struct gpg_result {
	enum gpg_outcome outcome;
	char *fingerprint;   /* VALIDSIG's primary key fingerprint, or the key id */
	char *uid;           /* the user id GOODSIG/BADSIG/EXPKEYSIG named, or NULL */
	char *detail;        /* why it is not good, or NULL */
};
void gpg_result_clear(struct gpg_result *r);

/* Verifies signature (armored) over payload with the keys of keyring.
 * Returns 0 with *out filled when gpgv ran and gave a verdict; -1 when it
 * could not run (not installed, timeout, temp files). */
int gpgverify_run(const char *keyring, const void *payload, size_t payload_len,
		  const char *signature, size_t sig_len, struct gpg_result *out,
		  struct up_error *err);

/* Parses gpgv's status lines (exposed for tests). exit_status is gpgv's. */
void gpgverify_parse_status(const char *status, int exit_status, struct gpg_result *out);

#endif
