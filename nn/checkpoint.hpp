// Model checkpoints: a module's state dict in a safetensors file, every tensor under its dotted
// name ("encoder.layers.0.self_attn.in_proj_weight"). The names are PyTorch's for the equivalent
// module, so a file written here loads into torch with load_state_dict(strict=True), and one
// written from a torch state_dict() loads here (tests/golden/interop.py proves both ways).
//
// Metadata is the file's string -> string "__metadata__" map. Anything else a program needs to
// rebuild its model goes there as text: the examples store their configuration and vocabulary
// as JSON strings, e.g. {"config": R"({"d_model": 64, "nhead": 4})", "vocab": R"(["<pad>", ...])"}.
//
// To resume training, the optimizer and schedule must be saved too: see
// optim/training_state.hpp, which writes model, optimizer and schedule into one file.
#pragma once

#include <filesystem>

#include <attograd/core/safetensors.hpp>
#include <attograd/nn/module.hpp>

namespace attograd::nn {

struct Checkpoint {
  StateDict state_dict;  // in file order; plain tensors (no gradient, not parameters)
  Metadata metadata;
};

// Writes every tensor's value under its name, atomically (core's save_safetensors: a crash or
// kill midway leaves any previous file at `path` intact). Throws std::invalid_argument for an
// undefined tensor or a repeated name, std::runtime_error if the file cannot be written.
void save(const std::filesystem::path& path, const StateDict& state_dict, const Metadata& metadata = {});

// Reads any valid safetensors file of float32 tensors. Throws std::runtime_error naming the
// file and the problem for a missing or malformed file.
Checkpoint load(const std::filesystem::path& path);

// save(path, module.state_dict(), metadata).
void save_module(const std::filesystem::path& path, const Module& module, const Metadata& metadata = {});

// Loads the file into `module` with module.load_state_dict(…, strict) and returns the metadata.
// When strict, a file that does not fit (missing or unexpected keys, other shapes) throws
// load_state_dict's std::invalid_argument with the file name in front, and nothing is loaded.
// When not strict, the entries that fit load and the rest is ignored silently; call
// module.load_state_dict(load(path).state_dict, false) to see what was skipped.
Metadata load_module(const std::filesystem::path& path, Module& module, bool strict = true);

}  // namespace attograd::nn
