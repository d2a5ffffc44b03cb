#!/bin/bash
# bench/trust.sh - what signature verification costs, and SHA-256 speed.
#
#   bench/trust.sh BUILD_DIR [RUNS]
#
# 1. One SSH-signed (Ed25519) tag, checked by upkeep once (it must say
#    "signed"), then its raw tag object verified in process by
#    tagverify_object() RUNS x 100 times (the allowed_signers file read and
#    parsed each time, the armor, GnuTLS Ed25519); `ssh-keygen -Y verify` on
#    the same payload is timed for reference (a whole process).
# 2. SHA-256 of one 256 MiB file: upkeep's hash_sha256() (GnuTLS, what the
#    archive store uses), against `sha256sum` on the same file in the same run.
set -euo pipefail
B=$(cd "${1:?usage: bench/trust.sh BUILD_DIR [RUNS]}" && pwd)
RUNS=${2:-30}
SRC=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
export HOME=$W/home GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME"
git config --global user.name Bench && git config --global user.email bench@upkeep.invalid
git config --global init.defaultBranch main

ms() { echo $(( $(date +%s%N) / 1000000 )); }

ssh-keygen -q -t ed25519 -N '' -f "$W/key"
echo "bench@upkeep.invalid $(cat "$W/key.pub")" > "$W/signers"
git init -q "$W/w" && echo a > "$W/w/a" && git -C "$W/w" add a && git -C "$W/w" commit -qm a
git -C "$W/w" -c gpg.format=ssh -c user.signingkey="$W/key" tag -s -m "Release 1.0.0" v1.0.0
git clone -q --bare "$W/w" "$W/srv.git"
cat > "$W/upkeep.yaml" <<EOF
state_dir: $W/state
cache_dir: $W/cache
targets:
  app:
    source: { git: "file://$W/srv.git", scheme: semver }
    path: $W/app
    verify: { signatures: if-signed, allowed_signers: $W/signers }
EOF
out=$("$B/upkeep" --config "$W/upkeep.yaml" --batch check --json || true)
case $out in *'"verdict":"signed"'*) ;; *) echo "the tag does not verify"; exit 1 ;; esac

git -C "$W/w" cat-file tag v1.0.0 > "$W/raw"
sed '/^-----BEGIN SSH SIGNATURE-----$/,$d' "$W/raw" > "$W/payload"
sed -n '/^-----BEGIN SSH SIGNATURE-----$/,$p' "$W/raw" > "$W/payload.sig"
cat > "$W/verify.c" <<'CEOF'
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "conf.h"
#include "tagverify.h"
#include "util.h"
int main(int argc, char **argv)
{
	(void)argc;
	FILE *f = fopen(argv[1], "rb");
	static char raw[65536];
	size_t n = fread(raw, 1, sizeof raw, f);
	fclose(f);
	int runs = atoi(argv[3]), good = 0;
	struct target_cfg t = { .name = (char *)"app" };
	t.verify.signatures = VERIFY_IF_SIGNED;
	t.verify.allowed_signers = argv[2];
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < runs; i++) {
		struct tagverify *v = tagverify_new(&t);
		struct tag_trust tr;
		tagverify_object(v, "v1.0.0", raw, n, &tr);
		good += tr.verdict == VERDICT_SIGNED;
		tag_trust_clear(&tr);
		tagverify_free(&v);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	printf("%.3f ms per tag (%d of %d signed)\n", ms / runs, good, runs);
	return good == runs ? 0 : 1;
}
CEOF
# shellcheck disable=SC2046
cc -O2 -I"$B" -I"$SRC/src" "$W/verify.c" "$B/libupkeep.a" \
	$(pkg-config --libs libgit2 gnutls yaml-0.1 sqlite3 libzstd json-c libarchive libcurl) \
	-lpthread -o "$W/verify"
echo "verify one SSH-signed tag in process: $("$W/verify" "$W/raw" "$W/signers" $((RUNS * 100)))"
t0=$(ms)
for _ in $(seq "$RUNS"); do
	ssh-keygen -Y verify -f "$W/signers" -I bench@upkeep.invalid -n git -s "$W/payload.sig" \
		< "$W/payload" > /dev/null 2>&1
done
t1=$(ms)
echo "ssh-keygen -Y verify, whole process: $(awk -v t="$((t1 - t0))" -v n="$RUNS" 'BEGIN { printf "%.2f", t / n }') ms"

# ---- SHA-256
cat > "$W/sha.c" <<'CEOF'
#include "config.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "hash.h"
int main(int argc, char **argv)
{
	(void)argc;
	FILE *f = fopen(argv[1], "rb");
	size_t cap = (size_t)256 << 20, n;
	unsigned char *buf = malloc(cap);
	n = fread(buf, 1, cap, f);
	fclose(f);
	uint8_t h[HASH_LEN];
	char hex[HASH_HEX_LEN + 1];
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	hash_sha256(buf, n, h);
	clock_gettime(CLOCK_MONOTONIC, &b);
	hash_to_hex(h, hex);
	double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("%s %.0f MB/s\n", hex, (double)n / 1e6 / s);
	return 0;
}
CEOF
# shellcheck disable=SC2046
cc -O2 -I"$B" -I"$SRC/src" "$W/sha.c" "$SRC/src/hash.c" $(pkg-config --cflags --libs gnutls) -o "$W/sha"
head -c $((256 << 20)) /dev/urandom > "$W/big"
cat "$W/big" > /dev/null
out=$("$W/sha" "$W/big")
t0=$(ms); sum=$(sha256sum "$W/big" | cut -d' ' -f1); t1=$(ms)
[ "${out%% *}" = "$sum" ] || { echo "SHA-256 differs from sha256sum"; exit 1; }
echo "SHA-256, upkeep hash_sha256 (GnuTLS, in memory): ${out#* }"
echo "SHA-256, sha256sum (the same file, cached):      $(awk -v ms="$((t1 - t0))" 'BEGIN { printf "%.0f", 268.435456 / (ms / 1000) }') MB/s"
