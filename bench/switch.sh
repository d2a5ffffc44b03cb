#!/bin/bash
# bench/switch.sh - the guarded install of a large target: its downtime (from
# the end of the pre_install hook to the start of post_install), the same for
# a rollback, and the whole install step by step, beside the manual procedure
# an admin would otherwise run (tar backup, git checkout, rsync) in the same
# run on the same disk.
#
#   target: FILES files (default 80,000) in 400 directories, BYTES in all
#   (default 1 GiB): 90% of the files small text that compresses like
#   source code, 10% larger incompressible binaries (about half the bytes);
#   release 1.1.0 changes 1% of the files. bench/switch-tree.py writes both
#   releases into a bare repository through `git fast-import`.
#   installs: RUNS x (install 1.1.0, install 1.0.0 --allow-downgrade), each
#   with the default pre-update snapshot; then RUNS installs of 1.1.0 whose
#   health check fails (rolled back).
#   downtime: as upkeep journals it ("downtime: N ms", monotonic clock, from
#   the return of the pre hook to the start of the post hook) and as the
#   hooks see it (bash $EPOCHREALTIME: the last instruction of pre_install to
#   the first of post_install, so process start-up is included).
#   manual: tar | zstd -3 of the live tree, `git checkout` of the tag in a
#   deploy clone, `rsync -a --delete` of it into the live tree (the downtime
#   of the manual way, the application being stopped while files change).
#
# Prints Markdown (median, min, max). Nothing is asserted: it is a
# measurement. Needs about 6 x BYTES free in BENCH_DIR, which is removed at
# the end (KEEP=1 keeps it). REUSE=1 measures again in a BENCH_DIR kept by
# an earlier run (KEEP=1), skipping its set-up: at full size the first
# fetch of the release repository into upkeep's cache alone takes minutes.
#
# Usage: bench/switch.sh [UPKEEP_BINARY]
# Env:   BENCH_DIR [/tmp/upkeep-bench-switch]  FILES [80000]  BYTES [1073741824]
#        RUNS [3]  KEEP [0]  REUSE [0]  PRESERVE [0]
# PRESERVE=N adds N files of 20 KB of random bytes (uploads/) and a
# config.local to the live tree, both declared `preserve:`: copied into
# the new tree inside the downtime window.
NO_COLOR=1; export NO_COLOR
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_upkeep "${1:-}"
FILES=${FILES:-80000}
BYTES=${BYTES:-1073741824}
RUNS=${RUNS:-3}
B=${BENCH_DIR:-/tmp/upkeep-bench-switch}
for c in git python3 jq rsync zstd tar; do
	command -v "$c" > /dev/null || { echo "bench: $c is needed" >&2; exit 1; }
done

log() { bench_log "$@"; }
now() { date +%s%N; }
ms_since() { echo $(( ($(now) - $1) / 1000000 )); }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

REUSE=${REUSE:-0}
if [ "$REUSE" = 1 ]; then
	[ -d "$B/state" ] && [ -d "$B/src.git" ] || { echo "bench: REUSE=1 but $B holds no kept run" >&2; exit 1; }
	rm -rf "$B/t" "$B/deploy"
else
	rm -rf "$B"
fi
mkdir -p "$B/apps" "$B/t"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$B"' EXIT
bench_git_home "$B/home"
git config --global tar.umask 022
git config --global gc.auto 0
LOAD_START=$(loadavg)
START_S=$(date +%s)
W=$B/src.git

# ---------------------------------------------------------------- the tree
# The two releases are written straight into a bare repository by one
# `git fast-import` stream (no working tree, no `git add`: at 80,000 files
# `git add` alone took minutes).
if [ "$REUSE" != 1 ]; then
log "writing $FILES files, $BYTES bytes into a repository (git fast-import)"
git init -q --bare "$W"
t=$(now)
# zlib level 1 and no deltas: this repository is only read once by
# upkeep's fetch (libgit2 builds its own pack from the objects) and by the
# manual procedure's clone.
python3 "$BENCH_SRC/bench/switch-tree.py" "$FILES" "$BYTES" \
	| git -C "$W" -c pack.compression=1 fast-import --quiet --depth=0
