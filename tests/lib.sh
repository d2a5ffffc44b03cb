# tests/lib.sh - shared helpers for upkeep's shell tests (TAP output).
#
# Sourced by the scripts under tests/integration and tests/console:
#     . "$top_srcdir/tests/lib.sh"
# They run from the build directory with UPKEEP (absolute path of the binary)
# and top_srcdir set, as `make check` does (AM_TESTS_ENVIRONMENT).
#
# What it gives a script:
#   TAP        plan N | done_testing | ok DESC CMD... | nok DESC CMD... |
#              is GOT WANT DESC | isnt GOT UNWANTED DESC | like TEXT ERE DESC |
#              unlike TEXT ERE DESC | pass DESC | fail DESC | skip N WHY |
#              skip_all WHY | bail WHY | diag TEXT...
#   running    run CMD... (stdout in $OUT, stderr in $ERR, exit status in $RC,
#              killed after $UPKEEP_TEST_TIMEOUT seconds) | up ARGS... (= run
#              "$UPKEEP" ARGS...) | rc_is WANT DESC | show_run (diagnostics)
#   JSON       jq_target NAME FILTER : FILTER applied to the JSON line of
#              target NAME in $OUT (jq -r; "<no line>" when there is none) |
#              jq_release NAME TAG FILTER : same, on one of its releases |
#              json_lines FILE : non-empty, one JSON object per line
#   temp       $T: a fresh directory, removed on exit (kept when
#              UPKEEP_KEEP_TMP=1 or an assertion failed); the script runs in
#              $T/cwd; HOME, XDG_* and git's global config point inside $T.
#              track_pid PID : killed on exit
#   git        git_work DIR | git_release WORK TAG [MESSAGE] | git_bare WORK BARE |
#              git_fast_tags BARE [ANNOTATE_EVERY] < names | semver_names N |
#              git_export REPO TAG DIR | git_packed_ref REPO REF SHA |
#              git_signed_release WORK KEY TAG [MESSAGE] | ssh_sign_key FILE
#              [TYPE [BITS]] |
#              fixture_app WORK BARE | fixture_layout WORK | fixture_junk_names (+ $JUNK_TAGS,
#              $JUNK_SKIPPED)
#   config     config_new FILE [STATE CACHE] | config_target FILE NAME URL PATH
#              [CHANNEL [SCHEME [EXTRA_YAML_LINES]]]
#   http       http_start ROOT : lighttpd + git http-backend on 127.0.0.1,
#              sets $HTTP_URL (http://127.0.0.1:PORT/git), $HTTP_PID and
#              $HTTP_ACCESS_LOG and $HTTP_WWW (static files at /); stopped on exit.
#              http_require : skip the whole script when lighttpd is missing.
#   ssh        ssh_start : a private sshd on 127.0.0.1 (own host key and
#              authorized_keys), sets $SSH_URL (ssh://USER@127.0.0.1:PORT),
#              $SSH_AUTHORIZED_KEYS, $SSH_KNOWN_HOSTS_LINE, $SSH_LOG, $SSH_PID;
#              stopped on exit. ssh_require | ssh_new_key FILE
#   https      https_start ROOT CERT KEY : http_start over TLS, sets $HTTPS_URL
#              (https://localhost:PORT/git), $HTTPS_PORT, $HTTPS_PID,
#              $HTTPS_ACCESS_LOG, $HTTPS_WWW. https_require | tls_cert NAME DIR
#   misc       has_raw_controls FILE : true if FILE holds C0 controls other
#              than \n and \t (ESC, BEL...), DEL or C1 (0x80-0x9f as UTF-8);
#              python3 tests/forbidden.py text|pty FILE... : names what a
#              terminal would interpret in each FILE (bidi, bad UTF-8 too)
#
# Every assertion prints "ok N - DESC" or "not ok N - DESC" followed by
# "# " diagnostics saying what was expected and what came.

set -u
export LANG=${LANG:-C.UTF-8}
unset LC_ALL LANGUAGE

# ------------------------------------------------------------------ TAP core
_t_n=0
_t_failed=0
_t_planned=
_t_pids=

diag() {
	local line
	# Diagnostics show control characters visibly: a test log must never
	# itself become the terminal attack the test is about.
	printf '%s\n' "$*" | cat -v | while IFS= read -r line; do
		printf '# %s\n' "$line"
	done
}

