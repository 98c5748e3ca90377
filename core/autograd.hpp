// The reverse-mode engine: recording ops into the graph, running backward over it, and the
// switches that change how it records (NoGradGuard) or checks (anomaly mode).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <attograd/core/profiler.hpp>
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

// accumulate_grad for a gradient the backward only reads, such as its own g (add's and reshape's
// backward pass it on unchanged): added in place when `input` already has a gradient, else
// copied in (copy_of, not memcpy: see core/kernels/loops.hpp). Summed over broadcast dims first
// when `grad` has more elements than `input` (sum_to).
void accumulate_grad_from(const Tensor& input, const Array& grad);

// For a backward that can add its share straight into an input's gradient (a product with
// beta = 1, as linear's does for a weight used at every step of an RNN): that gradient when
// `input` already has one, else nullptr (make the share and call accumulate_grad). Also nullptr
// in anomaly mode, which checks each share on its own.
Array* grad_to_add_into(const Tensor& input);

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
// std::runtime_error naming the op whose backward produced it and, when the bad value came from
// the forward pass, the forward op that first produced a non-finite value from finite inputs,
// with the file:line of the call that created it. With check_forward, every op's output is
// checked as it is computed, so the error comes at the forward op itself. Off by default: it
// costs a scan per op.
void set_anomaly_enabled(bool on, bool check_forward = false);
bool is_anomaly_enabled();
bool is_anomaly_forward_check_enabled();
class AnomalyModeGuard {
 public:
  explicit AnomalyModeGuard(bool on = true, bool check_forward = false);
  ~AnomalyModeGuard();
  AnomalyModeGuard(const AnomalyModeGuard&) = delete;
  AnomalyModeGuard& operator=(const AnomalyModeGuard&) = delete;

 private:
  bool previous_, previous_forward_;
};

// Where a public op was called. Each public op takes `Where caller` (core/tensor.hpp) defaulted to
// the caller's location and holds a CallSite for its duration; the outermost one wins, so every
// node an op records (its composite parts too) remembers the user's line. Anomaly errors and
// to_dot print it. The same scope times the op for a ProfileGuard (core/profiler.hpp), named
// after the function that holds it (`op`, which defaults to that function's name).
class CallSite {
 public:
  explicit CallSite(const Where& where, const char* op = __builtin_FUNCTION());
  ~CallSite();
  CallSite(const CallSite&) = delete;
  CallSite& operator=(const CallSite&) = delete;

 private:
  bool outermost_;
  profiler::OpTimer timer_;
};
// "file.cpp:12" of a node's call site, or "" if unknown.
std::string where_str(const Node& node);

// The graph that produced `root`, in Graphviz DOT (one box per tensor: op, id, shape, and the
// name given in `labels`, e.g. a module's named_parameters()), like micrograd's draw_dot.
// Render with `dot -Tpng graph.dot -o graph.png`. Call it before backward(), which frees the
// graph (or pass retain_graph = true): afterwards it throws std::logic_error saying so.
std::string to_dot(const Tensor& root, const std::vector<std::pair<std::string, Tensor>>& labels = {});

}  // namespace attograd
