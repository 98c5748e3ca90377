// The translate example's models and data: every model overfits one batch, a short run learns
// to reverse strings, the same seed gives the same run, a saved model translates as before,
// and the data generators and the TSV reader behave.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <attograd/attograd.hpp>

#include "../support/temp_dir.hpp"
#include "models.hpp"
#include "splits.hpp"
#include "tasks.hpp"
#include "vocabulary.hpp"

using namespace attograd;
using Catch::Matchers::Contains;
using examples::Vocabulary;
using translate::Batch;
using translate::Example;

namespace {

struct Setup {
  translate::Dataset data;
  Vocabulary source, target;
};

Setup setup(const std::string& task, std::size_t size, std::size_t held_out, std::uint64_t seed = 1) {
  Setup s{translate::make_task(task, size, held_out, seed), {}, {}};
  std::vector<std::vector<std::string>> src, tgt;
  for (const Example& e : s.data.train) src.push_back(e.source), tgt.push_back(e.target);
  s.source = Vocabulary::build(src), s.target = Vocabulary::build(tgt);
  return s;
}

Batch batch_of(const std::vector<Example>& examples, std::size_t first, std::size_t n, const Setup& s) {
  std::vector<seq::TokenIds> src, tgt;
  for (std::size_t i = first; i < first + n; ++i) {
    src.push_back(s.source.encode(examples[i % examples.size()].source));
    seq::TokenIds t = s.target.encode(examples[i % examples.size()].target);
    t.push_back(Vocabulary::eos);
    tgt.push_back(t);
  }
  const auto a = seq::pad_sequences(src, 0), b = seq::pad_sequences(tgt, 0);
  return {a.ids, a.lengths, b.ids, b.lengths};
}

translate::ModelConfig config(const std::string& kind, const Setup& s, std::size_t hidden = 32) {
  return {.kind = kind,
          .source_vocab = s.source.size(),
          .target_vocab = s.target.size(),
          .embed = 16,
          .hidden = hidden,
          .heads = 2,
          .ff = 64};
}

std::vector<float> train(translate::Seq2Seq& model, const Setup& s, std::size_t steps, std::size_t batch, double lr,
                         bool same_batch) {
  optim::Adam adam(model.parameters(), {.lr = lr});
  std::vector<float> losses;
  for (std::size_t step = 0; step < steps; ++step) {
    const Batch b = batch_of(s.data.train, same_batch ? 0 : step * batch, batch, s);
    adam.zero_grad();
    const Tensor loss = model.loss(b, 1.0f);
    loss.backward();
    optim::clip_grad_norm_(model.parameters(), 1.0);
    adam.step();
    losses.push_back(loss.item());
  }
  return losses;
}

std::vector<seq::TokenIds> greedy(const translate::Seq2Seq& model, const std::vector<Example>& examples,
                                  const Setup& s) {
  std::vector<seq::TokenIds> ids;
  for (const Example& e : examples) ids.push_back(s.source.encode(e.source));
  const auto padded = seq::pad_sequences(ids, 0);
  const auto decoder = model.decoder(padded.ids, padded.lengths);
  std::vector<seq::TokenIds> out;
  for (const seq::Hypothesis& h : seq::greedy_search(*decoder, ids.size(), {.max_length = 30})) out.push_back(h.tokens);
  return out;
}

}  // namespace

TEST_CASE("every translate model overfits one batch") {
  const Setup s = setup("reverse", 8, 2);
  for (const std::string& kind : translate::model_kinds()) {
    INFO("model " << kind);
    manual_seed(3);
    const auto model = translate::make_model(config(kind, s));
    const bool transformer = kind == "transformer";  // wants a smaller step, and more of them
    const std::vector<float> losses = train(*model, s, transformer ? 300 : 150, 8, transformer ? 2e-3 : 1e-2, true);
    CHECK(losses.front() > 1.5f);  // about ln V at first
    CHECK(losses.back() < 0.05f);
  }
}

