// What lm trains on. Two problems with one right answer, from minGPT's demos, where exact match
// says whether the model learned the rule:
//   sort  6 digits from {0, 1, 2} then the same sorted: "201102" -> "001122" (all 729 inputs; a
//         seeded quarter of them never seen in training)
//   add   two 2-digit numbers then their sum's 3 digits reversed, as minGPT's adder (the model
//         writes the ones first, as people add): 12+34 -> "1234" + "640" (1 000 of the 10 000
//         pairs held out)
// and any text (--data FILE or DIR), tokenised by characters or byte-level BPE, split 90/10 in
// order as nanoGPT splits.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <variant>
#include <vector>

#include <attograd/attograd.hpp>

#include "models.hpp"

namespace lm {

using attograd::seq::TokenIds;

// The task names --task takes: sort, add, text.
const std::vector<std::string>& task_names();

// Text <-> ids: a character vocabulary or a byte-level BPE (attograd::seq).
class Tokenizer {
 public:
  Tokenizer() = default;
  explicit Tokenizer(attograd::seq::CharVocabulary chars) : impl_(std::move(chars)) {}
  explicit Tokenizer(attograd::seq::ByteBPE bpe) : impl_(std::move(bpe)) {}

  std::string kind() const;  // "char" or "bpe"
  std::size_t size() const;
  // Throws std::invalid_argument naming what cannot be encoded (a character outside the vocabulary).
  TokenIds encode(const std::string& text) const;
  std::string decode(const TokenIds& ids) const;
  // decode() for printing: bytes that are not valid UTF-8 (a BPE token may hold part of a
  // character) each become U+FFFD.
  std::string display(const TokenIds& ids) const;
  // For the checkpoint's metadata; from_string checks what it reads.
  std::string to_string() const;
  static Tokenizer from_string(const std::string& kind, const std::string& text);

 private:
  std::variant<attograd::seq::CharVocabulary, attograd::seq::ByteBPE> impl_;
};

// ---- sort and add ----

// Fixed-length problems: a prompt of prompt_length tokens, then the answer_length tokens of its
// answer. Each problem is one sequence of prompt + answer ids.
struct Problems {
  std::string task;
  std::size_t prompt_length = 0, answer_length = 0;
  std::vector<TokenIds> train, held_out;
  std::size_t held_out_unique = 0;  // distinct held-out problems (sort draws 5 000 from 182)
};

// The problems of a task, split by a seeded shuffle (throws for another task name).
Problems make_problems(const std::string& task, std::size_t seed);

// The tokenizer of a problem task: its digits ("012" for sort, "0123456789" for add).
Tokenizer problem_tokenizer(const std::string& task);

// Inputs: each problem but its last token; targets: each but its first, -1 over the prompt
// (only the answer is scored, as minGPT).
attograd::seq::LMBatch problem_batch(const std::vector<const TokenIds*>& problems, std::size_t prompt_length);

// "2 0 1 1 0 2 -> 0 0 1 1 2 2" or "12+34=46" for people, from a prompt and an answer.
std::string show_problem(const Problems& p, const TokenIds& prompt, const TokenIds& answer);
// --prompt for a problem task: "201102" for sort, "12+34" (or "1234", or "5+7") for add. Throws
// std::invalid_argument saying what the task expects.
TokenIds parse_prompt(const Problems& p, const std::string& text);

// Greedy answers to many prompts at once (each row prompt_length tokens), answer_length steps
// through the model's cache, in chunks of `chunk` rows.
std::vector<TokenIds> greedy_answers(LanguageModel& model, const std::vector<TokenIds>& prompts,
                                     std::size_t answer_length, std::size_t chunk = 1000);

// ---- text ----

// The text of a file, or of a directory's regular files in name order (symbolic links skipped,
// so /usr/share/common-licenses reads each licence once). Throws std::runtime_error naming the
// path for a missing or unreadable path, a directory without regular files, a device or pipe, an
// empty text, or a binary file (a NUL byte, with the file and its offset).
std::string read_text(const std::filesystem::path& path);

// The text lm trains on when --task text is given without --data: the licences every Debian
// system ships in /usr/share/common-licenses (the base-files package).
inline const char* default_text_path() { return "/usr/share/common-licenses"; }

}  // namespace lm
