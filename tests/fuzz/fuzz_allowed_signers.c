/* fuzz_allowed_signers.c - libFuzzer harness for the allowed-signers parser
 * and its pattern lists. Built by `./configure --enable-fuzzing` (clang). */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "allowed_signers.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct allowed_signers a;
	struct up_error err = UP_ERROR_INIT;
	if (allowed_signers_parse((const char *)data, size, "fuzz", &a, &err) == 0) {
		for (size_t i = 0; i < a.n; i++) {
			const struct signer_entry *e = &a.items[i], *found;
			allowed_signers_pattern_list_match(e->principals, "release@example.org");
			if (e->namespaces)
				allowed_signers_pattern_list_match(e->namespaces, "git");
			if (e->key)
				allowed_signers_match(&a, e->key, e->key_len, "release@example.org", "git",
						      1700000000, &found);
		}
		allowed_signers_free(&a);
	}
	err_clear(&err);
	/* the input as a pattern list and as a time */
	char *text = xstrndup((const char *)data, size);
	size_t half = strlen(text) / 2;
	char saved = text[half];
	text[half] = '\0';
	allowed_signers_pattern_list_match(text, text + half + (saved != '\0'));
	text[half] = saved;
	long long t;
	allowed_signers_parse_time(text, &t);
	free(text);
	return 0;
}
