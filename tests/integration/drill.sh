#!/bin/bash
# drill.sh - `upkeep --batch drill TARGET`: the newest snapshot restored into
# a scratch directory, compared with the index, checked by a command, timed
# and recorded as a job; a failing check, a damaged archive and a slower
# drill alert (exit code and mail through a fake sendmail).
. "$top_srcdir/tests/lib.sh"
umask 022
export UPKEEP_LOG_FILE=$T/upkeep.log
command -v python3 > /dev/null || skip_all "python3 missing"

# sql DB QUERY : one value from an SQLite database (python3: no sqlite3 CLI needed)
sql() {
	python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
r = c.execute(sys.argv[2]).fetchone()
c.commit()
print("" if r is None else r[0])' "$1" "$2"
}

mkdir -p "$T/mail"
cat > "$T/sendmail" <<EOF
#!/bin/sh
n=\$(ls "$T/mail" | wc -l)
cat > "$T/mail/\$((n + 1)).msg"
EOF
chmod 755 "$T/sendmail"
mails() { ls "$T/mail" | wc -l; }
last_mail() { ls "$T/mail"/*.msg | sort -V | tail -1; }

# ---------------------------------------------------------------- fixture
APP=$T/apps/app
mkdir -p "$APP/data" "$APP/www/sub"
for i in $(seq 1 300); do printf 'row %d\n' "$i" > "$APP/data/r$i.txt"; done
head -c 300000 /dev/urandom > "$APP/www/blob.bin"
ln -s ../data/r1.txt "$APP/www/link"
printf '#!/bin/sh\necho run\n' > "$APP/www/sub/run.sh"; chmod 755 "$APP/www/sub/run.sh"
git_work "$T/work/app" && git_release "$T/work/app" v1.0.0 "Release 1.0.0" \
	&& git_bare "$T/work/app" "$T/srv/app.git"

# the check: the restored tree must hold the data, and it leaves a mark
cat > "$T/check.sh" <<EOF
#!/bin/sh
echo "checked \$UPKEEP_TARGET \$UPKEEP_PHASE \$UPKEEP_PATH" >> "$T/check.log"
[ -e "$T/check-fails" ] && { echo "the data is unreadable"; exit 4; }
test -f "\$UPKEEP_PATH/data/r300.txt" && test -x "\$UPKEEP_PATH/www/sub/run.sh"
EOF
chmod 755 "$T/check.sh"

CFG=$T/upkeep.yaml
# write_cfg TOLERANCE : a slowdown under TOLERANCE is no alert. Timings are
# never asserted: 1h makes every drill pass, and the slowdown is tested
# with tolerance 0s against an earlier time set to 0 ms in the database.
write_cfg() {
	cat > "$CFG" <<EOF
state_dir: $T/state
cache_dir: $T/cache
notify:
  mail: { to: "admin@example.org", sendmail: "$T/sendmail" }
targets:
  app:
    source: { git: "file://$T/srv/app.git" }
    path: $APP
    drill: { check: "$T/check.sh", tolerance: $1 }
  empty:
    source: { git: "file://$T/srv/app.git" }
    path: $T/apps/empty
EOF
}
write_cfg 1h
up --config "$CFG" --check-config
rc_is 0 "the drill keys are valid"
up --config "$CFG" --batch drill app
rc_is 1 "no snapshot yet: exit 1"
like "$(cat "$ERR")" 'no snapshot to restore' "no snapshot: says so"
is "$(mails)" 1 "no snapshot: the failed drill is mailed"
rm -f "$T/mail"/*
up --config "$CFG" --batch backup app
rc_is 0 "fixture: a snapshot"
like "$(cat "$UPKEEP_LOG_FILE")" '^info \[job [0-9]+\] app: backup: done$' "the backup command logs its outcome with its job id"

# ---------------------------------------------------------------- success
up --config "$CFG" --batch drill app --json
rc_is 0 "drill: exit 0"
is "$(jq -r '[.ok, .files, .differences, .failed_step] | map(tostring) | join(" ")' < "$OUT")" \
	"true 302 0 null" "drill: all 302 files (and the symlink) restored, no difference from the index"
is "$(jq -r .previous_ms < "$OUT")" null "drill: the first drill has no previous time"
JOB=$(jq -r .job < "$OUT")
MS=$(jq -r .restore_ms < "$OUT")
like "$(cat "$T/check.log")" "^checked app drill $T/state/drills/app-[^/]+/tree\$" \
	"drill: the check ran against the restored tree"
is "$(ls "$T/state/drills")" "" "drill: the scratch directory is removed"
is "$(sql "$T/state/state.db" "SELECT kind || ' ' || target || ' ' || state FROM jobs WHERE id = $JOB")" \
	"drill app ok" "drill: recorded as a job of kind drill"
is "$(sql "$T/state/state.db" "SELECT restore_ms FROM drills WHERE job_id = $JOB")" "$MS" \
	"drill: the measured restore time is recorded"
like "$(cat "$UPKEEP_LOG_FILE")" "^step \\[job $JOB\\] app: drill: step compare\$" "drill: logged with its job id"
is "$(sql "$T/state/archive/index.db" "SELECT (verified_at > 0) || verified_data || ifnull(verify_error, '-') FROM snapshots ORDER BY id DESC LIMIT 1")" \
	"11-" "drill: recorded as a passed data verification of the snapshot"
is "$(mails)" 0 "drill: a passing drill sends nothing"
up --config "$CFG" --batch drill app
rc_is 0 "drill, text: exit 0"
like "$(cat "$OUT")" '^app: drill: snapshot 1 restored \(302 files, [0-9]+ bytes\) in [0-9]+ ms, previous drill [0-9]+ ms; matches the index, check passed; job [0-9]+$' \
	"drill, text: one line with the figures"

# ---------------------------------------------------------------- slower
# Every earlier drill is made to have taken 0 ms: any real restore is slower.
sql "$T/state/state.db" "UPDATE drills SET restore_ms = 0" > /dev/null
write_cfg 0s
up --config "$CFG" --batch drill app --json
rc_is 102 "slower drill: exit 102"
is "$(jq -r '[.ok, .slower, .previous_ms] | map(tostring) | join(" ")' < "$OUT")" "true true 0" \
	"slower drill: flagged against the previous time"
is "$(mails)" 1 "slower drill: an alert is mailed"
like "$(cat "$(last_mail)")" '^Subject: .*app: restore drill of snapshot 1 took [0-9]+ ms, more than 1\.5 times' \
	"slower drill: the alert says so"
like "$(cat "$(last_mail)")" '"event":"drill_failure"' "slower drill: event drill_failure"

# ---------------------------------------------------------------- failing check
touch "$T/check-fails"
up --config "$CFG" --batch drill app --json
rc_is 1 "failing check: exit 1"
is "$(jq -r '.ok|tostring' < "$OUT")/$(jq -r .failed_step < "$OUT")" false/check "failing check: failed at check"
like "$(jq -r .evidence < "$OUT")" 'the data is unreadable' "failing check: its output is the evidence"
is "$(mails)" 2 "failing check: an alert is mailed"
like "$(cat "$(last_mail)")" 'drill of snapshot 1 failed at check' "failing check: the alert names the step"
is "$(ls "$T/state/drills")" "" "failing check: the scratch directory is removed"
rm -f "$T/check-fails"

# ---------------------------------------------------------------- damaged archive
PACK=$(ls "$T/state/archive/packs"/*.pack | head -1)
size=$(stat -c %s "$PACK")
printf 'XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX' | dd of="$PACK" bs=1 seek=$((size / 2)) conv=notrunc status=none
up --config "$CFG" --batch drill app --json
rc_is 1 "damaged archive: exit 1"
is "$(jq -r .failed_step < "$OUT")" restore "damaged archive: failed at restore"
is "$(mails)" 3 "damaged archive: an alert is mailed"
is "$(sql "$T/state/state.db" "SELECT ok FROM drills ORDER BY job_id DESC LIMIT 1")" 0 \
	"damaged archive: the failed drill is recorded"
is "$(ls "$T/state/drills")" "" "damaged archive: the scratch directory is removed"
like "$(sql "$T/state/archive/index.db" "SELECT verified_data || ' ' || verify_error FROM snapshots ORDER BY id DESC LIMIT 1")" \
	'^1 .*damaged' "damaged archive: the snapshot's failed verification is recorded"

up --config "$CFG" --batch drill nosuch
rc_is 2 "an unknown target: usage error"

done_testing