TEST_CASE("the teacher-forced loss is step-by-step decoding fed the targets, for every recurrent model") {
  // loss() runs the output layer once over every step's features and takes the cross-entropy of the
  // real tokens only; decoding runs one step at a time through the StepModel interface. Fed the same
  // tokens, both must give the same log-probabilities (a decoder that drifted from training would not).
  const Setup s = setup("reverse", 40, 2);
  const Batch b = batch_of(s.data.train, 0, 6, s);
  const std::size_t B = b.target.shape()[0], T = b.target.shape()[1];
  for (const std::string& kind : translate::model_kinds()) {
    if (kind == "transformer") continue;
    INFO("model " << kind);
    manual_seed(7);
    const auto model = translate::make_model(config(kind, s));
    const float loss = model->loss(b, 1.0f).item();
    const auto decoder = model->decoder(b.source, b.source_lengths);
    decoder->start(B);
    Index previous = Index::from_shape({B});
    std::fill(previous.begin(), previous.end(), Vocabulary::bos);
    double total = 0.0;
    std::size_t tokens = 0;
    for (std::size_t t = 0; t < T; ++t) {
      const Tensor log_probs = decoder->step(previous).log_probs;  // (B, V)
      for (std::size_t i = 0; i < B; ++i)
        if (b.target(i, t) != Vocabulary::pad) total -= log_probs.value()(i, b.target(i, t)), ++tokens;
      previous = seq::time_step(b.target, t);
    }
    CHECK(loss == Approx(total / static_cast<double>(tokens)).epsilon(1e-5));
  }
}

TEST_CASE("teacher forcing below 1 feeds the model's own predictions, and a free-running model still learns") {
  const Setup s = setup("reverse", 8, 2);
  manual_seed(5);
  const auto model = translate::make_model(config("bahdanau", s));
  const Batch b = batch_of(s.data.train, 0, 8, s);
  // Untrained, the model's own guesses differ from the true previous tokens, so the losses differ.
  manual_seed(11);
  const float forced = model->loss(b, 1.0f).item();
  manual_seed(11);
  const float free_running = model->loss(b, 0.0f).item();
  CHECK(forced != free_running);
  // Ratio 0 trains on its own predictions only, and still fits one batch.
  optim::Adam adam(model->parameters(), {.lr = 1e-2});
  float last = 0.0f;
  for (int step = 0; step < 200; ++step) {
    adam.zero_grad();
    const Tensor loss = model->loss(b, 0.0f);
    loss.backward();
    optim::clip_grad_norm_(model->parameters(), 1.0);
    adam.step();
    last = loss.item();
  }
  CHECK(last < 0.05f);
}

TEST_CASE("short Bahdanau and location-aware runs learn to reverse strings (exact match >= 0.9 on 200 held-out)") {
  // location is docs/extending.md's worked layer (examples/extending), trained the same way.
  for (const std::string kind : {"bahdanau", "location"}) {
    const auto start = std::chrono::steady_clock::now();
    const Setup s = setup("reverse", 5000, 200);
    manual_seed(1);
    const auto model = translate::make_model(config(kind, s, 64));
    train(*model, s, 600, 32, 3e-3, false);
    model->eval();
    std::vector<seq::TokenIds> refs;
    for (const Example& e : s.data.test) refs.push_back(s.target.encode(e.target));
    const double exact = seq::exact_match(greedy(*model, s.data.test, s), refs);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    INFO(kind << ": exact match " << exact << " after " << seconds << " s");
    CHECK(exact >= 0.9);  // no timing assertion: the time is only reported (INFO above)
  }
}

TEST_CASE("the same seed gives the same loss curve, bit for bit") {
  const Setup s = setup("dates", 200, 10);
  auto run = [&] {
    manual_seed(7);
    const auto model = translate::make_model(config("luong-general", s));
    return train(*model, s, 15, 16, 2e-3, false);
  };
  CHECK(run() == run());
}

