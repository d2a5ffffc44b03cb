/* pgparmor.h - OpenPGP ASCII armor (RFC 4880 section 6) taken off a keyring.
 *
 * gpgv reads binary keys only; `gpg --export --armor` writes them armored
 * (a .asc file). upkeep decodes such a file itself - BEGIN line, headers,
 * base64, the CRC24 line checked when present, END line, several blocks
 * one after another - into binary keys for gpgv.
 */
#ifndef UPKEEP_PGPARMOR_H
#define UPKEEP_PGPARMOR_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "util.h"

/* True when buf, after blank lines, starts with an armor BEGIN line. */
bool pgparmor_is_armored(const char *buf, size_t len);

/* Decodes every public key block of buf into out (binary). Errors name
 * file and line ("FILE:LINE: ..."). */
int pgparmor_decode(const char *buf, size_t len, const char *file, struct strbuf *out,
		    struct up_error *err);

#endif
