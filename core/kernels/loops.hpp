// The loops every op is built from: shape checks, NumPy broadcasting, strided copies and
// elementwise maps over contiguous memory. xtensor keeps our storage and shapes; the hot loops
// are plain C++ here because xtensor's lazy expressions are several times slower on this CPU.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <attograd/core/kernels/parallel.hpp>
#include <attograd/core/tensor.hpp>

namespace attograd {

using Strides = std::vector<std::size_t>;  // in elements; 0 repeats an element (broadcasting)

// Row-major strides of a contiguous array of `shape`.
Strides contiguous_strides(const Shape& shape);
std::size_t shape_numel(const Shape& shape);
// The element count of a shape a user asked for: throws std::invalid_argument naming `op` and
// the shape when the count does not fit in memory's index range (it would wrap around).
std::size_t checked_numel(const char* op, const Shape& shape);
// a · b, or the same error for `op` when the product overflows.
std::size_t checked_mul(const char* op, std::size_t a, std::size_t b);

// A dim in [-ndim, ndim) made non-negative; `op` names the caller in the error.
std::size_t normalize_dim(const char* op, int dim, std::size_t ndim);
// Several dims, sorted and checked for repeats; an empty list means all dims.
std::vector<std::size_t> normalize_dims(const char* op, const Dims& dims, std::size_t ndim);

// The argument checks an op and its fused twin share; `op` names the caller in the message.
// layer_norm: normalized_shape must be x's trailing dims, weight and bias (if defined) of it.
void check_layer_norm(const char* op, const Tensor& x, const Shape& normalized_shape, const Tensor& weight,
                      const Tensor& bias);
// Class targets (N,) must lie in [0, classes) or equal ignore_index.
void check_class_targets(const char* op, const Index& targets, std::size_t classes, std::int64_t ignore_index);

// NumPy broadcasting: align shapes at the right; sizes must match or be 1.
// e.g. (4, 1, 3) with (5, 1) -> (4, 5, 3); (2, 3) with (4,) throws naming `op` and both shapes.
Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b);

// Strides for reading an array of shape `from` as if it had the broadcast shape `to`.
Strides broadcast_strides(const Shape& from, const Shape& to);

// Undoes broadcasting: sums `grad` over the dims that broadcasting added or stretched so that
// it has `shape` again. Every backward of a broadcasting op ends with it.
// e.g. grad (4, 5, 3) -> shape (5, 1): sum over dim 0 and dim 2 (keeping it as size 1).
Array sum_to(Array grad, const Shape& shape);  // by value: a temporary moves through untouched

// A copy of `a`, made by a loop over the threads (for_each_range), not by glibc's memcpy: on
// this project's AMD EPYC machines memcpy's `rep movsb` takes 12× as long (95 against 8 µs for
// 256 KB) when the destination lies 16 bytes past the source's offset in a page, which is where
// malloc puts the next block of the same size. A backward's copy of its g hit it: a residual
// add's backward took 87 µs for a (512, 128) gradient.
Array copy_of(const Array& a);

// Elements of `src` seen through (offset, strides) with `shape`, copied out contiguously (the
// forward of every view op: slice, permute, select, ...).
Array read_view(const Array& src, std::size_t offset, const Strides& strides, const Shape& shape);

// The reverse: adds the contiguous `src` into `dst` seen through (offset, strides).
void add_into_view(Array& dst, std::size_t offset, const Strides& strides, const Array& src);
// The same, writing instead of adding (cat fills each block of its output once).
void copy_into_view(Array& dst, std::size_t offset, const Strides& strides, const Array& src);

// Softmax over one contiguous row of n: y = exp(x - max) / Σ exp(x - max), or with log_space the
// log-probabilities x - max - log Σ exp(x - max). y may be x, except with log_space.
void softmax_row(const float* x, float* y, std::size_t n, bool log_space = false);

// Its backward for one row, from the gradient g of y: dx = y ⊙ (g - Σ g ⊙ y). dx may be g.
void softmax_backward_row(const float* g, const float* y, float* dx, std::size_t n);

