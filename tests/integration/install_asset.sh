#!/bin/bash
# install_asset.sh - `upkeep --batch install` of targets whose payload is a
# release asset: downloaded over HTTPS from lighttpd with a self-signed
# certificate (trusted through asset.ca_file, or pinned), verified against
# the SHA-256 in the tag (a SHA256SUMS file of its tree, or its message),
# extracted from tar.gz, tar.zst, tar.xz and zip. And what is refused: a
# wrong checksum, an untrusted or wrongly pinned server, a stalling server,
# a body ten times the size limit, a redirect that would carry credentials
# to another host, archives with "..", an absolute symlink, a hard link out.
# A misbehaving plain-HTTP server (tests/asset_server.py) cuts, stalls and
# floods; a cut download is resumed.
. "$top_srcdir/tests/lib.sh"
https_require
command -v python3 > /dev/null 2>&1 || skip_all "python3 missing"
command -v zstd > /dev/null 2>&1 || skip_all "zstd missing (apt-get install zstd)"
umask 022
unset SSL_CERT_FILE SSL_CERT_DIR
# Under a sanitizer build, a report must not pass for the exit status 1 of
# an install that fails on purpose below.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86"

treehash() {
	(cd "$1" && { find . -mindepth 1 -printf '%y %m %p -> %l\n' | LC_ALL=C sort
		find . -type f -exec sha256sum {} + | LC_ALL=C sort; }) | sha256sum | cut -d' ' -f1
}
re_quote() { printf '%s' "$1" | sed 's/[][\.*^$()+?{}|/]/\\&/g'; }

# ---------------------------------------------------------------- servers
CERTS=$T/certs
tls_cert localhost "$CERTS"
tls_cert other.invalid "$CERTS"
pin_of() {
	printf 'sha256//%s' "$(openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform der |
		openssl dgst -sha256 -binary | base64)"
}
PIN=$(pin_of "$CERTS/localhost.crt")
OTHER_PIN=$(pin_of "$CERTS/other.invalid.crt")
mkdir -p "$T/srv" "$T/dist" "$T/py"
https_start "$T/srv" "$CERTS/localhost.crt" "$CERTS/localhost.key"
mkdir -p "$HTTPS_WWW/dl"
DL=https://localhost:$HTTPS_PORT/dl

python3 "$top_srcdir/tests/asset_server.py" "$T/py" "$T/py.port" "$T/py.log" 2> "$T/py.err" &
track_pid $!
wait_until 120 test -s "$T/py.port" || { diag "$(cat "$T/py.err")"; bail "the python test server did not start"; }
PY=http://127.0.0.1:$(cat "$T/py.port")

# ---------------------------------------------------------------- releases
W=$T/work/app
git_work "$W"

payload() { # payload VERSION : $T/payload/app-VERSION
	local d=$T/payload/app-$1
	mkdir -p "$d/bin" "$d/lib/deep/er" "$d/empty"
	printf 'app %s\n' "$1" > "$d/index.html"
	printf '#!/bin/sh\necho %s\n' "$1" > "$d/bin/run"
	chmod 755 "$d/bin/run"
	printf 'lib %s\n' "$1" > "$d/lib/deep/er/x.txt"
	ln -s lib/deep "$d/current"
}

pack() { # pack VERSION FORMAT : $T/dist/app-VERSION.pkg (the format is told by content)
	local v=$1 out=$T/dist/app-$1.pkg
	case $2 in
	tgz) tar -C "$T/payload" -czf "$out" "app-$v" ;;
	zst) tar -C "$T/payload" --zstd -cf "$out" "app-$v" ;;
	txz) tar -C "$T/payload" -cJf "$out" "app-$v" ;;
	zip) python3 - "$T/payload" "app-$v" "$out" <<'EOF' ;;
import os, stat, sys, zipfile
root, top, out = sys.argv[1:4]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for dp, dns, fns in os.walk(os.path.join(root, top)):
        for n in sorted(dns + fns):
            p = os.path.join(dp, n)
            arc = os.path.relpath(p, root)
            if os.path.islink(p):
                zi = zipfile.ZipInfo(arc)
                zi.create_system = 3
                zi.external_attr = (stat.S_IFLNK | 0o777) << 16
                z.writestr(zi, os.readlink(p))
            else:
                z.write(p, arc)
