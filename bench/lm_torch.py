#!/usr/bin/env python3
"""lm_torch.py: the PyTorch reference for `lm --task text`: the same GPT, data, optimizer and schedule.

    /usr/bin/python3 bench/lm_torch.py [--threads N] [--steps 2000] [--data FILE_OR_DIR] [--seed 1]
        [--layers 4 --heads 4 --embed 128 --context 64 --batch 12 --dropout 0 --lr 1e-3]

What it trains is what examples/lm trains with --task text --tokens char at nanoGPT's CPU shape
(lm's defaults for text, the defaults here):
  data       the text lm reads (a file, or a directory's regular files that are not symbolic
             links, in name order, as bytes, decoded as UTF-8; default /usr/share/common-licenses),
             characters as tokens (the sorted distinct code points of the whole text), split in
             order at floor(0.9 · N) tokens (seq::train_val_split)
  model      token + learned position embeddings, dropout, nn.TransformerEncoder of pre-LN layers
             (GELU MLP of 4E, causal mask) with a final LayerNorm, a bias-free Linear head.
             Initialisation: PyTorch's own for the Transformer layers, but each layer drawn
             independently (nn.TransformerEncoder deep-copies one layer; lm's layers are built
             one by one), embeddings and head N(0, 0.02) as GPT-2
  batches    B random windows of T tokens, starts uniform in [0, N − T − 1], targets shifted by one
             (seq::random_windows; drawn with torch's generator, so the batches differ from lm's:
             compare the two statistically, e.g. over seeds)
  optimizer  AdamW, betas (0.9, 0.99), eps 1e-8, weight decay 0.1 on parameters of 2 or more
             dimensions and 0 on the others (examples/common/training.cpp), gradient norm clipped
             to 1.0, then the lr of optim::CosineWarmupLR (stepped after each optimizer step):
             lr · (s + 1) / W for s < W, then a half cosine from lr to lr / 10 at s = steps
             (W = min(--warmup, steps, steps − 1))
  val_loss   the mean cross-entropy over the whole validation split in consecutive windows of T
             (seq::evaluate_split: every position but the first scored once, the short last
             window alone), after training
Only the training steps are timed (batch drawing, forward, backward, clipping, AdamW, schedule);
not the data preparation, the initial-loss line or the evaluation. The progress (every 200
steps) goes to stderr; stdout gets one JSON line:
    {"framework": "pytorch", "threads": N, "steps": S, "ms_per_step": …, "train_seconds": …,
     "val_loss": …, "final_loss": …}
(final_loss: the training loss of the last step, as lm's metrics). --threads N sets
OPENBLAS_NUM_THREADS and OMP_NUM_THREADS before torch is loaded, and torch.set_num_threads(N);
the default is what attograd uses: OPENBLAS_NUM_THREADS, else the cores. OpenBLAS gets the same
kernels as attograd's (bench/blas_kernels.py).
"""
import argparse
import json
import math
import os
import sys
import time

PROG = "lm_torch.py"
DEFAULT_TEXT = "/usr/share/common-licenses"  # lm::default_text_path()


