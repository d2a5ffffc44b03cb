#!/bin/bash
# powercut.sh - real power cuts (reliability notes, table row 3): the apps
# and the state live on two loop-mounted ext4 images; install stops at a
# crash point (UPKEEP_PAUSE_AT), both file systems are shut down without
# flushing their journals (tests/godown: EXT4_IOC_SHUTDOWN, NOLOGFLUSH),
# the process is killed, the images are mounted again (journal replay) and
# recovered, and the invariant of tests/crashlib.sh must hold. One run per
# crash point of install; restore in place (whole, and two paths) at the
# points where it changes the disk. Then the mutation check (row 21): with
# UPKEEP_TEST_SKIP_DIRSYNC=1 (no directory fsyncs) the same power cuts must
# break the invariant at least once - the canary that shows the harness can
# see a switch that is not durable.
#
# Two images, not one: ext4 commits its whole journal on any fsync, so with
# the state on the same file system the state database's own fsyncs would
# make every rename durable and hide a missing directory fsync.
# Needs root (mount); runs in a private mount namespace, so that nothing
# stays mounted if it dies. The journals commit only when asked
# (commit=600), so that nothing becomes durable by the clock.
if [ "$(id -u)" = 0 ] && [ -z "${UPKEEP_MOUNT_NS:-}" ] &&
	unshare -m --propagation private true 2> /dev/null; then
	UPKEEP_MOUNT_NS=1 exec unshare -m --propagation private /bin/bash "$0" "$@"
fi
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/crashlib.sh"
umask 022
git config --global tar.umask 022
[ "$(id -u)" = 0 ] || skip_all "power cuts need root (loop mounts)"
[ -n "${UPKEEP_MOUNT_NS:-}" ] || skip_all "no private mount namespace (unshare -m)"
command -v mkfs.ext4 > /dev/null || skip_all "mkfs.ext4 missing"
command -v sqlite3 > /dev/null || skip_all "sqlite3 missing"
[ -x "${GODOWN:-}" ] || bail "GODOWN must name the tests/godown helper"

ROOT=$T/root
mkdir -p "$ROOT/apps" "$ROOT/state"
for fs in apps state; do
	truncate -s 96M "$T/$fs.img" && mkfs.ext4 -q -F -O ^fast_commit "$T/$fs.img" > /dev/null 2>&1 ||
		bail "mkfs.ext4 $T/$fs.img"
done
mount_all() {
	local fs
	for fs in apps state; do
		mount -o loop,commit=600 "$T/$fs.img" "$ROOT/$fs" || return 1
	done
}
umount_all() { umount "$ROOT/apps" && umount "$ROOT/state"; }
mount_all || skip_all "cannot loop-mount an ext4 image here"
rm -rf "$ROOT/apps/lost+found" "$ROOT/state/lost+found"

crash_release_repo "$T/work/app" "$T/srv/app.git"
crash_setup "$ROOT"
crash_save "$T/pristine"
crash_expect "$T/pristine"
umount_all || bail "umount"

up --list-crash-points
POINTS=$(cut -f1 "$OUT" | grep '^install\.' | grep -v -- '-download$')
PAUSE=$T/paused

# power_cut POINT TARGET [FIXTURE [COMMAND...]] : runs the command (install
# 1.1.0 into TARGET) from the saved fixture (pristine), cuts the power where
# it pauses, remounts, recovers. Sets RES (the invariant's verdict, with
# recover's failure if any) and CUT (1 when the power was cut at the point).
power_cut() {
	local p=$1 t=$2 fixture=${3:-pristine} pid i
	shift 2; shift $(( $# > 0 ))
	[ $# -gt 0 ] || set -- install "$t" 1.1.0
	mount_all || bail "mount"
	crash_reset "$T/$fixture"
	sync -f "$APPS" && sync -f "$STATE" || bail "sync"
	rm -f "$PAUSE"
	case $p in install.rollback-*) touch "$FLAGS/unhealthy-1.1.0" ;; esac
	case $p in restore.rollback-*) touch "$FLAGS/unhealthy-$UNHEALTHY" ;; esac
	UPKEEP_PAUSE_AT=$p UPKEEP_PAUSE_FILE=$PAUSE "$UPKEEP" --config "$CFG" --batch "$@" \
		> "$T/cut.out" 2>&1 < /dev/null &
	pid=$!
	CUT=0
	for i in $(seq 1 1200); do
		[ -e "$PAUSE" ] && break
		kill -0 "$pid" 2> /dev/null || break
		sleep 0.05
	done
	if [ -e "$PAUSE" ]; then
		"$GODOWN" "$APPS" && "$GODOWN" "$STATE" && CUT=1
	fi
	kill -9 "$pid" 2> /dev/null
	wait "$pid" 2> /dev/null
	rm -f "$FLAGS"/unhealthy-* # the restore's health fails; the old tree's must not
	umount_all && mount_all || bail "remount after the power cut at $p"
	up --config "$CFG" --batch recover --json
	RES=$(crash_check "$t")
	[ "$RC" = 0 ] || RES="INCONSISTENT: recover exits $RC: $(jq -r 'select(.job) | .summary' < "$OUT" 2>/dev/null | head -1)"
	umount_all || bail "umount"
}

expected_side() {
	case ${1#*.} in
	after-health|before-finish|after-finish|before-close|after-close) echo new ;;
	*) echo old ;;
	esac
}

