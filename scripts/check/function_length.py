#!/usr/bin/env python3
"""Lists C++ functions in the given files longer than a limit (default 80 lines).

    function_length.py [--max 80] FILE...

A function is a brace block whose header (the text since the previous ';', '{' or '}')
ends in a parameter list, optionally followed by qualifiers, and that is not nested in
another function (lambdas and local classes count towards their enclosing function).
Comments, strings and preprocessor lines are ignored.  Exits 1 if any function is too
long; prints "file:line: name is N lines (limit M)" for each.
"""
import argparse
import re
import sys

CONTROL = {"if", "for", "while", "switch", "catch", "do", "else", "try", "return", "sizeof"}


def strip(text):
    """Text with comments, string/char literals and preprocessor lines blanked (newlines kept)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif c == '"' and text.startswith('R"', i - 1) and (i == 0 or True) and out and out[-1] == "R":
            m = re.match(r'"([^(]*)\(', text[i:])
            end = text.find(")" + m.group(1) + '"', i) if m else i
            out.append('""' + "\n" * text.count("\n", i, end))
            i = end + len(m.group(1)) + 2 if m else i + 1
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + c)
            i = j + 1
        elif c == "#" and (i == 0 or text[i - 1] == "\n" or text[:i].rstrip(" \t").endswith("\n")):
            j = i
            while True:
                k = text.find("\n", j)
                if k < 0:
                    k = n
                    break
                if text[k - 1] != "\\":
                    break
                j = k + 1
            out.append("\n" * text.count("\n", i, k))
            i = k
        else:
            out.append(c)
            i += 1
    return "".join(out)


HEADER_RE = re.compile(r"\)\s*(const|override|final|noexcept|mutable|->\s*[\w:<>,\s\*&]+|\s)*$")


def functions(path):
    text = strip(open(path, encoding="utf-8", errors="replace").read())
    stack = []  # entries: (kind, start_line, name)
    header_start = 0
    line = 1
    for i, c in enumerate(text):
        if c == "\n":
            line += 1
        elif c == "{":
            header = text[header_start:i]
            in_function = any(k == "function" for k, _, _ in stack)
            kind = "block"
            name = ""
            h = " ".join(header.split())
            if not in_function and HEADER_RE.search(h) and "=" not in h.split("(")[0]:
                m = re.search(r"([\w:~<>]+(?:operator\s*\S+)?)\s*\(", h)
                first = (m.group(1).split("::")[-1] if m else "")
                if m and first not in CONTROL:
                    kind, name = "function", m.group(1)
            stack.append((kind, line, name))
            header_start = i + 1
        elif c == "}":
            if stack:
                kind, start, name = stack.pop()
                if kind == "function":
                    yield name, start, line - start + 1
            header_start = i + 1
        elif c == ";":
            header_start = i + 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--max", type=int, default=80)
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    bad = 0
    for f in a.files:
        for name, start, length in functions(f):
            if length > a.max:
                print(f"{f}:{start}: {name} is {length} lines (limit {a.max})")
                bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
