#!/bin/bash
# bench/asset.sh - what a release asset costs upkeep: download over HTTPS,
# SHA-256 verification and extraction of a ~100 MB tar.gz (and tar.zst),
# measured against `curl | sha256sum` and `tar -x` on the same file, from
# the same server, in the same run.
#
#   upkeep:  `upkeep --batch install` of a target with `asset:` into an
#            empty path (no snapshot, no hooks) — the whole job: preflight
#            (git fetch of the tag over file://), download, verify, extract
#            with an fsync per file, swap; then the same with the asset
#            already in the cache (re-hashed, extracted), and a target
#            without asset whose tag tree is one file (the fixed cost).
#   peers:   curl -o FILE; curl | sha256sum; sha256sum FILE; tar -xf FILE;
#            tar -xf FILE then sync (upkeep fsyncs what it writes).
# Prints a Markdown table (median, min, max in ms over RUNS). Nothing is
# asserted: it is a measurement.
#
# Usage: bench/asset.sh [UPKEEP_BINARY]
# Env:   RUNS [3]   BENCH_DIR [/tmp/upkeep-bench-asset]   MB [100]
NO_COLOR=1; export NO_COLOR
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_upkeep "${1:-}"
RUNS=${RUNS:-3}
MB=${MB:-100}
B=${BENCH_DIR:-/tmp/upkeep-bench-asset}
log() { bench_log "$@"; }

rm -rf "$B"; mkdir -p "$B/payload/app" "$B/www"
bench_git_home "$B/home"
trap bench_stop_http EXIT

# ------------------------------------------------------------------ the asset
# 90% incompressible files of 256 KiB, 10% small text files (2,000).
log "building a payload of about $MB MB"
n_big=$(( MB * 9 / 10 * 4 ))
for i in $(seq 1 "$n_big"); do
	mkdir -p "$B/payload/app/data/d$((i % 16))"
	head -c 262144 /dev/urandom > "$B/payload/app/data/d$((i % 16))/blob$i.bin"
done
for i in $(seq 1 2000); do
	mkdir -p "$B/payload/app/src/m$((i % 40))"
	seq "$i" $((i + MB * 20)) > "$B/payload/app/src/m$((i % 40))/f$i.txt"
done
tar -C "$B/payload" -czf "$B/www/app-1.0.0.tar.gz" app
tar -C "$B/payload" --zstd -cf "$B/www/app-2.0.0.tar.zst" app
FILES=$(find "$B/payload/app" -type f | wc -l)
PAYLOAD=$(du -sb "$B/payload/app" | cut -f1)
GZ=$(stat -c %s "$B/www/app-1.0.0.tar.gz")
ZST=$(stat -c %s "$B/www/app-2.0.0.tar.zst")
log "payload: $FILES files, $PAYLOAD bytes; tar.gz $GZ bytes, tar.zst $ZST bytes"

# ------------------------------------------------------------------ https server
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj /CN=localhost -addext subjectAltName=DNS:localhost \
	-keyout "$B/key.pem" -out "$B/cert.pem" < /dev/null > /dev/null 2>&1
lighttpd_conf() {
	cat <<EOF
server.modules = ( "mod_openssl" )
server.document-root = "$B/www"
server.bind = "127.0.0.1"
server.port = $1
server.errorlog = "$B/lighttpd.err"
ssl.engine = "enable"
ssl.pemfile = "$B/cert.pem"
ssl.privkey = "$B/key.pem"
EOF
}
bench_lighttpd lighttpd_conf "$B/lighttpd.conf"
URL=https://localhost:$PORT

# ------------------------------------------------------------------ releases
W=$B/work
git init -q "$W"
for v in 1.0.0 2.0.0; do
	f=$(ls "$B/www" | grep "app-$v")
	printf 'v%s\n' "$v" > "$W/VERSION"
	sha256sum "$B/www/$f" | sed "s|$B/www/||" > "$W/SHA256SUMS"
	git -C "$W" add -A; git -C "$W" commit -q -m "$v"; git -C "$W" tag -a -m "$v" "v$v"
done
git clone -q --bare "$W" "$B/app.git"

