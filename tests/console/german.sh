#!/bin/bash
# german.sh - upkeep in German: the catalogue po/de.po is complete and
# valid, po/POTFILES.in lists every file that marks strings, and with
# LANGUAGE=de the real binary speaks German in batch errors, in the text
# output of --batch check and --help, and in the console at 80x24 (tab bar,
# column headings, status line, help overlay, and the engine's data words
# on every pane and dialog), while the JSON output stays the same as in
# English. po/de.po is compared with the strings of the current sources.
#
# How the binary finds the catalogue without `make install`: the build
# compiles po/de.po into po/de.gmo (gettext's po/Makefile, in the source
# tree like every .gmo); the test copies it to $T/locale/de/LC_MESSAGES/
# upkeep.mo and points UPKEEP_LOCALEDIR (read by main() instead of the
# configured LOCALEDIR) at $T/locale.
#
# The locale is C.UTF-8, which Debian's libc has built in (no locales
# package, no locale-gen): glibc honours LANGUAGE in C.UTF-8 but ignores it
# in the plain C/POSIX locale, which is checked here too.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/console/lib.sh"
command -v msgfmt > /dev/null 2>&1 || skip_all "msgfmt (gettext) missing"
command -v jq > /dev/null 2>&1 || skip_all "jq missing"

S=$top_srcdir
PO=$S/po/de.po
GMO=$S/po/de.gmo
[ -f "$GMO" ] || bail "po/de.gmo is missing: make builds it from po/de.po (po/LINGUAS names de)"
mkdir -p "$T/locale/de/LC_MESSAGES"
cp "$GMO" "$T/locale/de/LC_MESSAGES/upkeep.mo"
export UPKEEP_LOCALEDIR=$T/locale
unset LC_ALL LC_MESSAGES LANGUAGE
export LANG=C.UTF-8

# de ARGS... : upkeep in German ($OUT, $ERR, $RC as with run).
de() { run env LANGUAGE=de "$UPKEEP" "$@"; }
# en ARGS... : the same without LANGUAGE.
en() { run "$UPKEEP" "$@"; }

# ------------------------------------------------------------ the catalogue
stats=$(LC_ALL=C msgfmt --check --statistics -o /dev/null "$PO" 2>&1)
# msgfmt names fuzzy and untranslated messages only when there are some.
like "$stats" '^[0-9]+ translated messages\.$' \
	"msgfmt --check passes on po/de.po: 0 fuzzy, 0 untranslated ($stats)"
n=${stats%% *}
ok "po/de.po translates more than 700 messages ($n)" test "${n:-0}" -gt 700
like "$(cat "$S/po/LINGUAS")" '^de$' "po/LINGUAS names de"
like "$(grep -m1 '^"Plural-Forms:' "$PO")" 'nplurals=2; plural=\(n != 1\);' \
	"po/de.po has German plural forms"

# Every source file that marks strings is extracted by xgettext, and every
# listed file exists.
unlisted= gone=
for f in "$S"/src/*.c "$S"/ui/*.c; do
	rel=${f#"$S"/}
	grep -qE '(^|[^A-Za-z0-9_])(N?_|ngettext)\(' "$f" &&
		! grep -qx "$rel" "$S/po/POTFILES.in" && unlisted="$unlisted $rel"
done
while read -r rel; do
	case $rel in '' | '#'*) continue ;; esac
	[ -f "$S/$rel" ] || gone="$gone $rel"
done < "$S/po/POTFILES.in"
is "$unlisted" "" "po/POTFILES.in lists every src/*.c and ui/*.c that marks strings"
is "$gone" "" "every file po/POTFILES.in lists exists"

# po/de.po against the current sources, not only against itself: extract
# the strings as po/Makefile does (POTFILES.in, the options of po/Makevars)
# into a scratch .pot, merge po/de.po with it into a scratch .po, and count
# what the merge leaves untranslated or fuzzy. A string added to the sources
# since the last `make update-po` fails here, naming itself.
if command -v xgettext > /dev/null 2>&1 && command -v msgmerge > /dev/null 2>&1; then
	read -r -a xopts <<< "$(sed -n 's/^XGETTEXT_OPTIONS *= *//p' "$S/po/Makevars")"
	xgettext --directory="$S" --files-from="$S/po/POTFILES.in" "${xopts[@]}" \
		--add-comments=TRANSLATORS: -o "$T/current.pot" 2> "$T/xgettext.err"
	ok "xgettext extracts the current sources (${#xopts[@]} options from po/Makevars)" \
		test -s "$T/current.pot"
	msgmerge --quiet -o "$T/merged.po" "$PO" "$T/current.pot" 2> "$T/msgmerge.err"
	merged=$(LC_ALL=C msgfmt --statistics -o /dev/null "$T/merged.po" 2>&1)
	like "$merged" '^[0-9]+ translated messages\.$' \
		"po/de.po translates every string of the current sources: 0 untranslated, 0 fuzzy after msgmerge ($merged)" ||
		diag "new or changed strings (run make -C build/po update-po, then translate them in po/de.po):
