#!/bin/bash
# archive_repair.sh - `repair --rebuild-index` through the real binary: the
# index deleted or truncated is rebuilt from the archive files alone; every
# snapshot is listed again and restores byte for byte; a truncated archive
# file costs only the snapshots that needed it (reliability row 7).
. "$top_srcdir/tests/lib.sh"

command -v sqlite3 > /dev/null 2>&1 || bail "sqlite3 (the CLI) is required by this test"

STATE=$T/state
CFG=$T/upkeep.yaml
config_new "$CFG" "$STATE"
config_target "$CFG" app "file://$T/none.git" "$T/trees/app"
config_target "$CFG" other "file://$T/none.git" "$T/trees/other"
U() { up --config "$CFG" --batch "$@"; }
jq_out() { jq -r "$1" < "$OUT" 2>/dev/null || echo "<bad json>"; }
IDX=$STATE/archive/index.db
# What packs carry of each snapshot: id, target, time, reason, note, files, bytes.
listing() {
	{ U snapshots app --json; cat "$OUT"; U snapshots other --json; cat "$OUT"; } |
		jq -c '[.snapshot, .target, .time, .reason, .note, .files, .bytes]' | sort -n -t, -k1.2
}

A=$T/trees/app
mkdir -p "$A/dir/sub" "$A/empty" "$T/trees/other" "$T/copies"
head -c 2000000 /dev/urandom > "$A/big.bin"
printf 'one\n' > "$A/dir/sub/file"
printf 'utf8\n' > "$A/ünïcødé"
printf 'latin1\n' > "$A/bad-"$'\xff'"-name"
ln -s dir/sub/file "$A/link"
chmod 640 "$A/dir/sub/file"
printf 'other\n' > "$T/trees/other/o.txt"
backup() { # backup TARGET [NOTE]: a snapshot and a copy of its tree
	U backup "$1" --json ${2:+--note "$2"}
	local id; id=$(jq_out .snapshot)
	cp -a "$T/trees/$1" "$T/copies/$id"
	echo "$id"
}
S1=$(backup app "first")
head -c 500000 /dev/urandom > "$A/dir/new.bin"
printf 'two\n' >> "$A/dir/sub/file"
S2=$(backup app)
O1=$(backup other "of other")
rm "$A/big.bin"
S3=$(backup app "third")
BEFORE=$(listing)
is "$(printf '%s\n' "$BEFORE" | wc -l | tr -d ' ')" 4 "four snapshots before the index is lost"

# ---------------------------------------------------------------- deleted index
rm -f "$IDX" "$IDX-wal" "$IDX-shm"
U repair
rc_is 2 "repair without --rebuild-index is a usage error"
U repair --rebuild-index --json
rc_is 0 "repair --rebuild-index succeeds"
ok "it prints one JSON object" json_lines "$OUT"
is "$(jq_out .snapshots)" 4 "it recovers four snapshots"
is "$(jq_out '.problems | length')" 0 "with no problem"
is "$(jq_out .moved_aside)" null "there was no old index to move aside"
is "$(listing)" "$BEFORE" "every snapshot is listed again: same ids, targets, times, reasons, notes, counts"
for s in $S1 $S2 $S3 $O1; do
	t=app; [ "$s" = "$O1" ] && t=other
	U restore "$t" "$s" --to "$T/restore/$s"
	if [ "$RC" = 0 ] && diff -r --no-dereference "$T/copies/$s" "$T/restore/$s" > /dev/null 2>&1 &&
		[ "$(cd "$T/copies/$s" && find . -mindepth 1 -printf '%m %T@ %P\n' | sort)" = "$(cd "$T/restore/$s" && find . -mindepth 1 -printf '%m %T@ %P\n' | sort)" ]; then
		pass "snapshot $s restores identical after the rebuild"
	else
		fail "snapshot $s restores identical after the rebuild"; show_run
	fi
done
U verify --all --read-data
rc_is 0 "verify --read-data is clean on the rebuilt index"
U backup app --json
rc_is 0 "a backup after the rebuild succeeds"
is "$(jq_out .files_read)" 0 "and is incremental (reads no unchanged file)"
S4=$(jq_out .snapshot)
ok "it gets a new id after the recovered ones ($S4)" test "$S4" -gt "$S3"
U diff "$S1" "$S3" --json
is "$(jq -r 'select(.path != null) | "\(.change) \(.path)"' < "$OUT" | sort | tr '\n' '|')" \
	"added dir/new.bin|changed dir/sub/file|removed big.bin|" "diff works on the rebuilt index"

# ---------------------------------------------------------------- truncated index
BEFORE=$(listing)
sz=$(stat -c %s "$IDX")
truncate -s $((sz / 2)) "$IDX"; rm -f "$IDX-wal" "$IDX-shm"
U snapshots app
isnt "$RC" 0 "a truncated index is detected"
U repair --rebuild-index --json
rc_is 0 "repair rebuilds a truncated index"
like "$(jq_out .moved_aside)" "index\\.db\\.old-[0-9]+\$" "and keeps the damaged one aside"
ok "the damaged index is kept" test -f "$(jq_out .moved_aside)"
is "$(listing)" "$BEFORE" "every snapshot is back"

# ---------------------------------------------------------------- truncated pack
PACK=$(sqlite3 "$IDX" "SELECT p.name FROM snapshots s JOIN packs p ON p.id = s.pack WHERE s.id = $S2")
PF=$STATE/archive/packs/$PACK
truncate -s $(($(stat -c %s "$PF") / 2)) "$PF"
U repair --rebuild-index --json
rc_is 1 "repair with a truncated archive file reports damage"
like "$(jq_out '.problems[]')" "$PACK: damaged at offset" "naming the archive file"
# S2's own record lay in the cut half: S2 is gone with it. S3 and S4 are
# reported: their records survive but they need data from that half.
is "$(jq_out '.problems[]' | grep -c 'snapshot of app .* incomplete')" 2 "and the two snapshots it cannot bring back"
# Ids are given again in time order: after a lost snapshot they shift.
U snapshots app --json
# S3 and S4 hold dir/new.bin, first stored in S2's archive file: they are
# incomplete too. S1 needs nothing from it.
is "$(jq -r '.note // "-"' < "$OUT" | tr '\n' ' ')" "first " \
	"the snapshots that need data from the cut half are not listed; the first is"
U snapshots other --json
is "$(jq -r .note < "$OUT")" "of other" "a snapshot that needs nothing from it is listed"
U restore other "$(jq -r .snapshot < "$OUT")" --to "$T/restore/other-after"
ok "and restore identical" diff -r "$T/copies/$O1" "$T/restore/other-after"
U verify --all --read-data
rc_is 0 "verify --read-data is clean on what was recovered"

done_testing