RUNS=0 BAD=0
for p in $POINTS; do
	power_cut "$p" app
	RUNS=$((RUNS + 1))
	[ "$CUT" = 1 ] || { fail "$p: paused there and the power was cut"; diag "$(cat "$T/cut.out")"; continue; }
	case $RES in INCONSISTENT*) BAD=$((BAD + 1)) ;; esac
	want=$(expected_side "$p")
	if [ "$RES" = "$want" ]; then pass "power cut at $p: recovered to the $want release"
	else fail "power cut at $p: recovered to the $want release"; diag "got: $RES"; fi
done
# the releases layout at the points around its switch
for p in install.before-swap install.after-swap install.after-health install.after-close; do
	power_cut "$p" rel
	RUNS=$((RUNS + 1))
	case $RES in INCONSISTENT*) BAD=$((BAD + 1)) ;; esac
	want=$(expected_side "$p")
	is "$RES" "$want" "power cut at $p (releases layout): recovered to the $want release"
done

# ---------------------------------------------------------------- restore
# From 1.1.0 installed, the pre-update snapshot (1.0.0) restored in place:
# the whole tree at the points where the disk changes, and two paths at the
# points around their exchange. The old tree is now 1.1.0's.
mount_all || bail "mount"
crash_reset "$T/pristine"
up --config "$CFG" --batch install app 1.1.0
up --config "$CFG" --batch snapshots app --json
SNAP=$(jq -r 'select(.reason == "pre-update") | .snapshot' < "$OUT" | tail -n 1)
crash_save "$T/installed"
PATHS=(--path lib/gen --path lib/old-only.txt)
up --config "$CFG" --batch restore app "$SNAP" "${PATHS[@]}"
rc_is 0 "fixture: a path restore"
PATH_VIEW=$(crash_view app)
umount_all || bail "umount"
SAVE_OLD=$OLD_app SAVE_NEW=$NEW_app
OLD_app=$SAVE_NEW NEW_app=$SAVE_OLD UNHEALTHY=1.0.0
RPOINTS="restore.after-stage restore.after-pre_restore restore.before-swap restore.after-swap
restore.after-post_restore restore.after-health restore.after-finish restore.rollback-swapped-back
restore.after-close"
for p in $RPOINTS; do
	power_cut "$p" app installed restore app "$SNAP"
	RUNS=$((RUNS + 1))
	case $RES in INCONSISTENT*) BAD=$((BAD + 1)) ;; esac
	is "$RES" "$(expected_side "$p")" "power cut at $p: recovered to the $(expected_side "$p") tree"
done
NEW_app=$PATH_VIEW UNHEALTHY=1.1.0
for p in restore.after-path restore.after-swap restore.after-health; do
	power_cut "$p" app installed restore app "$SNAP" "${PATHS[@]}"
	RUNS=$((RUNS + 1))
	case $RES in INCONSISTENT*) BAD=$((BAD + 1)) ;; esac
	is "$RES" "$(expected_side "$p")" "power cut at $p (--path): recovered to the $(expected_side "$p") tree"
done
OLD_app=$SAVE_OLD NEW_app=$SAVE_NEW
diag "power cuts: $RUNS runs ($(wc -w <<< "$POINTS") install points, plain layout; 4 releases layout; $(wc -w <<< "$RPOINTS") whole restore, 3 --path restore), inconsistent: $BAD"
is "$BAD" 0 "no inconsistent outcome after $RUNS power cuts"

# ---------------------------------------------------------------- mutation
export UPKEEP_TEST_SKIP_DIRSYNC=1
MUT=0 MRUNS=0
for p in install.after-swap install.after-health install.after-finish install.after-close; do
	power_cut "$p" app
	MRUNS=$((MRUNS + 1))
	case $RES in INCONSISTENT*) MUT=$((MUT + 1)); diag "without directory fsyncs, $p: $RES" ;; esac
done
unset UPKEEP_TEST_SKIP_DIRSYNC
diag "mutation (UPKEEP_TEST_SKIP_DIRSYNC=1): $MUT of $MRUNS power cuts broke the invariant"
ok "the canary: without directory fsyncs a power cut breaks the invariant" test "$MUT" -ge 1
done_testing
