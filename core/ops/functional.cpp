// softmax, log_softmax, dropout and layer_norm, composed from core ops. softmax, log_softmax and
// layer_norm hand their work to a fused twin (core/fused/) while fused kernels are on.
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
#include <attograd/core/fused/layer_norm.hpp>
#include <attograd/core/fused/softmax.hpp>
#include <attograd/core/fused/switch.hpp>
#include <attograd/core/kernels/fast_math.hpp>
#include <attograd/core/kernels/loops.hpp>
#include <attograd/core/ops/elementwise.hpp>
#include <attograd/core/ops/reduction.hpp>
#include <attograd/core/random.hpp>

namespace attograd {

// softmax(x)_i = exp(x_i - max) / Σ_j exp(x_j - max) along dim; subtracting the max changes
// nothing but keeps exp from overflowing. Backward: each op below records its own.
Tensor softmax(const Tensor& x, int dim, Where caller) {
  const CallSite call_site(caller);
  if (fused_kernels_enabled()) return fused::softmax(x, dim);  // the same in one op (core/fused/softmax.hpp)
  if (x.shape()[normalize_dim("softmax", dim, x.dim())] == 0) return x * 1.0f;  // empty, as PyTorch
  const Tensor shifted = x - max(x, {dim}, true).detach();                      // (.., n, ..) minus (.., 1, ..)
  const Tensor e = exp(shifted);
  return e / sum(e, {dim}, true);
}

// log softmax(x)_i = x_i - max - log Σ_j exp(x_j - max): stable for any logits.
Tensor log_softmax(const Tensor& x, int dim, Where caller) {
  const CallSite call_site(caller);
  if (fused_kernels_enabled()) return fused::log_softmax(x, dim);
  if (x.shape()[normalize_dim("log_softmax", dim, x.dim())] == 0) return x * 1.0f;
  const Tensor shifted = x - max(x, {dim}, true).detach();
  return shifted - log(sum(exp(shifted), {dim}, true));
}

Tensor dropout(const Tensor& x, float p, bool training, Generator* gen, Where caller) {
  const CallSite call_site(caller);
  if (!(p >= 0.0f && p <= 1.0f)) throw std::invalid_argument(fmt::format("dropout: p must be in [0, 1], got {}", p));
  if (!training || p == 0.0f) return x;
  Generator& g = gen ? *gen : default_generator();
  const float scale = p == 1.0f ? 0.0f : 1.0f / (1.0f - p);
  Array keep = Array::from_shape(x.shape());
  for (float& k : keep) k = g.uniform() < p ? 0.0f : scale;
  return x * Tensor(std::move(keep));
}

// y = (x - mean) / √(var + eps) · weight + bias, statistics over the trailing dims
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias, float eps,
                  Where caller) {
  const CallSite call_site(caller);
  check_layer_norm("layer_norm", x, normalized_shape, weight, bias);
  if (fused_kernels_enabled()) return fused::layer_norm(x, normalized_shape, weight, bias, eps);
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

}  // namespace attograd
