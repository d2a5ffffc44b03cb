#!/bin/bash
# bench/check.sh - how fast `upkeep --batch check` is, measured against
# `git ls-remote --tags` on the same repositories in the same run.
#
#   1. one target with 1,000 tags (500 annotated) over file:// and over
#      http://127.0.0.1 (git http-backend behind lighttpd), installed at
#      9.9.0 (9 newer releases), cache warm; versus git ls-remote --tags;
#      plus the first check with an empty cache;
#   2. 20 such targets (20 repositories) checked by one command, versus
#      20 x the one-target check.
# Prints a Markdown table (median, min, max in ms). Timings are wall clock
# of whole processes. Nothing here is asserted: it is a measurement.
#
# Usage: bench/check.sh [UPKEEP_BINARY]
# Env:   RUNS [20]   BENCH_DIR [/tmp/upkeep-bench-check]   TAGS [1000]
#        TARGETS [20]   UPKEEP (binary; default ./upkeep, then <src>/build/upkeep)
# Uses hyperfine when installed, else a loop timed with date +%s%N.
NO_COLOR=1; export NO_COLOR
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_upkeep "${1:-}"
RUNS=${RUNS:-20}
TAGS=${TAGS:-1000}
TARGETS=${TARGETS:-20}
B=${BENCH_DIR:-/tmp/upkeep-bench-check}
BACKEND=$(git --exec-path)/git-http-backend
HYPERFINE=$(command -v hyperfine || true)
log() { bench_log "$@"; }

rm -rf "$B"; mkdir -p "$B/srv" "$B/apps"
bench_git_home "$B/home"
trap bench_stop_http EXIT

# ------------------------------------------------------------------ repositories
log "building a repository with $TAGS tags"
awk -v n="$TAGS" '
	function data(s) { printf "data %d\n%s\n", length(s) + 1, s }
	BEGIN { t = 1700000000
		for (i = 1; i <= n; i++) {
			v = sprintf("v%d.%d.%d", int((i - 1) / 100), int((i - 1) / 10) % 10, (i - 1) % 10)
			t += 60
			printf "commit refs/heads/main\nmark :%d\ncommitter bench <b@upkeep.invalid> %d +0000\n", i, t
			data("Release " v)
			if (i > 1) printf "from :%d\n", i - 1
			printf "M 644 inline VERSION\n"; data("version=" v); printf "\n"
			if (i % 2 == 0) {
				printf "tag %s\nfrom :%d\ntagger bench <b@upkeep.invalid> %d +0000\n", v, i, t
				data("Release " v); printf "\n"
			} else printf "reset refs/tags/%s\nfrom :%d\n\n", v, i
		} }' > "$B/stream"
git init -q --bare "$B/srv/r1.git"
git --git-dir="$B/srv/r1.git" fast-import --quiet < "$B/stream"
git --git-dir="$B/srv/r1.git" symbolic-ref HEAD refs/heads/main
git --git-dir="$B/srv/r1.git" gc -q
for i in $(seq 2 "$TARGETS"); do cp -a "$B/srv/r1.git" "$B/srv/r$i.git"; done
NEWEST=$(git --git-dir="$B/srv/r1.git" tag -l | sort -V | tail -n 1)
INSTALLED=${NEWEST%.*}.0
for i in $(seq 1 "$TARGETS"); do
	mkdir -p "$B/apps/r$i"
	git --git-dir="$B/srv/r1.git" archive "$INSTALLED" | tar -x -C "$B/apps/r$i"
done

