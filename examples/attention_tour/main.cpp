// A tour of every attention family in attograd on one tiny fixed input: for each step, the
// formula, the shape and the numbers, so a learner can follow softmax(score) · values by hand.
// Each family is also checked: its weights sum to 1 on every row that may attend to something.
//
//   attention_tour [--family NAME]
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include <attograd/attograd.hpp>

using namespace attograd;
using nn::AttentionMask;
using nn::CausalAlignment;

namespace {

constexpr std::size_t B = 1, T = 3, S = 4, D = 4;  // batch, queries, keys, width
int failed_checks = 0;

// `text` padded with spaces to `width` columns on a terminal: UTF-8 continuation bytes and
// combining marks (U+0300-U+036F, as in h̃) take no column.
std::string padded(const std::string& text, std::size_t width) {
  std::size_t columns = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    const bool continuation = (byte & 0xC0) == 0x80;
    const bool combining =
        byte == 0xCC || (byte == 0xCD && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) < 0xB0);
    if (!continuation && !combining) ++columns;
  }
  return text + std::string(columns < width ? width - columns : 1, ' ');
}

// One printed step: the formula (left), the shape (right), then the values, one row of the last
// dim per line. Blocks of leading dims are labelled, e.g. [b=0, h=1], when there is more than one.
void show(const std::string& formula, const Array& a, bool with_row_sums = false) {
  std::printf("  %s%s\n", padded(formula, 48).c_str(), shape_str(a.shape()).c_str());
  const std::size_t rank = a.dimension();
  const std::size_t cols = rank == 0 ? 1 : a.shape()[rank - 1];
  const std::size_t rows_per_block = rank < 2 ? 1 : a.shape()[rank - 2];
  const std::size_t count = cols == 0 ? 0 : a.size() / cols;
  for (std::size_t r = 0; r < count; ++r) {
    if (rank > 2 && count > rows_per_block && r % rows_per_block == 0) {
      std::string label = "    [";
      std::size_t block = r / rows_per_block;
      std::vector<std::size_t> idx(rank - 2);
      for (std::size_t d = rank - 2; d-- > 0;) {
        idx[d] = block % a.shape()[d];
        block /= a.shape()[d];
      }
      const char* names[] = {"b", "h"};
      for (std::size_t d = 0; d < idx.size(); ++d)
        label += (d ? ", " : "") + std::string(d < 2 ? names[d] : "i") + "=" + std::to_string(idx[d]);
      std::printf("%s]\n", label.c_str());
    }
    std::printf("    [");
    float total = 0.0f;
    for (std::size_t c = 0; c < cols; ++c) {
      const float x = a.data()[r * cols + c];
      total += x;
      std::printf("%s%7.4f", c ? " " : "", x);
    }
    std::printf("]");
    if (with_row_sums) std::printf("  sum %.4f", total);
    std::printf("\n");
  }
}
void show(const std::string& formula, const Tensor& t, bool with_row_sums = false) {
  show(formula, t.value(), with_row_sums);
}

// The blocked positions of a mask as a grid: x = blocked, . = may attend.
void show_mask(const std::string& formula, const Mask& m) {
  std::printf("  %s%s  (x = blocked, . = allowed)\n", padded(formula, 48).c_str(), shape_str(m.shape()).c_str());
  const std::size_t cols = m.shape()[m.dimension() - 1];
  for (std::size_t r = 0; r < m.size() / cols; ++r) {
    std::printf("    ");
    for (std::size_t c = 0; c < cols; ++c) std::printf(" %c", m.data()[r * cols + c] ? 'x' : '.');
    std::printf("\n");
  }
}

// Every row of weights (…, T, S) sums to 1, except rows the mask blocks entirely: those are 0.
void check_rows(const std::string& what, const Tensor& weights, const Mask* blocked = nullptr) {
  const Array& w = weights.value();
  const std::size_t cols = w.shape()[w.dimension() - 1];
  float worst = 0.0f;
  std::size_t fully_masked = 0;
  for (std::size_t r = 0; r < w.size() / cols; ++r) {
    bool any_allowed = blocked == nullptr;
    float total = 0.0f;
    for (std::size_t c = 0; c < cols; ++c) {
      total += w.data()[r * cols + c];
      if (blocked && !blocked->data()[r * cols + c]) any_allowed = true;
    }
    if (!any_allowed) ++fully_masked;
    worst = std::max(worst, std::abs(total - (any_allowed ? 1.0f : 0.0f)));
  }
  const bool ok = worst < 1e-5f;
  if (!ok) ++failed_checks;
  std::printf("  check: %s: every row sums to 1", what.c_str());
  if (fully_masked)
    std::printf(" (%zu fully masked row%s sum%s to 0)", fully_masked, fully_masked > 1 ? "s" : "",
                fully_masked > 1 ? "" : "s");
  std::printf(": %s (largest error %.1e)\n", ok ? "yes" : "NO", worst);
}