$({ msgattrib --untranslated "$T/merged.po"; msgattrib --only-fuzzy "$T/merged.po"; } 2> /dev/null |
	grep -E '^(#:|msgid)' | grep -v '^msgid ""$' | head -40)"
else
	skip 2 "xgettext or msgmerge missing: po/de.po not compared with the sources"
fi

# ------------------------------------------------------------ batch messages
de --help
rc_is 0 "--help in German exits 0"
like "$(cat "$OUT")" '^Aufruf: upkeep \[OPTION\]\.\.\. +öffnet die Konsole$' "--help: the synopsis in German"
like "$(cat "$OUT")" '^Batch-Befehle:$' "--help: the batch commands heading in German"
like "$(cat "$OUT")" '^Exit-Status:$' "--help: the exit status heading in German"
like "$(cat "$OUT")" '^  100  check: Updates sind verfügbar$' "--help: the exit codes keep their numbers"

printf 'targets:\n  x:\n    path: /srv/x\n    sourc: {}\n' > "$T/bad.yaml"
de --config "$T/bad.yaml" --check-config
rc_is 2 "--check-config on a bad file: exit 2 in German too"
like "$(cat "$ERR")" 'bad\.yaml:4:5: targets\.x: unbekannter Schlüssel "sourc" \(erwartet: einer von: source, ' \
	"--check-config: the unknown key reported in German, the key names as they are"
like "$(cat "$ERR")" 'Pflichtschlüssel "source" fehlt' "--check-config: the missing key reported in German"
en --config "$T/bad.yaml" --check-config
like "$(cat "$ERR")" 'unknown key "sourc"' "without LANGUAGE the same error is in English"
run env LANG=C LANGUAGE=de "$UPKEEP" --config "$T/bad.yaml" --check-config
like "$(cat "$ERR")" 'unknown key "sourc"' "LANGUAGE=de in the C locale: English (glibc ignores LANGUAGE there)"

de --batch --config /dev/null no-such-command
like "$(cat "$ERR")" 'unbekannter Batch-Befehl "no-such-command"' "an unknown batch command in German"

up --demo "$T/demo"
rc_is 0 "upkeep --demo creates the demo" || { show_run; bail "no demo"; }
CONF=$T/demo/upkeep.yaml
de --config "$CONF" --check-config
like "$(cat "$OUT")" 'upkeep\.yaml: Konfiguration ist gültig \(2 Ziele\)$' "--check-config: valid, with the plural"

de --config "$CONF" --batch check
rc_is 100 "--batch check in German: exit 100 (updates), as in English"
like "$(cat "$OUT")" '^ZIEL +INSTALLIERT +ANGEBOTEN +ART +MERKMALE +NEUERE +VERTRAUEN$' "--batch check: the table headings in German"
like "$(cat "$OUT")" '^notekeeper +1\.0\.0 +2\.0\.0 ' "--batch check: the rows as in English"

de --config "$CONF" --batch check --json
rc_is 100 "--batch check --json in German: exit 100"
de_json=$(jq -c 'del(.checked_at)' < "$OUT" 2>&1)
en --config "$CONF" --batch check --json
like "$de_json" '"kind":"major",.*"flags":\["security"\]' "--batch check --json in German: kinds and flags as the machine words"
is "$de_json" "$(jq -c 'del(.checked_at)' < "$OUT" 2>&1)" \
	"--batch check --json: the same lines in German as in English (but checked_at)"

de --config "$CONF" --batch backup notekeeper
rc_is 0 "--batch backup in German exits 0"
like "$(cat "$OUT")" '^notekeeper: Snapshot [0-9]+: [0-9]+ Dateien, ' "--batch backup: the summary in German"

# ------------------------------------------------------------ the console
RUN_ENV="LANGUAGE=de UPKEEP_LOCALEDIR=$T/locale" start 80 24 --config "$CONF"
see '1 Updates │ 2 Fortschritt │ 3 Sicherungen │ 4 Verlauf' "console: the tab bar in German, all four panes at 80x24"
see '^  Ziel +Installiert +Neueste +Art +Merkmale' "console: the Updates columns in German"
see '^▶ notekeeper +1\.0\.0 +2\.0\.0 +\[M\]Haupt +Sicherheit' "console: kind and flag names in German"
see '^ Enter Details i einspielen c prüfen C alle 1-4 Bereich \? Hilfe q Ende' \
	"console: the status line's hints in German, none cut at 80 columns"
keys '?'
see '─ Tasten ─' "console: the help overlay opens with its German title"
see '│ Überall +│' "console: the help's first group in German"
see '│  1-4 +Bereich 1 Updates, 2 Fortschritt, 3 Sicherungen, 4 Verlauf +│' \
	"console: a help line in German, not cut at 80 columns"
