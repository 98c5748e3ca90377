#!/usr/bin/env python3
"""The translate example's dates models (bahdanau, transformer) in PyTorch, timed beside attograd's.

--model bahdanau (default): the same architecture with the same sizes as examples/translate
(bidirectional GRU encoder with H/2 each way, GRUCell decoder fed [embedding; context], additive
attention v^T tanh(W_q h + W_k k + b), output Linear([h; c])).
--model transformer: translate's Transformer defaults (d_model 64, 4 heads, 2 + 2 layers,
feed-forward 128, dropout 0.1, post-norm, ReLU), token embeddings plus sinusoidal positions,
torch.nn.Transformer with batch_first. PyTorch's nn.Transformer has no key/value cache, so its
greedy decoding re-runs the decoder over the whole prefix each step, as PyTorch users do;
attograd's decoder caches keys and values.

Both train with Adam and gradient clipping (1.0) on batches of the same shapes, and greedy-decode
1000 sources in batches of 100. Then the script runs `translate` with the same sizes and prints
both, with their ratios. Run it twice, alternating, on a busy machine:

    /usr/bin/python3 bench/translate_torch.py [--model transformer] [--steps 200]
        [--translate build/release/examples/translate/translate]

Data are random token ids with the dates task's shapes (source lengths 8-26, target 11 with
EOS, V_src 50, V_tgt 15): the timing, not the accuracy, is compared.
"""
import argparse, json, os, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from blas_kernels import match_attograd  # noqa: E402

match_attograd()  # before torch is imported: the same OpenBLAS kernels on both sides