log "fast-import of 1.0.0 and 1.1.0: $(ms_since "$t") ms"
git -C "$W" archive v1.0.0 | tar -x -C "$B/apps" --one-top-level=app
fi
PRESERVE=${PRESERVE:-0}
PRESERVE_CFG=
if [ "$PRESERVE" -gt 0 ]; then
	PRESERVE_CFG="preserve: [uploads, config.local]"
	mkdir -p "$B/apps/app/uploads"
	for ((i = 1; i <= PRESERVE; i++)); do
		[ -e "$B/apps/app/uploads/u$i.jpg" ] || head -c 20480 /dev/urandom > "$B/apps/app/uploads/u$i.jpg"
	done
	echo "secret: bench" > "$B/apps/app/config.local"
fi
cat > "$B/pre.sh" <<EOF
#!/bin/bash
[ "\$UPKEEP_PHASE" = "\${UPKEEP_PHASE#rollback:}" ] || echo "\$EPOCHREALTIME" > "$B/t/rollback-pre-end"
[ "\$UPKEEP_PHASE" != "\${UPKEEP_PHASE#rollback:}" ] || echo "\$EPOCHREALTIME" > "$B/t/pre-end"
EOF
cat > "$B/post.sh" <<EOF
#!/bin/bash
t=\$EPOCHREALTIME
[ "\$UPKEEP_PHASE" = "\${UPKEEP_PHASE#rollback:}" ] || { echo "\$t" > "$B/t/rollback-post-start"; exit 0; }
echo "\$t" > "$B/t/post-start"
EOF
cat > "$B/health.sh" <<EOF
#!/bin/sh
[ -e "$B/t/fail-health" ] && [ "\$UPKEEP_TO" = 1.1.0 ] && exit 1
exit 0
EOF
chmod 755 "$B/pre.sh" "$B/post.sh" "$B/health.sh"
CFG=$B/upkeep.yaml
cat > "$CFG" <<EOF
state_dir: $B/state
cache_dir: $B/cache
targets:
  app:
    source: { git: "$W" }
    path: $B/apps/app
    hooks: { pre_install: "$B/pre.sh", post_install: "$B/post.sh" }
    health: { command: "$B/health.sh", retries: 0, timeout: 30s }
    limits: { fetch_size: 16G, fetch_time: 2h }
    $PRESERVE_CFG
EOF
if [ "$REUSE" = 1 ]; then
	installed=$({ "$UPKEEP" --config "$CFG" --batch check --json || true; } | jq -r '.. | .installed? // empty' | head -n 1)
	[ "$installed" = 1.0.0 ] || { echo "bench: REUSE=1 wants app at 1.0.0, it is at '$installed'" >&2; exit 1; }
else
	log "adopting 1.0.0 (upkeep's first fetch of the repository)"
	t=$(now)
	"$UPKEEP" --config "$CFG" --batch adopt app 1.0.0 > /dev/null
	log "adopt: $(ms_since "$t") ms"
fi

# hook_ms FILE_END FILE_START : the hooks' view of the downtime, in ms
hook_ms() { python3 -c "import sys; print('%.1f' % ((float(open(sys.argv[2]).read()) - float(open(sys.argv[1]).read())) * 1000))" "$1" "$2"; }

: > "$B/t/downtime" ; : > "$B/t/downtime-hooks" ; : > "$B/t/steps" ; : > "$B/t/total"
: > "$B/t/rb-downtime" ; : > "$B/t/rb-downtime-hooks"
install() { # install VERSION [ARGS...] : one timed install, its log kept
	local v=$1 t; shift
	rm -f "$B/t/pre-end" "$B/t/post-start"
	t=$(now)
	"$UPKEEP" --config "$CFG" --batch install app "$v" "$@" --json > "$B/t/out.json" || true
	echo "$(ms_since "$t")" > "$B/t/last-total"
}

for ((r = 1; r <= RUNS; r++)); do
	for step in "1.1.0" "1.0.0 --allow-downgrade"; do
		# shellcheck disable=SC2086
		install $step
		outcome=$(jq -r .outcome "$B/t/out.json")
		log "install $step: $outcome in $(cat "$B/t/last-total") ms"
		[ "$outcome" = installed ] || { jq . "$B/t/out.json" >&2; exit 1; }
		cat "$B/t/last-total" >> "$B/t/total"
		jq -r '.log[]' "$B/t/out.json" | sed -n 's/^downtime: \([0-9.]*\) ms.*/\1/p' >> "$B/t/downtime"
		hook_ms "$B/t/pre-end" "$B/t/post-start" >> "$B/t/downtime-hooks"
		jq -r '.log[]' "$B/t/out.json" | sed -n 's/^timing: //p' | tr ',' '\n' >> "$B/t/steps"
	done
