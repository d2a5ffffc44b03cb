#!/bin/bash
# console_basic.sh - the console, driven through tmux: the demo's updates
# with their kinds and flags, a check from the keyboard, the four panes, the
# help overlay, resizing to 80x24, ASCII mode, escaped tag messages, and the
# terminal given back on q and on SIGTERM.
#
# tmux runs on a private socket; the screen is read with capture-pane,
# polled every 50 ms until what a user must see appears (no fixed sleeps).
. "$top_srcdir/tests/lib.sh"

. "$top_srcdir/tests/console/lib.sh"

# ---------------------------------------------------------------- the demo
D=$T/demo
up --demo "$D"
rc_is 0 "upkeep --demo creates the demo" || { show_run; bail "no demo"; }
CONF=$D/upkeep.yaml
repo=
for r in "$D"/*.git "$D"/*/*.git; do
	[ -d "$r" ] && git --git-dir="$r" rev-parse -q --verify refs/tags/v1.1.0 > /dev/null 2>&1 &&
		{ repo=$r; break; }
done
[ -n "$repo" ] || bail "no demo repository with tag v1.1.0"
# The demo target that follows that repository.
target=$(basename "$repo" .git)

# A batch check first: the state database then holds job 1, so the
# console's own jobs get database ids the worker's own numbering does not
# have; the Progress pane must show the same ids as History.
up --config "$CONF" --batch check
rc_is 100 "a batch check of the demo before the console (job 1 in the database)"
# One snapshot, so that the Backups pane has something to list (its job
# is #2 in the database: the console's own jobs are then #3 and #4).
up --config "$CONF" --batch backup "$target" --note "pre-update"
rc_is 0 "a batch backup of $target before the console"

# ---------------------------------------------------------------- first screen
start 100 30 --config "$CONF"
see '1 Updates.*2 Progress.*3 Backups.*4 History' "the tab bar names the four panes"
see 'Target +Installed +Newest +Kind +Flags +New +Checked +Status' "the Updates pane has its columns"
# The check of every target runs at startup; its result fills the row:
# 1.0.0 installed; 2.0.0 newest in stable (major); v1.1.0's Security
# trailer among the newer; 3 releases offered (v1.0.1 v1.1.0 v2.0.0; the
# rc is outside the stable channel); checked just now, ok.
see "^▶ $target +1\.0\.0 +2\.0\.0 +\[M\]major +security +3 +just now +ok" \
	"$target: installed 1.0.0, newest 2.0.0 [M]major, security, 3 newer, checked, ok"
if grep -q '^  wiki:' "$CONF"; then
	# The demo's date-scheme target: release-2024-01-15 installed; the
	# 2024-02-09a hotfix is newest (same year: minor), 2 newer.
	see '^  wiki +2024-01-15 +2024-02-09a +\[m\]minor +hotfix +2 +just now +ok' \
		"wiki: date scheme, newest 2024-02-09a [m]minor, hotfix, 2 newer"
else
	skip 1 "the demo has no wiki target"
fi
see 'Newer releases: 4, 3 offered by the channel' "details: 4 newer releases, 3 in the channel"
see 'v2\.0\.0 +\[M\]major' "details: v2.0.0 is a major update"
see 'v2\.0\.0-rc1 +\[r\]pre .*\(not in channel\)' "details: v2.0.0-rc1 is a pre-release outside the channel"
see 'v1\.1\.0 +\[m\]minor +security' "details: v1.1.0 is a minor update flagged security"
see 'v1\.0\.1 +\[p\]patch' "details: v1.0.1 is a patch"
unlike "$SCREEN" '^ *beta:' "no beta hint: the rc is older than 2.0.0"
see 'c check +C check all +1-4 panes +\? help +q quit' "the status line shows the keys of the pane"

# ---------------------------------------------------------------- selection
others=$(printf '%s\n' "$SCREEN" | grep -Ec '^  [a-z]' || true)
if [ "$others" -gt 0 ]; then
	tm send-keys -t upkeep j
	see "^▶ [a-z]" "j moves the selection"
	gone "^▶ $target " "j: $target is no longer selected"
	tm send-keys -t upkeep k
	see "^▶ $target " "k moves it back"
else
	skip 3 "the demo has one target"
fi

# ---------------------------------------------------------------- check one
tm send-keys -t upkeep c
tm send-keys -t upkeep 2
see 'Job +What +Progress +Done +State' "2 opens the Progress pane"
see "#4 +check $target .* 1/1 +done" "c ran a check of $target to the end (job #4, 1/1, done)"
see "#3 +check all targets .* done|#3 +check all targets .*failed" "the startup check of all targets is listed (job #3)"
see "$target: 3 newer, newest 2\.0\.0 \(major\)" "the job's log says what the check found"

