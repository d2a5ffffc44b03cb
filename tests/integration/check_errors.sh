#!/bin/bash
# check_errors.sh - bad input and faults during a check: unreachable hosts,
# missing repositories, unsupported URL schemes, hostile tag names, a state
# database locked by another process, a corrupt state database.
. "$top_srcdir/tests/lib.sh"

have_http=0
if [ -n "$LIGHTTPD" ] && [ -x "$LIGHTTPD" ]; then have_http=1; fi
have_flock=0
if command -v flock >/dev/null 2>&1; then have_flock=1; fi

fixture_app "$T/work/app" "$T/srv/app.git"
git_export "$T/srv/app.git" v1.0.0 "$T/apps/good"
mkdir -p "$T/apps/bad" "$T/apps/missing" "$T/apps/missinghttp"
GOOD_URL=file://$T/srv/app.git

# ---------------------------------------------------------------- unreachable host
BAD_URL=http://127.0.0.1:1/x.git
CFG=$T/unreachable.yaml
config_new "$CFG"
config_target "$CFG" bad "$BAD_URL" "$T/apps/bad"
config_target "$CFG" good "$GOOD_URL" "$T/apps/good"
up --config "$CFG" --batch adopt good 1.0.0
rc_is 0 "adopt good 1.0.0"

up --config "$CFG" --batch check --json
rc_is 1 "unreachable host: exit 1"
is "$(jq_target bad .ok)" false "unreachable host: bad target not ok"
like "$(jq_target bad .error)" 'http://127\.0\.0\.1:1/x\.git' "unreachable host: the error names the URL"
is "$(jq_target bad .newest)" null "unreachable host: no newest version invented"
is "$(jq_target good .ok)" true "unreachable host: the good target is still checked"
is "$(jq_target good .newest)" 2.0.0 "unreachable host: the good target's newest is reported"

up --config "$CFG" --batch check
rc_is 1 "unreachable host, table mode: exit 1"
like "$(cat "$OUT" "$ERR")" 'http://127\.0\.0\.1:1/x\.git' "table mode: the failing URL is named"
like "$(cat "$OUT")" '^good +1\.0\.0 +2\.0\.0 +major' "table mode: the good target's row is still printed"

# ---------------------------------------------------------------- repository not found
CFG=$T/notfound.yaml
config_new "$CFG"
config_target "$CFG" missing "file://$T/srv/nosuch.git" "$T/apps/missing"
config_target "$CFG" good "$GOOD_URL" "$T/apps/good"
if [ "$have_http" = 1 ]; then
	http_start "$T/srv"
	config_target "$CFG" missinghttp "$HTTP_URL/nosuch.git" "$T/apps/missinghttp"
fi
up --config "$CFG" --batch check --json
rc_is 1 "repository not found: exit 1"
is "$(jq_target missing .ok)" false "file:// repository not found: not ok"
like "$(jq_target missing .error)" "$T/srv/nosuch\.git" "file:// repository not found: the error names the path"
is "$(jq_target good .ok)" true "repository not found: the other target still ok"
if [ "$have_http" = 1 ]; then
	is "$(jq_target missinghttp .ok)" false "http repository not found: not ok"
	like "$(jq_target missinghttp .error)" "$HTTP_URL/nosuch\.git" "http repository not found: the error names the URL"
else
	skip 2 "lighttpd missing"
fi

# ---------------------------------------------------------------- unknown target, bad usage
up --config "$CFG" --batch check nosuchtarget
rc_is 2 "check of an unknown target name: exit 2"
like "$(cat "$ERR")" 'nosuchtarget' "unknown target: named on stderr"
up --config "$CFG" --batch frobnicate
rc_is 2 "unknown batch command: exit 2"

# ---------------------------------------------------------------- unsupported URL scheme
CFG=$T/scheme.yaml
mkdir -p "$T/state-scheme-parent"
config_new "$CFG" "$T/state-scheme" "$T/cache-scheme"
config_target "$CFG" ftp "ftp://example.invalid/x.git" "$T/apps/bad"
# line 4 is "  ftp:", line 5 the source with the URL
up --config "$CFG" --check-config
rc_is 2 "unsupported URL scheme (ftp://): --check-config exits 2"
like "$(cat "$ERR")" "^$CFG:5:[0-9]+: " "unsupported URL scheme: FILE:LINE:COL points at the source line"
like "$(cat "$ERR")" 'ftp' "unsupported URL scheme: the message names the scheme"
up --config "$CFG" --batch check
rc_is 2 "unsupported URL scheme: check exits 2 too"
nok "unsupported URL scheme: no state directory created" test -e "$T/state-scheme"

