// Tensor handle accessors, iterative graph destruction and printing.
#include <attograd/core/tensor.hpp>

#include <atomic>
#include <cstdlib>
#include <ostream>
#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/autograd.hpp>

namespace attograd {

namespace {
std::atomic<std::uint64_t> next_node_id{1};

const Node& checked(const std::shared_ptr<Node>& node, const char* what) {
  if (!node) throw std::logic_error(fmt::format("Tensor::{}: the tensor is undefined (default-constructed)", what));
  return *node;
}
}  // namespace

Node::Node() : id(next_node_id.fetch_add(1, std::memory_order_relaxed)) {}

Node::~Node() {
  // Destroying a node destroys its inputs, which destroy theirs...: done recursively a chain
  // of 100 000 ops would overflow the stack. Instead, take over the inputs we hold the last
  // reference to, and empty their input lists before letting them go.
  std::vector<std::shared_ptr<Node>> pending;
  for (Tensor& t : inputs) pending.push_back(t.node());
  inputs.clear();
  backward = nullptr;
  while (!pending.empty()) {
    std::shared_ptr<Node> node = std::move(pending.back());
    pending.pop_back();
    if (node && node.use_count() == 1) {
      for (Tensor& t : node->inputs) pending.push_back(t.node());
      node->inputs.clear();
      node->backward = nullptr;
    }
  }
}

Tensor::Tensor(Array value, bool requires_grad) : node_(std::make_shared<Node>()) {
  node_->value = std::move(value);
  node_->requires_grad = requires_grad;
}

namespace {
// The function's name, without its signature if the compiler gave one.
std::string function_of(const Where& where) {
  std::string f = where.function_name();
  const std::size_t open = f.find('(');
  if (open != std::string::npos) f.resize(open);
  const std::size_t space = f.rfind(' ');
  return space == std::string::npos ? f : f.substr(space + 1);
}
}  // namespace

const Array& Tensor::value(Where caller) const {
  if (!node_)
    throw std::logic_error(fmt::format(
        "{}: an input tensor is undefined (a default-constructed Tensor() holds no value); pass a tensor made by "
        "an op, a factory such as zeros or randn, or a layer (asked at {}:{})",
        function_of(caller), caller.file_name(), caller.line()));
  return node_->value;
}

Array& Tensor::mutable_value() {
  checked(node_, "mutable_value");
  return node_->value;
}

std::size_t Tensor::size(int dim) const {
  const auto nd = static_cast<int>(this->dim());
  if (dim < -nd || dim >= nd)
    throw std::invalid_argument(
        fmt::format("size: dim {} is out of range for a tensor of shape {}", dim, shape_str(shape())));
  return shape()[static_cast<std::size_t>(dim < 0 ? dim + nd : dim)];
}

float Tensor::item() const {
  if (numel() != 1)
    throw std::invalid_argument(
        fmt::format("item: only a one-element tensor has an item; this one has shape {} ({} elements)",
                    shape_str(shape()), numel()));
  return value().data()[0];
}

bool Tensor::requires_grad() const { return checked(node_, "requires_grad").requires_grad; }

Tensor& Tensor::requires_grad_(bool on) {
  if (!is_leaf())
    throw std::logic_error(
        fmt::format("requires_grad_: only leaf tensors can change requires_grad; this one was made by '{}'"
                    " (use detach() to get a leaf)",
                    op()));
  node_->requires_grad = on;
  return *this;
}

bool Tensor::is_leaf() const {
  const Node& n = checked(node_, "is_leaf");
  return !n.backward && !n.released;
}

const char* Tensor::op() const { return checked(node_, "op").op; }
std::uint64_t Tensor::id() const { return checked(node_, "id").id; }
bool Tensor::has_grad() const { return checked(node_, "has_grad").has_grad; }

const Array& Tensor::grad() const {
  const Node& n = checked(node_, "grad");
  if (!n.has_grad)
    throw std::logic_error(
        fmt::format("grad: tensor #{} ({}, shape {}) has no gradient: {}", n.id, n.op, shape_str(n.value.shape()),
                    !n.requires_grad ? "it does not require grad"
                    : !n.backward && !n.released
                        ? "backward() has not reached it yet"
                        : "gradients of non-leaf tensors are freed after backward unless retain_grad() is called"));
  return n.grad;
}

Array& Tensor::mutable_grad() {
  grad();
  return node_->grad;
}

void Tensor::zero_grad() {
  checked(node_, "zero_grad");
  node_->grad = Array();
  node_->has_grad = false;
}

void Tensor::retain_grad() {
  checked(node_, "retain_grad");
  node_->retains_grad = true;
}

Tensor Tensor::detach() const { return Tensor(value()); }

std::string shape_str(const Shape& shape) {
  if (shape.size() == 1) return fmt::format("({},)", shape[0]);
  return fmt::format("({})", fmt::join(shape, ", "));
}

namespace {
std::string element_str(float v) { return fmt::format("{:.4f}", v); }
std::string element_str(std::int64_t v) { return fmt::format("{}", v); }
std::string element_str(bool v) { return v ? "true" : "false"; }

// Nested brackets like PyTorch; long dims show their first and last three entries.
template <class T>
void print_values(std::string& out, const T* data, const Shape& shape, std::size_t dim, std::size_t indent) {
  const std::size_t n = shape[dim];
  std::size_t block = 1;
  for (std::size_t d = dim + 1; d < shape.size(); ++d) block *= shape[d];
  const bool summarise = n > 6;
  out += '[';
  for (std::size_t i = 0; i < n; ++i) {
    if (summarise && i == 3) {
      out += dim + 1 == shape.size() ? "..., " : fmt::format("...,\n{:{}}", "", indent + 1);
      i = n - 3;
    }
    if (dim + 1 == shape.size())
      out += element_str(data[i]);
    else
      print_values(out, data + i * block, shape, dim + 1, indent + 1);
    if (i + 1 < n) out += dim + 1 == shape.size() ? ", " : fmt::format(",\n{:{}}", "", indent + 1);
  }
  out += ']';
}

// The values of `a` (no wrapper), starting at column `indent` for continuation lines.
template <class T>
std::string values_str(const xt::xarray<T>& a, std::size_t indent) {
  std::string out;
  if (a.dimension() == 0)
    out += element_str(a.data()[0]);
  else
    print_values(out, a.data(), a.shape(), 0, indent);
  if (a.dimension() > 1 || a.size() == 0) out += fmt::format(", shape={}", shape_str(a.shape()));
  return out;
}
}  // namespace

std::string to_string(const Tensor& t) {
  if (!t.defined()) return "tensor(undefined)";
  std::string out = "tensor(" + values_str(t.value(), 7);
  if (!t.is_leaf())
    out += fmt::format(", op={}", t.op());
  else if (t.requires_grad())
    out += ", requires_grad=true";
  return out + ")";
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << to_string(t); }

std::string to_string(const Array& a) { return values_str(a, 0); }
std::string to_string(const Index& a) { return values_str(a, 0); }
std::string to_string(const Mask& a) { return values_str(a, 0); }
std::ostream& operator<<(std::ostream& os, const Array& a) { return os << to_string(a); }
std::ostream& operator<<(std::ostream& os, const Index& a) { return os << to_string(a); }
std::ostream& operator<<(std::ostream& os, const Mask& a) { return os << to_string(a); }

}  // namespace attograd
