// Indexing ops and masks. Every index is range-checked before use; the error names the op,
// the bad index, where it was found and the valid range.
#include <attograd/core/ops/indexing.hpp>

#include <algorithm>
#include <numeric>
#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/autograd.hpp>
#include <attograd/core/kernels/loops.hpp>

namespace attograd {

using Inputs = std::vector<Tensor>;

namespace {
// "(1, 2)": the multi-index of flat position `flat` in `shape`, for error messages.
std::string position_str(std::size_t flat, const Shape& shape) {
  std::vector<std::size_t> pos(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    pos[d] = shape[d] == 0 ? 0 : flat % shape[d];
    flat = shape[d] == 0 ? 0 : flat / shape[d];
  }
  return pos.size() == 1 ? fmt::format("({},)", pos[0]) : fmt::format("({})", fmt::join(pos, ", "));
}

void check_ids(const char* op, const char* what, const Index& ids, std::int64_t limit, const std::string& range_of) {
  const std::int64_t* p = ids.data();
  for (std::size_t i = 0; i < ids.size(); ++i)
    if (p[i] < 0 || p[i] >= limit)
      throw std::invalid_argument(fmt::format("{}: {} {} at position {} is out of range for {} (valid: 0 to {})", op,
                                              what, p[i], position_str(i, ids.shape()), range_of, limit - 1));
}

// A tensor seen as (outer, n, inner) around dim: the layout index_select and topk walk.
struct AroundDim {
  std::size_t outer = 1, n = 1, inner = 1;
  AroundDim(const Shape& s, std::size_t dim) {
    for (std::size_t d = 0; d < s.size(); ++d) (d < dim ? outer : d == dim ? n : inner) *= s[d];
  }
};

Mask expand_mask(const char* op, const Mask& mask, const Shape& shape) {
  const Shape full = broadcast_shapes(op, mask.shape(), shape);
  if (full != shape)
    throw std::invalid_argument(fmt::format("{}: mask of shape {} does not broadcast to the tensor's shape {}", op,
                                            shape_str(mask.shape()), shape_str(shape)));
  Mask out = Mask::from_shape(shape);
  std::size_t i = 0;
  for_each_offset<1>(shape, {broadcast_strides(mask.shape(), shape)}, {0},
                     [&](const std::array<std::size_t, 1>& at) { out.data()[i++] = mask.data()[at[0]]; });
  return out;
}
}  // namespace

// y[o, j, i] = x[o, ids[j], i]      dx[o, ids[j], i] += dy[o, j, i]
Tensor index_select(const Tensor& x, int dim, const Index& ids, Where caller) {
  const CallSite call_site(caller);
  const std::size_t d = normalize_dim("index_select", dim, x.dim());
  if (ids.dimension() != 1)
    throw std::invalid_argument(fmt::format("index_select: ids must be 1-D, got shape {}", shape_str(ids.shape())));
  if (x.dim() == 0) throw std::invalid_argument("index_select: cannot index a 0-d tensor");
  check_ids("index_select", "index", ids, static_cast<std::int64_t>(x.shape()[d]),
            fmt::format("dim {} of size {}", dim, x.shape()[d]));
  const AroundDim g_in(x.shape(), d);
  Shape shape = x.shape();
  shape[d] = ids.size();
  Array out = Array::from_shape(shape);
  const std::size_t m = ids.size();
  for (std::size_t o = 0; o < g_in.outer; ++o)
    for (std::size_t j = 0; j < m; ++j)
      std::copy_n(x.value().data() + (o * g_in.n + static_cast<std::size_t>(ids(j))) * g_in.inner, g_in.inner,
                  out.data() + (o * m + j) * g_in.inner);
  return make_result("index_select", std::move(out), {x},
                     [ids, g_in, m](const Array& g, const Array&, const Inputs& in) {
                       Array dx = xt::zeros<float>(in[0].shape());
                       for (std::size_t o = 0; o < g_in.outer; ++o)
                         for (std::size_t j = 0; j < m; ++j) {
                           float* dst = dx.data() + (o * g_in.n + static_cast<std::size_t>(ids(j))) * g_in.inner;
                           const float* src = g.data() + (o * m + j) * g_in.inner;
                           for (std::size_t i = 0; i < g_in.inner; ++i) dst[i] += src[i];
                         }
                       accumulate_grad(in[0], std::move(dx));
                     });
}

// y[..., e] = W[ids[...], e]        dW[ids[...], e] += dy[..., e], except the padding row
Tensor embedding(const Tensor& weight, const Index& ids, std::optional<std::int64_t> padding_idx, Where caller) {
  const CallSite call_site(caller);
  if (weight.dim() != 2)
    throw std::invalid_argument(
        fmt::format("embedding: weight must be (V, E), got shape {}", shape_str(weight.shape())));
  const std::size_t vocab = weight.shape()[0], width = weight.shape()[1];
  const auto v = static_cast<std::int64_t>(vocab);
  if (padding_idx && (*padding_idx < -v || *padding_idx >= v))
    throw std::invalid_argument(
        fmt::format("embedding: padding_idx {} is out of range for a vocabulary of {}", *padding_idx, vocab));
  const std::int64_t pad = !padding_idx ? -1 : *padding_idx < 0 ? *padding_idx + v : *padding_idx;
  check_ids("embedding", "token id", ids, v, fmt::format("a vocabulary of {}", vocab));
  Shape shape = ids.shape();
  shape.push_back(width);
  Array out = Array::from_shape(shape);
  for (std::size_t i = 0; i < ids.size(); ++i)
    std::copy_n(weight.value().data() + static_cast<std::size_t>(ids.data()[i]) * width, width, out.data() + i * width);
  return make_result("embedding", std::move(out), {weight},
                     [ids, width, pad](const Array& g, const Array&, const Inputs& in) {
                       Array dw = xt::zeros<float>(in[0].shape());
                       for (std::size_t i = 0; i < ids.size(); ++i) {
                         if (ids.data()[i] == pad) continue;
                         float* dst = dw.data() + static_cast<std::size_t>(ids.data()[i]) * width;
                         const float* src = g.data() + i * width;
                         for (std::size_t e = 0; e < width; ++e) dst[e] += src[e];
                       }
                       accumulate_grad(in[0], std::move(dw));
                     });
}

// y[p] = x[p with p[dim] replaced by index[p]]     dx at that position += dy[p]
Tensor gather(const Tensor& x, int dim, const Index& index, Where caller) {
  const CallSite call_site(caller);
  const std::size_t d = normalize_dim("gather", dim, x.dim());
  if (index.dimension() != x.dim())
    throw std::invalid_argument(fmt::format("gather: index of shape {} must have as many dims as the input {}",
                                            shape_str(index.shape()), shape_str(x.shape())));
  for (std::size_t k = 0; k < x.dim(); ++k)
    if (k != d && index.shape()[k] > x.shape()[k])
      throw std::invalid_argument(fmt::format("gather: index of shape {} is larger than the input {} at dim {}",
                                              shape_str(index.shape()), shape_str(x.shape()), k));
  if (x.dim() > 0)
    check_ids("gather", "index", index, static_cast<std::int64_t>(x.shape()[d]),
              fmt::format("dim {} of size {}", dim, x.shape()[d]));
  Strides x_strides = contiguous_strides(x.shape());
  const std::size_t dim_stride = x.dim() > 0 ? x_strides[d] : 0;
  if (x.dim() > 0) x_strides[d] = 0;  // the index supplies this coordinate
  auto visit = [index, x_strides, dim_stride](auto&& f) {
    for_each_offset<2>(index.shape(), {x_strides, contiguous_strides(index.shape())}, {0, 0},
                       [&](const std::array<std::size_t, 2>& at) {
                         f(at[0] + static_cast<std::size_t>(index.data()[at[1]]) * dim_stride, at[1]);
                       });
  };
  Array out = Array::from_shape(index.shape());
  visit([&](std::size_t from, std::size_t to) { out.data()[to] = x.value().data()[from]; });
  return make_result("gather", std::move(out), {x}, [visit](const Array& g, const Array&, const Inputs& in) {
    Array dx = xt::zeros<float>(in[0].shape());
    visit([&](std::size_t to, std::size_t from) { dx.data()[to] += g.data()[from]; });
    accumulate_grad(in[0], std::move(dx));
  });
}

// y = value where mask, x elsewhere      dy/dx = 0 where mask, 1 elsewhere
Tensor masked_fill(const Tensor& x, const Mask& mask, float value, Where caller) {
  const CallSite call_site(caller);
  Mask full = expand_mask("masked_fill", mask, x.shape());
  Array out = x.value();
  for (std::size_t i = 0; i < out.size(); ++i)
    if (full.data()[i]) out.data()[i] = value;
  return make_result("masked_fill", std::move(out), {x}, [full](const Array& g, const Array&, const Inputs& in) {
    Array dx = g;
    for (std::size_t i = 0; i < dx.size(); ++i)
      if (full.data()[i]) dx.data()[i] = 0.0f;
    accumulate_grad(in[0], std::move(dx));
  });
}

// y = cond ? a : b          dy/da = cond, dy/db = !cond
Tensor select_where(const Mask& cond, const Tensor& a, const Tensor& b, Where caller) {
  const CallSite call_site(caller);
  const Shape shape = broadcast_shapes("where", cond.shape(), broadcast_shapes("where", a.shape(), b.shape()));
  const Mask full = expand_mask("where", cond, shape);
  const Array av = expand_array(a.value(), shape), bv = expand_array(b.value(), shape);
  Array out = Array::from_shape(shape);
  for (std::size_t i = 0; i < out.size(); ++i) out.data()[i] = full.data()[i] ? av.data()[i] : bv.data()[i];
  return make_result("where", std::move(out), {a, b}, [full](const Array& g, const Array&, const Inputs& in) {
    for (std::size_t which = 0; which < 2; ++which) {
      if (!in[which].requires_grad()) continue;
      Array d = g;
      for (std::size_t i = 0; i < d.size(); ++i)
        if (full.data()[i] != (which == 0)) d.data()[i] = 0.0f;
      accumulate_grad(in[which], sum_to(d, in[which].shape()));
    }
  });
}

Mask tril_mask(std::size_t rows, std::size_t cols, std::int64_t diagonal) {
  Mask m = Mask::from_shape({rows, cols});
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c)
      m(r, c) = static_cast<std::int64_t>(c) - static_cast<std::int64_t>(r) <= diagonal;
  return m;
}

