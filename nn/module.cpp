// nn::Module bookkeeping: registration, traversal, state dicts and the summary table.
#include <attograd/nn/module.hpp>

#include <map>
#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/autograd.hpp>

namespace attograd::nn {

void Module::check_new_name(const std::string& name) const {
  if (name.empty() || name.find('.') != std::string::npos)
    throw std::invalid_argument(fmt::format("Module: invalid name '{}' (non-empty, no dots)", name));
  auto taken = [&](const auto& list) {
    for (const auto& [n, _] : list)
      if (n == name) return true;
    return false;
  };
  if (taken(parameters_) || taken(buffers_) || taken(children_))
    throw std::invalid_argument(fmt::format("Module: the name '{}' is already registered in {}", name, describe()));
}

Tensor Module::register_parameter(const std::string& name, Tensor value, bool requires_grad) {
  check_new_name(name);
  if (!value.defined()) throw std::invalid_argument(fmt::format("register_parameter: '{}' is undefined", name));
  if (!value.is_leaf()) value = value.detach();
  value.requires_grad_(requires_grad);
  parameters_.emplace_back(name, value);
  return value;
}

Tensor Module::register_buffer(const std::string& name, Tensor value) {
  check_new_name(name);
  if (!value.defined()) throw std::invalid_argument(fmt::format("register_buffer: '{}' is undefined", name));
  buffers_.emplace_back(name, value);
  return value;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> module) {
  check_new_name(name);
  if (!module) throw std::invalid_argument(fmt::format("register_module: '{}' is null", name));
  children_.emplace_back(name, std::move(module));
}

void Module::reset_parameters() {
  for (const auto& [_, child] : children_) child->reset_parameters();
}

void Module::collect(const std::string& prefix, bool recurse, bool buffers, NamedTensors& out) const {
  for (const auto& [name, t] : buffers ? buffers_ : parameters_) out.emplace_back(prefix + name, t);
  if (!recurse) return;
  for (const auto& [name, child] : children_) child->collect(prefix + name + ".", true, buffers, out);
}

NamedTensors Module::named_parameters(bool recurse) const {
  NamedTensors out;
  collect("", recurse, false, out);
  return out;
}

NamedTensors Module::named_buffers(bool recurse) const {
  NamedTensors out;
  collect("", recurse, true, out);
  return out;
}

std::vector<Tensor> Module::parameters(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& [_, t] : named_parameters(recurse)) out.push_back(t);
  return out;
}

std::vector<std::shared_ptr<Module>> Module::children() const {
  std::vector<std::shared_ptr<Module>> out;
  for (const auto& [_, c] : children_) out.push_back(c);
  return out;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [_, c] : children_) c->train(on);
}

void Module::zero_grad() {
  for (Tensor& p : parameters()) p.zero_grad();
}

StateDict Module::state_dict() const {
  // Parameters and buffers interleaved per module, as PyTorch orders them.
  StateDict out;
  auto visit = [&out](const std::string& prefix, const Module& m, auto& self) -> void {
    for (const auto& [n, t] : m.parameters_) out.emplace_back(prefix + n, t);
    for (const auto& [n, t] : m.buffers_) out.emplace_back(prefix + n, t);
    for (const auto& [n, c] : m.children_) self(prefix + n + ".", *c, self);
  };
  visit("", *this, visit);
  return out;
}

LoadStateDictResult Module::load_state_dict(const StateDict& dict, bool strict) {
  const StateDict own = state_dict();
  const LoadStateDictResult result = compare_state_dicts(own, dict, "load_state_dict");
  if (strict && !result.ok())
    throw std::invalid_argument("load_state_dict: the state dict does not fit the module:" + result.describe());
  std::map<std::string, const Tensor*> given;
  for (const auto& [name, t] : dict) given.emplace(name, &t);
  for (auto [name, t] : own) {
    auto it = given.find(name);
    if (it != given.end() && it->second->shape() == t.shape()) t.mutable_value() = it->second->value();
  }
  return result;
}

std::size_t Module::parameter_count() const {
  std::size_t n = 0;
  for (const Tensor& p : parameters()) n += p.numel();
  return n;
}

std::string Module::summary() const {
  std::string out = fmt::format("{:<40} {:<20} {:>12}\n", "name", "shape", "parameters");
  out += std::string(74, '-') + "\n";
  auto visit = [&out](const std::string& prefix, const Module& m, int depth, auto& self) -> void {
    out += fmt::format("{:<40}\n",
                       fmt::format("{:{}}{}{}", "", 2 * depth, prefix.empty() ? "" : prefix + ": ", m.describe()));
    for (const auto& [n, t] : m.parameters_)
      out += fmt::format("{:<40} {:<20} {:>12}\n", fmt::format("{:{}}{}", "", 2 * depth + 2, n), shape_str(t.shape()),
                         t.numel());
    for (const auto& [n, c] : m.children_) self(n, *c, depth + 1, self);
  };
  visit("", *this, 0, visit);
  out += std::string(74, '-') + "\n";
  out += fmt::format("{:<61} {:>12}\n", "total", parameter_count());
  return out;
}

std::string to_dot(const Tensor& root, const Module& module) {
  return attograd::to_dot(root, module.named_parameters());
}

}  // namespace attograd::nn
