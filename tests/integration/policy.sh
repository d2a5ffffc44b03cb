#!/bin/bash
# policy.sh - `upkeep --batch` alone: the policy run. A matrix of kinds x
# maintenance window x channel x signature policy on an injected clock
# (UPKEEP_NOW, TZ=UTC) against a real git repository; real installs; the
# dry run changes nothing (tree, state database and archive checksummed;
# no state yet and an older schema: the state directory checksummed);
# scheduled backups and prune; exit codes; the log with job ids.
. "$top_srcdir/tests/lib.sh"
umask 022
export TZ=UTC
export UPKEEP_LOG_FILE=$T/upkeep.log

# ---------------------------------------------------------------- fixture
# installed 1.0.0; offered: 1.0.1 patch, 1.1.0 minor + security,
# 2.0.0 major, 2.1.0-rc.1 pre-release (beta only)
W=$T/work/app
git_work "$W"
git_release "$W" v1.0.0 "Release 1.0.0"
git_release "$W" v1.0.1 "Release 1.0.1"
git_release "$W" v1.1.0 "Release 1.1.0

Security: CVE-2026-0001"
git_release "$W" v2.0.0 "Release 2.0.0"
git_release "$W" v2.1.0-rc.1 "Release candidate"
git_bare "$W" "$T/srv/app.git"
URL=file://$T/srv/app.git
A=$T/apps
git_export "$T/srv/app.git" v1.0.0 "$A/app"

CFG=$T/upkeep.yaml
# cfg CHANNEL EXTRA_YAML : the one target "app", same state for every case
cfg() {
	config_new "$CFG"
	config_target "$CFG" app "$URL" "$A/app" "$1" semver "$2"
}
cfg stable ""
up --config "$CFG" --batch adopt app 1.0.0
rc_is 0 "fixture: 1.0.0 adopted"

# Sunday 2024-03-10 03:00 UTC, inside "Sun 02:00-04:00"
SUN_0300=$(date -u -d '2024-03-10 03:00' +%s)
SUN_0500=$(date -u -d '2024-03-10 05:00' +%s)
SAT_2300=$(date -u -d '2024-03-09 23:00' +%s)
SUN_0100=$(date -u -d '2024-03-10 01:00' +%s)
FRI_2300=$(date -u -d '2024-03-08 23:00' +%s)

# dry NOW : a dry run at NOW, JSON in $OUT
dry() { UPKEEP_NOW=$1 up --config "$CFG" --batch --dry-run --json; }
t() { jq -r ".targets[0]$1" < "$OUT"; }

# case CHANNEL POLICY_YAML NOW WANT_DECISION WANT_VERSION WANT_PENDING WANT_EXIT DESC
case_() {
	cfg "$1" "$2"
	dry "$3"
	is "$RC/$(t .install.decision)/$(t .install.version)/$(t .pending.version)" "$7/$4/$5/$6" "$8"
}

# ---------------------------------------------------------------- the matrix
case_ stable "policy: { auto_install: [] }" "$SUN_0300" held null 2.0.0 101 \
	"kinds: nothing allowed: 2.0.0 pending, exit 101"
like "$(t .pending.why)" 'auto_install is empty' "kinds: the reason names auto_install"
case_ stable "policy: { auto_install: [patch] }" "$SUN_0300" install 1.0.1 2.0.0 101 \
	"kinds: patch: 1.0.1 installed, 2.0.0 pending"
like "$(t .pending.why)" '2\.0\.0 is a major release' "kinds: the pending reason names the kind"
case_ stable "policy: { auto_install: [security] }" "$SUN_0300" install 1.1.0 2.0.0 101 \
	"kinds: security: the security release 1.1.0 (a minor) is allowed"
case_ stable "policy: { auto_install: [minor] }" "$SUN_0300" install 1.1.0 2.0.0 101 \
	"kinds: minor: 1.1.0"
case_ stable "policy: { auto_install: [major, minor, patch] }" "$SUN_0300" install 2.0.0 null 0 \
	"kinds: all: 2.0.0, nothing pending, exit 0"
