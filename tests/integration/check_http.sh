#!/bin/bash
# check_http.sh - `upkeep --batch check` over http://127.0.0.1, served by
# git http-backend behind a lighttpd that this script starts and stops.
. "$top_srcdir/tests/lib.sh"
http_require

# ---------------------------------------------------------------- fixtures and server
SRV=$T/srv
mkdir -p "$SRV"
fixture_app "$T/work/app" "$SRV/app.git"
semver_names 1000 | git_fast_tags "$SRV/big.git"
fixture_junk_names | git_fast_tags "$SRV/junk.git"
http_start "$SRV"
diag "serving $SRV at $HTTP_URL"

# The server itself must work, or nothing below means anything.
run git ls-remote --tags "$HTTP_URL/big.git"
rc_is 0 "git ls-remote over the test server works"
is "$(grep -vc '\^{}$' "$OUT")" 1000 "git ls-remote sees 1000 tags over http"

git_export "$SRV/app.git" v1.0.0 "$T/apps/app"
git_export "$SRV/big.git" v9.9.0 "$T/apps/big"
mkdir -p "$T/apps/fresh" "$T/apps/junk"

CFG=$T/upkeep.yaml
config_new "$CFG"
config_target "$CFG" app "$HTTP_URL/app.git" "$T/apps/app" stable
config_target "$CFG" fresh "$HTTP_URL/app.git" "$T/apps/fresh" beta
config_target "$CFG" big "$HTTP_URL/big.git" "$T/apps/big" stable
config_target "$CFG" junk "$HTTP_URL/junk.git" "$T/apps/junk" stable

up --config "$CFG" --check-config
rc_is 0 "--check-config accepts http:// sources"

up --config "$CFG" --batch adopt app 1.0.0
rc_is 0 "adopt app 1.0.0 over http"
up --config "$CFG" --batch adopt big 9.9.0
rc_is 0 "adopt big 9.9.0 over http"

up --config "$CFG" --batch check --json
rc_is 100 "check over http: exit 100"
is "$(jq -r .target "$OUT" | sort | tr '\n' ' ')" "app big fresh junk " "one JSON line per target"

is "$(jq_target app .ok)" true "app: ok"
is "$(jq_target app .installed)" 1.0.0 "app: installed 1.0.0"
is "$(jq_target app .newest)" 2.0.0 "app: newest 2.0.0"
is "$(jq_target app .kind)" major "app: kind major"
is "$(jq_target app '.flags | index("security") != null')" true "app: security flag read from the tag message over http"
is "$(jq_target app .newer)" 3 "app (stable): 3 newer"
is "$(jq_release app v1.0.1 .kind)" patch "app: v1.0.1 patch"
is "$(jq_release app v1.1.0 .kind)" minor "app: v1.1.0 minor"
is "$(jq_release app v1.1.0 '.flags | index("security") != null')" true "app: v1.1.0 security"
is "$(jq_release app v2.0.0-rc1 .kind)" pre-release "app: v2.0.0-rc1 pre-release"
is "$(jq_release app v2.0.0-rc1 .in_channel)" false "app (stable): rc not in channel"
is "$(jq_release app v2.0.0 .kind)" major "app: v2.0.0 major"

is "$(jq_target fresh .installed)" null "fresh: nothing installed"
is "$(jq_target fresh .newest)" 2.0.0 "fresh: newest 2.0.0"
is "$(jq_target fresh .newer)" 5 "fresh (beta, nothing installed): all 5 releases newer"
is "$(jq_release fresh v2.0.0-rc1 .in_channel)" true "fresh (beta): rc in channel"

is "$(jq_target big .ok)" true "big (1000 tags over http): ok"
is "$(jq_target big .tags)" 1000 "big: 1000 tags"
is "$(jq_target big .skipped)" 0 "big: none skipped"
is "$(jq_target big .newest)" 9.9.9 "big: newest 9.9.9"
is "$(jq_target big .kind)" patch "big: kind patch"
is "$(jq_target big .newer)" 9 "big: 9 newer"

is "$(jq_target junk .ok)" true "junk over http: ok"
is "$(jq_target junk .tags)" "$JUNK_TAGS" "junk: all tags counted"
is "$(jq_target junk .skipped)" "$JUNK_SKIPPED" "junk: unparsable tags skipped"
is "$(jq_target junk .newest)" 3.0.0 "junk: newest 3.0.0"

up --config "$CFG" --batch check app
rc_is 100 "table mode over http: exit 100"
like "$(cat "$OUT")" '^app +1\.0\.0 +2\.0\.0 +major +security +3 +unsigned *$' "table row: app 1.0.0 2.0.0 major security 3 unsigned"

# The server saw the requests: upkeep really went over http.
like "$(cat "$HTTP_ACCESS_LOG")" 'GET /git/app\.git/info/refs\?service=git-upload-pack .*libgit2' \
	"the server's access log shows libgit2 listing app.git"
like "$(cat "$HTTP_ACCESS_LOG")" 'GET /git/big\.git/info/refs\?service=git-upload-pack .*libgit2' \
	"the server's access log shows libgit2 listing big.git"
kill "$HTTP_PID" 2>/dev/null; wait "$HTTP_PID" 2>/dev/null
up --config "$CFG" --batch check app --json
rc_is 1 "server stopped: the check fails with exit 1"
is "$(jq_target app .ok)" false "server stopped: app not ok"
like "$(jq_target app .error)" "127\.0\.0\.1:$HTTP_PORT" "server stopped: the error names the URL"

done_testing
