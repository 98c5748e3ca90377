// Training state in one file (optim/training_state.hpp): stopping after 10 steps and resuming
// from the file gives the very losses of an uninterrupted run; the file's names and parts; and
// every misfit fails naming the file, changing neither model, optimizer nor schedule.
//
// optim links core only, so the model here is written from core ops: PyTorch's
// Sequential(Linear(3, 8), Tanh(), Linear(8, 2)), with the same parameter names.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <attograd/core/core.hpp>
#include <attograd/optim/optim.hpp>

#include "../support/temp_dir.hpp"

using namespace attograd;
using namespace attograd::optim;
using Catch::Contains;
using Catch::StartsWith;
namespace fs = std::filesystem;
using attograd::testing::same_bits;
using attograd::testing::TempDir;

namespace {

using attograd::testing::same_bits;  // the Array overload, beside this one

bool same_bits(const NamedArrays& a, const NamedArrays& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].first != b[i].first || !same_bits(a[i].second, b[i].second)) return false;
  return true;
}

NamedArrays values_of(const ModelState& state) {
  NamedArrays out;
  for (const auto& [name, tensor] : state) out.emplace_back(name, tensor.value());
  return out;
}

Array uniform_array(Generator& generator, const Shape& shape, float scale) {
  Array a = Array::from_shape(shape);
  for (float& v : a) v = generator.uniform(-scale, scale);
  return a;
}

// y = tanh(x W0ᵀ + b0) W2ᵀ + b2, initialised from its own seed.
struct TinyMlp {
  Tensor w0, b0, w2, b2;

  explicit TinyMlp(std::uint64_t seed, std::size_t hidden = 8) {
    Generator generator(seed);
    w0 = Tensor(uniform_array(generator, {hidden, 3}, 0.5f), true);  // (8, 3)
    b0 = Tensor(uniform_array(generator, {hidden}, 0.5f), true);     // (8,)
    w2 = Tensor(uniform_array(generator, {2, hidden}, 0.5f), true);  // (2, 8)
    b2 = Tensor(uniform_array(generator, {2}, 0.5f), true);          // (2,)
  }
  // What nn::Module::state_dict() would give for the torch.nn.Sequential above.
  ModelState state_dict() const { return {{"0.weight", w0}, {"0.bias", b0}, {"2.weight", w2}, {"2.bias", b2}}; }
  std::vector<Tensor> parameters() const { return {w0, b0, w2, b2}; }

  float dropout_p = 0.0f;  // on the hidden layer, drawn from the default generator

  Tensor forward(const Tensor& x) const {                                              // x (N, 3)
    const Tensor h = tanh(matmul(x, transpose(w0, 0, 1)) + b0);                        // (N, 8)
    return matmul(dropout(h, dropout_p, dropout_p > 0.0f), transpose(w2, 0, 1)) + b2;  // (N, 2)
  }
};

// Model, Adam and a warmup-cosine schedule: the lr changes every step, so a resumed run that
// got the step count or the moments wrong would show in the losses.
struct Training {
  TinyMlp model;
  Adam adam;
  CosineWarmupLR schedule;

  explicit Training(std::uint64_t seed, std::size_t hidden = 8, float dropout = 0.0f)
      : model(seed, hidden), adam(model.parameters(), AdamOptions{.lr = 0.05}), schedule(adam, 3, 20, 1e-3) {
    model.dropout_p = dropout;
  }

  float step(const Tensor& x, const Tensor& y) {
    adam.zero_grad();
    const Tensor loss = mse_loss(model.forward(x), y);  // ()
    loss.backward();
    adam.step();
    schedule.step();
    return loss.item();
  }
};

// Loads the file, lets `edit` change its metadata, and writes it back (a hand-edited file).
template <class Edit>
void edit_metadata(const fs::path& path, Edit edit) {
  SafetensorsContent file = load_safetensors(path);
  edit(file.metadata);
  save_safetensors(path, file.tensors, file.metadata);
}

