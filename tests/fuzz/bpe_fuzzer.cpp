// libFuzzer harness for the toy GPT's BPE file (seq::ByteBPE::from_string), which lm reads from a
// checkpoint a user hands in: arbitrary bytes must either load or be refused with
// std::invalid_argument - never crash, leak or hit undefined behaviour - and a file that loads
// must write back to the same text and encode and decode bytes unchanged.
// Built and run by run_fuzzer.sh in this folder.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include <attograd/seq/bpe.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  attograd::seq::ByteBPE bpe;
  try {
    bpe = attograd::seq::ByteBPE::from_string(text);
  } catch (const std::invalid_argument&) {
    return 0;  // refused, as it should be
  }
  if (attograd::seq::ByteBPE::from_string(bpe.to_string()).merges() != bpe.merges()) std::abort();
  const std::string sample = "the quick brown fox, 0123456789 \xff\x00 jumps";
  if (bpe.decode(bpe.encode(sample)) != sample) std::abort();
  return 0;
}
