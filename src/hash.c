/* hash.c - SHA-256 through GnuTLS (SHA-NI accelerated by nettle). */
#include "config.h"

#include "hash.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <string.h>

int hash_sha256(const void *data, size_t len, uint8_t out[HASH_LEN])
{
	static const uint8_t empty = 0;
	return gnutls_hash_fast(GNUTLS_DIG_SHA256, len ? data : &empty, len, out) == 0 ? 0 : -1;
}

void hash_to_hex(const uint8_t h[HASH_LEN], char hex[HASH_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < HASH_LEN; i++) {
		hex[2 * i] = digits[h[i] >> 4];
		hex[2 * i + 1] = digits[h[i] & 0xf];
	}
	hex[HASH_HEX_LEN] = '\0';
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool hash_from_hex(const char *hex, uint8_t out[HASH_LEN])
{
	if (!hex || strlen(hex) != HASH_HEX_LEN)
		return false;
	for (size_t i = 0; i < HASH_LEN; i++) {
		int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

bool hash_equal(const uint8_t a[HASH_LEN], const uint8_t b[HASH_LEN])
{
	return memcmp(a, b, HASH_LEN) == 0;
}
