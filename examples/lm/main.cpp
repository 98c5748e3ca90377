// lm: train a toy GPT (or a baseline without attention), watch it learn, and sample from it.
//
//   lm                                  # sort 6 digits with a GPT (minGPT's demo)
//   lm --task add --model rnn           # two-digit addition with the GRU baseline
//   lm --task text                      # characters of /usr/share/common-licenses (every Debian)
//   lm --task text --data input.txt --tokens bpe --vocab 512 --save gpt.safetensors
//   lm --load gpt.safetensors --prompt "The " --max-new 300 --temperature 0.8 --top-k 40
//
// Run with --help for every option. Written as a user of attograd would write it: the models
// (models.cpp), the tasks (tasks.cpp), and this file's training loop, evaluation and sampling on
// attograd::seq (batching, generate, sampling, vocabularies) and examples/common (command line,
// trainer, checkpoint metadata, report). run() reads top to bottom: options, data, model,
// start-up line, training, evaluation, samples, outputs.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <attograd/attograd.hpp>

#include "checkpoint.hpp"
#include "cli.hpp"
#include "evaluation.hpp"
#include "models.hpp"
#include "report.hpp"
#include "tasks.hpp"
#include "training.hpp"

using namespace attograd;
using lm::TokenIds;

namespace {

// The sizes and training settings of a run; each task has its own defaults (--help's table).
struct Settings {
  std::size_t embed = 0, layers = 0, heads = 0, context = 0, batch = 0, steps = 0;
  float dropout = 0.0f;
  double lr = 0.0;
};

const std::map<std::string, Settings>& task_defaults() {
  static const std::map<std::string, Settings> table{
      // minGPT's gpt-nano for the two problems; nanoGPT's CPU shape for text
      {"sort", {.embed = 48, .layers = 3, .heads = 3, .context = 11, .batch = 64, .steps = 1000, .lr = 2e-3}},
      {"add", {.embed = 48, .layers = 3, .heads = 3, .context = 6, .batch = 128, .steps = 2000, .lr = 2e-3}},
      {"text", {.embed = 128, .layers = 4, .heads = 4, .context = 64, .batch = 12, .steps = 2000, .lr = 1e-3}}};
  return table;
}

struct Options {
  std::string task = "sort", data, tokens = "char", model = "gpt";
  std::size_t vocab = 512, seed = 1, max_new = 200, top_k = 0, samples = 5, warmup = 100;
  std::optional<std::size_t> eval_every;  // unset: a tenth of the steps
  float temperature = 1.0f, top_p = 1.0f;
  double weight_decay = 0.1;
  bool tie = false, no_cache = false, profile = false, dry_run = false;
  examples::RunOptions run;  // --checkpoint, --save-every, --resume, --detect-anomaly
  std::string save, load, prompt, metrics_json, report = "lm_report";
  std::optional<std::size_t> embed, layers, heads, context, batch, steps;
  std::optional<float> dropout;
  std::optional<double> lr;

