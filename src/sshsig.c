/* sshsig.c - OpenSSH signatures and public keys, verified with GnuTLS.
 *
 * Formats (OpenSSH PROTOCOL.sshsig, RFC 4253 section 6.6, RFC 5656,
 * RFC 8709, RFC 8332): a "string" is a big-endian u32 length and that many
 * bytes; an "mpint" a string holding a two's-complement big-endian number.
 */
#include "config.h"

#include "sshsig.h"

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "util.h"

#define MAGIC "SSHSIG"
#define MAGIC_LEN 6
#define ARMOR_BEGIN "-----BEGIN SSH SIGNATURE-----"
#define ARMOR_END "-----END SSH SIGNATURE-----"
/* RSA keys below this are refused (OpenSSH itself refuses < 1024); above
 * the maximum (OpenSSH's too) or with an exponent over 64 bits, a public
 * operation could be made arbitrarily slow. */
#define RSA_MIN_BITS 2048
#define RSA_MAX_BITS 16384
#define RSA_MAX_E_BYTES 8

/* ---- a bounds-checked reader ---- */

struct reader {
	const unsigned char *p;
	size_t n;
	bool bad;
};

static bool rd_u32(struct reader *r, uint32_t *v)
{
	if (r->bad || r->n < 4) {
		r->bad = true;
		return false;
	}
	*v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	r->n -= 4;
	return true;
}

/* A string as a pointer into the input. */
static bool rd_string(struct reader *r, const unsigned char **s, size_t *len)
{
	uint32_t l;
	if (!rd_u32(r, &l))
		return false;
	if (l > r->n) {
		r->bad = true;
		return false;
	}
	*s = r->p;
	*len = l;
	r->p += l;
	r->n -= l;
	return true;
}

/* A string that must be text: no NUL inside. Newly allocated. */
static char *rd_text(struct reader *r)
{
	const unsigned char *s;
	size_t len;
	if (!rd_string(r, &s, &len))
		return NULL;
	if (memchr(s, '\0', len)) {
		r->bad = true;
		return NULL;
	}
	return xstrndup((const char *)s, len);
}

static bool rd_equals(struct reader *r, const char *want)
{
	const unsigned char *s;
	size_t len;
	return rd_string(r, &s, &len) && len == strlen(want) && memcmp(s, want, len) == 0;
}

/* An mpint that must be positive, as a datum without leading zeros. */
static bool rd_mpint(struct reader *r, gnutls_datum_t *d)
{
	const unsigned char *s;
	size_t len;
	if (!rd_string(r, &s, &len) || len == 0 || (s[0] & 0x80)) {
		r->bad = true;
		return false;
	}
	while (len > 1 && s[0] == 0) {
		s++;
		len--;
	}
	d->data = (unsigned char *)s;
	d->size = (unsigned)len;
	return true;
}

static unsigned char *dup_bytes(const unsigned char *s, size_t len)
{
	unsigned char *d = xmalloc(len ? len : 1);
	memcpy(d, s, len);
	return d;
}

/* ---- the signature ---- */

void sshsig_clear(struct sshsig *s)
{
	free(s->pubkey);
	free(s->ns);
	free(s->hash_alg);
	free(s->sig_format);
	free(s->sig);
	free(s->reserved);
	memset(s, 0, sizeof(*s));
}

static int malformed(struct sshsig *out, struct up_error *err, const char *what)
{
	sshsig_clear(out);
	return err_set(err, UP_ERR_MISMATCH, "malformed SSH signature: %s", what);
}

int sshsig_parse_blob(const unsigned char *blob, size_t len, struct sshsig *out,
		      struct up_error *err)
{
	memset(out, 0, sizeof(*out));
	if (len < MAGIC_LEN || memcmp(blob, MAGIC, MAGIC_LEN) != 0)
		return malformed(out, err, "no SSHSIG magic");
	struct reader r = { blob + MAGIC_LEN, len - MAGIC_LEN, false };
	uint32_t version = 0;
	if (!rd_u32(&r, &version))
		return malformed(out, err, "cut short");
	if (version != 1)
		return malformed(out, err, "unsupported version");
	const unsigned char *key, *reserved, *sigblob;
	size_t key_len, reserved_len, sigblob_len;
	if (!rd_string(&r, &key, &key_len))
		return malformed(out, err, "cut short in the public key");
	out->pubkey = dup_bytes(key, key_len);
	out->pubkey_len = key_len;
	if (!(out->ns = rd_text(&r)))
		return malformed(out, err, "bad namespace");
	if (!rd_string(&r, &reserved, &reserved_len))
		return malformed(out, err, "cut short in the reserved field");
	out->reserved = dup_bytes(reserved, reserved_len);
	out->reserved_len = reserved_len;
	if (!(out->hash_alg = rd_text(&r)))
		return malformed(out, err, "bad hash algorithm");
	if (!rd_string(&r, &sigblob, &sigblob_len))
		return malformed(out, err, "cut short in the signature");
	if (r.n != 0)
		return malformed(out, err, "trailing bytes");
	struct reader s = { sigblob, sigblob_len, false };
	const unsigned char *raw;
	size_t raw_len;
	if (!(out->sig_format = rd_text(&s)) || !rd_string(&s, &raw, &raw_len) || s.n != 0)
		return malformed(out, err, "bad signature blob");
	out->sig = dup_bytes(raw, raw_len);
	out->sig_len = raw_len;
	if (strcmp(out->hash_alg, "sha256") != 0 && strcmp(out->hash_alg, "sha512") != 0)
		return malformed(out, err, "hash algorithm is neither sha256 nor sha512");
	return 0;
}

