// Neural-network functions built from core ops: softmax family, dropout, layer norm and the
// losses. Where a fused kernel exists (cross_entropy) the composite version stays beside it.
#pragma once

#include <cstdint>

#include <attograd/core/tensor.hpp>

namespace attograd {

class Generator;

// exp(x - max) / Σ exp(x - max) along dim (the shift changes nothing but stops overflow).
// Fused: one pass forward, and the backward dx = y ⊙ (g - Σ g ⊙ y) from the saved output.
Tensor softmax(const Tensor& x, int dim);
// x - max - log Σ exp(x - max): stable for any logits. Fused; backward dx = g - softmax · Σ g.
Tensor log_softmax(const Tensor& x, int dim);
// The same two functions composed from core ops: the readable reference the fused ones are
// tested against.
Tensor softmax_composite(const Tensor& x, int dim);
Tensor log_softmax_composite(const Tensor& x, int dim);

// Zeroes each element with probability p and scales the rest by 1 / (1 - p) while training;
// the identity otherwise. Draws from `gen` (the default generator if null).
Tensor dropout(const Tensor& x, float p, bool training, Generator* gen = nullptr);

// Normalises over the trailing dims given by normalized_shape, then scales and shifts.
// weight and bias have normalized_shape; pass undefined tensors to leave them out.
// Fused: statistics and output in one pass per row; the backward is
//   dx = rstd · (dx̂ - mean(dx̂) - x̂ · mean(dx̂ ⊙ x̂)),  dx̂ = g ⊙ weight,  x̂ = (x - mean) · rstd.
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = {}, const Tensor& bias = {},
                  float eps = 1e-5f);
// The same, composed from core ops (the reference).
Tensor layer_norm_composite(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = {},
                            const Tensor& bias = {}, float eps = 1e-5f);

enum class Reduction { None, Mean, Sum };

struct CrossEntropyOptions {
  std::int64_t ignore_index = -100;  // targets equal to it add no loss and no gradient
  float label_smoothing = 0.0f;      // in [0, 1], as torch.nn.CrossEntropyLoss
  Reduction reduction = Reduction::Mean;
};

// Logits (N, C) with targets (N,) of class indices; also (C,) with a 0-d target, and
// (N, C, d1, ...) with targets (N, d1, ...), as PyTorch. The mean is over non-ignored targets.
// Fused: one pass computes log-softmax and the loss; the backward is softmax - target.
Tensor cross_entropy(const Tensor& logits, const Index& targets, const CrossEntropyOptions& options = {});
// The same loss composed from log_softmax and nll_loss (kept as the readable reference).
Tensor cross_entropy_composite(const Tensor& logits, const Index& targets, const CrossEntropyOptions& options = {});

// -log_probs[i, targets[i]] for (N, C) log-probabilities, as torch.nn.functional.nll_loss.
Tensor nll_loss(const Tensor& log_probs, const Index& targets, std::int64_t ignore_index = -100,
                Reduction reduction = Reduction::Mean);

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
// max(x, 0) - x·y + log(1 + e^-|x|): binary cross-entropy on logits without overflow.
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& targets,
                                        Reduction reduction = Reduction::Mean);

}  // namespace attograd
