#!/bin/bash
# restore_data.sh - data with the code: `data:` dumps (sqlite3) captured into
# the pre-update, pre-restore, manual and scheduled snapshots and restored by
# a rollback, by recovery after a crash, and by an in-place restore; a dump
# that fails fails the backup; a release declaring an irreversible migration; the
# hooks' timeout; snapshots pruned per retention after an install.
. "$top_srcdir/tests/lib.sh"
umask 022
git config --global tar.umask 022

command -v sqlite3 > /dev/null || skip_all "sqlite3 missing"

# ---------------------------------------------------------------- fixture
W=$T/work/app
git_work "$W"
git_release "$W" v1.0.0
git_release "$W" v1.1.0
printf 'irreversible_migration: true\n' > "$W/.upkeep.yaml"
git_release "$W" v1.2.0
git_bare "$W" "$T/srv/app.git"
URL=file://$T/srv/app.git

A=$T/apps
DB=$T/var/app.db
mkdir -p "$T/var"
sqlite3 "$DB" 'CREATE TABLE users (name TEXT); INSERT INTO users VALUES ("alice");' || bail "sqlite3"
users() { sqlite3 "$DB" 'SELECT group_concat(name, ",") FROM (SELECT name FROM users ORDER BY rowid)'; }

# the dump goes to stdout; the restore reads it on stdin into a new file
# and renames it over the database
cat > "$T/load.sh" <<EOF
#!/bin/sh
set -e
rm -f "$DB.new"
sqlite3 "$DB.new"
mv "$DB.new" "$DB"
echo "\$UPKEEP_PHASE \$UPKEEP_DATA \$UPKEEP_DUMP" >> "$T/load.log"
EOF
# the new release migrates the database when it starts
cat > "$T/post.sh" <<EOF
#!/bin/sh
[ "\$UPKEEP_PHASE" = post_install ] && sqlite3 "$DB" "INSERT INTO users VALUES ('migrated to \$UPKEEP_TO')"
exit 0
EOF
cat > "$T/health.sh" <<EOF
#!/bin/sh
[ -e "$T/unhealthy-\$UPKEEP_TO" ] && { echo "\$UPKEEP_TO is down" >&2; exit 1; }
# only the check right after the switch fails, not the rollback's
[ -e "$T/unhealthy-once" ] && { rm -f "$T/unhealthy-once"; echo "down" >&2; exit 1; }
exit 0
EOF
chmod 755 "$T/load.sh" "$T/post.sh" "$T/health.sh"

