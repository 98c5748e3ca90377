// Bad input through the public API, as a careless user would give it: each case must throw a
// clear error that names the function, the argument and the value - never crash, corrupt
// memory or be accepted silently. ctest runs every TEST_CASE in a process of its own, so a case
// that crashed would fail alone. Where PyTorch accepts something odd on purpose, so do we, and a
// case below says so ("accepted, as PyTorch").
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <attograd/attograd.hpp>

using namespace attograd;
using Catch::Matchers::Contains;

namespace {
constexpr std::size_t huge = std::size_t{1} << 40;  // two of these overflow 64 bits
}

// ---- core: shapes whose element count wraps around --------------------------------------------

TEST_CASE("core: zeros with an overflowing shape") {
  CHECK_THROWS_WITH(zeros({huge, huge}), Contains("zeros: shape (1099511627776, 1099511627776) has more elements"));
}
TEST_CASE("core: ones, full, randn and rand with an overflowing shape") {
  CHECK_THROWS_WITH(ones({huge, huge, 2}), Contains("ones: shape (1099511627776, 1099511627776, 2)"));
  CHECK_THROWS_WITH(full({huge, huge}, 1.0f), Contains("full: shape"));
  CHECK_THROWS_WITH(randn({huge, huge}), Contains("randn: shape"));
  CHECK_THROWS_WITH(rand({huge, huge}), Contains("rand: shape"));
}
// 2^40 floats (4 TiB) pass the element-count check, and no machine here can give them. Under
// AddressSanitizer the allocator reports such a request and stops the program before operator new
// can throw, so the case is left to the other builds.
#if !defined(__SANITIZE_ADDRESS__)
TEST_CASE("core: an allocation that cannot succeed names the bytes it asked for") {
  CHECK_THROWS_WITH(zeros({huge}), Contains("zeros: out of memory: tried to allocate 4398046511104 bytes (4096.0 GiB) "
                                            "for a tensor of shape (1099511627776,)"));
  CHECK_THROWS_WITH(randn({huge, 2}), Contains("randn: out of memory: tried to allocate 8796093022208 bytes"));
}
#endif
TEST_CASE("core: from_vector with a shape that wraps to the vector's size") {
  // 2^32 · 2^32 wraps to 0 in 64 bits: an empty vector used to "fill" it.
  CHECK_THROWS_WITH(from_vector({}, {std::size_t{1} << 32, std::size_t{1} << 32}), Contains("from_vector: shape"));
  CHECK_THROWS_WITH(index_from_vector({}, {std::size_t{1} << 32, std::size_t{1} << 32}),
                    Contains("index_from_vector: shape"));
}
TEST_CASE("core: reshape into sizes whose product wraps") {
  const Tensor x = zeros({0});
  CHECK_THROWS_WITH(reshape(x, {std::int64_t{1} << 32, std::int64_t{1} << 32, 0}),
                    Contains("reshape: 4294967296 × 4294967296 elements is more than any tensor can hold"));
}
TEST_CASE("core: arange with more elements than memory") {
  CHECK_THROWS_WITH(arange(0.0f, 1e30f, 1.0f), Contains("arange: from 0 to 1e+30 in steps of 1 is"));
}

// ---- core: errors that say where ----------------------------------------------------------------

TEST_CASE("core: an undefined tensor passed to an op names the op") {
  CHECK_THROWS_WITH(exp(Tensor()), Contains("exp: an input tensor is undefined"));
  CHECK_THROWS_WITH(matmul(ones({2, 2}), Tensor()), Contains("matmul") && Contains("undefined"));
}
TEST_CASE("core: batched matmul whose batch dims do not broadcast shows both operands") {
  CHECK_THROWS_WITH(matmul(ones({2, 3, 4}), ones({5, 4, 6})),
                    "matmul: cannot multiply (2, 3, 4) by (5, 4, 6): the batch dims (2,) and (5,) do not broadcast "
                    "(sizes 2 and 5 differ and neither is 1)");
}

// ---- core: anomaly mode points at the forward op and the user's line ---------------------------

