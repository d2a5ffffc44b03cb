#!/bin/bash
# trust_moved.sh - a tag that moves after upkeep first saw it is flagged by
# check and refused by install without --allow-moved-tag; the highest
# version ever installed is a floor that install keeps (--allow-downgrade),
# even after the installed release went lower.
. "$top_srcdir/tests/lib.sh"
umask 022

W=$T/work/app
git_work "$W"
git_release "$W" v1.0.0 "Release 1.0.0"
git_release "$W" v1.5.0 "Release 1.5.0"
git_release "$W" v2.0.0 "Release 2.0.0"
git_bare "$W" "$T/srv/app.git"
SRV=$T/srv/app.git
mkdir -p "$T/apps"
CFG=$T/upkeep.yaml
config_new "$CFG"
config_target "$CFG" app "file://$SRV" "$T/apps/app"

plan 24

up --config "$CFG" --batch check --json
rc_is 100 "first check: exit 100"
first=$(git --git-dir="$SRV" rev-parse refs/tags/v2.0.0)
is "$(jq_release app v2.0.0 .moved)" "false" "a tag seen for the first time has not moved"

# the server re-points v2.0.0 at other content
git -C "$W" checkout -q -b other HEAD~1 || bail "branch"
printf 'rewritten\n' > "$W/lib/core.txt"
git -C "$W" commit -q -am "Other content" || bail "commit"
git -C "$W" tag -f -a -m "Release 2.0.0 (again)" v2.0.0 > /dev/null || bail "re-tag"
git -C "$W" push -q -f "$SRV" refs/tags/v2.0.0 2> /dev/null || bail "push the moved tag"
now=$(git --git-dir="$SRV" rev-parse refs/tags/v2.0.0)
isnt "$now" "$first" "fixture: the tag now points at another object"

up --config "$CFG" --batch check --json
is "$(jq_release app v2.0.0 .moved)" "true" "check: the moved tag is flagged"
is "$(jq_release app v2.0.0 .first_object)" "$first" "json: the object it had when first seen"
is "$(jq_release app v2.0.0 .object)" "$now" "json: the object it has now"
is "$(jq_target app .moved)" "true" "json: the newest release's tag moved"
is "$(jq_release app v1.5.0 .moved)" "false" "other tags are not flagged"
up --config "$CFG" --batch check
like "$(cat "$ERR")" "app: tag v2\\.0\\.0 moved: first seen at $first, now $now" "text: a warning names the tag and both objects"
like "$(cat "$OUT")" '^app .* MOVED TAG, unsigned$' "text: the TRUST column says MOVED TAG"

up --config "$CFG" --batch install app 2.0.0
rc_is 8 "install of a moved tag: refused (exit 8)"
like "$(cat "$ERR")" "its tag moved \\(first seen at $first, now $now; use --allow-moved-tag" \
	"... saying so and how to override"
ok "... nothing installed" test ! -e "$T/apps/app"
up --config "$CFG" --batch install --json app 2.0.0 --allow-moved-tag
rc_is 0 "--allow-moved-tag installs it"
is "$(jq -r '[.log[] | select(startswith("moved tag: allowed (--allow-moved-tag)"))] | length' < "$OUT")" 1 \
	"the journal records the override"
is "$(cat "$T/apps/app/lib/core.txt")" "rewritten" "what was installed is what the tag points at now"

# ------------------------------------------------------------ rollback floor
up --config "$CFG" --batch install app 1.0.0
rc_is 1 "a release older than the installed one: refused"
up --config "$CFG" --batch install app 1.0.0 --allow-downgrade
rc_is 0 "... installed with --allow-downgrade"
up --config "$CFG" --batch check --json
is "$(jq_release app v1.5.0 .below_highest)" "true" \
	"check: 1.5.0 is newer than the installed 1.0.0 but below the highest ever installed"
is "$(jq_release app v2.0.0 .below_highest)" "false" "2.0.0 (the highest itself) is not below it"
is "$(jq_target app .newer)" "1" "only 2.0.0 is offered"
up --config "$CFG" --batch install app 1.5.0
rc_is 1 "install 1.5.0 (above installed, below the highest): refused"
like "$(cat "$ERR")" "1\\.5\\.0 is older than 2\\.0\\.0, the highest version ever installed \\(use --allow-downgrade" \
	"... naming the highest version ever installed"
up --config "$CFG" --batch install app 1.5.0 --allow-downgrade
rc_is 0 "... installed with --allow-downgrade"
