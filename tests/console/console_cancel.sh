#!/bin/bash
# console_cancel.sh - `x` cancels an install from the console: the job is
# stopped after its swap (UPKEEP_PAUSE_AT), cancelled while it waits there
# (Progress says "cancelling..."), then rolled back: the old release's files
# on disk, nothing staged left, History and the state database say
# cancelled. Then `x` on a job of another upkeep process (a batch install
# held before its staging) sends that process SIGTERM after asking: it
# exits 14 and its target is untouched.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/console/lib.sh"
command -v sqlite3 > /dev/null || skip_all "sqlite3 missing"

D=$T/demo
up --demo "$D"
rc_is 0 "upkeep --demo creates the demo" || bail "no demo"
CONF=$D/upkeep.yaml
STATE=$(sed -n 's/^ *state_dir: *//p' "$CONF" | tr -d '"')
[ -n "$STATE" ] && [ -d "$STATE" ] || STATE=$D/state
job_state() { sqlite3 "$STATE/state.db" "SELECT state FROM jobs WHERE id = $1"; }
staged() { # staging trees left beside the demo's apps
	local f
	for f in "$D"/.upkeep-stage-* "$D"/releases/.upkeep-*; do [ -e "$f" ] && printf '%s ' "${f#"$D"/}"; done
	return 0
}
ok "the state database is where the test looks" test -f "$STATE/state.db"
OLD_NOTEKEEPER=$("$D/notekeeper/bin/notekeeper")

# ------------------------------------------------ x on this console's install
PAUSE=$T/paused
RUN_ENV="UPKEEP_PAUSE_AT=install.after-swap UPKEEP_PAUSE_FILE=$PAUSE" start 200 40 --config "$CONF"
see '^▶ notekeeper +1\.0\.0 +2\.0\.0 ' "the console shows notekeeper's update"
keys i
see 'y: install' "i asks before installing"
keys y
for i in $(seq 1 3000); do [ -e "$PAUSE" ] && break; sleep 0.02; done
ok "the install is held just after its swap" test -e "$PAUSE"
see '#[0-9]+ +install notekeeper 2\.0\.0 .*running' "Progress shows the install running"
keys x
see 'Cancel install notekeeper 2\.0\.0\?' "x asks before cancelling"
see 'an install or restore removes what it staged' "the question says what cancelling does"
keys y
see '#[0-9]+ +install notekeeper 2\.0\.0 .*cancelling\.\.\.' "Progress shows cancelling... while the job gets there"
rm -f "$PAUSE"
see '#[0-9]+ +install notekeeper 2\.0\.0 .*cancelled: notekeeper: installing 2\.0\.0 cancelled at post_install; rolled back to 1\.0\.0' \
	"Progress shows the outcome: cancelled, rolled back to 1.0.0"
is "$("$D/notekeeper/bin/notekeeper")" "$OLD_NOTEKEEPER" "the old release is back on disk (bin/notekeeper)"
ok "2.0.0's lib/render.sh is not on disk" test ! -e "$D/notekeeper/lib/render.sh"
is "$(staged)" "" "no staging tree is left"
JOB=$(sqlite3 "$STATE/state.db" "SELECT max(id) FROM jobs WHERE kind = 'install' AND target = 'notekeeper'")
is "$(job_state "$JOB")" cancelled "the state database records the install cancelled"
is "$(sqlite3 "$STATE/state.db" "SELECT installed_version FROM targets WHERE name = 'notekeeper'")" \
	1.0.0 "the state database still records 1.0.0"
keys 4
see "#$JOB +install +notekeeper +cancelled" "History lists the install as cancelled"
see 'cancelled +20.* rolled back to 1\.0\.0' "... rolled back"
keys q
see '^EXITED=0$' "q quits"

# --------------------------------------- x on another process's install
OPAUSE=$T/other-paused
OLD_WIKI=$(cd "$D/wiki" && find . -type f -exec sha256sum {} + | sort | sha256sum)
UPKEEP_PAUSE_AT=install.before-stage UPKEEP_PAUSE_FILE=$OPAUSE timeout -k 5 "$UPKEEP_TEST_TIMEOUT" \
	"$UPKEEP" --config "$CONF" --batch install wiki > "$T/other.out" 2> "$T/other.err" < /dev/null &
OTHER=$!
for i in $(seq 1 3000); do [ -e "$OPAUSE" ] && break; sleep 0.02; done
ok "a batch install of wiki is held before its staging" test -e "$OPAUSE"
OPID=$(cut -d' ' -f1 "$OPAUSE")
start 200 40 --config "$CONF"
keys 2
see "install.*wiki.*\(PID $OPID\)" "Progress lists the other process's install with its PID"
keys Home x
see "Cancel job #[0-9]+ \(install\) of process $OPID\?" "x asks before signalling the other process"
keys y
see "SIGTERM sent to process $OPID" "the console says SIGTERM was sent"
for i in $(seq 1 500); do grep -q "signal received" "$T/other.err" && break; sleep 0.02; done
rm -f "$OPAUSE"
wait "$OTHER"
is "$?" 14 "the other process exits 14 (cancelled)"
like "$(cat "$T/other.err")" "cancelled by SIGTERM: wiki is as it was" "... saying the signal and the state"
is "$(cd "$D/wiki" && find . -type f -exec sha256sum {} + | sort | sha256sum)" "$OLD_WIKI" \
	"wiki's tree is untouched"
is "$(staged)" "" "no staging tree is left"
WJOB=$(sqlite3 "$STATE/state.db" "SELECT max(id) FROM jobs WHERE kind = 'install' AND target = 'wiki'")
is "$(job_state "$WJOB")" cancelled "the state database records wiki's install cancelled"
keys q
see '^EXITED=0$' "q quits"

done_testing
