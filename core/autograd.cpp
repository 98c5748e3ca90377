// The reverse-mode engine: make_result records an op, Tensor::backward walks the graph back.
#include <attograd/core/autograd.hpp>
#include <attograd/core/kernels/loops.hpp>

#include <cmath>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

namespace attograd {

namespace {
thread_local bool grad_enabled = true;
thread_local bool anomaly_enabled = false;
thread_local bool anomaly_forward = false;
thread_local const Node* running_node = nullptr;  // whose backward is running, for anomaly errors
thread_local const Where* call_site = nullptr;    // the outermost public op call
}  // namespace

bool is_grad_enabled() { return grad_enabled; }
NoGradGuard::NoGradGuard() : previous_(grad_enabled) { grad_enabled = false; }
NoGradGuard::~NoGradGuard() { grad_enabled = previous_; }

void set_anomaly_enabled(bool on, bool check_forward) {
  anomaly_enabled = on;
  anomaly_forward = on && check_forward;
}
bool is_anomaly_enabled() { return anomaly_enabled; }
bool is_anomaly_forward_check_enabled() { return anomaly_forward; }
AnomalyModeGuard::AnomalyModeGuard(bool on, bool check_forward)
    : previous_(anomaly_enabled), previous_forward_(anomaly_forward) {
  set_anomaly_enabled(on, check_forward);
}
AnomalyModeGuard::~AnomalyModeGuard() {
  anomaly_enabled = previous_;
  anomaly_forward = previous_forward_;
}

CallSite::CallSite(const Where& where, const char* op) : outermost_(call_site == nullptr), timer_("forward", op) {
  if (outermost_) call_site = &where;
}
CallSite::~CallSite() {
  if (outermost_) call_site = nullptr;
}

std::string where_str(const Node& node) {
  if (node.where.line() == 0) return "";
  std::string file = node.where.file_name();
  return fmt::format("{}:{}", file, node.where.line());
}

namespace {
std::ptrdiff_t first_non_finite(const Array& a) {
  const float* p = a.data();
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!std::isfinite(p[i])) return static_cast<std::ptrdiff_t>(i);
  return -1;
}

std::string created_at(const Node& n) {
  const std::string w = where_str(n);
  return w.empty() ? "" : fmt::format(", created at {}", w);
}

// Forward check: an op that makes NaN/Inf out of finite inputs is where a bad value starts.
void check_forward_value(const char* op, const Array& value, const std::vector<Tensor>& inputs) {
  const std::ptrdiff_t at = first_non_finite(value);
  if (at < 0) return;
  std::vector<std::string> in_shapes;
  for (const Tensor& t : inputs) {
    if (first_non_finite(t.value()) >= 0) return;  // the bad value came in: not this op's doing
    in_shapes.push_back(shape_str(t.shape()));
  }
  const std::string where =
      call_site ? fmt::format(", called at {}:{}", call_site->file_name(), call_site->line()) : std::string();
  throw std::runtime_error(fmt::format(
      "anomaly: the forward op '{}' produced {} at flat index {} of its output (shape {}) from finite inputs "
      "(shapes {}){}",
      op, std::isnan(value.data()[at]) ? "NaN" : "Inf", at, shape_str(value.shape()), fmt::join(in_shapes, ", "),
      where));
}
}  // namespace

Tensor make_result(const char* op, Array value, std::vector<Tensor> inputs, BackwardFn backward) {
  if (anomaly_forward) check_forward_value(op, value, inputs);
  bool any_requires_grad = false;
  for (const Tensor& t : inputs) any_requires_grad = any_requires_grad || t.requires_grad();
  if (!grad_enabled || !any_requires_grad) return Tensor(std::move(value));
  auto node = std::make_shared<Node>();
  node->value = std::move(value);
  node->requires_grad = true;
  node->op = op;
  node->inputs = std::move(inputs);
  node->backward = std::move(backward);
  if (call_site) node->where = *call_site;
  return Tensor(std::move(node));
}

