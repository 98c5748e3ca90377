// Shape ops. Most are a strided copy: a "view" described by (offset, strides) over the input
// is read into a new contiguous array, and the backward adds the gradient back through the
// same view.
#include <attograd/core/ops/shape_ops.hpp>

#include <numeric>
#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/autograd.hpp>
#include <attograd/core/kernels/loops.hpp>

namespace attograd {

using Inputs = std::vector<Tensor>;

namespace {
// A differentiable view: forward reads it, backward adds the gradient back through the same
// view into the input's gradient (no full-size temporary, so many views of one tensor, such
// as the chunks of a packed projection or the time steps of an RNN, share one buffer).
Tensor view_op(const char* op, const Tensor& x, std::size_t offset, const Strides& strides, const Shape& shape) {
  return make_result(op, read_view(x.value(), offset, strides, shape), {x},
                     [offset, strides](const Array& g, const Array&, const Inputs& in) {
                       accumulate_grad_view(in[0], g, offset, strides);
                     });
}

Shape resolve_sizes(const char* op, const Shape& from, const SizeList& sizes) {
  const std::size_t n = shape_numel(from);
  Shape out(sizes.size());
  std::size_t known = 1;
  int inferred = -1;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] == -1) {
      if (inferred >= 0)
        throw std::invalid_argument(fmt::format("{}: only one size may be -1, got ({})", op, fmt::join(sizes, ", ")));
      inferred = static_cast<int>(i);
    } else if (sizes[i] < 0) {
      throw std::invalid_argument(fmt::format("{}: invalid size {} in ({})", op, sizes[i], fmt::join(sizes, ", ")));
    } else {
      out[i] = static_cast<std::size_t>(sizes[i]);
      known = checked_mul(op, known, out[i]);
    }
  }
  if (inferred >= 0) {
    if (known == 0 || n % known != 0)
      throw std::invalid_argument(
          fmt::format("{}: cannot reshape {} ({} elements) into ({})", op, shape_str(from), n, fmt::join(sizes, ", ")));
    out[static_cast<std::size_t>(inferred)] = n / known;
    known = n;
  }
  if (known != n)
    throw std::invalid_argument(fmt::format("{}: cannot reshape {} ({} elements) into {} ({} elements)", op,
                                            shape_str(from), n, shape_str(out), known));
  return out;
}

Tensor reshape_to(const char* op, const Tensor& x, const Shape& shape) {
  Array out = copy_of(x.value());
  out.reshape(shape);
  return make_result(op, std::move(out), {x}, [](const Array& g, const Array&, const Inputs& in) {
    Array dx = copy_of(g);
    dx.reshape(in[0].shape());
    accumulate_grad(in[0], std::move(dx));
  });
}
}  // namespace

// y[i0, .., in] = x[i_order[0], ...]     the gradient is permuted back
Tensor permute(const Tensor& x, const Dims& order, Where caller) {
  const CallSite call_site(caller);
  if (order.size() != x.dim())
    throw std::invalid_argument(fmt::format("permute: order ({}) has {} dims but the tensor has shape {}",
                                            fmt::join(order, ", "), order.size(), shape_str(x.shape())));
  normalize_dims("permute", order, x.dim());  // checks range and repeats
  const Strides in_strides = contiguous_strides(x.shape());
  Shape shape(x.dim());
  Strides strides(x.dim());
  for (std::size_t i = 0; i < x.dim(); ++i) {
    const std::size_t d = normalize_dim("permute", order[i], x.dim());
    shape[i] = x.shape()[d];
    strides[i] = in_strides[d];
  }
  return view_op("permute", x, 0, strides, shape);
}

Tensor transpose(const Tensor& x, int dim0, int dim1, Where caller) {
  const CallSite call_site(caller);
  Dims order(x.dim());
  std::iota(order.begin(), order.end(), 0);
  std::swap(order[normalize_dim("transpose", dim0, x.dim())], order[normalize_dim("transpose", dim1, x.dim())]);
  return permute(x, order);
}

Tensor reshape(const Tensor& x, const SizeList& shape, Where caller) {
  const CallSite call_site(caller);
  return reshape_to("reshape", x, resolve_sizes("reshape", x.shape(), shape));
}
Tensor view(const Tensor& x, const SizeList& shape, Where caller) {
  const CallSite call_site(caller);
  return reshape_to("view", x, resolve_sizes("view", x.shape(), shape));
}

Tensor flatten(const Tensor& x, int start_dim, int end_dim, Where caller) {
  const CallSite call_site(caller);
  if (x.dim() == 0) return reshape_to("flatten", x, {1});
  const std::size_t s = normalize_dim("flatten", start_dim, x.dim()), e = normalize_dim("flatten", end_dim, x.dim());
  if (s > e)
    throw std::invalid_argument(fmt::format("flatten: start_dim {} comes after end_dim {}", start_dim, end_dim));
  Shape shape;
  for (std::size_t d = 0; d < s; ++d) shape.push_back(x.shape()[d]);
  std::size_t merged = 1;
  for (std::size_t d = s; d <= e; ++d) merged *= x.shape()[d];
  shape.push_back(merged);
  for (std::size_t d = e + 1; d < x.dim(); ++d) shape.push_back(x.shape()[d]);
  return reshape_to("flatten", x, shape);
}

