// KeyValueCache: the projected keys and values of the positions an attention layer has seen so
// far, for decoding one position at a time (incremental decoding): each new query attends over
// the cache instead of projecting every earlier position again. MultiheadAttention::forward
// takes one; the Transformer decoder keeps one per attention per layer (DecoderCache).
#pragma once

#include <cstddef>
#include <vector>

#include <attograd/core/tensor.hpp>

namespace attograd::nn {

struct KeyValueCache {
  Tensor keys, values;  // (B, S, E) each, heads side by side; undefined before the first call
  // true (self-attention): each call appends the projections of its key and value.
  // false (attention over a fixed memory): the first call projects key and value, later calls
  // reuse them and ignore key and value.
  bool grows = true;

  std::size_t length() const { return keys.defined() ? keys.shape()[1] : 0; }
  // Keeps hypotheses from[0], from[1], … in that order (beam search): rows of B.
  void reorder(const std::vector<std::size_t>& from);
};

}  // namespace attograd::nn
