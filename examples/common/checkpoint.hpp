// A program's settings in a checkpoint's metadata, as "PROGRAM.KEY" strings beside the tensors,
// read back with messages that name the file: what --save writes and --load reads.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <attograd/attograd.hpp>

namespace examples {

// {"embed": 32, "hidden": 128, …} as one JSON string, for the "PROGRAM.sizes" entry.
std::string sizes_json(const std::vector<std::pair<std::string, std::size_t>>& sizes);

class MetadataReader {
 public:
  // program: the keys' prefix ("translate"); path: the file, for messages.
  MetadataReader(const attograd::Metadata& metadata, std::string program, std::string path);
  // PROGRAM.key; throws std::runtime_error "--load PATH: not a PROGRAM checkpoint (no 'PROGRAM.key' …)".
  std::string get(const std::string& key) const;
  std::optional<std::string> find(const std::string& key) const;
  // One entry of PROGRAM.sizes; throws std::runtime_error "--load PATH: unreadable model sizes (…)".
  std::size_t size(const std::string& name) const;
  const std::string& path() const { return path_; }

 private:
  const attograd::Metadata& metadata_;
  std::string program_, path_;
};

// --load PATH: a model saved with --save, or the model part of a --checkpoint file (its
// optimizer, schedule, training metadata and kept-best copy are left out: it is the model of the
// step the checkpoint was written at; the program's metadata is kept).
attograd::nn::Checkpoint load_model_file(const std::string& path);

// Throws if --model named another kind than the checkpoint holds.
void check_model_kind(const std::string& path, const std::string& saved, const std::string& asked,
                      bool asked_on_command_line);

// --metrics-json PATH and --save CKPT, each when given, each followed by a line saying where.
void write_outputs(const std::string& metrics_json, const nlohmann::json& metrics, const std::string& save,
                   const attograd::nn::Module& model, const attograd::Metadata& metadata);

// nn::save_module, then "saved PATH".
void save_checkpoint(const std::string& path, const attograd::nn::Module& model, const attograd::Metadata& metadata);

}  // namespace examples