_diag_file() { # _diag_file LABEL FILE [MAXLINES]
	local max=${3:-30} n
	[ -s "$2" ] || { diag "$1: (empty)"; return 0; }
	n=$(wc -l < "$2")
	diag "$1 ($n lines, first $max, lines cut at 300 bytes):"
	head -n "$max" "$2" | cut -c1-300 | cat -v | sed 's/^/#   /'
}

plan() { _t_planned=$1; echo "1..$1"; }

done_testing() {
	[ -n "$_t_planned" ] || echo "1..$_t_n"
}

skip_all() { echo "1..0 # SKIP $*"; exit 0; }

bail() { echo "Bail out! $*"; exit 99; }

pass() { _t_n=$((_t_n + 1)); echo "ok $_t_n - $1"; }

fail() {
	_t_n=$((_t_n + 1)); _t_failed=$((_t_failed + 1))
	echo "not ok $_t_n - $1"
	return 1
}

skip() { # skip N WHY
	local i
	for ((i = 0; i < $1; i++)); do
		_t_n=$((_t_n + 1)); echo "ok $_t_n # SKIP $2"
	done
}

ok() { # ok DESC CMD... : passes when CMD exits 0
	local desc=$1; shift
	if "$@"; then pass "$desc"; else
		local rc=$?; fail "$desc"; diag "command failed (exit $rc): $*"; return 1
	fi
}

nok() { # nok DESC CMD... : passes when CMD exits non-zero
	local desc=$1; shift
	if ! "$@"; then pass "$desc"; else
		fail "$desc"; diag "command succeeded but should not have: $*"; return 1
	fi
}

is() { # is GOT WANT DESC
	if [ "$1" = "$2" ]; then pass "$3"; else
		fail "$3"; diag "     got: '$1'"; diag "expected: '$2'"; return 1
	fi
}

isnt() { # isnt GOT UNWANTED DESC
	if [ "$1" != "$2" ]; then pass "$3"; else
		fail "$3"; diag "got '$1', which it should not be"; return 1
	fi
}

like() { # like TEXT ERE DESC : some line of TEXT matches ERE
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then pass "$3"; else
		fail "$3"; diag "no line matches /$2/ in:"; diag "$(printf '%s\n' "$1" | head -n 30 | cut -c1-300)"; return 1
	fi
}

unlike() { # unlike TEXT ERE DESC : no line of TEXT matches ERE
	if ! printf '%s\n' "$1" | grep -Eq -- "$2"; then pass "$3"; else
		fail "$3"; diag "unexpected match of /$2/:"; diag "$(printf '%s\n' "$1" | grep -E -- "$2" | head -n 10 | cut -c1-300)"; return 1
	fi
}

# ------------------------------------------------------------------ temp dir, cleanup
T=$(mktemp -d "${TMPDIR:-/tmp}/upkeep-test.XXXXXX") || bail "mktemp failed"
OUT=$T/.out
# Scripts run inside the temporary directory: whatever a bad run drops into
# its working directory is cleaned up and can be checked for.
mkdir -p "$T/cwd" && cd "$T/cwd" || bail "cd $T/cwd"
ERR=$T/.err
RC=0
_LAST_CMD=

_cleanup() {
	local status=$? pid
	for pid in $_t_pids; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	if [ "$_t_failed" -gt 0 ] || [ "${UPKEEP_KEEP_TMP:-0}" = 1 ]; then
		echo "# temporary files kept in $T"
	else
		chmod -R u+rwX "$T" 2>/dev/null
		rm -rf "$T"
	fi
	# Failures are reported as "not ok" lines; the exit status stays that of
	# the script (0 unless it bailed out or crashed), so that a failure is not
	# counted twice by the TAP driver.
	exit "$status"
}
trap _cleanup EXIT
trap 'exit 130' INT TERM HUP

# Register a background process to be killed on exit.
track_pid() { _t_pids="$_t_pids $1"; }

# wait_until SECONDS CMD... : runs CMD every 50 ms until it succeeds; false
# once SECONDS have passed. A deadline in seconds, not a count of polls: on a
# loaded machine one poll can take much longer than its sleep.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