TEST_CASE("a saved and reloaded model translates exactly as before") {
  const Setup s = setup("reverse", 300, 10);
  for (const std::string kind : {"bahdanau", "transformer"}) {
    manual_seed(2);
    const auto trained = translate::make_model(config(kind, s));
    train(*trained, s, 40, 16, 3e-3, false);
    trained->eval();
    testing::TempDir dir("translate");
    const auto path = dir.path / "model.safetensors";
    nn::save_module(path, *trained);
    manual_seed(99);
    const auto loaded = translate::make_model(config(kind, s));
    nn::load_module(path, *loaded);
    loaded->eval();
    CHECK(greedy(*loaded, s.data.test, s) == greedy(*trained, s.data.test, s));
  }
}

TEST_CASE("beam search with beam 1 decodes what greedy search decodes, on a trained model") {
  const Setup s = setup("reverse", 300, 5);
  manual_seed(4);
  const auto model = translate::make_model(config("luong-concat", s));
  train(*model, s, 40, 16, 3e-3, false);
  model->eval();
  for (const Example& e : s.data.test) {
    const auto padded = seq::pad_sequences({s.source.encode(e.source)}, 0);
    const auto a = model->decoder(padded.ids, padded.lengths), b = model->decoder(padded.ids, padded.lengths);
    CHECK(seq::beam_search(*a, {.max_length = 20, .beam = 1})[0].tokens ==
          seq::greedy_search(*b, 1, {.max_length = 20})[0].tokens);
  }
}

TEST_CASE("the generated tasks: disjoint splits, dates in ISO form with their fields located") {
  const translate::Dataset d = translate::make_task("dates", 500, 100, 5);
  std::set<std::vector<std::string>> train;
  for (const Example& e : d.train) train.insert(e.source);
  for (const Example& e : d.test) CHECK(train.count(e.source) == 0);
  for (const Example& e : d.test) {
    REQUIRE(e.target.size() == 10);  // yyyy-mm-dd
    CHECK(e.target[4] == "-");
    REQUIRE(e.alignment.size() == 10);
    CHECK(e.alignment[4].empty());
    for (std::size_t i : e.alignment[0]) CHECK(std::isdigit(static_cast<unsigned char>(e.source[i][0])));
  }
  const translate::Dataset toy = translate::make_task("toy-lang", 50, 10, 1);
  CHECK(toy.train[0].target.back().find('-') != std::string::npos);  // the verb with its agreement suffix
  CHECK_THROWS_WITH(translate::make_task("poems", 10, 1, 1), Contains("--task: unknown task 'poems'"));
}

TEST_CASE("the TSV reader counts malformed lines and honours --swap and --max-len") {
  CHECK(examples::first_two_columns("a\tb\tc") == std::pair<std::string, std::string>{"a", "b"});
  CHECK(examples::first_two_columns("a\tb") == std::pair<std::string, std::string>{"a", "b"});
  CHECK(examples::first_two_columns("no tab") == std::pair<std::string, std::string>{"", ""});
  testing::TempDir dir("translate");
  const auto path = dir.path / "pairs.tsv";
  std::ofstream(path) << "Hello, world!\tBonjour le monde !\textra\nno tab\n\ta\nGood night.\tBonne nuit.\n"
                         "One two three four five six.\tUn deux trois quatre cinq six.\nYes.\tOui.\nNo.\tNon.\n";
  const translate::Dataset d = translate::read_tsv(path, {.split = {.held_out = 1}});
  CHECK(d.skipped_malformed == 2);
  CHECK(d.train.size() + d.validation.size() + d.test.size() == 5);
  const translate::Dataset swapped =
      translate::read_tsv(path, {.swap = true, .max_length = 4, .split = {.held_out = 1}});
  CHECK(swapped.skipped_too_long == 1);  // the count line (7 tokens); "hello , world !" has 4, which fits
  bool found = false;
  for (const auto* split : {&swapped.train, &swapped.validation, &swapped.test})
    for (const Example& e : *split) found = found || e.source == std::vector<std::string>{"bonne", "nuit", "."};
  CHECK(found);
  CHECK_THROWS_WITH(translate::read_tsv(dir.path / "none.tsv", {}), Contains("cannot open the file"));
}

