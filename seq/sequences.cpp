// pad_sequences, shift_right, row_tokens, time_step, sequence_cross_entropy, select_rows.
#include <attograd/seq/sequences.hpp>

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/ops/functional.hpp>
#include <attograd/core/ops/indexing.hpp>
#include <attograd/core/ops/shape_ops.hpp>

namespace attograd::seq {

PaddedBatch pad_sequences(const std::vector<TokenIds>& sequences, std::int64_t pad_id, std::size_t min_length) {
  std::size_t T = min_length;
  for (const TokenIds& s : sequences) T = std::max(T, s.size());
  PaddedBatch batch{Index::from_shape({sequences.size(), T}), {}};
  std::fill(batch.ids.begin(), batch.ids.end(), pad_id);
  for (std::size_t b = 0; b < sequences.size(); ++b) {
    const TokenIds& s = sequences[b];
    for (std::size_t t = 0; t < s.size(); ++t) {
      if (s[t] < 0)
        throw std::invalid_argument(
            fmt::format("pad_sequences: sequence {} has a negative id {} at position {}", b, s[t], t));
      batch.ids(b, t) = s[t];
    }
    batch.lengths.push_back(static_cast<std::int64_t>(s.size()));
  }
  return batch;
}

Index shift_right(const Index& targets, std::int64_t bos_id) {
  if (targets.dimension() != 2)
    throw std::invalid_argument(
        fmt::format("shift_right: targets must be (B, T), got shape {}", shape_str(targets.shape())));
  Index inputs = Index::from_shape(targets.shape());
  const std::size_t B = targets.shape()[0], T = targets.shape()[1];
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t t = 0; t < T; ++t) inputs(b, t) = t == 0 ? bos_id : targets(b, t - 1);
  return inputs;
}

TokenIds row_tokens(const Index& ids, std::size_t b, std::size_t length, std::int64_t stop) {
  if (ids.dimension() != 2 || b >= ids.shape()[0] || length > ids.shape()[1])
    throw std::invalid_argument(fmt::format("row_tokens: cannot take row {} of length {} from ids of shape {}", b,
                                            length, shape_str(ids.shape())));
  TokenIds out;
  for (std::size_t t = 0; t < length; ++t) {
    if (stop >= 0 && ids(b, t) == stop) break;
    out.push_back(ids(b, t));
  }
  return out;
}

Index time_step(const Index& ids, std::size_t t) {
  if (ids.dimension() != 2 || t >= ids.shape()[1])
    throw std::invalid_argument(fmt::format(
        "time_step: cannot take step {} of ids of shape {} (need (B, T) with t < T)", t, shape_str(ids.shape())));
  Index column = Index::from_shape({ids.shape()[0]});
  for (std::size_t b = 0; b < column.size(); ++b) column(b) = ids(b, t);
  return column;
}

Tensor sequence_cross_entropy(const Tensor& logits, const Index& targets, std::int64_t pad_id) {
  if (logits.dim() != 3 || targets.dimension() != 2 || logits.shape()[0] != targets.shape()[0] ||
      logits.shape()[1] != targets.shape()[1])
    throw std::invalid_argument(
        fmt::format("sequence_cross_entropy: expected logits (B, T, V) and targets (B, T), got {} and {}",
                    shape_str(logits.shape()), shape_str(targets.shape())));
  const auto BT = static_cast<std::int64_t>(targets.size());
  Index flat = targets;
  flat.reshape({targets.size()});
  return cross_entropy(reshape(logits, {BT, -1}), flat, {.ignore_index = pad_id});  // (B·T, V) against (B·T)
}

Tensor select_rows(const Tensor& t, const std::vector<std::size_t>& rows) {
  if (!t.defined()) return t;
  Index index = Index::from_shape({rows.size()});
  for (std::size_t k = 0; k < rows.size(); ++k) index(k) = static_cast<std::int64_t>(rows[k]);
  return index_select(t, 0, index);
}

}  // namespace attograd::seq
