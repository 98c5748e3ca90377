#!/usr/bin/env python3
"""Runs attograd-bench and the same workloads in PyTorch on this machine, side by side.

    /usr/bin/python3 bench/compare_torch.py [--bench build/release/bench/attograd-bench]
                                            [--iters 20] [--repeat 3] [--threads N] [workload ...]

Each workload runs in its own process on both sides (so peak RSS is per workload), PyTorch
with torch.set_num_threads(os.cpu_count()), or with --threads N: OPENBLAS_NUM_THREADS and
OMP_NUM_THREADS set to N before torch is imported, and torch.set_num_threads(N) (attograd-bench
is left as it is). Prints one line per workload with both figures and the ratio attograd /
PyTorch (lower is better for times and memory; for matmul, attograd's GFLOP/s over raw OpenBLAS
sgemm, higher is better; for generate, milliseconds per generated token). Shared machines drift by tens of percent
from minute to minute, so each workload runs --repeat times on each side, alternating, and
every figure is the median over those runs (the ratio is the median of the per-run ratios).
Each run starts after --settle seconds, so that tearing down the previous process (PyTorch
frees about 260 MB) does not overlap the next one's timing.
Needs Debian's python3-torch.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from blas_kernels import match_attograd  # noqa: E402

match_attograd()  # before torch is imported: the same OpenBLAS kernels on both sides

WORKLOADS = ["matmul", "mha", "seq2seq", "transformer", "conv", "caption", "lm", "generate", "tiny"]

# conv: FLOPs per step from the shapes, as bench/main.cpp counts them at its BLAS door:
# 2·N·O·OH·OW·C·KH·KW per conv forward; the backward adds one of each for the weight gradients
# and one of conv 2 for its input gradient (conv 1's input needs none).
CONV1, CONV2 = 2 * 32 * 16 * 48 * 48 * 3 * 3 * 3, 2 * 32 * 32 * 24 * 24 * 16 * 3 * 3
CONV_FLOPS = 2 * CONV1 + 3 * CONV2  # 637 009 920


def median_ms(step, iters, warmup):
    for _ in range(warmup):
        step()
    times = []
    for _ in range(iters):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times)


def cached_gpt(V, C, E, L, H):
    """examples/lm's GPT (bench/lm_torch.py's build_gpt, no dropout) written by hand for generation
    with a key/value cache, as a PyTorch user writes one (nn.TransformerEncoder has none): each
    block's attention keeps its keys and values (B, H, S, E/H) and appends the new positions with
    torch.cat (as Hugging Face's GPT-2 past_key_values). Same math: pre-LN blocks with a causal
    self-attention (one in_proj of 3E with bias, out_proj) and a GELU MLP of 4E, a final LayerNorm,
    a bias-free head."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.norm1, self.norm2 = nn.LayerNorm(E), nn.LayerNorm(E)
            self.in_proj, self.out_proj = nn.Linear(E, 3 * E), nn.Linear(E, E)
            self.linear1, self.linear2 = nn.Linear(E, 4 * E), nn.Linear(4 * E, E)

        def forward(self, x, cache):  # x (B, t, E), the new positions; cache: [] or [keys, values]
            B, t, _ = x.shape
            q, k, v = (z.view(B, t, H, E // H).transpose(1, 2) for z in self.in_proj(self.norm1(x)).split(E, -1))
            if cache:
                k, v = torch.cat([cache[0], k], 2), torch.cat([cache[1], v], 2)
            cache[:] = [k, v]
            S = k.shape[2]
            scores = (q @ k.transpose(-2, -1)) * (E // H) ** -0.5  # (B, H, t, S)
            if t > 1:  # the prefill: position S - t + i sees keys 0 .. S - t + i
                scores = scores.masked_fill(torch.ones(t, S, dtype=torch.bool).triu(S - t + 1), float("-inf"))
            x = x + self.out_proj((scores.softmax(-1) @ v).transpose(1, 2).reshape(B, t, E))
            return x + self.linear2(F.gelu(self.linear1(self.norm2(x))))

    class CachedGPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tokens, self.positions = nn.Embedding(V, E), nn.Embedding(C, E)
            self.blocks = nn.ModuleList(Block() for _ in range(L))
            self.norm = nn.LayerNorm(E)
            self.head = nn.Linear(E, V, bias=False)

        def forward(self, ids, caches):  # ids (B, t) after the cached positions -> logits (B, t, V)
            start = caches[0][0].shape[2] if caches[0] else 0
            x = self.tokens(ids) + self.positions(torch.arange(start, start + ids.shape[1]))
            for block, cache in zip(self.blocks, caches):
                x = block(x, cache)
            return self.head(self.norm(x))

        def generate(self, prompt, new_tokens):
            """Greedy, as seq::generate at temperature 0: the prompt in one forward, then one
            position per step (new_tokens forwards in all)."""
            caches, text, new = [[] for _ in self.blocks], [prompt], prompt
            for _ in range(new_tokens):
                new = self(new, caches)[:, -1].argmax(-1, keepdim=True)  # (B, 1)
                text.append(new)
            return torch.cat(text, 1)

    return CachedGPT()


def torch_workload(name, iters, warmup, threads=0, as_installed=False):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    if not as_installed:  # as_installed: PyTorch's own default (its intra-op threads = physical cores)
        torch.set_num_threads(threads or os.cpu_count())
    torch.manual_seed(0)
    result = {"workload": name}
    if name == "matmul":
        a, b = torch.randn(512, 512), torch.randn(512, 512)
        with torch.no_grad():
            ms = median_ms(lambda: torch.matmul(a, b), iters, warmup)
        result["gflops"] = 2 * 512**3 / ms / 1e6
    elif name == "mha":
        mha = nn.MultiheadAttention(256, 8, batch_first=True)
        adam = torch.optim.Adam(mha.parameters(), lr=1e-4)
        x = torch.randn(16, 64, 256)

        def step():
            adam.zero_grad()
            out, _ = mha(x, x, x, need_weights=False)
            (out * out).mean().backward()
            adam.step()

        result["ms_per_step"] = median_ms(step, iters, warmup)
    elif name == "seq2seq":
        V, E, H, B, S, T = 64, 64, 128, 32, 16, 16

        class Seq2Seq(nn.Module):
            def __init__(self):
                super().__init__()
                self.src_embed, self.tgt_embed = nn.Embedding(V, E), nn.Embedding(V, E)
                self.encoder = nn.GRU(E, H, batch_first=True)
                self.W_q, self.W_k = nn.Linear(H, H, bias=False), nn.Linear(H, H, bias=True)
                self.v = nn.Linear(H, 1, bias=False)
                self.decoder = nn.GRUCell(E + H, H)
                self.out = nn.Linear(H + H, V)

            def forward(self, src, tgt_in, tgt_out):
                memory, h = self.encoder(self.src_embed(src))  # (B, S, H)
                h = h[0]
                keys = self.W_k(memory)
                embedded = self.tgt_embed(tgt_in)
                features = []
                for t in range(tgt_in.shape[1]):
                    scores = self.v(torch.tanh(self.W_q(h).unsqueeze(1) + keys)).squeeze(-1)  # (B, S)
                    weights = torch.softmax(scores, -1)
                    context = torch.bmm(weights.unsqueeze(1), memory).squeeze(1)  # (B, H)
                    h = self.decoder(torch.cat([embedded[:, t], context], 1), h)
                    features.append(torch.cat([h, context], 1))  # (B, 2H)
                logits = self.out(torch.stack(features, 1))  # (B, T, V): once, after the loop, as attograd-bench
                return F.cross_entropy(logits.reshape(-1, V), tgt_out.reshape(-1))

        model = Seq2Seq()
        adam = torch.optim.Adam(model.parameters(), lr=1e-3)
        src, tgt_in, tgt_out = (torch.randint(0, V, (B, S)) for _ in range(3))

        def step():
            adam.zero_grad()
            model(src, tgt_in, tgt_out).backward()
            adam.step()

        result["ms_per_step"] = median_ms(step, iters, warmup)
    elif name == "transformer":
        V, D, B, L = 64, 128, 32, 16
        src_embed, tgt_embed = nn.Embedding(V, D), nn.Embedding(V, D)
        transformer = nn.Transformer(D, 4, 2, 2, 256, dropout=0.0, batch_first=True)
        out = nn.Linear(D, V)
        params = [*src_embed.parameters(), *tgt_embed.parameters(), *transformer.parameters(), *out.parameters()]
        adam = torch.optim.Adam(params, lr=1e-4)
        src, tgt_in, tgt_out = (torch.randint(0, V, (B, L)) for _ in range(3))
        mask = nn.Transformer.generate_square_subsequent_mask(L)

        def step():
            adam.zero_grad()
            y = transformer(src_embed(src), tgt_embed(tgt_in), tgt_mask=mask)
            F.cross_entropy(out(y).reshape(-1, V), tgt_out.reshape(-1)).backward()
            adam.step()

        result["ms_per_step"] = median_ms(step, iters, warmup)
    elif name == "conv":
        # The caption encoder's first two blocks (bench/main.cpp's bench_conv), forward and backward.
        net = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        x = torch.rand(32, 3, 48, 48)  # no grad

        def step():
            net.zero_grad(set_to_none=True)  # as attograd's zero_grad (torch 1.13 defaults to zeroing in place)
            net(x).sum().backward()

        ms = median_ms(step, iters, warmup)
        result["ms_per_step"] = ms
        result["flops_per_step"] = CONV_FLOPS
        result["gflops"] = CONV_FLOPS / ms / 1e6
    elif name == "caption":
        # examples/caption/captioners.cpp's ShowAttendTell (kind sat) with its defaults: features
        # D = 32, embed E = 32, hidden H = 128, attention width H, no dropout, no attention penalty.
        V, D, E, H, B, T, L = 26, 32, 32, 128, 32, 21, 9  # L: the 3×3 grid of a 48×48 image

        class Encoder(nn.Module):
            def __init__(self):
                super().__init__()
                layers = []
                for c_in, c_out in [(3, D // 2), (D // 2, D), (D, D), (D, D)]:
                    layers += [nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
                self.cnn = nn.Sequential(*layers)
                self.position = nn.Embedding(L, D)  # the learned embedding of each grid cell
                nn.init.normal_(self.position.weight, 0.0, 0.1)

            def forward(self, images):
                grid = self.cnn(images).flatten(2).transpose(1, 2)  # (B, D, L) -> (B, L, D)
                return grid + self.position(torch.arange(grid.shape[1]))

        class ShowAttendTell(nn.Module):
            def __init__(self):
                super().__init__()
                self.encoder = Encoder()
                self.init_h, self.init_c = nn.Linear(D, H), nn.Linear(D, H)
                self.embed = nn.Embedding(V, E, padding_idx=0)
                # nn::AdditiveAttention(H, D, H): the bias sits with the key projection (W_k a + b).
                self.W_q, self.W_k = nn.Linear(H, H, bias=False), nn.Linear(D, H, bias=True)
                self.v = nn.Parameter(torch.empty(H).uniform_(-H**-0.5, H**-0.5))
                self.beta = nn.Linear(H, 1)
                self.cell = nn.LSTMCell(E + D, H)
                self.out = nn.Linear(H + D, V)

            def forward(self, images, captions):
                grid = self.encoder(images)  # (B, L, D)
                mean = grid.mean(1)  # (B, D)
                h, c = torch.tanh(self.init_h(mean)), torch.tanh(self.init_c(mean))
                keys = self.W_k(grid)  # (B, L, H), once for all steps
                previous = torch.full((captions.shape[0],), 1, dtype=torch.long)  # BOS
                logits = []
                for t in range(captions.shape[1]):
                    scores = torch.tanh(self.W_q(h).unsqueeze(1) + keys) @ self.v  # (B, L)
                    alpha = torch.softmax(scores, -1)
                    context = torch.bmm(alpha.unsqueeze(1), grid).squeeze(1)  # (B, D)
                    z = torch.sigmoid(self.beta(h)) * context
                    h, c = self.cell(torch.cat([self.embed(previous), z], -1), (h, c))
                    logits.append(self.out(torch.cat([h, z], -1)))  # (B, V)
                    previous = captions[:, t]  # teacher forcing
                return F.cross_entropy(torch.stack(logits, 1).reshape(-1, V), captions.reshape(-1), ignore_index=0)

        model = ShowAttendTell()
        adam = torch.optim.Adam(model.parameters(), lr=3e-3)
        images = torch.rand(B, 3, 48, 48)
        captions = torch.cat([torch.randint(4, V, (B, T - 1)), torch.full((B, 1), 2)], 1)  # words, then EOS

        def step():
            adam.zero_grad(set_to_none=True)  # as attograd's zero_grad
            model(images, captions).backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            adam.step()

        result["ms_per_step"] = median_ms(step, iters, warmup)
    elif name == "lm":
        # One training step of lm's GPT at nanoGPT's CPU shape (bench/main.cpp's bench_lm), the
        # model of lm_torch.py: AdamW with weight decay on every parameter, as attograd-bench's.
        from types import SimpleNamespace
        from lm_torch import build_gpt
        V, B, T = 65, 12, 64
        model = build_gpt(V, SimpleNamespace(context=T, embed=128, layers=4, heads=4, dropout=0.0))
        model.train()
        adamw = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.1)
        inputs, targets = torch.randint(0, V, (B, T)), torch.randint(0, V, (B, T))

        def step():
            adamw.zero_grad(set_to_none=True)  # as attograd's zero_grad
            F.cross_entropy(model(inputs).flatten(0, 1), targets.flatten()).backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            adamw.step()

        result["ms_per_step"] = median_ms(step, iters, warmup)
        result["parameters"] = sum(p.numel() for p in model.parameters())  # 818 176, as attograd's
    elif name == "generate":
        # bench/main.cpp's bench_generate, cached: context 512, a random 64-token prompt, 256 new
        # tokens greedy; the median of min(iters, 3) generations after one, per new token.
        model = cached_gpt(65, 512, 128, 4, 4).eval()
        prompt = torch.randint(0, 65, (1, 64))
        with torch.inference_mode():
            ms = median_ms(lambda: model.generate(prompt, 256), min(iters, 3), 1)
        result.update(ms_per_token=ms / 256, cached_ms=ms, cached_tokens_per_second=256 / (ms / 1000))
        result["parameters"] = sum(p.numel() for p in model.parameters())  # 875 520, as attograd's
    elif name == "tiny":
        x = torch.randn(16, requires_grad=True)

        def step():
            x.grad = None
            y = x
            for _ in range(1000):
                y = y * 1.0001 + 0.001
            y.sum().backward()

        result["us_per_op"] = median_ms(step, iters, warmup) * 1000.0 / 2000
    result["threads"] = torch.get_num_threads()
    result["peak_rss_mb"] = peak_rss_mb()
    return result


def peak_rss_mb():
    """VmHWM of this process: unlike ru_maxrss it starts afresh at exec, so the parent's
    memory is not counted (attograd-bench measures itself the same way)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", default=os.path.join(here, "..", "build", "release", "bench", "attograd-bench"))
    parser.add_argument("--iters", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--settle", type=float, default=2.0,
                        help="seconds to wait before each run (default 2)")
    parser.add_argument("--threads", type=int, default=0,
                        help="PyTorch's threads: OPENBLAS_NUM_THREADS and OMP_NUM_THREADS before torch is "
                             "imported, and torch.set_num_threads (default: torch.set_num_threads(os.cpu_count()) "
                             "and no environment)")
    parser.add_argument("--as-installed", action="store_true",
                        help="PyTorch's own thread defaults: no torch.set_num_threads (for side_by_side.py)")
    parser.add_argument("--torch-only", metavar="WORKLOAD", help=argparse.SUPPRESS)
    parser.add_argument("workloads", nargs="*", default=WORKLOADS)
    args = parser.parse_args()
    if args.iters < 1 or args.warmup < 0 or args.repeat < 1 or args.settle < 0 or args.threads < 0:
        sys.exit(f"compare_torch.py: --iters and --repeat must be at least 1, --warmup, --settle and --threads at "
                 f"least 0; got --iters {args.iters} --warmup {args.warmup} --repeat {args.repeat} "
                 f"--settle {args.settle} --threads {args.threads}")
    # Checked in a child process: importing torch here would also raise the peak-memory figures
    # of every process started from this one.
    if subprocess.run([sys.executable, "-c", "import torch"], capture_output=True).returncode != 0:
        sys.exit(f"compare_torch.py: PyTorch is not importable by {sys.executable}; "
                 "install Debian's python3-torch (apt-get install python3-torch) and run it with /usr/bin/python3")
    if args.torch_only:
        if args.threads:  # before torch (and OpenBLAS with it) is loaded, so both read them
            os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = str(args.threads)
        print(json.dumps(torch_workload(args.torch_only, args.iters, args.warmup, args.threads, args.as_installed)))
        return 0
    for w in args.workloads:
        if w not in WORKLOADS:
            sys.exit(f"compare_torch.py: unknown workload '{w}' (choose from {' '.join(WORKLOADS)})")
    if not os.path.exists(args.bench):
        sys.exit(f"compare_torch.py: {args.bench} not found; build it first (cmake --build --preset release)")
    print(f"{'workload':<12} {'metric':<12} {'attograd':>10} {'pytorch':>10} {'ratio':>7}   "
          f"{'rss attograd':>12} {'rss torch':>10} {'ratio':>6}")
    for w in args.workloads:
        runs = []  # (ours, theirs) per repeat
        for _ in range(args.repeat):
            time.sleep(args.settle)
            ours = json.loads(subprocess.check_output(
                [args.bench, w, "--iters", str(args.iters), "--warmup", str(args.warmup)], text=True).strip())
            time.sleep(args.settle)
            theirs = json.loads(subprocess.check_output(
                [sys.executable, __file__, "--torch-only", w, "--iters", str(args.iters), "--warmup",
                 str(args.warmup), "--threads", str(args.threads)], text=True).strip())
            runs.append((ours, theirs))
        if w == "matmul":
            metric, label = "gflops", "vs sgemm"
            pairs = [(o["gflops"], o["openblas_gflops"]) for o, _ in runs]
        else:
            metric, label = {"tiny": "us_per_op", "generate": "ms_per_token"}.get(w, "ms_per_step"), ""
            pairs = [(o[metric], t[metric]) for o, t in runs]
        a = statistics.median(p[0] for p in pairs)
        b = statistics.median(p[1] for p in pairs)
        ratio = statistics.median(p[0] / p[1] for p in pairs)
        rss_ours = statistics.median(o["peak_rss_mb"] for o, _ in runs)
        rss_theirs = statistics.median(t["peak_rss_mb"] for _, t in runs)
        print(f"{w:<12} {metric:<12} {a:>10.3f} {b:>10.3f} {ratio:>7.3f}   "
              f"{rss_ours:>12.1f} {rss_theirs:>10.1f} {rss_ours / rss_theirs:>6.3f} {label}")
        if w == "matmul":
            torch_gflops = statistics.median(t["gflops"] for _, t in runs)
            print(f"{'':<12} {'gflops':<12} {'':>10} {torch_gflops:>10.3f}   (PyTorch matmul, for reference)")
        elif "fraction_of_sgemm" in runs[0][0]:
            # The roofline: the step's GEMM FLOPs (counted by attograd-bench at its BLAS door; the
            # same products run in PyTorch), the rate each side reaches, and attograd's as a
            # fraction of raw sgemm measured in its own process.
            flops = statistics.median(o["flops_per_step"] for o, _ in runs)
            ours_gflops = statistics.median(o["gflops"] for o, _ in runs)
            torch_gflops = statistics.median(flops / t["ms_per_step"] / 1e6 for _, t in runs)
            fraction = statistics.median(o["fraction_of_sgemm"] for o, _ in runs)
            sgemm = statistics.median(o["sgemm_gflops"] for o, _ in runs)
            print(f"{'':<12} {'gflops':<12} {ours_gflops:>10.3f} {torch_gflops:>10.3f}   "
                  f"(at {flops / 1e6:.1f} MFLOP of GEMM per step; attograd at {fraction:.3f} of raw sgemm's "
                  f"{sgemm:.1f} GFLOP/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
