#!/bin/bash
# archive.sh - the archive store through the real binary: backup, snapshots,
# files, restore and verify on trees this script generates. Round trip of
# every file type and awkward names, incremental and deduplicated second
# snapshots, bit rot, and runs killed mid-backup.
. "$top_srcdir/tests/lib.sh"

command -v sqlite3 > /dev/null 2>&1 || bail "sqlite3 (the CLI) is required by this test"

STATE=$T/state
CFG=$T/upkeep.yaml
config_new "$CFG" "$STATE"
for t in app rot kill empties; do
	config_target "$CFG" "$t" "file://$T/none.git" "$T/trees/$t"
done
U() { up --config "$CFG" --batch "$@"; }
jq_out() { jq -r "$1" < "$OUT" 2>/dev/null || echo "<bad json>"; }

# Every file type, awkward names, fixed mtimes.
A=$T/trees/app
mkdir -p "$A/dir/deeper/deepest" "$A/empty dir" "$A/ro" "$A/a-empty" "$A/dir/z-empty" "$A/dir/deeper/m-empty"
for i in 1 2 3 4 5 6 7 8 9; do mkdir -p "$A/e$i/sub" "$A/dir/deeper/e$i"; done
printf 'hello\n' > "$A/plain.txt"
printf '#!/bin/sh\necho hi\n' > "$A/run.sh"; chmod 755 "$A/run.sh"
printf 'secret\n' > "$A/private"; chmod 600 "$A/private"
: > "$A/empty"
printf 'spaces\n' > "$A/name with spaces"
printf 'newline\n' > "$A/new"$'\n'"line"
printf 'utf8\n' > "$A/ünïcødé-名前"
printf 'latin1\n' > "$A/bad-"$'\xff\xfe'"-utf8"
printf 'deep\n' > "$A/dir/deeper/deepest/file"
head -c 300000 /dev/urandom > "$A/dir/medium.bin"
head -c 5000000 /dev/urandom > "$A/big.bin"
truncate -s 40M "$A/sparse.img"
printf 'in the middle' | dd of="$A/sparse.img" bs=1 seek=20000000 conv=notrunc status=none
ln -s plain.txt "$A/link-rel"
ln -s /etc/hostname "$A/link-abs"
ln -s does/not/exist "$A/link-dangling"
ln "$A/plain.txt" "$A/hardlink.txt"
printf 'read only\n' > "$A/ro/file"; chmod 444 "$A/ro/file"; chmod 555 "$A/ro"
mkfifo "$A/fifo"
find "$A" -mindepth 1 ! -type l -exec touch -h -d '2021-03-04 05:06:07.123456789' {} +
touch -h -d '2020-01-02 03:04:05' "$A/link-rel"

# find's view of a tree: type, mode, mtime, link target, path; NUL-separated
# (names hold newlines), sorted. The FIFO is left out: it is skipped.
tree_list() {
	(cd "$1" && find . -mindepth 1 ! -type p -printf '%y %m %T@ %l %P\0' | sort -z | tr '\0' '\n')
}
same_tree() { # same_tree SRC DST DESC
	local a b
	a=$(tree_list "$1"); b=$(tree_list "$2")
	if [ "$a" = "$b" ] && diff -r --no-dereference -x fifo "$1" "$2" > "$T/diff" 2>&1; then
		pass "$3"
	else
		fail "$3"; diag "$(diff <(printf '%s\n' "$a") <(printf '%s\n' "$b") | head -20)"
		diag "$(head -20 "$T/diff")"
	fi
}

# ---------------------------------------------------------------- empty directories
# First, into the empty store: identical listings, met in readdir order at
# backup and in name order at commit, are stored once and shared.
E=$T/trees/empties
for i in 1 2 3 4 5 6 7 8 9; do mkdir -p "$E/e$i/sub" "$E/d/e$i"; done
U backup empties --json
rc_is 0 "backup of a tree of empty directories succeeds"
SE=$(jq_out .snapshot)
is "$(sqlite3 "$STATE/archive/index.db" "SELECT count(*) FROM trees WHERE hash = (SELECT hash FROM trees t WHERE NOT EXISTS (SELECT 1 FROM entries e WHERE e.tree = t.id))")" 1 \
	"the empty listing is stored once"
