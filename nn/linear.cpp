// Linear: one matmul against the transposed weight, then the broadcast bias.
#include <attograd/nn/linear.hpp>

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/ops/creation.hpp>
#include <attograd/core/ops/elementwise.hpp>
#include <attograd/core/ops/linalg.hpp>
#include <attograd/core/ops/shape_ops.hpp>
#include <attograd/nn/init.hpp>

namespace attograd::nn {

Linear::Linear(std::size_t in_features, std::size_t out_features, bool with_bias)
    : in_features_(in_features), out_features_(out_features) {
  weight = register_parameter("weight", zeros({out_features, in_features}));
  init::kaiming_uniform_(weight, std::sqrt(5.0));  // bound = √3 · √(1/3) / √in = 1 / √in
  if (with_bias) {
    const double bound = in_features > 0 ? 1.0 / std::sqrt(static_cast<double>(in_features)) : 0.0;
    bias = register_parameter("bias", zeros({out_features}));
    init::uniform_(bias, -bound, bound);
  }
}

// y = x Wᵀ + b     (..., in) @ (in, out) -> (..., out)
Tensor Linear::forward(const Tensor& input) const {
  if (input.dim() == 0 || input.shape().back() != in_features_)
    throw std::invalid_argument(fmt::format("{}: expected input of shape (..., {}), got {}", describe(), in_features_,
                                            shape_str(input.shape())));
  return attograd::linear(input, weight, bias);  // (..., in) -> (..., out)
}

std::string Linear::describe() const {
  return fmt::format("Linear(in_features={}, out_features={}, bias={})", in_features_, out_features_, bias.defined());
}

}  // namespace attograd::nn
