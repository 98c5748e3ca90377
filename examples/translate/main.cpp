// translate: train a toy translation model, watch it learn, and see where it looked.
//
//   translate                                   # dates -> ISO 8601 with Bahdanau attention
//   translate --model transformer --beam 4
//   translate --data pairs.tsv --tokens word --save model.safetensors
//   translate --load model.safetensors --translate "Tue, 25 Nov 2026"
//
// Run with --help for every option. The program is written as a user of attograd would write
// it: the model (models.cpp), the data (tasks.cpp), and this file's training loop and evaluation
// on top of attograd::seq (padding, greedy and beam search, BLEU, heatmaps) and the examples'
// shared pieces (examples/common: command line, trainer, checkpoint metadata, report).
// run() reads top to bottom: options, data, model, start-up line, training, test, outputs.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <attograd/attograd.hpp>
#include <attograd/core/kernels/blas.hpp>

#include "checkpoint.hpp"
#include "cli.hpp"
#include "evaluation.hpp"
#include "models.hpp"
#include "report.hpp"
#include "tasks.hpp"
#include "training.hpp"
#include "vocabulary.hpp"

using namespace attograd;
using examples::Tokens;
using examples::Vocabulary;
using translate::Dataset;
using translate::Example;

namespace {

struct Options : examples::CommonOptions {
  Options() { batch = 64, train_size = 20000, held_out = 1000, report = "translate_report"; }
  std::string task = "dates", data, tokens = "char", model = "bahdanau";
  bool swap = false, interactive = false, stop_at_target = false;
  std::size_t max_len = 0, embed = 32;
  float teacher_forcing = 1.0f;
  double target = 0.99;
  std::string translate_text, write_data;
  examples::SplitOptions split;    // --val-fraction, --test-fraction, --test (with --data)
  examples::ModelOverrides sizes;  // --hidden, --layers, --heads, --ff, --dropout, --steps, --lr
};

// Everything needed to rebuild a model from a checkpoint, kept in its metadata.
struct Setup {
  translate::ModelConfig config;
  Vocabulary source_vocab, target_vocab;
  Tokens tokens = Tokens::Char;
  std::string task;
};

// What run() builds and passes along: the setup, the model and the data.
struct Program {
  Setup setup;
  std::shared_ptr<translate::Seq2Seq> model;
  Dataset data;
};

Metadata to_metadata(const Setup& s) {
  const translate::ModelConfig& c = s.config;
  return {{"translate.model", c.kind},
          {"translate.task", s.task},
          {"translate.tokens", s.tokens == Tokens::Char ? "char" : "word"},
          {"translate.sizes",
           examples::sizes_json(
               {{"embed", c.embed}, {"hidden", c.hidden}, {"layers", c.layers}, {"heads", c.heads}, {"ff", c.ff}})},
          {"translate.source_vocab", s.source_vocab.to_json()},
          {"translate.target_vocab", s.target_vocab.to_json()}};
}

Setup from_metadata(const Metadata& m, const std::string& path) {
  const examples::MetadataReader read(m, "translate", path);
  Setup s;
  s.config.kind = read.get("model");
  s.task = read.get("task");
  s.tokens = read.get("tokens") == "word" ? Tokens::Word : Tokens::Char;
  s.source_vocab = Vocabulary::from_json(read.get("source_vocab"), "--load " + path);
  s.target_vocab = Vocabulary::from_json(read.get("target_vocab"), "--load " + path);
  s.config.embed = read.size("embed"), s.config.hidden = read.size("hidden"), s.config.layers = read.size("layers");
  s.config.heads = read.size("heads"), s.config.ff = read.size("ff");
  s.config.source_vocab = s.source_vocab.size();
  s.config.target_vocab = s.target_vocab.size();
  return s;
}

// ---- data and model ----

Program load_model(const Options& o, const examples::Given& given) {
  const nn::Checkpoint ckpt = examples::load_model_file(o.load);
  Program p;
  p.setup = from_metadata(ckpt.metadata, o.load);
  examples::check_model_kind(o.load, p.setup.config.kind, o.model, given("--model"));
  p.model = translate::make_model(p.setup.config);
  p.model->load_state_dict(ckpt.state_dict);
  fmt::print("loaded {} ({} model, {} parameters)\n", o.load, p.setup.config.kind, p.model->parameter_count());
  return p;
}

// --write-data DIR: the splits as train.tsv, validation.tsv and test.tsv (source<TAB>target), which
// --data reads back, and which bench/translate_torch.py trains PyTorch on.
void write_splits(const Dataset& data, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  const std::pair<const char*, const std::vector<Example>*> splits[] = {
      {"train.tsv", &data.train}, {"validation.tsv", &data.validation}, {"test.tsv", &data.test}};
  for (const auto& [name, examples] : splits) {
    std::string text;
    for (const Example& e : *examples)
      text += examples::detokenize(e.source, data.tokens) + "\t" + examples::detokenize(e.target, data.tokens) + "\n";
    examples::write_file_atomically(dir / name, text);
  }
  fmt::print("wrote {} training, {} validation and {} test pairs to {}/{{train,validation,test}}.tsv\n",
             data.train.size(), data.validation.size(), data.test.size(), dir.string());
}

Dataset load_data(const Options& o, const examples::Given& given) {
  Dataset data;
  if (!o.data.empty()) {
    examples::SplitOptions split = o.split;
    if (given("--held-out")) split.held_out = o.held_out;
    data = translate::read_tsv(o.data, {.swap = o.swap,
                                        .max_length = o.max_len,
                                        .tokens = o.tokens == "word" ? Tokens::Word : Tokens::Char,
                                        .split = split,
                                        .seed = o.seed});
    fmt::print("read {}: {}; skipped {} malformed lines and {} longer than --max-len\n", o.data, data.split_rule,
               data.skipped_malformed, data.skipped_too_long);
  } else {
    data = translate::make_task(o.task, o.train_size, o.held_out, o.seed);
  }
  if (!o.write_data.empty()) write_splits(data, o.write_data);
  return data;
}

// A new model for the data: vocabularies from its training split, sizes from --model's defaults
// and the options given.
void build_model(const Options& o, Program& p) {
  Setup& s = p.setup;
  s.task = p.data.task, s.tokens = p.data.tokens;
  std::vector<std::vector<std::string>> sources, targets;
  for (const Example& e : p.data.train) sources.push_back(e.source), targets.push_back(e.target);
  s.source_vocab = Vocabulary::build(sources), s.target_vocab = Vocabulary::build(targets);
  const examples::ModelSettings sizes = o.sizes.apply(examples::defaults_for(translate::model_defaults(), o.model));
  s.config = {.kind = o.model,
              .source_vocab = s.source_vocab.size(),
              .target_vocab = s.target_vocab.size(),
              .embed = o.embed,
              .hidden = sizes.hidden,
              .layers = sizes.layers,
              .heads = sizes.heads,
              .ff = sizes.ff,
              .dropout = sizes.dropout};
  p.model = translate::make_model(s.config);
}

translate::Batch make_batch(const std::vector<const Example*>& examples, const Setup& s) {
  std::vector<seq::TokenIds> sources, targets;
  for (const Example* e : examples) {
    sources.push_back(s.source_vocab.encode(e->source));
    seq::TokenIds t = s.target_vocab.encode(e->target);
    t.push_back(Vocabulary::eos);
    targets.push_back(t);
  }
  const seq::PaddedBatch src = seq::pad_sequences(sources, Vocabulary::pad);
  const seq::PaddedBatch tgt = seq::pad_sequences(targets, Vocabulary::pad);
  return {src.ids, src.lengths, tgt.ids, tgt.lengths};
}

// What of the validation and test splits the training split's vocabularies do not know (read as
// UNK): printed, and kept in the metrics.
void count_unknown(const Program& p, nlohmann::json& metrics) {
  std::vector<std::string> lines;
  for (const auto& [name, split] : {std::pair{"validation", &p.data.validation}, {"test", &p.data.test}}) {
    if (split->empty()) continue;
    std::vector<const std::vector<std::string>*> sources, targets;
    for (const Example& e : *split) sources.push_back(&e.source), targets.push_back(&e.target);
    const examples::UnknownTokens s = examples::count_unknown(p.setup.source_vocab, sources);
    const examples::UnknownTokens t = examples::count_unknown(p.setup.target_vocab, targets);
    metrics[fmt::format("unknown_source_{}", name)] = s.share();
    metrics[fmt::format("unknown_target_{}", name)] = t.share();
    lines.push_back(
        fmt::format("{} {} and {}", name, examples::unknown_text(s, "source"), examples::unknown_text(t, "target")));
  }
  if (!lines.empty())
    fmt::print("unknown to the vocabularies of the training split (read as <unk>): {}\n", fmt::join(lines, "; "));
}

// ---- decoding and scoring ----

struct Decoded {
  seq::TokenIds tokens;
  std::vector<std::vector<float>> attention;
};

// Greedy (beam 1) in batches of 100, or beam search one sentence at a time.
std::vector<Decoded> decode(const translate::Seq2Seq& model, const std::vector<std::vector<std::string>>& sources,
                            const Setup& s, std::size_t beam) {
  std::vector<seq::TokenIds> ids;
  for (const auto& source : sources) ids.push_back(s.source_vocab.encode(source));
  const auto found =
      examples::search(ids.size(), 100, examples::search_options(60, beam), [&](std::size_t first, std::size_t count) {
        const seq::PaddedBatch batch = seq::pad_sequences({ids.begin() + static_cast<std::ptrdiff_t>(first),
                                                           ids.begin() + static_cast<std::ptrdiff_t>(first + count)},
                                                          Vocabulary::pad);
        return model.decoder(batch.ids, batch.lengths);
      });
  std::vector<Decoded> out;
  for (std::size_t k = 0; k < found.size(); ++k) {
    Decoded d{found[k].tokens, found[k].attention};
    for (auto& row : d.attention)  // the batch's padding is not part of this source
      if (row.size() > ids[k].size()) row.resize(ids[k].size());
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<seq::TokenIds> tokens_of(const std::vector<Decoded>& decoded) {
  std::vector<seq::TokenIds> tokens;
  for (const Decoded& d : decoded) tokens.push_back(d.tokens);
  return tokens;
}

// Greedy decoding of `examples`: the predictions and the references, as ids.
std::pair<std::vector<Decoded>, std::vector<seq::TokenIds>> decode_split(const translate::Seq2Seq& model,
                                                                         const std::vector<Example>& examples,
                                                                         const Setup& s, std::size_t beam) {
  std::vector<std::vector<std::string>> sources;
  std::vector<seq::TokenIds> references;
  for (const Example& e : examples) sources.push_back(e.source), references.push_back(s.target_vocab.encode(e.target));
  return {decode(model, sources, s, beam), references};
}

// ---- training ----

// Every --eval-every steps: greedy decoding of the validation split, off the training clock.
// Returns its metrics (exact_match, token_accuracy, bleu).
nlohmann::json validate(const Options& o, Program& p, std::size_t step, double seconds, nlohmann::json& metrics) {
  p.model->eval();
  const auto [decoded, references] = decode_split(*p.model, p.data.validation, p.setup, 1);
  p.model->train();
  const nlohmann::json v = examples::sequence_metrics(tokens_of(decoded), references);
  const double exact = v["exact_match"].get<double>();
  metrics["validation_curve"].push_back(
      {{"step", step}, {"train_seconds", seconds}, {"exact_match", exact}, {"bleu", v["bleu"]}});
  fmt::print(stderr, "\nstep {}: validation exact match {:.4f}, BLEU-4 {:.4f} after {:.1f} s of training\n", step,
             exact, v["bleu"].get<double>(), seconds);
  if (exact >= o.target && !metrics.contains("steps_to_target"))
    metrics["steps_to_target"] = step, metrics["seconds_to_target"] = seconds;
  return v;
}

// The loss on a validation batch, with dropout off and no graph (the report's validation curve).
double validation_loss(translate::Seq2Seq& model, const translate::Batch& held) {
  NoGradGuard no_grad;
  model.eval();
  const double loss = model.loss(held, 1.0f).item();
  model.train();
  return loss;
}

// The training loop: sample a batch, one step on its loss, validate now and then. Returns the
// losses, one a step.
std::vector<double> train(const Options& o, const examples::Given& given, Program& p,
                          const examples::ModelSettings& settings, nlohmann::json& metrics,
                          examples::ValidationCurve& curve) {
  examples::Trainer trainer(
      p.model->parameters(),
      examples::trainer_options(o, given, settings, 1.0, !p.data.validation.empty(), !o.data.empty()));
  p.model->train();
  Generator batches(o.seed + 1);
  auto sample = [&] { return make_batch(examples::sample_batch(batches, p.data.train, o.batch), p.setup); };
  {
    NoGradGuard no_grad;
    const double initial = p.model->loss(sample(), 1.0f).item();
    fmt::print("{} on {}: {} parameters; {}\n", p.setup.config.kind, p.data.task, p.model->parameter_count(),
               examples::sanity_text(initial, p.setup.target_vocab.size()));
  }
  const translate::Batch held = make_batch(examples::first_items(p.data.validation, 256), p.setup);
  trainer.track({p.model->state_dict(), &batches, &curve, &metrics,
                 examples::run_metadata(given, to_metadata(p.setup))});  // with --resume: restored here
  for (std::size_t step = trainer.first_step(); step <= trainer.steps(); ++step) {
    if ((o.stop_at_target && metrics.contains("steps_to_target")) || trainer.stopped_early())
      break;  // a resumed run that had stopped
    const translate::Batch b = sample();
    trainer.step(p.model->loss(b, o.teacher_forcing), examples::token_count(b.target_lengths));
    if (!p.data.validation.empty() && examples::curve_point_due(step, trainer.steps()))
      trainer.untimed([&] { curve.emplace_back(step, validation_loss(*p.model, held)); });
    if (trainer.validation_due(step))
      trainer.untimed([&] {
        const nlohmann::json v = validate(o, p, step, trainer.seconds(), metrics);
        trainer.keep_best(step, v[o.best_by].get<double>());
      });
    trainer.end_step(step);  // --checkpoint, Ctrl-C
    if (o.stop_at_target && metrics.contains("steps_to_target")) {
      fmt::print(stderr, "validation exact match reached --target {} at step {}: stopping\n", o.target, step);
      break;
    }
    if (trainer.stopped_early()) break;
  }
  trainer.finish();  // with --keep best: the model is now the kept one
  p.model->eval();
  metrics["steps"] = trainer.losses().size(), metrics["train_seconds"] = trainer.seconds();
  metrics["final_loss"] = trainer.losses().back(), metrics["losses"] = trainer.losses();
  return trainer.losses();
}

// ---- evaluation on the held-out test split ----

// For dates: how often the attention's argmax for a year, month or day character lies on the
// source characters that carry that field.
double alignment_accuracy(const std::vector<Example>& examples, const std::vector<Decoded>& decoded) {
  std::size_t right = 0, scored = 0;
  for (std::size_t i = 0; i < examples.size(); ++i) {
    for (std::size_t t = 0; t < decoded[i].attention.size() && t < examples[i].alignment.size(); ++t) {
      const auto& field = examples[i].alignment[t];
      const auto& row = decoded[i].attention[t];
      if (field.empty() || row.empty()) continue;
      right += std::find(field.begin(), field.end(), examples::peak(row)) != field.end();
      ++scored;
    }
  }
  return scored == 0 ? std::nan("") : static_cast<double>(right) / static_cast<double>(scored);
}

// The longest quarter of the sources, where a fixed-size summary of the source fails first.
nlohmann::json longest_quarter(const std::vector<Example>& test, const std::vector<seq::TokenIds>& predictions,
                               const std::vector<seq::TokenIds>& references) {
  std::vector<std::size_t> order(test.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return test[a].source.size() > test[b].source.size(); });
  order.resize(std::max<std::size_t>(1, order.size() / 4));
  std::vector<seq::TokenIds> long_predictions, long_references;
  for (const std::size_t i : order)
    long_predictions.push_back(predictions[i]), long_references.push_back(references[i]);
  return examples::sequence_metrics(long_predictions, long_references);
}

void print_test(const Options& o, const Program& p, const nlohmann::json& m, const std::vector<Decoded>& decoded,
                const std::vector<seq::TokenIds>& references) {
  fmt::print("test ({} held-out examples): exact match {:.4f}, token accuracy {:.4f}, BLEU-4 {:.4f}{}\n",
             p.data.test.size(), m["exact_match"].get<double>(), m["token_accuracy"].get<double>(),
             m["bleu"].get<double>(),
             m.contains("alignment_accuracy")
                 ? fmt::format(", alignment accuracy {:.4f}", m["alignment_accuracy"].get<double>())
                 : "");
  fmt::print("  the longest quarter of the sources: exact match {:.4f}, BLEU-4 {:.4f}\n",
             m["exact_match_longest_quarter"].get<double>(), m["bleu_longest_quarter"].get<double>());
  const Tokens tokens = p.setup.tokens;
  for (std::size_t i = 0; i < std::min(o.samples, p.data.test.size()); ++i) {
    const std::string source = examples::detokenize(p.data.test[i].source, tokens);
    const std::string output = examples::detokenize(p.setup.target_vocab.decode(decoded[i].tokens), tokens);
    fmt::print("{}\n", examples::sample_line(source + "  ->  " + output, decoded[i].tokens == references[i],
                                             examples::detokenize(p.data.test[i].target, tokens)));
  }
}

// The page's view of one translation: its tokens, and every attention the model paid writing it.
examples::ReportExample report_example(const Program& p, std::string label, const std::vector<std::string>& source,
                                       const seq::TokenIds& output, const std::vector<std::string>& reference) {
  const Setup& s = p.setup;
  examples::ReportExample e;
  e.label = std::move(label), e.input = examples::detokenize(source, s.tokens);
  e.output = s.target_vocab.decode(output), e.reference = reference, e.joiner = s.tokens == Tokens::Char ? "" : " ";
  const seq::TokenIds ids = s.source_vocab.encode(source);
  if (ids.empty()) return e;
  Index batch = Index::from_shape({1, ids.size()});  // (1, S): one source
  std::copy(ids.begin(), ids.end(), batch.begin());
  const translate::Seq2Seq::AttentionMaps a = p.model->attention(batch, output);
  std::vector<std::string> written = e.output, read = {"<bos>"};  // the decoder's outputs and inputs
  written.emplace_back("<eos>");
  read.insert(read.end(), e.output.begin(), e.output.end());
  auto add = [&](const char* name, const std::vector<Tensor>& w, const std::vector<std::string>& queries,
                 const std::vector<std::string>& keys, const char* query_title, const char* key_title, bool causal) {
    if (w.empty()) return;
    e.attention.push_back(examples::attention_view(name, w, queries, keys, causal));
    e.attention.back().query_title = query_title, e.attention.back().key_title = key_title;
    if (s.config.kind != "transformer") e.attention.back().note = examples::one_head_note;
  };
  add("cross-attention: output → source", a.cross, written, source, "output token", "source token", false);
  add("decoder self-attention (causal)", a.decoder_self, read, read, "decoder input", "decoder input", true);
  add("encoder self-attention", a.encoder_self, source, source, "source token", "source token", false);
  return e;
}

// Up to 20 test pairs for the page, the wrong ones first.
std::vector<examples::ReportExample> report_examples(const Program& p, const std::vector<Decoded>& decoded,
                                                     const std::vector<seq::TokenIds>& references) {
  std::vector<examples::ReportExample> rows;
  for (const std::size_t i :
       examples::wrong_first(decoded.size(), 20, [&](std::size_t i) { return decoded[i].tokens == references[i]; }))
    rows.push_back(report_example(p, fmt::format("test pair {}", i), p.data.test[i].source, decoded[i].tokens,
                                  p.data.test[i].target));
  return rows;
}

// Decodes the test split with --beam, scores it, prints it and fills the report's examples.
void evaluate_test(const Options& o, const Program& p, nlohmann::json& metrics, examples::Report& report) {
  const auto start = std::chrono::steady_clock::now();
  const auto [decoded, references] = decode_split(*p.model, p.data.test, p.setup, o.beam);
  metrics["decode_seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::vector<seq::TokenIds> predictions = tokens_of(decoded);
  metrics.update(examples::sequence_metrics(predictions, references));
  const nlohmann::json longest = longest_quarter(p.data.test, predictions, references);
  metrics["bleu_longest_quarter"] = longest["bleu"];
  metrics["exact_match_longest_quarter"] = longest["exact_match"];
  metrics["test_examples"] = p.data.test.size();
  const double alignment = alignment_accuracy(p.data.test, decoded);
  if (!std::isnan(alignment)) metrics["alignment_accuracy"] = alignment;
  print_test(o, p, metrics, decoded, references);
  report.examples = report_examples(p, decoded, references);
  report.scored = decoded.size();
  for (std::size_t i = 0; i < decoded.size(); ++i) report.wrong += decoded[i].tokens != references[i];
}

// ---- outputs ----

// The page's title: what was learned, by which model.
std::string report_title(const Options& o, const Program& p) {
  const std::string& kind = p.setup.config.kind;
  const std::string model = kind == "transformer" ? "a Transformer"
                            : kind == "none"      ? "a GRU encoder-decoder without attention"
                                                  : "a GRU encoder-decoder with " + kind + " attention";
  const std::string data = !o.data.empty()          ? o.data
                           : p.setup.task == "file" ? "a file"
                                                    : "the " + p.setup.task + " task";
  return fmt::format("translate: {} with {}", data, model);
}

void write_report(const Options& o, const examples::Given& given, const Program& p,
                  const examples::ModelSettings& settings, examples::Report& report, const nlohmann::json& metrics) {
  report.title = report_title(o, p);
  report.metrics = examples::describe_metrics(metrics);
  const std::string data = o.data.empty() ? "generated (--task " + p.setup.task + ")" : o.data;
  const examples::SplitSizes splits{p.data.train.size(), p.data.validation.size(), p.data.test.size(), "pairs",
                                    p.data.split_rule};
  report.settings = examples::report_settings(
      given, examples::run_settings(given, p.setup.config.kind, settings,
                                    {{"--embed", fmt::format("{}", p.setup.config.embed)},
                                     examples::eval_every_setting(o, given, settings.steps, !o.data.empty())},
                                    data, splits, p.model->parameter_count()));
  report.loss_unit = "cross-entropy, nats per target token";
  examples::publish_report(o.report, report);
  for (std::size_t i = 0; i < report.examples.size(); ++i) {  // each cross-attention as an SVG, for slides
    if (report.examples[i].attention.empty()) continue;
    const examples::AttentionView& v = report.examples[i].attention.front();
    examples::write_file_atomically(
        std::filesystem::path(o.report) / fmt::format("attention_{:02}.svg", i),
        seq::attention_heatmap_svg(examples::head_mean(v, v.weights.shape()[0] - 1), v.keys, v.queries,
                                   report.examples[i].label + ": last layer, mean of the heads"));
  }
}

// --translate TEXT and --interactive: the user's own sentences, printed, and returned for the page.
std::vector<examples::ReportExample> translate_user_text(const Options& o, const Program& p) {
  std::vector<examples::ReportExample> shown;
  auto translate_line = [&](const std::string& text) {
    const auto tokens = examples::tokenize(text, p.setup.tokens);
    const Decoded d = decode(*p.model, {tokens}, p.setup, o.beam)[0];
    fmt::print("{}\n", examples::detokenize(p.setup.target_vocab.decode(d.tokens), p.setup.tokens));
    shown.push_back(report_example(
        p, shown.empty() ? "your sentence" : fmt::format("your sentence {}", shown.size() + 1), tokens, d.tokens, {}));
  };
  if (!o.translate_text.empty()) translate_line(o.translate_text);
  if (o.interactive)
    for (std::string line; std::getline(std::cin, line);) translate_line(line);
  return shown;
}

int run(const Options& o, const examples::Given& given) {
  if (o.stop_at_target && o.eval_every == 0)
    throw std::invalid_argument("--stop-at-target needs --eval-every N with N > 0 (how often to check)");
  manual_seed(o.seed);
  Program p;
  if (!o.load.empty()) p = load_model(o, given);
  const bool needs_data = o.load.empty() || given("--steps") || given("--task") || given("--data");
  if (needs_data) p.data = load_data(o, given);
  if (needs_data && !p.model) build_model(o, p);
  const examples::ModelSettings settings = examples::announce_settings(
      translate::model_defaults(), p.setup.config, o.sizes, !o.load.empty(), o.batch,
      needs_data ? std::optional(examples::SplitSizes{p.data.train.size(), p.data.validation.size(), p.data.test.size(),
                                                      "pairs", p.data.split_rule})
                 : std::nullopt);
  if (o.dry_run) return 0;

  nlohmann::json metrics = examples::initial_metrics(p.setup.task, p.setup.config.kind);
  if (needs_data && p.data.task == "file") count_unknown(p, metrics);
  examples::Report report;
  if (settings.steps > 0) report.losses = train(o, given, p, settings, metrics, report.validation);
  if (needs_data && !p.data.test.empty()) evaluate_test(o, p, metrics, report);
  examples::write_outputs(o.metrics_json, metrics, o.save, *p.model, to_metadata(p.setup));
  auto yours = translate_user_text(o, p);  // the user's sentences first on the page
  report.examples.insert(report.examples.begin(), yours.begin(), yours.end());
  if (!o.report.empty() && (needs_data || given("--report")) && !report.examples.empty())
    write_report(o, given, p, settings, report, metrics);
  return 0;
}

// ---- the command line ----

void add_data_options(CLI::App& app, Options& o) {
  app.add_option("--task", o.task, "generated task")
      ->check(CLI::IsMember(translate::task_names()))
      ->capture_default_str();
  app.add_option("--data", o.data, "train on FILE.tsv instead: lines source<TAB>target (Tatoeba/Anki exports)")
      ->check(CLI::ExistingFile);
  app.add_flag("--swap", o.swap, "with --data: translate the second column into the first");
  app.add_option("--max-len", o.max_len, "with --data: drop pairs longer than this many tokens (0: keep all)");
  app.add_option("--tokens", o.tokens, "with --data: word (lowercased, punctuation split) or char")
      ->check(CLI::IsMember({"word", "char"}))
      ->capture_default_str();
  examples::add_split_options(app, o.split, "--data", "pairs");
  app.add_option("--write-data", o.write_data, "write the splits as DIR/{train,validation,test}.tsv");
}

void add_model_options(CLI::App& app, Options& o) {
  app.add_option("--model", o.model, "architecture")
      ->check(CLI::IsMember(translate::model_kinds()))
      ->capture_default_str();
  app.add_option("--embed", o.embed, "embedding width (RNN models)")->check(CLI::Range(1, 4096))->capture_default_str();
  examples::add_model_options(app, o.sizes, translate::model_defaults(),
                              {.hidden = "GRU width (both directions), or the Transformer's d_model",
                               .layers = "encoder GRU layers, or Transformer layers each side",
                               .heads = "Transformer attention heads (must divide --hidden)",
                               .ff = "Transformer feed-forward width",
                               .dropout = "dropout probability",
                               .steps = "training steps (0: evaluate only)",
                               .lr = "Adam learning rate (the peak, with --schedule cosine)"});
  app.add_option("--teacher-forcing", o.teacher_forcing, "chance of feeding the true previous token (RNN models)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
}

void add_run_options(CLI::App& app, Options& o) {
  examples::add_common_options(app, o, "sentences", "translations");
  app.get_option("--held-out")
      ->description("validation and test pairs each: generated tasks; with --data, N each instead of the fractions");
  app.get_option("--eval-every")
      ->description(
          "every N steps, print the validation split's greedy exact match and BLEU-4 (0: never); the curve goes to "
          "--metrics-json. With --data the default is a tenth of --steps, so that the best model is kept");
  app.add_option("--target", o.target, "the validation exact match that counts as learned (seconds_to_target)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_flag("--stop-at-target", o.stop_at_target, "stop training once --eval-every reaches --target")
      ->needs("--eval-every");
  app.add_option("--translate", o.translate_text, "translate this text and print the result");
  app.add_flag("--interactive", o.interactive, "translate each line read from standard input");
}

}  // namespace

int main(int argc, char** argv) {
  configure_process(argv);  // OpenBLAS's fastest kernels, malloc, threads (core/process.hpp)
  Options o;
  CLI::App app{
      "translate: train a toy translation model with attention, evaluate it, and draw where it looked.\n"
      "With no options: the dates task with Bahdanau attention, then a report in translate_report/."};
  add_data_options(app, o);
  add_model_options(app, o);
  add_run_options(app, o);
  return examples::run_main(app, argc, argv, "translate", [&](const examples::Given& given) { return run(o, given); });
}
