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
// optimizer's parameters (state entry i belongs to its i-th parameter), and the random
// generator's position: a run without dropout draws nothing after initialisation and resumes bit
// for bit; one with dropout resumes correctly but not bit for bit (core exposes no generator state).
// Metadata is string -> string; the examples store their configuration as JSON text there.
//
// The model part is an ordinary checkpoint: torch reads it after dropping the two prefixes, and
// read_training_state(path).model goes straight into Module::load_state_dict for evaluation.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <attograd/core/safetensors.hpp>
#include <attograd/core/tensor.hpp>
#include <attograd/optim/lr_scheduler.hpp>
#include <attograd/optim/optimizer.hpp>

namespace attograd::optim {

// What nn::Module::state_dict() returns: dotted names and handles to the module's tensors.
using ModelState = std::vector<std::pair<std::string, Tensor>>;

inline const std::string optimizer_prefix = "optimizer.";
inline const std::string scheduler_prefix = "scheduler.";

// Writes model, optimizer and (when given) schedule. Throws std::invalid_argument if a model
// tensor is undefined or its name starts with one of the two prefixes (rename that child).
void save_training_state(const std::filesystem::path& path, const ModelState& model, const Optimizer& optimizer,
                         const LRScheduler* scheduler = nullptr, const Metadata& metadata = {});

// A training-state file split by owner, prefixes removed; nothing is applied.
struct TrainingState {
  ModelState model;       // fresh tensors, for Module::load_state_dict
  NamedArrays optimizer;  // for Optimizer::load_state_dict ("state.0.exp_avg", ...)
  NamedArrays scheduler;  // for LRScheduler::load_state_dict; empty if saved without one
  Metadata metadata;
};
TrainingState read_training_state(const std::filesystem::path& path);

// Restores the model's values, the optimizer's state and the schedule's step (which sets the lr),
// and returns the metadata. All or nothing: if anything does not fit, std::invalid_argument
// names the file and the problem, and model, optimizer and schedule are left as they were.
// Misfits: the model keys or shapes differ (listed as Module::load_state_dict lists them), the
// optimizer or schedule rejects its part, or a schedule is given but the file has none, or the
// reverse (resuming without the saved schedule would silently change the learning rate).
Metadata load_training_state(const std::filesystem::path& path, const ModelState& model, Optimizer& optimizer,
                             LRScheduler* scheduler = nullptr);

}  // namespace attograd::optim
