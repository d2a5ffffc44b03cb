#!/bin/bash
# crash_matrix.sh - every crash point of install (both layouts) and of
# restore (whole; --path around its swap), random moments of staging and of
# the pre-update snapshot (the NTH file, and kill -9 after a random delay),
# crashes of recovery itself, a target with data dumps (the data goes with
# the tree), an asset target's download, and the archive's points; each run
# is recovered and checked against the invariant (tests/crashlib.sh). Prints "crash points x runs" and the inconsistent
# outcomes, which must be 0. UPKEEP_CRASH_RUNS=N repeats each run N times.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/crashlib.sh"
umask 022
git config --global tar.umask 022
command -v sqlite3 > /dev/null || skip_all "sqlite3 missing"
RUNS=${UPKEEP_CRASH_RUNS:-1}

# A process crash keeps the page cache: the file system does not matter
# here (power cuts are powercut.sh's), so the runs use tmpfs when there is
# one, where fsync costs nothing.
ROOT=$T/root
if [ -d /dev/shm ] && [ -w /dev/shm ] && SHM=$(mktemp -d /dev/shm/upkeep-crash.XXXXXX); then
	ROOT=$SHM
	trap '_s=$?; rm -rf "$SHM"; (exit $_s); _cleanup' EXIT
fi
crash_release_repo "$T/work/app" "$T/srv/app.git"
crash_setup "$ROOT"
crash_save "$T/pristine"
crash_expect "$T/pristine"
isnt "$OLD_app" "$NEW_app" "fixture: the old and the new tree of app differ"
isnt "${OLD_rel%% *}" "${NEW_rel%% *}" "fixture: the old and the new tree of rel differ"

# ---------------------------------------------------------------- the list
up --list-crash-points
rc_is 0 "--list-crash-points"
POINTS=$(cut -f1 "$OUT")
# download: only targets whose payload is a release asset (install_asset.sh)
INSTALL_POINTS=$(grep '^install\.' <<< "$POINTS" | grep -v -- '-download$')
ok "the list names install's points" test "$(wc -l <<< "$INSTALL_POINTS")" -ge 20
undocumented=
for p in $POINTS; do
	grep -qF "${p//-/\\-}" "$top_srcdir/data/upkeep.1" || undocumented="$undocumented $p"
done
is "$undocumented" "" "every crash point is documented in upkeep(1)"

# ---------------------------------------------------------------- the runs
INCONSISTENT=0 TOTAL=0
declare -A SEEN       # points run
declare -A SIDES      # outcomes per kind of run
note_run() { # KIND RESULT
	TOTAL=$((TOTAL + 1))
	SIDES[$1 ${2%%:*}]=$(( ${SIDES[$1 ${2%%:*}]:-0} + 1 ))
	case $2 in INCONSISTENT*) INCONSISTENT=$((INCONSISTENT + 1)) ;; esac
}

# The recovery rule: the new release is kept only once it passed its health
# check; every earlier crash rolls back.
expected_side() {
	case ${1#*.} in
	after-health|before-finish|after-finish|before-close|after-close) echo new ;;
	*) echo old ;;
	esac
}

recover_ok() { # DESC : runs recover, which must exit 0
	up --config "$CFG" --batch recover --json
	[ "$RC" = 0 ] || { fail "$1: recover exits 0"; show_run; return 1; }
}

# install_run TARGET POINT[:NTH] : install 1.1.0 with a crash there.
install_run() {
	crash_reset "$T/pristine"
	case $2 in install.rollback-*) touch "$FLAGS/unhealthy-1.1.0" ;; esac
	UPKEEP_CRASH_AT=$2 run "$UPKEEP" --config "$CFG" --batch install "$1" 1.1.0
}

# Every point in the plain layout; the releases layout at the points around
# its switch (all of them when UPKEEP_CRASH_RUNS > 1).
REL_POINTS="install.before-stage install.before-swap install.after-swap install.after-health
install.after-finish install.rollback-swapped-back install.after-close"
[ "$RUNS" -gt 1 ] && REL_POINTS=$INSTALL_POINTS
for t in app rel; do
	points=$INSTALL_POINTS; [ "$t" = rel ] && points=$REL_POINTS
	for p in $points; do
		want=$(expected_side "$p")
		for r in $(seq 1 "$RUNS"); do
			SEEN[$p]=1
			install_run "$t" "$p"
			if [ "$RC" != 137 ]; then fail "$p ($t): the point is reached (exit 137)"; show_run; continue; fi
			recover_ok "$p ($t)" || continue
			res=$(crash_check "$t")
			note_run point "$res"
			[ "$r" = 1 ] || continue
			if [ "$res" = "$want" ]; then pass "$p ($t): recovered to the $want release"
			else fail "$p ($t): recovered to the $want release"; diag "got: $res"; show_run; fi
		done
	done
