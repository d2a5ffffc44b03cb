#!/bin/bash
# console_trust.sh - the Updates pane shows each target's newest release's
# signature verdict after its flags (signed in green, a bad one in red), the
# release list under it marks every release, and the release details give
# the verdict in full (unsigned releases are not marked in the lists).
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/console/lib.sh"
command -v ssh-keygen > /dev/null 2>&1 || skip_all "ssh-keygen missing (openssh-client)"

ssh-keygen -q -t ed25519 -N '' -C rel -f "$T/key" || bail "ssh-keygen"
echo "test@upkeep.invalid $(cat "$T/key.pub")" > "$T/allowed_signers"

signed_release() { # signed_release WORK TAG
	printf 'version=%s\n' "$2" > "$1/VERSION"
	git -C "$1" add -A && git -C "$1" commit -q -m "Release $2" || bail "commit $2"
	git -C "$1" -c gpg.format=ssh -c user.signingkey="$T/key" tag -s -m "Release $2" "$2" \
		|| bail "git tag -s $2"
}
G=$T/work/good
git_work "$G"
git_release "$G" v1.0.0 "Release 1.0.0"
signed_release "$G" v1.1.0
git_bare "$G" "$T/srv/good.git"
B=$T/work/bad
git_work "$B"
git_release "$B" v1.0.0 "Release 1.0.0"
signed_release "$B" v1.1.0
git -C "$B" cat-file tag v1.1.0 | sed 's/^Release v1.1.0$/Release v1.1.0, edited/' > "$T/tampered"
git -C "$B" update-ref refs/tags/v1.1.0 "$(git -C "$B" hash-object -t tag -w "$T/tampered")" \
	|| bail "tamper"
git_bare "$B" "$T/srv/bad.git"

CFG=$T/upkeep.yaml
config_new "$CFG"
V="verify: { signatures: if-signed, allowed_signers: $T/allowed_signers }"
config_target "$CFG" good "file://$T/srv/good.git" "$T/apps/good" stable semver "$V"
config_target "$CFG" bad "file://$T/srv/bad.git" "$T/apps/bad" stable semver "$V"

plan 7
start 120 30 --config "$CFG"
see '^▶ good +- +1\.1\.0 +\[M\]major +signed +2 ' "the good target's newest release: signed"
see '^  bad +- +1\.1\.0 +\[M\]major +bad sig +2 ' "the tampered one: bad sig"
see '^  +v1\.1\.0 .* signed ' "the release list marks the signed release"
see '^  +v1\.0\.0 +\[M\]major +[0-9-]+ Release 1\.0\.0' "... not the unsigned one (no mark: the common case)"
keys Down Enter
see 'Signature: bad signature: signature does not match' "the details give the verdict in full"
keys Escape
gone 'Signature:' "Esc closes the details"
quit_console