Mask triu_mask(std::size_t rows, std::size_t cols, std::int64_t diagonal) {
  Mask m = Mask::from_shape({rows, cols});
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c)
      m(r, c) = static_cast<std::int64_t>(c) - static_cast<std::int64_t>(r) >= diagonal;
  return m;
}

namespace {
Tensor keep_triangle(const Tensor& x, const Mask& keep) {
  Mask drop = Mask::from_shape(keep.shape());
  for (std::size_t i = 0; i < keep.size(); ++i) drop.data()[i] = !keep.data()[i];
  return masked_fill(x, drop, 0.0f);
}
}  // namespace

Tensor tril(const Tensor& x, std::int64_t diagonal, Where caller) {
  const CallSite call_site(caller);
  if (x.dim() < 2)
    throw std::invalid_argument(fmt::format("tril: needs at least 2 dims, got shape {}", shape_str(x.shape())));
  return keep_triangle(x, tril_mask(x.shape()[x.dim() - 2], x.shape()[x.dim() - 1], diagonal));
}

Tensor triu(const Tensor& x, std::int64_t diagonal, Where caller) {
  const CallSite call_site(caller);
  if (x.dim() < 2)
    throw std::invalid_argument(fmt::format("triu: needs at least 2 dims, got shape {}", shape_str(x.shape())));
  return keep_triangle(x, triu_mask(x.shape()[x.dim() - 2], x.shape()[x.dim() - 1], diagonal));
}

