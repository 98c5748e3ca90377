// Fused layer_norm (see the header for what it fuses and its derivative).
#include <attograd/core/fused/layer_norm.hpp>

#include <cmath>
#include <vector>

#include <attograd/core/autograd.hpp>
#include <attograd/core/kernels/fast_math.hpp>
#include <attograd/core/kernels/loops.hpp>
#include <attograd/core/kernels/parallel.hpp>

namespace attograd::fused {

using Inputs = std::vector<Tensor>;

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

// Rows are shared out over the threads from about 2^16 values on (a (512, 128) activation, 50 µs
// on one core), counted as 64 multiply-adds a value: a part costs microseconds to hand over.
std::size_t row_parts(std::size_t rows, std::size_t values_per_row) {
  return parallel_parts(rows, 64.0 * static_cast<double>(rows * values_per_row));
}
}  // namespace

// Per row of N = prod(normalized_shape) values: x̂ = (x - mean) · rstd, rstd = 1/√(var + eps),
// y = x̂ ⊙ weight + bias. Backward (see the header) from x, mean and rstd.
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias, float eps) {
  check_layer_norm("layer_norm", x, normalized_shape, weight, bias);
  const std::size_t n = shape_numel(normalized_shape), rows = n == 0 ? 0 : x.numel() / n;
  const float inv_n = 1.0f / static_cast<float>(n);
  const float* px = x.value().data();
  // Absent weight and bias act as ones and zeros, so the row loops have no branches.
  const std::vector<float> ones(weight.defined() ? 0 : n, 1.0f), zeros(bias.defined() ? 0 : n, 0.0f);
  const float* pw = weight.defined() ? weight.value().data() : ones.data();
  const float* pb = bias.defined() ? bias.value().data() : zeros.data();
  Array y = Array::from_shape(x.shape());
  std::vector<float> means(rows), rstds(rows);
  parallel_for(rows, row_parts(rows, n), [&](std::size_t, std::size_t from, std::size_t to) {
    for (std::size_t r = from; r < to; ++r)
      layer_norm_forward_row(px + r * n, pw, pb, eps, inv_n, n, y.data() + r * n, means[r], rstds[r]);
  });
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
                       // Each part sums dw and db over its own rows; the parts' sums are added after.
                       const std::size_t parts = row_parts(rows, 2 * n);
                       std::vector<float> part_dw(parts * n, 0.0f), part_db(parts * n, 0.0f);
                       parallel_for(rows, parts, [&](std::size_t part, std::size_t from, std::size_t to) {
                         std::vector<float> xhat(n), dxhat(n);
                         for (std::size_t r = from; r < to; ++r)
                           layer_norm_backward_row(xv + r * n, g.data() + r * n, w, means[r], rstds[r], inv_n, n,
                                                   xhat.data(), dxhat.data(), part_dw.data() + part * n,
                                                   part_db.data() + part * n, dx.data() + r * n);
                       });
                       Array dw = xt::zeros<float>({n}), db = xt::zeros<float>({n});
                       for (std::size_t part = 0; part < parts; ++part)
                         for (std::size_t j = 0; j < n; ++j) {
                           dw.data()[j] += part_dw[part * n + j];
                           db.data()[j] += part_db[part * n + j];
                         }
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

}  // namespace attograd::fused
