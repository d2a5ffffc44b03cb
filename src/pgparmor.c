/* pgparmor.c - OpenPGP ASCII armor decoded into binary keys for gpgv. */
#include "config.h"

#include "pgparmor.h"

#include <string.h>

#include <gnutls/gnutls.h>

#include "i18n.h"

#define BEGIN_KEYS "-----BEGIN PGP PUBLIC KEY BLOCK-----"
#define END_KEYS "-----END PGP PUBLIC KEY BLOCK-----"

/* CRC-24 of RFC 4880 section 6.1. */
static unsigned long crc24(const unsigned char *p, size_t n)
{
	unsigned long crc = 0xB704CEUL;
	while (n--) {
		crc ^= (unsigned long)*p++ << 16;
		for (int i = 0; i < 8; i++) {
			crc <<= 1;
			if (crc & 0x1000000UL)
				crc ^= 0x1864CFBUL;
		}
	}
	return crc & 0xFFFFFFUL;
}

/* One line of the input, without its line end and trailing blanks. */
struct lines {
	const char *p, *end;
	const char *line;
	size_t len;
	int no;
};

static bool next_line(struct lines *l)
{
	if (l->p >= l->end)
		return false;
	const char *nl = memchr(l->p, '\n', (size_t)(l->end - l->p));
	const char *eol = nl ? nl : l->end;
	l->line = l->p;
	l->len = (size_t)(eol - l->p);
	while (l->len && (l->line[l->len - 1] == '\r' || l->line[l->len - 1] == ' ' ||
			  l->line[l->len - 1] == '\t'))
		l->len--;
	l->p = nl ? nl + 1 : l->end;
	l->no++;
	return true;
}

static bool line_is(const struct lines *l, const char *s)
{
	return l->len == strlen(s) && memcmp(l->line, s, l->len) == 0;
}

static bool is_base64(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=", s[i]) ||
		    s[i] == '\0')
			return false;
	return n > 0;
}

static int bad(struct up_error *err, const char *file, int line, const char *what)
{
	return err_set(err, UP_ERR_CONFIG, _("%s:%d: not a valid armored OpenPGP keyring: %s"), file,
		       line, what);
}

static int decode64(const char *text, size_t len, gnutls_datum_t *out)
{
	gnutls_datum_t in = { (unsigned char *)text, (unsigned)len };
	*out = (gnutls_datum_t){ NULL, 0 };
	return gnutls_base64_decode2(&in, out) < 0 ? -1 : 0;
}

/* One block, from the line after BEGIN to its END line. */
static int decode_block(struct lines *l, const char *file, struct strbuf *out,
			struct up_error *err)
{
	int begin = l->no;
	/* headers ("Key: value") up to the blank line */
	for (;;) {
		if (!next_line(l))
			return bad(err, file, begin, _("no END line"));
		if (l->len == 0)
			break;
		if (!memmem(l->line, l->len, ": ", 2))
			return bad(err, file, l->no, _("expected an armor header or a blank line"));
	}
	struct strbuf body = STRBUF_INIT;
	const char *crc_text = NULL;
	int crc_line = 0, rc = 0;
	for (;;) {
		if (!next_line(l)) {
			rc = bad(err, file, begin, _("no END line"));
			break;
		}
		if (line_is(l, END_KEYS))
			break;
		if (crc_text) {
			rc = bad(err, file, l->no, _("expected the END line after the checksum"));
			break;
		}
		if (l->len == 5 && l->line[0] == '=' && is_base64(l->line + 1, 4)) {
			crc_text = l->line + 1;
			crc_line = l->no;
		} else if (is_base64(l->line, l->len)) {
			strbuf_add(&body, l->line, l->len);
		} else {
			rc = bad(err, file, l->no, _("a character that is not base64"));
			break;
		}
	}
	gnutls_datum_t bin = { NULL, 0 }, crc = { NULL, 0 };
	if (rc == 0 && (body.len == 0 || decode64(body.buf, body.len, &bin) < 0))
		rc = bad(err, file, begin, _("bad base64"));
	if (rc == 0 && crc_text) {
		if (decode64(crc_text, 4, &crc) < 0 || crc.size != 3)
			rc = bad(err, file, crc_line, _("bad checksum line"));
		else if (((unsigned long)crc.data[0] << 16 | (unsigned long)crc.data[1] << 8 |
			  crc.data[2]) != crc24(bin.data, bin.size))
			rc = bad(err, file, crc_line, _("the CRC-24 checksum does not match"));
	}
	if (rc == 0)
		strbuf_add(out, (const char *)bin.data, bin.size);
	gnutls_free(bin.data);
	gnutls_free(crc.data);
	strbuf_release(&body);
	return rc;
}

bool pgparmor_is_armored(const char *buf, size_t len)
{
	struct lines l = { buf, buf + len, NULL, 0, 0 };
	while (next_line(&l))
		if (l.len)
			return l.len >= 15 && memcmp(l.line, "-----BEGIN PGP ", 15) == 0;
	return false;
}

int pgparmor_decode(const char *buf, size_t len, const char *file, struct strbuf *out,
		    struct up_error *err)
{
	struct lines l = { buf, buf + len, NULL, 0, 0 };
	size_t blocks = 0;
	while (next_line(&l)) {
		if (l.len == 0)
			continue;
		if (!line_is(&l, BEGIN_KEYS))
			return bad(err, file, l.no, _("expected the line -----BEGIN PGP PUBLIC KEY BLOCK-----"));
		if (decode_block(&l, file, out, err) < 0)
			return -1;
		blocks++;
	}
	if (!blocks)
		return bad(err, file, l.no, _("no key block"));
	return 0;
}