// Fixed data: x (16, 3), y (16, 2).
struct Data {
  Tensor x, y;
  Data() {
    Generator generator(7);
    x = Tensor(uniform_array(generator, {16, 3}, 1.0f));
    y = Tensor(uniform_array(generator, {16, 2}, 1.0f));
  }
};

}  // namespace

TEST_CASE("training state: 10 steps, save, fresh model/optimizer/schedule, load, 10 steps == 20 steps, bitwise") {
  TempDir dir("training_state");
  const fs::path path = dir.path / "run.safetensors";
  const Data data;

  Training straight(1);
  std::vector<float> straight_losses;
  for (int i = 0; i < 20; ++i) straight_losses.push_back(straight.step(data.x, data.y));

  std::vector<float> resumed_losses;
  {
    Training first(1);
    for (int i = 0; i < 10; ++i) resumed_losses.push_back(first.step(data.x, data.y));
    save_training_state(path, first.model.state_dict(), first.adam, &first.schedule, {{"step", "10"}});
  }
  Training second(99);  // other initial weights: everything must come from the file
  const Metadata metadata = load_training_state(path, second.model.state_dict(), second.adam, &second.schedule);
  CHECK(metadata == Metadata{{"step", "10"}});
  CHECK(second.schedule.last_step() == 10);
  for (int i = 0; i < 10; ++i) resumed_losses.push_back(second.step(data.x, data.y));

  REQUIRE(resumed_losses.size() == straight_losses.size());
  CHECK(std::memcmp(resumed_losses.data(), straight_losses.data(), sizeof(float) * straight_losses.size()) == 0);
  CHECK(resumed_losses == straight_losses);  // shows the values if the bits differ
  CHECK(same_bits(values_of(second.model.state_dict()), values_of(straight.model.state_dict())));
  CHECK(same_bits(second.adam.state_dict(), straight.adam.state_dict()));
  CHECK(second.schedule.get_last_lr() == straight.schedule.get_last_lr());
  CHECK(straight_losses.back() < straight_losses.front());  // it did train

  // Without the file, the same 10 steps from other weights give other losses.
  Training unloaded(99);
  CHECK(unloaded.step(data.x, data.y) != straight_losses[10]);
}

TEST_CASE("training state with dropout: the generator's state comes back too, so the resumed run is bitwise equal") {
  TempDir dir("training_state");
  const fs::path path = dir.path / "dropout.safetensors";
  const Data data;
  auto losses = [&](Training& t, int steps) {
    std::vector<float> out;
    for (int i = 0; i < steps; ++i) out.push_back(t.step(data.x, data.y));
    return out;
  };

  manual_seed(5);
  Training straight(1, 8, 0.5f);
  const std::vector<float> straight_losses = losses(straight, 20);

  manual_seed(5);
  Training first(1, 8, 0.5f);
  std::vector<float> resumed_losses = losses(first, 10);
  save_training_state(path, first.model.state_dict(), first.adam, &first.schedule);
  manual_seed(12345);  // the resumed process starts from another generator state
  Training second(99, 8, 0.5f);
  CHECK(load_training_state(path, second.model.state_dict(), second.adam, &second.schedule).empty());
  for (float loss : losses(second, 10)) resumed_losses.push_back(loss);
  CHECK(resumed_losses == straight_losses);

  // The control: the same file without the generator's entry resumes with other dropout masks.
  edit_metadata(path, [](Metadata& metadata) { metadata.erase(generator_metadata_key); });
  manual_seed(12345);
  Training third(99, 8, 0.5f);
  load_training_state(path, third.model.state_dict(), third.adam, &third.schedule);
  CHECK(losses(third, 10) != std::vector<float>(straight_losses.begin() + 10, straight_losses.end()));
}

