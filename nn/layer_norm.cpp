// LayerNorm: the core layer_norm op with registered affine parameters.
#include <attograd/nn/layer_norm.hpp>

#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/ops/creation.hpp>
#include <attograd/core/ops/functional.hpp>
#include <attograd/nn/init.hpp>

namespace attograd::nn {

LayerNorm::LayerNorm(const LayerNormOptions& options) : options_(options) {
  if (options.normalized_shape.empty())
    throw std::invalid_argument("LayerNorm: normalized_shape must have at least one dim, got ()");
  if (!(options.eps > 0.0f))
    throw std::invalid_argument(fmt::format("LayerNorm: eps must be positive, got {}", options.eps));
  if (options.elementwise_affine) {
    weight = register_parameter("weight", ones(options.normalized_shape));
    bias = register_parameter("bias", zeros(options.normalized_shape));
  }
  reset_parameters();
}

LayerNorm::LayerNorm(const Shape& normalized_shape, float eps, bool elementwise_affine)
    : LayerNorm(LayerNormOptions{
          .normalized_shape = normalized_shape, .eps = eps, .elementwise_affine = elementwise_affine}) {}

LayerNorm::LayerNorm(std::size_t normalized_size, float eps, bool elementwise_affine)
    : LayerNorm(Shape{normalized_size}, eps, elementwise_affine) {}

void LayerNorm::reset_parameters() {
  if (!options_.elementwise_affine) return;
  init::ones_(weight);
  init::zeros_(bias);
}

// y = (x - mean) / √(var + eps) · weight + bias, statistics over normalized_shape's dims
Tensor LayerNorm::forward(const Tensor& input) const {
  return layer_norm(input, options_.normalized_shape, weight, bias, options_.eps);
}

std::string LayerNorm::describe() const {
  return fmt::format("LayerNorm({}, eps={}, elementwise_affine={})", shape_str(options_.normalized_shape), options_.eps,
                     weight.defined());
}

}  // namespace attograd::nn
