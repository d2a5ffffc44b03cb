#!/bin/bash
# check_timeout.sh - a server that accepts connections and never answers
# (libgit2 1.5 has no timeout of its own) costs a check no more than the
# target's limits.timeout: the target is reported as timed out, exit 1, and
# the other targets are still reported.
. "$top_srcdir/tests/lib.sh"
command -v python3 >/dev/null || skip_all "python3 missing (the silent server)"

plan 8

# A listener that accepts and then stays silent until the test ends (it is
# killed on exit).
PORT_FILE=$T/silent.port
python3 - "$PORT_FILE" <<'PY' &
import os, socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
conns = []
while True:
    conns.append(s.accept()[0])
PY
track_pid $!
wait_until 120 test -s "$PORT_FILE" || bail "the silent listener did not start"
PORT=$(cat "$PORT_FILE")

W=$T/work/good
git_work "$W"
git_release "$W" v1.0.0 "Release 1.0.0"
git_bare "$W" "$T/srv/good.git"
mkdir -p "$T/apps/silent" "$T/apps/good"

CFG=$T/upkeep.yaml
config_new "$CFG"
config_target "$CFG" silent "http://127.0.0.1:$PORT/app.git" "$T/apps/silent" stable semver \
	"limits: { timeout: 2s }"
config_target "$CFG" good "file://$T/srv/good.git" "$T/apps/good"
# The default is long: had the target's 2 s been ignored, the check would
# wait 10 minutes (and be killed by run's timeout).
printf 'defaults:\n  limits: { timeout: 10m }\n' >> "$CFG"

start=$(date +%s)
up --config "$CFG" --batch check --json
elapsed=$(( $(date +%s) - start ))
rc_is 1 "a silent server makes its target fail: exit 1"
ok "the check gave up on its 2 s limit, not the default 10 minutes ($elapsed s <= 60 s)" test "$elapsed" -le 60
is "$(jq_target silent .ok)" false "json: the silent target is not ok"
like "$(jq_target silent .error)" "127\.0\.0\.1:$PORT/app\.git: no answer within the time limit \\(limits\.timeout 2 s\\)" \
	"json: its error names the URL and the time limit"
is "$(jq_target good .ok),$(jq_target good .newest)" "true,1.0.0" "json: the other target is still checked"
up --config "$CFG" --batch check good
rc_is 100 "the good target alone still works afterwards (exit 100)"

# install and adopt list the tags too: bounded by the same limit
up --config "$CFG" --batch install silent 1.0.0
rc_is 1 "an install from the silent server gives up: exit 1"
like "$(cat "$ERR")" "app\\.git: no answer within the time limit \\(limits\\.timeout 2 s\\)" \
	"... naming the URL and limits.timeout"
