#!/bin/bash
# completion.sh - contrib/completion/upkeep.bash completes options, batch
# commands, target names (`upkeep --list-targets` with the command line's
# --config) and snapshot ids; contrib/completion/_upkeep does the same in
# zsh (driven through tmux, when zsh is installed).
. "$top_srcdir/tests/lib.sh"

up --demo "$T/demo"
rc_is 0 "a demo to complete against" || bail "no demo"
C=$T/demo/upkeep.yaml
up --config "$C" --batch backup wiki --quiet
up --config "$C" --batch backup notekeeper --quiet
up --config "$C" --batch backup wiki --quiet
up --config "$C" --list-targets
is "$(cat "$OUT")" $'notekeeper\nwiki' "--list-targets prints the target names, one per line"
rc_is 0 "--list-targets exits 0"
up --config "$C" --list-snapshots
rc_is 0 "--list-snapshots exits 0"
is "$(cut -f1,2,5 "$OUT" | tr '\t' ' ')" $'1 wiki manual\n2 notekeeper manual\n3 wiki manual' \
	"--list-snapshots: id, target, ..., reason, tab-separated, oldest first"
like "$(cut -f3 "$OUT" | head -n 1)" '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}$' "--list-snapshots: the local time"
like "$(cut -f4 "$OUT" | head -n 1)" '^2024-01-15$' "--list-snapshots: the installed version"
# A configuration whose state directory holds no archive yet: nothing
# listed, and nothing created.
sed "s|^state_dir: .*|state_dir: $T/fresh-state|" "$C" > "$T/fresh.yaml"
grep -q "^state_dir: $T/fresh-state" "$T/fresh.yaml" || bail "the demo configuration has no state_dir line"
up --config "$T/fresh.yaml" --list-snapshots
rc_is 0 "--list-snapshots without an archive exits 0"
is "$(cat "$OUT")" "" "--list-snapshots without an archive prints nothing"
ok "--list-snapshots creates no state directory" test ! -e "$T/fresh-state"
printf 'targets:\n  x: { path: relative }\n' > "$T/bad.yaml"
up --config "$T/bad.yaml" --list-targets
rc_is 2 "--list-targets with a broken configuration exits 2"

# comp WORD... : the completions bash would offer for the command line
# WORD... (the last word is the one being completed), sorted, one line.
# The words are split as bash splits them (--config=FILE is three words).
comp() {
	bash -c '
		source "$1/contrib/completion/upkeep.bash" || exit 1
		shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_upkeep
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " " | sed "s/ \$//"
	' comp "$top_srcdir" "$@"
}

is "$(comp "$UPKEEP" --ba)" "--batch" "an option"
is "$(comp "$UPKEEP" --r)" "--read-data --rebuild-index" "options sharing a prefix"
is "$(comp "$UPKEEP" --batch re)" "recover repair restore" "batch commands"
is "$(comp "$UPKEEP" --batch "")" \
	"adopt backup check diff drill export files forget install pin prune recover repair restore run snapshots unpin verify" \
	"every batch command"
is "$(comp "$UPKEEP" -c "$C" "")" "" "no command without --batch"
is "$(comp "$UPKEEP" -c "$C" --batch check "")" "notekeeper wiki" "check: target names from --config FILE"
is "$(comp "$UPKEEP" --config = "$C" --batch check notekeeper w)" "wiki" \
	"check: several targets; --config=FILE as bash splits it"
