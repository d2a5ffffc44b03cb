#!/bin/bash
# console_install.sh - installing from the keyboard: release details (tag
# message, commits, the plan), the confirmation with its plan, local drift
# listed and confirmed explicitly (f), Progress reaching done with the new
# release's files on disk, and a failing health check rolled back and shown
# in History with its error.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/console/lib.sh"

D=$T/demo
up --demo "$D"
rc_is 0 "upkeep --demo creates the demo" || bail "no demo"
CONF=$D/upkeep.yaml
# wiki's health check fails for the new release (the old one stays
# healthy): its install must roll back.
printf '#!/bin/sh\n[ "$UPKEEP_TO" = 2024-02-09a ] || exit 0\necho "wiki answers 500" >&2\nexit 1\n' \
	> "$T/health.sh"
chmod +x "$T/health.sh"
sed -i "/^  wiki:/,\$ s|^    preserve: \\[data/\\]\$|    preserve: [data/]\n    health: { command: \"$T/health.sh\", retries: 1, interval: 100ms }|" "$CONF"
grep -q 'health.sh' "$CONF" || bail "cannot give wiki a failing health check"
up --config "$CONF" --check-config
rc_is 0 "the configuration with a failing health check is valid"
# A local change outside preserve: the install must ask before overwriting it.
echo "# local tweak" >> "$D/notekeeper/lib/search.sh"

start 100 30 --config "$CONF"
see '^▶ notekeeper +1\.0\.0 +2\.0\.0 +\[M\]major .*just now +ok' "the console checks notekeeper: 2.0.0 is newest"

# ---------------------------------------------------------------- details
keys Enter
see 'notekeeper: release v2\.0\.0' "Enter opens the release details"
see 'Tag message:' "the details show the tag message"
see 'One file per note; notes are migrated on first start' "... its text"
see 'Commits since 1\.0\.0: 5' "the details count the commits since the installed release"
see 'Migrate notes on first start' "... and list their subjects"
see 'Signature: unsigned' "the details give the signature verdict"
keys End
see 'Install plan: 1\.0\.0 -> 2\.0\.0' "the details end with the install plan"
see 'health: .*notekeeper --health' "the plan names the health check"
keys Escape
gone 'Tag message:' "Esc closes the details at once"

# ---------------------------------------------------------------- drift
keys i
see 'Install notekeeper 2\.0\.0\?' "i asks before installing"
see 'Changed locally since the installed release \(1\)' "the question lists the local changes"
see '^ *│ +modified: lib/search\.sh' "... naming the changed file"
see 'f: install anyway' "it asks for f, not y, to overwrite them"
keys y
see 'Press f to answer yes' "y does not overwrite local changes"
keys Escape
gone 'Install notekeeper' "Esc cancels"
like "$(tail -n 1 "$D/notekeeper/lib/search.sh")" '^# local tweak$' "nothing was installed: the local change is still there"
ok "render.sh of 2.0.0 is not there yet" test ! -e "$D/notekeeper/lib/render.sh"

keys i
see 'f: install anyway' "i asks again"
keys f
see 'Job +What +Progress' "the install switches to Progress"
see '#[0-9]+ +install notekeeper 2\.0\.0 .*100% +done' "Progress shows the install reach done"
see 'Steps: ✓ preflight ✓ snapshot ✓ stage ✓ pre_install ✓ preserve ✓ swap' \
	"Progress shows its steps, each marked done"
ok "the new release's files are on disk (lib/render.sh)" test -f "$D/notekeeper/lib/render.sh"
is "$("$D/notekeeper/bin/notekeeper")" "notekeeper 2.0.0" "bin/notekeeper is the 2.0.0 one"
unlike "$(cat "$D/notekeeper/lib/search.sh")" 'local tweak' "the local change was overwritten, as confirmed"
keys 1
see '^▶ notekeeper +2\.0\.0 ' "Updates shows 2.0.0 installed"
see '^▶ notekeeper .* install ok' "... and the last job: install ok"

# ---------------------------------------------------------------- rollback
keys j
see '^▶ wiki +2024-01-15 +2024-02-09a' "wiki selected"
keys i
see 'y: install' "i on wiki asks"
keys y
see '#[0-9]+ +install wiki 2024-02-09a .*failed' "the wiki install fails"
keys 4
see '#[0-9]+ +install +wiki +rolled back' "History lists it as rolled back"
see 'rolled back +20.* wiki: installing' "... with its error"
keys j
see '^▶ #[0-9]+ +install +wiki +rolled back' "j selects it"
keys Enter
see 'failed at health' "Enter shows the job: it failed at health"
see '✗ health' "... the health step marked failed"
see '✓ rollback' "... and the rollback step done"
keys Escape
keys o
see 'outcome ok\]' "o filters History by outcome (ok)"
gone 'rolled back +20' "... the rolled back job is hidden"
keys o o
see 'outcome rolled back\]' "o again: rolled back"
see '#[0-9]+ +install +wiki +rolled back' "... the rolled back job is listed"
up --config "$CONF" --batch check --json wiki
is "$(jq_target wiki .installed)" "2024-01-15" "the state still says wiki 2024-01-15 is installed"
ok "wiki's tree is the old release" test -f "$D/wiki/doku.php"
quit_console

done_testing
