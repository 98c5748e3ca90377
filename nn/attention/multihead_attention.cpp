// MultiheadAttention from core ops: project, split into heads, scaled dot-product attention per
// head, merge, project out. One path serves a whole sequence and incremental decoding (a
// KeyValueCache); fused kernels, when on, replace only the middle step by its fused twin.
#include <attograd/nn/attention/multihead_attention.hpp>

#include <algorithm>
#include <array>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/autograd.hpp>
#include <attograd/core/fused/attention_heads.hpp>
#include <attograd/core/fused/switch.hpp>
#include <attograd/core/kernels/loops.hpp>
#include <attograd/core/ops/creation.hpp>
#include <attograd/core/ops/indexing.hpp>
#include <attograd/core/ops/linalg.hpp>
#include <attograd/core/ops/reduction.hpp>
#include <attograd/core/ops/shape_ops.hpp>
#include <attograd/nn/init.hpp>

namespace attograd::nn {

namespace {

// Query, key and value's rows of in_proj_weight and in_proj_bias.
constexpr std::size_t query_rows = 0, key_rows = 1, value_rows = 2;

Tensor batch_major(const Tensor& x, bool batch_first) { return batch_first ? x : transpose(x, 0, 1); }

Tensor split_heads(const Tensor& x, std::size_t num_heads) {  // (B, L, E) -> (B, L, H, D) -> (B, H, L, D)
  const auto B = static_cast<std::int64_t>(x.shape()[0]), L = static_cast<std::int64_t>(x.shape()[1]);
  const auto H = static_cast<std::int64_t>(num_heads), E = static_cast<std::int64_t>(x.shape()[2]);
  return permute(reshape(x, {B, L, H, E / H}), {0, 2, 1, 3});
}

Tensor merge_heads(const Tensor& x) {  // (B, H, L, D) -> (B, L, H, D) -> (B, L, E)
  const auto B = static_cast<std::int64_t>(x.shape()[0]), L = static_cast<std::int64_t>(x.shape()[2]);
  const auto E = static_cast<std::int64_t>(x.shape()[1] * x.shape()[3]);
  return reshape(permute(x, {0, 2, 1, 3}), {B, L, E});
}

// Step 1's result. Self-attention without a cache is projected by one product with the whole
// in_proj_weight, kept packed as qkv = [q | k | v] (B, T, 3E): the fused kernel reads it in
// place, and only the composite path cuts it in three (a copy here, not a view as in PyTorch).
struct Projected {
  Tensor q, k, v;  // (B, T, E), (B, S, E), (B, S, E); undefined while packed
  Tensor qkv;      // (B, T, 3E), or undefined

