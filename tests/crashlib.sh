# crashlib.sh - the fixture and the invariant of the crash tests
# (crash_matrix.sh, powercut.sh), sourced after lib.sh.
#
# Two targets at release 1.0.0, each with preserved data that the running
# application changed: `app` (plain layout) and `rel` (releases layout).
# Release 1.1.0 changes, adds and removes files, a mode and a symlink; its
# post_install hook migrates the preserved data (so the new tree's data
# differs from the old). The invariant after a crash and a recovery: the
# target is byte for byte and mode for mode either the old tree (1.0.0 with
# its data as the application left it) or the new one (1.1.0 with the data
# carried over and migrated), with the matching version recorded, no job
# left running and no staging left over.

# treehash DIR : types, modes, names, symlink targets and contents.
treehash() {
	(cd "$1" && find . -mindepth 1 -printf '%y %m %p -> %l\n' -type f -exec sha256sum {} + | LC_ALL=C sort) |
		sha256sum | cut -d' ' -f1
}

# crash_release_repo WORK BARE : the application's history with v1.0.0 and
# v1.1.0 (about NFILES files each), as a bare repository.
crash_release_repo() {
	local w=$1 n=${NFILES:-40} i
	git_work "$w"
	mkdir -p "$w/bin" "$w/conf" "$w/data" "$w/lib/gen"
	printf '#!/bin/sh\necho run\n' > "$w/bin/run.sh"; chmod 755 "$w/bin/run.sh"
	printf '<?php $db = "default";\n' > "$w/conf/local.php"
	: > "$w/data/.keep"
	ln -s index.html "$w/public/latest.html"
	for i in $(seq 1 "$n"); do printf 'module %d of 1.0.0\n' "$i" > "$w/lib/gen/m$i.txt"; done
	printf 'old only\n' > "$w/lib/old-only.txt"
	git -C "$w" add -A && git -C "$w" commit -q -m "1.0.0" && git -C "$w" tag v1.0.0 || bail "v1.0.0"
	for i in $(seq 1 2 "$n"); do printf 'module %d of 1.1.0\n' "$i" > "$w/lib/gen/m$i.txt"; done
	git -C "$w" rm -q lib/old-only.txt
	printf 'new in 1.1.0\n' > "$w/lib/new-only.txt"
	chmod 755 "$w/lib/gen/m2.txt"
	ln -sfn ../lib/core.txt "$w/public/latest.html"
	printf 'version=1.1.0\n' > "$w/VERSION"
	git -C "$w" add -A && git -C "$w" commit -q -m "1.1.0" && git -C "$w" tag v1.1.0 || bail "v1.1.0"
	git_bare "$w" "$2"
}

