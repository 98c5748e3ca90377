// Masked softmax and scaled dot-product attention, composed from core ops (no hand-written
// backward): matmul, masked_fill, softmax, dropout.
#include <attograd/nn/attention/attention_functional.hpp>

#include <cmath>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/ops/elementwise.hpp>
#include <attograd/core/ops/functional.hpp>
#include <attograd/core/ops/indexing.hpp>
#include <attograd/core/ops/linalg.hpp>
#include <attograd/core/ops/shape_ops.hpp>

namespace attograd::nn::functional {

Tensor masked_softmax(const Tensor& scores, const AttentionMask& mask, const std::string& who) {
  if (scores.dim() < 2)
    throw std::invalid_argument(
        fmt::format("{}: attention scores need at least 2 dims (T, S), got {}", who, shape_str(scores.shape())));
  if (mask.empty()) return softmax(scores, -1);  // (…, T, S)

  Tensor biased = scores;  // (…, T, S)
  for (const Tensor& bias : mask.additive_biases(scores.shape(), who)) biased = biased + bias;
  const Mask blocked = mask.blocked_positions(scores.shape(), who);  // (…, T, S)

  // A finite fill keeps the softmax finite even when a whole row is blocked (see the header).
  const Tensor filled = masked_fill(biased, blocked, std::numeric_limits<float>::lowest());  // (…, T, S)
  const Tensor weights = softmax(filled, -1);                                                // (…, T, S)

  Shape row_shape = scores.shape();
  row_shape.back() = 1;
  Mask row_fully_blocked = Mask::from_shape(row_shape);  // (…, T, 1)
  const std::size_t S = scores.shape().back();
  bool any_fully_blocked = false;
  for (std::size_t r = 0; r < row_fully_blocked.size(); ++r) {
    bool all = S > 0;
    for (std::size_t j = 0; all && j < S; ++j) all = blocked.data()[r * S + j];
    row_fully_blocked.data()[r] = all;
    any_fully_blocked = any_fully_blocked || all;
  }
  if (!any_fully_blocked) return weights;
  return masked_fill(weights, row_fully_blocked, 0.0f);  // (…, T, S)
}

namespace {

// q (…, T, D), k (…, S, D), v (…, S, Dv) and dropout_p in [0, 1], or std::invalid_argument.
void check_attention_inputs(const Tensor& q, const Tensor& k, const Tensor& v, float dropout_p,
                            const std::string& who) {
  if (q.dim() < 2 || k.dim() < 2 || v.dim() < 2)
    throw std::invalid_argument(
        fmt::format("{}: query (…, T, D), key (…, S, D) and value (…, S, Dv) need at least 2 dims, got {}, {} and {}",
                    who, shape_str(q.shape()), shape_str(k.shape()), shape_str(v.shape())));
  const std::size_t D = q.shape().back();
  if (k.shape().back() != D)
    throw std::invalid_argument(
        fmt::format("{}: query (…, T, D) = {} and key (…, S, D) = {} have different widths D ({} and {})", who,
                    shape_str(q.shape()), shape_str(k.shape()), D, k.shape().back()));
  if (k.shape()[k.dim() - 2] != v.shape()[v.dim() - 2])
    throw std::invalid_argument(
        fmt::format("{}: key (…, S, D) = {} and value (…, S, Dv) = {} have different lengths S ({} and {})", who,
                    shape_str(k.shape()), shape_str(v.shape()), k.shape()[k.dim() - 2], v.shape()[v.dim() - 2]));
  if (!(dropout_p >= 0.0f && dropout_p <= 1.0f))
    throw std::invalid_argument(fmt::format("{}: dropout_p must be in [0, 1], got {}", who, dropout_p));
}

}  // namespace

AttentionOutput scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                             const AttentionMask& mask, float dropout_p, std::optional<float> scale,
                                             bool training, Generator* generator, const std::string& who) {
  check_attention_inputs(q, k, v, dropout_p, who);
  const auto D = static_cast<float>(q.shape().back());  // the query's and key's width
  const float s = scale.value_or(1.0f / std::sqrt(D));
  const Tensor scores = matmul_transposed(q * s, k, false, true);  // (…, T, D) @ (…, D, S) -> (…, T, S)
  const Tensor weights = masked_softmax(scores, mask, who);        // (…, T, S)
  const Tensor dropped = dropout(weights, dropout_p, training && dropout_p > 0.0f, generator);  // (…, T, S)
  const Tensor output = matmul(dropped, v);  // (…, T, S) @ (…, S, Dv) -> (…, T, Dv)
  return {output, weights};
}

}  // namespace attograd::nn::functional
