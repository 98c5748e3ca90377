// attograd-bench: times the workloads attograd is built for, one JSON object per line.
//
//   attograd-bench [matmul] [mha] [seq2seq] [transformer] [conv] [memory] [caption] [lm] [generate] [tiny] [--iters N]
//   [--warmup N]
//   [--profile]
//
// caption, lm and generate need the caption and lm examples' models (targets caption_core, lm_core):
// without the examples they are left out.
//
// Each figure is the median over the timed iterations after warm-up. Every training-step
// workload also prints its roofline: flops_per_step (the GEMMs' 2·m·n·k, counted at the BLAS
// door over one step), the gflops that makes, and fraction_of_sgemm, that over sgemm_gflops, raw
// OpenBLAS sgemm on 512³ measured in the same process just after. peak_rss_mb is the
// process's peak resident memory so far (VmHWM) (run one workload per process to compare memory, as
// bench/compare_torch.py does). bench/compare_torch.py runs the same workloads in PyTorch.
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include <attograd/attograd.hpp>
#include <attograd/core/kernels/blas.hpp>

#include "openblas_sgemm.hpp"
#include "peak_rss.hpp"

#if ATTOGRAD_BENCH_CAPTION
#include "captioners.hpp"  // examples/caption: the captioning models
#endif
#if ATTOGRAD_BENCH_LM
#include "lm/models.hpp"  // examples/lm: the toy GPT
#endif

using namespace attograd;

namespace {

struct Settings {
  int iters = 20;
  int warmup = 3;
  bool profile = false;  // --profile: print where the timed steps' time went (core/profiler.hpp)
};

// With --profile, the guard of the workload running now: median_ms resets it after warm-up and
// keeps its report as the timed steps end (before the roofline's raw sgemm runs).
ProfileGuard* profile_guard = nullptr;
ProfileReport timed_steps_profile;

double median(std::vector<double> times) {
  std::nth_element(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2), times.end());
  return times[times.size() / 2];
}

// A step workload's figures: the median wall time and the GEMM FLOPs of one step.
struct StepTime {
  double ms = 0.0;
  double flops = 0.0;
};