float max_abs_diff(const Tensor& a, const Tensor& b) {
  float worst = 0.0f;
  for (std::size_t i = 0; i < a.numel(); ++i)
    worst = std::max(worst, std::abs(a.value().data()[i] - b.value().data()[i]));
  return worst;
}

void check_same(const std::string& what, const Tensor& a, const Tensor& b) {
  const float diff = max_abs_diff(a, b);
  const bool ok = a.shape() == b.shape() && diff < 1e-5f;
  if (!ok) ++failed_checks;
  std::printf("  check: %s: %s (largest difference %.1e)\n", what.c_str(), ok ? "yes" : "NO", diff);
}

// `code`: where to read the family next.
void header(int number, const std::string& title, const std::string& code) {
  std::printf("\n=== %d. %s ===\n  code: %s\n", number, title.c_str(), code.c_str());
}

// The tour's inputs: B = 1 sequence, T = 3 queries and S = 4 keys/values of width D = 4.
struct Inputs {
  Tensor q, k, v;  // (B, T, D), (B, S, D), (B, S, D)
};

Inputs make_inputs() {
  manual_seed(0);
  Inputs in;
  in.q = randn({B, T, D}, true);
  in.k = randn({B, S, D}, true);
  in.v = randn({B, S, D}, true);
  return in;
}

void tour_generic(const Inputs& in) {
  header(1, "generic attention: score -> softmax -> context", "nn/attention/attention_functional.hpp");
  std::printf("  Every family below is these three steps; only the score differs.\n");
  const Tensor scores = matmul(in.q, transpose(in.k, -2, -1)) / std::sqrt(float(D));
  show("scores = q kᵀ / √D", scores);
  const Tensor weights = nn::functional::masked_softmax(scores, AttentionMask::none());
  show("weights = softmax_j(scores)", weights, true);
  const Tensor context = matmul(weights, in.v);
  show("context = weights v", context);
  check_rows("weights", weights);
  const auto [output, sdpa_weights] = nn::functional::scaled_dot_product_attention(in.q, in.k, in.v);
  check_same("scaled_dot_product_attention(q, k, v) gives the same context", output, context);
}

void tour_bahdanau(const Inputs& in) {
  header(2, "Bahdanau additive attention (nn::AdditiveAttention)", "nn/attention/additive_attention.hpp");
  manual_seed(1);
  const nn::AdditiveAttention attention(/*query_dim=*/D, /*key_dim=*/D, /*attention_dim=*/D);
  std::printf("  score(q, k_j) = vᵀ tanh(W_q q + W_k k_j + b), with W_q (A, Dq), W_k (A, Dk), b (A), v (A); A = %zu\n",
              D);
  const Tensor q_proj = matmul(in.q, transpose(attention.query_weight, 0, 1));
  show("W_q q", q_proj);
  const Tensor k_proj = attention.project_keys(in.k);
  show("W_k k + b  (project_keys: once per sequence)", k_proj);
  const Tensor scores = nn::functional::additive_scores(q_proj, k_proj, attention.v);
  show("scores = vᵀ tanh(W_q q + W_k k + b)", scores);
  const auto [context, weights] = attention(in.q, in.k, in.v);
  show("weights = softmax_j(scores)", weights, true);
  show("context = weights v", context);
  check_rows("weights", weights);
  check_same("the layer's weights equal softmax of the scores above", weights,
             nn::functional::masked_softmax(scores, AttentionMask::none()));
}

