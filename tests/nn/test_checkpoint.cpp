// Model checkpoints (nn/checkpoint.hpp): save -> load gives the same bits and metadata; a file
// that does not fit the module fails with load_state_dict's message and the file's name; a
// writer killed mid-save leaves the previous file whole. (PyTorch reading and writing these
// files is tests/golden/interop.py, run by tests/interop.)
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include <attograd/core/core.hpp>
#include <attograd/nn/nn.hpp>

#include "../support/temp_dir.hpp"
#include "nn_test_support.hpp"

using namespace attograd;
using attograd::testing::random_array;
using Catch::Contains;
using Catch::StartsWith;
namespace fs = std::filesystem;
using attograd::testing::same_bits;
using attograd::testing::TempDir;

namespace {

// proj = Linear(3, 4), rnn = GRU(4, 5), norm = LayerNorm(5), and a buffer: parameters,
// buffers and children at two depths.
class SmallNet : public nn::Module {
 public:
  explicit SmallNet(std::size_t hidden = 5) {
    proj = register_module("proj", std::make_shared<nn::Linear>(3, 4));
    rnn = register_module("rnn", std::make_shared<nn::GRU>(4, hidden));
    norm = register_module("norm", std::make_shared<nn::LayerNorm>(hidden));
    seen = register_buffer("seen", Tensor(random_array({2})));
  }
  // x (T, B, 3) -> (T, B, H)
  Tensor forward(const Tensor& x) { return norm->forward(rnn->forward(proj->forward(x)).output); }
  std::string describe() const override { return "SmallNet"; }

  std::shared_ptr<nn::Linear> proj;
  std::shared_ptr<nn::GRU> rnn;
  std::shared_ptr<nn::LayerNorm> norm;
  Tensor seen;
};

}  // namespace

TEST_CASE("checkpoint: save then load gives every tensor's bits, in order, and the metadata") {
  TempDir dir("checkpoint");
  const fs::path path = dir.path / "odd_values.safetensors";
  const float nan_payload = [] {
    const std::uint32_t bits = 0x7fc01234u;  // a quiet NaN with a payload
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
  }();
  const nn::StateDict state = {
      {"layer.weight", Tensor(random_array({3, 4}))},
      {"odd", from_vector({-0.0f, std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                           nan_payload, std::numeric_limits<float>::denorm_min(), std::numeric_limits<float>::max(),
                           std::numeric_limits<float>::lowest(), 1.0f / 3.0f},
                          {2, 2, 2})},
      {"scalar", scalar_tensor(2.5f)},
      {"empty", zeros({0, 3})},
      {"a.b.c.d", Tensor(random_array({1, 1, 1, 5}))}};
  // Text values as the examples write them: configuration and vocabulary as JSON.
  const Metadata metadata = {
      {"config", R"({"d_model": 64, "nhead": 4})"}, {"vocab", R"(["<pad>", "<s>", "é", "\"quoted\""])"}, {"empty", ""}};
  nn::save(path, state, metadata);

  const nn::Checkpoint loaded = nn::load(path);
  REQUIRE(loaded.state_dict.size() == state.size());
  for (std::size_t i = 0; i < state.size(); ++i) {
    INFO(state[i].first);
    CHECK(loaded.state_dict[i].first == state[i].first);
    CHECK(same_bits(loaded.state_dict[i].second.value(), state[i].second.value()));
    CHECK_FALSE(loaded.state_dict[i].second.requires_grad());
  }
  CHECK(loaded.metadata == metadata);
}

