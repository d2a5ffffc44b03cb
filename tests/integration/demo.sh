#!/bin/bash
# demo.sh - `upkeep --demo DIR` builds a self-contained demo (a bare
# repository with tags v1.0.0 v1.0.1 v1.1.0[Security] v2.0.0-rc1 v2.0.0, an
# application installed at 1.0.0, a config, a state directory), and a check
# on it shows the updates with the right kinds. Also --help and --version.
. "$top_srcdir/tests/lib.sh"

# ---------------------------------------------------------------- --help, --version
up --help
rc_is 0 "--help exits 0"
help=$(cat "$OUT")
like "$help" '--batch' "--help mentions --batch"
like "$help" '--check-config' "--help mentions --check-config"
like "$help" '--demo' "--help mentions --demo"
like "$help" 'adopt' "--help mentions adopt"
like "$help" '(^|[^0-9])100([^0-9]|$)' "--help documents exit status 100"
like "$help" '(^|[^0-9])2([^0-9]|$).*([Uu]sage|[Cc]onfig)|([Uu]sage|[Cc]onfig).*(^|[^0-9])2([^0-9]|$)' \
	"--help documents exit status 2 (usage/config)"
up --version
rc_is 0 "--version exits 0"
like "$(cat "$OUT")" '^upkeep.* [0-9]+\.[0-9]+\.[0-9]+' "--version prints the name and version"
up --no-such-option
rc_is 2 "an unknown option: exit 2"
like "$(cat "$ERR")" 'no-such-option' "an unknown option is named"

# ---------------------------------------------------------------- --demo
# The demo's layout is the binary's choice; what it must hold: a config, a
# state directory, a bare repository with the five tags, and a target
# installed at 1.0.0 from it. The test finds them through the config.
D=$T/demo
up --demo "$D"
rc_is 0 "--demo DIR exits 0"
ok "demo: DIR/upkeep.yaml exists" test -f "$D/upkeep.yaml"
up --config "$D/upkeep.yaml" --check-config
rc_is 0 "demo: the config is valid"
ok "demo: DIR/state exists" test -d "$D/state"
like "$(cat "$D/upkeep.yaml")" "file://$D/[^\"]*\.git|git: *\"?$D/" "demo: the config points at repositories inside DIR"

repo=
for r in "$D"/*.git "$D"/*/*.git; do
	[ -d "$r" ] || continue
	if git --git-dir="$r" rev-parse -q --verify refs/tags/v1.1.0 > /dev/null 2>&1; then repo=$r; break; fi
done
isnt "$repo" "" "demo: a repository inside DIR has tag v1.1.0"
[ -n "$repo" ] || repo=$D/none.git
diag "demo repository: $repo"
is "$(git --git-dir="$repo" rev-parse --is-bare-repository 2>/dev/null)" true "demo: it is a bare repository"
tags=$(git --git-dir="$repo" tag -l | LC_ALL=C sort | tr '\n' ' ')
is "$tags" "v1.0.0 v1.0.1 v1.1.0 v2.0.0 v2.0.0-rc1 " "demo: the repository has the five tags"
msg=$(git --git-dir="$repo" for-each-ref --format='%(contents)' refs/tags/v1.1.0)
like "$msg" '^Security: ' "demo: v1.1.0's tag message carries a Security: trailer"
n_commits=$(git --git-dir="$repo" rev-list --count v2.0.0 2>/dev/null || echo 0)
ok "demo: a small history (v2.0.0 has $n_commits commits, at least 5)" test "$n_commits" -ge 5

# ---------------------------------------------------------------- check on the demo
up --config "$D/upkeep.yaml" --batch check --json
rc_is 100 "demo: check exits 100 (updates available)"
ok "demo: one JSON object per line" json_lines "$OUT"
is "$(jq -s 'length > 0 and all(.[]; .ok == true)' "$OUT" 2>/dev/null)" true "demo: every target checks ok"
name=$(jq -r 'select(.installed == "1.0.0" and .newest == "2.0.0") | .target' "$OUT" | head -n 1)
isnt "$name" "" "demo: a target is installed at 1.0.0 with 2.0.0 available"
[ -n "$name" ] || name=none
diag "demo target: $name"
is "$(jq_target "$name" .newest_tag)" v2.0.0 "demo: newest_tag v2.0.0"
is "$(jq_target "$name" .kind)" major "demo: kind major"
is "$(jq_target "$name" '.flags | index("security") != null')" true "demo: security flag"
is "$(jq_target "$name" .newer)" 3 "demo: 3 newer stable releases"
is "$(jq_release "$name" v1.0.1 .kind)" patch "demo: v1.0.1 patch"
is "$(jq_release "$name" v1.1.0 .kind)" minor "demo: v1.1.0 minor"
is "$(jq_release "$name" v1.1.0 '.flags | index("security") != null')" true "demo: v1.1.0 security"
is "$(jq_release "$name" v2.0.0-rc1 .kind)" pre-release "demo: v2.0.0-rc1 pre-release"

# the installed tree is v1.0.0's tree (apart from preserved local data)
app=$(awk -v t="  $name:" '$0 == t { f = 1; next } f && /^  [^ ]/ { f = 0 }
	f && /^    path: / { sub(/^    path: */, ""); gsub(/"/, ""); print; exit }' "$D/upkeep.yaml" 2>/dev/null)
inside_demo() { [ -n "$1" ] && [ -d "$1" ] && [ "${1#"$D"/}" != "$1" ]; }
ok "demo: the target's path ($app) is a directory inside DIR" inside_demo "$app"
if [ -d "$repo" ] && inside_demo "$app"; then
	git_export "$repo" v1.0.0 "$T/v1"
	if diff -r --no-dereference -x data "$T/v1" "$app" > "$T/diff" 2>&1; then
		pass "demo: the installed tree is v1.0.0's tree (data/ aside)"
	else
		fail "demo: the installed tree is v1.0.0's tree (data/ aside)"; diag "$(head -n 20 "$T/diff")"
	fi
else
	fail "demo: the installed tree is v1.0.0's tree (data/ aside)"; diag "no repository or no installed tree"
fi

up --config "$D/upkeep.yaml" --batch check "$name"
rc_is 100 "demo: table mode exits 100"
like "$(cat "$OUT")" "^$name +1\.0\.0 +2\.0\.0 +major +security +3 +unsigned *$" "demo: table row $name 1.0.0 2.0.0 major security 3 unsigned"

# ---------------------------------------------------------------- where a demo may go
up --demo "$T/demo2"
rc_is 0 "a second demo in another directory"
if [ -f "$T/demo2/upkeep.yaml" ] && ! grep -qF "$D/" "$T/demo2/upkeep.yaml"; then
	pass "the second demo has its own config, which does not point at the first"
else
	fail "the second demo has its own config, which does not point at the first"
fi
up --demo "$T/demo2"
rc_is 0 "--demo again into an earlier demo replaces it"
mkdir -p "$T/precious"
echo keep > "$T/precious/notes.txt"
up --demo "$T/precious"
isnt "$RC" 0 "--demo into a non-empty directory that is not a demo is refused (exit $RC)"
is "$(ls -A "$T/precious")" notes.txt "--demo refused: the directory is left as it was"
is "$(cat "$T/precious/notes.txt")" keep "--demo refused: its file is untouched"

done_testing