# ------------------------------------------------------------------ the binary
: "${top_srcdir:?top_srcdir must be set (make check sets it)}"
: "${UPKEEP:?UPKEEP must be the absolute path of the upkeep binary}"
[ -x "$UPKEEP" ] || bail "UPKEEP=$UPKEEP is not an executable"
command -v jq >/dev/null 2>&1 || bail "jq is required by the integration tests (apt-get install jq)"
command -v git >/dev/null 2>&1 || bail "git is required by the integration tests"

# Tests must not see the user's git or upkeep configuration.
export HOME=$T/home
export XDG_CONFIG_HOME=$HOME/.config XDG_STATE_HOME=$HOME/.local/state XDG_CACHE_HOME=$HOME/.cache
mkdir -p "$HOME"
export GIT_CONFIG_NOSYSTEM=1
export GIT_CONFIG_GLOBAL=$HOME/.gitconfig
cat > "$GIT_CONFIG_GLOBAL" <<'EOF'
[user]
	name = Upkeep Test
	email = test@upkeep.invalid
[init]
	defaultBranch = main
[tag]
	gpgSign = false
[commit]
	gpgSign = false
[advice]
	detachedHead = false
EOF
export NO_COLOR=1
# Only a hang should hit this: under ASan at load 25 on 2 cores a check of
# 1,000 tags took over 120 s (40 s of CPU for the whole of check_file.sh,
# 528 s of wall time).
UPKEEP_TEST_TIMEOUT=${UPKEEP_TEST_TIMEOUT:-600}

# run CMD... : stdout -> $OUT, stderr -> $ERR, status -> $RC. Never hangs:
# the command is killed after $UPKEEP_TEST_TIMEOUT seconds (RC 124/137).
run() {
	_LAST_CMD="$*"
	timeout -k 5 "$UPKEEP_TEST_TIMEOUT" "$@" > "$OUT" 2> "$ERR" < /dev/null
	RC=$?
	return 0
}

up() { run "$UPKEEP" "$@"; }

show_run() {
	diag "command: $_LAST_CMD"
	diag "exit status: $RC"
	_diag_file stdout "$OUT"
	_diag_file stderr "$ERR"
}

rc_is() { # rc_is WANT DESC : exit status of the last run
	if [ "$RC" = "$1" ]; then pass "$2"; else
		fail "$2"; diag "expected exit status $1"; show_run; return 1
	fi
}

# jq_target NAME FILTER : applies FILTER (jq -r) to the JSON line of target
# NAME in $OUT; prints "<no line>" when there is none, "<bad json>" when $OUT
# is not JSON lines.
jq_target() {
	local r n
	n=$(jq -c --arg t "$1" 'select(type == "object" and .target == $t)' < "$OUT" 2>/dev/null | wc -l)
	if ! jq -e . < "$OUT" > /dev/null 2>&1; then echo "<bad json>"; return 0; fi
	if [ "$n" = 0 ]; then echo "<no line>"; return 0; fi
	r=$(jq -r --arg t "$1" "select(.target == \$t) | $2" < "$OUT" 2>&1) || r="<jq error: $r>"
	printf '%s\n' "$r"
}

# The release of TAG in target NAME's releases array, FILTER applied.
jq_release() { jq_target "$1" "(.releases // [])[] | select(.tag == \"$2\") | $3"; }

# True when FILE holds bytes a terminal would interpret: C0 controls except
# \t and \n, DEL, and the UTF-8 encoding of C1 controls (U+0080-U+009F).
has_raw_controls() {
	LC_ALL=C grep -qP '[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]' "$1"
}

# ------------------------------------------------------------------ git fixtures
# git_work DIR : a working repository with an application skeleton, one commit.
git_work() {
	mkdir -p "$1" && git init -q "$1" || bail "git init $1"
	mkdir -p "$1/lib" "$1/public"
	printf 'hello\n' > "$1/public/index.html"
	printf 'core 0\n' > "$1/lib/core.txt"
	printf 'version=0\n' > "$1/VERSION"
	git -C "$1" add -A && git -C "$1" commit -q -m "Initial import" || bail "git commit in $1"
}

