#!/bin/bash
# docs_drift.sh - the documentation cannot drift from the code. Read from
# the sources and the binary:
#   - every long and short option of src/main.c's option table is in
#     `upkeep --help`, upkeep(1) and both completion scripts, and bash skips
#     the argument of those that take one;
#   - every batch command of the command tables in src/ is in --help, in the
#     unknown-command message, in upkeep(1)'s BATCH COMMANDS and in both
#     completion scripts;
#   - every exit code of src/upkeep.h is in --help, upkeep(1)'s EXIT STATUS
#     and the README;
#   - every variable the code reads with getenv() is in upkeep(1)'s
#     ENVIRONMENT;
#   - every configuration key and every allowed word of the schema tables of
#     src/config.c is in upkeep.yaml(5), and every key is in
#     data/upkeep.yaml.example;
#   - every package CI installs (contrib/quickstart.sh) is in the README's
#     dependency list and in debian/control's Build-Depends;
#   - groff -ww finds nothing to warn about in either page.
. "$top_srcdir/tests/lib.sh"
command -v python3 >/dev/null 2>&1 || skip_all "python3 missing"

S=$top_srcdir
LC_ALL=C "$UPKEEP" --help > "$T/help.txt" 2>&1 || fail "upkeep --help exits 0"
LC_ALL=C "$UPKEEP" --batch --config /dev/null no-such-command > /dev/null 2> "$T/unknown.txt"

# The checker prints one line per assertion: "ok<TAB>DESC" or
# "not ok<TAB>DESC<TAB>what is missing".
python3 - "$S" "$T/help.txt" "$T/unknown.txt" > "$T/results" <<'PYEOF' || bail "the checker failed"
import glob, re, sys

src, help_file, unknown_file = sys.argv[1:4]
def read(p):
    with open(p, encoding="utf-8", errors="replace") as f:
        return f.read()

help_text = read(help_file)
unknown = read(unknown_file)
man1 = read(f"{src}/data/upkeep.1")
man5 = read(f"{src}/data/upkeep.yaml.5")
readme = read(f"{src}/README")
bash = read(f"{src}/contrib/completion/upkeep.bash")
zsh = read(f"{src}/contrib/completion/_upkeep")
example = read(f"{src}/data/upkeep.yaml.example")
main_c = read(f"{src}/src/main.c")

def roff_plain(text):
    """Man source with the escapes that matter here undone."""
    text = text.replace("\\-", "-").replace("\\(en", "-").replace('\\(dq', '"')
    return re.sub(r"\\f[BIRP]", "", text)

def section(text, name):
    """The body of .SH NAME, up to the next .SH."""
    m = re.search(r'^\.SH "?' + re.escape(name) + r'"?\s*$(.*?)(?=^\.SH |\Z)', text, re.M | re.S)
    return m.group(1) if m else ""

def bold_words(text):
    """Words set in bold: the words of .B lines, the odd words of .BR/.BI
    lines (and every word, to be lenient with alternation), \\fB...\\fR."""
    words = set()
    for line in text.splitlines():
        m = re.match(r"\.(B|BR|BI|RB|IB|TP|SS)\s+(.*)", line)
        if m:
            words.update(w for w in re.split(r'[\s"(),;:]+', roff_plain(m.group(2))) if w)
    for m in re.finditer(r"\\fB(.*?)\\f[RPI]", text):
        words.update(w for w in re.split(r'[\s"(),;:]+', roff_plain(m.group(1))) if w)
    return words

results = []
def check(desc, missing):
    missing = sorted(set(missing))
    if missing:
        results.append(f"not ok\t{desc}\tmissing: {' '.join(missing)}")
    else:
        results.append(f"ok\t{desc}")

# ---- options
longopts = re.findall(r'\{\s*"([a-z][a-z0-9-]*)",\s*(?:no|required|optional)_argument', main_c)
m = re.search(r'getopt_long\([^,]+,[^,]+,\s*"([^"]*)"', main_c)
shortopts = [c for c in (m.group(1) if m else "") if c.isalnum()]
if len(longopts) < 10 or not shortopts:
    results.append(f"not ok\tthe option table of src/main.c is found\tfound {len(longopts)} long, {len(shortopts)} short")
