#!/bin/bash
# archive_prune.sh - pin, unpin, forget, prune and diff through the real
# binary: snapshots dated with UPKEEP_NOW, retention applied per target,
# space reclaimed without losing a chunk a remaining snapshot needs.
. "$top_srcdir/tests/lib.sh"

command -v sqlite3 > /dev/null 2>&1 || bail "sqlite3 (the CLI) is required by this test"
export TZ=UTC

STATE=$T/state
CFG=$T/upkeep.yaml
config_new "$CFG" "$STATE"
config_target "$CFG" app "file://$T/none.git" "$T/trees/app" stable semver \
	"$(printf 'retention:\n  keep_last: 0\n  keep_daily: 2')"
config_target "$CFG" rp "file://$T/none.git" "$T/trees/rp"
config_target "$CFG" other "file://$T/none.git" "$T/trees/other" stable semver \
	"$(printf 'retention:\n  keep_last: 0\n  keep_daily: 0')"
U() { up --config "$CFG" --batch "$@"; }
jq_out() { jq -r "$1" < "$OUT" 2>/dev/null || echo "<bad json>"; }
ids_of() { U snapshots "$1" --json; jq -r .snapshot < "$OUT" | tr '\n' ' ' | sed 's/ $//'; }
packs_on_disk() { find "$STATE/archive/packs" -type f | wc -l | tr -d ' '; }
pack_rows() { sqlite3 "$STATE/archive/index.db" "SELECT count(*) FROM packs"; }

A=$T/trees/app
mkdir -p "$A/sub" "$T/copies" "$T/trees/other"
head -c 2000000 /dev/urandom > "$A/big.bin"
printf 'stable\n' > "$A/sub/stable.txt"
printf 'other\n' > "$T/trees/other/o.txt"

# snap WHEN : a backup of app dated WHEN (UTC), after changing one file;
# a copy of the tree is kept to compare restores with.
snap() {
	head -c 300000 /dev/urandom > "$A/changing.bin"
	printf '%s\n' "$1" > "$A/when.txt"
	UPKEEP_NOW=$(date -u -d "$1" +%s) U backup app --json
	local id; id=$(jq_out .snapshot)
	cp -a "$A" "$T/copies/$id"
	echo "$id"
}
S1=$(snap '2024-03-01 10:00'); S2=$(snap '2024-03-01 12:00'); S3=$(snap '2024-03-02 09:00')
S4=$(snap '2024-03-03 08:00'); S5=$(snap '2024-03-03 20:00'); S6=$(snap '2024-03-04 07:00')
is "$(ids_of app)" "$S1 $S2 $S3 $S4 $S5 $S6" "six dated snapshots of app"
U snapshots app --json
is "$(jq -r .time < "$OUT" | head -1)" "$(date -u -d '2024-03-01 10:00' +%s)" "UPKEEP_NOW dates the snapshot"
UPKEEP_NOW=$(date -u -d '2024-03-01 00:00' +%s) U backup other --json
O1=$(jq_out .snapshot)
UPKEEP_NOW=$(date -u -d '2024-03-02 00:00' +%s) U backup other --json
O2=$(jq_out .snapshot)

# ---------------------------------------------------------------- pin, unpin
U pin "$S1" --json
rc_is 0 "pin succeeds"
is "$(jq_out .pinned)" true "pin reports the snapshot pinned"
U snapshots app --json
is "$(jq -r "select(.snapshot == $S1) | .pinned" < "$OUT")" true "snapshots lists it pinned"
U pin "$S2"; U unpin "$S2"
rc_is 0 "unpin succeeds"
U snapshots app --json
is "$(jq -r "select(.snapshot == $S2) | .pinned" < "$OUT")" false "unpin clears the pin"
U pin 999999
isnt "$RC" 0 "pin of an unknown snapshot fails"
like "$(cat "$ERR")" "no snapshot 999999" "naming it"
U pin abc
rc_is 2 "pin of a bad id is a usage error"

