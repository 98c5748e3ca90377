// The pooling modules: each checks its window when built and calls one core op.
#include <attograd/nn/pooling.hpp>

#include <stdexcept>

#include <fmt/format.h>

namespace attograd::nn {

namespace {
std::string pair_str(Size2 s) { return fmt::format("({}, {})", s.h, s.w); }

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

MaxPool2d::MaxPool2d(Size2 kernel_size, const MaxPool2dOptions& options)
    : kernel_size_(kernel_size), stride_(options.stride.value_or(kernel_size)), padding_(options.padding) {
  check_window("MaxPool2d", kernel_size_, stride_, padding_);
}

Tensor MaxPool2d::forward(const Tensor& input) const { return max_pool2d(input, kernel_size_, stride_, padding_); }

std::string MaxPool2d::describe() const {
  return fmt::format("MaxPool2d(kernel_size={}, stride={}, padding={})", pair_str(kernel_size_), pair_str(stride_),
                     pair_str(padding_));
}

AvgPool2d::AvgPool2d(Size2 kernel_size, const AvgPool2dOptions& options)
    : kernel_size_(kernel_size),
      stride_(options.stride.value_or(kernel_size)),
      padding_(options.padding),
      count_include_pad_(options.count_include_pad) {
  check_window("AvgPool2d", kernel_size_, stride_, padding_);
}

Tensor AvgPool2d::forward(const Tensor& input) const {
  return avg_pool2d(input, kernel_size_, stride_, padding_, count_include_pad_);
}

std::string AvgPool2d::describe() const {
  return fmt::format("AvgPool2d(kernel_size={}, stride={}, padding={}, count_include_pad={})", pair_str(kernel_size_),
                     pair_str(stride_), pair_str(padding_), count_include_pad_);
}

AdaptiveAvgPool2d::AdaptiveAvgPool2d(Size2 output_size) : output_size_(output_size) {
  if (output_size.h <= 0 || output_size.w <= 0)
    throw std::invalid_argument(
        fmt::format("AdaptiveAvgPool2d: output_size must be positive, got {}", pair_str(output_size)));
}

Tensor AdaptiveAvgPool2d::forward(const Tensor& input) const { return adaptive_avg_pool2d(input, output_size_); }

std::string AdaptiveAvgPool2d::describe() const {
  return fmt::format("AdaptiveAvgPool2d(output_size={})", pair_str(output_size_));
}

}  // namespace attograd::nn
