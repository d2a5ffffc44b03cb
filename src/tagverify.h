/* tagverify.h - the verdict on a release's tag, and the target's policy.
 *
 * The tag object's raw bytes (from the cache repository's object database)
 * are split by git's rule: the signature starts at the last line that begins
 * "-----BEGIN SSH SIGNATURE-----" or "-----BEGIN PGP SIGNATURE-----"; the
 * payload is everything before it. The object's own `tag` header must name
 * the tag that was asked for (a tag object moved under another name is
 * "wrong tag" whatever its signature).
 *
 * SSH signatures (namespace "git") are checked against the target's
 * allowed_signers: an entry whose key is the signature's key, whose
 * principals match the tagger's e-mail address, whose namespaces (if any)
 * allow "git", and whose valid-after/valid-before include the tagger's time
 * (git's rule, so that a rotated key's old releases stay valid). OpenPGP
 * signatures are checked by gpgv against the target's keyring.
 */
#ifndef UPKEEP_TAGVERIFY_H
#define UPKEEP_TAGVERIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "error.h"

enum tag_verdict {
	VERDICT_NOT_CHECKED,  /* verify.signatures: off */
	VERDICT_SIGNED,
	VERDICT_UNSIGNED,     /* lightweight, or annotated without a signature */
	VERDICT_BAD,          /* the signature does not match, or is malformed */
	VERDICT_UNKNOWN_KEY,  /* no trusted key for it (or not for this signer/namespace) */
	VERDICT_EXPIRED,      /* outside valid-after/valid-before; gpg EXPKEYSIG */
	VERDICT_WRONG_TAG,    /* the tag object names another tag */
	VERDICT_ERROR         /* could not check: signers file unreadable, gpgv missing */
};
#define VERDICT_COUNT (VERDICT_ERROR + 1)

/* "not checked", "signed", "unsigned", "bad signature", "unknown key",
 * "key expired", "wrong tag", "error". */
const char *tagverify_verdict_name(enum tag_verdict v);
/* The same word in the user's language, for people. */
const char *tagverify_verdict_text(enum tag_verdict v);
bool tagverify_verdict_parse(const char *name, enum tag_verdict *out);

struct tag_trust {
	enum tag_verdict verdict;
	char *principal;       /* who signed: the SSH principal, the OpenPGP user id */
	char *fingerprint;     /* SHA256:... (SSH) or the OpenPGP fingerprint */
	char *detail;          /* why it is not "signed", or NULL */
};
void tag_trust_clear(struct tag_trust *t);

/* "signed by PRINCIPAL (FINGERPRINT)", "unsigned", "bad signature: DETAIL"...
 * Untrusted parts are escaped. */
char *tagverify_describe(const struct tag_trust *t);
/* The same in the user's language (the console, the install plan's
 * notes); tagverify_describe() is for logs, JSON and the batch table. */
char *tagverify_describe_text(const struct tag_trust *t);

/* Splits a raw tag object: *payload_len bytes of payload, then the
 * signature (sig_len bytes at raw + *payload_len), 0 if there is none. */
void tagverify_split(const char *raw, size_t len, size_t *payload_len, size_t *sig_len);

/* Reads the `tag` header and the tagger's e-mail address and time from the
 * headers of a raw tag object (NULL / 0 when missing). */
void tagverify_headers(const char *raw, size_t len, char **tag, char **email, long long *when);

struct tagverify;

/* The target's policy with its allowed-signers file loaded (once). A file
 * that cannot be loaded gives VERDICT_ERROR for every signed tag. */
struct tagverify *tagverify_new(const struct target_cfg *t);
void tagverify_free(struct tagverify **v);

/* The verdict for TAG, whose ref points at a tag object of raw bytes (or
 * at a commit: raw NULL). */
void tagverify_object(struct tagverify *v, const char *tag, const char *raw, size_t len,
		      struct tag_trust *out);

/* 0 when the target's verify.signatures lets a release with this verdict
 * be installed; otherwise -1 with err saying why. */
int tagverify_allows(const struct target_cfg *t, const char *version, const struct tag_trust *tr,
		     struct up_error *err);

#endif
