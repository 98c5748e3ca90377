// nn::init: the weight initialisers of torch.nn.init. All draw from attograd's seeded default
// generator. Those named with a trailing underscore, as PyTorch's, fill a tensor in place
// (through mutable_value, outside any graph) and return the same handle so they can be written
// inline; uniform_fan_in, without one, returns a new tensor.
#pragma once

#include <cstddef>
#include <utility>

#include <attograd/core/tensor.hpp>

namespace attograd::nn::init {

enum class Nonlinearity { Linear, Conv, Sigmoid, Tanh, ReLU, LeakyReLU, SELU };
enum class FanMode { FanIn, FanOut };

// The gain that keeps activations' variance steady through the nonlinearity, as PyTorch:
// linear/conv/sigmoid 1, tanh 5/3, relu √2, leaky_relu √(2 / (1 + slope²)), selu 3/4.
// `param` is leaky_relu's negative slope.
double calculate_gain(Nonlinearity nonlinearity, double param = 0.01);

// fan_in = size(1) · receptive field, fan_out = size(0) · receptive field, where the
// receptive field is the product of the dims after the first two. Needs 2+ dims.
std::pair<std::size_t, std::size_t> calculate_fan_in_and_fan_out(const Tensor& tensor);

Tensor uniform_(Tensor tensor, double low = 0.0, double high = 1.0);    // U(low, high)
Tensor normal_(Tensor tensor, double mean = 0.0, double stddev = 1.0);  // N(mean, std²)
Tensor constant_(Tensor tensor, double value);
Tensor zeros_(Tensor tensor);
Tensor ones_(Tensor tensor);

// U(-1/√fan_in, 1/√fan_in): PyTorch's default for Linear biases and for every GRU/LSTM weight
// (fan_in = hidden_size), and the attention layers' here. uniform_fan_in_ fills `tensor` in
// place (what reset_parameters uses); uniform_fan_in returns a new tensor of `shape`, with the
// same draws.
Tensor uniform_fan_in_(Tensor tensor, std::size_t fan_in);
Tensor uniform_fan_in(const Shape& shape, std::size_t fan_in);

// Glorot & Bengio: std = gain · √(2 / (fan_in + fan_out)); the uniform bound is √3 · std.
Tensor xavier_uniform_(Tensor tensor, double gain = 1.0);
Tensor xavier_normal_(Tensor tensor, double gain = 1.0);

// He et al.: std = gain / √fan, gain = calculate_gain(nonlinearity, a); the uniform bound is
// √3 · std. With a = √5 (what nn::Linear uses) the bound becomes 1 / √fan_in.
Tensor kaiming_uniform_(Tensor tensor, double a = 0.0, FanMode mode = FanMode::FanIn,
                        Nonlinearity nonlinearity = Nonlinearity::LeakyReLU);
Tensor kaiming_normal_(Tensor tensor, double a = 0.0, FanMode mode = FanMode::FanIn,
                       Nonlinearity nonlinearity = Nonlinearity::LeakyReLU);

}  // namespace attograd::nn::init
