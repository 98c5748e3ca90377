"""The PyTorch half of the checkpoint interop check (tests/interop/interop_main.cpp is the C++ half).

    python3 interop.py DIR

(a) attograd -> torch: reads DIR/attograd_model.safetensors (written by `interop_main write DIR`),
    checks its names are torch's, in torch's order, loads it with load_state_dict(strict=True),
    runs DIR/attograd_io.safetensors' input and compares with attograd's outputs.
(b) torch -> attograd: writes DIR/torch_model.safetensors (a torch state_dict, through
    fixture_io.save) and DIR/torch_io.safetensors (an input and torch's outputs), which
    `interop_main check DIR` loads and compares.

The bar is DESIGN §5's: |attograd - torch| <= 1e-6 + 1e-5 |torch| everywhere. Exits 1 on any failure.
"""
import json
import struct
import sys
from pathlib import Path

import numpy as np
import torch

from fixture_io import save

CONFIG = {"in": 4, "d_model": 8, "nhead": 2, "dim_feedforward": 16, "hidden": 6, "out": 3}


class InteropNet(torch.nn.Module):
    """proj -> TransformerEncoderLayer -> GRU -> head, named as attograd's InteropNet."""

    def __init__(self, config):
        super().__init__()
        self.proj = torch.nn.Linear(config["in"], config["d_model"])
        self.encoder = torch.nn.TransformerEncoderLayer(config["d_model"], config["nhead"], config["dim_feedforward"],
                                                        dropout=0.0, batch_first=True)
        self.rnn = torch.nn.GRU(config["d_model"], config["hidden"], batch_first=True)
        self.head = torch.nn.Linear(config["hidden"], config["out"])

    def forward(self, x):  # x (B, T, in) -> y (B, T, out), h_n (1, B, hidden)
        output, h_n = self.rnn(self.encoder(self.proj(x)))
        return self.head(output), h_n


def load(path):
    """A safetensors file of F32 tensors: (dict name -> np.ndarray in file order, metadata dict)."""
    data = Path(path).read_bytes()
    (header_length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + header_length])
    metadata = header.pop("__metadata__", {})
    body = data[8 + header_length:]
    tensors = {}
    for name, entry in header.items():
        assert entry["dtype"] == "F32", f"{path}: {name} has dtype {entry['dtype']}"
        begin, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(body[begin:end], dtype="<f4").reshape(entry["shape"]).copy()
    # In data order: the order attograd and torch list a state dict in.
    tensors = dict(sorted(tensors.items(), key=lambda item: header[item[0]]["data_offsets"][0]))
    return tensors, metadata


def compare(what, got, want):
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        raise AssertionError(f"{what}: shape {got.shape}, attograd gave {want.shape}")
    error = np.abs(got - want)
    ratio = error / (1e-6 + 1e-5 * np.abs(want))
    print(f"  {what}: max |error| {error.max():.3g}, {ratio.max():.3g} of the tolerance")
    if not ratio.max() <= 1.0:
        at = np.unravel_index(np.argmax(ratio), ratio.shape)
        raise AssertionError(f"{what}: element {at} differs: torch {got[at]:.9g}, attograd {want[at]:.9g}")


def attograd_to_torch(directory):
    tensors, metadata = load(directory / "attograd_model.safetensors")
    assert metadata.get("writer") == "attograd", f"metadata: {metadata}"
    config = json.loads(metadata["config"])  # the config travels as JSON text
    assert config == CONFIG, f"config {config}"

    torch.manual_seed(1)  # other weights than attograd's: every value must come from the file
    model = InteropNet(config).eval()
    torch_names = list(model.state_dict().keys())
    assert list(tensors) == torch_names, f"names or order differ:\n  attograd {list(tensors)}\n  torch    {torch_names}"
    model.load_state_dict({name: torch.from_numpy(value) for name, value in tensors.items()}, strict=True)

    io, _ = load(directory / "attograd_io.safetensors")
    with torch.no_grad():
        y, h_n = model(torch.from_numpy(io["x"]))
    print(f"interop.py: attograd's checkpoint ({len(tensors)} tensors) in torch, against attograd's outputs:")
    compare("y", y, io["y"])
    compare("h_n", h_n, io["h_n"])


def torch_to_attograd(directory):
    torch.manual_seed(0)
    model = InteropNet(CONFIG).eval()
    with torch.no_grad():  # as in interop_main: no zero bias, no unit norm weight
        for parameter in model.parameters():
            parameter.add_(torch.empty_like(parameter).uniform_(-0.1, 0.1))
        x = torch.randn(3, 7, CONFIG["in"])  # (B, T, in)
        y, h_n = model(x)
    save(directory / "torch_model.safetensors", model.state_dict(), {"writer": "torch", "config": json.dumps(CONFIG)})
    save(directory / "torch_io.safetensors", {"x": x, "y": y, "h_n": h_n})
    print(f"interop.py: wrote {len(model.state_dict())} tensors to {directory / 'torch_model.safetensors'}")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: interop.py DIR")
    directory = Path(sys.argv[1])
    torch.set_num_threads(1)
    try:
        attograd_to_torch(directory)
    except AssertionError as error:
        sys.exit(f"interop.py: attograd -> torch failed: {error}")
    torch_to_attograd(directory)


if __name__ == "__main__":
    main()
