#!/bin/bash
# bench/switch.sh - the guarded install of a large target: its downtime (from
# the end of the pre_install hook to the start of post_install), the same for
# a rollback, and the whole install step by step, beside the manual procedure
# an admin would otherwise run (tar backup, git checkout, rsync) in the same
# run on the same disk.
#
#   target: FILES files (default 80,000) in 400 directories, BYTES in all
#   (default 1 GiB), text that compresses like source code and assets
#   (base64 of random bytes); release 1.1.0 changes 1% of the files.
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
# the end (KEEP=1 keeps it).
#
# Usage: bench/switch.sh [UPKEEP_BINARY]
# Env:   BENCH_DIR [/tmp/upkeep-bench-switch]  FILES [80000]  BYTES [1073741824]
#        RUNS [3]  KEEP [0]
set -euo pipefail
export LANG=C.UTF-8 LC_ALL=C.UTF-8 NO_COLOR=1

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
UPKEEP=${1:-${UPKEEP:-}}
if [ -z "$UPKEEP" ]; then
	if [ -x ./upkeep ]; then UPKEEP=$PWD/upkeep; else UPKEEP=$SRC/build/upkeep; fi
fi
[ -x "$UPKEEP" ] || { echo "bench: no upkeep binary at $UPKEEP (give its path)" >&2; exit 1; }
UPKEEP=$(cd "$(dirname "$UPKEEP")" && pwd)/$(basename "$UPKEEP")
FILES=${FILES:-80000}
BYTES=${BYTES:-1073741824}
RUNS=${RUNS:-3}
B=${BENCH_DIR:-/tmp/upkeep-bench-switch}
for c in git python3 jq rsync zstd tar; do
	command -v "$c" > /dev/null || { echo "bench: $c is needed" >&2; exit 1; }
done

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
now() { date +%s%N; }
ms_since() { echo $(( ($(now) - $1) / 1000000 )); }
# stats: "median min max" of the numbers on stdin
stats() { sort -g | awk '{ v[NR] = $1 } END { if (!NR) { print "- - -"; exit }
	m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
	printf "%.1f %.1f %.1f\n", m, v[1], v[NR] }'; }

rm -rf "$B"
mkdir -p "$B/apps" "$B/home" "$B/t"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$B"' EXIT
export HOME=$B/home GIT_CONFIG_NOSYSTEM=1
git config --global user.name bench
git config --global user.email bench@upkeep.invalid
git config --global tar.umask 022
git config --global gc.auto 0

# ---------------------------------------------------------------- the tree
log "writing $FILES files, $BYTES bytes"
W=$B/work
mkdir -p "$W"
python3 - "$W" "$FILES" "$BYTES" <<'EOF'
import base64, os, random, sys
root, files, total = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(42)
pool = base64.b64encode(os.urandom(48 << 20))
# sizes: many small files and a few large ones, scaled to the total
raw = [rnd.lognormvariate(8.5, 1.3) for _ in range(files)]
scale = total / sum(raw)
for i, r in enumerate(raw):
    d = os.path.join(root, "d%03d" % (i % 400))
    if i < 400:
        os.makedirs(d, exist_ok=True)
    size = max(1, int(r * scale))
    off = rnd.randrange(0, len(pool) - size) if size < len(pool) else 0
    with open(os.path.join(d, "f%05d.txt" % i), "wb") as f:
        f.write(pool[off:off + size])
EOF
git -C "$W" init -q
t=$(now); git -C "$W" add -A; git -C "$W" commit -q -m "1.0.0"; git -C "$W" tag v1.0.0
log "git add + commit of 1.0.0: $(ms_since "$t") ms"
python3 - "$W" <<'EOF'
import os, sys
root = sys.argv[1]
for i, (d, _, names) in enumerate(sorted(os.walk(root))):
    if "/.git" in d or d.endswith(".git"):
        continue
    for n in sorted(names)[:2]:
        with open(os.path.join(d, n), "ab") as f:
            f.write(b"\nchanged in 1.1.0\n")
EOF
git -C "$W" commit -q -am "1.1.0"; git -C "$W" tag v1.1.0

git -C "$W" archive v1.0.0 | tar -x -C "$B/apps" --one-top-level=app
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
EOF
"$UPKEEP" --config "$CFG" --batch adopt app 1.0.0 > /dev/null

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
		t=$(now); rsync -a --delete --exclude .git "$B/deploy/" "$B/apps/app/"
		echo "$(ms_since "$t")" >> "$B/t/m-rsync"
		echo "$(ms_since "$t0")" >> "$B/t/m-total"
		rm -f "$B/backup.tar.zst"
	done
done

# ---------------------------------------------------------------- report
real_files=$(find "$B/apps/app" -type f | wc -l)
real_bytes=$(du -sb "$B/apps/app" | cut -f1)
row() { read -r m lo hi < <(stats < "$2"); printf '| %s | %s | %s | %s |\n' "$1" "$m" "$lo" "$hi"; }
echo
echo "Target: $real_files files, $real_bytes bytes; $RUNS runs each; $(nproc) cores; $(df -h "$B" | awk 'NR == 2 { print $1 }')"
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