TEST_CASE("core: anomaly mode names the forward op that made the NaN and where it was called") {
  AnomalyModeGuard anomaly;
  const Tensor x = from_vector({1.0f, -1.0f, 2.0f}, {}, true);
  const Tensor w = from_vector({1.0f, 1.0f, 1.0f}, {}, true);
  const int line = __LINE__ + 1;
  const Tensor y = log(x);  // log(-1) = NaN: the bad value starts here
  const Tensor loss = sum(y * w);
  CHECK_THROWS_WITH(loss.backward(), Contains("the forward op 'log'") &&
                                         Contains(fmt::format("test_robustness.cpp:{}", line)) &&
                                         Contains("the backward of 'mul'"));
}
TEST_CASE("core: anomaly mode with the forward check stops at the op that made the NaN") {
  AnomalyModeGuard anomaly(true, /*check_forward=*/true);
  const Tensor x = from_vector({4.0f, -1.0f}, {}, true);
  const int line = __LINE__ + 1;
  CHECK_THROWS_WITH(sqrt(x), Contains("the forward op 'sqrt' produced NaN at flat index 1") &&
                                 Contains(fmt::format("test_robustness.cpp:{}", line)));
  CHECK_NOTHROW(sqrt(from_vector({4.0f, 9.0f})));
}
TEST_CASE("core: to_dot after backward is an error, and labels parameters by name") {
  nn::Linear layer(3, 2);
  const Tensor loss = sum(layer(ones({1, 3})));
  const std::string dot = nn::to_dot(loss, layer);
  CHECK_THAT(dot, Contains("weight") && Contains("bias"));
  loss.backward();
  CHECK_THROWS_WITH(to_dot(loss), Contains("to_dot: the graph of tensor") && Contains("was freed by backward()"));
}

// ---- core: what PyTorch accepts on purpose, accepted here too -----------------------------------

TEST_CASE("core: accepted, as PyTorch: softmax over an empty dim, dropout p = 1, clipping to norm 0") {
  CHECK(softmax(zeros({2, 0}), -1).shape() == Shape{2, 0});
  CHECK(sum(dropout(ones({4}), 1.0f, true)).item() == 0.0f);  // every element dropped
  Tensor p = ones({2}, true);
  sum(p * 3.0f).backward();
  optim::clip_grad_norm_({p}, 0.0);  // the gradient becomes 0
  CHECK(p.grad()(0) == 0.0f);
}

// ---- nn ------------------------------------------------------------------------------------------

TEST_CASE("nn: a key-padding mask for one sequence does not stretch over a batch of three") {
  nn::MultiheadAttention mha(4, 2);
  const Tensor x = randn({3, 5, 4});
  CHECK_THROWS_WITH(mha(x, x, x, nn::AttentionMask::key_padding({5}, 5)),
                    Contains("key_padding(B=1, S=5) mask (B = 1, S = 5) does not match"));
}
TEST_CASE("nn: a KV cache filled for one batch size used with another says it is the cache") {
  nn::TransformerDecoder decoder({.d_model = 8, .nhead = 2, .dim_feedforward = 16, .dropout = 0.0f}, 1);
  nn::DecoderCache cache;
  decoder.forward_step(randn({2, 1, 8}), randn({2, 3, 8}), cache);
  CHECK_THROWS_WITH(decoder.forward_step(randn({3, 1, 8}), randn({3, 3, 8}), cache),
                    Contains("the cache was filled for a batch of 2 but this step has a batch of 3"));
}
TEST_CASE("nn: Luong h̃ asked of a layer built without W_c") {
  const nn::LuongAttention score_only(nn::LuongScore::Dot, 4, 4, 0, 0, false);
  CHECK_THROWS_WITH(score_only.attentional_hidden(randn({1, 4}), randn({1, 4})),
                    Contains("built with with_attentional_hidden = false"));
}
TEST_CASE("nn: PyTorch's 3-D mask with a first dim that is not B·H") {
  CHECK_THROWS_WITH(nn::AttentionMask::blocked_per_head(Mask::from_shape({5, 2, 2}), 2),
                    Contains("expected a (B·H, T, S) mask with H = num_heads = 2, got shape (5, 2, 2)"));
}

// ---- optim ---------------------------------------------------------------------------------------

