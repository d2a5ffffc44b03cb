#!/bin/bash
# check_ssh.sh - `upkeep --batch check` over ssh://, served by a private sshd
# on 127.0.0.1 that this script starts and stops: key authentication from
# ~/.ssh, host keys checked against ~/.ssh/known_hosts, and the errors for a
# refused key, an unknown host key and a changed host key.
. "$top_srcdir/tests/lib.sh"
ssh_require

# Under a sanitizer build, a report must not pass for the exit status 1 of a
# target that fails on purpose below.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86"

# The agent of whoever runs the tests must not take part.
unset SSH_AUTH_SOCK SSH_AGENT_PID

# re_quote TEXT : TEXT as an ERE that matches it literally.
re_quote() { printf '%s' "$1" | sed 's/[][\.*^$()+?{}|/]/\\&/g'; }

# home_with NAME KEY [KNOWN_HOSTS_LINE] : a home directory $T/NAME whose
# ~/.ssh/id_ed25519 is a copy of KEY (none when KEY is "-"), and whose
# ~/.ssh/known_hosts holds the line (none when not given).
home_with() {
	local h=$T/$1
	mkdir -p "$h/.ssh" && chmod 700 "$h/.ssh"
	if [ "$2" != - ]; then
		cp "$2" "$h/.ssh/id_ed25519" && cp "$2.pub" "$h/.ssh/id_ed25519.pub" || bail "copy key $2"
		chmod 600 "$h/.ssh/id_ed25519"
	fi
	[ $# -ge 3 ] && printf '%s\n' "$3" > "$h/.ssh/known_hosts"
	return 0
}

# as_home NAME ARGS... : upkeep with HOME=$T/NAME
as_home() { local h=$T/$1; shift; run env HOME="$h" "$UPKEEP" "$@"; }

accepted() { grep -c "Accepted publickey for $SSH_USER " "$SSH_LOG"; }
connections() { grep -c "^Connection from 127\.0\.0\.1 " "$SSH_LOG"; }

# ---------------------------------------------------------------- fixtures and server
SRV=$T/srv
mkdir -p "$SRV"
fixture_app "$T/work/app" "$SRV/app.git"
semver_names 300 | git_fast_tags "$SRV/big.git"
ssh_start
diag "sshd on 127.0.0.1:$SSH_PORT, repositories at $SSH_URL$SRV"

KEYS=$T/keys
mkdir -p "$KEYS"
ssh_new_key "$KEYS/good"
ssh_new_key "$KEYS/stranger"
ssh_new_key "$KEYS/other_host"
rm -f "$KEYS/second" "$KEYS/second.pub"
ssh-keygen -q -t ecdsa -N '' -C upkeep-test -f "$KEYS/second" < /dev/null > /dev/null 2>&1 \
	|| bail "ssh-keygen -t ecdsa failed"
cat "$KEYS/good.pub" "$KEYS/second.pub" >> "$SSH_AUTHORIZED_KEYS"

APP_URL=$SSH_URL$SRV/app.git
BIG_URL=$SSH_URL$SRV/big.git
APP_URL_RE=$(re_quote "$APP_URL")

# The server itself must work, or nothing below means anything.
printf '%s\n' "$SSH_KNOWN_HOSTS_LINE" > "$T/known_hosts.check"
run env GIT_SSH_COMMAND="ssh -F /dev/null -i $KEYS/good -o IdentitiesOnly=yes -o BatchMode=yes -o UserKnownHostsFile=$T/known_hosts.check -o StrictHostKeyChecking=yes" \
	git ls-remote --tags "$BIG_URL"
rc_is 0 "git ls-remote over the test sshd works" || _diag_file "sshd log" "$SSH_LOG"
is "$(grep -vc '\^{}$' "$OUT")" 300 "git ls-remote sees 300 tags over ssh"

# The test's HOME: the authorized key and the server's host key.
home_with home "$KEYS/good" "$SSH_KNOWN_HOSTS_LINE"

git_export "$SRV/app.git" v1.0.0 "$T/apps/app"
git_export "$SRV/big.git" v2.9.0 "$T/apps/big"
mkdir -p "$T/apps/fresh"

CFG=$T/upkeep.yaml
config_new "$CFG"
config_target "$CFG" app "$APP_URL" "$T/apps/app" stable
config_target "$CFG" fresh "$APP_URL" "$T/apps/fresh" beta
config_target "$CFG" big "$BIG_URL" "$T/apps/big" stable

up --config "$CFG" --check-config
rc_is 0 "--check-config accepts ssh:// sources"
like "$(cat "$OUT")" 'configuration is valid \(3 targets\)' "--check-config: 3 ssh targets"

up --config "$CFG" --batch adopt app 1.0.0
rc_is 0 "adopt app 1.0.0 over ssh"
like "$(cat "$OUT")" '^app: recorded 1\.0\.0 as installed' "adopt app: recorded 1.0.0"
up --config "$CFG" --batch adopt big 2.9.0
rc_is 0 "adopt big 2.9.0 over ssh"
like "$(cat "$OUT")" '^big: recorded 2\.9\.0 as installed' "adopt big: recorded 2.9.0"

# ---------------------------------------------------------------- good key, known host
before=$(accepted)
up --config "$CFG" --batch check --json
rc_is 100 "check over ssh: exit 100 (updates available)"
is "$(jq -r .target "$OUT" | sort | tr '\n' ' ')" "app big fresh " "one JSON line per target"

is "$(jq_target app .ok)" true "app: ok"
is "$(jq_target app .error)" null "app: no error"
is "$(jq_target app .installed)" 1.0.0 "app: installed 1.0.0"
is "$(jq_target app .newest)" 2.0.0 "app: newest 2.0.0"
is "$(jq_target app .kind)" major "app: kind major"
is "$(jq_target app .newer)" 3 "app (stable): 3 newer"
is "$(jq_target app .tags)" 5 "app: 5 tags listed over ssh"
is "$(jq_target app '[.releases[].version] | join(" ")')" "2.0.0 2.0.0-rc1 1.1.0 1.0.1" \
	"app: the releases newer than 1.0.0, newest first"
is "$(jq_release app v1.1.0 '.flags | index("security") != null')" true \
	"app: v1.1.0 security flag read from the tag message fetched over ssh"
is "$(jq_release app v2.0.0-rc1 .in_channel)" false "app (stable): rc not in channel"

is "$(jq_target fresh .ok)" true "fresh: ok"
is "$(jq_target fresh .installed)" null "fresh: nothing installed"
is "$(jq_target fresh .newest)" 2.0.0 "fresh: newest 2.0.0"
is "$(jq_target fresh .newer)" 5 "fresh (beta): all 5 releases newer"

is "$(jq_target big .ok)" true "big (300 tags over ssh): ok"
is "$(jq_target big .tags)" 300 "big: 300 tags"
is "$(jq_target big .newest)" 2.9.9 "big: newest 2.9.9"
is "$(jq_target big .kind)" patch "big: kind patch"
is "$(jq_target big .newer)" 9 "big: 9 newer"

after=$(accepted)
ok "sshd logged key logins by $SSH_USER for this check" test "$after" -gt "$before"

up --config "$CFG" --batch check app
rc_is 100 "table mode over ssh: exit 100"
like "$(cat "$OUT")" '^app +1\.0\.0 +2\.0\.0 +major +security +3 +unsigned *$' "table row: app 1.0.0 2.0.0 major security 3 unsigned"

# Nothing newer than what is installed: exit 0.
mkdir -p "$T/apps/latest"
git_export "$SRV/app.git" v2.0.0 "$T/apps/latest"
config_target "$CFG" latest "$APP_URL" "$T/apps/latest" stable
up --config "$CFG" --batch adopt latest 2.0.0
rc_is 0 "adopt latest 2.0.0 over ssh"
like "$(cat "$OUT")" '^latest: recorded 2\.0\.0 as installed' "adopt latest: recorded 2.0.0"
up --config "$CFG" --batch check latest --json
rc_is 0 "check of an up-to-date target over ssh: exit 0"
is "$(jq_target latest .ok)" true "latest: ok"
is "$(jq_target latest .installed)" 2.0.0 "latest: installed 2.0.0"
is "$(jq_target latest .tags)" 5 "latest: 5 tags listed"
is "$(jq_target latest .newer)" 0 "latest: nothing newer"

# ---------------------------------------------------------------- key files in turn
# ~/.ssh/id_ed25519 is refused, ~/.ssh/id_ecdsa is authorized: the second
# key file is tried after the first was refused.
home_with second "$KEYS/stranger" "$SSH_KNOWN_HOSTS_LINE"
cp "$KEYS/second" "$T/second/.ssh/id_ecdsa" && cp "$KEYS/second.pub" "$T/second/.ssh/id_ecdsa.pub"
as_home second --config "$CFG" --batch check app --json
rc_is 100 "a refused id_ed25519, an accepted id_ecdsa: the check works (exit 100)"
is "$(jq_target app .newest)" 2.0.0 "id_ecdsa: app newest 2.0.0"

# ---------------------------------------------------------------- ssh-agent
# An agent of this script's own: the agent is asked first, then key files.
if command -v ssh-agent > /dev/null 2>&1 && command -v ssh-add > /dev/null 2>&1; then
	AGENT_SOCK=$T/agent.sock
	ssh-agent -a "$AGENT_SOCK" -D > /dev/null 2>&1 < /dev/null &
	track_pid $!
	wait_until 120 test -S "$AGENT_SOCK" || bail "ssh-agent did not start"
	agent() { SSH_AUTH_SOCK=$AGENT_SOCK "$@"; }
	agent ssh-add -q "$KEYS/good" 2>/dev/null || bail "ssh-add failed"
	home_with agent_only - "$SSH_KNOWN_HOSTS_LINE"
	run env SSH_AUTH_SOCK="$AGENT_SOCK" HOME="$T/agent_only" "$UPKEEP" --config "$CFG" --batch check app --json
	rc_is 100 "the key in ssh-agent, no key files: the check works (exit 100)"
	is "$(jq_target app .newest)" 2.0.0 "ssh-agent: app newest 2.0.0"

	agent ssh-add -q -D 2>/dev/null
	agent ssh-add -q "$KEYS/stranger" 2>/dev/null || bail "ssh-add failed"
	run env SSH_AUTH_SOCK="$AGENT_SOCK" HOME="$T/home" "$UPKEEP" --config "$CFG" --batch check app --json
	rc_is 100 "ssh-agent's key refused, ~/.ssh/id_ed25519 accepted: the check works (exit 100)"
	is "$(jq_target app .newest)" 2.0.0 "agent then key file: app newest 2.0.0"

	run env SSH_AUTH_SOCK="$AGENT_SOCK" HOME="$T/agent_only" "$UPKEEP" --config "$CFG" --batch check app --json
	rc_is 1 "ssh-agent's key refused, no key files: exit 1"
	like "$(jq_target app .error)" "^$APP_URL_RE: .*ssh authentication failed \(tried ssh-agent\)" \
		"agent refused: the error says the agent was tried"
else
	skip 6 "ssh-agent or ssh-add missing"
fi

# ---------------------------------------------------------------- refused key
home_with stranger "$KEYS/stranger" "$SSH_KNOWN_HOSTS_LINE"
as_home stranger --config "$CFG" --batch check app --json
rc_is 1 "a key the server refuses: exit 1"
is "$(jq_target app .ok)" false "refused key: app not ok"
like "$(jq_target app .error)" "^$APP_URL_RE: " "refused key: the error names the URL"
like "$(jq_target app .error)" "ssh authentication failed \(tried ~/\.ssh/id_ed25519\)" \
	"refused key: the error says ssh authentication failed and which key was tried"
as_home stranger --config "$CFG" --batch check app
rc_is 1 "refused key, table mode: exit 1"
like "$(cat "$ERR")" "app: $APP_URL_RE: .*ssh authentication failed" "refused key: stderr names the target, the URL and the failure"

home_with nokey - "$SSH_KNOWN_HOSTS_LINE"
as_home nokey --config "$CFG" --batch check app --json
rc_is 1 "no ssh key at all: exit 1"
like "$(jq_target app .error)" "^$APP_URL_RE: .*ssh authentication failed \(no ssh-agent and no key in ~/\.ssh" \
	"no key: the error says that there was nothing to authenticate with"

# ---------------------------------------------------------------- host keys
before=$(accepted) conn_before=$(connections)
home_with unknown "$KEYS/good"
as_home unknown --config "$CFG" --batch check app --json
rc_is 1 "host not in known_hosts: exit 1"
is "$(jq_target app .ok)" false "unknown host: app not ok"
like "$(jq_target app .error)" "^$APP_URL_RE: " "unknown host: the error names the URL"
like "$(jq_target app .error)" 'unknown or changed ssh host key for 127\.0\.0\.1 \(add it to ~/\.ssh/known_hosts\)' \
	"unknown host: the error is a host-key error saying what to do"
as_home unknown --config "$CFG" --batch check app
rc_is 1 "unknown host, table mode: exit 1"
like "$(cat "$ERR")" "app: $APP_URL_RE: .*unknown or changed ssh host key" "unknown host: stderr says so"

home_with changed "$KEYS/good" "[127.0.0.1]:$SSH_PORT $(cut -d' ' -f1,2 "$KEYS/other_host.pub")"
as_home changed --config "$CFG" --batch check app --json
rc_is 1 "changed host key (known_hosts has another key): exit 1"
like "$(jq_target app .error)" "^$APP_URL_RE: .*unknown or changed ssh host key for 127\.0\.0\.1" \
	"changed host key: the error names the URL and the host"

# The key must not be offered to a server that was not recognised: sshd
# saw the connections, and no login.
is "$(( $(connections) > conn_before )) $(accepted)" "1 $before" \
	"sshd saw the connections, but no login while the host key was unknown or changed"

# ---------------------------------------------------------------- server gone
kill "$SSH_PID" 2>/dev/null; wait "$SSH_PID" 2>/dev/null
up --config "$CFG" --batch check app --json
rc_is 1 "sshd stopped: exit 1"
like "$(jq_target app .error)" "^$APP_URL_RE: " "sshd stopped: the error names the URL"

done_testing
