// Ops that move or regroup elements without computing on them: transpose and permute,
// reshape, squeeze, slicing, concatenation and splitting, broadcasting.
// Each result owns its own contiguous copy of the data (there are no aliasing views).
#pragma once

#include <cstdint>
#include <vector>

#include <attograd/core/autograd.hpp>
#include <attograd/core/tensor.hpp>

namespace attograd {

using SizeList = std::vector<std::int64_t>;  // sizes for reshape; one entry may be -1 (inferred)

Tensor transpose(const Tensor& x, int dim0, int dim1, Where caller = Where::current());
Tensor permute(const Tensor& x, const Dims& order, Where caller = Where::current());
Tensor reshape(const Tensor& x, const SizeList& shape, Where caller = Where::current());
Tensor view(const Tensor& x, const SizeList& shape,
            Where caller = Where::current());  // same as reshape (a copy, see above)
Tensor flatten(const Tensor& x, int start_dim = 0, int end_dim = -1, Where caller = Where::current());
Tensor unsqueeze(const Tensor& x, int dim, Where caller = Where::current());
Tensor squeeze(const Tensor& x, int dim, Where caller = Where::current());  // dim must have size 1
Tensor squeeze(const Tensor& x, Where caller = Where::current());           // every size-1 dim

// Elements start, start + step, ... before end along dim. Like Python slicing: negative start
// and end count from the end, and both are clamped to the dim's size.
Tensor slice(const Tensor& x, int dim, std::int64_t start, std::int64_t end, std::int64_t step = 1,
             Where caller = Where::current());
// `length` elements from `start` along dim; out of range is an error, as torch.narrow.
Tensor narrow(const Tensor& x, int dim, std::int64_t start, std::int64_t length, Where caller = Where::current());
// Entry `index` along dim, that dim removed, as torch.select: (B, T, E) at dim 1 -> (B, E).
// A negative index counts from the end.
Tensor select(const Tensor& x, int dim, std::int64_t index, Where caller = Where::current());

Tensor cat(const std::vector<Tensor>& tensors, int dim = 0, Where caller = Where::current());
Tensor stack(const std::vector<Tensor>& tensors, int dim = 0, Where caller = Where::current());
// Pieces of `split_size` along dim (the last may be smaller), as torch.split.
std::vector<Tensor> split(const Tensor& x, std::int64_t split_size, int dim = 0, Where caller = Where::current());
std::vector<Tensor> split(const Tensor& x, const SizeList& sizes, int dim = 0, Where caller = Where::current());
// `chunks` pieces of ceil(size / chunks) (fewer if the size runs out), as torch.chunk.
std::vector<Tensor> chunk(const Tensor& x, std::int64_t chunks, int dim = 0, Where caller = Where::current());

// Broadcasts x to `shape` (NumPy rules); the gradient is summed back (sum_to).
Tensor expand(const Tensor& x, const Shape& shape, Where caller = Where::current());
Tensor broadcast_to(const Tensor& x, const Shape& shape, Where caller = Where::current());

}  // namespace attograd
