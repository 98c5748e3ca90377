// libtorch-bench: attograd-bench's training-step workloads written with libtorch's C++ frontend
// (Debian 12's libtorch-dev 1.13), one JSON object per line, for comparing attograd with PyTorch
// without Python's overhead.
//
//   libtorch-bench [mha] [transformer] [seq2seq] [conv] [caption] [lm] [generate] [--iters N] [--warmup N]
//                  [--threads N]
//
// Each workload mirrors bench/main.cpp and bench/compare_torch.py: the same model, sizes, batch,
// loss, optimizer (Adam or AdamW, same learning rate) and gradient clipping, written as a libtorch
// user would (torch::nn modules where libtorch has them; Bahdanau additive attention, which it
// lacks, from tensor ops; the GPT's pre-LN block, which 1.13's TransformerEncoderLayer cannot be,
// from MultiheadAttention, Linear and LayerNorm). The figure is the median wall time of --iters
// steps after --warmup steps; generate's is the median of min(iters, 3) whole generations after
// one, over the 256 new tokens (ms_per_token), as attograd-bench's.
// --threads N calls torch::set_num_threads(N) and at::set_num_interop_threads(1) before anything
// else; without it libtorch keeps its defaults. libtorch on Debian does its GEMMs in OpenBLAS,
// which has threads of its own: set OPENBLAS_NUM_THREADS as well to control those.
//
// Built only with -DATTOGRAD_BUILD_LIBTORCH_BENCH=ON when libtorch-dev is installed
// (bench/CMakeLists.txt).
#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "peak_rss.hpp"

namespace F = torch::nn::functional;

namespace {

struct Settings {
  int iters = 20;
  int warmup = 3;
};

double median(std::vector<double> times) {
  std::nth_element(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2), times.end());
  return times[times.size() / 2];
}