def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", choices=["bahdanau", "transformer"], default="bahdanau")
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--to-target", type=float, default=0.0, metavar="X",
                   help="instead: train both on the same generated dates until greedy exact match on the 1000 "
                        "validation dates reaches X (checked every --eval-every steps), and compare the training "
                        "seconds (evaluation excluded)")
    p.add_argument("--eval-every", type=int, default=100)
    p.add_argument("--max-steps", type=int, default=6000)
    p.add_argument("--translate", default=os.path.join(here, "..", "build", "release", "examples", "translate", "translate"))
    a = p.parse_args()
    if a.steps < 1 or a.batch < 1:
        sys.exit("--steps and --batch must be positive")
    try:
        import torch
    except ImportError:
        sys.exit("needs PyTorch: apt-get install python3-torch")
    torch.manual_seed(0)
    torch.set_num_threads(2)
    E, H, Vs, Vt, T = 32, 128, 50, 15, 11
    D, HEADS, LAYERS, FF = 64, 4, 2, 128  # translate's Transformer defaults

    class Bahdanau(torch.nn.Module):
        def __init__(s, Vs=Vs, Vt=Vt):
            super().__init__()
            s.Vt = Vt
            s.src = torch.nn.Embedding(Vs, E, padding_idx=0)
            s.enc = torch.nn.GRU(E, H // 2, batch_first=True, bidirectional=True)
            s.tgt = torch.nn.Embedding(Vt, E, padding_idx=0)
            s.cell = torch.nn.GRUCell(E + H, H)
            s.wq = torch.nn.Linear(H, H, bias=False)
            s.wk = torch.nn.Linear(H, H)
            s.v = torch.nn.Parameter(torch.rand(H) * 0.1)
            s.out = torch.nn.Linear(2 * H, Vt)

        def encode(s, src, lengths):
            packed = torch.nn.utils.rnn.pack_padded_sequence(s.src(src), lengths, batch_first=True, enforce_sorted=False)
            keys, h_n = s.enc(packed)
            keys, _ = torch.nn.utils.rnn.pad_packed_sequence(keys, batch_first=True, total_length=src.shape[1])
            mask = torch.arange(src.shape[1])[None, :] >= lengths[:, None]
            return keys, s.wk(keys), mask, torch.cat([h_n[-2], h_n[-1]], -1)

        def step(s, y, keys, kp, mask, h):
            scores = torch.tanh(s.wq(h)[:, None, :] + kp) @ s.v  # (B, S)
            w = torch.softmax(scores.masked_fill(mask, float("-inf")), -1)
            c = (w[:, :, None] * keys).sum(1)
            h = s.cell(torch.cat([s.tgt(y), c], -1), h)
            return s.out(torch.cat([h, c], -1)), h

        def loss(s, src, lengths, tgt):
            keys, kp, mask, h = s.encode(src, lengths)
            y = torch.full((src.shape[0],), 1, dtype=torch.long)
            logits = []
            for t in range(tgt.shape[1]):
                l, h = s.step(y, keys, kp, mask, h)
                logits.append(l)
                y = tgt[:, t]
            return torch.nn.functional.cross_entropy(torch.stack(logits, 1).reshape(-1, s.Vt), tgt.reshape(-1), ignore_index=0)

        def greedy(s, src, lengths):
            keys, kp, mask, h = s.encode(src, lengths)
            y = torch.full((src.shape[0],), 1, dtype=torch.long)
            ys = []
            for _ in range(T):
                l, h = s.step(y, keys, kp, mask, h)
                y = l.argmax(-1)
                ys.append(y)
            return torch.stack(ys, 1)  # (B, T)

    def sinusoids(n, d):
        pos = torch.arange(n, dtype=torch.float32)[:, None]
        angle = pos / torch.pow(10000.0, torch.arange(0, d, 2, dtype=torch.float32) / d)
        table = torch.zeros(n, d)
        table[:, 0::2], table[:, 1::2] = torch.sin(angle), torch.cos(angle)
        return table

    class Transformer(torch.nn.Module):
        def __init__(s, Vs=Vs, Vt=Vt):
            super().__init__()
            s.Vt = Vt
            s.src = torch.nn.Embedding(Vs, D, padding_idx=0)
            s.tgt = torch.nn.Embedding(Vt, D, padding_idx=0)
            s.register_buffer("pe", sinusoids(512, D))
            s.drop = torch.nn.Dropout(0.1)
            s.t = torch.nn.Transformer(D, HEADS, LAYERS, LAYERS, FF, 0.1, batch_first=True)
            s.out = torch.nn.Linear(D, Vt)

        def embed(s, table, ids):
            return s.drop(table(ids) + s.pe[: ids.shape[1]])

        def loss(s, src, lengths, tgt):
            pad = torch.arange(src.shape[1])[None, :] >= lengths[:, None]
            y_in = torch.cat([torch.ones(tgt.shape[0], 1, dtype=torch.long), tgt[:, :-1]], 1)
            causal = s.t.generate_square_subsequent_mask(tgt.shape[1])
            h = s.t(s.embed(s.src, src), s.embed(s.tgt, y_in), tgt_mask=causal, src_key_padding_mask=pad,
                    memory_key_padding_mask=pad)
            return torch.nn.functional.cross_entropy(s.out(h).reshape(-1, s.Vt), tgt.reshape(-1), ignore_index=0)

        def greedy(s, src, lengths):
            src = src[:, : int(lengths.max())]  # in eval mode the encoder drops all-padding columns itself
            pad = torch.arange(src.shape[1])[None, :] >= lengths[:, None]
            memory = s.t.encoder(s.embed(s.src, src), src_key_padding_mask=pad)
            ys = torch.ones(src.shape[0], 1, dtype=torch.long)
            for _ in range(T):
                causal = s.t.generate_square_subsequent_mask(ys.shape[1])
                h = s.t.decoder(s.embed(s.tgt, ys), memory, tgt_mask=causal, memory_key_padding_mask=pad)
                ys = torch.cat([ys, s.out(h[:, -1]).argmax(-1, keepdim=True)], 1)
            return ys[:, 1:]  # (B, T)

    def batch(B):
        lengths = torch.randint(8, 27, (B,))
        src = torch.randint(4, Vs, (B, int(lengths.max())))
        src[torch.arange(src.shape[1])[None, :] >= lengths[:, None]] = 0
        return src, lengths, torch.randint(3, Vt, (B, T))

    if a.to_target > 0:
        return to_target(a, locals())
    m = Bahdanau() if a.model == "bahdanau" else Transformer()
    opt = torch.optim.Adam(m.parameters(), lr=2e-3)
    for _ in range(5):
        src, lengths, tgt = batch(a.batch)
        opt.zero_grad(); m.loss(src, lengths, tgt).backward(); opt.step()
    start = time.perf_counter()
    for _ in range(a.steps):
        src, lengths, tgt = batch(a.batch)
        opt.zero_grad()
        loss = m.loss(src, lengths, tgt)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()
    torch_step = (time.perf_counter() - start) / a.steps * 1000
    start = time.perf_counter()
    m.eval()
    with torch.no_grad():
        for _ in range(10):  # 1000 sources, 100 at a time, greedy
            src, lengths, _ = batch(100)
            m.greedy(src, lengths)
    torch_decode = time.perf_counter() - start

    with tempfile.TemporaryDirectory() as tmp:
        metrics = os.path.join(tmp, "m.json")
        subprocess.run([a.translate, "--model", a.model, "--steps", str(a.steps), "--batch", str(a.batch), "--no-report", "--samples", "0",
                        "--metrics-json", metrics], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(metrics) as f:
            m_att = json.load(f)
    att_step = m_att["train_seconds"] / a.steps * 1000
    print(f"{a.model} on dates, batch {a.batch}, {a.steps} steps")
    print(f"{'':24}{'attograd':>10}{'pytorch':>10}{'ratio':>8}")
    print(f"{'ms per training step':24}{att_step:10.2f}{torch_step:10.2f}{att_step / torch_step:8.3f}")
    print(f"{'greedy decode 1000, s':24}{m_att['decode_seconds']:10.3f}{torch_decode:10.3f}{m_att['decode_seconds'] / torch_decode:8.3f}")


def to_target(a, env):
    """Both frameworks train on translate's own generated dates (--write-data) until the
    validation exact match reaches a.to_target; training seconds exclude the evaluations."""
    import torch
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([a.translate, "--write-data", tmp, "--steps", "0", "--no-report", "--samples", "0"],
                       check=True, stdout=subprocess.DEVNULL)
        def read(name):
            with open(os.path.join(tmp, name), encoding="utf-8") as f:
                return [tuple(line.rstrip("\n").split("\t")) for line in f]
        train, validation = read("train.tsv"), read("validation.tsv")
        metrics = os.path.join(tmp, "m.json")
        subprocess.run([a.translate, "--model", a.model, "--steps", str(a.max_steps), "--batch", str(a.batch),
                        "--eval-every", str(a.eval_every), "--target", str(a.to_target), "--stop-at-target",
                        "--no-report", "--samples", "0", "--metrics-json", metrics],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(metrics) as f:
            m_att = json.load(f)
    # 0 PAD, 1 BOS, 2 EOS, 3 UNK, then the characters: translate's vocabularies, one per side.
    src_ids = {c: i + 4 for i, c in enumerate(sorted({c for s, _ in train for c in s}))}
    tgt_ids = {c: i + 4 for i, c in enumerate(sorted({c for _, t in train for c in t}))}
    def tensors(pairs):
        src = [[src_ids.get(c, 3) for c in s] for s, _ in pairs]
        tgt = [[tgt_ids.get(c, 3) for c in t] + [2] for _, t in pairs]
        lengths = torch.tensor([len(x) for x in src])
        S, T = max(map(len, src)), max(map(len, tgt))
        return (torch.tensor([x + [0] * (S - len(x)) for x in src]), lengths,
                torch.tensor([y + [0] * (T - len(y)) for y in tgt]))
    val_src, val_len, val_tgt = tensors(validation)
    torch.manual_seed(0)
    Vs, Vt = len(src_ids) + 4, len(tgt_ids) + 4
    m = env["Bahdanau"](Vs, Vt) if a.model == "bahdanau" else env["Transformer"](Vs, Vt)
    opt = torch.optim.Adam(m.parameters(), lr=2e-3)
    gen = torch.Generator().manual_seed(1)
    seconds, reached, steps, exact = 0.0, None, 0, 0.0
    while steps < a.max_steps and reached is None:
        start = time.perf_counter()
        picked = torch.randint(0, len(train), (a.batch,), generator=gen).tolist()
        src, lengths, tgt = tensors([train[i] for i in picked])
        opt.zero_grad()
        loss = m.loss(src, lengths, tgt)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()
        seconds += time.perf_counter() - start
        steps += 1
        if steps % a.eval_every == 0:
            m.eval()
            with torch.no_grad():
                right = 0
                for first in range(0, len(validation), 100):
                    out = m.greedy(val_src[first:first + 100], val_len[first:first + 100])
                    ref = val_tgt[first:first + 100]
                    for o, r in zip(out.tolist(), ref.tolist()):
                        o = o[: o.index(2)] if 2 in o else o
                        right += o == r[: r.index(2)]
            m.train()
            exact = right / len(validation)
            print(f"pytorch step {steps}: validation exact match {exact:.4f} after {seconds:.1f} s", file=sys.stderr)
            if exact >= a.to_target:
                reached = seconds
    att = m_att.get("seconds_to_target")
    print(f"{a.model} on dates, batch {a.batch}: training seconds until {a.to_target:.0%} validation exact match")
    print(f"{'':24}{'attograd':>10}{'pytorch':>10}{'ratio':>8}")
    fmt = lambda x: f"{x:10.1f}" if x is not None else f"{'not hit':>10}"
    ratio = f"{att / reached:8.3f}" if att is not None and reached is not None else f"{'-':>8}"
    print(f"{'seconds to target':24}{fmt(att)}{fmt(reached)}{ratio}")
    print(f"{'steps to target':24}{m_att.get('steps_to_target', '-'):>10}{steps if reached else '-':>10}")


if __name__ == "__main__":
    main()
