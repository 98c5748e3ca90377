// MultiheadAttention from core ops: the projections, attention_heads (split into heads, scaled
// dot-product attention per head, merged back; nn/attention/attention_heads.cpp) and the output
// projection.
#include <attograd/nn/attention/multihead_attention.hpp>

#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/ops/creation.hpp>
#include <attograd/core/ops/elementwise.hpp>
#include <attograd/core/ops/linalg.hpp>
#include <attograd/core/ops/reduction.hpp>
#include <attograd/core/ops/shape_ops.hpp>
#include <attograd/nn/attention/attention_heads.hpp>
#include <attograd/nn/init.hpp>

namespace attograd::nn {

MultiheadAttention::MultiheadAttention(std::size_t embed_dim, std::size_t num_heads, float dropout, bool bias,
                                       std::size_t kdim, std::size_t vdim, bool batch_first)
    : embed_dim_(embed_dim),
      num_heads_(num_heads),
      kdim_(kdim == 0 ? embed_dim : kdim),
      vdim_(vdim == 0 ? embed_dim : vdim),
      dropout_(dropout),
      batch_first_(batch_first) {
  if (embed_dim == 0 || num_heads == 0)
    throw std::invalid_argument(fmt::format(
        "MultiheadAttention: embed_dim and num_heads must be positive, got {} and {}", embed_dim, num_heads));
  if (embed_dim % num_heads != 0)
    throw std::invalid_argument(
        fmt::format("MultiheadAttention: embed_dim {} is not divisible by num_heads {}", embed_dim, num_heads));
  if (!(dropout >= 0.0f && dropout <= 1.0f))
    throw std::invalid_argument(fmt::format("MultiheadAttention: dropout must be in [0, 1], got {}", dropout));
  const std::size_t E = embed_dim;
  if (kdim_ == E && vdim_ == E) {
    in_proj_weight = init::xavier_uniform_(register_parameter("in_proj_weight", zeros({3 * E, E})));  // (3E, E)
  } else {
    q_proj_weight = init::xavier_uniform_(register_parameter("q_proj_weight", zeros({E, E})));      // (E, E)
    k_proj_weight = init::xavier_uniform_(register_parameter("k_proj_weight", zeros({E, kdim_})));  // (E, kdim)
    v_proj_weight = init::xavier_uniform_(register_parameter("v_proj_weight", zeros({E, vdim_})));  // (E, vdim)
  }
  if (bias) in_proj_bias = register_parameter("in_proj_bias", zeros({3 * E}));  // (3E)
  out_proj = register_module("out_proj", std::make_shared<Linear>(E, E, bias));
  if (bias) init::zeros_(out_proj->bias);
}

std::string MultiheadAttention::describe() const {
  return fmt::format("MultiheadAttention(embed_dim={}, num_heads={}, kdim={}, vdim={}, dropout={}, batch_first={})",
                     embed_dim_, num_heads_, kdim_, vdim_, dropout_, batch_first_);
}

// x W_whichᵀ + b_which, where W_which is one third of in_proj_weight or its own matrix.
Tensor MultiheadAttention::project(const Tensor& x, std::size_t which) const {
  if (in_proj_weight.defined()) return project_packed(x, which, 1);
  const Tensor& w = which == 0 ? q_proj_weight : which == 1 ? k_proj_weight : v_proj_weight;
  const auto E = static_cast<std::int64_t>(embed_dim_), lo = static_cast<std::int64_t>(which) * E;
  const Tensor b = in_proj_bias.defined() ? slice(in_proj_bias, 0, lo, lo + E) : Tensor();  // (E)
  return linear(x, w, b);                                                                   // (B, L, in) -> (B, L, E)
}

// When the query, key and value are one tensor (self-attention), or the key and value are
// (cross-attention over a memory), their projections share the input: one product with the
// stacked rows of in_proj_weight does the work of two or three, as in PyTorch.
Tensor MultiheadAttention::project_packed(const Tensor& x, std::size_t first, std::size_t count) const {
  const auto E = static_cast<std::int64_t>(embed_dim_);
  const auto lo = static_cast<std::int64_t>(first) * E, hi = static_cast<std::int64_t>(first + count) * E;
  const bool whole = first == 0 && count == 3;
  const Tensor w = whole ? in_proj_weight : slice(in_proj_weight, 0, lo, hi);  // (count·E, E)
  const Tensor b = !in_proj_bias.defined() ? Tensor()
                   : whole                 ? in_proj_bias
                                           : slice(in_proj_bias, 0, lo, hi);  // (count·E)
  return linear(x, w, b);                                     // (B, L, E) -> (B, L, count·E)
}

Tensor MultiheadAttention::split_heads(const Tensor& x) const {
  const auto B = static_cast<std::int64_t>(x.shape()[0]), L = static_cast<std::int64_t>(x.shape()[1]);
  const auto H = static_cast<std::int64_t>(num_heads_), D = static_cast<std::int64_t>(head_dim());
  return permute(reshape(x, {B, L, H, D}), {0, 2, 1, 3});  // (B, L, E) -> (B, L, H, D) -> (B, H, L, D)
}

Tensor MultiheadAttention::project_query(const Tensor& query) const { return split_heads(project(query, 0)); }

MultiheadAttention::KeyValue MultiheadAttention::project_key_value(const Tensor& key, const Tensor& value) const {
  if (in_proj_weight.defined() && key.is_same(value)) {
    const std::vector<Tensor> kv = chunk(project_packed(key, 1, 2), 2, -1);  // (B, S, E) twice
    return {split_heads(kv[0]), split_heads(kv[1])};                         // (B, H, S, D) twice
  }
  return {split_heads(project(key, 1)), split_heads(project(value, 2))};  // (B, H, S, D) twice
}

MultiheadAttention::KeyValue MultiheadAttention::append(const KeyValue& cache, const KeyValue& more) {
  if (!cache.keys.defined()) return more;
  return {cat({cache.keys, more.keys}, 2), cat({cache.values, more.values}, 2)};  // (B, H, S + S', D)
}

functional::AttentionOutput MultiheadAttention::attend(const Tensor& q_heads, const KeyValue& kv,
                                                       const AttentionMask& mask, bool need_weights,
                                                       bool average_attn_weights) const {
  const bool drop = is_training() && dropout_ > 0.0f;
  const auto [heads, weights] = functional::scaled_dot_product_attention(
      q_heads, kv.keys, kv.values, mask, dropout_, std::nullopt, drop, nullptr, "MultiheadAttention");
  // heads (B, H, T, D), weights (B, H, T, S)
  const auto B = static_cast<std::int64_t>(heads.shape()[0]), T = static_cast<std::int64_t>(heads.shape()[2]);
  const Tensor merged = reshape(permute(heads, {0, 2, 1, 3}),
                                {B, T, static_cast<std::int64_t>(embed_dim_)});  // (B, T, H, D) -> (B, T, E)
  const Tensor output = out_proj->forward(merged);                               // (B, T, E)
  if (!need_weights) return {output, Tensor()};
  return {output, average_attn_weights ? mean(weights, {1}) : weights};  // (B, T, S) or (B, H, T, S)
}

void MultiheadAttention::check_inputs(const Tensor& query, const Tensor& key, const Tensor& value) const {
  const char* layout_q = batch_first_ ? "(B, T, E)" : "(T, B, E)";
  const char* layout_k = batch_first_ ? "(B, S, kdim)" : "(S, B, kdim)";
  const char* layout_v = batch_first_ ? "(B, S, vdim)" : "(S, B, vdim)";
  const std::string shapes =
      fmt::format("query {} = {}, key {} = {}, value {} = {}", layout_q, shape_str(query.shape()), layout_k,
                  shape_str(key.shape()), layout_v, shape_str(value.shape()));
  if (query.dim() != 3 || key.dim() != 3 || value.dim() != 3)
    throw std::invalid_argument(fmt::format("MultiheadAttention: query, key and value must be 3-D, got {}", shapes));
  const std::size_t b = batch_first_ ? 0 : 1, l = 1 - b;
  if (query.shape()[b] != key.shape()[b] || key.shape()[b] != value.shape()[b])
    throw std::invalid_argument(
        fmt::format("MultiheadAttention: query, key and value must share the batch size B, got {}", shapes));
  if (key.shape()[l] != value.shape()[l])
    throw std::invalid_argument(
        fmt::format("MultiheadAttention: key and value must share the length S, got {}", shapes));
  if (query.shape()[2] != embed_dim_ || key.shape()[2] != kdim_ || value.shape()[2] != vdim_)
    throw std::invalid_argument(fmt::format("MultiheadAttention: built for E = {}, kdim = {}, vdim = {}, got {}",
                                            embed_dim_, kdim_, vdim_, shapes));
}

functional::AttentionOutput MultiheadAttention::forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                                        const AttentionMask& mask, bool need_weights,
                                                        bool average_attn_weights) const {
  check_inputs(query, key, value);
  auto batch_major = [this](const Tensor& x) { return batch_first_ ? x : transpose(x, 0, 1); };  // -> (B, L, ·)
  const functional::HeadsOptions options{.num_heads = num_heads_,
                                         .need_weights = need_weights,
                                         .average_weights = average_attn_weights,
                                         .dropout_p = dropout_,
                                         .training = is_training(),
                                         .who = "MultiheadAttention"};
  functional::AttentionOutput heads;  // output (B, T, E): every head's softmax(q kᵀ / √D) v, side by side
  if (in_proj_weight.defined() && query.is_same(key) && key.is_same(value)) {
    // Self-attention: one product projects q, k and v together.
    heads = functional::attention_heads_packed(project_packed(batch_major(query), 0, 3), mask, options);  // (B, T, 3E)
  } else if (in_proj_weight.defined() && key.is_same(value)) {
    // Attention over a memory: one product projects its keys and values.
    const std::vector<Tensor> kv = chunk(project_packed(batch_major(key), 1, 2), 2, -1);  // (B, S, E) twice
    heads = functional::attention_heads(project(batch_major(query), 0), kv[0], kv[1], mask, options);
  } else {
    heads = functional::attention_heads(project(batch_major(query), 0), project(batch_major(key), 1),
                                        project(batch_major(value), 2), mask, options);
  }
  Tensor output = out_proj->forward(heads.output);      // (B, T, E)
  if (!batch_first_) output = transpose(output, 0, 1);  // (T, B, E)
  return {output, heads.weights};
}

}  // namespace attograd::nn
