// softmax, log_softmax, dropout and layer_norm, composed from core ops.
#include <attograd/core/ops/functional.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include <attograd/core/autograd.hpp>
#include <attograd/core/kernels/fast_math.hpp>
#include <attograd/core/kernels/loops.hpp>
#include <attograd/core/ops/elementwise.hpp>
#include <attograd/core/ops/reduction.hpp>
#include <attograd/core/random.hpp>

namespace attograd {

Tensor softmax_composite(const Tensor& x, int dim) {
  const Tensor shifted = x - max(x, {dim}, true).detach();  // (.., n, ..) minus (.., 1, ..)
  const Tensor e = exp(shifted);
  return e / sum(e, {dim}, true);
}

Tensor log_softmax_composite(const Tensor& x, int dim) {
  const Tensor shifted = x - max(x, {dim}, true).detach();
  return shifted - log(sum(exp(shifted), {dim}, true));
}

Tensor dropout(const Tensor& x, float p, bool training, Generator* gen) {
  if (!(p >= 0.0f && p <= 1.0f)) throw std::invalid_argument(fmt::format("dropout: p must be in [0, 1], got {}", p));
  if (!training || p == 0.0f) return x;
  Generator& g = gen ? *gen : default_generator();
  const float scale = p == 1.0f ? 0.0f : 1.0f / (1.0f - p);
  Array keep = Array::from_shape(x.shape());
  for (float& k : keep) k = g.uniform() < p ? 0.0f : scale;
  return x * Tensor(std::move(keep));
}

namespace {
void check_layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias) {
  const std::size_t k = normalized_shape.size();
  bool fits = k > 0 && k <= x.dim();
  for (std::size_t i = 0; fits && i < k; ++i) fits = x.shape()[x.dim() - k + i] == normalized_shape[i];
  if (!fits)
    throw std::invalid_argument(
        fmt::format("layer_norm: normalized_shape {} does not match the trailing dims of input {}",
                    shape_str(normalized_shape), shape_str(x.shape())));
  for (const Tensor* t : {&weight, &bias})
    if (t->defined() && t->shape() != normalized_shape)
      throw std::invalid_argument(fmt::format("layer_norm: {} has shape {} but normalized_shape is {}",
                                              t == &weight ? "weight" : "bias", shape_str(t->shape()),
                                              shape_str(normalized_shape)));
}
}  // namespace

// y = (x - mean) / √(var + eps) · weight + bias, statistics over the trailing dims
Tensor layer_norm_composite(const Tensor& x, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias,
                            float eps) {
  check_layer_norm(x, normalized_shape, weight, bias);
  const std::size_t k = normalized_shape.size();
  Dims dims;
  for (std::size_t i = 0; i < k; ++i) dims.push_back(-static_cast<int>(i) - 1);
  const Tensor centred = x - mean(x, dims, true);
  const Tensor variance = mean(centred * centred, dims, true);  // biased, as PyTorch normalises
  Tensor y = centred / sqrt(variance + eps);
  if (weight.defined()) y = y * weight;
  if (bias.defined()) y = y + bias;
  return y;
}

namespace {
using Inputs = std::vector<Tensor>;

// x seen as (outer, n, inner) around dim; a "row" is the n elements at one (outer, inner),
// `inner` apart in memory. for_each_row hands each row to a kernel as contiguous memory: in
// place when dim is the last one (inner == 1, the usual case), through scratch copies otherwise.
struct Rows {
  std::size_t outer = 1, n = 1, inner = 1;
  Rows(const Shape& s, std::size_t dim) {
    for (std::size_t d = 0; d < s.size(); ++d) (d < dim ? outer : d == dim ? n : inner) *= s[d];
  }

