// Convolution and pooling, as torch.nn.functional: conv1d over sequences (N, C, L), conv2d and
// the 2-D pools over images (N, C, H, W). Each also takes one unbatched sample, (C, L) or
// (C, H, W), as PyTorch does. Along each spatial dim the output has
//   floor((size + 2·padding - dilation·(kernel - 1) - 1) / stride) + 1
// positions (pools have dilation 1).
#pragma once

#include <cstdint>

#include <attograd/core/autograd.hpp>
#include <attograd/core/tensor.hpp>

namespace attograd {

// A (height, width) pair for the 2-D ops. One number means both, as PyTorch's _pair:
// conv2d(x, w, b, 2) strides by 2 both ways, conv2d(x, w, b, {2, 1}) by 2 down and 1 across.
struct Size2 {
  std::int64_t h = 0, w = 0;
  constexpr Size2(std::int64_t both) : h(both), w(both) {}  // implicit on purpose, like _pair
  constexpr Size2(std::int64_t height, std::int64_t width) : h(height), w(width) {}
  friend constexpr bool operator==(const Size2&, const Size2&) = default;
};

// y[n, o, l] = bias[o] + Σ_c Σ_k weight[o, c, k] · x[n, g·C/groups + c, l·stride - padding + k·dilation]
// input (N, C, L) or (C, L), weight (O, C / groups, K), bias (O) or undefined -> (N, O, Lout).
// Channels split into `groups` independent convolutions (groups = C: depthwise).
Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias = {}, std::int64_t stride = 1,
              std::int64_t padding = 0, std::int64_t dilation = 1, std::int64_t groups = 1,
              Where caller = Where::current());

// The same over two spatial dims: input (N, C, H, W) or (C, H, W), weight (O, C / groups, KH, KW),
// bias (O) or undefined -> (N, O, OH, OW). Zero padding; stride, padding and dilation per dim.
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias = {}, Size2 stride = 1, Size2 padding = 0,
              Size2 dilation = 1, std::int64_t groups = 1, Where caller = Where::current());

// The largest element of each window, padding counting as -inf (N, C, H, W) -> (N, C, OH, OW).
// The gradient goes to that element; of equal ones, to the first in row-major order (a NaN wins),
// as PyTorch. Without a stride the windows tile the input (stride = kernel_size). padding must
// be at most half the kernel.
Tensor max_pool2d(const Tensor& input, Size2 kernel_size, Where caller = Where::current());
Tensor max_pool2d(const Tensor& input, Size2 kernel_size, Size2 stride, Size2 padding = 0,
                  Where caller = Where::current());

// The mean of each window (N, C, H, W) -> (N, C, OH, OW). With count_include_pad the zero
// padding counts in the divisor (always kernel_size's area); without it, only real elements.
Tensor avg_pool2d(const Tensor& input, Size2 kernel_size, Where caller = Where::current());
Tensor avg_pool2d(const Tensor& input, Size2 kernel_size, Size2 stride, Size2 padding = 0,
                  bool count_include_pad = true, Where caller = Where::current());

// The mean over output_size (OH, OW) bins that cover the input: bin i along H spans
// [floor(i·H / OH), ceil((i + 1)·H / OH)), as PyTorch, so bins may overlap when OH does not
// divide H. (N, C, H, W) -> (N, C, OH, OW); adaptive_avg_pool2d(x, 1) is global average pooling.
Tensor adaptive_avg_pool2d(const Tensor& input, Size2 output_size, Where caller = Where::current());

}  // namespace attograd