# ------------------------------------------------------------------ http server
lighttpd_conf() {
	cat <<EOF
server.modules = ( "mod_alias", "mod_setenv", "mod_cgi" )
server.document-root = "$B/srv"
server.bind = "127.0.0.1"
server.port = $1
server.errorlog = "$B/lighttpd.err"
alias.url = ( "/git" => "$BACKEND" )
\$HTTP["url"] =~ "^/git" {
	cgi.assign = ( "" => "" )
	setenv.set-environment = ( "GIT_PROJECT_ROOT" => "$B/srv", "GIT_HTTP_EXPORT_ALL" => "1",
		"GIT_CONFIG_NOSYSTEM" => "1", "HOME" => "$HOME" )
}
EOF
}
bench_lighttpd lighttpd_conf "$B/lighttpd.conf"
HTTP=http://127.0.0.1:$PORT/git
git ls-remote --tags "$HTTP/r1.git" > /dev/null

# ------------------------------------------------------------------ configs
# config NAME TRANSPORT COUNT : a config with COUNT targets r1..rCOUNT
config() {
	local f=$B/$1.yaml i url
	printf 'state_dir: %s\ncache_dir: %s\ntargets:\n' "$B/state-$1" "$B/cache-$1" > "$f"
	for i in $(seq 1 "$3"); do
		if [ "$2" = http ]; then url=$HTTP/r$i.git; else url=file://$B/srv/r$i.git; fi
		printf '  r%d:\n    source: { git: "%s", scheme: semver }\n    path: %s\n' \
			"$i" "$url" "$B/apps/r$i" >> "$f"
	done
	for i in $(seq 1 "$3"); do
		"$UPKEEP" --config "$f" --batch adopt "r$i" "${INSTALLED#v}" > /dev/null \
			|| { echo "bench: adopt r$i failed ($f)" >&2; exit 1; }
	done
}
config file1 file 1
config http1 http 1
config file20 file "$TARGETS"
config http20 http "$TARGETS"

# sanity: the check works and sees every tag
out=$("$UPKEEP" --config "$B/http1.yaml" --batch check --json) || [ $? = 100 ] \
	|| { echo "bench: check failed: $out" >&2; exit 1; }
log "check says: $(printf '%s' "$out" | jq -c '{target,installed,newest,kind,newer,tags}')"