int sshsig_parse_armored(const char *text, size_t len, struct sshsig *out, struct up_error *err)
{
	memset(out, 0, sizeof(*out));
	if (len > SSHSIG_MAX_ARMOR)
		return err_set(err, UP_ERR_MISMATCH, "malformed SSH signature: longer than %d bytes",
			       SSHSIG_MAX_ARMOR);
	size_t blen = strlen(ARMOR_BEGIN), elen = strlen(ARMOR_END);
	if (len < blen || memcmp(text, ARMOR_BEGIN, blen) != 0)
		return malformed(out, err, "no BEGIN line");
	/* The END line, then only line ends: nothing may hide after it. */
	const char *end = NULL;
	for (const char *p = text; p + elen <= text + len; p++) {
		p = memchr(p, '-', (size_t)(text + len - p));
		if (!p || p + elen > text + len)
			break;
		if (memcmp(p, ARMOR_END, elen) == 0) {
			end = p;
			break;
		}
	}
	if (!end)
		return malformed(out, err, "no END line");
	for (const char *p = end + elen; p < text + len; p++)
		if (*p != '\n' && *p != '\r')
			return malformed(out, err, "text after the END line");
	for (const char *p = text + blen; p < end; p++)
		if (*p == '\0' || *p == '-')
			return malformed(out, err, "bad armor");
	gnutls_datum_t in = { (unsigned char *)text, (unsigned)len }, blob = { NULL, 0 };
	if (gnutls_pem_base64_decode2("SSH SIGNATURE", &in, &blob) < 0)
		return malformed(out, err, "bad base64");
	int rc = sshsig_parse_blob(blob.data, blob.size, out, err);
	gnutls_free(blob.data);
	return rc;
}

/* ---- keys ---- */

enum key_kind { KEY_NONE, KEY_ED25519, KEY_RSA, KEY_P256, KEY_P384 };

static const struct {
	const char *name;
	enum key_kind kind;
	const char *curve;        /* the ECDSA curve name inside the blob */
	gnutls_ecc_curve_t ecc;
	gnutls_sign_algorithm_t sign;
} key_types[] = {
	{ "ssh-ed25519", KEY_ED25519, NULL, GNUTLS_ECC_CURVE_ED25519, GNUTLS_SIGN_EDDSA_ED25519 },
	{ "ssh-rsa", KEY_RSA, NULL, GNUTLS_ECC_CURVE_INVALID, GNUTLS_SIGN_UNKNOWN },
	{ "ecdsa-sha2-nistp256", KEY_P256, "nistp256", GNUTLS_ECC_CURVE_SECP256R1,
	  GNUTLS_SIGN_ECDSA_SHA256 },
	{ "ecdsa-sha2-nistp384", KEY_P384, "nistp384", GNUTLS_ECC_CURVE_SECP384R1,
	  GNUTLS_SIGN_ECDSA_SHA384 },
};
#define N_KEY_TYPES (sizeof(key_types) / sizeof(key_types[0]))

static int key_index(const char *name)
{
	for (size_t i = 0; name && i < N_KEY_TYPES; i++)
		if (strcmp(key_types[i].name, name) == 0)
			return (int)i;
	return -1;
}

int sshsig_key_type_supported(const char *name)
{
	return key_index(name) >= 0;
}

char *sshsig_key_type(const unsigned char *blob, size_t len)
{
	struct reader r = { blob, len, false };
	return rd_text(&r);
}

