// A character-level vocabulary, as in nanoGPT's shakespeare_char: every distinct character of a
// text gets an id, in increasing code-point order. Characters are Unicode code points read from
// UTF-8 (so 'é' is one token, not two bytes); the text is validated as UTF-8 first.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <attograd/seq/sequences.hpp>

namespace attograd::seq {

class CharVocabulary {
 public:
  CharVocabulary() = default;  // no characters
  // The distinct characters of `text`, id 0 for the smallest code point. Throws
  // std::invalid_argument naming the byte offset of the first invalid UTF-8 sequence.
  explicit CharVocabulary(std::string_view text);

  std::size_t size() const { return characters_.size(); }
  const std::vector<char32_t>& characters() const { return characters_; }  // id -> code point
  bool contains(char32_t c) const;

  // Throws std::invalid_argument for invalid UTF-8 (naming the byte offset) or a character
  // outside the vocabulary (naming it, as 'x' and U+XXXX, and its character and byte position).
  TokenIds encode(std::string_view text) const;
  // Throws std::invalid_argument for an id outside [0, size()).
  std::string decode(const TokenIds& ids) const;
  std::string token(std::int64_t id) const;  // one id's character, as UTF-8

  // For a checkpoint's metadata: "attograd.CharVocabulary 1\n" then the characters in id order,
  // as UTF-8. from_string checks all of it (header, UTF-8, increasing code points without
  // repeats) and throws std::invalid_argument saying what is wrong and where.
  std::string to_string() const;
  static CharVocabulary from_string(std::string_view text);

 private:
  std::vector<char32_t> characters_;  // strictly increasing
};

// How errors show a character: 'é' (U+00E9), or '\n' (U+000A), or U+0007 for other controls.
std::string describe_character(char32_t c);

}  // namespace attograd::seq
