#!/usr/bin/env python3
"""The translate example's default model (dates, Bahdanau) in PyTorch, timed beside attograd's.

Builds the same architecture with the same sizes as examples/translate (bidirectional GRU
encoder with H/2 each way, GRUCell decoder fed [embedding; context], additive attention
v^T tanh(W_q h + W_k k + b), output Linear([h; c])), trains it with Adam and gradient clipping on
batches of the same shapes, and greedy-decodes 1000 sources in batches of 100. Then runs
`translate` with the same sizes and prints both, with their ratios:

    /usr/bin/python3 bench/translate_torch.py [--steps 200] [--translate build/release/examples/translate/translate]

Data are random token ids with the dates task's shapes (source lengths 8-26, target 11 with
EOS, V_src 50, V_tgt 15): the timing, not the accuracy, is compared.
"""
import argparse, json, os, subprocess, sys, tempfile, time

def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--batch", type=int, default=64)
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

    class Model(torch.nn.Module):
        def __init__(s):
            super().__init__()
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
            return torch.nn.functional.cross_entropy(torch.stack(logits, 1).reshape(-1, Vt), tgt.reshape(-1), ignore_index=0)

    def batch(B):
        lengths = torch.randint(8, 27, (B,))
        src = torch.randint(4, Vs, (B, int(lengths.max())))
        src[torch.arange(src.shape[1])[None, :] >= lengths[:, None]] = 0
        return src, lengths, torch.randint(3, Vt, (B, T))

    m = Model()
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
    with torch.no_grad():
        for _ in range(10):  # 1000 sources, 100 at a time, greedy
            src, lengths, _ = batch(100)
            keys, kp, mask, h = m.encode(src, lengths)
            y = torch.full((100,), 1, dtype=torch.long)
            for _ in range(T):
                l, h = m.step(y, keys, kp, mask, h)
                y = l.argmax(-1)
    torch_decode = time.perf_counter() - start

    with tempfile.TemporaryDirectory() as tmp:
        metrics = os.path.join(tmp, "m.json")
        subprocess.run([a.translate, "--steps", str(a.steps), "--batch", str(a.batch), "--no-report", "--samples", "0",
                        "--metrics-json", metrics], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(metrics) as f:
            m_att = json.load(f)
    att_step = m_att["train_seconds"] / a.steps * 1000
    print(f"{'':24}{'attograd':>10}{'pytorch':>10}{'ratio':>8}")
    print(f"{'ms per training step':24}{att_step:10.2f}{torch_step:10.2f}{att_step / torch_step:8.3f}")
    print(f"{'greedy decode 1000, s':24}{m_att['decode_seconds']:10.3f}{torch_decode:10.3f}{m_att['decode_seconds'] / torch_decode:8.3f}")

if __name__ == "__main__":
    main()
