// Model, optimizer and schedule in one safetensors file; the three parts are told apart by the
// "optimizer." and "scheduler." prefixes.
#include <attograd/optim/training_state.hpp>

#include <map>
#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/random.hpp>

namespace attograd::optim {

namespace {

bool starts_with(const std::string& name, const std::string& prefix) { return name.rfind(prefix, 0) == 0; }

// Throws, listing every misfit as Module::load_state_dict does, unless `saved` has exactly the
// model's names with the model's shapes.
void check_model_fits(const std::string& source, const ModelState& model, const ModelState& saved) {
  const StateDictDiff diff = compare_state_dicts(model, saved, source + ": load_training_state: model");
  if (!diff.ok())
    throw std::invalid_argument(
        fmt::format("{}: load_training_state: the saved model does not fit the model:{}", source, diff.describe()));
}

}  // namespace

void save_training_state(const std::filesystem::path& path, const ModelState& model, const Optimizer& optimizer,
                         const LRScheduler* scheduler, const Metadata& metadata) {
  NamedArrays arrays;
  for (const auto& [name, tensor] : model) {
    if (!tensor.defined())
      throw std::invalid_argument(
          fmt::format("save_training_state: {}: model tensor '{}' is undefined", path.string(), name));
    if (starts_with(name, optimizer_prefix) || starts_with(name, scheduler_prefix))
      throw std::invalid_argument(fmt::format(
          "save_training_state: {}: model tensor '{}' starts with '{}' or '{}', which name the optimizer's and the "
          "schedule's entries; rename that part of the model",
          path.string(), name, optimizer_prefix, scheduler_prefix));
    arrays.emplace_back(name, tensor.value());
  }
  for (auto& [name, array] : optimizer.state_dict()) arrays.emplace_back(optimizer_prefix + name, std::move(array));
  if (scheduler)
    for (auto& [name, array] : scheduler->state_dict()) arrays.emplace_back(scheduler_prefix + name, std::move(array));
  if (metadata.count(generator_metadata_key))
    throw std::invalid_argument(
        fmt::format("save_training_state: {}: metadata key '{}' is reserved for the generator's "
                    "state; choose another name",
                    path.string(), generator_metadata_key));
  Metadata with_generator = metadata;
  with_generator.emplace(generator_metadata_key, default_generator().state());
  save_safetensors(path, arrays, with_generator);
}

TrainingState read_training_state(const std::filesystem::path& path) {
  SafetensorsContent content = load_safetensors(path);
  TrainingState state;
  for (auto& [name, array] : content.tensors) {
    if (starts_with(name, optimizer_prefix))
      state.optimizer.emplace_back(name.substr(optimizer_prefix.size()), std::move(array));
    else if (starts_with(name, scheduler_prefix))
      state.scheduler.emplace_back(name.substr(scheduler_prefix.size()), std::move(array));
    else
      state.model.emplace_back(name, Tensor(std::move(array)));
  }
  state.metadata = std::move(content.metadata);
  if (const auto found = state.metadata.find(generator_metadata_key); found != state.metadata.end()) {
    state.generator = found->second;
    state.metadata.erase(found);
  }
  return state;
}

Metadata load_training_state(const std::filesystem::path& path, const ModelState& model, Optimizer& optimizer,
                             LRScheduler* scheduler) {
  const std::string source = path.string();
  TrainingState saved = read_training_state(path);

  // Everything that can fail is checked or tried before the model changes.
  check_model_fits(source, model, saved.model);
  if (scheduler && saved.scheduler.empty())
    throw std::invalid_argument(fmt::format(
        "{}: load_training_state: a schedule was given, but the file holds no schedule state (no '{}' entries)", source,
        scheduler_prefix));
  if (!scheduler && !saved.scheduler.empty())
    throw std::invalid_argument(fmt::format(
        "{}: load_training_state: the file holds a schedule's state ('{}' entries), but no schedule was given to "
        "restore it; the learning rate would not resume",
        source, scheduler_prefix));

  Generator restored;  // the saved generator state, read before anything changes
  if (!saved.generator.empty()) {
    try {
      restored.set_state(saved.generator);
    } catch (const std::invalid_argument& error) {
      throw std::invalid_argument(
          fmt::format("{}: load_training_state: metadata '{}': {}", source, generator_metadata_key, error.what()));
    }
  }

  // Optimizer::load_state_dict and LRScheduler::load_state_dict each change nothing when they
  // throw; the optimizer's old state is kept to undo its load if the schedule's then fails.
  const NamedArrays previous_optimizer = optimizer.state_dict();
  try {
    optimizer.load_state_dict(saved.optimizer);
    if (scheduler) scheduler->load_state_dict(saved.scheduler);
  } catch (const std::invalid_argument& error) {
    optimizer.load_state_dict(previous_optimizer);
    throw std::invalid_argument(fmt::format("{}: {}", source, error.what()));
  }

  std::map<std::string, const Tensor*> values;
  for (const auto& [name, tensor] : saved.model) values.emplace(name, &tensor);
  for (auto [name, tensor] : model) tensor.mutable_value() = values.at(name)->value();
  if (!saved.generator.empty()) default_generator() = restored;
  return std::move(saved.metadata);
}

}  // namespace attograd::optim
