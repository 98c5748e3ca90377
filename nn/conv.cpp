// Conv1d and Conv2d: the core conv1d and conv2d ops over registered weights, with PyTorch's
// argument checks and default initialisation.
#include <attograd/nn/conv.hpp>

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/ops/creation.hpp>
#include <attograd/nn/init.hpp>

namespace attograd::nn {

namespace {
std::string pair_str(Size2 s) { return fmt::format("({}, {})", s.h, s.w); }

// The positional constructors' sizes written into the options they forward.
template <class Options, class Kernel>
Options with_sizes(Options options, std::size_t in_channels, std::size_t out_channels, Kernel kernel_size) {
  options.in_channels = in_channels;
  options.out_channels = out_channels;
  options.kernel_size = kernel_size;
  return options;
}

// What both layers check when built; `name` is the layer's type.
void check_channels(const char* name, std::size_t in_channels, std::size_t out_channels, std::size_t groups) {
  if (groups == 0) throw std::invalid_argument(fmt::format("{}: groups must be positive, got 0", name));
  if (in_channels % groups != 0)
    throw std::invalid_argument(
        fmt::format("{}: in_channels {} is not divisible by groups {}", name, in_channels, groups));
  if (out_channels % groups != 0)
    throw std::invalid_argument(
        fmt::format("{}: out_channels {} is not divisible by groups {}", name, out_channels, groups));
}

// The weight and the optional bias, both U(-1/√fan_in, 1/√fan_in): kaiming_uniform_ with
// a = √5 gives the weight's bound √3 · √(1/3) / √fan_in = 1 / √fan_in.
void initialise(Tensor& weight, Tensor& bias) {
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (!bias.defined()) return;
  const std::size_t fan_in = init::calculate_fan_in_and_fan_out(weight).first;
  const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
  init::uniform_(bias, -bound, bound);
}
}  // namespace

Conv1d::Conv1d(const Conv1dOptions& options) : options_(options) {
  const std::size_t in_channels = options.in_channels, out_channels = options.out_channels;
  const std::size_t kernel_size = options.kernel_size;
  check_channels("Conv1d", in_channels, out_channels, options.groups);
  if (kernel_size == 0) throw std::invalid_argument("Conv1d: kernel_size must be positive, got 0");
  if (options.stride <= 0)
    throw std::invalid_argument(fmt::format("Conv1d: stride must be positive, got {}", options.stride));
  if (options.padding < 0)
    throw std::invalid_argument(fmt::format("Conv1d: padding must be non-negative, got {}", options.padding));
  if (options.dilation <= 0)
    throw std::invalid_argument(fmt::format("Conv1d: dilation must be positive, got {}", options.dilation));
  weight = register_parameter("weight", zeros({out_channels, in_channels / options.groups, kernel_size}));
  if (options.bias) bias = register_parameter("bias", zeros({out_channels}));
  reset_parameters();
}

Conv1d::Conv1d(std::size_t in_channels, std::size_t out_channels, std::size_t kernel_size, Conv1dOptions options)
    : Conv1d(with_sizes(options, in_channels, out_channels, kernel_size)) {}

void Conv1d::reset_parameters() { initialise(weight, bias); }

// y[n, o, l] = b[o] + Σ_c Σ_k W[o, c, k] · x[n, c, l·s - p + k·d]     (N, in, L) -> (N, out, Lout)
Tensor Conv1d::forward(const Tensor& input) const {
  const bool batched = input.dim() == 3;
  if (!(batched || input.dim() == 2) || input.shape()[batched ? 1 : 0] != options_.in_channels)
    throw std::invalid_argument(fmt::format("{}: expected input of shape (N, {}, L) or ({}, L), got {}", describe(),
                                            options_.in_channels, options_.in_channels, shape_str(input.shape())));
  return conv1d(input, weight, bias, options_.stride, options_.padding, options_.dilation,
                static_cast<std::int64_t>(options_.groups));
}

std::string Conv1d::describe() const {
  std::string s = fmt::format("Conv1d({}, {}, kernel_size=({},), stride=({},)", options_.in_channels,
                              options_.out_channels, options_.kernel_size, options_.stride);
  if (options_.padding != 0) s += fmt::format(", padding=({},)", options_.padding);
  if (options_.dilation != 1) s += fmt::format(", dilation=({},)", options_.dilation);
  if (options_.groups != 1) s += fmt::format(", groups={}", options_.groups);
  if (!options_.bias) s += ", bias=false";
  return s + ")";
}

Conv2d::Conv2d(const Conv2dOptions& options) : options_(options) {
  const std::size_t in_channels = options.in_channels, out_channels = options.out_channels;
  const Size2 kernel_size = options.kernel_size;
  check_channels("Conv2d", in_channels, out_channels, options.groups);
  if (kernel_size.h <= 0 || kernel_size.w <= 0)
    throw std::invalid_argument(fmt::format("Conv2d: kernel_size must be positive, got {}", pair_str(kernel_size)));
  if (options.stride.h <= 0 || options.stride.w <= 0)
    throw std::invalid_argument(fmt::format("Conv2d: stride must be positive, got {}", pair_str(options.stride)));
  if (options.padding.h < 0 || options.padding.w < 0)
    throw std::invalid_argument(fmt::format("Conv2d: padding must be non-negative, got {}", pair_str(options.padding)));
  if (options.dilation.h <= 0 || options.dilation.w <= 0)
    throw std::invalid_argument(fmt::format("Conv2d: dilation must be positive, got {}", pair_str(options.dilation)));
  weight = register_parameter(
      "weight", zeros({out_channels, in_channels / options.groups, static_cast<std::size_t>(kernel_size.h),
                       static_cast<std::size_t>(kernel_size.w)}));
  if (options.bias) bias = register_parameter("bias", zeros({out_channels}));
  reset_parameters();
}

Conv2d::Conv2d(std::size_t in_channels, std::size_t out_channels, Size2 kernel_size, Conv2dOptions options)
    : Conv2d(with_sizes(options, in_channels, out_channels, kernel_size)) {}

void Conv2d::reset_parameters() { initialise(weight, bias); }

// y[n, o, i, j] = b[o] + Σ_c Σ_ki Σ_kj W[o, c, ki, kj] · x[n, c, i·s - p + ki·d, j·s - p + kj·d]
// (N, in, H, W) -> (N, out, OH, OW)
Tensor Conv2d::forward(const Tensor& input) const {
  const bool batched = input.dim() == 4;
  if (!(batched || input.dim() == 3) || input.shape()[batched ? 1 : 0] != options_.in_channels)
    throw std::invalid_argument(fmt::format("{}: expected input of shape (N, {}, H, W) or ({}, H, W), got {}",
                                            describe(), options_.in_channels, options_.in_channels,
                                            shape_str(input.shape())));
  return conv2d(input, weight, bias, options_.stride, options_.padding, options_.dilation,
                static_cast<std::int64_t>(options_.groups));
}

std::string Conv2d::describe() const {
  std::string s = fmt::format("Conv2d({}, {}, kernel_size={}, stride={}", options_.in_channels, options_.out_channels,
                              pair_str(options_.kernel_size), pair_str(options_.stride));
  if (options_.padding != Size2(0)) s += fmt::format(", padding={}", pair_str(options_.padding));
  if (options_.dilation != Size2(1)) s += fmt::format(", dilation={}", pair_str(options_.dilation));
  if (options_.groups != 1) s += fmt::format(", groups={}", options_.groups);
  if (!options_.bias) s += ", bias=false";
  return s + ")";
}

}  // namespace attograd::nn