EOF
	*) python3 - "$out" "$2" "app-$v" <<'EOF' ;;
import io, sys, tarfile
out, kind, top = sys.argv[1:4]
with tarfile.open(out, "w:gz") as t:
    def add(name, data=b"x\n", type=tarfile.REGTYPE, link=""):
        ti = tarfile.TarInfo(name)
        ti.type, ti.linkname, ti.mode = type, link, 0o644
        ti.size = len(data) if type == tarfile.REGTYPE else 0
        t.addfile(ti, io.BytesIO(data) if type == tarfile.REGTYPE else None)
    add(top + "/index.html")
    if kind == "dotdot":
        add(top + "/../x")
    elif kind == "abslink":
        add(top + "/etc", type=tarfile.SYMTYPE, link="/etc")
    elif kind == "hardlink":
        add(top + "/passwd", type=tarfile.LNKTYPE, link="/etc/passwd")
EOF
	esac || bail "cannot pack $v as $2"
}

release() { # release VERSION FORMAT [HASH_TO_LIST]
	local v=$1 sum
	[ "${2:0:4}" = evil ] || payload "$v"
	pack "$v" "${2#evil-}"
	sum=${3:-$(sha256sum < "$T/dist/app-$v.pkg" | cut -d' ' -f1)}
	cp "$T/dist/app-$v.pkg" "$HTTPS_WWW/dl/"
	cp "$T/dist/app-$v.pkg" "$T/py/"
	printf '%s  app-%s.pkg\n%s  unrelated.tar.gz\n' "$sum" "$v" "$(printf '%064d' 0)" > "$W/SHA256SUMS"
	git -C "$W" add -A && git -C "$W" commit -q -m "Release $v" || bail "commit $v"
	printf 'Release %s\n\nChecksums:\n%s  app-%s.pkg\n' "$v" "$sum" "$v" > "$T/.tagmsg"
	git -C "$W" tag -a -F "$T/.tagmsg" "v$v" || bail "tag $v"
}
WRONG=$(printf 'deadbeef%056d' 0)
release 1.0.0 tgz
release 1.1.0 zst "$WRONG"
release 1.2.0 zip
release 1.3.0 txz
release 1.4.0 tgz
release 2.0.0 evil-dotdot
release 2.1.0 evil-abslink
release 2.2.0 evil-hardlink
git_bare "$W" "$T/srv/app.git"
URL=file://$T/srv/app.git
SUM_1_1=$(sha256sum < "$T/dist/app-1.1.0.pkg" | cut -d' ' -f1)
SUM_1_2=$(sha256sum < "$T/dist/app-1.2.0.pkg" | cut -d' ' -f1)
SUM_1_3=$(sha256sum < "$T/dist/app-1.3.0.pkg" | cut -d' ' -f1)

# ---------------------------------------------------------------- configuration
A=$T/apps
mkdir -p "$A"
CFG=$T/upkeep.yaml
config_new "$CFG"
target() { # target NAME ASSET_YAML [LIMITS_YAML]
	config_target "$CFG" "$1" "$URL" "$A/$1" stable semver "${3:-}"
	# the asset goes inside source:
	python3 - "$CFG" "$1" "$2" <<'EOF'
import sys
cfg, name, asset = sys.argv[1:4]
lines = open(cfg).read().split("\n")
out, in_target = [], False
for l in lines:
    if l == "  %s:" % name:
        in_target = True
    elif l.startswith("  ") and not l.startswith("   "):
        in_target = False
    if in_target and l.startswith("    source: { git:"):
        l = l[:-2] + ", asset: { %s } }" % asset
    out.append(l)
open(cfg, "w").write("\n".join(out))
EOF
}
CA="ca_file: $CERTS/localhost.crt"
target app "url: \"$DL/app-{version}.pkg\", checksums: SHA256SUMS, $CA, strip_components: 1"
target msg "url: \"$DL/app-{version}.pkg\", $CA, strip_components: 1"
target pinned "url: \"$DL/app-{version}.pkg\", pin: \"$PIN\", strip_components: 1"
target untrusted "url: \"$DL/app-{version}.pkg\", strip_components: 1"
target wrongpin "url: \"$DL/app-{version}.pkg\", pin: \"$OTHER_PIN\", $CA, strip_components: 1"
target stall "url: \"$PY/stall/app-{version}.pkg\", strip_components: 1" \
	"limits: { timeout: 2s, fetch_time: 20s }"