TEST_CASE("translate's models and vocabularies refuse what they cannot use") {
  const Setup s = setup("reverse", 10, 2);
  auto odd = config("bahdanau", s);
  odd.hidden = 33;
  CHECK_THROWS_WITH(translate::make_model(odd), Contains("--hidden must be even for the GRU models") && Contains("33"));
  CHECK_THROWS_WITH(translate::make_model(config("gru", s)), Contains("--model: unknown model 'gru'"));
  CHECK_THROWS_WITH(Vocabulary::from_json("[\"<pad>\"]", "ckpt"),
                    "ckpt: the vocabulary must be a JSON list of at least 4 tokens");
  CHECK_THROWS_WITH(Vocabulary::from_json("{", "ckpt"), Contains("ckpt: the vocabulary is not valid JSON"));
  CHECK_THROWS_WITH(Vocabulary::from_json("[\"<pad>\", \"<bos>\", \"<eos>\", \"<unk>\", \"a\", \"a\"]", "ckpt"),
                    "ckpt: vocabulary token 'a' appears twice");
  const Vocabulary v = Vocabulary::from_json(s.target.to_json(), "round trip");
  CHECK(v.size() == s.target.size());
  CHECK_THROWS_WITH(v.token(999), Contains("Vocabulary: id 999 is outside"));
}

TEST_CASE("a model's attention for the report is the attention it paid while decoding") {
  const Setup s = setup("reverse", 300, 3);
  for (const std::string kind : {"bahdanau", "luong-dot", "transformer", "none"}) {
    CAPTURE(kind);
    manual_seed(5);
    const auto model = translate::make_model(config(kind, s));
    train(*model, s, 20, 16, 3e-3, false);
    model->eval();
    const seq::TokenIds source = s.source.encode(s.data.test[0].source);
    const auto padded = seq::pad_sequences({source}, 0);
    const auto decoder = model->decoder(padded.ids, padded.lengths);
    const seq::Hypothesis h = seq::greedy_search(*decoder, 1, {.max_length = 12})[0];
    const translate::Seq2Seq::AttentionMaps a = model->attention(padded.ids, h.tokens);
    if (kind == "none") {
      CHECK(a.cross.empty());
      continue;
    }
    REQUIRE(a.cross.size() == (kind == "transformer" ? model->config().layers : std::size_t{1}));
    const Tensor last = a.cross.back();  // (1, H, T + 1, S)
    REQUIRE(last.shape()[2] == h.attention.size());
    REQUIRE(last.shape()[3] == source.size());
    const Tensor mean = kind == "transformer" ? attograd::mean(last, {1}) : select(last, 1, 0);  // (1, T + 1, S)
    for (std::size_t t = 0; t < h.attention.size(); ++t)  // decoding returns the last layer's head mean
      for (std::size_t j = 0; j < source.size(); ++j)
        CHECK(mean.value()(0, t, j) == Approx(h.attention[t][j]).margin(1e-5));
    if (kind == "transformer") {
      REQUIRE(a.encoder_self.size() == model->config().layers);
      CHECK(a.encoder_self[0].shape() == Shape{1, 2, source.size(), source.size()});
      REQUIRE(a.decoder_self.size() == model->config().layers);
      CHECK(a.decoder_self[0].value()(0, 1, 0, 1) == 0.0f);  // causal: the first position sees only itself
    }
  }
}

