// sizes_json, MetadataReader, check_model_kind, save_checkpoint.
#include "checkpoint.hpp"

#include <algorithm>
#include <stdexcept>

#include "report.hpp"
#include "training.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace examples {

std::string sizes_json(const std::vector<std::pair<std::string, std::size_t>>& sizes) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, value] : sizes) j[name] = value;
  return j.dump();
}

MetadataReader::MetadataReader(const attograd::Metadata& metadata, std::string program, std::string path)
    : metadata_(metadata), program_(std::move(program)), path_(std::move(path)) {}

std::optional<std::string> MetadataReader::find(const std::string& key) const {
  const auto it = metadata_.find(program_ + "." + key);
  if (it == metadata_.end()) return std::nullopt;
  return it->second;
}

std::string MetadataReader::get(const std::string& key) const {
  if (auto value = find(key)) return *value;
  throw std::runtime_error(
      fmt::format("--load {}: not a {} checkpoint (no '{}.{}' in its metadata)", path_, program_, program_, key));
}

std::size_t MetadataReader::size(const std::string& name) const {
  const std::string sizes = get("sizes");
  try {
    return nlohmann::json::parse(sizes).at(name).get<std::size_t>();
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(fmt::format("--load {}: unreadable model sizes ({})", path_, e.what()));
  }
}

void check_model_kind(const std::string& path, const std::string& saved, const std::string& asked,
                      bool asked_on_command_line) {
  if (asked_on_command_line && asked != saved)
    throw std::runtime_error(
        fmt::format("--load {}: the checkpoint holds a '{}' model, not '{}'; drop --model or pass --model {}", path,
                    saved, asked, saved));
}

void save_checkpoint(const std::string& path, const attograd::nn::Module& model, const attograd::Metadata& metadata) {
  attograd::nn::save_module(path, model, metadata);
  fmt::print("saved {}\n", path);
}

}  // namespace examples

namespace examples {

void write_outputs(const std::string& metrics_json, const nlohmann::json& metrics, const std::string& save,
                   const attograd::nn::Module& model, const attograd::Metadata& metadata) {
  if (!metrics_json.empty()) write_metrics_json(metrics_json, metrics);
  if (!save.empty()) save_checkpoint(save, model, metadata);
}

attograd::nn::Checkpoint load_model_file(const std::string& path) {
  attograd::nn::Checkpoint file = attograd::nn::load(path);
  const bool training_state = std::any_of(file.state_dict.begin(), file.state_dict.end(), [](const auto& named) {
    return named.first.rfind(attograd::optim::optimizer_prefix, 0) == 0;
  });
  if (!training_state) return file;
  attograd::optim::TrainingState state = attograd::optim::read_training_state(path);
  std::erase_if(state.model, [](const auto& named) { return named.first.rfind(kept_best_prefix, 0) == 0; });
  return {std::move(state.model), std::move(state.metadata)};
}

}  // namespace examples
