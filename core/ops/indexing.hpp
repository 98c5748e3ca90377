// Picking and masking elements: embedding lookup, gather, masked_fill, where; and the
// gradient-free helpers that decoding and masks use (comparisons, top-k, one-hot, triangles).
#pragma once

#include <cstdint>
#include <optional>

#include <attograd/core/autograd.hpp>
#include <attograd/core/tensor.hpp>

namespace attograd {

// Rows of x along dim picked by the 1-D `ids`: (.., N, ..) -> (.., len(ids), ..).
Tensor index_select(const Tensor& x, int dim, const Index& ids, Where caller = Where::current());
// weight (V, E), ids of any shape -> ids.shape + (E). Rows at padding_idx get no gradient.
Tensor embedding(const Tensor& weight, const Index& ids, std::optional<std::int64_t> padding_idx = std::nullopt,
                 Where caller = Where::current());
// out[i][j][k] = x[index[i][j][k]][j][k] for dim 0 (and so on), as torch.gather.
Tensor gather(const Tensor& x, int dim, const Index& index, Where caller = Where::current());
// x with `value` wherever mask (broadcast to x's shape) is true; no gradient flows there.
Tensor masked_fill(const Tensor& x, const Mask& mask, float value, Where caller = Where::current());
// a where cond else b, all three broadcast together.
Tensor select_where(const Mask& cond, const Tensor& a, const Tensor& b, Where caller = Where::current());
// where(cond, a, b) is select_where. It is an object rather than a function so that a call
// never reaches xt::where through argument-dependent lookup on the xtensor mask.
struct WhereFn {
  Tensor operator()(const Mask& cond, const Tensor& a, const Tensor& b) const { return select_where(cond, a, b); }
};
inline constexpr WhereFn where{};
// Lower / upper triangle of the last two dims (others zeroed), as torch.tril / torch.triu.
Tensor tril(const Tensor& x, std::int64_t diagonal = 0, Where caller = Where::current());
Tensor triu(const Tensor& x, std::int64_t diagonal = 0, Where caller = Where::current());
// (rows, cols) mask, true on and below (tril_mask) or on and above (triu_mask) `diagonal`.
Mask tril_mask(std::size_t rows, std::size_t cols, std::int64_t diagonal = 0);
Mask triu_mask(std::size_t rows, std::size_t cols, std::int64_t diagonal = 0);

// The k largest (or smallest) entries along dim, sorted; values keep their gradient.
struct TopK {
  Tensor values;
  Index indices;
};
TopK topk(const Tensor& x, std::int64_t k, int dim = -1, bool largest = true);

// ids (...) -> (..., num_classes) of 0/1, no gradient.
Tensor one_hot(const Index& ids, std::int64_t num_classes, Where caller = Where::current());

// Elementwise comparisons (broadcasting), giving masks.
Mask eq(const Tensor& a, const Tensor& b);
Mask ne(const Tensor& a, const Tensor& b);
Mask lt(const Tensor& a, const Tensor& b);
Mask le(const Tensor& a, const Tensor& b);
Mask gt(const Tensor& a, const Tensor& b);
Mask ge(const Tensor& a, const Tensor& b);
Mask eq(const Tensor& a, float b);
Mask lt(const Tensor& a, float b);
Mask gt(const Tensor& a, float b);

}  // namespace attograd
