// Fused cross-entropy: log-softmax and the loss of each row in one op, hand-written backward.
//
// Composite twin: the else-branch of attograd::cross_entropy (core/ops/loss.cpp), log_softmax
// then nll_loss (plus the smoothing term) from core ops; cross_entropy calls this when fused
// kernels are on. What fusing buys: one pass over the logits, no (N, C) log-probabilities
// tensor in the graph, and the backward p - target (smoothed) straight from the saved softmax.
#pragma once

#include <cstdint>

#include <attograd/core/tensor.hpp>

namespace attograd::fused {

// logits (N, C), targets (N,) in [0, C) or ignore_index -> the per-row loss (N,), 0 where ignored.
Tensor cross_entropy_rows(const Tensor& logits, const Index& targets, std::int64_t ignore_index, float label_smoothing);

}  // namespace attograd::fused
