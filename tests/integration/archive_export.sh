#!/bin/bash
# archive_export.sh - `export` through the real binary: the pax tar stream
# of a snapshot, unpacked with GNU tar, equals a restore of the same
# snapshot (contents, modes, mtimes, link targets, awkward and long names);
# damage stops the export naming the file.
. "$top_srcdir/tests/lib.sh"

command -v sqlite3 > /dev/null 2>&1 || bail "sqlite3 (the CLI) is required by this test"
command -v tar > /dev/null 2>&1 || bail "tar is required by this test"

STATE=$T/state
CFG=$T/upkeep.yaml
config_new "$CFG" "$STATE"
config_target "$CFG" app "file://$T/none.git" "$T/trees/app"
config_target "$CFG" rot "file://$T/none.git" "$T/trees/rot"
U() { up --config "$CFG" --batch "$@"; }
jq_out() { jq -r "$1" < "$OUT" 2>/dev/null || echo "<bad json>"; }

A=$T/trees/app
LONG=$(printf 'n%.0s' $(seq 1 150))
mkdir -p "$A/dir/deeper" "$A/empty dir" "$A/ro" "$A/$LONG/$LONG"
printf 'hello\n' > "$A/plain.txt"
printf '#!/bin/sh\n' > "$A/run.sh"; chmod 755 "$A/run.sh"
printf 'secret\n' > "$A/private"; chmod 600 "$A/private"
: > "$A/empty"
printf 'spaces\n' > "$A/name with spaces"
printf 'newline\n' > "$A/new"$'\n'"line"
printf 'utf8\n' > "$A/ünïcødé-名前"
printf 'latin1\n' > "$A/bad-"$'\xff\xfe'"-utf8"
printf 'long\n' > "$A/$LONG/$LONG/$LONG"
head -c 3000000 /dev/urandom > "$A/dir/big.bin"
ln -s plain.txt "$A/link-rel"
ln -s "$LONG/$LONG/$LONG" "$A/link-long"
ln -s does/not/exist "$A/link-dangling"
printf 'read only\n' > "$A/ro/file"; chmod 444 "$A/ro/file"; chmod 555 "$A/ro"
find "$A" -mindepth 1 ! -type l -exec touch -h -d '2021-03-04 05:06:07.123456789' {} +
touch -h -d '2020-01-02 03:04:05' "$A/link-rel"

tree_list() {
	(cd "$1" && find . -mindepth 1 -printf '%y %m %T@ %l %P\0' | sort -z | tr '\0' '\n')
}

U backup app --json
rc_is 0 "backup of the tree succeeds"
S=$(jq_out .snapshot)
U restore app "$S" --to "$T/restore"
rc_is 0 "restore succeeds"

# ---------------------------------------------------------------- to a file
U export "$S" --output "$T/snap.tar" --json
rc_is 0 "export --output succeeds"
is "$(jq_out .files)" 11 "export counts the files"
is "$(jq_out .symlinks)" 3 "and the symlinks"
ok "no temporary file is left beside the output" test -z "$(find "$T" -maxdepth 1 -name 'snap.tar.upkeep-*')"
mkdir "$T/x"
ok "GNU tar unpacks the stream" tar -x -f "$T/snap.tar" -C "$T/x"
is "$(tree_list "$T/x")" "$(tree_list "$T/restore")" \
	"the unpacked tree equals a restore: types, modes, mtimes (ns), link targets, names"
ok "and the contents are byte for byte the same" diff -r --no-dereference "$T/restore" "$T/x"
like "$(tar -t -v --numeric-owner -f "$T/snap.tar" | grep ' private$')" "^-rw------- $(id -u)/$(id -g) " \
	"modes and numeric owners are in the headers"
like "$(tar -t -f "$T/snap.tar")" "^$LONG/$LONG/$LONG\$" "a name longer than ustar's 100 bytes is whole"
ok "the stream is pax (extended headers present)" grep -aq 'path=' "$T/snap.tar"

# ---------------------------------------------------------------- to stdout
"$UPKEEP" --config "$CFG" --batch export "$S" > "$T/stdout.tar" 2> "$T/stderr"
is "$?" 0 "export to stdout succeeds"
ok "the stream on stdout is the same as with --output" cmp "$T/stdout.tar" "$T/snap.tar"
U export abc
rc_is 2 "a snapshot id that is not a number is a usage error"
U export 999 --output "$T/none.tar"
rc_is 1 "an unknown snapshot fails"
ok "and leaves no output file" test ! -e "$T/none.tar"

# ---------------------------------------------------------------- damage
mkdir -p "$T/trees/rot"
head -c 3000000 /dev/urandom > "$T/trees/rot/victim.bin"
U backup rot --json
SR=$(jq_out .snapshot)
PACK=$(sqlite3 "$STATE/archive/index.db" "SELECT p.name FROM snapshots s JOIN packs p ON p.id = s.pack WHERE s.id = $SR")
PF=$STATE/archive/packs/$PACK
SIZE=$(stat -c %s "$PF")
byte=$(od -An -tu1 -j $((SIZE / 2)) -N1 "$PF" | tr -d ' ')
printf "$(printf '\\%03o' $((byte ^ 1)))" | dd of="$PF" bs=1 seek=$((SIZE / 2)) conv=notrunc status=none
U export "$SR" --output "$T/rot.tar"
rc_is 1 "export of a damaged snapshot fails"
like "$(cat "$ERR")" 'victim.bin: chunk [0-9a-f]{16}.*damaged' "naming the file and the chunk"
ok "and leaves no partial output file" test ! -e "$T/rot.tar"

done_testing