see 'j/k blättert, Esc schließt' "console: the help's frame hint in German"
keys Escape
gone '─ Tasten ─' "console: Esc closes the help"
keys 3
see '^  Nr\. +Datum +Version +Grund +Größe +Neu +Geprüft +Pin' "console: the Backups columns in German (Dateien left out at 80 columns)"
see '^ b sichern Enter Dateien v prüfen p anheften d vergessen r wiederherstellen' \
	"console: the Backups hints in German, none cut at 80 columns"
keys 4
see '^  Job +Art +Ziel +Ergebnis +Begonnen +Dauer +Fehler' "console: the History columns in German"
keys 2
see '^  Job +Was +Fortschritt +Fertig +Zustand' "console: the Progress columns in German"
is "$(widest)" 80 "console: no line wider than the terminal"

# ------------------------------------------------------------ data words
# The engine's data words stay English in the state database, the JSON and
# the logs; the console translates them when it draws. DATA_WORDS are the
# English ones (job kinds, outcomes, step names, log levels, release kinds,
# signature verdicts, snapshot reasons, Progress states) that must not be
# left on a German screen; paths (the test directory's name) are left out.
DATA_WORDS='check|install|backup|restore|verify|prune|recover|forget|pin|unpin|plan|diff|drill'
DATA_WORDS+='|policy|repair|queued|running|failed|cancelled|rolled back|recovered|major|minor'
DATA_WORDS+='|patch|pre-release|unsigned|signed|not checked|bad signature|unknown key|key expired'
DATA_WORDS+='|wrong tag|manual|scheduled|pre-update|pre-restore|preflight|intent|download|snapshot'
DATA_WORDS+='|stage|preserve|swap|health|finish|rollback|compare|warning|error|done'
# english_left [ERE] : the English data words on the screen (on the lines
# matching ERE only, when given).
english_left() {
	printf '%s\n' "$SCREEN" | grep -E -- "${1:-.}" | sed -E 's#[^ │]*/[^ │]*##g' |
		grep -owE "$DATA_WORDS" | sort -u | tr '\n' ' '
}
keys 1
see '^▶ notekeeper +1\.0\.0 +2\.0\.0 ' "Updates again"
is "$(english_left)" "" "Updates: no English data word"
keys Enter
see '│ Art: \[M\] Hauptversion' "release details: the release kind in full, in German"
see '│ Signatur: unsigniert' "release details: the signature verdict in German"
details='│ (Art|Signatur|Datum|Tagger):'
is "$(english_left "$details")" "" "release details: no English data word in kind, date, tagger, verdict"
keys End
see '│   Verifizierung: unsigniert \(Tag-Objekt' "release details: the plan's verification note in German"
plan='│   (Platzbedarf|Snapshot|Bereitstellung|Tausch|Health-Check|Abschluss|Verifizierung):'
is "$(english_left "$plan")" "" "release details: no English data word in the install plan"
keys Escape
keys 3
see '^▶ #1 +[0-9-]+ [0-9:]+ +1\.0\.0 +manuell ' "Backups: the snapshot reason in German"
is "$(english_left)" "" "Backups: no English data word"
keys b
keys 2
see '#[0-9]+ +Sicherung notekeeper .* fertig' "Progress: the backup is done, in German"
see 'Schritte: ✓ Snapshot' "Progress: the job's steps in German"
is "$(english_left)" "" "Progress (a backup): no English data word"
keys G
see '^  notekeeper: 3 neuere, neueste 2\.0\.0 \(Hauptversion\)$' "Progress: the check's log names the release kind in German"
is "$(english_left)" "" "Progress (a check): no English data word"
keys 4
see '^▶ #[0-9]+ +Sicherung +notekeeper +ok ' "History: the job kind in German"
see '^  #[0-9]+ +Prüfung +\(alle\) +ok ' "History: the check, in German"
is "$(english_left)" "" "History: no English data word"
keys Enter
see 'Job #[0-9]+: Sicherung notekeeper, ok' "History's step log: kind and outcome in German"
see '│   ✓ Snapshot' "History's step log: the step's name in German"
is "$(english_left)" "" "History's step log: no English data word"
keys Escape
for w in ok gescheitert zurückgerollt abgebrochen läuft; do
	keys o
	see "\\[Ergebnis $w\\]" "History's outcome filter: $w"
done
keys o
gone '\[Ergebnis ' "o cycles back to every outcome"
keys 3
see '^▶ #2 +[0-9-]+ [0-9:]+ +1\.0\.0 +manuell ' "Backups: the console's backup is snapshot 2"
keys d
see 'Snapshot 2 vergessen\?' "the forget dialog in German"
is "$(english_left)" "" "the forget dialog: no English data word"
keys n
gone 'Snapshot 2 vergessen' "n keeps the snapshot"
keys r
see 'Was sich im lebenden Baum ändert:' "the restore dialog in German, with the comparison"
is "$(english_left)" "" "the restore dialog: no English data word"
keys Escape
quit_console "console: q quits with status 0"

done_testing
