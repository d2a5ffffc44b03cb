#!/bin/bash
# console_misc.sh - the console's surfaces: colours and NO_COLOR (the pty
# byte stream logged with tmux pipe-pane), a tag message full of terminal
# escapes shown escaped in the release details with no forbidden sequence
# reaching the terminal (row 14 of the reliability notes), `/` filtering,
# and `e`: a bad configuration from $EDITOR is refused and shown, the real
# file unchanged; a good one replaces it and is loaded, and a moved
# state_dir is watched from then on.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/console/lib.sh"

D=$T/demo
up --demo "$D"
rc_is 0 "upkeep --demo creates the demo" || bail "no demo"
CONF=$D/upkeep.yaml
repo=$D/notekeeper.git
[ -d "$repo" ] || bail "no notekeeper repository in the demo"

# sgr_colours FILE : how many colour SGR sequences (setaf/setab) FILE holds.
sgr_colours() { grep -aEo $'\e\\[[0-9;]*(3[0-7]|4[0-7]|38;5;[0-9]+|48;5;[0-9]+)m' "$1" | wc -l; }

# ---------------------------------------------------------------- colours
start 100 30 --config "$CONF"
see '^▶ notekeeper .*just now +ok' "the console starts (colours)"
quit_console "q quits (colours)"
ok "with colours, the pty stream holds colour sequences" test "$(sgr_colours "$T/pty.log")" -gt 0

RUN_ENV="NO_COLOR=1" start 100 30 --config "$CONF"
see '^▶ notekeeper .*just now +ok' "the console starts with NO_COLOR"
see '\[M\]major +security' "kinds stay readable without colour"
quit_console "q quits (NO_COLOR)"
is "$(sgr_colours "$T/pty.log")" 0 "with NO_COLOR, no colour sequence reaches the terminal"

# ---------------------------------------------------------------- escapes
# Row 14 in the console. The same text - ESC[2J, OSC 0 (title), OSC 52
# (clipboard), DCS, CSI 6n, C1 CSI as a raw byte and as U+009B, U+202E
# (bidi override), a NUL-free bad UTF-8 byte - as a tag message and a
# commit subject (release details), a file name (the backups file browser)
# and a hook's stderr (History's error line). tests/integration/
# terminal_safety.sh does the batch surfaces and the log.
msg=$(printf 'Evil \033[2J \033]0;pwned\007 \033]52;c;aGk=\007 \033Pq#0\033\\ \033[6n \233 \302\233 \342\200\256gnp.exe \377 end')
# (git commit-tree takes a message that is not UTF-8 for Latin-1 and
# stores it re-encoded: the raw \233 becomes U+009B)
subj=$(printf 'Subj \033[2J \033]0;pwned\007 \033[6n \233 \302\233 \342\200\256cod.exe end')
commit=$(git --git-dir="$repo" commit-tree -p 'v2.0.0^{}' -m "$subj" 'v2.0.0^{tree}' 2> /dev/null) \
	|| bail "cannot commit to the demo repository"
git --git-dir="$repo" tag -a -m "$msg" v3.0.0 "$commit" || bail "cannot tag the demo repository"
fname=$(printf 'File \033[2J \033]52;c;aGk=\007 \302\233 \342\200\256fdp.exe \377')
printf 'x\n' > "$D/notekeeper/$fname"
up --config "$CONF" --batch backup notekeeper
rc_is 0 "a snapshot holding the file"
rm "$D/notekeeper/$fname"
printf '#!/bin/sh\nprintf "Hook \\033[2J \\033]0;pwned\\007 \\302\\233 \\342\\200\\256kooh.exe" >&2\nexit 1\n' > "$T/hook"
chmod +x "$T/hook"
cp "$CONF" "$T/conf.nohook"
sed -i "/^  notekeeper:\$/a\\    hooks: { pre_install: $T/hook }" "$CONF"
up --config "$CONF" --batch install notekeeper 3.0.0
rc_is 6 "an install whose pre_install hook fails: rolled back"
cp "$T/conf.nohook" "$CONF"
# wide enough for History's error column to show the hook's output after
# its path (under a TMPDIR such as .ci/run's, 240 columns were too few)
start 320 40 --config "$CONF"
see '^▶ notekeeper +1\.0\.0 +3\.0\.0 ' "3.0.0 is the newest release"
keys Enter
see 'notekeeper: release v3\.0\.0' "Enter opens its details"
see 'Evil \\e\[2J \\e\]0;pwned\\x07 \\e\]52;c;aGk=\\x07 \\eP' "the message's escapes are shown as text"
see '\\e\[6n \\x9b \\u009b \\u202egnp\.exe \\xff' "C1, bidi override and bad UTF-8 are shown as text"
see 'Subj \\e\[2J \\e\]0;pwned\\x07 \\e\[6n \\u009b \\u009b \\u202ecod\.exe' \
	"the commit subject's escapes are shown as text in the commit list"
