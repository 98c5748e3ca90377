// libFuzzer harness for the safetensors reader: arbitrary bytes must either parse or be
// rejected with std::runtime_error - never crash, leak, read out of bounds or hit undefined
// behaviour. Whatever parses must also survive a write/read round trip unchanged.
// Built and run by run_fuzzer.sh in this folder.
#include <attograd/core/safetensors.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Viewing any object's bytes as std::byte is allowed by the aliasing rules.
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  attograd::SafetensorsContent content;
  try {
    content = attograd::parse_safetensors(bytes, "fuzz input");
  } catch (const std::runtime_error&) {
    return 0;  // rejected, as a malformed file should be
  }

  // The writer refuses empty names (the reader accepts them, as other writers may produce them).
  for (const auto& named : content.tensors) {
    if (named.first.empty()) return 0;
  }
  const auto written = attograd::serialize_safetensors(content.tensors, content.metadata);
  const auto reread = attograd::parse_safetensors(written, "round trip");
  if (attograd::serialize_safetensors(reread.tensors, reread.metadata) != written) std::abort();
  return 0;
}
