// The data translate trains on: three toy tasks generated in-process from a seed, with disjoint
// train/validation/test splits, or a tab-separated file of sentence pairs the user names.
//   dates     human-written dates in many formats -> ISO 8601 ("Tue, 25 Nov 2026" -> "2026-11-25");
//             the generator knows which source characters carry the year, month and day
//   reverse   a string of letters -> the same reversed
//   toy-lang  a small subject-verb-object language -> a subject-object-verb one with case
//             particles and agreement suffixes, so attention has to reorder
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "splits.hpp"
#include "vocabulary.hpp"

namespace translate {

struct Example {
  std::vector<std::string> source, target;  // tokens
  // Per target token, the source positions that carry it (dates: the year, month or day field);
  // empty where nothing is scored. Empty altogether for tasks without known alignments.
  std::vector<std::vector<std::size_t>> alignment;
};

struct Dataset {
  std::string task;
  examples::Tokens tokens = examples::Tokens::Char;
  std::vector<Example> train, validation, test;
  std::size_t skipped_malformed = 0, skipped_too_long = 0;  // files only (--test's lines included)
  std::string split_rule;  // files: how the file was split (examples::plan_split), for the start-up lines
};

const std::vector<std::string>& task_names();  // dates, reverse, toy-lang

// `size` training examples, plus validation and test splits of `held_out` each, all distinct.
// Throws std::invalid_argument naming an unknown task.
Dataset make_task(const std::string& task, std::size_t size, std::size_t held_out, std::uint64_t seed);

struct FileOptions {
  bool swap = false;           // translate the second column into the first
  std::size_t max_length = 0;  // drop pairs with a side longer than this many tokens (0: keep all)
  examples::Tokens tokens = examples::Tokens::Word;
  examples::SplitOptions split;  // --val-fraction, --test-fraction or --held-out, --test FILE
  std::uint64_t seed = 1;        // shuffles the pairs before the split
};

// Lines "source<TAB>target[<TAB>anything]" (Tatoeba and Anki exports), split by options.split (a
// pair repeated in the file is kept once; with --test FILE, the test split is that file's pairs,
// read the same way). Lines without a tab or with an empty side are counted and skipped; an unreadable or empty file,
// one with no usable line, or a line that is not UTF-8 is a std::runtime_error naming the file (and the line).
Dataset read_tsv(const std::filesystem::path& path, const FileOptions& options);

}  // namespace translate