# git_release WORK TAG [MESSAGE] : commits a change (VERSION and a file named
# after the tag) and tags it; annotated with MESSAGE (may hold trailers) when
# given, lightweight otherwise.
git_release() {
	local w=$1 tag=$2
	printf 'version=%s\n' "$tag" > "$w/VERSION"
	printf '%s\n' "$tag" > "$w/lib/release-$tag.txt"
	git -C "$w" add -A && git -C "$w" commit -q -m "Release $tag" || bail "commit $tag"
	if [ $# -ge 3 ]; then
		printf '%s\n' "$3" > "$T/.tagmsg"
		git -C "$w" tag -a -F "$T/.tagmsg" "$tag" || bail "tag $tag"
	else
		git -C "$w" tag "$tag" || bail "tag $tag"
	fi
}

# ssh_sign_key FILE [TYPE [BITS]] : an unencrypted SSH key pair FILE and
# FILE.pub (ed25519 by default) for signing tags, commented with FILE's
# base name.
ssh_sign_key() {
	rm -f "$1" "$1.pub"
	ssh-keygen -q -t "${2:-ed25519}" ${3:+-b "$3"} -N '' -C "${1##*/}" -f "$1" < /dev/null \
		> /dev/null 2>&1 || bail "ssh-keygen -t ${2:-ed25519} -f $1"
}

# git_signed_release WORK KEY TAG [MESSAGE] : commits a change to VERSION and
# tags it with an SSH signature by KEY (git's gpg.format=ssh, the SSHSIG
# format); the message is MESSAGE, else "Release TAG". The tagger is
# test@upkeep.invalid, for the allowed-signers file.
git_signed_release() {
	local w=$1 key=$2 tag=$3
	printf 'version=%s\n' "$tag" > "$w/VERSION"
	git -C "$w" add -A && git -C "$w" commit -q -m "Release $tag" || bail "commit $tag"
	printf '%s\n' "${4:-Release $tag}" > "$T/.tagmsg"
	git -C "$w" -c gpg.format=ssh -c user.signingkey="$key" tag -s -F "$T/.tagmsg" "$tag" \
		|| bail "git tag -s $tag with $key"
}

# git_bare WORK BARE : a bare clone with all tags.
git_bare() {
	git clone -q --bare "$1" "$2" || bail "git clone --bare $1 $2"
}

# semver_names N [PREFIX] : N distinct versions 0.0.0, 0.0.1 ... (the last
# digit runs 0-9, the middle 0-9, the first upwards), one per line.
semver_names() {
	awk -v n="$1" -v p="${2-v}" 'BEGIN { for (i = 0; i < n; i++)
		printf "%s%d.%d.%d\n", p, int(i / 100), int(i / 10) % 10, i % 10 }'
}

# git_fast_tags BARE [ANNOTATE_EVERY] < names : creates (or extends) the bare
# repository BARE with one commit per name on refs/heads/main and a tag of
# that name on it, with git fast-import (1000 tags in well under a second).
# Every ANNOTATE_EVERY-th tag (default 2) is annotated, the others are
# lightweight; 0 = all lightweight. Names must be valid ref names.
git_fast_tags() {
	local bare=$1 every=${2:-2}
	[ -d "$bare" ] || git init -q --bare "$bare" || bail "git init --bare $bare"
	awk -v every="$every" '
		function data(s) { printf "data %d\n%s\n", length(s) + 1, s }
		BEGIN { t = 1700000000 }
		{
			n++; t += 60
			printf "commit refs/heads/main\nmark :%d\n", n
			printf "committer Upkeep Test <test@upkeep.invalid> %d +0000\n", t
			data("Release " $0)
			if (n > 1) printf "from :%d\n", n - 1
			printf "M 644 inline VERSION\n"; data("version=" $0)
			printf "\n"
			if (every > 0 && n % every == 0) {
				printf "tag %s\nfrom :%d\n", $0, n
				printf "tagger Upkeep Test <test@upkeep.invalid> %d +0000\n", t
				data("Release " $0)
				printf "\n"
			} else {
				printf "reset refs/tags/%s\nfrom :%d\n\n", $0, n
			}
		}' | LC_ALL=C git --git-dir="$bare" fast-import --quiet || bail "git fast-import into $bare"
	git --git-dir="$bare" symbolic-ref HEAD refs/heads/main
}

