// Shape arithmetic and the broadcasting loops shared by every op (see kernels.hpp).
#include <attograd/core/kernels/fast_math.hpp>
#include <attograd/core/kernels/loops.hpp>

#include <cstdint>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

namespace attograd {

Strides contiguous_strides(const Shape& shape) {
  Strides strides(shape.size(), 1);
  for (std::size_t d = shape.size(); d-- > 1;) strides[d - 1] = strides[d] * shape[d];
  return strides;
}

std::size_t shape_numel(const Shape& shape) {
  std::size_t n = 1;
  for (std::size_t s : shape) n *= s;
  return n;
}

namespace {
// Elements of 8 bytes (int64 ids) must still be addressable with a signed offset.
constexpr std::size_t max_elements = static_cast<std::size_t>(PTRDIFF_MAX) / 8;
}  // namespace

std::size_t checked_mul(const char* op, std::size_t a, std::size_t b) {
  std::size_t n = 0;
  if (__builtin_mul_overflow(a, b, &n) || n > max_elements)
    throw std::invalid_argument(
        fmt::format("{}: {} × {} elements is more than any tensor can hold (at most {})", op, a, b, max_elements));
  return n;
}

std::size_t checked_numel(const char* op, const Shape& shape) {
  std::size_t n = 1;
  for (std::size_t s : shape) {
    if (__builtin_mul_overflow(n, s, &n) || n > max_elements)
      throw std::invalid_argument(fmt::format("{}: shape {} has more elements than any tensor can hold (at most {})",
                                              op, shape_str(shape), max_elements));
  }
  return n;
}

std::size_t normalize_dim(const char* op, int dim, std::size_t ndim) {
  const auto n = static_cast<int>(ndim);
  if (dim < -n || dim >= n || (n == 0 && dim != 0 && dim != -1))
    throw std::invalid_argument(fmt::format("{}: dim {} is out of range for a tensor with {} dims (expected {} to {})",
                                            op, dim, ndim, -std::max(n, 1), std::max(n, 1) - 1));
  return static_cast<std::size_t>(dim < 0 ? dim + n : dim);
}

std::vector<std::size_t> normalize_dims(const char* op, const Dims& dims, std::size_t ndim) {
  std::vector<std::size_t> out;
  if (dims.empty()) {
    for (std::size_t d = 0; d < ndim; ++d) out.push_back(d);
    return out;
  }
  for (int d : dims) out.push_back(normalize_dim(op, d, ndim));
  std::sort(out.begin(), out.end());
  if (std::adjacent_find(out.begin(), out.end()) != out.end())
    throw std::invalid_argument(fmt::format("{}: dim {} appears more than once in ({})", op,
                                            *std::adjacent_find(out.begin(), out.end()), fmt::join(dims, ", ")));
  return out;
}

Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b) {
  const std::size_t nd = std::max(a.size(), b.size());
  Shape out(nd);
  for (std::size_t i = 0; i < nd; ++i) {
    // Walk from the right: i-th dim from the end.
    const std::size_t da = i < a.size() ? a[a.size() - 1 - i] : 1;
    const std::size_t db = i < b.size() ? b[b.size() - 1 - i] : 1;
    if (da != db && da != 1 && db != 1)
      throw std::invalid_argument(
          fmt::format("{}: shapes {} and {} cannot be broadcast: size {} and size {} at dim {} from the end differ and "
                      "neither is 1",
                      op, shape_str(a), shape_str(b), da, db, i + 1));
    out[nd - 1 - i] = da == 1 ? db : da;
  }
  return out;
}

Strides broadcast_strides(const Shape& from, const Shape& to) {
  const Strides own = contiguous_strides(from);
  Strides out(to.size(), 0);
  const std::size_t lead = to.size() - from.size();
  for (std::size_t d = 0; d < from.size(); ++d) out[lead + d] = from[d] == 1 ? 0 : own[d];
  return out;
}

