#!/bin/bash
# archive_faults.sh - the archive store under faults, through the real
# binary (issue 3, "Bad input" and "Tests"): unknown snapshot ids; a round
# trip of 100,000 small files; unreadable files and an unusable store as an
# unprivileged user; a file that grows while it is read; a truncated archive
# file and a truncated index.
. "$top_srcdir/tests/lib.sh"

command -v sqlite3 > /dev/null 2>&1 || bail "sqlite3 (the CLI) is required by this test"
command -v python3 > /dev/null 2>&1 || bail "python3 is required by this test"

STATE=$T/state
CFG=$T/upkeep.yaml
config_new "$CFG" "$STATE"
config_target "$CFG" app "file://$T/none.git" "$T/trees/app"
config_target "$CFG" many "file://$T/none.git" "$T/trees/many"
config_target "$CFG" grow "file://$T/none.git" "$T/trees/grow"
U() { up --config "$CFG" --batch "$@"; }
jq_out() { jq -r "$1" < "$OUT" 2>/dev/null || echo "<bad json>"; }
IDX=$STATE/archive/index.db
# What a tree holds: names, types, sizes, modes, mtimes, link targets and
# the contents of every file, as one checksum.
tree_sum() {
	(cd "$1" && {
		find . -mindepth 1 -printf '%P|%y|%s|%m|%T@|%l\n' | LC_ALL=C sort
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum
	} | sha256sum | cut -d' ' -f1)
}

A=$T/trees/app
mkdir -p "$A/dir" "$T/trees/grow"
printf 'one\n' > "$A/one.txt"
printf 'two\n' > "$A/dir/two.txt"
U backup app --json
rc_is 0 "a first backup of app succeeds"
S1=$(jq_out .snapshot)

# ---------------------------------------------------------------- 6. unknown ids
for cmd in "restore app 9999 --to $T/unknown-restore" "verify 9999" "diff 9999 $S1" \
	"diff $S1 9999" "export 9999 --output $T/unknown.tar" "forget 9999 --yes"; do
	# shellcheck disable=SC2086
	U $cmd
	rc_is 1 "$cmd: exit status 1"
	like "$(cat "$ERR")" "no snapshot 9999" "$cmd: the message names the unknown snapshot"
done
ok "restore of an unknown snapshot creates nothing" test ! -e "$T/unknown-restore"
ok "export of an unknown snapshot creates no file" test ! -e "$T/unknown.tar"
U snapshots app --json
is "$(jq -r .snapshot < "$OUT" | tr '\n' ' ')" "$S1 " "the store still lists only the first snapshot"

# ---------------------------------------------------------------- 1. 100k small files
M=$T/trees/many
python3 - "$M" <<'EOF'
import os, sys
root = sys.argv[1]
n = 0
for d in range(300):
    dp = os.path.join(root, "d%03d" % d)
    os.makedirs(dp)
    for f in range(334 if d < 100 else 333):
        p = os.path.join(dp, "f%04d" % f)
        with open(p, "w") as fh:
            fh.write("file %d %d\n" % (d, n) * (n % 7))
        if n % 5 == 0:
            os.chmod(p, 0o600)
        os.utime(p, ns=(1600000000 * 10**9 + n * 1001, 1600000000 * 10**9 + n * 1001))
        n += 1
print(n)
EOF
is "$(find "$M" -type f | wc -l)" 100000 "the generated tree holds 100000 files"
t0=$(date +%s.%N)
U backup many --json
t1=$(date +%s.%N)
rc_is 0 "backup of 100000 small files succeeds"
is "$(jq_out .files)" 100000 "and counts 100000 files"
SM=$(jq_out .snapshot)
U restore many "$SM" --to "$T/restore/many"
t2=$(date +%s.%N)
rc_is 0 "restore of 100000 small files succeeds"
is "$(find "$T/restore/many" -type f | wc -l)" 100000 "100000 files are restored"
is "$(tree_sum "$T/restore/many")" "$(tree_sum "$M")" "names, sizes, modes, mtimes and contents are identical"
diag "100k files: backup $(echo "$t1 - $t0" | bc) s, restore $(echo "$t2 - $t1" | bc) s"
rm -rf "$T/restore/many"

# ---------------------------------------------------------------- 2./3. unprivileged user
AS=
if [ "$(id -u)" = 0 ] && id nobody > /dev/null 2>&1; then
	NOGROUP=$(id -gn nobody)
	if command -v setpriv > /dev/null 2>&1 &&
		setpriv --reuid=nobody --regid="$NOGROUP" --clear-groups true 2> /dev/null; then
		AS="setpriv --reuid=nobody --regid=$NOGROUP --clear-groups"
	elif command -v runuser > /dev/null 2>&1 && runuser -u nobody -- true 2> /dev/null; then
		AS="runuser -u nobody --"
	fi
fi
if [ -z "$AS" ]; then
	skip 21 "not root, or neither setpriv nor runuser can switch to nobody"
