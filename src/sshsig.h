/* sshsig.h - OpenSSH signatures (the SSHSIG format of `ssh-keygen -Y sign`,
 * which git writes for `gpg.format=ssh`) and OpenSSH public keys, verified
 * with GnuTLS alone: Ed25519, ECDSA P-256/P-384, RSA (rsa-sha2-256/512).
 *
 * Parsing never trusts a length: every field is read through a bounds-
 * checked reader, and trailing bytes are refused. Policy (namespace, which
 * key) is the caller's job and comes before the crypto: sshsig_verify()
 * checks only that the signature's own key signed the message under the
 * namespace it names and that the namespace is the expected one.
 */
#ifndef UPKEEP_SSHSIG_H
#define UPKEEP_SSHSIG_H

#include <stddef.h>

#include "error.h"

/* Longest armored signature or key blob upkeep reads (an RSA-16384 key and
 * its signature fit with room to spare). */
#define SSHSIG_MAX_ARMOR (64 * 1024)

struct sshsig {
	unsigned char *pubkey;   /* the signer's public key blob */
	size_t pubkey_len;
	char *ns;                /* namespace ("git", "file"...) */
	char *hash_alg;          /* "sha256" or "sha512" */
	char *sig_format;        /* "ssh-ed25519", "rsa-sha2-512", "ecdsa-sha2-nistp256"... */
	unsigned char *sig;      /* the raw signature inside the signature blob */
	size_t sig_len;
	unsigned char *reserved; /* signed as is */
	size_t reserved_len;
};
void sshsig_clear(struct sshsig *s);

/* Parses "-----BEGIN SSH SIGNATURE-----" ... "-----END SSH SIGNATURE-----".
 * Fails with UP_ERR_MISMATCH naming what is malformed. */
int sshsig_parse_armored(const char *text, size_t len, struct sshsig *out, struct up_error *err);
/* Parses the decoded blob. */
int sshsig_parse_blob(const unsigned char *blob, size_t len, struct sshsig *out,
		      struct up_error *err);

/* Verifies that s signs msg under namespace ns. Returns 0 when it does;
 * -1 with UP_ERR_MISMATCH ("signature does not match") when the crypto
 * fails, UP_ERR_USAGE for a key or algorithm upkeep does not support. */
int sshsig_verify(const struct sshsig *s, const char *ns, const void *msg, size_t len,
		  struct up_error *err);

/* ---- public keys ---- */

/* Decodes the base64 field of an OpenSSH public key ("AAAAC3Nza...") and
 * checks that the blob is a key of a supported type whose name matches
 * type (may be NULL). */
int sshsig_key_decode(const char *type, const char *b64, size_t b64_len, unsigned char **blob,
		      size_t *blob_len, struct up_error *err);
/* The key type named inside a blob ("ssh-ed25519"...), newly allocated,
 * or NULL when the blob is malformed. */
char *sshsig_key_type(const unsigned char *blob, size_t len);
/* "SHA256:" and the unpadded base64 of SHA-256(blob), as `ssh-keygen -l`. */
char *sshsig_key_fingerprint(const unsigned char *blob, size_t len);
/* True when name is a key type upkeep can verify. */
int sshsig_key_type_supported(const char *name);

#endif