done

# The recovered job and the recover job are recorded; the hooks ran again.
install_run app install.after-swap
recover_ok "records"
like "$(jq -r 'select(.job) | "\(.action) \(.phase) \(.summary)"' < "$OUT")" \
	'^rolled back swapped .*rolled back to 1\.0\.0, the swap undone' "recover --json says what it did"
is "$(sqlite3 "$STATE/state.db" "SELECT state FROM jobs WHERE kind = 'install' ORDER BY id DESC LIMIT 1")" \
	recovered "the interrupted install is recorded as recovered"
is "$(sqlite3 "$STATE/state.db" "SELECT state FROM jobs WHERE kind = 'recover' ORDER BY id DESC LIMIT 1")" \
	ok "a recover job is recorded"
like "$(cat "$HOOKLOG")" '^rollback:post_install 1\.1\.0 1\.0\.0 app$' "recovery ran the old release's post_install hook"
like "$(jq -r 'select(.removed) | .removed[]' < "$OUT")" "^$STATE/tmp/install-[0-9]+\$" \
	"recover --json names the dead job's scratch directory it removed"
up --config "$CFG" --batch recover
like "$(cat "$OUT")" '^nothing to recover' "a second recover finds nothing"

# A live job's scratch directory is left alone (its process holds the lock).
crash_reset "$T/pristine"
PAUSE=$T/paused
UPKEEP_PAUSE_AT=install.after-snapshot UPKEEP_PAUSE_FILE=$PAUSE "$UPKEEP" --config "$CFG" --batch \
	install app 1.1.0 > /dev/null 2>&1 < /dev/null &
pid=$!
for i in $(seq 1 1200); do [ -e "$PAUSE" ] || [ ! -d /proc/$pid ] && break; sleep 0.05; done
ok "fixture: an install paused after its snapshot" test -e "$PAUSE"
up --config "$CFG" --batch recover --json
is "$(jq -r 'select(.removed) | "\(.running) \(.removed | length)"' < "$OUT")" "1 0" \
	"recover leaves the live job and its scratch directory alone"
ok "the live job's scratch directory is still there" test -d "$(echo "$STATE"/tmp/install-*)"
rm -f "$PAUSE"
wait "$pid"
is "$?" 0 "the paused install finishes"

# Recovery at the start of any command.
install_run rel install.after-post_install
up --config "$CFG" --batch snapshots rel
rc_is 0 "a command after a crash runs"
like "$(cat "$ERR")" 'recovered an interrupted job: rel: job [0-9]+ \(install\) rolled back' \
	"it first recovered the interrupted install, saying so on stderr"
is "$(crash_check rel)" old "and the target is the old release"

# ---------------------------------------------------------------- restore
# From 1.1.0 installed, the restore of the pre-update snapshot (1.0.0 as it
# was): the old tree is now 1.1.0's, the new one the snapshot's.
crash_reset "$T/pristine"
up --config "$CFG" --batch install app 1.1.0
up --config "$CFG" --batch snapshots app --json
SNAP=$(jq -r 'select(.reason == "pre-update") | .snapshot' < "$OUT" | tail -n 1)
crash_save "$T/installed"
up --config "$CFG" --batch restore app "$SNAP"
rc_is 0 "fixture: an uninterrupted restore of snapshot $SNAP"
is "$(crash_view app)" "$OLD_app" "fixture: the restored tree is the snapshot's, 1.0.0 recorded"
SAVE_OLD=$OLD_app SAVE_NEW=$NEW_app
OLD_app=$SAVE_NEW NEW_app=$SAVE_OLD
RESTORE_POINTS=$(grep '^restore\.' <<< "$POINTS" | grep -v -e '-data$' -e '-path$')
for p in $RESTORE_POINTS; do
	want=$(expected_side "$p")
	for r in $(seq 1 "$RUNS"); do
		SEEN[$p]=1
		crash_reset "$T/installed"
		case $p in restore.rollback-*) touch "$FLAGS/unhealthy-1.0.0" ;; esac
		UPKEEP_CRASH_AT=$p run "$UPKEEP" --config "$CFG" --batch restore app "$SNAP"
		if [ "$RC" != 137 ]; then fail "$p: the point is reached (exit 137)"; show_run; continue; fi
		recover_ok "$p" || continue
		res=$(crash_check app)
		note_run restore "$res"
		[ "$r" = 1 ] || continue
		if [ "$res" = "$want" ]; then pass "$p: recovered to the $want tree"
		else fail "$p: recovered to the $want tree"; diag "got: $res"; show_run; fi
	done
