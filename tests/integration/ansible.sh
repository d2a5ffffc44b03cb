#!/bin/bash
# ansible.sh - contrib/ansible/upkeep.yml runs upkeep on a fleet batch by
# batch: with ansible-playbook installed, three local "hosts" (serial 1 then
# 1: h1, then h2 whose configuration is broken, then h3) must give h1's JSON
# lines and h2's exit status on the controller, a failed play, and no run on
# h3. Without ansible-playbook the playbook is only parsed (python3-yaml).
. "$top_srcdir/tests/lib.sh"

PB=$top_srcdir/contrib/ansible/upkeep.yml
if ! command -v ansible-playbook >/dev/null 2>&1; then
	python3 -c 'import yaml' 2>/dev/null || skip_all "neither ansible-playbook nor python3-yaml installed"
	run python3 -c '
import sys, yaml
play = yaml.safe_load(open(sys.argv[1]))[0]
assert play["serial"] and "max_fail_percentage" in play, "serial and max_fail_percentage"
names = [t["name"] for t in play["tasks"]]
assert any("--json" in str(t) for t in play["tasks"]), "runs --json"
print(len(names))' "$PB"
	rc_is 0 "the playbook is YAML with serial, max_fail_percentage and a --json run (ansible-playbook missing)"
	skip 1 "ansible-playbook missing (apt-get install ansible-core)"
	done_testing
	exit 0
fi

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
ansible_python_interpreter=$(command -v python3)
EOF
export ANSIBLE_LOCAL_TEMP=$T/ansible-local ANSIBLE_REMOTE_TEMP=$T/ansible-remote
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_STDOUT_CALLBACK=default
printf '[defaults]\n' > "$T/ansible.cfg"
export ANSIBLE_CONFIG=$T/ansible.cfg ANSIBLE_ASYNC_DIR=$T/ansible-async

R=$T/results
run ansible-playbook -i "$T/inventory" "$PB" -e upkeep_binary="$UPKEEP" -e upkeep_become=false \
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
done_testing