# ---------------------------------------------------------------- hostile tag names
# A date-scheme target: "[anything]YYYY-MM-DD" parses, so hostile names are
# releases, not skipped tags. packed-refs accepts names git refuses to create.
# Over file:// libgit2 1.5 refuses to list such a repository at all (invalid
# ref name; a name longer than 1024 bytes): the target fails, and its error
# message, which quotes the name, must be escaped too. Over http git
# advertises both names and they reach upkeep's parser.
ESC=$(printf '\033')
BEL=$(printf '\007')
git_work "$T/work/hostile"
git_release "$T/work/hostile" release-2024-01-01 "Release"
git_bare "$T/work/hostile" "$T/srv/hostile.git"
cp -a "$T/srv/hostile.git" "$T/srv/long.git"
head_sha=$(git --git-dir="$T/srv/hostile.git" rev-parse refs/heads/main)
git_packed_ref "$T/srv/hostile.git" "refs/tags/${ESC}[2J${BEL}-2030-01-01" "$head_sha"
LONG=$(head -c 4000 /dev/zero | tr '\0' x)-2031-01-01
git_packed_ref "$T/srv/long.git" "refs/tags/$LONG" "$head_sha"
mkdir -p "$T/apps/hostile" "$T/apps/long" "$T/apps/hostilehttp" "$T/apps/longhttp"

CFG=$T/hostile.yaml
config_new "$CFG"
config_target "$CFG" hostile "file://$T/srv/hostile.git" "$T/apps/hostile" stable date
config_target "$CFG" long "file://$T/srv/long.git" "$T/apps/long" stable date
if [ "$have_http" = 1 ]; then
	config_target "$CFG" hostilehttp "$HTTP_URL/hostile.git" "$T/apps/hostilehttp" stable date
	config_target "$CFG" longhttp "$HTTP_URL/long.git" "$T/apps/longhttp" stable date
fi

visible_esc='\\e\[2J|\\x1[bB]\[2J|\\033\[2J|\\u001[bB]\[2J|\^\[\[2J'
up --config "$CFG" --batch check
case $RC in 1|100) pass "table: hostile names give exit 1 or 100 (got $RC)" ;;
	*) fail "table: hostile names give exit 1 or 100"; show_run ;; esac
if has_raw_controls "$OUT"; then fail "table: no raw control characters on stdout"; show_run
else pass "table: no raw control characters on stdout"; fi
if has_raw_controls "$ERR"; then fail "table: no raw control characters on stderr"; show_run
else pass "table: no raw control characters on stderr"; fi
like "$(cat "$OUT" "$ERR")" "$visible_esc" "table: the ESC of the hostile tag is shown as a visible escape"
# the long name is 4000 "x" then "-2031-01-01": the longest run of x shown
maxrun=$(cat "$OUT" "$ERR" | grep -ao 'x\+' | awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }')
ok "table: the 4 KB tag name is shortened (longest run of its x: $maxrun <= 400)" test "$maxrun" -le 400
if [ "$have_http" = 1 ]; then
	# Names git would not accept as refs are skipped like unparsable tags:
	# the real release is still offered and the target does not fail.
	like "$(cat "$OUT")" '^longhttp +- +2024-01-01 ' \
		"table: longhttp skips the 4 KB tag and offers 2024-01-01"
	like "$(cat "$OUT")" '^hostilehttp +- +2024-01-01 ' \
		"table: hostilehttp skips the hostile tag and offers 2024-01-01"
else
	skip 2 "lighttpd missing"
fi

up --config "$CFG" --batch check --json
if has_raw_controls "$OUT"; then fail "json: no raw control characters on stdout"; show_run
else pass "json: no raw control characters on stdout"; fi
if has_raw_controls "$ERR"; then fail "json: no raw control characters on stderr"; show_run
else pass "json: no raw control characters on stderr"; fi
ok "json: every line parses" json_lines "$OUT"
is "$(jq_target hostile .ok)" false "json: file:// repository with an invalid ref name: the target fails"
like "$(jq -c 'select(.target == "hostile") | .error' "$OUT")" \
	'\\u001[bB]\[2J|\\\\e\[2J|\\\\x1[bB]' "json: its error quotes the name escaped"