void tour_luong(const Inputs& in) {
  header(3, "Luong attention: dot, general, concat, and h̃ (nn::LuongAttention)", "nn/attention/luong_attention.hpp");
  manual_seed(2);
  struct Kind {
    nn::LuongScore score;
    const char* name;
    const char* formula;
  };
  const Kind kinds[] = {{nn::LuongScore::Dot, "dot", "scores = qᵀ k_j"},
                        {nn::LuongScore::General, "general", "scores = qᵀ W_a k_j"},
                        {nn::LuongScore::Concat, "concat", "scores = v_aᵀ tanh(W_a [q; k_j])"}};
  for (const Kind& kind : kinds) {
    std::printf("  -- %s --\n", kind.name);
    const nn::LuongAttention attention(kind.score, /*query_dim=*/D, /*key_dim=*/D);
    show(kind.formula, attention.score(in.q, in.k));
    const auto [context, weights] = attention(in.q, in.k, in.v);
    show("weights = softmax_j(scores)", weights, true);
    show("context c = weights v", context);
    check_rows(std::string(kind.name) + " weights", weights);
    if (kind.score == nn::LuongScore::Dot) {
      // The attentional hidden state feeds the next layer (and the output softmax) in the paper.
      show("h̃ = tanh(W_c [c; q])  (W_c (Dq, Dv + Dq))", attention.attentional_hidden(context, in.q));
    }
  }
}

void tour_sdpa(const Inputs& in) {
  header(4, "scaled dot-product attention with masks (nn::AttentionMask)", "nn/attention/mask.hpp");
  std::printf("  output = softmax(q kᵀ / √D, blocked keys left out) v; a mask says in its name what it blocks.\n");
  const Shape scores_shape = {B, T, S};
  auto run = [&](const std::string& name, const std::string& title, const AttentionMask& mask) {
    std::printf("  -- %s --\n", title.c_str());
    const Mask blocked = mask.blocked_positions(scores_shape, "attention_tour");
    show_mask(mask.describe(), blocked);
    const auto [output, weights] = nn::functional::scaled_dot_product_attention(in.q, in.k, in.v, mask);
    show("weights", weights, true);
    check_rows(name + " weights", weights, &blocked);
  };
  // TopLeft: query i sees keys j <= i (training, T == S). BottomRight: the T queries are the
  // newest of S positions, so query i sees keys j <= i + S - T (decoding with a key/value cache).
  run("causal top-left", "causal, top-left: query i sees keys j <= i",
      AttentionMask::causal(T, S, CausalAlignment::TopLeft));
  run("causal bottom-right", "causal, bottom-right: query i sees keys j <= i + S - T",
      AttentionMask::causal(T, S, CausalAlignment::BottomRight));
  run("key padding", "key padding by lengths: the sequence has 2 real keys, then padding",
      AttentionMask::key_padding({2}, S));

  // Left padding plus a causal mask: query 0 may see only key 0, and key 0 is padding, so query 0
  // may attend to nothing. PyTorch gives NaN here; attograd gives weights 0, output 0 and finite
  // gradients.
  const Mask is_padding = {{true, false, false, false}};  // (B, S)
  const Tensor q = in.q.detach().requires_grad_();
  const AttentionMask mask =
      AttentionMask::padded_keys(is_padding) & AttentionMask::causal(T, S, CausalAlignment::TopLeft);
  std::printf("  -- a fully masked row: key 0 is padding, and causal top-left lets query 0 see only key 0 --\n");
  const Mask blocked = mask.blocked_positions(scores_shape, "attention_tour");
  show_mask(mask.describe(), blocked);
  const auto [output, weights] = nn::functional::scaled_dot_product_attention(q, in.k, in.v, mask);
  show("weights", weights, true);
  show("output = weights v", output);
  check_rows("weights", weights, &blocked);
  sum(output * output).backward();
  show("d(sum output²)/dq", q.grad());
  std::printf("  (query 1 may attend to key 1 only, so its weights cannot move: its gradient is 0 too)\n");
  bool ok = true;
  for (const float g : q.grad()) ok = ok && std::isfinite(g);
  for (std::size_t d = 0; d < D; ++d) ok = ok && q.grad()(0, 0, d) == 0.0f;
  if (!ok) ++failed_checks;
  std::printf("  check: every gradient is finite, and query 0's is 0: %s\n", ok ? "yes" : "NO");
}

void tour_self(const Inputs& in) {
  header(5, "self-attention: a sequence attends to itself (nn::SelfAttention)", "nn/attention/self_attention.hpp");
  manual_seed(3);
  const nn::SelfAttention attention(/*embed_dim=*/D, /*head_dim=*/D, /*causal=*/true);
  const Tensor& x = in.q;  // the T = 3 queries, now read as a sequence of 3 tokens of width E = 4
  show("x", x);
  const Tensor q = (*attention.query)(x), k = (*attention.key)(x), v = (*attention.value)(x);
  show("q = x W_qᵀ   (k = x W_kᵀ and v = x W_vᵀ alike)", q);
  const auto [output, weights] = attention(x);
  show("weights = softmax(q kᵀ / √D), causal", weights, true);
  show("output = weights v", output);
  check_rows("weights", weights);
  const auto [reference, reference_weights] =
      nn::functional::scaled_dot_product_attention(q, k, v, AttentionMask::causal(T, T, CausalAlignment::TopLeft));
  check_same("equals scaled_dot_product_attention(q, k, v, causal)", output, reference);
}