# ---------------------------------------------------------------- prune --dry-run
before_packs=$(packs_on_disk)
before_db=$(sqlite3 "$STATE/archive/index.db" "SELECT count(*) FROM snapshots; SELECT count(*) FROM chunks; SELECT count(*) FROM trees")
U prune app --dry-run --json
rc_is 0 "prune --dry-run succeeds"
ok "prune --dry-run prints JSON lines" json_lines "$OUT"
is "$(jq -r 'select(.keep == false) | .snapshot' < "$OUT" | tr '\n' ' ')" "$S2 $S3 $S4 " \
	"keep_daily 2 with a pin: the dry run would remove exactly S2, S3, S4"
is "$(jq -r "select(.snapshot == $S1) | .reasons" < "$OUT")" "pinned" "S1 is kept because it is pinned"
is "$(jq -r "select(.snapshot == $S6) | .reasons" < "$OUT")" "daily, newest" "S6 is the newest and a daily"
is "$(jq -r "select(.snapshot == $S5) | .reasons" < "$OUT")" "daily" "S5 is the newest of its day"
is "$(jq -r 'select(.dry_run != null) | .snapshots_removed' < "$OUT")" 3 "the dry run counts three snapshots"
is "$(jq -r 'select(.dry_run != null) | .packs_removed' < "$OUT")" 3 "and three archive files"
is "$(ids_of app)" "$S1 $S2 $S3 $S4 $S5 $S6" "the dry run removes no snapshot"
is "$(packs_on_disk)" "$before_packs" "the dry run removes no archive file"
is "$(sqlite3 "$STATE/archive/index.db" "SELECT count(*) FROM snapshots; SELECT count(*) FROM chunks; SELECT count(*) FROM trees")" \
	"$before_db" "the dry run leaves every index row"

# ---------------------------------------------------------------- prune
# A killed backup first leaves garbage that prune must clear without
# touching what committed snapshots need (reliability row 19).
head -c 100000 /dev/urandom > "$A/killed.bin"
UPKEEP_CRASH_AT=backup.before-commit U backup app
rm -f "$A/killed.bin"
is "$(packs_on_disk)" "$((before_packs + 1))" "a killed backup leaves one unnamed archive file"
U prune app --json
rc_is 0 "prune succeeds"
is "$(jq -r 'select(.dry_run != null) | .garbage_removed' < "$OUT")" 1 "the killed run's archive file is removed"
is "$(jq -r 'select(.dry_run != null) | .packs_removed' < "$OUT")" 3 "prune reports three archive files removed"
is "$(ids_of app)" "$S1 $S5 $S6" "prune keeps exactly the pinned, the daily and the newest snapshots"
is "$(ids_of other)" "$O1 $O2" "prune of app leaves target other alone"
is "$(packs_on_disk)" "$((before_packs - 3))" "the three archive files only pruned snapshots used are unlinked"
is "$(pack_rows)" "$(packs_on_disk)" "every archive file left is named in the index"
U verify --all --read-data
rc_is 0 "verify --read-data is clean after prune"
for s in $S1 $S5 $S6; do
	U restore app "$s" --to "$T/restore/$s"
	if [ "$RC" = 0 ] && diff -r --no-dereference "$T/copies/$s" "$T/restore/$s" > /dev/null 2>&1; then
		pass "snapshot $s restores identical after prune"
	else
		fail "snapshot $s restores identical after prune"; show_run
	fi
done
# O1 made a pre-update snapshot (no install recorded: the newest such is
# the one a rollback needs). Another older one makes the choice matter.
UPKEEP_NOW=$(date -u -d '2024-02-01 00:00' +%s) U backup other --json
O0=$(jq_out .snapshot)
sqlite3 "$STATE/archive/index.db" "UPDATE snapshots SET reason = 'pre-update' WHERE id IN ($O0, $O1)"
U prune --json
rc_is 0 "prune of every target succeeds"
is "$(jq -r "select(.snapshot == $O1) | .reasons" < "$OUT")" rollback "the rollback snapshot is kept for that reason"
is "$(ids_of other)" "$O1 $O2" "all rules at 0: only the newest and the rollback snapshot of other survive"
is "$(ids_of app)" "$S1 $S5 $S6" "a second prune of app removes nothing more"

