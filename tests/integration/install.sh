#!/bin/bash
# install.sh - `upkeep --batch install TARGET [VERSION]`: the guarded install
# with hooks, health checks (command and HTTP) and rollback, driven through
# the real binary against real git repositories.
. "$top_srcdir/tests/lib.sh"
umask 022
git config --global tar.umask 022   # exports with the modes upkeep writes (644/755)

# treehash DIR : types, modes, names, symlink targets and file contents.
treehash() {
	(cd "$1" && { find . -mindepth 1 -printf '%y %m %p -> %l\n' | LC_ALL=C sort
		find . -type f -exec sha256sum {} + | LC_ALL=C sort; }) | sha256sum | cut -d' ' -f1
}

# ---------------------------------------------------------------- fixture
W=$T/work/app
fixture_layout "$W"
git_release "$W" v1.0.0 "Release 1.0.0"
git_release "$W" v1.1.0 "Release 1.1.0"
git_release "$W" v1.2.0 "Release 1.2.0"
# an evil release on a side branch: a symlink that leaves the tree
git -C "$W" checkout -q -b evil || bail "branch"
ln -s ../../../etc "$W/public/escape"
git -C "$W" add -A && git -C "$W" commit -q -m evil && git -C "$W" tag v1.5.0 || bail "evil tag"
git -C "$W" checkout -q main || bail "checkout main"
git_bare "$W" "$T/srv/app.git"
URL=file://$T/srv/app.git

# hooks and health: they log what they see; flag files make them fail
HOOKLOG=$T/hooks.log
cat > "$T/hook.sh" <<EOF
#!/bin/sh
echo "\$1 \$UPKEEP_PHASE \$UPKEEP_FROM \$UPKEEP_TO \$UPKEEP_TARGET" >> "$HOOKLOG"
[ "\$1" = pre ] && [ -e "$T/fail-pre" ] && { echo "pre hook refuses" >&2; exit 3; }
if [ "\$1" = pre ] && [ -e "$T/pause" ]; then
	: > "$T/paused"
	# (until the test removes the pause file; at most 10 minutes)
	i=0; while [ -e "$T/pause" ] && [ \$i -lt 6000 ]; do sleep 0.1; i=\$((i+1)); done
fi
# the new release changes preserved data when it starts
[ "\$UPKEEP_PHASE" = post_install ] && [ -e "$T/mutate" ] && echo "migrated by \$UPKEEP_TO" >> "\$UPKEEP_PATH/data/users.db"
exit 0
EOF
cat > "$T/health.sh" <<EOF
#!/bin/sh
echo "health \$UPKEEP_TO" >> "$HOOKLOG"
if [ -e "$T/unhealthy-\$UPKEEP_TO" ]; then echo "app \$UPKEEP_TO does not answer" >&2; exit 1; fi
exit 0
EOF
chmod 755 "$T/hook.sh" "$T/health.sh"

A=$T/apps
git_export "$T/srv/app.git" v1.0.0 "$A/app"
printf '<?php $db = "production";\n' > "$A/app/conf/local.php"
printf 'users\n' > "$A/app/data/users.db"

HOOKS="hooks: { pre_install: \"$T/hook.sh pre\", post_install: \"$T/hook.sh post\" }"
HEALTH="health: { command: \"$T/health.sh\", timeout: 20s, retries: 1, interval: 100ms }"
CFG=$T/upkeep.yaml
config_new "$CFG"
config_target "$CFG" app "$URL" "$A/app" stable semver "preserve: [data/, conf/local.php]
$HOOKS
$HEALTH"

up --config "$CFG" --check-config
rc_is 0 "the configuration with hooks and health is valid"
up --config "$CFG" --batch adopt app 1.0.0
rc_is 0 "fixture: 1.0.0 adopted"

installed() { up --config "$CFG" --batch check app --json; jq_target app .installed; }
no_staging() { ! compgen -G "$A/.upkeep-stage-*" > /dev/null; }
has_staging() { compgen -G "$A/.upkeep-stage-$1-*" > /dev/null; }

