// The composite path of each op or layer function that has a fused twin: the function itself,
// run with fused kernels off. The tests compare these with the default (fused) path.
#pragma once

#include <attograd/core/fused/switch.hpp>
#include <attograd/core/ops/functional.hpp>

namespace attograd {

// f() with fused kernels off: every op it calls records its composite graph.
template <class F>
auto composite_path(F&& f) {
  FusedKernelsGuard off(false);
  return f();
}

inline Tensor softmax_composite(const Tensor& x, int dim) {
  return composite_path([&] { return softmax(x, dim); });
}
inline Tensor log_softmax_composite(const Tensor& x, int dim) {
  return composite_path([&] { return log_softmax(x, dim); });
}
inline Tensor layer_norm_composite(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = {},
                                   const Tensor& bias = {}, float eps = 1e-5f) {
  return composite_path([&] { return layer_norm(x, normalized_shape, weight, bias, eps); });
}
inline Tensor cross_entropy_composite(const Tensor& logits, const Index& targets,
                                      const CrossEntropyOptions& options = {}) {
  return composite_path([&] { return cross_entropy(logits, targets, options); });
}

}  // namespace attograd
