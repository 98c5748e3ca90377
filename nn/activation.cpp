// Activation modules: one core op each; shapes pass through unchanged.
#include <attograd/nn/activation.hpp>

#include <attograd/core/ops/elementwise.hpp>

namespace attograd::nn {

Tensor ReLU::forward(const Tensor& input) const { return relu(input); }

Tensor GELU::forward(const Tensor& input) const { return gelu(input, tanh_approximation_); }
std::string GELU::describe() const { return tanh_approximation_ ? "GELU(approximate=tanh)" : "GELU()"; }

Tensor Tanh::forward(const Tensor& input) const { return tanh(input); }

Tensor Sigmoid::forward(const Tensor& input) const { return sigmoid(input); }

}  // namespace attograd::nn
