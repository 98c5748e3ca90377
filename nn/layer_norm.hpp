// nn::LayerNorm: normalises over the trailing dims (mean 0, variance 1), then scales and shifts
// by learned per-element weight and bias, as torch.nn.LayerNorm.
#pragma once

#include <cstddef>
#include <string>

#include <attograd/nn/unary_module.hpp>

namespace attograd::nn {

// nn::LayerNormOptions{.normalized_shape = {16}, .eps = 1e-6f}
struct LayerNormOptions {
  Shape normalized_shape;  // the trailing dims normalised over; at least one
  float eps = 1e-5f;       // added to the variance; positive
  bool elementwise_affine = true;
};

class LayerNorm : public UnaryModule {
 public:
  explicit LayerNorm(const LayerNormOptions& options);
  explicit LayerNorm(const Shape& normalized_shape, float eps = 1e-5f, bool elementwise_affine = true);
  explicit LayerNorm(std::size_t normalized_size, float eps = 1e-5f, bool elementwise_affine = true);

  // weight to ones and bias to zeros, both of normalized_shape (no random draws).
  void reset_parameters() override;

  // (..., *normalized_shape) -> the same shape
  Tensor forward(const Tensor& input) const override;
  std::string describe() const override;
  const LayerNormOptions& options() const { return options_; }

  Tensor weight;  // normalized_shape, undefined without elementwise_affine
  Tensor bias;    // normalized_shape, undefined without elementwise_affine

 private:
  LayerNormOptions options_;
};

}  // namespace attograd::nn
