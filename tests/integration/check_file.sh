#!/bin/bash
# check_file.sh - `upkeep --batch check` against real repositories on the local
# filesystem: file:// URLs and plain paths, a repository with 1,000 tags, one
# whose tags mostly do not parse, kinds, flags, channels and exit codes.
. "$top_srcdir/tests/lib.sh"

# ---------------------------------------------------------------- fixtures
fixture_app "$T/work/app" "$T/src/app.git"
semver_names 1000 | git_fast_tags "$T/src/big.git"
fixture_junk_names | git_fast_tags "$T/src/junk.git"
git_work "$T/work/pre"
git_release "$T/work/pre" v1.0.0 "Release 1.0.0"
git_release "$T/work/pre" v1.1.0-rc.1 "First candidate of 1.1.0"
git_bare "$T/work/pre" "$T/src/pre.git"

# installed trees for the targets that get adopted
git_export "$T/src/app.git" v1.0.0 "$T/apps/app"
git_export "$T/src/app.git" v1.0.0 "$T/apps/appbeta"
git_export "$T/src/pre.git" v1.0.0 "$T/apps/pre"
git_export "$T/src/pre.git" v1.0.0 "$T/apps/prebeta"
git_export "$T/src/big.git" v9.9.0 "$T/apps/big"
mkdir -p "$T/apps/junk"

CFG=$T/upkeep.yaml
config_new "$CFG"
config_target "$CFG" app "file://$T/src/app.git" "$T/apps/app" stable
config_target "$CFG" appbeta "$T/src/app.git" "$T/apps/appbeta" beta      # plain path
config_target "$CFG" big "file://$T/src/big.git" "$T/apps/big" stable
config_target "$CFG" junk "file://$T/src/junk.git" "$T/apps/junk" stable
config_target "$CFG" pre "file://$T/src/pre.git" "$T/apps/pre" stable
config_target "$CFG" prebeta "$T/src/pre.git" "$T/apps/prebeta" beta      # plain path

up --config "$CFG" --check-config
rc_is 0 "--check-config accepts the test config"

# ---------------------------------------------------------------- before any adopt
up --config "$CFG" --batch check big junk --json
rc_is 100 "check big junk (nothing installed): exit 100, updates available"
is "$(wc -l < "$OUT")" 2 "one JSON line per named target, and only those"
ok "every line is a JSON object" json_lines "$OUT"
is "$(jq_target big .ok)" true "big (1000 tags, file://): ok"
is "$(jq_target big .tags)" 1000 "big: 1000 tags counted"
is "$(jq_target big .skipped)" 0 "big: no tag skipped"
is "$(jq_target big .installed)" null "big: nothing installed yet"
is "$(jq_target big .newest)" 9.9.9 "big: newest is 9.9.9"
is "$(jq_target big .newest_tag)" v9.9.9 "big: newest_tag is v9.9.9"
is "$(jq_target junk .ok)" true "junk: tags that do not parse are not an error"
is "$(jq_target junk .error)" null "junk: no error"
is "$(jq_target junk .tags)" "$JUNK_TAGS" "junk: every tag counted"
is "$(jq_target junk .skipped)" "$JUNK_SKIPPED" "junk: the unparsable tags counted as skipped"
is "$(jq_target junk .newest)" 3.0.0 "junk: newest of the parsable ones (prefix-less 3.0.0)"
is "$(jq_target junk '[.releases[] | select(.in_channel) | .version] | sort | join(" ")')" \
	"1.0.0 1.2.0 1.2.3 3.0.0" "junk: the stable releases are exactly the parsable non-pre-release tags"
is "$(jq_target junk '.releases | map(.tag) | any(startswith("build-") or startswith("v01."))')" \
	false "junk: no unparsable tag listed as a release"

# ---------------------------------------------------------------- adopt, then check all
for t in app:1.0.0 appbeta:1.0.0 pre:1.0.0 prebeta:1.0.0 big:9.9.0; do
	up --config "$CFG" --batch adopt "${t%%:*}" "${t#*:}"
	rc_is 0 "adopt ${t%%:*} ${t#*:} (tree exported from the tag)"
done

up --config "$CFG" --batch check --json
rc_is 100 "check of every target: exit 100"
is "$(jq -r .target "$OUT" | sort | tr '\n' ' ')" "app appbeta big junk pre prebeta " \
	"one line per configured target"

