// Optimizer: the base of every optimizer. It owns the parameter groups, the per-parameter state
// (moment estimates, momentum buffers, step counts) and saving/restoring that state, so an
// optimizer subclass is only its options and the update loop in step().
//
// Like PyTorch, parameters come in groups. Each group may override the learning rate and the
// weight decay; every other hyperparameter (momentum, betas, eps, ...) applies to all groups.
// Learning-rate schedules (optim/lr_scheduler.hpp) write each group's lr between steps.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <attograd/core/safetensors.hpp>
#include <attograd/core/tensor.hpp>

namespace attograd::optim {

struct ParamGroup {
  std::vector<Tensor> params{};
  // Unset: the optimizer's default. After the optimizer is built, both are always set.
  // (The {} initialisers let users leave them out, e.g. {.params = {W}, .lr = 0.1}.)
  std::optional<double> lr{};
  std::optional<double> weight_decay{};
};

// What an optimizer remembers about one parameter between steps.
struct ParamState {
  std::int64_t step = 0;                           // updates applied to this parameter so far
  std::unordered_map<std::string, Array> buffers;  // e.g. "exp_avg", shaped like the parameter
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // Applies one update to every parameter that has a gradient (others are skipped, and get no
  // state, as in PyTorch). Runs under NoGradGuard.
  virtual void step() = 0;

  // Forgets every parameter's gradient (PyTorch's zero_grad(set_to_none=True)).
  void zero_grad();

  std::vector<ParamGroup>& param_groups() { return groups_; }
  const std::vector<ParamGroup>& param_groups() const { return groups_; }
  // Every parameter, group after group: the order that numbers them in state_dict().
  std::vector<Tensor> parameters() const;

  const std::string& name() const { return name_; }  // "Adam", as in error messages

  // The per-parameter state, numbered like PyTorch's optimizer state dict: parameter i counts
  // through all groups in order, and its entries are "state.<i>.<buffer>" (shaped like the
  // parameter) and, for optimizers that count steps, "state.<i>.step" (0-d; float32 holds
  // counts exactly up to 2^24, as PyTorch's float32 step does). Parameters that never had a
  // gradient have no entries.
  //
  // Hyperparameters are not saved: build the resumed optimizer with the same options, and let
  // the schedule's load_state_dict restore the learning rate.
  NamedArrays state_dict() const;

  // Replaces all state with `state`. Throws std::invalid_argument, changing nothing, if a name
  // is malformed or unknown to this optimizer, a parameter index is out of range, a shape
  // differs from the parameter's, a step is not a whole number >= 0, or an entry is missing.
  void load_state_dict(const NamedArrays& state);

 protected:
  // Checks the groups (non-empty, every parameter defined, requiring grad and in one place
  // only), fills unset group options from the defaults and validates them.
  Optimizer(std::string name, std::vector<ParamGroup> groups, double default_lr, double default_weight_decay);

  // The state of one parameter, created empty on first use. Its buffers are checked against the
  // parameter's shape every time (a value replaced through mutable_value() after a step would
  // otherwise be updated with buffers of the old size).
  ParamState& state_of(const Tensor& param);

  // The groups, each learning rate and weight decay checked first (finite, >= 0): a schedule or a
  // user may have changed them since the last step. Every step() loops over these.
  std::vector<ParamGroup>& groups_for_step();

  // The state entries a parameter of this optimizer has once it was updated; load_state_dict
  // demands exactly these. `uses_step`: whether "step" is one of them.
  virtual std::vector<std::string> buffer_names() const = 0;
  virtual bool uses_step() const = 0;
  // The buffers that hold squares (never negative); load_state_dict refuses negative values there.
  virtual std::vector<std::string> nonnegative_buffers() const { return {}; }

  // Throws std::invalid_argument "<Name>: <setting> must be <rule>, got <value>".
  void check(bool ok, const char* setting, const char* rule, double value) const;

  // The gradient of `param` under the checks every update loop needs (shape agrees).
  const Array& grad_of(const Tensor& param) const;

  // A fresh array shaped like `param`, every element `value`: how state buffers start.
  static Array filled_like(const Tensor& param, float value);

 private:
  void load_entry(const std::string& name, const Array& array, const std::vector<Tensor>& params,
                  std::map<std::size_t, ParamState>& loaded,
                  std::map<std::size_t, std::set<std::string>>& entries) const;
  void check_buffer_values(const std::string& name, const std::string& entry, const Array& array) const;

  std::string name_;
  std::vector<ParamGroup> groups_;
  std::unordered_map<const Node*, ParamState> state_;
};

}  // namespace attograd::optim
