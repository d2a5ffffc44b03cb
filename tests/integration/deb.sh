#!/bin/bash
# deb.sh - debian/ builds a .deb with `dpkg-buildpackage -us -uc -b` (from a
# copy of the source tree, DEB_BUILD_OPTIONS=nocheck: the suite is not run
# twice; noopt: the packaging is under test, and -O0 compiles faster), the
# package holds exactly the expected files, enables the timer
# but never starts the service, and its binary runs. lintian (a CI
# package) reports no error and no warning.
# Skipped under distcheck and in release tarballs (the copy is made from
# `git ls-files`), and in the sanitizer build (the plain build's run
# already builds the package).
. "$top_srcdir/tests/lib.sh"

command -v dpkg-buildpackage >/dev/null 2>&1 || skip_all "dpkg-buildpackage missing (apt-get install dpkg-dev)"
command -v dh >/dev/null 2>&1 || skip_all "debhelper missing (apt-get install debhelper)"
src=$(cd "$top_srcdir" && pwd -P)
top=$(git -c safe.directory="$src" -C "$src" rev-parse --show-toplevel 2>/dev/null) || top=
[ "$top" = "$src" ] || skip_all "not a git checkout (distcheck or a release tarball)"
[ -z "${DEB_RULES_REQUIRES_ROOT:-}" ] || skip_all "inside dpkg-buildpackage (the package being built is this one)"
B=$(dirname "$UPKEEP")
grep -q -- '--enable-sanitizers' "$B/config.status" 2>/dev/null &&
	skip_all "sanitizer build (the plain build's test run builds the package)"
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES GNUMAKEFLAGS

# The tracked and new files of the working tree, as they are now.
W=$T/deb/upkeep-0.1.0
mkdir -p "$W"
(cd "$src" && git -c safe.directory="$src" ls-files -z -c -o --exclude-standard | xargs -0 cp -P --parents -t "$W") ||
	bail "copying the source tree"
# (build directories are ignored by .gitignore, so not copied)
ok "the copy has the debian directory" test -x "$W/debian/rules"

cd "$W" || bail "cd $W"
UPKEEP_TEST_TIMEOUT=1800 run env DEB_BUILD_OPTIONS="nocheck noddebs noopt parallel=2" \
	dpkg-buildpackage -us -uc -b -Pnocheck
rc_is 0 "dpkg-buildpackage -us -uc -b succeeds" || diag "$(tail -n 40 "$OUT")"
cd "$T" || bail "cd $T"
deb=$(ls "$T"/deb/upkeep_*_*.deb 2>/dev/null | head -n 1)
ok "a .deb was built" test -n "$deb" -a -f "$deb"

cat > "$T/expected" <<'EOF'
/lib/systemd/system/upkeep.service
/lib/systemd/system/upkeep.timer
/usr/bin/upkeep
/usr/share/bash-completion/completions/upkeep
/usr/share/doc/upkeep/NEWS.gz
/usr/share/doc/upkeep/README.gz
/usr/share/doc/upkeep/changelog.gz
/usr/share/doc/upkeep/copyright
/usr/share/doc/upkeep/examples/upkeep.yaml.example
/usr/share/man/man1/upkeep.1.gz
/usr/share/man/man5/upkeep.yaml.5.gz
/usr/share/zsh/vendor-completions/_upkeep
EOF
for lang in $(sed 's/#.*//' "$top_srcdir/po/LINGUAS"); do
	echo "/usr/share/locale/$lang/LC_MESSAGES/upkeep.mo" >> "$T/expected"
done
sort -o "$T/expected" "$T/expected"
dpkg-deb -c "$deb" 2>/dev/null | awk '$1 !~ /^d/ { print $6 }' | sed 's|^\.||' | sort > "$T/files"
if cmp -s "$T/expected" "$T/files"; then
	pass "the package holds exactly the expected files ($(wc -l < "$T/expected"))"
else
	fail "the package holds exactly the expected files"; diag "$(diff "$T/expected" "$T/files")"
fi
like "$(dpkg-deb -f "$deb" Depends 2>/dev/null)" 'libgit2' "Depends: the shared libraries (shlibs)"

mkdir -p "$T/ctl" && dpkg-deb -e "$deb" "$T/ctl"
postinst=$(cat "$T/ctl/postinst" 2>/dev/null)
like "$postinst" 'deb-systemd-helper.* enable .*upkeep\.timer' "postinst enables upkeep.timer"
unlike "$postinst" 'upkeep\.service' "postinst neither enables nor starts upkeep.service (the timer does)"

dpkg-deb -x "$deb" "$T/root"
run "$T/root/usr/bin/upkeep" --version
ver=$(cd "$W" && dpkg-parsechangelog -S Version 2>/dev/null)
is "$(cat "$OUT")" "upkeep $ver" "the packaged binary runs, and debian/changelog has its version ($ver)"
ok "the packaged service runs /usr/bin/upkeep" \
	grep -q '^ExecStart=/usr/bin/upkeep --batch$' "$T/root/lib/systemd/system/upkeep.service"

if ! command -v lintian >/dev/null 2>&1; then
	skip 1 "lintian missing"
elif [ -z "$deb" ]; then
	fail "lintian: no .deb to check"
else
	UPKEEP_TEST_TIMEOUT=900 run lintian --suppress-tags running-with-root-privileges "$deb"
	unlike "$(cat "$OUT" "$ERR")" '^[EW]: ' "lintian reports no error and no warning (as README says)" ||
		show_run
fi
done_testing
