// nn::Conv1d and nn::Conv2d: learned convolutions over sequences (N, C, L) and images
// (N, C, H, W), as torch.nn.Conv1d and torch.nn.Conv2d, on the core conv1d and conv2d ops.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <attograd/core/ops/conv.hpp>
#include <attograd/nn/unary_module.hpp>

namespace attograd::nn {

// nn::Conv1dOptions{.in_channels = 2, .out_channels = 4, .kernel_size = 3, .padding = 1}
struct Conv1dOptions {
  std::size_t in_channels = 0;
  std::size_t out_channels = 0;
  std::size_t kernel_size = 0;
  std::int64_t stride = 1;
  std::int64_t padding = 0;  // zeros on both ends
  std::int64_t dilation = 1;
  std::size_t groups = 1;  // must divide in_channels and out_channels
  bool bias = true;
};

class Conv1d : public UnaryModule {
 public:
  explicit Conv1d(const Conv1dOptions& options);
  // The sizes given here replace those in `options`.
  Conv1d(std::size_t in_channels, std::size_t out_channels, std::size_t kernel_size, Conv1dOptions options = {});

  // weight (out, in / groups, K) and bias (out), both U(-1/√fan_in, 1/√fan_in) with
  // fan_in = in / groups · K, as PyTorch initialises them (kaiming_uniform_ with a = √5).
  void reset_parameters() override;

  // (N, in, L) or unbatched (in, L) -> (N, out, Lout), Lout = floor((L + 2p - d(K - 1) - 1) / s) + 1
  Tensor forward(const Tensor& input) const override;
  std::string describe() const override;
  const Conv1dOptions& options() const { return options_; }

  Tensor weight;  // (out, in / groups, K)
  Tensor bias;    // (out), undefined when built without bias

 private:
  Conv1dOptions options_;
};

// nn::Conv2dOptions{.in_channels = 3, .out_channels = 8, .kernel_size = 3, .padding = 1}
struct Conv2dOptions {
  std::size_t in_channels = 0;
  std::size_t out_channels = 0;
  Size2 kernel_size = 0;  // one number for both dims, or {height, width}
  Size2 stride = 1;       // one number for both dims, or {height, width}
  Size2 padding = 0;
  Size2 dilation = 1;
  std::size_t groups = 1;  // must divide in_channels and out_channels
  bool bias = true;
};

class Conv2d : public UnaryModule {
 public:
  explicit Conv2d(const Conv2dOptions& options);
  // The sizes given here replace those in `options`.
  Conv2d(std::size_t in_channels, std::size_t out_channels, Size2 kernel_size, Conv2dOptions options = {});

  // weight (out, in / groups, KH, KW) and bias (out), both U(-1/√fan_in, 1/√fan_in) with
  // fan_in = in / groups · KH · KW, as PyTorch initialises them (kaiming_uniform_ with a = √5).
  void reset_parameters() override;

  // (N, in, H, W) or unbatched (in, H, W) -> (N, out, OH, OW), each output size as in conv2d
  Tensor forward(const Tensor& input) const override;
  std::string describe() const override;
  const Conv2dOptions& options() const { return options_; }

  Tensor weight;  // (out, in / groups, KH, KW)
  Tensor bias;    // (out), undefined when built without bias

 private:
  Conv2dOptions options_;
};

}  // namespace attograd::nn
