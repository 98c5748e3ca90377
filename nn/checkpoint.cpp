// Model checkpoints: state dicts to and from safetensors files through core's reader and writer.
#include <attograd/nn/checkpoint.hpp>

#include <stdexcept>
#include <utility>

#include <fmt/format.h>

namespace attograd::nn {

void save(const std::filesystem::path& path, const StateDict& state_dict, const Metadata& metadata) {
  NamedArrays arrays;
  arrays.reserve(state_dict.size());
  for (const auto& [name, tensor] : state_dict) {
    if (!tensor.defined())
      throw std::invalid_argument(fmt::format("nn::save: {}: tensor '{}' is undefined", path.string(), name));
    arrays.emplace_back(name, tensor.value());
  }
  save_safetensors(path, arrays, metadata);
}

Checkpoint load(const std::filesystem::path& path) {
  SafetensorsContent content = load_safetensors(path);
  Checkpoint checkpoint;
  checkpoint.state_dict.reserve(content.tensors.size());
  for (auto& [name, array] : content.tensors) checkpoint.state_dict.emplace_back(name, Tensor(std::move(array)));
  checkpoint.metadata = std::move(content.metadata);
  return checkpoint;
}

void save_module(const std::filesystem::path& path, const Module& module, const Metadata& metadata) {
  save(path, module.state_dict(), metadata);
}

Metadata load_module(const std::filesystem::path& path, Module& module, bool strict) {
  Checkpoint checkpoint = load(path);
  try {
    module.load_state_dict(checkpoint.state_dict, strict);
  } catch (const std::invalid_argument& error) {
    // load_state_dict knows the keys but not where they came from.
    throw std::invalid_argument(fmt::format("{}: {}", path.string(), error.what()));
  }
  return std::move(checkpoint.metadata);
}

}  // namespace attograd::nn