# ---------------------------------------------------------------- success
up --config "$CFG" --batch install app 1.1.0 --json
rc_is 0 "install 1.1.0: exit 0"
is "$(jq_target app .outcome)" installed "install 1.1.0: outcome installed"
is "$(jq_target app .from)/$(jq_target app .to)" 1.0.0/1.1.0 "install 1.1.0: from 1.0.0 to 1.1.0"
git_export "$T/srv/app.git" v1.1.0 "$T/expect-1.1.0"
cp -p "$A/app/conf/local.php" "$T/expect-1.1.0/conf/local.php"
cp -p "$A/app/data/users.db" "$T/expect-1.1.0/data/users.db"
is "$(treehash "$A/app")" "$(treehash "$T/expect-1.1.0")" \
	"install 1.1.0: the tree is the tag's tree plus the preserved paths"
is "$(cat "$A/app/conf/local.php")" '<?php $db = "production";' "install 1.1.0: preserved config kept"
like "$(cat "$HOOKLOG")" '^pre pre_install 1\.0\.0 1\.1\.0 app$' "install 1.1.0: pre_install hook ran with the versions"
like "$(cat "$HOOKLOG")" '^post post_install 1\.0\.0 1\.1\.0 app$' "install 1.1.0: post_install hook ran"
like "$(cat "$HOOKLOG")" '^health 1\.1\.0$' "install 1.1.0: health command ran"
ok "install 1.1.0: no staging directory left" no_staging
is "$(installed)" 1.1.0 "install 1.1.0: recorded as installed"
up --config "$CFG" --batch snapshots app --json
like "$(cat "$OUT")" 'pre-update' "install 1.1.0: a pre-update snapshot was taken"

# ---------------------------------------------------------------- health failure
: > "$HOOKLOG"
touch "$T/unhealthy-1.2.0" "$T/mutate"
before=$(treehash "$A/app")
up --config "$CFG" --batch install app 1.2.0 --json
rc_is 6 "unhealthy 1.2.0: exit 6 (rolled back)"
is "$(jq_target app .outcome)" "rolled back" "unhealthy 1.2.0: outcome rolled back"
is "$(jq_target app .failed_step)" health "unhealthy 1.2.0: the failing step is health"
like "$(jq_target app .evidence)" 'app 1\.2\.0 does not answer' "unhealthy 1.2.0: the health output is the evidence"
is "$(treehash "$A/app")" "$before" "unhealthy 1.2.0: the tree is exactly as before (preserved data too)"
like "$(cat "$HOOKLOG")" '^pre rollback:pre_install 1\.2\.0 1\.1\.0 app$' "unhealthy 1.2.0: pre_install re-run for the rollback"
like "$(cat "$HOOKLOG")" '^post rollback:post_install 1\.2\.0 1\.1\.0 app$' "unhealthy 1.2.0: post_install re-run for the rollback"
like "$(cat "$HOOKLOG")" '^health 1\.1\.0$' "unhealthy 1.2.0: the old release was health-checked"
unlike "$(cat "$A/app/data/users.db")" 'migrated' "unhealthy 1.2.0: preserved data changed by the new release is back as it was"
ok "unhealthy 1.2.0: no staging directory left" no_staging
is "$(installed)" 1.1.0 "unhealthy 1.2.0: 1.1.0 is still recorded"
rm -f "$T/unhealthy-1.2.0" "$T/mutate"

# ---------------------------------------------------------------- hook failure
: > "$HOOKLOG"
touch "$T/fail-pre"
up --config "$CFG" --batch install app 1.2.0
rc_is 6 "failing pre_install: exit 6"
like "$(cat "$ERR")" 'pre_install.*status 3.*pre hook refuses' "failing pre_install: the hook's status and output are shown"
is "$(treehash "$A/app")" "$before" "failing pre_install: the tree is exactly as before"
like "$(cat "$HOOKLOG")" '^post rollback:post_install' "failing pre_install: post_install re-run to restart the old release"
ok "failing pre_install: no staging directory left" no_staging
rm -f "$T/fail-pre"