// Median wall time of `step` in milliseconds, and its FLOPs: the difference in
// blas::gemm_flops_total() across the last warm-up step (2·m·n·k of every product the step
// runs, forward and backward, on every thread; elementwise work is not counted).
StepTime median_ms(const Settings& s, const std::function<void()>& step) {
  StepTime result;
  for (int i = 0; i < std::max(s.warmup, 1); ++i) {
    const double before = blas::gemm_flops_total();
    step();
    result.flops = blas::gemm_flops_total() - before;
  }
  if (profile_guard != nullptr) profile_guard->reset();
  std::vector<double> times;
  for (int i = 0; i < s.iters; ++i) {
    const auto start = std::chrono::steady_clock::now();
    step();
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  if (profile_guard != nullptr) timed_steps_profile = profile_guard->report();
  result.ms = median(std::move(times));
  return result;
}

Index random_ids(const Shape& shape, std::int64_t vocab, Generator& gen) {
  Index ids = Index::from_shape(shape);
  for (auto& id : ids) id = static_cast<std::int64_t>(gen.below(static_cast<std::uint64_t>(vocab)));
  return ids;
}

double time_ms(const std::function<void()>& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

// OpenBLAS's own threads spin for about 0.1 s after a raw product (openblas_sgemm.hpp); waiting
// that long keeps them from competing with attograd's pool in what is timed next.
void let_openblas_threads_sleep() { std::this_thread::sleep_for(std::chrono::milliseconds(150)); }

// 512×512 @ 512×512 through attograd's matmul (no grad), then raw cblas_sgemm on OpenBLAS's own
// threads. Not interleaved: each side's threads spin for a while after it runs (attograd's 1 ms,
// OpenBLAS's 0.1 s) and would compete with the other's, and pausing between them let the VM's
// idle cores slow down (both tried: the ratio then swung from 0.4 to 1.5 run to run).
void bench_matmul(const Settings& s) {
  constexpr std::size_t n = 512;
  const Tensor a = randn({n, n}), b = randn({n, n});
  Array c = Array::from_shape({n, n});
  const double flops = 2.0 * n * n * n;
  std::vector<double> ours, raw;
  for (int i = 0; i < s.warmup + s.iters; ++i) {
    const double t = time_ms([&] { matmul(a, b); });
    if (i >= s.warmup) ours.push_back(t);
  }
  for (int i = 0; i < s.warmup + s.iters; ++i) {
    const double t =
        time_ms([&] { bench::raw_sgemm(n, a.value().data(), b.value().data(), c.data(), blas::max_threads()); });
    if (i >= s.warmup) raw.push_back(t);
  }
  let_openblas_threads_sleep();
  fmt::print("{{\"workload\": \"matmul\", \"gflops\": {:.2f}, \"openblas_gflops\": {:.2f}, \"peak_rss_mb\": {:.1f}}}\n",
             flops / median(ours) / 1e6, flops / median(raw) / 1e6, peak_rss_mb());
}

// Raw cblas_sgemm's rate on 512³ now, on all of OpenBLAS's threads, in GFLOP/s (the median of 10
// after 2 warm-up): the roofline every step workload is measured against, taken in the same
// process right after it.
double raw_sgemm_gflops() {
  constexpr std::size_t n = 512;
  const Array a = xt::ones<float>({n, n}), b = xt::ones<float>({n, n});
  Array c = Array::from_shape({n, n});
  std::vector<double> times;
  for (int i = 0; i < 12; ++i) {
    const double t = time_ms([&] { bench::raw_sgemm(n, a.data(), b.data(), c.data(), blas::max_threads()); });
    if (i >= 2) times.push_back(t);
  }
  let_openblas_threads_sleep();
  return 2.0 * n * n * n / median(std::move(times)) / 1e6;
}

// One JSON line per step workload, with its roofline: FLOPs per step, the GFLOP/s they make at
// the median step time, and that as a fraction of raw sgemm's rate measured just after.
void print_step(const char* name, const StepTime& t) {
  const double gflops = t.flops / t.ms / 1e6, sgemm = raw_sgemm_gflops();
  fmt::print(
      "{{\"workload\": \"{}\", \"ms_per_step\": {:.3f}, \"flops_per_step\": {:.0f}, \"gflops\": {:.2f}, "
      "\"sgemm_gflops\": {:.2f}, \"fraction_of_sgemm\": {:.3f}, \"peak_rss_mb\": {:.1f}}}\n",
      name, t.ms, t.flops, gflops, sgemm, gflops / sgemm, peak_rss_mb());
}

// Self-attention MultiheadAttention(256, 8) on (16, 64, 256): forward, mean(out²), backward, Adam.
void bench_mha(const Settings& s) {
  nn::MultiheadAttention mha(256, 8);
  optim::Adam adam(mha.parameters(), {.lr = 1e-4});
  const Tensor x = randn({16, 64, 256});  // (B, T, E)
  print_step("mha", median_ms(s, [&] {
               adam.zero_grad();
               const Tensor out = mha.forward(x, x, x, {}, false).output;  // (B, T, E)
               mean(out * out).backward();
               adam.step();
             }));
}

// GRU encoder + GRUCell decoder with Bahdanau attention, teacher forced (see issue text); the
// output layer runs once after the loop over every step's [h; c], as in libtorch_bench.cpp and
// compare_torch.py.
struct Seq2Seq : nn::Module {
  static constexpr std::size_t V = 64, E = 64, H = 128;
  std::shared_ptr<nn::Embedding> src_embed = register_module("src_embed", std::make_shared<nn::Embedding>(V, E));
  std::shared_ptr<nn::Embedding> tgt_embed = register_module("tgt_embed", std::make_shared<nn::Embedding>(V, E));
  std::shared_ptr<nn::GRU> encoder =
      register_module("encoder", std::make_shared<nn::GRU>(E, H, nn::RNNOptions{.batch_first = true}));
  std::shared_ptr<nn::AdditiveAttention> attention =
      register_module("attention", std::make_shared<nn::AdditiveAttention>(H, H, H));
  std::shared_ptr<nn::GRUCell> decoder = register_module("decoder", std::make_shared<nn::GRUCell>(E + H, H));
  std::shared_ptr<nn::Linear> out = register_module("out", std::make_shared<nn::Linear>(H + H, V));

  Tensor loss(const Index& src, const Index& tgt_in, const Index& tgt_out) {
    const auto encoded = encoder->forward(src_embed->forward(src));  // output (B, S, H)
    const Tensor memory = encoded.output;
    Tensor h = squeeze(encoded.h_n, 0);                   // (B, H)
    const Tensor embedded = tgt_embed->forward(tgt_in);   // (B, T, E)
    const Tensor keys = attention->project_keys(memory);  // (B, S, H), once for all steps
    std::vector<Tensor> features;
    for (std::size_t t = 0; t < tgt_in.shape()[1]; ++t) {
      const Tensor context = attention->forward_projected(h, keys, memory).output;  // (B, H)
      const Tensor input =
          cat({squeeze(narrow(embedded, 1, static_cast<std::int64_t>(t), 1), 1), context}, 1);  // (B, E + H)
      h = decoder->forward(input, h);                                                           // (B, H)
      features.push_back(cat({h, context}, 1));                                                 // (B, 2H)
    }
    const Tensor all = out->forward(stack(features, 1));  // (B, T, V): the output layer once, after the loop
    Index targets = tgt_out;
    targets.reshape({tgt_out.size()});
    return cross_entropy(reshape(all, {-1, static_cast<std::int64_t>(V)}), targets);
  }
};

void bench_seq2seq(const Settings& s) {
  Seq2Seq model;
  optim::Adam adam(model.parameters(), {.lr = 1e-3});
  Generator gen(1);
  const Index src = random_ids({32, 16}, 64, gen), tgt_in = random_ids({32, 16}, 64, gen),
              tgt_out = random_ids({32, 16}, 64, gen);
  print_step("seq2seq", median_ms(s, [&] {
               adam.zero_grad();
               model.loss(src, tgt_in, tgt_out).backward();
               adam.step();
             }));
}

struct TransformerModel : nn::Module {
  static constexpr std::size_t V = 64, D = 128;
  std::shared_ptr<nn::Embedding> src_embed = register_module("src_embed", std::make_shared<nn::Embedding>(V, D));
  std::shared_ptr<nn::Embedding> tgt_embed = register_module("tgt_embed", std::make_shared<nn::Embedding>(V, D));
  std::shared_ptr<nn::Transformer> transformer =
      register_module("transformer", std::make_shared<nn::Transformer>(nn::TransformerOptions{
                                         .layer = {.d_model = D, .nhead = 4, .dim_feedforward = 256, .dropout = 0.0f},
                                         .num_encoder_layers = 2,
                                         .num_decoder_layers = 2}));
  std::shared_ptr<nn::Linear> out = register_module("out", std::make_shared<nn::Linear>(D, V));

  Tensor loss(const Index& src, const Index& tgt_in, const Index& tgt_out) {
    const std::size_t T = tgt_in.shape()[1];
    const Tensor y = transformer->forward(src_embed->forward(src), tgt_embed->forward(tgt_in), {},
                                          nn::Transformer::generate_square_subsequent_mask(T));  // (B, T, D)
    Index targets = tgt_out;
    targets.reshape({tgt_out.size()});
    return cross_entropy(reshape(out->forward(y), {-1, static_cast<std::int64_t>(V)}), targets);
  }
};

void bench_transformer(const Settings& s) {
  TransformerModel model;
  optim::Adam adam(model.parameters(), {.lr = 1e-4});
  Generator gen(2);
  const Index src = random_ids({32, 16}, 64, gen), tgt_in = random_ids({32, 16}, 64, gen),
              tgt_out = random_ids({32, 16}, 64, gen);
  print_step("transformer", median_ms(s, [&] {
               adam.zero_grad();
               model.loss(src, tgt_in, tgt_out).backward();
               adam.step();
             }));
}

// The resident memory a process grows by while running f: free memory is first handed back to
// the system (malloc_trim) and the peak (VmHWM) reset to the present resident size
// (/proc/self/clear_refs 5), so the peak after f, less the peak before it, is f's own.
double memory_growth_mb(const std::function<void()>& f) {
  malloc_trim(0);
  if (std::FILE* refs = std::fopen("/proc/self/clear_refs", "w")) {
    std::fputs("5", refs);
    std::fclose(refs);
  }
  const double before = peak_rss_mb();
  f();
  return peak_rss_mb() - before;
}

// Memory of one causal self-attention forward + backward against the context length T: one
// sequence through MultiheadAttention(128, 4), no weights asked (as a GPT's blocks), for
// T = 256, 1024, 4096, with fused kernels on (the streaming heads: linear in T) and off (the
// composite path, which keeps the (H, T, T) scores several times: quadratic, 2.8 GB at 4096, so
// it stops at 2048 here; the smoke test runs every workload, under AddressSanitizer too).
void bench_memory(const Settings&) {
  nn::MultiheadAttention mha(128, 4);
  for (const bool fused_on : {true, false}) {
    const FusedKernelsGuard fused(fused_on);
    std::string figures;
    for (const std::size_t T : {256, 1024, fused_on ? 4096 : 2048}) {
      const double mb = memory_growth_mb([&] {
        const Tensor x = randn({1, T, 128}, true);  // (B, T, E)
        const nn::AttentionMask causal = nn::AttentionMask::causal(T, T, nn::CausalAlignment::TopLeft);
        const Tensor out = mha.forward(x, x, x, causal, false).output;  // (B, T, E)
        sum(out * out).backward();
      });
      figures += fmt::format("{}\"T{}_mb\": {:.1f}", figures.empty() ? "" : ", ", T, mb);
    }
    fmt::print("{{\"workload\": \"memory\", \"fused\": {}, {}}}\n", fused_on, figures);
  }
}

// Per-op overhead: 1 000 × (y * 1.0001 + 0.001) on 16 floats, then sum and backward.
void bench_tiny(const Settings& s) {
  Tensor x = randn({16}, true);
  constexpr int ops = 2000;
  const double ms = median_ms(s, [&] {
                      x.zero_grad();
                      Tensor y = x;
                      for (int i = 0; i < ops / 2; ++i) y = y * 1.0001f + 0.001f;
                      sum(y).backward();
                    }).ms;
  fmt::print("{{\"workload\": \"tiny\", \"us_per_op\": {:.3f}, \"peak_rss_mb\": {:.1f}}}\n", ms * 1000.0 / ops,
             peak_rss_mb());
}

// The captioning encoder's first two blocks, forward and backward: (32, 3, 48, 48) →
// conv 3×3 (3 → 16, padding 1) → ReLU → max-pool 2 → conv 3×3 (16 → 32, padding 1) → ReLU →
// max-pool 2 → (32, 32, 12, 12), sum, backward (parameter gradients; the input needs none).
// Its FLOPs, counted at the BLAS door as for every workload, match the shapes: a conv forward is
// 2·N·O·OH·OW·C·KH·KW (conv 1: 2·32·16·48·48·3·3·3 = 63 700 992; conv 2: 2·32·32·24·24·16·3·3 =
// 169 869 312); the backward costs one more of each for the weight gradients and one more of
// conv 2 for its input gradient (conv 1's input needs none): 637 009 920 in all.
void bench_conv(const Settings& s) {
  constexpr std::size_t N = 32, C = 3, H = 48, W = 48, C1 = 16, C2 = 32, K = 3;
  nn::Sequential net{std::make_shared<nn::Conv2d>(C, C1, K, nn::Conv2dOptions{.padding = 1}),
                     std::make_shared<nn::ReLU>(),
                     std::make_shared<nn::MaxPool2d>(2),
                     std::make_shared<nn::Conv2d>(C1, C2, K, nn::Conv2dOptions{.padding = 1}),
                     std::make_shared<nn::ReLU>(),
                     std::make_shared<nn::MaxPool2d>(2)};
  const Tensor x = rand({N, C, H, W});  // (N, C, H, W), no grad
  print_step("conv", median_ms(s, [&] {
               net.zero_grad();
               sum(net.forward(x)).backward();  // (N, C2, H/4, W/4) → scalar
             }));
}

#if ATTOGRAD_BENCH_CAPTION
// One training step of the caption example's default model, sat (Show, Attend and Tell): the
// CNN encoder (4 blocks; its first two are the conv workload) to a 3×3 grid of 32-wide
// features, then an LSTM decoder of 128 with additive attention over the grid. 32 random
// 48×48 images, random captions of 20 words (ids 4..25) then EOS (21 steps, no padding);
// zero_grad, loss, backward, clip_grad_norm_(5), Adam (lr 3e-3).
void bench_caption(const Settings& s) {
  constexpr std::size_t B = 32, words = 20, V = 26;
  const std::shared_ptr<caption::Captioner> model =
      caption::make_model(caption::ModelConfig{.kind = "sat", .vocab = V, .height = 48, .width = 48});
  model->train();
  optim::Adam adam(model->parameters(), {.lr = 3e-3});
  Generator gen(3);
  caption::Batch batch{rand({B, 3, 48, 48}), Index::from_shape({B, words + 1}),
                       std::vector<std::int64_t>(B, static_cast<std::int64_t>(words + 1))};
  for (std::size_t b = 0; b < B; ++b) {
    for (std::size_t t = 0; t < words; ++t) batch.captions(b, t) = 4 + static_cast<std::int64_t>(gen.below(V - 4));
    batch.captions(b, words) = 2;  // EOS
  }
  print_step("caption", median_ms(s, [&] {
               adam.zero_grad();
               model->loss(batch).backward();
               optim::clip_grad_norm_(model->parameters(), 5.0);
               adam.step();
             }));
}
#endif

#if ATTOGRAD_BENCH_LM
// One training step of lm's GPT at nanoGPT's CPU shape (lm --task text's defaults): 4 layers,
// 4 heads, E = 128, context 64, V = 65, batch 12 of random windows (random ids here; the ids do
// not change the work), no dropout. zero_grad, mean cross-entropy over all B·T positions,
// backward, clip_grad_norm_(1.0), AdamW (lr 1e-3, betas 0.9/0.99, weight decay 0.1 on every
// parameter: which ones decay does not change the time).
void bench_lm(const Settings& s) {
  constexpr std::size_t B = 12, T = 64, V = 65;
  const std::shared_ptr<lm::LanguageModel> model =
      lm::make_model({.kind = "gpt", .vocab = V, .context = T, .embed = 128, .layers = 4, .heads = 4, .dropout = 0.0f});
  model->train();
  optim::AdamW adamw(model->parameters(), {.lr = 1e-3, .beta2 = 0.99, .weight_decay = 0.1});
  Generator gen(6);
  const Index inputs = random_ids({B, T}, V, gen), targets = random_ids({B, T}, V, gen);
  print_step("lm", median_ms(s, [&] {
               adamw.zero_grad();
               model->loss(inputs, targets).backward();
               optim::clip_grad_norm_(model->parameters(), 1.0);
               adamw.step();
             }));
}

// Generation with and without the key/value cache: lm's GPT at nanoGPT's CPU shape (4 layers,
// 4 heads, E = 128, V = 65) with a context of 512; a 64-token prompt and 256 new tokens,
// greedy. Cached: one prefill, then one position per step; uncached: the whole text so far
// again at every step. Each figure is the median of min(iters, 3) runs; ms_per_token is the
// cached run's time over the 256 new tokens (the prefill included).
void bench_generate(const Settings& s) {
  const std::shared_ptr<lm::LanguageModel> model = lm::make_model(
      {.kind = "gpt", .vocab = 65, .context = 512, .embed = 128, .layers = 4, .heads = 4, .dropout = 0.0f});
  model->eval();
  Generator g(4);
  seq::TokenIds prompt;
  for (int t = 0; t < 64; ++t) prompt.push_back(static_cast<std::int64_t>(g.below(65)));
  const Settings runs{.iters = std::min(s.iters, 3), .warmup = std::min(s.warmup, 1), .profile = s.profile};
  auto time = [&](bool use_cache) {
    return median_ms(runs,
                     [&] {
                       Generator draws(5);
                       seq::generate(*model, prompt,
                                     {.max_new_tokens = 256, .sampling = {.temperature = 0.0f}, .use_cache = use_cache},
                                     draws);
                     })
        .ms;
  };
  const double cached = time(true), uncached = time(false);
  fmt::print(
      "{{\"workload\": \"generate\", \"ms_per_token\": {:.3f}, \"cached_ms\": {:.1f}, \"uncached_ms\": {:.1f}, "
      "\"speedup\": {:.2f}, \"cached_tokens_per_second\": {:.0f}, \"peak_rss_mb\": {:.1f}}}\n",
      cached / 256.0, cached, uncached, uncached / cached, 256.0 / (cached / 1000.0), peak_rss_mb());
}
#endif

int parse_count(const char* flag, const char* text) {
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (*text == '\0' || *end != '\0' || v < 0 || v > 1000000)
    throw std::invalid_argument(fmt::format("{} needs a whole number from 0 to 1000000, got '{}'", flag, text));
  return static_cast<int>(v);
}

}  // namespace

int main(int argc, char** argv) {
  configure_process(argv);  // OpenBLAS's fastest kernels, malloc, threads (core/process.hpp)
  std::map<std::string, std::function<void(const Settings&)>> workloads{
      {"matmul", bench_matmul},   {"mha", bench_mha},
      {"seq2seq", bench_seq2seq}, {"transformer", bench_transformer},
      {"conv", bench_conv},       {"memory", bench_memory},
      {"tiny", bench_tiny}};
  std::vector<std::string> order{"matmul", "mha", "seq2seq", "transformer", "conv", "memory", "tiny"};
#if ATTOGRAD_BENCH_CAPTION
  workloads.emplace("caption", bench_caption);
  order.insert(order.end() - 1, "caption");  // before tiny, which the smoke test looks for last
#endif
#if ATTOGRAD_BENCH_LM
  workloads.emplace("lm", bench_lm);
  workloads.emplace("generate", bench_generate);
  order.insert(order.end() - 1, {"lm", "generate"});
#endif
  std::string names;  // "matmul mha …", for the usage and the error messages
  for (const std::string& name : order) names += (names.empty() ? "" : " ") + name;
  Settings settings;
  std::vector<std::string> chosen;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if (arg == "--profile") {
        settings.profile = true;
      } else if ((arg == "--iters" || arg == "--warmup") && i + 1 < argc) {
        (arg == "--iters" ? settings.iters : settings.warmup) = parse_count(arg.c_str(), argv[++i]);
      } else if (arg == "--help" || arg == "-h") {
        fmt::print(
            "usage: attograd-bench [workload ...] [--iters N] [--warmup N] [--profile]\nworkloads: {}\n--profile: "
            "after each workload, a table (on stderr) of where its timed steps' time went, per op\n",
            names);
        return 0;
      } else if (workloads.count(arg)) {
        chosen.push_back(arg);
      } else {
        throw std::invalid_argument(fmt::format("unknown argument '{}' (workloads: {})", arg, names));
      }
    }
    if (settings.iters == 0) throw std::invalid_argument("--iters must be at least 1");
  } catch (const std::exception& e) {
    fmt::print(stderr, "attograd-bench: {}\n", e.what());
    return 2;
  }
  if (chosen.empty()) chosen = order;
  // OpenBLAS starts its own worker threads when it loads, and they spin for about 0.1 s before
  // they sleep (attograd never gives them work: core/kernels/blas.hpp). A workload timed in that
  // window shares a core with them: matmul ran at 68 GFLOP/s instead of 270.
  let_openblas_threads_sleep();
  manual_seed(0);
  for (const std::string& name : chosen) {
    if (!settings.profile) {
      workloads.at(name)(settings);
      continue;
    }
    ProfileGuard profile;
    profile_guard = &profile;
    timed_steps_profile = profile.report();  // what matmul, which times no steps, shows
    workloads.at(name)(settings);
    profile_guard = nullptr;
    fmt::print(stderr, "\n{}: {} timed steps\n{}", name, settings.iters, timed_steps_profile.table());
  }
  return 0;
}
