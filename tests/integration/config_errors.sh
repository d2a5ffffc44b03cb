#!/bin/bash
# config_errors.sh - a bad configuration gets exit 2, one "FILE:LINE:COL:
# message" line per problem on stderr, and changes nothing: neither
# --check-config nor --batch check creates the state or cache directory.
. "$top_srcdir/tests/lib.sh"

fixture_app "$T/work/app" "$T/srv/app.git"
URL=file://$T/srv/app.git
mkdir -p "$T/cases" "$T/apps/app"

# expect_config_error NAME LINE COL WHAT : FILE is $T/cases/NAME.yaml, whose
# state_dir/cache_dir are $T/cases/NAME.state/.cache. COL may be an ERE
# ("[0-9]+") when the column is not pinned down by the case. WHAT is an ERE
# the message must match (case-insensitive).
expect_config_error() {
	local name=$1 line=$2 col=$3 what=$4 f=$T/cases/$1.yaml
	up --config "$f" --check-config
	rc_is 2 "$name: --check-config exits 2"
	like "$(cat "$ERR")" "^$f:$line:$col: " "$name: stderr has $f:$line:$col:"
	if grep -aiEq -- "$what" "$ERR"; then pass "$name: the message says what is wrong (/$what/)"
	else fail "$name: the message says what is wrong (/$what/)"; show_run; fi
	is "$(wc -c < "$OUT")" 0 "$name: nothing on stdout"
	up --config "$f" --batch check
	rc_is 2 "$name: --batch check exits 2"
	like "$(cat "$ERR")" "^$f:$line:$col: " "$name: --batch check reports $f:$line:$col: too"
	nok "$name: state_dir not created" test -e "$T/cases/$name.state"
	nok "$name: cache_dir not created" test -e "$T/cases/$name.cache"
}

# head_of NAME : the first lines of a case file, with its own state and cache dirs
head_of() {
	printf 'state_dir: %s\ncache_dir: %s\n' "$T/cases/$1.state" "$T/cases/$1.cache"
}

# ---------------------------------------------------------------- a valid one first
{ head_of valid; cat <<EOF
targets:
  app:
    source: { git: "$URL", scheme: semver }
    path: $T/apps/app
    channel: stable
EOF
} > "$T/cases/valid.yaml"
up --config "$T/cases/valid.yaml" --check-config
rc_is 0 "valid config: --check-config exits 0"
is "$(cat "$ERR")" "" "valid config: nothing on stderr"
nok "valid config: --check-config creates no state_dir" test -e "$T/cases/valid.state"

# ---------------------------------------------------------------- missing, unreadable
up --config "$T/cases/nosuch.yaml" --check-config
rc_is 2 "missing config: exit 2"
like "$(cat "$ERR")" "$T/cases/nosuch\.yaml" "missing config: the message names the file"
up --config "$T/cases/nosuch.yaml" --batch check
rc_is 2 "missing config: --batch check exits 2"

mkdir -p "$T/cases/adir.yaml"
up --config "$T/cases/adir.yaml" --check-config
rc_is 2 "config is a directory: exit 2"
like "$(cat "$ERR")" "$T/cases/adir\.yaml" "config is a directory: the message names it"

cp "$T/cases/valid.yaml" "$T/cases/unreadable.yaml"
chmod 000 "$T/cases/unreadable.yaml"
if [ "$(id -u)" != 0 ]; then
	up --config "$T/cases/unreadable.yaml" --check-config
	rc_is 2 "unreadable config (mode 000): exit 2"
	like "$(cat "$ERR")" "$T/cases/unreadable\.yaml" "unreadable config: the message names the file"
else
	skip 2 "running as root: mode 000 does not stop reading"
fi
chmod 644 "$T/cases/unreadable.yaml"

# ---------------------------------------------------------------- YAML syntax errors
# line 6 column 13: a second ": " inside a plain scalar
{ head_of syntax; cat <<EOF
targets:
  app:
    source: { git: "$URL", scheme: semver }
    path: /x: y
    channel: stable
EOF
} > "$T/cases/syntax.yaml"
expect_config_error syntax 6 13 'mapping values|not allowed|syntax'

