// Batches of token-id sequences: padding to a rectangle with the lengths kept, the shift-right
// that turns targets into decoder inputs (teacher forcing), one time step of a batch, the
// per-token loss with padding ignored, and the row selection beam search reorders states with.
#pragma once

#include <cstdint>
#include <vector>

#include <attograd/core/tensor.hpp>

namespace attograd::seq {

using TokenIds = std::vector<std::int64_t>;

struct PaddedBatch {
  Index ids;                          // (B, T): sequence b, then pad_id up to T = the longest length
  std::vector<std::int64_t> lengths;  // (B,): how many of each row are real
};

// Pads every sequence to the longest one (or to `min_length` if that is longer). An empty list
// gives ids of shape (0, min_length). Throws std::invalid_argument if an id is negative.
PaddedBatch pad_sequences(const std::vector<TokenIds>& sequences, std::int64_t pad_id, std::size_t min_length = 0);

// Decoder inputs from targets (B, T): [bos, y_0, …, y_{T-2}] per row, the target shifted one
// step right so that position t predicts y_t having seen y_<t.
Index shift_right(const Index& targets, std::int64_t bos_id);

// Row b of a (B, T) id matrix, cut at its length (or at the first `stop` id, not included, if
// stop >= 0).
TokenIds row_tokens(const Index& ids, std::size_t b, std::size_t length, std::int64_t stop = -1);

// Column t of a (B, T) id matrix: the tokens every sequence has at step t, as (B,).
Index time_step(const Index& ids, std::size_t t);

// The mean cross-entropy per scored token of logits (B, T, V) against targets (B, T): a language
// model's loss (every next token of a batch of windows), or a decoder's over padded targets.
// Targets equal to pad_id add no loss and no gradient (cross_entropy with ignore_index), so -1
// can mark positions not to score (examples/lm scores only the answers of its problems).
Tensor sequence_cross_entropy(const Tensor& logits, const Index& targets, std::int64_t pad_id);

// Rows rows[0], rows[1], … of t along dim 0 (index_select), for StepModel::reorder; an undefined
// tensor (a state the model does not have) stays undefined.
Tensor select_rows(const Tensor& t, const std::vector<std::size_t>& rows);

}  // namespace attograd::seq