TEST_CASE("optim: Adam after a parameter's value was replaced by a larger one") {
  Tensor p = ones({2}, true);
  optim::Adam adam({p});
  sum(p * p).backward();
  adam.step();
  p.mutable_value() = xt::ones<float>({1000});  // used to overrun the (2,) moment buffers
  adam.zero_grad();
  sum(p * p).backward();
  CHECK_THROWS_WITH(adam.step(),
                    Contains("state of a parameter has shape (2,) but the parameter now has shape (1000,)") &&
                        Contains("Adam: the 'exp_avg"));
}
TEST_CASE("optim: SGD with momentum after a parameter's value was replaced") {
  Tensor p = ones({3}, true);
  optim::SGD sgd({p}, {.lr = 0.1, .momentum = 0.9});
  sum(p).backward();
  sgd.step();
  p.mutable_value() = xt::ones<float>({4, 4});
  sgd.zero_grad();
  sum(p).backward();
  CHECK_THROWS_WITH(sgd.step(), Contains("SGD: the 'momentum_buffer' state of a parameter has shape (3,)"));
}
TEST_CASE("optim: loaded Adam state with a negative second moment or a NaN") {
  Tensor p = ones({2}, true);
  optim::Adam adam({p});
  sum(p * p).backward();
  adam.step();
  NamedArrays state = adam.state_dict();
  NamedArrays negative = state, not_a_number = state;
  for (auto& [name, a] : negative)
    if (name == "state.0.exp_avg_sq") a(0) = -1.0f;
  for (auto& [name, a] : not_a_number)
    if (name == "state.0.exp_avg") a(1) = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_WITH(adam.load_state_dict(negative),
                    "Adam: load_state_dict: 'state.0.exp_avg_sq' holds -1 at element 0, which no step can produce (it "
                    "must be finite and >= 0)");
  CHECK_THROWS_WITH(adam.load_state_dict(not_a_number), Contains("'state.0.exp_avg' holds nan at element 1"));
}
TEST_CASE("optim: LambdaLR whose factor turns negative") {
  Tensor p = ones({1}, true);
  optim::SGD sgd({p}, {.lr = 0.1});
  optim::LambdaLR schedule(sgd, [](int step) { return 1.0 - step; });  // -1 at step 2
  schedule.step();
  CHECK_THROWS_WITH(schedule.step(),
                    "LambdaLR: the learning rate of param group 0 at step 2 would be -0.1 (base lr 0.1); a schedule "
                    "must give a finite lr >= 0");
}
TEST_CASE("optim: ExponentialLR with gamma = inf") {
  Tensor p = ones({1}, true);
  optim::SGD sgd({p}, {.lr = 0.1});
  CHECK_THROWS_WITH(optim::ExponentialLR(sgd, std::numeric_limits<double>::infinity()),
                    "ExponentialLR: gamma must be finite and > 0, got inf");
}
TEST_CASE("optim: a learning rate set to NaN by hand after construction") {
  Tensor p = ones({1}, true);
  optim::Adam adam({p});
  adam.param_groups()[0].lr = std::numeric_limits<double>::quiet_NaN();
  sum(p).backward();
  CHECK_THROWS_WITH(adam.step(), Contains("Adam: step: param_groups[0].lr must be finite and >= 0, got nan"));
  CHECK(p.value()(0) == 1.0f);  // nothing was updated
}

// ---- the error paths added with the fused kernels, state dicts and optimizers ----------------

TEST_CASE("core: fused kernels called directly check their shapes") {
  CHECK_THROWS_WITH(fused::cross_entropy_rows(zeros({2, 3}), Index{0, 1, 2}, -100, 0.0f),
                    "fused::cross_entropy_rows: expected logits (N, C) and targets (N,), got (2, 3) and (3,)");
  const Tensor q = randn({1, 2, 4});  // (B, T, E)
  fused::HeadsMask wrong;
  wrong.blocked = Mask::from_shape({1, 1, 2, 2});
  CHECK_THROWS_WITH(fused::attention_heads(q, q, q, wrong, {.num_heads = 2}),
                    "attention_heads: the blocked positions must be (B, H, T, S) = (1, 2, 2, 2), got (1, 1, 2, 2)");
}
TEST_CASE("core: state dicts with a repeated key or an undefined tensor") {
  const StateDict own{{"w", zeros({2})}};
  CHECK_THROWS_WITH(compare_state_dicts(own, {{"w", zeros({2})}, {"w", zeros({2})}}, "load"),
                    "load: key 'w' appears twice");
  CHECK_THROWS_WITH(compare_state_dicts({{"w", Tensor()}}, own, "load"), "load: tensor 'w' is undefined");
  CHECK_THROWS_WITH(to_dot(Tensor()), Contains("to_dot: the tensor is undefined"));
}
TEST_CASE("optim: a weight decay set to a negative value after construction") {
  Tensor p = ones({1}, true);
  optim::SGD sgd({p}, {.lr = 0.1});
  sgd.param_groups()[0].weight_decay = -1.0;
  sum(p).backward();
  CHECK_THROWS_WITH(sgd.step(), "SGD: step: param_groups[0].weight_decay must be finite and >= 0, got -1");
}
