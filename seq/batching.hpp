// Batches for a language model trained on one long stream of token ids, as nanoGPT does:
// random windows for training, a train/validation split of the stream, and the loss over a
// whole split in consecutive windows for evaluation.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include <attograd/core/random.hpp>
#include <attograd/core/tensor.hpp>
#include <attograd/seq/sequences.hpp>

namespace attograd::seq {

struct LMBatch {
  Index inputs;   // (B, T): tokens[s_b + t]
  Index targets;  // (B, T): tokens[s_b + t + 1], the next token at every position
};

// B windows of T + 1 consecutive tokens, each starting at s_b drawn uniformly from
// [0, N - T - 1] (nanoGPT's get_batch). Throws std::invalid_argument if B or T is 0 or the stream
// has fewer than T + 1 tokens.
LMBatch random_windows(const TokenIds& tokens, std::size_t B, std::size_t T, Generator& g);

struct TokenSplit {
  TokenIds train;       // the first floor(fraction · N) tokens
  TokenIds validation;  // the rest
};

// Splits a stream in two at floor(fraction · N), in order (no shuffling: the validation text is
// a contiguous tail, as in nanoGPT). Throws std::invalid_argument if fraction is not in (0, 1),
// or if either part has fewer than T + 1 tokens (one window of T inputs and their targets).
TokenSplit train_val_split(const TokenIds& tokens, std::size_t T, double fraction = 0.9);

struct SplitLoss {
  double loss = 0.0;            // mean cross-entropy per scored token, in nats
  double bits_per_token = 0.0;  // loss / ln 2
  double perplexity = 0.0;      // exp(loss)
  std::size_t tokens = 0;       // tokens scored: N - 1
};

// The model's loss over a whole split. Positions 1 … N - 1 are each scored exactly once, as the
// target of the token before them; position 0 is never a target (nothing precedes it). Windows
// are consecutive and do not overlap: window w has inputs tokens[wT … wT + T - 1] and targets
// tokens[wT + 1 … wT + T], so every window restarts its context (the first target of a window is
// predicted from one token). Full windows go to logits_fn B at a time as (B', T) with B' <= B;
// the last, shorter window (if (N - 1) is not a multiple of T) goes alone as (1, L), L < T.
// logits_fn must return logits (B', T', V) for inputs (B', T'). Runs under NoGradGuard.
// Throws std::invalid_argument if B or T is 0, the split has fewer than 2 tokens, or logits_fn
// returns the wrong shape.
SplitLoss evaluate_split(const TokenIds& tokens, std::size_t B, std::size_t T,
                         const std::function<Tensor(const Index& inputs)>& logits_fn);

}  // namespace attograd::seq
