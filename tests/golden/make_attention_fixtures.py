"""Writes tests/golden/data/attention.safetensors: PyTorch's answers for every attention family.

Run from the repository root with Debian's python3-torch:  python3 tests/golden/make_attention_fixtures.py

Each case <case> stores, as float32:
  <case>/param/<name>      the module's parameters, under PyTorch's names (load_state_dict)
  <case>/input/<name>      inputs; masks as 0/1 (1 = blocked / padding, PyTorch's polarity for
                           MultiheadAttention), lengths as whole numbers
  <case>/out/<name>        outputs (output, weights, context, ...)
  <case>/upstream/<name>   the gradient fed into each output: loss = sum(out * upstream)
  <case>/grad/<name>       d(loss)/d(parameter), by parameter name
  <case>/input_grad/<name> d(loss)/d(input)

Parameters and inputs are drawn in float32, then everything is computed in float64 and rounded
to float32 once at the end, so the fixtures hold PyTorch's answer to float32 precision and the
C++ side's own float32 rounding is all that is measured. No case has a fully masked row (PyTorch
gives NaN there; attograd gives zeros, tested separately).

Bahdanau and Luong attention have no torch.nn module: they are written here from the papers'
formulas with torch ops, independently of the C++ code (einsum over explicit indices).
"""
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_io import save  # noqa: E402

torch.manual_seed(20240611)
OUT = {}


def rand(*shape, scale=1.0):
    return (torch.randn(*shape, dtype=torch.float32) * scale).double()


def key_padding(lengths, S):
    """(B, S) bool, True where the key is padding (PyTorch's key_padding_mask)."""
    return torch.arange(S)[None, :] >= torch.tensor(lengths)[:, None]


def causal_blocked(T, S, bottom_right=False):
    """(T, S) bool, True where query i may not see key j."""
    shift = S - T if bottom_right else 0
    return torch.arange(S)[None, :] > torch.arange(T)[:, None] + shift


def record(case, params, inputs, outputs, extra_inputs=None):
    """params: dict name -> leaf tensor (requires_grad); inputs: dict name -> leaf tensor that
    may require grad; outputs: dict name -> tensor. Runs backward from random upstreams."""
    loss = 0.0
    for name, out in outputs.items():
        upstream = rand(*out.shape)
        OUT[f"{case}/out/{name}"] = out
        OUT[f"{case}/upstream/{name}"] = upstream
        loss = loss + (out * upstream).sum()
    loss.backward()
    for name, p in params.items():
        OUT[f"{case}/param/{name}"] = p
        OUT[f"{case}/grad/{name}"] = p.grad
    for name, x in inputs.items():
        OUT[f"{case}/input/{name}"] = x
        if x.requires_grad:
            OUT[f"{case}/input_grad/{name}"] = x.grad
    for name, x in (extra_inputs or {}).items():
        OUT[f"{case}/input/{name}"] = x.double()


def module_params(module):
    return dict(module.named_parameters())


# --- scaled dot-product attention (written out: torch 1.13 has no F.scaled_dot_product_attention)
def sdpa_case():
    B, H, T, S, D, Dv = 2, 2, 3, 5, 4, 3
    q, k, v = rand(B, H, T, D).requires_grad_(), rand(B, H, S, D).requires_grad_(), rand(B, H, S, Dv).requires_grad_()
    bias = rand(T, S, scale=0.5)
    blocked = causal_blocked(T, S, bottom_right=True) | key_padding([5, 4], S)[:, None, None, :]  # (B, 1, T, S)
    scores = q @ k.transpose(-2, -1) / math.sqrt(D) + bias
    weights = torch.softmax(scores.masked_fill(blocked, float("-inf")), dim=-1)
    record("sdpa", {}, {"q": q, "k": k, "v": v}, {"output": weights @ v, "weights": weights},
           {"bias": bias, "lengths": torch.tensor([5.0, 4.0])})


# --- MultiheadAttention
def mha_case(case, E, H, B, T, S, kdim=None, vdim=None, self_attention=False, lengths=None, attn_mask=None,
             average=True, batch_first=True, bias=True):
    mha = torch.nn.MultiheadAttention(E, H, dropout=0.0, bias=bias, kdim=kdim, vdim=vdim, batch_first=batch_first)
    with torch.no_grad():  # non-zero biases, so their gradients and effects are tested
        for name, p in mha.named_parameters():
            if "bias" in name:
                p.copy_(torch.randn_like(p) * 0.1)
    mha = mha.double()
    def shaped(L, width):
        return rand(B, L, width) if batch_first else rand(L, B, width)
    if self_attention:
        x = shaped(T, E).requires_grad_()
        query = key = value = x
        inputs = {"x": x}
    else:
        query = shaped(T, E).requires_grad_()
        key = shaped(S, kdim or E).requires_grad_()
        value = shaped(S, vdim or E).requires_grad_()
        inputs = {"query": query, "key": key, "value": value}
    extra = {}
    kpm = None
    if lengths is not None:
        kpm = key_padding(lengths, S)
        extra["lengths"] = torch.tensor(lengths, dtype=torch.float64)
    if attn_mask is not None:
        extra["attn_mask"] = attn_mask.double()
    out, weights = mha(query, key, value, key_padding_mask=kpm, attn_mask=attn_mask, need_weights=True,
                       average_attn_weights=average)
    record(case, module_params(mha), inputs, {"output": out, "weights": weights}, extra)


