// LayerNorm: the core layer_norm op with registered affine parameters.
#include <attograd/nn/layer_norm.hpp>

#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/ops/creation.hpp>
#include <attograd/core/ops/functional.hpp>

namespace attograd::nn {

LayerNorm::LayerNorm(const Shape& normalized_shape, float eps, bool elementwise_affine)
    : normalized_shape_(normalized_shape), eps_(eps) {
  if (normalized_shape.empty())
    throw std::invalid_argument("LayerNorm: normalized_shape must have at least one dim, got ()");
  if (!(eps > 0.0f)) throw std::invalid_argument(fmt::format("LayerNorm: eps must be positive, got {}", eps));
  if (elementwise_affine) {
    weight = register_parameter("weight", ones(normalized_shape));
    bias = register_parameter("bias", zeros(normalized_shape));
  }
}

LayerNorm::LayerNorm(std::size_t normalized_size, float eps, bool elementwise_affine)
    : LayerNorm(Shape{normalized_size}, eps, elementwise_affine) {}

// y = (x - mean) / √(var + eps) · weight + bias, statistics over normalized_shape's dims
Tensor LayerNorm::forward(const Tensor& input) const {
  return layer_norm(input, normalized_shape_, weight, bias, eps_);
}

std::string LayerNorm::describe() const {
  return fmt::format("LayerNorm({}, eps={}, elementwise_affine={})", shape_str(normalized_shape_), eps_,
                     weight.defined());
}

}  // namespace attograd::nn
