#!/bin/bash
# notify.sh - notifications: a webhook (a local HTTP receiver in python3
# writes each request to files) and mail through a fake sendmail, for
# install success, rollback and failure, a security release, a backup
# failure; retries; a failure that lasts (notify.repeat, recovered) on the
# injected clock; secrets (bearer token, URL token, HMAC key) never shown.
. "$top_srcdir/tests/lib.sh"
umask 022
export TZ=UTC
export UPKEEP_LOG_FILE=$T/upkeep.log
command -v python3 > /dev/null || skip_all "python3 missing"

# ---------------------------------------------------------------- receivers
HOOKDIR=$T/hook
mkdir -p "$HOOKDIR" "$T/mail"
cat > "$T/receiver.py" <<'EOF'
import http.server, os, sys
d = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        n = len(os.listdir(os.path.join(d, 'req'))) + 1
        open(os.path.join(d, 'req', '%03d' % n), 'w').close()
        if os.path.exists(os.path.join(d, 'fail-once')):
            os.unlink(os.path.join(d, 'fail-once'))
            self.send_response(503); self.end_headers(); return
        open(os.path.join(d, '%03d.body' % n), 'wb').write(body)
        with open(os.path.join(d, '%03d.head' % n), 'w') as f:
            f.write('PATH: %s\n%s' % (self.path, self.headers))
        self.send_response(204); self.end_headers()
    def log_message(self, *a): pass
s = http.server.HTTPServer(('127.0.0.1', 0), H)
with open(os.path.join(d, 'port.tmp'), 'w') as f: f.write(str(s.server_address[1]))
os.rename(os.path.join(d, 'port.tmp'), os.path.join(d, 'port'))
s.serve_forever()
EOF
mkdir -p "$HOOKDIR/req"
python3 "$T/receiver.py" "$HOOKDIR" & track_pid $!
wait_until 120 test -s "$HOOKDIR/port" || bail "the HTTP receiver did not start"
PORT=$(cat "$HOOKDIR/port")

cat > "$T/sendmail" <<EOF
#!/bin/sh
n=\$(ls "$T/mail" | grep -c '\.msg\$')
n=\$((n + 1))
echo "\$@" > "$T/mail/\$n.args"
cat > "$T/mail/\$n.msg"
EOF
chmod 755 "$T/sendmail"