case_ stable "policy: { auto_install: [hotfix] }" "$SUN_0300" held null 2.0.0 101 \
	"kinds: hotfix: no hotfix offered, held"

W1='"Sun 02:00-04:00"'
case_ stable "policy: { auto_install: [major], window: $W1 }" "$SUN_0300" install 2.0.0 null 0 \
	"window: inside Sun 02:00-04:00: installed"
case_ stable "policy: { auto_install: [major], window: $W1 }" "$SUN_0500" held null 2.0.0 101 \
	"window: after it: held"
like "$(t .pending.why)" 'outside the maintenance window' "window: the reason names the window"
case_ stable "policy: { auto_install: [major], window: $W1 }" "$SAT_2300" held null 2.0.0 101 \
	"window: the day before: held"
W2='"Sat 22:00-02:00"'
case_ stable "policy: { auto_install: [major], window: $W2 }" "$SAT_2300" install 2.0.0 null 0 \
	"window past midnight: Saturday 23:00 is inside"
case_ stable "policy: { auto_install: [major], window: $W2 }" "$SUN_0100" install 2.0.0 null 0 \
	"window past midnight: Sunday 01:00 still belongs to Saturday's window"
case_ stable "policy: { auto_install: [major], window: $W2 }" "$SUN_0300" held null 2.0.0 101 \
	"window past midnight: Sunday 03:00 is after it"
case_ stable "policy: { auto_install: [major], window: $W2 }" "$FRI_2300" held null 2.0.0 101 \
	"window past midnight: Friday 23:00 is another day"
case_ stable "policy: { auto_install: [patch], window: any }" "$FRI_2300" install 1.0.1 2.0.0 101 \
	"window: any"

case_ beta "policy: { auto_install: [pre-release] }" "$SUN_0300" install 2.1.0-rc.1 null 0 \
	"channel beta: the pre-release is offered and allowed"
case_ beta "policy: { auto_install: [major] }" "$SUN_0300" install 2.0.0 2.1.0-rc.1 101 \
	"channel beta: majors only: 2.0.0, the release candidate pending"
case_ stable "policy: { auto_install: [pre-release] }" "$SUN_0300" held null 2.0.0 101 \
	"channel stable: no pre-release offered"
case_ "\"v1.*\"" "policy: { auto_install: [major, minor, patch] }" "$SUN_0300" install 1.1.0 null 0 \
	"channel glob v1.*: 1.1.0 is the newest offered, nothing pending"

printf 'test@example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBiEb3+3PnyZqVqpqWW3MmPM/tXv0kBQZVdX3y+Q0gJK\n' \
	> "$T/allowed_signers"
case_ stable "policy: { auto_install: [major] }
verify: { signatures: required, allowed_signers: $T/allowed_signers }" "$SUN_0300" held null 2.0.0 101 \
	"signatures required: an unverified release is held"
like "$(t .pending.why)" 'not verified' "signatures required: the reason says unverified"
case_ stable "policy: { auto_install: [major] }
verify: { signatures: off }" "$SUN_0300" install 2.0.0 null 0 "signatures off: installed"
case_ stable "policy: { auto_install: [major] }
verify: { signatures: if-signed }" "$SUN_0300" install 2.0.0 null 0 "signatures if-signed: installed"