target huge "url: \"$PY/huge/1024000/app-{version}.pkg\", strip_components: 1" \
	"limits: { fetch_size: 100k }"
target hugecl "url: \"$PY/huge-cl/1024000/app-{version}.pkg\", strip_components: 1" \
	"limits: { fetch_size: 100k }"
target slow "url: \"$PY/stall/app-{version}.pkg\", strip_components: 1" \
	"limits: { timeout: 30s, fetch_time: 1s }"
target loop "url: \"$PY/loop/app-{version}.pkg\", strip_components: 1"
target cut "url: \"$PY/cut/app-{version}.pkg\", strip_components: 1"
target cred "url: \"http://user:secret@127.0.0.1:${PY##*:}/redir/app-{version}.pkg\", strip_components: 1"
target redir "url: \"$PY/redir/app-{version}.pkg\", strip_components: 1"
target adopted "url: \"$DL/app-{version}.pkg\", checksums: SHA256SUMS, $CA, strip_components: 1" \
	"preserve: [data/]"

up --config "$CFG" --check-config
rc_is 0 "--check-config accepts the asset targets" || diag "$(cat "$CFG")"

no_staging() { ! compgen -G "$A/.upkeep-stage-*" > /dev/null; }
installed() { up --config "$CFG" --batch check "$1" --json; jq_target "$1" .installed; }
install() { up --config "$CFG" --batch install "$@" --json; }
err_of() { jq_target "$1" .error; }

# ---------------------------------------------------------------- a good install (tar.gz)
install app 1.0.0
rc_is 0 "app 1.0.0 from its .tar.gz asset: exit 0"
is "$(jq_target app .outcome)" installed "app 1.0.0: installed"
is "$(treehash "$A/app")" "$(treehash "$T/payload/app-1.0.0")" \
	"app 1.0.0: the tree is the asset's (strip_components 1), not the git tree"
ok "app 1.0.0: no git tree file (SHA256SUMS) in the target" test ! -e "$A/app/SHA256SUMS"
like "$(jq_target app '.log[]')" "SHA-256 [0-9a-f]{64} verified \\(SHA256SUMS in the tree of tag v1\\.0\\.0\\)" \
	"app 1.0.0: the log says where the checksum came from"
like "$(cat "$HTTPS_ACCESS_LOG")" '"GET /dl/app-1\.0\.0\.pkg HTTP/[0-9.]+" 200' \
	"the https server served the asset"
events=$(python3 - "$T/state/state.db" "$(jq_target app .job)" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for (t,) in db.execute("SELECT text FROM job_events WHERE job_id = ? AND level = 'progress'", (int(sys.argv[2]),)):
    print(t)
EOF
)
size=$(stat -c %s "$T/dist/app-1.0.0.pkg")
like "$events" "^download: $size of $size bytes \\(100%\\), [0-9]+ KiB/s$" \
	"app 1.0.0: the job's events hold the download progress (bytes, rate)"
is "$(installed app)" 1.0.0 "app: 1.0.0 recorded as installed"

# ---------------------------------------------------------------- wrong checksum
before=$(treehash "$A/app")
install app 1.1.0
rc_is 1 "app 1.1.0 with a wrong SHA256SUMS entry: exit 1"
is "$(jq_target app .failed_step)" download "wrong checksum: refused at the download step"
like "$(err_of app)" "^app: asset of v1\\.1\\.0: $(re_quote "$DL/app-1.1.0.pkg"): refused: SHA-256 mismatch: expected $WRONG \\(from SHA256SUMS in the tree of tag v1\\.1\\.0\\), got $SUM_1_1\$" \
	"wrong checksum: the message names the URL, the expected and the actual hash"