namespace {
// dst[i] = src[i], kept a loop: compilers would otherwise turn it into the memcpy call that
// copy_of avoids (GCC's loop distribution, clang's loop idioms).
#if defined(__clang__)
#define ATTOGRAD_KEEP_LOOP __attribute__((no_builtin("memcpy")))
#elif defined(__GNUC__)
#define ATTOGRAD_KEEP_LOOP [[gnu::optimize("no-tree-loop-distribute-patterns")]]
#else
#define ATTOGRAD_KEEP_LOOP
#endif
ATTOGRAD_KEEP_LOOP void copy_floats(const float* __restrict src, float* __restrict dst, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) dst[i] = src[i];
}
}  // namespace

Array copy_of(const Array& a) {
  Array out = Array::from_shape(a.shape());
  const float* src = a.data();
  float* dst = out.data();
  for_each_range(a.size(),
                 [&](std::size_t begin, std::size_t end) { copy_floats(src + begin, dst + begin, end - begin); });
  return out;
}

Array sum_to(Array grad, const Shape& shape) {
  if (grad.shape() == shape) return grad;
  // Reading `shape` as broadcast to grad's shape gives, for each grad element, the output
  // element it was copied from in the forward; the backward adds it back there.
  Array out = xt::zeros<float>(shape);
  if (shape.size() > grad.dimension())
    throw std::invalid_argument(
        fmt::format("sum_to: cannot reduce {} to the larger rank {}", shape_str(grad.shape()), shape_str(shape)));
  broadcast_shapes("sum_to", shape, grad.shape());
  const float* pg = grad.data();
  float* po = out.data();
  if (out.size() == 1) {  // everything into one element (a loss's sum): blocks of 4096, not rows
    double total = 0.0;   // the blocks' float sums added in double, so a long sum stays accurate
    for (std::size_t i = 0; i < grad.size(); i += 4096)
      total += fast::sum(pg + i, std::min<std::size_t>(4096, grad.size() - i));
    po[0] = static_cast<float>(total);
    return out;
  }
  // Row by row along the last dim: either it was broadcast (stride 0: the row sums into one
  // element) or not (stride 1: the row adds elementwise).
  const Shape& gs = grad.shape();
  const Strides out_strides = broadcast_strides(shape, gs);
  const std::size_t length = gs.back(), last_stride = out_strides.back();
  const Shape outer(gs.begin(), gs.end() - 1);
  const Strides grad_outer = contiguous_strides(outer);
  const Strides out_outer(out_strides.begin(), out_strides.end() - 1);
  for_each_offset<2>(outer, {grad_outer, out_outer}, {0, 0}, [&](const std::array<std::size_t, 2>& at) {
    const float* g_row = pg + at[0] * length;
    if (last_stride == 0) {
      po[at[1]] += fast::sum(g_row, length);
    } else {
      for (std::size_t j = 0; j < length; ++j) po[at[1] + j] += g_row[j];
    }
  });
  return out;
}

Array expand_array(const Array& a, const Shape& shape) {
  if (a.shape() == shape) return a;
  const Shape full = broadcast_shapes("expand", a.shape(), shape);
  if (full != shape)
    throw std::invalid_argument(fmt::format("expand: cannot expand {} to {}", shape_str(a.shape()), shape_str(shape)));
  Array out = Array::from_shape(shape);
  const float* pa = a.data();
  float* po = out.data();
  if (a.size() == 1) {  // one value everywhere (a loss's gradient): a fill, not an element at a time
    std::fill(po, po + out.size(), pa[0]);
    return out;
  }
  std::size_t i = 0;
  for_each_offset<1>(shape, {broadcast_strides(a.shape(), shape)}, {0},
                     [&](const std::array<std::size_t, 1>& at) { po[i++] = pa[at[0]]; });
  return out;
}

namespace {
// Calls run(offset of the run's first element, its stride) for each run of the last dim of
// (offset, strides, shape), in row-major order: one call per row instead of per element.
template <class F>
void for_each_run(const Shape& shape, const Strides& strides, std::size_t offset, F&& run) {
  if (shape.empty()) {
    run(offset, std::size_t{1}, std::size_t{1});
    return;
  }
  const Shape outer(shape.begin(), shape.end() - 1);
  const Strides outer_strides(strides.begin(), strides.end() - 1);
  const std::size_t length = shape.back(), stride = strides.back();
  for_each_offset<1>(outer, {outer_strides}, {offset},
                     [&](const std::array<std::size_t, 1>& at) { run(at[0], length, stride); });
}
}  // namespace