double median_ms(const Settings& s, const std::function<void()>& step) {
  for (int i = 0; i < s.warmup; ++i) step();
  std::vector<double> times;
  for (int i = 0; i < s.iters; ++i) {
    const auto start = std::chrono::steady_clock::now();
    step();
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  return median(std::move(times));
}

const char* blas_corename() {
  using Fn = char* (*)();
  const auto fn = reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  return fn != nullptr ? fn() : "unknown";
}

int64_t count(const std::vector<torch::Tensor>& parameters) {
  int64_t n = 0;
  for (const torch::Tensor& p : parameters) n += p.numel();
  return n;
}

// One JSON line: the workload, its figures (already formatted, "key": value, …), and the settings
// and the model it ran with.
void print_json(const char* name, const std::string& figures, int64_t parameters) {
  std::printf(
      "{\"workload\": \"%s\", %s, \"threads\": %d, \"interop_threads\": %d, \"openblas_core\": \"%s\", "
      "\"parameters\": %lld, \"peak_rss_mb\": %.1f}\n",
      name, figures.c_str(), torch::get_num_threads(), at::get_num_interop_threads(), blas_corename(),
      static_cast<long long>(parameters), peak_rss_mb());
  std::fflush(stdout);
}

void print_step(const char* name, int64_t parameters, double ms, double flops = 0.0) {
  char buf[160];
  if (flops > 0.0)
    std::snprintf(buf, sizeof buf, "\"ms_per_step\": %.3f, \"flops_per_step\": %.0f, \"gflops\": %.2f", ms, flops,
                  flops / ms / 1e6);
  else
    std::snprintf(buf, sizeof buf, "\"ms_per_step\": %.3f", ms);
  print_json(name, buf, parameters);
}

// mha: MultiheadAttention(256, 8) self-attention on 16 sequences of 64, forward, mean(out²),
// backward, Adam (lr 1e-4). libtorch 1.13's C++ module has no batch_first: it takes (T, B, E),
// so the input is laid out that way once, outside the step.
void bench_mha(const Settings& s) {
  torch::nn::MultiheadAttention mha(torch::nn::MultiheadAttentionOptions(256, 8));
  torch::optim::Adam adam(mha->parameters(), torch::optim::AdamOptions(1e-4));
  const torch::Tensor x = torch::randn({16, 64, 256}).transpose(0, 1).contiguous();  // (T, B, E)
  print_step("mha", count(mha->parameters()), median_ms(s, [&] {
               adam.zero_grad();
               const torch::Tensor out = std::get<0>(mha->forward(x, x, x, {}, /*need_weights=*/false));
               (out * out).mean().backward();
               adam.step();
             }));
}

// transformer: nn::Transformer(d_model 128, 4 heads, 2 + 2 layers, feed-forward 256, no dropout)
// between two embeddings of a 64-word vocabulary and a Linear(128, 64) head; batch 32 of
// length 16, causal target mask, cross-entropy, Adam (lr 1e-4). Sequence-first (no batch_first
// in libtorch 1.13's C++ Transformer): the ids are transposed once, outside the step.
struct TransformerModelImpl : torch::nn::Module {
  static constexpr int64_t V = 64, D = 128;
  torch::nn::Embedding src_embed{nullptr}, tgt_embed{nullptr};
  torch::nn::Transformer transformer{nullptr};
  torch::nn::Linear out{nullptr};

  TransformerModelImpl() {
    src_embed = register_module("src_embed", torch::nn::Embedding(V, D));
    tgt_embed = register_module("tgt_embed", torch::nn::Embedding(V, D));
    transformer = register_module(
        "transformer",
        torch::nn::Transformer(torch::nn::TransformerOptions(D, 4, 2, 2).dim_feedforward(256).dropout(0.0)));
    out = register_module("out", torch::nn::Linear(D, V));
  }

  // src, tgt_in, tgt_out: (L, B) ids; mask: (L, L).
  torch::Tensor loss(const torch::Tensor& src, const torch::Tensor& tgt_in, const torch::Tensor& tgt_out,
                     const torch::Tensor& mask) {
    const torch::Tensor y = transformer->forward(src_embed->forward(src), tgt_embed->forward(tgt_in), {}, mask);
    return F::cross_entropy(out->forward(y).reshape({-1, V}), tgt_out.reshape({-1}));
  }
};
TORCH_MODULE(TransformerModel);

void bench_transformer(const Settings& s) {
  constexpr int64_t V = 64, B = 32, L = 16;
  TransformerModel model;
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(1e-4));
  const torch::Tensor src = torch::randint(0, V, {B, L}).t().contiguous();
  const torch::Tensor tgt_in = torch::randint(0, V, {B, L}).t().contiguous();
  const torch::Tensor tgt_out = torch::randint(0, V, {B, L}).t().contiguous();
  const torch::Tensor mask = torch::nn::TransformerImpl::generate_square_subsequent_mask(L);
  print_step("transformer", count(model->parameters()), median_ms(s, [&] {
               adam.zero_grad();
               model->loss(src, tgt_in, tgt_out, mask).backward();
               adam.step();
             }));
}

// seq2seq: GRU encoder (E 64 → H 128, batch first) and a GRUCell decoder fed [embedding,
// context] with Bahdanau additive attention (v·tanh(W_q h + W_k m), W_k with the bias; keys
// projected once for all steps), output Linear(H + H, V) over [h, context] (once, after the loop,
// over every step's [h, context]: attograd-bench does the same); V = 64, batch 32,
// 16 source and 16 target steps, teacher forced, cross-entropy, Adam (lr 1e-3).
struct Seq2SeqImpl : torch::nn::Module {
  static constexpr int64_t V = 64, E = 64, H = 128;
  torch::nn::Embedding src_embed{nullptr}, tgt_embed{nullptr};
  torch::nn::GRU encoder{nullptr};
  torch::nn::Linear W_q{nullptr}, W_k{nullptr}, v{nullptr};
  torch::nn::GRUCell decoder{nullptr};
  torch::nn::Linear out{nullptr};

  Seq2SeqImpl() {
    src_embed = register_module("src_embed", torch::nn::Embedding(V, E));
    tgt_embed = register_module("tgt_embed", torch::nn::Embedding(V, E));
    encoder = register_module("encoder", torch::nn::GRU(torch::nn::GRUOptions(E, H).batch_first(true)));
    W_q = register_module("W_q", torch::nn::Linear(torch::nn::LinearOptions(H, H).bias(false)));
    W_k = register_module("W_k", torch::nn::Linear(torch::nn::LinearOptions(H, H).bias(true)));
    v = register_module("v", torch::nn::Linear(torch::nn::LinearOptions(H, 1).bias(false)));
    decoder = register_module("decoder", torch::nn::GRUCell(torch::nn::GRUCellOptions(E + H, H)));
    out = register_module("out", torch::nn::Linear(H + H, V));
  }

