// The profiler: its counts add up on a small graph whose calls and FLOPs are known by hand,
// nothing is recorded while no guard lives, and GEMMs on parallel_for's worker threads count
// too. (Optimizer steps: tests/optim/test_optim_profile.cpp.)
#include <memory>

#include <catch2/catch.hpp>

#include <attograd/core/core.hpp>
#include <attograd/core/kernels/blas.hpp>
#include <attograd/core/kernels/parallel.hpp>

using namespace attograd;

TEST_CASE("the profiler counts a known graph's calls and GEMM FLOPs, forward and backward apart") {
  const Tensor a = randn({2, 3}, true), b = randn({3, 4}, true);
  ProfileGuard profile;
  const Tensor y = matmul(a, b);  // 2·2·3·4 = 48 FLOPs
  const Tensor loss = sum(y * y);
  loss.backward();  // dA = G Bᵀ (2×4 @ 4×3) and dB = Aᵀ G (3×2 @ 2×4): 48 + 48 FLOPs
  const ProfileReport r = profile.report();

  const ProfileEntry* mm = r.find("forward", "matmul");
  REQUIRE(mm != nullptr);
  CHECK(mm->calls == 1);
  CHECK(mm->flops == 48.0);
  REQUIRE(r.find("forward", "mul") != nullptr);
  CHECK(r.find("forward", "mul")->calls == 1);
  REQUIRE(r.find("forward", "sum") != nullptr);
  CHECK(r.find("forward", "sum")->flops == 0.0);  // elementwise work: timed, FLOPs not counted

  const ProfileEntry* mm_back = r.find("backward", "matmul");
  REQUIRE(mm_back != nullptr);
  CHECK(mm_back->calls == 1);
  CHECK(mm_back->flops == 96.0);
  CHECK(r.find("backward", "mul") != nullptr);
  CHECK(r.find("backward", "sum") != nullptr);

  CHECK(r.total_flops() == 144.0);
  double timed = 0.0;
  for (const ProfileEntry& e : r.entries) timed += e.seconds;
  CHECK(timed <= r.seconds);  // every entry lies inside the guard's lifetime
  const std::string table = r.table();
  CHECK_THAT(table, Catch::Matchers::Contains("forward") && Catch::Matchers::Contains("matmul") &&
                        Catch::Matchers::Contains("GFLOP"));
}

TEST_CASE("a composite op counts once, under its own name, with no guard nothing is recorded") {
  const Tensor x = randn({4, 5}, true);
  {
    FusedKernelsGuard composite(false);  // softmax as exp, sum and div
    ProfileGuard profile;
    const Tensor s = softmax(x, -1);
    const ProfileReport r = profile.report();
    REQUIRE(r.find("forward", "softmax") != nullptr);
    CHECK(r.find("forward", "softmax")->calls == 1);
    CHECK(r.find("forward", "exp") == nullptr);  // its parts are inside softmax's time
    CHECK(r.entries.size() == 1);
  }
  CHECK_FALSE(profiler::enabled());
  const Tensor unrecorded = matmul(x, transpose(x, 0, 1));  // no guard: nothing to record into
  ProfileGuard later;
  CHECK(later.report().entries.empty());  // the earlier matmul did not leak into a later guard
  const Tensor y = x * 2.0f;
  CHECK(later.report().find("forward", "mul") != nullptr);
  later.reset();
  CHECK(later.report().entries.empty());
  {
    ProfileGuard inner;  // a nested guard records into its own report only
    const Tensor z = x + 1.0f;
    CHECK(inner.report().find("forward", "add") != nullptr);
  }
  CHECK(later.report().find("forward", "add") == nullptr);
  CHECK(profiler::enabled());
}

