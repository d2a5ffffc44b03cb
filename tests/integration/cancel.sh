#!/bin/bash
# cancel.sh - SIGTERM, SIGINT and SIGHUP cancel a batch command cleanly.
# Each run stops the job at a known point (UPKEEP_PAUSE_AT), signals it
# there, lets it go on, and asserts the outcome: before the swap the old
# tree is intact byte for byte with nothing staged left; from the swap
# until the health check it is rolled back; after the health check the new
# release is kept; a second signal never cuts a rollback short. Every run
# checks the tree (tests/crashlib.sh's invariant), the exit code and the
# job's row in the state database.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/crashlib.sh"
umask 022
git config --global tar.umask 022
command -v sqlite3 > /dev/null || skip_all "sqlite3 missing"

ROOT=$T/root
PAUSE=$T/paused
crash_release_repo "$T/work/app" "$T/srv/app.git"
crash_setup "$ROOT"
# The hook can hold a rollback (while FLAGS/hold exists) until the test
# lets it go: its last line, "exit 0", comes after that.
sed -i '$d' "$T/hook.sh"
cat >> "$T/hook.sh" <<HOLD
if [ "\$UPKEEP_PHASE" = rollback:pre_install ] && [ -e "$FLAGS/hold" ]; then
	: > "$FLAGS/holding"
	while [ -e "$FLAGS/hold" ]; do sleep 0.05; done
	rm -f "$FLAGS/holding"
fi
# a slow pre_install hook with a child of its own
if [ "\$UPKEEP_PHASE" = pre_install ] && [ -e "$FLAGS/slow" ]; then
	sleep 300 &
	echo "\$\$ \$!" > "$FLAGS/slow.pids.tmp" && mv "$FLAGS/slow.pids.tmp" "$FLAGS/slow.pids"
	wait
fi
exit 0
HOLD
crash_save "$T/pristine"
crash_expect "$T/pristine"
isnt "$OLD_app" "$NEW_app" "fixture: the old and the new tree differ"

