# bench/lib.sh - the set-up the benchmark scripts share; sourced, never run.
#
#   bench_upkeep [PATH]      sets UPKEEP to an absolute path of the binary:
#                            PATH, else $UPKEEP, else ./upkeep (a build
#                            directory), else <source>/build/upkeep
#   bench_log MSG...         a timestamped line on stderr
#   bench_git_home DIR       HOME=DIR with a git identity, no system config
#   bench_stats              "median min max" of the numbers on stdin
#   bench_port_busy PORT     true when something listens on 127.0.0.1:PORT
#   bench_lighttpd CONF_FN FILE  starts lighttpd on a free port: CONF_FN PORT
#                            prints its configuration, kept in FILE; sets
#                            PORT and HTTP_PID (bench_stop_http stops it)
#   bench_stop_http          stops what bench_lighttpd started
set -euo pipefail
export LANG=C.UTF-8 LC_ALL=C.UTF-8

BENCH_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

bench_upkeep() {
	UPKEEP=${1:-${UPKEEP:-}}
	if [ -z "$UPKEEP" ]; then
		if [ -x ./upkeep ]; then UPKEEP=$PWD/upkeep; else UPKEEP=$BENCH_SRC/build/upkeep; fi
	fi
	[ -x "$UPKEEP" ] || { echo "bench: no upkeep binary at $UPKEEP (give its path)" >&2; exit 1; }
	UPKEEP=$(cd "$(dirname "$UPKEEP")" && pwd)/$(basename "$UPKEEP")
}

bench_log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }

bench_git_home() {
	mkdir -p "$1"
	export HOME=$1 GIT_CONFIG_NOSYSTEM=1
	git config --global user.name bench
	git config --global user.email bench@upkeep.invalid
	git config --global init.defaultBranch main
}

bench_stats() {
	sort -g | awk '{ v[NR] = $1 } END { if (!NR) { print "- - -"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.1f %.1f %.1f\n", m, v[1], v[NR] }'
}

bench_port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

HTTP_PID=
bench_lighttpd() {
	local lighttpd=${LIGHTTPD:-$(command -v lighttpd || echo /usr/sbin/lighttpd)} try conf=$2
	for try in 1 2 3 4 5 6 7 8 9 10; do
		PORT=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
		bench_port_busy "$PORT" && continue
		"$1" "$PORT" > "$conf"
		"$lighttpd" -D -f "$conf" > /dev/null 2>&1 &
		HTTP_PID=$!
		for _ in $(seq 1 100); do bench_port_busy "$PORT" && break 2; sleep 0.05; done
		kill "$HTTP_PID" 2>/dev/null; wait "$HTTP_PID" 2>/dev/null || true; HTTP_PID=
	done
	[ -n "$HTTP_PID" ] || { echo "bench: lighttpd did not start ($try tries)" >&2; exit 1; }
}

bench_stop_http() {
	[ -z "$HTTP_PID" ] || { kill "$HTTP_PID" 2>/dev/null; wait "$HTTP_PID" 2>/dev/null; }
	HTTP_PID=
	return 0
}