# crash_setup ROOT : the fixture under ROOT (state, cache, apps on ROOT so
# that a test can put ROOT on its own file system). Sets CFG, APPS, STATE,
# FLAGS, HOOKLOG.
crash_setup() {
	local root=$1
	APPS=$root/apps STATE=$root/state FLAGS=$T/flags HOOKLOG=$T/hooks.log
	CFG=$T/upkeep.yaml
	mkdir -p "$APPS" "$FLAGS"
	cat > "$T/hook.sh" <<HOOK
#!/bin/sh
echo "\$UPKEEP_PHASE \$UPKEEP_FROM \$UPKEEP_TO \$UPKEEP_TARGET" >> "$HOOKLOG"
# 1.1.0 migrates the preserved data when it starts, durably (as a database
# would: what an application does not fsync, a power cut may take back)
if [ "\$UPKEEP_PHASE" = post_install ] && [ "\$UPKEEP_TO" = 1.1.0 ]; then
	echo "migrated by 1.1.0" >> "\$UPKEEP_PATH/data/users.db"
	sync "\$UPKEEP_PATH/data/users.db"
fi
exit 0
HOOK
	cat > "$T/health.sh" <<HEALTH
#!/bin/sh
[ -e "$FLAGS/unhealthy-\$UPKEEP_TO" ] && { echo "\$UPKEEP_TO does not answer" >&2; exit 1; }
exit 0
HEALTH
	chmod 755 "$T/hook.sh" "$T/health.sh"
	config_new "$CFG" "$STATE" "$T/cache"
	local extra="preserve: [data/, conf/local.php]
hooks: { pre_install: \"$T/hook.sh\", post_install: \"$T/hook.sh\" }
health: { command: \"$T/health.sh\", timeout: 20s, retries: 0 }"
	config_target "$CFG" app "file://$T/srv/app.git" "$APPS/app" stable semver "$extra"
	config_target "$CFG" rel "file://$T/srv/app.git" "$APPS/rel" stable semver "layout: releases
keep_releases: 3
$extra"
	git_export "$T/srv/app.git" v1.0.0 "$APPS/app"
	up --config "$CFG" --batch adopt app 1.0.0
	[ "$RC" = 0 ] || { show_run; bail "adopt app"; }
	up --config "$CFG" --batch install rel 1.0.0
	[ "$RC" = 0 ] || { show_run; bail "install rel 1.0.0"; }
	local t
	for t in app rel; do
		printf '<?php $db = "production";\n' > "$APPS/$t/conf/local.php"
		printf 'users of %s\n' "$t" > "$APPS/$t/data/users.db"
		chmod 600 "$APPS/$t/data/users.db"
	done
}

# crash_save DIR / crash_reset DIR : the whole fixture (apps and state) as
# it is now, and back to it.
crash_save() {
	mkdir -p "$1" && cp -a "$APPS" "$STATE" "$1/" || bail "saving the fixture"
}
crash_reset() {
	# the contents only: APPS and STATE may be mount points
	rm -rf "$APPS"/* "$APPS"/.[!.]* "$STATE"/* "$STATE"/.[!.]* &&
		cp -a "$1/apps/." "$APPS/" && cp -a "$1/state/." "$STATE/" || bail "resetting the fixture"
	: > "$HOOKLOG"
	rm -f "$FLAGS"/*
}

# crash_view TARGET : "HASH VERSION LINK RUNNING" of the target as it is
# (RUNNING: jobs left running).
crash_view() {
	local t=$1 v link=-
	v=$(sqlite3 -separator ' ' "$STATE/state.db" "SELECT COALESCE((SELECT installed_version
		FROM targets WHERE name = '$t'), 'none'), (SELECT count(*) FROM jobs WHERE state = 'running')")
	[ -L "$APPS/$t" ] && link=$(readlink "$APPS/$t")
	printf '%s %s %s\n' "$(treehash "$APPS/$t/")" "${v% *}" "$link"
	CRASH_RUNNING=${v##* }
}

# crash_expect : records OLD_app, OLD_rel (now) and NEW_app, NEW_rel (after an
# uninterrupted install of 1.1.0 from a saved fixture in $1).
crash_expect() {
	OLD_app=$(crash_view app) OLD_rel=$(crash_view rel)
	local t
	for t in app rel; do
		up --config "$CFG" --batch install "$t" 1.1.0
		[ "$RC" = 0 ] || { show_run; bail "install $t 1.1.0"; }
	done
	NEW_app=$(crash_view app) NEW_rel=$(crash_view rel)
	crash_reset "$1"
}

# crash_check TARGET : prints "old" or "new" when the invariant holds, else
# "INCONSISTENT: why".
crash_check() {
	local t=$1 view old new why= side= f rels=
	view=$(crash_view "$t"; echo "$CRASH_RUNNING")
	local running=${view##*$'\n'}
	view=${view%$'\n'*}
	eval "old=\$OLD_$t new=\$NEW_$t"
	if [ "$view" = "$old" ]; then side=old
	elif [ "$view" = "$new" ]; then side=new
	else why="tree/version/link is [$view], neither old [$old] nor new [$new]"; fi
	[ "$running" = 0 ] || why="$why; $running job(s) left running"
	for f in "$APPS"/.upkeep-*; do [ -e "$f" ] || [ -L "$f" ] && why="$why; leftover ${f##*/}"; done
	for f in "$STATE"/tmp/*; do [ -e "$f" ] && why="$why; leftover scratch tmp/${f##*/}"; done
	if [ "$t" = rel ]; then
		for f in "$APPS"/releases/* "$APPS"/releases/.[!.]*; do [ -e "$f" ] && rels="$rels${f##*/} "; done
		case $side in
		old) [ "$rels" = "1.0.0 " ] || why="$why; releases/ holds $rels" ;;
		new) [ "$rels" = "1.0.0 1.1.0 " ] || why="$why; releases/ holds $rels" ;;
		esac
	fi
	if [ -n "$why" ]; then echo "INCONSISTENT: ${why#; }"; else echo "$side"; fi
}
