#!/bin/bash
# terminal_safety.sh - row 14 of the reliability notes on every batch
# surface: terminal escapes (ESC[2J, OSC 0 and 52, DCS, CSI 6n, C1 CSI as a
# raw byte and as U+009B, U+202E, a bad UTF-8 byte, DEL) in a tag message,
# a tag name (regex scheme), a signer principal (the tagger's e-mail that an
# allowed-signers pattern accepts), file names (drift lists, adopt, backup
# listings, diff), a hook's stderr and an HTTP health body reach no output
# unescaped: text, --json (parsed with jq: the values hold the visible
# escapes, the raw bytes are nowhere) and the log file (UPKEEP_LOG_FILE).
# The console's surfaces are console_misc.sh.
. "$top_srcdir/tests/lib.sh"
command -v python3 > /dev/null 2>&1 || skip_all "python3 missing (the health server)"
command -v ssh-keygen > /dev/null 2>&1 || skip_all "ssh-keygen missing (openssh-client)"
umask 022
export UPKEEP_LOG_FILE=$T/upkeep.log

EVIL=$(printf 'E \033[2J \033]0;pwned\007 \033]52;c;aGk=\007 \033Pq\033\\ \033[6n \233 \302\233 \342\200\256x \377 \177 end')
SHOWN='E \e[2J \e]0;pwned\x07 \e]52;c;aGk=\x07 \ePq\e\ \e[6n \x9b \u009b \u202ex \xff \x7f end'

# ---------------------------------------------------------------- fixture
K=$T/keys
mkdir -p "$K"
ssh_sign_key "$K/signer"
printf '*@upkeep.invalid %s\n' "$(cat "$K/signer.pub")" > "$T/signers"
W=$T/work/app
git_work "$W"
git_release "$W" v1.0.0 "Release 1.0.0"
git -C "$W" commit -q --allow-empty -m "$EVIL" || bail "evil commit"
EMAIL=$(printf 'x\033[2J\302\233@upkeep.invalid')
git -C "$W" -c user.email="$EMAIL" -c gpg.format=ssh -c user.signingkey="$K/signer" \
	tag -s -m "$EVIL" v1.1.0 || bail "signed evil tag"
EVIL_TAG=$(printf 'v1.2.0-\342\200\256\302\233')
git -C "$W" tag -a -m "Release 1.2.0" "$EVIL_TAG" || bail "evil tag name"
git_bare "$W" "$T/srv/app.git"
URL=file://$T/srv/app.git

# a health endpoint whose body is the evil text, answered with status 200
printf '%s' "$EVIL" > "$T/body"
python3 - "$T/port" "$T/body" <<'PY' &
import http.server, sys
body = open(sys.argv[2], 'rb').read()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(('127.0.0.1', 0), H)
open(sys.argv[1], 'w').write(str(s.server_address[1]))
s.timeout = 1
import time
end = time.time() + 300
while time.time() < end:
    s.handle_request()
PY
track_pid $!
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
PORT=$(cat "$T/port")

printf '#!/bin/sh\nprintf "%%s" "$(cat %s)" >&2\nexit 1\n' "$T/body" > "$T/hook"
chmod 755 "$T/hook"

A=$T/apps
git_export "$T/srv/app.git" v1.0.0 "$A/app"
git_export "$T/srv/app.git" v1.0.0 "$A/web"
git_export "$T/srv/app.git" v1.0.0 "$A/adopt"
printf 'x\n' > "$A/adopt/$EVIL"
CFG=$T/upkeep.yaml
config_new "$CFG"
config_target "$CFG" app "$URL" "$A/app" stable semver \
	"verify: { signatures: if-signed, allowed_signers: $T/signers }
hooks: { pre_install: $T/hook }"
config_target "$CFG" web "$URL" "$A/web" stable semver \
	"verify: { allowed_signers: $T/signers }