# ------------------------------------------------------------------ timing
# measure LABEL PREPARE CMD : median/min/max ms over RUNS runs (2 warm-ups);
# PREPARE (a shell command, may be ":") runs untimed before each run.
declare -A MED MIN MAX
measure() {
	local label=$1 prep=$2 cmd=$3 i t0 t1
	log "measuring: $label"
	if [ -n "$HYPERFINE" ]; then
		local hf=(--style none -i --warmup 2 --runs "$RUNS" --export-json "$B/hf.json")
		[ "$prep" = : ] || hf+=(--prepare "$prep")
		# -N (no intermediate shell) needs hyperfine >= 1.13; else the shell
		# is spawned and hyperfine subtracts its measured cost.
		"$HYPERFINE" -N "${hf[@]}" "$cmd" > /dev/null 2>&1 \
		|| "$HYPERFINE" "${hf[@]}" "$cmd" > /dev/null
		MED[$label]=$(jq '.results[0].median * 1000 | . * 10 | round / 10' "$B/hf.json")
		MIN[$label]=$(jq '.results[0].min * 1000 | . * 10 | round / 10' "$B/hf.json")
		MAX[$label]=$(jq '.results[0].max * 1000 | . * 10 | round / 10' "$B/hf.json")
		return
	fi
	for i in 1 2; do bash -c "$prep"; bash -c "$cmd" > /dev/null 2>&1 || true; done
	: > "$B/times"
	for i in $(seq 1 "$RUNS"); do
		bash -c "$prep"
		t0=$(date +%s%N)
		bash -c "$cmd" > /dev/null 2>&1 || true
		t1=$(date +%s%N)
		echo $(( (t1 - t0) / 1000 )) >> "$B/times"   # microseconds
	done
	sort -n "$B/times" > "$B/times.sorted"
	MED[$label]=$(awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.1f", m / 1000 }' "$B/times.sorted")
	MIN[$label]=$(awk 'NR == 1 { printf "%.1f", $1 / 1000 }' "$B/times.sorted")
	MAX[$label]=$(awk 'END { printf "%.1f", $1 / 1000 }' "$B/times.sorted")
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

U=$UPKEEP
measure floor : "$U --config $B/file1.yaml --check-config"
measure ls-file : "git ls-remote --tags file://$B/srv/r1.git"
measure check-file : "$U --config $B/file1.yaml --batch check --json"
measure ls-http : "git ls-remote --tags $HTTP/r1.git"
measure check-http : "$U --config $B/http1.yaml --batch check --json"
measure cold-file "rm -rf $B/cache-file1" "$U --config $B/file1.yaml --batch check --json"
measure cold-http "rm -rf $B/cache-http1" "$U --config $B/http1.yaml --batch check --json"
measure check20-file : "$U --config $B/file20.yaml --batch check --json"
measure check20-http : "$U --config $B/http20.yaml --batch check --json"

# ------------------------------------------------------------------ report
x20() { awk -v a="$1" -v n="$TARGETS" 'BEGIN { printf "%.1f", a * n }'; }
TOOL=${HYPERFINE:+hyperfine}; TOOL=${TOOL:-"date +%s%N loop"}
cat <<EOF
Date: $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(nproc) cores, $(uname -sr), $(git --version), libgit2 $(pkg-config --modversion libgit2 2>/dev/null || echo '?'); $RUNS runs each after 2 warm-ups ($TOOL); wall time of the whole process.
Repository: $TAGS tags ($((TAGS / 2)) annotated), $TAGS commits, packed; installed $INSTALLED, newest $NEWEST. "cache warm" = the per-target cache repository already holds the tags from an earlier check.

| case | command | median ms | min ms | max ms | ratio |
|---|---|---:|---:|---:|---:|
| (process floor) | \`upkeep --check-config\` (start, read the config, exit) | ${MED[floor]} | ${MIN[floor]} | ${MAX[floor]} | |
| 1 target, file:// | \`git ls-remote --tags\` | ${MED[ls-file]} | ${MIN[ls-file]} | ${MAX[ls-file]} | 1.00 |
| 1 target, file:// | \`upkeep --batch check\` (cache warm) | ${MED[check-file]} | ${MIN[check-file]} | ${MAX[check-file]} | $(ratio "${MED[check-file]}" "${MED[ls-file]}") x ls-remote |
| 1 target, file:// | \`upkeep --batch check\` (empty cache) | ${MED[cold-file]} | ${MIN[cold-file]} | ${MAX[cold-file]} | $(ratio "${MED[cold-file]}" "${MED[ls-file]}") x ls-remote |
| 1 target, http://127.0.0.1 | \`git ls-remote --tags\` | ${MED[ls-http]} | ${MIN[ls-http]} | ${MAX[ls-http]} | 1.00 |
| 1 target, http://127.0.0.1 | \`upkeep --batch check\` (cache warm) | ${MED[check-http]} | ${MIN[check-http]} | ${MAX[check-http]} | $(ratio "${MED[check-http]}" "${MED[ls-http]}") x ls-remote |
| 1 target, http://127.0.0.1 | \`upkeep --batch check\` (empty cache) | ${MED[cold-http]} | ${MIN[cold-http]} | ${MAX[cold-http]} | $(ratio "${MED[cold-http]}" "${MED[ls-http]}") x ls-remote |
| $TARGETS targets, file:// | one \`upkeep --batch check\` | ${MED[check20-file]} | ${MIN[check20-file]} | ${MAX[check20-file]} | $(ratio "${MED[check20-file]}" "$(x20 "${MED[check-file]}")") x (${TARGETS} x 1 target = $(x20 "${MED[check-file]}") ms) |
| $TARGETS targets, http://127.0.0.1 | one \`upkeep --batch check\` | ${MED[check20-http]} | ${MIN[check20-http]} | ${MAX[check20-http]} | $(ratio "${MED[check20-http]}" "$(x20 "${MED[check-http]}")") x (${TARGETS} x 1 target = $(x20 "${MED[check-http]}") ms) |
EOF