  // row(in[0] row, ..., in[N-1] row, out row) for every row, each pointer to n contiguous floats.
  template <std::size_t N, class F>
  void for_each_row(const std::array<const float*, N>& in, float* out, F&& row) const {
    if (inner == 1) {
      for (std::size_t o = 0; o < outer; ++o) std::apply([&](auto... x) { row((x + o * n)..., out + o * n); }, in);
      return;
    }
    std::vector<float> scratch((N + 1) * n);
    for (std::size_t o = 0; o < outer; ++o) {
      for (std::size_t i = 0; i < inner; ++i) {
        const std::size_t at = o * n * inner + i;
        for (std::size_t k = 0; k < N; ++k)
          for (std::size_t j = 0; j < n; ++j) scratch[k * n + j] = in[k][at + j * inner];
        std::array<const float*, N> rows_in;
        for (std::size_t k = 0; k < N; ++k) rows_in[k] = scratch.data() + k * n;
        float* row_out = scratch.data() + N * n;
        std::apply([&](auto... x) { row(x..., row_out); }, rows_in);
        for (std::size_t j = 0; j < n; ++j) out[at + j * inner] = row_out[j];
      }
    }
  }
};

Array softmax_rows(const Array& x, const Rows& rows, bool log_space) {
  Array y = Array::from_shape(x.shape());
  rows.for_each_row<1>({x.data()}, y.data(),
                       [&](const float* x_row, float* y_row) { softmax_row(x_row, y_row, rows.n, log_space); });
  return y;
}
}  // namespace

// y = softmax(x)           dx = y ⊙ (g - Σ_row g ⊙ y)
Tensor softmax(const Tensor& x, int dim) {
  const Rows rows(x.shape(), normalize_dim("softmax", dim, x.dim()));
  return make_result("softmax", softmax_rows(x.value(), rows, false), {x},
                     [rows](const Array& g, const Array& y, const Inputs& in) {
                       Array dx = Array::from_shape(y.shape());
                       rows.for_each_row<2>({g.data(), y.data()}, dx.data(),
                                            [n = rows.n](const float* g_row, const float* y_row, float* dx_row) {
                                              softmax_backward_row(g_row, y_row, dx_row, n);
                                            });
                       accumulate_grad(in[0], std::move(dx));
                     });
}

// y = log softmax(x)       dx = g - exp(y) Σ_row g
Tensor log_softmax(const Tensor& x, int dim) {
  const Rows rows(x.shape(), normalize_dim("log_softmax", dim, x.dim()));
  return make_result("log_softmax", softmax_rows(x.value(), rows, true), {x},
                     [rows](const Array& g, const Array& y, const Inputs& in) {
                       Array dx = Array::from_shape(y.shape());
                       rows.for_each_row<2>({g.data(), y.data()}, dx.data(),
                                            [n = rows.n](const float* g_row, const float* y_row, float* dx_row) {
                                              const float total = fast::sum(g_row, n);
                                              fast::exp(y_row, dx_row, n);
                                              for (std::size_t j = 0; j < n; ++j)
                                                dx_row[j] = g_row[j] - dx_row[j] * total;
                                            });
                       accumulate_grad(in[0], std::move(dx));
                     });
}