# ---------------------------------------------------------------- panes
tm send-keys -t upkeep 3
see "Snapshots of $target" "3 opens the Backups pane on the selected target"
see "#1 +[0-9-]+ [0-9:]+ +1\.0\.0 +manual +[0-9]+ .*pre-update" "the Backups pane lists the snapshot: id, date, version, reason, files, note"
tm send-keys -t upkeep 4
see '[0-9]+ jobs, [0-9]+% ok, [0-9]+ rolled back' "4 opens the History pane with its summary"
see "#4 +check +$target +ok " "History lists the check job from the state database, as #4 too"
tm send-keys -t upkeep Tab
see 'Target +Installed +Newest' "Tab goes from History round to Updates"
tm send-keys -t upkeep BTab
see '[0-9]+ jobs, [0-9]+% ok' "Shift-Tab goes back to History"
tm send-keys -t upkeep 1
see "^▶ $target " "1 returns to Updates"

# ---------------------------------------------------------------- help
tm send-keys -t upkeep '?'
see 'Keys' "? opens the help overlay"
see ' c +Check the selected target for new releases' "the help lists c (from the action table)"
see ' q +Quit upkeep' "the help lists q"
see ' 1-4 +Go to pane' "the help lists the pane keys"
see 'Esc/q close' "the status line shows the overlay's keys"
tm send-keys -t upkeep Escape
gone 'Check the selected target for new' "Esc closes the help overlay"

# ---------------------------------------------------------------- resize
tm resize-window -t upkeep -x 80 -y 24
# (the check is "just now" only for a minute: a loaded machine may take longer)
see "^▶ $target +1\.0\.0 +2\.0\.0 +\[M\]major +security +3 +(just now|[0-9]+m ago) +ok" \
	"at 80x24 the row keeps version, newest, kind, flags, count, last check, status"
longest=$(widest)
ok "at 80x24 no line is wider than 80 columns" test "$longest" -le 80
is "$(printf '%s\n' "$SCREEN" | sed -n 24p | grep -Eo 'q quit')" "q quit" "at 80x24 the status line is on row 24"
tm send-keys -t upkeep '?'
see 'Keys' "help opens at 80x24"
tm resize-window -t upkeep -x 70 -y 20
see '^ *[^ ]. Keys ' "the help overlay follows a resize to 70x20"
tm send-keys -t upkeep Escape
gone ' Keys ' "Esc closes it after the resize"

# ---------------------------------------------------------------- quit
tm send-keys -t upkeep q
see '^EXITED=0$' "q quits with status 0"
is "$(alternate_on)" 0 "q gives the normal screen back (alternate screen off)"
unlike "$SCREEN" '1 Updates' "the console is gone from the screen"

# ---------------------------------------------------------------- escapes
# A newer pre-release whose message tries to clear the screen and set the
# window title: shown escaped, and as the beta hint of the stable channel.
msg=$(printf 'Evil \033[2J\033]0;pwned\007 beta\n\nmore')
git --git-dir="$repo" tag -a -m "$msg" v2.1.0-beta.1 'v2.0.0^{}' ||
	bail "cannot tag the demo repository"
start 100 30 --config "$CONF"
see 'beta: 2\.1\.0-beta\.1' "a pre-release newer than the newest stable one is hinted (beta: 2.1.0-beta.1)"
see 'Newer releases: 5, 3 offered' "it counts among the newer releases, not among the offered"
see 'Evil \\e\[2J\\e\]0;pwned\\x07 beta' "the tag message's escape sequences are shown escaped"
isnt "$(tm display -p -t upkeep '#{pane_title}')" "pwned" "the tag message did not set the window title"

# ---------------------------------------------------------------- SIGTERM
pid=$(console_pid)
if [ -n "$pid" ]; then
	kill -TERM "$pid"
	see '^EXITED=143$' "SIGTERM ends the console (status 128+15)"
	is "$(alternate_on)" 0 "after SIGTERM the alternate screen is off"
else
	fail "the console's pid is found"
fi

# ---------------------------------------------------------------- ASCII
RUN_LANG=C start 80 24 --config "$CONF"
see "^> $target +1\.0\.0 +2\.0\.0 +\[M\]major +security" "in the C locale the console draws in ASCII, badges readable"
see '^-{20,}' "ASCII rules instead of box drawing"
unlike "$SCREEN" '[│─▶█]' "no UTF-8 line drawing in ASCII mode"
tm send-keys -t upkeep q
see '^EXITED=0$' "q quits the ASCII console too"

done_testing
