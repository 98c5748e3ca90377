// The torch.nn.init formulas, drawing from the default generator.
#include <attograd/nn/init.hpp>

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/random.hpp>

namespace attograd::nn::init {

namespace {
Array& values_of(Tensor& tensor, const char* op) {
  if (!tensor.defined()) throw std::invalid_argument(fmt::format("{}: the tensor is undefined", op));
  return tensor.mutable_value();
}

std::size_t fan(const Tensor& tensor, FanMode mode) {
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  return mode == FanMode::FanIn ? fan_in : fan_out;
}

double kaiming_std(const Tensor& tensor, double a, FanMode mode, Nonlinearity nonlinearity) {
  return calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(fan(tensor, mode)));
}

// Like PyTorch, the fan-based initialisers leave a tensor with no elements alone (its fans
// may be 0, and there is nothing to fill).
bool is_empty(const Tensor& tensor) { return tensor.defined() && tensor.numel() == 0; }

double xavier_std(const Tensor& tensor, double gain) {
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  return gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
}
}  // namespace

double calculate_gain(Nonlinearity nonlinearity, double param) {
  switch (nonlinearity) {
    case Nonlinearity::Linear:
    case Nonlinearity::Conv:
    case Nonlinearity::Sigmoid:
      return 1.0;
    case Nonlinearity::Tanh:
      return 5.0 / 3.0;
    case Nonlinearity::ReLU:
      return std::sqrt(2.0);
    case Nonlinearity::LeakyReLU:
      return std::sqrt(2.0 / (1.0 + param * param));
    case Nonlinearity::SELU:
      return 3.0 / 4.0;
  }
  throw std::invalid_argument("calculate_gain: unknown nonlinearity");
}

std::pair<std::size_t, std::size_t> calculate_fan_in_and_fan_out(const Tensor& tensor) {
  if (tensor.dim() < 2)
    throw std::invalid_argument(fmt::format("calculate_fan_in_and_fan_out: needs a tensor with 2+ dims, got shape {}",
                                            shape_str(tensor.shape())));
  std::size_t receptive_field = 1;
  for (std::size_t d = 2; d < tensor.dim(); ++d) receptive_field *= tensor.shape()[d];
  return {tensor.shape()[1] * receptive_field, tensor.shape()[0] * receptive_field};
}

Tensor uniform_(Tensor tensor, double low, double high) {
  if (!(low <= high)) throw std::invalid_argument(fmt::format("uniform_: low {} must not exceed high {}", low, high));
  Generator& g = default_generator();
  for (float& v : values_of(tensor, "uniform_")) v = g.uniform(static_cast<float>(low), static_cast<float>(high));
  return tensor;
}

Tensor normal_(Tensor tensor, double mean, double stddev) {
  if (!(stddev >= 0.0)) throw std::invalid_argument(fmt::format("normal_: std must be non-negative, got {}", stddev));
  Generator& g = default_generator();
  for (float& v : values_of(tensor, "normal_")) v = static_cast<float>(mean + stddev * static_cast<double>(g.normal()));
  return tensor;
}

Tensor constant_(Tensor tensor, double value) {
  for (float& v : values_of(tensor, "constant_")) v = static_cast<float>(value);
  return tensor;
}

Tensor zeros_(Tensor tensor) { return constant_(std::move(tensor), 0.0); }
Tensor ones_(Tensor tensor) { return constant_(std::move(tensor), 1.0); }

Tensor uniform_fan_in_(Tensor tensor, std::size_t fan_in) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  return uniform_(std::move(tensor), -bound, bound);
}

Tensor uniform_fan_in(const Shape& shape, std::size_t fan_in) {
  return uniform_fan_in_(Tensor(Array(xt::zeros<float>(shape))), fan_in);
}

Tensor xavier_uniform_(Tensor tensor, double gain) {
  if (is_empty(tensor)) return tensor;
  const double bound = std::sqrt(3.0) * xavier_std(tensor, gain);
  return uniform_(std::move(tensor), -bound, bound);
}

Tensor xavier_normal_(Tensor tensor, double gain) {
  if (is_empty(tensor)) return tensor;
  const double stddev = xavier_std(tensor, gain);
  return normal_(std::move(tensor), 0.0, stddev);
}

Tensor kaiming_uniform_(Tensor tensor, double a, FanMode mode, Nonlinearity nonlinearity) {
  if (is_empty(tensor)) return tensor;
  const double bound = std::sqrt(3.0) * kaiming_std(tensor, a, mode, nonlinearity);
  return uniform_(std::move(tensor), -bound, bound);
}

Tensor kaiming_normal_(Tensor tensor, double a, FanMode mode, Nonlinearity nonlinearity) {
  if (is_empty(tensor)) return tensor;
  const double stddev = kaiming_std(tensor, a, mode, nonlinearity);
  return normal_(std::move(tensor), 0.0, stddev);
}

}  // namespace attograd::nn::init
