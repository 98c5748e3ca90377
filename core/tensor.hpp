// Tensor: a cheap handle to one node of the autograd graph.
//
// A node holds a float32 value, its gradient (allocated on first use), whether it requires a
// gradient, and - when an op made it - the op's name, its input tensors and the backward
// function that sends the output's gradient to those inputs. Copying a Tensor copies the handle:
// both copies see the same node, as in PyTorch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <xtensor/xarray.hpp>

namespace attograd {

using Array = xt::xarray<float>;         // every value and gradient
using Index = xt::xarray<std::int64_t>;  // token ids, targets, positions: never differentiated
using Mask = xt::xarray<bool>;           // results of comparisons, attention masks
using Shape = Array::shape_type;
using Dims = std::vector<int>;  // axes; negative counts from the end, as in PyTorch

struct Node;
class Tensor;

// Where a call was written: std::source_location's job, built on the compiler builtins that GCC
// and clang share (clang 14 with libstdc++ 12 has no std::source_location). As a defaulted
// argument, Where::current() is the caller's file, line and function.
class Where {
 public:
  static constexpr Where current(const char* file = __builtin_FILE(), unsigned line = __builtin_LINE(),
                                 const char* function = __builtin_FUNCTION()) {
    return Where(file, line, function);
  }
  constexpr Where() = default;
  constexpr const char* file_name() const { return file_; }
  constexpr unsigned line() const { return line_; }  // 0: unknown
  constexpr const char* function_name() const { return function_; }

 private:
  constexpr Where(const char* file, unsigned line, const char* function)
      : file_(file), line_(line), function_(function) {}
  const char* file_ = "";
  unsigned line_ = 0;
  const char* function_ = "";
};

// An op's backward: given d(loss)/d(output), the output's value and the op's inputs, it adds
// each input's share into that input's gradient with accumulate_grad (core/autograd.hpp).
using BackwardFn = std::function<void(const Array& grad_out, const Array& out, const std::vector<Tensor>& inputs)>;

class Tensor {
 public:
  Tensor() = default;  // an undefined tensor (like an empty torch::Tensor): only defined() works
  explicit Tensor(Array value, bool requires_grad = false);

  bool defined() const { return node_ != nullptr; }
  // Throws std::logic_error for an undefined tensor, naming the function that asked for the
  // value (the op it was passed to) and where; `caller` is filled in by the compiler.
  const Array& value(Where caller = Where::current()) const;
  // For in-place updates outside any graph (optimizers, initialisers, loading weights).
  Array& mutable_value();
  const Shape& shape(Where caller = Where::current()) const { return value(caller).shape(); }
  std::size_t size(int dim) const;
  std::size_t dim(Where caller = Where::current()) const { return value(caller).dimension(); }
  std::size_t numel(Where caller = Where::current()) const { return value(caller).size(); }
  float item() const;  // the value of a one-element tensor

  bool requires_grad() const;
  Tensor& requires_grad_(bool on = true);  // leaves only
  bool is_leaf() const;                    // made by the user, not by an op
  const char* op() const;                  // the op that made it, "leaf" otherwise
  std::uint64_t id() const;                // creation order; names nodes in errors and graphs

  // Gradients accumulate (+=) over backward calls until zero_grad() resets them.
  bool has_grad() const;
  const Array& grad() const;  // throws if backward has not reached this tensor yet
  Array& mutable_grad();      // for in-place edits such as gradient clipping
  void zero_grad();           // forgets the gradient (PyTorch's set_to_none)
  void retain_grad();         // keep the gradient of a non-leaf after backward

  Tensor detach() const;  // same value, cut from the graph

  // From a one-element tensor; the graph is freed afterwards unless retain_graph.
  void backward(bool retain_graph = false) const;
  // From any tensor, with d(loss)/d(this) given as the seed.
  void backward(const Array& seed, bool retain_graph = false) const;

  const std::shared_ptr<Node>& node() const { return node_; }
  bool is_same(const Tensor& other) const { return node_ == other.node_; }

 private:
  explicit Tensor(std::shared_ptr<Node> node) : node_(std::move(node)) {}
  friend Tensor make_result(const char*, Array, std::vector<Tensor>, BackwardFn);

  std::shared_ptr<Node> node_;
};

struct Node {
  Array value;
  Array grad;
  bool has_grad = false;
  bool requires_grad = false;
  bool retains_grad = false;
  bool released = false;  // backward ran without retain_graph: inputs and backward are gone
  const char* op = "leaf";
  std::vector<Tensor> inputs;
  BackwardFn backward;
  std::uint64_t id = 0;
  Where where;  // the public op call that made it (see CallSite, core/autograd.hpp)

  Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  ~Node();  // frees the graph below it iteratively, so long chains cannot overflow the stack
};

// "(2, 3)": how every error message prints a shape.
std::string shape_str(const Shape& shape);

// Printing like PyTorch: tensor([[1.0000, 2.0000]], requires_grad=true, op=mul)
std::string to_string(const Tensor& t);
std::ostream& operator<<(std::ostream& os, const Tensor& t);
// Values, gradients, ids and masks print the same way, without the tensor(...) wrapper:
// [[1.0000, 2.0000]], [[0, 3]], [[true, false]] (with ", shape=(…)" past one dim). Also through
// fmt: fmt::format("{}", t.grad()).
std::string to_string(const Array& a);
std::string to_string(const Index& a);
std::string to_string(const Mask& a);
std::ostream& operator<<(std::ostream& os, const Array& a);
std::ostream& operator<<(std::ostream& os, const Index& a);
std::ostream& operator<<(std::ostream& os, const Mask& a);

}  // namespace attograd

// fmt::format("{}", x) for every printable attograd value (full specialisations, so they win
// over fmt/ranges.h's formatter for containers).
namespace attograd::detail {
template <class T>
struct ToStringFormatter : fmt::formatter<std::string> {
  template <class Context>
  auto format(const T& value, Context& ctx) const {
    return fmt::formatter<std::string>::format(attograd::to_string(value), ctx);
  }
};
}  // namespace attograd::detail
template <>
struct fmt::formatter<attograd::Tensor> : attograd::detail::ToStringFormatter<attograd::Tensor> {};
template <>
struct fmt::formatter<attograd::Array> : attograd::detail::ToStringFormatter<attograd::Array> {};
template <>
struct fmt::formatter<attograd::Index> : attograd::detail::ToStringFormatter<attograd::Index> {};
template <>
struct fmt::formatter<attograd::Mask> : attograd::detail::ToStringFormatter<attograd::Mask> {};
