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

--to-target X: both train on translate's own generated dates (`translate --write-data`) until the
greedy validation exact match reaches X, and the training seconds are compared.

--data FILE.tsv: both train on a real corpus of sentence pairs (lines source<TAB>target), and
speed and quality are compared:

    /usr/bin/python3 bench/translate_torch.py --data /work/data/en_de_5000.tsv
        [--steps 1200] [--eval-every 200] [--val-fraction 0.1] [--test-fraction 0.1] [--seed 1]
        [--threads 1] [--json OUT.json] [--translate PATH]

  splits     `translate --data FILE --tokens word --val-fraction V --test-fraction T --seed S
             --write-data TMP --dry-run` writes attograd's own train/validation/test split,
             already word-tokenized (joined with single spaces); PyTorch trains on exactly that
  vocab      from the training split only, one per side: 0 PAD, 1 BOS, 2 EOS, 3 UNK, then the
             tokens in order of first appearance (as examples/common/vocabulary.cpp)
  training   --steps (default 1200) batches of --batch (64) pairs drawn uniformly with
             replacement, Adam (--lr, default translate's: 2e-3, 3e-3 for the transformer),
             gradient norm clipped to 1.0; timed step by step (batch drawing, forward, backward,
             clipping, Adam), evaluations excluded, as translate's clock
  validation every --eval-every steps (default 200) and after the last: greedy decoding (at most
             60 tokens, as translate) of the validation split and corpus BLEU-4 as
             seq/metrics.cpp's corpus_bleu (clipped n-gram counts summed over the corpus, n = 1..4,
             brevity penalty, no smoothing: 0 if any precision is 0); the model with the best
             validation BLEU-4 (strictly better than the earlier ones) is kept for the test
  test       greedy test BLEU-4 and exact match of the kept model