def parse_args(argv):
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0].split(": ", 1)[1])
    given = os.environ.get("OPENBLAS_NUM_THREADS", "")
    default_threads = int(given) if given.isdigit() and int(given) > 0 else os.cpu_count() or 1
    p.add_argument("--threads", type=int, default=default_threads,
                   help=f"CPU threads for torch and OpenBLAS (default: OPENBLAS_NUM_THREADS, else the cores: "
                        f"{default_threads})")
    p.add_argument("--blas-threads", type=int, default=0,
                   help="OpenBLAS's threads, if not --threads (e.g. torch 2, OpenBLAS 1)")
    p.add_argument("--data", default=DEFAULT_TEXT, metavar="FILE_OR_DIR",
                   help=f"a UTF-8 text file, or a directory of them (default {DEFAULT_TEXT})")
    p.add_argument("--seed", type=int, default=1, help="seed for the initialisation and the batches")
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--embed", type=int, default=128)
    p.add_argument("--context", type=int, default=64, help="T: the window, and the positions the model has")
    p.add_argument("--batch", type=int, default=12)
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--lr", type=float, default=1e-3, help="peak learning rate")
    p.add_argument("--warmup", type=int, default=100, help="steps of linear warmup (lm's --warmup)")
    p.add_argument("--weight-decay", type=float, default=0.1, help="AdamW's decay of the matrices (lm's)")
    a = p.parse_args(argv)
    for name in ("threads", "steps", "layers", "heads", "embed", "context", "batch"):
        if getattr(a, name) < 1:
            p.error(f"--{name} must be at least 1, got {getattr(a, name)}")
    if a.embed % a.heads:
        p.error(f"--embed {a.embed} is not divisible by --heads {a.heads}")
    if not 0.0 <= a.dropout < 1.0 or a.lr <= 0 or a.warmup < 0 or a.weight_decay < 0:
        p.error("--dropout must be in [0, 1), --lr positive, --warmup and --weight-decay at least 0")
    return a


# ---- data and model: examples/lm/to_pytorch.py's, so both scripts build the same thing ------------

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "lm"))
import to_pytorch as lm  # noqa: E402  (read_text, CharVocabulary, train_val_split, build_model, text_validation_loss)