is "$(treehash "$A/app")" "$before" "wrong checksum: the target is untouched"
ok "wrong checksum: nothing staged" no_staging
ok "wrong checksum: the download is not kept" test -z "$(ls "$T/cache/assets/app" | grep -v "^$(sha256sum < "$T/dist/app-1.0.0.pkg" | cut -d' ' -f1)")"
is "$(installed app)" 1.0.0 "wrong checksum: 1.0.0 still recorded"

# ---------------------------------------------------------------- zip, tar.xz; the tag message
install app 1.2.0
rc_is 0 "app 1.2.0 from a zip: exit 0"
is "$(treehash "$A/app")" "$(treehash "$T/payload/app-1.2.0")" "app 1.2.0 (zip): the asset's tree, symlink included"
install app 1.3.0
rc_is 0 "app 1.3.0 from a tar.xz: exit 0"
is "$(treehash "$A/app")" "$(treehash "$T/payload/app-1.3.0")" "app 1.3.0 (tar.xz): the asset's tree"
is "$(ls "$T/cache/assets/app" | tr '\n' ' ')" "$(sha256sum < "$T/dist/app-1.3.0.pkg" | cut -d' ' -f1) " \
	"the cache keeps the current asset only, named by its SHA-256"

install msg 1.1.0
rc_is 1 "msg 1.1.0, checksum from the tag message, wrong: exit 1"
like "$(err_of msg)" "SHA-256 mismatch: expected $WRONG \\(from the message of tag v1\\.1\\.0\\), got $SUM_1_1" \
	"tag message: the mismatch names the message as the origin"
ok "tag message, wrong: no target created" test ! -e "$A/msg"
install msg 1.0.0
rc_is 0 "msg 1.0.0, checksum from the tag message (tar.gz): exit 0"
install msg 1.2.0
rc_is 0 "msg 1.2.0 (zip, checksum from the tag message): exit 0"
is "$(treehash "$A/msg")" "$(treehash "$T/payload/app-1.2.0")" "msg 1.2.0: the asset's tree"

# ---------------------------------------------------------------- TLS: pinned, untrusted, wrong pin
install pinned 1.0.0
rc_is 0 "pinned key, certificate in no CA file: accepted"
is "$(treehash "$A/pinned")" "$(treehash "$T/payload/app-1.0.0")" "pinned: the asset's tree"

install untrusted 1.0.0
rc_is 1 "neither pinned nor in a CA file: exit 1"
like "$(err_of untrusted)" "$(re_quote "$DL/app-1.0.0.pkg"): TLS: .*certificate.* \\(trust the server with asset\\.ca_file or asset\\.pin\\)" \
	"untrusted: a clear TLS error naming the URL and what to do"
ok "untrusted: no target created" test ! -e "$A/untrusted"
ok "untrusted: nothing staged" no_staging

install wrongpin 1.0.0
rc_is 1 "a pin of another key: exit 1, even with the CA file"
like "$(err_of wrongpin)" "TLS: .*\\(the server's key is not the pinned one\\)" "wrong pin: says the key is not the pinned one"

# ---------------------------------------------------------------- resume after a 416: re-hashed
mkdir -p "$T/cache/assets/pinned"
head -c "$(stat -c %s "$T/dist/app-1.2.0.pkg")" /dev/zero > "$T/cache/assets/pinned/$SUM_1_2.part"
install pinned 1.2.0
rc_is 0 "a complete but corrupt partial file: the 416 answer is not trusted, the asset is fetched again"
# lighttpd writes its access log in batches: wait for it a little.
wait_until 60 grep -Eq '"GET /dl/app-1\.2\.0\.pkg HTTP/[0-9.]+" 416' "$HTTPS_ACCESS_LOG"
like "$(cat "$HTTPS_ACCESS_LOG")" '"GET /dl/app-1\.2\.0\.pkg HTTP/[0-9.]+" 416' "the server answered the resumption with 416"
like "$(jq_target pinned '.log[]')" 'the resumed download .* does not verify; downloading it again from the start' \
	"416: the log says the resumed file did not verify"