done

# ---------------------------------------------------------------- restore --path
# The same snapshot's lib/gen (in both trees) and lib/old-only.txt (removed
# by 1.1.0), exchanged one by one: the points around the swap, between the
# two paths, the rollback and the commit point. The version stays 1.1.0.
PATHS=(--path lib/gen --path lib/old-only.txt)
crash_reset "$T/installed"
up --config "$CFG" --batch restore app "$SNAP" "${PATHS[@]}"
rc_is 0 "fixture: an uninterrupted restore of two paths"
NEW_app=$(crash_view app)
isnt "$NEW_app" "$OLD_app" "fixture: the path restore changed the tree"
for p in restore.before-swap restore.after-path:1 restore.after-swap restore.after-post_restore \
	restore.rollback-swapped-back restore.after-health; do
	SEEN[${p%%:*}]=1
	want=$(expected_side "${p%%:*}")
	crash_reset "$T/installed"
	case $p in restore.rollback-*) touch "$FLAGS/unhealthy-1.1.0" ;; esac
	UPKEEP_CRASH_AT=$p run "$UPKEEP" --config "$CFG" --batch restore app "$SNAP" "${PATHS[@]}"
	rm -f "$FLAGS"/*
	if [ "$RC" != 137 ]; then fail "$p --path: the point is reached (exit 137)"; show_run; continue; fi
	recover_ok "$p --path" || continue
	res=$(crash_check app)
	note_run path "$res"
	if [ "$res" = "$want" ]; then pass "$p --path: recovered to the $want tree"
	else fail "$p --path: recovered to the $want tree"; diag "got: $res"; show_run; fi
done
OLD_app=$SAVE_OLD NEW_app=$SAVE_NEW

# ---------------------------------------------------------------- random moments
NF=$(( ${NFILES:-40} + 7 ))  # the regular files of 1.1.0
for t in app rel; do
	for r in $(seq 1 "$RUNS"); do
		for p in stage.after-file backup.after-file; do
			[ "$p" = backup.after-file ] && [ "$t" = rel ] && n=$((RANDOM % 20 + 1)) || n=$((RANDOM % NF + 1))
			SEEN[$p]=1
			install_run "$t" "$p:$n"
			[ "$RC" = 137 ] || { fail "$p:$n ($t): reached"; show_run; continue; }
			recover_ok "$p:$n ($t)" || continue
			res=$(crash_check "$t")
			note_run nth "$res"
			[ "$res" = old ] || { fail "$p:$n ($t): recovered to the old release"; diag "got: $res"; }
		done
	done
done
pass "the Nth-file crashes in staging and in the snapshot recovered to the old release"

# kill -9 after a random delay (the whole install takes about DUR ms)
crash_reset "$T/pristine"
start=$(date +%s%N)
up --config "$CFG" --batch install app 1.1.0
DUR=$(( ($(date +%s%N) - start) / 1000000 ))
KILLS=$((4 * RUNS)) killed=0
declare -A KSTEP
for r in $(seq 1 "$KILLS"); do
	t=app; [ $((r % 2)) = 0 ] && t=rel
	crash_reset "$T/pristine"
	"$UPKEEP" --config "$CFG" --batch install "$t" 1.1.0 > /dev/null 2>&1 &
	pid=$!
	sleep "$(awk -v d="$DUR" -v r="$RANDOM" 'BEGIN { printf "%.3f", d * (r / 32768) / 1000 }')"
	kill -9 "$pid" 2>/dev/null && killed=$((killed + 1))
	wait "$pid" 2>/dev/null
	step=$(sqlite3 "$STATE/state.db" "SELECT s.name FROM job_steps s JOIN jobs j ON j.id = s.job_id WHERE j.state = 'running' ORDER BY s.id DESC LIMIT 1")
	KSTEP[${step:-none}]=$(( ${KSTEP[${step:-none}]:-0} + 1 ))
	recover_ok "kill -9 #$r" || continue
	note_run kill "$(crash_check "$t")"
done
diag "kill -9 at random moments: $killed of $KILLS killed before the end (install takes ~${DUR} ms); steps hit: $(for k in "${!KSTEP[@]}"; do printf '%s=%s ' "$k" "${KSTEP[$k]}"; done)"

# ---------------------------------------------------------------- recovery crashes
for t in app rel; do
	ip=install.after-swap; [ "$t" = rel ] && ip=install.after-health
	for ip in $ip; do
		for rp in recover.before-undo recover.after-undo recover.after-record; do
			SEEN[$rp]=1
			install_run "$t" "$ip"
			UPKEEP_CRASH_AT=$rp run "$UPKEEP" --config "$CFG" --batch recover
			[ "$RC" = 137 ] || { fail "$rp after $ip ($t): reached"; show_run; continue; }
			recover_ok "$rp after $ip ($t)" || continue
			res=$(crash_check "$t")
			note_run recover "$res"
			want=$(expected_side "$ip")
			[ "$res" = "$want" ] || { fail "$rp after $ip ($t): recovered to the $want release"; diag "got: $res"; }
		done
	done
done
pass "crashes of recovery itself are recovered by the next one"

# ---------------------------------------------------------------- archive points
crash_reset "$T/pristine"
snaps() { [ -f "$STATE/archive/index.db" ] && sqlite3 "$STATE/archive/index.db" "SELECT count(*) FROM snapshots" || echo 0; }
archive_ok() { # KIND DESC : verify clean, no job running
	local why=
	up --config "$CFG" --batch verify --all --read-data
	[ "$RC" = 0 ] || why="verify exits $RC"
	[ "$(sqlite3 "$STATE/state.db" "SELECT count(*) FROM jobs WHERE state = 'running'")" = 0 ] || why="$why; a job left running"
	if [ -n "$why" ]; then note_run "$1" "INCONSISTENT: $why"; fail "$2"; diag "$why"; show_run
	else note_run "$1" ok; fi
}
head -c 3000000 /dev/urandom > "$APPS/app/data/big.bin"
for p in backup.after-file:3 backup.before-fsync backup.before-commit; do
	SEEN[${p%%:*}]=1
	before=$(snaps)
	UPKEEP_CRASH_AT=$p run "$UPKEEP" --config "$CFG" --batch backup app
	[ "$RC" = 137 ] || { fail "$p: reached"; show_run; }
	recover_ok "$p"
	is "$(snaps)" "$before" "$p: no snapshot was added"
	archive_ok archive "$p: the archive verifies"
done
up --config "$CFG" --batch backup app --json
S1=$(jq -r .snapshot < "$OUT")
rm "$APPS/app/data/big.bin"
up --config "$CFG" --batch backup app
crash_save "$T/with-snaps"
for p in prune.before-commit prune.before-unlink repack.before-commit repack.before-unlink; do
	SEEN[$p]=1
	crash_reset "$T/with-snaps"
	UPKEEP_CRASH_AT=$p run "$UPKEEP" --config "$CFG" --batch forget "$S1" --yes
	[ "$RC" = 137 ] || { fail "$p: reached"; show_run; }
	recover_ok "$p"
	n=$(sqlite3 "$STATE/archive/index.db" "SELECT count(*) FROM snapshots WHERE id = $S1")
	want=0; [ "$p" = prune.before-commit ] && want=1
	is "$n" "$want" "$p: the snapshot is $( [ $want = 1 ] && echo kept || echo gone), whole"
	archive_ok archive "$p: the archive verifies"
done

# ---------------------------------------------------------------- data dumps
# Target dat has a data dump (a file standing for a database, beside the
# trees) that 1.1.0 migrates in its post_install hook. The invariant adds:
# the database goes with the tree (the old one's or the migrated one).
DB=$APPS/dat.db
printf '#!/bin/sh\ncat > "%s.new" && mv "%s.new" "%s"\n' "$DB" "$DB" "$DB" > "$T/load.sh"
printf '#!/bin/sh\n[ "$UPKEEP_PHASE" = post_install ] && [ "$UPKEEP_TO" = 1.1.0 ] && echo migrated >> "%s"\nexit 0\n' \
	"$DB" > "$T/migrate.sh"
chmod 755 "$T/load.sh" "$T/migrate.sh"
config_target "$CFG" dat "file://$T/srv/app.git" "$APPS/dat" stable semver "data:
  - { name: db, dump: \"cat $DB\", restore: \"$T/load.sh\" }
hooks: { post_install: \"$T/migrate.sh\" }"
crash_reset "$T/pristine"
git_export "$T/srv/app.git" v1.0.0 "$APPS/dat"
printf 'users of 1.0.0\n' > "$DB"
up --config "$CFG" --batch adopt dat 1.0.0
crash_save "$T/dat0"
up --config "$CFG" --batch install dat 1.1.0
rc_is 0 "fixture: dat installs 1.1.0"
DB0=$'users of 1.0.0' DB1=$'users of 1.0.0\nmigrated'
is "$(cat "$DB")" "$DB1" "fixture: 1.1.0 migrated dat's database"
up --config "$CFG" --batch snapshots dat --json
DSNAP=$(jq -r 'select(.reason == "pre-update") | .snapshot' < "$OUT" | tail -n 1)
crash_save "$T/dat1"
VIEW0=$(crash_reset "$T/dat0"; crash_view dat) VIEW1=$(crash_reset "$T/dat1"; crash_view dat)
data_run() { # POINT WANT(old/new) DB-WANT COMMAND... : one run, checked
	local p=$1 want=$2 db=$3 res
	shift 3
	SEEN[$p]=1
	UPKEEP_CRASH_AT=$p run "$UPKEEP" --config "$CFG" --batch "$@"
	[ "$RC" = 137 ] || { fail "$p (dat): reached"; show_run; return; }
	recover_ok "$p (dat)" || return
	res=$(crash_check dat)
	[ "$(cat "$DB")" = "$db" ] || res="INCONSISTENT: the database is [$(cat "$DB")], not [$db] ($res)"
	note_run data "$res"
	if [ "$res" = "$want" ]; then pass "$p (dat): recovered to the $want tree and its data"
	else fail "$p (dat): recovered to the $want tree and its data"; diag "got: $res"; show_run; fi
}
# an install killed once its hook migrated the data: the data goes back too
OLD_dat=$VIEW0 NEW_dat=$VIEW1
crash_reset "$T/dat0"
data_run install.after-post_install old "$DB0" install dat 1.1.0
# a whole restore of the pre-update snapshot, killed around its data step
OLD_dat=$VIEW1 NEW_dat=$VIEW0
for p in restore.before-data restore.after-data; do
	crash_reset "$T/dat1"
	data_run "$p" old "$DB1" restore dat "$DSNAP"
done

# ---------------------------------------------------------------- download
# Target ast installs a release asset (file:// URL, its SHA-256 in the tag
# message): killed before and after the download.
AW=$T/work/ast
mkdir -p "$AW" "$T/dist"
git -C "$AW" init -q && git -C "$AW" commit -q --allow-empty -m init || bail "ast repository"
for v in 1.0.0 1.1.0; do
	mkdir -p "$T/payload/ast-$v/lib"
	printf 'ast %s\n' "$v" > "$T/payload/ast-$v/index.html"
	printf 'lib of %s\n' "$v" > "$T/payload/ast-$v/lib/$v.txt"
	tar -C "$T/payload" -czf "$T/dist/ast-$v.tar.gz" "ast-$v"
	git -C "$AW" commit -q --allow-empty -m "$v"
	printf 'Release %s\n\n%s  ast-%s.tar.gz\n' "$v" "$(sha256sum < "$T/dist/ast-$v.tar.gz" | cut -d' ' -f1)" \
		"$v" > "$T/.tagmsg"
	git -C "$AW" tag -a -F "$T/.tagmsg" "v$v" || bail "ast tag $v"
done
git_bare "$AW" "$T/srv/ast.git"
printf '  ast:\n    source: { git: "file://%s", scheme: semver, asset: { url: "file://%s/ast-{version}.tar.gz", strip_components: 1 } }\n    path: %s\n' \
	"$T/srv/ast.git" "$T/dist" "$APPS/ast" >> "$CFG"
crash_reset "$T/pristine"
up --config "$CFG" --batch install ast 1.0.0
rc_is 0 "fixture: ast installs its 1.0.0 asset"
OLD_ast=$(crash_view ast) NEW_ast=
crash_save "$T/ast0"
for p in install.before-download install.after-download; do
	SEEN[$p]=1
	crash_reset "$T/ast0"
	UPKEEP_CRASH_AT=$p run "$UPKEEP" --config "$CFG" --batch install ast 1.1.0
	[ "$RC" = 137 ] || { fail "$p (ast): reached"; show_run; continue; }
	recover_ok "$p (ast)" || continue
	res=$(crash_check ast)
	note_run download "$res"
	is "$res" old "$p (ast): recovered to the old release"
done

# ---------------------------------------------------------------- totals
unrun=
for p in $POINTS; do [ -n "${SEEN[$p]:-}" ] || unrun="$unrun $p"; done
is "$unrun" "" "every listed crash point was run"
diag "crash points x runs: ${#SEEN[@]} points, $TOTAL runs (UPKEEP_CRASH_RUNS=$RUNS); outcomes: $(for k in "${!SIDES[@]}"; do printf '%s=%s ' "${k// /:}" "${SIDES[$k]}"; done)"
diag "inconsistent outcomes: $INCONSISTENT"
is "$INCONSISTENT" 0 "no inconsistent outcome in $TOTAL runs"
done_testing