def char_tokens(path, context):
    """The text lm reads, its character vocabulary (of the whole text) and the 90/10 split."""
    data = lm.read_text(path)
    try:
        vocabulary = lm.CharVocabulary.of_text(data.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise lm.InputError(f"--data {path}: invalid UTF-8 at byte {e.start}") from None
    train, validation = lm.train_val_split(vocabulary.encode(data), context)
    return vocabulary, train, validation


def random_windows(tokens, batch, context, generator):
    """seq::random_windows: inputs tokens[s … s + T − 1], targets tokens[s + 1 … s + T], each s
    uniform in [0, N − T − 1]."""
    import torch
    starts = torch.randint(len(tokens) - context, (batch,), generator=generator)
    offsets = torch.arange(context)
    inputs = tokens[starts[:, None] + offsets]
    return inputs, tokens[starts[:, None] + offsets + 1]


def build_gpt(vocab, a):
    """lm's GPT (to_pytorch.build_model), initialised as lm initialises it: PyTorch's own rules for
    the Transformer layers, but each layer drawn anew (nn.TransformerEncoder deep-copies one layer;
    lm builds its layers one by one), embeddings and head N(0, 0.02) as GPT-2."""
    from torch import nn
    setup = {"kind": "gpt", "vocab": vocab, "context": a.context, "embed": a.embed, "layers": a.layers,
             "heads": a.heads, "tie": False}
    model = lm.build_model(setup, a.dropout)
    for block in model.blocks.layers:  # as MultiheadAttention initialises: out_proj as a Linear, then in_proj
        block.self_attn.out_proj.reset_parameters()
        block.self_attn._reset_parameters()
        for module in (block.linear1, block.linear2, block.norm1, block.norm2):
            module.reset_parameters()
    for weight in (model.tokens.weight, model.positions.weight, model.head.weight):
        nn.init.normal_(weight, 0.0, 0.02)
    return model


# ---- the optimizer and schedule, as examples/common/training.cpp --------------------------------

def adamw(model, a):
    """AdamW decaying the matrices (weights and embeddings) only, betas (0.9, 0.99), eps 1e-8."""
    import torch
    matrices = [p for p in model.parameters() if p.dim() >= 2]
    others = [p for p in model.parameters() if p.dim() < 2]
    return torch.optim.AdamW([{"params": matrices, "weight_decay": a.weight_decay},
                              {"params": others, "weight_decay": 0.0}], lr=a.lr, betas=(0.9, 0.99), eps=1e-8)


def cosine_warmup(lr, warmup, total, min_lr):
    """optim::CosineWarmupLR's lr at step count s (0 before the first optimizer step)."""
    def lr_at(s):
        if s < warmup:
            return lr * (s + 1) / warmup
        if s > total:
            return min_lr
        progress = (s - warmup) / (total - warmup)
        return min_lr + (lr - min_lr) * 0.5 * (1.0 + math.cos(math.pi * progress))
    return lr_at


# ---- the program --------------------------------------------------------------------------------

def main(argv):
    a = parse_args(argv)
    # Before torch (and OpenBLAS with it) is loaded, so both read them; nothing has loaded them yet.
    os.environ["OPENBLAS_NUM_THREADS"] = str(a.blas_threads or a.threads)
    os.environ["OMP_NUM_THREADS"] = str(a.threads)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from blas_kernels import match_attograd
    match_attograd()
    try:
        import torch
    except ImportError:
        sys.exit(f"{PROG}: error: needs PyTorch (Debian: apt-get install python3-torch)")
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    vocabulary, train_ids, validation_ids = char_tokens(a.data, a.context)
    train, validation = torch.tensor(train_ids), torch.tensor(validation_ids)
    model = build_gpt(vocabulary.size(), a)
    optimizer = adamw(model, a)
    warmup = min(a.warmup, a.steps, max(a.steps - 1, 0))  # main.cpp, then the Trainer's clamp
    lr_at = cosine_warmup(a.lr, warmup, a.steps, a.lr / 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_at(s) / a.lr)
    batches = torch.Generator().manual_seed(a.seed + 1)
    print(f"{PROG}: PyTorch {torch.__version__}, {a.threads} threads; {a.data}: {len(train) + len(validation)} "
          f"characters ({vocabulary.size()} distinct): {len(train)} training, {len(validation)} validation; gpt "
          f"layers {a.layers}, heads {a.heads}, embed {a.embed}, context {a.context}, dropout {a.dropout}, "
          f"{sum(p.numel() for p in model.parameters())} parameters; batch {a.batch}, steps {a.steps}, lr {a.lr} "
          f"(AdamW, weight decay {a.weight_decay}, warmup {warmup} then cosine to lr/10)", file=sys.stderr)
    model.train()
    with torch.no_grad():
        inputs, targets = random_windows(train, a.batch, a.context, torch.Generator().manual_seed(a.seed + 2))
        initial = float(torch.nn.functional.cross_entropy(model(inputs).flatten(0, 1), targets.flatten()))
    print(f"initial loss {initial:.3f} against ln V = {math.log(vocabulary.size()):.3f}", file=sys.stderr)

    losses, seconds, window = [], 0.0, []
    for step in range(1, a.steps + 1):
        start = time.perf_counter()
        inputs, targets = random_windows(train, a.batch, a.context, batches)
        loss = torch.nn.functional.cross_entropy(model(inputs).flatten(0, 1), targets.flatten())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        seconds += time.perf_counter() - start
        losses.append(float(loss))
        window.append(losses[-1])
        if step % 200 == 0 or step == a.steps:
            print(f"step {step}/{a.steps}: loss {sum(window) / len(window):.4f} (mean of the last {len(window)}), "
                  f"lr {schedule.get_last_lr()[0]:.2e}, {seconds:.1f} s of training", file=sys.stderr)
            window = []

    model.eval()
    val_loss, _ = lm.text_validation_loss(model, validation_ids, a.context)
    print(f"validation: loss {val_loss:.4f} nats per token over {len(validation) - 1} tokens", file=sys.stderr)
    print(json.dumps({"framework": "pytorch", "threads": a.threads, "steps": a.steps,
                      "ms_per_step": 1000 * seconds / a.steps, "train_seconds": seconds, "val_loss": val_loss,
                      "final_loss": losses[-1]}))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except lm.InputError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        sys.exit(1)
