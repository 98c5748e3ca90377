// Making tensors: constant fills, random draws (from the seeded default generator), ranges,
// and wrapping data you already have.
#pragma once

#include <cstdint>
#include <vector>

#include <attograd/core/tensor.hpp>

namespace attograd {

Tensor zeros(const Shape& shape, bool requires_grad = false);
Tensor ones(const Shape& shape, bool requires_grad = false);
Tensor full(const Shape& shape, float value, bool requires_grad = false);
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
Tensor randn(const Shape& shape, bool requires_grad = false);  // standard normal
Tensor rand(const Shape& shape, bool requires_grad = false);   // uniform in [0, 1)
Tensor arange(float start, float end, float step = 1.0f);      // [start, end), like torch.arange
Tensor arange(float end);
// Integer positions or ids [start, end) in steps of `step`, like torch.arange(start, end, step,
// torch::kLong): an Index, since ids are never differentiated. step must not be 0 and must point
// from start towards end (start == end gives an empty range).
Index arange_index(std::int64_t start, std::int64_t end, std::int64_t step = 1);
Index arange_index(std::int64_t end);
// `values` laid out row-major into `shape` (a 1-D tensor when shape is empty).
Tensor from_vector(const std::vector<float>& values, const Shape& shape = {}, bool requires_grad = false);
// Token ids, targets or lengths from a std::vector, as an Index of `shape` ((n,) if empty).
Index index_from_vector(const std::vector<std::int64_t>& values, const Shape& shape = {});
Tensor from_array(Array values, bool requires_grad = false);
Tensor scalar_tensor(float value, bool requires_grad = false);  // 0-d

}  // namespace attograd
