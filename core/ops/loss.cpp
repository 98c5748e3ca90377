// Losses, composed from core ops. cross_entropy hands its per-row loss to a fused twin
// (core/fused/cross_entropy.hpp) while fused kernels are on: it is the hot end of every model.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/autograd.hpp>
#include <attograd/core/fused/cross_entropy.hpp>
#include <attograd/core/fused/switch.hpp>
#include <attograd/core/kernels/fast_math.hpp>
#include <attograd/core/kernels/loops.hpp>
#include <attograd/core/ops/elementwise.hpp>
#include <attograd/core/ops/functional.hpp>
#include <attograd/core/ops/indexing.hpp>
#include <attograd/core/ops/reduction.hpp>
#include <attograd/core/ops/shape_ops.hpp>

namespace attograd {

using Inputs = std::vector<Tensor>;

namespace {
Tensor reduce(const Tensor& per_element, Reduction reduction) {
  switch (reduction) {
    case Reduction::None:
      return per_element;
    case Reduction::Sum:
      return sum(per_element);
    case Reduction::Mean:
      return mean(per_element);
  }
  throw std::invalid_argument("unknown reduction");
}

// Brings logits to (rows, C) and targets to (rows,), following PyTorch's accepted layouts.
struct ClassLayout {
  Tensor logits;     // (rows, C)
  Index targets;     // (rows,)
  Shape loss_shape;  // the shape of the per-element loss (reduction None)
};

ClassLayout to_rows(const char* op, const Tensor& logits, const Index& targets) {
  const Shape& s = logits.shape();
  const Shape& t = targets.shape();
  if (s.empty()) throw std::invalid_argument(fmt::format("{}: input must have a class dim, got a 0-d tensor", op));
  Shape expected_targets;
  if (s.size() >= 2) {
    expected_targets.push_back(s[0]);
    for (std::size_t d = 2; d < s.size(); ++d) expected_targets.push_back(s[d]);
  }
  if (t != expected_targets)
    throw std::invalid_argument(fmt::format("{}: input of shape {} needs targets of shape {}, got {}", op, shape_str(s),
                                            shape_str(expected_targets), shape_str(t)));
  if (s[s.size() == 1 ? 0 : 1] == 0)
    throw std::invalid_argument(fmt::format("{}: input of shape {} has no classes", op, shape_str(s)));
  Index flat_targets = targets;
  flat_targets.reshape({targets.size()});
  if (s.size() == 1) return {reshape(logits, {1, -1}), flat_targets, t};
  if (s.size() == 2) return {logits, flat_targets, t};
  Dims order{0};  // (N, C, d1, ..) -> (N, d1, .., C)
  for (std::size_t d = 2; d < s.size(); ++d) order.push_back(static_cast<int>(d));
  order.push_back(1);
  return {reshape(permute(logits, order), {-1, static_cast<std::int64_t>(s[1])}), flat_targets, t};
}

void check_smoothing(float eps) {
  if (!(eps >= 0.0f && eps <= 1.0f))
    throw std::invalid_argument(fmt::format("cross_entropy: label_smoothing must be in [0, 1], got {}", eps));
}

// The loss of the non-ignored rows, reduced; the mean divides by their count (as PyTorch).
Tensor reduce_over_targets(const Tensor& per_row, const Index& targets, std::int64_t ignore_index, Reduction r,
                           const Shape& loss_shape) {
  if (r == Reduction::None) return reshape(per_row, SizeList(loss_shape.begin(), loss_shape.end()));
  const Tensor total = sum(per_row);
  if (r == Reduction::Sum) return total;
  const auto counted = std::count_if(targets.begin(), targets.end(), [&](std::int64_t y) { return y != ignore_index; });
  return total / static_cast<float>(counted);  // 0 / 0 = NaN when every target is ignored, as PyTorch
}
}  // namespace

// Per row with target y, ε = label_smoothing and C classes:
//   loss = -(1 - ε) log softmax(x)[y] - ε · mean_c log softmax(x)[c]      (0 for ignored rows)
// then reduced over the rows that are not ignored.
Tensor cross_entropy(const Tensor& logits, const Index& targets, const CrossEntropyOptions& options, Where caller) {
  const CallSite call_site(caller);
  check_smoothing(options.label_smoothing);
  const ClassLayout l = to_rows("cross_entropy", logits, targets);  // (rows, C), (rows,)
  check_class_targets("cross_entropy", l.targets, l.logits.shape()[1], options.ignore_index);
  Tensor per_row;  // (rows,)
  if (fused_kernels_enabled()) {
    per_row = fused::cross_entropy_rows(l.logits, l.targets, options.ignore_index, options.label_smoothing);
  } else {
    const Tensor logp = log_softmax(l.logits, 1);                                // (rows, C)
    per_row = nll_loss(logp, l.targets, options.ignore_index, Reduction::None);  // (rows,)
    if (options.label_smoothing > 0.0f) {
      Mask ignored = Mask::from_shape({l.targets.size()});
      for (std::size_t i = 0; i < ignored.size(); ++i) ignored(i) = l.targets(i) == options.ignore_index;
      const Tensor smooth = masked_fill(-mean(logp, {1}), ignored, 0.0f);  // (rows,)
      per_row = per_row * (1.0f - options.label_smoothing) + smooth * options.label_smoothing;
    }
  }
  return reduce_over_targets(per_row, l.targets, options.ignore_index, options.reduction, l.loss_shape);
}

// loss_i = -logp[i, y_i]        dloss_i/dlogp[i, y_i] = -1
Tensor nll_loss(const Tensor& log_probs, const Index& targets, std::int64_t ignore_index, Reduction reduction,
                Where caller) {
  const CallSite call_site(caller);
  if (log_probs.dim() != 2)
    throw std::invalid_argument(
        fmt::format("nll_loss: log_probs must be (N, C), got {}", shape_str(log_probs.shape())));
  const ClassLayout l = to_rows("nll_loss", log_probs, targets);
  const std::size_t classes = log_probs.shape()[1];
  check_class_targets("nll_loss", l.targets, classes, ignore_index);
  Array loss = Array::from_shape({l.targets.size()});
  for (std::size_t i = 0; i < loss.size(); ++i) {
    const std::int64_t y = l.targets(i);
    loss(i) = y == ignore_index ? 0.0f : -log_probs.value().data()[i * classes + static_cast<std::size_t>(y)];
  }
  Tensor per_row = make_result("nll_loss", std::move(loss), {log_probs},
                               [t = l.targets, ignore_index](const Array& g, const Array&, const Inputs& in) {
                                 Array dx = xt::zeros<float>(in[0].shape());
                                 const std::size_t c = in[0].shape()[1];
                                 for (std::size_t i = 0; i < t.size(); ++i)
                                   if (t(i) != ignore_index) dx.data()[i * c + static_cast<std::size_t>(t(i))] = -g(i);
                                 accumulate_grad(in[0], std::move(dx));
                               });
  return reduce_over_targets(per_row, l.targets, ignore_index, reduction, l.loss_shape);
}

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction, Where caller) {
  const CallSite call_site(caller);
  if (input.shape() != target.shape())
    throw std::invalid_argument(fmt::format("mse_loss: input {} and target {} must have the same shape",
                                            shape_str(input.shape()), shape_str(target.shape())));
  const Tensor diff = input - target;
  return reduce(diff * diff, reduction);
}

Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& targets, Reduction reduction,
                                        Where caller) {
  const CallSite call_site(caller);
  if (logits.shape() != targets.shape())
    throw std::invalid_argument(
        fmt::format("binary_cross_entropy_with_logits: logits {} and targets {} must have the same shape",
                    shape_str(logits.shape()), shape_str(targets.shape())));
  const Tensor per_element = relu(logits) - logits * targets + log(1.0f + exp(-abs(logits)));
  return reduce(per_element, reduction);
}

}  // namespace attograd