if [ "$have_http" = 1 ]; then
	is "$(jq_target longhttp .skipped)" 1 "json: the 4 KB tag over http is skipped and counted"
	# If a hostile name makes the target fail, the error still says where.
	for t in hostilehttp longhttp; do
		e=$(jq_target "$t" .error)
		if [ "$e" = null ] || printf '%s' "$e" | grep -qF "$HTTP_URL/"; then
			pass "json: $t: no error, or the error names the URL"
		else
			fail "json: $t: no error, or the error names the URL"; diag "error: $e"
		fi
	done
	is "$(jq_target hostilehttp .ok),$(jq_target hostilehttp .skipped),$(jq_target hostilehttp .newest)" \
		"true,1,2024-01-01" "json: the hostile name over http is skipped, the target still checked"
else
	skip 4 "lighttpd missing"
fi

# ---------------------------------------------------------------- state database locked
STATE=$T/state-lock
CFG=$T/lock.yaml
config_new "$CFG" "$STATE" "$T/cache-lock"
config_target "$CFG" good "$GOOD_URL" "$T/apps/good"
up --config "$CFG" --batch check --json
rc_is 100 "lock: a first check creates the state (exit 100)"
ok "lock: the first check created the state directory" test -d "$STATE"
if [ "$have_flock" = 1 ]; then
	mkdir -p "$STATE"
	: >> "$STATE/state.lock"
	# The holder: takes the flock on the file, writes its own PID into it and
	# keeps the lock (fd 9 stays open across exec) until killed.
	( exec 9>>"$STATE/state.lock"; flock -x 9 || exit 1
	  echo "$BASHPID" > "$STATE/state.lock"; exec sleep 300 ) &
	holder=$!
	track_pid "$holder"
	wait_until 120 grep -qx "$holder" "$STATE/state.lock"
	is "$(cat "$STATE/state.lock")" "$holder" "lock: the holder ($holder) has the lock"
	start=$(date +%s)
	up --config "$CFG" --batch check --json
	took=$(( $(date +%s) - start ))
	diag "locked check took ${took}s"
	rc_is 3 "lock held by another process: exit 3 after waiting"
	like "$(cat "$ERR")" "(^|[^0-9])$holder([^0-9]|$)" "lock: the message names the holder's PID $holder"
	like "$(cat "$ERR")" '[Ll]ock' "lock: the message says the state is locked"
	kill "$holder"; wait "$holder" 2>/dev/null
	up --config "$CFG" --batch check --json
	rc_is 100 "lock released: check works again (exit 100)"
else
	skip 6 "flock(1) missing"
fi

# ---------------------------------------------------------------- corrupt state database
STATE=$T/state-corrupt
CFG=$T/corrupt.yaml
config_new "$CFG" "$STATE" "$T/cache-corrupt"
config_target "$CFG" good "$GOOD_URL" "$T/apps/good"
mkdir -p "$STATE"
{ printf 'this is not an SQLite database\n'; head -c 16384 /dev/urandom; } > "$STATE/state.db"
sum_before=$(sha256sum < "$STATE/state.db")
up --config "$CFG" --batch check --json
rc_is 4 "corrupt state database: exit 4"
like "$(cat "$ERR")" "$STATE/state\.db" "corrupt state database: the message names the file"
is "$(sha256sum < "$STATE/state.db")" "$sum_before" "corrupt state database: the file is unchanged"
nok "corrupt state database: no -wal left beside it" test -s "$STATE/state.db-wal"

# a database with a valid header and garbage after it
STATE=$T/state-corrupt2
CFG=$T/corrupt2.yaml
config_new "$CFG" "$STATE" "$T/cache-corrupt2"
config_target "$CFG" good "$GOOD_URL" "$T/apps/good"
mkdir -p "$STATE"
{ printf 'SQLite format 3\000'; head -c 8176 /dev/urandom; } > "$STATE/state.db"
sum_before=$(sha256sum < "$STATE/state.db")
up --config "$CFG" --batch check --json
rc_is 4 "SQLite header then garbage: exit 4"
like "$(cat "$ERR")" "$STATE/state\.db" "SQLite header then garbage: the message names the file"
is "$(sha256sum < "$STATE/state.db")" "$sum_before" "SQLite header then garbage: the file is unchanged"

done_testing