# ---------------------------------------------------------------- validly signed releases
# A second application, installed at 1.0.0: 1.0.1 is SSH-signed by an
# allowed key, 1.1.0 is not signed. Under "required" the signed patch is
# installed for real; the unsigned minor is held with its verdict.
K=$T/keys
mkdir -p "$K"
ssh_sign_key "$K/signer"
printf 'test@upkeep.invalid %s\n' "$(cat "$K/signer.pub")" > "$T/signers"
SW=$T/work/signed
git_work "$SW"
git_release "$SW" v1.0.0 "Release 1.0.0"
git_signed_release "$SW" "$K/signer" v1.0.1
git_release "$SW" v1.1.0 "Release 1.1.0"
git_bare "$SW" "$T/srv/signed.git"
git_export "$T/srv/signed.git" v1.0.0 "$A/signed"
SCFG=$T/signed.yaml
scfg() {
	config_new "$SCFG"
	config_target "$SCFG" signed "file://$T/srv/signed.git" "$A/signed" stable semver \
		"policy: { auto_install: [$1] }
verify: { signatures: required, allowed_signers: $T/signers }"
}
scfg patch
up --config "$SCFG" --batch adopt signed 1.0.0
rc_is 0 "signed fixture: 1.0.0 adopted"
scfg minor
UPKEEP_NOW=$SUN_0300 up --config "$SCFG" --batch --dry-run
rc_is 101 "signatures required, the allowed release unsigned: held, exit 101"
like "$(cat "$OUT")" '^signed: pending 1\.1\.0: 1\.1\.0 is not verified: unsigned \(verify\.signatures: required\)' \
	"... the summary names the verdict and the policy"
scfg patch
UPKEEP_NOW=$SUN_0300 up --config "$SCFG" --batch --json
is "$RC/$(t .install.decision)/$(t .install.version)/$(t .install.outcome)" "101/install/1.0.1/installed" \
	"signatures required, the allowed release validly signed: installed (1.1.0 stays pending)"
is "$(cat "$A/signed/VERSION")" "version=v1.0.1" "... the signed release's tree is in place"

# ---------------------------------------------------------------- dry run changes nothing
# a state with snapshots to prune, a backup due and a drill due
cfg stable "policy: { auto_install: [patch] }
backup: { every: 1h }
retention: { keep_last: 1 }
drill: { every: 1d }"
T0=$(date -u -d '2024-03-01 00:00' +%s)
UPKEEP_NOW=$T0 up --config "$CFG" --batch backup app
UPKEEP_NOW=$((T0 + 60)) up --config "$CFG" --batch backup app
rc_is 0 "fixture: two snapshots"
sums() {
	{ (cd "$A/app" && find . -printf '%y %m %s %T@ %p\n' | LC_ALL=C sort)
	  sha256sum "$T/state/state.db" "$T/state/archive/index.db"
	  ls "$T/state/archive/packs"; } | sha256sum
}
before=$(sums)
: > "$UPKEEP_LOG_FILE"
dry "$SUN_0300"
rc_is 101 "dry run: exit 101 (2.0.0 pending)"
is "$(t .install.outcome)" "would install" "dry run: says it would install 1.0.1"
is "$(t .backup.due)" true "dry run: the backup is due"
is "$(t .backup.snapshot)" null "dry run: no snapshot taken"
is "$(t '.prune.snapshots | length')" 1 "dry run: one snapshot would be pruned"
is "$(t .drill.due)" true "dry run: the drill is due"
is "$(jq -r .job < "$OUT")/$(jq -r .dry_run < "$OUT")" null/true "dry run: no job of its own"
is "$(sums)" "$before" "dry run: tree, state database and archive unchanged (checksums)"
cfg stable "policy: { auto_install: [patch] }
backup: { every: 1h }
retention: { keep_last: 1 }
drill: { every: 1d }"
UPKEEP_NOW=$SUN_0300 up --config "$CFG" --batch --dry-run
rc_is 101 "dry run, text: exit 101"
like "$(cat "$OUT")" '^app: would install 1\.0\.1 \(installed: 1\.0\.0\)$' "dry run, text: would install"
like "$(cat "$OUT")" '^app: would prune snapshots ' "dry run, text: would prune"
like "$(cat "$OUT")" '^dry run: 1 targets, nothing changed' "dry run, text: the summary says nothing changed"
is "$(sums)" "$before" "dry run, text: still unchanged"
like "$(cat "$UPKEEP_LOG_FILE")" '^info \[job -\] app: pending 2\.0\.0' "dry run: logged without a job id"