health: { url: \"http://127.0.0.1:$PORT/\", expect: 201, timeout: 5s, retries: 0 }"
cat >> "$CFG" <<EOF
  named:
    source: { git: "$URL", scheme: regex, regex: "v([0-9]+)[.]([0-9]+)[.]([0-9]+)-.*" }
    path: $A/named
    channel: "v1.2.0-*"
EOF
config_target "$CFG" adopt "$URL" "$A/adopt"

# every output of every run is kept, to be scanned at the end
ALL=$T/all
mkdir -p "$ALL"
N=0
keep() { N=$((N + 1)); cp "$OUT" "$ALL/$N.out"; cp "$ERR" "$ALL/$N.err"; }
u() { up --config "$CFG" "$@"; keep; }

plan 22

for t in app web; do u --batch adopt "$t" 1.0.0; done
printf 'x\n' > "$A/app/$EVIL"
# ---------------------------------------------------------------- check: tag message, name, signer
u --batch check --json
rc_is 100 "check --json: exit 100"
is "$(jq_release app v1.1.0 .notes)" "$SHOWN" "json: the tag message's escapes are visible text"
is "$(jq_release app v1.1.0 .trust)" "signed by x\\e[2J\\u009b@upkeep.invalid ($(ssh-keygen -lf "$K/signer.pub" | cut -d' ' -f2))" \
	"json: the signer principal (the tagger's e-mail) is escaped in trust"
is "$(jq_release app v1.1.0 .signer)" 'x\e[2J\u009b@upkeep.invalid' "json: ... and in signer"
is "$(jq_target named .newest_tag)" 'v1.2.0-\u202e\u009b' "json: a tag name with a bidi override and C1 is escaped"
u --batch check
like "$(cat "$OUT")" '^app .*signed by x\\e\[2J\\u009b@upkeep\.invalid' "text: the TRUST column escapes the signer"

# ---------------------------------------------------------------- drift, adopt, hooks, health
u --batch install app 1.1.0 --json
rc_is 5 "install refused for local drift (exit 5)"
is "$(jq -r '.drift[]' < "$OUT")" "extra: $SHOWN" "json: the drift list escapes the file name"
u --batch install app 1.1.0
like "$(cat "$OUT")" "^extra: E \\\\e\\[2J" "text: the drift list escapes the file name"
rm "$A/app/$EVIL"
u --batch install app 1.1.0 --json
rc_is 6 "a pre_install hook that fails: rolled back (exit 6)"
like "$(jq -r '.error, .evidence // empty' < "$OUT")" 'E \\e\[2J \\e\]0;pwned' "json: the hook's stderr excerpt is escaped"
u --batch install app 1.1.0
like "$(cat "$OUT" "$ERR")" 'E \\e\[2J \\e\]0;pwned' "text: the hook's stderr excerpt is escaped"
u --batch install web 1.1.0 --json
rc_is 7 "a health body that does not satisfy the check (nor the old release's): exit 7"
like "$(jq -r '.error, .evidence // empty' < "$OUT")" 'E \\e\[2J \\e\]0;pwned' "json: the HTTP body excerpt is escaped"
u --batch adopt adopt 1.0.0
rc_is 5 "adopt of a tree with an extra file: exit 5"
is "$(cat "$OUT")" "extra: $SHOWN" "adopt: the extra file's name is escaped"

# ---------------------------------------------------------------- backups
printf 'x\n' > "$A/app/$EVIL"
u --batch backup app --note "$EVIL" --json
rc_is 0 "a backup of a tree with the file and the note"
SNAP=$(jq -r .snapshot < "$OUT")
u --batch files "$SNAP" --json
like "$(jq -r '.path // .name // empty' < "$OUT")" "E \\\\e\\[2J" "json files: the name is escaped"
u --batch files "$SNAP"
u --batch snapshots app
u --batch snapshots app --json
rm "$A/app/$EVIL"
u --batch diff "$SNAP" --current
like "$(cat "$OUT")" "E \\\\e\\[2J" "diff --current: the removed file's name is escaped"
u --batch diff "$SNAP" --current --json

# ---------------------------------------------------------------- scan everything
cat "$ALL"/* "$UPKEEP_LOG_FILE" > "$T/everything"
like "$(cat "$UPKEEP_LOG_FILE")" 'E \\e\[2J' "the log file holds the escaped text"
run python3 "$top_srcdir/tests/forbidden.py" text "$UPKEEP_LOG_FILE"
is "$(cat "$OUT")" "" "the log file holds no forbidden byte"
run python3 "$top_srcdir/tests/forbidden.py" text "$ALL"/*
is "$(cat "$OUT")" "" "no output of the $N runs (text and JSON, stdout and stderr) holds a forbidden byte"
