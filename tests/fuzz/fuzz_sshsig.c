/* fuzz_sshsig.c - libFuzzer harness for the SSHSIG parser (armored and raw
 * blob) and the key import behind verification. Built by
 * `./configure --enable-fuzzing` (clang); see README, "Fuzzing". */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "sshsig.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sshsig s;
	struct up_error err = UP_ERROR_INIT;
	/* the armored form (what a tag carries) */
	if (sshsig_parse_armored((const char *)data, size, &s, &err) == 0) {
		char *fpr = sshsig_key_fingerprint(s.pubkey, s.pubkey_len);
		free(fpr);
		sshsig_verify(&s, "git", data, size, &err);
		sshsig_clear(&s);
	}
	err_clear(&err);
	/* the decoded blob, reached directly */
	if (sshsig_parse_blob(data, size, &s, &err) == 0) {
		sshsig_verify(&s, s.ns, data, size / 2, &err);
		char *type = sshsig_key_type(s.pubkey, s.pubkey_len);
		free(type);
		sshsig_clear(&s);
	}
	err_clear(&err);
	return 0;
}
