#!/bin/bash
# bench/console.sh - how the console behaves while the worker is busy and
# when it is idle, measured through tmux on the real binary:
#
#   1. key-to-screen latency: a key that switches panes (1 <-> 4) is sent,
#      and the screen is polled (tmux capture-pane) until the new pane
#      shows; KEYS times, first with the console idle, then while a backup
#      of a large tree (FILES files of random data, SIZE_MB in all, so that
#      hashing and compression keep both cores busy) runs. Two figures: the
#      round trip through tmux, and the console's own part, from strace -tt
#      of the console's main thread: the time from the read() of the key on fd 0
#      to the end of the first write() of the new screen on fd 1;
#   2. idle CPU: utime+stime of the console process from /proc/PID/stat
#      over IDLE_S seconds with nothing to do, and the number of poll()
#      calls strace sees meanwhile (wake-ups).
# The latency includes tmux's own delay (its server redraws the pane and
# capture-pane runs as a new process), so it is an upper bound of the
# console's. Prints a Markdown table. Nothing here is asserted.
#
# Usage: bench/console.sh [UPKEEP_BINARY]
# Env:   BENCH_DIR [/tmp/upkeep-bench-console]  KEYS [20]  SIZE_MB [1024]
#        FILES [2048]  IDLE_S [10]
set -euo pipefail
export LANG=C.UTF-8 LC_ALL=C.UTF-8
unset NO_COLOR

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_upkeep "${1:-}"
B=${BENCH_DIR:-/tmp/upkeep-bench-console}
KEYS=${KEYS:-20}
SIZE_MB=${SIZE_MB:-1024}
FILES=${FILES:-2048}
IDLE_S=${IDLE_S:-10}
SOCK=upkeep-bench-$$
tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
trap 'tm kill-server > /dev/null 2>&1 || true' EXIT
log() { printf '[bench] %s\n' "$*" >&2; }

rm -rf "$B"; mkdir -p "$B"
export HOME=$B/home
mkdir -p "$HOME"
"$UPKEEP" --demo "$B/demo" > /dev/null
CONF=$B/demo/upkeep.yaml
BIG=$B/demo/notekeeper/data/big
mkdir -p "$BIG"
log "writing $FILES files of random data ($SIZE_MB MiB in all)"
per_kb=$((SIZE_MB * 1024 / FILES))
for ((i = 0; i < FILES; i++)); do
	head -c "${per_kb}K" /dev/urandom > "$BIG/f$i"
done
sync

tm new-session -d -s c -x 100 -y 30 env LANG=C.UTF-8 "$UPKEEP" --config "$CONF"
screen() { tm capture-pane -p -t c; }
until screen | grep -E "just now +ok" > /dev/null; do sleep 0.05; done
PID=$(pgrep -P "$(tm display -p -t c '#{pane_pid}')" -x upkeep || tm display -p -t c '#{pane_pid}')

# latency N : N pane switches, one latency in ms per line on stdout.
latency() {
	local n=$1 i key want t0 t1
	for ((i = 0; i < n; i++)); do
		if ((i % 2 == 0)); then key=4 want='jobs, [0-9]+% ok'; else key=1 want='Target +Installed'; fi
		t0=$(date +%s%N)
		tm send-keys -t c "$key"
		until screen | grep -E "$want" > /dev/null; do :; done
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000))
		sleep 0.05
	done
}

# own_latency FILE : from an strace -tt -T log, microseconds from each
# read of fd 0 that returned data to the end of the next write on fd 1.
own_latency() {
	awk '
	function us(t,    a) { split(t, a, ":"); return ((a[1] * 60 + a[2]) * 60 + a[3]) * 1000000 }
	{ t = $2; if ($1 !~ /^[0-9]+$/) t = $1 }
	/ read\(0, / && !/= -1/ && !/= 0$/ { if (!pending) { start = us(t); pending = 1 } ; next }
	/ write\(1, / && pending {
		d = $0; sub(/.*</, "", d); sub(/>.*/, "", d)
		print int(us(t) + d * 1000000 - start); pending = 0
	}' "$1"
}

# stats : median, p95, max of microsecond values on stdin, in ms.
stats() {
	sort -n | awk '{ v[NR] = $1 } END {
		m = v[int((NR + 1) / 2)]; p = v[int(NR * 0.95 + 0.999)]; x = v[NR]
		printf "%.1f | %.1f | %.1f", m / 1000, p / 1000, x / 1000 }'
}

# traced CMD... : runs CMD with strace on the console; the log in $B/trace.
traced() {
	strace -tt -T -e trace=read,write -e signal=none -p "$PID" -o "$B/trace" 2> /dev/null &
	local st=$!
	sleep 0.5
	"$@"
	kill "$st"; wait "$st" 2> /dev/null || true
}

log "latency, idle ($KEYS keys)"
traced latency "$KEYS" > "$B/idle.us"
idle_lat=$(stats < "$B/idle.us")
idle_own=$(own_latency "$B/trace" | stats)

log "latency during a backup"
tm send-keys -t c 1
tm send-keys -t c 3
until screen | grep "Snapshots of notekeeper" > /dev/null; do sleep 0.05; done
tm send-keys -t c b
sleep 1
traced latency "$KEYS" > "$B/busy.us"
busy_lat=$(stats < "$B/busy.us")
busy_own=$(own_latency "$B/trace" | stats)
tm send-keys -t c 2
running=no
screen | grep -E "backup notekeeper .*running" > /dev/null && running=yes
log "backup still running after the keys: $running"
until screen | grep -E "backup notekeeper .*(done|failed)" > /dev/null; do sleep 0.2; done
tm send-keys -t c 1
sleep 1

log "idle CPU over $IDLE_S s"
ticks() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }
hz=$(getconf CLK_TCK)
c0=$(ticks)
polls=-
if command -v strace > /dev/null 2>&1; then
	polls=$(timeout "$IDLE_S" strace -f -e trace=poll,ppoll -p "$PID" 2>&1 | grep -c 'poll(' || true)
else
	sleep "$IDLE_S"
fi
c1=$(ticks)
cpu=$(awk -v d=$((c1 - c0)) -v hz="$hz" -v s="$IDLE_S" 'BEGIN { printf "%.2f", 100 * d / hz / s }')

echo "| measurement (tmux 100x30, $(nproc) cores) | median ms | p95 ms | max ms |"
echo "|---|---|---|---|"
echo "| key to screen, idle ($KEYS pane switches): console (strace) | $idle_own |"
echo "| ... the same, round trip through tmux | $idle_lat |"
echo "| key to screen during a backup of $SIZE_MB MiB in $FILES files (still running: $running): console (strace) | $busy_own |"
echo "| ... the same, round trip through tmux | $busy_lat |"
echo
echo "Idle: ${cpu}% CPU over ${IDLE_S} s ($((c1 - c0)) ticks of 1/$hz s); poll() calls seen by strace: $polls."
