"""Writes golden fixtures as safetensors files (float32 only), without the safetensors package.

Every fixture script in tests/golden imports this, so all fixtures share one format:
an 8-byte little-endian header length, a JSON header, then the raw float32 data.
Integer data (targets, token ids) is stored as float32 too: exact for |values| < 2**24.
"""
import json
import struct

import numpy as np


def save(path, tensors, metadata=None):
    """tensors: dict name -> array-like (numpy or torch); metadata: dict str -> str."""
    header, chunks, offset = {}, [], 0
    for name, value in tensors.items():
        if hasattr(value, "detach"):
            value = value.detach().cpu().numpy()
        # Not np.ascontiguousarray: it turns a 0-d array (a loss) into shape (1,).
        array = np.asarray(value, dtype=np.float32)
        data = array.astype("<f4").tobytes(order="C")
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for chunk in chunks:
            f.write(chunk)