# last_body : the newest delivered webhook body; bodies : how many
last_body() { ls "$HOOKDIR"/*.body 2>/dev/null | tail -1; }
bodies() { ls "$HOOKDIR"/*.body 2>/dev/null | wc -l; }
last_mail() { ls "$T/mail"/*.msg 2>/dev/null | sort -t/ -k1 -V | tail -1; }
mails() { ls "$T/mail"/*.msg 2>/dev/null | wc -l; }

# ---------------------------------------------------------------- fixture
W=$T/work/app
git_work "$W"
git_release "$W" v1.0.0 "Release 1.0.0"
git_release "$W" v1.0.1 "Release 1.0.1"
git_release "$W" v1.1.0 "Release 1.1.0

Security: CVE-2026-0002"
git_bare "$W" "$T/srv/app.git"
URL=file://$T/srv/app.git
A=$T/apps
git_export "$T/srv/app.git" v1.0.0 "$A/app"

TOKEN=Tok3n-bearer-4711
URLTOKEN=UrlT0ken-9876
HMACKEY=Hm4c-key-secret
printf '#!/bin/sh\n[ ! -e "%s/unhealthy-$UPKEEP_TO" ] || { echo "app $UPKEEP_TO is down"; exit 1; }\n' "$T" \
	> "$T/health.sh"
chmod 755 "$T/health.sh"
CFG=$T/upkeep.yaml
write_cfg() {
	cat > "$CFG" <<EOF
state_dir: $T/state
cache_dir: $T/cache
notify:
  webhook: { url: "http://127.0.0.1:$PORT/hook/$URLTOKEN", token: "$TOKEN", secret: "$HMACKEY", timeout: 5s, retries: 3 }
  mail: { to: "admin@example.org", sendmail: "$T/sendmail", from: "upkeep@example.org" }
  on: [success, failure, rollback, security, backup_failure, drill_failure]
targets:
  app:
    source: { git: "$URL" }
    path: $A/app
    health: { command: "$T/health.sh", retries: 0, timeout: 5s }
$1
EOF
}
write_cfg ""
up --config "$CFG" --check-config
rc_is 0 "the notify keys are valid"
up --config "$CFG" --batch adopt app 1.0.0
rc_is 0 "fixture: adopted"
SHOWN=$T/shown
: > "$SHOWN"
keep() { cat "$OUT" "$ERR" >> "$SHOWN"; }

# ---------------------------------------------------------------- success
up --config "$CFG" --batch install app 1.0.1 --json; keep
rc_is 0 "install 1.0.1"
JOB=$(jq -r .job < "$OUT")
is "$(bodies)" 1 "success: one webhook request"
B=$(last_body)
is "$(jq -r '[.source, .event, .target, .from, .to, (.job|tostring)] | join(" ")' < "$B")" \
	"upkeep success app 1.0.0 1.0.1 $JOB" "success: the document names event, target, versions and job"
like "$(jq -r .summary < "$B")" '^app: installed 1\.0\.1 \(was 1\.0\.0\)$' "success: the summary"
H=${B%.body}.head
like "$(cat "$H")" "^PATH: /hook/$URLTOKEN\$" "webhook: POSTed to the configured URL"
like "$(cat "$H")" "^Authorization: Bearer $TOKEN\$" "webhook: the bearer token is sent"
like "$(cat "$H")" '^Content-Type: application/json$' "webhook: JSON content type"
like "$(cat "$H")" '^X-Upkeep-Event: success$' "webhook: the event header"
SIG=$(openssl dgst -sha256 -hmac "$HMACKEY" < "$B" | sed 's/.*= *//')
like "$(cat "$H")" "^X-Upkeep-Signature: sha256=$SIG\$" "webhook: the HMAC-SHA256 signature of the body verifies"
is "$(mails)" 1 "success: one mail"
M=$(last_mail)
is "$(cat "${M%.msg}.args")" "-t -oi" "mail: sendmail -t -oi"
like "$(cat "$M")" '^To: admin@example\.org$' "mail: To header"
like "$(cat "$M")" '^From: upkeep@example\.org$' "mail: From header"
like "$(cat "$M")" '^Subject: \[upkeep\] [^ ]+: app: installed 1\.0\.1 \(was 1\.0\.0\)$' "mail: Subject names host and summary"
like "$(cat "$M")" "^job: $JOB\$" "mail: the job in the body"

# ---------------------------------------------------------------- rollback
touch "$T/unhealthy-1.1.0"
up --config "$CFG" --batch install app 1.1.0; keep
rc_is 6 "install 1.1.0 with a failing health check: rolled back"
B=$(last_body)
is "$(jq -r '.event + " " + .to' < "$B")" "rollback 1.1.0" "rollback: notified"
like "$(jq -r .details < "$B")" 'app 1\.1\.0 is down' "rollback: the health output is in the details"
like "$(cat "$(last_mail)")" '^Subject: .*rolled back to 1\.0\.1$' "rollback: mailed"
rm -f "$T/unhealthy-1.1.0"

# ---------------------------------------------------------------- failure
up --config "$CFG" --batch install app 9.9.9; keep
rc_is 1 "install of a version that does not exist: exit 1"
is "$(jq -r .event < "$(last_body)")" failure "failure: notified"

# ---------------------------------------------------------------- retries
n=$(bodies)
touch "$HOOKDIR/fail-once"
up --config "$CFG" --batch install app 9.9.8; keep
is "$(bodies)" $((n + 1)) "retry: delivered after a 503"
like "$(cat "$UPKEEP_LOG_FILE")" 'notify: webhook http://127\.0\.0\.1:[0-9]+, attempt 1 of 4: HTTP status 503; trying again' \
	"retry: the first attempt's failure is logged"

# ---------------------------------------------------------------- security, once per release
write_cfg "    policy: { auto_install: [] }"
n=$(bodies)
up --config "$CFG" --batch --json; keep
rc_is 101 "policy run: 1.1.0 pending"
is "$(bodies)" $((n + 1)) "security: one notice"
B=$(last_body)
is "$(jq -r '.event + " " + .to + " " + .from' < "$B")" "security 1.1.0 1.0.1" "security: names the release and the installed version"
like "$(jq -r .details < "$B")" 'CVE-2026-0002' "security: the tag message is in the details"
up --config "$CFG" --batch --json; keep
is "$(bodies)" $((n + 1)) "security: not sent again for the same release"

# ---------------------------------------------------------------- backup failure
write_cfg "    policy: { auto_install: [] }
    backup: { every: 1h }"
mv "$A/app" "$A/app.away"
UPKEEP_NOW=$(( $(date +%s) + 7200 )) up --config "$CFG" --batch; keep
rc_is 1 "a scheduled backup of a missing tree fails the run"
B=$(last_body)
is "$(jq -r .event < "$B")" backup_failure "backup failure: notified"
like "$(jq -r .details < "$B")" "$A/app" "backup failure: the details name the tree"
mv "$A/app.away" "$A/app"

# ---------------------------------------------------------------- per target, events
cat > "$CFG" <<EOF
state_dir: $T/state
cache_dir: $T/cache
notify:
  webhook: { url: "http://127.0.0.1:$PORT/hook/$URLTOKEN" }
targets:
  app:
    source: { git: "$URL" }
    path: $A/app
    notify: { on: [rollback], mail: { to: "ops@example.org", sendmail: "$T/sendmail" } }
EOF
n=$(bodies); m=$(mails)
up --config "$CFG" --batch install app 9.9.7; keep
is "$(bodies)/$(mails)" "$n/$m" "per target: a failure is not in the target's notify.on: nothing sent"

# ---------------------------------------------------------------- a failure that lasts
# An hourly timer must not alert every hour: the first failure is notified,
# then nothing until notify.repeat has passed (a reminder) or it recovers.
cat > "$CFG" <<EOF
state_dir: $T/state
cache_dir: $T/cache
notify:
  webhook: { url: "http://127.0.0.1:$PORT/hook/$URLTOKEN" }
  on: [failure]
  repeat: 6h
targets:
  app:
    source: { git: "$URL" }
    path: $A/app
    policy: { auto_install: [] }
EOF
H0=$(( $(date +%s) + 100000 ))
at() { UPKEEP_NOW=$((H0 + $1 * 3600)) up --config "$CFG" --batch; keep; }
mv "$T/srv/app.git" "$T/srv/app.away"
n=$(bodies)
at 0
rc_is 1 "lasting: the check fails"
is "$(bodies)" $((n + 1)) "lasting: the first failure is notified"
B=$(last_body)
is "$(jq -r '[.event, .summary, (.since|tostring)] | join("|")' < "$B")" "failure|app: check failed|null" \
	"lasting: a plain failure notice (no since)"
at 1; at 2
is "$(bodies)" $((n + 1)) "lasting: 1 and 2 hours later, still failing: nothing sent"
like "$(cat "$UPKEEP_LOG_FILE")" 'notify: failure of app not sent again: failing since .*, next reminder from .* \(notify\.repeat\)' \
	"lasting: the log says why nothing was sent"
at 6
is "$(bodies)" $((n + 2)) "lasting: after notify.repeat (6h), a reminder"
B=$(last_body)
is "$(jq -r '[.event, (.since|tostring)] | join("|")' < "$B")" "failure|$H0" "lasting: the reminder says since when"
like "$(jq -r .summary < "$B")" '^app: check failed \(still failing since [0-9-]+ [0-9:]+ UTC\)$' \
	"lasting: the reminder's summary says it is still failing"
at 7
is "$(bodies)" $((n + 2)) "lasting: an hour after the reminder: nothing"
mv "$T/srv/app.away" "$T/srv/app.git"
at 8
rc_is 101 "lasting: the check works again"
is "$(bodies)" $((n + 3)) "lasting: the recovery is notified"
B=$(last_body)
is "$(jq -r '[.event, .ended, (.since|tostring)] | join("|")' < "$B")" "recovered|failure|$H0" \
	"lasting: recovered, names the failure that ended and since when"
like "$(jq -r .summary < "$B")" '^app: check recovered \(failing since ' "lasting: the recovery's summary"
at 9
is "$(bodies)" $((n + 3)) "lasting: working: nothing more"
mv "$T/srv/app.git" "$T/srv/app.away"
at 10
is "$(bodies)/$(jq -r .since < "$(last_body)")" "$((n + 4))/null" "lasting: failing again is a new failure, notified at once"
mv "$T/srv/app.away" "$T/srv/app.git"
at 11
is "$(jq -r .event < "$(last_body)")" recovered "lasting: and its recovery"
sed -i 's/^  repeat: 6h$/  repeat: 0s/' "$CFG"
up --config "$CFG" --check-config
rc_is 2 "notify.repeat must be positive"

# ---------------------------------------------------------------- unreachable, secrets
cat > "$CFG" <<EOF
state_dir: $T/state
cache_dir: $T/cache
notify:
  webhook: { url: "http://user:pw-$URLTOKEN@127.0.0.1:9/hook/$URLTOKEN?key=$URLTOKEN", token: "$TOKEN", retries: 0, timeout: 2s }
  mail: { to: "admin@example.org", sendmail: "$T/no-such-sendmail" }
targets:
  app:
    source: { git: "$URL" }
    path: $A/app
EOF
up --config "$CFG" --batch install app 9.9.6 --verbose; keep
rc_is 1 "unreachable webhook and missing sendmail: the install's own exit code"
like "$(cat "$UPKEEP_LOG_FILE")" 'notify: webhook http://127\.0\.0\.1:9, attempt 1 of 1: ' "unreachable: logged by origin"
like "$(cat "$UPKEEP_LOG_FILE")" 'notify: mail: cannot run .*no-such-sendmail' "missing sendmail: logged"
cat "$UPKEEP_LOG_FILE" >> "$SHOWN"
for s in "$TOKEN" "$URLTOKEN" "$HMACKEY"; do
	nok "secret $s never in output or log" grep -q -- "$s" "$SHOWN"
done

done_testing