U restore empties "$SE" --to "$T/restore/empties"
rc_is 0 "and restores"
same_tree "$E" "$T/restore/empties" "with every directory"

# ---------------------------------------------------------------- round trip
U backup app --json --note "first one"
rc_is 0 "backup of a tree with every file type succeeds"
ok "backup prints one JSON object" json_lines "$OUT"
SNAP1=$(jq_out .snapshot)
is "$(jq_out .files)" 14 "backup counts the regular files (hard link as a file, FIFO skipped)"
is "$(jq_out .files_read)" 14 "a first backup reads every file"
like "$(jq_out '.warnings[]')" '^fifo: special file' "the FIFO is reported as skipped"
like "$(cat "$ERR")" 'warning: fifo: special file' "and warned about on stderr"
NEW1=$(jq_out .new_bytes)
ok "new stored bytes cover the data (random 5.3 MB stored, the sparse zeros not: $NEW1)" \
	test "$NEW1" -gt 5000000 -a "$NEW1" -lt 7000000

U backup app --json
rc_is 0 "an unchanged second backup succeeds"
SNAP2=$(jq_out .snapshot)
is "$(jq_out .files_read)" 0 "an unchanged second backup reads no file contents"
NEW2=$(jq_out .new_bytes)
ok "an unchanged second backup stores almost nothing ($NEW2 bytes)" test "$NEW2" -lt 2048

U snapshots app --json
rc_is 0 "snapshots lists the target's snapshots"
is "$(jq -s 'length' < "$OUT")" 2 "two snapshots listed"
is "$(jq -rs '.[0].note' < "$OUT")" "first one" "the note is kept"
is "$(jq -rs '.[0].reason' < "$OUT")" manual "the reason is manual"

R=$T/restore/full
U restore app "$SNAP1" --to "$R" --json
rc_is 0 "restore of the whole snapshot succeeds"
same_tree "$A" "$R" "restored tree equals the source: contents, modes, mtimes, link targets, names"
is "$(readlink "$R/link-abs")" /etc/hostname "absolute symlink target restored as it was"
blocks=$(stat -c %b "$R/sparse.img")
ok "the sparse file is restored sparse ($blocks blocks of 512 bytes)" test "$blocks" -lt 1000
ok "the FIFO is not restored" test ! -e "$R/fifo"

U restore app "$SNAP2" --to "$R"
rc_is 2 "restore into a non-empty directory is refused"
like "$(cat "$ERR")" 'not empty.*--force' "and the message says how to override"
printf 'changed\n' > "$R/plain.txt"
U restore app "$SNAP2" --to "$R" --force
rc_is 0 "restore --force into the non-empty directory succeeds"
is "$(cat "$R/plain.txt")" hello "--force replaces changed files"

P=$T/restore/paths
U restore app "$SNAP1" --to "$P" "name with spaces" dir/deeper
rc_is 0 "restore of chosen paths succeeds"
is "$(cat "$P/name with spaces")" spaces "the chosen file is restored"
is "$(cat "$P/dir/deeper/deepest/file")" deep "the chosen directory is restored with its contents"
ok "paths not asked for are not restored" test ! -e "$P/plain.txt" -a ! -e "$P/dir/medium.bin"

U restore app "$SNAP1" --to "$T/restore/escape" ../etc
rc_is 2 "a path with .. is refused"
ok "nothing is written for a refused path" test ! -e "$T/restore/etc"
U restore app "$SNAP1" --to "$T/restore/missing" no/such/file
rc_is 1 "a path not in the snapshot fails"
like "$(cat "$ERR")" 'no/such/file: not in the snapshot' "naming the path"
U restore app 999 --to "$T/restore/nosnap"
rc_is 1 "an unknown snapshot fails"
like "$(cat "$ERR")" 'no snapshot 999' "naming it"
U restore app abc --to "$T/restore/nosnap"
rc_is 2 "a snapshot id that is not a number is a usage error"

U files "$SNAP1" dir --json
rc_is 0 "files lists a directory of a snapshot"
is "$(jq -rs 'map(.name) | join(",")' < "$OUT")" "deeper,medium.bin,z-empty" "with its entries in order"
is "$(jq -rs '.[1].size' < "$OUT")" 300000 "and their sizes"

