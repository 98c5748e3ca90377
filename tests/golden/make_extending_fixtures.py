"""Writes tests/golden/data/extending.safetensors: PyTorch's answers for docs/extending.md's
worked example (examples/extending): the smooth_focus op and the LocationAttention layer.

Run from the repository root with Debian's python3-torch:  python3 tests/golden/make_extending_fixtures.py

Layout, as float32 (the same as make_attention_fixtures.py):
  <case>/param/<name>      the layer's parameters, under attograd's names (load_state_dict)
  <case>/input/<name>      inputs; lengths as whole numbers
  <case>/out/<name>        outputs
  <case>/upstream/<name>   the gradient fed into each output: loss = sum(out * upstream)
  <case>/grad/<name>       d(loss)/d(parameter)
  <case>/input_grad/<name> d(loss)/d(input)

Everything is drawn in float32, computed in float64 and rounded once, so only the C++ side's
float32 rounding is measured. The formulas are written here from Chorowski et al. (2015) with
torch ops, independently of the C++ code.
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_io import save  # noqa: E402

torch.manual_seed(20261202)
OUT = {}


def leaf(shape, scale=1.0):
    return (torch.randn(shape, dtype=torch.float32) * scale).double().requires_grad_(True)


def smooth_focus(x):
    """s = sigmoid(x), y = s / sum(s) along the last dim."""
    s = torch.sigmoid(x)
    return s / s.sum(-1, keepdim=True)


def record(case, params, inputs, outputs):
    """Stores params, inputs, outputs, a random upstream gradient per output and the grads."""
    loss = 0
    for name, out in outputs.items():
        upstream = torch.randn(out.shape, dtype=torch.float32).double()
        OUT[f"{case}/out/{name}"] = out.detach()
        OUT[f"{case}/upstream/{name}"] = upstream
        loss = loss + (out * upstream).sum()
    loss.backward()
    for name, p in params.items():
        OUT[f"{case}/param/{name}"] = p.detach()
        OUT[f"{case}/grad/{name}"] = p.grad
    for name, x in inputs.items():
        OUT[f"{case}/input/{name}"] = x.detach()
        if x.requires_grad:
            OUT[f"{case}/input_grad/{name}"] = x.grad


def smooth_focus_case():
    x = leaf((2, 3, 6))
    record("smooth_focus", {}, {"x": x}, {"y": smooth_focus(x)})


def location_case(case, focus):
    B, S, Dq, Dk, Dv, A, k, r = 2, 6, 5, 4, 3, 7, 3, 5
    p = {
        "query_weight": leaf((A, Dq), 0.5),
        "key_weight": leaf((A, Dk), 0.5),
        "bias": leaf((A,), 0.5),
        "v": leaf((A,), 0.5),
        "location_filters": leaf((k, 1, r), 0.5),
        "location_weight": leaf((A, k), 0.5),
    }
    query, keys, values = leaf((B, Dq)), leaf((B, S, Dk)), leaf((B, S, Dv))
    lengths = torch.tensor([S, 4])
    previous = torch.softmax(torch.randn(B, S), -1).double()
    previous[1, 4:] = 0
    previous = (previous / previous.sum(-1, keepdim=True)).requires_grad_(True)

    # f = F * α_{i-1};  e_j = wᵀ tanh(W s + V h_j + U f_j + b);  α = normalise(e);  c = Σ α_j v_j
    f = F.conv1d(previous.unsqueeze(1), p["location_filters"], padding=r // 2)  # (B, k, S)
    location = torch.einsum("ak,bks->bsa", p["location_weight"], f)
    hidden = torch.tanh(
        (query @ p["query_weight"].T).unsqueeze(1) + keys @ p["key_weight"].T + p["bias"] + location
    )  # (B, S, A)
    scores = hidden @ p["v"]  # (B, S)
    padding = torch.arange(S).unsqueeze(0) >= lengths.unsqueeze(1)
    scores = scores.masked_fill(padding, float("-inf"))
    weights = torch.softmax(scores, -1) if focus == "softmax" else smooth_focus(scores)
    context = torch.einsum("bs,bsd->bd", weights, values)
    inputs = {"query": query, "keys": keys, "values": values, "previous": previous}
    record(case, p, inputs, {"context": context, "weights": weights})
    OUT[f"{case}/input/lengths"] = lengths.double()


def main():
    smooth_focus_case()
    location_case("location_softmax", "softmax")
    location_case("location_smooth", "smooth")
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "extending.safetensors")
    save(path, OUT, {"generator": "tests/golden/make_extending_fixtures.py", "torch": torch.__version__})
    print(f"wrote {len(OUT)} tensors to {path}")


if __name__ == "__main__":
    main()