# a quoted scalar opened on line 7 and never closed: libyaml's problem mark
# is the end of the stream (line 8), its context mark the opening quote (7)
{ head_of unclosed; cat <<EOF
targets:
  app:
    source: { git: "$URL", scheme: semver }
    path: $T/apps/app
    channel: "stable
EOF
} > "$T/cases/unclosed.yaml"
expect_config_error unclosed '[78]' '[0-9]+' 'end of stream|quoted|scalar'

# a tab used for indentation (a YAML error that people make), line 5
{ head_of tab; printf 'targets:\n  app:\n\tpath: /x\n'; } > "$T/cases/tab.yaml"
expect_config_error tab 5 '[0-9]+' 'tab|indent|character|found'

# ---------------------------------------------------------------- wrong type
# line 6: a sequence where a path string is expected
{ head_of wrongtype; cat <<EOF
targets:
  app:
    source: { git: "$URL", scheme: semver }
    path: [ $T/apps/a, $T/apps/b ]
    channel: stable
EOF
} > "$T/cases/wrongtype.yaml"
expect_config_error wrongtype 6 '[0-9]+' 'path|string|scalar|sequence'

# line 3: targets must be a mapping, not a number
{ head_of targetsnum; printf 'targets: 5\n'; } > "$T/cases/targetsnum.yaml"
expect_config_error targetsnum 3 '[0-9]+' 'targets|mapping'

# ---------------------------------------------------------------- unknown key
# line 7 column 5: "colour" inside the target
{ head_of unknown; cat <<EOF
targets:
  app:
    source: { git: "$URL", scheme: semver }
    path: $T/apps/app
    colour: red
    channel: stable
EOF
} > "$T/cases/unknown.yaml"
expect_config_error unknown 7 5 'colour'

# line 1 column 1: an unknown top-level key
{ printf 'stat_dir: /var/lib/x\n'; head_of unknowntop; cat <<EOF
targets:
  app:
    source: { git: "$URL", scheme: semver }
    path: $T/apps/app
EOF
} > "$T/cases/unknowntop.yaml"
expect_config_error unknowntop 1 1 'stat_dir'

# ---------------------------------------------------------------- duplicate target
# the second "app:" is on line 7, column 3
{ head_of duplicate; cat <<EOF
targets:
  app:
    source: { git: "$URL", scheme: semver }
    path: $T/apps/app
  app:
    source: { git: "$URL", scheme: semver }
    path: $T/apps/app2
EOF
} > "$T/cases/duplicate.yaml"
expect_config_error duplicate 7 3 'app'

# ---------------------------------------------------------------- relative and missing paths
# line 6: a relative install path
{ head_of relpath; cat <<EOF
targets:
  app:
    source: { git: "$URL", scheme: semver }
    path: apps/app
EOF
} > "$T/cases/relpath.yaml"
expect_config_error relpath 6 '[0-9]+' 'absolute|relative'

# line 1: a relative state_dir
{ printf 'state_dir: state\ncache_dir: %s\n' "$T/cases/relstate.cache"; cat <<EOF
targets:
  app:
    source: { git: "$URL", scheme: semver }
    path: $T/apps/app
EOF
} > "$T/cases/relstate.yaml"
expect_config_error relstate 1 '[0-9]+' 'absolute|relative'
nok "relstate: no ./state created in the working directory" test -e "$T/cwd/state"

# line 4: a target without path
{ head_of nopath; cat <<EOF
targets:
  app:
    source: { git: "$URL", scheme: semver }
    channel: stable
EOF
} > "$T/cases/nopath.yaml"
expect_config_error nopath 4 '[0-9]+' 'path'

# line 5: an unknown version scheme
{ head_of scheme; cat <<EOF
targets:
  app:
    source: { git: "$URL", scheme: calver }
    path: $T/apps/app
EOF
} > "$T/cases/scheme.yaml"
expect_config_error scheme 5 '[0-9]+' 'calver|scheme'

# ---------------------------------------------------------------- every error is reported
{ head_of several; cat <<EOF
targets:
  app:
    source: { git: "$URL", scheme: semver }
    path: apps/app
    colour: red
EOF
} > "$T/cases/several.yaml"
up --config "$T/cases/several.yaml" --check-config
rc_is 2 "two errors: exit 2"
like "$(cat "$ERR")" "^$T/cases/several\.yaml:6:" "two errors: the relative path (line 6) is reported"
like "$(cat "$ERR")" "^$T/cases/several\.yaml:7:5: " "two errors: the unknown key (line 7) is reported too"

done_testing