# git_export REPO TAG DIR : the tree of TAG written into DIR (created).
git_export() {
	local gd
	gd=$(git -C "$1" rev-parse --absolute-git-dir) || bail "not a repository: $1"
	mkdir -p "$3" && git --git-dir="$gd" archive "$2" | tar -x -C "$3" \
		|| bail "git archive $2 from $1"
}

# git_packed_ref REPO REF SHA : adds a ref line to packed-refs directly, which
# accepts names that git itself refuses to create (control characters, a
# component longer than NAME_MAX). Drops the "sorted" claim of the header.
git_packed_ref() {
	local gd
	gd=$(git -C "$1" rev-parse --absolute-git-dir) || bail "not a repository: $1"
	[ -f "$gd/packed-refs" ] && sed -i '/^# pack-refs/d' "$gd/packed-refs"
	printf '%s %s\n' "$3" "$2" >> "$gd/packed-refs"
}

# ------------------------------------------------------------------ configuration
# config_new FILE [STATE CACHE] : starts a config file (state and cache under $T
# by default).
config_new() {
	local state=${2:-$T/state} cache=${3:-$T/cache}
	printf 'state_dir: %s\ncache_dir: %s\ntargets:\n' "$state" "$cache" > "$1"
}

# config_target FILE NAME URL PATH [CHANNEL [SCHEME [EXTRA]]] : appends a
# target. EXTRA is YAML text appended inside the target (indented by 4).
config_target() {
	{
		printf '  %s:\n' "$2"
		printf '    source: { git: "%s", scheme: %s }\n' "$3" "${6:-semver}"
		printf '    path: %s\n' "$4"
		printf '    channel: %s\n' "${5:-stable}"
		[ -n "${7:-}" ] && printf '%s\n' "$7" | sed 's/^/    /'
	} >> "$1"
}

# ------------------------------------------------------------------ HTTP server
LIGHTTPD=${LIGHTTPD:-$(command -v lighttpd 2>/dev/null || { [ -x /usr/sbin/lighttpd ] && echo /usr/sbin/lighttpd; })}
GIT_HTTP_BACKEND=${GIT_HTTP_BACKEND:-$(git --exec-path)/git-http-backend}

http_require() {
	[ -n "$LIGHTTPD" ] && [ -x "$LIGHTTPD" ] || skip_all "lighttpd missing"
	[ -x "$GIT_HTTP_BACKEND" ] || bail "git-http-backend not found at $GIT_HTTP_BACKEND"
}

_port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# static_http_start DIR : python3's http.server serving DIR on a port of
# 127.0.0.1 that the kernel picks (so never another test's server), until
# exit. Sets STATIC_PORT, STATIC_PID, STATIC_LOG (its request log).
_static_n=0
static_http_start() {
	_static_n=$((_static_n + 1))
	STATIC_LOG=$T/static-http-$_static_n.log
	python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$1" > "$STATIC_LOG" 2>&1 &
	STATIC_PID=$!
	track_pid "$STATIC_PID"
	wait_until 120 _static_port && [ -n "$STATIC_PORT" ] ||
		{ diag "$(cat "$STATIC_LOG")"; bail "python3 -m http.server did not start"; }
}
# _static_port : STATIC_PORT from the line the server prints once it
# listens; true when it did, or when the server died.
_static_port() {
	STATIC_PORT=$(sed -n 's/^Serving HTTP on .* port \([0-9][0-9]*\) .*/\1/p' "$STATIC_LOG")
	[ -n "$STATIC_PORT" ] || ! kill -0 "$STATIC_PID" 2> /dev/null
}

# http_start ROOT : serves the repositories under ROOT at
# http://127.0.0.1:PORT/git/NAME through git http-backend (lighttpd in the
# foreground as a background job of this shell, killed on exit). Sets
# HTTP_URL, HTTP_PORT, HTTP_PID, HTTP_ACCESS_LOG (lighttpd's access log: one
# line per request with the User-Agent), HTTP_WWW (a directory served as
# static files at http://127.0.0.1:PORT/, ranges included).
http_start() {
	http_require
	_lighttpd_start "$1" "$T/lighttpd" || bail "could not start lighttpd on 127.0.0.1"
	HTTP_PORT=$_LH_PORT HTTP_PID=$_LH_PID
	HTTP_URL=http://127.0.0.1:$_LH_PORT/git
	HTTP_ACCESS_LOG=$T/lighttpd/access.log HTTP_WWW=$T/lighttpd/www
}