TEST_CASE("GEMMs that parallel_for runs on worker threads count toward the op, and in the global total") {
  // A conv2d whose batch is split over the threads (when this machine has more than one): its
  // forward is one GEMM per sample, 2·O·OH·OW·C·KH·KW FLOPs each, whichever thread runs it.
  const std::size_t N = 16, C = 8, H = 32, W = 32, O = 16, K = 3;
  const Tensor x = randn({N, C, H, W}), w = randn({O, C, K, K}, true);
  const double expected = 2.0 * N * O * (H - 2) * (W - 2) * C * K * K;  // no padding: OH = H - 2
  const double total_before = blas::gemm_flops_total();
  ProfileGuard profile;
  const Tensor y = conv2d(x, w);
  const ProfileReport report = profile.report();  // find() points into it: keep it alive
  const ProfileEntry* conv = report.find("forward", "conv2d");
  REQUIRE(conv != nullptr);
  CHECK(conv->flops == expected);
  CHECK(blas::gemm_flops_total() - total_before == expected);
  INFO("parts: " << parallel_parts(N, expected / 2.0));
}

TEST_CASE("the fused kernels nn calls directly are timed under their own names, with their GEMM FLOPs") {
  // nn's attention and RNN layers call these four without a core op around them; without a
  // CallSite of their own their forward time would count toward no op at all.
  const FusedKernelsGuard fused_on(true);
  const std::size_t B = 2, T = 3, S = 5, E = 8, H = 2, A = 4, R = 6;
  const Tensor q = randn({B, T, E}, true), k = randn({B, S, E}, true), v = randn({B, S, E}, true);
  ProfileGuard profile;
  const fused::HeadsOutput heads = fused::attention_heads(q, k, v, {}, {.num_heads = H});
  const Tensor x = randn({B, T, E}, true);
  const fused::HeadsOutput self = fused::attention_heads(x, x, x, {}, {.num_heads = H});
  const Tensor scores = fused::additive_scores(randn({B, T, A}, true), randn({B, S, A}, true), randn({A}, true));
  const Tensor h = randn({B, R}, true);
  const Tensor gru = fused::gru_update(randn({B, 3 * R}, true), randn({B, 3 * R}, true), h);
  const fused::HiddenAndCell lstm = fused::lstm_update(randn({B, 4 * R}, true), h);
  const ProfileReport r = profile.report();

  const ProfileEntry* attention = r.find("forward", "attention_heads");
  REQUIRE(attention != nullptr);
  CHECK(attention->calls == 2);
  // per head: Q_h K_hᵀ and P_h V_h, 2·T·S·D FLOPs each, over B batches and H heads: 4·B·T·S·E,
  // then 4·B·T·T·E for the self-attention.
  CHECK(attention->flops == 4.0 * B * T * S * E + 4.0 * B * T * T * E);
  for (const char* name : {"additive_scores", "gru_update", "lstm_update"}) {
    INFO(name);
    REQUIRE(r.find("forward", name) != nullptr);
    CHECK(r.find("forward", name)->calls == 1);
  }
  CHECK(r.entries.size() == 4);  // the four kernels and nothing else (making inputs is not an op)
}

TEST_CASE("profile guards that end out of their nesting order leave no dangling profiler") {
  const Tensor x = randn({4, 4}, true);
  auto outer = std::make_unique<ProfileGuard>();
  auto inner = std::make_unique<ProfileGuard>();
  outer.reset();  // ends first, while the inner guard lives: taken out of the chain
  CHECK(profiler::enabled());
  sum(x * x).backward();  // recorded by the inner guard, which is still the active one
  CHECK_FALSE(inner->report().entries.empty());
  auto third = std::make_unique<ProfileGuard>();
  inner.reset();  // the middle one ends: the third records on
  CHECK(profiler::enabled());
  sum(x + x).backward();
  CHECK_FALSE(third->report().entries.empty());
  third.reset();
  CHECK_FALSE(profiler::enabled());  // back to no guard at all, not to one that has gone
  sum(x * 2.0f).backward();          // and recording nowhere is harmless (ASan would see a use after free)
}
