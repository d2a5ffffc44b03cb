#!/bin/bash
# make_install.sh - `make install DESTDIR=...` from this build directory puts
# exactly the expected files in the configured places (binary, man pages,
# example configuration, systemd units with this build's paths, bash and zsh
# completion, translations), the installed binary runs, the units pass
# `systemd-analyze verify` (when it exists), and `make uninstall` removes
# every file again. Works under distcheck (all directories are below the
# prefix by default).
. "$top_srcdir/tests/lib.sh"

B=$(dirname "$UPKEEP")
[ -f "$B/Makefile" ] || skip_all "no Makefile beside $UPKEEP"
command -v make >/dev/null 2>&1 || skip_all "make missing"
# The make running this test must not hand its job server to ours.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES GNUMAKEFLAGS

MK=(make -s --no-print-directory -C "$B")
# var NAME : the fully expanded value of a make variable of the build.
var() { "${MK[@]}" --eval='upkeep-print-var-%: ; @printf "%s\n" "$($*)"' "upkeep-print-var-$1"; }

D=$T/dest
run "${MK[@]}" install DESTDIR="$D"
rc_is 0 "make install DESTDIR=... succeeds" || diag "$(tail -n 20 "$ERR")"

bindir=$(var bindir) mandir=$(var mandir) docdir=$(var docdir) localedir=$(var localedir)
unitdir=$(var systemdsystemunitdir) bashdir=$(var bashcompletiondir) zshdir=$(var zshcompletiondir)
sysconfdir=$(var sysconfdir)
like "$bindir" '^/' "make reports the installation directories ($bindir)"

{
	echo "$bindir/upkeep"
	echo "$mandir/man1/upkeep.1"
	echo "$mandir/man5/upkeep.yaml.5"
	echo "$docdir/README"
	echo "$docdir/NEWS"
	echo "$docdir/examples/upkeep.yaml.example"
	if [ "$unitdir" != no ]; then
		echo "$unitdir/upkeep.service"
		echo "$unitdir/upkeep.timer"
	fi
	echo "$bashdir/upkeep"
	echo "$zshdir/_upkeep"
	# One catalogue per language of po/LINGUAS.
	for lang in $(sed 's/#.*//' "$top_srcdir/po/LINGUAS"); do
		echo "$localedir/$lang/LC_MESSAGES/upkeep.mo"
	done
} | sort > "$T/expected"
(cd "$D" && find . ! -type d | sed 's|^\.||' | sort) > "$T/installed"
if cmp -s "$T/expected" "$T/installed"; then
	pass "the installed files are exactly the expected ones ($(wc -l < "$T/expected"))"
else
	fail "the installed files are exactly the expected ones"
	diag "$(diff "$T/expected" "$T/installed")"
fi

ok "the binary is executable" test -x "$D$bindir/upkeep"
run "$D$bindir/upkeep" --version
like "$(cat "$OUT")" '^upkeep [0-9]' "the installed binary runs (--version)"
ok "the manual pages are not empty" test -s "$D$mandir/man1/upkeep.1" -a -s "$D$mandir/man5/upkeep.yaml.5"
ok "the bash completion is the contrib script" cmp -s "$D$bashdir/upkeep" "$top_srcdir/contrib/completion/upkeep.bash"

if [ "$unitdir" = no ]; then
	skip 4 "configured --without-systemdsystemunitdir"
else
	svc=$D$unitdir/upkeep.service
	like "$(grep '^ExecStart=' "$svc")" "^ExecStart=$bindir/upkeep --batch\$" \
		"the installed service runs this build's binary ($bindir/upkeep)"
	like "$(grep '^ConditionPathExists=' "$svc")" "=$sysconfdir/upkeep/upkeep.yaml\$" \
		"the installed service waits for this build's configuration file"
	if command -v systemd-analyze >/dev/null 2>&1; then
		# verify checks that ExecStart= is executable: point it at the
		# DESTDIR copy.
		mkdir -p "$T/units"
		sed "s|^ExecStart=$bindir/|ExecStart=$D$bindir/|" "$svc" > "$T/units/upkeep.service"
		cp "$D$unitdir/upkeep.timer" "$T/units/"
		# Parse problems are only warnings ("..., ignoring"): any output fails.
		run systemd-analyze verify --man=no "$T/units/upkeep.service" "$T/units/upkeep.timer"
		if [ "$RC" = 0 ] && [ ! -s "$OUT" ] && [ ! -s "$ERR" ]; then
			pass "systemd-analyze verify accepts the installed units without a warning"
		else
			fail "systemd-analyze verify accepts the installed units without a warning"; show_run
		fi
		run systemd-analyze verify --man=no "$top_srcdir/contrib/upkeep.timer"
		if [ "$RC" = 0 ] && [ ! -s "$ERR" ]; then
			pass "systemd-analyze verify accepts contrib/upkeep.timer"
		else
			fail "systemd-analyze verify accepts contrib/upkeep.timer"; show_run
		fi
	else
		skip 2 "systemd-analyze missing"
	fi
fi

run "${MK[@]}" uninstall DESTDIR="$D"
rc_is 0 "make uninstall DESTDIR=... succeeds"
ok "the installation directory is still there" test -d "$D$bindir"
left=$(cd "$D" && find . ! -type d)
is "$left" "" "make uninstall leaves no file behind"
done_testing