TopK topk(const Tensor& x, std::int64_t k, int dim, bool largest) {
  const std::size_t d = normalize_dim("topk", dim, x.dim());
  const std::size_t n = x.dim() == 0 ? 1 : x.shape()[d];
  if (k < 0 || static_cast<std::size_t>(k) > n)
    throw std::invalid_argument(
        fmt::format("topk: k = {} is out of range for dim {} of size {} (shape {})", k, dim, n, shape_str(x.shape())));
  const AroundDim around(x.shape(), d);
  const auto kk = static_cast<std::size_t>(k);
  Shape shape = x.shape();
  if (!shape.empty()) shape[d] = kk;
  Index indices = Index::from_shape(shape);
  std::vector<std::size_t> order(n);
  const float* px = x.value().data();
  for (std::size_t o = 0; o < around.outer; ++o)
    for (std::size_t i = 0; i < around.inner; ++i) {
      auto at = [&](std::size_t j) { return px[(o * n + j) * around.inner + i]; };
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(),
                       [&](std::size_t p, std::size_t q) { return largest ? at(p) > at(q) : at(p) < at(q); });
      for (std::size_t j = 0; j < kk; ++j)
        indices.data()[(o * kk + j) * around.inner + i] = static_cast<std::int64_t>(order[j]);
    }
  return {gather(x, dim, indices), indices};
}