else:
    results.append(f"ok\tthe option table of src/main.c is found ({len(longopts)} long, {len(shortopts)} short options)")
def has_opt(text, opt):
    return re.search(r"(?<![\w-])" + re.escape(opt) + r"(?![\w-])", text) is not None
man1_plain = roff_plain(man1)
man1_options = roff_plain(section(man1, "OPTIONS"))
check("every option is in upkeep --help", [f"--{o}" for o in longopts if not has_opt(help_text, f"--{o}")]
      + [f"-{c}" for c in shortopts if not has_opt(help_text, f"-{c}")])
check("every option is described in upkeep(1) OPTIONS",
      [f"--{o}" for o in longopts if not has_opt(man1_options, f"--{o}")]
      + [f"-{c}" for c in shortopts if not has_opt(man1_options, f"-{c}")])
check("every option is completed by bash", [f"--{o}" for o in longopts if not has_opt(bash, f"--{o}")])
check("every option is completed by zsh", [f"--{o}" for o in longopts if not has_opt(zsh, f"--{o}")])
# An option that takes an argument: bash must skip that argument when it
# looks for the batch command and its arguments.
argopts = re.findall(r'\{\s*"([a-z][a-z0-9-]*)",\s*required_argument', main_c)
m = re.search(r"^\s*(-[\w|-]+)\)\s*\(\(i\+\+\)\)", bash, re.M)
skipped = m.group(1).split("|") if m else []
check(f"bash skips the argument of every option that takes one ({len(argopts)})",
      [f"--{o}" for o in argopts if f"--{o}" not in skipped])

# ---- batch commands: rows { "name", handler } of the tables in src/
commands = []
for path in sorted(glob.glob(f"{src}/src/*.c")):
    for name in re.findall(r'\{\s*"([a-z][a-z0-9-]*)",\s*(?:batch_)?cmd_\w+\s*\}', read(path)):
        if name not in commands:
            commands.append(name)
if len(commands) < 10:
    results.append(f"not ok\tthe batch command tables are found\tfound {commands}")
else:
    results.append(f"ok\tthe batch command tables are found ({len(commands)} commands)")
help_cmds = section_help = help_text.split("Options:")[0]
check("every batch command is in upkeep --help",
      [c for c in commands if not re.search(r"(^|\s|\|\s)" + re.escape(c) + r"(\s|$)", help_cmds, re.M)])
m = re.search(r"available: ([^)]*)\)", unknown)
listed = [w.strip() for w in m.group(1).split(",")] if m else []
check("every batch command is named by the unknown-command message", [c for c in commands if c not in listed])
man_cmds = bold_words(section(man1, "BATCH COMMANDS"))
check("every batch command is described in upkeep(1) BATCH COMMANDS", [c for c in commands if c not in man_cmds])
m = re.search(r"_upkeep_commands='([^']*)'", bash)
bash_cmds = m.group(1).split() if m else []
check("every batch command is completed by bash", [c for c in commands if c not in bash_cmds])
zsh_cmds = re.findall(r"^\s*'([a-z][a-z0-9-]*):", zsh, re.M)
check("every batch command is completed by zsh", [c for c in commands if c not in zsh_cmds])

# ---- exit codes
codes = re.findall(r"\bEXIT_[A-Z_]+\s*=\s*(\d+)", read(f"{src}/src/upkeep.h"))
exit_words = bold_words(section(man1, "EXIT STATUS"))
check(f"every exit code ({' '.join(codes)}) is in upkeep(1) EXIT STATUS", [c for c in codes if c not in exit_words])
help_exit = help_text.split("Exit status:")[-1] if "Exit status:" in help_text else ""
check("every exit code is in upkeep --help", [c for c in codes if not re.search(r"^\s+" + c + r"\s", help_exit, re.M)])
m = re.search(r"^Exit codes.*?(?=\n\n)", readme, re.M | re.S)
readme_exit = m.group(0) if m else ""
check("every exit code is in the README's exit codes", [c for c in codes if not re.search(r"(?<![\d.])" + c + r"(?![\d.])", readme_exit)])