# paused_run SIGNALS POINT ARGS... : runs upkeep ARGS with a pause at POINT,
# sends each of SIGNALS (comma-separated) once it is paused there, lets it
# go on and waits: $RC, $OUT, $ERR as run() sets them.
paused_run() {
	local sigs=$1 point=$2 pid s i
	shift 2
	rm -f "$PAUSE"
	UPKEEP_PAUSE_AT=$point UPKEEP_PAUSE_FILE=$PAUSE timeout -k 5 "$UPKEEP_TEST_TIMEOUT" \
		"$UPKEEP" "$@" > "$OUT" 2> "$ERR" < /dev/null &
	local bg=$!
	for i in $(seq 1 3000); do [ -e "$PAUSE" ] && break; sleep 0.02; done
	pid=$(cut -d' ' -f1 "$PAUSE" 2> /dev/null)
	if [ -n "$pid" ]; then
		for s in ${sigs//,/ }; do kill -"$s" "$pid"; done
		rm -f "$PAUSE"
	fi
	wait "$bg"
	RC=$?
	_LAST_CMD="UPKEEP_PAUSE_AT=$point upkeep $* (signals $sigs)"
}

# job_row ID : "kind state" of a job.
job_row() {
	sqlite3 -separator ' ' "$STATE/state.db" "SELECT kind, state FROM jobs WHERE id = $1"
}
last_job() { # last_job KIND : the newest job of KIND
	sqlite3 "$STATE/state.db" "SELECT max(id) FROM jobs WHERE kind = '$1'"
}
# leftovers : staging trees beside the apps and scratch directories of jobs
leftovers() {
	local f
	for f in "$APPS"/.upkeep-* "$STATE"/tmp/*; do [ -e "$f" ] && printf '%s ' "${f#"$ROOT"/}"; done
	return 0
}
pre_updates() {
	sqlite3 "$STATE/archive/index.db" "SELECT count(*) FROM snapshots WHERE reason = 'pre-update'"
}

# ---------------------------------------------- SIGTERM before the swap
crash_reset "$T/pristine"
paused_run TERM install.before-stage --config "$CFG" --batch install app 1.1.0
rc_is 14 "SIGTERM before the swap: exit 14"
is "$(crash_check app)" old "SIGTERM before the swap: the old tree, byte for byte, and 1.0.0 recorded"
is "$(leftovers)" "" "SIGTERM before the swap: no staging tree, no scratch directory"
is "$(job_row "$(last_job install)")" "install cancelled" "SIGTERM before the swap: the job is recorded cancelled"
like "$(cat "$ERR")" "cancelled by SIGTERM: app is as it was \(1\.0\.0\)" \
	"SIGTERM before the swap: the message names the signal and the state"
is "$(pre_updates)" 1 "SIGTERM before the swap: the complete pre-update snapshot is kept"
up --config "$CFG" --batch verify --all --read-data
rc_is 0 "SIGTERM before the swap: the archive verifies clean"
unlike "$(cat "$HOOKLOG")" "pre_install" "SIGTERM before the swap: no hook ran"

# --------------------------------- SIGINT after the swap, before health
crash_reset "$T/pristine"
paused_run INT install.after-swap --config "$CFG" --batch install app 1.1.0
rc_is 14 "SIGINT after the swap: exit 14"
is "$(crash_check app)" old "SIGINT after the swap: rolled back to the old tree and 1.0.0"
is "$(leftovers)" "" "SIGINT after the swap: nothing left over"
is "$(job_row "$(last_job install)")" "install cancelled" "SIGINT after the swap: the job is recorded cancelled"
like "$(cat "$ERR")" "cancelled by SIGINT: app was rolled back to 1\.0\.0" "SIGINT after the swap: the message says rolled back"
like "$(cat "$HOOKLOG")" "^rollback:post_install 1\.1\.0 1\.0\.0 app" "SIGINT after the swap: the old release's hooks ran again"
is "$(sqlite3 "$STATE/state.db" "SELECT last_outcome FROM targets WHERE name = 'app'")" \
	"cancelled, rolled back" "SIGINT after the swap: the target's last outcome"

# the same in the releases layout, SIGHUP
crash_reset "$T/pristine"
paused_run HUP install.before-post_install --config "$CFG" --batch install rel 1.1.0
rc_is 14 "SIGHUP after the switch (releases layout): exit 14"
is "$(crash_check rel)" old "SIGHUP after the switch (releases layout): back on releases/1.0.0"

# ------------------------------------------- a signal after health passed
crash_reset "$T/pristine"
paused_run TERM install.after-health --config "$CFG" --batch install app 1.1.0
rc_is 0 "SIGTERM after the health check: the install finishes (exit 0)"
is "$(crash_check app)" new "SIGTERM after the health check: the new release is kept"
like "$(cat "$ERR")" "too late to cancel" "SIGTERM after the health check: says it is too late"
is "$(job_row "$(last_job install)")" "install ok" "SIGTERM after the health check: the job is ok"

# ------------------------- SIGTERM while a hook runs: its group is ended
crash_reset "$T/pristine"
: > "$FLAGS/slow"
timeout -k 5 "$UPKEEP_TEST_TIMEOUT" "$UPKEEP" --config "$CFG" --batch install app 1.1.0 \
	> "$OUT" 2> "$ERR" < /dev/null &
BG=$!
for i in $(seq 1 3000); do [ -e "$FLAGS/slow.pids" ] && break; sleep 0.02; done
read -r HOOK_PID CHILD_PID < "$FLAGS/slow.pids"
UPKEEP_PID=$(pgrep -P "$BG" -x upkeep || echo "$BG")
kill -TERM "$UPKEEP_PID"
wait "$BG"
RC=$?
rc_is 14 "SIGTERM during the pre_install hook: exit 14"
# alive PID : running (a zombie waiting for its reaper is not)
alive() { [ -e "/proc/$1" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2> /dev/null; }
for i in $(seq 1 250); do alive "$CHILD_PID" || break; sleep 0.02; done
nok "the hook was ended" alive "$HOOK_PID"
nok "the hook's child was ended with its process group" alive "$CHILD_PID"
like "$(sqlite3 "$STATE/state.db" "SELECT text FROM job_events WHERE job_id = $(last_job install)")" \
	"pre_install command .* was cancelled" "the journal names the hook as cancelled"
is "$(crash_check app)" old "SIGTERM during the pre_install hook: the old tree and 1.0.0"
like "$(cat "$HOOKLOG")" "^rollback:post_install" "SIGTERM during the pre_install hook: the application is started again"
is "$(leftovers)" "" "SIGTERM during the pre_install hook: nothing left over"
rm -f "$FLAGS/slow"

# ----------------------------------- a second signal during the rollback
crash_reset "$T/pristine"
: > "$FLAGS/hold"
UPKEEP_PAUSE_AT=install.after-swap UPKEEP_PAUSE_FILE=$PAUSE timeout -k 5 "$UPKEEP_TEST_TIMEOUT" \
	"$UPKEEP" --config "$CFG" --batch install app 1.1.0 > "$OUT" 2> "$ERR" < /dev/null &
BG=$!
for i in $(seq 1 3000); do [ -e "$PAUSE" ] && break; sleep 0.02; done
PID=$(cut -d' ' -f1 "$PAUSE")
kill -TERM "$PID"
rm -f "$PAUSE"
for i in $(seq 1 3000); do [ -e "$FLAGS/holding" ] && break; sleep 0.02; done
ok "double signal: the rollback's hook is running" test -e "$FLAGS/holding"
kill -TERM "$PID"
kill -INT "$PID"
for i in $(seq 1 500); do grep -q "finishing the rollback" "$ERR" && break; sleep 0.02; done
rm -f "$FLAGS/hold"
wait "$BG"
RC=$?
rc_is 14 "double signal: exit 14"
like "$(cat "$ERR")" "finishing the rollback" "double signal: the second signal says the rollback goes on"
is "$(crash_check app)" old "double signal: the rollback completed: the old tree and 1.0.0"
is "$(leftovers)" "" "double signal: nothing left over"
like "$(cat "$HOOKLOG")" "^rollback:post_install" "double signal: the rollback ran to its post hook"

# ------------------- a cancel's rollback killed with SIGKILL: recovered
crash_reset "$T/pristine"
: > "$FLAGS/hold"
paused_bg() { # paused_bg POINT ARGS... : starts upkeep held at POINT; $BG, $PID
	local point=$1 i
	shift
	rm -f "$PAUSE"
	UPKEEP_PAUSE_AT=$point UPKEEP_PAUSE_FILE=$PAUSE timeout -k 5 "$UPKEEP_TEST_TIMEOUT" \
		"$UPKEEP" "$@" > "$OUT" 2> "$ERR" < /dev/null &
	BG=$!
	for i in $(seq 1 3000); do [ -e "$PAUSE" ] && break; sleep 0.02; done
	PID=$(cut -d' ' -f1 "$PAUSE")
}
paused_bg install.after-swap --config "$CFG" --batch install app 1.1.0
kill -TERM "$PID"
rm -f "$PAUSE"
for i in $(seq 1 3000); do [ -e "$FLAGS/holding" ] && break; sleep 0.02; done
kill -KILL "$PID"
wait "$BG"
rm -f "$FLAGS/hold"
for i in $(seq 1 500); do [ -e "$FLAGS/holding" ] || break; sleep 0.02; done # the orphaned hook ends
up --config "$CFG" --batch recover
rc_is 0 "SIGKILL during a cancel's rollback: recover exits 0"
is "$(crash_check app)" old "SIGKILL during a cancel's rollback: recovered to the old tree and 1.0.0"
# (the dead job's STATE/tmp scratch directory is recovery's to remove)
is "$(ls -A "$APPS" | grep '^\.upkeep-')" "" "SIGKILL during a cancel's rollback: no staging tree left"

# ---------------------------------------------- the policy run cancelled
# app's policy installs every release; the run is stopped inside app's
# install, so rel (the next target) is not reached
crash_reset "$T/pristine"
sed "/^  app:\$/a\\    policy: { auto_install: [major, minor, patch] }" "$CFG" > "$T/policy.yaml"
up --config "$T/policy.yaml" --check-config
rc_is 0 "policy run: the configuration with a policy is valid"
paused_run TERM install.after-swap --config "$T/policy.yaml" --batch run
rc_is 14 "policy run cancelled inside an install: exit 14"
is "$(crash_check app)" old "policy run cancelled: app rolled back to the old tree and 1.0.0"
is "$(crash_check rel)" old "policy run cancelled: rel untouched"
is "$(job_row "$(last_job policy)")" "policy cancelled" "policy run cancelled: the run's job is recorded cancelled"
like "$(cat "$ERR")" "cancelled by SIGTERM: the policy run stopped" "policy run cancelled: the message"
is "$(leftovers)" "" "policy run cancelled: nothing left over"

# ------------------------------------------------------ restore cancelled
crash_reset "$T/pristine"
up --config "$CFG" --batch backup app
rc_is 0 "restore: a snapshot to restore"
SNAP=$(sqlite3 "$STATE/archive/index.db" "SELECT max(id) FROM snapshots WHERE target = 'app'")
printf 'changed after the snapshot\n' > "$APPS/app/lib/gen/m1.txt"
BEFORE=$(treehash "$APPS/app/")
paused_run TERM restore.after-swap --config "$CFG" --batch restore app "$SNAP"
rc_is 14 "restore cancelled after the swap: exit 14"
is "$(treehash "$APPS/app/")" "$BEFORE" "restore cancelled after the swap: the live tree is as before"
is "$(leftovers)" "" "restore cancelled after the swap: nothing left over"
is "$(job_row "$(last_job restore)")" "restore cancelled" "restore cancelled after the swap: the job is recorded cancelled"
paused_run TERM restore.before-stage --config "$CFG" --batch restore app "$SNAP"
rc_is 14 "restore cancelled before staging: exit 14"
is "$(treehash "$APPS/app/")" "$BEFORE" "restore cancelled before staging: the live tree is as before"
is "$(leftovers)" "" "restore cancelled before staging: nothing left over"

# ------------------------------------------------------- backup cancelled
crash_reset "$T/pristine"
up --config "$CFG" --batch backup app
rc_is 0 "backup: a first snapshot"
COUNT=$(sqlite3 "$STATE/archive/index.db" "SELECT count(*) FROM snapshots")
PACKS=$(ls "$STATE/archive/packs" | wc -l)
for f in "$APPS"/app/lib/gen/*.txt; do echo "changed" >> "$f"; done # files to read
paused_run TERM backup.after-file:3 --config "$CFG" --batch backup app
rc_is 14 "backup cancelled by SIGTERM: exit 14"
is "$(sqlite3 "$STATE/archive/index.db" "SELECT count(*) FROM snapshots")" "$COUNT" \
	"backup cancelled: no snapshot stored"
is "$(ls "$STATE/archive/packs" | wc -l)" "$PACKS" "backup cancelled: no archive file left"
is "$(job_row "$(last_job backup)")" "backup cancelled" "backup cancelled: the job is recorded cancelled"
like "$(cat "$ERR")" "cancelled by SIGTERM: the backup of app stored no snapshot" "backup cancelled: the message"
up --config "$CFG" --batch verify --all --read-data
rc_is 0 "backup cancelled: the archive verifies clean"

# -------------------------------------------------------- prune cancelled
paused_run TERM prune.before-commit --config "$CFG" --batch prune
rc_is 14 "prune cancelled inside its removal: exit 14 once the removal committed"
like "$(cat "$ERR")" "cancelled by SIGTERM: .*the archive is consistent" "prune cancelled: the message"
is "$(job_row "$(last_job prune)")" "prune cancelled" "prune cancelled: the job is recorded cancelled"
up --config "$CFG" --batch verify --all --read-data
rc_is 0 "prune cancelled: the archive verifies clean"

done_testing
