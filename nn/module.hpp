// nn::Module: the base of every layer. It keeps named parameters, buffers and child modules
// in registration order, so names come out dotted and ordered as in PyTorch
// ("decoder.layers.0.self_attn.in_proj_weight"), and state dicts move between the two.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <attograd/core/state_dict.hpp>
#include <attograd/core/tensor.hpp>

namespace attograd::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;  // in registration order
using attograd::ShapeMismatch;
using attograd::StateDict;  // core/state_dict.hpp
// What load_state_dict found (missing and unexpected keys, shape mismatches, which are not
// loaded); with strict=false it is returned instead of thrown.
using LoadStateDictResult = StateDictDiff;

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // The type's name, shown by summary() (e.g. "Linear(in=4, out=2)").
  virtual std::string describe() const { return "Module"; }

  std::vector<Tensor> parameters(bool recurse = true) const;
  NamedTensors named_parameters(bool recurse = true) const;
  NamedTensors named_buffers(bool recurse = true) const;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children() const { return children_; }
  std::vector<std::shared_ptr<Module>> children() const;

  // Training mode (dropout active) by default; applies to every descendant.
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  void zero_grad();  // forgets every parameter's gradient

  // Draws every parameter again from nn::init, exactly as construction did: with the same seed
  // (manual_seed) before each, construction and reset_parameters() give the same parameters.
  // The default resets each child in registration order; a layer with parameters of its own
  // overrides it (resetting its children first, if any, in the order its constructor built
  // them) and its constructor ends by drawing them the same way.
  virtual void reset_parameters();

  // Parameters then buffers, per module, by dotted name. Each value is the module's own handle
  // (Tensor copies share their node), not a copy: as in PyTorch, whose state_dict tensors share
  // storage with the parameters, writing into one in place (mutable_value) changes the model,
  // which is how load_training_state fills a model. Unlike PyTorch's, they are not detached: a
  // parameter's entry is the parameter, requires_grad included. Take `t.detach()` of an entry
  // for a snapshot that later training does not change.
  StateDict state_dict() const;
  // Copies values in by name. strict: any missing or unexpected key or shape mismatch throws
  // one std::invalid_argument listing all of them, and nothing is loaded. Not strict: the
  // matching entries load and the rest is returned.
  LoadStateDictResult load_state_dict(const StateDict& dict, bool strict = true);

  // A table: each submodule, its parameters with shapes and counts, and the total.
  std::string summary() const;
  std::size_t parameter_count() const;

 protected:
  // Registers `value` under `name` (requires_grad is switched on) and returns the same handle.
  Tensor register_parameter(const std::string& name, Tensor value, bool requires_grad = true);
  // State that is saved but not trained (e.g. running statistics).
  Tensor register_buffer(const std::string& name, Tensor value);
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    add_child(name, module);
    return module;
  }

 private:
  void add_child(const std::string& name, std::shared_ptr<Module> module);
  void check_new_name(const std::string& name) const;
  void collect(const std::string& prefix, bool recurse, bool buffers, NamedTensors& out) const;

  NamedTensors parameters_;
  NamedTensors buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

// The graph of `root` in Graphviz DOT with the module's parameters labelled by their dotted
// names ("encoder.weight_ih_l0"), as attograd::to_dot (core/autograd.hpp).
std::string to_dot(const Tensor& root, const Module& module);

}  // namespace attograd::nn
