/* tagverify.c - the verdict on a release's tag, and the target's policy. */
#include "config.h"

#include "tagverify.h"

#include <stdlib.h>
#include <string.h>

#include "allowed_signers.h"
#include "escape.h"
#include "i18n.h"
#include "gpgverify.h"
#include "sshsig.h"
#include "util.h"

#define SSH_BEGIN "-----BEGIN SSH SIGNATURE-----"
#define PGP_BEGIN "-----BEGIN PGP SIGNATURE-----"
#define SIG_NAMESPACE "git"

static const char *const verdict_names[VERDICT_COUNT] = {
	[VERDICT_NOT_CHECKED] = "not checked",
	[VERDICT_SIGNED] = "signed",
	[VERDICT_UNSIGNED] = "unsigned",
	[VERDICT_BAD] = "bad signature",
	[VERDICT_UNKNOWN_KEY] = "unknown key",
	[VERDICT_EXPIRED] = "key expired",
	[VERDICT_WRONG_TAG] = "wrong tag",
	[VERDICT_ERROR] = "error",
};

const char *tagverify_verdict_name(enum tag_verdict v)
{
	return (unsigned)v < VERDICT_COUNT ? verdict_names[v] : "error";
}

/* L10N: signature verdicts (upkeep(1), TRUST), shown to people. */
static const char *const verdict_texts[VERDICT_COUNT] = {
	[VERDICT_NOT_CHECKED] = NC_("verdict", "not checked"),
	[VERDICT_SIGNED] = NC_("verdict", "signed"),
	[VERDICT_UNSIGNED] = NC_("verdict", "unsigned"),
	[VERDICT_BAD] = NC_("verdict", "bad signature"),
	[VERDICT_UNKNOWN_KEY] = NC_("verdict", "unknown key"),
	[VERDICT_EXPIRED] = NC_("verdict", "key expired"),
	[VERDICT_WRONG_TAG] = NC_("verdict", "wrong tag"),
	[VERDICT_ERROR] = NC_("verdict", "error"),
};

const char *tagverify_verdict_text(enum tag_verdict v)
{
	if ((unsigned)v >= VERDICT_COUNT)
		v = VERDICT_ERROR;
	return i18n_pgettext(verdict_texts[v], verdict_names[v]);
}

bool tagverify_verdict_parse(const char *name, enum tag_verdict *out)
{
	for (int i = 0; name && i < VERDICT_COUNT; i++)
		if (strcmp(verdict_names[i], name) == 0) {
			*out = (enum tag_verdict)i;
			return true;
		}
	return false;
}

void tag_trust_clear(struct tag_trust *t)
{
	free(t->principal);
	free(t->fingerprint);
	free(t->detail);
	memset(t, 0, sizeof(*t));
}

static char *describe(const struct tag_trust *t, bool text)
{
	if (t->verdict == VERDICT_SIGNED) {
		char *who = escape_text(t->principal ? t->principal : "?", (size_t)-1, 120, 0);
		char *fpr = escape_text(t->fingerprint ? t->fingerprint : "?", (size_t)-1, 120, 0);
		/* L10N: the signature verdict with the signer and the key. */
		char *s = xasprintf(text ? _("signed by %s (%s)") : "signed by %s (%s)", who, fpr);
		free(who);
		free(fpr);
		return s;
	}
	const char *v = text ? tagverify_verdict_text(t->verdict) : tagverify_verdict_name(t->verdict);
	if (!t->detail)
		return xstrdup(v);
	char *d = escape_text(t->detail, (size_t)-1, 300, 0);
	char *s = xasprintf("%s: %s", v, d);
	free(d);
	return s;
}

char *tagverify_describe(const struct tag_trust *t)
{
	return describe(t, false);
}

char *tagverify_describe_text(const struct tag_trust *t)
{
	return describe(t, true);
}

/* ---- the raw tag object ---- */

static bool starts_with(const char *p, const char *end, const char *word)
{
	size_t n = strlen(word);
	return (size_t)(end - p) >= n && memcmp(p, word, n) == 0;
}

void tagverify_split(const char *raw, size_t len, size_t *payload_len, size_t *sig_len)
{
	const char *end = raw + len, *cut = NULL;
	for (const char *p = raw; p && p < end;) {
		if (starts_with(p, end, SSH_BEGIN) || starts_with(p, end, PGP_BEGIN))
			cut = p;
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		p = nl ? nl + 1 : NULL;
	}
	*payload_len = cut ? (size_t)(cut - raw) : len;
	*sig_len = cut ? (size_t)(end - cut) : 0;
}

