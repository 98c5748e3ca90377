"""What the examples' PyTorch scripts share (examples/translate/to_pytorch.py, examples/lm/to_pytorch.py):
reading an attograd checkpoint without the safetensors package, attograd's random generator bit for
bit, and the one-line error convention. Needs only numpy (and the standard library)."""
import argparse
import json
import math
import os
import struct
import sys


class InputError(Exception):
    """A problem with what the user gave us: printed as one line, exit status 1."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse with exit status 1 for bad arguments (its own 2 means "disagree" in these scripts)."""

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(1, f"{self.prog}: error: {message}\n")


def import_torch():
    """(torch, numpy), or InputError saying which Debian packages to install."""
    try:
        import numpy
        import torch
    except ImportError as e:
        raise InputError(f"needs torch and numpy ({e}); on Debian: apt-get install python3-torch python3-numpy")
    return torch, numpy


def read_safetensors(path, program):
    """(dict name -> float32 ndarray in file order, metadata dict), validated before use; `program`
    ("translate", "lm") names whose checkpoint was expected, in messages."""
    import numpy as np
    if not os.path.isfile(path):
        what = "is a directory, not a checkpoint file" if os.path.isdir(path) else "no such file"
        raise InputError(f"{path}: {what}")
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise InputError(f"{path}: not a safetensors file ({len(data)} bytes, shorter than the 8-byte header length)")
    (n,) = struct.unpack("<Q", data[:8])
    if n == 0 or n > len(data) - 8:
        raise InputError(f"{path}: not a safetensors file (header length {n}, but the file has {len(data)} bytes)")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise InputError(f"{path}: not a safetensors file (its header is not JSON: {e})") from None
    if not isinstance(header, dict):
        raise InputError(f"{path}: not a safetensors file (its header is not a JSON object)")
    metadata = header.pop("__metadata__", {}) or {}
    body = memoryview(data)[8 + n:]
    tensors = []
    for name, entry in header.items():
        try:
            dtype, shape, (begin, end) = entry["dtype"], [int(d) for d in entry["shape"]], entry["data_offsets"]
        except (KeyError, TypeError, ValueError):
            raise InputError(f"{path}: tensor '{name}' has a malformed header entry {entry!r}") from None
        if dtype != "F32":
            raise InputError(f"{path}: tensor '{name}' has dtype {dtype}; {program} checkpoints hold only F32")
        count = math.prod(shape)
        if not (0 <= begin <= end <= len(body)) or end - begin != 4 * count:
            raise InputError(f"{path}: tensor '{name}' (shape {shape}) has data offsets [{begin}, {end}) that do not "
                             f"fit its {4 * count} bytes or the file's {len(body)} data bytes")
        tensors.append((begin, name, np.frombuffer(body[begin:end], dtype="<f4").reshape(shape).copy()))
    tensors.sort(key=lambda t: t[0])  # file order is state-dict order
    return {name: array for _, name, array in tensors}, metadata


class Xoshiro256:
    """core/random.cpp's Generator (xoshiro256** seeded by splitmix64), bit for bit."""
    M = (1 << 64) - 1

    def __init__(self, seed):
        self.s, x = [], seed & self.M
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & self.M
            z = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & self.M
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self.M
            self.s.append(z ^ (z >> 31))

    @staticmethod
    def rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & Xoshiro256.M

    def next_u64(self):
        rotl, s = self.rotl, self.s
        result = (rotl((s[1] * 5) & self.M, 7) * 9) & self.M
        t = (s[1] << 17) & self.M
        s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t  # noqa: E702
        s[3] = rotl(s[3], 45)
        return result

    def uniform(self):
        """float32 in [0, 1): the top 24 bits (Generator::uniform)."""
        import numpy as np
        return np.float32(self.next_u64() >> 40) * np.float32(2.0 ** -24)

    def below(self, n):
        """Uniform in [0, n), rejecting the top partial block (Generator::below)."""
        limit = self.M - self.M % n
        while True:
            x = self.next_u64()
            if x < limit:
                return x % n
