// nn::MaxPool2d, nn::AvgPool2d and nn::AdaptiveAvgPool2d: the core pooling ops as modules, so
// they sit in a Sequential, as torch.nn's. They have no parameters.
#pragma once

#include <optional>
#include <string>

#include <attograd/core/ops/conv.hpp>
#include <attograd/nn/unary_module.hpp>

namespace attograd::nn {

// nn::MaxPool2dOptions{.kernel_size = 2, .stride = 1}
struct MaxPool2dOptions {
  Size2 kernel_size = 0;                       // one number for both dims, or {height, width}
  std::optional<Size2> stride = std::nullopt;  // kernel_size when unset, as PyTorch
  Size2 padding = 0;                           // counts as -inf; at most half of kernel_size
};

// The largest element of each kernel_size window (the gradient goes to it).
class MaxPool2d : public UnaryModule {
 public:
  explicit MaxPool2d(const MaxPool2dOptions& options);
  // kernel_size replaces the one in `options`.
  explicit MaxPool2d(Size2 kernel_size, MaxPool2dOptions options = {});

  // (N, C, H, W) or (C, H, W) -> (N, C, OH, OW), OH = floor((H + 2p - KH) / s) + 1
  Tensor forward(const Tensor& input) const override;
  std::string describe() const override;
  const MaxPool2dOptions& options() const { return options_; }

 private:
  MaxPool2dOptions options_;
  Size2 stride_;  // options_.stride, or kernel_size when unset
};

// nn::AvgPool2dOptions{.kernel_size = 3, .stride = 1, .padding = 1}
struct AvgPool2dOptions {
  Size2 kernel_size = 0;                       // one number for both dims, or {height, width}
  std::optional<Size2> stride = std::nullopt;  // kernel_size when unset, as PyTorch
  Size2 padding = 0;                           // zeros; at most half of kernel_size
  bool count_include_pad = true;               // divide by KH·KW even where the window overlaps the padding
};

// The mean of each kernel_size window.
class AvgPool2d : public UnaryModule {
 public:
  explicit AvgPool2d(const AvgPool2dOptions& options);
  // kernel_size replaces the one in `options`.
  explicit AvgPool2d(Size2 kernel_size, AvgPool2dOptions options = {});

  // (N, C, H, W) or (C, H, W) -> (N, C, OH, OW), OH = floor((H + 2p - KH) / s) + 1
  Tensor forward(const Tensor& input) const override;
  std::string describe() const override;
  const AvgPool2dOptions& options() const { return options_; }

 private:
  AvgPool2dOptions options_;
  Size2 stride_;  // options_.stride, or kernel_size when unset
};

// nn::AdaptiveAvgPool2dOptions{.output_size = {2, 3}}
struct AdaptiveAvgPool2dOptions {
  Size2 output_size = 0;  // one number for both dims, or {height, width}
};

// The mean over output_size bins covering the input, whatever its size (bins as PyTorch's:
// see adaptive_avg_pool2d). AdaptiveAvgPool2d(1) is global average pooling.
class AdaptiveAvgPool2d : public UnaryModule {
 public:
  explicit AdaptiveAvgPool2d(const AdaptiveAvgPool2dOptions& options);
  explicit AdaptiveAvgPool2d(Size2 output_size);

  // (N, C, H, W) or (C, H, W) -> (N, C, OH, OW)
  Tensor forward(const Tensor& input) const override;
  std::string describe() const override;
  const AdaptiveAvgPool2dOptions& options() const { return options_; }

 private:
  AdaptiveAvgPool2dOptions options_;
};

}  // namespace attograd::nn
