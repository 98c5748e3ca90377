// The pooling modules: each checks its window when built and calls one core op.
#include <attograd/nn/pooling.hpp>

#include <stdexcept>

#include <fmt/format.h>

namespace attograd::nn {

namespace {
std::string pair_str(Size2 s) { return fmt::format("({}, {})", s.h, s.w); }

// The positional constructors' kernel_size written into the options they forward.
template <class Options>
Options with_kernel(Options options, Size2 kernel_size) {
  options.kernel_size = kernel_size;
  return options;
}

// kernel_size and stride positive, padding in [0, kernel_size / 2], as PyTorch requires;
// `name` is the layer's type.
void check_window(const char* name, Size2 kernel_size, Size2 stride, Size2 padding) {
  if (kernel_size.h <= 0 || kernel_size.w <= 0)
    throw std::invalid_argument(fmt::format("{}: kernel_size must be positive, got {}", name, pair_str(kernel_size)));
  if (stride.h <= 0 || stride.w <= 0)
    throw std::invalid_argument(fmt::format("{}: stride must be positive, got {}", name, pair_str(stride)));
  if (padding.h < 0 || padding.w < 0 || padding.h > kernel_size.h / 2 || padding.w > kernel_size.w / 2)
    throw std::invalid_argument(fmt::format("{}: padding {} must be between 0 and half of kernel_size {}", name,
                                            pair_str(padding), pair_str(kernel_size)));
}
}  // namespace

MaxPool2d::MaxPool2d(const MaxPool2dOptions& options)
    : options_(options), stride_(options.stride.value_or(options.kernel_size)) {
  check_window("MaxPool2d", options.kernel_size, stride_, options.padding);
}

MaxPool2d::MaxPool2d(Size2 kernel_size, MaxPool2dOptions options) : MaxPool2d(with_kernel(options, kernel_size)) {}

Tensor MaxPool2d::forward(const Tensor& input) const {
  return max_pool2d(input, options_.kernel_size, stride_, options_.padding);
}

std::string MaxPool2d::describe() const {
  return fmt::format("MaxPool2d(kernel_size={}, stride={}, padding={})", pair_str(options_.kernel_size),
                     pair_str(stride_), pair_str(options_.padding));
}

AvgPool2d::AvgPool2d(const AvgPool2dOptions& options)
    : options_(options), stride_(options.stride.value_or(options.kernel_size)) {
  check_window("AvgPool2d", options.kernel_size, stride_, options.padding);
}

AvgPool2d::AvgPool2d(Size2 kernel_size, AvgPool2dOptions options) : AvgPool2d(with_kernel(options, kernel_size)) {}

Tensor AvgPool2d::forward(const Tensor& input) const {
  return avg_pool2d(input, options_.kernel_size, stride_, options_.padding, options_.count_include_pad);
}

std::string AvgPool2d::describe() const {
  return fmt::format("AvgPool2d(kernel_size={}, stride={}, padding={}, count_include_pad={})",
                     pair_str(options_.kernel_size), pair_str(stride_), pair_str(options_.padding),
                     options_.count_include_pad);
}

AdaptiveAvgPool2d::AdaptiveAvgPool2d(const AdaptiveAvgPool2dOptions& options) : options_(options) {
  if (options.output_size.h <= 0 || options.output_size.w <= 0)
    throw std::invalid_argument(
        fmt::format("AdaptiveAvgPool2d: output_size must be positive, got {}", pair_str(options.output_size)));
}

AdaptiveAvgPool2d::AdaptiveAvgPool2d(Size2 output_size)
    : AdaptiveAvgPool2d(AdaptiveAvgPool2dOptions{.output_size = output_size}) {}

Tensor AdaptiveAvgPool2d::forward(const Tensor& input) const {
  return adaptive_avg_pool2d(input, options_.output_size);
}

std::string AdaptiveAvgPool2d::describe() const {
  return fmt::format("AdaptiveAvgPool2d(output_size={})", pair_str(options_.output_size));
}

}  // namespace attograd::nn