Tensor unsqueeze(const Tensor& x, int dim, Where caller) {
  const CallSite call_site(caller);
  const std::size_t d = normalize_dim("unsqueeze", dim, x.dim() + 1);
  Shape shape;
  for (std::size_t i = 0; i <= x.dim(); ++i) shape.push_back(i < d ? x.shape()[i] : i == d ? 1 : x.shape()[i - 1]);
  return reshape_to("unsqueeze", x, shape);
}

Tensor squeeze(const Tensor& x, int dim, Where caller) {
  const CallSite call_site(caller);
  const std::size_t d = normalize_dim("squeeze", dim, x.dim());
  if (x.dim() == 0) return x;
  if (x.shape()[d] != 1)
    throw std::invalid_argument(
        fmt::format("squeeze: dim {} of shape {} has size {}, not 1", dim, shape_str(x.shape()), x.shape()[d]));
  Shape shape = x.shape();
  shape.erase(shape.begin() + static_cast<std::ptrdiff_t>(d));
  return reshape_to("squeeze", x, shape);
}

Tensor squeeze(const Tensor& x, Where caller) {
  const CallSite call_site(caller);
  Shape shape;
  for (std::size_t s : x.shape())
    if (s != 1) shape.push_back(s);
  return reshape_to("squeeze", x, shape);
}

// y = x[start:end:step] along dim     the gradient lands back on the sliced positions
Tensor slice(const Tensor& x, int dim, std::int64_t start, std::int64_t end, std::int64_t step, Where caller) {
  const CallSite call_site(caller);
  const std::size_t d = normalize_dim("slice", dim, x.dim());
  if (x.dim() == 0) throw std::invalid_argument("slice: cannot slice a 0-d tensor");
  if (step <= 0) throw std::invalid_argument(fmt::format("slice: step must be positive, got {}", step));
  const auto n = static_cast<std::int64_t>(x.shape()[d]);
  auto clamp_index = [n](std::int64_t i) { return std::clamp(i < 0 ? i + n : i, std::int64_t{0}, n); };
  const std::int64_t lo = clamp_index(start), hi = std::max(lo, clamp_index(end));
  Shape shape = x.shape();
  shape[d] = static_cast<std::size_t>((hi - lo + step - 1) / step);
  Strides strides = contiguous_strides(x.shape());
  const std::size_t offset = static_cast<std::size_t>(lo) * strides[d];
  strides[d] *= static_cast<std::size_t>(step);
  return view_op("slice", x, offset, strides, shape);
}

Tensor narrow(const Tensor& x, int dim, std::int64_t start, std::int64_t length, Where caller) {
  const CallSite call_site(caller);
  const std::size_t d = normalize_dim("narrow", dim, x.dim());
  const auto n = static_cast<std::int64_t>(x.dim() == 0 ? 0 : x.shape()[d]);
  if (start < -n || start > n)
    throw std::invalid_argument(fmt::format("narrow: start {} is out of range for dim {} of size {}", start, dim, n));
  const std::int64_t s = start < 0 ? start + n : start;
  if (length < 0 || s + length > n)
    throw std::invalid_argument(fmt::format("narrow: start {} + length {} exceeds dim {} of size {} (shape {})", start,
                                            length, dim, n, shape_str(x.shape())));
  return slice(x, dim, s, s + length, 1);
}

// select(x, dim, i) = squeeze(narrow(x, dim, i, 1), dim): both record their own backward.
Tensor select(const Tensor& x, int dim, std::int64_t index, Where caller) {
  const CallSite call_site(caller);
  const std::size_t d = normalize_dim("select", dim, x.dim());
  const auto n = static_cast<std::int64_t>(x.shape()[d]);
  if (index < -n || index >= n)
    throw std::invalid_argument(
        fmt::format("select: index {} is out of range for dim {} of size {} in a tensor of "
                    "shape {}",
                    index, dim, n, shape_str(x.shape())));
  const int axis = static_cast<int>(d);
  return squeeze(narrow(x, axis, index < 0 ? index + n : index, 1), axis);
}

