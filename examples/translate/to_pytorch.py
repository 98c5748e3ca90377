#!/usr/bin/env python3
"""to_pytorch.py: a translate checkpoint as a PyTorch model; proves it matches, then trains on.

    /usr/bin/python3 examples/translate/to_pytorch.py model.safetensors \\
        --translate-bin build/release/examples/translate/translate [--steps 200] [--save-torch model.pt]

1. Reads CKPT (written by `translate --save CKPT`): its tensors and the "translate.*" metadata
   (model kind, sizes, vocabularies, tokenisation; see examples/translate/main.cpp, to_metadata).
2. Builds the same model from torch.nn modules (nn.Embedding, nn.GRU, nn.GRUCell, nn.Linear,
   nn.Transformer; the attention scores written out), with parameter names equal to attograd's,
   and loads the checkpoint with load_state_dict(strict=True).
3. Checks that both frameworks compute the same thing, using the translate binary itself:
   - the loss: `translate --load CKPT --steps 1 --write-data TMP --metrics-json ...` reports the
     loss of its first training batch (final_loss); this script draws the same batch (xoshiro256**,
     as core/random.cpp) from the split translate wrote and computes the loss in PyTorch;
   - greedy translations: the first --check test sources through `translate --load CKPT
     --interactive`, and through the PyTorch model; every one must be equal, token for token.
4. Trains the PyTorch model for --steps more steps (Adam, gradient clipping at 1.0, as translate)
   on the same training split, printing the loss, and the validation loss before and after.
5. Optionally saves a torch state_dict (--save-torch) and a translate checkpoint
   (--save-safetensors, which `translate --load` reads; it is checked the same way).

Supported --model kinds: all of translate's: bahdanau, luong-dot, luong-general, luong-concat,
none, transformer. Exit status: 0 all checks passed; 1 bad input (the message names it);
2 PyTorch and attograd disagree; 3 --require-lower-loss and the validation loss did not fall.
Needs only torch and numpy (Debian: python3-torch python3-numpy). docs/pytorch.md explains it.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from checkpoint_files import ArgumentParser, InputError, Xoshiro256, import_torch, read_safetensors  # noqa: E402

PROG = "to_pytorch.py"
KINDS = ("bahdanau", "luong-dot", "luong-general", "luong-concat", "none", "transformer")
PAD, BOS, EOS, UNK = 0, 1, 2, 3  # examples/common/vocabulary.hpp
MAX_DECODE = 60                  # translate's greedy max_length, EOS included (main.cpp, decode)


# ---- the checkpoint ---------------------------------------------------------------------------


def read_setup(path, metadata):
    """The model's configuration from translate's metadata keys (main.cpp, to_metadata)."""
    def get(key):
        if key not in metadata:
            raise InputError(f"{path}: not a translate checkpoint (no '{key}' in its metadata; "
                             f"it has {sorted(metadata) or 'none'})")
        return metadata[key]
    for key in ("translate.model", "translate.task", "translate.tokens", "translate.sizes", "translate.source_vocab",
                "translate.target_vocab"):
        get(key)
    kind = get("translate.model")
    if kind not in KINDS:
        raise InputError(f"{path}: model kind '{kind}' is not supported; supported: {', '.join(KINDS)}")
    try:
        sizes = json.loads(get("translate.sizes"))
        source_vocab, target_vocab = json.loads(get("translate.source_vocab")), json.loads(get("translate.target_vocab"))
        setup = {"kind": kind, "task": get("translate.task"), "tokens": get("translate.tokens"),
                 "embed": int(sizes["embed"]), "hidden": int(sizes["hidden"]), "layers": int(sizes["layers"]),
                 "heads": int(sizes["heads"]), "ff": int(sizes["ff"]),
                 "source_vocab": list(source_vocab), "target_vocab": list(target_vocab)}
    except (ValueError, KeyError, TypeError) as e:
        raise InputError(f"{path}: unreadable translate metadata ({type(e).__name__}: {e})") from None
    for side in ("source_vocab", "target_vocab"):
        if setup[side][:4] != ["<pad>", "<bos>", "<eos>", "<unk>"]:
            raise InputError(f"{path}: translate.{side} must start with <pad>, <bos>, <eos>, <unk>, "
                             f"got {setup[side][:4]}")
    return setup


# ---- tokens, as examples/common/vocabulary.cpp --------------------------------------------------

ASCII_PUNCT = set("!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~")  # C's ispunct on ASCII, minus the apostrophe


def tokenize(text, kind):
    if kind == "char":
        return list(text)  # one token per code point, as the C++ splits UTF-8 sequences
    out, word = [], ""
    for ch in text:
        if ch in " \t\n\v\f\r":
            out, word = out + ([word] if word else []), ""
        elif ch in ASCII_PUNCT:
            out, word = out + ([word] if word else []) + [ch], ""
        else:
            word += ch.lower() if ch < "\x80" else ch
    return out + ([word] if word else [])


def detokenize(tokens, kind):
    return (" " if kind == "word" else "").join(tokens)


def encode(tokens, vocab_ids):
    return [vocab_ids.get(t, UNK) for t in tokens]


# ---- the models, as examples/translate/models.cpp ---------------------------------------------

def build_model(setup, dropout=0.0):
    """The torch.nn twin of translate::make_model(config): the same modules under the same names."""
    import torch
    from torch import nn

    kind, E, H, L = setup["kind"], setup["embed"], setup["hidden"], setup["layers"]
    Vs, Vt = len(setup["source_vocab"]), len(setup["target_vocab"])

    class AdditiveAttention(nn.Module):
        """nn/attention/additive_attention.cpp: score_j = vᵀ tanh(W_q q + W_k k_j + b), attograd's names."""

        def __init__(self, query_dim, key_dim, attention_dim):
            super().__init__()
            self.query_weight = nn.Parameter(torch.empty(attention_dim, query_dim))  # (A, Dq)
            self.key_weight = nn.Parameter(torch.empty(attention_dim, key_dim))      # (A, Dk)
            self.bias = nn.Parameter(torch.empty(attention_dim))                     # (A)
            self.v = nn.Parameter(torch.empty(attention_dim))                        # (A)

        def project_keys(self, keys):  # (B, S, Dk) -> (B, S, A), once per source
            return nn.functional.linear(keys, self.key_weight, self.bias)

        def forward(self, query, projected_keys, values, blocked):  # (B, Dq), (B, S, A), (B, S, Dv), (B, S)
            q = nn.functional.linear(query, self.query_weight)                   # (B, A)
            scores = torch.tanh(q[:, None, :] + projected_keys) @ self.v          # (B, S)
            return attend(scores, values, blocked)

    class LuongAttention(nn.Module):
        """nn/attention/luong_attention.cpp: dot qᵀk, general qᵀ W_a k, concat v_aᵀ tanh(W_a [q; k]); no bias."""

        def __init__(self, score, H):
            super().__init__()
            self.score = score
            if score == "general":
                self.score_weight = nn.Parameter(torch.empty(H, H))      # (Dq, Dk)
            if score == "concat":
                self.score_weight = nn.Parameter(torch.empty(H, 2 * H))  # (A, Dq + Dk)
                self.v = nn.Parameter(torch.empty(H))                    # (A)
            self.output_weight = nn.Parameter(torch.empty(H, 2 * H))     # W_c (Dq, Dv + Dq)

        def forward(self, query, keys, values, blocked):  # (B, H), (B, S, H), (B, S, H), (B, S)
            if self.score == "dot":
                scores = (keys @ query[:, :, None])[:, :, 0]                        # (B, S)
            elif self.score == "general":
                scores = (keys @ (query @ self.score_weight)[:, :, None])[:, :, 0]  # (B, S)
            else:
                Dq = query.shape[1]
                q = nn.functional.linear(query, self.score_weight[:, :Dq])          # (B, A)
                k = nn.functional.linear(keys, self.score_weight[:, Dq:])           # (B, S, A)
                scores = torch.tanh(q[:, None, :] + k) @ self.v                     # (B, S)
            return attend(scores, values, blocked)

        def attentional_hidden(self, context, h):  # h̃ = tanh(W_c [c; h])
            return torch.tanh(nn.functional.linear(torch.cat([context, h], -1), self.output_weight))

    def attend(scores, values, blocked):
        # PyTorch's convention: True = blocked, filled with -inf. attograd fills the lowest finite
        # float and zeroes rows with no allowed key; translate's sources are never empty, so the
        # two agree here (docs/pytorch.md, "fully masked rows").
        weights = torch.softmax(scores.masked_fill(blocked, float("-inf")), -1)  # (B, S)
        return (weights[:, None, :] @ values)[:, 0, :], weights                  # (B, Dv), (B, S)

    class Recurrent(nn.Module):
        """RecurrentSeq2Seq: a bidirectional GRU encoder (H/2 each way) and a GRUCell decoder."""

        def __init__(self):
            super().__init__()
            self.attention_kind = kind
            self.source_embed = nn.Embedding(Vs, E, padding_idx=PAD)
            # batch_first=True: attograd's default; PyTorch's is (T, B, ·).
            self.encoder = nn.GRU(E, H // 2, num_layers=L, dropout=dropout if L > 1 else 0.0,
                                  bidirectional=True, batch_first=True)
            self.target_embed = nn.Embedding(Vt, E, padding_idx=PAD)
            self.cell = nn.GRUCell(E + H if kind != "none" else E, H)
            if kind == "bahdanau":
                self.attention = AdditiveAttention(H, H, H)
            elif kind.startswith("luong-"):
                self.attention = LuongAttention(kind[len("luong-"):], H)
            self.out = nn.Linear(2 * H if kind == "bahdanau" else H, Vt)

        def encode(self, source, lengths):  # (B, S), (B,)
            S = source.shape[1]
            packed = nn.utils.rnn.pack_padded_sequence(self.source_embed(source), lengths.cpu(), batch_first=True,
                                                       enforce_sorted=False)
            keys, h_n = self.encoder(packed)  # h_n (2L, B, H/2)
            keys, _ = nn.utils.rnn.pad_packed_sequence(keys, batch_first=True, total_length=S)  # (B, S, H), zeros past
            state = {"keys": keys, "blocked": torch.arange(S, device=source.device)[None, :] >= lengths[:, None],
                     "h": torch.cat([h_n[-2], h_n[-1]], -1)}  # the last layer's two final states (B, H)
            if kind == "bahdanau":
                state["projected"] = self.attention.project_keys(keys)
            if kind.startswith("luong-"):
                state["htilde"] = torch.zeros_like(state["h"])
            return state

        def step(self, s, previous):  # previous (B,) -> logits (B, V); updates s
            e = self.target_embed(previous)  # (B, E)
            if kind == "bahdanau":
                context, _ = self.attention(s["h"], s["projected"], s["keys"], s["blocked"])
                s["h"] = self.cell(torch.cat([e, context], -1), s["h"])
                return self.out(torch.cat([s["h"], context], -1))
            if kind.startswith("luong-"):
                s["h"] = self.cell(torch.cat([e, s["htilde"]], -1), s["h"])
                context, _ = self.attention(s["h"], s["keys"], s["keys"], s["blocked"])
                s["htilde"] = self.attention.attentional_hidden(context, s["h"])
                return self.out(s["htilde"])
            s["h"] = self.cell(e, s["h"])
            return self.out(s["h"])

        def logits(self, source, lengths, target):  # teacher forcing: (B, T, V)
            s = self.encode(source, lengths)
            previous = torch.full((source.shape[0],), BOS, dtype=torch.long, device=source.device)
            out = []
            for t in range(target.shape[1]):
                out.append(self.step(s, previous))
                previous = target[:, t]
            return torch.stack(out, 1)

        def greedy(self, source, lengths):
            s = self.encode(source, lengths)
            return greedy_loop(lambda previous, t: self.step(s, previous), source.shape[0], source.device)

    class PositionalEncoding(nn.Module):
        """nn/transformer/positional_encoding.cpp: dropout(x + pe[start : start + T]); pe is a buffer."""

        def __init__(self, d, max_len=512):
            super().__init__()
            self.register_buffer("pe", torch.zeros(max_len, d))  # loaded from the checkpoint
            self.dropout = nn.Dropout(dropout)

        def forward(self, x, start=0):  # (B, T, d)
            return self.dropout(x + self.pe[start:start + x.shape[1]])

    class Transformer(nn.Module):
        """TransformerSeq2Seq: embeddings + sinusoids (no √d scale), nn.Transformer, Linear out."""

        def __init__(self):
            super().__init__()
            d = H
            self.source_embed = nn.Embedding(Vs, d, padding_idx=PAD)
            self.target_embed = nn.Embedding(Vt, d, padding_idx=PAD)
            self.positions = PositionalEncoding(d)
            # attograd's nn::Transformer: post-norm (norm_first=False), ReLU, eps 1e-5, final
            # LayerNorms on both stacks, batch_first. PyTorch's default is batch_first=False.
            self.transformer = nn.Transformer(d_model=d, nhead=setup["heads"], num_encoder_layers=L,
                                              num_decoder_layers=L, dim_feedforward=setup["ff"], dropout=dropout,
                                              activation="relu", layer_norm_eps=1e-5, batch_first=True,
                                              norm_first=False)
            self.out = nn.Linear(d, Vt)

        def padding(self, source, lengths):  # PyTorch's key_padding_mask: True = padding = blocked
            return torch.arange(source.shape[1], device=source.device)[None, :] >= lengths[:, None]

        def causal(self, T, device):  # True above the diagonal = blocked (the future)
            return torch.triu(torch.ones(T, T, dtype=torch.bool, device=device), 1)

        def logits(self, source, lengths, target):
            pad = self.padding(source, lengths)
            target_in = torch.cat([torch.full_like(target[:, :1], BOS), target[:, :-1]], 1)  # BOS y_0 … y_{T-2}
            h = self.transformer(self.positions(self.source_embed(source)), self.positions(self.target_embed(target_in)),
                                 tgt_mask=self.causal(target.shape[1], source.device), src_key_padding_mask=pad,
                                 memory_key_padding_mask=pad)  # (B, T, d)
            return self.out(h)

        def greedy(self, source, lengths):
            # nn.Transformer has no key/value cache (attograd's decode_step has): the decoder re-runs
            # over the whole prefix each step. Causal attention makes that the same computation.
            pad = self.padding(source, lengths)
            memory = self.transformer.encoder(self.positions(self.source_embed(source)), src_key_padding_mask=pad)
            prefix = torch.full((source.shape[0], 1), BOS, dtype=torch.long, device=source.device)

            def step(previous, t):
                nonlocal prefix
                if t > 0:
                    prefix = torch.cat([prefix, previous[:, None]], 1)
                h = self.transformer.decoder(self.positions(self.target_embed(prefix)), memory,
                                             tgt_mask=self.causal(prefix.shape[1], source.device),
                                             memory_key_padding_mask=pad)
                return self.out(h[:, -1])
            return greedy_loop(step, source.shape[0], source.device)

    def greedy_loop(step, B, device):
        """seq/search.cpp greedy_search: argmax of log_softmax until EOS or MAX_DECODE tokens."""
        previous = torch.full((B,), BOS, dtype=torch.long, device=device)
        finished = [False] * B
        tokens = [[] for _ in range(B)]
        for t in range(MAX_DECODE):
            if all(finished):
                break
            best = torch.log_softmax(step(previous, t), -1).argmax(-1)  # (B,)
            for b, token in enumerate(best.tolist()):
                if not finished[b]:
                    finished[b] = token == EOS
                    if token != EOS:
                        tokens[b].append(token)
            previous = best
        return tokens

    return Transformer() if kind == "transformer" else Recurrent()