done
touch "$B/t/fail-health"
for ((r = 1; r <= RUNS; r++)); do
	rm -f "$B/t/rollback-pre-end" "$B/t/rollback-post-start"
	install 1.1.0
	outcome=$(jq -r .outcome "$B/t/out.json")
	log "install 1.1.0 with a failing health check: $outcome in $(cat "$B/t/last-total") ms"
	[ "$outcome" = "rolled back" ] || { jq . "$B/t/out.json" >&2; exit 1; }
	jq -r '.log[]' "$B/t/out.json" | sed -n 's/^rollback: downtime: \([0-9.]*\) ms.*/\1/p' >> "$B/t/rb-downtime"
	hook_ms "$B/t/rollback-pre-end" "$B/t/rollback-post-start" >> "$B/t/rb-downtime-hooks"
done
rm -f "$B/t/fail-health"

# ---------------------------------------------------------------- by hand
log "the manual procedure"
git clone -q "$W" "$B/deploy"
git -C "$B/deploy" checkout -q v1.0.0
: > "$B/t/m-tar"; : > "$B/t/m-checkout"; : > "$B/t/m-rsync"; : > "$B/t/m-total"
for ((r = 1; r <= RUNS; r++)); do
	for v in v1.1.0 v1.0.0; do
		t0=$(now)
		tar -C "$B/apps" -cf - app | zstd -q -3 -T0 > "$B/backup.tar.zst"
		echo "$(ms_since "$t0")" >> "$B/t/m-tar"
		t=$(now); git -C "$B/deploy" checkout -q "$v"; echo "$(ms_since "$t")" >> "$B/t/m-checkout"
		t=$(now); rsync -a --delete --exclude .git --exclude /uploads --exclude /config.local "$B/deploy/" "$B/apps/app/"
		echo "$(ms_since "$t")" >> "$B/t/m-rsync"
		echo "$(ms_since "$t0")" >> "$B/t/m-total"
		stat -c %s "$B/backup.tar.zst" > "$B/t/m-size"
		rm -f "$B/backup.tar.zst"
	done
done

# ---------------------------------------------------------------- report
real_files=$(find "$B/apps/app" -type f | wc -l)
real_bytes=$(du -sb "$B/apps/app" | cut -f1)
row() { read -r m lo hi < <(bench_stats < "$2"); printf '| %s | %s | %s | %s |\n' "$1" "$m" "$lo" "$hi"; }
echo
echo "Target: $real_files files, $real_bytes bytes (tar | zstd -3: $(cat "$B/t/m-size") bytes), $PRESERVE of them preserved; $RUNS runs each"
echo "upkeep $("$UPKEEP" --version | head -n 1) from $(git -C "$BENCH_SRC" describe --always --dirty 2>/dev/null || echo '?'); $(nproc) cores; $(uname -sr); $(df -T "$B" | awk 'NR == 2 { print $2 " on " $1 }')"
echo "Load average (1, 5, 15 min): $LOAD_START at the start, $(loadavg) at the end; run $(date -u '+%Y-%m-%d %H:%M UTC') ($(( $(date +%s) - START_S )) s)"
echo
echo "| downtime (ms) | median | min | max |"
echo "|---|---|---|---|"
row "install, as upkeep journals it" "$B/t/downtime"
row "install, as the hooks see it" "$B/t/downtime-hooks"
row "rollback, as upkeep journals it" "$B/t/rb-downtime"
row "rollback, as the hooks see it" "$B/t/rb-downtime-hooks"
echo
echo "| whole install, per step (ms) | median | min | max |"
echo "|---|---|---|---|"
for s in $(sed 's/^ *//' "$B/t/steps" | awk '{ print $1 }' | awk '!seen[$0]++'); do
	sed 's/^ *//' "$B/t/steps" | awk -v s="$s" '$1 == s { print $2 }' > "$B/t/one"
	row "$s" "$B/t/one"
done
row "**total** (process start to exit)" "$B/t/total"
echo
echo "| manual procedure (ms) | median | min | max |"
echo "|---|---|---|---|"
row "tar \\| zstd -3 backup" "$B/t/m-tar"
row "git checkout of the tag" "$B/t/m-checkout"
row "rsync -a --delete (the downtime)" "$B/t/m-rsync"
row "**total**" "$B/t/m-total"