# _lighttpd_start ROOT DIR [CERT KEY] : one lighttpd for http_start and
# https_start: git http-backend at /git over ROOT, DIR/www as static files,
# TLS with CERT and KEY when given. Sets _LH_PORT and _LH_PID.
_lighttpd_start() {
	local root=$1 dir=$2 cert=${3:-} key=${4:-} try port i modules tls=
	mkdir -p "$dir/www"
	modules='"mod_alias", "mod_setenv", "mod_cgi", "mod_accesslog"'
	if [ -n "$cert" ]; then
		modules="\"mod_openssl\", $modules"
		tls=$(printf 'ssl.engine = "enable"\nssl.pemfile = "%s"\nssl.privkey = "%s"' "$cert" "$key")
	fi
	for try in 1 2 3 4 5 6 7 8 9 10; do
		port=$(( 20000 + (RANDOM * 32768 + RANDOM + $$) % 40000 ))
		_port_in_use "$port" && continue
		cat > "$dir/lighttpd.conf" <<EOF
server.modules = ( $modules )
accesslog.filename = "$dir/access.log"
server.document-root = "$dir/www"
server.bind = "127.0.0.1"
server.port = $port
server.errorlog = "$dir/error.log"
server.max-request-size = 65536
$tls
alias.url = ( "/git" => "$GIT_HTTP_BACKEND" )
\$HTTP["url"] =~ "^/git" {
	cgi.assign = ( "" => "" )
	setenv.set-environment = (
		"GIT_PROJECT_ROOT" => "$root",
		"GIT_HTTP_EXPORT_ALL" => "1",
		"GIT_CONFIG_NOSYSTEM" => "1",
		"HOME" => "$HOME"
	)
}
EOF
		"$LIGHTTPD" -tt -f "$dir/lighttpd.conf" > "$dir/configtest.log" 2>&1 \
			|| { diag "$(cat "$dir/configtest.log")"; bail "lighttpd rejects its test config"; }
		"$LIGHTTPD" -D -f "$dir/lighttpd.conf" > "$dir/stdout.log" 2>&1 &
		_LH_PID=$!
		track_pid "$_LH_PID"
		# Until it listens or dies (a deadline: polls are slow under load).
		i=$((SECONDS + 60))
		while [ "$SECONDS" -lt "$i" ]; do
			if ! kill -0 "$_LH_PID" 2>/dev/null; then break; fi
			if _port_in_use "$port"; then
				_LH_PORT=$port
				return 0
			fi
			sleep 0.05
		done
		kill "$_LH_PID" 2>/dev/null; wait "$_LH_PID" 2>/dev/null
	done
	diag "$(cat "$dir/error.log" "$dir/stdout.log" 2>/dev/null)"
	return 1
}

# ------------------------------------------------------------------ standard fixtures
# fixture_app WORK BARE : the demo's history: v1.0.0 (annotated), v1.0.1
# (lightweight), v1.1.0 (annotated, "Security:" trailer), v2.0.0-rc1 and
# v2.0.0 (annotated); BARE is a bare clone.
fixture_app() {
	git_work "$1"
	git_release "$1" v1.0.0 "Release 1.0.0"
	git_release "$1" v1.0.1
	git_release "$1" v1.1.0 "$(printf 'Release 1.1.0\n\nFixes a path traversal in uploads.\n\nSecurity: CVE-2024-0001')"
	git_release "$1" v2.0.0-rc1 "Release candidate for 2.0.0"
	git_release "$1" v2.0.0 "$(printf 'Release 2.0.0\n\nNew storage layout.')"
	git_bare "$1" "$2"
}

# fixture_layout WORK : git_work WORK plus what a deployed application
# holds: an executable bin/run.sh, a symlink public/latest.html, a
# conf/local.php to preserve and an empty data/ (data/.keep), committed.
fixture_layout() {
	git_work "$1"
	mkdir -p "$1/bin" "$1/conf" "$1/data"
	printf '#!/bin/sh\necho run\n' > "$1/bin/run.sh"; chmod 755 "$1/bin/run.sh"
	ln -s index.html "$1/public/latest.html"
	printf '<?php $db = "default";\n' > "$1/conf/local.php"
	: > "$1/data/.keep"
	git -C "$1" add -A && git -C "$1" commit -q -m "layout" || bail "commit"
}

