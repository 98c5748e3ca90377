// Fused additive (Bahdanau) scores (see the header for what it fuses).
#include <attograd/core/fused/additive_scores.hpp>

#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include <attograd/core/autograd.hpp>
#include <attograd/core/kernels/fast_math.hpp>
#include <attograd/core/kernels/parallel.hpp>

namespace attograd::fused {

void check_additive_scores(const Tensor& q_proj, const Tensor& k_proj, const Tensor& v) {
  const bool ok = q_proj.dim() == 3 && k_proj.dim() == 3 && v.dim() == 1 && q_proj.shape()[0] == k_proj.shape()[0] &&
                  q_proj.shape()[2] == k_proj.shape()[2] && k_proj.shape()[2] == v.shape()[0];
  if (!ok)
    throw std::invalid_argument(
        fmt::format("additive_scores: expected q_proj (B, T, A), k_proj (B, S, A) and v (A), got {}, {} and {}",
                    shape_str(q_proj.shape()), shape_str(k_proj.shape()), shape_str(v.shape())));
}

// Forward keeps hidden = tanh(q + k) (B, T, S, A). Backward, with g = dL/dscores (B, T, S):
//   da[b, t, s] = g[b, t, s] v ⊙ (1 - hidden²)      (the gradient of the tanh's argument)
//   dq[b, t] = Σ_s da[b, t, s]    dk[b, s] = Σ_t da[b, t, s]    dv = Σ_{b,t,s} g[b, t, s] hidden
Tensor additive_scores(const Tensor& q_proj, const Tensor& k_proj, const Tensor& v, Where caller) {
  const CallSite call_site(caller);
  check_additive_scores(q_proj, k_proj, v);
  const std::size_t B = q_proj.shape()[0], T = q_proj.shape()[1], S = k_proj.shape()[1], A = v.shape()[0];
  Array hidden = Array::from_shape({B, T, S, A});
  Array scores = Array::from_shape({B, T, S});
  const float* pv = v.value().data();
  // Each batch row is independent: they are shared out over the threads.
  // 64 per element, where a plain map counts 16 (loops.hpp): a tanh and a dot term cost more, and
  // with 16 a decoder step's scores stayed on one thread though two were faster (docs/performance.md).
  const double work = 64.0 * static_cast<double>(B * T * S * A);
  parallel_for(B, parallel_parts(B, work), [&](std::size_t, std::size_t b_from, std::size_t b_to) {
    for (std::size_t b = b_from; b < b_to; ++b) {
      for (std::size_t t = 0; t < T; ++t) {
        const float* q = q_proj.value().data() + (b * T + t) * A;
        float* rows = hidden.data() + (b * T + t) * S * A;  // (S, A)
        for (std::size_t s = 0; s < S; ++s) {
          const float* k = k_proj.value().data() + (b * S + s) * A;
          for (std::size_t a = 0; a < A; ++a) rows[s * A + a] = q[a] + k[a];
        }
        fast::tanh(rows, rows, S * A);
        for (std::size_t s = 0; s < S; ++s) scores.data()[(b * T + t) * S + s] = fast::dot(rows + s * A, pv, A);
      }
    }
  });
  return make_result(
      "additive_scores", std::move(scores), {q_proj, k_proj, v},
      [hidden = std::move(hidden), B, T, S, A, work](const Array& g, const Array&, const std::vector<Tensor>& in) {
        Array dq = xt::zeros<float>(Shape{B, T, A}), dk = xt::zeros<float>(Shape{B, S, A});
        const float* v_data = in[2].value().data();
        // Batch rows over the threads, as in the forward. dq and dk rows belong to one batch row;
        // dv sums over all of them, so each part sums its own, added up in part order after.
        const std::size_t parts = parallel_parts(B, work);
        std::vector<std::vector<float>> dv_parts(parts, std::vector<float>(A, 0.0f));
        parallel_for(B, parts, [&](std::size_t part, std::size_t b_from, std::size_t b_to) {
          float* dv_part = dv_parts[part].data();
          for (std::size_t b = b_from; b < b_to; ++b) {
            for (std::size_t t = 0; t < T; ++t) {
              float* dq_row = dq.data() + (b * T + t) * A;
              for (std::size_t s = 0; s < S; ++s) {
                const float gs = g.data()[(b * T + t) * S + s];
                const float* h = hidden.data() + ((b * T + t) * S + s) * A;
                float* dk_row = dk.data() + (b * S + s) * A;
                for (std::size_t a = 0; a < A; ++a) {
                  const float da = gs * v_data[a] * (1.0f - h[a] * h[a]);
                  dq_row[a] += da;
                  dk_row[a] += da;
                  dv_part[a] += gs * h[a];
                }
              }
            }
          }
        });
        Array dv = xt::zeros<float>(Shape{A});
        for (const std::vector<float>& part : dv_parts)
          for (std::size_t a = 0; a < A; ++a) dv.data()[a] += part[a];
        accumulate_grad(in[0], std::move(dq));
        accumulate_grad(in[1], std::move(dk));
        accumulate_grad(in[2], std::move(dv));
      });
}

}  // namespace attograd::fused
