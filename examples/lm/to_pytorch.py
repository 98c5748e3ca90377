#!/usr/bin/env python3
"""to_pytorch.py: an lm checkpoint as a PyTorch model, and a proof that both compute the same thing.

    /usr/bin/python3 examples/lm/to_pytorch.py model.safetensors \\
        --lm-bin build/release/examples/lm/lm [--data FILE_OR_DIR] [--prompt TEXT] [--max-new N]

1. Reads CKPT (written by `lm --save CKPT`): its tensors and the "lm.*" metadata (model kind,
   task, tokenizer, sizes; see examples/lm/main.cpp, to_metadata).
2. Builds the same model from torch.nn modules, with parameter names equal to attograd's, and
   loads the checkpoint with load_state_dict(strict=True):
     gpt     nn.Embedding tokens and positions, nn.TransformerEncoder of pre-LN
             nn.TransformerEncoderLayer (GELU, 4E) with a causal mask and a final LayerNorm, a
             bias-free nn.Linear head (or, tied, logits = h · tokens.weightᵀ)
     bigram  nn.Embedding, the MLP blocks (LayerNorm, Linear, GELU, Linear, residual), a
             LayerNorm, the head
     rnn     nn.Embedding, nn.GRU (batch_first, width round(√2·E/8)·8), the head
3. Checks, with the lm binary itself, that PyTorch computes what attograd computes:
   - the validation loss. `lm --load CKPT --metrics-json M` reports val_loss, its mean
     cross-entropy over the whole held-out split; this script rebuilds that split and computes the
     same mean in PyTorch, and |pytorch − attograd| must be <= --tolerance (1e-4). For text:
     the same text (--data, read as lm reads it), the same tokens (the checkpoint's character
     vocabulary, or its byte-level BPE merges applied as seq/bpe.cpp applies them), the same 90/10
     split and the same consecutive windows as seq::evaluate_split; the number of tokens scored
     (lm's val_tokens) must be equal too. For sort and add: the same held-out problems,
     regenerated from --seed with lm's xoshiro256** generator (tasks.cpp), only the answer
     tokens scored. The seed is the checkpoint's (lm.seed, the one it was trained with), unless
     --seed overrides it.
   - greedy decoding. For text, the greedy continuation of --prompt (default: lm's own, the first
     tokens of the validation split) for --max-new tokens: `lm --load CKPT --prompt P
     --temperature 0 --max-new N` (through attograd's key/value cache or GRU state) against
     PyTorch re-running the window (cropped to the last `context` tokens past the context, as
     nanoGPT) each step; the texts must be equal byte for byte. For sort and add: lm's greedy
     answers to every held-out problem (through its cache; --samples with their number prints
     them all, the wrong ones first) and to --prompt (default 201102 or 12+34; through
     seq::generate) against PyTorch's; every printed line must be equal.
What this does not check: training (gradients, AdamW, the schedule, dropout, the random batches;
bench/lm_torch.py compares training statistically), and sampling at a temperature above 0 (the
frameworks draw from different random generators).

Exit status: 0 everything agrees; 1 bad input (the message names it); 2 PyTorch and attograd
disagree (both results are printed). Needs only torch and numpy (Debian: python3-torch
python3-numpy).
"""
import heapq
import json
import math
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from checkpoint_files import ArgumentParser, InputError, Xoshiro256, import_torch, read_safetensors  # noqa: E402

PROG = "to_pytorch.py"
KINDS = ("gpt", "bigram", "rnn")
TASKS = ("sort", "add", "text")
DEFAULT_TEXT = "/usr/share/common-licenses"  # lm::default_text_path()
BAR = "\u2502".encode()                       # what lm prints between the prompt and the sample


# ---- the checkpoint ---------------------------------------------------------------------------