DATA="data:
  - { name: db, dump: \"sqlite3 $DB .dump\", restore: \"$T/load.sh\" }"
CFG=$T/upkeep.yaml
config_new "$CFG"
config_target "$CFG" app "$URL" "$A/app" stable semver "$DATA
hooks: { post_install: \"$T/post.sh\" }
health: { command: \"$T/health.sh\", timeout: 10s, retries: 0 }"
git_export "$T/srv/app.git" v1.0.0 "$A/app"

up --config "$CFG" --check-config
rc_is 0 "a configuration with data dumps is valid"
up --config "$CFG" --batch adopt app 1.0.0
rc_is 0 "fixture: 1.0.0 adopted"
installed() { up --config "$CFG" --batch check app --json; jq_target app .installed; }
last_snap() { up --config "$CFG" --batch snapshots app --json; jq -r "select(.reason == \"$1\") | .snapshot" "$OUT" | tail -n 1; }

# ---------------------------------------------------------------- install rollback
touch "$T/unhealthy-1.1.0"
up --config "$CFG" --batch install app 1.1.0 --json
rc_is 6 "unhealthy install: rolled back"
is "$(users)" alice "unhealthy install: the migrated database is back as it was before"
like "$(jq_target app '.log[]')" '^rollback:data db: restored$' "unhealthy install: the journal says the data was restored"
like "$(cat "$T/load.log")" '^rollback:data db /' "unhealthy install: the restore command got the dump"
rm -f "$T/unhealthy-1.1.0"

# ---------------------------------------------------------------- crash after the migration
# killed once the new release's post_install hook migrated the database:
# recovery rolls back code and data together, as the live rollback does
: > "$T/load.log"
UPKEEP_CRASH_AT=install.after-post_install run "$UPKEEP" --config "$CFG" --batch install app 1.1.0
rc_is 137 "crash after post_install: killed there"
is "$(users)" "alice,migrated to 1.1.0" "crash after post_install: the release had migrated the database"
up --config "$CFG" --batch recover --json
rc_is 0 "crash after post_install: recovered"
like "$(jq -r 'select(.job) | .summary' < "$OUT")" 'rolled back to 1\.0\.0' "crash after post_install: rolled back"
is "$(users)" alice "crash after post_install: the database is back as it was before the install"
like "$(cat "$T/load.log")" '^rollback:data db /' "crash after post_install: recovery ran the restore command with the dump"
is "$(installed)" 1.0.0 "crash after post_install: 1.0.0 recorded"
ok "crash after post_install: recovery left no scratch directory" test -z "$(ls "$T/state/tmp" 2>/dev/null)"
mkdir -p "$T/state/tmp/backup-99999/x"
up --config "$CFG" --batch recover
rc_is 0 "a dead job's scratch directory alone: recover succeeds"
like "$(cat "$OUT")" '^upkeep: removed .*/tmp/backup-99999 ' "... names the directory it removed"
unlike "$(cat "$OUT")" 'nothing to recover' "... and does not also say there was nothing to recover"
ok "... which is gone" test ! -e "$T/state/tmp/backup-99999"

# ---------------------------------------------------------------- dump in the snapshot
up --config "$CFG" --batch install app 1.1.0 --json
rc_is 0 "install 1.1.0"
is "$(users)" "alice,migrated to 1.1.0" "install 1.1.0: the release migrated the database"
P=$(last_snap pre-update)
up --config "$CFG" --batch files "$P" .upkeep-data
like "$(cat "$OUT")" 'db$' "the pre-update snapshot holds the dump as .upkeep-data/db"
ok "the dump is not left in the live tree" test ! -e "$A/app/.upkeep-data"

# ---------------------------------------------------------------- restore round trip
sqlite3 "$DB" "INSERT INTO users VALUES ('bob')"
: > "$T/load.log"
up --config "$CFG" --batch restore app "$P" --json
rc_is 0 "restore of the pre-update snapshot: exit 0"
is "$(users)" alice "restore: the database is the dump's (code and data went back together)"
like "$(cat "$T/load.log")" '^data db /' "restore: the restore command ran in the data step"
is "$(installed)" 1.0.0 "restore: 1.0.0 recorded"
ok "restore: no dump directory in the restored tree" test ! -e "$A/app/.upkeep-data"
unlike "$(head -n -1 "$OUT" | jq -r .path)" '^\.upkeep-data' "restore: the dumps are not listed as changes"

# a restore that fails its health check puts the data back too
sqlite3 "$DB" "INSERT INTO users VALUES ('carol')"
touch "$T/unhealthy-once"
up --config "$CFG" --batch restore app "$P" --json
rc_is 6 "unhealthy restore: rolled back"
is "$(users)" "alice,carol" "unhealthy restore: the database is back as it was before the restore"
like "$(tail -n 1 "$OUT" | jq -r '.log[]')" '^rollback:data db: restored$' "unhealthy restore: the pre-restore dump was restored"

# a path restore leaves the data alone
: > "$T/load.log"
up --config "$CFG" --batch restore app "$P" --path lib
rc_is 0 "path restore with data configured: exit 0"
is "$(users)" "alice,carol" "path restore: the database is left alone"
ok "path restore: no restore command ran" test ! -s "$T/load.log"

# ---------------------------------------------------------------- manual and scheduled backups
# take the dumps too, and a whole restore of such a snapshot runs the restores
up --config "$CFG" --batch backup app --json
rc_is 0 "manual backup of a target with data: exit 0"
M=$(jq -r .snapshot "$OUT")
up --config "$CFG" --batch files "$M" .upkeep-data
like "$(cat "$OUT")" 'db$' "the manual snapshot holds the dump as .upkeep-data/db"
ok "the manual backup left no scratch directory" test -z "$(ls "$T/state/tmp" 2>/dev/null)"
sqlite3 "$DB" "INSERT INTO users VALUES ('dave')"
: > "$T/load.log"
up --config "$CFG" --batch restore app "$M"
rc_is 0 "whole restore of the manual snapshot: exit 0"
is "$(users)" "alice,carol" "whole restore of the manual snapshot: the database is the dump's"
like "$(cat "$T/load.log")" '^data db /' "whole restore of the manual snapshot: the restore command ran"

config_target "$CFG" sched "$URL" "$A/sched" stable semver "$DATA
backup: { every: 1h }"
git_export "$T/srv/app.git" v1.0.0 "$A/sched"
up --config "$CFG" --batch adopt sched 1.0.0
up --config "$CFG" --batch run --json
up --config "$CFG" --batch snapshots sched --json
is "$(jq -r .reason "$OUT")" scheduled "fixture: the policy run took a scheduled backup of sched"
up --config "$CFG" --batch files "$(jq -r .snapshot "$OUT")" .upkeep-data
like "$(cat "$OUT")" 'db$' "the scheduled snapshot holds the dump as .upkeep-data/db"

printf '#!/bin/sh\necho "database is locked" >&2\nexit 3\n' > "$T/faildump.sh"
chmod 755 "$T/faildump.sh"
config_target "$CFG" bad "$URL" "$A/bad" stable semver "data:
  - { name: maindb, dump: \"$T/faildump.sh\", restore: \"$T/load.sh\" }"
git_export "$T/srv/app.git" v1.0.0 "$A/bad"
up --config "$CFG" --batch adopt bad 1.0.0
up --config "$CFG" --batch backup bad
rc_is 1 "a backup whose dump fails: exit 1"
like "$(cat "$ERR")" 'data maindb: .*database is locked' "a failed dump: the message names the dump and its stderr"
up --config "$CFG" --batch snapshots bad --json
is "$(wc -l < "$OUT")" 0 "a failed dump: no snapshot was committed"

# ---------------------------------------------------------------- irreversible migration
up --config "$CFG" --batch install app 1.2.0 --json
rc_is 0 "irreversible migration: installed"
like "$(jq_target app '.log[]')" '^snapshot: [0-9]+ verified \([0-9]+ chunks re-hashed\)$' \
	"irreversible migration: the pre-update snapshot was verified first"
config_target "$CFG" nosnap "$URL" "$A/nosnap" stable semver "backup: { before_install: false }"
git_export "$T/srv/app.git" v1.1.0 "$A/nosnap"
up --config "$CFG" --batch adopt nosnap 1.1.0
before=$(find "$A/nosnap" -type f | sort | xargs cat | sha256sum)
up --config "$CFG" --batch install nosnap 1.2.0
rc_is 1 "irreversible migration without a pre-update snapshot: refused"
like "$(cat "$ERR")" 'irreversible migration.*backup\.before_install is false' "irreversible migration: the message says why"
is "$(find "$A/nosnap" -type f | sort | xargs cat | sha256sum)" "$before" "irreversible migration: the tree is untouched"

# ---------------------------------------------------------------- hook timeout
printf '#!/bin/sh\nexec sleep 30.%s\n' "$$" > "$T/slow.sh"; chmod 755 "$T/slow.sh"
config_target "$CFG" slow "$URL" "$A/slow" stable semver "hooks: { pre_install: \"$T/slow.sh\", timeout: 1s }"
start=$(date +%s)
up --config "$CFG" --batch install slow 1.0.0 --json
rc_is 6 "hooks.timeout: a slow pre_install hook rolls the install back"
like "$(jq_target slow .error)" 'pre_install command .* timed out after 1000 ms' "hooks.timeout: the timeout is the reason"
ok "hooks.timeout: stopped within seconds" test $(( $(date +%s) - start )) -lt 20

# ---------------------------------------------------------------- prune after install
config_target "$CFG" kept "$URL" "$A/kept" stable semver "retention: { keep_last: 2 }"
git_export "$T/srv/app.git" v1.0.0 "$A/kept"
up --config "$CFG" --batch adopt kept 1.0.0
for t in 1000000000 1000003600 1000007200; do
	UPKEEP_NOW=$t up --config "$CFG" --batch backup kept
done
up --config "$CFG" --batch snapshots kept --json
is "$(wc -l < "$OUT")" 3 "prune: three snapshots before the install"
up --config "$CFG" --batch install kept 1.1.0 --json
rc_is 0 "prune: install 1.1.0"
like "$(jq_target kept '.log[]')" '^prune: 2 snapshots removed per retention' "prune: the install pruned per retention"
up --config "$CFG" --batch snapshots kept --json
is "$(wc -l < "$OUT")" 2 "prune: keep_last 2 kept two snapshots"
is "$(jq -r .reason "$OUT" | tail -n 1)" pre-update "prune: the pre-update snapshot (the rollback's) is kept"

done_testing
