// random_windows, train_val_split, evaluate_split.
#include <attograd/seq/batching.hpp>

#include <cmath>
#include <numbers>
#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/autograd.hpp>
#include <attograd/core/ops/functional.hpp>
#include <attograd/core/ops/shape_ops.hpp>

namespace attograd::seq {

namespace {

void check_sizes(const char* op, std::size_t B, std::size_t T) {
  if (B == 0 || T == 0)
    throw std::invalid_argument(
        fmt::format("{}: the batch size B and window length T must be positive, got B = {}, T = {}", op, B, T));
}

// Inputs tokens[start + t] and targets tokens[start + t + 1] of window row b.
void fill_window(LMBatch& batch, std::size_t b, const TokenIds& tokens, std::size_t start, std::size_t length) {
  for (std::size_t t = 0; t < length; ++t) {
    batch.inputs(b, t) = tokens[start + t];
    batch.targets(b, t) = tokens[start + t + 1];
  }
}

}  // namespace

LMBatch random_windows(const TokenIds& tokens, std::size_t B, std::size_t T, Generator& g) {
  check_sizes("random_windows", B, T);
  const std::size_t N = tokens.size();
  if (N < T + 1)
    throw std::invalid_argument(fmt::format(
        "random_windows: the stream has {} tokens, fewer than T + 1 = {} (a window of T = {} inputs and the token "
        "after it); pass a shorter T or more text",
        N, T + 1, T));
  LMBatch batch{Index::from_shape({B, T}), Index::from_shape({B, T})};
  for (std::size_t b = 0; b < B; ++b) fill_window(batch, b, tokens, g.below(N - T), T);  // s in [0, N - T - 1]
  return batch;
}

TokenSplit train_val_split(const TokenIds& tokens, std::size_t T, double fraction) {
  if (!(fraction > 0.0 && fraction < 1.0))
    throw std::invalid_argument(fmt::format(
        "train_val_split: fraction must be in (0, 1), got {}; pass the share of tokens to train on, such as 0.9",
        fraction));
  const std::size_t N = tokens.size();
  const auto n = static_cast<std::size_t>(std::floor(fraction * static_cast<double>(N)));
  if (n < T + 1 || N - n < T + 1)
    throw std::invalid_argument(fmt::format(
        "train_val_split: splitting {} tokens at fraction {} gives {} for training and {} for validation, but each "
        "needs at least T + 1 = {}; pass more text, a shorter T or another fraction",
        N, fraction, n, N - n, T + 1));
  const auto middle = tokens.begin() + static_cast<std::ptrdiff_t>(n);
  return {TokenIds(tokens.begin(), middle), TokenIds(middle, tokens.end())};
}

SplitLoss evaluate_split(const TokenIds& tokens, std::size_t B, std::size_t T,
                         const std::function<Tensor(const Index& inputs)>& logits_fn) {
  check_sizes("evaluate_split", B, T);
  if (tokens.size() < 2)
    throw std::invalid_argument(fmt::format(
        "evaluate_split: the split has {} tokens; scoring needs at least 2 (an input and its target)", tokens.size()));
  NoGradGuard no_grad;
  const std::size_t targets = tokens.size() - 1;
  const std::size_t full = targets / T, rest = targets % T;  // full windows, length of the last one
  double sum = 0.0;
  // Full windows B at a time, then the short last window alone.
  for (std::size_t w = 0; w < full + (rest > 0 ? 1 : 0);) {
    const std::size_t rows = w < full ? std::min(B, full - w) : 1, length = w < full ? T : rest;
    LMBatch batch{Index::from_shape({rows, length}), Index::from_shape({rows, length})};
    for (std::size_t b = 0; b < rows; ++b) fill_window(batch, b, tokens, (w + b) * T, length);
    const Tensor logits = logits_fn(batch.inputs);  // (rows, length, V)
    if (!logits.defined() || logits.dim() != 3 || logits.shape()[0] != rows || logits.shape()[1] != length)
      throw std::invalid_argument(fmt::format(
          "evaluate_split: logits_fn returned {} for inputs ({}, {}); it must return logits (B, T, V) = ({}, {}, V)",
          logits.defined() ? shape_str(logits.shape()) : std::string("an undefined tensor"), rows, length, rows,
          length));
    Index flat = batch.targets;
    flat.reshape({rows * length});
    const auto BT = static_cast<std::int64_t>(rows * length);
    sum += cross_entropy(reshape(logits, {BT, -1}), flat, {.reduction = Reduction::Sum}).item();  // (B·T, V)
    w += rows;
  }
  const double loss = sum / static_cast<double>(targets);
  return {loss, loss / std::numbers::ln2, std::exp(loss), targets};
}

}  // namespace attograd::seq