else
	chmod 755 "$T" "$T/trees"
	N=$T/trees/nobody
	NSTATE=$T/nstate
	NCFG=$T/nobody.yaml
	config_new "$NCFG" "$NSTATE" "$T/ncache"
	config_target "$NCFG" app "file://$T/none.git" "$N"
	mkdir -p "$N/sub" "$NSTATE" "$T/ncache"
	printf 'readable\n' > "$N/ok.txt"
	printf 'also\n' > "$N/sub/also.txt"
	printf 'secret\n' > "$N/sub/secret file"
	chmod 000 "$N/sub/secret file"
	chmod 644 "$NCFG"
	chown nobody "$NSTATE" "$T/ncache"
	UN() { run $AS env HOME=/nonexistent "$UPKEEP" --config "$NCFG" --batch "$@"; }

	# 2. an unreadable file
	UN backup app --json
	rc_is 0 "backup with an unreadable file completes"
	like "$(cat "$ERR")" "warning: sub/secret file: Permission denied" "the unreadable file is reported on stderr by name"
	is "$(jq_out '.warnings | length')" 1 "the JSON lists one warning"
	like "$(jq_out '.warnings[0]')" "^sub/secret file: Permission denied" "naming the unreadable file"
	is "$(jq_out .status)" "completed with warnings" "the JSON says the job completed with warnings"
	is "$(jq_out .files)" 2 "the snapshot holds the two other files"
	SN=$(jq_out .snapshot)
	like "$SN" '^[0-9]+$' "the snapshot is created"
	UN files "$SN" sub --json
	is "$(jq -r .name < "$OUT" 2> /dev/null | tr '\n' ' ')" "also.txt " "the unreadable file is not in the snapshot's listing"
	is "$(sqlite3 "$NSTATE/state.db" "SELECT j.state || '|' || (SELECT group_concat(e.level || ':' || e.text) FROM job_events e WHERE e.job_id = j.id AND e.level = 'warning') FROM jobs j WHERE j.kind = 'backup' ORDER BY j.id DESC LIMIT 1" 2>&1)" \
		"ok|warning:sub/secret file: Permission denied" "the job is recorded as ok with the warning event naming the file"
	chmod 644 "$N/sub/secret file"
	UN backup app --json
	is "$(jq_out .status)" "completed" "a clean backup says completed"
	is "$(jq_out '.warnings | length')" 0 "with no warning"
	is "$(jq_out .files)" 3 "and holds all three files"

	# 3. store not writable / missing
	RO=$T/rostate
	mkdir -p "$RO"
	chmod 755 "$RO"
	config_new "$T/ro.yaml" "$RO" "$T/ncache"
	config_target "$T/ro.yaml" app "file://$T/none.git" "$N"
	chmod 644 "$T/ro.yaml"
	run $AS env HOME=/nonexistent "$UPKEEP" --config "$T/ro.yaml" --batch backup app
	rc_is 1 "backup into a read-only state directory: exit status 1"
	like "$(cat "$ERR")" "$RO" "the message names the state directory"
	is "$(find "$RO" -mindepth 1 | wc -l)" 0 "nothing is created in it"
	mkdir -p "$T/roparent"
	chmod 755 "$T/roparent"
	config_new "$T/missing.yaml" "$T/roparent/state" "$T/ncache"
	config_target "$T/missing.yaml" app "file://$T/none.git" "$N"
	chmod 644 "$T/missing.yaml"
	run $AS env HOME=/nonexistent "$UPKEEP" --config "$T/missing.yaml" --batch backup app
	rc_is 1 "backup into a missing state directory that cannot be created: exit status 1"
	like "$(cat "$ERR")" "$T/roparent/state" "the message names the state directory"
	is "$(find "$T/roparent" -mindepth 1 | wc -l)" 0 "nothing is created"
fi