# fixture_junk_names : 240 tag names that are not semver, then 5 that are
# (v1.0.0 v1.2.0 v1.2.3 v2.0.0-alpha.1 3.0.0); all valid ref names.
fixture_junk_names() {
	local i
	for i in $(seq 1 40); do
		printf 'build-%d\nnightly-%d\nv%d\n1.%d\nr%d.0.0\nv01.0.%d\n' "$i" "$i" "$i" "$i" "$i" "$i"
	done
	printf 'v1.0.0\nv1.2.0\nv1.2.3\nv2.0.0-alpha.1\n3.0.0\n'
}
JUNK_TAGS=245
JUNK_SKIPPED=240

# json_lines FILE : true when FILE holds at least one line and every line is
# a JSON object.
json_lines() {
	[ -s "$1" ] && jq -se 'length > 0 and all(.[]; type == "object")' "$1" > /dev/null 2>&1
}

# ------------------------------------------------------------------ SSH server
# ssh_require : skip the whole script when sshd (openssh-server) is missing.
# ssh_start : a private sshd on 127.0.0.1 (own host key, own authorized_keys,
#     no PAM, root or the current user may log in with a key), killed on exit.
#     Serves the whole file system: $SSH_URL/ABSOLUTE/PATH/repo.git. Sets
#     SSH_URL (ssh://USER@127.0.0.1:PORT), SSH_PORT, SSH_USER, SSH_PID,
#     SSH_LOG (sshd's log), SSH_AUTHORIZED_KEYS (empty file: append public
#     keys), SSH_KNOWN_HOSTS_LINE (the line for ~/.ssh/known_hosts).
# ssh_new_key FILE : an unencrypted ed25519 key pair FILE, FILE.pub.
SSHD=${SSHD:-/usr/sbin/sshd}

ssh_require() {
	[ -x "$SSHD" ] || skip_all "sshd missing ($SSHD; apt-get install openssh-server)"
	command -v ssh-keygen > /dev/null 2>&1 || bail "ssh-keygen missing (openssh-client)"
}

ssh_new_key() {
	rm -f "$1" "$1.pub"
	ssh-keygen -q -t ed25519 -N '' -C "upkeep-test" -f "$1" < /dev/null > /dev/null 2>&1 \
		|| bail "ssh-keygen -f $1 failed"
}

# libgit2 1.5.1's ssh transport and libssh2 1.10 leak a little on every
# connection (sanitizer builds report it at exit): libgit2 frees the
# LIBSSH2_KNOWNHOSTS list only on error (libgit2#6598, fixed in 1.7) and
# clears rather than frees the known_hosts path buffers; libssh2 leaks in
# libssh2_userauth_list() and when an ECDSA key is refused. All of it is
# allocated under git_remote_connect_ext(), which names no frame of upkeep's
# own, so that is what is suppressed, for scripts that start sshd only. The
# stacks go through libraries built without frame pointers: unwind them
# fully, or they stop before any name that could be matched.
_lsan_libgit2_ssh() {
	local supp=$T/lsan-ssh.supp old
	old=$(printf '%s\n' "${LSAN_OPTIONS:-}" | tr ':' '\n' | sed -n 's/^suppressions=//p' | tail -n 1)
	{
		[ -n "$old" ] && [ -r "$old" ] && cat "$old"
		printf '%s\n' 'leak:git_remote_connect_ext'
	} > "$supp"
	export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$supp:fast_unwind_on_malloc=0"
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
}

