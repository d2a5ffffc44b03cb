#!/bin/bash
# fetch_limits.sh - endless data and slow retrieval over http (git
# http-backend). A release whose pack is far larger than the target's
# limits.fetch_size is cut off at the cap with a message naming the limit;
# the same release with the default limit is fetched. A server that answers
# the ref advertisement and then never sends the pack (the backend behind a
# CGI wrapper that stalls the upload-pack POST): the check gives up after
# limits.fetch_time with a message naming that limit and the target's URL,
# nothing of the partial fetch becomes a release, and an install over the
# same stall fails the same way. (A server silent from the start is
# check_timeout.sh.)
. "$top_srcdir/tests/lib.sh"
http_require

# The wrapper stalls while $STALL exists, for at most 60 s, and ends when
# the test's directory goes away.
STALL=$T/stall
REAL_BACKEND=$GIT_HTTP_BACKEND
GIT_HTTP_BACKEND=$T/stall-backend
cat > "$GIT_HTTP_BACKEND" <<EOF
#!/bin/sh
if [ "\$REQUEST_METHOD" = POST ] && [ -e "$STALL" ]; then
	: > "$STALL.hit"
	i=0
	while [ -e "$STALL" ] && [ \$i -lt 300 ]; do sleep 0.2; i=\$((i + 1)); done
	[ -e "$STALL" ] && exit 1
fi
exec "$REAL_BACKEND"
EOF
chmod +x "$GIT_HTTP_BACKEND"


W=$T/work/app
git_work "$W"
head -c $((8 << 20)) /dev/urandom > "$W/public/huge.bin"   # incompressible
git_release "$W" v1.0.0 "Release 1.0.0"
mkdir -p "$T/srv"
git_bare "$W" "$T/srv/app.git"
S=$T/work/small
git_work "$S"
git_release "$S" v1.0.0 "Release 1.0.0"
git_bare "$S" "$T/srv/small.git"
http_start "$T/srv"

CFG=$T/upkeep.yaml
config_new "$CFG"
config_target "$CFG" capped "$HTTP_URL/app.git" "$T/apps/capped" stable semver \
	"limits: { fetch_size: 1M }"
config_target "$CFG" free "$HTTP_URL/app.git" "$T/apps/free"
config_target "$CFG" stalled "$HTTP_URL/small.git" "$T/apps/stalled" stable semver \
	"limits: { timeout: 20s, fetch_time: 2s }"

plan 16
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

# ---------------------------------------------------------------- a stalled pack
: > "$STALL"
up --config "$CFG" --batch check --json stalled
rc_is 1 "the pack never comes: the target fails (exit 1)"
ok "the server answered the advertisement and stalled the fetch" test -e "$STALL.hit"
like "$(jq_target stalled .error)" "127\\.0\\.0\\.1:$HTTP_PORT/git/small\\.git: .*limits\\.fetch_time \\(2 s\\)" \
	"the error names the URL and limits.fetch_time"
unlike "$(jq_target stalled .error)" "limits\\.timeout" "... and not the listing's limit"
is "$(jq_target stalled '.releases | length')" 0 "no release is reported from the partial fetch"
is "$(sqlite3 "$T/state/state.db" "SELECT count(*) FROM releases WHERE target = 'stalled'")" 0 \
	"... nor recorded in the state database"

up --config "$CFG" --batch install stalled 1.0.0
rc_is 1 "an install over the same stall gives up: exit 1"
like "$(cat "$ERR")" "small\\.git: fetching the tags took longer than limits\\.fetch_time \\(2 s\\)" \
	"... naming the URL and limits.fetch_time"
ok "... leaving no tree at the target's path" test ! -e "$T/apps/stalled"

rm -f "$STALL"
up --config "$CFG" --batch check --json stalled
rc_is 100 "once the server answers, the same check offers 1.0.0"