  // src, tgt_in, tgt_out: (B, S) ids.
  torch::Tensor loss(const torch::Tensor& src, const torch::Tensor& tgt_in, const torch::Tensor& tgt_out) {
    auto [memory, h_n] = encoder->forward(src_embed->forward(src));  // (B, S, H), (1, B, H)
    torch::Tensor h = h_n[0];                                        // (B, H)
    const torch::Tensor keys = W_k->forward(memory);                 // (B, S, H)
    const torch::Tensor embedded = tgt_embed->forward(tgt_in);       // (B, T, E)
    std::vector<torch::Tensor> features;
    for (int64_t t = 0; t < tgt_in.size(1); ++t) {
      const torch::Tensor scores = v->forward(torch::tanh(W_q->forward(h).unsqueeze(1) + keys)).squeeze(-1);  // (B, S)
      const torch::Tensor weights = torch::softmax(scores, -1);
      const torch::Tensor context = torch::bmm(weights.unsqueeze(1), memory).squeeze(1);  // (B, H)
      h = decoder->forward(torch::cat({embedded.select(1, t), context}, 1), h);
      features.push_back(torch::cat({h, context}, 1));  // (B, 2H)
    }
    const torch::Tensor logits = out->forward(torch::stack(features, 1));  // (B, T, V): once, after the loop
    return F::cross_entropy(logits.reshape({-1, V}), tgt_out.reshape({-1}));
  }
};
TORCH_MODULE(Seq2Seq);

void bench_seq2seq(const Settings& s) {
  constexpr int64_t V = 64, B = 32, S = 16, T = 16;
  Seq2Seq model;
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(1e-3));
  const torch::Tensor src = torch::randint(0, V, {B, S});
  const torch::Tensor tgt_in = torch::randint(0, V, {B, T});
  const torch::Tensor tgt_out = torch::randint(0, V, {B, T});
  print_step("seq2seq", count(model->parameters()), median_ms(s, [&] {
               adam.zero_grad();
               model->loss(src, tgt_in, tgt_out).backward();
               adam.step();
             }));
}

// conv: the caption encoder's first two blocks, forward and backward, no optimizer:
// (32, 3, 48, 48) → conv 3×3 (3 → 16, pad 1) → ReLU → max-pool 2 → conv 3×3 (16 → 32, pad 1)
// → ReLU → max-pool 2, sum, backward; gradients set to none before each step, as attograd's
// zero_grad. FLOPs per step as bench/main.cpp counts them (637 009 920).
void bench_conv(const Settings& s) {
  constexpr double conv1 = 2.0 * 32 * 16 * 48 * 48 * 3 * 3 * 3, conv2 = 2.0 * 32 * 32 * 24 * 24 * 16 * 3 * 3;
  torch::nn::Sequential net(torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 16, 3).padding(1)), torch::nn::ReLU(),
                            torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)),
                            torch::nn::Conv2d(torch::nn::Conv2dOptions(16, 32, 3).padding(1)), torch::nn::ReLU(),
                            torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)));
  const torch::Tensor x = torch::rand({32, 3, 48, 48});  // no grad
  const double ms = median_ms(s, [&] {
    net->zero_grad(/*set_to_none=*/true);
    net->forward(x).sum().backward();
  });
  print_step("conv", count(net->parameters()), ms, 2 * conv1 + 3 * conv2);
}

// caption: examples/caption's ShowAttendTell (kind sat) with its defaults, as compare_torch.py
// writes it: a 4-block CNN encoder (3 → 16 → 32 → 32 → 32, each conv 3×3 pad 1, ReLU, max-pool 2)
// to a 3×3 grid of 32-wide features plus a learned position embedding (N(0, 0.1)); h and c from
// tanh(Linear(mean feature)); additive attention (W_q h + W_k a + b, v uniform ±1/√H); a sigmoid
// gate beta(h) on the context; LSTMCell(E + D → H); Linear(H + D → V). V 26, E 32, H 128, batch 32
// of 48×48 images, 21 steps (20 words then EOS), BOS first, teacher forced; cross-entropy with
// ignore_index 0, gradients set to none, clip_grad_norm_(5), Adam (lr 3e-3).
struct CaptionEncoderImpl : torch::nn::Module {
  static constexpr int64_t D = 32, L = 9;
  torch::nn::Sequential cnn{nullptr};
  torch::nn::Embedding position{nullptr};

