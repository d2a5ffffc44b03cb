#!/bin/bash
# syslog.sh - the real syslog path, not the UPKEEP_LOG_FILE hook: as root,
# each run of upkeep is started in a private mount namespace (unshare -m)
# whose /dev/log is a datagram socket that a small python3 receiver
# listens on (when the machine has no /dev/log, a private overlay over /dev
# provides the file to mount it on). Batch adopt, backup, install and the
# policy run must send lines with facility daemon and the priority of each
# level, the ident "upkeep[PID]", "[job N]" on every line, no secret of the
# webhook, and no raw control character (the target's path holds an ESC).
. "$top_srcdir/tests/lib.sh"
umask 022
[ "$(id -u)" = 0 ] || skip_all "not root (mounting over /dev/log in a private namespace needs root)"
command -v unshare > /dev/null 2>&1 || skip_all "unshare missing (util-linux)"
command -v python3 > /dev/null 2>&1 || skip_all "python3 missing"
unset UPKEEP_LOG_FILE

NS=$T/ns
mkdir -p "$NS/up" "$NS/work"
SOCK=$NS/log.sock GOT=$T/received
cat > "$NS/enter.sh" <<'SH'
#!/bin/sh
# enter.sh NSDIR CMD... : CMD with NSDIR/log.sock mounted on /dev/log
set -e
d=$1; shift
if [ ! -e /dev/log ] && [ ! -L /dev/log ]; then
	mount -t overlay overlay -o "lowerdir=/dev,upperdir=$d/up,workdir=$d/work" /dev
	: > /dev/log
fi
mount --bind "$d/log.sock" /dev/log
exec "$@"
SH
chmod 755 "$NS/enter.sh"
cat > "$T/receiver.py" <<'PY'
import os, socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
open(path + '.ready', 'w').close()
with open(out, 'ab', buffering=0) as f:
    while True:
        f.write(s.recv(65536) + b'\n')  # one datagram a line, its bytes as sent
PY
: > "$GOT"
python3 "$T/receiver.py" "$SOCK" "$GOT" & track_pid $!
for _ in $(seq 200); do [ -e "$SOCK.ready" ] && break; sleep 0.05; done
[ -e "$SOCK.ready" ] || bail "the syslog receiver did not start"

run unshare -m "$NS/enter.sh" "$NS" true
[ "$RC" = 0 ] || skip_all "cannot mount over /dev/log in a private namespace: $(head -c 200 "$ERR")"

# ns_up ARGS... : upkeep ARGS in the namespace, then waits until the
# receiver has written all it was sent: a marker sent after the run comes
# last (datagrams on a unix socket arrive in order).
marks=0
ns_up() {
	run unshare -m "$NS/enter.sh" "$NS" "$UPKEEP" "$@"
	local rc=$RC
	marks=$((marks + 1))
	python3 -c 'import socket, sys
socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(sys.argv[2].encode(), sys.argv[1])' \
		"$SOCK" "MARK $marks"
	for _ in $(seq 1200); do grep -qx "MARK $marks" "$GOT" && break; sleep 0.05; done
	grep -qx "MARK $marks" "$GOT" || bail "the receiver did not get marker $marks"
	RC=$rc
}

# ---------------------------------------------------------------- fixture
W=$T/work/app
git_work "$W"
git_release "$W" v1.0.0 "Release 1.0.0"
git_release "$W" v1.0.1 "Release 1.0.1"
git_bare "$W" "$T/srv/app.git"
git_export "$T/srv/app.git" v1.0.0 "$T/apps/app$(printf '\033')[31mred"
TOKEN=Tok3n-syslog-4711 URLTOKEN=UrlT0ken-syslog-9876 HMACKEY=Hm4c-syslog-key
CFG=$T/upkeep.yaml
cat > "$CFG" <<EOF
state_dir: $T/state
cache_dir: $T/cache
notify:
  webhook: { url: "http://user:pw-$URLTOKEN@127.0.0.1:9/hook/$URLTOKEN?k=$URLTOKEN", token: "$TOKEN", secret: "$HMACKEY", retries: 0, timeout: 2s }
  on: [success, failure]
targets:
  app:
    source: { git: "file://$T/srv/app.git" }
    path: "$T/apps/app\\e[31mred"
    backup: { every: 1h }
    policy: { auto_install: [] }
EOF

ns_up --config "$CFG" --batch adopt app 1.0.0
rc_is 0 "adopt (in the namespace)"
ns_up --config "$CFG" --batch backup app
rc_is 0 "backup"
ns_up --config "$CFG" --batch install app 1.0.1 --json
rc_is 0 "install 1.0.1 (its notice fails: nothing listens on port 9)"
INSTALL_JOB=$(jq -r .job < "$OUT")
UPKEEP_NOW=$(( $(date +%s) + 7200 )) ns_up --config "$CFG" --batch
rc_is 0 "the policy run (a scheduled backup is due)"

# ---------------------------------------------------------------- what syslog got
L=$T/lines
grep -v '^MARK ' "$GOT" > "$L"
n=$(wc -l < "$L")
ok "lines arrived through /dev/log ($n)" test "$n" -ge 10
HEAD='^<(2[4-9]|3[01])>[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} upkeep\[[0-9]+\]: '
is "$(grep -Evc "$HEAD" "$L")" 0 "every line: facility daemon (<24>-<31>), a timestamp, ident upkeep[PID]"
is "$(grep -Evc "$HEAD"'\[job [0-9]+\] ' "$L")" 0 "every line names its job: [job N] with a number"
like "$(cat "$L")" "^<31>.* upkeep\\[[0-9]+\\]: \\[job $INSTALL_JOB\\] app: install: step swap\$" \
	"a step is debug (daemon.debug, <31>), under the install's job"
like "$(cat "$L")" "^<30>.* \\[job [0-9]+\\] app: backup: snapshot [0-9]+ " \
	"info is daemon.info (<30>)"
like "$(cat "$L")" "^<27>.* \\[job $INSTALL_JOB\\] notify: webhook http://127\\.0\\.0\\.1:9, attempt 1 of 1: " \
	"the failed notice is an error (daemon.err, <27>), the webhook named by its origin only"
like "$(cat "$L")" '^<31>.* app: scheduled backup of .*/apps/app\\e\[31mred$' \
	"the policy run's scheduled backup: the ESC in the path is escaped"
like "$(cat "$L")" '^<30>.* policy run finished: exit 0$' "the policy run's end"
nok "no raw control character reached syslog" has_raw_controls "$L"
for s in "$TOKEN" "$URLTOKEN" "$HMACKEY" "pw-"; do
	nok "secret $s never sent to syslog" grep -qF -- "$s" "$L"
done
done_testing