ssh_start() {
	local dir=$T/sshd try port i
	ssh_require
	_lsan_libgit2_ssh
	mkdir -p "$dir"
	ssh_new_key "$dir/host_key"
	SSH_AUTHORIZED_KEYS=$dir/authorized_keys
	: > "$SSH_AUTHORIZED_KEYS"
	SSH_USER=$(id -un)
	# As root, sshd wants its privilege separation directory (which the
	# system service would create).
	if [ "$(id -u)" = 0 ] && [ ! -d /run/sshd ]; then
		mkdir -p -m 0755 /run/sshd || bail "cannot create /run/sshd"
	fi
	for try in 1 2 3 4 5 6 7 8 9 10; do
		port=$(( 20000 + (RANDOM * 32768 + RANDOM + $$) % 40000 ))
		_port_in_use "$port" && continue
		cat > "$dir/sshd_config" <<EOF2
ListenAddress 127.0.0.1
AddressFamily inet
HostKey $dir/host_key
PidFile $dir/sshd.pid
AuthorizedKeysFile $SSH_AUTHORIZED_KEYS
AuthenticationMethods publickey
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers $SSH_USER
StrictModes no
UsePAM no
PrintMotd no
X11Forwarding no
AllowTcpForwarding no
LogLevel VERBOSE
EOF2
		"$SSHD" -t -f "$dir/sshd_config" -p "$port" > "$dir/configtest.log" 2>&1 \
			|| { diag "$(cat "$dir/configtest.log")"; bail "sshd rejects its test config"; }
		"$SSHD" -D -e -f "$dir/sshd_config" -p "$port" > "$dir/sshd.log" 2>&1 &
		SSH_PID=$!
		track_pid "$SSH_PID"
		# Until it listens or dies (a deadline: polls are slow under load).
		i=$((SECONDS + 60))
		while [ "$SECONDS" -lt "$i" ]; do
			if ! kill -0 "$SSH_PID" 2>/dev/null; then break; fi
			if _port_in_use "$port"; then
				SSH_PORT=$port
				SSH_URL=ssh://$SSH_USER@127.0.0.1:$port
				SSH_LOG=$dir/sshd.log
				SSH_KNOWN_HOSTS_LINE="[127.0.0.1]:$port $(cut -d' ' -f1,2 "$dir/host_key.pub")"
				return 0
			fi
			sleep 0.05
		done
		kill "$SSH_PID" 2>/dev/null; wait "$SSH_PID" 2>/dev/null
	done
	diag "$(cat "$dir/sshd.log" 2>/dev/null)"
	bail "could not start sshd on 127.0.0.1"
}

# ------------------------------------------------------------------ HTTPS server
# https_require : skip the whole script when lighttpd or its TLS module
#     (lighttpd-mod-openssl) is missing.
# tls_cert NAME DIR : a self-signed P-256 certificate for DNS name NAME
#     (CN and subjectAltName): DIR/NAME.crt and DIR/NAME.key.
# https_start ROOT CERT KEY : like http_start, over TLS with that certificate;
#     several may run at once. Sets HTTPS_URL (https://localhost:PORT/git:
#     libgit2 does not match IP addresses in certificates), HTTPS_PORT,
#     HTTPS_PID, HTTPS_ACCESS_LOG, HTTPS_WWW (static files at /).
LIGHTTPD_MODULES=${LIGHTTPD_MODULES:-/usr/lib/lighttpd}

https_require() {
	http_require
	[ -f "$LIGHTTPD_MODULES/mod_openssl.so" ] \
		|| skip_all "lighttpd's TLS module missing ($LIGHTTPD_MODULES/mod_openssl.so; apt-get install lighttpd-mod-openssl)"
	command -v openssl > /dev/null 2>&1 || bail "openssl missing"
}

tls_cert() {
	mkdir -p "$2"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/CN=$1" -addext "subjectAltName=DNS:$1" \
		-keyout "$2/$1.key" -out "$2/$1.crt" < /dev/null > "$2/$1.log" 2>&1 \
		|| { diag "$(cat "$2/$1.log")"; bail "openssl could not make a certificate for $1"; }
}

_https_n=0
https_start() {
	local dir
	https_require
	_https_n=$((_https_n + 1))
	dir=$T/lighttpd-https-$_https_n
	_lighttpd_start "$1" "$dir" "$2" "$3" || bail "could not start lighttpd with TLS on 127.0.0.1"
	HTTPS_PORT=$_LH_PORT HTTPS_PID=$_LH_PID
	HTTPS_URL=https://localhost:$_LH_PORT/git
	HTTPS_ACCESS_LOG=$dir/access.log HTTPS_WWW=$dir/www
}
