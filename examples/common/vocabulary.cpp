// Vocabulary and tokenisation for the examples.
#include "vocabulary.hpp"

#include <cctype>
#include <fstream>
#include <set>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace examples {

namespace {
const std::vector<std::string> specials{"<pad>", "<bos>", "<eos>", "<unk>"};

std::size_t utf8_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 1;
}
}  // namespace

std::vector<std::string> tokenize(const std::string& text, Tokens kind) {
  std::vector<std::string> out;
  if (kind == Tokens::Char) {
    for (std::size_t i = 0; i < text.size();) {
      const std::size_t n = std::min(utf8_length(static_cast<unsigned char>(text[i])), text.size() - i);
      out.push_back(text.substr(i, n));
      i += n;
    }
    return out;
  }
  std::string word;
  auto flush = [&] {
    if (!word.empty()) out.push_back(word);
    word.clear();
  };
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isspace(c)) {
      flush();
    } else if (c < 0x80 && std::ispunct(c) && ch != '\'') {
      flush();
      out.emplace_back(1, ch);
    } else {
      word += static_cast<char>(c < 0x80 ? std::tolower(c) : c);
    }
  }
  flush();
  return out;
}

std::string detokenize(const std::vector<std::string>& tokens, Tokens kind) {
  std::string out;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (kind == Tokens::Word && i > 0) out += ' ';
    out += tokens[i];
  }
  return out;
}

Vocabulary::Vocabulary() {
  for (const std::string& s : specials) {
    ids_.emplace(s, static_cast<std::int64_t>(tokens_.size()));
    tokens_.push_back(s);
  }
}

Vocabulary Vocabulary::build(const std::vector<std::vector<std::string>>& tokenized) {
  Vocabulary v;
  for (const auto& tokens : tokenized)
    for (const std::string& t : tokens)
      if (v.ids_.emplace(t, static_cast<std::int64_t>(v.tokens_.size())).second) v.tokens_.push_back(t);
  return v;
}

std::int64_t Vocabulary::id(const std::string& token) const {
  const auto it = ids_.find(token);
  return it == ids_.end() ? unk : it->second;
}

const std::string& Vocabulary::token(std::int64_t id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= tokens_.size())
    throw std::out_of_range(fmt::format("Vocabulary: id {} is outside [0, {})", id, tokens_.size()));
  return tokens_[static_cast<std::size_t>(id)];
}

attograd::seq::TokenIds Vocabulary::encode(const std::vector<std::string>& tokens) const {
  attograd::seq::TokenIds ids;
  for (const std::string& t : tokens) ids.push_back(id(t));
  return ids;
}

std::vector<std::string> Vocabulary::decode(const attograd::seq::TokenIds& ids) const {
  std::vector<std::string> out;
  for (const std::int64_t i : ids) out.push_back(token(i));
  return out;
}

std::string Vocabulary::to_json() const { return nlohmann::json(tokens_).dump(); }

Vocabulary Vocabulary::from_json(const std::string& json, const std::string& what) {
  nlohmann::json parsed;
  try {
    parsed = nlohmann::json::parse(json);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(fmt::format("{}: the vocabulary is not valid JSON ({})", what, e.what()));
  }
  if (!parsed.is_array() || parsed.size() < specials.size())
    throw std::runtime_error(
        fmt::format("{}: the vocabulary must be a JSON list of at least {} tokens", what, specials.size()));
  Vocabulary v;
  for (std::size_t i = 0; i < parsed.size(); ++i) {
    if (!parsed[i].is_string())
      throw std::runtime_error(fmt::format("{}: vocabulary entry {} is not a string", what, i));
    const std::string t = parsed[i].get<std::string>();
    if (i < specials.size()) {
      if (t != specials[i])
        throw std::runtime_error(fmt::format("{}: vocabulary entry {} must be {}, got {}", what, i, specials[i], t));
      continue;
    }
    if (!v.ids_.emplace(t, static_cast<std::int64_t>(v.tokens_.size())).second)
      throw std::runtime_error(fmt::format("{}: vocabulary token '{}' appears twice", what, t));
    v.tokens_.push_back(t);
  }
  return v;
}

bool is_valid_utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    i += n;
  }
  return true;
}

std::pair<std::string, std::string> first_two_columns(const std::string& line) {
  const std::size_t tab = line.find('\t');
  if (tab == std::string::npos) return {"", ""};
  const std::size_t tab2 = line.find('\t', tab + 1);
  return {line.substr(0, tab), line.substr(tab + 1, tab2 == std::string::npos ? std::string::npos : tab2 - tab - 1)};
}

void read_tsv_columns(const std::string& option, const std::filesystem::path& path,
                      const std::function<void(std::size_t, std::string, std::string)>& row) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("{} {}: cannot open the file", option, path.string()));
  std::string line;
  std::size_t number = 0, lines = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    ++lines;
    if (!is_valid_utf8(line))
      throw std::runtime_error(fmt::format("{} {}: line {} is not valid UTF-8", option, path.string(), number));
    auto [first, second] = first_two_columns(line);
    row(number, std::move(first), std::move(second));
  }
  if (in.bad()) throw std::runtime_error(fmt::format("{} {}: reading failed", option, path.string()));
  if (lines == 0) throw std::runtime_error(fmt::format("{} {}: the file has no lines", option, path.string()));
}

UnknownTokens count_unknown(const Vocabulary& vocab, const std::vector<const std::vector<std::string>*>& texts) {
  UnknownTokens u;
  std::set<std::string> seen;
  for (const std::vector<std::string>* text : texts)
    for (const std::string& token : *text) {
      ++u.total;
      if (vocab.id(token) == Vocabulary::unk) ++u.unknown, seen.insert(token);
    }
  u.distinct = seen.size();
  return u;
}

std::string unknown_text(const UnknownTokens& u, const std::string& side) {
  return fmt::format("{:.2f} % of the {} tokens ({} distinct)", 100 * u.share(), side, u.distinct);
}

}  // namespace examples
