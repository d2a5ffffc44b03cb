#!/bin/bash
# restore_diskfull.sh - a full disk during an install's and a restore's
# staging (clean error naming the path, target untouched, staging removed),
# and the free-space check that counts the pre-update snapshot and the free
# inodes. The target lives on a 20 MB tmpfs (then one of 400 inodes): root
# only.
. "$top_srcdir/tests/lib.sh"
umask 022
git config --global tar.umask 022

[ "$(id -u)" = 0 ] || skip_all "needs root (mounts a tmpfs)"
FULL=$T/full
mkdir -p "$FULL"
mount -t tmpfs -o size=20m tmpfs "$FULL" 2>/dev/null || skip_all "cannot mount a tmpfs"
trap 'umount -l "$FULL" 2>/dev/null; _cleanup' EXIT

treehash() {
	(cd "$1" && { find . -mindepth 1 -printf '%y %m %p -> %l\n' | LC_ALL=C sort
		find . -type f -exec sha256sum {} + | LC_ALL=C sort; }) | sha256sum | cut -d' ' -f1
}

# v1.0.0 is small; v2.0.0 adds 1300 files of 12289 bytes: 16 MB of data,
# which the free-space check allows on 20 MB, but a tmpfs gives each file
# four whole 4 KiB pages, 20.8 MB in all. Not zeros: they would become holes.
W=$T/work/app
git_work "$W"
git_release "$W" v1.0.0
mkdir -p "$W/many"
python3 -c '
import sys
for i in range(1300):
    with open("%s/f%d" % (sys.argv[1], i), "w") as f:
        f.write("x" * 12288 + chr(65 + i % 26))
' "$W/many" || bail "python3"

git_release "$W" v2.0.0
git_bare "$W" "$T/srv/app.git"
URL=file://$T/srv/app.git

CFG=$T/upkeep.yaml
config_new "$CFG"
config_target "$CFG" app "$URL" "$FULL/app"
used() { df --output=used -B1 "$FULL" | tail -n 1 | tr -d ' '; }
no_staging() { ! compgen -G "$FULL/.upkeep-stage-*" > /dev/null; }

# ---------------------------------------------------------------- install
git_export "$T/srv/app.git" v1.0.0 "$FULL/app"
up --config "$CFG" --batch adopt app 1.0.0
rc_is 0 "fixture: 1.0.0 adopted on the tmpfs"
before=$(treehash "$FULL/app")
used_before=$(used)
up --config "$CFG" --batch install app 2.0.0 --json
rc_is 1 "install onto a full disk: exit 1"
is "$(jq_target app .failed_step)" stage "install onto a full disk: the stage step failed"
like "$(jq_target app .error)" "into $FULL/\\.upkeep-stage-app-[0-9]+: staging many/f[0-9]+: write: No space left on device" \
	"install onto a full disk: the message names the path that could not be written"
is "$(treehash "$FULL/app")" "$before" "install onto a full disk: the target is untouched"
ok "install onto a full disk: the staging directory is removed" no_staging
is "$(used)" "$used_before" "install onto a full disk: the space is given back"
up --config "$CFG" --batch check app --json
is "$(jq_target app .installed)" 1.0.0 "install onto a full disk: 1.0.0 is still recorded"

# ---------------------------------------------------------------- restore
# a snapshot of the 6000-file tree, taken while the target was on a big disk
umount "$FULL"
git_export "$T/srv/app.git" v2.0.0 "$FULL/app"
up --config "$CFG" --batch backup app --json
rc_is 0 "fixture: a snapshot of the big tree"
S=$(jq -r .snapshot "$OUT")
rm -rf "$FULL/app"
mount -t tmpfs -o size=20m tmpfs "$FULL" || bail "mount again"
git_export "$T/srv/app.git" v1.0.0 "$FULL/app"
before=$(treehash "$FULL/app")
used_before=$(used)
up --config "$CFG" --batch restore app "$S" --json
rc_is 1 "restore onto a full disk: exit 1"
is "$(tail -n 1 "$OUT" | jq -r .failed_step)" stage "restore onto a full disk: the stage step failed"
like "$(tail -n 1 "$OUT" | jq -r .error)" "into $FULL/\\.upkeep-stage-app-[0-9]+: many/f[0-9]+: No space left on device" \
	"restore onto a full disk: the message names the path that could not be written"