# ---------------------------------------------------------------- deeper than PATH_MAX
# 22 directories of 200-byte names: the paths are over 4400 bytes long.
D=$T/trees/deep
config_target "$CFG" deep "file://$T/none.git" "$D"
LONG=$(printf 'd%.0s' $(seq 1 200))
mkdir -p "$D"
(cd "$D" && for i in $(seq 1 22); do mkdir "$LONG" && cd "$LONG" || exit 1; done && printf 'bottom\n' > file) \
	|| bail "cannot build the deep tree"
U backup deep --json
rc_is 0 "backup of a tree deeper than PATH_MAX succeeds"
is "$(jq_out .files)" 1 "and finds the file at the bottom"
SD=$(jq_out .snapshot)
U restore deep "$SD" --to "$T/restore/deep"
rc_is 0 "restore of that tree succeeds"
got=$(cd "$T/restore/deep" && for i in $(seq 1 22); do cd "$LONG" || exit 1; done && cat file)
is "$got" bottom "the file at the bottom is restored"

# ---------------------------------------------------------------- incremental and dedup
printf 'edited\n' > "$A/plain.txt"
touch -d '2021-03-04 05:06:07' "$A/plain.txt"
dd if=/dev/urandom of="$A/big.bin" bs=1000 count=1 seek=2500 conv=notrunc status=none
U backup app --json
rc_is 0 "backup after edits succeeds"
is "$(jq_out .files_read)" 3 "only the changed files are read (two edited, plus the hard link's twin)"
NEW3=$(jq_out .new_bytes)
ok "a 1 kB edit in the middle of a 5 MB file stores about one chunk ($NEW3 bytes)" \
	test "$NEW3" -lt 2500000

head -c 24000000 /dev/urandom > "$A/large.bin"
U backup app --json
NEW4=$(jq_out .new_bytes)
{ head -c 12000000 "$A/large.bin"; printf 'INSERTED BYTES'; tail -c +12000001 "$A/large.bin"; } > "$T/large.new"
mv "$T/large.new" "$A/large.bin"
U backup app --json
rc_is 0 "backup after an insertion in the middle of a 24 MB file succeeds"
NEW5=$(jq_out .new_bytes)
ok "the insertion stores about the changed chunks only ($NEW5 of $NEW4 bytes)" \
	test "$NEW5" -lt 9000000 -a "$NEW4" -gt 24000000
SNAP5=$(jq_out .snapshot)
R5=$T/restore/five
U restore app "$SNAP5" --to "$R5"
rc_is 0 "the deduplicated snapshot restores"
ok "the edited large file restores byte for byte" cmp "$A/large.bin" "$R5/large.bin"

U verify --all --read-data --json
rc_is 0 "verify --read-data of an intact store passes"
is "$(jq_out .ok)" true "and says ok"
U snapshots app --json
is "$(jq -sr 'map("\(.verify_ok)/\(.verified_data)/\(.verified_at > 0)/\(.verify_error)") | unique | join(" ")' < "$OUT")" \
	"true/true/true/null" "each snapshot verified records its verification (when, data read, ok)"
U snapshots app
like "$(sed -n 2p "$OUT")" ' [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{5} data ok ' "the text listing shows it"