# ---------------------------------------------------------------- escaping symlink
up --config "$CFG" --batch install app 1.5.0
rc_is 1 "escaping symlink: exit 1"
like "$(cat "$ERR")" 'public/escape refused: symlink target leads outside the tree' "escaping symlink: refused with the reason"
is "$(treehash "$A/app")" "$before" "escaping symlink: the target is untouched"
ok "escaping symlink: no staging directory left" no_staging

# ---------------------------------------------------------------- lock
touch "$T/pause"
rm -f "$T/paused"
"$UPKEEP" --config "$CFG" --batch install app 1.2.0 > "$T/bg.out" 2> "$T/bg.err" < /dev/null &
BG=$!
track_pid $BG
wait_until 120 test -e "$T/paused"
ok "lock: the first install is paused in its pre_install hook" test -e "$T/paused"
up --config "$CFG" --batch install app 1.2.0
rc_is 3 "lock: a second install exits 3"
like "$(cat "$ERR")" "target app is locked by PID $BG \\(install job [0-9]+, step pre_install, host " "lock: the message names the holder's PID, job and step"
rm -f "$T/pause"
wait $BG
is "$?" 0 "lock: the first install then finishes"
is "$(installed)" 1.2.0 "lock: 1.2.0 installed by the first process"

# ---------------------------------------------------------------- downgrade
before=$(treehash "$A/app")
up --config "$CFG" --batch install app 1.1.0
rc_is 1 "downgrade: refused with exit 1"
like "$(cat "$ERR")" 'older than the installed 1\.2\.0.*--allow-downgrade' "downgrade: the message says how"
is "$(treehash "$A/app")" "$before" "downgrade: the tree is untouched"
up --config "$CFG" --batch install app 1.1.0 --allow-downgrade
rc_is 0 "downgrade: allowed with --allow-downgrade"
is "$(installed)" 1.1.0 "downgrade: 1.1.0 recorded"

# ---------------------------------------------------------------- drift
printf 'core patched by hand\n' > "$A/app/lib/core.txt"
before=$(treehash "$A/app")
up --config "$CFG" --batch install app 1.2.0
rc_is 5 "drift: refused with exit 5"
like "$(cat "$OUT")" '^modified: lib/core\.txt$' "drift: the changed file is listed"
is "$(treehash "$A/app")" "$before" "drift: the tree is untouched"
up --config "$CFG" --batch install app 1.2.0 --force-drift
rc_is 0 "drift: installed with --force-drift"
is "$(cat "$A/app/lib/core.txt")" "core 0" "drift: the release's file replaced the local change"

# ---------------------------------------------------------------- same version
up --config "$CFG" --batch install app 1.2.0 --json
rc_is 0 "same version: exit 0"
is "$(jq_target app .outcome)" "already installed" "same version: nothing to do"

# ---------------------------------------------------------------- both unhealthy
touch "$T/unhealthy-1.1.0" "$T/unhealthy-1.2.0"
before=$(treehash "$A/app")
up --config "$CFG" --batch install app 1.1.0 --allow-downgrade --json
rc_is 7 "both unhealthy: exit 7"
is "$(jq_target app .outcome)" "rollback failed" "both unhealthy: outcome rollback failed"
like "$(jq_target app .advice)" 'old release is unhealthy too.*Both trees are kept' "both unhealthy: the advice says so"
is "$(treehash "$A/app")" "$before" "both unhealthy: the old tree is back in place"
ok "both unhealthy: the new tree is kept beside it" has_staging app
up --config "$CFG" --batch install app 1.1.0 --allow-downgrade
like "$(cat "$ERR")" 'NEEDS ATTENTION' "both unhealthy: the text output is loud"
rm -f "$T/unhealthy-1.1.0" "$T/unhealthy-1.2.0"
rm -rf "$A"/.upkeep-stage-app-*

# ---------------------------------------------------------------- health timeout
# A duration unique to this run, so that the check below cannot see
# another test's sleeper (the suite runs tests in parallel).
HANG_SLEEP=60.$$
printf '#!/bin/sh\nexec sleep %s\n' "$HANG_SLEEP" > "$T/hang.sh"; chmod 755 "$T/hang.sh"
config_target "$CFG" hang "$URL" "$A/hang" stable semver \
	"health: { command: \"$T/hang.sh\", timeout: 1s, retries: 0 }"
