"""Golden fixtures for the nn layers: PyTorch's outputs and gradients on fixed inputs.

Run with Debian's python3-torch:  /usr/bin/python3 tests/golden/make_nn_fixtures.py
Writes tests/golden/data/nn_layers.safetensors, read by tests/nn/test_nn_golden.cpp.

For each case <c> the file holds:
  <c>.param.<name>    the module's state dict under PyTorch's own names (the C++ test loads
                      them with load_state_dict, which proves the names and shapes agree)
  <c>.input, ...      inputs (token ids and lengths stored as float32, exact)
  <c>.out.<name>      forward results
  <c>.seed.<name>     the upstream gradient given to each result in backward
  <c>.grad.<name>     the resulting gradients of inputs and parameters

Inputs are drawn in float32, then everything runs in float64, so the reference carries no
rounding of its own: the C++ float32 results are compared against (almost) exact values.
"""
import os

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from fixture_io import save

torch.manual_seed(20240611)
tensors = {}


def f32(*shape, scale=1.0):
    """A float32 draw promoted to float64, so the file stores exactly what was used."""
    return (torch.randn(*shape) * scale).to(torch.float32).to(torch.float64)


def randomize(module, scale=0.5):
    """Parameters away from their defaults (LayerNorm's ones/zeros would hide mistakes)."""
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(f32(*p.shape, scale=scale))


def record(case, module, inputs, outputs, seeds):
    """inputs/outputs/seeds: dicts name -> tensor; backward runs with the seeds on the outputs."""
    for name, p in module.state_dict().items():
        tensors[f"{case}.param.{name}"] = p
    for name, x in inputs.items():
        tensors[f"{case}.{name}"] = x
    torch.autograd.backward([outputs[k] for k in seeds], [seeds[k] for k in seeds])
    for name, y in outputs.items():
        tensors[f"{case}.out.{name}"] = y
    for name, s in seeds.items():
        tensors[f"{case}.seed.{name}"] = s
    for name, x in inputs.items():
        if x.requires_grad:
            tensors[f"{case}.grad.{name}"] = x.grad
    for name, p in module.named_parameters():
        tensors[f"{case}.grad.{name}"] = p.grad


def seed_like(y):
    return f32(*y.shape)


# Linear on a 3-D input: (B, T, in) -> (B, T, out).
linear = torch.nn.Linear(4, 3).double()
randomize(linear)
x = f32(2, 5, 4).requires_grad_()
y = linear(x)
record("linear", linear, {"input": x}, {"output": y}, {"output": seed_like(y)})

# Embedding with padding_idx: ids include the padding id 2, whose row gets no gradient.
embedding = torch.nn.Embedding(7, 4, padding_idx=2).double()
randomize(embedding)
with torch.no_grad():
    embedding.weight[2].zero_()
ids = torch.tensor([[0, 2, 5, 2], [6, 1, 2, 5], [3, 3, 4, 2]])
y = embedding(ids)
record("embedding", embedding, {"ids": ids.double()}, {"output": y}, {"output": seed_like(y)})

# LayerNorm over two trailing dims with non-trivial weight and bias.
layer_norm = torch.nn.LayerNorm((3, 4), eps=1e-5).double()
randomize(layer_norm)
x = (f32(2, 5, 3, 4) * 2.0 + 0.5).requires_grad_()
y = layer_norm(x)
record("layer_norm", layer_norm, {"input": x}, {"output": y}, {"output": seed_like(y)})

# GRUCell and LSTMCell: one step from given states.
gru_cell = torch.nn.GRUCell(4, 5).double()
x, h = f32(3, 4).requires_grad_(), f32(3, 5).requires_grad_()
h1 = gru_cell(x, h)
record("gru_cell", gru_cell, {"input": x, "hx": h}, {"h": h1}, {"h": seed_like(h1)})

lstm_cell = torch.nn.LSTMCell(4, 5).double()
x, h, c = f32(3, 4).requires_grad_(), f32(3, 5).requires_grad_(), f32(3, 5).requires_grad_()
h1, c1 = lstm_cell(x, (h, c))
record("lstm_cell", lstm_cell, {"input": x, "h": h, "c": c}, {"h": h1, "c": c1},
       {"h": seed_like(h1), "c": seed_like(c1)})

