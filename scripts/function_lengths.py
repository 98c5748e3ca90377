#!/usr/bin/env python3
"""Lists the C++ functions longer than a limit (default 60 lines) under the folders given.

A function's length runs from the first line of its signature (template line included) to its
closing brace, blank and comment lines included. Lambdas count as part of the function around
them. Exits 1 if any function is too long, naming each with its file, lines and length, so a
ctest keeps DESIGN.md's "an example's functions are short" true.

    scripts/function_lengths.py [--max 60] examples
"""
import argparse
import pathlib
import re
import sys

CONTROL = re.compile(r"^(if|for|while|switch|catch|else|do|try)\b")
NOT_FUNCTION = re.compile(r"^(class|struct|union|enum|namespace|extern)\b|=")
SIGNATURE_END = re.compile(r"\)\s*(const|override|final|noexcept|mutable|->[^{;]*|\s)*$", re.S)
ACCESS = re.compile(r"^((public|private|protected)\s*:\s*)+")


def blank_comments_and_strings(text):
    """The text with comments and string/char literals replaced by spaces (newlines kept)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + " " * (j - i - 1) + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def long_functions(path, limit):
    code = blank_comments_and_strings(path.read_text(encoding="utf-8"))
    line_of = lambda pos: code.count("\n", 0, pos) + 1
    stack, boundary, found = [], 0, []  # stack: (is_function, start line, name) per open brace
    inside_function = lambda: any(entry[0] for entry in stack)
    for pos, c in enumerate(code):
        if c == "{":
            head = code[boundary:pos]
            stripped = ACCESS.sub("", head.strip())
            is_function = (not inside_function() and SIGNATURE_END.search(stripped) is not None
                           and not CONTROL.match(stripped) and not NOT_FUNCTION.search(stripped.split("(")[0]))
            start = line_of(boundary + len(head) - len(head.lstrip()) + (len(head.strip()) - len(stripped)))
            name = stripped.split("(")[0].split()[-1] if is_function and stripped.split("(")[0].split() else ""
            stack.append((is_function, start, name))
            boundary = pos + 1
        elif c == "}":
            if stack:
                is_function, start, name = stack.pop()
                length = line_of(pos) - start + 1
                if is_function and length > limit:
                    found.append((start, line_of(pos), length, name))
            boundary = pos + 1
        elif c == ";":
            boundary = pos + 1
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max", type=int, default=60, help="the most lines a function may have")
    parser.add_argument("folders", nargs="+", type=pathlib.Path)
    args = parser.parse_args()
    files = sorted(f for d in args.folders for ext in ("*.cpp", "*.hpp") for f in d.rglob(ext))
    too_long = [(f, *hit) for f in files for hit in long_functions(f, args.max)]
    for f, start, end, length, name in too_long:
        print(f"{f}:{start}-{end}: {name}() is {length} lines (at most {args.max})")
    print(f"{len(files)} files, {len(too_long)} functions over {args.max} lines")
    return 1 if too_long else 0


if __name__ == "__main__":
    sys.exit(main())
