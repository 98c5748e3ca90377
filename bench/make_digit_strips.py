#!/usr/bin/env python3
"""A folder of real handwriting for `caption --images`: strips of 3 to 5 handwritten digits.

The digits are the 1 797 scans of the UCI "Optical Recognition of Handwritten Digits" set (43
writers, 8x8, 17 grey levels) that Debian ships inside scikit-learn
(/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz, package python3-sklearn-lib).
Each scan is enlarged to 24x24 (bilinear) as dark ink on light paper; a strip puts 3, 4 or 5 of
them side by side with a little jitter, so the pictures are 24 pixels high and 72 to 120 wide,
captioned with the digits' names ("three one four"). The scans are split first: the strips of
--captions use 80 % of them, those of the test file (test.tsv, for `caption --test`) only the
other 20 %, so that file tests on handwriting the model has never seen.

    /usr/bin/python3 bench/make_digit_strips.py --out /tmp/strips [--train 2200] [--test 600] [--seed 1]
    caption --images /tmp/strips --captions /tmp/strips/captions.tsv --test /tmp/strips/test.tsv
"""
import argparse, gzip, os, struct, sys, zlib

import numpy as np

WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
DIGITS = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"


def png(path, grey):
    """An 8-bit greyscale PNG, written with zlib alone."""
    h, w = grey.shape
    raw = b"".join(b"\x00" + grey[y].tobytes() for y in range(h))
    chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def enlarge(scan, size=24):
    """8x8 -> size x size, bilinear at pixel centres (edges repeat)."""
    n = scan.shape[0]
    c = (np.arange(size) + 0.5) * n / size - 0.5
    lo = np.clip(np.floor(c).astype(int), 0, n - 1)
    hi = np.clip(lo + 1, 0, n - 1)
    t = np.clip(c - np.floor(c), 0, 1)
    rows = scan[lo] * (1 - t)[:, None] + scan[hi] * t[:, None]
    return rows[:, lo] * (1 - t)[None, :] + rows[:, hi] * t[None, :]


def strips(scans, labels, count, rng, folder, prefix):
    lines = []
    for i in range(count):
        k = int(rng.integers(3, 6))
        picked = rng.integers(0, len(scans), size=k)
        paper = np.ones((24, 24 * k))
        for j, s in enumerate(picked):
            ink = enlarge(scans[s] / 16.0)
            dx = int(rng.integers(-2, 3)) if 0 < j < k - 1 else 0
            x0 = max(0, min(24 * k - 24, 24 * j + dx))
            paper[:, x0:x0 + 24] = np.minimum(paper[:, x0:x0 + 24], 1 - ink)
        name = f"{prefix}_{i:05d}.png"
        png(os.path.join(folder, name), np.clip(np.round(paper * 255), 0, 255).astype(np.uint8))
        lines.append(f"{name}\t{' '.join(WORDS[labels[s]] for s in picked)}\n")
    return lines


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True, help="the folder to write (created)")
    p.add_argument("--train", type=int, default=2200, help="strips in captions.tsv (training, validation, test)")
    p.add_argument("--test", type=int, default=600, help="strips in test.tsv, from the held-back scans")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    if not os.path.exists(DIGITS):
        sys.exit(f"{DIGITS} is missing: apt-get install python3-sklearn")
    data = np.loadtxt(gzip.open(DIGITS), delimiter=",")
    scans, labels = data[:, :64].reshape(-1, 8, 8), data[:, 64].astype(int)
    rng = np.random.default_rng(a.seed)
    order = rng.permutation(len(scans))
    cut = int(0.8 * len(scans))
    seen, unseen = order[:cut], order[cut:]
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "captions.tsv"), "w") as f:
        f.writelines(strips(scans[seen], labels[seen], a.train, rng, a.out, "strip"))
    with open(os.path.join(a.out, "test.tsv"), "w") as f:
        f.writelines(strips(scans[unseen], labels[unseen], a.test, rng, a.out, "test"))
    print(f"wrote {a.train} strips from {len(seen)} scans to {a.out}/captions.tsv and {a.test} from the other "
          f"{len(unseen)} scans to {a.out}/test.tsv")


if __name__ == "__main__":
    main()
