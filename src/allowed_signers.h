/* allowed_signers.h - OpenSSH's allowed-signers file (ssh-keygen(1),
 * "ALLOWED SIGNERS"): which keys may sign as which principals.
 *
 * One entry a line: principals (a comma-separated pattern list, optionally
 * in double quotes), options (optional), key type, base64 key, comment.
 * Options: namespaces="PATTERN-LIST", valid-after="TIME",
 * valid-before="TIME" (YYYYMMDD[HHMM[SS]], a trailing Z for UTC, local time
 * otherwise). cert-authority is refused with a clear error: upkeep does not
 * verify SSH certificates. Blank lines and lines starting with # are
 * skipped. Keys of a type upkeep cannot verify (sk-*, DSA, P-521) are kept
 * but never match.
 */
#ifndef UPKEEP_ALLOWED_SIGNERS_H
#define UPKEEP_ALLOWED_SIGNERS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* Files larger than this are refused. */
#define ALLOWED_SIGNERS_MAX (1024 * 1024)

struct signer_entry {
	int line;
	char *principals;        /* pattern list */
	char *namespaces;        /* pattern list, NULL = any */
	long long valid_after;   /* unix seconds, 0 = not set */
	long long valid_before;  /* unix seconds, 0 = not set */
	unsigned char *key;      /* key blob, NULL for an unsupported type */
	size_t key_len;
};

struct allowed_signers {
	struct signer_entry *items;
	size_t n;
};
void allowed_signers_free(struct allowed_signers *a);

/* Parses buf (len bytes, need not be NUL-terminated). On error returns -1
 * with UP_ERR_CONFIG "FILE:LINE: what is wrong" and out empty. */
int allowed_signers_parse(const char *buf, size_t len, const char *file,
			  struct allowed_signers *out, struct up_error *err);
/* Reads and parses the file at path. */
int allowed_signers_load(const char *path, struct allowed_signers *out, struct up_error *err);

enum signer_match {
	SIGNER_OK,
	SIGNER_UNKNOWN_KEY,      /* no entry has this key */
	SIGNER_WRONG_PRINCIPAL,  /* the key is there, for other principals */
	SIGNER_WRONG_NAMESPACE,  /* ... for the principal, not for this namespace */
	SIGNER_EXPIRED           /* ... but `when` is outside valid-after/valid-before */
};

/* Looks for an entry with this key whose principals match principal and
 * whose namespaces match ns, valid at `when` (unix seconds). Returns the
 * closest result; *found gets the matching (or nearest) entry, or NULL. */
enum signer_match allowed_signers_match(const struct allowed_signers *a, const unsigned char *key,
					size_t key_len, const char *principal, const char *ns,
					long long when, const struct signer_entry **found);

/* OpenSSH's pattern lists: comma-separated patterns with * and ?, a
 * leading ! negates; true when some pattern matches and no negated one does. */
bool allowed_signers_pattern_list_match(const char *list, const char *s);

/* Parses YYYYMMDD[HHMM[SS]][Z]. */
bool allowed_signers_parse_time(const char *s, long long *out);

#endif