  Settings settings(const std::string& of_task) const {
    Settings s = task_defaults().at(of_task);
    s.embed = embed.value_or(s.embed), s.layers = layers.value_or(s.layers), s.heads = heads.value_or(s.heads);
    s.context = context.value_or(s.context), s.batch = batch.value_or(s.batch), s.steps = steps.value_or(s.steps);
    s.dropout = dropout.value_or(s.dropout), s.lr = lr.value_or(s.lr);
    return s;
  }
};

// What a run works on: the model and its tokenizer, and the data of its task.
struct Program {
  lm::ModelConfig config;
  std::string task;
  lm::Tokenizer tokenizer;
  std::shared_ptr<lm::LanguageModel> model;
  std::optional<lm::Problems> problems;  // sort, add
  seq::TokenSplit text;                  // text: the token stream, 90 % then 10 %
  std::string data_source;               // text: the --data path (or the default); problems: a description
  std::size_t seed = 1;                  // the seed that drew the problems' held-out split
};

// ---- checkpoint ----

Metadata to_metadata(const Program& p) {
  const lm::ModelConfig& c = p.config;
  return {{"lm.model", c.kind},
          {"lm.task", p.task},
          {"lm.tokens", p.tokenizer.kind()},
          {"lm.tokenizer", p.tokenizer.to_string()},
          {"lm.seed", std::to_string(p.seed)},
          {"lm.data", p.task == "text" ? p.data_source : ""},
          {"lm.sizes", examples::sizes_json({{"vocab", c.vocab},
                                             {"context", c.context},
                                             {"embed", c.embed},
                                             {"layers", c.layers},
                                             {"heads", c.heads},
                                             {"tie", c.tie ? 1 : 0}})}};
}

// One of lm.sizes, within what the command line accepts (so a corrupt file cannot ask for a
// model of terabytes).
std::size_t checked_size(const examples::MetadataReader& read, const std::string& name, std::size_t hi) {
  const std::size_t v = read.size(name);
  if (v < 1 || v > hi)
    throw std::runtime_error(
        fmt::format("--load {}: its model size {} = {} is outside 1 to {}", read.path(), name, v, hi));
  return v;
}

// The model's shape from the checkpoint's metadata, checked against its token embedding.
lm::ModelConfig read_config(const examples::MetadataReader& read, const StateDict& tensors) {
  lm::ModelConfig c{.kind = read.get("model"),
                    .vocab = checked_size(read, "vocab", 1 << 20),
                    .context = checked_size(read, "context", 4096),
                    .embed = checked_size(read, "embed", 4096),
                    .layers = checked_size(read, "layers", 32),
                    .heads = checked_size(read, "heads", 64),
                    .tie = read.size("tie") != 0};
  const auto tokens =
      std::find_if(tensors.begin(), tensors.end(), [](const auto& t) { return t.first == "tokens.weight"; });
  if (tokens == tensors.end() || tokens->second.shape() != Shape{c.vocab, c.embed})
    throw std::runtime_error(fmt::format("--load {}: its metadata says vocab {} and embed {}, but tokens.weight is {}",
                                         read.path(), c.vocab, c.embed,
                                         tokens == tensors.end() ? "missing" : shape_str(tokens->second.shape())));
  return c;
}

// --load: the model, its tokenizer, task and seed, rebuilt from the checkpoint's metadata; the
// options that would shape another model are refused.
void load_model(const Options& o, const examples::Given& given, Program& p) {
  for (const char* shaping : {"--embed", "--layers", "--heads", "--context", "--tie", "--tokens", "--vocab"})
    if (given(shaping))
      throw std::invalid_argument(
          fmt::format("{} shapes a new model; with --load {} the checkpoint's model is used as it is (leave {} out)",
                      shaping, o.load, shaping));
  const nn::Checkpoint ckpt = examples::load_model_file(o.load);
  const examples::MetadataReader read(ckpt.metadata, "lm", o.load);
  p.config = read_config(read, ckpt.state_dict);
  examples::check_model_kind(o.load, p.config.kind, o.model, given("--model"));
  p.config.dropout = o.dropout.value_or(0.0f);
  p.task = read.get("task");
  const std::string seed = read.find("seed").value_or("1"), data = read.find("data").value_or("");
  const auto [end, error] = std::from_chars(seed.data(), seed.data() + seed.size(), p.seed);
  if (error != std::errc() || end != seed.data() + seed.size())
    throw std::runtime_error(fmt::format("--load {}: its seed '{}' is not a whole number", o.load, seed));
  p.data_source = data;
  if (std::find(lm::task_names().begin(), lm::task_names().end(), p.task) == lm::task_names().end())
    throw std::runtime_error(fmt::format("--load {}: unknown task '{}' (expected sort, add or text)", o.load, p.task));
  if (given("--task") && o.task != p.task)
    throw std::runtime_error(
        fmt::format("--load {}: the model was trained on '{}', not --task {}", o.load, p.task, o.task));
  if (p.task != "text" && given("--seed") && o.seed != p.seed)
    throw std::runtime_error(
        fmt::format("--load {}: its held-out {} problems were drawn with seed {}; --seed {} would test it on problems "
                    "it trained on",
                    o.load, p.task, p.seed, o.seed));
  try {
    p.tokenizer = lm::Tokenizer::from_string(read.get("tokens"), read.get("tokenizer"));
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(fmt::format("--load {}: unreadable tokenizer ({})", o.load, e.what()));
  }
  if (p.tokenizer.size() != p.config.vocab)
    throw std::runtime_error(fmt::format("--load {}: the tokenizer has {} tokens but the model {}", o.load,
                                         p.tokenizer.size(), p.config.vocab));
  p.model = lm::make_model(p.config);
  try {
    p.model->load_state_dict(ckpt.state_dict);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(fmt::format("--load {}: {}", o.load, e.what()));
  }
  fmt::print("loaded {} ({} model on {}, {} parameters)\n", o.load, p.config.kind, p.task, p.model->parameter_count());
}

// ---- data ----

// text: the file (or the Debian licences), tokenised, split 90/10 in order. A loaded model keeps
// its tokenizer; a new one learns its vocabulary (characters of the whole text, as nanoGPT, or
// BPE merges from the training part).
void load_text(const Options& o, Program& p, std::size_t context, bool loaded) {
  p.data_source = !o.data.empty() ? o.data : !p.data_source.empty() ? p.data_source : lm::default_text_path();
  const std::string text = lm::read_text(p.data_source);
  using clock = std::chrono::steady_clock;
  const auto seconds_since = [](clock::time_point t) {
    return std::chrono::duration<double>(clock::now() - t).count();
  };
  try {
    if (!loaded && o.tokens == "char") p.tokenizer = lm::Tokenizer(seq::CharVocabulary(text));
    const auto learn = clock::now();
    if (!loaded && o.tokens == "bpe")
      p.tokenizer = lm::Tokenizer(seq::ByteBPE::train(std::string_view(text).substr(0, text.size() * 9 / 10), o.vocab));
    const double learn_seconds = seconds_since(learn);
    const auto encode = clock::now();
    const TokenIds tokens = p.tokenizer.encode(text);
    const std::size_t validation = tokens.size() - tokens.size() * 9 / 10;
    if (validation < context + 1)
      throw std::invalid_argument(fmt::format(
          "the text is {} tokens, so its last 10 % ({}) cannot fill one window of --context {} plus its next token; "
          "give a longer text or a smaller --context",
          tokens.size(), validation, context));
    if (p.tokenizer.kind() == "bpe")
      fmt::print("BPE: {} merges learned in {:.2f} s{}; {} bytes encoded in {:.2f} s ({:.2f} bytes per token)\n",
                 p.tokenizer.size() - 256, learn_seconds, loaded ? " (from --load)" : "", text.size(),
                 seconds_since(encode), static_cast<double>(text.size()) / static_cast<double>(tokens.size()));
    p.text = seq::train_val_split(tokens, context, 0.9);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(fmt::format("--data {}: {}", p.data_source, e.what()));
  }
  fmt::print("read {}: {} bytes, {} tokens ({} tokens of {}): {} training, {} validation\n", p.data_source, text.size(),
             p.text.train.size() + p.text.validation.size(), p.tokenizer.size(), p.tokenizer.kind(),
             p.text.train.size(), p.text.validation.size());
}

void load_data(const Options& o, Program& p, std::size_t context, bool loaded) {
  if (p.task == "text") return load_text(o, p, context, loaded);
  p.problems = lm::make_problems(p.task, p.seed);
  if (!loaded) p.tokenizer = lm::problem_tokenizer(p.task);
  const std::size_t length = p.problems->prompt_length + p.problems->answer_length - 1;
  if (context < length)
    throw std::invalid_argument(
        fmt::format("--context {} is too short for {}: its sequences are {} tokens", context, p.task, length));
  p.data_source = fmt::format("generated {} problems (seed {})", p.task, p.seed);
}

std::string startup_line(const Program& p, const Settings& s, const Options& o) {
  const std::string data =
      p.problems
          ? fmt::format("{} training problems, {} held-out ({} distinct)", p.problems->train.size(),
                        p.problems->held_out.size(), p.problems->held_out_unique)
          : fmt::format("{} training tokens, {} validation tokens", p.text.train.size(), p.text.validation.size());
  return fmt::format(
      "settings: task {}, model {}, layers {}, heads {}, embed {}, context {}, dropout {}, batch {}, steps {}, lr {} "
      "(AdamW, weight decay {}, warmup {} then cosine to lr/10){}; data: {}",
      p.task, p.config.kind, p.config.layers, p.config.heads, p.config.embed, p.config.context, p.config.dropout,
      s.batch, s.steps, s.lr, o.weight_decay, std::min(o.warmup, s.steps), p.config.tie ? ", tied head" : "", data);
}

// ---- training and evaluation ----

seq::LMBatch training_batch(const Program& p, std::size_t B, Generator& g) {
  if (!p.problems) return seq::random_windows(p.text.train, B, p.config.context, g);
  return lm::problem_batch(examples::sample_batch(g, p.problems->train, B), p.problems->prompt_length);
}

// The mean cross-entropy per scored token over the whole held-out split, in nats.
seq::SplitLoss validation_loss(Program& p) {
  p.model->eval();
  seq::SplitLoss result;
  if (p.problems) {  // every held-out problem's answer tokens, 500 problems per batch
    NoGradGuard no_grad;
    double total = 0.0;
    const auto& held_out = p.problems->held_out;
    for (std::size_t first = 0; first < held_out.size(); first += 500) {
      std::vector<const TokenIds*> chunk;
      for (std::size_t i = first; i < std::min(first + 500, held_out.size()); ++i) chunk.push_back(&held_out[i]);
      const seq::LMBatch b = lm::problem_batch(chunk, p.problems->prompt_length);
      total += p.model->loss(b.inputs, b.targets).item() * static_cast<double>(chunk.size());
    }
    result.loss = total / static_cast<double>(held_out.size());
    result.tokens = held_out.size() * p.problems->answer_length;
  } else {
    // Up to 64 windows at a time, fewer where their logits (rows · C · V floats) would pass 64 MiB.
    const std::size_t rows =
        std::clamp<std::size_t>((std::size_t{1} << 24) / (p.config.context * p.config.vocab), 1, 64);
    result = seq::evaluate_split(p.text.validation, rows, p.config.context,
                                 [&](const Index& inputs) { return p.model->logits(inputs); });
  }
  result.bits_per_token = result.loss / std::log(2.0), result.perplexity = std::exp(result.loss);
  p.model->train();
  return result;
}

examples::TrainerOptions trainer_options(const Options& o, const Settings& s) {
  return {.steps = s.steps,
          .lr = s.lr,
          .schedule = "cosine",
          .warmup = std::min(o.warmup, s.steps),
          .min_lr = s.lr / 10,
          .weight_decay = o.weight_decay,
          .beta2 = 0.99,
          .clip_norm = 1.0,
          .eval_every = o.eval_every.value_or(std::max<std::size_t>(1, s.steps / 10)),
          .profile = o.profile,
          .run = o.run};
}

std::vector<double> train(const Options& o, const examples::Given& given, Program& p, const Settings& s,
                          nlohmann::json& metrics, examples::ValidationCurve& curve) {
  p.model->train();
  Generator batches(o.seed + 1);
  {
    NoGradGuard no_grad;
    const seq::LMBatch b = training_batch(p, s.batch, batches);
    fmt::print("{} on {}: {} parameters; {}\n", p.config.kind, p.task, p.model->parameter_count(),
               o.load.empty() ? examples::sanity_text(p.model->loss(b.inputs, b.targets).item(), p.config.vocab)
                              : fmt::format("loss {:.3f} before training on from {}",
                                            p.model->loss(b.inputs, b.targets).item(), o.load));
  }
  examples::Trainer trainer(p.model->parameters(), trainer_options(o, s));  // its clock starts here
  trainer.track({p.model->state_dict(), &batches, &curve, &metrics,
                 examples::run_metadata(given, to_metadata(p))});  // with --resume: restored here
  for (std::size_t step = trainer.first_step(); step <= trainer.steps(); ++step) {
    const seq::LMBatch b = training_batch(p, s.batch, batches);
    trainer.step(p.model->loss(b.inputs, b.targets), b.inputs.size());
    if (trainer.validation_due(step))
      trainer.untimed([&] {
        const seq::SplitLoss v = validation_loss(p);
        curve.emplace_back(step, v.loss);
        metrics["validation_curve"].push_back(
            {{"step", step}, {"train_seconds", trainer.seconds()}, {"val_loss", v.loss}});
        fmt::print(stderr, "\nstep {}: validation loss {:.4f} ({:.3f} bits per token) after {:.1f} s of training\n",
                   step, v.loss, v.bits_per_token, trainer.seconds());
      });
    trainer.end_step(step);  // --checkpoint, Ctrl-C
  }
  trainer.finish();
  metrics["steps"] = trainer.losses().size(), metrics["train_seconds"] = trainer.seconds();
  metrics["final_loss"] = trainer.losses().back(), metrics["losses"] = trainer.losses();
  metrics["tokens_per_second"] =
      trainer.seconds() > 0 ? static_cast<double>(trainer.tokens()) / trainer.seconds() : 0.0;
  return trainer.losses();
}

// The page's view of one prompt and what the model wrote after it: the text, and the GPT's
// causal self-attention over the last min(64, context) tokens it read (at most 64 × 64 cells a
// map, so a long text cannot make the page huge). The baselines have no attention to show.
examples::ReportExample report_example(Program& p, std::string label, const TokenIds& prompt, const TokenIds& written) {
  examples::ReportExample e;
  e.label = std::move(label), e.input = p.tokenizer.display(prompt);
  for (const std::int64_t id : written) e.output.push_back(p.tokenizer.display({id}));
  TokenIds read = prompt;  // the last written token is never read
  if (!written.empty()) read.insert(read.end(), written.begin(), written.end() - 1);
  const std::size_t n = std::min({read.size(), p.model->context_length(), std::size_t{64}});
  Index ids = Index::from_shape({1, n});
  std::copy(read.end() - static_cast<std::ptrdiff_t>(n), read.end(), ids.begin());
  NoGradGuard no_grad;
  p.model->eval();
  const std::vector<Tensor> layers = p.model->attention(ids);  // [l] (1, H, n, n)
  if (layers.empty()) return e;
  std::vector<std::string> labels;
  for (std::size_t t = 0; t < n; ++t) labels.push_back(p.tokenizer.display({ids(0, t)}));
  e.attention.push_back(examples::attention_view("causal self-attention", layers, labels, labels, true));
  e.attention.back().query_title = "token read (predicting the next)";
  e.attention.back().key_title = "token attended to";
  return e;
}

struct ProblemResults {
  std::vector<examples::ReportExample> shown;
  std::size_t scored = 0, wrong = 0;
};

// sort and add: greedy answers to every held-out problem; exact match, the wrong ones first.
ProblemResults evaluate_problems(const Options& o, Program& p, nlohmann::json& metrics) {
  const lm::Problems& pr = *p.problems;
  std::vector<TokenIds> prompts, expected;
  for (const TokenIds& x : pr.held_out)
    prompts.emplace_back(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(pr.prompt_length)),
        expected.emplace_back(x.begin() + static_cast<std::ptrdiff_t>(pr.prompt_length), x.end());
  p.model->eval();
  const std::vector<TokenIds> answers = lm::greedy_answers(*p.model, prompts, pr.answer_length);
  std::vector<std::size_t> order(answers.size());  // the wrong ones first, each part in held-out order
  std::iota(order.begin(), order.end(), std::size_t{0});
  const auto first_right =
      std::stable_partition(order.begin(), order.end(), [&](std::size_t i) { return answers[i] != expected[i]; });
  const auto wrong = static_cast<std::size_t>(first_right - order.begin());
  const double exact = seq::exact_match(answers, expected);
  metrics["exact_match"] = exact, metrics["held_out_problems"] = answers.size();
  fmt::print("held-out ({} problems, {} distinct, never trained on): exact match {:.4f} ({} wrong)\n", answers.size(),
             pr.held_out_unique, exact, wrong);
  for (std::size_t k = 0; k < std::min(o.samples, order.size()); ++k) {
    const std::size_t i = order[k];
    fmt::print("{}\n", examples::sample_line(lm::show_problem(pr, prompts[i], answers[i]), answers[i] == expected[i],
                                             lm::show_problem(pr, prompts[i], expected[i])));
  }
  std::vector<examples::ReportExample> rows;  // the page: up to 20, the wrong ones first
  for (std::size_t k = 0; k < std::min<std::size_t>(20, order.size()); ++k) {
    const std::size_t i = order[k];
    examples::ReportExample e = report_example(p, fmt::format("held-out problem {}", i), prompts[i], answers[i]);
    e.input = lm::show_problem(pr, prompts[i], {});
    for (const std::int64_t id : expected[i]) e.reference.push_back(p.tokenizer.display({id}));
    rows.push_back(std::move(e));
  }
  return {rows, answers.size(), wrong};
}

// ---- sampling ----

seq::GenerateOptions generate_options(const Options& o, std::size_t max_new) {
  return {.max_new_tokens = max_new,
          .sampling = {.temperature = o.temperature, .top_k = o.top_k, .top_p = o.top_p},
          .use_cache = !o.no_cache};
}

// The prompt as ids: --prompt, or for text the first characters of the validation split.
TokenIds prompt_ids(const Options& o, const Program& p) {
  if (p.problems && !o.prompt.empty()) return lm::parse_prompt(*p.problems, o.prompt);
  if (o.prompt.empty()) {
    if (p.text.validation.empty()) throw std::invalid_argument("--prompt: give a text to start from");
    const std::size_t n = std::min<std::size_t>(std::max<std::size_t>(1, p.config.context / 4), 16);
    return TokenIds(p.text.validation.begin(), p.text.validation.begin() + static_cast<std::ptrdiff_t>(n));
  }
  try {
    return p.tokenizer.encode(o.prompt);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(fmt::format("--prompt: {}", e.what()));
  }
}

struct Sample {
  TokenIds prompt, generated;
  double seconds = 0.0;
};

// The prompt, checked before any training: it must fit the model (a GPT's learned positions),
// and the sampling options must be usable.
TokenIds checked_prompt(const Options& o, const Program& p) {
  if (!std::isfinite(o.temperature))
    throw std::invalid_argument(fmt::format("--temperature {}: give a number from 0 (greedy) to 100", o.temperature));
  TokenIds prompt = prompt_ids(o, p);
  if (prompt.size() > p.model->context_length())
    throw std::invalid_argument(fmt::format("--prompt has {} tokens but the model sees at most {} (its --context)",
                                            prompt.size(), p.model->context_length()));
  return prompt;
}

Sample sample_text(const Options& o, Program& p, std::size_t max_new) {
  Sample s{checked_prompt(o, p), {}, 0.0};
  p.model->eval();
  Generator g(o.seed + 2);
  const auto start = std::chrono::steady_clock::now();
  const TokenIds all = seq::generate(*p.model, s.prompt, generate_options(o, max_new), g);
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  s.generated.assign(all.begin() + static_cast<std::ptrdiff_t>(s.prompt.size()), all.end());
  return s;
}

// The sample after the prompt (text, or a --prompt for sort and add), printed, for the page.
std::optional<examples::ReportExample> show_samples(const Options& o, Program& p, nlohmann::json& metrics) {
  if (p.problems && o.prompt.empty()) return std::nullopt;  // the held-out answers were the samples
  const std::size_t max_new = p.problems ? p.problems->answer_length : o.max_new;
  const Sample s = sample_text(o, p, max_new);
  const double rate = static_cast<double>(s.generated.size()) / std::max(s.seconds, 1e-9);
  metrics["generation_tokens_per_second"] = rate;
  if (p.problems) {
    fmt::print("{}\n", lm::show_problem(*p.problems, s.prompt, s.generated));
    examples::ReportExample e = report_example(p, "your problem", s.prompt, s.generated);
    e.input = lm::show_problem(*p.problems, s.prompt, {});
    return e;
  }
  fmt::print("sample ({} tokens after a prompt of {}, temperature {}, {} tokens/s{}):\n{}\u2502{}\n", max_new,
             s.prompt.size(), o.temperature, static_cast<long>(rate), o.no_cache ? ", no cache" : "",
             p.tokenizer.display(s.prompt), p.tokenizer.display(s.generated));
  return report_example(p, o.prompt.empty() ? "sample" : "your prompt", s.prompt, s.generated);
}

// ---- the run ----

// The settings as used: each option (per-task defaults resolved), the model's sizes, the data.
examples::Given::Values used_settings(const Program& p, const Settings& s, const examples::Given& given) {
  auto value = [&](const char* name, const auto& v) { return examples::setting_value(given, name, v, p.task); };
  const lm::ModelConfig& c = p.config;
  examples::Given::Values used = {value("--embed", c.embed),     value("--layers", c.layers),
                                  value("--heads", c.heads),     value("--context", c.context),
                                  value("--dropout", c.dropout), value("--batch", s.batch),
                                  value("--steps", s.steps),     value("--lr", s.lr)};
  if (given("--load") && !given("--steps")) used[6].second = "0 (a loaded model trains only with --steps)";
  used.emplace_back("data", p.data_source);
  used.emplace_back(
      "splits", p.problems ? fmt::format("{} training problems, {} held-out ({} distinct)", p.problems->train.size(),
                                         p.problems->held_out.size(), p.problems->held_out_unique)
                           : fmt::format("{} training tokens, {} validation tokens", p.text.train.size(),
                                         p.text.validation.size()));
  used.emplace_back("tokenizer", fmt::format("{}, {} tokens", p.tokenizer.kind(), p.tokenizer.size()));
  used.emplace_back("parameters", fmt::format("{}", p.model->parameter_count()));
  return used;
}

void write_report(const Options& o, const examples::Given& given, const Program& p, const Settings& s,
                  examples::Report& report, const nlohmann::json& metrics) {
  const std::string model = p.config.kind == "gpt"      ? "a GPT"
                            : p.config.kind == "bigram" ? "the bigram baseline (no attention)"
                                                        : "the GRU baseline (no attention)";
  report.title = fmt::format("lm: {} on {}", model, p.task == "text" ? p.data_source : p.task + " problems");
  report.metrics = examples::describe_metrics(metrics);
  report.settings = examples::report_settings(given, used_settings(p, s, given));
  report.loss_unit = "cross-entropy, nats per token";
  examples::publish_report(o.report, report);
}

int run(Options o, const examples::Given& given) {
  manual_seed(o.seed);
  Program p;
  p.task = o.task, p.seed = o.seed;
  const bool loaded = !o.load.empty();
  if (loaded) load_model(o, given, p);
  if (p.task != "text" && !given("--temperature")) o.temperature = 0.0f;  // a problem has one answer
  const Settings s = o.settings(p.task);
  const bool trains = !loaded || given("--steps");
  const bool needs_data = trains || p.task != "text" || o.prompt.empty();
  if (needs_data) load_data(o, p, loaded ? p.config.context : s.context, loaded);
  if (!loaded) {
    p.config = {o.model, p.tokenizer.size(), s.context, s.embed, s.layers, s.heads, s.dropout, o.tie};
    p.model = lm::make_model(p.config);
  }
  if (!p.problems || !o.prompt.empty()) checked_prompt(o, p);  // a bad prompt fails now, not after training
  if (trains) fmt::print("{}\n", startup_line(p, s, o));
  if (o.dry_run) return 0;

  nlohmann::json metrics = examples::initial_metrics(p.task, p.config.kind);
  metrics["parameters"] = p.model->parameter_count();
  examples::Report report;
  if (trains && s.steps > 0) report.losses = train(o, given, p, s, metrics, report.validation);
  if (needs_data) {
    const seq::SplitLoss v = validation_loss(p);
    metrics["val_loss"] = v.loss, metrics["val_bits_per_token"] = v.bits_per_token, metrics["val_tokens"] = v.tokens;
    fmt::print("validation: loss {:.4f} nats per token ({:.3f} bits, perplexity {:.2f}) over {} tokens\n", v.loss,
               v.bits_per_token, v.perplexity, v.tokens);
  }
  if (p.problems && needs_data) {
    ProblemResults r = evaluate_problems(o, p, metrics);
    report.examples = std::move(r.shown), report.scored = r.scored, report.wrong = r.wrong;
  }
  if (auto sample = show_samples(o, p, metrics)) report.examples.insert(report.examples.begin(), std::move(*sample));
  if (!o.report.empty()) write_report(o, given, p, s, report, metrics);
  examples::write_outputs(o.metrics_json, metrics, o.save, *p.model, to_metadata(p));
  return 0;
}

// ---- the command line ----

std::string defaults_footer() {
  std::string text = "Defaults per task (an option given on the command line overrides its column):\n";
  text += fmt::format("  {:<6}{:>7}{:>7}{:>6}{:>8}{:>8}{:>7}{:>7}{:>8}\n", "task", "embed", "layers", "heads",
                      "context", "dropout", "batch", "steps", "lr");
  for (const auto& [task, s] : task_defaults())
    text += fmt::format("  {:<6}{:>7}{:>7}{:>6}{:>8}{:>8}{:>7}{:>7}{:>8}\n", task, s.embed, s.layers, s.heads,
                        s.context, s.dropout, s.batch, s.steps, s.lr);
  return text + "--task text without --data reads " + lm::default_text_path() + " (every Debian system has it).\n";
}

template <class T>
void add_sized(CLI::App& app, const std::string& name, std::optional<T>& value, const std::string& help,
               CLI::Validator range) {
  app.add_option_function<T>(
         name, [&value](const T& v) { value = v; }, help + " (default: per task, see the table below)")
      ->check(range);
}

void add_data_options(CLI::App& app, Options& o) {
  app.add_option("--task", o.task, "sort (6 digits), add (2-digit sums), or text (--data)")
      ->check(CLI::IsMember(lm::task_names()))
      ->capture_default_str();
  app.add_option("--data", o.data,
                 std::string("with --task text: a UTF-8 text FILE, or a DIR of them (default: ") +
                     lm::default_text_path() +
                     ", or with --load the checkpoint's); the first 90 % trains, the last 10 % validates");
  app.add_option("--tokens", o.tokens, "with --task text: char, or bpe (byte-level BPE learned from the training text)")
      ->check(CLI::IsMember({"char", "bpe"}))
      ->capture_default_str();
  app.add_option("--vocab", o.vocab, "with --tokens bpe: the vocabulary size (256 bytes + merges)")
      ->check(CLI::Range(256, 65536))
      ->capture_default_str();
}

void add_model_options(CLI::App& app, Options& o) {
  app.add_option("--model", o.model, "gpt, or a baseline without attention: bigram or rnn (a GRU)")
      ->check(CLI::IsMember(lm::model_kinds()))
      ->capture_default_str();
  add_sized(app, "--layers", o.layers, "Transformer blocks (gpt, bigram) or GRU layers (rnn)", CLI::Range(1, 32));
  add_sized(app, "--heads", o.heads, "attention heads (gpt; must divide --embed)", CLI::Range(1, 64));
  add_sized(app, "--embed", o.embed, "embedding width E (the GRU is about 1.41 E wide)", CLI::Range(1, 4096));
  add_sized(app, "--context", o.context, "positions the model sees at once (its training windows)",
            CLI::Range(1, 4096));
  add_sized(app, "--dropout", o.dropout, "dropout probability", CLI::Range(0.0, 0.9));
  app.add_flag("--tie", o.tie, "gpt: the output head shares the token embedding's weight");
}

void add_training_options(CLI::App& app, Options& o) {
  add_sized(app, "--batch", o.batch, "sequences per step", CLI::Range(1, 4096));
  add_sized(app, "--steps", o.steps, "training steps (with --load: train on only if given)", CLI::Range(0, 10000000));
  add_sized(app, "--lr", o.lr, "peak learning rate (AdamW; warmup, then cosine down to lr/10)", CLI::Range(1e-6, 1.0));
  app.add_option("--warmup", o.warmup, "steps of linear warmup")->check(CLI::Range(0, 10000000))->capture_default_str();
  app.add_option("--weight-decay", o.weight_decay, "AdamW's decay of the weight matrices (0: Adam)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--seed", o.seed,
                 "seed for data, initialisation, batches and sampling (sort and add with --load: the checkpoint's "
                 "held-out split stays; another seed is refused)")
      ->capture_default_str();
  app.add_option_function<std::size_t>(
         "--eval-every", [&o](const std::size_t& n) { o.eval_every = n; },
         "every N steps, print the validation loss, and draw it in the report (default: a tenth of --steps; 0: only "
         "at the end)")
      ->check(CLI::Range(0, 10000000));
  app.add_flag("--profile", o.profile, "after training, print where its time went, per op");
  app.add_flag("--dry-run", o.dry_run, "print the start-up line (the settings used and the data sizes), then stop");
}

void add_sampling_options(CLI::App& app, Options& o) {
  app.add_option("--prompt", o.prompt,
                 "text to continue (text; default: the validation text's first characters), or a problem: 201102 "
                 "(sort), 12+34 (add)");
  app.add_option("--max-new", o.max_new, "tokens to generate after the prompt (sort and add: their answer's length)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--temperature", o.temperature,
                 "divides the logits before sampling (0: greedy; sort and add answer --prompt greedily unless given)")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  app.add_option("--top-k", o.top_k, "sample only from the k most likely tokens (0: all)")->capture_default_str();
  app.add_option("--top-p", o.top_p, "sample only from the most likely tokens whose mass reaches p, in (0, 1]")
      ->check(CLI::Validator(
          [](const std::string& v) {
            double p = 0.0;
            const auto [end, error] = std::from_chars(v.data(), v.data() + v.size(), p);
            const bool ok = error == std::errc() && end == v.data() + v.size() && p > 0.0 && p <= 1.0;
            return ok ? std::string() : "Value " + v + " not in (0, 1]: try 0.9, or 1 for off";
          },
          "(0, 1]"))
      ->capture_default_str();
  app.add_flag("--no-cache", o.no_cache, "generate without the key/value cache (every step runs the whole window)");
  app.add_option("--samples", o.samples, "held-out problems to print (sort, add)")->capture_default_str();
}

void add_output_options(CLI::App& app, Options& o) {
  app.add_option("--save", o.save, "write the trained model (with its tokenizer) to CKPT");
  app.add_option("--load", o.load, "start from a model saved with --save")->check(CLI::ExistingFile);
  app.add_option("--metrics-json", o.metrics_json, "write the metrics as one JSON object to PATH");
  app.add_option("--report", o.report, "write an HTML report (samples, loss curve, every head's attention) to DIR")
      ->capture_default_str();
  app.add_flag_callback(
         "--no-report", [&o] { o.report.clear(); }, "write no report")
      ->excludes("--report");
  examples::add_run_options(app, o.run);
}

}  // namespace

int main(int argc, char** argv) {
  configure_process(argv);  // OpenBLAS's fastest kernels, malloc, threads (core/process.hpp)
  Options o;
  CLI::App app{
      "lm: train a toy GPT (a decoder-only Transformer) or a baseline without attention, then sample from it.\n"
      "With no options: minGPT's sorting demo with a GPT, then a report in lm_report/."};
  add_data_options(app, o);
  add_model_options(app, o);
  add_training_options(app, o);
  add_sampling_options(app, o);
  add_output_options(app, o);
  app.footer(defaults_footer());
  return examples::run_main(app, argc, argv, "lm", [&](const examples::Given& given) { return run(o, given); });
}
