// pad_sequences, shift_right, row_tokens.
#include <attograd/seq/sequences.hpp>

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

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

}  // namespace attograd::seq