namespace {
// The op that first made a non-finite value in the forward pass below `start`: a node whose
// value holds NaN/Inf while every input's is finite (depth-first; null if every value is finite).
const Node* forward_origin(const Node& start) {
  std::vector<const Node*> stack{&start};
  std::unordered_set<const Node*> seen{&start};
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    if (first_non_finite(n->value) < 0) continue;
    bool inputs_finite = true;
    for (const Tensor& t : n->inputs) {
      if (first_non_finite(t.value()) < 0) continue;
      inputs_finite = false;
      if (seen.insert(t.node().get()).second) stack.push_back(t.node().get());
    }
    if (inputs_finite) return n;
  }
  return nullptr;
}

void check_finite(const Array& grad, const Tensor& input) {
  const std::ptrdiff_t i = first_non_finite(grad);
  if (i < 0) return;
  const Node* n = running_node;
  std::vector<std::string> in_shapes;
  if (n)
    for (const Tensor& t : n->inputs) in_shapes.push_back(shape_str(t.shape()));
  std::string message = fmt::format(
      "anomaly: the backward of '{}' (tensor #{}, output shape {}, input shapes {}{}) produced {} in the gradient of "
      "its input #{} ({}, shape {}) at flat index {}",
      n ? n->op : "?", n ? n->id : 0, n ? shape_str(n->value.shape()) : "?", fmt::join(in_shapes, ", "),
      n ? created_at(*n) : "", std::isnan(grad.data()[i]) ? "NaN" : "Inf", input.id(), input.op(),
      shape_str(input.shape()), i);
  if (const Node* origin = n ? forward_origin(*n) : nullptr)
    message += fmt::format(
        ". The first non-finite value came from the forward op '{}' (tensor #{}, shape {}{}), which made it from "
        "finite inputs",
        origin->op, origin->id, shape_str(origin->value.shape()), created_at(*origin));
  else
    message += ": every forward value is finite, so this backward itself overflowed or divided by zero";
  throw std::runtime_error(message);
}
}  // namespace

namespace {
// acc += g, elementwise (same shape), over the threads for large gradients.
void add_in_place(Array& acc, const Array& g) {
  float* pa = acc.data();
  const float* pg = g.data();
  for_each_range(g.size(), [&](std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) pa[i] += pg[i];
  });
}
}  // namespace

void accumulate_grad(const Tensor& input, Array grad) {
  Node& n = *input.node();
  if (!n.requires_grad) return;
  if (grad.shape() != n.value.shape())
    throw std::logic_error(
        fmt::format("accumulate_grad: the backward of '{}' gave a gradient of shape {} for an input of "
                    "shape {} (a missing sum_to?)",
                    running_node ? running_node->op : "?", shape_str(grad.shape()), shape_str(n.value.shape())));
  if (anomaly_enabled) check_finite(grad, input);
  if (!n.has_grad) {
    n.grad = std::move(grad);
    n.has_grad = true;
    return;
  }
  add_in_place(n.grad, grad);
}

Array* grad_to_add_into(const Tensor& input) {
  Node& n = *input.node();
  return n.requires_grad && n.has_grad && !anomaly_enabled ? &n.grad : nullptr;
}

void accumulate_grad_from(const Tensor& input, const Array& grad) {
  if (!input.node()->requires_grad) return;
  if (grad.shape() != input.shape())
    accumulate_grad(input, sum_to(grad, input.shape()));
  else if (Array* into = grad_to_add_into(input))
    add_in_place(*into, grad);
  else
    accumulate_grad(input, copy_of(grad));  // the first share, or anomaly mode's check
}

void accumulate_grad_view(const Tensor& input, const Array& grad, std::size_t offset,
                          const std::vector<std::size_t>& strides) {
  Node& n = *input.node();
  if (!n.requires_grad) return;
  if (anomaly_enabled) check_finite(grad, input);
  if (!n.has_grad) {
    n.grad = xt::zeros<float>(n.value.shape());
    n.has_grad = true;
  }
  add_into_view(n.grad, offset, strides, grad);
}

