#!/bin/bash
# restore.sh - `upkeep --batch restore TARGET SNAPSHOT [--path P]...`: the
# in-place restore (whole tree and single paths) with hooks, a real HTTP
# health endpoint that serves the live tree, and rollback; refusals that
# change nothing. Real binary, real git repositories.
. "$top_srcdir/tests/lib.sh"
umask 022
git config --global tar.umask 022

treehash() {
	(cd "$1" && { find . -mindepth 1 -printf '%y %m %p -> %l\n' | LC_ALL=C sort
		find . -type f -exec sha256sum {} + | LC_ALL=C sort; }) | sha256sum | cut -d' ' -f1
}

command -v python3 > /dev/null || skip_all "python3 missing (the health endpoint)"

# ---------------------------------------------------------------- fixture
W=$T/work/app
git_work "$W"
mkdir -p "$W/conf"
printf 'ok\n' > "$W/public/health.txt"
printf '<?php $db = "default";\n' > "$W/conf/local.php"
git -C "$W" add -A && git -C "$W" commit -q -m "layout" || bail "commit"
git_release "$W" v1.0.0
git_release "$W" v1.1.0
git_bare "$W" "$T/srv/app.git"
URL=file://$T/srv/app.git

A=$T/apps
git_export "$T/srv/app.git" v1.0.0 "$A/app"
mkdir -p "$A/app/data"
printf 'users of 1.0\n' > "$A/app/data/users.db"
printf '<?php $db = "production";\n' > "$A/app/conf/local.php"

# The health endpoint is a real HTTP server whose document root holds the
# targets: it answers for whatever tree is live at the moment of the probe.
static_http_start "$A"
PORT=$STATIC_PORT

HOOKLOG=$T/hooks.log
cat > "$T/hook.sh" <<EOF
#!/bin/sh
echo "\$1 \$UPKEEP_PHASE \$UPKEEP_FROM \$UPKEEP_TO" >> "$HOOKLOG"
exit 0
EOF
chmod 755 "$T/hook.sh"

