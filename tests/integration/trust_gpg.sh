#!/bin/bash
# trust_gpg.sh - OpenPGP-signed tags checked by gpgv against the keyring the
# config names: signed, unknown key, expired key, a tampered tag object, gpgv
# missing; the install preflight under "required".
. "$top_srcdir/tests/lib.sh"
command -v gpg > /dev/null 2>&1 || skip_all "gpg missing (apt-get install gnupg)"
command -v gpgv > /dev/null 2>&1 || skip_all "gpgv missing (apt-get install gpgv)"
umask 022

export GNUPGHOME=$T/gnupg
mkdir -m 700 "$GNUPGHOME"
# gpg starts an agent for GNUPGHOME: stop it on every exit (a failed run
# keeps $T, and with it the agent's socket).
trap '_st=$?; gpgconf --kill gpg-agent > /dev/null 2>&1; (exit $_st); _cleanup' EXIT
genkey() { # genkey UID [FAKED-TIME EXPIRY]
	gpg -q --batch --passphrase '' ${2:+--faked-system-time "$2"} \
		--quick-gen-key "$1" ed25519 sign "${3:-never}" 2> /dev/null || bail "gpg key $1"
}
genkey "Release Signer <release@upkeep.invalid>"
genkey "Stranger <stranger@upkeep.invalid>"
genkey "Old Signer <old@upkeep.invalid>" 20200101T000000 1y
fpr() { gpg --with-colons --fingerprint "$1" | awk -F: '$1 == "fpr" { print $10; exit }'; }
gpg -q --batch --export release@upkeep.invalid old@upkeep.invalid > "$T/keyring.gpg" \
	|| bail "gpg --export"
# the same keys armored (a .asc file), and a copy with one base64 line damaged
gpg -q --batch --export --armor release@upkeep.invalid old@upkeep.invalid > "$T/keyring.asc" \
	|| bail "gpg --export --armor"
awk 'NR == 6 { $0 = substr($0, 1, 10) "!" substr($0, 12) } { print }' "$T/keyring.asc" > "$T/damaged.asc"
awk '/^=/ && length($0) == 5 { $0 = "=AAAA" } { print }' "$T/keyring.asc" > "$T/badcrc.asc"
# signing with the key that expired in 2021 needs a clock in 2020
printf '#!/bin/sh\nexec gpg --faked-system-time 20200601T000000 "$@"\n' > "$T/gpg-2020"
chmod 755 "$T/gpg-2020"

W=$T/work/app
git_work "$W"
signed() { # signed UID TAG [GPG-PROGRAM]
	printf 'version=%s\n' "$2" > "$W/VERSION"
	git -C "$W" add -A && git -C "$W" commit -q -m "Release $2" || bail "commit $2"
	git -C "$W" -c gpg.program="${3:-gpg}" tag -s -u "$1" -m "Release $2" "$2" 2> /dev/null \
		|| bail "git tag -s $2"
}
signed release@upkeep.invalid v1.0.0
signed stranger@upkeep.invalid v1.1.0
signed old@upkeep.invalid v1.2.0 "$T/gpg-2020"
signed release@upkeep.invalid v1.3.0
git -C "$W" cat-file tag v1.3.0 | sed 's/^Release v1.3.0$/Release v1.3.0 (edited)/' > "$T/tampered"
grep -q edited "$T/tampered" || bail "tampering failed"
git -C "$W" update-ref refs/tags/v1.3.0 "$(git -C "$W" hash-object -t tag -w "$T/tampered")" \
	|| bail "write the tampered tag"
git_bare "$W" "$T/srv/app.git"

mkdir -p "$T/apps"
CFG=$T/upkeep.yaml
config_new "$CFG"
config_target "$CFG" app "file://$T/srv/app.git" "$T/apps/app" stable semver \
	"verify: { signatures: required, keyring: $T/keyring.gpg }"
for k in keyring damaged badcrc; do
	config_target "$CFG" "asc-$k" "file://$T/srv/app.git" "$T/apps/asc-$k" stable semver \
		"verify: { signatures: required, keyring: $T/$k.asc }"
done

plan 19

up --config "$CFG" --batch check --json
rc_is 100 "check: exit 100"
is "$(jq_release app v1.0.0 .verdict)" "signed" "a key in the keyring: signed"
is "$(jq_release app v1.0.0 .trust)" \
	"signed by Release Signer <release@upkeep.invalid> ($(fpr release@upkeep.invalid))" \
	"signed by the user id (the primary key's fingerprint)"
is "$(jq_release app v1.1.0 .verdict)" "unknown key" "a key not in the keyring: unknown key"
is "$(jq_release app v1.2.0 .verdict)" "key expired" "a key that has expired: key expired"
is "$(jq_release app v1.3.0 .verdict)" "bad signature" "message edited after signing: bad signature"
is "$(jq_release asc-keyring v1.0.0 .trust)" "$(jq_release app v1.0.0 .trust)" \
	"an armored keyring (gpg --export --armor): the same verdict as the binary one"
is "$(jq_release asc-keyring v1.2.0 .verdict),$(jq_release asc-keyring v1.3.0 .verdict)" \
	"key expired,bad signature" "... and the same refusals"
is "$(jq_release asc-damaged v1.0.0 .verdict)" "error" "damaged armor: verdict error"
like "$(jq_release asc-damaged v1.0.0 .trust)" "damaged\\.asc:6: not a valid armored OpenPGP keyring" \
	"... naming the file and the line"
like "$(jq_release asc-badcrc v1.0.0 .trust)" "badcrc\\.asc:[0-9]+: .*CRC-24 checksum does not match" \
	"a wrong CRC-24 line: refused, naming the file and line"
ok "gpgv's private directories are removed" \
	test -z "$(find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'upkeep-gpgv-*' -newer "$CFG" 2> /dev/null)"

inst() { up --config "$CFG" --batch install --json "$@"; }
inst app 1.2.0
rc_is 8 "install: key expired refused (exit 8)"
inst app 1.3.0
rc_is 8 "install: bad signature refused"
inst asc-damaged 1.0.0
rc_is 8 "install: a damaged armored keyring refuses (exit 8)"
inst app 1.0.0
rc_is 0 "install: signed installs"
is "$(jq -r .verdict < "$OUT")" "signed" "json: the install's verdict"

# no gpgv to run: the verdict says so, nothing is trusted
run env PATH=/nonexistent "$UPKEEP" --config "$CFG" --batch check --json
is "$(jq_release app v1.1.0 .verdict)" "error" "gpgv missing: verdict error"
like "$(jq_release app v1.1.0 .trust)" "cannot run gpgv" "... saying gpgv cannot be run"
