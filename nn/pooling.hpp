// nn::MaxPool2d, nn::AvgPool2d and nn::AdaptiveAvgPool2d: the core pooling ops as modules, so
// they sit in a Sequential, as torch.nn's. They have no parameters.
#pragma once

#include <optional>
#include <string>

#include <attograd/core/ops/conv.hpp>
#include <attograd/nn/unary_module.hpp>

namespace attograd::nn {

struct MaxPool2dOptions {
  std::optional<Size2> stride = std::nullopt;  // kernel_size when unset, as PyTorch
  Size2 padding = 0;                           // counts as -inf; at most half of kernel_size
};

// The largest element of each kernel_size window (the gradient goes to it).
class MaxPool2d : public UnaryModule {
 public:
  explicit MaxPool2d(Size2 kernel_size, const MaxPool2dOptions& options = {});

  // (N, C, H, W) or (C, H, W) -> (N, C, OH, OW), OH = floor((H + 2p - KH) / s) + 1
  Tensor forward(const Tensor& input) const override;
  std::string describe() const override;

 private:
  Size2 kernel_size_, stride_, padding_;
};

struct AvgPool2dOptions {
  std::optional<Size2> stride = std::nullopt;  // kernel_size when unset, as PyTorch
  Size2 padding = 0;                           // zeros; at most half of kernel_size
  bool count_include_pad = true;               // divide by KH·KW even where the window overlaps the padding
};

// The mean of each kernel_size window.
class AvgPool2d : public UnaryModule {
 public:
  explicit AvgPool2d(Size2 kernel_size, const AvgPool2dOptions& options = {});

  // (N, C, H, W) or (C, H, W) -> (N, C, OH, OW), OH = floor((H + 2p - KH) / s) + 1
  Tensor forward(const Tensor& input) const override;
  std::string describe() const override;

 private:
  Size2 kernel_size_, stride_, padding_;
  bool count_include_pad_;
};

// The mean over output_size bins covering the input, whatever its size (bins as PyTorch's:
// see adaptive_avg_pool2d). AdaptiveAvgPool2d(1) is global average pooling.
class AdaptiveAvgPool2d : public UnaryModule {
 public:
  explicit AdaptiveAvgPool2d(Size2 output_size);

  // (N, C, H, W) or (C, H, W) -> (N, C, OH, OW)
  Tensor forward(const Tensor& input) const override;
  std::string describe() const override;

 private:
  Size2 output_size_;
};

}  // namespace attograd::nn
