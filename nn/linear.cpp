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

Linear::Linear(const LinearOptions& options) : options_(options) {
  weight = register_parameter("weight", zeros({options.out_features, options.in_features}));
  if (options.bias) bias = register_parameter("bias", zeros({options.out_features}));
  reset_parameters();
}

// `use_bias` is the header's `bias`, renamed here only so it does not shadow the member.
Linear::Linear(std::size_t in_features, std::size_t out_features, bool use_bias)
    : Linear(LinearOptions{.in_features = in_features, .out_features = out_features, .bias = use_bias}) {}

void Linear::reset_parameters() {
  init::kaiming_uniform_(weight, std::sqrt(5.0));  // bound = √3 · √(1/3) / √in = 1 / √in
  if (!bias.defined()) return;
  const std::size_t in = options_.in_features;
  const double bound = in > 0 ? 1.0 / std::sqrt(static_cast<double>(in)) : 0.0;
  init::uniform_(bias, -bound, bound);
}

// y = x Wᵀ + b     (..., in) @ (in, out) -> (..., out)
Tensor Linear::forward(const Tensor& input) const {
  if (input.dim() == 0 || input.shape().back() != options_.in_features)
    throw std::invalid_argument(fmt::format("{}: expected input of shape (..., {}), got {}", describe(),
                                            options_.in_features, shape_str(input.shape())));
  return attograd::linear(input, weight, bias);  // (..., in) -> (..., out)
}

std::string Linear::describe() const {
  return fmt::format("Linear(in_features={}, out_features={}, bias={})", options_.in_features, options_.out_features,
                     bias.defined());
}

}  // namespace attograd::nn