# ---- data and batches, as main.cpp's make_batch -----------------------------------------------

def read_split(path, tokens):
    """A split written by translate --write-data, back into its tokens. Not through tokenize(): a
    generated task's tokens may hold punctuation ("tasuke-u" in toy-lang), but never a space, so
    splitting at the spaces detokenize() put in is its exact inverse."""
    pairs = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            source, target = line.rstrip("\n").split("\t")[:2]
            untokenize = (lambda t: t.split(" ")) if tokens == "word" else list
            pairs.append((untokenize(source), untokenize(target)))
    return pairs


def make_batch(pairs, setup, device="cpu"):
    import torch
    sid = {t: i for i, t in enumerate(setup["source_vocab"])}
    tid = {t: i for i, t in enumerate(setup["target_vocab"])}
    sources = [encode(s, sid) for s, _ in pairs]
    targets = [encode(t, tid) + [EOS] for _, t in pairs]

    def pad(rows):
        out = torch.full((len(rows), max(len(r) for r in rows)), PAD, dtype=torch.long)
        for b, r in enumerate(rows):
            out[b, :len(r)] = torch.tensor(r, dtype=torch.long)
        return out.to(device)
    return pad(sources), torch.tensor([len(s) for s in sources], device=device), pad(targets)


def loss_of(model, batch):
    """seq::sequence_cross_entropy: mean over the target tokens, PAD ignored."""
    import torch
    source, lengths, target = batch
    logits = model.logits(source, lengths, target)  # (B, T, V)
    return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1), ignore_index=PAD)


