// attention_heads: multi-head attention as one op (see the header for the equations), and its
// composite form.
#include <attograd/nn/attention/attention_heads.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include <attograd/core/autograd.hpp>
#include <attograd/core/kernels/blas.hpp>
#include <attograd/core/kernels/loops.hpp>
#include <attograd/core/ops/reduction.hpp>
#include <attograd/core/ops/shape_ops.hpp>

namespace attograd::nn::functional {

namespace {

struct Sizes {
  std::size_t B, T, S, E, H, D;
};

void check_heads(std::size_t E, const HeadsOptions& o) {
  if (o.num_heads == 0 || E % o.num_heads != 0)
    throw std::invalid_argument(
        fmt::format("{}: E = {} does not split into num_heads = {} heads", o.who, E, o.num_heads));
}

Sizes check_sizes(const Tensor& q, const Tensor& k, const Tensor& v, const HeadsOptions& o) {
  const auto shapes = [&] {
    return fmt::format("query {}, key {}, value {}", shape_str(q.shape()), shape_str(k.shape()), shape_str(v.shape()));
  };
  if (q.dim() != 3 || k.dim() != 3 || v.dim() != 3)
    throw std::invalid_argument(
        fmt::format("{}: expected query (B, T, E), key (B, S, E) and value (B, S, E), got {}", o.who, shapes()));
  const std::size_t E = q.shape()[2];
  if (k.shape()[0] != q.shape()[0] || v.shape()[0] != q.shape()[0] || k.shape()[1] != v.shape()[1] ||
      k.shape()[2] != E || v.shape()[2] != E)
    throw std::invalid_argument(
        fmt::format("{}: query, key and value must share B and E, and key and value S, got {}", o.who, shapes()));
  check_heads(E, o);
  return {q.shape()[0], q.shape()[1], k.shape()[1], E, o.num_heads, E / o.num_heads};
}

// The width E of each projection in a packed qkv (B, L, 3E).
std::size_t packed_width(const Tensor& qkv, const HeadsOptions& o) {
  if (qkv.dim() != 3 || qkv.shape()[2] % 3 != 0)
    throw std::invalid_argument(
        fmt::format("{}: expected packed projections (B, L, 3E), got {}", o.who, shape_str(qkv.shape())));
  check_heads(qkv.shape()[2] / 3, o);
  return qkv.shape()[2] / 3;
}

// Scores (T, S) to weights in place, row by row. Blocked keys take the most negative finite
// float, as in masked_softmax; a row with every key blocked becomes zeros.
void softmax_rows_in_place(float* p, const bool* blocked, std::size_t T, std::size_t S) {
  if (S == 0) return;
  for (std::size_t i = 0; i < T; ++i) {
    float* row = p + i * S;
    if (blocked != nullptr) {
      const bool* row_blocked = blocked + i * S;
      bool all_blocked = true;
      for (std::size_t j = 0; j < S; ++j) {
        if (row_blocked[j]) row[j] = std::numeric_limits<float>::lowest();
        all_blocked = all_blocked && row_blocked[j];
      }
      if (all_blocked) {
        std::fill(row, row + S, 0.0f);
        continue;
      }
    }
    softmax_row(row, row, S);
  }
}

// dP (T, S) becomes dS = P ⊙ (dP - Σ_row dP ⊙ P) in place.
void softmax_backward_in_place(const float* p, float* dp, std::size_t T, std::size_t S) {
  for (std::size_t i = 0; i < T; ++i) softmax_backward_row(dp + i * S, p + i * S, dp + i * S, S);
}

// The per-head products are small; below this many multiply-adds one BLAS thread is faster
// than waking the others (as in batched matmul).
constexpr std::size_t small_head_product = 64 * 64 * 64;

// Where Q, K or V lives: which input of the op, its first column, and its row stride. Separate
// projections are (i, 0, E); a packed (B, L, 3E) projection holds Q, K, V at columns 0, E, 2E.
struct Operand {
  std::size_t input, column, ld;
};
struct Layout {
  Operand q, k, v;
};

// Head h of batch b of an operand with L rows per batch, in `a` (the operand's input or its
// gradient, which share a shape).
template <class P>
P* head(P* a, const Operand& o, const Sizes& z, std::size_t b, std::size_t L, std::size_t h) {
  return a + b * L * o.ld + o.column + h * z.D;
}

// dQ_h = scale · dS K_h and dK_h = scale · dS_hᵀ Q_h for one (b, h), overwriting their columns.
void scores_backward(const Sizes& z, const Layout& at, std::size_t b, std::size_t h, float scale, const float* ds,
                     const std::vector<Tensor>& in, std::vector<Array>& grads) {
  blas::sgemm(false, false, z.T, z.D, z.S, scale, ds, z.S, head(in[at.k.input].value().data(), at.k, z, b, z.S, h),
              at.k.ld, 0.0f, head(grads[at.q.input].data(), at.q, z, b, z.T, h), at.q.ld);
  blas::sgemm(true, false, z.S, z.D, z.T, scale, ds, z.S, head(in[at.q.input].value().data(), at.q, z, b, z.T, h),
              at.q.ld, 0.0f, head(grads[at.k.input].data(), at.k, z, b, z.S, h), at.k.ld);
}

void accumulate_all(const std::vector<Tensor>& in, std::vector<Array>& grads) {
  for (std::size_t i = 0; i < in.size(); ++i) accumulate_grad(in[i], std::move(grads[i]));
}

// The fused op over any layout (see the header).
// `biases` are mask.additive_biases for the scores (B, H, T, S), none requiring grad.
AttentionOutput fused_heads(const std::vector<Tensor>& inputs, const Layout& at, const Sizes& z,
                            const AttentionMask& mask, const std::vector<Tensor>& biases, const HeadsOptions& options) {
  const Shape scores_shape{z.B, z.H, z.T, z.S};
  std::optional<Array> bias;  // (B, H, T, S), the additive terms summed
  for (const Tensor& b : biases) {
    if (!bias) bias = xt::zeros<float>(scores_shape);
    const Array term = expand_array(b.value(), scores_shape);
    for (std::size_t j = 0; j < term.size(); ++j) bias->data()[j] += term.data()[j];
  }
  const Mask blocked = mask.empty() ? Mask() : mask.blocked_positions(scores_shape, options.who);  // (B, H, T, S)
  const float scale = 1.0f / std::sqrt(static_cast<float>(z.D));
  const std::size_t per_head = z.T * z.S;
  const float* q = inputs[at.q.input].value().data();
  const float* k = inputs[at.k.input].value().data();
  const float* v = inputs[at.v.input].value().data();

  std::optional<blas::SingleThreaded> one_thread;
  if (z.T * z.S * z.D <= small_head_product) one_thread.emplace();
  auto probs = std::make_shared<Array>(Array::from_shape(scores_shape));  // P, kept for both backwards
  Array out = Array::from_shape({z.B, z.T, z.E});
  const Operand merged{0, 0, z.E};  // the output's layout: heads side by side
  for (std::size_t b = 0; b < z.B; ++b) {
    for (std::size_t h = 0; h < z.H; ++h) {
      const std::size_t offset = (b * z.H + h) * per_head;
      float* p = probs->data() + offset;
      blas::sgemm(false, true, z.T, z.S, z.D, scale, head(q, at.q, z, b, z.T, h), at.q.ld, head(k, at.k, z, b, z.S, h),
                  at.k.ld, 0.0f, p, z.S);  // Q_h K_hᵀ / √D
      if (bias)
        for (std::size_t j = 0; j < per_head; ++j) p[j] += bias->data()[offset + j];
      softmax_rows_in_place(p, mask.empty() ? nullptr : blocked.data() + offset, z.T, z.S);
      blas::sgemm(false, false, z.T, z.D, z.S, 1.0f, p, z.S, head(v, at.v, z, b, z.S, h), at.v.ld, 0.0f,
                  head(out.data(), merged, z, b, z.T, h), z.E);  // P_h V_h
    }
  }

  const Tensor output =
      make_result("attention_heads", std::move(out), inputs,
                  [z, at, scale, probs, merged](const Array& g, const Array&, const std::vector<Tensor>& in) {
                    std::optional<blas::SingleThreaded> single;
                    if (z.T * z.S * z.D <= small_head_product) single.emplace();
                    // Every column of every input is one of Q, K, V and is written exactly once below.
                    std::vector<Array> grads;
                    for (const Tensor& t : in) grads.push_back(Array::from_shape(t.shape()));
                    std::vector<float> ds(z.T * z.S);
                    for (std::size_t b = 0; b < z.B; ++b) {
                      for (std::size_t h = 0; h < z.H; ++h) {
                        const float* p = probs->data() + (b * z.H + h) * z.T * z.S;
                        const float* d_out = head(g.data(), merged, z, b, z.T, h);
                        blas::sgemm(true, false, z.S, z.D, z.T, 1.0f, p, z.S, d_out, z.E, 0.0f,
                                    head(grads[at.v.input].data(), at.v, z, b, z.S, h), at.v.ld);  // dV_h = P_hᵀ dO_h
                        blas::sgemm(false, true, z.T, z.S, z.D, 1.0f, d_out, z.E,
                                    head(in[at.v.input].value().data(), at.v, z, b, z.S, h), at.v.ld, 0.0f, ds.data(),
                                    z.S);  // dP_h = dO_h V_hᵀ
                        softmax_backward_in_place(p, ds.data(), z.T, z.S);
                        scores_backward(z, at, b, h, scale, ds.data(), in, grads);
                      }
                    }
                    accumulate_all(in, grads);
                  });
  if (!options.need_weights) return {output, Tensor()};

  // The weights: P itself or its mean over heads, differentiable with respect to Q and K.
  const bool average = options.average_weights;
  Array weights = average ? Array(xt::zeros<float>(Shape{z.B, z.T, z.S})) : Array(*probs);
  if (average) {
    const float inv_h = 1.0f / static_cast<float>(z.H);
    for (std::size_t b = 0; b < z.B; ++b)
      for (std::size_t h = 0; h < z.H; ++h)
        for (std::size_t j = 0; j < per_head; ++j)
          weights.data()[b * per_head + j] += probs->data()[(b * z.H + h) * per_head + j] * inv_h;
  }
  const Tensor weights_out =
      make_result("attention_heads_weights", std::move(weights), inputs,
                  [z, at, scale, probs, average](const Array& g, const Array&, const std::vector<Tensor>& in) {
                    std::optional<blas::SingleThreaded> single;
                    if (z.T * z.S * z.D <= small_head_product) single.emplace();
                    std::vector<Array> grads;  // zeros: V's columns get no gradient from the weights
                    for (const Tensor& t : in) grads.push_back(xt::zeros<float>(t.shape()));
                    std::vector<float> ds(z.T * z.S);
                    const float inv_h = 1.0f / static_cast<float>(z.H);
                    for (std::size_t b = 0; b < z.B; ++b) {
                      for (std::size_t h = 0; h < z.H; ++h) {
                        const float* p = probs->data() + (b * z.H + h) * z.T * z.S;
                        const float* dw = g.data() + (average ? b : b * z.H + h) * z.T * z.S;
                        for (std::size_t j = 0; j < ds.size(); ++j) ds[j] = average ? dw[j] * inv_h : dw[j];
                        softmax_backward_in_place(p, ds.data(), z.T, z.S);
                        scores_backward(z, at, b, h, scale, ds.data(), in, grads);
                      }
                    }
                    accumulate_all(in, grads);
                  });
  return {output, weights_out};
}

// Whether a backward would have to reach one of the additive mask terms (the fused op cannot).
bool learned(const std::vector<Tensor>& biases) {
  return is_grad_enabled() &&
         std::any_of(biases.begin(), biases.end(), [](const Tensor& b) { return b.requires_grad(); });
}

}  // namespace

AttentionOutput attention_heads_composite(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionMask& mask,
                                          const HeadsOptions& options) {
  const Sizes z = check_sizes(q, k, v, options);
  const auto H = static_cast<std::int64_t>(z.H), D = static_cast<std::int64_t>(z.D);
  auto split = [&](const Tensor& x) {  // (B, L, E) -> (B, L, H, D) -> (B, H, L, D)
    return permute(reshape(x, {static_cast<std::int64_t>(z.B), static_cast<std::int64_t>(x.shape()[1]), H, D}),
                   {0, 2, 1, 3});
  };
  const auto [heads, weights] =
      scaled_dot_product_attention(split(q), split(k), split(v), mask, 0.0f, std::nullopt, false, nullptr,
                                   options.who);  // (B, H, T, D), (B, H, T, S)
  const Tensor merged = reshape(
      permute(heads, {0, 2, 1, 3}),
      {static_cast<std::int64_t>(z.B), static_cast<std::int64_t>(z.T), static_cast<std::int64_t>(z.E)});  // (B, T, E)
  if (!options.need_weights) return {merged, Tensor()};
  return {merged, options.average_weights ? mean(weights, {1}) : weights};
}

AttentionOutput attention_heads(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionMask& mask,
                                const HeadsOptions& options) {
  const Sizes z = check_sizes(q, k, v, options);
  const std::vector<Tensor> biases = mask.additive_biases({z.B, z.H, z.T, z.S}, options.who);
  if (learned(biases)) return attention_heads_composite(q, k, v, mask, options);
  return fused_heads({q, k, v}, {{0, 0, z.E}, {1, 0, z.E}, {2, 0, z.E}}, z, mask, biases, options);
}

AttentionOutput attention_heads_packed(const Tensor& qkv, const AttentionMask& mask, const HeadsOptions& options) {
  const std::size_t E = packed_width(qkv, options), B = qkv.shape()[0], L = qkv.shape()[1];
  const Sizes z{B, L, L, E, options.num_heads, E / options.num_heads};
  const std::vector<Tensor> biases = mask.additive_biases({z.B, z.H, z.T, z.S}, options.who);
  if (learned(biases)) return attention_heads_packed_composite(qkv, mask, options);
  return fused_heads({qkv}, {{0, 0, 3 * E}, {0, E, 3 * E}, {0, 2 * E, 3 * E}}, z, mask, biases, options);
}

AttentionOutput attention_heads_packed_composite(const Tensor& qkv, const AttentionMask& mask,
                                                 const HeadsOptions& options) {
  packed_width(qkv, options);
  const std::vector<Tensor> parts = chunk(qkv, 3, -1);  // (B, L, E) × 3
  return attention_heads_composite(parts[0], parts[1], parts[2], mask, options);
}

}  // namespace attograd::nn::functional
