// Bahdanau additive attention from core ops: two projections, the score vᵀ tanh(q + k), masked
// softmax, the weighted sum of the values. The score has a fused twin (core/fused/additive_scores.hpp).
#include <attograd/nn/attention/additive_attention.hpp>

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/fused/additive_scores.hpp>
#include <attograd/core/fused/switch.hpp>
#include <attograd/core/ops/creation.hpp>
#include <attograd/core/ops/elementwise.hpp>
#include <attograd/core/ops/linalg.hpp>
#include <attograd/core/ops/shape_ops.hpp>
#include <attograd/nn/init.hpp>

namespace attograd::nn {

namespace functional {

// scores[b, t, s] = vᵀ tanh(q_proj[b, t] + k_proj[b, s])
Tensor additive_scores(const Tensor& q_proj, const Tensor& k_proj, const Tensor& v) {
  fused::check_additive_scores(q_proj, k_proj, v);
  if (fused_kernels_enabled()) return fused::additive_scores(q_proj, k_proj, v);  // core/fused/additive_scores.hpp
  const Tensor hidden =
      tanh(unsqueeze(q_proj, 2) + unsqueeze(k_proj, 1));  // (B, T, 1, A) + (B, 1, S, A) -> (B, T, S, A)
  return matmul(hidden, v);                               // (B, T, S)
}

}  // namespace functional

AdditiveAttention::AdditiveAttention(const AdditiveAttentionOptions& options)
    : options_(options),
      query_dim_(options.query_dim),
      key_dim_(options.key_dim),
      attention_dim_(options.attention_dim == 0 ? options.query_dim : options.attention_dim) {
  if (query_dim_ == 0 || key_dim_ == 0)
    throw std::invalid_argument(
        fmt::format("AdditiveAttention: query_dim and key_dim must be positive, got {} and {}", query_dim_, key_dim_));
  const std::size_t A = attention_dim_;
  query_weight = register_parameter("query_weight", zeros({A, query_dim_}));  // (A, Dq)
  key_weight = register_parameter("key_weight", zeros({A, key_dim_}));        // (A, Dk)
  bias = register_parameter("bias", zeros({A}));                              // (A)
  v = register_parameter("v", zeros({A}));                                    // (A)
  reset_parameters();
}

AdditiveAttention::AdditiveAttention(std::size_t query_dim, std::size_t key_dim, std::size_t attention_dim)
    : AdditiveAttention(
          AdditiveAttentionOptions{.query_dim = query_dim, .key_dim = key_dim, .attention_dim = attention_dim}) {}

void AdditiveAttention::reset_parameters() {
  init::uniform_fan_in_(query_weight, query_dim_);
  init::uniform_fan_in_(key_weight, key_dim_);
  init::uniform_fan_in_(bias, key_dim_);
  init::uniform_fan_in_(v, attention_dim_);
}

std::string AdditiveAttention::describe() const {
  return fmt::format("AdditiveAttention(query_dim={}, key_dim={}, attention_dim={})", query_dim_, key_dim_,
                     attention_dim_);
}

functional::AttentionOutput AdditiveAttention::forward(const Tensor& query, const Tensor& keys, const Tensor& values,
                                                       const AttentionMask& mask) const {
  if (!(query.dim() == 2 || query.dim() == 3) || keys.dim() != 3 || values.dim() != 3)
    throw std::invalid_argument(fmt::format(
        "AdditiveAttention: expected query (B, Dq) or (B, T, Dq), keys (B, S, Dk), values (B, S, Dv); got {}, {}, {}",
        shape_str(query.shape()), shape_str(keys.shape()), shape_str(values.shape())));
  if (query.shape()[0] != keys.shape()[0] || keys.shape()[0] != values.shape()[0] ||
      keys.shape()[1] != values.shape()[1])
    throw std::invalid_argument(
        fmt::format("AdditiveAttention: query {}, keys {} and values {} disagree on the batch size B or keys and "
                    "values on the length S",
                    shape_str(query.shape()), shape_str(keys.shape()), shape_str(values.shape())));
  if (query.shape().back() != query_dim_ || keys.shape().back() != key_dim_)
    throw std::invalid_argument(fmt::format("AdditiveAttention: built for Dq = {}, Dk = {}, got query {} and keys {}",
                                            query_dim_, key_dim_, shape_str(query.shape()), shape_str(keys.shape())));

  return attend(query, project_keys(keys), values, mask);
}

Tensor AdditiveAttention::project_keys(const Tensor& keys) const {
  if (keys.dim() != 3 || keys.shape()[2] != key_dim_)
    throw std::invalid_argument(
        fmt::format("AdditiveAttention: expected keys (B, S, {}), got {}", key_dim_, shape_str(keys.shape())));
  return linear(keys, key_weight, bias);  // (B, S, A)
}

functional::AttentionOutput AdditiveAttention::forward_projected(const Tensor& query, const Tensor& projected_keys,
                                                                 const Tensor& values,
                                                                 const AttentionMask& mask) const {
  if (!(query.dim() == 2 || query.dim() == 3) || query.shape().back() != query_dim_ || projected_keys.dim() != 3 ||
      projected_keys.shape()[2] != attention_dim_ || values.dim() != 3 ||
      query.shape()[0] != projected_keys.shape()[0] || projected_keys.shape()[0] != values.shape()[0] ||
      projected_keys.shape()[1] != values.shape()[1])
    throw std::invalid_argument(fmt::format(
        "AdditiveAttention: expected query (B, {}) or (B, T, {}), projected keys (B, S, {}) and values (B, S, Dv); "
        "got {}, {}, {}",
        query_dim_, query_dim_, attention_dim_, shape_str(query.shape()), shape_str(projected_keys.shape()),
        shape_str(values.shape())));
  return attend(query, projected_keys, values, mask);
}

// score(q, k_j) = vᵀ tanh(W_q q + W_k k_j + b), with W_k k_j + b already computed
functional::AttentionOutput AdditiveAttention::attend(const Tensor& query, const Tensor& k_proj, const Tensor& values,
                                                      const AttentionMask& mask) const {
  const bool one_step = query.dim() == 2;
  const Tensor q = one_step ? unsqueeze(query, 1) : query;         // (B, T, Dq)
  const Tensor q_proj = linear(q, query_weight);                   // (B, T, A)
  Tensor scores = functional::additive_scores(q_proj, k_proj, v);  // (B, T, S)
  if (one_step) scores = squeeze(scores, 1);                       // (B, S)

  const Tensor weights = functional::masked_softmax(scores, mask, "AdditiveAttention");  // (B, S) or (B, T, S)
  if (one_step)
    return {squeeze(matmul(unsqueeze(weights, 1), values), 1), weights};  // (B, 1, S) @ (B, S, Dv) -> (B, Dv)
  return {matmul(weights, values), weights};                              // (B, T, S) @ (B, S, Dv) -> (B, T, Dv)
}

}  // namespace attograd::nn
