// Agreement with PyTorch for every core op, on the committed fixtures written by
// tests/golden/make_core_fixtures.py (see its header for the file's layout and precision).
//
// A case replays one fixture case: its inputs become leaves, the op runs, every output is
// compared with PyTorch's, then backward runs from the stored upstream gradient and every
// input's gradient is compared. The bar is 1e-5 relative with 1e-6 absolute (for entries near
// zero, where float32 rounding of a sum cannot be relatively small). A missing fixture entry
// fails the case; a fixture case without a row here fails the coverage test.
// Set ATTOGRAD_GOLDEN_VERBOSE=1 to print each comparison's worst error (as a fraction of the
// tolerance, and relative).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <iterator>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include <xtensor/xmath.hpp>

#include <attograd/core/core.hpp>

#include "../support/composite_paths.hpp"
#include "../support/gradcheck.hpp"

using namespace attograd;

namespace {

const SafetensorsContent& fixture() {
  static const SafetensorsContent content =
      load_safetensors(std::string(ATTOGRAD_TEST_DATA_DIR) + "/golden/data/core_ops.safetensors");
  return content;
}

// What a case's function sees: its inputs as leaves, and the case's integer data on request.
struct Args {
  std::string name;
  std::vector<Tensor> in;
  const Tensor& operator[](std::size_t i) const {
    if (i >= in.size()) throw std::out_of_range(name + ".in" + std::to_string(i) + " is not in the fixture");
    return in[i];
  }
  Index ids() const { return xt::cast<std::int64_t>(fixture().at(name + ".ids")); }
  Mask mask() const { return xt::cast<bool>(fixture().at(name + ".mask")); }
};

using Outputs = std::vector<Tensor>;
Outputs outputs(Tensor t) { return {std::move(t)}; }
Outputs outputs(Outputs ts) { return ts; }
Outputs outputs(const Index& ids) { return {Tensor(xt::cast<float>(ids))}; }  // gradient-free results
Outputs outputs(const Mask& mask) { return {Tensor(xt::cast<float>(mask))}; }

struct Case {
  std::string name;   // the fixture's case
  std::string label;  // what the section is called
  std::function<Outputs(const Args&)> run;
};

// Collects rows: row("exp", [](A a) { return exp(a[0]); }) checks the op on fixture case "exp".
struct Table {
  std::vector<Case> cases;
  template <class F>
  void row(const std::string& name, F f, const std::string& variant = "") {
    cases.push_back(
        {name, variant.empty() ? name : name + " via " + variant, [f](const Args& a) { return outputs(f(a)); }});
  }
};
using A = const Args&;
using T = const Tensor&;

Table elementwise() {
  Table t;
  const std::vector<std::pair<std::string, std::function<Tensor(T, T)>>> binary = {
      {"add", [](T a, T b) { return a + b; }},
      {"sub", [](T a, T b) { return a - b; }},
      {"mul", [](T a, T b) { return a * b; }},
      {"div", [](T a, T b) { return a / b; }}};
  for (const auto& [op, f] : binary)
    for (const char* shapes : {"same", "bcast_right", "bcast_left", "bcast_both"})
      t.row(op + "_" + shapes, [f = f](A a) { return f(a[0], a[1]); });
  const std::vector<std::pair<std::string, std::function<Tensor(T)>>> unary = {
      {"add_scalar", [](T x) { return x + 2.5f; }},
      {"radd_scalar", [](T x) { return 1.5f + x; }},
      {"sub_scalar", [](T x) { return x - 1.25f; }},
      {"rsub_scalar", [](T x) { return 2.0f - x; }},
      {"mul_scalar", [](T x) { return x * -1.5f; }},
      {"rmul_scalar", [](T x) { return 3.0f * x; }},
      {"div_scalar", [](T x) { return x / 4.0f; }},
      {"rdiv_scalar", [](T x) { return 3.0f / x; }},
      {"neg", [](T x) { return -x; }},
      {"pow_2", [](T x) { return pow(x, 2.0f); }},
      {"pow_3", [](T x) { return pow(x, 3.0f); }},
      {"pow_half", [](T x) { return pow(x, 0.5f); }},
      {"pow_m1_5", [](T x) { return pow(x, -1.5f); }},
      {"exp", [](T x) { return exp(x); }},
      {"log", [](T x) { return log(x); }},
      {"sqrt", [](T x) { return sqrt(x); }},
      {"abs", [](T x) { return abs(x); }},
      {"abs_edges", [](T x) { return abs(x); }},
      {"tanh", [](T x) { return tanh(x); }},
      {"sigmoid", [](T x) { return sigmoid(x); }},
      {"relu", [](T x) { return relu(x); }},
      {"relu_edges", [](T x) { return relu(x); }},
      {"gelu", [](T x) { return gelu(x); }},
      {"gelu_tanh", [](T x) { return gelu(x, true); }},
      {"clamp", [](T x) { return clamp(x, -0.5f, 0.75f); }},
      {"clamp_edges", [](T x) { return clamp(x, -0.5f, 0.75f); }}};
  for (const auto& [name, f] : unary) t.row(name, [f = f](A a) { return f(a[0]); });
  return t;
}

Table reductions() {
  Table t;
  const std::vector<std::tuple<std::string, Dims, bool>> over = {{"all", {}, false},     {"all_keep", {}, true},
                                                                 {"d1", {1}, false},     {"dm1_keep", {-1}, true},
                                                                 {"d02", {0, 2}, false}, {"d02_keep", {0, 2}, true}};
  const std::vector<std::pair<std::string, std::function<Tensor(T, const Dims&, bool)>>> ops = {
      {"sum", [](T x, const Dims& d, bool k) { return sum(x, d, k); }},
      {"mean", [](T x, const Dims& d, bool k) { return mean(x, d, k); }},
      {"max", [](T x, const Dims& d, bool k) { return max(x, d, k); }},
      {"min", [](T x, const Dims& d, bool k) { return min(x, d, k); }},
      {"var_c0", [](T x, const Dims& d, bool k) { return var(x, d, 0, k); }},
      {"var_c1", [](T x, const Dims& d, bool k) { return var(x, d, 1, k); }}};
  for (const auto& [op, f] : ops)
    for (const auto& [tag, dims, keepdim] : over)
      t.row(op + "_" + tag, [f = f, dims = dims, keepdim = keepdim](A a) { return f(a[0], dims, keepdim); });
  return t;
}

Table matmuls() {
  Table t;
  for (const char* shapes :
       {"1d_1d", "1d_2d", "2d_1d", "2d_2d", "3d_2d", "2d_3d", "3d_3d", "bcast_batch", "1d_3d", "3d_1d"})
    t.row(std::string("matmul_") + shapes, [](A a) { return matmul(a[0], a[1]); });
  return t;
}

Table shape_ops() {
  Table t;
  t.row("transpose", [](A a) { return transpose(a[0], 0, 2); });
  t.row("transpose_neg", [](A a) { return transpose(a[0], -1, -2); });
  t.row("permute", [](A a) { return permute(a[0], {2, 0, 1}); });
  t.row("reshape", [](A a) { return reshape(a[0], {4, -1}); });
  t.row("view", [](A a) { return view(a[0], {3, 8}); });
  t.row("flatten", [](A a) { return flatten(a[0]); });
  t.row("flatten_1", [](A a) { return flatten(a[0], 1); });
  t.row("flatten_0_1", [](A a) { return flatten(a[0], 0, 1); });
  t.row("unsqueeze_1", [](A a) { return unsqueeze(a[0], 1); });
  t.row("unsqueeze_m1", [](A a) { return unsqueeze(a[0], -1); });
  t.row("squeeze_dim", [](A a) { return squeeze(a[0], 1); });
  t.row("squeeze_all", [](A a) { return squeeze(a[0]); });
  t.row("slice_step", [](A a) { return slice(a[0], 1, 1, 7, 2); });
  t.row("slice_negative", [](A a) { return slice(a[0], 0, -3, 5); });
  t.row("slice_clamped", [](A a) { return slice(a[0], 2, 2, 100, 3); });
  t.row("narrow", [](A a) { return narrow(a[0], 0, 1, 2); });
  t.row("narrow_dim1", [](A a) { return narrow(a[0], 1, 2, 3); });
  t.row("cat_d0", [](A a) { return cat(a.in, 0); });
  t.row("cat_d1", [](A a) { return cat(a.in, 1); });
  t.row("stack_d0", [](A a) { return stack(a.in, 0); });
  t.row("stack_dm1", [](A a) { return stack(a.in, -1); });
  t.row("split_size", [](A a) { return split(a[0], 2, 0); });
  t.row("split_sizes", [](A a) { return split(a[0], SizeList{1, 3}, 1); });
  t.row("chunk_d0", [](A a) { return chunk(a[0], 3, 0); });
  t.row("chunk_d1", [](A a) { return chunk(a[0], 3, 1); });
  t.row("expand", [](A a) { return expand(a[0], {2, 3, 4}); });
  t.row("broadcast_to", [](A a) { return broadcast_to(a[0], {3, 4}); });
  return t;
}

Table indexing() {
  Table t;
  t.row("index_select_d0", [](A a) { return index_select(a[0], 0, a.ids()); });
  t.row("index_select_d1", [](A a) { return index_select(a[0], 1, a.ids()); });
  t.row("embedding", [](A a) { return embedding(a[0], a.ids()); });
  t.row("embedding_pad", [](A a) { return embedding(a[0], a.ids(), 0); });
  t.row("embedding_pad_neg", [](A a) { return embedding(a[0], a.ids(), -1); });
  t.row("gather_d1", [](A a) { return gather(a[0], 1, a.ids()); });
  t.row("gather_d0", [](A a) { return gather(a[0], 0, a.ids()); });
  t.row("gather_repeats", [](A a) { return gather(a[0], -1, a.ids()); });
  t.row("masked_fill", [](A a) { return masked_fill(a[0], a.mask(), -2.5f); });
  t.row("masked_fill_bcast", [](A a) { return masked_fill(a[0], a.mask(), -1e9f); });
  t.row("where", [](A a) { return where(a.mask(), a[0], a[1]); });
  t.row("where_bcast", [](A a) { return where(a.mask(), a[0], a[1]); });
  for (const auto& [tag, diagonal] : std::vector<std::pair<std::string, int>>{{"0", 0}, {"p1", 1}, {"m1", -1}}) {
    t.row("tril_" + tag, [d = diagonal](A a) { return tril(a[0], d); });
    t.row("triu_" + tag, [d = diagonal](A a) { return triu(a[0], d); });
  }
  t.row("tril_batched", [](A a) { return tril(a[0], 1); });
  t.row("topk", [](A a) { return topk(a[0], 3, -1).values; });
  t.row("topk_smallest_d0", [](A a) { return topk(a[0], 2, 0, false).values; });
  return t;
}

Table functional() {
  Table t;
  const std::vector<std::pair<std::string, std::function<Tensor(T, int)>>> normalisers = {
      {"softmax", [](T x, int d) { return softmax(x, d); }},
      {"log_softmax", [](T x, int d) { return log_softmax(x, d); }}};
  for (const auto& [op, f] : normalisers)
    for (const auto& [tag, dim] :
         std::vector<std::pair<std::string, int>>{{"dm1", -1}, {"d0", 0}, {"3d_d1", 1}, {"large", -1}})
      t.row(op + "_" + tag, [f = f, dim = dim](A a) { return f(a[0], dim); });
  t.row("layer_norm", [](A a) { return layer_norm(a[0], {4}); });
  t.row("layer_norm_wb", [](A a) { return layer_norm(a[0], {4}, a[1], a[2]); });
  t.row("layer_norm_w", [](A a) { return layer_norm(a[0], {4}, a[1]); });
  t.row("layer_norm_2d", [](A a) { return layer_norm(a[0], {3, 4}); });
  t.row("layer_norm_2d_wb", [](A a) { return layer_norm(a[0], {3, 4}, a[1], a[2]); });
  t.row("dropout_eval", [](A a) { return dropout(a[0], 0.5f, false); });
  t.row("dropout_p0", [](A a) { return dropout(a[0], 0.0f, true); });
  return t;
}

Table losses() {
  Table t;
  constexpr auto None = Reduction::None, Sum = Reduction::Sum;
  const std::vector<std::pair<std::string, CrossEntropyOptions>> cross_entropy_cases = {
      {"ce_mean", {}},
      {"ce_sum", {.reduction = Sum}},
      {"ce_none", {.reduction = None}},
      {"ce_ignore", {}},
      {"ce_ignore_none", {.reduction = None}},
      {"ce_ignore_custom", {.ignore_index = 2, .reduction = Sum}},
      {"ce_smooth", {.label_smoothing = 0.1f}},
      {"ce_smooth_sum", {.label_smoothing = 0.1f, .reduction = Sum}},
      {"ce_smooth_ignore", {.label_smoothing = 0.1f}},
      {"ce_smooth_ignore_none", {.label_smoothing = 0.1f, .reduction = None}},
      {"ce_nd", {}},
      {"ce_nd_none", {.reduction = None}},
      {"ce_nd_smooth_ignore", {.label_smoothing = 0.1f}},
      {"ce_unbatched", {}}};
  for (const auto& [name, o] : cross_entropy_cases) {
    t.row(name, [o = o](A a) { return cross_entropy(a[0], a.ids(), o); });
    t.row(
        name, [o = o](A a) { return cross_entropy_composite(a[0], a.ids(), o); }, "cross_entropy_composite");
  }
  t.row("nll_mean", [](A a) { return nll_loss(a[0], a.ids()); });
  t.row("nll_sum", [](A a) { return nll_loss(a[0], a.ids(), -100, Sum); });
  t.row("nll_none", [](A a) { return nll_loss(a[0], a.ids(), -100, None); });
  t.row("nll_ignore", [](A a) { return nll_loss(a[0], a.ids()); });
  t.row("nll_ignore_custom", [](A a) { return nll_loss(a[0], a.ids(), 1, Sum); });
  for (const auto& [tag, r] :
       std::vector<std::pair<std::string, Reduction>>{{"mean", Reduction::Mean}, {"sum", Sum}, {"none", None}}) {
    t.row("mse_" + tag, [r = r](A a) { return mse_loss(a[0], a[1], r); });
    t.row("bce_logits_" + tag, [r = r](A a) { return binary_cross_entropy_with_logits(a[0], a[1], r); });
  }
  return t;
}

// Ops without a gradient: compared by value (indices and masks as float 0/1).
Table gradient_free() {
  Table t;
  t.row("argmax_d1", [](A a) { return argmax(a[0], 1); });
  t.row("argmax_d0_keep", [](A a) { return argmax(a[0], 0, true); });
  t.row("argmax_flat", [](A a) { return argmax(a[0]); });
  t.row("topk_indices", [](A a) { return topk(a[0], 3, -1).indices; });
  t.row("topk_indices_smallest_d0", [](A a) { return topk(a[0], 2, 0, false).indices; });
  t.row("one_hot", [](A a) { return one_hot(a.ids(), 5); });
  t.row("eq", [](A a) { return eq(a[0], a[1]); });
  t.row("ne", [](A a) { return ne(a[0], a[1]); });
  t.row("lt", [](A a) { return lt(a[0], a[1]); });
  t.row("le", [](A a) { return le(a[0], a[1]); });
  t.row("gt", [](A a) { return gt(a[0], a[1]); });
  t.row("ge", [](A a) { return ge(a[0], a[1]); });
  t.row("eq_scalar", [](A a) { return eq(a[0], 0.0f); });
  t.row("lt_scalar", [](A a) { return lt(a[0], 0.5f); });
  t.row("gt_scalar", [](A a) { return gt(a[0], -0.5f); });
  t.row("tril_mask", [](A) { return tril_mask(3, 5, 1); });
  t.row("triu_mask", [](A) { return triu_mask(3, 5, -1); });
  t.row("arange", [](A) { return arange(-1.0f, 2.0f, 0.3f); });
  return t;
}

Table convolutions() {
  Table t;
  struct Conv {
    Size2 stride = 1, padding = 0, dilation = 1;
    std::int64_t groups = 1;
  };
  // The bias, when the case has one, is in2.
  const std::vector<std::pair<std::string, Conv>> conv2d_cases = {
      {"conv2d_basic", {}},
      {"conv2d_stride_pad", {.stride = 2, .padding = 1}},
      {"conv2d_dilation", {.stride = {1, 2}, .padding = {2, 0}, .dilation = {2, 3}}},
      {"conv2d_groups", {.padding = 1, .groups = 2}},
      {"conv2d_depthwise", {.stride = 2, .padding = 1, .groups = 4}},
      {"conv2d_1x1", {}},
      {"conv2d_no_bias", {.padding = 1}},
      {"conv2d_unbatched", {.padding = 1}}};
  for (const auto& [name, c] : conv2d_cases)
    t.row(name, [c = c](A a) {
      return conv2d(a[0], a[1], a.in.size() > 2 ? a[2] : Tensor(), c.stride, c.padding, c.dilation, c.groups);
    });
  const std::vector<std::pair<std::string, Conv>> conv1d_cases = {
      {"conv1d_basic", {}},
      {"conv1d_all", {.stride = 2, .padding = 1, .dilation = 2, .groups = 2}},
      {"conv1d_unbatched_no_bias", {.padding = 1}}};
  for (const auto& [name, c] : conv1d_cases)
    t.row(name, [c = c](A a) {
      return conv1d(a[0], a[1], a.in.size() > 2 ? a[2] : Tensor(), c.stride.w, c.padding.w, c.dilation.w, c.groups);
    });
  t.row("max_pool2d_k2", [](A a) { return max_pool2d(a[0], 2); });
  t.row("max_pool2d_overlap", [](A a) { return max_pool2d(a[0], 3, {2, 1}, 1); });
  t.row("max_pool2d_rect", [](A a) { return max_pool2d(a[0], {3, 2}, 1, {1, 0}); });
  t.row("max_pool2d_unbatched", [](A a) { return max_pool2d(a[0], 2); });
  t.row("max_pool2d_ties", [](A a) { return max_pool2d(a[0], 2, 1); });
  t.row("avg_pool2d_k2", [](A a) { return avg_pool2d(a[0], 2); });
  t.row("avg_pool2d_pad_include", [](A a) { return avg_pool2d(a[0], 3, 2, 1, true); });
  t.row("avg_pool2d_pad_exclude", [](A a) { return avg_pool2d(a[0], 3, 2, 1, false); });
  t.row("avg_pool2d_rect_exclude", [](A a) { return avg_pool2d(a[0], {2, 3}, 1, {1, 1}, false); });
  t.row("adaptive_avg_pool2d_5to3", [](A a) { return adaptive_avg_pool2d(a[0], 3); });
  t.row("adaptive_avg_pool2d_rect", [](A a) { return adaptive_avg_pool2d(a[0], {3, 4}); });
  t.row("adaptive_avg_pool2d_global", [](A a) { return adaptive_avg_pool2d(a[0], 1); });
  t.row("adaptive_avg_pool2d_up", [](A a) { return adaptive_avg_pool2d(a[0], {5, 6}); });
  t.row("adaptive_avg_pool2d_unbatched", [](A a) { return adaptive_avg_pool2d(a[0], {2, 3}); });
  return t;
}

constexpr float kRtol = 1e-5f, kAtol = 1e-6f;

// Checks got against PyTorch's want; on failure reports the worst element.
void expect_close(const std::string& what, const Array& got, const Array& want) {
  double worst = 0.0;     // |got - want| / (atol + rtol |want|): above 1 fails
  double relative = 0.0;  // |got - want| / |want| where |want| >= 1e-3, for the verbose report
  std::size_t at = 0;
  if (got.shape() == want.shape())
    for (std::size_t i = 0; i < got.size(); ++i) {
      const double error = std::abs(double(got.data()[i]) - want.data()[i]), size = std::abs(double(want.data()[i]));
      const double ratio = error / (kAtol + kRtol * size);
      if (ratio > worst || std::isnan(ratio)) {
        worst = ratio;
        at = i;
      }
      if (size >= 1e-3) relative = std::max(relative, error / size);
    }
  if (std::getenv("ATTOGRAD_GOLDEN_VERBOSE"))
    std::cout << what << ": " << worst << " of the tolerance, relative error " << relative << "\n";
  INFO(what << ": attograd " << shape_str(got.shape()) << ", PyTorch " << shape_str(want.shape()));
  INFO("worst at flat index " << at << ": attograd " << (at < got.size() ? got.data()[at] : NAN) << ", PyTorch "
                              << (at < want.size() ? want.data()[at] : NAN));
  CHECK(attograd::testing::allclose(got, want, kRtol, kAtol));
}

std::size_t count_entries(const std::string& prefix) {
  std::size_t n = 0;
  for (const auto& [name, value] : fixture().tensors) n += name.rfind(prefix, 0) == 0;
  return n;
}

void check_case(const Case& c) {
  const SafetensorsContent& file = fixture();
  Args args{c.name, {}};
  for (std::size_t i = 0; file.contains(c.name + ".in" + std::to_string(i)); ++i)
    args.in.emplace_back(file.at(c.name + ".in" + std::to_string(i)), true);
  const Outputs outs = c.run(args);
  REQUIRE(outs.size() == count_entries(c.name + ".out"));
  auto entry = [&](const char* what, std::size_t i) {
    return c.name + "." + what + (outs.size() == 1 ? "" : std::to_string(i));
  };

  bool differentiable = false;
  for (std::size_t i = 0; i < outs.size(); ++i) {
    expect_close(entry("out", i), outs[i].value(), file.at(entry("out", i)));
    differentiable = differentiable || outs[i].requires_grad();
  }
  {
    INFO("the output " << (differentiable ? "requires" : "does not require") << " grad; PyTorch's "
                       << (file.contains(entry("up", 0)) ? "does" : "does not"));
    REQUIRE(differentiable == file.contains(entry("up", 0)));
  }
  if (!differentiable) return;

  if (outs.size() == 1) {
    outs[0].backward(file.at(entry("up", 0)));
  } else {  // several outputs: loss = Σ_i sum(out_i ⊙ up_i)
    Tensor loss = scalar_tensor(0.0f);
    for (std::size_t i = 0; i < outs.size(); ++i) loss = loss + sum(outs[i] * Tensor(file.at(entry("up", i))));
    loss.backward();
  }
  for (std::size_t i = 0; i < args.in.size(); ++i) {
    const std::string name = c.name + ".grad" + std::to_string(i);
    INFO(name);
    REQUIRE(args[i].has_grad());
    expect_close(name, args[i].grad(), file.at(name));
  }
}

void check_all(const Table& table) {
  for (const Case& c : table.cases) DYNAMIC_SECTION(c.label) {
      check_case(c);
    }
}

}  // namespace