TEST_CASE("checkpoint: save_module / load_module restore a module exactly, with the same outputs") {
  TempDir dir("checkpoint");
  const fs::path path = dir.path / "small_net.safetensors";
  manual_seed(1);
  SmallNet trained;
  trained.norm->weight.mutable_value() = random_array({5});  // not the ones it starts with
  nn::save_module(path, trained, {{"config", R"({"hidden": 5})"}});

  // The file holds PyTorch's names for the same modules, in state_dict order.
  std::vector<std::string> names;
  for (const auto& [name, _] : nn::load(path).state_dict) names.push_back(name);
  CHECK(names == std::vector<std::string>{"seen", "proj.weight", "proj.bias", "rnn.weight_ih_l0", "rnn.weight_hh_l0",
                                          "rnn.bias_ih_l0", "rnn.bias_hh_l0", "norm.weight", "norm.bias"});

  manual_seed(2);
  SmallNet fresh;
  const Metadata metadata = nn::load_module(path, fresh);
  CHECK(metadata == Metadata{{"config", R"({"hidden": 5})"}});
  const nn::StateDict want = trained.state_dict(), got = fresh.state_dict();
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    INFO(want[i].first);
    CHECK(same_bits(got[i].second.value(), want[i].second.value()));
  }
  const Tensor x(random_array({4, 2, 3}));  // (T, B, 3)
  CHECK(same_bits(fresh.forward(x).value(), trained.forward(x).value()));
  // Loading copies values into the module's own parameters, which stay trainable.
  CHECK(fresh.proj->weight.requires_grad());
  CHECK(fresh.named_parameters()[0].second.is_same(fresh.proj->weight));
}

TEST_CASE("checkpoint: a file whose shapes do not fit the module names the file and every mismatch") {
  TempDir dir("checkpoint");
  const fs::path path = dir.path / "linear_3_to_4.safetensors";
  nn::save_module(path, nn::Linear(3, 4));

  nn::Linear wider(3, 5);
  const Array before = wider.weight.value();
  REQUIRE_THROWS_AS(nn::load_module(path, wider), std::invalid_argument);
  REQUIRE_THROWS_WITH(nn::load_module(path, wider),
                      StartsWith(path.string() + ": load_state_dict: the state dict does not fit the module:") &&
                          Contains("shape mismatch for weight: expected (5, 3), got (4, 3)") &&
                          Contains("shape mismatch for bias: expected (5,), got (4,)"));
  CHECK(same_bits(wider.weight.value(), before));  // nothing was loaded

  // A bigger model: the GRU's hidden size differs, so every GRU and LayerNorm tensor mismatches.
  const fs::path net_path = dir.path / "small_net_5.safetensors";
  nn::save_module(net_path, SmallNet(5));
  SmallNet net6(6);
  REQUIRE_THROWS_WITH(nn::load_module(net_path, net6),
                      StartsWith(net_path.string() + ": ") &&
                          Contains("shape mismatch for rnn.weight_hh_l0: expected (18, 6), got (15, 5)") &&
                          Contains("shape mismatch for norm.bias: expected (6,), got (5,)"));
}

TEST_CASE("checkpoint: missing and unexpected keys are listed with the file name, strict=false loads the rest") {
  TempDir dir("checkpoint");
  const fs::path path = dir.path / "renamed.safetensors";
  const Array weight = random_array({4, 3});
  nn::save(path, {{"weight", Tensor(weight)}, {"scale", ones({4})}}, {{"note", "bias renamed to scale"}});

  nn::Linear linear(3, 4);
  const Array bias_before = linear.bias.value();
  REQUIRE_THROWS_WITH(nn::load_module(path, linear), StartsWith(path.string() + ": load_state_dict:") &&
                                                         Contains("\n  missing key: bias") &&
                                                         Contains("\n  unexpected key: scale"));
  CHECK_FALSE(same_bits(linear.weight.value(), weight));  // strict: nothing loaded

  const Metadata metadata = nn::load_module(path, linear, /*strict=*/false);
  CHECK(metadata.at("note") == "bias renamed to scale");
  CHECK(same_bits(linear.weight.value(), weight));
  CHECK(same_bits(linear.bias.value(), bias_before));

  const auto result = linear.load_state_dict(nn::load(path).state_dict, false);
  CHECK(result.missing_keys == std::vector<std::string>{"bias"});
  CHECK(result.unexpected_keys == std::vector<std::string>{"scale"});
}

