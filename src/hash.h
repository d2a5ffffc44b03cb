/* hash.h - SHA-256 (GnuTLS) and its hexadecimal form: the identity of
 * chunks and directory listings in the archive store. */
#ifndef UPKEEP_HASH_H
#define UPKEEP_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HASH_LEN 32
#define HASH_HEX_LEN (2 * HASH_LEN)

/* Writes SHA-256(data) into out. Returns 0, or -1 if GnuTLS fails (it does
 * not for SHA-256 short of memory exhaustion). */
int hash_sha256(const void *data, size_t len, uint8_t out[HASH_LEN]);
/* Writes 64 lowercase hex digits and a NUL into hex. */
void hash_to_hex(const uint8_t h[HASH_LEN], char hex[HASH_HEX_LEN + 1]);
/* Parses exactly 64 hex digits (either case). */
bool hash_from_hex(const char *hex, uint8_t out[HASH_LEN]);
/* True when the two hashes are equal. */
bool hash_equal(const uint8_t a[HASH_LEN], const uint8_t b[HASH_LEN]);

#endif