  CaptionEncoderImpl() {
    torch::nn::Sequential layers;
    const int64_t channels[][2] = {{3, D / 2}, {D / 2, D}, {D, D}, {D, D}};
    for (const auto& c : channels) {
      layers->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(c[0], c[1], 3).padding(1)));
      layers->push_back(torch::nn::ReLU());
      layers->push_back(torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)));
    }
    cnn = register_module("cnn", layers);
    position = register_module("position", torch::nn::Embedding(L, D));
    torch::nn::init::normal_(position->weight, 0.0, 0.1);
  }

  torch::Tensor forward(const torch::Tensor& images) {
    const torch::Tensor grid = cnn->forward(images).flatten(2).transpose(1, 2);  // (B, L, D)
    return grid + position->forward(torch::arange(grid.size(1)));
  }
};
TORCH_MODULE(CaptionEncoder);

struct ShowAttendTellImpl : torch::nn::Module {
  static constexpr int64_t V = 26, D = 32, E = 32, H = 128;
  CaptionEncoder encoder{nullptr};
  torch::nn::Linear init_h{nullptr}, init_c{nullptr};
  torch::nn::Embedding embed{nullptr};
  torch::nn::Linear W_q{nullptr}, W_k{nullptr};
  torch::Tensor v;
  torch::nn::Linear beta{nullptr};
  torch::nn::LSTMCell cell{nullptr};
  torch::nn::Linear out{nullptr};

  ShowAttendTellImpl() {
    encoder = register_module("encoder", CaptionEncoder());
    init_h = register_module("init_h", torch::nn::Linear(D, H));
    init_c = register_module("init_c", torch::nn::Linear(D, H));
    embed = register_module("embed", torch::nn::Embedding(torch::nn::EmbeddingOptions(V, E).padding_idx(0)));
    W_q = register_module("W_q", torch::nn::Linear(torch::nn::LinearOptions(H, H).bias(false)));
    W_k = register_module("W_k", torch::nn::Linear(torch::nn::LinearOptions(D, H).bias(true)));
    const double bound = 1.0 / std::sqrt(static_cast<double>(H));
    v = register_parameter("v", torch::empty({H}).uniform_(-bound, bound));
    beta = register_module("beta", torch::nn::Linear(H, 1));
    cell = register_module("cell", torch::nn::LSTMCell(E + D, H));
    out = register_module("out", torch::nn::Linear(H + D, V));
  }

  torch::Tensor loss(const torch::Tensor& images, const torch::Tensor& captions) {
    const torch::Tensor grid = encoder->forward(images);  // (B, L, D)
    const torch::Tensor mean = grid.mean(1);              // (B, D)
    torch::Tensor h = torch::tanh(init_h->forward(mean)), c = torch::tanh(init_c->forward(mean));
    const torch::Tensor keys = W_k->forward(grid);                              // (B, L, H), once for all steps
    torch::Tensor previous = torch::full({captions.size(0)}, 1, torch::kLong);  // BOS
    std::vector<torch::Tensor> logits;
    for (int64_t t = 0; t < captions.size(1); ++t) {
      const torch::Tensor scores = torch::matmul(torch::tanh(W_q->forward(h).unsqueeze(1) + keys), v);  // (B, L)
      const torch::Tensor alpha = torch::softmax(scores, -1);
      const torch::Tensor context = torch::bmm(alpha.unsqueeze(1), grid).squeeze(1);  // (B, D)
      const torch::Tensor z = torch::sigmoid(beta->forward(h)) * context;
      std::tie(h, c) = cell->forward(torch::cat({embed->forward(previous), z}, -1), std::make_tuple(h, c));
      logits.push_back(out->forward(torch::cat({h, z}, -1)));  // (B, V)
      previous = captions.select(1, t);                        // teacher forcing
    }
    return F::cross_entropy(torch::stack(logits, 1).reshape({-1, V}), captions.reshape({-1}),
                            F::CrossEntropyFuncOptions().ignore_index(0));
  }
};
TORCH_MODULE(ShowAttendTell);

