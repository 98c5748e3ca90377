// attograd-inspect: prints what a safetensors checkpoint holds - its metadata, each tensor's
// name, dtype, shape and size, and the totals - so a checkpoint can be checked without Python.
// It reads through attograd's own loader, so a file it accepts is a file attograd can load.
#include <attograd/core/safetensors.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/core.h>

namespace {

constexpr std::string_view usage =
    "usage: attograd-inspect FILE\n"
    "\n"
    "Prints the metadata of the safetensors file FILE, a table of its tensors (name, dtype,\n"
    "shape, bytes), then the total parameter count and bytes.\n"
    "Exit status: 0 on success, 1 if FILE cannot be read or is malformed, 2 on bad arguments.\n";

void print_content(const attograd::SafetensorsContent& content) {
  if (content.metadata.empty()) {
    fmt::print("metadata: none\n");
  } else {
    fmt::print("metadata:\n");
    for (const auto& [key, value] : content.metadata) fmt::print("  {}: {}\n", key, value);
  }

  struct Row {
    std::string name, shape;
    std::size_t bytes;
  };
  std::vector<Row> rows;
  std::size_t parameters = 0;
  std::size_t total_bytes = 0;
  for (const auto& [name, array] : content.tensors) {
    rows.push_back({name, attograd::shape_str(array.shape()), array.size() * sizeof(float)});
    parameters += array.size();
    total_bytes += rows.back().bytes;
  }

  // Columns as wide as their widest entry; the loader only returns float32 tensors.
  std::size_t name_width = 4, shape_width = 5, bytes_width = 5;
  for (const Row& row : rows) {
    name_width = std::max(name_width, row.name.size());
    shape_width = std::max(shape_width, row.shape.size());
    bytes_width = std::max(bytes_width, fmt::formatted_size("{}", row.bytes));
  }
  fmt::print("tensors: {}\n", rows.size());
  if (!rows.empty()) {
    fmt::print("  {:<{}}  dtype  {:<{}}  {:>{}}\n", "name", name_width, "shape", shape_width, "bytes", bytes_width);
    for (const Row& row : rows) {
      fmt::print("  {:<{}}  F32    {:<{}}  {:>{}}\n", row.name, name_width, row.shape, shape_width, row.bytes,
                 bytes_width);
    }
  }
  fmt::print("total: {} parameters, {} bytes\n", parameters, total_bytes);
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
    fmt::print("{}", usage);
    return 0;
  }
  if (args.size() != 1 || args[0].empty() || args[0].front() == '-') {
    fmt::print(stderr, "{}", usage);
    return 2;
  }
  try {
    print_content(attograd::load_safetensors(std::string(args[0])));
  } catch (const std::exception& e) {
    fmt::print(stderr, "attograd-inspect: {}\n", e.what());
    return 1;
  }
  return 0;
}