// y = [a; b; ...] along dim     each input's gradient is its block of the output gradient
Tensor cat(const std::vector<Tensor>& tensors, int dim, Where caller) {
  const CallSite call_site(caller);
  if (tensors.empty()) throw std::invalid_argument("cat: needs at least one tensor");
  const Shape& first = tensors[0].shape();
  const std::size_t d = normalize_dim("cat", dim, first.size());
  if (first.empty()) throw std::invalid_argument("cat: cannot concatenate 0-d tensors (use stack)");
  Shape shape = first;
  shape[d] = 0;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const Shape& s = tensors[i].shape();
    bool same = s.size() == first.size();
    for (std::size_t k = 0; same && k < s.size(); ++k) same = k == d || s[k] == first[k];
    if (!same)
      throw std::invalid_argument(
          fmt::format("cat: tensor {} has shape {} but tensor 0 has shape {}; all sizes except dim {} must match", i,
                      shape_str(s), shape_str(first), dim));
    shape[d] += s[d];
  }
  const Strides out_strides = contiguous_strides(shape);
  std::vector<std::size_t> offsets;  // where each input starts in the output
  Array out(shape);                  // uninitialised: the blocks below cover every element once
  std::size_t at = 0;
  for (const Tensor& t : tensors) {
    offsets.push_back(at * out_strides[d]);
    copy_into_view(out, offsets.back(), out_strides, t.value());
    at += t.shape()[d];
  }
  return make_result("cat", std::move(out), tensors,
                     [offsets, out_strides](const Array& g, const Array&, const Inputs& in) {
                       for (std::size_t i = 0; i < in.size(); ++i)
                         if (in[i].requires_grad())
                           accumulate_grad(in[i], read_view(g, offsets[i], out_strides, in[i].shape()));
                     });
}

Tensor stack(const std::vector<Tensor>& tensors, int dim, Where caller) {
  const CallSite call_site(caller);
  if (tensors.empty()) throw std::invalid_argument("stack: needs at least one tensor");
  for (std::size_t i = 1; i < tensors.size(); ++i)
    if (tensors[i].shape() != tensors[0].shape())
      throw std::invalid_argument(fmt::format("stack: tensor {} has shape {} but tensor 0 has shape {}; all must match",
                                              i, shape_str(tensors[i].shape()), shape_str(tensors[0].shape())));
  const std::size_t d = normalize_dim("stack", dim, tensors[0].dim() + 1);
  std::vector<Tensor> expanded;
  for (const Tensor& t : tensors) expanded.push_back(unsqueeze(t, static_cast<int>(d)));
  return cat(expanded, static_cast<int>(d));
}

std::vector<Tensor> split(const Tensor& x, const SizeList& sizes, int dim, Where caller) {
  const CallSite call_site(caller);
  const std::size_t d = normalize_dim("split", dim, x.dim());
  const auto total = std::accumulate(sizes.begin(), sizes.end(), std::int64_t{0});
  const auto n = static_cast<std::int64_t>(x.shape()[d]);
  if (total != n || std::any_of(sizes.begin(), sizes.end(), [](std::int64_t s) { return s < 0; }))
    throw std::invalid_argument(
        fmt::format("split: sizes ({}) must be non-negative and add up to {} (dim {} of shape {})",
                    fmt::join(sizes, ", "), n, dim, shape_str(x.shape())));
  std::vector<Tensor> out;
  std::int64_t start = 0;
  for (std::int64_t s : sizes) {
    out.push_back(narrow(x, dim, start, s));
    start += s;
  }
  return out;
}

std::vector<Tensor> split(const Tensor& x, std::int64_t split_size, int dim, Where caller) {
  const CallSite call_site(caller);
  const std::size_t d = normalize_dim("split", dim, x.dim());
  if (split_size <= 0)
    throw std::invalid_argument(fmt::format("split: split_size must be positive, got {}", split_size));
  const auto n = static_cast<std::int64_t>(x.shape()[d]);
  SizeList sizes;
  for (std::int64_t start = 0; start < n; start += split_size) sizes.push_back(std::min(split_size, n - start));
  if (sizes.empty()) sizes.push_back(0);
  return split(x, sizes, dim);
}

std::vector<Tensor> chunk(const Tensor& x, std::int64_t chunks, int dim, Where caller) {
  const CallSite call_site(caller);
  const std::size_t d = normalize_dim("chunk", dim, x.dim());
  if (chunks <= 0) throw std::invalid_argument(fmt::format("chunk: chunks must be positive, got {}", chunks));
  const auto n = static_cast<std::int64_t>(x.shape()[d]);
  return split(x, std::max<std::int64_t>(1, (n + chunks - 1) / chunks), dim);
}

// y = x broadcast to shape     dy/dx: the gradient summed back over the broadcast dims
Tensor expand(const Tensor& x, const Shape& shape, Where caller) {
  const CallSite call_site(caller);
  return make_result("expand", expand_array(x.value(), shape), {x}, [](const Array& g, const Array&, const Inputs& in) {
    accumulate_grad(in[0], sum_to(g, in[0].shape()));
  });
}

Tensor broadcast_to(const Tensor& x, const Shape& shape, Where caller) {
  const CallSite call_site(caller);
  return expand(x, shape);
}

}  // namespace attograd