# GRU: 2 layers, bidirectional, batch_first, with h0. Input (B, T, I) = (3, 6, 4).
gru = torch.nn.GRU(4, 5, num_layers=2, bidirectional=True, batch_first=True).double()
x, h0 = f32(3, 6, 4).requires_grad_(), f32(4, 3, 5).requires_grad_()
out, h_n = gru(x, h0)
record("gru", gru, {"input": x, "h0": h0}, {"output": out, "h_n": h_n},
       {"output": seed_like(out), "h_n": seed_like(h_n)})


def packed_run(rnn, x, state, lengths, batch_first):
    """PyTorch's way with padded batches: pack (unsorted lengths), run, unpack zero-padded."""
    packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=batch_first, enforce_sorted=False)
    out, final = rnn(packed, state)
    out, _ = pad_packed_sequence(out, batch_first=batch_first, total_length=x.shape[1 if batch_first else 0])
    return out, final


# LSTM with lengths: 2 layers, bidirectional, time-major. Input (T, B, I) = (6, 4, 4).
lstm = torch.nn.LSTM(4, 5, num_layers=2, bidirectional=True).double()
lengths = [4, 6, 1, 3]  # unsorted, one full-length, one of a single step
x = f32(6, 4, 4).requires_grad_()
h0, c0 = f32(4, 4, 5).requires_grad_(), f32(4, 4, 5).requires_grad_()
out, (h_n, c_n) = packed_run(lstm, x, (h0, c0), lengths, batch_first=False)
record("lstm", lstm, {"input": x, "h0": h0, "c0": c0, "lengths": torch.tensor(lengths, dtype=torch.float64)},
       {"output": out, "h_n": h_n, "c_n": c_n},
       {"output": seed_like(out), "h_n": seed_like(h_n), "c_n": seed_like(c_n)})

# GRU with lengths as well: 1 layer, bidirectional, batch_first, zero initial state.
gru_lengths = torch.nn.GRU(3, 4, bidirectional=True, batch_first=True).double()
lengths = [2, 5, 3]
x = f32(3, 5, 3).requires_grad_()
out, h_n = packed_run(gru_lengths, x, None, lengths, batch_first=True)
record("gru_lengths", gru_lengths, {"input": x, "lengths": torch.tensor(lengths, dtype=torch.float64)},
       {"output": out, "h_n": h_n}, {"output": seed_like(out), "h_n": seed_like(h_n)})

def randomize_conv(module):
    """Conv weights and biases at the scale PyTorch initialises them (1/√fan_in), so outputs
    are of order 1."""
    fan_in = module.weight[0].numel()
    randomize(module, scale=fan_in ** -0.5)


# Conv2d with stride, padding and groups on (N, C, H, W) = (2, 4, 7, 6).
conv2d = torch.nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2).double()
randomize_conv(conv2d)
x = f32(2, 4, 7, 6).requires_grad_()
y = conv2d(x)
record("conv2d", conv2d, {"input": x}, {"output": y}, {"output": seed_like(y)})

# Conv2d without bias, a rectangular kernel and dilation.
conv2d_no_bias = torch.nn.Conv2d(3, 4, (2, 3), dilation=(2, 1), bias=False).double()
randomize_conv(conv2d_no_bias)
x = f32(2, 3, 6, 5).requires_grad_()
y = conv2d_no_bias(x)
record("conv2d_no_bias", conv2d_no_bias, {"input": x}, {"output": y}, {"output": seed_like(y)})

# Conv1d with padding and dilation on (N, C, L) = (2, 3, 8).
conv1d = torch.nn.Conv1d(3, 4, 3, padding=2, dilation=2).double()
randomize_conv(conv1d)
x = f32(2, 3, 8).requires_grad_()
y = conv1d(x)
record("conv1d", conv1d, {"input": x}, {"output": y}, {"output": seed_like(y)})

# A small CNN: conv, ReLU, max pool, conv, average pool, global average pool (names 0.*, 3.*).
cnn = torch.nn.Sequential(
    torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
    torch.nn.Conv2d(4, 6, 3, padding=1), torch.nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False),
    torch.nn.AdaptiveAvgPool2d(1)).double()
randomize_conv(cnn[0])
randomize_conv(cnn[3])
x = f32(2, 3, 8, 7).requires_grad_()
y = cnn(x)
record("cnn", cnn, {"input": x}, {"output": y}, {"output": seed_like(y)})

here = os.path.dirname(os.path.abspath(__file__))
path = os.path.join(here, "data", "nn_layers.safetensors")
save(path, tensors, {"generator": "tests/golden/make_nn_fixtures.py", "torch": torch.__version__})
print(f"wrote {len(tensors)} tensors to {path}")
