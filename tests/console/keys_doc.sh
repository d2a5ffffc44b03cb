#!/bin/bash
# keys_doc.sh - the console's key list in upkeep(1) and README is exactly
# what build-aux/console-keys.sh generates from the action table
# (ui/actions.c), so the documents cannot drift from the keys.
. "$top_srcdir/tests/lib.sh"

gen=$top_srcdir/build-aux/console-keys.sh
run sh "$gen" man "$top_srcdir/ui/actions.c"
rc_is 0 "console-keys.sh man runs"
want_man=$(cat "$OUT")
ok "it lists more than 30 keys" test "$(printf '%s\n' "$want_man" | grep -c '^\.TP$')" -gt 30
like "$want_man" '\.B "x"' "the list has x (cancel)"
got_man=$(sed -n '/^\.\\" keys: begin/,/^\.\\" keys: end/p' "$top_srcdir/data/upkeep.1" | sed '1d;$d')
is "$got_man" "$want_man" "upkeep(1) CONSOLE holds the generated key list"

run sh "$gen" text "$top_srcdir/ui/actions.c"
rc_is 0 "console-keys.sh text runs"
got_readme=$(sed -n '/^<!-- keys: begin -->/,/^<!-- keys: end -->/p' "$top_srcdir/README" | sed '1d;$d')
is "$got_readme" "$(cat "$OUT")" "README holds the generated key list"

# Every action of the table has its keys, help and handler on one entry.
n_names=$(grep -c '\.name = "' "$top_srcdir/ui/actions.c")
n_help=$(grep -c '\.help = N_("' "$top_srcdir/ui/actions.c")
n_run=$(grep -c '\.run = run_' "$top_srcdir/ui/actions.c")
is "$n_help" "$n_names" "every action has a help text"
is "$n_run" "$n_names" "every action has a handler"

done_testing
