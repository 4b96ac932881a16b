#!/usr/bin/env python3
"""Checks the documentation (README.md, docs/*.md) against the repository.

    check_docs.py <source dir> paths
        every repository file the documentation names (in `code`, in links) exists;
    check_docs.py <source dir> examples
        every command block (```sh / ```bash) is safe to copy: each udeflow command names
        a known command and an existing case file, writes to its own -output_dir (never
        results/<case>, where scripts/run.sh keeps the finished model), gives
        -catalyst_output with any -catalyst_* option, and mentions --oversubscribe when
        it asks for more than 2 ranks; every script it runs exists;
    check_docs.py <source dir> run <udeflow build dir> <work dir>
        runs the blocks marked
            <!-- docs-example: runnable [append_<command>="..."] [expect="a|b"] -->
        in <work dir> (cases/ and scripts/ linked from the sources, build/ from the build),
        with the options of append_<command> added to each udeflow <command> (to shorten
        it), and requires each `expect` text in the output.

Exit status 1 with one line per problem (file:line: what) when anything fails.
"""
import os
import re
import shlex
import subprocess
import sys

COMMANDS = {"generate", "train", "evaluate", "bsde", "diagnose", "discover", "help"}
PATH_RE = re.compile(
    r"(?<![\w./-])((?:cases|scripts|src|include|tests|docs|cmake|examples)/[\w.+/-]*[\w+]"
    r"|LICENSE|CITATION\.cff|README\.md|CMakeLists\.txt)")
MARK_RE = re.compile(r"<!--\s*docs-example:\s*runnable(.*?)-->")


def doc_files(src):
    files = [os.path.join(src, "README.md")]
    ddir = os.path.join(src, "docs")
    for root, _, names in os.walk(ddir):
        files += [os.path.join(root, n) for n in sorted(names) if n.endswith(".md")]
    return files


def blocks(path):
    """(line, language, text, marker) of every fenced block."""
    out, lines = [], open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^```(\w*)", lines[i])
        if not m:
            i += 1
            continue
        start, lang, body = i + 1, m.group(1), []
        marker = None
        for back in range(i - 1, max(-1, i - 3), -1):
            mm = MARK_RE.search(lines[back])
            if mm:
                marker = mm.group(1)
                break
        i += 1
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        out.append((start, lang, "\n".join(body), marker))
        i += 1
    return out


def commands(text):
    """Shell lines of a block with continuations joined and comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", text)
    out = []
    for line in joined.split("\n"):
        s = line.split(" #")[0].strip()
        if s and not s.startswith("#"):
            out.append(s)
    return out


def check_paths(src):
    problems = []
    for f in doc_files(src):
        rel = os.path.relpath(f, src)
        for n, line in enumerate(open(f, encoding="utf-8"), 1):
            for link in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", line):
                if "://" in link:
                    continue
                target = os.path.normpath(os.path.join(os.path.dirname(f), link))
                if not os.path.exists(target):
                    problems.append("%s:%d: link to a missing file: %s" % (rel, n, link))
            for code in re.findall(r"`([^`]+)`", line) + [line]:
                for p in PATH_RE.findall(code):
                    if any(c in p for c in "<>*{}$"):
                        continue
                    if not os.path.exists(os.path.join(src, p)):
                        problems.append("%s:%d: names a missing file: %s" % (rel, n, p))
    return sorted(set(problems))


def udeflow_args(cmd):
    """The words after `udeflow` in a shell command, or None."""
    try:
        words = shlex.split(cmd)
    except ValueError:
        return None
    for i, w in enumerate(words):
        if w == "udeflow" or w.endswith("/udeflow"):
            return words[i + 1:]
    return None


def check_command(src, doc_text, cmd):
    problems = []
    m = re.search(r"mpiexec\s+-n\s+(\d+)", cmd)
    if m and int(m.group(1)) > 2 and "--oversubscribe" not in cmd and "--oversubscribe" not in doc_text:
        problems.append("more than 2 ranks without a word about --oversubscribe")
    for w in shlex.split(cmd):
        if re.match(r"^(scripts|cases)/", w) and not any(c in w for c in "<>*{}$"):
            if not os.path.exists(os.path.join(src, w)):
                problems.append("runs a missing file: " + w)
    args = udeflow_args(cmd)
    if args is None or not args or args[0].startswith("--"):
        return problems
    if args[0] not in COMMANDS:
        return problems + ["unknown udeflow command: " + args[0]]
    opts = {}
    for i, a in enumerate(args):
        if a.startswith("-") and i + 1 < len(args):
            opts[a] = args[i + 1]
    case = opts.get("-options_file")
    if case and not any(c in case for c in "<>*{}$") and not os.path.exists(os.path.join(src, case)):
        problems.append("missing case file " + case)
    if "-help" in args or args[0] == "help":
        return problems
    out = opts.get("-output_dir")
    if not out:
        problems.append("no -output_dir of its own")
    elif case and args[0] == "train" and out.rstrip("/") == "results/" + os.path.basename(case).rsplit(".", 1)[0]:
        problems.append("trains into %s, where scripts/run.sh keeps the finished model" % out)
    if any(a.startswith("-catalyst_") for a in args) and "-catalyst_output" not in opts:
        problems.append("-catalyst_* without -catalyst_output")
    return problems


def check_examples(src):
    problems = []
    for f in doc_files(src):
        rel, text = os.path.relpath(f, src), open(f, encoding="utf-8").read()
        for line, lang, body, _ in blocks(f):
            if lang not in ("sh", "bash"):
                continue
            for cmd in commands(body):
                for p in check_command(src, text, cmd):
                    problems.append("%s:%d: %s: %s" % (rel, line, p, cmd[:90]))
    return problems


def attribute(marker, name):
    m = re.search(name + r'="([^"]*)"', marker or "")
    return m.group(1) if m else ""


def run_examples(src, build, work):
    os.makedirs(work, exist_ok=True)
    for name, target in (("cases", os.path.join(src, "cases")), ("scripts", os.path.join(src, "scripts")),
                         ("build", build)):
        link = os.path.join(work, name)
        if not os.path.lexists(link):
            os.symlink(target, link)
    problems, ran = [], 0
    for f in doc_files(src):
        rel = os.path.relpath(f, src)
        for line, lang, body, marker in blocks(f):
            if marker is None or lang not in ("sh", "bash"):
                continue
            script = ["set -e"]
            for cmd in commands(body):
                args = udeflow_args(cmd)
                extra = attribute(marker, "append_" + args[0]) if args else ""
                script.append(cmd + (" " + extra if extra else ""))
            ran += 1
            print("== %s:%d" % (rel, line), flush=True)
            p = subprocess.run(["bash", "-c", "\n".join(script)], cwd=work, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, universal_newlines=True)
            print(p.stdout, flush=True)
            if p.returncode != 0:
                problems.append("%s:%d: the example failed (exit %d)" % (rel, line, p.returncode))
                continue
            for e in filter(None, attribute(marker, "expect").split("|")):
                if e not in p.stdout:
                    problems.append("%s:%d: the output lacks '%s'" % (rel, line, e))
    if ran == 0:
        problems.append("no runnable example found")
    return problems


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    src, what = sys.argv[1], sys.argv[2]
    if what == "paths":
        problems = check_paths(src)
    elif what == "examples":
        problems = check_examples(src)
    elif what == "run" and len(sys.argv) == 5:
        problems = run_examples(src, sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)
    for p in problems:
        print(p)
    if problems:
        sys.exit(1)
    print("docs %s: ok" % what)


if __name__ == "__main__":
    main()
