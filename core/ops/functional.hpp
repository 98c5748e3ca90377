// Neural-network functions built from core ops: softmax family, dropout, layer norm and the
// losses. softmax, log_softmax, layer_norm and cross_entropy are written as their formulas from
// core ops and hand the work to a fused twin in core/fused/ while fused kernels are on
// (set_fused_kernels, core/fused/switch.hpp); both paths agree, which the tests check.
#pragma once

#include <cstdint>

#include <attograd/core/autograd.hpp>
#include <attograd/core/tensor.hpp>

namespace attograd {

class Generator;

// exp(x - max) / Σ exp(x - max) along dim (the shift changes nothing but stops overflow).
// An empty dim gives an empty result, as in PyTorch.
Tensor softmax(const Tensor& x, int dim, Where caller = Where::current());
// x - max - log Σ exp(x - max): stable for any logits.
Tensor log_softmax(const Tensor& x, int dim, Where caller = Where::current());

// Zeroes each element with probability p and scales the rest by 1 / (1 - p) while training;
// the identity otherwise. Draws from `gen` (the default generator if null).
Tensor dropout(const Tensor& x, float p, bool training, Generator* gen = nullptr, Where caller = Where::current());

// Normalises over the trailing dims given by normalized_shape, then scales and shifts:
// (x - mean) / √(var + eps) · weight + bias, with the biased variance as PyTorch.
// weight and bias have normalized_shape; pass undefined tensors to leave them out.
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = {}, const Tensor& bias = {},
                  float eps = 1e-5f, Where caller = Where::current());

enum class Reduction { None, Mean, Sum };

struct CrossEntropyOptions {
  std::int64_t ignore_index = -100;  // targets equal to it add no loss and no gradient
  float label_smoothing = 0.0f;      // in [0, 1], as torch.nn.CrossEntropyLoss
  Reduction reduction = Reduction::Mean;
};

// Logits (N, C) with targets (N,) of class indices; also (C,) with a 0-d target, and
// (N, C, d1, ...) with targets (N, d1, ...), as PyTorch. The mean is over non-ignored targets.
// Composed from log_softmax and nll_loss; fused: one pass, backward softmax - target.
Tensor cross_entropy(const Tensor& logits, const Index& targets, const CrossEntropyOptions& options = {},
                     Where caller = Where::current());

// -log_probs[i, targets[i]] for (N, C) log-probabilities, as torch.nn.functional.nll_loss.
Tensor nll_loss(const Tensor& log_probs, const Index& targets, std::int64_t ignore_index = -100,
                Reduction reduction = Reduction::Mean, Where caller = Where::current());

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean,
                Where caller = Where::current());
// max(x, 0) - x·y + log(1 + e^-|x|): binary cross-entropy on logits without overflow.
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& targets,
                                        Reduction reduction = Reduction::Mean, Where caller = Where::current());

}  // namespace attograd