start=$(date +%s)
up --config "$CFG" --batch install hang 1.0.0 --json
rc_is 6 "hanging health command: rolled back"
like "$(jq_target hang .error)" 'timed out' "hanging health command: the timeout is the reason"
ok "hanging health command: stopped within seconds" test $(( $(date +%s) - start )) -lt 15
ok "hanging health command: no sleeper left behind" sh -c "! pgrep -f '^sleep $HANG_SLEEP\$' -u $(id -u) > /dev/null"

# ---------------------------------------------------------------- releases layout
config_target "$CFG" rel "$URL" "$A/rel" stable semver "layout: releases
keep_releases: 2
preserve: [data/]
$HEALTH"
git_export "$T/srv/app.git" v1.0.0 "$T/expect-1.0.0"
up --config "$CFG" --batch install rel 1.0.0
rc_is 0 "releases layout: first install"
is "$(readlink "$A/rel")" releases/1.0.0 "releases layout: path is a symlink to releases/1.0.0"
is "$(treehash "$A/rel/")" "$(treehash "$T/expect-1.0.0")" "releases layout: the release's tree"
printf 'rel users\n' > "$A/rel/data/users.db"
up --config "$CFG" --batch install rel 1.1.0
rc_is 0 "releases layout: install 1.1.0"
is "$(readlink "$A/rel")" releases/1.1.0 "releases layout: the link points at 1.1.0"
is "$(cat "$A/rel/data/users.db")" "rel users" "releases layout: preserved data carried over"
ok "releases layout: 1.0.0 is kept" test -d "$A/releases/1.0.0"
touch "$T/unhealthy-1.2.0"
before=$(treehash "$A/rel/")
up --config "$CFG" --batch install rel 1.2.0
rc_is 6 "releases layout: unhealthy 1.2.0 rolled back"
is "$(readlink "$A/rel")" releases/1.1.0 "releases layout: the link points at 1.1.0 again"
is "$(treehash "$A/rel/")" "$before" "releases layout: the tree is as before"
ok "releases layout: the failed release directory is gone" test ! -e "$A/releases/1.2.0"
rm -f "$T/unhealthy-1.2.0"
up --config "$CFG" --batch install rel 1.2.0
rc_is 0 "releases layout: install 1.2.0"
is "$(cd "$A/releases" && ls | tr '\n' ' ')" "1.1.0 1.2.0 " "releases layout: keep_releases 2 pruned 1.0.0"

# ---------------------------------------------------------------- HTTP health
command -v python3 > /dev/null || { skip 6 "python3 missing"; done_testing; exit 0; }
mkdir -p "$T/www"
printf 'status: hello from the app\n' > "$T/www/index.html"
static_http_start "$T/www"
PORT=$STATIC_PORT
config_target "$CFG" webok "$URL" "$A/webok" stable semver \
	"health: { url: \"http://127.0.0.1:$PORT/index.html\", expect: 200, body: hello, timeout: 10s, interval: 100ms }"
config_target "$CFG" webbad "$URL" "$A/webbad" stable semver \
	"health: { url: \"http://127.0.0.1:$PORT/index.html\", expect: 204, timeout: 10s, retries: 1, interval: 100ms }"

up --config "$CFG" --batch install webok 1.0.0 --json
rc_is 0 "HTTP health (200 + body): first install succeeds"
is "$(treehash "$A/webok")" "$(treehash "$T/expect-1.0.0")" "HTTP health: the first install's tree is the tag's tree"
up --config "$CFG" --batch install webbad 1.0.0 --json
rc_is 6 "HTTP health (expects 204, gets 200): exit 6"
like "$(jq_target webbad .evidence)" 'HTTP status 200 \(expected 204\); body: status: hello from the app' \
	"HTTP health: the status and a body excerpt are the evidence"
ok "HTTP health: the failed first install left no tree" test ! -e "$A/webbad"
like "$(cat "$STATIC_LOG")" 'GET /index.html' "HTTP health: the server was asked"

done_testing
