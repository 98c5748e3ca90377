// The reverse-mode engine: recording ops into the graph, running backward over it, and the
// switches that change how it records (NoGradGuard) or checks (anomaly mode).
#pragma once

#include <string>
#include <vector>

#include <attograd/core/tensor.hpp>

namespace attograd {

// Makes the tensor an op returns. When gradients are enabled and some input requires one, the
// result joins the graph: it remembers `op`, its inputs and `backward`. Otherwise it is a plain
// leaf and `backward` is dropped. This is how every op in core/ (and any op of yours) is built.
Tensor make_result(const char* op, Array value, std::vector<Tensor> inputs, BackwardFn backward);

// Called from inside a backward function: adds `grad` into `input`'s gradient (+=). The shapes
// must agree (undo broadcasting first with sum_to). Does nothing for inputs that need no grad.
// In anomaly mode it throws if `grad` holds NaN or Inf, naming the op that produced it.
void accumulate_grad(const Tensor& input, Array grad);

// The same for the backward of a view: adds `grad` into the part of `input`'s gradient that
// the view (offset, strides, grad's shape) selected, in place, so no full-size zero array is
// made per view. Offset and strides count elements of input's contiguous value.
void accumulate_grad_view(const Tensor& input, const Array& grad, std::size_t offset,
                          const std::vector<std::size_t>& strides);

// While one of these lives, ops record no graph on this thread (inference, optimizer updates).
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};
bool is_grad_enabled();

// Anomaly mode checks every gradient a backward function produces for NaN/Inf and throws
// std::runtime_error naming the op (with its id and shapes). Off by default: it costs a scan.
void set_anomaly_enabled(bool on);
bool is_anomaly_enabled();
class AnomalyModeGuard {
 public:
  explicit AnomalyModeGuard(bool on = true);
  ~AnomalyModeGuard();
  AnomalyModeGuard(const AnomalyModeGuard&) = delete;
  AnomalyModeGuard& operator=(const AnomalyModeGuard&) = delete;

 private:
  bool previous_;
};

// The graph that produced `root`, in Graphviz DOT (one box per tensor: op, id, shape), like
// micrograd's draw_dot. Render with `dot -Tpng graph.dot -o graph.png`.
std::string to_dot(const Tensor& root);

}  // namespace attograd
