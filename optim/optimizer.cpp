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

ParamState& Optimizer::state_of(const Tensor& param) {
  ParamState& state = state_[param.node().get()];
  for (const auto& [entry, buffer] : state.buffers)
    if (buffer.shape() != param.shape())
      throw std::invalid_argument(fmt::format(
          "{}: the '{}' state of a parameter has shape {} but the parameter now has shape {} (was its value replaced "
          "after a step?); build a new optimizer for the new parameter, or load a matching state",
          name_, entry, shape_str(buffer.shape()), shape_str(param.shape())));
  return state;
}

std::vector<ParamGroup>& Optimizer::groups_for_step() {
  for (std::size_t i = 0; i < groups_.size(); ++i) {
    const double lr = *groups_[i].lr, wd = *groups_[i].weight_decay;
    if (!(std::isfinite(lr) && lr >= 0))
      throw std::invalid_argument(fmt::format(
          "{}: step: param_groups[{}].lr must be finite and >= 0, got {} (set by a schedule or by hand since the "
          "optimizer was built)",
          name_, i, lr));
    if (!(std::isfinite(wd) && wd >= 0))
      throw std::invalid_argument(
          fmt::format("{}: step: param_groups[{}].weight_decay must be finite and >= 0, got {}", name_, i, wd));
  }
  return groups_;
}

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

// One entry "state.<index>.<entry>" of a loaded state dict, checked and put into `loaded`.
void Optimizer::load_entry(const std::string& name, const Array& array, const std::vector<Tensor>& params,
                           std::map<std::size_t, ParamState>& loaded,
                           std::map<std::size_t, std::set<std::string>>& entries) const {
  const std::vector<std::string> buffers = buffer_names();
  auto fail = [&](const std::string& what) {
    throw std::invalid_argument(fmt::format("{}: load_state_dict: {}", name_, what));
  };
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
    check_buffer_values(name, entry, array);
    target.buffers[entry] = array;
  } else {
    fail(fmt::format("'{}': this optimizer keeps no entry '{}' (it keeps: {}{})", name, entry, fmt::join(buffers, ", "),
                     uses_step() ? (buffers.empty() ? "step" : ", step") : ""));
  }
}

// Values no optimizer step can produce: NaN or infinity anywhere, a negative value in a buffer
// of squares (Adam's exp_avg_sq, RMSprop's square_avg, Adagrad's sum, …).
void Optimizer::check_buffer_values(const std::string& name, const std::string& entry, const Array& array) const {
  const std::vector<std::string> squares = nonnegative_buffers();
  const bool nonnegative = std::find(squares.begin(), squares.end(), entry) != squares.end();
  for (std::size_t i = 0; i < array.size(); ++i) {
    const float v = array.data()[i];
    if (!std::isfinite(v) || (nonnegative && v < 0.0f))
      throw std::invalid_argument(
          fmt::format("{}: load_state_dict: '{}' holds {} at element {}, which no step can "
                      "produce ({})",
                      name_, name, v, i, nonnegative ? "it must be finite and >= 0" : "it must be finite"));
  }
}

void Optimizer::load_state_dict(const NamedArrays& state) {
  const std::vector<Tensor> params = parameters();
  // Build the new state aside, so a bad dict leaves the optimizer as it was.
  std::map<std::size_t, ParamState> loaded;
  std::map<std::size_t, std::set<std::string>> entries;
  for (const auto& [name, array] : state) load_entry(name, array, params, loaded, entries);
  for (const auto& [index, names] : entries) {
    std::vector<std::string> expected = buffer_names();
    if (uses_step()) expected.emplace_back("step");
    for (const std::string& entry : expected)
      if (!names.count(entry))
        throw std::invalid_argument(fmt::format("{}: load_state_dict: 'state.{}.{}' is missing", name_, index, entry));
  }
  state_.clear();
  for (auto& [index, param_state] : loaded) state_[params[index].node().get()] = std::move(param_state);
}

}  // namespace attograd::optim