void tagverify_headers(const char *raw, size_t len, char **tag, char **email, long long *when)
{
	*tag = *email = NULL;
	*when = 0;
	const char *end = raw + len;
	for (const char *p = raw; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		if (eol == p)
			break; /* the blank line ends the headers */
		if (starts_with(p, eol, "tag ") && !*tag) {
			*tag = xstrndup(p + 4, (size_t)(eol - p - 4));
		} else if (starts_with(p, eol, "tagger ") && !*email) {
			const char *lt = memchr(p, '<', (size_t)(eol - p));
			const char *gt = lt ? memchr(lt, '>', (size_t)(eol - lt)) : NULL;
			if (gt) {
				*email = xstrndup(lt + 1, (size_t)(gt - lt - 1));
				char *num = xstrndup(gt + 1, (size_t)(eol - gt - 1));
				*when = strtoll(num, NULL, 10);
				free(num);
			}
		}
		p = nl ? nl + 1 : end;
	}
}

/* ---- the policy ---- */

struct tagverify {
	enum verify_mode mode;
	char *keyring;
	bool has_signers;
	struct allowed_signers signers;
	char *signers_error;      /* why the file could not be used */
};

struct tagverify *tagverify_new(const struct target_cfg *t)
{
	struct tagverify *v = xcalloc(1, sizeof(*v));
	v->mode = t->verify.signatures;
	v->keyring = t->verify.keyring ? xstrdup(t->verify.keyring) : NULL;
	if (v->mode != VERIFY_OFF && t->verify.allowed_signers) {
		struct up_error err = UP_ERROR_INIT;
		if (allowed_signers_load(t->verify.allowed_signers, &v->signers, &err) < 0)
			v->signers_error = xstrdup(err.msg);
		else
			v->has_signers = true;
		err_clear(&err);
	}
	return v;
}

void tagverify_free(struct tagverify **v)
{
	if (!*v)
		return;
	allowed_signers_free(&(*v)->signers);
	free((*v)->keyring);
	free((*v)->signers_error);
	FREE(*v);
}

static void set(struct tag_trust *out, enum tag_verdict v, char *detail)
{
	out->verdict = v;
	free(out->detail);
	out->detail = detail;
}

static void verify_ssh(struct tagverify *v, const char *payload, size_t plen, const char *sig,
		       size_t slen, const char *email, long long when, struct tag_trust *out)
{
	if (v->signers_error)
		return set(out, VERDICT_ERROR, xstrdup(v->signers_error));
	if (!v->has_signers)
		return set(out, VERDICT_UNKNOWN_KEY,
			   xstrdup("SSH-signed, but verify.allowed_signers is not set"));
	struct sshsig s;
	struct up_error err = UP_ERROR_INIT;
	if (sshsig_parse_armored(sig, slen, &s, &err) < 0) {
		set(out, VERDICT_BAD, xstrdup(err.msg));
		err_clear(&err);
		return;
	}
	out->fingerprint = sshsig_key_fingerprint(s.pubkey, s.pubkey_len);
	const struct signer_entry *e = NULL;
	enum signer_match m = allowed_signers_match(&v->signers, s.pubkey, s.pubkey_len, email,
						    SIG_NAMESPACE, when ? when : util_now(), &e);
	/* policy before crypto: the namespace and the key */
	if (strcmp(s.ns, SIG_NAMESPACE) != 0) {
		char *ns = escape_text(s.ns, (size_t)-1, 40, 0);
		set(out, VERDICT_BAD, xasprintf("signed for namespace \"%s\", not \"git\"", ns));
		free(ns);
	} else if (m == SIGNER_UNKNOWN_KEY) {
		set(out, VERDICT_UNKNOWN_KEY, xstrdup("the key is not in the allowed signers"));
	} else if (m == SIGNER_WRONG_PRINCIPAL) {
		char *who = escape_text(email ? email : "(no tagger)", (size_t)-1, 80, 0);
		set(out, VERDICT_UNKNOWN_KEY,
		    xasprintf("the key is not allowed to sign as %s (allowed signers line %d)", who,
			      e->line));
		free(who);
	} else if (m == SIGNER_WRONG_NAMESPACE) {
		set(out, VERDICT_UNKNOWN_KEY,
		    xasprintf("the key's namespaces do not include \"git\" (allowed signers line %d)",
			      e->line));
	} else if (sshsig_verify(&s, SIG_NAMESPACE, payload, plen, &err) < 0) {
		set(out, VERDICT_BAD, xstrdup(err.msg));
	} else if (m == SIGNER_EXPIRED) {
		set(out, VERDICT_EXPIRED,
		    xasprintf("the tag's time is outside the key's valid-after/valid-before "
			      "(allowed signers line %d)", e->line));
	} else {
		set(out, VERDICT_SIGNED, NULL);
		out->principal = xstrdup(email);
	}
	err_clear(&err);
	sshsig_clear(&s);
}

