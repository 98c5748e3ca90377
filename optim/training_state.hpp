// Training state in one file, to stop training and later resume it exactly: the model's tensors
// under their own names (as nn::save writes them), the optimizer's state_dict() under
// "optimizer." ("optimizer.state.0.exp_avg", "optimizer.state.0.step") and the schedule's under
// "scheduler." ("scheduler.last_step"), in one safetensors file written atomically.
//
//   optim::save_training_state("run.safetensors", model.state_dict(), adam, &schedule, {{"epoch", "3"}});
//   ... later, with a model, optimizer and schedule built as before:
//   Metadata meta = optim::load_training_state("run.safetensors", model.state_dict(), adam, &schedule);
//
// Why this lives in optim and takes the model as a list of named tensors rather than an
// nn::Module: the build's arrows (DESIGN §1) let optim link core only, and nn must not know
// optim. Module::state_dict() is a std::vector<std::pair<std::string, Tensor>> whose tensors are
// handles to the module's own parameters and buffers (core types), so passing it lets this file
// save the model and load into it without seeing nn::Module: loading writes into those handles.
//
// Not in the file, so the caller keeps them the same: hyperparameters (build the resumed
// optimizer and schedule with the same options; the schedule restores the lr), the order of the
// optimizer's parameters (state entry i belongs to its i-th parameter). The default random
// generator's position (Generator::state(), which draws dropout masks unless a layer was given
// its own generator) is in the file, under the metadata key generator_metadata_key, and is
// restored by load_training_state: a resumed run with dropout draws the masks the uninterrupted
// run would have drawn, bit for bit. Other metadata is the caller's, string -> string; the
// examples store their configuration as JSON text there.
//
// The model part is an ordinary checkpoint: torch reads it after dropping the two prefixes, and
// read_training_state(path).model goes straight into Module::load_state_dict for evaluation.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <attograd/core/safetensors.hpp>
#include <attograd/core/state_dict.hpp>
#include <attograd/core/tensor.hpp>
#include <attograd/optim/lr_scheduler.hpp>
#include <attograd/optim/optimizer.hpp>

namespace attograd::optim {

// What nn::Module::state_dict() returns: dotted names and handles to the module's tensors.
using ModelState = StateDict;  // core/state_dict.hpp

inline const std::string optimizer_prefix = "optimizer.";
inline const std::string scheduler_prefix = "scheduler.";
inline const std::string generator_metadata_key = "attograd.default_generator";

// Writes model, optimizer, (when given) schedule and the default generator's state. Throws
// std::invalid_argument if a model tensor is undefined, its name starts with one of the two
// prefixes (rename that child), or `metadata` uses generator_metadata_key.
void save_training_state(const std::filesystem::path& path, const ModelState& model, const Optimizer& optimizer,
                         const LRScheduler* scheduler = nullptr, const Metadata& metadata = {});

// A training-state file split by owner, prefixes removed; nothing is applied.
struct TrainingState {
  ModelState model;       // fresh tensors, for Module::load_state_dict
  NamedArrays optimizer;  // for Optimizer::load_state_dict ("state.0.exp_avg", ...)
  NamedArrays scheduler;  // for LRScheduler::load_state_dict; empty if saved without one
  Metadata metadata;      // the caller's, without generator_metadata_key
  std::string generator;  // the default generator's state; empty if the file has none
};
TrainingState read_training_state(const std::filesystem::path& path);

// Restores the model's values, the optimizer's state, the schedule's step (which sets the lr)
// and the default generator's state (files written before it was saved have none: it is then
// left alone), and returns the caller's metadata. All or nothing: if anything does not fit, std::invalid_argument
// names the file and the problem, and model, optimizer and schedule are left as they were.
// Misfits: the model keys or shapes differ (listed as Module::load_state_dict lists them), the
// optimizer or schedule rejects its part, a schedule is given but the file has none, or the
// reverse (resuming without the saved schedule would silently change the learning rate), or
// the generator state is unreadable.
Metadata load_training_state(const std::filesystem::path& path, const ModelState& model, Optimizer& optimizer,
                             LRScheduler* scheduler = nullptr);

}  // namespace attograd::optim