void tour_multihead(const Inputs& in) {
  header(6, "multi-head attention (nn::MultiheadAttention, per-head weights)", "nn/attention/multihead_attention.hpp");
  manual_seed(4);
  const std::size_t H = 2;
  const nn::MultiheadAttention attention(/*embed_dim=*/D, /*num_heads=*/H);
  std::printf("  head_h = softmax(q W_q,h (k W_k,h)ᵀ / √D_h) v W_v,h;  output = [head_1; head_2] W_oᵀ + b_o\n");
  std::printf("  E = %zu split over H = %zu heads of D_h = %zu\n", D, H, attention.head_dim());
  // q = x W_qᵀ + b_q with the first E rows of in_proj_weight; head h is its columns [h·D_h, (h+1)·D_h).
  const auto E = static_cast<std::int64_t>(D), Dh = static_cast<std::int64_t>(attention.head_dim());
  const Tensor q = linear(in.q, slice(attention.in_proj_weight, 0, 0, E), slice(attention.in_proj_bias, 0, 0, E));
  const auto batch = static_cast<std::int64_t>(q.shape()[0]), steps = static_cast<std::int64_t>(q.shape()[1]);
  const Tensor q_heads =
      permute(reshape(q, {batch, steps, static_cast<std::int64_t>(H), Dh}), {0, 2, 1, 3});  // (B, H, T, D_h)
  show("q split into heads: (B, T, E) -> (B, H, T, D_h)", q_heads);
  const auto [output, per_head] = attention(in.q, in.k, in.v, AttentionMask::none(), /*need_weights=*/true,
                                            /*average_attn_weights=*/false);
  show("weights per head", per_head, true);
  check_rows("per-head weights", per_head);
  const auto [same_output, averaged] = attention(in.q, in.k, in.v);
  show("weights averaged over heads (the default)", averaged, true);
  check_same("the average equals the mean of the heads", averaged, mean(per_head, {1}));
  show("output", output);
}

struct Family {
  const char* name;
  void (*run)(const Inputs&);
};
const Family families[] = {{"generic", tour_generic}, {"bahdanau", tour_bahdanau}, {"luong", tour_luong},
                           {"sdpa", tour_sdpa},       {"self", tour_self},         {"multihead", tour_multihead}};

std::string family_names() {
  std::string names;
  for (const Family& f : families) names += (names.empty() ? "" : ", ") + std::string(f.name);
  return names;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string usage = "usage: attention_tour [--family NAME]\n";
  std::string only;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::cout << usage
                << "  Walks through every attention family on one tiny fixed input (B=1, T=3 queries, S=4 keys,\n"
                   "  width 4, seeded), printing each step's formula, shape and values, and checking that the\n"
                   "  attention weights sum to 1 on every row that may attend to something.\n"
                   "  --family NAME   print one family only: "
                << family_names() << "\n";
      return 0;
    }
    if (std::strcmp(argv[i], "--family") == 0 && i + 1 == argc) {
      std::cerr << usage << "  --family needs a NAME: " << family_names() << "\n";
      return 2;
    }
    if (std::strcmp(argv[i], "--family") == 0) {
      only = argv[++i];
      bool known = false;
      for (const Family& f : families) known = known || only == f.name;
      if (!known) {
        std::cerr << usage << "  unknown family: " << only << " (the families are: " << family_names() << ")\n";
        return 2;
      }
    } else {
      std::cerr << usage << "  unknown argument: " << argv[i] << " (try --help)\n";
      return 2;
    }
  }

  const Inputs in = make_inputs();
  std::printf("attention_tour: B = %zu sequence, T = %zu queries, S = %zu keys and values, width D = %zu, seed 0\n", B,
              T, S, D);
  show("q (queries)", in.q);
  show("k (keys)", in.k);
  show("v (values)", in.v);
  for (const Family& f : families)
    if (only.empty() || only == f.name) f.run(in);

  if (failed_checks) {
    std::printf("\n%d check(s) FAILED\n", failed_checks);
    return 1;
  }
  std::printf("\nall checks passed\n");
  return 0;
}
