#!/bin/bash
# ansible.sh - contrib/ansible/upkeep.yml runs upkeep on a fleet batch by
# batch: with ansible-playbook installed, three local "hosts" (serial 1 then
# 1: h1, then h2 whose configuration is broken, then h3) must give h1's JSON
# lines and h2's exit status on the controller, a failed play, and no run on
# h3, and h1's JSON document is asserted (both demo targets, its exit
# status), with the README's report one-liner run on it. Without
# ansible-playbook, in the sanitizer build and under distcheck the playbook
# is only parsed (python3-yaml).
. "$top_srcdir/tests/lib.sh"

PB=$top_srcdir/contrib/ansible/upkeep.yml
# yaml_only WHY : only parse the playbook (python3-yaml), and say why the
# play itself is not run.
yaml_only() {
	python3 -c 'import yaml' 2>/dev/null || skip_all "$1, and python3-yaml is not installed"
	run python3 -c '
import sys, yaml
play = yaml.safe_load(open(sys.argv[1]))[0]
assert play["serial"] and "max_fail_percentage" in play, "serial and max_fail_percentage"
names = [t["name"] for t in play["tasks"]]
assert any("--json" in str(t) for t in play["tasks"]), "runs --json"
print(len(names))' "$PB"
	rc_is 0 "the playbook is YAML with serial, max_fail_percentage and a --json run"
	skip 1 "$1"
	done_testing
	exit 0
}
command -v ansible-playbook >/dev/null 2>&1 || yaml_only "ansible-playbook missing (apt-get install ansible-core)"
# ansible-playbook costs some 15 s of CPU: the plain build's run from the
# git checkout plays it; the sanitizer build and distcheck only parse it.
grep -q -- '--enable-sanitizers' "$(dirname "$UPKEEP")/config.status" 2>/dev/null &&
	yaml_only "sanitizer build (the plain build's run plays the playbook)"
src=$(cd "$top_srcdir" && pwd -P)
[ "$(git -c safe.directory="$src" -C "$src" rev-parse --show-toplevel 2>/dev/null)" = "$src" ] ||
	yaml_only "not a git checkout (distcheck: the plain build's run plays the playbook)"

# The modules run under the python that runs ansible-playbook (its #! line),
# not whatever python3 comes first in PATH (a pyenv shim costs seconds a
# start, and ansible starts one per task and host).
PY=$(sed -n '1s/^#! *\([^ ]*\).*/\1/p' "$(command -v ansible-playbook)")
[ -x "$PY" ] || PY=$(command -v python3)
up --demo "$T/demo"
rc_is 0 "a demo configuration for the hosts" || bail "no demo"
printf 'targets:\n  broken: { path: relative }\n' > "$T/broken.yaml"
cat > "$T/inventory" <<EOF
[upkeep]
h1 upkeep_config=$T/demo/upkeep.yaml
h2 upkeep_config=$T/broken.yaml
h3 upkeep_config=$T/demo/upkeep.yaml

[upkeep:vars]
ansible_connection=local
ansible_python_interpreter=$PY
EOF
export ANSIBLE_LOCAL_TEMP=$T/ansible-local ANSIBLE_REMOTE_TEMP=$T/ansible-remote
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_STDOUT_CALLBACK=default
printf '[defaults]\n' > "$T/ansible.cfg"
export ANSIBLE_CONFIG=$T/ansible.cfg ANSIBLE_ASYNC_DIR=$T/ansible-async

R=$T/results
UPKEEP_TEST_TIMEOUT=600 run ansible-playbook -i "$T/inventory" "$PB" -e upkeep_binary="$UPKEEP" -e upkeep_become=false \
	-e "upkeep_results_dir=$R" -e '{"upkeep_serial": [1, 1]}'
is "$RC" 2 "the play fails with ansible-playbook's status for failed hosts (2)"
like "$(cat "$OUT")" 'PLAY RECAP' "ansible ran the play" || show_run
ok "h1's JSON lines are on the controller" test -s "$R/h1.jsonl"
json_lines "$R/h1.jsonl"
n=$(jq -s 'map(select(type == "object")) | length' "$R/h1.jsonl" 2>/dev/null)
isnt "${n:-0}" 0 "h1's report holds JSON objects ($n)"
like "$(cat "$R/h1.log" 2>/dev/null)" '^exit (0|100|101|102)$' "h1's exit status is kept (not a failure)"
like "$(cat "$R/h2.log" 2>/dev/null)" '^exit 2$' "h2's exit status (2, configuration) is kept"
like "$(cat "$R/h2.log" 2>/dev/null)" 'relative' "h2's messages are kept"
like "$(cat "$OUT")" 'upkeep exited 2 on h2' "the play says which host failed and why"
ok "h3, in the batch after the failure, never ran" test ! -e "$R/h3.jsonl" -a ! -e "$R/h3.log"
# h1's collected JSON is the policy run's one document, as upkeep printed it
is "$(jq -s 'length' "$R/h1.jsonl")" 1 "h1: one JSON document (the policy run's summary)"
is "$(jq -r '[.dry_run, (.job | type), (.exit | tostring)] | join(" ")' "$R/h1.jsonl")" \
	"false number $(sed -n 's/^exit //p' "$R/h1.log")" "h1: a real run with its job, its exit status as in h1.log"
is "$(jq -r '[.targets[] | .target + "=" + (.check.ok | tostring)] | join(" ")' "$R/h1.jsonl")" \
	"notekeeper=true wiki=true" "h1: both demo targets checked"
is "$(jq -r '.targets[] | select(.target == "notekeeper") | .check.installed + " " + .check.newest' "$R/h1.jsonl")" \
	"1.0.0 2.0.0" "h1: notekeeper's installed and newest versions"
# the report one-liner of contrib/ansible/README.md works on what was collected
line=$(sed -n 's/^    jq -r \(.*upkeep-results\/\*\.jsonl\)$/\1/p' "$top_srcdir/contrib/ansible/README.md")
like "$line" 'upkeep-results' "the README has the report one-liner" &&
	run sh -c "cd '$T' && ln -s results upkeep-results && jq -r $line"
like "$(cat "$OUT")" '^upkeep-results/h1\.jsonl: notekeeper 1\.0\.0 -> 2\.0\.0$' \
	"the README's one-liner lists h1's targets" || show_run
done_testing