namespace {
std::string freed_graph_message(const Node& n) {
  return fmt::format(
      "backward: the graph through '{}' (tensor #{}, shape {}) was already freed by an earlier backward(); "
      "call backward(/*retain_graph=*/true) the first time if you need to go through it twice",
      n.op, n.id, shape_str(n.value.shape()));
}

// Every node from which `root` can be reached through recorded ops, inputs before outputs.
// Iterative depth-first search: a 100 000-op chain must not overflow the stack.
std::vector<std::shared_ptr<Node>> topological_order(const std::shared_ptr<Node>& root) {
  std::vector<std::shared_ptr<Node>> order;
  std::unordered_set<const Node*> seen{root.get()};
  std::vector<std::pair<std::shared_ptr<Node>, std::size_t>> stack{{root, 0}};  // node, next input
  while (!stack.empty()) {
    auto& [node, next] = stack.back();
    if (node->released) throw std::logic_error(freed_graph_message(*node));
    if (next < node->inputs.size()) {
      const std::shared_ptr<Node>& child = node->inputs[next++].node();
      if (child->requires_grad && seen.insert(child.get()).second) stack.emplace_back(child, 0);
      continue;
    }
    order.push_back(std::move(node));
    stack.pop_back();
  }
  return order;
}

void run_backward(const Tensor& root, Array seed, bool retain_graph) {
  if (!root.requires_grad())
    throw std::logic_error(
        fmt::format("backward: tensor #{} ({}, shape {}) does not require grad: no input of its "
                    "graph has requires_grad=true (or it was made under NoGradGuard)",
                    root.id(), root.op(), shape_str(root.shape())));
  std::vector<std::shared_ptr<Node>> order = topological_order(root.node());
  accumulate_grad(root, std::move(seed));
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    Node& node = **it;
    if (!node.backward || !node.has_grad) continue;  // a leaf, or no gradient flowed here
    running_node = &node;
    const profiler::OpTimer timer("backward", node.op);
    try {
      node.backward(node.grad, node.value, node.inputs);
    } catch (...) {
      running_node = nullptr;
      throw;
    }
    running_node = nullptr;
    if (!node.retains_grad) {  // like PyTorch, only leaves keep .grad by default
      node.grad = Array();
      node.has_grad = false;
    }
    if (!retain_graph) {
      node.backward = nullptr;
      node.inputs.clear();
      node.released = true;
    }
  }
}
}  // namespace

void Tensor::backward(bool retain_graph) const {
  if (numel() != 1)
    throw std::invalid_argument(
        fmt::format("backward: tensor of shape {} is not a scalar; pass a seed gradient of the "
                    "same shape, e.g. t.backward(ones_like)",
                    shape_str(shape())));
  run_backward(*this, xt::ones<float>(shape()), retain_graph);
}

void Tensor::backward(const Array& seed, bool retain_graph) const {
  if (seed.shape() != shape())
    throw std::invalid_argument(fmt::format("backward: the seed gradient has shape {} but the tensor has shape {}",
                                            shape_str(seed.shape()), shape_str(shape())));
  run_backward(*this, seed, retain_graph);
}

std::string to_dot(const Tensor& root, const std::vector<std::pair<std::string, Tensor>>& labels) {
  if (!root.defined()) throw std::invalid_argument("to_dot: the tensor is undefined (a default-constructed Tensor())");
  if (root.node()->released)
    throw std::logic_error(fmt::format(
        "to_dot: the graph of tensor #{} ({}) was freed by backward(); call to_dot before backward(), or call "
        "backward(/*retain_graph=*/true)",
        root.id(), root.op()));
  std::unordered_map<const Node*, std::string> names;
  for (const auto& [name, t] : labels)
    if (t.defined()) names.emplace(t.node().get(), name);
  std::string out = "digraph attograd {\n  rankdir=LR;\n  node [shape=record, fontname=\"monospace\"];\n";
  std::unordered_set<const Node*> seen{root.node().get()};
  std::vector<const Node*> stack{root.node().get()};
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    const bool leaf = !n->backward && !n->released;
    const auto name = names.find(n);
    const std::string title = name != names.end() ? name->second : fmt::format("{} #{}", n->op, n->id);
    out += fmt::format("  n{} [label=\"{{ {} | {} {}}}\"{}];\n", n->id, title, shape_str(n->value.shape()),
                       n->requires_grad ? "| grad" : "",
                       leaf && n->requires_grad ? ", style=filled, fillcolor=lightblue" : "");
    for (const Tensor& t : n->inputs) {
      out += fmt::format("  n{} -> n{};\n", t.id(), n->id);
      if (seen.insert(t.node().get()).second) stack.push_back(t.node().get());
    }
  }
  return out + "}\n";
}

}  // namespace attograd