# ---- environment
envs = set()
for path in glob.glob(f"{src}/src/*.c") + glob.glob(f"{src}/ui/*.c"):
    envs.update(re.findall(r'getenv\("([A-Za-z_][A-Za-z0-9_]*)"\)', read(path)))
env_words = bold_words(section(man1, "ENVIRONMENT"))
check(f"every variable read by getenv() ({len(envs)}) is in upkeep(1) ENVIRONMENT", [e for e in envs if e not in env_words])

# ---- configuration keys and words
config_c = read(f"{src}/src/config.c")
keys = set(re.findall(r'\b(?:F|FX|SECTION|LIST)\("([a-z_]+)"', config_c))
keys |= set(re.findall(r'\.key\s*=\s*"([a-z_]+)"', config_c))
words = set(re.findall(r'\{\s*"([a-z][a-z0-9_-]*)",\s*[A-Z][A-Z0-9_]*\s*\}', config_c))
if len(keys) < 30:
    results.append(f"not ok\tthe schema tables of src/config.c are found\tfound {len(keys)} keys")
else:
    results.append(f"ok\tthe schema tables of src/config.c are found ({len(keys)} keys, {len(words)} words)")
man5_words = bold_words(man5)
check("every configuration key is in upkeep.yaml(5)", [k for k in keys if k not in man5_words])
check("every allowed word is in upkeep.yaml(5)", [w for w in words if w not in man5_words])
check("every configuration key is in data/upkeep.yaml.example",
      [k for k in keys if not re.search(r"(^|[\s{,#])" + re.escape(k) + r":", example, re.M)])

# ---- packages: contrib/quickstart.sh's PACKAGES (what CI installs) are the
# README's dependency list and debian/control's Build-Depends.
m = re.search(r"^PACKAGES=\((.*?)^\)", read(f"{src}/contrib/quickstart.sh"), re.M | re.S)
packages = re.sub(r"#.*", "", m.group(1)).split() if m else []
if len(packages) < 10:
    results.append(f"not ok\tquickstart's PACKAGES are found\tfound {packages}")
m = re.search(r"^Dependencies \(Debian package names\):(.*?)\n\n", readme, re.M | re.S)
readme_deps = re.split(r"[\s,()]+", m.group(1)) if m else []
check(f"every package of quickstart's PACKAGES ({len(packages)}) is in the README's dependencies",
      [p for p in packages if p not in readme_deps])
m = re.search(r"^Build-Depends:(.*?)^\S", read(f"{src}/debian/control"), re.M | re.S)
build_deps = re.findall(r"^\s*([a-z0-9][a-z0-9.+-]*)", re.sub(r"#.*", "", m.group(1)), re.M) if m else []
implied = {"build-essential", "debhelper", "dpkg-dev"}  # by dpkg-buildpackage and debhelper-compat
check("every package of quickstart's PACKAGES is in debian/control's Build-Depends",
      [p for p in packages if p not in build_deps and p not in implied])

print("\n".join(results))
PYEOF

while IFS=$'\t' read -r status desc detail; do
	if [ "$status" = ok ]; then pass "$desc"; else fail "$desc"; diag "$detail"; fi
done < "$T/results"

# The pages themselves: groff with all warnings must say nothing.
if command -v groff >/dev/null 2>&1; then
	for page in data/upkeep.1 data/upkeep.yaml.5; do
		run groff -ww -z -t -man -Tutf8 "$S/$page"
		if [ "$RC" = 0 ] && [ ! -s "$ERR" ]; then pass "groff -ww: $page has no warning"; else
			fail "groff -ww: $page has no warning"; show_run
		fi
	done
else
	skip 2 "groff missing"
fi
done_testing