def mha_cases():
    T = 4
    mha_case("mha_self", E=8, H=2, B=2, T=T, S=T, self_attention=True, lengths=[4, 3], attn_mask=causal_blocked(T, T))
    mha_case("mha_cross_per_head", E=8, H=4, B=2, T=3, S=5, lengths=[5, 2], average=False)
    additive = (torch.randn(3, 5, dtype=torch.float64) * 0.5)
    additive[0, 4] = float("-inf")
    mha_case("mha_cross_additive", E=6, H=2, B=2, T=3, S=5, attn_mask=additive)
    mha_case("mha_kvdim", E=8, H=2, B=3, T=3, S=4, kdim=6, vdim=5, lengths=[4, 1, 3],
             attn_mask=torch.tensor([[0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=torch.bool), batch_first=False)
    mha_case("mha_no_bias", E=4, H=1, B=2, T=2, S=3, bias=False, average=False)


# --- Transformer layers (dropout 0), both norm orders
def encoder_layer_case(case, norm_first, activation):
    E, B, T = 8, 2, 5
    layer = torch.nn.TransformerEncoderLayer(E, 2, dim_feedforward=16, dropout=0.0, activation=activation,
                                             batch_first=True, norm_first=norm_first)
    with torch.no_grad():  # LayerNorm starts at (1, 0): move it so its parameters matter
        for name, p in layer.named_parameters():
            if name.startswith("norm"):
                p.add_(torch.randn_like(p) * 0.1)
            elif "bias" in name:
                p.copy_(torch.randn_like(p) * 0.1)
    layer = layer.double()
    src = rand(B, T, E).requires_grad_()
    lengths = [5, 3]
    out = layer(src, src_key_padding_mask=key_padding(lengths, T))
    record(case, module_params(layer), {"src": src}, {"output": out},
           {"lengths": torch.tensor(lengths, dtype=torch.float64)})


def decoder_layer_case(case, norm_first, activation):
    E, B, T, S = 8, 2, 4, 5
    layer = torch.nn.TransformerDecoderLayer(E, 2, dim_feedforward=16, dropout=0.0, activation=activation,
                                             batch_first=True, norm_first=norm_first)
    with torch.no_grad():
        for name, p in layer.named_parameters():
            if name.startswith("norm"):
                p.add_(torch.randn_like(p) * 0.1)
            elif "bias" in name:
                p.copy_(torch.randn_like(p) * 0.1)
    layer = layer.double()
    tgt = rand(B, T, E).requires_grad_()
    memory = rand(B, S, E).requires_grad_()
    tgt_lengths, src_lengths = [4, 2], [5, 3]
    out = layer(tgt, memory, tgt_mask=causal_blocked(T, T), tgt_key_padding_mask=key_padding(tgt_lengths, T),
                memory_key_padding_mask=key_padding(src_lengths, S))
    record(case, module_params(layer), {"tgt": tgt, "memory": memory}, {"output": out},
           {"tgt_lengths": torch.tensor(tgt_lengths, dtype=torch.float64),
            "src_lengths": torch.tensor(src_lengths, dtype=torch.float64)})


def transformer_case():
    E, B, S, T = 8, 2, 5, 4
    model = torch.nn.Transformer(d_model=E, nhead=2, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=16,
                                 dropout=0.0, batch_first=True)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:
                p.add_(torch.randn_like(p) * 0.1)
            elif "bias" in name:
                p.copy_(torch.randn_like(p) * 0.1)
    model = model.double()
    src = rand(B, S, E).requires_grad_()
    tgt = rand(B, T, E).requires_grad_()
    src_lengths, tgt_lengths = [5, 3], [4, 3]
    out = model(src, tgt, tgt_mask=causal_blocked(T, T), src_key_padding_mask=key_padding(src_lengths, S),
                tgt_key_padding_mask=key_padding(tgt_lengths, T), memory_key_padding_mask=key_padding(src_lengths, S))
    record("transformer", module_params(model), {"src": src, "tgt": tgt}, {"output": out},
           {"src_lengths": torch.tensor(src_lengths, dtype=torch.float64),
            "tgt_lengths": torch.tensor(tgt_lengths, dtype=torch.float64)})


# --- Bahdanau (2015): e_tj = v_aᵀ tanh(W_a q_t + U_a k_j + b)
def bahdanau_case(case, one_step):
    B, T, S, Dq, Dk, Dv, A = 2, 3, 5, 6, 4, 3, 7
    params = {"query_weight": rand(A, Dq, scale=0.4), "key_weight": rand(A, Dk, scale=0.4),
              "bias": rand(A, scale=0.2), "v": rand(A, scale=0.4)}
    for p in params.values():
        p.requires_grad_()
    query = (rand(B, Dq) if one_step else rand(B, T, Dq)).requires_grad_()
    keys, values = rand(B, S, Dk).requires_grad_(), rand(B, S, Dv).requires_grad_()
    q = query[:, None, :] if one_step else query  # (B, T, Dq)
    lengths = [5, 3]
    Wq, Wk, b, v = params["query_weight"], params["key_weight"], params["bias"], params["v"]
    hidden = torch.tanh(torch.einsum("ad,btd->bta", Wq, q)[:, :, None, :]
                        + torch.einsum("ak,bsk->bsa", Wk, keys)[:, None, :, :] + b)  # (B, T, S, A)
    scores = torch.einsum("a,btsa->bts", v, hidden)
    scores = scores.masked_fill(key_padding(lengths, S)[:, None, :], float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    context = torch.einsum("bts,bsv->btv", weights, values)
    if one_step:
        weights, context = weights[:, 0], context[:, 0]
    record(case, params, {"query": query, "keys": keys, "values": values}, {"context": context, "weights": weights},
           {"lengths": torch.tensor(lengths, dtype=torch.float64)})


# --- Luong (2015): dot qᵀk, general qᵀ W_a k, concat v_aᵀ tanh(W_a [q; k]); h̃ = tanh(W_c [c; h])
def luong_case(case, score, one_step=False):
    B, T, S, Dq, Dv, A = 2, 3, 5, 5, 3, 6
    Dk = Dq if score == "dot" else 4
    params = {}
    if score == "general":
        params["score_weight"] = rand(Dq, Dk, scale=0.4)
    if score == "concat":
        params["score_weight"] = rand(A, Dq + Dk, scale=0.4)
        params["v"] = rand(A, scale=0.4)
    params["output_weight"] = rand(Dq, Dv + Dq, scale=0.4)
    for p in params.values():
        p.requires_grad_()
    query = (rand(B, Dq) if one_step else rand(B, T, Dq)).requires_grad_()
    keys, values = rand(B, S, Dk).requires_grad_(), rand(B, S, Dv).requires_grad_()
    h = query[:, None, :] if one_step else query  # (B, T, Dq)
    if score == "dot":
        scores = torch.einsum("btd,bsd->bts", h, keys)
    elif score == "general":
        scores = torch.einsum("btd,de,bse->bts", h, params["score_weight"], keys)
    else:
        Tq = h.shape[1]
        joined = torch.cat([h[:, :, None, :].expand(B, Tq, S, Dq), keys[:, None, :, :].expand(B, Tq, S, Dk)], dim=-1)
        scores = torch.einsum("a,btsa->bts", params["v"], torch.tanh(torch.einsum("ac,btsc->btsa", params["score_weight"], joined)))
    lengths = [5, 2]
    blocked = key_padding(lengths, S)[:, None, :]
    extra = {"lengths": torch.tensor(lengths, dtype=torch.float64)}
    if score == "concat":  # and an explicit "allowed" pattern (1 = may attend) on top
        allowed = torch.tensor([[1, 1, 0, 1, 1], [0, 1, 1, 1, 0], [1, 0, 1, 0, 1]], dtype=torch.bool)
        blocked = blocked | ~allowed
        extra["allowed"] = allowed.double()
    weights = torch.softmax(scores.masked_fill(blocked, float("-inf")), dim=-1)
    context = torch.einsum("bts,bsv->btv", weights, values)
    h_tilde = torch.tanh(torch.cat([context, h], dim=-1) @ params["output_weight"].T)
    if one_step:
        weights, context, h_tilde = weights[:, 0], context[:, 0], h_tilde[:, 0]
    record(case, params, {"query": query, "keys": keys, "values": values},
           {"context": context, "weights": weights, "attentional_hidden": h_tilde}, extra)


def main():
    sdpa_case()
    mha_cases()
    encoder_layer_case("encoder_post_relu", norm_first=False, activation="relu")
    encoder_layer_case("encoder_pre_gelu", norm_first=True, activation="gelu")
    decoder_layer_case("decoder_post_relu", norm_first=False, activation="relu")
    decoder_layer_case("decoder_pre_gelu", norm_first=True, activation="gelu")
    transformer_case()
    bahdanau_case("bahdanau_steps", one_step=False)
    bahdanau_case("bahdanau_one_step", one_step=True)
    luong_case("luong_dot", "dot")
    luong_case("luong_general", "general")
    luong_case("luong_concat", "concat")
    luong_case("luong_general_one_step", "general", one_step=True)
    for name, value in OUT.items():
        if "/input/" not in name:  # additive masks may hold -inf
            assert torch.isfinite(value).all(), name
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "attention.safetensors")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    save(path, OUT, {"generator": "tests/golden/make_attention_fixtures.py", "torch": torch.__version__})
    print(f"wrote {len(OUT)} tensors to {path}")


if __name__ == "__main__":
    main()