TEST_CASE("training state: the generator's metadata key is reserved, and a bad saved state changes nothing") {
  TempDir dir("training_state");
  const fs::path path = dir.path / "generator.safetensors";
  const Data data;
  Training training(1);
  training.step(data.x, data.y);
  CHECK_THROWS_WITH(save_training_state(path, training.model.state_dict(), training.adam, &training.schedule,
                                        {{generator_metadata_key, "mine"}}),
                    Contains("metadata key 'attograd.default_generator' is reserved"));
  CHECK_FALSE(fs::exists(path));

  save_training_state(path, training.model.state_dict(), training.adam, &training.schedule);
  edit_metadata(path, [](Metadata& metadata) { metadata[generator_metadata_key] = "xoshiro256** 12 34"; });

  Training other(2);
  const NamedArrays model_before = values_of(other.model.state_dict());
  const std::string generator_before = default_generator().state();
  CHECK_THROWS_WITH(
      load_training_state(path, other.model.state_dict(), other.adam, &other.schedule),
      Contains(path.string()) && Contains("metadata 'attograd.default_generator'") && Contains("'xoshiro256** 12 34'"));
  CHECK(same_bits(values_of(other.model.state_dict()), model_before));
  CHECK(other.adam.state_dict().empty());
  CHECK(default_generator().state() == generator_before);
}

TEST_CASE("training state: model under its own names, then optimizer. and scheduler. entries") {
  TempDir dir("training_state");
  const fs::path path = dir.path / "layout.safetensors";
  const Data data;
  Training training(1);
  training.step(data.x, data.y);
  training.step(data.x, data.y);
  save_training_state(path, training.model.state_dict(), training.adam, &training.schedule,
                      {{"config", R"({"hidden": 8})"}});

  const SafetensorsContent file = load_safetensors(path);
  std::vector<std::string> names;
  for (const auto& [name, _] : file.tensors) names.push_back(name);
  std::vector<std::string> want = {"0.weight", "0.bias", "2.weight", "2.bias"};
  for (int i = 0; i < 4; ++i)
    for (const char* entry : {"exp_avg", "exp_avg_sq", "step"})
      want.push_back(fmt::format("optimizer.state.{}.{}", i, entry));
  want.emplace_back("scheduler.last_step");
  CHECK(names == want);
  CHECK(file.metadata ==
        Metadata{{"config", R"({"hidden": 8})"}, {generator_metadata_key, default_generator().state()}});
  CHECK(file.at("optimizer.state.2.step")() == 2.0f);
  CHECK(file.at("scheduler.last_step")() == 2.0f);

  // read_training_state splits it, ready for Module::load_state_dict (e.g. to evaluate) and
  // the optimizer's and schedule's load_state_dict.
  const TrainingState state = read_training_state(path);
  CHECK(same_bits(values_of(state.model), values_of(training.model.state_dict())));
  CHECK(same_bits(state.optimizer, training.adam.state_dict()));
  CHECK(same_bits(state.scheduler, training.schedule.state_dict()));
  CHECK(state.metadata == Metadata{{"config", R"({"hidden": 8})"}});  // the generator's entry is split off
  CHECK(state.generator == default_generator().state());

  // Saved without a schedule: no scheduler entries; an optimizer that never stepped: none either.
  Training fresh(2);
  save_training_state(path, fresh.model.state_dict(), fresh.adam);
  const TrainingState bare = read_training_state(path);
  CHECK(bare.model.size() == 4);
  CHECK(bare.optimizer.empty());
  CHECK(bare.scheduler.empty());
}

