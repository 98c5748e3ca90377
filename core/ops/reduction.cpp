// Reductions. sum is the primitive (its backward broadcasts the gradient back); mean and var
// are composed from it; max sends the gradient to the winning position.
#include <attograd/core/ops/reduction.hpp>

#include <cmath>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/autograd.hpp>
#include <attograd/core/kernels/loops.hpp>
#include <attograd/core/ops/elementwise.hpp>
#include <attograd/core/ops/shape_ops.hpp>

namespace attograd {

using Inputs = std::vector<Tensor>;

namespace {
// The input shape with every reduced dim set to 1, e.g. (2, 3, 4) over {1} -> (2, 1, 4).
Shape keepdim_shape(const Shape& shape, const std::vector<std::size_t>& reduced) {
  Shape out = shape;
  for (std::size_t d : reduced) out[d] = 1;
  return out;
}

Shape result_shape(const Shape& shape, const std::vector<std::size_t>& reduced, bool keepdim) {
  if (keepdim) return keepdim_shape(shape, reduced);
  Shape out;
  for (std::size_t d = 0; d < shape.size(); ++d)
    if (std::find(reduced.begin(), reduced.end(), d) == reduced.end()) out.push_back(shape[d]);
  return out;
}

void reshape_in_place(Array& a, const Shape& shape) { a.reshape(shape); }

void require_nonempty(const char* op, const Tensor& x, const std::vector<std::size_t>& reduced) {
  for (std::size_t d : reduced)
    if (x.shape()[d] == 0)
      throw std::invalid_argument(
          fmt::format("{}: cannot reduce over dim {} of size 0 in a tensor of shape {}", op, d, shape_str(x.shape())));
}
}  // namespace

// y = Σ x over dims        dy/dx = 1: the gradient is broadcast back to x's shape
Tensor sum(const Tensor& x, const Dims& dims, bool keepdim, Where caller) {
  const CallSite call_site(caller);
  const auto reduced = normalize_dims("sum", dims, x.dim());
  const Shape kept = keepdim_shape(x.shape(), reduced);
  Array out = sum_to(x.value(), kept);
  reshape_in_place(out, result_shape(x.shape(), reduced, keepdim));
  return make_result("sum", std::move(out), {x}, [kept](const Array& g, const Array&, const Inputs& in) {
    Array g_kept = g;
    g_kept.reshape(kept);
    accumulate_grad(in[0], expand_array(g_kept, in[0].shape()));
  });
}

// y = Σ x / n
Tensor mean(const Tensor& x, const Dims& dims, bool keepdim, Where caller) {
  const CallSite call_site(caller);
  const auto reduced = normalize_dims("mean", dims, x.dim());
  require_nonempty("mean", x, reduced);
  std::size_t n = 1;
  for (std::size_t d : reduced) n *= x.shape()[d];
  return sum(x, dims, keepdim) * (1.0f / static_cast<float>(n));
}

namespace {
// y = max x over dims      dy/dx = 1 at the winning position, 0 elsewhere
Tensor extremum(const char* op, const Tensor& x, const Dims& dims, bool keepdim, bool largest) {
  const auto reduced = normalize_dims(op, dims, x.dim());
  require_nonempty(op, x, reduced);
  const Shape kept = keepdim_shape(x.shape(), reduced);
  Array best = Array::from_shape(kept);
  std::fill(best.begin(), best.end(),
            largest ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity());
  std::vector<std::size_t> winner(best.size(), 0);
  std::vector<bool> seen(best.size(), false);
  const float* px = x.value().data();
  float* pb = best.data();
  for_each_offset<2>(x.shape(), {contiguous_strides(x.shape()), broadcast_strides(kept, x.shape())}, {0, 0},
                     [&](const std::array<std::size_t, 2>& at) {
                       const float v = px[at[0]];
                       const float b = pb[at[1]];
                       const bool better = largest ? v > b : v < b;
                       if (!seen[at[1]] || (better && !std::isnan(b)) || (std::isnan(v) && !std::isnan(b))) {
                         pb[at[1]] = v;
                         winner[at[1]] = at[0];
                         seen[at[1]] = true;
                       }
                     });
  reshape_in_place(best, result_shape(x.shape(), reduced, keepdim));
  return make_result(op, std::move(best), {x}, [winner](const Array& g, const Array&, const Inputs& in) {
    Array dx = xt::zeros<float>(in[0].shape());
    for (std::size_t i = 0; i < winner.size(); ++i) dx.data()[winner[i]] += g.data()[i];
    accumulate_grad(in[0], std::move(dx));
  });
}
}  // namespace

Tensor max(const Tensor& x, const Dims& dims, bool keepdim, Where caller) {
  const CallSite call_site(caller);
  return extremum("max", x, dims, keepdim, true);
}
Tensor min(const Tensor& x, const Dims& dims, bool keepdim, Where caller) {
  const CallSite call_site(caller);
  return extremum("min", x, dims, keepdim, false);
}

// var = Σ (x - mean)² / (n - correction)
Tensor var(const Tensor& x, const Dims& dims, int correction, bool keepdim, Where caller) {
  const CallSite call_site(caller);
  const auto reduced = normalize_dims("var", dims, x.dim());
  require_nonempty("var", x, reduced);
  std::size_t n = 1;
  for (std::size_t d : reduced) n *= x.shape()[d];
  if (correction < 0) throw std::invalid_argument(fmt::format("var: correction must be >= 0, got {}", correction));
  const Tensor centred = x - mean(x, dims, true);
  const float denominator = std::max(0.0f, static_cast<float>(n) - static_cast<float>(correction));
  return sum(centred * centred, dims, keepdim) / denominator;  // n <= correction gives inf/NaN, as PyTorch
}

Index argmax(const Tensor& x, int dim, bool keepdim) {
  const std::size_t d = normalize_dim("argmax", dim, x.dim());
  if (x.dim() > 0 && x.shape()[d] == 0)
    throw std::invalid_argument(fmt::format("argmax: dim {} of shape {} is empty", dim, shape_str(x.shape())));
  const Shape& s = x.shape();
  std::size_t outer = 1, inner = 1;
  for (std::size_t i = 0; i < d; ++i) outer *= s[i];
  for (std::size_t i = d + 1; i < s.size(); ++i) inner *= s[i];
  const std::size_t n = s.empty() ? 1 : s[d];
  Shape out_shape = s;
  if (!s.empty()) {
    if (keepdim)
      out_shape[d] = 1;
    else
      out_shape.erase(out_shape.begin() + static_cast<std::ptrdiff_t>(d));
  }
  Index out = Index::from_shape(out_shape);
  const float* px = x.value().data();
  for (std::size_t o = 0; o < outer; ++o)
    for (std::size_t i = 0; i < inner; ++i) {
      std::size_t best = 0;
      for (std::size_t k = 1; k < n; ++k) {
        const float v = px[(o * n + k) * inner + i], b = px[(o * n + best) * inner + i];
        if ((v > b && !std::isnan(b)) || (std::isnan(v) && !std::isnan(b))) best = k;
      }
      out.data()[o * inner + i] = static_cast<std::int64_t>(best);
    }
  return out;
}

Index argmax(const Tensor& x) {
  if (x.numel() == 0) throw std::invalid_argument("argmax: cannot take the argmax of an empty tensor");
  Tensor flat = reshape(x.detach(), {-1});
  return argmax(flat, 0, false);
}

}  // namespace attograd