namespace {
// One row of layer_norm: y = (x - mean) · rstd ⊙ w + b; mean and rstd are kept for the backward.
// Separate pointers (restrict) so the loops vectorise.
ATTOGRAD_VECTOR_CLONES void layer_norm_forward_row(const float* __restrict__ x, const float* __restrict__ w,
                                                   const float* __restrict__ b, float eps, float inv_n, std::size_t n,
                                                   float* __restrict__ y, float& mean, float& rstd) {
  mean = fast::sum_inline(x, n) * inv_n;
  for (std::size_t j = 0; j < n; ++j) y[j] = x[j] - mean;  // centred, then scaled in place
  rstd = 1.0f / std::sqrt(fast::dot_inline(y, y, n) * inv_n + eps);
  for (std::size_t j = 0; j < n; ++j) y[j] = y[j] * rstd * w[j] + b[j];
}

// One row of layer_norm's backward (formulas in the header); xhat and dxhat are scratch, dw and
// db accumulate over rows.
ATTOGRAD_VECTOR_CLONES void layer_norm_backward_row(const float* __restrict__ x, const float* __restrict__ g,
                                                    const float* __restrict__ w, float mean, float rstd, float inv_n,
                                                    std::size_t n, float* __restrict__ xhat, float* __restrict__ dxhat,
                                                    float* __restrict__ dw, float* __restrict__ db,
                                                    float* __restrict__ dx) {
  for (std::size_t j = 0; j < n; ++j) {
    xhat[j] = (x[j] - mean) * rstd;
    dxhat[j] = g[j] * w[j];
    dw[j] += g[j] * xhat[j];
    db[j] += g[j];
  }
  const float mean_dxhat = fast::sum_inline(dxhat, n) * inv_n;
  const float mean_dxhat_xhat = fast::dot_inline(dxhat, xhat, n) * inv_n;
  for (std::size_t j = 0; j < n; ++j) dx[j] = rstd * (dxhat[j] - mean_dxhat - xhat[j] * mean_dxhat_xhat);
}
}  // namespace

// Per row of N = prod(normalized_shape) values: x̂ = (x - mean) · rstd, rstd = 1/√(var + eps),
// y = x̂ ⊙ weight + bias. Backward (see the header) from x, mean and rstd.
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias, float eps) {
  check_layer_norm(x, normalized_shape, weight, bias);
  const std::size_t n = shape_numel(normalized_shape), rows = n == 0 ? 0 : x.numel() / n;
  const float inv_n = 1.0f / static_cast<float>(n);
  const float* px = x.value().data();
  // Absent weight and bias act as ones and zeros, so the row loops have no branches.
  const std::vector<float> ones(weight.defined() ? 0 : n, 1.0f), zeros(bias.defined() ? 0 : n, 0.0f);
  const float* pw = weight.defined() ? weight.value().data() : ones.data();
  const float* pb = bias.defined() ? bias.value().data() : zeros.data();
  Array y = Array::from_shape(x.shape());
  std::vector<float> means(rows), rstds(rows);
  for (std::size_t r = 0; r < rows; ++r)
    layer_norm_forward_row(px + r * n, pw, pb, eps, inv_n, n, y.data() + r * n, means[r], rstds[r]);
  std::vector<Tensor> inputs{x};
  if (weight.defined()) inputs.push_back(weight);
  if (bias.defined()) inputs.push_back(bias);
  const bool has_weight = weight.defined(), has_bias = bias.defined();
  return make_result("layer_norm", std::move(y), std::move(inputs),
                     [n, rows, inv_n, means = std::move(means), rstds = std::move(rstds), has_weight, has_bias](
                         const Array& g, const Array&, const Inputs& in) {
                       const float* xv = in[0].value().data();
                       const std::vector<float> unit_weight(has_weight ? 0 : n, 1.0f);
                       const float* w = has_weight ? in[1].value().data() : unit_weight.data();
                       Array dx = Array::from_shape(in[0].shape());
                       Array dw = xt::zeros<float>({n}), db = xt::zeros<float>({n});
                       std::vector<float> xhat(n), dxhat(n);
                       for (std::size_t r = 0; r < rows; ++r)
                         layer_norm_backward_row(xv + r * n, g.data() + r * n, w, means[r], rstds[r], inv_n, n,
                                                 xhat.data(), dxhat.data(), dw.data(), db.data(), dx.data() + r * n);
                       accumulate_grad(in[0], std::move(dx));
                       const Shape param_shape = in.size() > 1 ? in[1].shape() : Shape{};  // weight's = bias's
                       if (has_weight) {
                         dw.reshape(param_shape);
                         accumulate_grad(in[1], std::move(dw));
                       }
                       if (has_bias) {
                         db.reshape(param_shape);
                         accumulate_grad(in[has_weight ? 2 : 1], std::move(db));
                       }
                     });
}

}  // namespace attograd