is "$(comp "$UPKEEP" -c "$C" --batch backup "")" "notekeeper wiki" "backup: a target"
is "$(comp "$UPKEEP" -c "$C" --batch backup wiki "")" "" "backup: one target only"
is "$(comp "$UPKEEP" -c "$C" -b --json install n)" "notekeeper" "install: a target (-b, an option before)"
is "$(comp "$UPKEEP" -c "$C" --batch restore wiki "")" "1 3" "restore TARGET: that target's snapshot ids"
is "$(comp "$UPKEEP" -c "$C" --batch restore notekeeper "")" "2" "restore TARGET: another target's ids"
is "$(comp "$UPKEEP" -c "$C" --batch files "")" "1 2 3" "files: every snapshot id"
is "$(comp "$UPKEEP" -c "$C" --batch diff 1 "")" "1 2 3" "diff: a second snapshot id"
is "$(comp "$UPKEEP" -c "$C" --batch diff 1 2 "")" "" "diff: two ids at most"
is "$(comp "$UPKEEP" -c "$C" --batch restore wiki 3 --f)" "--force --force-drift" "options after the command"
mkdir -p "$T/cwd/dir-a" && : > "$T/cwd/file-a"
is "$(comp "$UPKEEP" -c "$C" --batch restore wiki 3 --to "")" "dir-a" "--to: directories"
is "$(comp "$UPKEEP" --config "")" "dir-a file-a" "--config: files"
is "$(comp "$UPKEEP" --config = "fi")" "file-a" "--config=: files"
is "$(comp "$UPKEEP" -c "$T/missing.yaml" --batch check "")" "" "a missing configuration: no targets, no noise"
is "$(comp "$UPKEEP" -c "$T/fresh.yaml" --batch files "")" "" "no archive yet: no snapshot ids"
ok "completing snapshot ids creates no state directory or archive" test ! -e "$T/fresh-state"

# ---------------------------------------------------------------- zsh
if ! command -v zsh >/dev/null 2>&1 || ! command -v tmux >/dev/null 2>&1; then
	skip 4 "zsh or tmux missing"
	done_testing
	exit 0
fi
ok "_upkeep is valid zsh" zsh -n "$top_srcdir/contrib/completion/_upkeep"
cat > "$T/zshrc" <<EOF
PS1='> '
fpath=("$top_srcdir/contrib/completion" \$fpath)
autoload -U compinit; compinit -u -D
PATH="$(dirname "$UPKEEP"):\$PATH"
EOF
S=upkeep-compl-$$
TMUX_CMD=(tmux -L "upkeep-test-$$" -f /dev/null)
"${TMUX_CMD[@]}" new-session -d -s "$S" -x 160 -y 40 "env HOME=$T/home zsh -f -i" || bail "tmux"
track_pid "$("${TMUX_CMD[@]}" display-message -p -t "$S" '#{pid}')"
"${TMUX_CMD[@]}" send-keys -t "$S" "source $T/zshrc; clear" Enter
zsh_ready() { "${TMUX_CMD[@]}" capture-pane -p -t "$S" | grep -q '^> *$'; }
wait_until 60 zsh_ready
# zcomp TEXT ERE : types TEXT and Tab on a fresh line, then prints the
# screen once a line matches ERE (completion runs upkeep, which is slow under
# sanitizers), or after 60 seconds.
zcomp() {
	local screen deadline=$((SECONDS + 60))
	"${TMUX_CMD[@]}" send-keys -t "$S" C-u C-l "$1" Tab
	while :; do
		sleep 0.2
		screen=$("${TMUX_CMD[@]}" capture-pane -p -t "$S")
		printf '%s\n' "$screen" | grep -Eq -- "$2" && break
		[ "$SECONDS" -ge "$deadline" ] && break
	done
	printf '%s\n' "$screen"
}
re='^repair +-- rebuild the archive index'
like "$(zcomp "upkeep --batch " "$re")" "$re" "zsh: batch commands with descriptions"
re='^[13] +([13] +)?-- wiki '
like "$(zcomp "upkeep -c $C --batch restore wiki " "$re")" "$re" \
	"zsh: restore TARGET offers that target's snapshots"
re='^> upkeep .* check notekeeper *$'
like "$(zcomp "upkeep -c $C --batch check no" "$re")" "$re" "zsh: target names"
"${TMUX_CMD[@]}" kill-server 2>/dev/null
done_testing
