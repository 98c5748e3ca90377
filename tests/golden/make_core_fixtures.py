#!/usr/bin/python3
"""PyTorch reference values for every core op -> tests/golden/data/core_ops.safetensors.

Run from the repository root with Debian's python3-torch (the pyenv python3 has no torch):

    /usr/bin/python3 tests/golden/make_core_fixtures.py

The output is deterministic (one seeded generator, cases drawn in a fixed order) and is
committed, so the C++ suite needs no Python. tests/core/test_golden_ops.cpp replays every case
through attograd; a case added here must be added there too (a test checks both lists match).

Each case <case> stores:
  <case>.in0, .in1, ...   float inputs
  <case>.ids / .mask      integer ids (targets, indices) or a boolean mask, as float32 (exact)
  <case>.out              the op's output (.out0, .out1, ... when it returns several tensors)
  <case>.up               a random upstream gradient of the output's shape (.up0, .up1, ...)
  <case>.grad0, ...       d/d(in_i) of sum(out * up), by torch.autograd
Gradient-free cases (argmax, comparisons, masks, arange) store inputs and .out only.

Precision: inputs and upstream gradients are drawn in float32, so they are exact in the file.
torch then evaluates the op and its backward on them in float64, and the results are rounded
to float32. The references are thus the exact answers rounded once, and the 1e-5 relative bar
in C++ measures attograd's own float32 error, not attograd's plus float32 PyTorch's.
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_io import save  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "core_ops.safetensors")

gen = torch.Generator().manual_seed(1234)
CASES = {}  # tensor name -> float32 tensor, in insertion order


def randn(*shape, scale=1.0):
    return torch.randn(shape, generator=gen) * scale


def uniform(lo, hi, *shape):
    return lo + (hi - lo) * torch.rand(shape, generator=gen)


def away(*shape):
    """Values in ±[0.5, 2): safe denominators."""
    sign = torch.where(torch.rand(shape, generator=gen) < 0.5, -1.0, 1.0)
    return sign * uniform(0.5, 2.0, *shape)


def ints(lo, hi, *shape):
    return torch.randint(lo, hi, shape, generator=gen)


def case(name, fn, *inputs, ids=None, mask=None, grad=True):
    """Runs fn(*inputs) in float64 and records inputs, output(s), upstream and input gradients."""
    assert "." not in name and not any(k.startswith(name + ".") for k in CASES), name
    entry = {}
    xs = []
    for i, x in enumerate(inputs):
        x = x.to(torch.float32)
        entry[f"{name}.in{i}"] = x
        xs.append(x.to(torch.float64).requires_grad_(grad))
    if ids is not None:
        assert ids.abs().max() < 2**24
        entry[f"{name}.ids"] = ids.to(torch.float32)
    if mask is not None:
        entry[f"{name}.mask"] = mask.to(torch.float32)
    out = fn(*xs)
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    tags = [""] if len(outs) == 1 else [str(i) for i in range(len(outs))]
    for tag, o in zip(tags, outs):
        entry[f"{name}.out{tag}"] = o.detach().to(torch.float32)
    if grad:
        ups = [randn(*o.shape) for o in outs]
        for tag, u in zip(tags, ups):
            entry[f"{name}.up{tag}"] = u
        loss = sum((o * u.double()).sum() for o, u in zip(outs, ups))
        for i, g in enumerate(torch.autograd.grad(loss, xs)):
            entry[f"{name}.grad{i}"] = g.to(torch.float32)
    CASES.update(entry)


# --- elementwise -------------------------------------------------------------------------
BINARY = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div}
for op, fn in BINARY.items():
    second = away if op == "div" else randn
    case(f"{op}_same", fn, randn(2, 3), second(2, 3))
    case(f"{op}_bcast_right", fn, randn(2, 3, 4), second(3, 1))  # (2,3,4) op (3,1)
    case(f"{op}_bcast_left", fn, randn(4), second(2, 1, 4))      # (4,) op (2,1,4)
    case(f"{op}_bcast_both", fn, randn(3, 1), second(1, 4))      # (3,1) op (1,4)

case("add_scalar", lambda x: x + 2.5, randn(2, 3))
case("radd_scalar", lambda x: 1.5 + x, randn(2, 3))
case("sub_scalar", lambda x: x - 1.25, randn(2, 3))
case("rsub_scalar", lambda x: 2.0 - x, randn(2, 3))
case("mul_scalar", lambda x: x * -1.5, randn(2, 3))
case("rmul_scalar", lambda x: 3.0 * x, randn(2, 3))
case("div_scalar", lambda x: x / 4.0, randn(2, 3))
case("rdiv_scalar", lambda x: 3.0 / x, away(2, 3))

case("neg", torch.neg, randn(2, 3))
case("pow_2", lambda x: torch.pow(x, 2.0), randn(2, 3))
case("pow_3", lambda x: torch.pow(x, 3.0), randn(2, 3))
case("pow_half", lambda x: torch.pow(x, 0.5), uniform(0.2, 3.0, 2, 3))
case("pow_m1_5", lambda x: torch.pow(x, -1.5), uniform(0.5, 3.0, 2, 3))
case("exp", torch.exp, randn(2, 3))
case("log", torch.log, uniform(0.1, 5.0, 2, 3))
case("sqrt", torch.sqrt, uniform(0.1, 5.0, 2, 3))
case("abs", torch.abs, randn(2, 3))
case("tanh", torch.tanh, randn(2, 3))
case("sigmoid", torch.sigmoid, randn(3, 4, scale=4.0))
case("relu", torch.relu, randn(3, 4))
case("gelu", F.gelu, randn(3, 4, scale=2.0))
case("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), randn(3, 4, scale=2.0))
case("clamp", lambda x: torch.clamp(x, -0.5, 0.75), randn(3, 4))
# Where the derivative has a kink, PyTorch's choice: 0 at 0 for relu and abs, and clamp passes
# the gradient at the bounds themselves.
EDGES = torch.tensor([-2.0, -0.75, -0.5, 0.0, 0.25, 0.75, 1.5])
case("relu_edges", torch.relu, EDGES)
case("abs_edges", torch.abs, EDGES)
case("clamp_edges", lambda x: torch.clamp(x, -0.5, 0.75), EDGES)

# --- reductions over a (2, 3, 4) input ---------------------------------------------------
REDUCE_DIMS = [("all", None, False), ("all_keep", None, True), ("d1", [1], False), ("dm1_keep", [-1], True),
               ("d02", [0, 2], False), ("d02_keep", [0, 2], True)]


def reduce_with(fn, dims, keepdim):
    def run(x):
        if dims is None:  # every dim; keepdim leaves (1, 1, 1)
            y = fn(x)
            return y.reshape([1] * x.dim()) if keepdim else y
        return fn(x, dim=dims, keepdim=keepdim)
    return run


REDUCTIONS = {"sum": torch.sum, "mean": torch.mean, "max": torch.amax, "min": torch.amin}
for op, fn in REDUCTIONS.items():
    for tag, dims, keepdim in REDUCE_DIMS:
        case(f"{op}_{tag}", reduce_with(fn, dims, keepdim), randn(2, 3, 4))
for correction in (0, 1):
    var = lambda x, correction=correction, **kw: torch.var(x, unbiased=bool(correction), **kw)  # noqa: E731
    for tag, dims, keepdim in REDUCE_DIMS:
        case(f"var_c{correction}_{tag}", reduce_with(var, dims, keepdim), randn(2, 3, 4))

# --- matmul ------------------------------------------------------------------------------
MATMUL = [("1d_1d", (4,), (4,)), ("1d_2d", (4,), (4, 3)), ("2d_1d", (3, 4), (4,)), ("2d_2d", (3, 4), (4, 5)),
          ("3d_2d", (2, 3, 4), (4, 5)), ("2d_3d", (3, 4), (2, 4, 5)), ("3d_3d", (2, 3, 4), (2, 4, 5)),
          ("bcast_batch", (2, 1, 3, 4), (5, 4, 2)), ("1d_3d", (4,), (2, 4, 5)), ("3d_1d", (2, 3, 4), (4,))]
for tag, sa, sb in MATMUL:
    case(f"matmul_{tag}", torch.matmul, randn(*sa), randn(*sb))

# --- shape ops ---------------------------------------------------------------------------
case("transpose", lambda x: x.transpose(0, 2), randn(2, 3, 4))
case("transpose_neg", lambda x: x.transpose(-1, -2), randn(2, 3, 4))
case("permute", lambda x: x.permute(2, 0, 1), randn(2, 3, 4))
case("reshape", lambda x: x.reshape(4, -1), randn(2, 3, 4))
case("view", lambda x: x.view(3, 8), randn(2, 3, 4))
case("flatten", torch.flatten, randn(2, 3, 4))
case("flatten_1", lambda x: torch.flatten(x, 1), randn(2, 3, 4))
case("flatten_0_1", lambda x: torch.flatten(x, 0, 1), randn(2, 3, 4))
case("unsqueeze_1", lambda x: x.unsqueeze(1), randn(2, 3))
case("unsqueeze_m1", lambda x: x.unsqueeze(-1), randn(2, 3))
case("squeeze_dim", lambda x: x.squeeze(1), randn(2, 1, 3))
case("squeeze_all", lambda x: x.squeeze(), randn(1, 2, 1, 3))
case("slice_step", lambda x: x[:, 1:7:2], randn(3, 8))
case("slice_negative", lambda x: x[-3:], randn(5, 2))
case("slice_clamped", lambda x: x[:, :, 2:100:3], randn(2, 2, 7))
case("narrow", lambda x: torch.narrow(x, 0, 1, 2), randn(4, 3))
case("narrow_dim1", lambda x: torch.narrow(x, 1, 2, 3), randn(2, 5))
case("cat_d0", lambda a, b, c: torch.cat([a, b, c], 0), randn(2, 3), randn(1, 3), randn(3, 3))
case("cat_d1", lambda a, b: torch.cat([a, b], 1), randn(2, 3), randn(2, 2))
case("stack_d0", lambda a, b, c: torch.stack([a, b, c], 0), randn(2, 3), randn(2, 3), randn(2, 3))
case("stack_dm1", lambda a, b: torch.stack([a, b], -1), randn(2, 3), randn(2, 3))
case("split_size", lambda x: torch.split(x, 2, 0), randn(5, 4))
case("split_sizes", lambda x: torch.split(x, [1, 3], 1), randn(2, 4))
case("chunk_d0", lambda x: torch.chunk(x, 3, 0), randn(5, 4))
case("chunk_d1", lambda x: torch.chunk(x, 3, 1), randn(2, 4))
case("expand", lambda x: x.expand(2, 3, 4), randn(3, 1))
case("broadcast_to", lambda x: torch.broadcast_to(x, (3, 4)), randn(4))

# --- indexing ----------------------------------------------------------------------------
ids = torch.tensor([2, 0, 2, 3])
case("index_select_d0", lambda x, ids=ids: torch.index_select(x, 0, ids), randn(4, 3), ids=ids)
ids = torch.tensor([4, 1, 1])
case("index_select_d1", lambda x, ids=ids: torch.index_select(x, 1, ids), randn(2, 5, 3), ids=ids)
ids = torch.tensor([[1, 3, 0, 5], [3, 3, 2, 0]])
case("embedding", lambda w, ids=ids: F.embedding(ids, w), randn(6, 3), ids=ids)
case("embedding_pad", lambda w, ids=ids: F.embedding(ids, w, padding_idx=0), randn(6, 3), ids=ids)
case("embedding_pad_neg", lambda w, ids=ids: F.embedding(ids, w, padding_idx=-1), randn(6, 3), ids=ids)
ids = ints(0, 4, 3, 2)
case("gather_d1", lambda x, ids=ids: torch.gather(x, 1, ids), randn(3, 4), ids=ids)
ids = ints(0, 3, 2, 3, 2)
case("gather_d0", lambda x, ids=ids: torch.gather(x, 0, ids), randn(3, 4, 2), ids=ids)
ids = ints(0, 5, 2, 6)  # more picks than the dim has: repeats accumulate
case("gather_repeats", lambda x, ids=ids: torch.gather(x, -1, ids), randn(2, 5), ids=ids)
mask = torch.rand(2, 3, 4, generator=gen) < 0.4
case("masked_fill", lambda x, m=mask: x.masked_fill(m, -2.5), randn(2, 3, 4), mask=mask)
mask = torch.tensor([[True], [False], [True]])
case("masked_fill_bcast", lambda x, m=mask: x.masked_fill(m, -1e9), randn(2, 3, 4), mask=mask)
mask = torch.rand(2, 3, generator=gen) < 0.5
case("where", lambda a, b, m=mask: torch.where(m, a, b), randn(2, 3), randn(2, 3), mask=mask)
mask = torch.tensor([[True], [False], [True]])
case("where_bcast", lambda a, b, m=mask: torch.where(m, a, b), randn(2, 3, 4), randn(4), mask=mask)
for diagonal, tag in ((0, "0"), (1, "p1"), (-1, "m1")):
    case(f"tril_{tag}", lambda x, d=diagonal: torch.tril(x, d), randn(3, 4))
    case(f"triu_{tag}", lambda x, d=diagonal: torch.triu(x, d), randn(3, 4))
case("tril_batched", lambda x: torch.tril(x, 1), randn(2, 4, 3))
case("topk", lambda x: torch.topk(x, 3, -1).values, randn(3, 6))
case("topk_smallest_d0", lambda x: torch.topk(x, 2, 0, largest=False).values, randn(5, 3))

# --- functional: softmax, layer norm, dropout --------------------------------------------
for op, fn in (("softmax", F.softmax), ("log_softmax", F.log_softmax)):
    case(f"{op}_dm1", lambda x, fn=fn: fn(x, dim=-1), randn(3, 5))
    case(f"{op}_d0", lambda x, fn=fn: fn(x, dim=0), randn(3, 5))
    case(f"{op}_3d_d1", lambda x, fn=fn: fn(x, dim=1), randn(2, 3, 4))
    case(f"{op}_large", lambda x, fn=fn: fn(x, dim=-1), randn(3, 5, scale=30.0))  # needs the max shift

case("layer_norm", lambda x: F.layer_norm(x, (4,)), randn(2, 3, 4))
case("layer_norm_wb", lambda x, w, b: F.layer_norm(x, (4,), w, b), randn(2, 3, 4), randn(4), randn(4))
case("layer_norm_w", lambda x, w: F.layer_norm(x, (4,), w), randn(2, 3, 4), randn(4))
case("layer_norm_2d", lambda x: F.layer_norm(x, (3, 4)), randn(2, 3, 4))
case("layer_norm_2d_wb", lambda x, w, b: F.layer_norm(x, (3, 4), w, b), randn(2, 3, 4), randn(3, 4), randn(3, 4))
case("dropout_eval", lambda x: F.dropout(x, 0.5, training=False), randn(2, 3))
case("dropout_p0", lambda x: F.dropout(x, 0.0, training=True), randn(2, 3))

# --- losses ------------------------------------------------------------------------------
# (case, logits shape, targets, options): the C++ table lists the same options.
I = -100
CROSS_ENTROPY = [
    ("ce_mean", (5, 4), [1, 0, 3, 2, 1], {}),
    ("ce_sum", (5, 4), [1, 0, 3, 2, 1], {"reduction": "sum"}),
    ("ce_none", (5, 4), [1, 0, 3, 2, 1], {"reduction": "none"}),
    ("ce_ignore", (5, 4), [1, I, 3, I, 0], {}),
    ("ce_ignore_none", (5, 4), [1, I, 3, I, 0], {"reduction": "none"}),
    ("ce_ignore_custom", (5, 4), [1, 2, 3, 2, 0], {"ignore_index": 2, "reduction": "sum"}),
    ("ce_smooth", (5, 4), [1, 0, 3, 2, 1], {"label_smoothing": 0.1}),
    ("ce_smooth_sum", (5, 4), [1, 0, 3, 2, 1], {"label_smoothing": 0.1, "reduction": "sum"}),
    ("ce_smooth_ignore", (5, 4), [1, I, 3, I, 0], {"label_smoothing": 0.1}),
    ("ce_smooth_ignore_none", (5, 4), [1, I, 3, I, 0], {"label_smoothing": 0.1, "reduction": "none"}),
    ("ce_nd", (2, 4, 3), [[0, 3, 1], [2, 2, 0]], {}),
    ("ce_nd_none", (2, 4, 3), [[0, 3, 1], [2, 2, 0]], {"reduction": "none"}),
    ("ce_nd_smooth_ignore", (2, 4, 3), [[0, I, 1], [2, 2, I]], {"label_smoothing": 0.1}),
    ("ce_unbatched", (4,), 2, {}),
]
for name, shape, targets, options in CROSS_ENTROPY:
    t = torch.tensor(targets)
    case(name, lambda x, t=t, o=options: F.cross_entropy(x, t, **o), randn(*shape, scale=2.0), ids=t)

NLL = [
    ("nll_mean", [2, 0, 3, 1, 1], {}),
    ("nll_sum", [2, 0, 3, 1, 1], {"reduction": "sum"}),
    ("nll_none", [2, 0, 3, 1, 1], {"reduction": "none"}),
    ("nll_ignore", [2, I, 3, 1, I], {}),
    ("nll_ignore_custom", [2, 0, 3, 1, 1], {"ignore_index": 1, "reduction": "sum"}),
]
for name, targets, options in NLL:
    t = torch.tensor(targets)
    log_probs = F.log_softmax(randn(5, 4), dim=1)
    case(name, lambda x, t=t, o=options: F.nll_loss(x, t, **o), log_probs, ids=t)

for reduction in ("mean", "sum", "none"):
    case(f"mse_{reduction}", lambda x, y, r=reduction: F.mse_loss(x, y, reduction=r), randn(3, 4), randn(3, 4))
    case(f"bce_logits_{reduction}", lambda x, y, r=reduction: F.binary_cross_entropy_with_logits(x, y, reduction=r),
         randn(3, 4, scale=3.0), uniform(0.0, 1.0, 3, 4))

# --- gradient-free ops: compared by value only -------------------------------------------
case("argmax_d1", lambda x: torch.argmax(x, 1), randn(3, 5), grad=False)
case("argmax_d0_keep", lambda x: torch.argmax(x, 0, keepdim=True), randn(3, 5), grad=False)
case("argmax_flat", torch.argmax, randn(3, 4), grad=False)
case("topk_indices", lambda x: torch.topk(x, 3, -1).indices, randn(3, 6), grad=False)
case("topk_indices_smallest_d0", lambda x: torch.topk(x, 2, 0, largest=False).indices, randn(5, 3), grad=False)
ids = ints(0, 5, 2, 3)
case("one_hot", lambda ids=ids: F.one_hot(ids, 5), ids=ids, grad=False)
a, b = ints(-1, 2, 3, 4).float(), ints(-1, 2, 4).float()  # small integers: many ties
for op in ("eq", "ne", "lt", "le", "gt", "ge"):
    case(op, getattr(torch, op), a, b, grad=False)
for op, scalar in (("eq", 0.0), ("lt", 0.5), ("gt", -0.5)):
    case(f"{op}_scalar", lambda x, op=op, s=scalar: getattr(torch, op)(x, s), a, grad=False)
case("tril_mask", lambda: torch.ones(3, 5).tril(1).bool(), grad=False)
case("triu_mask", lambda: torch.ones(3, 5).triu(-1).bool(), grad=False)
case("arange", lambda: torch.arange(-1.0, 2.0, 0.3, dtype=torch.float64), grad=False)

# --- convolution and pooling -------------------------------------------------------------
# (case, input shape, weight shape, bias?, conv2d keyword arguments): the C++ table lists the
# same arguments. Unbatched inputs have no N. Weights are scaled by 1/√fan_in, as the layers
# initialise them, so outputs are of order 1 like every other case's (a sum of fan_in unit
# terms would be of order √fan_in, and its float32 rounding would stand out against the 1e-6
# absolute bar for entries near zero).


def conv_weight(shape):
    fan_in = 1
    for size in shape[1:]:
        fan_in *= size
    return randn(*shape, scale=fan_in ** -0.5)


CONV2D = [
    ("conv2d_basic", (2, 3, 5, 5), (4, 3, 3, 3), True, {}),
    ("conv2d_stride_pad", (2, 3, 7, 6), (4, 3, 3, 2), True, {"stride": 2, "padding": 1}),
    ("conv2d_dilation", (1, 2, 9, 8), (3, 2, 3, 3), True, {"stride": (1, 2), "padding": (2, 0), "dilation": (2, 3)}),
    ("conv2d_groups", (2, 4, 5, 5), (6, 2, 3, 3), True, {"padding": 1, "groups": 2}),
    ("conv2d_depthwise", (1, 4, 6, 6), (4, 1, 3, 3), False, {"stride": 2, "padding": 1, "groups": 4}),
    ("conv2d_1x1", (2, 3, 4, 5), (5, 3, 1, 1), True, {}),
    ("conv2d_no_bias", (2, 2, 5, 5), (3, 2, 3, 3), False, {"padding": 1}),
    ("conv2d_unbatched", (3, 5, 5), (2, 3, 3, 3), True, {"padding": 1}),
]
for name, xs, ws, with_bias, kw in CONV2D:
    if with_bias:
        case(name, lambda x, w, b, kw=kw: F.conv2d(x, w, b, **kw), randn(*xs), conv_weight(ws), randn(ws[0]))
    else:
        case(name, lambda x, w, kw=kw: F.conv2d(x, w, **kw), randn(*xs), conv_weight(ws))

CONV1D = [
    ("conv1d_basic", (2, 3, 9), (4, 3, 3), True, {}),
    ("conv1d_all", (2, 4, 9), (6, 2, 3), True, {"stride": 2, "padding": 1, "dilation": 2, "groups": 2}),
    ("conv1d_unbatched_no_bias", (3, 7), (2, 3, 2), False, {"padding": 1}),
]
for name, xs, ws, with_bias, kw in CONV1D:
    if with_bias:
        case(name, lambda x, w, b, kw=kw: F.conv1d(x, w, b, **kw), randn(*xs), conv_weight(ws), randn(ws[0]))
    else:
        case(name, lambda x, w, kw=kw: F.conv1d(x, w, **kw), randn(*xs), conv_weight(ws))

case("max_pool2d_k2", lambda x: F.max_pool2d(x, 2), randn(2, 3, 6, 6))
case("max_pool2d_overlap", lambda x: F.max_pool2d(x, 3, (2, 1), 1), randn(2, 2, 7, 6))
case("max_pool2d_rect", lambda x: F.max_pool2d(x, (3, 2), 1, (1, 0)), randn(1, 2, 5, 4))
case("max_pool2d_unbatched", lambda x: F.max_pool2d(x, 2), randn(3, 6, 5))
# Small integers: many ties, whose gradient goes to the first maximum in each window.
case("max_pool2d_ties", lambda x: F.max_pool2d(x, 2, 1), ints(-1, 2, 1, 2, 4, 5).float())
case("avg_pool2d_k2", lambda x: F.avg_pool2d(x, 2), randn(2, 3, 6, 6))
case("avg_pool2d_pad_include", lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=True), randn(2, 2, 7, 6))
case("avg_pool2d_pad_exclude", lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False), randn(2, 2, 7, 6))
case("avg_pool2d_rect_exclude", lambda x: F.avg_pool2d(x, (2, 3), 1, (1, 1), count_include_pad=False),
     randn(1, 2, 5, 4))
case("adaptive_avg_pool2d_5to3", lambda x: F.adaptive_avg_pool2d(x, 3), randn(2, 2, 5, 5))
case("adaptive_avg_pool2d_rect", lambda x: F.adaptive_avg_pool2d(x, (3, 4)), randn(2, 3, 7, 6))
case("adaptive_avg_pool2d_global", lambda x: F.adaptive_avg_pool2d(x, 1), randn(2, 3, 4, 5))
case("adaptive_avg_pool2d_up", lambda x: F.adaptive_avg_pool2d(x, (5, 6)), randn(1, 2, 3, 4))
case("adaptive_avg_pool2d_unbatched", lambda x: F.adaptive_avg_pool2d(x, (2, 3)), randn(3, 5, 7))

if __name__ == "__main__":
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    names = sorted({k.split(".")[0] for k in CASES})
    save(OUT, CASES, {"generator": "tests/golden/make_core_fixtures.py", "torch": torch.__version__,
                      "reference": "float64 evaluation of float32 inputs, rounded to float32",
                      "cases": str(len(names))})
    print(f"{OUT}: {len(names)} cases, {len(CASES)} tensors, {os.path.getsize(OUT)} bytes")
