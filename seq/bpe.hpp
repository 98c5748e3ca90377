// Byte-level byte-pair encoding (BPE), as GPT-2's tokenizer but without its regex pre-split
// (like minbpe's BasicTokenizer): the text is one stream of bytes, so merges may cross spaces
// and any byte sequence - invalid UTF-8 and NUL bytes included - encodes and decodes back
// exactly. Ids 0-255 are the bytes; merge i makes id 256 + i from a pair of earlier ids.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <attograd/seq/sequences.hpp>

namespace attograd::seq {

class ByteBPE {
 public:
  using Merge = std::pair<std::int64_t, std::int64_t>;  // (left id, right id) -> one new id

  ByteBPE();  // the 256 byte tokens, no merges

  // Learns vocab_size - 256 merges from `text`: each time the most frequent adjacent pair of
  // the current tokens (ties to the lowest (left, right) ids), replaced left to right without
  // overlaps. Pairs are counted incrementally, so a merge costs the occurrences it touches, not
  // a pass over the text. Stops early (vocab_size() is then smaller) when no pair is left.
  // Throws std::invalid_argument for vocab_size < 256.
  static ByteBPE train(std::string_view text, std::size_t vocab_size);

  std::size_t vocab_size() const { return 256 + merges_.size(); }
  const std::vector<Merge>& merges() const { return merges_; }

  // Bytes -> ids, applying the merges in the order they were learned (as training did).
  TokenIds encode(std::string_view bytes) const;
  // Ids -> bytes; throws std::invalid_argument for an id outside [0, vocab_size()).
  std::string decode(const TokenIds& ids) const;
  const std::string& token(std::int64_t id) const;  // the bytes of one id

  // For a checkpoint's metadata: "attograd.ByteBPE 1\nvocab_size N\n" then one "left right"
  // line per merge. from_string checks all of it (header, vocab_size >= 256, the number of
  // merges, each id defined before its merge, no merge twice) and throws std::invalid_argument
  // naming the line.
  std::string to_string() const;
  static ByteBPE from_string(std::string_view text);

 private:
  void add_merge(std::int64_t left, std::int64_t right);  // assumes a valid, new pair

  std::vector<Merge> merges_;
  std::vector<std::string> bytes_;                        // id -> the bytes it stands for
  std::unordered_map<std::uint64_t, std::int32_t> rank_;  // pair_key(left, right) -> merge index
};

}  // namespace attograd::seq
