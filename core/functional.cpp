// softmax, log_softmax, dropout and layer_norm, composed from core ops.
#include <attograd/core/functional.hpp>

#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/elementwise.hpp>
#include <attograd/core/random.hpp>
#include <attograd/core/reduction.hpp>

namespace attograd {

Tensor softmax(const Tensor& x, int dim) {
  const Tensor shifted = x - max(x, {dim}, true).detach();  // (.., n, ..) minus (.., 1, ..)
  const Tensor e = exp(shifted);
  return e / sum(e, {dim}, true);
}

Tensor log_softmax(const Tensor& x, int dim) {
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

// y = (x - mean) / √(var + eps) · weight + bias, statistics over the trailing dims
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias, float eps) {
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
