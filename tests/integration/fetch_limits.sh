#!/bin/bash
# fetch_limits.sh - endless data: a release whose pack is far larger than
# the target's limits.fetch_size, served over http by git http-backend, is
# cut off at the cap with a message naming the limit; the same release with
# the default limit is fetched. (A server that stalls is check_timeout.sh.)
. "$top_srcdir/tests/lib.sh"
http_require

W=$T/work/app
git_work "$W"
head -c $((8 << 20)) /dev/urandom > "$W/public/huge.bin"   # incompressible
git_release "$W" v1.0.0 "Release 1.0.0"
mkdir -p "$T/srv"
git_bare "$W" "$T/srv/app.git"
http_start "$T/srv"

CFG=$T/upkeep.yaml
config_new "$CFG"
config_target "$CFG" capped "$HTTP_URL/app.git" "$T/apps/capped" stable semver \
	"limits: { fetch_size: 1M }"
config_target "$CFG" free "$HTTP_URL/app.git" "$T/apps/free"

plan 6
up --config "$CFG" --batch check --json capped
rc_is 1 "a pack 8 times the fetch size: the target fails (exit 1)"
like "$(jq_target capped .error)" "app\\.git: cannot fetch tags: more data than the fetch size limit \\(1048576 bytes\\)" \
	"the error names the URL and the limit"
kb=$(du -sk "$T/cache/repos/capped.git" | cut -f1)
ok "the cache holds less than 3 MiB of it ($kb KiB)" test "$kb" -lt 3072
up --config "$CFG" --batch check --json free
rc_is 100 "with the default limit (512M) the same release is fetched"
is "$(jq_target free .newest)" "1.0.0" "... and offered"
is "$(jq_release free v1.0.0 .verdict)" "unsigned" "... with its verdict"
