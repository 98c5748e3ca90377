// Bahdanau additive attention: two projections, the fused score vᵀ tanh(q + k) (with its composite
// form beside it), masked softmax.
#include <attograd/nn/attention/additive_attention.hpp>

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/autograd.hpp>
#include <attograd/core/kernels/fast_math.hpp>
#include <attograd/core/ops/creation.hpp>
#include <attograd/core/ops/elementwise.hpp>
#include <attograd/core/ops/linalg.hpp>
#include <attograd/core/ops/shape_ops.hpp>
#include <attograd/nn/init.hpp>

namespace attograd::nn {

namespace functional {

namespace {
void check_score_shapes(const Tensor& q_proj, const Tensor& k_proj, const Tensor& v) {
  const bool ok = q_proj.dim() == 3 && k_proj.dim() == 3 && v.dim() == 1 && q_proj.shape()[0] == k_proj.shape()[0] &&
                  q_proj.shape()[2] == k_proj.shape()[2] && k_proj.shape()[2] == v.shape()[0];
  if (!ok)
    throw std::invalid_argument(
        fmt::format("additive_scores: expected q_proj (B, T, A), k_proj (B, S, A) and v (A), got {}, {} and {}",
                    shape_str(q_proj.shape()), shape_str(k_proj.shape()), shape_str(v.shape())));
}
}  // namespace

Tensor additive_scores_composite(const Tensor& q_proj, const Tensor& k_proj, const Tensor& v) {
  check_score_shapes(q_proj, k_proj, v);
  const Tensor hidden =
      tanh(unsqueeze(q_proj, 2) + unsqueeze(k_proj, 1));  // (B, T, 1, A) + (B, 1, S, A) -> (B, T, S, A)
  return matmul(hidden, v);                               // (B, T, S)
}

// Forward keeps hidden = tanh(q + k) (B, T, S, A). Backward, with g = dL/dscores (B, T, S):
//   da[b, t, s] = g[b, t, s] v ⊙ (1 - hidden²)      (the gradient of the tanh's argument)
//   dq[b, t] = Σ_s da[b, t, s]    dk[b, s] = Σ_t da[b, t, s]    dv = Σ_{b,t,s} g[b, t, s] hidden
Tensor additive_scores(const Tensor& q_proj, const Tensor& k_proj, const Tensor& v) {
  check_score_shapes(q_proj, k_proj, v);
  const std::size_t B = q_proj.shape()[0], T = q_proj.shape()[1], S = k_proj.shape()[1], A = v.shape()[0];
  Array hidden = Array::from_shape({B, T, S, A});
  Array scores = Array::from_shape({B, T, S});
  const float* pv = v.value().data();
  for (std::size_t b = 0; b < B; ++b) {
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
  return make_result(
      "additive_scores", std::move(scores), {q_proj, k_proj, v},
      [hidden = std::move(hidden), B, T, S, A](const Array& g, const Array&, const std::vector<Tensor>& in) {
        Array dq = xt::zeros<float>(Shape{B, T, A}), dk = xt::zeros<float>(Shape{B, S, A});
        Array dv = xt::zeros<float>(Shape{A});
        const float* v_data = in[2].value().data();
        for (std::size_t b = 0; b < B; ++b) {
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
                dv.data()[a] += gs * h[a];
              }
            }
          }
        }
        accumulate_grad(in[0], std::move(dq));
        accumulate_grad(in[1], std::move(dk));
        accumulate_grad(in[2], std::move(dv));
      });
}

}  // namespace functional

namespace {
// U(-1/√fan_in, 1/√fan_in), PyTorch's default for Linear weights and biases.
Tensor uniform_init(const Shape& shape, std::size_t fan_in) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  return init::uniform_(zeros(shape), -bound, bound);
}
}  // namespace

AdditiveAttention::AdditiveAttention(std::size_t query_dim, std::size_t key_dim, std::size_t attention_dim)
    : query_dim_(query_dim), key_dim_(key_dim), attention_dim_(attention_dim == 0 ? query_dim : attention_dim) {
  if (query_dim == 0 || key_dim == 0)
    throw std::invalid_argument(
        fmt::format("AdditiveAttention: query_dim and key_dim must be positive, got {} and {}", query_dim, key_dim));
  const std::size_t A = attention_dim_;
  query_weight = register_parameter("query_weight", uniform_init({A, query_dim}, query_dim));  // (A, Dq)
  key_weight = register_parameter("key_weight", uniform_init({A, key_dim}, key_dim));          // (A, Dk)
  bias = register_parameter("bias", uniform_init({A}, key_dim));                               // (A)
  v = register_parameter("v", uniform_init({A}, A));                                           // (A)
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
