// caption: train a toy image-captioning model with visual attention, and see where it looked.
//
//   caption                                      # shapes scenes, Show-Attend-Tell (sat)
//   caption --task digits
//   caption --model transformer --beam 3
//   caption --images photos/ --captions photos.tsv --save model.safetensors
//   caption --load model.safetensors --caption photo.png
//
// Run with --help for every option. The program is written as a user of attograd would write
// it: the models (captioners.cpp), the data (scenes.cpp, captions_file.cpp, image_io.cpp), and this
// file's training loop and evaluation on top of attograd::seq (search, BLEU) and the examples'
// shared pieces (examples/common: command line, trainer, checkpoint metadata, report).
// run() reads top to bottom: options, data, model, start-up line, training, test, outputs.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <attograd/attograd.hpp>
#include <attograd/core/kernels/blas.hpp>

#include "captioners.hpp"
#include "captions_file.hpp"
#include "checkpoint.hpp"
#include "cli.hpp"
#include "evaluation.hpp"
#include "image_io.hpp"
#include "report.hpp"
#include "scenes.hpp"
#include "training.hpp"
#include "vocabulary.hpp"

using namespace attograd;
using caption::Scene;
using examples::Vocabulary;

namespace {

// Defaults measured on shapes (one seed each, 2 cores, attending "before"): 8 000 training
// scenes reached 0.38 held-out exact match after 1 500 steps and 30 000 reached 0.996 after
// 2 400 at lr 3e-3 (at 2e-3 it was still at 0.02 after 1 000); the paper's penalty λ = 1 cut
// grounding from 0.29 to 0.03 (its Σ_t α_tl ≈ 1 asks each of only 9 cells to be looked at once
// over a ~20-word caption). Attending "after" (the default now): exact 0.998, grounding 1.000
// (0.992 and 0.999 measured again on 2026-12-06, after -fno-trapping-math changed the rounding).
struct Options : examples::CommonOptions {
  Options() { batch = 32, train_size = 30000, held_out = 500, report = "caption_report", best_by = "exact_match"; }
  std::string task = "shapes", images, captions, model = "sat", caption_image, sat_attention = "after";
  std::string size, fit = "letterbox";  // with --images: "HxW" ("": from the folder), how other shapes fit
  bool augment = false;
  examples::SplitOptions split;  // --val-fraction, --test-fraction, --test (with --captions)
  std::size_t features = 32, embed = 32;
  float attention_penalty = 0.0f;
  examples::ModelOverrides sizes;  // --hidden, --layers, --heads, --ff, --dropout, --steps, --lr
};

struct Setup {
  caption::ModelConfig config;
  Vocabulary vocab;
  std::string task;
  caption::Fit fit = caption::Fit::Stretch;  // how a picture of another shape becomes the model's input
};

// What run() builds and passes along: the setup, the model and the data.
struct Program {
  Setup setup;
  std::shared_ptr<caption::Captioner> model;
  caption::SceneSplits data;
  std::string size_rule, split_rule;  // a user's folder: where the image size and the split came from
};

Metadata to_metadata(const Setup& s) {
  const caption::ModelConfig& c = s.config;
  return {{"caption.model", c.kind},
          {"caption.task", s.task},
          {"caption.sizes", examples::sizes_json({{"height", c.height},
                                                  {"width", c.width},
                                                  {"features", c.features},
                                                  {"embed", c.embed},
                                                  {"hidden", c.hidden},
                                                  {"layers", c.layers},
                                                  {"heads", c.heads},
                                                  {"ff", c.ff}})},
          {"caption.vocab", s.vocab.to_json()},
          {"caption.sat_attention", c.sat_attention},
          {"caption.fit", caption::fit_names()[static_cast<std::size_t>(s.fit)]}};
}

Setup from_metadata(const Metadata& m, const std::string& path) {
  const examples::MetadataReader read(m, "caption", path);
  Setup s;
  caption::ModelConfig& c = s.config;
  c.kind = read.get("model");
  s.task = read.get("task");
  s.vocab = Vocabulary::from_json(read.get("vocab"), "--load " + path);
  c.height = read.size("height"), c.width = read.size("width"), c.features = read.size("features");
  c.embed = read.size("embed"), c.hidden = read.size("hidden"), c.layers = read.size("layers");
  c.heads = read.size("heads"), c.ff = read.size("ff");
  c.vocab = s.vocab.size();
  // Checkpoints written before the option existed hold a model trained to attend "before".
  c.sat_attention = read.find("sat_attention").value_or("before");
  s.fit = caption::fit_from_name(read.find("fit").value_or("stretch"));  // before --fit: every picture stretched
  return s;
}

// ---- data and model ----

Program load_model(const Options& o, const examples::Given& given) {
  const nn::Checkpoint ckpt = examples::load_model_file(o.load);
  Program p;
  p.setup = from_metadata(ckpt.metadata, o.load);
  const caption::ModelConfig& c = p.setup.config;
  examples::check_model_kind(o.load, c.kind, o.model, given("--model"));
  p.model = caption::make_model(c);
  p.model->load_state_dict(ckpt.state_dict);
  fmt::print("loaded {} ({} model{}, {} parameters)\n", o.load, c.kind,
             c.kind == "sat" ? ", attention " + c.sat_attention : "", p.model->parameter_count());
  return p;
}

std::string fit_text(caption::Fit fit) {
  return fit == caption::Fit::Letterbox ? "letterboxed: other shapes keep their proportions"
                                        : "stretched to the model's shape";
}

// The user's images and captions: sized by a loaded model, --size or the folder, and split.
void load_files(const Options& o, const examples::Given& given, Program& p) {
  caption::FileOptions files{.size = {}, .fit = caption::fit_from_name(o.fit), .split = o.split, .seed = o.seed};
  if (given("--held-out")) files.split.held_out = o.held_out;
  if (!o.size.empty()) files.size = caption::parse_image_size(o.size);
  if (p.model) {
    const caption::ModelConfig& c = p.setup.config;
    if (!o.size.empty() && (files.size.height != c.height || files.size.width != c.width))
      throw std::invalid_argument(fmt::format("--size {}: the model in {} takes {}×{} images; leave --size out", o.size,
                                              o.load, c.height, c.width));
    if (given("--fit") && files.fit != p.setup.fit)
      throw std::invalid_argument(fmt::format("--fit {}: the model in {} was trained on pictures {}; leave --fit out",
                                              o.fit, o.load, fit_text(p.setup.fit)));
    files.size = {c.height, c.width}, files.fit = p.setup.fit;
  }
  caption::FileSplits read = caption::read_captioned_images(o.images, o.captions, files);
  p.size_rule = p.model ? fmt::format("{}×{} (the loaded model's)", read.size.height, read.size.width) : read.size_rule;
  fmt::print("read {}: {}; skipped {} malformed lines\nimages: {}; {} (--fit)\n", o.captions, read.split_rule,
             read.skipped_malformed, p.size_rule, fit_text(files.fit));
  p.data = std::move(read.splits), p.split_rule = read.split_rule;
  if (!p.model) p.setup.fit = files.fit;
}

// The splits: the user's images and captions, or generated scenes. A loaded model fixes the
// image size; otherwise --size or the folder's (files) or the task's own size.
void load_data(const Options& o, const examples::Given& given, Program& p) {
  if (!o.images.empty()) return load_files(o, given, p);  // --size, --fit and --augment need --images
  std::size_t height = o.task == "digits" ? 16 : 48, width = o.task == "digits" ? 80 : 48;
  if (p.model) height = p.setup.config.height, width = p.setup.config.width;
  caption::SceneSplits data = caption::make_scenes(o.task, o.train_size, o.held_out, o.seed);
  const caption::Image& first = data.train.front().image;
  if (p.model && (first.height != height || first.width != width))
    throw std::runtime_error(fmt::format("--load {}: the model takes {}×{} images, the {} task makes {}×{}", o.load,
                                         height, width, o.task, first.height, first.width));
  p.data = std::move(data);
}

// A new model for the data: the vocabulary from its training captions, sizes from --model's
// defaults and the options given.
void build_model(const Options& o, Program& p) {
  Setup& s = p.setup;
  s.task = o.images.empty() ? o.task : "file";
  std::vector<std::vector<std::string>> captions;
  for (const Scene& scene : p.data.train) captions.push_back(scene.caption);
  s.vocab = Vocabulary::build(captions);
  const examples::ModelSettings sizes = o.sizes.apply(examples::defaults_for(caption::model_defaults(), o.model));
  s.config = {.kind = o.model,
              .vocab = s.vocab.size(),
              .height = p.data.train.front().image.height,
              .width = p.data.train.front().image.width,
              .features = o.features,
              .embed = o.embed,
              .hidden = sizes.hidden,
              .layers = sizes.layers,
              .heads = sizes.heads,
              .ff = sizes.ff,
              .dropout = sizes.dropout,
              .attention_penalty = o.attention_penalty,
              .sat_attention = o.sat_attention};
  p.model = caption::make_model(s.config);
}

// What of the validation and test captions the training split's vocabulary does not know
// (read as <unk>): printed, and kept in the metrics.
void count_unknown(const Program& p, nlohmann::json& metrics) {
  std::vector<std::string> lines;
  for (const auto& [name, split] : {std::pair{"validation", &p.data.validation}, {"test", &p.data.test}}) {
    if (split->empty()) continue;
    std::vector<const std::vector<std::string>*> captions;
    for (const Scene& scene : *split) captions.push_back(&scene.caption);
    const examples::UnknownTokens u = examples::count_unknown(p.setup.vocab, captions);
    metrics[fmt::format("unknown_words_{}", name)] = u.share();
    lines.push_back(fmt::format("{} {}", name, examples::unknown_text(u, "caption")));
  }
  if (!lines.empty())
    fmt::print("unknown to the vocabulary of the training split (read as <unk>): {}\n", fmt::join(lines, "; "));
}

// Images (B, 3, H, W) from scenes, all of the model's input size.
Tensor image_batch(const std::vector<const caption::Image*>& images) {
  const caption::Image& first = *images.front();
  Array x = Array::from_shape({images.size(), first.channels, first.height, first.width});
  const std::size_t per = first.pixels.size();
  for (std::size_t b = 0; b < images.size(); ++b) std::copy_n(images[b]->pixels.begin(), per, x.data() + b * per);
  return Tensor(std::move(x));
}

// A training or validation batch; with `augment`, each picture is a fresh variation of itself.
caption::Batch make_batch(const std::vector<const Scene*>& scenes, const Setup& s, Generator* augment = nullptr) {
  std::vector<seq::TokenIds> captions;
  std::vector<caption::Image> varied;
  varied.reserve(scenes.size());
  std::vector<const caption::Image*> images;
  for (const Scene* scene : scenes) {
    seq::TokenIds ids = s.vocab.encode(scene->caption);
    ids.push_back(Vocabulary::eos);
    captions.push_back(ids);
    if (augment) varied.push_back(caption::augment_image(scene->image, *augment));
    images.push_back(augment ? &varied.back() : &scene->image);
  }
  const seq::PaddedBatch padded = seq::pad_sequences(captions, Vocabulary::pad);
  return {image_batch(images), padded.ids, padded.lengths};
}

struct Decoded {
  std::vector<std::string> words;
  std::vector<std::vector<float>> attention;  // per word (EOS included): weights over the grid
};

// Greedy in batches of 50, or beam search one image at a time.
std::vector<Decoded> decode(const caption::Captioner& model, const std::vector<const caption::Image*>& images,
                            const Setup& s, std::size_t beam) {
  const auto found = examples::search(
      images.size(), 50, examples::search_options(40, beam), [&](std::size_t first, std::size_t count) {
        return model.decoder(image_batch({images.begin() + static_cast<std::ptrdiff_t>(first),
                                          images.begin() + static_cast<std::ptrdiff_t>(first + count)}));
      });
  std::vector<Decoded> out;
  for (const seq::Hypothesis& h : found) out.push_back({s.vocab.decode(h.tokens), h.attention});
  return out;
}

// Grounding: when the model writes an object's colour or shape word, does its attention peak
// lie on a grid cell that covers an object with that colour or shape? Words no object in the
// scene has (caption errors) are not scored. Returns right, scored.
std::pair<std::size_t, std::size_t> grounding(const Scene& scene, const Decoded& d, std::size_t grid_h,
                                              std::size_t grid_w) {
  std::size_t right = 0, scored = 0;
  for (std::size_t t = 0; t < d.words.size() && t < d.attention.size(); ++t) {
    const std::vector<float>& row = d.attention[t];
    if (row.empty()) continue;
    std::vector<std::size_t> cells;
    for (const caption::Object& o : scene.objects)
      if (o.colour == d.words[t] || o.shape == d.words[t])
        for (const std::size_t c : caption::object_cells(o, grid_h, grid_w, scene.image.height, scene.image.width))
          cells.push_back(c);
    if (cells.empty()) continue;
    right += std::find(cells.begin(), cells.end(), examples::peak(row)) != cells.end();
    ++scored;
  }
  return {right, scored};
}

// digits: of consecutive words, how often the attention peak's column moves right.
std::pair<std::size_t, std::size_t> rightward(const Decoded& d, std::size_t grid_w) {
  std::size_t right = 0, pairs = 0;
  for (std::size_t t = 1; t < d.words.size() && t < d.attention.size(); ++t) {
    if (d.attention[t].empty()) return {0, 0};
    right += examples::peak(d.attention[t]) % grid_w > examples::peak(d.attention[t - 1]) % grid_w;
    ++pairs;
  }
  return {right, pairs};
}

struct Evaluation {
  nlohmann::json metrics;
  std::vector<Decoded> decoded;
};

Evaluation evaluate(const caption::Captioner& model, const std::vector<Scene>& scenes, const Setup& s,
                    std::size_t beam) {
  std::vector<const caption::Image*> images;
  std::vector<seq::TokenIds> references, predictions;
  for (const Scene& scene : scenes) images.push_back(&scene.image), references.push_back(s.vocab.encode(scene.caption));
  Evaluation e;
  const auto start = std::chrono::steady_clock::now();
  e.decoded = decode(model, images, s, beam);
  e.metrics["decode_seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const Decoded& d : e.decoded) predictions.push_back(s.vocab.encode(d.words));
  e.metrics["examples"] = scenes.size();
  e.metrics.update(examples::sequence_metrics(predictions, references));
  std::size_t right = 0, scored = 0, moved = 0, pairs = 0;
  for (std::size_t i = 0; i < scenes.size(); ++i) {
    const auto [r, n] = grounding(scenes[i], e.decoded[i], model.grid_height(), model.grid_width());
    right += r, scored += n;
    const auto [m, p] = rightward(e.decoded[i], model.grid_width());
    moved += m, pairs += p;
  }
  const bool has_objects =
      std::any_of(scenes.begin(), scenes.end(), [](const Scene& scene) { return !scene.objects.empty(); });
  const bool attends = std::any_of(e.decoded.begin(), e.decoded.end(), [](const Decoded& d) {
    return !d.attention.empty() && !d.attention.front().empty();
  });
  if (has_objects && attends) {  // 0 when the model wrote no word that names an object in its scene
    e.metrics["grounding_accuracy"] = scored == 0 ? 0.0 : static_cast<double>(right) / static_cast<double>(scored);
    e.metrics["grounded_words"] = scored;
  }
  if (s.task == "digits" && pairs > 0)
    e.metrics["rightward_fraction"] = static_cast<double>(moved) / static_cast<double>(pairs);
  return e;
}

std::string summary(const std::string& name, const nlohmann::json& m) {
  std::string text = fmt::format("{} ({} examples): exact match {:.4f}, token accuracy {:.4f}, BLEU-4 {:.4f}", name,
                                 m["examples"].get<std::size_t>(), m["exact_match"].get<double>(),
                                 m["token_accuracy"].get<double>(), m["bleu"].get<double>());
  if (m.contains("grounding_accuracy"))
    text += fmt::format(", grounding accuracy {:.4f}", m["grounding_accuracy"].get<double>());
  if (m.contains("rightward_fraction"))
    text += fmt::format(", attention moves right {:.4f}", m["rightward_fraction"].get<double>());
  return text;
}

std::string words_text(const std::vector<std::string>& words) {
  return examples::detokenize(words, examples::Tokens::Word);
}

// ---- training ----

// The loss on a validation batch, with dropout off and no graph (the report's validation curve).
double validation_loss(caption::Captioner& model, const caption::Batch& held) {
  NoGradGuard no_grad;
  model.eval();
  const double loss = model.loss(held).item();
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
      examples::trainer_options(o, given, settings, 5.0, !p.data.validation.empty(), !o.images.empty()));
  p.model->train();
  Generator batches(o.seed + 1);
  auto sample = [&] {
    return make_batch(examples::sample_batch(batches, p.data.train, o.batch), p.setup, o.augment ? &batches : nullptr);
  };
  {
    NoGradGuard no_grad;
    const double initial = p.model->loss(sample()).item();
    const caption::ModelConfig& c = p.setup.config;
    fmt::print("{} on {}: {} parameters, {}×{} images, a {}×{} feature grid; {}\n", c.kind, p.setup.task,
               p.model->parameter_count(), c.height, c.width, p.model->grid_height(), p.model->grid_width(),
               examples::sanity_text(initial, p.setup.vocab.size()));
  }
  const caption::Batch held = make_batch(examples::first_items(p.data.validation, 128), p.setup);
  trainer.track({p.model->state_dict(), &batches, &curve, &metrics,
                 examples::run_metadata(given, to_metadata(p.setup))});  // with --resume: restored here
  for (std::size_t step = trainer.first_step(); step <= trainer.steps() && !trainer.stopped_early(); ++step) {
    const caption::Batch b = sample();
    trainer.step(p.model->loss(b), examples::token_count(b.lengths));
    if (!p.data.validation.empty() && examples::curve_point_due(step, trainer.steps()))
      trainer.untimed([&] { curve.emplace_back(step, validation_loss(*p.model, held)); });
    if (trainer.validation_due(step))
      trainer.untimed([&] {
        p.model->eval();
        const Evaluation v = evaluate(*p.model, p.data.validation, p.setup, 1);
        p.model->train();
        fmt::print(stderr, "\nstep {}: {}\n", step, summary("validation", v.metrics));
        metrics["validation_curve"].push_back({{"step", step},
                                               {"train_seconds", trainer.seconds()},
                                               {"exact_match", v.metrics["exact_match"]},
                                               {"bleu", v.metrics["bleu"]},
                                               {"token_accuracy", v.metrics["token_accuracy"]}});
        trainer.keep_best(step, v.metrics[o.best_by].get<double>());
      });
    trainer.end_step(step);  // --checkpoint, Ctrl-C
  }
  trainer.finish();  // with --keep best: the model is now the kept one
  p.model->eval();
  metrics["steps"] = trainer.losses().size(), metrics["train_seconds"] = trainer.seconds();
  metrics["final_loss"] = trainer.losses().back(), metrics["losses"] = trainer.losses();
  return trainer.losses();
}

// ---- evaluation on the held-out splits ----

// Decodes the test split (and the compositional one) with --beam, scores and prints them.
Evaluation evaluate_test(const Options& o, const Program& p, nlohmann::json& metrics) {
  const Evaluation test = evaluate(*p.model, p.data.test, p.setup, o.beam);
  metrics.update(test.metrics);
  fmt::print("{}\n", summary("test", test.metrics));
  if (!p.data.compositional.empty()) {
    const Evaluation comp = evaluate(*p.model, p.data.compositional, p.setup, o.beam);
    metrics["compositional"] = comp.metrics;
    fmt::print("{}\n", summary("compositional test (colour-shape pairs never seen in training)", comp.metrics));
  }
  for (std::size_t i = 0; i < std::min(o.samples, p.data.test.size()); ++i) {
    const std::vector<std::string>& words = test.decoded[i].words;
    fmt::print("{}\n", examples::sample_line(words_text(words), words == p.data.test[i].caption,
                                             words_text(p.data.test[i].caption)));
  }
  return test;
}

// ---- outputs ----

// The page's view of one caption: the picture, the words, and every attention the model paid.
examples::ReportExample report_example(const Program& p, std::string label, const caption::Image& image,
                                       const std::vector<std::string>& words,
                                       const std::vector<std::string>& reference) {
  examples::ReportExample e;
  e.label = std::move(label), e.output = words, e.reference = reference, e.joiner = " ";
  e.image_png = caption::png_bytes(image);
  e.grid_height = p.model->grid_height(), e.grid_width = p.model->grid_width();
  const caption::Captioner::AttentionMaps a = p.model->attention(image_batch({&image}), p.setup.vocab.encode(words));
  std::vector<std::string> written = words, read = {"<bos>"}, cells;  // the decoder's outputs and inputs
  written.emplace_back("<eos>");
  read.insert(read.end(), words.begin(), words.end());
  for (std::size_t r = 0; r < e.grid_height; ++r)
    for (std::size_t c = 0; c < e.grid_width; ++c) cells.push_back(fmt::format("({},{})", r, c));
  if (!a.cross.empty()) {
    e.attention.push_back(examples::attention_view("cross-attention: word → picture", a.cross, written, cells));
    e.attention.back().query_title = "word written", e.attention.back().key_title = "grid cell (row, column)";
    e.attention.back().over_picture = true;
    if (p.setup.config.kind != "transformer") e.attention.back().note = examples::one_head_note;
  }
  if (!a.decoder_self.empty()) {
    e.attention.push_back(
        examples::attention_view("decoder self-attention (causal)", a.decoder_self, read, read, true));
    e.attention.back().query_title = e.attention.back().key_title = "decoder input";
  }
  return e;
}

// Beside the page, for slides: one example's overlays (last layer, mean of the heads), one tile per word.
void write_overlays(const std::filesystem::path& file, const caption::Image& image, const examples::ReportExample& e,
                    const caption::Captioner& model) {
  if (e.attention.empty()) return;
  const examples::AttentionView& v = e.attention.front();
  const auto rows = examples::head_mean(v, v.weights.shape()[0] - 1);
  std::vector<caption::Image> overlays;
  for (std::size_t t = 0; t < rows.size(); ++t)
    overlays.push_back(
        caption::attention_overlay(image, rows[t], model.grid_height(), model.grid_width(), v.queries[t], 4));
  caption::save_png(file, caption::tile_images(overlays, 6));
}

void write_report(const Options& o, const examples::Given& given, const Program& p,
                  const examples::ModelSettings& settings, examples::Report& report,
                  const std::vector<caption::Image>& pictures, const nlohmann::json& metrics) {
  const std::string data = o.images.empty() ? "the " + p.setup.task + " scenes" : o.images;
  report.title = fmt::format("caption: {} with {}", data,
                             p.setup.config.kind == "sat"           ? "Show, Attend and Tell"
                             : p.setup.config.kind == "transformer" ? "a Transformer decoder"
                                                                    : "an LSTM without attention");
  report.metrics = examples::describe_metrics(metrics);
  const std::string source =
      o.images.empty() ? "generated (--task " + p.setup.task + ")" : o.images + ", " + o.captions;
  const examples::SplitSizes splits{p.data.train.size(), p.data.validation.size(), p.data.test.size(), "images",
                                    p.split_rule};
  report.settings = examples::report_settings(
      given, examples::run_settings(
                 given, p.setup.config.kind, settings,
                 {examples::eval_every_setting(o, given, settings.steps, !o.images.empty()),
                  {"image size", p.size_rule.empty() ? fmt::format("{}×{}", p.setup.config.height, p.setup.config.width)
                                                     : p.size_rule}},
                 source, splits, p.model->parameter_count()));
  report.loss_unit = "cross-entropy, nats per caption word";
  examples::publish_report(o.report, report);
  for (std::size_t i = 0; i < report.examples.size(); ++i)  // the paper's figure: a picture per word
    write_overlays(std::filesystem::path(o.report) / fmt::format("example_{:02}_overlays.png", i), pictures[i],
                   report.examples[i], *p.model);
}

// Up to 12 test pictures for the page, the wrong captions first.
void add_test_examples(const Program& p, const Evaluation& test, examples::Report& report,
                       std::vector<caption::Image>& pictures) {
  const auto& scenes = p.data.test;
  auto right = [&](std::size_t i) { return test.decoded[i].words == scenes[i].caption; };
  for (const std::size_t i : examples::wrong_first(scenes.size(), 12, right)) {
    pictures.push_back(scenes[i].image);
    report.examples.push_back(
        report_example(p, fmt::format("test image {}", i), scenes[i].image, test.decoded[i].words, scenes[i].caption));
  }
  report.scored = scenes.size();
  for (std::size_t i = 0; i < scenes.size(); ++i) report.wrong += !right(i);
}

// --caption IMAGE: the user's own picture, captioned, and returned for the page.
std::optional<examples::ReportExample> caption_user_image(const Options& o, const Program& p,
                                                          std::vector<caption::Image>& pictures) {
  if (o.caption_image.empty()) return std::nullopt;
  const caption::Image image = caption::fit_image(caption::load_image(o.caption_image), p.setup.config.height,
                                                  p.setup.config.width, p.setup.fit);
  const Decoded d = decode(*p.model, {&image}, p.setup, o.beam)[0];
  fmt::print("{}\n", words_text(d.words));
  pictures.insert(pictures.begin(), image);
  return report_example(p, "your picture " + std::filesystem::path(o.caption_image).filename().string(), image, d.words,
                        {});
}

int run(const Options& o, const examples::Given& given) {
  if (o.images.empty() != o.captions.empty())
    throw std::invalid_argument("--images DIR and --captions FILE.tsv go together: give both or neither");
  manual_seed(o.seed);
  Program p;
  if (!o.load.empty()) p = load_model(o, given);
  const bool needs_data = o.load.empty() || given("--steps") || given("--task") || given("--images");
  if (needs_data) load_data(o, given, p);
  if (needs_data && !p.model) build_model(o, p);
  if (!p.model) throw std::invalid_argument("nothing to do: give --load CKPT with --caption IMAGE, or train a model");
  const std::optional<examples::SplitSizes> sizes =
      needs_data ? std::optional(examples::SplitSizes{p.data.train.size(), p.data.validation.size(), p.data.test.size(),
                                                      "images", p.split_rule})
                 : std::nullopt;
  const examples::ModelSettings settings =
      examples::announce_settings(caption::model_defaults(), p.setup.config, o.sizes, !o.load.empty(), o.batch, sizes);
  if (o.dry_run) return 0;

  nlohmann::json metrics = examples::initial_metrics(p.setup.task, p.setup.config.kind);
  if (needs_data && !o.images.empty()) count_unknown(p, metrics);
  examples::Report report;
  if (settings.steps > 0) report.losses = train(o, given, p, settings, metrics, report.validation);
  const bool tested = needs_data && !p.data.test.empty();
  std::vector<caption::Image> pictures;  // report.examples' pictures
  if (tested) add_test_examples(p, evaluate_test(o, p, metrics), report, pictures);
  examples::write_outputs(o.metrics_json, metrics, o.save, *p.model, to_metadata(p.setup));
  if (auto yours = caption_user_image(o, p, pictures)) report.examples.insert(report.examples.begin(), *yours);
  if (!o.report.empty() && (tested || given("--report")) && !report.examples.empty())
    write_report(o, given, p, settings, report, pictures, metrics);
  return 0;
}

// ---- the command line ----

void add_data_options(CLI::App& app, Options& o) {
  app.add_option("--task", o.task, "generated images: shapes (objects on a 3x3 grid) or digits (a strip of digits)")
      ->check(CLI::IsMember(caption::scene_tasks()))
      ->capture_default_str();
  app.add_option("--images", o.images, "train on the images in DIR instead (with --captions)")
      ->check(CLI::ExistingDirectory);
  app.add_option("--captions", o.captions, "with --images: lines filename<TAB>caption")->check(CLI::ExistingFile);
  app.add_option("--size", o.size,
                 "with --images: the model's picture size HxW, each a multiple of 16 (32x128; one number: a square). "
                 "Default: from the folder, its median height rounded to 16 to 48 and its median aspect ratio, "
                 "printed at start; the feature grid is (H/16)x(W/16)")
      ->needs("--images");
  app.add_option("--fit", o.fit,
                 "with --images: how a picture of another shape becomes HxW: letterbox (scaled to fit, proportions "
                 "kept, padded with its border colour) or stretch")
      ->check(CLI::IsMember(caption::fit_names()))
      ->capture_default_str()
      ->needs("--images");
  app.add_flag("--augment", o.augment,
               "with --images: vary each training picture a little every time it is drawn (scale 0.9-1.1, shift up to "
               "1/16, contrast 0.8-1.2, brightness ±0.05; seeded by --seed), for small folders")
      ->needs("--images");
  examples::add_split_options(app, o.split, "--captions", "images");
}

void add_model_options(CLI::App& app, Options& o) {
  app.add_option("--model", o.model, "architecture")
      ->check(CLI::IsMember(caption::model_kinds()))
      ->capture_default_str();
  app.add_option("--features", o.features, "channels of the CNN's last layer (the grid vectors)")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("--embed", o.embed, "word embedding width (sat, none)")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  examples::add_model_options(app, o.sizes, caption::model_defaults(),
                              {.hidden = "LSTM width, or the Transformer's d_model",
                               .layers = "Transformer decoder layers",
                               .heads = "Transformer attention heads (must divide --hidden)",
                               .ff = "Transformer feed-forward width",
                               .dropout = "dropout probability",
                               .steps = "training steps (0: evaluate only)",
                               .lr = "Adam learning rate"});
  app.add_option("--attention-penalty", o.attention_penalty,
                 "sat: weight λ of the doubly stochastic attention penalty (the paper: 1; 0: off)")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  app.add_option("--sat-attention", o.sat_attention,
                 "sat: attend with the LSTM's new state and feed the context to the output (after, Lu et al. "
                 "2017), or attend with the previous state and feed it into the LSTM (before, Xu et al. 2015)")
      ->check(CLI::IsMember(caption::sat_attention_kinds()))
      ->capture_default_str();
}

void add_run_options(CLI::App& app, Options& o) {
  examples::add_common_options(app, o, "images", "captions");
  app.get_option("--held-out")
      ->description(
          "validation and test images each (and compositional, for shapes); with --images, N each instead of the "
          "fractions");
  app.get_option("--save")->description("write the trained model (with its vocabulary) to CKPT");
  app.add_option("--caption", o.caption_image, "caption this image file (PNG, JPEG, BMP, PGM) and print the result")
      ->check(CLI::ExistingFile);
}

}  // namespace

int main(int argc, char** argv) {
  configure_process(argv);  // OpenBLAS's fastest kernels, malloc, threads (core/process.hpp)
  Options o;
  CLI::App app{
      "caption: train a toy image-captioning model with visual attention, evaluate it, and draw where it looked.\n"
      "With no options: the shapes scenes with Show-Attend-Tell, then a report in caption_report/."};
  add_data_options(app, o);
  add_model_options(app, o);
  add_run_options(app, o);
  return examples::run_main(app, argc, argv, "caption", [&](const examples::Given& given) { return run(o, given); });
}