  std::array<Tensor, 3> unpacked() const {
    if (!qkv.defined()) return {q, k, v};
    const std::vector<Tensor> parts = chunk(qkv, 3, -1);  // (B, T, E) three times
    return {parts[0], parts[1], parts[2]};
  }
};

// Step 2 of forward by the fused twin (core/fused/attention_heads.hpp), which reads each head in
// place (no split or merge copies) and keeps only the weights for its backward; for long
// sequences without need_weights, under a causal or key-padding mask (or none), only a
// log-sum-exp per row (streaming). It cannot apply dropout to the weights or differentiate a
// learned additive mask: then it returns nothing and forward runs the composite form.
functional::AttentionOutput fused_heads(const Projected& p, const AttentionMask& mask, std::size_t num_heads,
                                        bool need_weights, bool average, bool dropout_active) {
  if (!fused_kernels_enabled() || dropout_active) return {};
  const fused::HeadsOptions o{
      .num_heads = num_heads, .need_weights = need_weights, .average_weights = average, .who = "MultiheadAttention"};
  const std::size_t B = p.qkv.defined() ? p.qkv.shape()[0] : p.q.shape()[0];
  const std::size_t T = p.qkv.defined() ? p.qkv.shape()[1] : p.q.shape()[1];
  const std::size_t S = p.qkv.defined() ? T : p.k.shape()[1];
  const Shape scores_shape{B, num_heads, T, S};
  fused::HeadsMask resolved;
  const std::optional<AttentionMask::Compact> compact = mask.compact(scores_shape, o.who);
  if (compact) {  // causal and/or key padding: never spelled out per score (linear memory in T)
    resolved.causal_shift = compact->causal_shift;
    resolved.padded_keys = compact->padded_keys;
  } else {
    const std::vector<Tensor> biases = mask.additive_biases(scores_shape, o.who);
    const auto learned = [](const Tensor& b) { return b.requires_grad(); };
    if (is_grad_enabled() && std::any_of(biases.begin(), biases.end(), learned)) return {};
    resolved.blocked = mask.blocked_positions(scores_shape, o.who);
    for (const Tensor& b : biases) {
      if (!resolved.bias) resolved.bias = Array(xt::zeros<float>(scores_shape));
      const Array term = expand_array(b.value(), scores_shape);
      for (std::size_t j = 0; j < term.size(); ++j) resolved.bias->data()[j] += term.data()[j];
    }
  }
  const fused::HeadsOutput out = p.qkv.defined() ? fused::attention_heads_packed(p.qkv, resolved, o)
                                                 : fused::attention_heads(p.q, p.k, p.v, resolved, o);
  return {out.output, out.weights};
}

// x W_rowsᵀ + b_rows for `count` projections from `first` (query_rows, key_rows, value_rows):
// (B, L, in) -> (B, L, count·E).
Tensor project_rows(const MultiheadAttention& m, const Tensor& x, std::size_t first, std::size_t count = 1) {
  const auto E = static_cast<std::int64_t>(m.options().embed_dim);
  const auto lo = static_cast<std::int64_t>(first) * E, hi = static_cast<std::int64_t>(first + count) * E;
  const Tensor& own = first == query_rows ? m.q_proj_weight : first == key_rows ? m.k_proj_weight : m.v_proj_weight;
  const Tensor &w = m.in_proj_weight, b = m.in_proj_bias;
  if (!w.defined()) return linear(x, own, b.defined() ? slice(b, 0, lo, hi) : Tensor());
  if (count == 3) return linear(x, w, b);                                               // (B, L, 3E)
  return linear(x, slice(w, 0, lo, hi), b.defined() ? slice(b, 0, lo, hi) : Tensor());  // (B, L, count·E)
}

// q (B, T, E), k and v (B, S, E): x W_xᵀ + b_x each, or packed (see Projected). A cache adds the
// earlier positions' k and v (see KeyValueCache).
Projected project(const MultiheadAttention& m, const Tensor& query, const Tensor& key, const Tensor& value,
                  KeyValueCache* cache) {
  if (!cache && m.in_proj_weight.defined() && query.is_same(key) && key.is_same(value))
    return {.q = {}, .k = {}, .v = {}, .qkv = project_rows(m, query, query_rows, 3)};               // (B, T, 3E)
  const Tensor q = project_rows(m, query, query_rows);                                              // (B, T, E)
  if (cache && !cache->grows && cache->keys.defined()) return {q, cache->keys, cache->values, {}};  // a fixed memory
  Projected p{q, project_rows(m, key, key_rows), project_rows(m, value, value_rows), {}};           // (B, S, E) twice
  if (!cache) return p;
  if (cache->grows && cache->keys.defined()) {
    p.k = cat({cache->keys, p.k}, 1);  // (B, S_cached + S, E)
    p.v = cat({cache->values, p.v}, 1);
  }
  cache->keys = p.k, cache->values = p.v;
  return p;
}

void init_projections(MultiheadAttention& m) {
  for (Tensor* w : {&m.in_proj_weight, &m.q_proj_weight, &m.k_proj_weight, &m.v_proj_weight})
    if (w->defined()) init::xavier_uniform_(*w);
  if (m.options().bias) {
    init::zeros_(m.in_proj_bias);
    init::zeros_(m.out_proj->bias);
  }
}

void check_inputs(const MultiheadAttentionOptions& o, const Tensor& query, const Tensor& key, const Tensor& value) {
  const bool bf = o.batch_first;
  const std::string shapes =
      fmt::format("query {} = {}, key {} = {}, value {} = {}", bf ? "(B, T, E)" : "(T, B, E)", shape_str(query.shape()),
                  bf ? "(B, S, kdim)" : "(S, B, kdim)", shape_str(key.shape()), bf ? "(B, S, vdim)" : "(S, B, vdim)",
                  shape_str(value.shape()));
  if (query.dim() != 3 || key.dim() != 3 || value.dim() != 3)
    throw std::invalid_argument(fmt::format("MultiheadAttention: query, key and value must be 3-D, got {}", shapes));
  const std::size_t b = bf ? 0 : 1, l = 1 - b;
  if (query.shape()[b] != key.shape()[b] || key.shape()[b] != value.shape()[b])
    throw std::invalid_argument(
        fmt::format("MultiheadAttention: query, key and value must share the batch size B, got {}", shapes));
  if (key.shape()[l] != value.shape()[l])
    throw std::invalid_argument(
        fmt::format("MultiheadAttention: key and value must share the length S, got {}", shapes));
  if (query.shape()[2] != o.embed_dim || key.shape()[2] != o.kdim || value.shape()[2] != o.vdim)
    throw std::invalid_argument(fmt::format("MultiheadAttention: built for E = {}, kdim = {}, vdim = {}, got {}",
                                            o.embed_dim, o.kdim, o.vdim, shapes));
}

}  // namespace

MultiheadAttention::MultiheadAttention(std::size_t embed_dim, std::size_t num_heads)
    : MultiheadAttention(MultiheadAttentionOptions{.embed_dim = embed_dim, .num_heads = num_heads}) {}

MultiheadAttention::MultiheadAttention(const MultiheadAttentionOptions& options) : options_(options) {
  MultiheadAttentionOptions& o = options_;
  if (o.embed_dim == 0 || o.num_heads == 0)
    throw std::invalid_argument(fmt::format(
        "MultiheadAttention: embed_dim and num_heads must be positive, got {} and {}", o.embed_dim, o.num_heads));
  if (o.embed_dim % o.num_heads != 0)
    throw std::invalid_argument(
        fmt::format("MultiheadAttention: embed_dim {} is not divisible by num_heads {}", o.embed_dim, o.num_heads));
  if (!(o.dropout >= 0.0f && o.dropout <= 1.0f))
    throw std::invalid_argument(fmt::format("MultiheadAttention: dropout must be in [0, 1], got {}", o.dropout));
  if (o.kdim == 0) o.kdim = o.embed_dim;
  if (o.vdim == 0) o.vdim = o.embed_dim;
  const std::size_t E = o.embed_dim;
  if (o.kdim == E && o.vdim == E) {
    in_proj_weight = register_parameter("in_proj_weight", zeros({3 * E, E}));  // (3E, E)
  } else {
    q_proj_weight = register_parameter("q_proj_weight", zeros({E, E}));       // (E, E)
    k_proj_weight = register_parameter("k_proj_weight", zeros({E, o.kdim}));  // (E, kdim)
    v_proj_weight = register_parameter("v_proj_weight", zeros({E, o.vdim}));  // (E, vdim)
  }
  if (o.bias) in_proj_bias = register_parameter("in_proj_bias", zeros({3 * E}));  // (3E)
  out_proj = register_module(
      "out_proj", std::make_shared<Linear>(LinearOptions{.in_features = E, .out_features = E, .bias = o.bias}));
  init_projections(*this);
}

// As torch.nn.MultiheadAttention._reset_parameters: out_proj.weight keeps a Linear's
// initialisation, every other matrix is xavier_uniform_, every bias 0.
void MultiheadAttention::reset_parameters() {
  out_proj->reset_parameters();
  init_projections(*this);
}

std::string MultiheadAttention::describe() const {
  return fmt::format("MultiheadAttention(embed_dim={}, num_heads={}, kdim={}, vdim={}, dropout={}, batch_first={})",
                     options_.embed_dim, options_.num_heads, options_.kdim, options_.vdim, options_.dropout,
                     options_.batch_first);
}

// The whole of multi-head attention. Shapes are batch-major: B batch, T queries, S keys,
// E = H·D model width, H heads of width D.
functional::AttentionOutput MultiheadAttention::forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                                        const AttentionMask& mask, bool need_weights,
                                                        bool average_attn_weights, KeyValueCache* cache) const {
  check_inputs(options_, query, key, value);
  const bool bf = options_.batch_first;
  // 1. Project: q = query W_qᵀ + b_q, k = key W_kᵀ + b_k, v = value W_vᵀ + b_v.
  const Projected p = project(*this, batch_major(query, bf), batch_major(key, bf), batch_major(value, bf), cache);
  // 2. Each head attends with its D columns: softmax(q_h k_hᵀ / √D + mask) v_h (fused_heads: in one op).
  const std::size_t H = options_.num_heads;
  const bool drop = is_training() && options_.dropout > 0.0f, average = average_attn_weights;
  functional::AttentionOutput heads = fused_heads(p, mask, H, need_weights, average, drop);  // (B, T, E)
  if (!heads.output.defined()) {
    const auto [q, k, v] = p.unpacked();  // (B, T, E), (B, S, E), (B, S, E)
    const auto [o, w] = functional::scaled_dot_product_attention(
        split_heads(q, H), split_heads(k, H), split_heads(v, H),                     // (B, H, T, D), (B, H, S, D) twice
        mask, options_.dropout, std::nullopt, drop, nullptr, "MultiheadAttention");  // (B, H, T, D), (B, H, T, S)
    heads = {merge_heads(o), average ? mean(w, {1}) : w};  // (B, T, E), (B, T, S) or (B, H, T, S)
  }
  // 3. Heads side by side, then out_proj: output = [head_1; …; head_H] W_oᵀ + b_o.
  const Tensor output = batch_major(out_proj->forward(heads.output), bf);  // (B, T, E)
  return {output, need_weights ? heads.weights : Tensor()};
}

}  // namespace attograd::nn
