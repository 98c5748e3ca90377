#!/usr/bin/env python3
"""make_message_corpus.py: a real English->German corpus from the system's gettext catalogues.

    python3 bench/make_message_corpus.py [--out en_de_5000.tsv] [--count 5000] [--seed 1]
        [--dir /usr/share/locale/de/LC_MESSAGES] [--min-words 2] [--max-words 8] [--max-chars 50]

Debian installs the German translations of its programs' messages as compiled catalogues,
DIR/*.mo. Each is decoded with `msgunfmt` (package gettext) and its msgid/msgstr pairs are kept
when
  - the entry has no plural forms (msgid_plural) and no context (msgctxt), and is not the header
    (empty msgid) nor untranslated (empty msgstr);
  - neither side has a format specifier (%), a brace, a newline, a tab (any control character)
    or an escaped quote (\\" in the catalogue);
  - the English side, with surrounding whitespace removed (as on both sides), has --min-words to
    --max-words words (split at whitespace) and at most --max-chars characters;
  - its English side has not been kept already (catalogues in name order, entries in their
    order: the first translation of a message wins).
Then --count of those pairs (all of them if fewer), drawn at random with --seed, are written to
--out as lines english<TAB>german, the format `translate --data` reads (bench/translate_torch.py
--data FILE compares attograd with PyTorch on it). It prints how many pairs were found and
kept, and which catalogues (and Debian packages) were read.
"""
import argparse
import glob
import os
import random
import re
import shutil
import subprocess
import sys

KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")\s*$')
ESCAPE = re.compile(r'\\(x[0-9a-fA-F]+|[0-7]{1,3}|.)')
SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v", "\\": "\\", '"': '"',
          "'": "'", "?": "?"}


def unescape(quoted):
    """A C string literal's contents (without the quotes), escapes resolved."""
    def one(m):
        e = m.group(1)
        if e[0] == "x":
            return chr(int(e[1:], 16))
        if e[0] in "01234567":
            return chr(int(e, 8))
        return SIMPLE.get(e, e)
    return ESCAPE.sub(one, quoted[1:-1])


def entries(po_text):
    """The entries of a .po text as dicts: keyword -> (raw text with escapes, unescaped text)."""
    entry, key = {}, None
    for line in po_text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            if entry and not line:
                yield entry
                entry, key = {}, None
            continue
        m = KEYWORD.match(line)
        if m:
            if m.group(1) in entry or (m.group(1) == "msgctxt" and entry):  # a new entry without a blank line
                yield entry
                entry = {}
            key = m.group(1)
            entry[key] = ["", ""]
            quoted = m.group(2)
        elif line.startswith('"') and key is not None:
            quoted = line
        else:
            continue  # obsolete entries (#~) and the like
        entry[key][0] += quoted[1:-1]
        entry[key][1] += unescape(quoted)
    if entry:
        yield entry


def clean(raw, text):
    """Why a side is unusable ('' if it is usable)."""
    if '\\"' in raw:
        return "escaped quote"
    if "%" in text:
        return "format specifier"
    if "{" in text or "}" in text:
        return "brace"
    if any(ord(c) < 0x20 or c == "\x7f" for c in text):
        return "newline, tab or control character"
    if "\ufffd" in text:
        return "undecodable"
    return ""


def packages_of(paths):
    """path -> Debian package, by dpkg -S (empty if dpkg does not know)."""
    if not shutil.which("dpkg") or not paths:
        return {}
    r = subprocess.run(["dpkg", "-S", *paths], capture_output=True, text=True)
    owners = {}
    for line in r.stdout.splitlines():
        package, _, path = line.partition(": ")
        owners[path.strip()] = package.strip()
    return owners


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].split(": ", 1)[1])
    p.add_argument("--dir", default="/usr/share/locale/de/LC_MESSAGES", help="the catalogues' directory")
    p.add_argument("--out", default="en_de_5000.tsv", metavar="FILE.tsv")
    p.add_argument("--count", type=int, default=5000, help="pairs to write (a seeded random sample)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--min-words", type=int, default=2)
    p.add_argument("--max-words", type=int, default=8)
    p.add_argument("--max-chars", type=int, default=50, help="the English side's limit, in characters")
    a = p.parse_args()
    if a.count < 1 or a.min_words < 1 or a.max_words < a.min_words or a.max_chars < 1:
        p.error("--count and --min-words must be positive, --max-words >= --min-words, --max-chars positive")
    if not shutil.which("msgunfmt"):
        sys.exit("make_message_corpus.py: needs msgunfmt (Debian: apt-get install gettext)")
    catalogues = sorted(glob.glob(os.path.join(a.dir, "*.mo")))
    if not catalogues:
        sys.exit(f"make_message_corpus.py: no catalogues (*.mo) in {a.dir}")

    found, kept, seen, used, dropped = 0, [], set(), [], {}
    for path in catalogues:
        r = subprocess.run(["msgunfmt", path], capture_output=True)
        if r.returncode != 0:
            print(f"skipping {path}: msgunfmt failed: {r.stderr.decode(errors='replace').strip()}", file=sys.stderr)
            continue
        n_found, n_kept = 0, 0
        charset = re.search(rb"charset=([A-Za-z0-9_.:-]+)", r.stdout[:4000])  # the header's (net-tools: Latin-1)
        try:
            text = r.stdout.decode(charset.group(1).decode() if charset else "utf-8", errors="replace")
        except LookupError:
            text = r.stdout.decode("utf-8", errors="replace")
        for e in entries(text):
            if "msgid" not in e or e["msgid"][1] == "":
                continue  # the header
            n_found += 1
            def drop(why):
                dropped[why] = dropped.get(why, 0) + 1
            if "msgctxt" in e or "msgid_plural" in e or "msgstr" not in e:
                drop("context or plural forms")
                continue
            why = clean(*e["msgid"]) or clean(*e["msgstr"])
            if why:
                drop(why)
                continue
            english, german = e["msgid"][1].strip(), e["msgstr"][1].strip()
            if not german:
                drop("untranslated")
                continue
            if not a.min_words <= len(english.split()) <= a.max_words:
                drop(f"not {a.min_words}-{a.max_words} English words")
                continue
            if len(english) > a.max_chars:
                drop(f"English longer than {a.max_chars} characters")
                continue
            if english in seen:
                drop("English side seen before")
                continue
            seen.add(english)
            kept.append((english, german))
            n_kept += 1
        found += n_found
        used.append((path, n_found, n_kept))

    sample = random.Random(a.seed).sample(kept, min(a.count, len(kept)))
    with open(a.out, "w", encoding="utf-8") as f:
        for english, german in sample:
            f.write(f"{english}\t{german}\n")

    owners = packages_of([path for path, _, _ in used])
    print(f"read {len(used)} catalogues in {a.dir}: {found} translated messages found, {len(kept)} pairs kept; "
          f"wrote a random sample of {len(sample)} (--seed {a.seed}) to {a.out}")
    print("dropped: " + ", ".join(f"{n} {why}" for why, n in sorted(dropped.items(), key=lambda x: -x[1])))
    print("catalogues (Debian package: catalogue, messages found, pairs kept):")
    for path, n_found, n_kept in used:
        print(f"  {owners.get(path, '?')}: {os.path.basename(path)}, {n_found}, {n_kept}")
    packages = sorted({owners[path] for path, _, _ in used if path in owners})
    if packages:
        print(f"packages ({len(packages)}): {', '.join(packages)}")


if __name__ == "__main__":
    main()
