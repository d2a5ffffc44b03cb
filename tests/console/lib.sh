# tests/console/lib.sh - helpers for the tmux-driven console tests, sourced
# after tests/lib.sh:
#   start W H ARGS...  the console in a fresh tmux server (private socket),
#                      its exit status printed after it as EXITED=N; the
#                      pane's byte stream is logged to $T/pty.log
#   tm ARGS...         tmux on that server
#   keys KEYS...       send-keys to the console
#   screen             the visible pane, one line per row
#   see ERE DESC / gone ERE DESC   assertions that poll the screen (50 ms)
#   wait_for ERE / wait_gone ERE   the same without the assertion
#   wait_idle          until the tab bar counts no running job
#   console_pid | widest | alternate_on
# The deadline for one screen is UPKEEP_CONSOLE_WAIT seconds (default 90).

command -v tmux > /dev/null 2>&1 || skip_all "tmux missing"
# Colours or not is decided by each test (RUN_ENV="NO_COLOR=1").
unset NO_COLOR

# One tmux server per console run (a fresh socket each time, so a new run
# never races with the shutdown of the previous server); all killed on exit.
RUNS=0
TMUX_SOCK=upkeep-test-$$-0
tm() { tmux -L "$TMUX_SOCK" -f /dev/null "$@"; }
kill_servers() {
	local i
	for ((i = 0; i <= RUNS; i++)); do
		tmux -L "upkeep-test-$$-$i" -f /dev/null kill-server > /dev/null 2>&1
		rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/upkeep-test-$$-$i"
	done
}
trap '_st=$?; kill_servers; (exit $_st); _cleanup' EXIT

# Deadline for one screen to appear; generous for sanitizer builds on a
# loaded machine (only a screen that never comes costs it).
WAIT_S=${UPKEEP_CONSOLE_WAIT:-90}
SCREEN=

# screen : the visible pane, one line per row.
screen() { tm capture-pane -p -t upkeep 2> /dev/null; }
keys() { tm send-keys -t upkeep "$@"; }

# wait_for ERE : polls the screen until some line matches; the last screen
# is left in $SCREEN. Returns 1 after WAIT_S seconds.
wait_for() {
	local deadline=$((SECONDS + WAIT_S))
	while :; do
		SCREEN=$(screen)
		printf '%s\n' "$SCREEN" | grep -Eq -- "$1" && return 0
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.05
	done
}

# wait_gone ERE : polls until no line matches.
wait_gone() {
	local deadline=$((SECONDS + WAIT_S))
	while :; do
		SCREEN=$(screen)
		printf '%s\n' "$SCREEN" | grep -Eq -- "$1" || return 0
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.05
	done
}

# wait_idle : waits until the tab bar counts no running job (row 1 shows
# "2 Progress (N)" while any runs). Keys that the console refuses while a
# job runs (e) are sent only after this.
wait_idle() { wait_gone '^.* 2 [^ ]+ \([0-9]+\) '; }

# see ERE DESC : an assertion that waits for the screen.
see() {
	if wait_for "$1"; then pass "$2"; else
		fail "$2"; diag "no line of the screen matches /$1/ within ${WAIT_S}s; screen:"
		diag "$SCREEN"; return 1
	fi
}

# see_row N ERE DESC : waits until row N of the screen matches (a resize
# is drawn a little later than tmux reports it).
see_row() {
	local deadline=$((SECONDS + WAIT_S))
	while :; do
		SCREEN=$(screen)
		printf '%s\n' "$SCREEN" | sed -n "$1p" | grep -Eq -- "$2" && { pass "$3"; return 0; }
		if [ $SECONDS -ge $deadline ]; then
			fail "$3"; diag "row $1 does not match /$2/ within ${WAIT_S}s; screen:"
			diag "$SCREEN"; return 1
		fi
		sleep 0.05
	done
}

# gone ERE DESC
gone() {
	if wait_gone "$1"; then pass "$2"; else
		fail "$2"; diag "the screen still matches /$1/ after ${WAIT_S}s; screen:"
		diag "$SCREEN"; return 1
	fi
}

# start W H ARGS... : the console in a new tmux server, its exit status
# printed after it as EXITED=N. Extra environment: RUN_ENV (words).
start() {
	local w=$1 h=$2; shift 2
	tm kill-server > /dev/null 2>&1
	RUNS=$((RUNS + 1))
	TMUX_SOCK=upkeep-test-$$-$RUNS
	# The console waits for $T/go, so that pipe-pane logs it from its
	# first byte.
	rm -f "$T/go"
	printf '#!/bin/sh\nwhile [ ! -e "%s/go" ]; do sleep 0.02; done\n"$UPKEEP" "$@"\necho EXITED=$?\nexec sleep 3600\n' \
		"$T" > "$T/run.sh"
	# shellcheck disable=SC2086
	tm new-session -d -s upkeep -x "$w" -y "$h" \
		env UPKEEP="$UPKEEP" LANG="${RUN_LANG:-C.UTF-8}" ${RUN_ENV:-} sh "$T/run.sh" "$@"
	: > "$T/pty.log"
	tm pipe-pane -t upkeep -o "cat >> '$T/pty.log'"
	touch "$T/go"
}

# The upkeep process in the pane (a child of its shell).
console_pid() {
	local sh_pid
	sh_pid=$(tm display -p -t upkeep '#{pane_pid}' 2> /dev/null)
	[ -n "$sh_pid" ] && pgrep -P "$sh_pid" -x upkeep | head -n 1
}

# Width in characters of the widest line of $SCREEN.
widest() {
	local line m=0
	while IFS= read -r line; do
		[ ${#line} -gt $m ] && m=${#line}
	done <<< "$SCREEN"
	echo $m
}

alternate_on() { tm display -p -t upkeep '#{alternate_on}'; }

# quit_console : q, and the exit status 0.
quit_console() {
	keys q
	see '^EXITED=0$' "${1:-q quits with status 0}"
}
