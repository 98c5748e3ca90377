// CharVocabulary: a strict UTF-8 reader (RFC 3629: no overlong forms, no surrogates, nothing past
// U+10FFFF), then sorted code points and binary search.
#include <attograd/seq/char_vocabulary.hpp>

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace attograd::seq {

namespace {

constexpr std::string_view header = "attograd.CharVocabulary 1\n";

// Reads the code point starting at byte `pos` and moves `pos` past it; throws naming `op` and
// the byte offset (plus `offset`, where `text` starts inside a larger string).
char32_t next_code_point(std::string_view text, std::size_t& pos, const char* op, std::size_t offset = 0) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char b0 = byte(pos);
  const auto fail = [&](const std::string& why) {
    std::string bytes;
    for (std::size_t i = pos; i < std::min(text.size(), pos + 4); ++i)
      bytes += fmt::format("{}0x{:02X}", i == pos ? "" : " ", byte(i));
    return std::invalid_argument(
        fmt::format("{}: invalid UTF-8 at byte {} ({}): {}; pass UTF-8 text", op, offset + pos, bytes, why));
  };
  if (b0 < 0x80) return text[pos++];
  // The lead byte gives the length, its payload bits, and the range allowed for the second byte:
  // narrower after E0, ED, F0 and F4, which rules out overlong forms, surrogates and > U+10FFFF.
  struct Lead {
    std::size_t length;
    unsigned char bits, low, high;
  };
  Lead lead{};
  if (b0 >= 0xC2 && b0 <= 0xDF)
    lead = {2, 0x1F, 0x80, 0xBF};
  else if (b0 == 0xE0)
    lead = {3, 0x0F, 0xA0, 0xBF};
  else if (b0 == 0xED)
    lead = {3, 0x0F, 0x80, 0x9F};
  else if (b0 >= 0xE1 && b0 <= 0xEF)
    lead = {3, 0x0F, 0x80, 0xBF};
  else if (b0 == 0xF0)
    lead = {4, 0x07, 0x90, 0xBF};
  else if (b0 >= 0xF1 && b0 <= 0xF3)
    lead = {4, 0x07, 0x80, 0xBF};
  else if (b0 == 0xF4)
    lead = {4, 0x07, 0x80, 0x8F};
  else if (b0 <= 0xBF)
    throw fail("a continuation byte with no lead byte before it");
  else
    throw fail(fmt::format("byte 0x{:02X} never appears in UTF-8", b0));
  char32_t c = b0 & lead.bits;
  for (std::size_t i = 1; i < lead.length; ++i) {
    if (pos + i == text.size()) throw fail(fmt::format("the text ends inside a {}-byte sequence", lead.length));
    const unsigned char b = byte(pos + i);
    if (b < 0x80 || b > 0xBF)
      throw fail(fmt::format("byte {} of a {}-byte sequence is not a continuation byte", i + 1, lead.length));
    if (i == 1 && b < lead.low) throw fail("an overlong encoding (a shorter sequence encodes this code point)");
    if (i == 1 && b > lead.high)
      throw fail(b0 == 0xED ? "a UTF-16 surrogate (U+D800-U+DFFF)" : "a code point past U+10FFFF");
    c = (c << 6) | (b & 0x3F);
  }
  pos += lead.length;
  return c;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

}  // namespace

std::string describe_character(char32_t c) {
  const auto code = static_cast<std::uint32_t>(c);
  switch (c) {
    case U'\n':
      return "'\\n' (U+000A)";
    case U'\t':
      return "'\\t' (U+0009)";
    case U'\r':
      return "'\\r' (U+000D)";
    default:
      break;
  }
  if (c < 0x20 || (c >= 0x7F && c < 0xA0)) return fmt::format("U+{:04X}", code);
  std::string s = "'";
  append_utf8(s, c);
  return s + fmt::format("' (U+{:04X})", code);
}

CharVocabulary::CharVocabulary(std::string_view text) {
  std::vector<bool> seen_ascii(128, false);
  for (std::size_t pos = 0; pos < text.size();) {
    const char32_t c = next_code_point(text, pos, "CharVocabulary");
    if (c < 128) {
      if (seen_ascii[c]) continue;
      seen_ascii[c] = true;
    }
    characters_.push_back(c);
  }
  std::sort(characters_.begin(), characters_.end());
  characters_.erase(std::unique(characters_.begin(), characters_.end()), characters_.end());
}

bool CharVocabulary::contains(char32_t c) const {
  return std::binary_search(characters_.begin(), characters_.end(), c);
}

TokenIds CharVocabulary::encode(std::string_view text) const {
  TokenIds ids;
  ids.reserve(text.size());
  for (std::size_t pos = 0, n = 0; pos < text.size(); ++n) {
    const std::size_t start = pos;
    const char32_t c = next_code_point(text, pos, "CharVocabulary::encode");
    const auto it = std::lower_bound(characters_.begin(), characters_.end(), c);
    if (it == characters_.end() || *it != c)
      throw std::invalid_argument(fmt::format(
          "CharVocabulary::encode: character {} at character {} (byte {}) is not in the vocabulary of {} characters; "
          "build the vocabulary from text that contains it",
          describe_character(c), n, start, size()));
    ids.push_back(it - characters_.begin());
  }
  return ids;
}

std::string CharVocabulary::token(std::int64_t id) const {
  if (id < 0 || id >= static_cast<std::int64_t>(size()))
    throw std::invalid_argument(
        fmt::format("CharVocabulary::token: id {} is outside the vocabulary of {} characters", id, size()));
  std::string s;
  append_utf8(s, characters_[static_cast<std::size_t>(id)]);
  return s;
}

std::string CharVocabulary::decode(const TokenIds& ids) const {
  std::string text;
  text.reserve(ids.size());
  for (std::size_t t = 0; t < ids.size(); ++t) {
    if (ids[t] < 0 || ids[t] >= static_cast<std::int64_t>(size()))
      throw std::invalid_argument(
          fmt::format("CharVocabulary::decode: id {} at position {} is outside the vocabulary of {} characters", ids[t],
                      t, size()));
    append_utf8(text, characters_[static_cast<std::size_t>(ids[t])]);
  }
  return text;
}

std::string CharVocabulary::to_string() const {
  std::string s(header);
  for (const char32_t c : characters_) append_utf8(s, c);
  return s;
}

CharVocabulary CharVocabulary::from_string(std::string_view text) {
  if (text.substr(0, header.size()) != header)
    throw std::invalid_argument(fmt::format(
        "CharVocabulary::from_string: the text does not start with \"attograd.CharVocabulary 1\\n\" (it starts with "
        "{:?}); pass what CharVocabulary::to_string() returned",
        std::string(text.substr(0, 40))));
  CharVocabulary vocabulary;
  const std::string_view body = text.substr(header.size());
  for (std::size_t pos = 0; pos < body.size();) {
    const char32_t c = next_code_point(body, pos, "CharVocabulary::from_string", header.size());
    if (!vocabulary.characters_.empty() && c <= vocabulary.characters_.back())
      throw std::invalid_argument(fmt::format(
          "CharVocabulary::from_string: character {} for id {} does not come after {} (id {}): the stored "
          "characters must be in increasing code-point order without repeats, so the text was changed or corrupted",
          describe_character(c), vocabulary.size(), describe_character(vocabulary.characters_.back()),
          vocabulary.size() - 1));
    vocabulary.characters_.push_back(c);
  }
  return vocabulary;
}

}  // namespace attograd::seq
