// The forward computes y from x eagerly; the backward, written directly below it, turns the
// gradient of the loss with respect to y (g) into the gradient with respect to x:
//
//   ∂L/∂s_i = Σ_j g_j ∂y_j/∂s_i = g_i / Z - Σ_j g_j s_j / Z² = (g_i - Σ_j g_j y_j) / Z
//   ∂L/∂x_i = ∂L/∂s_i · σ'(x_i) = s_i (1 - s_i) (g_i - Σ_j g_j y_j) / Z
#include "smooth_focus.hpp"

#include <cmath>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

namespace extending {

using attograd::Array;
using attograd::Tensor;

namespace {
float logistic(float x) { return 1.0f / (1.0f + std::exp(-x)); }  // σ(-inf) = 0, σ(lowest) = 0
}  // namespace

Tensor smooth_focus(const Tensor& x, attograd::Where caller) {
  const attograd::CallSite call_site(caller);  // names the op in errors, to_dot and the profiler
  if (x.dim() == 0) throw std::invalid_argument("smooth_focus: expected scores (…, S), got a 0-dim tensor");
  const std::size_t S = x.shape().back(), rows = S == 0 ? 0 : x.value().size() / S;

  // Forward: y = σ(x) / Σ σ(x), one row of S scores at a time.
  Array y = Array::from_shape(x.shape());
  const float* xs = x.value().data();
  for (std::size_t r = 0; r < rows; ++r) {
    float Z = 0.0f;
    for (std::size_t j = 0; j < S; ++j) Z += y.data()[r * S + j] = logistic(xs[r * S + j]);
    for (std::size_t j = 0; j < S; ++j) y.data()[r * S + j] = Z > 0.0f ? y.data()[r * S + j] / Z : 0.0f;
  }

  // Backward: g = ∂L/∂y arrives with the output y and the inputs; it captures only two sizes
  // (never the input Tensors, which it is handed, so no reference cycle can form).
  auto backward = [S, rows](const Array& g, const Array& out, const std::vector<Tensor>& in) {
    const float* xv = in[0].value().data();
    Array dx = Array::from_shape(out.shape());
    for (std::size_t r = 0; r < rows; ++r) {
      const float *gr = g.data() + r * S, *yr = out.data() + r * S;
      float Z = 0.0f, gy = 0.0f;  // Z = Σ_j s_j,  gy = Σ_j g_j y_j
      for (std::size_t j = 0; j < S; ++j) Z += logistic(xv[r * S + j]), gy += gr[j] * yr[j];
      for (std::size_t j = 0; j < S; ++j) {
        const float s = logistic(xv[r * S + j]);
        dx.data()[r * S + j] = Z > 0.0f ? s * (1.0f - s) * (gr[j] - gy) / Z : 0.0f;
      }
    }
    attograd::accumulate_grad(in[0], std::move(dx));  // += into x's gradient
  };
  // make_result records the op in the graph when gradients are on and x requires one;
  // otherwise it returns a plain tensor and drops `backward`.
  return attograd::make_result("smooth_focus", std::move(y), {x}, backward);
}

}  // namespace extending