void bench_caption(const Settings& s) {
  constexpr int64_t V = 26, B = 32, T = 21;
  ShowAttendTell model;
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(3e-3));
  const torch::Tensor images = torch::rand({B, 3, 48, 48});
  const torch::Tensor captions =
      torch::cat({torch::randint(4, V, {B, T - 1}), torch::full({B, 1}, 2, torch::kLong)}, 1);  // words, then EOS
  print_step("caption", count(model->parameters()), median_ms(s, [&] {
               model->zero_grad(/*set_to_none=*/true);  // as attograd's zero_grad
               model->loss(images, captions).backward();
               torch::nn::utils::clip_grad_norm_(model->parameters(), 5.0);
               adam.step();
             }));
}

// lm and generate: examples/lm's GPT (kind gpt, untied, no dropout), as compare_torch.py writes it:
// token + learned position embeddings, L pre-LN blocks x + attn(LN(x)), then x + MLP(LN(x)) with a
// GELU MLP of 4E, a final LayerNorm, a bias-free Linear head. 1.13's TransformerEncoderLayer has no
// norm_first, so each block is built from MultiheadAttention, Linear and LayerNorm. Training runs
// sequence first, as MultiheadAttention takes it, with a float causal mask (-inf above the
// diagonal). Generation cannot use MultiheadAttention::forward with a cache (it projects every key
// and value it is given), so forward_step runs the same block on the new positions only: its
// in_proj_weight/bias for q, k, v, keys and values of the earlier positions kept per layer and
// grown with torch::cat, its out_proj, as a user writes a key/value cache (HF's GPT-2 past_key_values).
// Parameters at V 65, E 128, 4 layers: 818 176 with context 64 (lm), 875 520 with context 512
// (generate), as attograd's lm reports (tokens V·E, positions C·E, per layer 12E² + 13E, final
// norm 2E, head E·V).
struct GPTBlockImpl : torch::nn::Module {
  int64_t E, H;
  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
  torch::nn::MultiheadAttention self_attn{nullptr};
  torch::nn::Linear linear1{nullptr}, linear2{nullptr};

  GPTBlockImpl(int64_t embed, int64_t heads) : E(embed), H(heads) {
    norm1 = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({E})));
    self_attn = register_module("self_attn", torch::nn::MultiheadAttention(E, H));
    norm2 = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({E})));
    linear1 = register_module("linear1", torch::nn::Linear(E, 4 * E));
    linear2 = register_module("linear2", torch::nn::Linear(4 * E, E));
  }

  torch::Tensor mlp(const torch::Tensor& x) {
    return x + linear2->forward(F::gelu(linear1->forward(norm2->forward(x))));
  }

  // Training: x (T, B, E), mask (T, T).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask) {
    const torch::Tensor h = norm1->forward(x);
    return mlp(x + std::get<0>(self_attn->forward(h, h, h, {}, /*need_weights=*/false, mask)));
  }

  // Generation: x (B, t, E), the new positions only; keys and values (B, H, S, E/H) of the S
  // positions before (undefined at first) get these t appended.
  torch::Tensor forward_step(const torch::Tensor& x, torch::Tensor& keys, torch::Tensor& values) {
    const int64_t B = x.size(0), t = x.size(1), D = E / H;
    const torch::Tensor qkv = F::linear(norm1->forward(x), self_attn->in_proj_weight, self_attn->in_proj_bias)
                                  .view({B, t, 3, H, D})
                                  .permute({2, 0, 3, 1, 4});  // (3, B, H, t, D)
    keys = keys.defined() ? torch::cat({keys, qkv[1]}, 2) : qkv[1];
    values = values.defined() ? torch::cat({values, qkv[2]}, 2) : qkv[2];
    const int64_t S = keys.size(2);
    torch::Tensor scores = torch::matmul(qkv[0], keys.transpose(-2, -1)) / std::sqrt(static_cast<double>(D));
    if (t > 1)  // the prefill: position S - t + i sees keys 0 … S - t + i
      scores = scores.masked_fill(torch::ones({t, S}, torch::kBool).triu(S - t + 1),
                                  -std::numeric_limits<float>::infinity());
    const torch::Tensor y = torch::matmul(scores.softmax(-1), values).transpose(1, 2).reshape({B, t, E});
    return mlp(x + self_attn->out_proj->forward(y));
  }
};
TORCH_MODULE(GPTBlock);