# ---------------------------------------------------------------- forget
U forget "$S5"
rc_is 2 "forget without --yes is refused"
like "$(cat "$ERR")" "would delete snapshot $S5 of app" "and says what it would delete"
is "$(ids_of app)" "$S1 $S5 $S6" "nothing was deleted"
U forget "$S1" --yes
rc_is 2 "forget of a pinned snapshot is refused"
like "$(cat "$ERR")" "pinned" "saying it is pinned"
U forget "$S5" --yes --json
rc_is 0 "forget --yes succeeds"
is "$(jq_out .snapshots_removed)" 1 "forget reports one snapshot removed"
is "$(ids_of app)" "$S1 $S6" "the forgotten snapshot is gone"
U verify --all --read-data
rc_is 0 "verify is clean after forget"
U restore app "$S6" --to "$T/restore/after-forget"
ok "the newest snapshot still restores identical" diff -r --no-dereference "$T/copies/$S6" "$T/restore/after-forget"
U forget 999999 --yes
isnt "$RC" 0 "forget of an unknown snapshot fails"

# ---------------------------------------------------------------- diff
D=$T/trees/app
U unpin "$S1"
printf 'new\n' > "$D/added.txt"
rm "$D/sub/stable.txt"
mkdir "$D/newdir"; printf 'x\n' > "$D/newdir/inside"
printf 'grown by a line\n' >> "$D/when.txt"
chmod 700 "$D/sub"
UPKEEP_NOW=$(date -u -d '2024-03-05 07:00' +%s) U backup app --json
S7=$(jq_out .snapshot)
U diff "$S6" "$S7" --json
rc_is 0 "diff of two snapshots succeeds"
ok "diff prints JSON lines" json_lines "$OUT"
is "$(jq -r 'select(.path != null) | "\(.change) \(.path) \(.size_delta)"' < "$OUT" | sort | tr '\n' '|')" \
	"added added.txt 4|added newdir 0|added newdir/inside 2|changed sub 0|changed when.txt 16|removed sub/stable.txt -7|" \
	"diff lists added, removed and changed paths with size deltas"
is "$(jq -r 'select(.path == "sub") | .what' < "$OUT")" mode "a mode change is named"
is "$(jq -r 'select(.path == null) | "\(.added) \(.removed) \(.changed) \(.size_delta)"' < "$OUT")" \
	"3 1 2 15" "the summary counts them"
U diff "$S7" "$S7" --json
is "$(jq -r 'select(.path == null) | .added + .removed + .changed' < "$OUT")" 0 "a snapshot has no difference with itself"
U diff "$S6" "$S7"
like "$(cat "$OUT")" "^\+ +\+4 added.txt$" "the text form marks an added file"
U diff "$S7" --current --json
rc_is 0 "diff --current succeeds"
is "$(jq -r 'select(.path == null) | .added + .removed + .changed' < "$OUT")" 0 "the live tree equals its own fresh snapshot"
printf 'later\n' > "$D/later.txt"
printf 'AB\n' > "$D/added.txt"    # same size, new mtime
touch -d '2001-01-01' "$D/added.txt"
rm -r "$D/newdir"
U diff "$S7" --current --json
is "$(jq -r 'select(.path != null) | "\(.change) \(.path)"' < "$OUT" | sort | tr '\n' '|')" \
	"added later.txt|changed added.txt|removed newdir|removed newdir/inside|" \
	"diff --current sees added, removed and re-dated files"
U diff "$S7"
rc_is 2 "diff with one snapshot and no --current is a usage error"
U diff "$S7" 999999
isnt "$RC" 0 "diff with an unknown snapshot fails"

