// Fused multi-head attention (see the header for the equations and what it fuses).
#include <attograd/core/fused/attention_heads.hpp>
#include <attograd/core/fused/heads_layout.hpp>

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
#include <attograd/core/kernels/parallel.hpp>

namespace attograd::fused {

using blas::gemm;
using heads::for_each_head;
using heads::head;
using heads::Layout;
using heads::Operand;

namespace {
void check_heads(std::size_t E, std::size_t num_heads, const std::string& who) {
  if (num_heads == 0 || E % num_heads != 0)
    throw std::invalid_argument(fmt::format("{}: E = {} does not split into num_heads = {} heads", who, E, num_heads));
}
}  // namespace

HeadsSizes check_attention_heads(const Tensor& q, const Tensor& k, const Tensor& v, const HeadsOptions& o) {
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
  check_heads(E, o.num_heads, o.who);
  return {q.shape()[0], q.shape()[1], k.shape()[1], E, o.num_heads, E / o.num_heads};
}

std::size_t check_packed_heads(const Tensor& qkv, const HeadsOptions& o) {
  if (qkv.dim() != 3 || qkv.shape()[2] % 3 != 0)
    throw std::invalid_argument(
        fmt::format("{}: expected packed projections (B, L, 3E), got {}", o.who, shape_str(qkv.shape())));
  check_heads(qkv.shape()[2] / 3, o.num_heads, o.who);
  return qkv.shape()[2] / 3;
}

namespace {

// Head (b, ·)'s scores (T, S) to weights in place, row by row. Blocked keys (by the head's (T, S)
// block of mask.blocked at `blocked`, by padding, or past the causal shift) get weight 0, as in
// masked_softmax; a row with every key blocked becomes zeros.
void softmax_rows_in_place(float* p, const bool* blocked, const HeadsMask& mask, std::size_t b, std::size_t T,
                           std::size_t S) {
  const bool* padded = mask.padded_keys ? mask.padded_keys->data() + b * S : nullptr;
  for (std::size_t i = 0; i < T; ++i) {
    float* row = p + i * S;
    std::size_t open = S;  // keys [0, open) are not in the future of query i
    if (mask.causal_shift)
      open = static_cast<std::size_t>(std::clamp<std::int64_t>(static_cast<std::int64_t>(i) + *mask.causal_shift + 1, 0,
                                                               static_cast<std::int64_t>(S)));
    bool any_open = open > 0;
    if (blocked != nullptr || padded != nullptr) {
      any_open = false;
      for (std::size_t j = 0; j < open; ++j) {
        const bool shut = (blocked != nullptr && blocked[i * S + j]) || (padded != nullptr && padded[j]);
        if (shut) row[j] = std::numeric_limits<float>::lowest();
        any_open = any_open || !shut;
      }
    }
    std::fill(row + open, row + S, 0.0f);
    if (any_open) {
      softmax_row(row, row, open);
    } else {
      std::fill(row, row + open, 0.0f);
    }
  }
}

// dP (T, S) becomes dS = P ⊙ (dP - Σ_row dP ⊙ P) in place.
void softmax_backward_in_place(const float* p, float* dp, std::size_t T, std::size_t S) {
  for (std::size_t i = 0; i < T; ++i) softmax_backward_row(dp + i * S, p + i * S, dp + i * S, S);
}

// One head's (T, S) block of P, dP or dS, stored densely.
template <class Float>
blas::MatrixView<Float> scores_of(Float* p, const HeadsSizes& z) {
  return {p, z.T, z.S, z.S};
}

// dQ_h = dS_h K_h / √D and dK_h = dS_hᵀ Q_h / √D for one (b, h), overwriting their columns.
void scores_backward(const HeadsSizes& z, const Layout& at, std::size_t b, std::size_t h, float scale, const float* ds,
                     const std::vector<Tensor>& in, std::vector<Array>& grads) {
  const blas::ConstMatrix ds_h = scores_of(ds, z);
  const blas::ConstMatrix q_h = head(in[at.q.input].value().data(), at.q, z, z.T, b, h);
  const blas::ConstMatrix k_h = head(in[at.k.input].value().data(), at.k, z, z.S, b, h);
  gemm(head(grads[at.q.input].data(), at.q, z, z.T, b, h), ds_h, k_h, scale);      // dQ_h = dS_h K_h / √D
  gemm(head(grads[at.k.input].data(), at.k, z, z.S, b, h), ds_h.T(), q_h, scale);  // dK_h = dS_hᵀ Q_h / √D
}

void accumulate_all(const std::vector<Tensor>& in, std::vector<Array>& grads) {
  for (std::size_t i = 0; i < in.size(); ++i) accumulate_grad(in[i], std::move(grads[i]));
}

void check_mask(const HeadsMask& mask, const HeadsSizes& z, const HeadsOptions& o) {
  const Shape scores_shape{z.B, z.H, z.T, z.S};
  if (mask.padded_keys && mask.padded_keys->shape() != Shape{z.B, z.S})
    throw std::invalid_argument(fmt::format("{}: the padded keys must be (B, S) = ({}, {}), got {}", o.who, z.B, z.S,
                                            shape_str(mask.padded_keys->shape())));
  if (mask.blocked && mask.blocked->shape() != scores_shape)
    throw std::invalid_argument(fmt::format("{}: the blocked positions must be (B, H, T, S) = {}, got {}", o.who,
                                            shape_str(scores_shape), shape_str(mask.blocked->shape())));
  if (mask.bias && mask.bias->shape() != scores_shape)
    throw std::invalid_argument(fmt::format("{}: the score bias must be (B, H, T, S) = {}, got {}", o.who,
                                            shape_str(scores_shape), shape_str(mask.bias->shape())));
}

// P_h kept for the backward (and the weights), every head's (T, S) scores at once.
HeadsOutput stored_heads(const std::vector<Tensor>& inputs, const Layout& at, const HeadsSizes& z,
                         const HeadsMask& mask, const HeadsOptions& options) {
  const Shape scores_shape{z.B, z.H, z.T, z.S};
  const float scale = 1.0f / std::sqrt(static_cast<float>(z.D));
  const std::size_t per_head = z.T * z.S;
  const float* q = inputs[at.q.input].value().data();
  const float* k = inputs[at.k.input].value().data();
  const float* v = inputs[at.v.input].value().data();

  auto probs = std::make_shared<Array>(Array::from_shape(scores_shape));  // P, kept for both backwards
  Array out = Array::from_shape({z.B, z.T, z.E});
  const Operand merged{0, 0, z.E};  // the output's layout: heads side by side
  for_each_head(z, [&](std::size_t b, std::size_t h) {
    const std::size_t offset = (b * z.H + h) * per_head;
    const blas::ConstMatrix q_h = head(q, at.q, z, z.T, b, h);      // (T, D)
    const blas::ConstMatrix k_h = head(k, at.k, z, z.S, b, h);      // (S, D)
    const blas::ConstMatrix v_h = head(v, at.v, z, z.S, b, h);      // (S, D)
    const blas::Matrix p_h = scores_of(probs->data() + offset, z);  // (T, S): the scores, then P_h
    gemm(p_h, q_h, k_h.T(), scale);                                 // S_h = Q_h K_hᵀ / √D
    if (mask.bias)
      for (std::size_t j = 0; j < per_head; ++j) p_h.data[j] += mask.bias->data()[offset + j];
    softmax_rows_in_place(p_h.data, mask.blocked ? mask.blocked->data() + offset : nullptr, mask, b, z.T, z.S);
    gemm(head(out.data(), merged, z, z.T, b, h), p_h, v_h);  // O_h = P_h V_h
  });

  const Tensor output =
      make_result("attention_heads", std::move(out), inputs,
                  [z, at, scale, probs, merged](const Array& g, const Array&, const std::vector<Tensor>& in) {
                    // Every column of every input is one of Q, K, V and is written exactly once below.
                    std::vector<Array> grads;
                    for (const Tensor& t : in) grads.push_back(Array::from_shape(t.shape()));
                    // dP, then dS, of each head; uninitialised (the dP product overwrites it)
                    const auto scratch = std::make_unique_for_overwrite<float[]>(z.B * z.H * z.T * z.S);
                    for_each_head(z, [&](std::size_t b, std::size_t h) {
                      const std::size_t offset = (b * z.H + h) * z.T * z.S;
                      const blas::ConstMatrix p_h = scores_of(probs->data() + offset, z);
                      const blas::Matrix ds_h = scores_of(scratch.get() + offset, z);  // dP_h, then dS_h
                      const blas::ConstMatrix d_out_h = head(g.data(), merged, z, z.T, b, h);
                      const blas::ConstMatrix v_h = head(in[at.v.input].value().data(), at.v, z, z.S, b, h);
                      gemm(head(grads[at.v.input].data(), at.v, z, z.S, b, h), p_h.T(), d_out_h);  // dV_h = P_hᵀ dO_h
                      gemm(ds_h, d_out_h, v_h.T());                                                // dP_h = dO_h V_hᵀ
                      softmax_backward_in_place(p_h.data, ds_h.data, z.T, z.S);
                      scores_backward(z, at, b, h, scale, ds_h.data, in, grads);
                    });
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
                    std::vector<Array> grads;  // zeros: V's columns get no gradient from the weights
                    for (const Tensor& t : in) grads.push_back(xt::zeros<float>(t.shape()));
                    // dS of each head; uninitialised (each head's is written whole first)
                    const auto scratch = std::make_unique_for_overwrite<float[]>(z.B * z.H * z.T * z.S);
                    const float inv_h = 1.0f / static_cast<float>(z.H);
                    for_each_head(z, [&](std::size_t b, std::size_t h) {
                      float* ds = scratch.get() + (b * z.H + h) * z.T * z.S;
                      const float* p = probs->data() + (b * z.H + h) * z.T * z.S;
                      const float* dw = g.data() + (average ? b : b * z.H + h) * z.T * z.S;
                      for (std::size_t j = 0; j < z.T * z.S; ++j) ds[j] = average ? dw[j] * inv_h : dw[j];
                      softmax_backward_in_place(p, ds, z.T, z.S);
                      scores_backward(z, at, b, h, scale, ds, in, grads);
                    });
                    accumulate_all(in, grads);
                  });
  return {output, weights_out};
}

// The fused op over any layout (see the header): streaming when it can be, else keeping P.
HeadsOutput fused_heads(const std::vector<Tensor>& inputs, const Layout& at, const HeadsSizes& z, const HeadsMask& mask,
                        const HeadsOptions& options) {
  check_mask(mask, z, options);
  const bool streams = !options.need_weights && !mask.blocked && !mask.bias && z.T * z.S >= options.streaming_from;
  if (streams) return {heads::streaming_heads(inputs, at, z, mask), {}};
  return stored_heads(inputs, at, z, mask, options);
}

}  // namespace

HeadsOutput attention_heads(const Tensor& q, const Tensor& k, const Tensor& v, const HeadsMask& mask,
                            const HeadsOptions& options, Where caller) {
  const CallSite call_site(caller);
  const HeadsSizes z = check_attention_heads(q, k, v, options);
  return fused_heads({q, k, v}, {{0, 0, z.E}, {1, 0, z.E}, {2, 0, z.E}}, z, mask, options);
}

HeadsOutput attention_heads_packed(const Tensor& qkv, const HeadsMask& mask, const HeadsOptions& options,
                                   Where caller) {
  const CallSite call_site(caller, "attention_heads");
  const std::size_t E = check_packed_heads(qkv, options), B = qkv.shape()[0], L = qkv.shape()[1];
  const HeadsSizes z{B, L, L, E, options.num_heads, E / options.num_heads};
  return fused_heads({qkv}, {{0, 0, 3 * E}, {0, E, 3 * E}, {0, 2 * E, 3 * E}}, z, mask, options);
}

}  // namespace attograd::fused