is "$(jq_target app .ok)" true "app: ok"
is "$(jq_target app .error)" null "app: error is null"
is "$(jq_target app .installed)" 1.0.0 "app: installed 1.0.0"
is "$(jq_target app .newest)" 2.0.0 "app: newest 2.0.0"
is "$(jq_target app .newest_tag)" v2.0.0 "app: newest_tag v2.0.0"
is "$(jq_target app .kind)" major "app: kind major"
is "$(jq_target app '.flags | index("security") != null')" true "app: security flag (from v1.1.0's trailer)"
is "$(jq_target app .newer)" 3 "app (stable): 3 newer releases offered (1.0.1 1.1.0 2.0.0)"
is "$(jq_target app .tags)" 5 "app: 5 tags"
is "$(jq_target app .skipped)" 0 "app: none skipped"
is "$(jq_release app v1.0.1 .kind)" patch "app: v1.0.1 is a patch release"
is "$(jq_release app v1.0.1 .version)" 1.0.1 "app: v1.0.1 has version 1.0.1"
is "$(jq_release app v1.0.1 '.flags | length')" 0 "app: v1.0.1 (lightweight tag) has no flags"
is "$(jq_release app v1.1.0 .kind)" minor "app: v1.1.0 is a minor release"
is "$(jq_release app v1.1.0 '.flags | index("security") != null')" true "app: v1.1.0 flagged security"
is "$(jq_release app v2.0.0-rc1 .kind)" pre-release "app: v2.0.0-rc1 is a pre-release"
is "$(jq_release app v2.0.0-rc1 .in_channel)" false "app (stable): v2.0.0-rc1 not in the channel"
is "$(jq_release app v2.0.0 .kind)" major "app: v2.0.0 is a major release"
is "$(jq_release app v2.0.0 .in_channel)" true "app (stable): v2.0.0 in the channel"
is "$(jq_release app v2.0.0 '.flags | index("security") != null')" false "app: v2.0.0 not flagged security"
want_date=$(git --git-dir="$T/src/app.git" for-each-ref --format='%(taggerdate:unix)' refs/tags/v2.0.0)
is "$(jq_release app v2.0.0 .date)" "$want_date" "app: v2.0.0's date is its tagger date"
is "$(jq_target app '[.releases[].tag] | index("v1.0.0")')" null "app: the installed release is not listed as newer"

is "$(jq_target appbeta .ok)" true "appbeta (plain path): ok"
is "$(jq_target appbeta .newest)" 2.0.0 "appbeta: newest 2.0.0 (2.0.0 > 2.0.0-rc1)"
is "$(jq_target appbeta .newer)" 4 "appbeta (beta): 4 newer releases offered, the rc included"
is "$(jq_release appbeta v2.0.0-rc1 .in_channel)" true "appbeta (beta): v2.0.0-rc1 in the channel"

is "$(jq_target big .installed)" 9.9.0 "big: installed 9.9.0 after adopt"
is "$(jq_target big .newest)" 9.9.9 "big: newest 9.9.9"
is "$(jq_target big .kind)" patch "big: kind patch"
is "$(jq_target big .newer)" 9 "big: 9 newer releases"
is "$(jq_target big '[.releases[] | select(.kind != "patch")] | length')" 0 "big: every newer release is a patch"

is "$(jq_target pre .installed)" 1.0.0 "pre (stable): installed 1.0.0"
is "$(jq_target pre .newest)" null "pre (stable): nothing newer offered (only a pre-release exists)"
is "$(jq_target pre .newer)" 0 "pre (stable): newer 0"
is "$(jq_target prebeta .newest)" 1.1.0-rc.1 "prebeta (beta): newest 1.1.0-rc.1"
is "$(jq_target prebeta .kind)" pre-release "prebeta (beta): kind pre-release"
is "$(jq_target prebeta .newer)" 1 "prebeta (beta): newer 1"

# ---------------------------------------------------------------- exit codes
up --config "$CFG" --batch check pre --json
rc_is 0 "check pre (stable, up to date): exit 0"
is "$(jq -r .target "$OUT")" pre "check pre prints only pre"
up --config "$CFG" --batch check prebeta --json
rc_is 100 "check prebeta (beta, a pre-release is newer): exit 100"
up --config "$CFG" --batch check pre
rc_is 0 "table mode, up to date: exit 0"

# ---------------------------------------------------------------- table output
up --config "$CFG" --batch check app pre
rc_is 100 "table mode: exit 100"
like "$(cat "$OUT")" '^ *TARGET +INSTALLED +AVAILABLE +KIND +FLAGS +NEWER +TRUST *$' \
	"table header: TARGET INSTALLED AVAILABLE KIND FLAGS NEWER TRUST"
like "$(cat "$OUT")" '^app +1\.0\.0 +2\.0\.0 +major +security +3 +unsigned *$' "table row: app 1.0.0 2.0.0 major security 3 unsigned"
like "$(cat "$OUT")" '^pre +1\.0\.0 ' "table row for pre"
unlike "$(grep '^pre ' "$OUT")" 'major|minor|patch|security' "table row for pre: no kind, no flags"
ok "table mode prints no JSON" bash -c "! grep -q '^{' '$OUT'"

done_testing