TEST_CASE("golden: elementwise ops match PyTorch", "[golden]") { check_all(elementwise()); }
TEST_CASE("golden: reductions match PyTorch", "[golden]") { check_all(reductions()); }
TEST_CASE("golden: matmul matches PyTorch", "[golden]") { check_all(matmuls()); }
TEST_CASE("golden: shape ops match PyTorch", "[golden]") { check_all(shape_ops()); }
TEST_CASE("golden: indexing ops match PyTorch", "[golden]") { check_all(indexing()); }
TEST_CASE("golden: softmax, layer_norm and dropout match PyTorch", "[golden]") { check_all(functional()); }
TEST_CASE("golden: losses match PyTorch", "[golden]") { check_all(losses()); }
TEST_CASE("golden: gradient-free ops match PyTorch", "[golden]") { check_all(gradient_free()); }
TEST_CASE("golden: convolution and pooling match PyTorch", "[golden][conv]") { check_all(convolutions()); }

TEST_CASE("golden: every fixture case has a row and every row a fixture case", "[golden]") {
  std::set<std::string> in_file, in_tables;
  for (const auto& [name, value] : fixture().tensors) in_file.insert(name.substr(0, name.find('.')));
  for (const Table& t : {elementwise(), reductions(), matmuls(), shape_ops(), indexing(), functional(), losses(),
                         gradient_free(), convolutions()})
    for (const Case& c : t.cases) in_tables.insert(c.name);
  std::vector<std::string> missing_rows, missing_cases;
  std::set_difference(in_file.begin(), in_file.end(), in_tables.begin(), in_tables.end(),
                      std::back_inserter(missing_rows));
  std::set_difference(in_tables.begin(), in_tables.end(), in_file.begin(), in_file.end(),
                      std::back_inserter(missing_cases));
  CHECK(missing_rows == std::vector<std::string>{});
  CHECK(missing_cases == std::vector<std::string>{});
}