# a dry run opens the state read-only: no state yet is "nothing recorded"
# and is not created; an older schema is read as it is, not migrated
dirsum() { # every entry's type, mode, size and name, and every file's content
	(cd "$1" && find . -printf '%y %m %s %p\n' | LC_ALL=C sort &&
	 find . -type f -exec sha256sum {} + | LC_ALL=C sort) | sha256sum
}
sed "s#^state_dir: .*#state_dir: $T/nostate#" "$CFG" > "$T/nostate.yaml"
UPKEEP_NOW=$SUN_0300 up --config "$T/nostate.yaml" --batch --dry-run --json
rc_is 101 "dry run, no state database: exit 101"
like "$(t .pending.why)" 'no installed version is recorded' "dry run, no state database: nothing is recorded yet"
up --config "$T/nostate.yaml" --batch prune --dry-run
rc_is 0 "prune --dry-run, no state: nothing to prune"
ok "dry runs without a state directory create none" test ! -e "$T/nostate"
cp -a "$T/state" "$T/oldstate"
# Undo migrations 6 and 5 (each later migration must be undone here too).
sqlite3 "$T/oldstate/state.db" 'DROP TABLE intent_pairs;
	ALTER TABLE intents DROP COLUMN data_snapshot;
	ALTER TABLE releases DROP COLUMN trust;
	ALTER TABLE releases DROP COLUMN verdict; PRAGMA user_version = 4;' || bail "schema 4 fixture"