is "$(treehash "$A/pinned")" "$(treehash "$T/payload/app-1.2.0")" "416: the right tree in the end"

# ---------------------------------------------------------------- stall, flood
install stall 1.0.0
rc_is 1 "a server that stalls: exit 1"
like "$(err_of stall)" "$(re_quote "$PY/stall/app-1.0.0.pkg"): download stopped after 10 of the bytes: Operation too slow" \
	"stall: the message names the URL and the stall"
ok "stall: no target created" test ! -e "$A/stall"

install slow 1.0.0
rc_is 1 "a download past limits.fetch_time: exit 1"
like "$(err_of slow)" "download stopped after 10 of the bytes: Operation timed out after [0-9]+ milliseconds" \
	"overall deadline: the message says it timed out"

install huge 1.0.0
rc_is 1 "a body ten times the size limit (no length declared): exit 1"
like "$(err_of huge)" "refused: the body is larger than the size limit of 102400 bytes \\(limits\\.fetch_size\\); stopped with [0-9]+ bytes in the file" \
	"flood: refused at the size limit"
n=$(err_of huge | sed -n 's/.*stopped with \([0-9]*\) bytes.*/\1/p')
ok "flood: at most limit+1 bytes were written ($n)" test "${n:-999999999}" -le 102401
ok "flood: the partial file is removed" test -z "$(ls -A "$T/cache/assets/huge")"
install hugecl 1.0.0
rc_is 1 "a declared length ten times the size limit: exit 1"
like "$(err_of hugecl)" "larger than the size limit of 102400 bytes" "declared flood: refused by its length"

# ---------------------------------------------------------------- a cut download, resumed
install cut 1.0.0
rc_is 1 "a download cut in the middle: exit 1"
part=$(ls "$T/cache/assets/cut/"*.part 2>/dev/null | head -n 1)
half=$(( $(stat -c %s "$T/dist/app-1.0.0.pkg") / 2 ))
is "$(stat -c %s "$part" 2>/dev/null)" "$half" "cut: the partial file holds the half that came"
install cut 1.0.0
rc_is 0 "cut: the next run resumes and installs"
like "$(cat "$T/py.log")" "^/cut/app-1\\.0\\.0\\.pkg range=bytes=$half-\$" "cut: the second request asked for the rest only"
like "$(jq_target cut '.log[]')" 'verified .*' "cut: the whole file verified"
like "$(jq_target cut '.log[]')" 'download resumed' "cut: the log says it was resumed"
is "$(treehash "$A/cut")" "$(treehash "$T/payload/app-1.0.0")" "cut: the asset's tree"

# ---------------------------------------------------------------- redirects
install cred 1.0.0
rc_is 1 "a redirect to another host from a URL with credentials: exit 1"
like "$(err_of cred)" "redirect to http://localhost:[0-9]+/file/app-1\\.0\\.0\\.pkg refused: the URL carries credentials" \
	"credentials: the redirect is refused"
unlike "$(err_of cred)" "secret" "credentials: the password is not shown"
install loop 1.0.0
rc_is 1 "a redirect loop: exit 1"
like "$(err_of loop)" "$(re_quote "$PY/loop/app-1.0.0.pkg"): more than 5 redirects" "redirect loop: stopped after 5"
install redir 1.0.0
rc_is 0 "a redirect to another host without credentials: followed"
like "$(cat "$T/py.log")" '^/file/app-1\.0\.0\.pkg range=-$' "redirect: the new location was fetched"