def split_loss(model, pairs, setup, device):
    """Teacher-forced loss per token over a whole split, in batches of 100."""
    import torch
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(pairs), 100):
            batch = make_batch(pairs[i:i + 100], setup, device)
            n = int((batch[2] != PAD).sum())
            total += float(loss_of(model, batch)) * n
            count += n
    return total / max(count, 1)


def greedy_texts(model, sources, setup, device="cpu"):
    """Greedy translations of token lists, as text, in batches of 100 (as translate's decode)."""
    import torch
    out = []
    with torch.no_grad():
        for i in range(0, len(sources), 100):
            source, lengths, _ = make_batch([(s, ["x"]) for s in sources[i:i + 100]], setup, device)
            for ids in model.greedy(source, lengths):
                out.append(detokenize([setup["target_vocab"][j] for j in ids], setup["tokens"]))
    return out


def translate_first_batch(train_size, batch, seed):
    """The indices main.cpp's training loop draws for step 1 from Generator(seed + 1): one batch
    is drawn first for the "initial loss" line, then one per step; index = min(n - 1, ⌊u·n⌋) in float32."""
    import numpy as np
    g = Xoshiro256(seed + 1)
    def draw():
        return min(train_size - 1, int(g.uniform() * np.float32(train_size)))
    for _ in range(batch):
        draw()
    return [draw() for _ in range(batch)]