Tensor one_hot(const Index& ids, std::int64_t num_classes, Where caller) {
  const CallSite call_site(caller);
  if (num_classes <= 0)
    throw std::invalid_argument(fmt::format("one_hot: num_classes must be positive, got {}", num_classes));
  check_ids("one_hot", "class", ids, num_classes, fmt::format("{} classes", num_classes));
  Shape shape = ids.shape();
  shape.push_back(static_cast<std::size_t>(num_classes));
  Array out = xt::zeros<float>(shape);
  for (std::size_t i = 0; i < ids.size(); ++i)
    out.data()[i * static_cast<std::size_t>(num_classes) + static_cast<std::size_t>(ids.data()[i])] = 1.0f;
  return Tensor(std::move(out));
}

Mask eq(const Tensor& a, const Tensor& b) {
  return map2<bool>("eq", a.value(), b.value(), [](float x, float y) { return x == y; });
}
Mask ne(const Tensor& a, const Tensor& b) {
  return map2<bool>("ne", a.value(), b.value(), [](float x, float y) { return x != y; });
}
Mask lt(const Tensor& a, const Tensor& b) {
  return map2<bool>("lt", a.value(), b.value(), [](float x, float y) { return x < y; });
}
Mask le(const Tensor& a, const Tensor& b) {
  return map2<bool>("le", a.value(), b.value(), [](float x, float y) { return x <= y; });
}
Mask gt(const Tensor& a, const Tensor& b) {
  return map2<bool>("gt", a.value(), b.value(), [](float x, float y) { return x > y; });
}
Mask ge(const Tensor& a, const Tensor& b) {
  return map2<bool>("ge", a.value(), b.value(), [](float x, float y) { return x >= y; });
}

namespace {
template <class F>
Mask compare_scalar(const Tensor& a, F f) {
  Mask out = Mask::from_shape(a.shape());
  for (std::size_t i = 0; i < out.size(); ++i) out.data()[i] = f(a.value().data()[i]);
  return out;
}
}  // namespace

Mask eq(const Tensor& a, float b) {
  return compare_scalar(a, [b](float x) { return x == b; });
}
Mask lt(const Tensor& a, float b) {
  return compare_scalar(a, [b](float x) { return x < b; });
}
Mask gt(const Tensor& a, float b) {
  return compare_scalar(a, [b](float x) { return x > b; });
}

}  // namespace attograd
