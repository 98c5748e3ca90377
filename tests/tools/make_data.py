#!/usr/bin/env python3
"""Writes the small safetensors files the tests use, byte by byte, without torch or numpy.

    python3 tests/tools/make_data.py

tests/tools/data/   files attograd-inspect is run on (tests/tools/CMakeLists.txt)
tests/fuzz/corpus/  seed inputs for the fuzzer (tests/fuzz/run_fuzzer.sh)

The files are committed, so the test suite needs no Python; run this again only to change them.
Writing the format here independently of attograd's writer also checks that attograd reads
files it did not write itself.
"""
import json
import pathlib
import struct

HERE = pathlib.Path(__file__).resolve().parent
DATA = HERE / "data"
CORPUS = HERE.parent / "fuzz" / "corpus"


def header_bytes(header):
    """The JSON header, compact and padded with spaces to a multiple of 8 bytes, as the Python
    safetensors library writes it, preceded by its little-endian u64 length."""
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text


def safetensors(tensors, metadata=None, dtype="F32"):
    """tensors: list of (name, shape, flat list of floats), written in this order."""
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    data = b""
    for name, shape, values in tensors:
        raw = struct.pack(f"<{len(values)}f", *values)
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    return header_bytes(header) + data


def raw_header(header_text, data_bytes):
    """A file with a hand-written (possibly malformed) header and `data_bytes` zero bytes."""
    text = header_text.encode("utf-8")
    return struct.pack("<Q", len(text)) + text + b"\0" * data_bytes


GOOD = safetensors(
    [("encoder.weight", [3, 4], [0.5 * i for i in range(12)]),
     ("encoder.bias", [4], [1.0, -1.0, 0.25, 0.0]),
     ("scale", [], [2.0]),
     ("empty", [0, 3], [])],
    metadata={"format": "pt", "source": "make_data.py"})

DATA_FILES = {
    "good.safetensors": GOOD,
    "f16.safetensors": raw_header(
        '{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}', 4),
    "truncated.safetensors": GOOD[:-4],
    "not_json.safetensors": raw_header('{"w": {"dtype": ', 0),
    "short.safetensors": b"\x05\x00\x00",
    "duplicate.safetensors": raw_header(
        '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
        '"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', 8),
}

CORPUS_FILES = {
    "good.safetensors": GOOD,
    "empty.safetensors": safetensors([]),
    "scalar_and_zero_size.safetensors": safetensors(
        [("s", [], [3.0]), ("z", [2, 0], []), ("v", [2], [1.0, 2.0])]),
    "metadata_only.safetensors": safetensors([], metadata={"k": "v", "epoch": "3"}),
    "f16.safetensors": DATA_FILES["f16.safetensors"],
    "overlap.safetensors": raw_header(
        '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
        '"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}', 12),
    "gap.safetensors": raw_header(
        '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
        '"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}', 12),
}


def main():
    for folder, files in ((DATA, DATA_FILES), (CORPUS, CORPUS_FILES)):
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            (folder / name).write_bytes(content)
            print(f"wrote {folder / name} ({len(content)} bytes)")


if __name__ == "__main__":
    main()
