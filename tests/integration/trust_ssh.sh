#!/bin/bash
# trust_ssh.sh - SSH-signed tags (git's gpg.format=ssh): every verdict of
# `--batch check --json` produced from real keys and real `git tag -s`
# (Ed25519, ECDSA P-256 and P-384, RSA), the allowed-signers rules
# (principal, namespaces, valid-before), a tampered tag object, a signature
# for another namespace, a tag object moved under another name, and the
# install preflight refusing what the policy does not accept (exit 8).
. "$top_srcdir/tests/lib.sh"
command -v ssh-keygen > /dev/null 2>&1 || skip_all "ssh-keygen missing (openssh-client)"
umask 022

K=$T/keys
mkdir -p "$K"
newkey() { ssh_sign_key "$K/$2" "$1" "${3:-}"; }
newkey ed25519 ed
newkey ecdsa p256 256
newkey ecdsa p384 384
newkey rsa rsa 3072
newkey ed25519 stranger
newkey ed25519 other
newkey ed25519 filens
newkey ed25519 old
fpr() { ssh-keygen -lf "$K/$1.pub" | awk '{ print $2 }'; }

ME=test@upkeep.invalid   # the tagger of every tag (tests/lib.sh's git identity)
{
	echo "# release signers"
	echo "$ME $(cat "$K/ed.pub")"
	echo "\"$ME\" namespaces=\"git\" $(cat "$K/p256.pub")"
	echo "*@upkeep.invalid,!nobody@upkeep.invalid $(cat "$K/p384.pub")"
	echo "$ME namespaces=\"file,git\" $(cat "$K/rsa.pub")"
	echo "other@upkeep.invalid $(cat "$K/other.pub")"
	echo "$ME namespaces=\"file\" $(cat "$K/filens.pub")"
	echo "$ME valid-after=\"20190101\",valid-before=\"20200101Z\" $(cat "$K/old.pub")"
} > "$T/allowed_signers"

# ---------------------------------------------------------------- releases
W=$T/work/app
git_work "$W"
commit() {
	printf 'version=%s\n' "$1" > "$W/VERSION"
	git -C "$W" add -A && git -C "$W" commit -q -m "Release $1" || bail "commit $1"
}
signed() { git_signed_release "$W" "$K/$1" "$2"; } # signed KEY TAG
signed ed v1.0.0
signed p256 v1.1.0
signed p384 v1.2.0
signed rsa v1.3.0
commit v1.4.0; git -C "$W" tag -a -m "Release v1.4.0" v1.4.0 || bail "tag v1.4.0"
commit v1.5.0; git -C "$W" tag v1.5.0 || bail "tag v1.5.0"
signed stranger v1.6.0
signed other v1.7.0
signed filens v1.8.0
signed old v1.9.0
# tampered: the message edited after signing, the signature kept
signed ed v1.10.0
git -C "$W" cat-file tag v1.10.0 | sed 's/^Release v1.10.0$/Release v1.10.0 (now with a backdoor)/' > "$T/tampered"
grep -q backdoor "$T/tampered" || bail "tampering failed"
git -C "$W" update-ref refs/tags/v1.10.0 "$(git -C "$W" hash-object -t tag -w "$T/tampered")" \
	|| bail "write the tampered tag"
# a valid signature, but made for the namespace "file"
commit v1.11.0; git -C "$W" tag -a -m "Release v1.11.0" v1.11.0 || bail "tag v1.11.0"
git -C "$W" cat-file tag v1.11.0 > "$T/payload"
ssh-keygen -q -Y sign -n file -f "$K/ed" "$T/payload" 2> /dev/null || bail "ssh-keygen -Y sign"
cat "$T/payload" "$T/payload.sig" > "$T/filesig"
git -C "$W" update-ref refs/tags/v1.11.0 "$(git -C "$W" hash-object -t tag -w "$T/filesig")" \
	|| bail "write the file-namespace tag"
# the correctly signed tag object of v1.0.0 served as v1.12.0
git -C "$W" update-ref refs/tags/v1.12.0 "$(git -C "$W" rev-parse refs/tags/v1.0.0)" \
	|| bail "teleport v1.0.0"
git_bare "$W" "$T/srv/app.git"
URL=file://$T/srv/app.git

mkdir -p "$T/apps"
CFG=$T/upkeep.yaml
config_new "$CFG"
config_target "$CFG" app "$URL" "$T/apps/app" stable semver \
	"verify: { signatures: required, allowed_signers: $T/allowed_signers }"
config_target "$CFG" lax "$URL" "$T/apps/lax" stable semver \
	"verify: { signatures: if-signed, allowed_signers: $T/allowed_signers }"
config_target "$CFG" nosigners "$URL" "$T/apps/nosigners"
config_target "$CFG" off "$URL" "$T/apps/off" stable semver "verify: { signatures: off }"

plan 44

