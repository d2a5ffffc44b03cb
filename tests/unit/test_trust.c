/* test_trust.c - the signature parsers: SSHSIG (armored and raw, every key
 * type, tampering), OpenSSH public keys and fingerprints, the allowed-signers
 * file (principals, options, times, refusals), gpgv's status lines, and the
 * tag object's split and headers. The signatures are the seed corpus of the
 * fuzzers (tests/fuzz/corpus/sshsig), made with `ssh-keygen -Y sign`. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allowed_signers.h"
#include "gpgverify.h"
#include "pgparmor.h"
#include "sshsig.h"
#include "tagverify.h"
#include "util.h"

/* What the corpus signatures sign. */
static const char MSG[] = "tag v1.0.0\n\nRelease\n";

static char *slurp(const char *name, size_t *len)
{
	char *path = xasprintf("%s/sshsig/%s", TEST_FUZZDIR, name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		strbuf_add(&sb, buf, n);
	fclose(f);
	free(path);
	*len = sb.len;
	return strbuf_detach(&sb);
}

static void parse_ok(const char *name, struct sshsig *s)
{
	size_t len;
	char *text = slurp(name, &len);
	struct up_error err = UP_ERROR_INIT;
	assert_int_equal(sshsig_parse_armored(text, len, s, &err), 0);
	err_clear(&err);
	free(text);
}

static void verify_one(const char *name, const char *fpr, const char *alg)
{
	struct sshsig s;
	struct up_error err = UP_ERROR_INIT;
	parse_ok(name, &s);
	assert_string_equal(s.ns, "git");
	assert_string_equal(s.sig_format, alg);
	char *got = sshsig_key_fingerprint(s.pubkey, s.pubkey_len);
	assert_string_equal(got, fpr);
	free(got);
	assert_int_equal(sshsig_verify(&s, "git", MSG, strlen(MSG), &err), 0);
	/* one byte of the message changed */
	char *bad = xstrdup(MSG);
	bad[5] = '2';
	assert_int_equal(sshsig_verify(&s, "git", bad, strlen(bad), &err), -1);
	assert_int_equal(err.status, UP_ERR_MISMATCH);
	assert_non_null(strstr(err.msg, "does not match"));
	/* one bit of the signature flipped */
	s.sig[s.sig_len / 2] ^= 1;
	assert_int_equal(sshsig_verify(&s, "git", MSG, strlen(MSG), &err), -1);
	free(bad);
	err_clear(&err);
	sshsig_clear(&s);
}

static void test_sshsig_key_types(void **state)
{
	(void)state;
	verify_one("ed25519.sig", "SHA256:MrwhD0Oip1XnaNjWyjZmUC4yMHC2OcihEmFqCuJ+tCA", "ssh-ed25519");
	verify_one("ecdsa256.sig", "SHA256:9CY5vZEpAILl78D3Rsnlk0GF6AzfvHSG8PGJuJjD5kM",
		   "ecdsa-sha2-nistp256");
	verify_one("ecdsa384.sig", "SHA256:OfCVY9x7TwAsTlfBaPfPgmtyikF8H5l2yIxN9q7HlBQ",
		   "ecdsa-sha2-nistp384");
	verify_one("rsa2048.sig", "SHA256:7V8XdUELDPAktSIrnKXvGjqVUJzRjAx9FJ2TNmbwcfQ", "rsa-sha2-512");
}

static void test_sshsig_namespace_and_sha256(void **state)
{
	(void)state;
	struct sshsig s;
	struct up_error err = UP_ERROR_INIT;
	parse_ok("ed25519-file-sha256.sig", &s);
	assert_string_equal(s.ns, "file");
	assert_string_equal(s.hash_alg, "sha256");
	assert_int_equal(sshsig_verify(&s, "git", MSG, strlen(MSG), &err), -1);
	assert_non_null(strstr(err.msg, "namespace \"file\", not \"git\""));
	assert_int_equal(sshsig_verify(&s, "file", MSG, strlen(MSG), &err), 0);
	err_clear(&err);
	sshsig_clear(&s);
}

static void test_sshsig_malformed(void **state)
{
	(void)state;
	size_t len;
	char *text = slurp("ed25519.sig", &len);
	struct sshsig s;
	struct up_error err = UP_ERROR_INIT;
	/* cut short: no END line */
	assert_int_equal(sshsig_parse_armored(text, len / 2, &s, &err), -1);
	assert_non_null(strstr(err.msg, "no END line"));
	/* text after the END line */
	char *more = xasprintf("%.*sevil\n", (int)len, text);
	assert_int_equal(sshsig_parse_armored(more, strlen(more), &s, &err), -1);
	assert_non_null(strstr(err.msg, "after the END line"));
	free(more);
	/* not a signature at all */
	assert_int_equal(sshsig_parse_armored("hello", 5, &s, &err), -1);
	/* raw blobs: bad magic, a length past the end, trailing bytes */
	static const unsigned char nomagic[] = "SSHSIX\0\0\0\1";
	assert_int_equal(sshsig_parse_blob(nomagic, 10, &s, &err), -1);
	assert_non_null(strstr(err.msg, "magic"));
	static const unsigned char huge[] = "SSHSIG\0\0\0\1\xff\xff\xff\xff";
	assert_int_equal(sshsig_parse_blob(huge, 14, &s, &err), -1);
	assert_non_null(strstr(err.msg, "cut short"));
	static const unsigned char v2[] = "SSHSIG\0\0\0\2";
	assert_int_equal(sshsig_parse_blob(v2, 10, &s, &err), -1);
	assert_non_null(strstr(err.msg, "version"));
	err_clear(&err);
	free(text);
}

static void test_key_decode(void **state)
{
	(void)state;
	static const char ed[] = "AAAAC3NzaC1lZDI1NTE5AAAAIG2K4p7iGT3Z5/RsAZagEcqPV/6THsAzsuXVsTNNQ8j1";
	unsigned char *blob;
	size_t len;
	struct up_error err = UP_ERROR_INIT;
	assert_int_equal(sshsig_key_decode("ssh-ed25519", ed, strlen(ed), &blob, &len, &err), 0);
	char *fpr = sshsig_key_fingerprint(blob, len);
	assert_string_equal(fpr, "SHA256:MrwhD0Oip1XnaNjWyjZmUC4yMHC2OcihEmFqCuJ+tCA");
	free(fpr);
	char *type = sshsig_key_type(blob, len);
	assert_string_equal(type, "ssh-ed25519");
	free(type);
	free(blob);
	/* the type named outside must be the one inside */
	assert_int_equal(sshsig_key_decode("ssh-rsa", ed, strlen(ed), &blob, &len, &err), -1);
	assert_non_null(strstr(err.msg, "not a ssh-rsa key"));
	assert_int_equal(sshsig_key_decode("ssh-ed25519", "!!!!", 4, &blob, &len, &err), -1);
	/* a key one byte short */
	static const char short_ed[] = "AAAAC3NzaC1lZDI1NTE5AAAAH2K4p7iGT3Z5/RsAZagEcqPV/6THsAzsuXVsTNNQ8g==";
	assert_int_equal(sshsig_key_decode("ssh-ed25519", short_ed, strlen(short_ed), &blob, &len,
					   &err), -1);
	err_clear(&err);
}

/* ---- allowed signers ---- */

#define ED_KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG2K4p7iGT3Z5/RsAZagEcqPV/6THsAzsuXVsTNNQ8j1"

static void test_patterns(void **state)
{
	(void)state;
	assert_true(allowed_signers_pattern_list_match("a@x", "a@x"));
	assert_false(allowed_signers_pattern_list_match("a@x", "a@y"));
	assert_true(allowed_signers_pattern_list_match("*@x", "anyone@x"));
	assert_true(allowed_signers_pattern_list_match("b@y,*@x", "a@x"));
	assert_false(allowed_signers_pattern_list_match("*@x,!bad@x", "bad@x"));
	assert_true(allowed_signers_pattern_list_match("*@x,!bad@x", "good@x"));
	assert_true(allowed_signers_pattern_list_match("?@x", "a@x"));
	assert_false(allowed_signers_pattern_list_match("?@x", "ab@x"));
	assert_false(allowed_signers_pattern_list_match("", "a"));
	/* no exponential backtracking */
	char *s = xasprintf("%0300d", 0);
	assert_false(allowed_signers_pattern_list_match("*0*0*0*0*0*0*0*0*0*0*1", s));
	free(s);
}

static void test_times(void **state)
{
	(void)state;
	long long t;
	assert_true(allowed_signers_parse_time("20200101Z", &t));
	assert_int_equal(t, 1577836800);
	assert_true(allowed_signers_parse_time("202001011200Z", &t));
	assert_int_equal(t, 1577836800 + 12 * 3600);
	assert_true(allowed_signers_parse_time("20200101120030Z", &t));
	assert_int_equal(t, 1577836800 + 12 * 3600 + 30);
	assert_true(allowed_signers_parse_time("20200101", &t)); /* local time */
	assert_false(allowed_signers_parse_time("2020010", &t));
	assert_false(allowed_signers_parse_time("20201301", &t));
	assert_false(allowed_signers_parse_time("2020-01-01", &t));
	assert_false(allowed_signers_parse_time("", &t));
}

static void parse_err(const char *text, const char *want)
{
	struct allowed_signers a;
	struct up_error err = UP_ERROR_INIT;
	assert_int_equal(allowed_signers_parse(text, strlen(text), "signers", &a, &err), -1);
	assert_int_equal(err.status, UP_ERR_CONFIG);
	if (!strstr(err.msg, want))
		fail_msg("\"%s\" does not contain \"%s\"", err.msg, want);
	assert_int_equal(a.n, 0);
	err_clear(&err);
}

static void test_signers_parse(void **state)
{
	(void)state;
	static const char text[] =
		"# comment\n"
		"\n"
		"  a@x " ED_KEY " comment words\n"
		"\"b@x,c@x\" namespaces=\"git,file\",valid-after=\"20200101Z\",valid-before=\"20300101Z\" "
		ED_KEY "\r\n"
		"d@x sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIA==\n";
	struct allowed_signers a;
	struct up_error err = UP_ERROR_INIT;
	assert_int_equal(allowed_signers_parse(text, strlen(text), "signers", &a, &err), 0);
	assert_int_equal(a.n, 3);
	assert_int_equal(a.items[0].line, 3);
	assert_string_equal(a.items[0].principals, "a@x");
	assert_null(a.items[0].namespaces);
	assert_non_null(a.items[0].key);
	assert_string_equal(a.items[1].principals, "b@x,c@x");
	assert_string_equal(a.items[1].namespaces, "git,file");
	assert_int_equal(a.items[1].valid_after, 1577836800);
	assert_int_equal(a.items[1].valid_before, 1893456000);
	assert_null(a.items[2].key); /* unsupported type: kept, never matches */

	const struct signer_entry *e;
	const unsigned char *key = a.items[0].key;
	size_t klen = a.items[0].key_len;
	assert_int_equal(allowed_signers_match(&a, key, klen, "a@x", "git", 1700000000, &e), SIGNER_OK);
	assert_int_equal(e->line, 3);
	assert_int_equal(allowed_signers_match(&a, key, klen, "c@x", "git", 1700000000, &e), SIGNER_OK);
	assert_int_equal(allowed_signers_match(&a, key, klen, "z@x", "git", 1700000000, &e),
			 SIGNER_WRONG_PRINCIPAL);
	assert_int_equal(allowed_signers_match(&a, key, klen, "c@x", "git", 1500000000, &e),
			 SIGNER_EXPIRED);
	assert_int_equal(allowed_signers_match(&a, key, klen, "c@x", "mail", 1700000000, &e),
			 SIGNER_WRONG_NAMESPACE);
	assert_int_equal(allowed_signers_match(&a, key, klen, NULL, "git", 1700000000, &e),
			 SIGNER_WRONG_PRINCIPAL);
	unsigned char other[64] = { 0 };
	assert_int_equal(allowed_signers_match(&a, other, sizeof other, "a@x", "git", 0, &e),
			 SIGNER_UNKNOWN_KEY);
	assert_null(e);
	allowed_signers_free(&a);
	err_clear(&err);
}

static void test_signers_errors(void **state)
{
	(void)state;
	parse_err("a@x cert-authority " ED_KEY "\n", "signers:1: cert-authority: SSH certificates");
	parse_err("# c\na@x\n", "signers:2: no key");
	parse_err("a@x ssh-ed25519\n", "no base64 key after the key type ssh-ed25519");
	parse_err("a@x valid-before=\"soon\" " ED_KEY "\n", "\"soon\" is not a time");
	parse_err("a@x valid-before=20200101 " ED_KEY "\n", "needs a value in double quotes");
	parse_err("a@x no-touch-required " ED_KEY "\n", "unknown option \"no-touch-required\"");
	parse_err("\"a@x " ED_KEY "\n", "unterminated double quote");
	parse_err("a@x ssh-ed25519 AAAAC3NzaC1lZDI1NTE5\n", "signers:1: malformed ssh-ed25519 public key");
	parse_err("a@x ssh-ed25519-cert-v01@openssh.com AAAA\n", "certificates are not supported");
	parse_err("a@x namespaces=\"git\" something AAAA\n", "unknown key type \"something\"");
}

/* ---- gpgv status ---- */

static void status(const char *text, int rc, enum gpg_outcome want, const char *fpr)
{
	struct gpg_result r;
	gpgverify_parse_status(text, rc, &r);
	assert_int_equal(r.outcome, want);
	if (fpr)
		assert_string_equal(r.fingerprint, fpr);
	gpg_result_clear(&r);
}

static void test_gpg_status(void **state)
{
	(void)state;
	status("[GNUPG:] NEWSIG\n[GNUPG:] GOODSIG 0123 Rel <r@x>\n"
	       "[GNUPG:] VALIDSIG AAAA 2024-01-01 1700000000 0 4 0 22 8 00 AAAA\n", 0, GPG_GOOD, "AAAA");
	/* GOODSIG alone is not enough */
	status("[GNUPG:] NEWSIG\n[GNUPG:] GOODSIG 0123 Rel <r@x>\n", 0, GPG_BAD, NULL);
	/* ... nor with a failing exit status */
	status("[GNUPG:] GOODSIG 0123 Rel\n[GNUPG:] VALIDSIG AAAA x\n", 1, GPG_BAD, NULL);
	status("[GNUPG:] NEWSIG\n[GNUPG:] BADSIG 0123 Rel <r@x>\n", 1, GPG_BAD, "0123");
	status("[GNUPG:] NEWSIG\n[GNUPG:] ERRSIG 0123 22 8 00 1700000000 9 -\n"
	       "[GNUPG:] NO_PUBKEY 0123\n", 2, GPG_NO_PUBKEY, "0123");
	status("[GNUPG:] NEWSIG\n[GNUPG:] EXPKEYSIG 0123 Old <o@x>\n[GNUPG:] VALIDSIG BBBB x\n", 0,
	       GPG_EXPIRED, "BBBB");
	status("[GNUPG:] NEWSIG\n[GNUPG:] REVKEYSIG 0123 Old <o@x>\n", 0, GPG_EXPIRED, NULL);
	/* two signatures: refused */
	status("[GNUPG:] NEWSIG\n[GNUPG:] GOODSIG 1 A\n[GNUPG:] VALIDSIG F x\n[GNUPG:] NEWSIG\n"
	       "[GNUPG:] GOODSIG 2 B\n[GNUPG:] VALIDSIG G x\n", 0, GPG_BAD, NULL);
	/* lines that are not status lines are ignored */
	status("gpgv: Good signature\nGOODSIG 1\n", 0, GPG_BAD, NULL);
	status("", 2, GPG_BAD, NULL);
}

/* ---- the tag object ---- */

static void test_tag_split_and_headers(void **state)
{
	(void)state;
	static const char raw[] =
		"object 0123456789012345678901234567890123456789\n"
		"type commit\n"
		"tag v1.2.0\n"
		"tagger Rel Eng <rel@example.org> 1700000000 +0100\n"
		"\n"
		"Release 1.2.0\n"
		"-----BEGIN PGP SIGNATURE-----\n"
		"not the last one\n"
		"-----END PGP SIGNATURE-----\n"
		"-----BEGIN SSH SIGNATURE-----\n"
		"U1NIU0lH\n"
		"-----END SSH SIGNATURE-----\n";
	size_t plen, slen;
	tagverify_split(raw, strlen(raw), &plen, &slen);
	assert_int_equal(plen + slen, strlen(raw));
	assert_memory_equal(raw + plen, "-----BEGIN SSH SIGNATURE-----", 29); /* the last one */
	tagverify_split(raw, 20, &plen, &slen);
	assert_int_equal(plen, 20);
	assert_int_equal(slen, 0);
	/* a marker inside a line does not count */
	static const char inside[] = "tag x\n\nsee -----BEGIN SSH SIGNATURE-----\n";
	tagverify_split(inside, strlen(inside), &plen, &slen);
	assert_int_equal(slen, 0);

	char *tag, *email;
	long long when;
	tagverify_headers(raw, strlen(raw), &tag, &email, &when);
	assert_string_equal(tag, "v1.2.0");
	assert_string_equal(email, "rel@example.org");
	assert_int_equal(when, 1700000000);
	free(tag);
	free(email);
	/* headers end at the blank line: a "tag" line in the message is not one */
	static const char body[] = "object 01\ntype commit\n\ntag v9.9.9\n";
	tagverify_headers(body, strlen(body), &tag, &email, &when);
	assert_null(tag);
	assert_null(email);
}

static void test_verdict_names(void **state)
{
	(void)state;
	enum tag_verdict v;
	for (int i = 0; i < VERDICT_COUNT; i++) {
		assert_true(tagverify_verdict_parse(tagverify_verdict_name((enum tag_verdict)i), &v));
		assert_int_equal(v, i);
	}
	assert_false(tagverify_verdict_parse("trusted", &v));
	struct tag_trust t = { .verdict = VERDICT_SIGNED, .principal = xstrdup("a\033]0;x\007@x"),
			       .fingerprint = xstrdup("SHA256:abc") };
	char *d = tagverify_describe(&t);
	assert_string_equal(d, "signed by a\\e]0;x\\x07@x (SHA256:abc)");
	free(d);
	tag_trust_clear(&t);
	t = (struct tag_trust){ .verdict = VERDICT_BAD, .detail = xstrdup("bidi \xe2\x80\xae here") };
	d = tagverify_describe(&t);
	assert_string_equal(d, "bad signature: bidi \\u202e here");
	free(d);
	tag_trust_clear(&t);
}

/* RFC 4880 armor: "hello" is aGVsbG8=, its CRC-24 0x47F58A is =R/WK. */
static void armor_err(const char *text, const char *want)
{
	struct strbuf out = STRBUF_INIT;
	struct up_error err = UP_ERROR_INIT;
	assert_int_equal(pgparmor_decode(text, strlen(text), "k.asc", &out, &err), -1);
	if (!strstr(err.msg, want))
		print_error("got \"%s\", want \"%s\"\n", err.msg, want);
	assert_non_null(strstr(err.msg, want));
	err_clear(&err);
	strbuf_release(&out);
}

static void test_pgp_armor(void **state)
{
	(void)state;
#define B "-----BEGIN PGP PUBLIC KEY BLOCK-----\n"
#define E "-----END PGP PUBLIC KEY BLOCK-----\n"
	const char *good = "\n" B "Comment: test\r\n\naGVs\nbG8=\n=R/WK\n" E B "\naGVsbG8=\n" E;
	assert_true(pgparmor_is_armored(good, strlen(good)));
	assert_false(pgparmor_is_armored("\x99\x01", 2));
	struct strbuf out = STRBUF_INIT;
	struct up_error err = UP_ERROR_INIT;
	assert_int_equal(pgparmor_decode(good, strlen(good), "k.asc", &out, &err), 0);
	assert_int_equal(out.len, 10);
	assert_memory_equal(out.buf, "hellohello", 10);
	strbuf_release(&out);
	armor_err(B "\naGVsbG8=\n=R/WL\n" E, "k.asc:4: not a valid armored OpenPGP keyring: the CRC-24");
	armor_err(B "\naGVs\nbG*8=\n" E, "k.asc:4: ");
	armor_err(B "\naGVsbG8=\n", "k.asc:1: not a valid armored OpenPGP keyring: no END line");
	armor_err(B "Comment test\n\naGVsbG8=\n" E, "k.asc:2: ");
	armor_err("junk\n" B "\naGVsbG8=\n" E, "k.asc:1: ");
	armor_err(B "\naGVsbG8=\n=R/WK\nAAAA\n" E, "k.asc:5: ");
	armor_err(B "\na\n" E, "k.asc:1: not a valid armored OpenPGP keyring: bad base64");
	armor_err(B "\n\n" E, "k.asc:3: ");
#undef B
#undef E
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sshsig_key_types),
		cmocka_unit_test(test_sshsig_namespace_and_sha256),
		cmocka_unit_test(test_sshsig_malformed),
		cmocka_unit_test(test_key_decode),
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_signers_parse),
		cmocka_unit_test(test_signers_errors),
		cmocka_unit_test(test_gpg_status),
		cmocka_unit_test(test_pgp_armor),
		cmocka_unit_test(test_tag_split_and_headers),
		cmocka_unit_test(test_verdict_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