struct GPTImpl : torch::nn::Module {
  torch::nn::Embedding tokens{nullptr}, positions{nullptr};
  std::vector<GPTBlock> blocks;
  torch::nn::LayerNorm norm{nullptr};
  torch::nn::Linear head{nullptr};

  GPTImpl(int64_t V, int64_t C, int64_t E, int64_t L, int64_t H) {
    tokens = register_module("tokens", torch::nn::Embedding(V, E));
    positions = register_module("positions", torch::nn::Embedding(C, E));
    for (int64_t l = 0; l < L; ++l) blocks.push_back(register_module("block" + std::to_string(l), GPTBlock(E, H)));
    norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({E})));
    head = register_module("head", torch::nn::Linear(torch::nn::LinearOptions(E, V).bias(false)));
  }

  // ids (T, B) -> logits (T, B, V); mask (T, T).
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& mask) {
    torch::Tensor x = tokens->forward(ids) + positions->forward(torch::arange(ids.size(0))).unsqueeze(1);
    for (GPTBlock& block : blocks) x = block->forward(x, mask);
    return head->forward(norm->forward(x));
  }

  // ids (B, t) at the positions after the cached ones -> logits (B, t, V); keys and values: one
  // per layer, grown by t.
  torch::Tensor forward_step(const torch::Tensor& ids, std::vector<torch::Tensor>& keys,
                             std::vector<torch::Tensor>& values) {
    const int64_t start = keys[0].defined() ? keys[0].size(2) : 0;
    torch::Tensor x = tokens->forward(ids) + positions->forward(torch::arange(start, start + ids.size(1)));
    for (size_t l = 0; l < blocks.size(); ++l) x = blocks[l]->forward_step(x, keys[l], values[l]);
    return head->forward(norm->forward(x));
  }
};
TORCH_MODULE(GPT);

// lm: one training step of the GPT at nanoGPT's CPU shape: 4 layers, 4 heads, E 128, context 64,
// V 65, batch 12 of random ids and random targets; gradients set to none, mean cross-entropy over
// all B·T positions, backward, clip_grad_norm_(1.0), AdamW (lr 1e-3, betas 0.9/0.99, eps 1e-8,
// weight decay 0.1 on every parameter). The ids are laid out (T, B) once, outside the step.
void bench_lm(const Settings& s) {
  constexpr int64_t B = 12, T = 64, V = 65;
  GPT model(V, T, 128, 4, 4);
  model->train();
  torch::optim::AdamW adamw(
      model->parameters(),
      torch::optim::AdamWOptions(1e-3).betas(std::make_tuple(0.9, 0.99)).eps(1e-8).weight_decay(0.1));
  const torch::Tensor inputs = torch::randint(0, V, {B, T}).t().contiguous();  // (T, B)
  const torch::Tensor targets = torch::randint(0, V, {B, T}).t().contiguous();
  const torch::Tensor mask = torch::nn::TransformerImpl::generate_square_subsequent_mask(T);
  print_step("lm", count(model->parameters()), median_ms(s, [&] {
               model->zero_grad(/*set_to_none=*/true);  // as attograd's zero_grad
               F::cross_entropy(model->forward(inputs, mask).reshape({-1, V}), targets.reshape({-1})).backward();
               torch::nn::utils::clip_grad_norm_(model->parameters(), 1.0);
               adamw.step();
             }));
}