# ---------------------------------------------------------------- hostile archives
before=$(treehash "$A/app")
for case in "2.0.0|archive entry app-2\\.0\\.0/\\.\\./x refused: name \"\\.\" or \"\\.\\.\"" \
	"2.1.0|archive entry app-2\\.1\\.0/etc refused: absolute symlink target" \
	"2.2.0|hard link app-2\\.2\\.0/passwd: archive entry /etc/passwd refused: absolute path"; do
	v=${case%%|*} re=${case#*|}
	install app "$v"
	rc_is 1 "app $v (hostile archive): exit 1"
	like "$(err_of app)" "$re" "app $v: the message names the entry and the rule"
	is "$(treehash "$A/app")" "$before" "app $v: the target is untouched"
	ok "app $v: nothing staged" no_staging
done
ok "no hostile entry landed outside" test ! -e "$A/x"
is "$(installed app)" 1.3.0 "app: 1.3.0 still recorded"

# ---------------------------------------------------------------- drift against the asset's tree
# app is at 1.3.0 (tar.xz); its extracted tree was listed when it was staged
ok "the listing of the installed asset is kept, named by its SHA-256" \
	test "$(ls "$T/cache/asset-trees/app")" = "$SUM_1_3.tree"
printf 'local edit\n' > "$A/app/index.html"
printf 'new\n' > "$A/app/extra.txt"
rm "$A/app/lib/deep/er/x.txt"
before=$(treehash "$A/app")
install app 1.4.0
rc_is 5 "app: files changed locally since the asset was installed: exit 5"
is "$(jq -r '.drift[]' < "$OUT" | LC_ALL=C sort | tr '\n' ' ')" \
	"extra: extra.txt missing: lib/deep/er/x.txt modified: index.html " \
	"drift: exactly the changed, added and removed files (against the asset's tree, not the git tree)"
like "$(err_of app)" "3 paths changed locally since 1\\.3\\.0 was installed .*--force-drift" \
	"drift: the refusal names the count and --force-drift"
is "$(treehash "$A/app")" "$before" "drift: the target is untouched"
install app 1.4.0 --force-drift
rc_is 0 "app 1.4.0 with --force-drift: exit 0"
is "$(treehash "$A/app")" "$(treehash "$T/payload/app-1.4.0")" "--force-drift: the asset's tree replaced the local changes"
is "$(ls "$T/cache/asset-trees/app")" "$(sha256sum < "$T/dist/app-1.4.0.pkg" | cut -d' ' -f1).tree" \
	"after the install only the installed asset's listing is kept"

# ---------------------------------------------------------------- adopt compares with the asset's tree
cp -a "$T/payload/app-1.0.0" "$A/adopted"
mkdir -p "$A/adopted/data" && printf 'user data\n' > "$A/adopted/data/db"
printf 'changed\n' > "$A/adopted/bin/run"
up --config "$CFG" --batch adopt adopted 1.0.0
rc_is 5 "adopt of an asset target whose tree differs: exit 5"
is "$(cat "$OUT")" "modified: bin/run" "adopt: the one differing file is listed (data/ is preserved)"
printf '#!/bin/sh\necho 1.0.0\n' > "$A/adopted/bin/run"
up --config "$CFG" --batch adopt adopted 1.0.0
rc_is 0 "adopt of an asset target whose tree is the asset's: exit 0"
is "$(installed adopted)" 1.0.0 "adopt: 1.0.0 recorded"
printf 'drifted\n' > "$A/adopted/index.html"
install adopted 1.2.0
rc_is 5 "after adopt, an install checks drift against the adopted asset's tree: exit 5"
is "$(jq -r '.drift[]' < "$OUT")" "modified: index.html" "... listing the file changed since"

# ---------------------------------------------------------------- configuration errors
BAD=$T/bad.yaml
config_new "$BAD"
cat >> "$BAD" <<EOF
  a:
    source: { git: "$URL", asset: { checksums: SUMS } }
    path: $A/a
  b:
    source: { git: "$URL", asset: { url: "https://h/{name}.tgz", pin: abc } }
    path: $A/b
EOF
up --config "$BAD" --check-config
rc_is 2 "asset configuration errors: exit 2"
like "$(cat "$ERR")" 'targets\.a\.source\.asset: missing required key "url"' "an asset without url is an error"
like "$(cat "$ERR")" 'targets\.b\.source\.asset\.url: unknown placeholder \{name\}' "an unknown placeholder is an error"
like "$(cat "$ERR")" 'targets\.b\.source\.asset\.pin: not a pin' "a pin that is no pin is an error"

done_testing
