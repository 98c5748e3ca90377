// Multi-head attention with a streaming softmax: every head's softmax(Q Kᵀ / √D + mask) V
// computed over blocks of keys without ever keeping a (T, S) matrix (FlashAttention, Dao et
// al. 2022, as its second version orders the loops). attention_heads (attention_heads.cpp) hands
// its work here when the caller wants no weights and the mask is causal and/or key padding.
//
// Forward, for a block of queries i and the key blocks j in turn, per row:
//   S_j = Q_i K_jᵀ / √D (blocked keys −∞)     m' = max(m, max_row S_j)
//   P_j = exp(S_j − m')    ℓ ← ℓ·e^(m − m') + Σ_row P_j    O ← O·e^(m − m') + P_j V_j    m ← m'
// and at the end O ← O / ℓ, L = m + log ℓ (the row's log-sum-exp, kept for the backward).
// Backward, with Δ = Σ_row dO ⊙ O (= Σ_row dP ⊙ P), recomputing each block's P from L:
//   P_j = exp(S_j − L)    dV_j += P_jᵀ dO_i    dP_j = dO_i V_jᵀ    dS_j = P_j ⊙ (dP_j − Δ)
//   dQ_i += dS_j K_j / √D    dK_j += dS_jᵀ Q_i / √D
// Kept between the two: the output and L and Δ, B·H·T floats each. A row whose keys are all
// blocked gets output 0 and gradients 0 (ℓ = 0: L = +∞ makes every recomputed P 0).
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include <attograd/core/autograd.hpp>
#include <attograd/core/fused/heads_layout.hpp>
#include <attograd/core/kernels/fast_math.hpp>

