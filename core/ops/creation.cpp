// Tensor factories.
#include <attograd/core/ops/creation.hpp>

#include <cmath>
#include <new>
#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/kernels/loops.hpp>
#include <attograd/core/random.hpp>

namespace attograd {

namespace {

// A tensor's storage for `op`. When the allocator cannot give it, the error says how much was
// asked for, as PyTorch's "tried to allocate N bytes", instead of a bare std::bad_alloc.
Array allocate(const char* op, const Shape& shape) {
  const std::size_t n = checked_numel(op, shape);
  try {
    return Array::from_shape(shape);
  } catch (const std::bad_alloc&) {
    const double bytes = static_cast<double>(n) * sizeof(float);
    throw std::runtime_error(
        fmt::format("{}: out of memory: tried to allocate {} bytes ({:.1f} GiB) for a tensor of "
                    "shape {}",
                    op, n * sizeof(float), bytes / (1 << 30), shape_str(shape)));
  }
}

Tensor filled(const char* op, const Shape& shape, float value, bool requires_grad) {
  Array a = allocate(op, shape);
  std::fill(a.begin(), a.end(), value);
  return Tensor(std::move(a), requires_grad);
}

}  // namespace

Tensor zeros(const Shape& shape, bool requires_grad) { return filled("zeros", shape, 0.0f, requires_grad); }
Tensor ones(const Shape& shape, bool requires_grad) { return filled("ones", shape, 1.0f, requires_grad); }
Tensor full(const Shape& shape, float value, bool requires_grad) { return filled("full", shape, value, requires_grad); }

Tensor zeros_like(const Tensor& t) { return zeros(t.shape()); }
Tensor ones_like(const Tensor& t) { return ones(t.shape()); }

Tensor randn(const Shape& shape, bool requires_grad) {
  Array a = allocate("randn", shape);
  Generator& gen = default_generator();
  for (float& x : a) x = gen.normal();
  return Tensor(std::move(a), requires_grad);
}

Tensor rand(const Shape& shape, bool requires_grad) {
  Array a = allocate("rand", shape);
  Generator& gen = default_generator();
  for (float& x : a) x = gen.uniform();
  return Tensor(std::move(a), requires_grad);
}

Tensor arange(float start, float end, float step) {
  if (step == 0.0f || !std::isfinite(start) || !std::isfinite(end) || !std::isfinite(step) ||
      (end - start) / step < 0.0f)
    throw std::invalid_argument(fmt::format("arange: cannot go from {} to {} in steps of {}", start, end, step));
  const double count = std::ceil((static_cast<double>(end) - start) / step);
  if (!(count <= 1e15))  // far past any memory, and before the cast to size_t would be undefined
    throw std::invalid_argument(fmt::format(
        "arange: from {} to {} in steps of {} is {} elements, more than any tensor can hold", start, end, step, count));
  const auto n = static_cast<std::size_t>(count);
  checked_numel("arange", {n});
  Array a = Array::from_shape({n});
  for (std::size_t i = 0; i < n; ++i) a(i) = start + static_cast<float>(i) * step;
  return Tensor(std::move(a));
}

Tensor arange(float end) { return arange(0.0f, end, 1.0f); }

Index arange_index(std::int64_t start, std::int64_t end, std::int64_t step) {
  if (step == 0) throw std::invalid_argument("arange_index: step must be nonzero, got 0");
  if ((step > 0 && end < start) || (step < 0 && end > start))
    throw std::invalid_argument(fmt::format(
        "arange_index: cannot go from {} to {} in steps of {} (the step points away from end)", start, end, step));
  // |end - start| and |step| in unsigned arithmetic, which cannot overflow for any int64 values.
  const auto span = step > 0 ? static_cast<std::uint64_t>(end) - static_cast<std::uint64_t>(start)
                             : static_cast<std::uint64_t>(start) - static_cast<std::uint64_t>(end);
  const auto stride = step > 0 ? static_cast<std::uint64_t>(step) : ~static_cast<std::uint64_t>(step) + 1;
  const std::uint64_t n = span / stride + (span % stride != 0 ? 1 : 0);
  checked_numel("arange_index", {static_cast<std::size_t>(n)});
  Index out = Index::from_shape({static_cast<std::size_t>(n)});
  std::int64_t value = start;
  for (std::size_t i = 0; i < out.size(); ++i) {
    out(i) = value;
    if (i + 1 < out.size()) value += step;  // stays in [start, end): never overflows
  }
  return out;
}

Index arange_index(std::int64_t end) { return arange_index(0, end, 1); }

Tensor from_vector(const std::vector<float>& values, const Shape& shape, bool requires_grad) {
  const Shape s = shape.empty() ? Shape{values.size()} : shape;
  if (checked_numel("from_vector", s) != values.size())
    throw std::invalid_argument(fmt::format("from_vector: {} values cannot fill shape {} ({} elements)", values.size(),
                                            shape_str(s), shape_numel(s)));
  Array a = Array::from_shape(s);
  std::copy(values.begin(), values.end(), a.begin());
  return Tensor(std::move(a), requires_grad);
}

Index index_from_vector(const std::vector<std::int64_t>& values, const Shape& shape) {
  const Shape s = shape.empty() ? Shape{values.size()} : shape;
  if (checked_numel("index_from_vector", s) != values.size())
    throw std::invalid_argument(fmt::format("index_from_vector: {} values cannot fill shape {} ({} elements)",
                                            values.size(), shape_str(s), shape_numel(s)));
  Index ids = Index::from_shape(s);
  std::copy(values.begin(), values.end(), ids.begin());
  return ids;
}

Tensor from_array(Array values, bool requires_grad) { return Tensor(std::move(values), requires_grad); }

Tensor scalar_tensor(float value, bool requires_grad) {
  Array a = Array::from_shape({});
  a() = value;
  return Tensor(std::move(a), requires_grad);
}

}  // namespace attograd
