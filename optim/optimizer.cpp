// The Optimizer base: checking parameter groups, per-parameter state, and saving/restoring it.
#include <attograd/optim/optimizer.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

namespace attograd::optim {

namespace {

// "state.<index>.<entry>" split into its parts; false if the name has another form.
bool parse_state_name(const std::string& name, std::size_t& index, std::string& entry) {
  const std::string prefix = "state.";
  if (name.rfind(prefix, 0) != 0) return false;
  const std::size_t dot = name.find('.', prefix.size());
  if (dot == std::string::npos || dot == prefix.size() || dot + 1 == name.size()) return false;
  const char* first = name.data() + prefix.size();
  const char* last = name.data() + dot;
  const auto [end, error] = std::from_chars(first, last, index);
  if (error != std::errc{} || end != last) return false;
  entry = name.substr(dot + 1);
  return true;
}

}  // namespace

Array Optimizer::filled_like(const Tensor& param, float value) {
  Array out = Array::from_shape(param.shape());
  std::fill(out.begin(), out.end(), value);
  return out;
}

Optimizer::Optimizer(std::string name, std::vector<ParamGroup> groups, double default_lr, double default_weight_decay)
    : name_(std::move(name)), groups_(std::move(groups)) {
  check(default_lr > 0, "lr", "> 0", default_lr);
  check(default_weight_decay >= 0, "weight_decay", ">= 0", default_weight_decay);

  // Where each tensor was seen first, to report a parameter given twice.
  std::map<const Node*, std::pair<std::size_t, std::size_t>> seen;
  std::size_t count = 0;
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    ParamGroup& group = groups_[g];
    if (!group.lr) group.lr = default_lr;
    if (!group.weight_decay) group.weight_decay = default_weight_decay;
    const std::string lr_name = fmt::format("lr of param group {}", g);
    const std::string wd_name = fmt::format("weight_decay of param group {}", g);
    check(*group.lr > 0, lr_name.c_str(), "> 0", *group.lr);
    check(*group.weight_decay >= 0, wd_name.c_str(), ">= 0", *group.weight_decay);

    for (std::size_t i = 0; i < group.params.size(); ++i) {
      const Tensor& p = group.params[i];
      if (!p.defined())
        throw std::invalid_argument(
            fmt::format("{}: parameter {} of param group {} is an undefined tensor", name_, i, g));
      if (!p.requires_grad())
        throw std::invalid_argument(fmt::format("{}: parameter {} of param group {} (shape {}) does not require grad",
                                                name_, i, g, shape_str(p.shape())));
      const auto [where, inserted] = seen.emplace(p.node().get(), std::pair{g, i});
      if (!inserted)
        throw std::invalid_argument(
            fmt::format("{}: the same tensor (shape {}) is parameter {} of param group {} and parameter {} of "
                        "param group {}; a parameter may appear only once",
                        name_, shape_str(p.shape()), where->second.second, where->second.first, i, g));
      ++count;
    }
  }
  if (count == 0) throw std::invalid_argument(fmt::format("{}: got an empty parameter list", name_));
}

void Optimizer::check(bool ok, const char* setting, const char* rule, double value) const {
  if (!ok) throw std::invalid_argument(fmt::format("{}: {} must be {}, got {}", name_, setting, rule, value));
}

void Optimizer::zero_grad() {
  for (ParamGroup& group : groups_)
    for (Tensor& p : group.params) p.zero_grad();
}

std::vector<Tensor> Optimizer::parameters() const {
  std::vector<Tensor> all;
  for (const ParamGroup& group : groups_) all.insert(all.end(), group.params.begin(), group.params.end());
  return all;
}

ParamState& Optimizer::state_of(const Tensor& param) { return state_[param.node().get()]; }

const Array& Optimizer::grad_of(const Tensor& param) const {
  const Array& grad = param.grad();
  if (grad.shape() != param.shape())
    throw std::invalid_argument(fmt::format("{}: a parameter of shape {} has a gradient of shape {}", name_,
                                            shape_str(param.shape()), shape_str(grad.shape())));
  return grad;
}

NamedArrays Optimizer::state_dict() const {
  NamedArrays out;
  const std::vector<Tensor> params = parameters();
  for (std::size_t i = 0; i < params.size(); ++i) {
    const auto found = state_.find(params[i].node().get());
    if (found == state_.end()) continue;
    const ParamState& state = found->second;
    for (const std::string& buffer : buffer_names())
      out.emplace_back(fmt::format("state.{}.{}", i, buffer), state.buffers.at(buffer));
    if (uses_step()) out.emplace_back(fmt::format("state.{}.step", i), Array(static_cast<float>(state.step)));
  }
  return out;
}

void Optimizer::load_state_dict(const NamedArrays& state) {
  const std::vector<Tensor> params = parameters();
  const std::vector<std::string> buffers = buffer_names();
  auto fail = [&](const std::string& what) {
    throw std::invalid_argument(fmt::format("{}: load_state_dict: {}", name_, what));
  };

  // Build the new state aside, so a bad dict leaves the optimizer as it was.
  std::map<std::size_t, ParamState> loaded;
  std::map<std::size_t, std::set<std::string>> entries;
  for (const auto& [name, array] : state) {
    std::size_t index = 0;
    std::string entry;
    if (!parse_state_name(name, index, entry))
      fail(fmt::format("'{}' is not of the form state.<parameter index>.<entry>", name));
    if (index >= params.size())
      fail(fmt::format("'{}' refers to parameter {}, but the optimizer has {} parameters", name, index, params.size()));
    if (!entries[index].insert(entry).second) fail(fmt::format("'{}' appears twice", name));
    ParamState& target = loaded[index];

    if (entry == "step" && uses_step()) {
      const float step = array.size() == 1 ? *array.data() : -1.0f;
      if (array.dimension() != 0 || !(step >= 0) || std::floor(step) != step || std::isinf(step))
        fail(fmt::format("'{}' must be a 0-d whole number >= 0, got shape {}{}", name, shape_str(array.shape()),
                         array.size() == 1 ? fmt::format(" value {}", step) : std::string()));
      target.step = static_cast<std::int64_t>(step);
    } else if (std::find(buffers.begin(), buffers.end(), entry) != buffers.end()) {
      if (array.shape() != params[index].shape())
        fail(fmt::format("'{}' has shape {} but parameter {} has shape {}", name, shape_str(array.shape()), index,
                         shape_str(params[index].shape())));
      target.buffers[entry] = array;
    } else {
      fail(fmt::format("'{}': this optimizer keeps no entry '{}' (it keeps: {}{})", name, entry,
                       fmt::join(buffers, ", "), uses_step() ? (buffers.empty() ? "step" : ", step") : ""));
    }
  }
  for (const auto& [index, names] : entries) {
    std::vector<std::string> expected = buffers;
    if (uses_step()) expected.emplace_back("step");
    for (const std::string& entry : expected)
      if (!names.count(entry)) fail(fmt::format("'state.{}.{}' is missing", index, entry));
  }

  state_.clear();
  for (auto& [index, param_state] : loaded) state_[params[index].node().get()] = std::move(param_state);
}

}  // namespace attograd::optim
