// attention_heads: multi-head attention from core ops (see the header), handing its work to the
// fused twin in core/fused/attention_heads.hpp while fused kernels are on.
#include <attograd/nn/attention/attention_heads.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include <attograd/core/autograd.hpp>
#include <attograd/core/fused/attention_heads.hpp>
#include <attograd/core/fused/switch.hpp>
#include <attograd/core/kernels/loops.hpp>
#include <attograd/core/ops/reduction.hpp>
#include <attograd/core/ops/shape_ops.hpp>

namespace attograd::nn::functional {

namespace {

fused::HeadsOptions fused_options(const HeadsOptions& o) {
  return {.num_heads = o.num_heads, .need_weights = o.need_weights, .average_weights = o.average_weights, .who = o.who};
}

// The fused twin can do the work unless dropout is active or a mask term needs a gradient.
bool fused_can_run(const std::vector<Tensor>& biases, const HeadsOptions& o) {
  if (!fused_kernels_enabled() || (o.training && o.dropout_p > 0.0f)) return false;
  const bool learned_bias =
      is_grad_enabled() && std::any_of(biases.begin(), biases.end(), [](const Tensor& b) { return b.requires_grad(); });
  return !learned_bias;
}

// The mask resolved against the scores (B, H, T, S), as the fused twin takes it.
fused::HeadsMask resolve(const AttentionMask& mask, const std::vector<Tensor>& biases, const Shape& scores_shape,
                         const std::string& who) {
  fused::HeadsMask resolved;
  if (mask.empty()) return resolved;
  resolved.blocked = mask.blocked_positions(scores_shape, who);
  for (const Tensor& b : biases) {
    if (!resolved.bias) resolved.bias = Array(xt::zeros<float>(scores_shape));
    const Array term = expand_array(b.value(), scores_shape);
    for (std::size_t j = 0; j < term.size(); ++j) resolved.bias->data()[j] += term.data()[j];
  }
  return resolved;
}

AttentionOutput from_fused(const fused::HeadsOutput& out) { return {out.output, out.weights}; }

}  // namespace

AttentionOutput attention_heads(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionMask& mask,
                                const HeadsOptions& options) {
  const fused::HeadsSizes z = fused::check_attention_heads(q, k, v, fused_options(options));
  const Shape scores_shape{z.B, z.H, z.T, z.S};
  const std::vector<Tensor> biases = mask.additive_biases(scores_shape, options.who);
  if (fused_can_run(biases, options))  // the same in one op: core/fused/attention_heads.hpp
    return from_fused(
        fused::attention_heads(q, k, v, resolve(mask, biases, scores_shape, options.who), fused_options(options)));

  const auto B = static_cast<std::int64_t>(z.B), T = static_cast<std::int64_t>(z.T);
  const auto E = static_cast<std::int64_t>(z.E), H = static_cast<std::int64_t>(z.H);
  const auto D = static_cast<std::int64_t>(z.D);
  auto split = [&](const Tensor& x) {  // (B, L, E) -> (B, L, H, D) -> (B, H, L, D)
    return permute(reshape(x, {B, static_cast<std::int64_t>(x.shape()[1]), H, D}), {0, 2, 1, 3});
  };
  const auto [heads, weights] =  // (B, H, T, D), (B, H, T, S)
      scaled_dot_product_attention(split(q), split(k), split(v), mask, options.dropout_p, std::nullopt,
                                   options.training, options.generator, options.who);
  const Tensor merged = reshape(permute(heads, {0, 2, 1, 3}), {B, T, E});  // (B, T, H, D) -> (B, T, E)
  if (!options.need_weights) return {merged, Tensor()};
  return {merged, options.average_weights ? mean(weights, {1}) : weights};  // (B, T, S) or (B, H, T, S)
}

AttentionOutput attention_heads_packed(const Tensor& qkv, const AttentionMask& mask, const HeadsOptions& options) {
  fused::check_packed_heads(qkv, fused_options(options));  // (B, L, 3E)
  const std::vector<Tensor> parts = chunk(qkv, 3, -1);     // Q, K, V: (B, L, E) each
  return attention_heads(parts[0], parts[1], parts[2], mask, options);
}

}  // namespace attograd::nn::functional
