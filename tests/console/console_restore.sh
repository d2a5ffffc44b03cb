#!/bin/bash
# console_restore.sh - restoring from the keyboard: one file from the
# snapshot's file browser (the question shows what changes; only that file
# comes back), then the whole snapshot from the Backups list (the missing
# file comes back, a file only in the live tree goes), files on disk
# asserted each time.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/console/lib.sh"

D=$T/demo
up --demo "$D"
rc_is 0 "upkeep --demo creates the demo" || bail "no demo"
CONF=$D/upkeep.yaml
APP=$D/notekeeper
up --config "$CONF" --batch backup notekeeper --note good
rc_is 0 "snapshot 1 of the good tree"
readme=$(cat "$APP/README.md")
search=$(cat "$APP/lib/search.sh")
echo "broken" >> "$APP/README.md"
echo "tweak" >> "$APP/conf/defaults.conf"
rm "$APP/lib/search.sh"
echo "stray" > "$APP/stray.txt"

start 100 30 --config "$CONF"
see '^▶ notekeeper ' "the console starts"
keys 3
see '^▶ #1 .*good' "Backups lists snapshot 1"

# ---------------------------------------------------------------- one file
keys Enter
see 'marks against the live tree' "the browser compares with the live tree"
see '^▶ ~ .* README\.md$' "README.md differs from the live tree"
keys r
see 'Restore README\.md from snapshot 1\?' "r asks before restoring the selected file"
see '1 changed: put back as they are in the snapshot' "the question shows the change"
see 'Only this path is exchanged' "... and that only this path is touched"
keys y
see '#[0-9]+ +restore notekeeper README.*100% +done' "the restore of README.md reaches done"
is "$(cat "$APP/README.md")" "$readme" "README.md is back as in the snapshot"
like "$(cat "$APP/conf/defaults.conf")" 'tweak' "the rest of the tree is left alone (conf keeps its change)"
ok "stray.txt is still there" test -f "$APP/stray.txt"
ok "search.sh is still missing" test ! -e "$APP/lib/search.sh"

# ---------------------------------------------------------------- whole
keys 3
see '^. #2 .*pre-restore' "the restore took a pre-restore snapshot (#2)"
keys G
see '^▶ #1 .*good' "G selects snapshot 1"
keys r
see 'Restore notekeeper from snapshot 1\?' "r on the list asks before restoring the whole snapshot"
see '1 added: in the snapshot, missing from the live tree' "the question counts the file that comes back"
see '1 changed: put back' "... the file put back"
see '1 removed: only in the live tree' "... and the file that goes"
keys y
see '#[0-9]+ +restore notekeeper from 1 .*done' "the whole restore reaches done"
is "$(cat "$APP/lib/search.sh")" "$search" "search.sh is back"
ok "stray.txt is gone" test ! -e "$APP/stray.txt"
unlike "$(cat "$APP/conf/defaults.conf")" 'tweak' "conf/defaults.conf is as in the snapshot"
is "$(cat "$APP/README.md")" "$readme" "README.md is as in the snapshot"
keys 4
see '#[0-9]+ +restore +notekeeper +ok' "History lists the restores"
quit_console

done_testing