/* Imports blob into a GnuTLS key; *idx gets its key_types[] index. */
static int key_import(const unsigned char *blob, size_t len, gnutls_pubkey_t *out, int *idx,
		      struct up_error *err)
{
	struct reader r = { blob, len, false };
	char *type = rd_text(&r);
	*idx = key_index(type);
	if (*idx < 0) {
		char *safe = escape_text(type ? type : "?", (size_t)-1, 40, 0);
		err_set(err, UP_ERR_USAGE, "unsupported key type \"%s\"", safe);
		free(safe);
		free(type);
		return -1;
	}
	free(type);
	gnutls_datum_t a = { 0 }, b = { 0 };
	const unsigned char *s;
	size_t slen;
	enum key_kind kind = key_types[*idx].kind;
	bool ok;
	if (kind == KEY_ED25519) {
		ok = rd_string(&r, &s, &slen) && slen == 32;
		a = (gnutls_datum_t){ (unsigned char *)s, 32 };
	} else if (kind == KEY_RSA) {
		ok = rd_mpint(&r, &a) && rd_mpint(&r, &b); /* e, n */
		ok = ok && b.size * 8 >= RSA_MIN_BITS - 8 && b.size * 8 <= RSA_MAX_BITS &&
		     a.size <= RSA_MAX_E_BYTES;
	} else {
		/* Q = 04 || X || Y, each coordinate the curve's size */
		size_t coord = kind == KEY_P256 ? 32 : 48;
		ok = rd_equals(&r, key_types[*idx].curve) && rd_string(&r, &s, &slen) &&
		     slen == 1 + 2 * coord && s[0] == 0x04;
		if (ok) {
			a = (gnutls_datum_t){ (unsigned char *)s + 1, (unsigned)coord };
			b = (gnutls_datum_t){ (unsigned char *)s + 1 + coord, (unsigned)coord };
		}
	}
	if (!ok || r.bad || r.n != 0)
		return err_set(err, UP_ERR_MISMATCH, "malformed %s public key%s", key_types[*idx].name,
			       kind == KEY_RSA && !r.bad ? " (or not 2048 to 16384 bits)" : "");
	if (gnutls_pubkey_init(out) < 0)
		return err_set(err, UP_ERR_INTERNAL, "gnutls_pubkey_init failed");
	int rc;
	if (kind == KEY_ED25519)
		rc = gnutls_pubkey_import_ecc_raw(*out, GNUTLS_ECC_CURVE_ED25519, &a, NULL);
	else if (kind == KEY_RSA)
		rc = gnutls_pubkey_import_rsa_raw(*out, &b, &a);
	else
		rc = gnutls_pubkey_import_ecc_raw(*out, key_types[*idx].ecc, &a, &b);
	if (rc < 0) {
		gnutls_pubkey_deinit(*out);
		*out = NULL;
		return err_set(err, UP_ERR_MISMATCH, "%s public key rejected: %s", key_types[*idx].name,
			       gnutls_strerror(rc));
	}
	return 0;
}

int sshsig_key_decode(const char *type, const char *b64, size_t b64_len, unsigned char **blob,
		      size_t *blob_len, struct up_error *err)
{
	*blob = NULL;
	*blob_len = 0;
	if (b64_len == 0 || b64_len > SSHSIG_MAX_ARMOR)
		return err_set(err, UP_ERR_MISMATCH, "malformed public key: bad length");
	gnutls_datum_t in = { (unsigned char *)b64, (unsigned)b64_len }, out = { NULL, 0 };
	if (gnutls_base64_decode2(&in, &out) < 0)
		return err_set(err, UP_ERR_MISMATCH, "malformed public key: bad base64");
	char *inner = sshsig_key_type(out.data, out.size);
	int rc = 0;
	if (type && (!inner || strcmp(inner, type) != 0))
		rc = err_set(err, UP_ERR_MISMATCH, "malformed public key: its blob is not a %s key", type);
	gnutls_pubkey_t key = NULL;
	int idx;
	if (rc == 0 && key_import(out.data, out.size, &key, &idx, err) == 0)
		gnutls_pubkey_deinit(key);
	else
		rc = -1;
	free(inner);
	if (rc == 0) {
		*blob = dup_bytes(out.data, out.size);
		*blob_len = out.size;
	}
	gnutls_free(out.data);
	return rc;
}

static void base64_unpadded(struct strbuf *sb, const unsigned char *d, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)d[i] << 16;
		size_t left = n - i;
		if (left > 1)
			v |= (uint32_t)d[i + 1] << 8;
		if (left > 2)
			v |= d[i + 2];
		strbuf_addch(sb, tab[v >> 18 & 63]);
		strbuf_addch(sb, tab[v >> 12 & 63]);
		if (left > 1)
			strbuf_addch(sb, tab[v >> 6 & 63]);
		if (left > 2)
			strbuf_addch(sb, tab[v & 63]);
	}
}