CFG=$T/upkeep.yaml
config_new "$CFG"
config_target "$CFG" app "$URL" "$A/app" stable semver "preserve: [data/, conf/local.php]
hooks: { pre_install: \"$T/hook.sh pre\", post_install: \"$T/hook.sh post\", timeout: 30s }
health: { url: \"http://127.0.0.1:$PORT/app/public/health.txt\", expect: 200, body: ok, timeout: 10s, retries: 1, interval: 100ms }"
config_target "$CFG" other "$URL" "$T/apps-other/other"
git_export "$T/srv/app.git" v1.0.0 "$T/apps-other/other"

up --config "$CFG" --check-config
rc_is 0 "the configuration is valid"
up --config "$CFG" --batch adopt app 1.0.0
rc_is 0 "fixture: 1.0.0 adopted"

installed() { up --config "$CFG" --batch check app --json; jq_target app .installed; }
no_staging() { ! compgen -G "$A/.upkeep-stage-*" > /dev/null; }
snap_id() { jq -r .snapshot "$OUT"; }
reasons() { up --config "$CFG" --batch snapshots app --json; jq -r .reason "$OUT" | tr '\n' ' '; }

# S1: the 1.0.0 tree with its data
up --config "$CFG" --batch backup app --json
rc_is 0 "fixture: snapshot of 1.0.0"
S1=$(snap_id)
cp -a "$A/app" "$T/expect-s1"

up --config "$CFG" --batch install app 1.1.0
rc_is 0 "fixture: 1.1.0 installed"
printf 'users of 1.1\n' > "$A/app/data/users.db"
printf 'stray\n' > "$A/app/public/stray.txt"

# ---------------------------------------------------------------- whole restore
: > "$HOOKLOG"
up --config "$CFG" --batch restore app "$S1"
rc_is 0 "whole restore: exit 0"
like "$(cat "$OUT")" '^- +-6 public/stray\.txt$' "whole restore: the file it removes is listed first"
like "$(cat "$OUT")" '^M +[-+][0-9]+ data/users\.db  content$' "whole restore: a changed file is listed"
like "$(cat "$OUT")" '^- +-[0-9]+ lib/release-v1\.1\.0\.txt$' "whole restore: the 1.1.0 file is listed as removed"
like "$(cat "$OUT")" '^[0-9]+ added, [0-9]+ removed, [0-9]+ changed$' "whole restore: a summary of the changes"
like "$(cat "$OUT")" "^app: snapshot $S1 restored \\(version 1\\.0\\.0, was 1\\.1\\.0\\)" "whole restore: says what it did"
is "$(treehash "$A/app")" "$(treehash "$T/expect-s1")" "whole restore: the tree is the snapshot's, byte for byte and mode for mode"
is "$(cat "$A/app/data/users.db")" "users of 1.0" "whole restore: preserved data comes back from the snapshot"
ok "whole restore: the file added since is gone" test ! -e "$A/app/public/stray.txt"
ok "whole restore: no data dump directory in the tree" test ! -e "$A/app/.upkeep-data"
is "$(installed)" 1.0.0 "whole restore: the installed version is the snapshot's"
like "$(reasons)" 'pre-restore' "whole restore: a pre-restore snapshot was taken"
like "$(cat "$HOOKLOG")" '^pre pre_restore 1\.1\.0 1\.0\.0$' "whole restore: pre_install runs as pre_restore (no pre_restore hook set)"
like "$(cat "$HOOKLOG")" '^post post_restore 1\.1\.0 1\.0\.0$' "whole restore: post_install runs as post_restore"
like "$(cat "$STATIC_LOG")" 'GET /app/public/health.txt' "whole restore: the HTTP health endpoint was asked"
ok "whole restore: no staging directory left" no_staging

# ---------------------------------------------------------------- --keep-preserved
PRE=$(up --config "$CFG" --batch snapshots app --json; jq -r 'select(.reason == "pre-restore") | .snapshot' "$OUT" | tail -n 1)
printf 'users now\n' > "$A/app/data/users.db"
up --config "$CFG" --batch restore app "$PRE" --keep-preserved --json
rc_is 0 "restore --keep-preserved: exit 0"
is "$(tail -n 1 "$OUT" | jq -r .outcome)" restored "restore --keep-preserved: JSON outcome restored"
is "$(cat "$A/app/data/users.db")" "users now" "restore --keep-preserved: the live preserved data is kept"
ok "restore --keep-preserved: the snapshot's stray file is back" test -e "$A/app/public/stray.txt"
is "$(installed)" 1.1.0 "restore --keep-preserved: the version is the pre-restore snapshot's"
unlike "$(head -n -1 "$OUT" | jq -r .path)" '^data/' "restore --keep-preserved: kept paths are not listed as changes"

# ---------------------------------------------------------------- one path
printf 'patched\n' > "$A/app/lib/core.txt"
printf '<?php broken\n' > "$A/app/conf/local.php"
rm -f "$A/app/public/index.html"
up --config "$CFG" --batch restore app "$S1" --path conf/local.php --path ./public/
rc_is 0 "path restore: exit 0"
like "$(cat "$OUT")" "^app: 2 paths restored from snapshot $S1" "path restore: says what it did"
like "$(cat "$OUT")" '^\+ +\+6 public/index\.html$' "path restore: the file it adds back is listed"
unlike "$(cat "$OUT")" 'lib/core\.txt' "path restore: other paths are not listed"
is "$(cat "$A/app/conf/local.php")" '<?php $db = "production";' "path restore: the file is the snapshot's"
is "$(cat "$A/app/public/index.html")" hello "path restore: the directory is the snapshot's"
ok "path restore: the directory has no file the snapshot lacks" test ! -e "$A/app/public/stray.txt"
is "$(cat "$A/app/lib/core.txt")" patched "path restore: the rest of the tree is left alone"
is "$(cat "$A/app/data/users.db")" "users now" "path restore: data outside the paths is left alone"
is "$(installed)" 1.1.0 "path restore: the installed version is unchanged"
ok "path restore: no staging directory left" no_staging

# ---------------------------------------------------------------- failing health
# a snapshot of a tree the health endpoint does not answer for
mv "$A/app/public/health.txt" "$T/health.txt"
up --config "$CFG" --batch backup app --json
BAD=$(snap_id)
mv "$T/health.txt" "$A/app/public/health.txt"
before=$(treehash "$A/app")
: > "$HOOKLOG"
up --config "$CFG" --batch restore app "$BAD" --json
rc_is 6 "unhealthy restore: exit 6 (rolled back)"
is "$(tail -n 1 "$OUT" | jq -r .outcome)" "rolled back" "unhealthy restore: outcome rolled back"
is "$(tail -n 1 "$OUT" | jq -r .failed_step)" health "unhealthy restore: the health check failed"
like "$(tail -n 1 "$OUT" | jq -r .evidence)" 'HTTP status 404' "unhealthy restore: the HTTP status is the evidence"
is "$(treehash "$A/app")" "$before" "unhealthy restore: the tree is identical to before"
like "$(cat "$HOOKLOG")" '^pre rollback:pre_restore' "unhealthy restore: the hooks ran again for the rollback"
is "$(installed)" 1.1.0 "unhealthy restore: the installed version is unchanged"
ok "unhealthy restore: no staging directory left" no_staging

# unhealthy path restore: the path goes back too
before=$(treehash "$A/app")
up --config "$CFG" --batch restore app "$BAD" --path public
rc_is 6 "unhealthy path restore: exit 6"
is "$(treehash "$A/app")" "$before" "unhealthy path restore: the tree is identical to before"

# ---------------------------------------------------------------- refusals
before=$(treehash "$A/app")
n_before=$(up --config "$CFG" --batch snapshots app --json; wc -l < "$OUT")
up --config "$CFG" --batch restore app 9999
rc_is 13 "unknown snapshot: exit 13"
like "$(cat "$ERR")" 'snapshot 9999 does not exist' "unknown snapshot: the message says so"
up --config "$CFG" --batch backup other --json
OTHER=$(snap_id)
up --config "$CFG" --batch restore app "$OTHER"
rc_is 13 "another target's snapshot: exit 13"
like "$(cat "$ERR")" "snapshot $OTHER belongs to target other, not app" "another target's snapshot: the message names both"
up --config "$CFG" --batch restore app "$S1" --path ../etc
rc_is 2 "path leaving the tree: exit 2"
like "$(cat "$ERR")" 'path "\.\./etc": leaves the target directory' "path leaving the tree: the message says why"
up --config "$CFG" --batch restore app "$S1" --path lib/nothing.txt
rc_is 13 "path not in the snapshot: exit 13"
like "$(cat "$ERR")" "path \"lib/nothing\\.txt\" is not in snapshot $S1" "path not in the snapshot: the message says so"
up --config "$CFG" --batch restore app "$S1" --path public --path public/index.html
rc_is 2 "overlapping paths: exit 2"
is "$(treehash "$A/app")" "$before" "refusals: the tree is untouched"
is "$(up --config "$CFG" --batch snapshots app --json; wc -l < "$OUT")" "$n_before" "refusals: no snapshot was taken"
ok "refusals: no staging directory left" no_staging

# ---------------------------------------------------------------- releases layout
config_target "$CFG" rel "$URL" "$A/rel" stable semver "layout: releases
preserve: [data/]"
up --config "$CFG" --batch install rel 1.0.0
rc_is 0 "releases layout: 1.0.0 installed"
mkdir -p "$A/rel/data" && printf 'rel data\n' > "$A/rel/data/x"
up --config "$CFG" --batch backup rel --json
RS=$(snap_id)
cp -a "$A/rel/" "$T/expect-rel"
up --config "$CFG" --batch install rel 1.1.0
rc_is 0 "releases layout: 1.1.0 installed"
printf 'changed\n' > "$A/rel/data/x"
up --config "$CFG" --batch restore rel "$RS"
rc_is 0 "releases layout: whole restore"
like "$(readlink "$A/rel")" "^releases/snapshot-$RS-[0-9]+\$" "releases layout: the link points at the restored release"
is "$(treehash "$A/rel/")" "$(treehash "$T/expect-rel")" "releases layout: the tree is the snapshot's"

done_testing