TEST_CASE("checkpoint: unreadable files and unsavable dicts fail with the file name") {
  TempDir dir("checkpoint");
  const fs::path missing = dir.path / "no_such_file.safetensors";
  nn::Linear linear(2, 2);
  REQUIRE_THROWS_AS(nn::load(missing), std::runtime_error);
  REQUIRE_THROWS_WITH(nn::load_module(missing, linear), Contains("no_such_file.safetensors"));

  const fs::path truncated = dir.path / "truncated.safetensors";
  nn::save_module(truncated, nn::Linear(8, 8));
  fs::resize_file(truncated, fs::file_size(truncated) - 4);
  REQUIRE_THROWS_WITH(nn::load_module(truncated, linear), Contains("truncated.safetensors"));

  const fs::path target = dir.path / "never_written.safetensors";
  REQUIRE_THROWS_WITH(nn::save(target, {{"weight", Tensor()}}), Contains("tensor 'weight' is undefined"));
  REQUIRE_THROWS_WITH(nn::save(target, {{"w", ones({1})}, {"w", ones({1})}}), Contains("duplicate tensor name"));
  CHECK_FALSE(fs::exists(target));
}

TEST_CASE("checkpoint: a writer killed mid-save leaves the previous checkpoint whole") {
  TempDir dir("checkpoint");
  const fs::path path = dir.path / "model.safetensors";
  // About 2 MB per save, so that a kill usually lands inside one; round r fills every value
  // with ±r, so a file mixing two saves would show.
  auto state_for = [](int round) {
    return nn::StateDict{{"big", full({512, 1024}, static_cast<float>(round))},
                         {"small.bias", full({1000}, -static_cast<float>(round))}};
  };
  nn::save(path, state_for(0), {{"round", "0"}});
  auto round_in_file = [&] { return std::stoi(nn::load(path).metadata.at("round")); };

  auto temporary_files = [&] {
    std::vector<fs::path> found;
    for (const auto& entry : fs::directory_iterator(dir.path))
      if (entry.path().filename().string().find(".tmp.") != std::string::npos) found.push_back(entry.path());
    return found;
  };

  int kills_during_a_save = 0;  // the kill left the writer's temporary file behind
  for (int trial = 0; trial < 6; ++trial) {
    const int round_before = round_in_file();
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      // The writer: saves over the file until it is killed. It never returns into Catch.
      try {
        for (int round = round_before + 1;; ++round)
          nn::save(path, state_for(round), {{"round", std::to_string(round)}});
      } catch (...) {
        ::_exit(1);
      }
    }
    // Wait for at least one completed save. Then even trials kill as soon as the next save has
    // its temporary file open (mid-write or mid-fsync); odd ones at a moment that varies.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (round_in_file() == round_before && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (trial % 2 == 0)
      while (temporary_files().empty() && std::chrono::steady_clock::now() < deadline) continue;
    else
      std::this_thread::sleep_for(std::chrono::microseconds(2500 * trial));
    ::kill(child, SIGKILL);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFSIGNALED(status));  // not an early exit from a failed save
    REQUIRE(WTERMSIG(status) == SIGKILL);

    const std::vector<fs::path> left_behind = temporary_files();
    if (!left_behind.empty()) ++kills_during_a_save;
    for (const fs::path& temporary : left_behind) fs::remove(temporary);

    // Whatever the moment, the file is one complete save.
    const nn::Checkpoint loaded = nn::load(path);
    const int round = std::stoi(loaded.metadata.at("round"));
    INFO("trial " << trial << ": the file holds round " << round);
    CHECK(round > round_before);
    REQUIRE(loaded.state_dict.size() == 2);
    CHECK(same_bits(loaded.state_dict[0].second.value(), state_for(round)[0].second.value()));
    CHECK(same_bits(loaded.state_dict[1].second.value(), state_for(round)[1].second.value()));
  }
  // The even trials kill inside a save (unless it finished in the moment before the kill).
  CHECK(kills_during_a_save >= 2);
}
