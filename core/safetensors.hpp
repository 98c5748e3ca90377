// Reading and writing safetensors files: an 8-byte little-endian header length, a JSON header
// naming each tensor's dtype, shape and byte range, then the raw little-endian data.
// attograd stores float32 (F32). The reader trusts nothing in the file: every size, offset,
// dtype and shape is checked before a byte of data is copied.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <attograd/core/tensor.hpp>

namespace attograd {

using NamedArrays = std::vector<std::pair<std::string, Array>>;  // in file order
using Metadata = std::map<std::string, std::string>;             // the "__metadata__" entry

struct SafetensorsContent {
  NamedArrays tensors;
  Metadata metadata;

  const Array& at(const std::string& name) const;  // throws naming the missing tensor
  bool contains(const std::string& name) const;
};

// Writes atomically: a temporary file in the same directory, flushed and fsync'ed, then
// renamed over `path`; a crash midway leaves any previous file intact.
void save_safetensors(const std::filesystem::path& path, const NamedArrays& tensors, const Metadata& metadata = {});

// Throws std::runtime_error naming the file and the problem for any malformed input.
SafetensorsContent load_safetensors(const std::filesystem::path& path);

// The same checks on bytes already in memory; `source` names them in error messages.
SafetensorsContent parse_safetensors(std::span<const std::byte> bytes, const std::string& source);

// The bytes save_safetensors would write (header and data), for tests and tools.
std::vector<std::byte> serialize_safetensors(const NamedArrays& tensors, const Metadata& metadata);

}  // namespace attograd