# ---------------------------------------------------------------- bit rot
mkdir -p "$T/trees/rot"
head -c 3000000 /dev/urandom > "$T/trees/rot/victim.bin"
printf 'small\n' > "$T/trees/rot/small.txt"
U backup rot --json
SNAPR=$(jq_out .snapshot)
U snapshots rot --json
is "$(jq_out '"\(.verified_at)/\(.verify_ok)"')" "null/null" "a new snapshot was never verified"
PACK=$(sqlite3 "$STATE/archive/index.db" "SELECT p.name FROM snapshots s JOIN packs p ON p.id = s.pack WHERE s.id = $SNAPR")
PF=$STATE/archive/packs/$PACK
ok "the snapshot's archive file exists" test -f "$PF"
SIZE=$(stat -c %s "$PF")
flip_bit() { # flip_bit FILE OFFSET
	local byte
	byte=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "$(printf '\\%03o' $((byte ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
flip_bit "$PF" $((SIZE / 2))
PF_REC_SKIP=50 # into the record's header and table
U verify --all
rc_is 0 "verify without --read-data does not read the data (the flip goes unseen)"
U snapshots rot
like "$(sed -n 2p "$OUT")" ' index ok ' "a verification without --read-data is recorded as such"
U verify --all --read-data --json
rc_is 1 "verify --read-data finds the flipped bit"
like "$(jq_out '.problems[] | "\(.snapshot) \(.path)"')" "^$SNAPR victim.bin\$" "and names the snapshot and the file"
U snapshots rot --json
is "$(jq_out '"\(.verify_ok)/\(.verified_data)"')" "false/true" "the failed verification is recorded"
like "$(jq_out .verify_error)" '^victim.bin: damaged' "with its first problem"
U snapshots rot
like "$(sed -n 2p "$OUT")" ' data FAILED ' "the text listing shows FAILED"
U snapshots app --json
is "$(jq -sr 'map(.verify_ok) | unique | join(" ")' < "$OUT")" true "the intact snapshots stay verified"
unlike "$(jq_out '.problems[] | .path')" 'plain.txt|big.bin' "and no file of the intact snapshots"
U restore rot "$SNAPR" --to "$T/restore/rot" victim.bin
rc_is 1 "restoring the damaged file fails"
like "$(cat "$ERR")" 'victim.bin: chunk [0-9a-f]{16}.*damaged' "naming the file and the chunk"
ok "no damaged file is left behind" test ! -e "$T/restore/rot/victim.bin"
U restore app "$SNAP1" --to "$T/restore/other" plain.txt
rc_is 0 "a file of another snapshot still restores"
ROOTREC=$(sqlite3 "$STATE/archive/index.db" "SELECT t.block FROM snapshots s JOIN trees t ON t.id = s.root WHERE s.id = $SNAPR")
flip_bit "$PF" $((ROOTREC + 50))
U verify "$SNAPR" --read-data --json
rc_is 1 "a flipped bit in a directory listing is found"
like "$(jq_out '.problems[] | "\(.snapshot) \(.path) \(.error)"')" "^$SNAPR \\. directory listing damaged" "naming the snapshot and the directory"
SNAPREC=$(sqlite3 "$STATE/archive/index.db" "SELECT record FROM snapshots WHERE id = $SNAPR")
ok "the snapshot's own record is indexed ($SNAPREC)" test "$SNAPREC" -gt 0
flip_bit "$PF" $((SNAPREC + PF_REC_SKIP))
U verify "$SNAPR" --read-data --json
like "$(jq_out '.problems[] | select(.path == null and .snapshot != null) | "\(.snapshot) \(.error)"')" "^$SNAPR snapshot record" \
	"a flipped bit in the snapshot's own record is found"
U verify "$SNAPR" --read-data
like "$(cat "$OUT")" "^snapshot $SNAPR: snapshot record" "and reported in text too"

# ---------------------------------------------------------------- crashes
K=$T/trees/kill
mkdir -p "$K"
for i in 1 2 3 4 5 6; do head -c 8000000 /dev/urandom > "$K/f$i.bin"; done
count_snaps() { sqlite3 "$STATE/archive/index.db" "SELECT count(*) FROM snapshots WHERE target = 'kill'"; }
UPKEEP_CRASH_AT=backup.before-commit U backup kill
rc_is 137 "a backup dying after its pack is durable but before its rows commit"
is "$(count_snaps)" 0 "leaves no snapshot"
packs_on_disk=$(ls "$STATE/archive/packs" | wc -l)
packs_indexed=$(sqlite3 "$STATE/archive/index.db" "SELECT count(*) FROM packs")
is "$packs_on_disk" "$((packs_indexed + 1))" "but one unreferenced archive file"
U verify --all --read-data --json
rc_is 1 "verify --read-data after the crash reports the rot from above"
unlike "$(jq_out '.problems[] | .path // ""')" 'f[0-9]\.bin' "and reports nothing of the crashed backup"

killed=0
for i in $(seq 1 20); do
	"$UPKEEP" --config "$CFG" --batch backup kill > /dev/null 2>&1 &
	pid=$!
	sleep "0.0$((RANDOM % 10))"
	kill -9 "$pid" 2>/dev/null && killed=$((killed + 1))
	wait "$pid" 2>/dev/null
done
diag "$killed of 20 backups killed with SIGKILL at random moments"
U verify --all --read-data --json
unlike "$(jq_out '.problems[] | .path // ""')" 'f[0-9]\.bin' "after kill -9, verify reports nothing of the killed backups"
n_before=$(count_snaps)
garbage=$(( $(ls "$STATE/archive/packs" | wc -l) - $(sqlite3 "$STATE/archive/index.db" "SELECT count(*) FROM packs") ))
U backup kill --json
rc_is 0 "a backup after the crashes succeeds"
is "$(jq_out .garbage_removed)" "$garbage" "and removes the killed runs' leftover archive files ($garbage)"
is "$(count_snaps)" "$((n_before + 1))" "and adds exactly one snapshot"
packs_on_disk=$(ls "$STATE/archive/packs" | wc -l)
packs_indexed=$(sqlite3 "$STATE/archive/index.db" "SELECT count(*) FROM packs")
is "$packs_on_disk" "$packs_indexed" "no unreferenced archive file is left"
SK=$(jq_out .snapshot)
U restore kill "$SK" --to "$T/restore/kill"
rc_is 0 "the snapshot taken after the crashes restores"
ok "byte for byte" diff -r "$K" "$T/restore/kill"

# ---------------------------------------------------------------- disk full
# A store on a 20 MB tmpfs and 30 MB of data: ENOSPC while writing the pack.
FULL=$T/full
mkdir -p "$FULL"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=20m tmpfs "$FULL" 2>/dev/null; then
	FCFG=$T/full.yaml
	config_new "$FCFG" "$FULL/state"
	config_target "$FCFG" kill "file://$T/none.git" "$K"
	up --config "$FCFG" --batch backup kill
	rc_is 1 "a backup onto a full disk fails"
	like "$(cat "$ERR")" 'cannot write archive file .*No space left on device' "with a clear message naming the file"
	is "$(sqlite3 "$FULL/state/archive/index.db" "SELECT count(*) FROM snapshots")" 0 "no snapshot is recorded"
	is "$(ls "$FULL/state/archive/packs" | wc -l)" 0 "the partial archive file is removed"
	up --config "$FCFG" --batch verify --all --read-data
	rc_is 0 "the store still verifies"
	umount "$FULL"
else
	skip 5 "needs root and tmpfs mounts"
fi

# ---------------------------------------------------------------- progress
# On a terminal (script(1) provides one), backup shows files, bytes and rate.
if command -v script > /dev/null 2>&1; then
	script -qec "'$UPKEEP' --config '$CFG' --batch backup kill" /dev/null > "$T/tty.out" 2>&1
	like "$(tr '\r' '\n' < "$T/tty.out")" '^.*backup kill: [0-9]+ files, .* read, .*/s' "backup shows its progress on a terminal"
	script -qec "'$UPKEEP' --config '$CFG' --batch --quiet backup kill" /dev/null > "$T/tty.out" 2>&1
	unlike "$(tr '\r' '\n' < "$T/tty.out")" 'backup kill: [0-9]+ files' "and not with --quiet"
else
	skip 2 "script(1) is missing"
fi
U backup kill
unlike "$(cat "$ERR")" 'files, .*/s' "no progress when stderr is not a terminal"

# ---------------------------------------------------------------- jobs
jobs=$(sqlite3 "$STATE/state.db" "SELECT kind || ':' || state FROM jobs WHERE kind IN ('backup','restore','verify') ORDER BY id" | sort | uniq -c | tr -s ' ' | tr '\n' ' ')
like "$jobs" 'backup:ok' "backups are recorded as jobs"
like "$jobs" 'restore:failed' "a failed restore is recorded as failed"
like "$jobs" 'verify:ok' "verify runs are recorded"

U backup nosuchtarget
rc_is 2 "backup of an unknown target is a usage error"
U verify
rc_is 2 "verify without SNAPSHOT or --all is a usage error"

done_testing