keys Escape
keys 3
see '^▶ #[0-9]+ ' "Backups lists the snapshot"
keys Enter
see 'File \\e\[2J \\e\]52;c;aGk=\\x07 \\u009b \\u202efdp\.exe \\xff|data/' "the file browser opens"
keys Escape
keys 4
see 'Hook \\e\[2J \\e\]0;pwned\\x07' "History's error line shows the hook's stderr escaped"
quit_console "q quits (escapes)"
isnt "$(tm display -p -t upkeep '#{pane_title}')" "pwned" "the window title was not set"
run python3 "$top_srcdir/tests/forbidden.py" pty "$T/pty.log"
is "$(cat "$OUT")" "" "the pty stream (logged by pipe-pane) holds no forbidden sequence"
ok "... and it was logged" test "$(stat -c %s "$T/pty.log")" -gt 4096

# ---------------------------------------------------------------- filter
start 100 30 --config "$CONF"
see '^  wiki ' "both targets are listed"
keys / w i k
see 'Filter: wik_' "/ opens the filter in the status line"
gone '^. notekeeper ' "typing filters the list: notekeeper is hidden"
see '^▶ wiki ' "... wiki is listed and selected"
keys Enter
see 'Filter: wik ' "Enter keeps the filter"
keys /
keys Escape
see '^  wiki ' "/ then Esc clears it: both targets again"
see '^▶ notekeeper ' "... notekeeper first"

# ---------------------------------------------------------------- e
# edit_key : presses e once no job runs. The console refuses e while a job
# runs; the tab bar's count can drop an instant before the worker is free,
# so a refusal is answered by pressing again.
edit_key() {
	local i
	for ((i = 0; i < 20; i++)); do
		wait_idle
		keys e
		wait_for 'Wait for the running jobs|The configuration has errors|Configuration saved' || return
		printf '%s\n' "$SCREEN" | grep -Eq 'The configuration has errors|Configuration saved' && return 0
		sleep 0.5
	done
}
cp "$CONF" "$T/conf.orig"
printf '#!/bin/sh\ncase "$(cat %s/ed-mode)" in\nbad) printf "targets:\\n  x: [\\n" > "$1" ;;\ngood) printf "# edited by the test\\n" >> "$1" ;;\nstatedir) sed -i "s|^state_dir: .*|state_dir: %s/state2|" "$1" ;;\nfail) exit 3 ;;\nesac\n' \
	"$T" "$T" > "$T/ed.sh"
chmod +x "$T/ed.sh"
quit_console "q quits (filter)"
echo bad > "$T/ed-mode"
RUN_ENV="EDITOR=$T/ed.sh VISUAL=" start 100 30 --config "$CONF"
see '^▶ notekeeper .*just now +ok' "the console starts with EDITOR set"
edit_key
see 'The configuration has errors' "e with a bad edit: the errors are shown"
see "$(basename "$CONF")"':[0-9]+:[0-9]+: ' "... naming the file, line and column"
see 'e: edit again +Esc/n: discard the changes' "... offering to edit again or discard"
is "$(cmp "$CONF" "$T/conf.orig" && echo same)" same "the real configuration is unchanged"
keys e
see 'The configuration has errors' "e edits again: still bad, asked again"
keys n
gone 'The configuration has errors' "n discards the edit"
is "$(ls -a "$D" | grep -c '\.edit-')" 0 "the temporary copy is removed"
is "$(cmp "$CONF" "$T/conf.orig" && echo same)" same "the real configuration is still unchanged"
echo good > "$T/ed-mode"
edit_key
see 'Configuration saved and loaded' "e with a good edit: saved and loaded"
like "$(tail -n 1 "$CONF")" '^# edited by the test$' "the real file holds the edit"
see '^▶ notekeeper .*just now +ok' "the reloaded console checks again"
is "$(ls -a "$D" | grep -c '\.edit-')" 0 "no temporary copy is left"

# A new state_dir is watched after the reload: a job that another process
# records there shows in History at once, with no key pressed (the idle
# console reads the state database only when inotify says it changed).
echo statedir > "$T/ed-mode"
edit_key
see 'Configuration saved and loaded' "e moving state_dir: saved and loaded"
see '^▶ notekeeper .*just now +ok' "... and the targets checked again"
ok "... into the new state directory" test -f "$T/state2/state.db"
wait_idle
keys 4
see '^. #[0-9]+ +check ' "History lists the checks recorded in the new state directory"
unlike "$SCREEN" ' backup ' "... and no backup yet"
up --config "$CONF" --batch backup notekeeper
rc_is 0 "another process backs notekeeper up into the new state directory"
see '^. #[0-9]+ +backup +notekeeper +ok ' \
	"History shows the other process's backup without a key: the new state directory is watched"
quit_console "q quits (editor)"

done_testing