# ---------------------------------------------------------------- a backup running
# A backup holds the archive lock for its whole run: prune waits for it,
# then gives up without touching anything.
UPKEEP_NOW=$(date -u -d '2024-03-06 00:00' +%s) U backup other --json
before=$(ids_of other)
U prune other --dry-run --json
is "$(jq -r 'select(.keep == false) | .snapshot' < "$OUT")" "$O2" "prune would now remove O2"
if command -v flock > /dev/null 2>&1; then
	LOCK=$STATE/archive/archive.lock
	( exec 9>>"$LOCK"; flock -x 9 || exit 1; echo "$BASHPID" > "$LOCK"; exec sleep 300 ) &
	holder=$!
	track_pid "$holder"
	wait_until 120 grep -qx "$holder" "$LOCK"
	U prune other
	rc_is 3 "with the archive lock held, prune gives up with exit 3"
	like "$(cat "$ERR")" "(^|[^0-9])$holder([^0-9]|\$)" "naming the holder's PID"
	is "$(ids_of other)" "$before" "and removes nothing"
	kill "$holder"; wait "$holder" 2>/dev/null
	U prune other
	rc_is 0 "once the lock is free, prune succeeds"
	unlike "$(ids_of other)" "(^| )$O2( |\$)" "and removes O2"
else
	skip 5 "flock(1) missing"
fi

# ---------------------------------------------------------------- repack
# The first snapshot's archive file holds a 3 MB file and a small one; the
# second snapshot drops the big file. Forgetting the first leaves that
# archive file mostly unused: it is rewritten with the small file only.
R=$T/trees/rp
mkdir -p "$R"
head -c 3000000 /dev/urandom > "$R/big.bin"
printf 'small and kept\n' > "$R/small.txt"
U backup rp --json
RP1=$(jq_out .snapshot)
rm "$R/big.bin"
U backup rp --json
RP2=$(jq_out .snapshot)
cp -a "$R" "$T/copies/rp2"
OLDPACK=$(sqlite3 "$STATE/archive/index.db" "SELECT p.name FROM snapshots s JOIN packs p ON p.id = s.pack WHERE s.id = $RP1")
du_before=$(du -sb "$STATE/archive/packs" | cut -f1)
UPKEEP_CRASH_AT=repack.before-commit U forget "$RP1" --yes
is "$RC" 137 "forget killed just before the rewrite commits"
is "$(ids_of rp)" "$RP2" "the forgotten snapshot is gone (its deletion had committed)"
ok "the old archive file is still there" test -f "$STATE/archive/packs/$OLDPACK"
U verify --all --read-data
rc_is 0 "verify is clean after the killed rewrite"
U prune rp --json
rc_is 0 "the next prune succeeds"
is "$(jq -r 'select(.dry_run != null) | .garbage_removed' < "$OUT")" 1 "it removes the killed rewrite's unnamed archive file"
is "$(jq -r 'select(.dry_run != null) | .packs_repacked' < "$OUT")" 1 "and rewrites the mostly unused one"
ok "the old archive file is unlinked" test ! -e "$STATE/archive/packs/$OLDPACK"
du_after=$(du -sb "$STATE/archive/packs" | cut -f1)
ok "about 3 MB are freed ($du_before -> $du_after bytes)" test $((du_before - du_after)) -gt 2900000
is "$(pack_rows)" "$(packs_on_disk)" "every archive file left is named in the index"
U verify --all --read-data
rc_is 0 "verify --read-data is clean after the rewrite"
U restore rp "$RP2" --to "$T/restore/rp2"
ok "the remaining snapshot restores identical" diff -r "$T/copies/rp2" "$T/restore/rp2"
U prune rp --json
is "$(jq -r 'select(.dry_run != null) | .packs_repacked' < "$OUT")" 0 "a second prune rewrites nothing"
# The rewritten archive file carries the listings and snapshot records too.
rm -f "$STATE/archive/index.db" "$STATE/archive/index.db-wal" "$STATE/archive/index.db-shm"
U repair --rebuild-index --json
rc_is 0 "the index rebuilds from the rewritten archive files"
U snapshots rp --json
is "$(jq -r .files < "$OUT")" 1 "the remaining snapshot of rp is found again"
U restore rp "$(jq -r .snapshot < "$OUT")" --to "$T/restore/rp2-rebuilt"
ok "and restores identical" diff -r "$T/copies/rp2" "$T/restore/rp2-rebuilt"

done_testing
