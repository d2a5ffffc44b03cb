#!/bin/bash
# bench/console.sh - how the console behaves while the worker is busy and
# when it is idle, measured through tmux on the real binary:
#
#   1. key-to-screen latency: a key that switches panes (1 <-> 4) is sent,
#      and the screen is polled (tmux capture-pane) until the new pane
#      shows; KEYS times, first with the console idle, then while a backup
#      of a large tree (FILES files of random data, SIZE_MB in all, so that
#      hashing and compression keep both cores busy) runs. Two figures: the
#      round trip through tmux, and the console's own part, from perf trace
#      (else strace -tt) of the console's main thread: the time from the
#      read() of the key on fd 0 to the end of the first write() of the new
#      screen on fd 1;
#      While the backup runs, perf sched (when perf is there) also gives
#      the main thread's scheduling delay: from each wake-up to running.
#   2. idle CPU: utime+stime of the console process from /proc/PID/stat
#      over IDLE_S seconds with nothing to do, and the number of poll()
#      calls strace sees meanwhile (wake-ups).
# The latency includes tmux's own delay (its server redraws the pane and
# capture-pane runs as a new process), so it is an upper bound of the
# console's. Prints a Markdown table. Nothing here is asserted.
#
# BUSY=N runs N shell busy loops during the measurements, so that the
# figures depend less on whatever else the machine runs. The random tree is
# kept in $BENCH_DIR.data between runs (moved in and out of the demo).
# TRACE_ALL=1 traces every system call of the console's main thread with strace
# (kept in $BENCH_DIR/idle.trace and busy.trace) to see where time goes.
#
# Usage: bench/console.sh [UPKEEP_BINARY]
# Env:   BENCH_DIR [/tmp/upkeep-bench-console]  KEYS [20]  SIZE_MB [1024]
#        FILES [2048]  IDLE_S [10]  BUSY [0]  TRACE_ALL [0]
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
BUSY=${BUSY:-0}
TRACE_ALL=${TRACE_ALL:-0}
SOCK=upkeep-bench-$$
DATA=$B.data/big-$SIZE_MB-$FILES
BIG=$B/demo/notekeeper/data/big
BUSY_PIDS=()
tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
cleanup() {
	tm kill-server > /dev/null 2>&1 || true
	((${#BUSY_PIDS[@]} == 0)) || kill "${BUSY_PIDS[@]}" 2> /dev/null || true
	if [ -d "$BIG" ] && [ ! -e "$DATA" ]; then mv "$BIG" "$DATA"; fi
}
trap cleanup EXIT
log() { printf '[bench] %s\n' "$*" >&2; }

rm -rf "$B"; mkdir -p "$B" "$B.data"
export HOME=$B/home
mkdir -p "$HOME"
"$UPKEEP" --demo "$B/demo" > /dev/null
CONF=$B/demo/upkeep.yaml
if [ -d "$DATA" ]; then
	log "using the $FILES files of random data in $DATA"
else
	log "writing $FILES files of random data ($SIZE_MB MiB in all)"
	mkdir -p "$DATA.tmp"
	per_kb=$((SIZE_MB * 1024 / FILES))
	for ((i = 0; i < FILES; i++)); do
		head -c "${per_kb}K" /dev/urandom > "$DATA.tmp/f$i"
	done
	mv "$DATA.tmp" "$DATA"
fi
mv "$DATA" "$BIG"
sync
for ((i = 0; i < BUSY; i++)); do
	sh -c 'while :; do :; done' &
	BUSY_PIDS+=($!)
done

tm new-session -d -s c -x 100 -y 30 env LANG=C.UTF-8 "$UPKEEP" --config "$CONF"
screen() { tm capture-pane -p -t c; }
until screen | grep -E "just now +ok" > /dev/null; do sleep 0.05; done
PID=$(pgrep -P "$(tm display -p -t c '#{pane_pid}')" -x upkeep || tm display -p -t c '#{pane_pid}')

# latency N : N pane switches, one latency in ms per line on stdout.
# With WHILE_BUSY=1 it stops early once the tab bar counts no running job
# (the backup ended), so that every key measured met a running backup.
latency() {
	local n=$1 i key want t0 t1 shot
	for ((i = 0; i < n; i++)); do
		if ((i % 2 == 0)); then key=4 want='jobs?, [0-9]+% ok'; else key=1 want='Target +Installed'; fi
		t0=$(date +%s%N)
		tm send-keys -t c "$key"
		until shot=$(screen) && grep -E "$want" > /dev/null <<< "$shot"; do :; done
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000))
		[ "${WHILE_BUSY:-0}" = 1 ] && ! head -n 1 <<< "$shot" | grep -q 'Progress (' && break
		sleep 0.05
	done
}

# own_latency FILE : from a trace of the console's main thread (perf trace
# or strace -tt -T), microseconds from each read of fd 0 that returned data
# to the end of the turn of the loop that handled it: perf traces the
# loop's poll() (5 fds; curses polls 1 for typeahead) and the time is taken
# at the next one, after every write of the new screen; strace traces no
# poll and the time is taken at the end of the first write on fd 1.
own_latency() {
	if [ "$TRACER" = perf ]; then
		awk '
		# perf leaves out arguments that are 0: a read of fd 0 has no "fd:".
		/ read\(buf: / && $NF > 0 { if (!pending) { start = $1; pending = 1 }; next }
		/ poll\(.*nfds: 5,/ && pending { print int(($1 - start) * 1000); pending = 0 }' "$1"
		return
	fi
	awk '
	function us(t,    a) { split(t, a, ":"); return ((a[1] * 60 + a[2]) * 60 + a[3]) * 1000000 }
	{ t = $2; if ($1 !~ /^[0-9]+$/) t = $1 }
	/ read\(0, / && !/= -1/ && !/= 0$/ { if (!pending) { start = us(t); pending = 1 } ; next }
	/ write\(1, / && pending {
		d = $0; sub(/.*</, "", d); sub(/>.*/, "", d)
		print int(us(t) + d * 1000000 - start); pending = 0
	}' "$1"
}

# stats : median, p95, p99, max of microsecond values on stdin, in ms.
stats() {
	sort -n | awk '{ v[NR] = $1 } END {
		m = v[int((NR + 1) / 2)]; p = v[int(NR * 0.95 + 0.999)]; q = v[int(NR * 0.99 + 0.999)]
		x = v[NR]
		printf "%.1f | %.1f | %.1f | %.1f", m / 1000, p / 1000, q / 1000, x / 1000 }'
}

# traced CMD... : runs CMD while the console's main thread is traced; the
# log in $B/trace. perf trace reads tracepoints and does not stop the
# thread at each system call as strace's ptrace does (on a loaded machine
# every stop waits for strace to be scheduled, which inflates the figures).
TRACER=strace
if command -v perf > /dev/null 2>&1 && timeout 5 perf trace -e read -o /dev/null -- true > /dev/null 2>&1; then
	TRACER=perf
fi
traced() {
	local st
	if [ "$TRACER" = perf ] && [ "$TRACE_ALL" != 1 ]; then
		perf trace -e read,write,poll -t "$PID" -o "$B/trace" 2> /dev/null &
	else
		local what=(-e trace=read,write)
		[ "$TRACE_ALL" = 1 ] && what=()
		strace -tt -T "${what[@]}" -e signal=none -p "$PID" -o "$B/trace" 2> /dev/null &
	fi
	st=$!
	sleep 1
	"$@"
	kill -INT "$st"; wait "$st" 2> /dev/null || true
}

log "latency, idle ($KEYS keys)"
traced latency "$KEYS" > "$B/idle.us"
idle_lat=$(stats < "$B/idle.us")
idle_own=$(own_latency "$B/trace" | stats)
cp "$B/trace" "$B/idle.trace"

log "latency during a backup"
tm send-keys -t c 1
tm send-keys -t c 3
until screen | grep "Snapshots of notekeeper" > /dev/null; do sleep 0.05; done
tm send-keys -t c b
sleep 1
sched=-
if [ "$TRACER" = perf ]; then
	# How long the main thread waits for a CPU after each wake-up (key,
	# worker event, timer): perf sched's "sch delay", in microseconds.
	perf sched record -a -o "$B/sched.data" > /dev/null 2>&1 &
	SCHED_PID=$!
fi
WHILE_BUSY=1 traced latency "$KEYS" > "$B/busy.us"
if [ "$TRACER" = perf ]; then
	kill -INT "$SCHED_PID"; wait "$SCHED_PID" 2> /dev/null || true
	sched=$(perf sched timehist -i "$B/sched.data" -t "$PID" 2> /dev/null |
		awk 'NR > 3 && $5 ~ /^[0-9.]+$/ { print int($5 * 1000) }' | tee "$B/sched.us" | stats)
	sched="$sched ($(wc -l < "$B/sched.us") wake-ups)"
fi
busy_keys=$(wc -l < "$B/busy.us")
busy_lat=$(stats < "$B/busy.us")
busy_own=$(own_latency "$B/trace" | stats)
cp "$B/trace" "$B/busy.trace"
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

load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "| measurement (tmux 100x30, $(nproc) cores, $BUSY busy loops, load average $load) | median ms | p95 ms | p99 ms | max ms |"
echo "|---|---|---|---|---|"
echo "| key to screen, idle ($KEYS pane switches): console ($TRACER) | $idle_own |"
echo "| ... the same, round trip through tmux | $idle_lat |"
echo "| key to screen during a backup of $SIZE_MB MiB in $FILES files ($busy_keys keys while it ran): console ($TRACER) | $busy_own |"
echo "| ... the same, round trip through tmux | $busy_lat |"
echo "| ... the console's main thread waiting for a CPU after a wake-up (perf sched) | $sched |"
echo
echo "Idle: ${cpu}% CPU over ${IDLE_S} s ($((c1 - c0)) ticks of 1/$hz s); poll() calls seen by strace: $polls."