// generate: the GPT with a context of 512 in eval mode under InferenceMode (no grad); a random
// 64-token prompt, then 256 new tokens greedy (argmax) with the key/value cache: one prefill of
// the prompt, then one position per step (256 forwards in all, as seq::generate). The figure is the
// median of min(iters, 3) generations after one, over the 256 tokens, prefill included.
void bench_generate(const Settings& s) {
  constexpr int64_t V = 65, layers = 4, new_tokens = 256;
  GPT model(V, 512, 128, layers, 4);
  model->eval();
  const torch::Tensor prompt = torch::randint(0, V, {1, 64});
  const double ms = median_ms({std::min(s.iters, 3), 1}, [&] {
    c10::InferenceMode no_grad;
    std::vector<torch::Tensor> keys(layers), values(layers), text{prompt};
    torch::Tensor next = prompt;
    for (int64_t i = 0; i < new_tokens; ++i) {
      next = model->forward_step(next, keys, values).select(1, -1).argmax(-1, /*keepdim=*/true);  // (1, 1)
      text.push_back(next);
    }
    torch::cat(text, 1);  // (1, 64 + 256): the text, as seq::generate returns it
  });
  char buf[160];
  std::snprintf(buf, sizeof buf, "\"ms_per_token\": %.3f, \"cached_ms\": %.1f, \"cached_tokens_per_second\": %.0f",
                ms / new_tokens, ms, new_tokens / (ms / 1000.0));
  print_json("generate", buf, count(model->parameters()));
}

// As attograd's blas::use_cpu_kernels: Debian 12's OpenBLAS 0.3.21 falls back to its Prescott
// (SSE3) kernels on CPUs newer than it; run again with the kernels attograd uses, so both sides
// do their GEMMs in the same code. Set OPENBLAS_CORETYPE or ATTOGRAD_KEEP_BLAS=1 to choose.
void use_cpu_kernels(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr || std::getenv("ATTOGRAD_KEEP_BLAS") != nullptr) return;
  if (std::strcmp(blas_corename(), "Prescott") != 0) return;
  const char* better = __builtin_cpu_supports("avx512f") ? "SkylakeX"
                       : __builtin_cpu_supports("avx2")  ? "Haswell"
                                                         : nullptr;
  if (better == nullptr) return;
  std::fprintf(stderr, "libtorch-bench: OpenBLAS chose its Prescott kernels; running again with OPENBLAS_CORETYPE=%s\n",
               better);
  std::fflush(stderr);
  setenv("OPENBLAS_CORETYPE", better, 1);
  execv("/proc/self/exe", argv);
  std::fprintf(stderr, "libtorch-bench: could not run again (%s); going on with the Prescott kernels\n",
               std::strerror(errno));
}

int parse_count(const std::string& flag, const char* text) {
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (*text == '\0' || *end != '\0' || v < 0 || v > 1000000)
    throw std::invalid_argument(flag + " needs a whole number from 0 to 1000000, got '" + text + "'");
  return static_cast<int>(v);
}

}  // namespace

int main(int argc, char** argv) {
  use_cpu_kernels(argv);  // may run this program again, with OPENBLAS_CORETYPE set
  const std::vector<std::string> order{"mha", "transformer", "seq2seq", "conv", "caption", "lm", "generate"};
  const std::map<std::string, std::function<void(const Settings&)>> workloads{
      {"mha", bench_mha},          {"transformer", bench_transformer}, {"seq2seq", bench_seq2seq},
      {"conv", bench_conv},        {"caption", bench_caption},         {"lm", bench_lm},
      {"generate", bench_generate}};
  std::string names;
  for (const std::string& name : order) names += (names.empty() ? "" : " ") + name;
  Settings settings;
  int threads = 0;  // 0: libtorch's default
  std::vector<std::string> chosen;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if ((arg == "--iters" || arg == "--warmup" || arg == "--threads") && i + 1 < argc) {
        const int n = parse_count(arg, argv[++i]);
        (arg == "--iters" ? settings.iters : arg == "--warmup" ? settings.warmup : threads) = n;
      } else if (arg == "--help" || arg == "-h") {
        std::printf("usage: libtorch-bench [workload ...] [--iters N] [--warmup N] [--threads N]\nworkloads: %s\n",
                    names.c_str());
        return 0;
      } else if (workloads.count(arg) != 0) {
        chosen.push_back(arg);
      } else {
        throw std::invalid_argument("unknown argument '" + arg + "' (workloads: " + names + ")");
      }
    }
    if (settings.iters == 0) throw std::invalid_argument("--iters must be at least 1");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "libtorch-bench: %s\n", e.what());
    return 2;
  }
  if (threads > 0) {  // before any parallel work starts, as at::set_num_interop_threads requires
    torch::set_num_threads(threads);
    at::set_num_interop_threads(1);
  }
  if (chosen.empty()) chosen = order;
  torch::manual_seed(0);
  for (const std::string& name : chosen) workloads.at(name)(settings);
  return 0;
}