# ---- running translate -------------------------------------------------------------------------

def run_translate(binary, args, stdin=None):
    command = [binary] + [str(a) for a in args]
    try:
        done = subprocess.run(command, input=stdin, capture_output=True, text=True, encoding="utf-8")
    except OSError as e:
        raise InputError(f"--translate-bin {binary}: cannot run it ({e.strerror})") from None
    if done.returncode != 0:
        raise InputError(f"`{' '.join(command)}` failed (exit {done.returncode}):\n{done.stderr.strip()}")
    return done.stdout


def attograd_greedy(binary, checkpoint, texts):
    """translate --load CKPT --interactive: one translation per input line, after a 'loaded' line."""
    lines = run_translate(binary, ["--load", checkpoint, "--interactive"], stdin="".join(t + "\n" for t in texts))
    lines = lines.split("\n")
    if not lines or not lines[0].startswith("loaded "):
        raise InputError(f"translate --interactive printed {lines[:1]!r} first, not the 'loaded …' line expected")
    if len(lines) < 1 + len(texts):
        raise InputError(f"translate --interactive gave {len(lines) - 1} lines for {len(texts)} sources")
    return lines[1:1 + len(texts)]


def compare_greedy(what, model, binary, checkpoint, pairs, setup):
    """The same text through translate --interactive and through PyTorch, tokenised the same way."""
    texts = [detokenize(s, setup["tokens"]) for s, _ in pairs]
    sources = [tokenize(t, setup["tokens"]) for t in texts]
    start = time.perf_counter()
    theirs = attograd_greedy(binary, checkpoint, texts)
    ours = greedy_texts(model, sources, setup)
    differ = [i for i in range(len(sources)) if theirs[i] != ours[i]]
    print(f"{what}: greedy translations of {len(sources)} test sources: {len(sources) - len(differ)} identical "
          f"({time.perf_counter() - start:.1f} s)")
    for i in differ[:5]:
        print(f"  DIFFER  {texts[i]!r}: attograd {theirs[i]!r}, pytorch {ours[i]!r}")
    return not differ


