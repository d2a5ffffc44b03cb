#!/bin/bash
# console_backups.sh - the Backups pane from the keyboard: backup now, pin,
# verify, forget (asks), the snapshot's file browser with the entries that
# differ from the live tree marked; then a large backup watched in Progress,
# resized to 80x24 and 200x60 while it runs, and cancelled: no snapshot is
# added, the archive verifies clean and holds no leftover archive file.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/console/lib.sh"

D=$T/demo
up --demo "$D"
rc_is 0 "upkeep --demo creates the demo" || bail "no demo"
CONF=$D/upkeep.yaml
APP=$D/notekeeper
PACKS=$D/state/archive/packs
up --config "$CONF" --batch backup notekeeper --note first
rc_is 0 "a first snapshot (#1) by batch"
snapshots() { up --config "$CONF" --batch snapshots notekeeper --json; }

start 100 30 --config "$CONF"
see '^▶ notekeeper .*just now +ok +just now' "Updates shows the age of the newest snapshot"
keys 3
see '^▶ #1 +[0-9-]+ [0-9:]+ +1\.0\.0 +manual .*first' "3: the Backups pane lists snapshot 1"

# ---------------------------------------------------------------- b, p, v
keys b
see '^▶ #2 +[0-9-]+ [0-9:]+ +1\.0\.0 +manual' "b takes snapshot 2; the list shows it when the job is done"
keys p
see '^▶ #2 .* yes' "p pins it"
snapshots
is "$(jq -r 'select(.snapshot == 2) | .pinned' "$OUT")" true "the archive says snapshot 2 is pinned"
keys d
see 'It is pinned: unpin it first' "d on a pinned snapshot says to unpin it first"
keys Escape
keys p
gone '^▶ #2 .* yes' "p unpins it"
keys v
keys 2
see '#[0-9]+ +verify snapshot 2 .*done' "v verifies snapshot 2 (Progress: done)"
see 'verified 1 snapshots in [0-9]+ archive files: ok' "... its log says ok"
keys 3
see '^▶ #2 .* (just now|[0-9]+m ago)' "the Backups pane shows snapshot 2 verified"
see '^  #1 .* - +first$' "... and snapshot 1 never verified"

# ---------------------------------------------------------------- browser
echo "changed" >> "$APP/README.md"
rm -r "$APP/conf"
keys Enter
see 'Snapshot 2 of notekeeper: /$' "Enter opens the file browser at the root"
see 'marks against the live tree' "the comparison with the live tree arrives"
see '^▶ ~ +[0-9.]+[BK] +[0-9-]+ [0-9:]+ README\.md$' "README.md is marked as differing from the live tree"
see '^  - dir +[0-9-]+ [0-9:]+ conf/$' "conf/ is marked as missing from the live tree"
see '^    dir +[0-9-]+ [0-9:]+ bin/$' "bin/ is unchanged"
keys j
see '^▶   dir .* bin/$' "j moves to bin/"
keys Enter
see 'Snapshot 2 of notekeeper: /bin$' "Enter opens bin/"
see 'notekeeper$' "... listing bin/notekeeper"
keys h
see 'Snapshot 2 of notekeeper: /$' "h goes back up"
see '^▶   dir .* bin/$' "... with bin/ selected"
keys Escape
see '^▶ #2 ' "Esc closes the browser"

# ---------------------------------------------------------------- forget
keys j
see '^▶ #1 ' "j selects snapshot 1"
keys d
see 'Forget snapshot 1\?' "d asks before forgetting"
see 'y: forget it' "... and waits for y"
keys y
gone '^. #1 ' "snapshot 1 is gone from the list"
snapshots
is "$(jq -r '.snapshot' "$OUT" | tr '\n' ' ')" "2 " "the archive holds snapshot 2 only"

# ---------------------------------------------------------------- cancel
# Sparse files: gigabytes to read and hash, no disk space used. Cancelling
# stops between files.
for i in $(seq -w 1 120); do truncate -s 64M "$APP/data/big-$i"; done
packs_before=$(ls "$PACKS" | sort)
keys b 2
see '#[0-9]+ +backup notekeeper .*running' "a large backup runs"
# The previous snapshot's totals are the estimate; this one is larger.
see 'snapshot +[^ ]+ +[0-9.]+ [KMG]iB, [0-9]+ files, [0-9.]+ [KMG]iB/s' \
	"Progress shows the step's bytes, files and rate"
tm resize-window -t upkeep -x 80 -y 24
see_row 24 'help' "at 80x24 the status line is on row 24"
see '#[0-9]+ +backup notekeeper .*running' "resized to 80x24 during the job: still shown"
ok "at 80x24 no line is wider than 80 columns" test "$(widest)" -le 80
tm resize-window -t upkeep -x 200 -y 60
see_row 60 'help' "at 200x60 the status line is on row 60"
see '#[0-9]+ +backup notekeeper .*running' "resized to 200x60 during the job"
keys x
see 'Cancel backup notekeeper\?' "x asks before cancelling"
keys y
see '#[0-9]+ +backup notekeeper .*cancelled' "the backup is cancelled"
snapshots
is "$(jq -r '.snapshot' "$OUT" | tr '\n' ' ')" "2 " "no snapshot was added"
is "$(ls "$PACKS" | sort)" "$packs_before" "no archive file was left behind"
up --config "$CONF" --batch verify --all --read-data
rc_is 0 "the archive verifies clean"
keys 4
see '#[0-9]+ +backup +notekeeper +cancelled' "History lists the backup as cancelled"
quit_console

done_testing