Array read_view(const Array& src, std::size_t offset, const Strides& strides, const Shape& shape) {
  Array out = Array::from_shape(shape);
  const float* ps = src.data();
  float* po = out.data();
  for_each_run(shape, strides, offset, [&](std::size_t at, std::size_t length, std::size_t stride) {
    if (stride == 1) {
      std::copy(ps + at, ps + at + length, po);
    } else {
      for (std::size_t j = 0; j < length; ++j) po[j] = ps[at + j * stride];
    }
    po += length;
  });
  return out;
}

namespace {
// dst seen through (offset, strides) op= the contiguous src: += (add_into_view) or = (copy_into_view).
template <bool add>
void into_view(Array& dst, std::size_t offset, const Strides& strides, const Array& src) {
  float* pd = dst.data();
  const float* ps = src.data();
  for_each_run(src.shape(), strides, offset, [&](std::size_t at, std::size_t length, std::size_t stride) {
    if (stride == 1) {  // the common case, kept apart so that the loop vectorises
      float* row = pd + at;
      for (std::size_t j = 0; j < length; ++j) row[j] = add ? row[j] + ps[j] : ps[j];
    } else {
      for (std::size_t j = 0; j < length; ++j) pd[at + j * stride] = add ? pd[at + j * stride] + ps[j] : ps[j];
    }
    ps += length;
  });
}
}  // namespace

void add_into_view(Array& dst, std::size_t offset, const Strides& strides, const Array& src) {
  into_view<true>(dst, offset, strides, src);
}

void copy_into_view(Array& dst, std::size_t offset, const Strides& strides, const Array& src) {
  into_view<false>(dst, offset, strides, src);
}

ATTOGRAD_VECTOR_CLONES void softmax_row(const float* x, float* y, std::size_t n, bool log_space) {
  const float m = fast::max_inline(x, n);
  for (std::size_t j = 0; j < n; ++j) y[j] = fast::exp(x[j] - m);
  const float total = fast::sum_inline(y, n);
  if (log_space) {
    const float shift = m + std::log(total);
    for (std::size_t j = 0; j < n; ++j) y[j] = x[j] - shift;
  } else {
    const float inv = 1.0f / total;
    for (std::size_t j = 0; j < n; ++j) y[j] *= inv;
  }
}

ATTOGRAD_VECTOR_CLONES void softmax_backward_row(const float* g, const float* y, float* dx, std::size_t n) {
  const float dot = fast::dot_inline(g, y, n);
  for (std::size_t j = 0; j < n; ++j) dx[j] = y[j] * (g[j] - dot);
}

void check_layer_norm(const char* op, const Tensor& x, const Shape& normalized_shape, const Tensor& weight,
                      const Tensor& bias) {
  const std::size_t k = normalized_shape.size();
  bool fits = k > 0 && k <= x.dim();
  for (std::size_t i = 0; fits && i < k; ++i) fits = x.shape()[x.dim() - k + i] == normalized_shape[i];
  if (!fits)
    throw std::invalid_argument(fmt::format("{}: normalized_shape {} does not match the trailing dims of input {}", op,
                                            shape_str(normalized_shape), shape_str(x.shape())));
  for (const Tensor* t : {&weight, &bias})
    if (t->defined() && t->shape() != normalized_shape)
      throw std::invalid_argument(fmt::format("{}: {} has shape {} but normalized_shape is {}", op,
                                              t == &weight ? "weight" : "bias", shape_str(t->shape()),
                                              shape_str(normalized_shape)));
}

void check_class_targets(const char* op, const Index& targets, std::size_t classes, std::int64_t ignore_index) {
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const std::int64_t y = targets.data()[i];
    if (y != ignore_index && (y < 0 || y >= static_cast<std::int64_t>(classes)))
      throw std::invalid_argument(
          fmt::format("{}: target {} at position {} is out of range for {} classes (valid: 0 to {}, or "
                      "ignore_index {})",
                      op, y, i, classes, classes - 1, ignore_index));
  }
}

}  // namespace attograd
