#!/bin/bash
# adopt.sh - `upkeep --batch adopt TARGET VERSION` records an installed
# version only when the tree at `path` matches that tag's tree (preserve:
# paths ignored); otherwise exit 5 and the differing paths are listed.
. "$top_srcdir/tests/lib.sh"

# ---------------------------------------------------------------- fixture
W=$T/work/app
fixture_layout "$W"
git_release "$W" v1.0.0 "Release 1.0.0"
git_release "$W" v1.1.0 "Release 1.1.0"
git_bare "$W" "$T/srv/app.git"
URL=file://$T/srv/app.git

A=$T/apps
git_export "$T/srv/app.git" v1.0.0 "$A/match"
ok "fixture: the export keeps the executable bit" test -x "$A/match/bin/run.sh"
ok "fixture: the export keeps the symlink" test -L "$A/match/public/latest.html"

# differs from v1.0.0: one file changed, one added, one removed
git_export "$T/srv/app.git" v1.0.0 "$A/differ"
printf 'core patched by hand\n' > "$A/differ/lib/core.txt"
printf 'stray\n' > "$A/differ/lib/extra.txt"
rm "$A/differ/public/index.html"

git_export "$T/srv/app.git" v1.0.0 "$A/older"      # adopted as 1.1.0: wrong version

# local data and local config in the preserved paths only
git_export "$T/srv/app.git" v1.0.0 "$A/keep"
printf '<?php $db = "production";\n' > "$A/keep/conf/local.php"
mkdir -p "$A/keep/data/cache"
printf 'users\n' > "$A/keep/data/users.db"
printf 'x\n' > "$A/keep/data/cache/blob"

# the same, plus a change outside the preserved paths
cp -a "$A/keep" "$A/keepdiffer"
printf 'core patched by hand\n' > "$A/keepdiffer/lib/core.txt"

# the preserved-style changes on a target without preserve:
cp -a "$A/keep" "$A/nokeep"

CFG=$T/upkeep.yaml
config_new "$CFG"
config_target "$CFG" match "$URL" "$A/match"
config_target "$CFG" differ "$URL" "$A/differ"
config_target "$CFG" older "$URL" "$A/older"
config_target "$CFG" keep "$URL" "$A/keep" stable semver 'preserve: [data/, conf/local.php]'
config_target "$CFG" keepdiffer "$URL" "$A/keepdiffer" stable semver 'preserve: [data/, conf/local.php]'
config_target "$CFG" nokeep "$URL" "$A/nokeep"
config_target "$CFG" gone "$URL" "$A/does-not-exist"

up --config "$CFG" --check-config
rc_is 0 "--check-config accepts the config (with preserve:)"

# check_one TARGET : check --json of one target (then jq_target TARGET ...)
check_one() { up --config "$CFG" --batch check "$1" --json; }

# ---------------------------------------------------------------- matching tree
sum_before=$(cd "$A/match" && find . -type f -exec sha256sum {} + | sort | sha256sum)
up --config "$CFG" --batch adopt match 1.0.0
rc_is 0 "matching tree: adopt exits 0"
is "$(cd "$A/match" && find . -type f -exec sha256sum {} + | sort | sha256sum)" "$sum_before" \
	"matching tree: adopt does not modify the tree"
check_one match
is "$(jq_target match .installed)" 1.0.0 "matching tree: check shows installed 1.0.0"
rc_is 100 "matching tree: check then offers 1.1.0 (exit 100)"
is "$(jq_target match .newest)" 1.1.0 "matching tree: newest 1.1.0"
is "$(jq_target match .kind)" minor "matching tree: kind minor"

# ---------------------------------------------------------------- non-matching tree
up --config "$CFG" --batch adopt differ 1.0.0
rc_is 5 "differing tree: adopt exits 5"
both=$(cat "$OUT" "$ERR")
like "$both" 'lib/core\.txt' "differing tree: the changed file is listed"
like "$both" 'lib/extra\.txt' "differing tree: the added file is listed"
like "$both" 'public/index\.html' "differing tree: the removed file is listed"
unlike "$both" 'VERSION|bin/run\.sh|latest\.html' "differing tree: identical files are not listed"
check_one differ
is "$(jq_target differ .installed)" null "differing tree: nothing recorded"
is "$(cat "$A/differ/lib/core.txt")" "core patched by hand" "differing tree: the tree is left as it was"

up --config "$CFG" --batch adopt older 1.1.0
rc_is 5 "tree of 1.0.0 adopted as 1.1.0: exit 5"
both=$(cat "$OUT" "$ERR")
like "$both" 'VERSION' "wrong version: VERSION listed (content differs)"
like "$both" 'lib/release-v1\.1\.0\.txt' "wrong version: the file only in v1.1.0 is listed"
unlike "$both" 'lib/core\.txt' "wrong version: files equal in both are not listed"
check_one older
is "$(jq_target older .installed)" null "wrong version: nothing recorded"

# ---------------------------------------------------------------- preserve:
up --config "$CFG" --batch adopt keep 1.0.0
rc_is 0 "local changes only under preserve: paths: adopt exits 0"
check_one keep
is "$(jq_target keep .installed)" 1.0.0 "preserve: check shows installed 1.0.0"

up --config "$CFG" --batch adopt keepdiffer 1.0.0
rc_is 5 "preserve: plus a change elsewhere: exit 5"
both=$(cat "$OUT" "$ERR")
like "$both" 'lib/core\.txt' "preserve: the change outside is listed"
unlike "$both" 'data/users\.db|data/cache|conf/local\.php' "preserve: preserved paths are not listed"

up --config "$CFG" --batch adopt nokeep 1.0.0
rc_is 5 "the same local changes without preserve: exit 5"
both=$(cat "$OUT" "$ERR")
like "$both" 'conf/local\.php' "without preserve: conf/local.php is listed"
like "$both" 'data/users\.db|data/' "without preserve: the data files are listed"

# ---------------------------------------------------------------- bad arguments
up --config "$CFG" --batch adopt match 9.9.9
isnt "$RC" 0 "a version with no tag: adopt fails (exit $RC)"
like "$(cat "$OUT" "$ERR")" '9\.9\.9' "a version with no tag: the message names it"
check_one match
is "$(jq_target match .installed)" 1.0.0 "a version with no tag: the recorded version is kept"

up --config "$CFG" --batch adopt gone 1.0.0
isnt "$RC" 0 "a path that does not exist: adopt fails (exit $RC)"
isnt "$RC" 5 "a path that does not exist: not reported as a differing tree"
like "$(cat "$OUT" "$ERR")" "$A/does-not-exist" "a path that does not exist: the message names it"

up --config "$CFG" --batch adopt nosuchtarget 1.0.0
rc_is 2 "unknown target: exit 2"
up --config "$CFG" --batch adopt match
rc_is 2 "adopt without a version: exit 2 (usage)"

done_testing
