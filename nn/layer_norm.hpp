// nn::LayerNorm: normalises over the trailing dims (mean 0, variance 1), then scales and shifts
// by learned per-element weight and bias, as torch.nn.LayerNorm.
#pragma once

#include <cstddef>
#include <string>

#include <attograd/nn/unary_module.hpp>

namespace attograd::nn {

class LayerNorm : public UnaryModule {
 public:
  // weight starts at ones and bias at zeros, both of normalized_shape.
  explicit LayerNorm(const Shape& normalized_shape, float eps = 1e-5f, bool elementwise_affine = true);
  explicit LayerNorm(std::size_t normalized_size, float eps = 1e-5f, bool elementwise_affine = true);

  // (..., *normalized_shape) -> the same shape
  Tensor forward(const Tensor& input) const override;
  std::string describe() const override;

  Tensor weight;  // normalized_shape, undefined without elementwise_affine
  Tensor bias;    // normalized_shape, undefined without elementwise_affine

 private:
  Shape normalized_shape_;
  float eps_;
};

}  // namespace attograd::nn