def read_setup(path, metadata):
    """The model, task and tokenizer from lm's metadata keys (main.cpp, to_metadata)."""
    def get(key):
        if key not in metadata:
            raise InputError(f"{path}: not an lm checkpoint (no '{key}' in its metadata; it has "
                             f"{sorted(metadata) or 'none'})")
        return metadata[key]
    for key in ("lm.model", "lm.task", "lm.tokens", "lm.tokenizer", "lm.sizes"):
        get(key)
    kind, task, tokens = get("lm.model"), get("lm.task"), get("lm.tokens")
    if kind not in KINDS:
        raise InputError(f"{path}: model kind '{kind}' is not one of lm's: {', '.join(KINDS)}")
    if task not in TASKS:
        raise InputError(f"{path}: task '{task}' is not one of lm's: {', '.join(TASKS)}")
    try:
        sizes = json.loads(get("lm.sizes"))
        setup = {"kind": kind, "task": task, "tokens": tokens,
                 **{k: int(sizes[k]) for k in ("vocab", "context", "embed", "layers", "heads")},
                 "tie": int(sizes["tie"]) != 0}
    except (ValueError, KeyError, TypeError) as e:
        raise InputError(f"{path}: unreadable lm.sizes ({type(e).__name__}: {e})") from None
    try:
        if tokens == "char":
            setup["tokenizer"] = CharVocabulary.from_string(get("lm.tokenizer"))
        elif tokens == "bpe":
            setup["tokenizer"] = ByteBPE.from_string(get("lm.tokenizer"))
        else:
            raise ValueError(f"unknown tokenizer '{tokens}' (expected char or bpe)")
    except ValueError as e:
        raise InputError(f"{path}: unreadable tokenizer ({e})") from None
    if setup["tokenizer"].size() != setup["vocab"]:
        raise InputError(f"{path}: the tokenizer has {setup['tokenizer'].size()} tokens but the model "
                         f"{setup['vocab']}")
    return setup


# ---- tokenizers, as seq/char_vocabulary.cpp and seq/bpe.cpp -----------------------------------

class CharVocabulary:
    """Every distinct code point of a text, id 0 for the smallest; text in and out as UTF-8 bytes."""
    HEADER = "attograd.CharVocabulary 1\n"

    def __init__(self, characters):
        self.characters = characters  # id -> code point (a one-character str), increasing
        self.ids = {c: i for i, c in enumerate(characters)}

    @classmethod
    def of_text(cls, text):
        return cls(sorted(set(text)))

    @classmethod
    def from_string(cls, text):
        """CharVocabulary::from_string: the header, then the characters in increasing order."""
        if not text.startswith(cls.HEADER):
            raise ValueError(f"the text does not start with {cls.HEADER!r} (it starts with {text[:40]!r})")
        characters = list(text[len(cls.HEADER):])
        if any(b <= a for a, b in zip(characters, characters[1:])):
            raise ValueError("the characters are not in increasing code-point order without repeats")
        return cls(characters)

    def size(self):
        return len(self.characters)

    def encode(self, data):
        """UTF-8 bytes -> ids; ValueError naming the first character outside the vocabulary."""
        try:
            text = data.decode("utf-8")  # strict, as RFC 3629 and next_code_point
        except UnicodeDecodeError as e:
            raise ValueError(f"invalid UTF-8 at byte {e.start}") from None
        try:
            return [self.ids[c] for c in text]
        except KeyError as e:
            c = e.args[0]
            raise ValueError(f"character {c!r} (U+{ord(c):04X}) at character {text.index(c)} is not in the "
                             f"vocabulary of {self.size()} characters") from None

    def decode(self, ids):
        return "".join(self.characters[i] for i in ids).encode("utf-8")