is "$(treehash "$FULL/app")" "$before" "restore onto a full disk: the target is untouched"
ok "restore onto a full disk: the staging directory is removed" no_staging
is "$(used)" "$used_before" "restore onto a full disk: the space is given back"

# ---------------------------------------------------------------- the snapshot counts
# The archive on the same tmpfs, a 12 MB file that does not compress in the
# live tree: staging 1.0.0 fits, its pre-update snapshot would not.
rm -rf "$FULL/app"
CFG2=$T/upkeep2.yaml
config_new "$CFG2" "$FULL/state"
config_target "$CFG2" app2 "$URL" "$FULL/app2"
git_export "$T/srv/app.git" v1.0.0 "$FULL/app2"
head -c 12M /dev/urandom > "$FULL/app2/blob.bin"
up --config "$CFG2" --batch adopt app2 1.0.0 --json
before=$(treehash "$FULL/app2")
up --config "$CFG2" --batch install app2 2.0.0 --json
rc_is 1 "a snapshot that would not fit: refused"
is "$(jq_target app2 .failed_step)" null "a snapshot that would not fit: refused in preflight, before any step"
like "$(jq_target app2 .error)" "not enough free space in $FULL for staging and the snapshot: [0-9]+ bytes needed" \
	"a snapshot that would not fit: the message says staging and the snapshot"
is "$(treehash "$FULL/app2")" "$before" "a snapshot that would not fit: the target is untouched"
ok "a snapshot that would not fit: no archive file was written" \
	sh -c "! ls '$FULL/state/archive/packs' 2>/dev/null | grep -q ."

# ---------------------------------------------------------------- inodes
# Room for the bytes but not for the files: a tmpfs of 400 inodes, 2.0.0
# has more than 1300 files. A snapshot of 2.0.0 is taken first, on the
# disk below the mount point.
INO=$T/ino
CFG3=$T/upkeep3.yaml
config_new "$CFG3" "$T/state3"
config_target "$CFG3" app3 "$URL" "$INO/app3"
git_export "$T/srv/app.git" v2.0.0 "$INO/app3"
up --config "$CFG3" --batch backup app3 --json
rc_is 0 "fixture: a snapshot of 2.0.0's tree"
S3=$(jq -r .snapshot "$OUT")
rm -rf "$INO/app3"
mount -t tmpfs -o size=64m,nr_inodes=400 tmpfs "$INO" || bail "mount a tmpfs of 400 inodes"
trap 'umount -l "$FULL" 2>/dev/null; umount -l "$INO" 2>/dev/null; _cleanup' EXIT
git_export "$T/srv/app.git" v1.0.0 "$INO/app3"
up --config "$CFG3" --batch adopt app3 1.0.0
before=$(treehash "$INO/app3")
up --config "$CFG3" --batch install app3 2.0.0 --json
rc_is 1 "too few inodes for the release: refused"
is "$(jq_target app3 .failed_step)" null "too few inodes: refused in preflight, before any step"
like "$(jq_target app3 .error)" \
	"not enough free inodes on the file system mounted at $INO for staging: 13[0-9][0-9] files to create, [0-9]+ inodes available" \
	"too few inodes: the message names the file system and both counts"
up --config "$CFG3" --batch restore app3 "$S3" --json
rc_is 1 "too few inodes for the snapshot: the restore is refused"
like "$(tail -n 1 "$OUT" | jq -r .error)" "not enough free inodes on the file system mounted at $INO for staging" \
	"too few inodes: the restore's message names the file system"
up --config "$CFG3" --batch restore app3 "$S3" --path many --json
rc_is 1 "too few inodes for one directory: the path restore is refused"
is "$(treehash "$INO/app3")" "$before" "too few inodes: the target is untouched"
ok "too few inodes: no staging directory" sh -c "! ls -a '$INO' | grep -q upkeep-stage"

done_testing
