// Vocabulary: tokens <-> ids for the example programs, with the four special tokens every
// sequence model needs at fixed ids (PAD 0, BOS 1, EOS 2, UNK 3), character- or word-level
// tokenisation, and a text form that goes into a checkpoint's metadata.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <attograd/seq/sequences.hpp>

namespace examples {

enum class Tokens { Char, Word };

// Splits text into tokens: characters (UTF-8 sequences kept whole), or words, lowercased with
// punctuation split off ("Hello, world!" -> hello , world !).
std::vector<std::string> tokenize(const std::string& text, Tokens kind);

class Vocabulary {
 public:
  static constexpr std::int64_t pad = 0, bos = 1, eos = 2, unk = 3;

  Vocabulary();  // only the special tokens
  // Every token of `texts`, in order of first appearance.
  static Vocabulary build(const std::vector<std::vector<std::string>>& tokenized);

  std::int64_t id(const std::string& token) const;  // unk if unknown
  const std::string& token(std::int64_t id) const;  // throws std::out_of_range naming the id
  std::size_t size() const { return tokens_.size(); }

  attograd::seq::TokenIds encode(const std::vector<std::string>& tokens) const;  // no BOS/EOS added
  std::vector<std::string> decode(const attograd::seq::TokenIds& ids) const;

  std::string to_json() const;  // the token list, for checkpoint metadata
  // Throws std::runtime_error naming `what` if the text is not such a list.
  static Vocabulary from_json(const std::string& json, const std::string& what);

 private:
  std::vector<std::string> tokens_;
  std::map<std::string, std::int64_t> ids_;
};

// How many of a split's tokens a vocabulary (built from the training split) does not know: they
// are read as UNK. `distinct` counts the different unknown tokens.
struct UnknownTokens {
  std::size_t unknown = 0, total = 0, distinct = 0;
  double share() const { return total == 0 ? 0.0 : static_cast<double>(unknown) / static_cast<double>(total); }
};
UnknownTokens count_unknown(const Vocabulary& vocab, const std::vector<const std::vector<std::string>*>& texts);

// "2.10 % of the source tokens (37 distinct)", for the start-up lines.
std::string unknown_text(const UnknownTokens& u, const std::string& side);

// The first two tab-separated columns of a line ("" for a missing one; further columns are
// ignored), as both example readers take them from Tatoeba/Anki-style files.
std::pair<std::string, std::string> first_two_columns(const std::string& line);

// Reads a user's TSV file line by line: calls row(line_number, first, second) for every
// non-empty line (CR LF endings accepted), with the first two columns. Throws
// std::runtime_error naming `option` (e.g. "--data"), the path and the line number for a file
// that cannot be opened or read, a line that is not UTF-8, or a file with no lines.
void read_tsv_columns(const std::string& option, const std::filesystem::path& path,
                      const std::function<void(std::size_t, std::string, std::string)>& row);

// Whether s is well-formed UTF-8 (what tokenize expects; the readers reject other files).
bool is_valid_utf8(const std::string& s);

// Joins tokens back into text: characters directly, words with spaces.
std::string detokenize(const std::vector<std::string>& tokens, Tokens kind);

}  // namespace examples