class ByteBPE:
    """A byte-level BPE: ids 0-255 are the bytes, merge r makes id 256 + r from a pair of ids."""

    def __init__(self, merges):
        self.merges = merges                                   # [(left, right)] in learned order
        self.rank = {pair: r for r, pair in enumerate(merges)}
        self.bytes = [bytes([b]) for b in range(256)]          # id -> the bytes it stands for
        for left, right in merges:
            self.bytes.append(self.bytes[left] + self.bytes[right])

    @classmethod
    def from_string(cls, text):
        """ByteBPE::from_string: "attograd.ByteBPE 1", "vocab_size N", then one "left right" per merge."""
        if not text.endswith("\n"):
            raise ValueError("the text has no final newline: it was cut short")
        lines = text[:-1].split("\n")
        if lines[0] != "attograd.ByteBPE 1":
            raise ValueError(f"the text does not start with the line 'attograd.ByteBPE 1' (it starts with "
                             f"{text[:40]!r})")
        if len(lines) < 2 or not lines[1].startswith("vocab_size ") or not lines[1][11:].isdigit():
            raise ValueError(f"line 2 must be 'vocab_size N', got {lines[1] if len(lines) > 1 else ''!r}")
        vocab_size = int(lines[1][11:])
        if vocab_size < 256 or len(lines) - 2 != vocab_size - 256:
            raise ValueError(f"vocab_size {vocab_size} needs {vocab_size - 256} merge lines, there are "
                             f"{len(lines) - 2}")
        merges, seen = [], set()
        for number, line in enumerate(lines[2:], start=3):
            parts = line.split(" ")
            if len(parts) != 2 or not all(p.isdigit() for p in parts):
                raise ValueError(f"line {number} must be two ids 'left right', got {line!r}")
            left, right = int(parts[0]), int(parts[1])
            if max(left, right) >= 256 + len(merges) or (left, right) in seen:
                raise ValueError(f"line {number} merges ({left}, {right}): an id not defined before it, or a repeat")
            merges.append((left, right))
            seen.add((left, right))
        return cls(merges)

    def size(self):
        return 256 + len(self.merges)

    def encode(self, data):
        """ByteBPE::encode: bytes -> ids. A linked list of tokens and a heap of (merge rank,
        position of the left token): the lowest rank first, then the leftmost, so merge r is
        applied everywhere, left to right, before merge r + 1; stale entries are skipped."""
        n = len(data)
        ids = list(data)
        nxt = list(range(1, n + 1))
        prev = list(range(-1, n - 1))
        removed, end = -1, n

        def rank(i, j):
            return self.rank.get((ids[i], ids[j]), -1)

        heap = [(r, i) for i in range(n - 1) if (r := rank(i, i + 1)) >= 0]
        heapq.heapify(heap)
        while heap:
            r, i = heapq.heappop(heap)
            j = nxt[i]
            if ids[i] == removed or j == end or rank(i, j) != r:
                continue  # stale: merged away or changed
            ids[i], ids[j] = 256 + r, removed
            nxt[i] = k = nxt[j]
            if k != end:
                prev[k] = i
            if (p := prev[i]) >= 0 and (rp := rank(p, i)) >= 0:
                heapq.heappush(heap, (rp, p))
            if nxt[i] != end and (rq := rank(i, nxt[i])) >= 0:
                heapq.heappush(heap, (rq, i))
        return [t for t in ids if t != removed]

    def decode(self, ids):
        return b"".join(self.bytes[i] for i in ids)


# ---- data, as examples/lm/tasks.cpp and seq/batching.cpp ----------------------------------------

def read_text(path):
    """lm::read_text: a file's bytes, or a directory's regular files (not symbolic links) in name
    order, concatenated; refuses a missing path, an empty text and a NUL byte."""
    if not os.path.exists(path):
        raise InputError(f"--data {path}: no such file or directory")
    if os.path.isdir(path):
        names = sorted((os.fsencode(n) for n in os.listdir(path)))  # byte order, as std::sort of paths
        files = [os.path.join(os.fsencode(path), n) for n in names]
        files = [f for f in files if not os.path.islink(f) and os.path.isfile(f)]
    else:
        files = [path]
    data = b""
    for f in files:
        try:
            with open(f, "rb") as stream:
                data += stream.read()
        except OSError as e:
            raise InputError(f"--data {os.fsdecode(f)}: cannot be read ({e.strerror})") from None
    if not data:
        raise InputError(f"--data {path}: the text is empty")
    if (nul := data.find(b"\0")) >= 0:
        raise InputError(f"--data {path}: looks binary, not text (a NUL byte at offset {nul}); give a UTF-8 text file")
    return data


def train_val_split(ids, context, fraction=0.9):
    """seq::train_val_split: the first floor(fraction · N) tokens, then the rest."""
    n = math.floor(fraction * len(ids))
    if n < context + 1 or len(ids) - n < context + 1:
        raise InputError(f"splitting {len(ids)} tokens 90/10 leaves {n} and {len(ids) - n}; each needs at least "
                         f"context + 1 = {context + 1}")
    return ids[:n], ids[n:]