# ---------------------------------------------------------------- 4. a file growing while read
G=$T/trees/grow
printf 'steady\n' > "$G/steady.txt"
mkdir -p "$G/sub"
head -c 300000 /dev/urandom > "$G/sub/other.bin"
head -c 60000000 /dev/urandom > "$G/growing.log"
cp -a "$G" "$T/grow-before"
( while :; do printf 'appended line\n' >> "$G/growing.log"; done ) &
WPID=$!
track_pid "$WPID"
grown() { [ "$(stat -c %s "$G/growing.log")" -gt 60000000 ]; }
wait_until 60 grown || bail "the writer did not start appending"
U backup grow --json
kill "$WPID" 2> /dev/null; wait "$WPID" 2> /dev/null
rc_is 0 "backup of a tree with a growing file succeeds"
like "$(jq_out '.warnings[]')" "^growing\\.log: changed while being read" "the growing file is listed as changed in the warnings"
like "$(cat "$ERR")" "warning: growing\\.log: changed while being read" "and reported on stderr"
is "$(jq_out .status)" "completed with warnings" "the job completed with warnings"
SG=$(jq_out .snapshot)
U verify "$SG" --read-data
rc_is 0 "verify --read-data of that snapshot is clean"
U restore grow "$SG" --to "$T/restore/grow"
rc_is 0 "it restores"
ok "the other files restore exact" diff -r "$T/grow-before/sub" "$T/restore/grow/sub"
ok "steady.txt restores exact" cmp "$T/grow-before/steady.txt" "$T/restore/grow/steady.txt"
gs=$(stat -c %s "$T/restore/grow/growing.log")
ok "the growing file is stored as read: at least its size before ($gs bytes)" test "$gs" -ge 60000000
ok "and a prefix of what it became" cmp -n "$gs" "$T/restore/grow/growing.log" "$G/growing.log"
unlike "$(cat "$ERR")" $'\r' "no progress line when stderr is not a terminal"
# Progress on a terminal (script(1) gives the command one).
if command -v script > /dev/null 2>&1; then
	script -qec "$UPKEEP --config $CFG --batch restore grow $SG --to $T/restore/grow-tty" /dev/null \
		> "$T/tty-restore.out" 2>&1 < /dev/null
	is "$?" 0 "restore on a terminal succeeds"
	like "$(tr '\r' '\n' < "$T/tty-restore.out")" "restore grow: [0-9]+ of 3 files, [0-9.]+ [KMG]?i?B of [0-9.]+ [KMG]?i?B, [0-9.]+ [KMG]?i?B/s" \
		"restore shows files, bytes of the total and rate on the terminal"
	script -qec "$UPKEEP --config $CFG --batch verify --all --read-data" /dev/null \
		> "$T/tty-verify.out" 2>&1 < /dev/null
	is "$?" 0 "verify on a terminal succeeds"
	like "$(tr '\r' '\n' < "$T/tty-verify.out")" "verify: [0-9]+ of [0-9]+ archive files, [0-9.]+ [KMG]?i?B of [0-9.]+ [KMG]?i?B, [0-9.]+ [KMG]?i?B/s" \
		"verify shows archive files, bytes of the total and rate on the terminal"
else
	skip 4 "script(1) missing"
fi
U backup grow --json
is "$(jq_out .files_read)" 1 "the next backup reads the changed file again (and only it)"

# ---------------------------------------------------------------- 5. truncated pack and index
printf 'three\n' > "$A/three.txt"
head -c 3000000 /dev/urandom > "$A/dir/big.bin"
U backup app --json
S2=$(jq_out .snapshot)
cp -a "$A" "$T/app-s2"
PACK=$(sqlite3 "$IDX" "SELECT p.name FROM snapshots s JOIN packs p ON p.id = s.pack WHERE s.id = $S2")
PF=$STATE/archive/packs/$PACK
ok "the second app snapshot has its own archive file ($PACK)" test -f "$PF"
truncate -s $(($(stat -c %s "$PF") / 2)) "$PF"
U verify --all --json
rc_is 1 "verify after truncating an archive file: exit status 1"
ok "it names the damaged snapshot $S2" test "$(jq_out "[.problems[] | select(.snapshot == ${S2:-0})] | length")" -gt 0
unlike "$(jq_out '.problems[].snapshot')" "^$S1\$" "and not the intact snapshot $S1"
U restore app "$S2" --to "$T/restore/trunc" dir/big.bin
rc_is 1 "restore of a file in the cut half fails"
like "$(cat "$ERR")" "dir/big\\.bin" "naming the path"
ok "nothing of it is left as if it were whole" test ! -e "$T/restore/trunc/dir/big.bin"
U restore app "$S1" --to "$T/restore/s1"
rc_is 0 "the intact snapshot $S1 still restores"
ok "exactly" test "$(cat "$T/restore/s1/one.txt" "$T/restore/s1/dir/two.txt")" = "$(printf 'one\ntwo')"

sz=$(stat -c %s "$IDX")
truncate -s $((sz / 2)) "$IDX"; rm -f "$IDX-wal" "$IDX-shm"
U verify --all
isnt "$RC" 0 "verify detects the truncated index"
U repair --rebuild-index --json
rc_is 1 "repair --rebuild-index reports the damaged archive file"
like "$(jq_out '.problems[]')" "^$PACK: damaged" "naming it"
U snapshots app --json
like "$(jq -r .snapshot < "$OUT" 2> /dev/null | tr '\n' ' ')" "^$S1 " "the intact first snapshot is recovered"
U snapshots many --json
is "$(jq -r .files < "$OUT" 2> /dev/null)" 100000 "the 100k-file snapshot is recovered"
U restore app "$S1" --to "$T/restore/s1-after"
ok "the intact snapshot restores after the rebuild" diff -r "$T/restore/s1" "$T/restore/s1-after"
U verify --all --read-data
rc_is 0 "verify --read-data is clean on what was recovered"

done_testing
