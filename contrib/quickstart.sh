#!/bin/bash
# contrib/quickstart.sh - from a clone of upkeep on Debian 12 (bookworm):
# install the build dependencies, build in ./build, then
#
#   contrib/quickstart.sh demo   build a demo (a git repository with releases,
#                                an application installed at 1.0.0) and open
#                                the console on it
#   contrib/quickstart.sh test   run the whole test suite (make check)
#   contrib/quickstart.sh deps   only install the build dependencies
#   contrib/quickstart.sh build  only install the dependencies and build
#
# Run it as root, or as a user who may use sudo: only apt-get runs as root.
# When started through sudo, everything but apt-get runs as the invoking user,
# so the build tree is not owned by root.
#
# Environment:
#   BUILD_DIR  [<source>/build]                 where to configure and build
#   DEMO_DIR   [$XDG_CACHE_HOME/upkeep-demo]    where `demo` puts the demo
#   JOBS       [2]                              make -j
#   CONFIGURE_FLAGS []                          extra ./configure arguments
#   AUTOGEN    [missing]   missing: run ./autogen.sh when there is no
#                          ./configure (a fresh clone); always: every time
#   NO_INSTALL [0]         1: never call apt-get (fail if something is missing)
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$SRC/build}
JOBS=${JOBS:-2}
AUTOGEN=${AUTOGEN:-missing}
export LANG=C.UTF-8
unset LC_ALL

# The build dependencies (Debian package names). lighttpd (with
# lighttpd-mod-openssl and openssl for https://), openssh-server (ssh://),
# tmux, lighttpd, openssh-server, util-linux (flock; unshare for the syslog
# test), jq, python3, gnupg and gpgv
# (OpenPGP-signed tags; gpgv is also what upkeep runs) are used by the integration and console
# tests only; debhelper and dpkg-dev by the test that builds the .deb
# (and lintian checks it there, in the plain suite's run only; lintian and
# ansible-core bring some 130 small packages, 11 MB, about 60 s of CPU to
# unpack), ansible-core by the one that
# plays the Ansible playbook on local "hosts" (python3-yaml parses it where
# the play is not run), systemd for `systemd-analyze verify` of the units
# (it works offline: systemd need not be PID 1), zsh by the completion
# test, sqlite3 by the data dump test of restore and the dry-run test of an
# older state database.
PACKAGES=(
	build-essential autoconf automake libtool pkg-config gettext autopoint
	libncurses-dev libgit2-dev libcurl4-gnutls-dev libgnutls28-dev
	libyaml-dev libsqlite3-dev libzstd-dev libjson-c-dev libarchive-dev libcmocka-dev
	git tmux lighttpd lighttpd-mod-openssl openssl openssh-server util-linux jq python3 zstd
	debhelper dpkg-dev lintian python3-yaml ansible-core systemd zsh sqlite3 e2fsprogs
	gnupg gpgv
)

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
[ -t 2 ] || say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'quickstart: %s\n' "$*" >&2; exit 1; }

usage() {
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
	exit "${1:-0}"
}

# as_user CMD... : runs CMD as the user who called sudo, if any.
as_user() {
	if [ "$(id -u)" = 0 ] && [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
		sudo -u "$SUDO_USER" -H env LANG="$LANG" "$@"
	else
		"$@"
	fi
}

# as_root CMD... : runs CMD as root (directly, or through sudo).
as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"
	elif command -v sudo >/dev/null 2>&1; then sudo "$@"
	else die "need root to run: $* (run this script as root, or install sudo)"
	fi
}

missing_packages() {
	local p
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' \
			|| printf '%s\n' "$p"
	done
}

# apt_retry ARGS... : apt-get ARGS as root, up to 3 times (30 s, 60 s apart).
apt_retry() {
	local try
	for try in 1 2 3; do
		as_root env DEBIAN_FRONTEND=noninteractive apt-get \
			-o Acquire::Retries=3 -o DPkg::Lock::Timeout=600 "$@" && return 0
		[ "$try" = 3 ] || { say "apt-get $1 failed; trying again in $((try * 30)) s"; sleep $((try * 30)); }
	done
	return 1
}