Then `translate` runs on FILE with the same settings (--metrics-json), and the script prints both:
training seconds, ms per step, test BLEU-4, exact match, kept step and the ratios, both
validation curves (step, training seconds, validation BLEU-4), and when attograd first reaches
PyTorch's best validation BLEU-4 (and the other way round). --json OUT writes it all as JSON.
PyTorch runs with --threads threads (default 1 here: OPENBLAS_NUM_THREADS, OMP_NUM_THREADS and
torch.set_num_threads, set before torch loads); translate runs with the environment the script
was started with. bench/make_message_corpus.py makes such a corpus from the system's gettext
catalogues (English to German).
"""
import argparse, copy, json, math, os, re, subprocess, sys, tempfile, time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from blas_kernels import match_attograd  # noqa: E402

match_attograd()  # before torch is imported: the same OpenBLAS kernels on both sides
ATTOGRAD_ENV = dict(os.environ)  # translate's environment: without the thread settings made for PyTorch below

def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", choices=["bahdanau", "transformer"], default="bahdanau")
    p.add_argument("--steps", type=int, default=None, help="training steps (default 200; 1200 with --data)")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--to-target", type=float, default=0.0, metavar="X",
                   help="instead: train both on the same generated dates until greedy exact match on the 1000 "
                        "validation dates reaches X (checked every --eval-every steps), and compare the training "
                        "seconds (evaluation excluded)")
    p.add_argument("--data", metavar="FILE.tsv",
                   help="instead: train both on this corpus (source<TAB>target, word tokens) with translate's split, "
                        "and compare training seconds, test BLEU-4 and exact match")
    p.add_argument("--val-fraction", type=float, default=0.1, help="with --data: the validation share")
    p.add_argument("--test-fraction", type=float, default=0.1, help="with --data: the test share")
    p.add_argument("--seed", type=int, default=1, help="with --data: translate's --seed (split, batches); "
                                                       "PyTorch's initialisation and batches")
    p.add_argument("--lr", type=float, default=None,
                   help="with --data: Adam's learning rate (default translate's: 2e-3, 3e-3 for the transformer)")
    p.add_argument("--threads", type=int, default=None,
                   help="PyTorch's threads (default 1 with --data, else 2); also OPENBLAS_NUM_THREADS and "
                        "OMP_NUM_THREADS for PyTorch when given or with --data")
    p.add_argument("--json", metavar="OUT", help="with --data: write the numbers to OUT as JSON")
    p.add_argument("--eval-every", type=int, default=None, help="validation interval (default 100; 200 with --data)")
    p.add_argument("--max-steps", type=int, default=6000)
    p.add_argument("--translate", default=os.path.join(here, "..", "build", "release", "examples", "translate", "translate"))
    a = p.parse_args()
    if a.steps is None:
        a.steps = 1200 if a.data else 200
    if a.eval_every is None:
        a.eval_every = 200 if a.data else 100
    if a.threads is None and not a.data:
        torch_threads = 2
    else:
        torch_threads = a.threads or 1
        # before torch (and OpenBLAS with it) loads; translate gets ATTOGRAD_ENV, without these
        os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = str(torch_threads)
    if a.steps < 1 or a.batch < 1 or torch_threads < 1:
        sys.exit("--steps, --batch and --threads must be positive")
    if a.data and (a.eval_every < 1 or a.to_target > 0):
        sys.exit("--data needs --eval-every >= 1, and no --to-target")
    a.threads = torch_threads
    try:
        import torch
    except ImportError:
        sys.exit("needs PyTorch: apt-get install python3-torch")
    torch.manual_seed(0)
    torch.set_num_threads(torch_threads)
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

        def greedy(s, src, lengths, max_len=T, until_eos=False):
            keys, kp, mask, h = s.encode(src, lengths)
            y = torch.full((src.shape[0],), 1, dtype=torch.long)
            ys, done = [], torch.zeros(src.shape[0], dtype=torch.bool)
            for _ in range(max_len):
                l, h = s.step(y, keys, kp, mask, h)
                y = l.argmax(-1)
                ys.append(y)
                done |= y == 2
                if until_eos and bool(done.all()):  # as seq::greedy_search: stop once all have ended
                    break
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

        def greedy(s, src, lengths, max_len=T, until_eos=False):
            src = src[:, : int(lengths.max())]  # in eval mode the encoder drops all-padding columns itself
            pad = torch.arange(src.shape[1])[None, :] >= lengths[:, None]
            memory = s.t.encoder(s.embed(s.src, src), src_key_padding_mask=pad)
            ys = torch.ones(src.shape[0], 1, dtype=torch.long)
            for _ in range(max_len):
                causal = s.t.generate_square_subsequent_mask(ys.shape[1])
                h = s.t.decoder(s.embed(s.tgt, ys), memory, tgt_mask=causal, memory_key_padding_mask=pad)
                ys = torch.cat([ys, s.out(h[:, -1]).argmax(-1, keepdim=True)], 1)
                if until_eos and bool((ys[:, 1:] == 2).any(1).all()):
                    break
            return ys[:, 1:]  # (B, T)

    def batch(B):
        lengths = torch.randint(8, 27, (B,))
        src = torch.randint(4, Vs, (B, int(lengths.max())))
        src[torch.arange(src.shape[1])[None, :] >= lengths[:, None]] = 0
        return src, lengths, torch.randint(3, Vt, (B, T))

    if a.data:
        return on_data(a, locals())
    if a.to_target > 0:
        return to_target(a, locals())
    m = Bahdanau() if a.model == "bahdanau" else Transformer()
    opt = torch.optim.Adam(m.parameters(), lr=2e-3)
    for _ in range(5):
        src, lengths, tgt = batch(a.batch)
        opt.zero_grad(); m.loss(src, lengths, tgt).backward(); opt.step()
    start = time.perf_counter()
    for _ in range(a.steps):
        train_step(m, opt, *batch(a.batch))
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
                        "--metrics-json", metrics], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env=ATTOGRAD_ENV)
        with open(metrics) as f:
            m_att = json.load(f)
    att_step = m_att["train_seconds"] / a.steps * 1000
    print(f"{a.model} on dates, batch {a.batch}, {a.steps} steps")
    print(f"{'':24}{'attograd':>10}{'pytorch':>10}{'ratio':>8}")
    print(f"{'ms per training step':24}{att_step:10.2f}{torch_step:10.2f}{att_step / torch_step:8.3f}")
    print(f"{'greedy decode 1000, s':24}{m_att['decode_seconds']:10.3f}{torch_decode:10.3f}{m_att['decode_seconds'] / torch_decode:8.3f}")


def train_step(m, opt, src, lengths, tgt):
    """One Adam step on a batch, gradients clipped to norm 1.0 as translate does; returns the loss."""
    import torch
    opt.zero_grad()
    loss = m.loss(src, lengths, tgt)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
    opt.step()
    return loss


def to_target(a, env):
    """Both frameworks train on translate's own generated dates (--write-data) until the
    validation exact match reaches a.to_target; training seconds exclude the evaluations."""
    import torch
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([a.translate, "--write-data", tmp, "--steps", "0", "--no-report", "--samples", "0"],
                       check=True, stdout=subprocess.DEVNULL, env=ATTOGRAD_ENV)
        def read(name):
            with open(os.path.join(tmp, name), encoding="utf-8") as f:
                return [tuple(line.rstrip("\n").split("\t")) for line in f]
        train, validation = read("train.tsv"), read("validation.tsv")
        metrics = os.path.join(tmp, "m.json")
        subprocess.run([a.translate, "--model", a.model, "--steps", str(a.max_steps), "--batch", str(a.batch),
                        "--eval-every", str(a.eval_every), "--target", str(a.to_target), "--stop-at-target",
                        "--no-report", "--samples", "0", "--metrics-json", metrics],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ATTOGRAD_ENV)
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
        train_step(m, opt, *tensors([train[i] for i in picked]))
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


# ---- --data FILE.tsv: a real corpus, speed and quality ----

MAX_DECODE = 60  # translate's decoding limit (examples::search_options(60, beam))


def corpus_bleu(predictions, references, max_n=4):
    """seq/metrics.cpp's corpus_bleu: clipped n-gram matches and counts summed over the corpus for
    n = 1..max_n, brevity penalty exp(1 - r/c) unless c > r, no smoothing (0 if any n has no match
    or the predictions are all empty)."""
    matched, total = [0.0] * max_n, [0.0] * max_n
    c = r = 0.0
    for pred, ref in zip(predictions, references, strict=True):
        c += len(pred)
        r += len(ref)
        for n in range(1, max_n + 1):
            ref_counts = Counter(tuple(ref[i:i + n]) for i in range(len(ref) - n + 1))
            for gram, count in Counter(tuple(pred[i:i + n]) for i in range(len(pred) - n + 1)).items():
                matched[n - 1] += min(count, ref_counts.get(gram, 0))
                total[n - 1] += count
    if c == 0.0:
        return 0.0
    log_sum = 0.0
    for n in range(max_n):
        if matched[n] == 0.0:
            return 0.0
        log_sum += math.log(matched[n] / total[n])
    brevity = 1.0 if c > r else math.exp(1.0 - r / c)
    return brevity * math.exp(log_sum / max_n)


def exact_match(predictions, references):
    return sum(p == r for p, r in zip(predictions, references, strict=True)) / len(references) if references else 0.0


def run_translate(a, args, what):
    """Runs translate with ATTOGRAD_ENV; waits (up to 10 minutes) while the binary is missing
    (being rebuilt). Returns its stdout; exits with its output if it fails."""
    for _ in range(10):
        if os.access(a.translate, os.X_OK):
            break
        print(f"{a.translate} is missing (being rebuilt?); waiting a minute", file=sys.stderr)
        time.sleep(60)
    r = subprocess.run([a.translate, *args], env=ATTOGRAD_ENV, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"translate ({what}) failed with exit code {r.returncode}:\n  {a.translate} {' '.join(args)}\n"
                 f"{r.stdout[-2000:]}{r.stderr[-4000:]}")
    return r.stdout


def on_data(a, env):
    """PyTorch on translate's split of a.data, then translate itself on the same; prints and
    optionally writes (--json) the comparison."""
    import torch
    lr = a.lr if a.lr is not None else (3e-3 if a.model == "transformer" else 2e-3)
    split = ["--data", a.data, "--tokens", "word", "--val-fraction", str(a.val_fraction),
             "--test-fraction", str(a.test_fraction), "--seed", str(a.seed)]
    with tempfile.TemporaryDirectory() as tmp:
        run_translate(a, split + ["--write-data", tmp, "--model", a.model, "--no-report", "--samples", "0",
                                  "--dry-run"], "--write-data")
        def read(name):  # word tokens, joined by single spaces
            with open(os.path.join(tmp, name), encoding="utf-8") as f:
                return [tuple([w for w in side.split(" ") if w] for side in line.rstrip("\n").split("\t"))
                        for line in f]
        train, validation, test = read("train.tsv"), read("validation.tsv"), read("test.tsv")
    if not train or not validation or not test:
        sys.exit(f"--data: need training, validation and test pairs, got {len(train)}, {len(validation)}, {len(test)}")

    def vocabulary(sentences):  # examples/common/vocabulary.cpp: specials, then first appearance
        ids = {}
        for tokens in sentences:
            for t in tokens:
                ids.setdefault(t, len(ids) + 4)
        return ids
    src_ids, tgt_ids = vocabulary(s for s, _ in train), vocabulary(t for _, t in train)
    Vs, Vt = len(src_ids) + 4, len(tgt_ids) + 4
    def encode(pairs):  # (source ids, target ids without EOS)
        return [([src_ids.get(w, 3) for w in s], [tgt_ids.get(w, 3) for w in t]) for s, t in pairs]
    train_ids, val_ids, test_ids = encode(train), encode(validation), encode(test)

    def tensors(pairs):
        src = [x for x, _ in pairs]
        tgt = [y + [2] for _, y in pairs]
        lengths = torch.tensor([max(1, len(x)) for x in src])  # an empty source reads one PAD
        S, T = max(1, max(map(len, src))), max(map(len, tgt))
        return (torch.tensor([x + [0] * (S - len(x)) for x in src]), lengths,
                torch.tensor([y + [0] * (T - len(y)) for y in tgt]))

    def decode(m, pairs):  # greedy, 100 at a time, at most MAX_DECODE tokens; ids without EOS
        m.eval()
        out = []
        with torch.no_grad():
            for first in range(0, len(pairs), 100):
                src, lengths, _ = tensors(pairs[first:first + 100])
                for o in m.greedy(src, lengths, MAX_DECODE, until_eos=True).tolist():
                    out.append(o[: o.index(2)] if 2 in o else o)
        m.train()
        return out

    def score(m, pairs):
        predictions, references = decode(m, pairs), [y for _, y in pairs]
        return corpus_bleu(predictions, references), exact_match(predictions, references)

    torch.manual_seed(a.seed)
    m = env["Bahdanau"](Vs, Vt) if a.model == "bahdanau" else env["Transformer"](Vs, Vt)
    parameters = sum(q.numel() for q in m.parameters())
    opt = torch.optim.Adam(m.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(a.seed + 1)
    print(f"pytorch: {a.model}, {parameters} parameters, {len(train)}/{len(validation)}/{len(test)} pairs, "
          f"vocabularies {Vs} source and {Vt} target ids; training {a.steps} steps", file=sys.stderr)
    seconds, curve, best, best_state, kept_step, loss = 0.0, [], None, None, None, float("nan")
    m.train()
    for step in range(1, a.steps + 1):
        start = time.perf_counter()
        picked = torch.randint(0, len(train_ids), (a.batch,), generator=gen).tolist()
        loss_t = train_step(m, opt, *tensors([train_ids[i] for i in picked]))
        seconds += time.perf_counter() - start
        loss = loss_t.item()
        if step % a.eval_every == 0 or step == a.steps:  # Trainer::validation_due
            bleu, exact = score(m, val_ids)
            curve.append({"step": step, "train_seconds": seconds, "exact_match": exact, "bleu": bleu})
            print(f"pytorch step {step}: loss {loss:.4f}, validation exact match {exact:.4f}, BLEU-4 {bleu:.4f} "
                  f"after {seconds:.1f} s of training", file=sys.stderr)
            if best is None or bleu > best:  # Trainer::keep_best: strictly better
                best, kept_step, best_state = bleu, step, copy.deepcopy(m.state_dict())
    if best_state is not None:
        m.load_state_dict(best_state)
    test_bleu, test_exact = score(m, test_ids)
    torch_result = {"train_seconds": seconds, "steps": a.steps, "ms_per_step": seconds / a.steps * 1000,
                    "bleu": test_bleu, "exact_match": test_exact, "kept_step": kept_step,
                    "kept_validation_bleu": best, "final_loss": loss, "parameters": parameters,
                    "threads": a.threads, "validation_curve": curve}

    print(f"attograd: translate --data {a.data} ... --steps {a.steps} (its output is captured)", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        metrics = os.path.join(tmp, "m.json")
        out = run_translate(a, split + ["--model", a.model, "--steps", str(a.steps), "--batch", str(a.batch),
                                        "--lr", str(lr), "--eval-every", str(a.eval_every), "--no-report",
                                        "--samples", "0", "--metrics-json", metrics], "training")
        with open(metrics) as f:
            m_att = json.load(f)
    found = re.search(r"(\d+) parameters", out)
    att_steps = m_att.get("steps") or a.steps
    att_result = {"train_seconds": m_att["train_seconds"], "steps": att_steps,
                  "ms_per_step": m_att["train_seconds"] / att_steps * 1000, "bleu": m_att["bleu"],
                  "exact_match": m_att["exact_match"], "kept_step": m_att.get("kept_step"),
                  "kept_validation_bleu": m_att.get("kept_validation_bleu"), "final_loss": m_att.get("final_loss"),
                  "parameters": int(found.group(1)) if found else None,
                  "validation_curve": m_att.get("validation_curve", [])}

    def first_reaching(curve, level):  # None if the level is 0 (nothing learned) or never reached
        return next((p for p in curve if level and p["bleu"] >= level), None)
    att_best = max((p["bleu"] for p in att_result["validation_curve"]), default=None)
    att_reach = first_reaching(att_result["validation_curve"], best)
    torch_reach = first_reaching(curve, att_best)
    result = {
        "data": a.data, "model": a.model, "tokens": "word", "steps": a.steps, "batch": a.batch, "lr": lr,
        "eval_every": a.eval_every, "seed": a.seed, "val_fraction": a.val_fraction, "test_fraction": a.test_fraction,
        "pairs": {"train": len(train), "validation": len(validation), "test": len(test)},
        "vocabulary": {"source": Vs, "target": Vt},
        "attograd": att_result, "pytorch": torch_result,
        "seconds_ratio_attograd_over_pytorch": att_result["train_seconds"] / seconds,
        "attograd_reaches_pytorch_best_validation_bleu": None if att_reach is None else {
            "pytorch_best_validation_bleu": best, "step": att_reach["step"],
            "train_seconds": att_reach["train_seconds"], "validation_bleu": att_reach["bleu"],
            "ratio_to_pytorch_train_seconds": att_reach["train_seconds"] / seconds},
        "pytorch_reaches_attograd_best_validation_bleu": None if torch_reach is None else {
            "attograd_best_validation_bleu": att_best, "step": torch_reach["step"],
            "train_seconds": torch_reach["train_seconds"], "validation_bleu": torch_reach["bleu"],
            "ratio_to_attograd_train_seconds": torch_reach["train_seconds"] / att_result["train_seconds"]},
    }
    print_data_comparison(result)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=1)
            f.write("\n")
        print(f"wrote {a.json}")


def print_data_comparison(r):
    att, pt = r["attograd"], r["pytorch"]
    p = r["pairs"]
    print(f"{r['model']} on {r['data']} (word tokens): {p['train']} training, {p['validation']} validation, "
          f"{p['test']} test pairs; vocabularies {r['vocabulary']['source']} source and {r['vocabulary']['target']} "
          f"target ids")
    print(f"batch {r['batch']}, {r['steps']} steps, Adam lr {r['lr']:g}, clipping 1.0, validation every "
          f"{r['eval_every']} steps (greedy BLEU-4; the best kept); PyTorch on {pt['threads']} thread(s)")
    print(f"{'':26}{'attograd':>10}{'pytorch':>10}{'ratio':>8}")
    def row(name, key, fmt, ratio=False):
        x, y = att.get(key), pt.get(key)
        cell = lambda v: f"{v:{fmt}}" if v is not None else f"{'-':>10}"
        q = f"{x / y:8.3f}" if ratio and x is not None and y else ""
        print(f"{name:26}{cell(x)}{cell(y)}{q}")
    row("parameters", "parameters", "10d")
    row("training seconds", "train_seconds", "10.2f", True)
    row("ms per training step", "ms_per_step", "10.2f", True)
    row("final training loss", "final_loss", "10.4f")
    row("kept step", "kept_step", "10d")
    row("kept validation BLEU-4", "kept_validation_bleu", "10.4f")
    row("test BLEU-4", "bleu", "10.4f")
    row("test exact match", "exact_match", "10.4f")
    print("validation curves (training seconds, validation BLEU-4 and exact match, at each step):")
    print(f"{'step':>8}{'att s':>10}{'att BLEU':>10}{'att EM':>8}{'torch s':>10}{'torch BLEU':>12}{'torch EM':>10}")
    by_step = {}
    for who, curve in (("a", att["validation_curve"]), ("p", pt["validation_curve"])):
        for q in curve:
            by_step.setdefault(q["step"], {})[who] = q
    for step in sorted(by_step):
        a_, p_ = by_step[step].get("a"), by_step[step].get("p")
        left = f"{a_['train_seconds']:10.2f}{a_['bleu']:10.4f}{a_['exact_match']:8.4f}" if a_ else f"{'-':>10}" * 2 + f"{'-':>8}"
        right = f"{p_['train_seconds']:10.2f}{p_['bleu']:12.4f}{p_['exact_match']:10.4f}" if p_ else f"{'-':>10}{'-':>12}{'-':>10}"
        print(f"{step:8d}{left}{right}")
    x = r["attograd_reaches_pytorch_best_validation_bleu"]
    best = pt["kept_validation_bleu"]
    if x:
        print(f"attograd first reaches PyTorch's best validation BLEU-4 ({best:.4f}) at step {x['step']} "
              f"(validation BLEU-4 {x['validation_bleu']:.4f}) after {x['train_seconds']:.2f} s of training: "
              f"{x['ratio_to_pytorch_train_seconds']:.3f} x PyTorch's {pt['train_seconds']:.2f} s")
    elif not best:
        print("PyTorch's best validation BLEU-4 is 0: nothing to reach (train longer)")
    else:
        print(f"attograd does not reach PyTorch's best validation BLEU-4 ({best:.4f}) at any validation")
    y = r["pytorch_reaches_attograd_best_validation_bleu"]
    att_best = max((q["bleu"] for q in att["validation_curve"]), default=0.0)
    if y:
        print(f"PyTorch first reaches attograd's best validation BLEU-4 ({y['attograd_best_validation_bleu']:.4f}) "
              f"at step {y['step']} after {y['train_seconds']:.2f} s: {y['ratio_to_attograd_train_seconds']:.3f} x "
              f"attograd's {att['train_seconds']:.2f} s")
    elif att_best > 0:
        print(f"PyTorch does not reach attograd's best validation BLEU-4 ({att_best:.4f}) at any validation")


if __name__ == "__main__":
    main()