TEST_CASE("training state: misfits name the file and change neither model, optimizer nor schedule") {
  TempDir dir("training_state");
  const fs::path path = dir.path / "run.safetensors";
  const Data data;
  Training saved(1);
  for (int i = 0; i < 3; ++i) saved.step(data.x, data.y);
  save_training_state(path, saved.model.state_dict(), saved.adam, &saved.schedule);

  Training target(5);  // a run in progress, whose state must survive every failed load
  for (int i = 0; i < 2; ++i) target.step(data.x, data.y);
  const NamedArrays model_before = values_of(target.model.state_dict());
  const NamedArrays adam_before = target.adam.state_dict();
  const double lr_before = target.adam.param_groups()[0].lr.value();
  auto unchanged = [&](Training& t) {
    CHECK(same_bits(values_of(t.model.state_dict()), model_before));
    CHECK(same_bits(t.adam.state_dict(), adam_before));
    CHECK(t.schedule.last_step() == 2);
    CHECK(t.adam.param_groups()[0].lr.value() == lr_before);
  };
  const std::string prefix = path.string() + ": ";

  SECTION("another hidden size") {
    Training narrow(5, 6);
    REQUIRE_THROWS_AS(load_training_state(path, narrow.model.state_dict(), narrow.adam, &narrow.schedule),
                      std::invalid_argument);
    REQUIRE_THROWS_WITH(load_training_state(path, narrow.model.state_dict(), narrow.adam, &narrow.schedule),
                        StartsWith(prefix + "load_training_state: the saved model does not fit the model:") &&
                            Contains("\n  shape mismatch for 0.weight: expected (6, 3), got (8, 3)") &&
                            Contains("\n  shape mismatch for 2.weight: expected (2, 6), got (2, 8)") &&
                            !Contains("2.bias"));
  }
  SECTION("missing and unexpected model keys") {
    ModelState renamed = target.model.state_dict();
    renamed[1].first = "0.offset";
    REQUIRE_THROWS_WITH(load_training_state(path, renamed, target.adam, &target.schedule),
                        StartsWith(prefix + "load_training_state:") && Contains("\n  missing key: 0.offset") &&
                            Contains("\n  unexpected key: 0.bias"));
    unchanged(target);
  }
  SECTION("a schedule given, none saved; one saved, none given") {
    const fs::path without = dir.path / "without_schedule.safetensors";
    save_training_state(without, saved.model.state_dict(), saved.adam);
    REQUIRE_THROWS_WITH(load_training_state(without, target.model.state_dict(), target.adam, &target.schedule),
                        StartsWith(without.string() + ": load_training_state: a schedule was given, but the file "
                                                      "holds no schedule state"));
    REQUIRE_THROWS_WITH(load_training_state(path, target.model.state_dict(), target.adam),
                        StartsWith(prefix + "load_training_state: the file holds a schedule's state"));
    unchanged(target);
  }
  SECTION("the optimizer rejects its part: Adam's state into SGD") {
    SGD sgd(target.model.parameters(), SGDOptions{.lr = 0.1, .momentum = 0.9});
    StepLR sgd_schedule(sgd, 5);
    REQUIRE_THROWS_WITH(load_training_state(path, target.model.state_dict(), sgd, &sgd_schedule),
                        StartsWith(prefix) && Contains("SGD: load_state_dict: 'state.0.exp_avg'"));
    CHECK(same_bits(values_of(target.model.state_dict()), model_before));
  }
  SECTION("the schedule rejects its part after the optimizer loaded: the optimizer is put back") {
    TrainingState state = read_training_state(path);
    NamedArrays arrays = values_of(state.model);
    for (auto& [name, array] : state.optimizer) arrays.emplace_back(optimizer_prefix + name, array);
    arrays.emplace_back("scheduler.last_step", Array(2.5f));  // not a whole number
    const fs::path bad = dir.path / "bad_schedule.safetensors";
    save_safetensors(bad, arrays);
    REQUIRE_THROWS_WITH(load_training_state(bad, target.model.state_dict(), target.adam, &target.schedule),
                        StartsWith(bad.string() + ": LRScheduler: load_state_dict: 'last_step' must be"));
    unchanged(target);
  }
  SECTION("a missing or malformed file") {
    REQUIRE_THROWS_WITH(load_training_state(dir.path / "absent.safetensors", target.model.state_dict(), target.adam),
                        Contains("absent.safetensors"));
    unchanged(target);
  }
}

TEST_CASE("training state: save refuses model names that would collide with the optimizer's") {
  TempDir dir("training_state");
  const fs::path path = dir.path / "collide.safetensors";
  Training training(1);
  ModelState model = training.model.state_dict();
  model.emplace_back("optimizer.lr", scalar_tensor(0.1f));
  REQUIRE_THROWS_WITH(save_training_state(path, model, training.adam),
                      Contains("model tensor 'optimizer.lr' starts with 'optimizer.' or 'scheduler.'"));
  model.back() = {"extra", Tensor()};
  REQUIRE_THROWS_WITH(save_training_state(path, model, training.adam), Contains("model tensor 'extra' is undefined"));
  CHECK_FALSE(fs::exists(path));
}