TEST_CASE("a user's file is split by --val-fraction and --test-fraction, or --held-out, and says how") {
  const examples::SplitPlan tenths = examples::plan_split(5000, {}, "pairs");
  CHECK(tenths.train == 4000);
  CHECK(tenths.validation == 500);
  CHECK(tenths.test == 500);
  CHECK(tenths.rule ==
        "5000 usable pairs, shuffled: 10 % validation (--val-fraction 0.1), 10 % test (--test-fraction 0.1)");
  const examples::SplitPlan small = examples::plan_split(7, {.val_fraction = 0.05, .test_fraction = 0.0}, "pairs");
  CHECK(small.validation == 1);  // a positive share is at least one
  CHECK(small.test == 0);
  CHECK(small.train == 6);
  const examples::SplitPlan counts = examples::plan_split(100, {.held_out = 30}, "images");
  CHECK(counts.train == 40);
  CHECK(counts.rule == "100 usable images, shuffled: 30 validation and 30 test (--held-out 30)");
  const examples::SplitPlan own = examples::plan_split(100, {.test_file = "mine.tsv"}, "pairs");
  CHECK(own.test == 0);
  CHECK(own.train == 90);
  CHECK_THAT(own.rule, Contains("test from --test mine.tsv"));
  CHECK_THROWS_WITH(examples::plan_split(10, {.val_fraction = 0.5, .test_fraction = 0.5}, "pairs"),
                    "the split takes 5 validation and 5 test pairs of the 10 usable, leaving none to train on; give "
                    "smaller --val-fraction and --test-fraction (or --test FILE)");
  CHECK_THROWS_WITH(examples::plan_split(50, {.held_out = 25}, "pairs"),
                    Contains("leaving none to train on; give a smaller --held-out"));
  CHECK_THROWS_WITH(examples::plan_split(50, {.val_fraction = 1.0}, "pairs"),
                    "--val-fraction 1: a share of the pairs, from 0 up to (not including) 1");
  CHECK_THROWS_WITH(examples::plan_split(50, {.test_fraction = -0.1}, "pairs"), Contains("--test-fraction -0.1"));
}

TEST_CASE("the split of a file is the plan's, the same for the same seed, and --test brings its own pairs") {
  testing::TempDir dir("translate_split");
  std::ofstream pairs(dir.path / "pairs.tsv");
  for (int i = 0; i < 40; ++i) pairs << "source " << i << "\ttarget " << i << "\n";
  pairs << "source 0\ttarget 0\n";  // repeated: kept once
  pairs.close();
  std::ofstream(dir.path / "test.tsv") << "my source\tmy target\nanother\tpair\n";
  const translate::FileOptions o{.split = {.val_fraction = 0.2, .test_fraction = 0.1}, .seed = 3};
  const translate::Dataset a = translate::read_tsv(dir.path / "pairs.tsv", o),
                           b = translate::read_tsv(dir.path / "pairs.tsv", o);
  CHECK(a.train.size() == 28);
  CHECK(a.validation.size() == 8);
  CHECK(a.test.size() == 4);
  CHECK(a.validation[0].source == b.validation[0].source);
  CHECK_THAT(a.split_rule, Contains("40 usable pairs"));
  std::set<std::string> seen;  // no pair in two splits
  for (const auto* split : {&a.train, &a.validation, &a.test})
    for (const Example& e : *split) CHECK(seen.insert(examples::detokenize(e.source, examples::Tokens::Word)).second);
  translate::FileOptions own = o;
  own.split.test_file = (dir.path / "test.tsv").string();
  const translate::Dataset t = translate::read_tsv(dir.path / "pairs.tsv", own);
  REQUIRE(t.test.size() == 2);
  CHECK(t.test[0].source == std::vector<std::string>{"my", "source"});
  CHECK(t.train.size() == 32);
  std::ofstream(dir.path / "empty_test.tsv") << "no tab here\n";
  own.split.test_file = (dir.path / "empty_test.tsv").string();
  CHECK_THROWS_WITH(translate::read_tsv(dir.path / "pairs.tsv", own),
                    Contains("--test ") && Contains("empty_test.tsv: no usable pairs (1 malformed lines"));
}

TEST_CASE("words of the validation and test splits that the training split never had are counted") {
  const Vocabulary v = Vocabulary::build({{"the", "cat", "sat"}});
  const std::vector<std::string> a = {"the", "dog", "sat"}, b = {"a", "dog", "!"};
  const examples::UnknownTokens u = examples::count_unknown(v, {&a, &b});
  CHECK(u.total == 6);
  CHECK(u.unknown == 4);   // dog, a, dog, !
  CHECK(u.distinct == 3);  // dog, a, !
  CHECK(u.share() == Approx(4.0 / 6.0));
  CHECK(examples::unknown_text(u, "source") == "66.67 % of the source tokens (3 distinct)");
  CHECK(examples::count_unknown(v, {}).share() == 0.0);
}