# ---------------------------------------------------------------- check
up --config "$CFG" --batch check --json app nosigners off
rc_is 100 "check: exit 100 (updates)"
v() { jq_release app "$1" .verdict; }
is "$(v v1.0.0)" "signed" "Ed25519 signature: signed"
is "$(v v1.1.0)" "signed" "ECDSA P-256 signature: signed"
is "$(v v1.2.0)" "signed" "ECDSA P-384 signature (pattern list principal): signed"
is "$(v v1.3.0)" "signed" "RSA signature (rsa-sha2-512): signed"
is "$(jq_release app v1.0.0 .trust)" "signed by $ME ($(fpr ed))" \
	"trust text: signed by PRINCIPAL (the key's SHA256 fingerprint, as ssh-keygen -l)"
is "$(jq_release app v1.3.0 .fingerprint)" "$(fpr rsa)" "json: the RSA key's fingerprint"
is "$(jq_release app v1.1.0 .signer)" "$ME" "json: the signer"
is "$(v v1.4.0)" "unsigned" "annotated without a signature: unsigned"
is "$(v v1.5.0)" "unsigned" "lightweight: unsigned"
is "$(v v1.6.0)" "unknown key" "a key not in allowed_signers: unknown key"
is "$(v v1.7.0)" "unknown key" "a key allowed for another principal only: unknown key"
like "$(jq_release app v1.7.0 .trust)" "not allowed to sign as $ME" "... saying which principal"
is "$(v v1.8.0)" "unknown key" "a key limited to namespaces=\"file\": unknown key"
like "$(jq_release app v1.8.0 .trust)" 'namespaces do not include "git"' "... saying why"
is "$(v v1.9.0)" "key expired" "a key whose valid-before has passed: key expired"
is "$(v v1.10.0)" "bad signature" "message edited after signing: bad signature"
is "$(v v1.11.0)" "bad signature" "a signature for namespace \"file\": bad signature"
like "$(jq_release app v1.11.0 .trust)" 'namespace "file", not "git"' "... naming the namespace"
is "$(v v1.12.0)" "wrong tag" "a signed tag object served under another name: wrong tag"
like "$(jq_release app v1.12.0 .trust)" 'named v1\.0\.0' "... naming the tag it really is"
is "$(jq_release nosigners v1.0.0 .verdict)" "unknown key" \
	"default policy, no allowed_signers: a signed tag is an unknown key"
is "$(jq_release nosigners v1.4.0 .verdict)" "unsigned" "default policy: unsigned stays unsigned"
is "$(jq_release off v1.10.0 .verdict)" "not checked" "signatures: off: not checked"
is "$(jq_target app .verdict)" "wrong tag" "json: the newest release's verdict at the top level"

up --config "$CFG" --batch check app
like "$(cat "$OUT")" '^app +- +1\.12\.0 +major +- +13 +wrong tag: ' "table: the TRUST column"

# ---------------------------------------------------------------- install
inst() { up --config "$CFG" --batch install --json "$@"; }
inst app 1.4.0
rc_is 8 "required: unsigned refused (exit 8)"
like "$(jq -r .error < "$OUT")" 'unsigned, and verify.signatures is "required"' "... saying why"
ok "... nothing installed" test ! -e "$T/apps/app"
inst app 1.10.0
rc_is 8 "required: bad signature refused"
is "$(jq -r .verdict < "$OUT")" "bad signature" "json: the install's verdict"
inst app 1.9.0
rc_is 8 "required: key expired refused"
inst app 1.6.0
rc_is 8 "required: unknown key refused"
inst app 1.12.0
rc_is 8 "required: wrong tag refused"
inst lax 1.7.0
rc_is 8 "if-signed: a signature by a key not allowed for the tagger is refused"
inst lax 1.4.0
rc_is 0 "if-signed: unsigned installs"

inst app 1.3.0
rc_is 0 "required: signed installs"
is "$(jq -r .trust < "$OUT")" "signed by $ME ($(fpr rsa))" "json: install reports who signed"
is "$(jq -r --arg p "verification: signed by $ME ($(fpr rsa)) (tag object " \
	'[.log[] | select(startswith($p))] | length' < "$OUT")" 1 \
	"the journal records the verdict and the verified tag object"
git_export "$T/srv/app.git" v1.3.0 "$T/expect"
ok "the installed tree is the signed release's" diff -r "$T/expect" "$T/apps/app"

# the verdict is stored with the release in the state database
up --config "$CFG" --batch check --json app
is "$(jq_release app v1.10.0 .verdict)" "bad signature" "a later check gives the same verdict"
if command -v sqlite3 > /dev/null 2>&1; then
	is "$(sqlite3 "$T/state/state.db" "SELECT verdict FROM releases WHERE target = 'app' AND tag = 'v1.9.0'")" \
		"key expired" "the state database holds the verdict"
else
	skip 1 "sqlite3 missing"
fi

# an allowed_signers file that cannot be used
printf 'x@y cert-authority %s\n' "$(cat "$K/ed.pub")" > "$T/ca_signers"
CFG2=$T/ca.yaml
config_new "$CFG2" "$T/state2" "$T/cache2"
config_target "$CFG2" app "$URL" "$T/apps/ca" stable semver \
	"verify: { signatures: required, allowed_signers: $T/ca_signers }"
up --config "$CFG2" --batch check --json
is "$(jq_release app v1.0.0 .verdict)" "error" "cert-authority: the verdict is error"
like "$(jq_release app v1.0.0 .trust)" "ca_signers:1: cert-authority: SSH certificates are not supported" \
	"... naming the file, the line and the reason"
