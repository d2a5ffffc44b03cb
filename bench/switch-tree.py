#!/usr/bin/env python3
"""bench/switch-tree.py FILES BYTES - the release repository of bench/switch.sh
as a `git fast-import` stream on stdout: refs/heads/main with two commits
tagged v1.0.0 and v1.1.0.

1.0.0: FILES files in 400 directories (a few levels deep), BYTES in all.
  - 90% of the files are text (.c .h .py .js .css .html .json .md): lines
    drawn from 65,536 code-like lines, so that they compress like source
    (zstd -3 to about a third) but no two files are alike;
  - 10% are binaries (.png .woff2 .so .jar .gz): random bytes,
    incompressible, about ten times larger than the text files on average.
  Sizes are lognormal, scaled so that the total is BYTES. Everything is
  unique: neither git nor a deduplicating store can share content between
  files.
1.1.0: 1% of the files changed (the two first files of every directory;
  a line appended), as a small release does.

Deterministic for given arguments apart from the random bytes and lines.
"""
import os
import random
import sys

TEXT_EXT = (".c", ".h", ".py", ".js", ".css", ".html", ".json", ".md")
BIN_EXT = (".png", ".woff2", ".so", ".jar", ".gz")
WORDS = ("static", "const", "return", "if", "else", "for", "while", "struct",
         "int", "char", "void", "size_t", "self", "def", "import", "from",
         "function", "var", "let", "class", "public", "private", "null",
         "true", "false", "err", "buf", "len", "ctx", "name", "value", "key",
         "path", "node", "list", "item", "index", "count", "data", "config",
         "(", ")", "{", "}", "[", "]", ";", ",", "=", "==", "+", "->", ".",
         "0", "1", "42", "\"%s\"", "/*", "*/", "#", "<div>", "</div>")


def line_pool(rnd, n):
    pool = []
    for _ in range(n):
        indent = "\t" * rnd.randrange(0, 4)
        words = rnd.choices(WORDS, k=rnd.randrange(2, 12))
        ident = "%s_%x" % (rnd.choice(WORDS[:40]), rnd.getrandbits(24))
        words.insert(rnd.randrange(0, len(words) + 1), ident)
        pool.append((indent + " ".join(words) + "\n").encode())
    return pool


def text_content(rnd, pool, size):
    out = []
    got = 0
    while got < size:
        lines = rnd.choices(pool, k=max(1, (size - got) // 40 + 1))
        out.extend(lines)
        got += sum(map(len, lines))
    return b"".join(out)[:size]


def blob(out, mark, data):
    out.write(b"blob\nmark :%d\ndata %d\n" % (mark, len(data)))
    out.write(data)
    out.write(b"\n")


def commit(out, mark, parent, when, message, changes):
    out.write(b"commit refs/heads/main\nmark :%d\n" % mark)
    out.write(b"committer bench <bench@upkeep.invalid> %d +0000\n" % when)
    out.write(b"data %d\n%s\n" % (len(message), message))
    if parent:
        out.write(b"from :%d\n" % parent)
    for path, m in changes:
        out.write(b"M 100644 :%d %s\n" % (m, path.encode()))
    out.write(b"\n")


def tag(out, name, mark):
    out.write(b"reset refs/tags/%s\nfrom :%d\n\n" % (name.encode(), mark))


def main():
    files, total = int(sys.argv[1]), int(sys.argv[2])
    rnd = random.Random(42)
    pool = line_pool(rnd, 65536)
    out = sys.stdout.buffer
    binary = [rnd.random() < 0.10 for _ in range(files)]
    raw = [rnd.lognormvariate(10.3 if b else 8.0, 1.1) for b in binary]
    scale = total / sum(raw)
    dirs = ["%s/m%02d/d%03d" % (("src", "lib", "static", "share")[d % 4], d % 23, d)
            for d in range(400)]
    paths, marks, first_two = [], [], {}
    for i in range(files):
        d = i % 400
        ext = rnd.choice(BIN_EXT if binary[i] else TEXT_EXT)
        path = "%s/f%05d%s" % (dirs[d], i, ext)
        size = max(1, int(raw[i] * scale))
        data = os.urandom(size) if binary[i] else text_content(rnd, pool, size)
        blob(out, i + 1, data)
        paths.append(path)
        marks.append(i + 1)
        if len(first_two.setdefault(d, [])) < 2:
            first_two[d].append((i, data))
    c1 = files + 1
    commit(out, c1, 0, 1700000000, b"1.0.0", zip(paths, marks))
    tag(out, "v1.0.0", c1)
    mark = c1
    changes = []
    for d in sorted(first_two):
        for i, data in first_two[d]:
            mark += 1
            blob(out, mark, data + b"\nchanged in 1.1.0\n")
            changes.append((paths[i], mark))
    commit(out, mark + 1, c1, 1700086400, b"1.1.0", changes)
    tag(out, "v1.1.0", mark + 1)


if __name__ == "__main__":
    main()
