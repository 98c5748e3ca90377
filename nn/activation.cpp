// Activation modules: one core op each; shapes pass through unchanged.
#include <attograd/nn/activation.hpp>

#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/ops/elementwise.hpp>

namespace attograd::nn {

Tensor ReLU::forward(const Tensor& input) const { return relu(input); }

GELU::GELU(const GELUOptions& options) : options_(options), tanh_approximation_(options.approximate == "tanh") {
  if (options.approximate != "none" && options.approximate != "tanh")
    throw std::invalid_argument(
        fmt::format("GELU: approximate must be \"none\" or \"tanh\", got \"{}\"", options.approximate));
}

GELU::GELU(bool tanh_approximation) : GELU(GELUOptions{.approximate = tanh_approximation ? "tanh" : "none"}) {}

Tensor GELU::forward(const Tensor& input) const { return gelu(input, tanh_approximation_); }
std::string GELU::describe() const { return tanh_approximation_ ? "GELU(approximate=tanh)" : "GELU()"; }

Tensor Tanh::forward(const Tensor& input) const { return tanh(input); }

Tensor Sigmoid::forward(const Tensor& input) const { return sigmoid(input); }

}  // namespace attograd::nn