install_deps() {
	command -v dpkg-query >/dev/null 2>&1 || die "this script expects Debian (dpkg, apt-get)"
	local missing had_lighttpd=1 had_sshd=1
	missing=$(missing_packages)
	if [ -z "$missing" ]; then
		say "build dependencies: all installed"
		return 0
	fi
	[ "${NO_INSTALL:-0}" = 1 ] && die "missing packages (NO_INSTALL=1):" $missing
	dpkg-query -W -f='${Status}\n' lighttpd 2>/dev/null | grep -q '^install ok installed$' || had_lighttpd=0
	dpkg-query -W -f='${Status}\n' openssh-server 2>/dev/null | grep -q '^install ok installed$' || had_sshd=0
	say "installing:" $missing
	# A fresh machine may still run its first apt job (the dpkg lock is
	# waited for) and mirrors fail now and then (each step is retried).
	apt_retry update -q
	# shellcheck disable=SC2086
	apt_retry install -y -q --no-install-recommends $missing
	if [ "$had_lighttpd" = 0 ]; then
		# The tests start their own lighttpd on 127.0.0.1; the package's
		# system service (port 80) is not wanted: stop what we started.
		say "stopping the lighttpd system service that the package started (the tests run their own)"
		if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
			as_root systemctl disable --now lighttpd >/dev/null 2>&1 || true
		else
			as_root service lighttpd stop >/dev/null 2>&1 || true
		fi
	fi
	if [ "$had_sshd" = 0 ]; then
		# Same for openssh-server: the tests run a private sshd on
		# 127.0.0.1; a system sshd on port 22 that nobody asked for is not
		# left running.
		say "stopping the ssh system service that the package started (the tests run their own)"
		if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
			as_root systemctl disable --now ssh.service >/dev/null 2>&1 || true
			as_root systemctl disable --now ssh.socket >/dev/null 2>&1 || true
		else
			as_root service ssh stop >/dev/null 2>&1 || true
		fi
	fi
}

build() {
	cd "$SRC"
	if [ "$AUTOGEN" = always ] || [ ! -x "$SRC/configure" ]; then
		say "generating the build system (./autogen.sh)"
		as_user ./autogen.sh
	fi
	as_user mkdir -p "$BUILD_DIR"
	cd "$BUILD_DIR"
	if [ ! -f Makefile ] || [ -n "${CONFIGURE_FLAGS:-}" ] || [ "$SRC/configure" -nt config.status ]; then
		say "configuring in $BUILD_DIR"
		# shellcheck disable=SC2086
		as_user "$SRC/configure" -q ${CONFIGURE_FLAGS:-}
	fi
	say "building (make -j$JOBS)"
	as_user make -j"$JOBS"
}

demo() {
	local dir
	dir=${DEMO_DIR:-$(as_user sh -c 'echo "${XDG_CACHE_HOME:-$HOME/.cache}"')/upkeep-demo}
	if [ -e "$dir" ]; then
		say "removing the previous demo in $dir"
		as_user rm -rf "$dir"
	fi
	as_user mkdir -p "$(dirname "$dir")"
	say "creating the demo in $dir"
	as_user "$BUILD_DIR/upkeep" --demo "$dir"
	say "opening the console: $BUILD_DIR/upkeep --config $dir/upkeep.yaml   (q quits)"
	if [ "$(id -u)" = 0 ] && [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
		exec sudo -u "$SUDO_USER" -H env LANG="$LANG" TERM="${TERM:-xterm}" \
			"$BUILD_DIR/upkeep" --config "$dir/upkeep.yaml"
	fi
	exec "$BUILD_DIR/upkeep" --config "$dir/upkeep.yaml"
}

run_tests() {
	cd "$BUILD_DIR"
	say "running the test suite (make -j$JOBS check)"
	if as_user make -j"$JOBS" check; then
		say "all tests passed"
	else
		say "some tests failed; the logs are $BUILD_DIR/test-suite.log and $BUILD_DIR/tests/*/*.log"
		return 1
	fi
}

case ${1:-} in
	demo)  install_deps; build; demo ;;
	test)  install_deps; build; run_tests ;;
	deps)  install_deps ;;
	build) install_deps; build ;;
	-h|--help|help) usage 0 ;;
	*) usage 2 >&2 ;;
esac