def write_safetensors(path, state_dict, metadata):
    """tests/golden/fixture_io.py's writer, in state-dict order, with translate's metadata."""
    import numpy as np
    header, chunks, offset = {}, [], 0
    for name, tensor in state_dict.items():
        data = np.ascontiguousarray(tensor.detach().cpu().numpy(), dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))
    os.replace(path + ".tmp", path)


# ---- the program -------------------------------------------------------------------------------


def parse_args(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    p = ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0].split(": ", 1)[1],
                                epilog="See docs/pytorch.md. Supported model kinds: " + ", ".join(KINDS) + ".")
    p.add_argument("checkpoint", metavar="CKPT", help="a checkpoint written by `translate --save CKPT`")
    p.add_argument("--translate-bin", metavar="PATH",
                   default=os.path.join(here, "..", "..", "build", "release", "examples", "translate", "translate"),
                   help="the translate program, for the agreement checks (default: the release build's)")
    p.add_argument("--model", choices=KINDS, help="expect this model kind (the checkpoint says which it holds)")
    p.add_argument("--data", metavar="FILE.tsv",
                   help="train and check on these pairs (source<TAB>target, e.g. DIR/train.tsv from `translate "
                        "--write-data DIR`), split by translate as `translate --data` does; default: regenerate "
                        "the checkpoint's task with --train-size, --held-out and --seed")
    p.add_argument("--swap", action="store_true", help="with --data: the second column is the source")
    p.add_argument("--train-size", type=int, default=20000, help="generated training pairs (translate's default)")
    p.add_argument("--held-out", type=int, help="validation and test pairs each (translate's default: 1000 for a "
                   "generated task; with --data, translate's --val-fraction and --test-fraction, 10 %% each)")
    p.add_argument("--seed", type=int, default=1, help="translate's --seed: data split and batch order")
    p.add_argument("--check", type=int, default=100, metavar="N", help="test sources whose greedy translations "
                   "must agree (default 100)")
    p.add_argument("--loss-tolerance", type=float, default=1e-4,
                   help="relative loss tolerance: |loss_torch - loss_attograd| <= TOL·|loss_attograd| + 1e-6 "
                        "(default 1e-4)")
    p.add_argument("--steps", type=int, default=200, help="PyTorch training steps after the checks (0: none)")
    p.add_argument("--batch", type=int, default=64, help="sentences per step (translate's default)")
    p.add_argument("--lr", type=float, help="Adam learning rate (default: translate's, 2e-3; transformer 3e-3)")
    p.add_argument("--dropout", type=float, default=0.0, help="dropout while training on (the checkpoint does not "
                   "record it; translate --load uses 0)")
    p.add_argument("--device", default="cpu", help="torch device for the training (the checks run on the CPU)")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    p.add_argument("--require-lower-loss", action="store_true",
                   help="exit 3 unless the validation loss after training is below the loss before")
    p.add_argument("--save-torch", metavar="PATH", help="save the trained model's state_dict with torch.save")
    p.add_argument("--save-safetensors", metavar="PATH",
                   help="save the trained model as a translate checkpoint (translate --load PATH), and check it")
    a = p.parse_args(argv)
    for name in ("train_size", "held_out", "check", "batch"):
        if getattr(a, name) is not None and getattr(a, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1, got {getattr(a, name)}")
    if a.steps < 0:
        p.error(f"--steps must be at least 0, got {a.steps}")
    if not 0.0 <= a.dropout < 1.0:
        p.error(f"--dropout must be in [0, 1), got {a.dropout}")
    return a


def main(argv):
    a = parse_args(argv)
    torch, numpy = import_torch()
    tensors, metadata = read_safetensors(a.checkpoint, "translate")
    setup = read_setup(a.checkpoint, metadata)
    if a.model and a.model != setup["kind"]:
        raise InputError(f"{a.checkpoint}: the checkpoint holds a '{setup['kind']}' model, not '{a.model}'; "
                         f"drop --model or pass --model {setup['kind']}")
    if setup["task"] == "file" and not a.data:
        raise InputError(f"{a.checkpoint}: the model was trained on a file (translate --data); name it with --data "
                         f"FILE.tsv")
    if a.data and not os.path.isfile(a.data):
        raise InputError(f"--data {a.data}: no such file")
    if not (os.path.isfile(a.translate_bin) and os.access(a.translate_bin, os.X_OK)):
        raise InputError(f"--translate-bin {a.translate_bin}: not an executable file (build it: cmake --build "
                         f"build/release --target translate)")
    import warnings  # PyTorch 1.13's encoder fast path (eval, with a padding mask) announces a prototype
    warnings.filterwarnings("ignore", message="The PyTorch API of nested tensors is in prototype stage")
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    model = build_model(setup)
    try:
        model.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()}, strict=True)
    except RuntimeError as e:
        raise InputError(f"{a.checkpoint}: does not fit the '{setup['kind']}' model its metadata describes:\n{e}")
    sizes = {k: setup[k] for k in ("embed", "hidden", "layers", "heads", "ff")}
    print(f"{PROG}: {a.checkpoint}: {setup['kind']} model, {sum(p.numel() for p in model.parameters())} parameters, "
          f"task {setup['task']}, {setup['tokens']} tokens, sizes {sizes}; loaded into PyTorch {torch.__version__} "
          f"(strict; NumPy {numpy.__version__})")

    with tempfile.TemporaryDirectory(prefix="to_pytorch.") as tmp:
        # (a) translate writes its split and the loss of its first training batch.
        data = (["--data", a.data, "--tokens", setup["tokens"]] + (["--swap"] if a.swap else [])
                if a.data else ["--task", setup["task"], "--train-size", a.train_size])
        metrics_path = os.path.join(tmp, "metrics.json")
        start = time.perf_counter()
        held_out = ["--held-out", a.held_out] if a.held_out is not None else [] if a.data else ["--held-out", 1000]
        run_translate(a.translate_bin, ["--load", a.checkpoint, "--steps", 1, "--lr", 1e-6, "--batch", a.batch,
                                        "--seed", a.seed] + held_out + ["--write-data", tmp,
                                        "--metrics-json", metrics_path, "--no-report", "--samples", 0] + data)
        with open(metrics_path) as f:
            attograd_loss = json.load(f)["final_loss"]
        train = read_split(os.path.join(tmp, "train.tsv"), setup["tokens"])
        validation = read_split(os.path.join(tmp, "validation.tsv"), setup["tokens"])
        test = read_split(os.path.join(tmp, "test.tsv"), setup["tokens"])
    print(f"data: {len(train)} training, {len(validation)} validation, {len(test)} test pairs, as translate split "
          f"them ({time.perf_counter() - start:.1f} s)")

    model.eval()  # dropout 0 either way; eval as translate's decoding
    first = [train[i] for i in translate_first_batch(len(train), a.batch, a.seed)]
    with torch.no_grad():
        torch_loss = float(loss_of(model, make_batch(first, setup)))
    difference = abs(torch_loss - attograd_loss)
    loss_ok = difference <= a.loss_tolerance * abs(attograd_loss) + 1e-6
    print(f"loss on translate's first training batch ({a.batch} pairs): attograd {attograd_loss:.7f}, pytorch "
          f"{torch_loss:.7f}, |difference| {difference:.2e} ({'within' if loss_ok else 'OUTSIDE'} "
          f"{a.loss_tolerance:g} × loss + 1e-6)")
    greedy_ok = compare_greedy("checkpoint", model, a.translate_bin, a.checkpoint, test[:a.check], setup)
    if not (loss_ok and greedy_ok):
        print(f"{PROG}: FAILED: PyTorch and attograd disagree on {a.checkpoint}", file=sys.stderr)
        return 2
    print("agreement: PyTorch computes what attograd computes")

    # (b) Training on, in PyTorch. From here on it is an ordinary PyTorch loop, so this is where
    # scaling starts. Several GPUs or machines: torch.distributed.init_process_group, wrap the
    # model in torch.nn.parallel.DistributedDataParallel, give each rank its own shard of `train`
    # (torch.utils.data.DistributedSampler), launch with torchrun. A model too large for one
    # device: torch.distributed.fsdp.FullyShardedDataParallel instead of DDP. Neither is done here.
    device = torch.device(a.device)
    if a.dropout > 0:  # rebuilt with dropout, same weights
        trained = build_model(setup, a.dropout)
        trained.load_state_dict(model.state_dict())
        model = trained
    model.to(device)
    before = split_loss(model.eval(), validation, setup, device)
    exact_before = sum(o == detokenize(t, setup["tokens"]) for o, (_, t) in
                       zip(greedy_texts(model, [s for s, _ in validation], setup, device), validation)) / len(validation)
    print(f"before training: validation loss {before:.4f}, greedy exact match {exact_before:.4f}")
    if a.steps > 0:
        lr = a.lr if a.lr is not None else 3e-3 if setup["kind"] == "transformer" else 2e-3
        adam = torch.optim.Adam(model.parameters(), lr=lr)
        order = torch.Generator().manual_seed(a.seed)
        model.train()
        every, window, start = max(1, a.steps // 10), [], time.perf_counter()
        for step in range(1, a.steps + 1):
            picked = torch.randint(len(train), (a.batch,), generator=order).tolist()
            adam.zero_grad()
            loss = loss_of(model, make_batch([train[i] for i in picked], setup, device))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            adam.step()
            window.append(float(loss))
            if step % every == 0 or step == a.steps:
                print(f"  step {step}/{a.steps}: training loss {sum(window) / len(window):.4f} (mean of the last "
                      f"{len(window)}), {time.perf_counter() - start:.1f} s")
                window = []
        model.eval()
    after = split_loss(model, validation, setup, device)
    exact_after = sum(o == detokenize(t, setup["tokens"]) for o, (_, t) in
                      zip(greedy_texts(model, [s for s, _ in validation], setup, device), validation)) / len(validation)
    print(f"after {a.steps} PyTorch steps: validation loss {after:.4f} (before {before:.4f}), greedy exact match "
          f"{exact_after:.4f} (before {exact_before:.4f})")

    model.to("cpu")
    if a.save_torch:
        torch.save(model.state_dict(), a.save_torch)
        print(f"saved the state_dict to {a.save_torch} (torch.load it into build_model(setup) of this script)")
    if a.save_safetensors:
        write_safetensors(a.save_safetensors, model.state_dict(), metadata)
        print(f"saved {a.save_safetensors}: `translate --load {a.save_safetensors}` continues in attograd")
        if not compare_greedy("saved checkpoint", model, a.translate_bin, a.save_safetensors, test[:a.check], setup):
            print(f"{PROG}: FAILED: attograd reads {a.save_safetensors} differently", file=sys.stderr)
            return 2
    if a.require_lower_loss and not after < before:
        print(f"{PROG}: FAILED: the validation loss did not fall ({before:.4f} -> {after:.4f})", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except InputError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        sys.exit(1)