namespace attograd::fused::heads {

namespace {

using blas::gemm;

// Block sizes: a (64, 256) block of scores is 64 KB, which stays in L2 beside its operands.
constexpr std::size_t query_block = 64, key_block = 256;
constexpr float minus_inf = -std::numeric_limits<float>::infinity();

// Rows [i0, i0 + rows) of queries against keys [j0, j0 + cols): which keys each row may see.
struct Block {
  std::size_t i0, rows, j0, cols;
};

// Sets the blocked scores of a (rows, cols) block to −∞: keys past i + shift (causal) and padded
// keys. `s` has row stride cols.
void mask_block(float* s, const Block& blk, const HeadsMask& mask, std::size_t b, std::size_t S) {
  const bool* padded = mask.padded_keys ? mask.padded_keys->data() + b * S + blk.j0 : nullptr;
  for (std::size_t r = 0; r < blk.rows; ++r) {
    float* row = s + r * blk.cols;
    if (padded != nullptr)
      for (std::size_t c = 0; c < blk.cols; ++c)
        if (padded[c]) row[c] = minus_inf;
    if (mask.causal_shift) {
      // Keys j > i + shift are blocked: columns c >= first_blocked.
      const std::int64_t last = static_cast<std::int64_t>(blk.i0 + r) + *mask.causal_shift;
      const std::int64_t first_blocked = std::clamp<std::int64_t>(last + 1 - static_cast<std::int64_t>(blk.j0), 0,
                                                                  static_cast<std::int64_t>(blk.cols));
      std::fill(row + first_blocked, row + blk.cols, minus_inf);
    }
  }
}

// The keys a query block can see at all: [0, end). Causal rows stop at their last visible key.
std::size_t keys_end(const HeadsMask& mask, std::size_t i0, std::size_t rows, std::size_t S) {
  if (!mask.causal_shift) return S;
  const std::int64_t last = static_cast<std::int64_t>(i0 + rows - 1) + *mask.causal_shift;
  return static_cast<std::size_t>(std::clamp<std::int64_t>(last + 1, 0, static_cast<std::int64_t>(S)));
}

// row[c] = exp(row[c] − shift), returning their sum; a shift of −∞ (every key blocked) gives 0s.
ATTOGRAD_VECTOR_CLONES float exp_shifted(float* row, std::size_t n, float shift) {
  if (shift == minus_inf) {
    std::fill(row, row + n, 0.0f);
    return 0.0f;
  }
  for (std::size_t c = 0; c < n; ++c) row[c] = fast::exp(row[c] - shift);
  return fast::sum_inline(row, n);
}

// One head's forward: its output columns and L (T floats at lse).
void head_forward(const std::vector<Tensor>& in, const Layout& at, const HeadsSizes& z, const HeadsMask& mask,
                  float scale, std::size_t b, std::size_t h, float* out, float* lse) {
  const blas::ConstMatrix q = head(in[at.q.input].value().data(), at.q, z, z.T, b, h);  // (T, D)
  const blas::ConstMatrix k = head(in[at.k.input].value().data(), at.k, z, z.S, b, h);  // (S, D)
  const blas::ConstMatrix v = head(in[at.v.input].value().data(), at.v, z, z.S, b, h);  // (S, D)
  const blas::Matrix o = head(out, Operand{0, 0, z.E}, z, z.T, b, h);                   // (T, D)
  std::vector<float> s(query_block * key_block), m(query_block), l(query_block);
  for (std::size_t i0 = 0; i0 < z.T; i0 += query_block) {
    const std::size_t rows = std::min(query_block, z.T - i0), end = keys_end(mask, i0, rows, z.S);
    std::fill(m.begin(), m.end(), minus_inf);
    std::fill(l.begin(), l.end(), 0.0f);
    for (std::size_t r = 0; r < rows; ++r) std::fill_n(o.data + (i0 + r) * o.ld, z.D, 0.0f);
    const blas::Matrix o_i{o.data + i0 * o.ld, rows, z.D, o.ld};
    for (std::size_t j0 = 0; j0 < end; j0 += key_block) {
      const Block blk{i0, rows, j0, std::min(key_block, end - j0)};
      const blas::Matrix s_ij{s.data(), rows, blk.cols, blk.cols};
      gemm(s_ij, {q.data + i0 * q.ld, rows, z.D, q.ld}, blas::ConstMatrix{k.data + j0 * k.ld, blk.cols, z.D, k.ld}.T(),
           scale);  // S_j = Q_i K_jᵀ / √D
      mask_block(s.data(), blk, mask, b, z.S);
      for (std::size_t r = 0; r < rows; ++r) {
        float* row = s.data() + r * blk.cols;
        const float m_new = std::max(m[r], fast::max_inline(row, blk.cols));
        const float rescale = m_new == minus_inf ? 1.0f : std::exp(m[r] - m_new);  // e^(m − m'), 0 at first
        l[r] = l[r] * rescale + exp_shifted(row, blk.cols, m_new);                 // P_j in place
        if (rescale != 1.0f)
          for (std::size_t d = 0; d < z.D; ++d) o_i.data[r * o.ld + d] *= rescale;
        m[r] = m_new;
      }
      gemm(o_i, s_ij, blas::ConstMatrix{v.data + j0 * v.ld, blk.cols, z.D, v.ld}, 1.0f, 1.0f);  // O += P_j V_j
    }
    for (std::size_t r = 0; r < rows; ++r) {
      const float inv = l[r] > 0.0f ? 1.0f / l[r] : 0.0f;
      for (std::size_t d = 0; d < z.D; ++d) o_i.data[r * o.ld + d] *= inv;
      lse[i0 + r] = l[r] > 0.0f ? m[r] + std::log(l[r]) : std::numeric_limits<float>::infinity();
    }
  }
}

// One head's backward: adds its gradients into the columns of grads (zeroed by the caller).
void head_backward(const std::vector<Tensor>& in, const Layout& at, const HeadsSizes& z, const HeadsMask& mask,
                   float scale, std::size_t b, std::size_t h, const float* d_out, const float* lse, const float* delta,
                   std::vector<Array>& grads) {
  const blas::ConstMatrix q = head(in[at.q.input].value().data(), at.q, z, z.T, b, h);
  const blas::ConstMatrix k = head(in[at.k.input].value().data(), at.k, z, z.S, b, h);
  const blas::ConstMatrix v = head(in[at.v.input].value().data(), at.v, z, z.S, b, h);
  const blas::Matrix dq = head(grads[at.q.input].data(), at.q, z, z.T, b, h);
  const blas::Matrix dk = head(grads[at.k.input].data(), at.k, z, z.S, b, h);
  const blas::Matrix dv = head(grads[at.v.input].data(), at.v, z, z.S, b, h);
  const blas::ConstMatrix d_o = head(d_out, Operand{0, 0, z.E}, z, z.T, b, h);
  std::vector<float> p(query_block * key_block), ds(query_block * key_block);
  for (std::size_t i0 = 0; i0 < z.T; i0 += query_block) {
    const std::size_t rows = std::min(query_block, z.T - i0), end = keys_end(mask, i0, rows, z.S);
    const blas::ConstMatrix q_i{q.data + i0 * q.ld, rows, z.D, q.ld}, d_o_i{d_o.data + i0 * d_o.ld, rows, z.D, d_o.ld};
    const blas::Matrix dq_i{dq.data + i0 * dq.ld, rows, z.D, dq.ld};
    for (std::size_t j0 = 0; j0 < end; j0 += key_block) {
      const Block blk{i0, rows, j0, std::min(key_block, end - j0)};
      const blas::ConstMatrix k_j{k.data + j0 * k.ld, blk.cols, z.D, k.ld},
          v_j{v.data + j0 * v.ld, blk.cols, z.D, v.ld};
      const blas::Matrix p_ij{p.data(), rows, blk.cols, blk.cols}, ds_ij{ds.data(), rows, blk.cols, blk.cols};
      gemm(p_ij, q_i, k_j.T(), scale);  // S_j again
      mask_block(p.data(), blk, mask, b, z.S);
      for (std::size_t r = 0; r < rows; ++r) exp_shifted(p.data() + r * blk.cols, blk.cols, lse[i0 + r]);  // P_j
      gemm({dv.data + j0 * dv.ld, blk.cols, z.D, dv.ld}, p_ij.T(), d_o_i, 1.0f, 1.0f);  // dV_j += P_jᵀ dO_i
      gemm(ds_ij, d_o_i, v_j.T());                                                      // dP_j = dO_i V_jᵀ
      for (std::size_t r = 0; r < rows; ++r) {
        float* ds_row = ds.data() + r * blk.cols;
        const float* p_row = p.data() + r * blk.cols;
        const float delta_r = delta[i0 + r];
        for (std::size_t c = 0; c < blk.cols; ++c) ds_row[c] = p_row[c] * (ds_row[c] - delta_r);  // dS_j
      }
      gemm(dq_i, ds_ij, k_j, scale, 1.0f);                                              // dQ_i += dS_j K_j / √D
      gemm({dk.data + j0 * dk.ld, blk.cols, z.D, dk.ld}, ds_ij.T(), q_i, scale, 1.0f);  // dK_j += dS_jᵀ Q_i / √D
    }
  }
}

}  // namespace

Tensor streaming_heads(const std::vector<Tensor>& inputs, const Layout& at, const HeadsSizes& z,
                       const HeadsMask& mask) {
  const float scale = 1.0f / std::sqrt(static_cast<float>(z.D));
  auto lse = std::make_shared<std::vector<float>>(z.B * z.H * z.T);  // L of every row of every head
  Array out = Array::from_shape({z.B, z.T, z.E});
  for_each_head(
      z,
      [&](std::size_t b, std::size_t h) {
        head_forward(inputs, at, z, mask, scale, b, h, out.data(), lse->data() + (b * z.H + h) * z.T);
      },
      true);
  // The backward needs the mask's compact parts, not the caller's HeadsMask.
  const HeadsMask compact{
      .blocked = {}, .bias = {}, .causal_shift = mask.causal_shift, .padded_keys = mask.padded_keys};
  return make_result(
      "attention_heads", std::move(out), inputs,
      [z, at, scale, lse, compact](const Array& g, const Array& o, const std::vector<Tensor>& in) {
        std::vector<Array> grads;  // accumulated block by block, so zeroed first
        for (const Tensor& t : in) grads.push_back(xt::zeros<float>(t.shape()));
        std::vector<float> delta(z.B * z.H * z.T);  // Δ = Σ_row dO ⊙ O, per head and row
        for (std::size_t b = 0; b < z.B; ++b)
          for (std::size_t t = 0; t < z.T; ++t)
            for (std::size_t h = 0; h < z.H; ++h) {
              const std::size_t at_row = (b * z.T + t) * z.E + h * z.D;
              delta[(b * z.H + h) * z.T + t] = fast::dot_inline(g.data() + at_row, o.data() + at_row, z.D);
            }
        for_each_head(
            z,
            [&](std::size_t b, std::size_t h) {
              const std::size_t rows = (b * z.H + h) * z.T;
              head_backward(in, at, z, compact, scale, b, h, g.data(), lse->data() + rows, delta.data() + rows, grads);
            },
            true);
        for (std::size_t i = 0; i < in.size(); ++i) accumulate_grad(in[i], std::move(grads[i]));
      });
}

}  // namespace attograd::fused::heads
