#!/bin/sh
# build-aux/console-keys.sh - prints the console's key list for upkeep(1)
# (roff) or README (text), generated from the action table in ui/actions.c,
# so that the documents cannot drift from the keys the console has.
#   console-keys.sh man|text [ACTIONS_C]
# tests/console/keys_doc.sh checks that data/upkeep.1 and README hold
# exactly this output.
set -eu
mode=${1:-man}
src=${2:-$(dirname "$0")/../ui/actions.c}
awk -v mode="$mode" '
function where(ctx,    w) {
	w = ""
	if (ctx ~ /CTX_PANES/ || ctx ~ /CTX_MOVE/) return "everywhere"
	if (ctx ~ /CTX_UPDATES/) w = w ", Updates"
	if (ctx ~ /CTX_PROGRESS/) w = w ", Progress"
	if (ctx ~ /CTX_BACKUPS/) w = w ", Backups"
	if (ctx ~ /CTX_HISTORY/) w = w ", History"
	if (ctx ~ /CTX_BROWSE/) w = w ", file browser"
	if (ctx ~ /CTX_VIEW/) w = w ", details"
	if (ctx ~ /CTX_ASK/) w = w ", questions"
	if (ctx ~ /CTX_HELP/) w = w ", help"
	return substr(w, 3)
}
function flush() {
	if (label == "") return
	if (mode == "man") {
		printf ".TP\n.B \"%s\"\n%s (%s).\n", label, help, where(ctx)
	} else {
		printf "    %-12s %s (%s)\n", label, help, where(ctx)
	}
	label = help = ctx = ""
}
/^const struct action actions\[\] = \{/ { on = 1; next }
on && /^\};/ { flush(); on = 0 }
!on { next }
/\.name = / { flush() }
/\.key_label = "/ { s = $0; sub(/.*\.key_label = "/, "", s); sub(/".*/, "", s); label = s }
/\.help = N_\("/ { s = $0; sub(/.*\.help = N_\("/, "", s); sub(/"\),?.*/, "", s); help = s }
/\.context = / { s = $0; sub(/.*\.context = /, "", s); sub(/,.*/, "", s); ctx = s }
' "$src"
