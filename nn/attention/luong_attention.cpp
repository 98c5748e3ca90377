// Luong global attention (dot, general, concat) and the attentional hidden state, from core ops.
#include <attograd/nn/attention/luong_attention.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/ops/creation.hpp>
#include <attograd/core/ops/elementwise.hpp>
#include <attograd/core/ops/linalg.hpp>
#include <attograd/core/ops/shape_ops.hpp>
#include <attograd/nn/attention/additive_attention.hpp>
#include <attograd/nn/init.hpp>

namespace attograd::nn {

namespace {

const char* score_name(LuongScore s) {
  switch (s) {
    case LuongScore::Dot:
      return "dot";
    case LuongScore::General:
      return "general";
    case LuongScore::Concat:
      return "concat";
  }
  return "?";
}
}  // namespace

LuongAttention::LuongAttention(const LuongAttentionOptions& options)
    : options_(options),
      score_(options.score),
      query_dim_(options.query_dim),
      key_dim_(options.key_dim),
      value_dim_(options.value_dim == 0 ? options.key_dim : options.value_dim),
      attention_dim_(options.attention_dim == 0 ? options.query_dim : options.attention_dim) {
  const std::size_t Dq = query_dim_, Dk = key_dim_, Dv = value_dim_, A = attention_dim_;
  if (Dq == 0 || Dk == 0)
    throw std::invalid_argument(
        fmt::format("LuongAttention: query_dim and key_dim must be positive, got {} and {}", Dq, Dk));
  if (score_ == LuongScore::Dot && Dq != Dk)
    throw std::invalid_argument(
        fmt::format("LuongAttention: the dot score needs query_dim == key_dim (qᵀ k), got Dq = {} and Dk = {}; use "
                    "general or concat",
                    Dq, Dk));
  if (score_ == LuongScore::General) score_weight = register_parameter("score_weight", zeros({Dq, Dk}));  // (Dq, Dk)
  if (score_ == LuongScore::Concat) {
    score_weight = register_parameter("score_weight", zeros({A, Dq + Dk}));  // (A, Dq + Dk)
    v = register_parameter("v", zeros({A}));                                 // (A)
  }
  if (options.with_attentional_hidden)
    output_weight = register_parameter("output_weight", zeros({Dq, Dv + Dq}));  // (Dq, Dv + Dq)
  reset_parameters();
}

LuongAttention::LuongAttention(LuongScore score, std::size_t query_dim, std::size_t key_dim, std::size_t value_dim,
                               std::size_t attention_dim, bool with_attentional_hidden)
    : LuongAttention(LuongAttentionOptions{.score = score,
                                           .query_dim = query_dim,
                                           .key_dim = key_dim,
                                           .value_dim = value_dim,
                                           .attention_dim = attention_dim,
                                           .with_attentional_hidden = with_attentional_hidden}) {}

void LuongAttention::reset_parameters() {
  if (score_ == LuongScore::General) init::uniform_fan_in_(score_weight, key_dim_);
  if (score_ == LuongScore::Concat) {
    init::uniform_fan_in_(score_weight, query_dim_ + key_dim_);
    init::uniform_fan_in_(v, attention_dim_);
  }
  if (output_weight.defined()) init::uniform_fan_in_(output_weight, value_dim_ + query_dim_);
}

std::string LuongAttention::describe() const {
  return fmt::format("LuongAttention(score={}, query_dim={}, key_dim={}, value_dim={})", score_name(score_), query_dim_,
                     key_dim_, value_dim_);
}

void LuongAttention::check_inputs(const Tensor& query, const Tensor& keys, const Tensor* values) const {
  const std::string got =
      values ? fmt::format("{}, {}, {}", shape_str(query.shape()), shape_str(keys.shape()), shape_str(values->shape()))
             : fmt::format("{}, {}", shape_str(query.shape()), shape_str(keys.shape()));
  if (!(query.dim() == 2 || query.dim() == 3) || keys.dim() != 3 || (values && values->dim() != 3))
    throw std::invalid_argument(fmt::format(
        "LuongAttention: expected query (B, Dq) or (B, T, Dq), keys (B, S, Dk), values (B, S, Dv); got {}", got));
  if (query.shape()[0] != keys.shape()[0] ||
      (values && (values->shape()[0] != keys.shape()[0] || values->shape()[1] != keys.shape()[1])))
    throw std::invalid_argument(fmt::format(
        "LuongAttention: query, keys and values disagree on the batch size B or keys and values on the length S: {}",
        got));
  if (query.shape().back() != query_dim_ || keys.shape().back() != key_dim_ ||
      (values && values->shape().back() != value_dim_))
    throw std::invalid_argument(fmt::format("LuongAttention ({}): built for Dq = {}, Dk = {}, Dv = {}, got {}",
                                            score_name(score_), query_dim_, key_dim_, value_dim_, got));
}

Tensor LuongAttention::score(const Tensor& query, const Tensor& keys) const {
  check_inputs(query, keys, nullptr);
  const bool one_step = query.dim() == 2;
  const Tensor q = one_step ? unsqueeze(query, 1) : query;  // (B, T, Dq)
  Tensor scores;
  switch (score_) {
    case LuongScore::Dot:
      scores = matmul_transposed(q, keys, false, true);  // (B, T, D) @ (B, D, S) -> (B, T, S)
      break;
    case LuongScore::General:
      scores = matmul_transposed(matmul(q, score_weight), keys, false,
                                 true);  // (B, T, Dq) @ (Dq, Dk) @ (B, Dk, S) -> (B, T, S)
      break;
    case LuongScore::Concat: {
      // W_a [q; k] = W_q q + W_k k, with W_a = [W_q | W_k] split by columns.
      const Tensor w_q = slice(score_weight, 1, 0, static_cast<std::int64_t>(query_dim_));  // (A, Dq)
      const Tensor w_k = slice(score_weight, 1, static_cast<std::int64_t>(query_dim_),
                               static_cast<std::int64_t>(query_dim_ + key_dim_));  // (A, Dk)
      const Tensor q_part = linear(q, w_q);                                        // (B, T, A)
      const Tensor k_part = linear(keys, w_k);                                     // (B, S, A)
      // vᵀ tanh(q_part[t] + k_part[s]): Bahdanau's additive score, so the same function
      // (tanh(unsqueeze(q_part, 2) + unsqueeze(k_part, 1)) @ v, with its fused twin).
      scores = functional::additive_scores(q_part, k_part, v);  // (B, T, S)
      break;
    }
  }
  return one_step ? squeeze(scores, 1) : scores;  // (B, S) or (B, T, S)
}

functional::AttentionOutput LuongAttention::forward(const Tensor& query, const Tensor& keys, const Tensor& values,
                                                    const AttentionMask& mask) const {
  check_inputs(query, keys, &values);
  const Tensor scores = score(query, keys);                                           // (B, S) or (B, T, S)
  const Tensor weights = functional::masked_softmax(scores, mask, "LuongAttention");  // (B, S) or (B, T, S)
  if (query.dim() == 2)
    return {squeeze(matmul(unsqueeze(weights, 1), values), 1), weights};  // (B, 1, S) @ (B, S, Dv) -> (B, Dv)
  return {matmul(weights, values), weights};                              // (B, T, S) @ (B, S, Dv) -> (B, T, Dv)
}

Tensor LuongAttention::attentional_hidden(const Tensor& context, const Tensor& hidden) const {
  if (!output_weight.defined())
    throw std::logic_error(
        "LuongAttention::attentional_hidden: this layer was built with with_attentional_hidden = false, so it has no "
        "W_c (output_weight); build it with true to use h̃");
  if (context.dim() != hidden.dim() || context.dim() < 1 || context.shape().back() != value_dim_ ||
      hidden.shape().back() != query_dim_ ||
      !std::equal(context.shape().begin(), context.shape().end() - 1, hidden.shape().begin()))
    throw std::invalid_argument(
        fmt::format("LuongAttention::attentional_hidden: expected context (…, Dv = {}) and hidden (…, Dq = {}) "
                    "with the same leading dims, got {} and {}",
                    value_dim_, query_dim_, shape_str(context.shape()), shape_str(hidden.shape())));
  const Tensor joined = cat({context, hidden}, -1);  // (…, Dv + Dq)
  return tanh(linear(joined, output_weight));        // (…, Dq)
}

}  // namespace attograd::nn