sed "s#^state_dir: .*#state_dir: $T/oldstate#" "$CFG" > "$T/oldstate.yaml"
before_old=$(dirsum "$T/oldstate")
UPKEEP_NOW=$SUN_0300 up --config "$T/oldstate.yaml" --batch --dry-run --json
rc_is 101 "dry run, schema 4: read without migrating, exit 101"
is "$(t .install.outcome)" "would install" "dry run, schema 4: the installed version was read (would install 1.0.1)"
up --config "$T/oldstate.yaml" --batch prune --dry-run --json
rc_is 0 "prune --dry-run, schema 4"
is "$(jq -rs "map(select(has(\"snapshots_removed\")))[0].snapshots_removed" < "$OUT")" 1 \
	"prune --dry-run, schema 4: the retention was applied (one snapshot would go)"
is "$(dirsum "$T/oldstate")" "$before_old" "dry runs on schema 4: the state directory is unchanged (checksums)"
is "$(sqlite3 "$T/oldstate/state.db" 'PRAGMA user_version')" 4 "dry runs on schema 4: still version 4"
printf 'not a database, but damaged' > "$T/oldstate/state.db"
before_old=$(dirsum "$T/oldstate")
UPKEEP_NOW=$SUN_0300 up --config "$T/oldstate.yaml" --batch --dry-run
rc_is 4 "dry run, unreadable state database: exit 4"
like "$(cat "$ERR")" 'state database .*state\.db is damaged' "dry run, unreadable: says so"
is "$(dirsum "$T/oldstate")" "$before_old" "dry run, unreadable: nothing changed"

# ---------------------------------------------------------------- the real run
: > "$UPKEEP_LOG_FILE"
UPKEEP_NOW=$SUN_0300 up --config "$CFG" --batch --json
rc_is 101 "real run: exit 101 (2.0.0 still pending)"
json_lines "$OUT" && is "$(wc -l < "$OUT")" 1 "real run: one JSON document"
RUNJOB=$(jq -r .job < "$OUT")
is "$(t .install.outcome)/$(t .install.version)" installed/1.0.1 "real run: 1.0.1 installed through the guarded install"
is "$(cat "$A/app/VERSION")" "version=v1.0.1" "real run: the tree is 1.0.1"
SNAP=$(t .backup.snapshot)
isnt "$SNAP" null "real run: the scheduled backup was taken"
up --config "$CFG" --batch snapshots app --json
is "$(jq -s 'length' < "$OUT")/$(jq -r .reason < "$OUT")" 1/pre-update \
	"real run: pruned to keep_last 1 (the newest, the install's pre-update snapshot)"
like "$(cat "$UPKEEP_LOG_FILE")" "^info \\[job [0-9]+\\] app: backup: snapshot $SNAP " \
	"log: the scheduled backup is logged under its own job"
like "$(cat "$UPKEEP_LOG_FILE")" "^info \\[job $RUNJOB\\] policy run: 1 targets" "log: the run's lines carry its job id"
like "$(cat "$UPKEEP_LOG_FILE")" '^step \[job [0-9]+\] app: install: step swap$' "log: install steps carry the install's job id"
unlike "$(cat "$UPKEEP_LOG_FILE")" '\[job -\]' "log: every line of a real run names a job"
up --config "$CFG" --batch check app --json
is "$(jq_target app .installed)" 1.0.1 "real run: 1.0.1 recorded as installed"

# the schedule: a snapshot now exists at SUN_0300
UPKEEP_NOW=$((SUN_0300 + 1800)) up --config "$CFG" --batch --json
is "$(t .backup.due)" false "schedule: 30 minutes later the backup (every 1h) is not due"
is "$(t .drill.due)" false "schedule: 30 minutes later the drill (every 1d) is not due"
UPKEEP_NOW=$((SUN_0300 + 7200)) up --config "$CFG" --batch --json
is "$(t .backup.due)" true "schedule: 2 hours later the backup is due"
isnt "$(t .backup.snapshot)" null "schedule: and taken"
UPKEEP_NOW=$((SUN_0300 + 90000)) up --config "$CFG" --batch --json
is "$(t .drill.due)/$(t .drill.ok)" true/true "schedule: 25 hours later the drill is due and passes"
# snapshots now: the install's pre-update one (a rollback needs it), the
# scheduled ones of +2h and +25h: keep_last 1 keeps the newest
is "$(t '.prune.snapshots | length')/$(t '.prune.job != null')" 1/true \
	"prune: the run pruned the older scheduled snapshot per retention, as a job"
up --config "$CFG" --batch snapshots app --json
is "$(jq -r .reason < "$OUT" | LC_ALL=C sort | tr '\n' ' ')" "pre-update scheduled " \
	"prune: the rollback snapshot and the newest are left"

# --quiet and --verbose
UPKEEP_NOW=$((SUN_0300 + 90100)) up --config "$CFG" --batch --quiet
is "$(cat "$OUT")" "" "--quiet: nothing on stdout"
UPKEEP_NOW=$((SUN_0300 + 90200)) up --config "$CFG" --batch --verbose
like "$(cat "$ERR")" '^upkeep: \[job [0-9]+\] app: checked' "--verbose: log lines on stderr"

# ---------------------------------------------------------------- failures
printf '#!/bin/sh\n[ "$UPKEEP_TO" != 2.0.0 ]\n' > "$T/health.sh"; chmod 755 "$T/health.sh"
cfg stable "policy: { auto_install: [major, minor, patch] }
health: { command: $T/health.sh, retries: 0, timeout: 5s }"
UPKEEP_NOW=$SUN_0300 up --config "$CFG" --batch --json
rc_is 1 "an install that rolls back: exit 1 (failure wins over pending)"
is "$(t .install.outcome)/$(t .failed)" "rolled back/true" "the rollback is in the summary"
is "$(cat "$A/app/VERSION")" "version=v1.0.1" "the rollback left 1.0.1"
cfg stable "policy: { auto_install: [patch] }"
printf 'state_dir: %s\ncache_dir: %s\ntargets:\n' "$T/state" "$T/cache" > "$CFG"
config_target "$CFG" app "$URL" "$A/app" stable semver "policy: { auto_install: [patch] }"
config_target "$CFG" gone "file://$T/srv/missing.git" "$A/gone" stable semver ""
UPKEEP_NOW=$SUN_0300 up --config "$CFG" --batch
rc_is 1 "a target whose check fails: exit 1"
like "$(cat "$ERR")" '^upkeep: gone: check failed' "the failed check is on stderr"
like "$(cat "$OUT")" '^policy run, job [0-9]+: 2 targets, 0 installed, 1 pending, 1 failed' "the summary counts it"
up --config "$CFG" --batch run extra
rc_is 2 "run with an argument: usage error"
up --config "$CFG" --batch install app --dry-run
rc_is 2 "--dry-run with install: usage error, nothing installed"

done_testing