def shuffled(n, seed):
    """tasks.cpp's shuffled: 0 … n − 1 in a Fisher-Yates order drawn from Generator(seed)."""
    order, g = list(range(n)), Xoshiro256(seed)
    for i in range(n, 1, -1):
        j = g.below(i)
        order[i - 1], order[j] = order[j], order[i - 1]
    return order


def make_problems(task, seed):
    """lm::make_problems' held-out problems: (prompt length, answer length, [prompt + answer ids])."""
    if task == "sort":  # 6 base-3 digits then them sorted; a quarter of the 729 unseen, 5000 draws from them
        def problem(code):
            digits = [code // 3 ** i % 3 for i in range(6)]
            return digits + sorted(digits)
        unseen = [problem(code) for code in shuffled(729, seed)[:729 // 4]]
        g = Xoshiro256(seed + 1)
        return 6, 6, [unseen[g.below(len(unseen))] for _ in range(5000)]
    pairs = shuffled(10000, seed)[:1000]  # add: a's digits, b's digits, (a + b)'s 3 digits reversed
    return 4, 3, [[a // 10, a % 10, b // 10, b % 10, c % 10, c // 10 % 10, c // 100 % 10]
                  for a, b, c in ((p // 100, p % 100, p // 100 + p % 100) for p in pairs)]


def show_problem(task, prompt, answer):
    """lm::show_problem: "201102 -> 001122", or "12+34=46" (the reversed sum, leading zeros dropped)."""
    digits = "".join(map(str, prompt))
    if task == "sort":
        return f"{digits} -> {''.join(map(str, answer))}"
    total = "".join(map(str, reversed(answer)))
    return f"{digits[:2]}+{digits[2:]}={total.lstrip('0') or '0'}"


def parse_problem_prompt(task, text):
    """lm::parse_prompt: 6 digits from 0-2 for sort; for add 4 digits, or two numbers from 0 to 99
    around a '+' (5+7 is 05 + 07). Spaces are ignored."""
    digits = text.replace(" ", "")
    if task == "add" and "+" in digits:
        a, b = digits.split("+", 1)
        digits = a.zfill(2) + b.zfill(2) if 1 <= len(a) <= 2 and 1 <= len(b) <= 2 else ""
    top, length = ("2", 6) if task == "sort" else ("9", 4)
    if len(digits) != length or not all("0" <= c <= top for c in digits):
        raise InputError(f"--prompt '{text}': " + ("sort takes 6 digits from 0, 1 and 2, e.g. --prompt 201102"
                                                  if task == "sort" else
                                                  "add takes two numbers from 0 to 99, e.g. --prompt 12+34"))
    return [int(c) for c in digits]


# ---- the models, as examples/lm/models.cpp ------------------------------------------------------

def rnn_width(embed):
    """models.cpp's rnn_width: √2·E rounded to a multiple of 8 (std::lround: halves away from 0), at least 8."""
    return max(8, math.floor(math.sqrt(2.0) * embed / 8.0 + 0.5) * 8)


def build_model(setup, dropout=0.0):
    """The torch.nn twin of lm::make_model(config): the same modules under the same names. The
    model maps ids (B, T), T <= context, to logits (B, T, V), each position from those before it."""
    import torch
    from torch import nn

    V, C, E, L, H = (setup[k] for k in ("vocab", "context", "embed", "layers", "heads"))

    class GPT(nn.Module):
        """Token + position embeddings, pre-LN causal Transformer blocks, a final LayerNorm, the head."""

        def __init__(self):
            super().__init__()
            self.tokens = nn.Embedding(V, E)
            self.positions = nn.Embedding(C, E)
            self.dropout = nn.Dropout(dropout)
            layer = nn.TransformerEncoderLayer(E, H, 4 * E, dropout, activation="gelu", layer_norm_eps=1e-5,
                                               batch_first=True, norm_first=True)
            self.blocks = nn.TransformerEncoder(layer, L, norm=nn.LayerNorm(E), enable_nested_tensor=False)
            self.head = None if setup["tie"] else nn.Linear(E, V, bias=False)

        def forward(self, ids):
            T = ids.shape[1]
            x = self.dropout(self.tokens(ids) + self.positions(torch.arange(T, device=ids.device)))
            future = torch.triu(torch.ones(T, T, dtype=torch.bool, device=ids.device), 1)  # True = blocked
            h = self.blocks(x, mask=future)
            return self.head(h) if self.head is not None else h @ self.tokens.weight.T

    class MLPBlock(nn.Module):
        """A GPT block without its attention: x + MLP(LayerNorm(x))."""

        def __init__(self):
            super().__init__()
            self.norm = nn.LayerNorm(E)
            self.linear1 = nn.Linear(E, 4 * E)
            self.linear2 = nn.Linear(4 * E, E)
            self.dropout = nn.Dropout(dropout)

        def forward(self, x):
            return x + self.dropout(self.linear2(nn.functional.gelu(self.linear1(self.norm(x)))))

    class Bigram(nn.Module):
        """Each position from its own token alone: embedding, MLP blocks, LayerNorm, head."""

        def __init__(self):
            super().__init__()
            self.tokens = nn.Embedding(V, E)
            self.blocks = nn.ModuleList(MLPBlock() for _ in range(L))
            self.norm = nn.LayerNorm(E)
            self.head = nn.Linear(E, V, bias=False)

        def forward(self, ids):
            x = self.tokens(ids)
            for block in self.blocks:
                x = block(x)
            return self.head(self.norm(x))

    class RNN(nn.Module):
        """A GRU language model: embedding, L GRU layers of rnn_width(E), the head."""

        def __init__(self):
            super().__init__()
            W = rnn_width(E)
            self.tokens = nn.Embedding(V, E)
            self.gru = nn.GRU(E, W, num_layers=L, dropout=dropout if L > 1 else 0.0, batch_first=True)
            self.dropout = nn.Dropout(dropout)
            self.head = nn.Linear(W, V, bias=False)

        def forward(self, ids):
            output, _ = self.gru(self.dropout(self.tokens(ids)))  # from a zero state
            return self.head(self.dropout(output))

    return {"gpt": GPT, "bigram": Bigram, "rnn": RNN}[setup["kind"]]()


# ---- what PyTorch computes ----------------------------------------------------------------------

def text_validation_loss(model, validation, context, batch=64):
    """seq::evaluate_split: the mean cross-entropy over positions 1 … N − 1 of the split, each the
    target of the token before it, in consecutive non-overlapping windows of `context` inputs
    (every window restarts its context), full windows `batch` at a time, the short rest alone."""
    import torch
    tokens = torch.tensor(validation, dtype=torch.long)
    targets = len(validation) - 1
    full, rest = divmod(targets, context)
    total = 0.0
    with torch.no_grad():
        starts = [(w, context) for w in range(0, full * context, context)]
        chunks = [starts[i:i + batch] for i in range(0, len(starts), batch)]
        chunks += [[(full * context, rest)]] if rest else []
        for chunk in chunks:
            length = chunk[0][1]
            inputs = torch.stack([tokens[s:s + length] for s, _ in chunk])
            labels = torch.stack([tokens[s + 1:s + 1 + length] for s, _ in chunk])
            logits = model(inputs)
            total += float(torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1),
                                                             reduction="sum"))
    return total / targets, targets


def problems_validation_loss(model, problems, prompt_length, chunk=500):
    """main.cpp's validation_loss for sort and add: each held-out problem but its last token in,
    each but its first as targets, only the answer scored; 500 problems per batch."""
    import torch
    total = 0.0
    with torch.no_grad():
        for first in range(0, len(problems), chunk):
            rows = torch.tensor(problems[first:first + chunk], dtype=torch.long)
            targets = rows[:, 1:].clone()
            targets[:, :prompt_length - 1] = -1  # the prompt is not scored
            logits = model(rows[:, :-1])
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                                     ignore_index=-1)
            total += float(loss) * len(rows)
    return total / len(problems)


def greedy(model, prompts, new_tokens, context):
    """Greedy continuations of equal-length prompts: each step runs the last `context` tokens
    (nanoGPT's crop) and appends the argmax of the last position (ties to the lowest id)."""
    import torch
    ids = torch.tensor(prompts, dtype=torch.long)
    with torch.no_grad():
        for _ in range(new_tokens):
            logits = model(ids[:, -context:])[:, -1]  # (B, V)
            ids = torch.cat([ids, logits.argmax(-1, keepdim=True)], 1)
    return ids[:, len(prompts[0]):].tolist()


# ---- running lm ---------------------------------------------------------------------------------

def utf8_length(b, i):
    """The length of the valid UTF-8 sequence at b[i], or 0 (tasks.cpp's utf8_length)."""
    c0 = b[i]
    n = 1 if c0 < 0x80 else 2 if c0 >> 5 == 0x6 else 3 if c0 >> 4 == 0xE else 4 if c0 >> 3 == 0x1E else 0
    if n == 0 or i + n > len(b):
        return 0
    c = c0 if n == 1 else c0 & (0x7F >> n)
    for k in range(1, n):
        if b[i + k] & 0xC0 != 0x80:
            return 0
        c = (c << 6) | (b[i + k] & 0x3F)
    return 0 if c < (0, 0, 0x80, 0x800, 0x10000)[n] or c > 0x10FFFF or 0xD800 <= c <= 0xDFFF else n


def display(b):
    """Bytes as lm prints them (Tokenizer::display): each byte that is not valid UTF-8 becomes U+FFFD."""
    out, i = bytearray(), 0
    while i < len(b):
        n = utf8_length(b, i)
        out += "\ufffd".encode() if n == 0 else b[i:i + n]
        i += max(n, 1)
    return bytes(out)


def run_lm(binary, args):
    """lm's stdout as bytes (the text as lm displays it: U+FFFD for bytes that are not UTF-8)."""
    command = [binary] + [str(a) for a in args]
    try:
        done = subprocess.run(command, capture_output=True)
    except OSError as e:
        raise InputError(f"--lm-bin {binary}: cannot run it ({e.strerror})") from None
    if done.returncode != 0:
        raise InputError(f"`{' '.join(command)}` failed (exit {done.returncode}): "
                         f"{done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout


def lm_sample(stdout):
    """The text of show_samples: the line after "sample (…):" up to the end (and before the
    "metrics: …" line, if any), prompt │ generated, as bytes."""
    start = stdout.find(b"\nsample (")
    if start < 0:
        raise InputError("lm printed no 'sample (…):' line; its output was:\n" + stdout.decode("utf-8", "replace"))
    text = stdout[stdout.index(b"\n", start + 1) + 1:]
    cut = text.rfind(b"\nmetrics: ")
    return text[:cut] if cut >= 0 else text.removesuffix(b"\n")


def lm_problem_lines(stdout, count, with_prompt):
    """The `count` held-out lines after lm's "held-out (…)" line, then the --prompt's line."""
    lines = stdout.decode("utf-8", "replace").split("\n")
    at = next((i for i, line in enumerate(lines) if line.startswith("held-out (")), None)
    if at is None or len(lines) < at + 1 + count + with_prompt:
        raise InputError("lm printed no 'held-out (…)' line and its answers; its output was:\n" + "\n".join(lines))
    return lines[at + 1:at + 1 + count], (lines[at + 1 + count] if with_prompt else None)


def read_metrics(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def show(data):
    return data.decode("utf-8", "replace")


# ---- the checks ---------------------------------------------------------------------------------

def check_loss(attograd_loss, torch_loss, tolerance, what):
    difference = abs(torch_loss - attograd_loss)
    ok = difference <= tolerance
    print(f"validation loss ({what}): attograd {attograd_loss:.7f}, pytorch {torch_loss:.7f}, |difference| "
          f"{difference:.2e} ({'within' if ok else 'OUTSIDE'} {tolerance:g})")
    return ok


def check_text(a, model, setup, tmp):
    """Text: the validation loss, then the greedy continuation of the prompt."""
    tokenizer, C = setup["tokenizer"], setup["context"]
    data_path = a.data or DEFAULT_TEXT
    data = read_text(data_path)
    try:
        ids = tokenizer.encode(data)
    except ValueError as e:
        raise InputError(f"--data {data_path}: {e}") from None
    _, validation = train_val_split(ids, C)
    if a.prompt:
        try:
            prompt = tokenizer.encode(os.fsencode(a.prompt))
        except ValueError as e:
            raise InputError(f"--prompt: {e}") from None
        if len(prompt) > C:
            raise InputError(f"--prompt has {len(prompt)} tokens but the model sees at most {C} (its context)")
    else:  # lm's default: the validation split's first min(max(1, C / 4), 16) tokens
        prompt = validation[:min(max(1, C // 4), 16)]

    metrics = os.path.join(tmp, "metrics.json")
    out = run_lm(a.lm_bin, ["--load", a.checkpoint, "--data", data_path, "--seed", a.seed, "--temperature", 0,
                            "--max-new", 1 if a.prompt else a.max_new, "--metrics-json", metrics, "--no-report"])
    torch_loss, targets = text_validation_loss(model, validation, C)
    reported = read_metrics(metrics)
    if reported["val_tokens"] != targets:  # a different tokenisation or split
        print(f"validation tokens scored: attograd {reported['val_tokens']}, pytorch {targets}: DIFFERENT")
        return False
    loss_ok = check_loss(reported["val_loss"], torch_loss, a.tolerance,
                         f"{targets} tokens of {data_path}, windows of {C}")
    if a.prompt:  # with --prompt, lm reads no text (and reports no loss): a second run
        out = run_lm(a.lm_bin, ["--load", a.checkpoint, f"--prompt={a.prompt}", "--seed", a.seed, "--temperature", 0,
                                "--max-new", a.max_new, "--no-report"])
    theirs = lm_sample(out)
    generated = greedy(model, [prompt], a.max_new, C)[0]
    ours = display(tokenizer.decode(prompt)) + BAR + display(tokenizer.decode(generated))
    same = theirs == ours
    print(f"greedy continuation of {show(tokenizer.decode(prompt))!r} ({len(prompt)} tokens) for {a.max_new} tokens: "
          f"{'identical' if same else 'DIFFERENT'}")
    if same:
        print(f"  both: {show(ours)[:120]!r}{'…' if len(show(ours)) > 120 else ''}")
    else:
        print(f"  attograd: {show(theirs)!r}\n  pytorch:  {show(ours)!r}")
    return loss_ok and same


def check_problems(a, model, setup, tmp):
    """sort and add: the validation loss, then the greedy answers to every held-out problem and to the prompt."""
    task = setup["task"]
    prompt_length, answer_length, problems = make_problems(task, a.seed)
    if setup["context"] < prompt_length + answer_length - 1:
        raise InputError(f"{a.checkpoint}: a context of {setup['context']} is too short for {task}")
    prompt_text = a.prompt or ("201102" if task == "sort" else "12+34")
    prompt = parse_problem_prompt(task, prompt_text)
    metrics = os.path.join(tmp, "metrics.json")
    out = run_lm(a.lm_bin, ["--load", a.checkpoint, "--seed", a.seed, f"--prompt={prompt_text}",
                            "--temperature", 0, "--samples", len(problems), "--metrics-json", metrics, "--no-report"])
    torch_loss = problems_validation_loss(model, problems, prompt_length)
    loss_ok = check_loss(read_metrics(metrics)["val_loss"], torch_loss, a.tolerance,
                         f"the answers of {len(problems)} held-out {task} problems, seed {a.seed}")

    prompts = [p[:prompt_length] for p in problems]
    expected = [p[prompt_length:] for p in problems]
    answers = greedy(model, prompts, answer_length, setup["context"])
    order = [i for i in range(len(problems)) if answers[i] != expected[i]]  # wrong first, as lm prints them
    order += [i for i in range(len(problems)) if answers[i] == expected[i]]
    ours = [f"  {show_problem(task, prompts[i], answers[i])}" + (
        "" if answers[i] == expected[i] else f"   (wrong: expected {show_problem(task, prompts[i], expected[i])})")
        for i in order]
    theirs, theirs_prompt = lm_problem_lines(out, len(problems), with_prompt=True)
    differ = [k for k in range(len(ours)) if ours[k] != theirs[k]]
    right = sum(answers[i] == expected[i] for i in range(len(problems)))
    print(f"greedy answers to {len(problems)} held-out problems (pytorch: {right} right): "
          f"{len(problems) - len(differ)} lines identical")
    for k in differ[:5]:
        print(f"  DIFFER  attograd {theirs[k].strip()!r}, pytorch {ours[k].strip()!r}")
    ours_prompt = show_problem(task, prompt, greedy(model, [prompt], answer_length, setup["context"])[0])
    same = theirs_prompt == ours_prompt
    print(f"greedy answer to --prompt {prompt_text}: attograd {theirs_prompt!r}, pytorch "
          f"{ours_prompt!r}: {'identical' if same else 'DIFFERENT'}")
    return loss_ok and not differ and same


# ---- the program --------------------------------------------------------------------------------


def parse_args(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    p = ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0].split(": ", 1)[1],
                       epilog="Exit status: 0 agree, 1 bad input, 2 disagree.")
    p.add_argument("checkpoint", metavar="CKPT", help="a checkpoint written by `lm --save CKPT`")
    p.add_argument("--lm-bin", metavar="PATH",
                   default=os.path.join(here, "..", "..", "build", "release", "examples", "lm", "lm"),
                   help="the lm program (default: the release build's)")
    p.add_argument("--data", metavar="FILE_OR_DIR",
                   help=f"text task: the text the model was trained on (default: lm's, {DEFAULT_TEXT})")
    p.add_argument("--prompt", metavar="TEXT",
                   help="text: the text to continue (default: lm's, the validation split's first tokens); sort: "
                        "6 digits from 0-2 (default 201102); add: two 2-digit numbers (default 12+34)")
    p.add_argument("--max-new", type=int, default=200, metavar="N", help="text: tokens to generate (default 200)")
    p.add_argument("--seed", type=int, default=None, help="sort and add regenerate their held-out problems from "
                   "it (default: the checkpoint's lm.seed, the one it was trained with)")
    p.add_argument("--tolerance", type=float, default=1e-4, help="largest |loss difference| allowed (default 1e-4)")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    a = p.parse_args(argv)
    if a.max_new < 1:
        p.error(f"--max-new must be at least 1, got {a.max_new}")
    if a.seed is not None and a.seed < 0:
        p.error(f"--seed must be at least 0, got {a.seed}")
    return a


def main(argv):
    a = parse_args(argv)
    torch, numpy = import_torch()
    tensors, metadata = read_safetensors(a.checkpoint, "lm")
    setup = read_setup(a.checkpoint, metadata)
    if a.seed is None:
        a.seed = int(metadata.get("lm.seed", "1"))
    if a.data and setup["task"] != "text":
        raise InputError(f"--data: {a.checkpoint} holds a model of the {setup['task']} task, not of a text")
    if not (os.path.isfile(a.lm_bin) and os.access(a.lm_bin, os.X_OK)):
        raise InputError(f"--lm-bin {a.lm_bin}: not an executable file (build it: cmake --build build/release "
                         f"--target lm)")
    if a.threads > 0:
        torch.set_num_threads(a.threads)

    model = build_model(setup)
    try:
        model.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()}, strict=True)
    except RuntimeError as e:
        raise InputError(f"{a.checkpoint}: does not fit the '{setup['kind']}' model its metadata describes:\n{e}")
    model.eval()
    sizes = {k: setup[k] for k in ("vocab", "context", "embed", "layers", "heads", "tie")}
    print(f"{PROG}: {a.checkpoint}: {setup['kind']} model on {setup['task']} ({setup['tokens']} tokens), "
          f"{sum(p.numel() for p in model.parameters())} parameters, sizes {sizes}; loaded into PyTorch "
          f"{torch.__version__} (strict; NumPy {numpy.__version__})")
    with tempfile.TemporaryDirectory(prefix="lm_to_pytorch.") as tmp:
        ok = (check_text if setup["task"] == "text" else check_problems)(a, model, setup, tmp)
    if not ok:
        print(f"{PROG}: FAILED: PyTorch and attograd disagree on {a.checkpoint}", file=sys.stderr)
        return 2
    print("agreement: PyTorch computes what attograd computes")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except InputError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        sys.exit(1)