// Broadcasts `a` to `shape` and materialises it (the forward of expand, backward of sum).
Array expand_array(const Array& a, const Shape& shape);

// Visits every element of `shape` in row-major order, calling f(offsets) with the element's
// offset into each of N operands laid out with the given strides.
template <std::size_t N, class F>
void for_each_offset(const Shape& shape, const std::array<Strides, N>& strides, std::array<std::size_t, N> base,
                     F&& f) {
  const std::size_t nd = shape.size();
  if (shape_numel(shape) == 0) return;
  if (nd == 0) {
    f(base);
    return;
  }
  std::vector<std::size_t> index(nd, 0);
  std::array<std::size_t, N> offset = base;
  const std::size_t inner = shape[nd - 1];
  std::array<std::size_t, N> inner_stride;
  for (std::size_t n = 0; n < N; ++n) inner_stride[n] = strides[n][nd - 1];
  for (;;) {
    std::array<std::size_t, N> at = offset;
    for (std::size_t k = 0; k < inner; ++k) {
      f(at);
      for (std::size_t n = 0; n < N; ++n) at[n] += inner_stride[n];
    }
    // Advance the outer dims like an odometer.
    std::size_t d = nd - 1;
    for (;;) {
      if (d == 0) return;
      --d;
      ++index[d];
      for (std::size_t n = 0; n < N; ++n) offset[n] += strides[n][d];
      if (index[d] < shape[d]) break;
      for (std::size_t n = 0; n < N; ++n) offset[n] -= strides[n][d] * shape[d];
      index[d] = 0;
    }
  }
}

// body(begin, end) over [0, n): in one piece, or, for maps of at least 2^16 elements (256 KiB of
// floats: a Transformer's (512, 128) activation), split over the threads by parallel_for. From
// 2^18 down to 2^16 the Transformer's residual adds and ReLUs took 0.4 ms less a step (a pass
// over 2^16 floats is 10-70 µs, handing half to a spinning worker a few). Maps are pure, so the
// result is the same either way.
template <class Body>
void for_each_range(std::size_t n, Body&& body) {
  constexpr std::size_t parallel_elements = std::size_t{1} << 16;
  if (n < parallel_elements) {
    body(std::size_t{0}, n);
    return;
  }
  parallel_for(n, parallel_parts(n, 64.0 * static_cast<double>(n)),
               [&](std::size_t, std::size_t begin, std::size_t end) { body(begin, end); });
}

// out[i] = f(a[i]) over contiguous memory.
template <class F>
Array map1(const Array& a, F&& f) {
  Array out = Array::from_shape(a.shape());
  const float* pa = a.data();
  float* po = out.data();
  for_each_range(a.size(), [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) po[i] = f(pa[i]);
  });
  return out;
}

// out = f(a, b) with NumPy broadcasting; equal shapes take a straight loop.
template <class T = float, class F>
xt::xarray<T> map2(const char* op, const Array& a, const Array& b, F&& f) {
  const float* pa = a.data();
  const float* pb = b.data();
  if (a.shape() == b.shape()) {
    auto out = xt::xarray<T>::from_shape(a.shape());
    T* po = out.data();
    for_each_range(a.size(), [&](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) po[i] = f(pa[i], pb[i]);
    });
    return out;
  }
  const Shape shape = broadcast_shapes(op, a.shape(), b.shape());
  auto out = xt::xarray<T>::from_shape(shape);
  T* po = out.data();
  if (b.size() == 1 && shape == a.shape()) {  // tensor (op) scalar
    const float y = pb[0];
    for (std::size_t i = 0; i < a.size(); ++i) po[i] = f(pa[i], y);
    return out;
  }
  std::size_t i = 0;
  for_each_offset<2>(shape, {broadcast_strides(a.shape(), shape), broadcast_strides(b.shape(), shape)}, {0, 0},
                     [&](const std::array<std::size_t, 2>& at) { po[i++] = f(pa[at[0]], pb[at[1]]); });
  return out;
}

}  // namespace attograd