static void verify_pgp(struct tagverify *v, const char *payload, size_t plen, const char *sig,
		       size_t slen, struct tag_trust *out)
{
	if (!v->keyring)
		return set(out, VERDICT_UNKNOWN_KEY,
			   xstrdup("OpenPGP-signed, but verify.keyring is not set"));
	struct gpg_result g;
	struct up_error err = UP_ERROR_INIT;
	if (gpgverify_run(v->keyring, payload, plen, sig, slen, &g, &err) < 0) {
		set(out, VERDICT_ERROR, xstrdup(err.msg));
		err_clear(&err);
		return;
	}
	static const enum tag_verdict map[] = { [GPG_GOOD] = VERDICT_SIGNED, [GPG_BAD] = VERDICT_BAD,
						[GPG_NO_PUBKEY] = VERDICT_UNKNOWN_KEY,
						[GPG_EXPIRED] = VERDICT_EXPIRED };
	set(out, map[g.outcome], g.detail);
	g.detail = NULL;
	out->fingerprint = g.fingerprint;
	out->principal = g.outcome == GPG_GOOD ? g.uid : NULL;
	g.fingerprint = NULL;
	if (g.outcome == GPG_GOOD)
		g.uid = NULL;
	gpg_result_clear(&g);
}

void tagverify_object(struct tagverify *v, const char *tag, const char *raw, size_t len,
		      struct tag_trust *out)
{
	memset(out, 0, sizeof(*out));
	if (raw) {
		char *name, *email;
		long long when;
		tagverify_headers(raw, len, &name, &email, &when);
		bool same = name && strcmp(name, tag) == 0;
		if (!same) {
			char *safe = escape_text(name ? name : "(none)", (size_t)-1, 80, 0);
			set(out, VERDICT_WRONG_TAG, xasprintf("the tag object is named %s", safe));
			free(safe);
		}
		size_t plen, slen;
		tagverify_split(raw, len, &plen, &slen);
		if (!same)
			;
		else if (v->mode == VERIFY_OFF)
			set(out, VERDICT_NOT_CHECKED, NULL);
		else if (slen == 0)
			set(out, VERDICT_UNSIGNED, NULL);
		else if (starts_with(raw + plen, raw + len, SSH_BEGIN))
			verify_ssh(v, raw, plen, raw + plen, slen, email, when, out);
		else
			verify_pgp(v, raw, plen, raw + plen, slen, out);
		free(name);
		free(email);
	} else {
		set(out, v->mode == VERIFY_OFF ? VERDICT_NOT_CHECKED : VERDICT_UNSIGNED, NULL);
	}
}

int tagverify_allows(const struct target_cfg *t, const char *version, const struct tag_trust *tr,
		     struct up_error *err)
{
	enum tag_verdict v = tr->verdict;
	enum verify_mode mode = t->verify.signatures;
	if (v == VERDICT_SIGNED || v == VERDICT_NOT_CHECKED ||
	    (v == VERDICT_UNSIGNED && mode == VERIFY_IF_SIGNED))
		return 0;
	char *what = tagverify_describe(tr);
	if (v == VERDICT_UNSIGNED)
		err_set(err, UP_ERR_MISMATCH,
			_("%s: refusing to install %s: unsigned, and verify.signatures is \"required\""),
			t->name, version);
	else
		err_set(err, UP_ERR_MISMATCH, _("%s: refusing to install %s: %s (verify.signatures: %s)"),
			t->name, version, what,
			mode == VERIFY_REQUIRED ? "required" : mode == VERIFY_OFF ? "off" : "if-signed");
	free(what);
	return -1;
}