CFG=$B/upkeep.yaml
{
	printf 'state_dir: %s/state\ncache_dir: %s/cache\ntargets:\n' "$B" "$B"
	for t in gz zst; do
		ext=tar.gz; [ "$t" = zst ] && ext=tar.zst
		printf '  %s:\n    source: { git: "file://%s/app.git", asset: { url: "%s/app-{version}.%s", checksums: SHA256SUMS, ca_file: "%s/cert.pem", strip_components: 1 } }\n    path: %s/apps/%s\n' \
			"$t" "$B" "$URL" "$ext" "$B" "$B" "$t"
	done
	printf '  tree:\n    source: { git: "file://%s/app.git" }\n    path: %s/apps/tree\n' "$B" "$B"
} > "$CFG"
"$UPKEEP" --config "$CFG" --check-config > /dev/null

# ------------------------------------------------------------------ timing
declare -A RESULTS
ms() { echo $(( $(date +%s%N) / 1000000 )); }
# measure NAME PREP CMD : PREP (untimed) then CMD, RUNS times.
measure() {
	local name=$1 prep=$2 cmd=$3 i t0 all=()
	for i in $(seq 1 "$RUNS"); do
		eval "$prep"
		t0=$(ms); eval "$cmd" > /dev/null; all+=( $(( $(ms) - t0 )) )
	done
	RESULTS[$name]=$(printf '%s\n' "${all[@]}" | sort -n | awk '{ a[NR] = $1 } END {
		m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
		printf "%d %d %d", m, a[1], a[NR] }')
	log "$name: ${RESULTS[$name]} (median min max ms)"
}
reset_target() { # a fresh state and empty target; keep_cache=1 keeps the downloaded asset
	rm -rf "$B/state" "$B/apps"
	[ "${keep_cache:-0}" = 1 ] || rm -rf "$B/cache/assets"
	mkdir -p "$B/apps"; sync
}
export CURL_CA_BUNDLE=$B/cert.pem
for t in gz zst; do
	v=1.0.0; ext=tar.gz; [ "$t" = zst ] && { v=2.0.0; ext=tar.zst; }
	f=$B/www/app-$v.$ext
	measure "upkeep-$t" "keep_cache=0 reset_target" "'$UPKEEP' --config '$CFG' --batch install $t $v"
	measure "upkeep-$t-cached" "keep_cache=1 reset_target" "'$UPKEEP' --config '$CFG' --batch install $t $v"
	measure "curl-$t" "rm -f '$B/dl'" "curl -sf -o '$B/dl' '$URL/app-$v.$ext'"
	measure "curlsha-$t" ":" "curl -sf '$URL/app-$v.$ext' | sha256sum"
	measure "sha-$t" ":" "sha256sum '$f'"
	measure "tar-$t" "rm -rf '$B/x'; mkdir '$B/x'; sync" "tar -xf '$f' -C '$B/x'"
	measure "tarsync-$t" "rm -rf '$B/x'; mkdir '$B/x'; sync" "tar -xf '$f' -C '$B/x'; sync"
done
measure "upkeep-tree" "reset_target" "'$UPKEEP' --config '$CFG' --batch install tree 1.0.0"

row() { # row CASE COMMAND KEY
	set -- "$1" "$2" ${RESULTS[$3]}
	printf '| %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4" "$5"
}
echo
echo "Payload: $FILES files, $PAYLOAD bytes; tar.gz $GZ bytes, tar.zst $ZST bytes; RUNS=$RUNS."
echo
echo '| case | command | median ms | min ms | max ms |'
echo '|---|---|---:|---:|---:|'
row "fixed cost" "upkeep install, tag tree of 2 files, no asset" upkeep-tree
for t in gz zst; do
	row "tar.$t" "upkeep install (whole job): download + verify + extract + swap" "upkeep-$t"
	row "tar.$t" "upkeep install (whole job), asset in the cache: re-hash + extract + swap" "upkeep-$t-cached"
	row "tar.$t" "curl -o FILE (https)" "curl-$t"
	row "tar.$t" "curl \\| sha256sum (https)" "curlsha-$t"
	row "tar.$t" "sha256sum FILE" "sha-$t"
	row "tar.$t" "tar -xf FILE" "tar-$t"
	row "tar.$t" "tar -xf FILE; sync" "tarsync-$t"
done