char *sshsig_key_fingerprint(const unsigned char *blob, size_t len)
{
	unsigned char h[32];
	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, "SHA256:");
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, blob, len, h) == 0)
		base64_unpadded(&sb, h, sizeof h);
	return strbuf_detach(&sb);
}

/* ---- verification ---- */

static void put_string(struct strbuf *sb, const void *s, size_t len)
{
	unsigned char l[4] = { (unsigned char)(len >> 24), (unsigned char)(len >> 16),
			       (unsigned char)(len >> 8), (unsigned char)len };
	strbuf_add(sb, (const char *)l, 4);
	strbuf_add(sb, s, len);
}

/* The signature algorithm for this key and signature format, or
 * GNUTLS_SIGN_UNKNOWN when they do not belong together. */
static gnutls_sign_algorithm_t sign_algorithm(int idx, const char *format)
{
	if (key_types[idx].kind == KEY_RSA) {
		if (strcmp(format, "rsa-sha2-256") == 0)
			return GNUTLS_SIGN_RSA_SHA256;
		if (strcmp(format, "rsa-sha2-512") == 0)
			return GNUTLS_SIGN_RSA_SHA512;
		return GNUTLS_SIGN_UNKNOWN; /* "ssh-rsa" is SHA-1: refused */
	}
	return strcmp(format, key_types[idx].name) == 0 ? key_types[idx].sign : GNUTLS_SIGN_UNKNOWN;
}

/* ECDSA signatures are (mpint r, mpint s); GnuTLS wants them DER-encoded. */
static int ecdsa_der(const struct sshsig *s, gnutls_datum_t *der, struct up_error *err)
{
	struct reader r = { s->sig, s->sig_len, false };
	gnutls_datum_t rr, ss;
	if (!rd_mpint(&r, &rr) || !rd_mpint(&r, &ss) || r.n != 0)
		return err_set(err, UP_ERR_MISMATCH, "malformed SSH signature: bad ECDSA value");
	if (gnutls_encode_rs_value(der, &rr, &ss) < 0)
		return err_set(err, UP_ERR_MISMATCH, "malformed SSH signature: bad ECDSA value");
	return 0;
}

int sshsig_verify(const struct sshsig *s, const char *ns, const void *msg, size_t len,
		  struct up_error *err)
{
	if (strcmp(s->ns, ns) != 0) {
		char *safe = escape_text(s->ns, (size_t)-1, 40, 0);
		err_set(err, UP_ERR_MISMATCH, "the signature is for namespace \"%s\", not \"%s\"", safe,
			ns);
		free(safe);
		return -1;
	}
	gnutls_pubkey_t key = NULL;
	int idx;
	if (key_import(s->pubkey, s->pubkey_len, &key, &idx, err) < 0)
		return -1;
	gnutls_sign_algorithm_t alg = sign_algorithm(idx, s->sig_format);
	int rc = 0;
	gnutls_datum_t sig = { s->sig, (unsigned)s->sig_len }, der = { NULL, 0 };
	if (alg == GNUTLS_SIGN_UNKNOWN) {
		char *safe = escape_text(s->sig_format, (size_t)-1, 40, 0);
		rc = err_set(err, UP_ERR_USAGE, "signature algorithm \"%s\" not accepted for a %s key",
			     safe, key_types[idx].name);
		free(safe);
	} else if (key_types[idx].kind == KEY_P256 || key_types[idx].kind == KEY_P384) {
		rc = ecdsa_der(s, &der, err);
		sig = der;
	}
	unsigned char h[64];
	bool sha512 = strcmp(s->hash_alg, "sha512") == 0;
	if (rc == 0 && gnutls_hash_fast(sha512 ? GNUTLS_DIG_SHA512 : GNUTLS_DIG_SHA256, msg, len, h) < 0)
		rc = err_set(err, UP_ERR_INTERNAL, "hashing failed");
	if (rc == 0) {
		struct strbuf sd = STRBUF_INIT;
		strbuf_add(&sd, MAGIC, MAGIC_LEN);
		put_string(&sd, s->ns, strlen(s->ns));
		put_string(&sd, s->reserved, s->reserved_len);
		put_string(&sd, s->hash_alg, strlen(s->hash_alg));
		put_string(&sd, h, sha512 ? 64 : 32);
		gnutls_datum_t data = { (unsigned char *)sd.buf, (unsigned)sd.len };
		int g = gnutls_pubkey_verify_data2(key, alg, 0, &data, &sig);
		if (g < 0)
			rc = err_set(err, UP_ERR_MISMATCH, "signature does not match (%s)",
				     gnutls_strerror(g));
		strbuf_release(&sd);
	}
	gnutls_free(der.data);
	gnutls_pubkey_deinit(key);
	return rc;
}
