// libFuzzer harness for the loaders of optimizer and training state, which read files a user
// hands in: arbitrary bytes, as a training-state file and as an optimizer state dict, must
// either load or be refused with std::runtime_error / std::invalid_argument - never crash, leak
// or hit undefined behaviour - and a refused load must leave model and optimizer as they were.
// Built and run by run_fuzzer.sh in this folder.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <span>
#include <stdexcept>
#include <string>

#include <attograd/core/autograd.hpp>
#include <attograd/core/safetensors.hpp>
#include <attograd/optim/adam.hpp>
#include <attograd/optim/lr_scheduler.hpp>
#include <attograd/optim/training_state.hpp>

namespace {
using namespace attograd;

struct Fixture {
  Tensor weight{Array(xt::ones<float>({2, 3})), true};
  Tensor bias{Array(xt::zeros<float>({3})), true};
  optim::ModelState model{{"weight", weight}, {"bias", bias}};
  optim::Adam adam{{weight, bias}, {.lr = 0.1, .amsgrad = true}};
  optim::StepLR schedule{adam, 2, 0.5};
  Fixture() {
    accumulate_grad(weight, xt::ones<float>({2, 3}));  // as a backward would
    accumulate_grad(bias, xt::ones<float>({3}));
    adam.step();
    schedule.step();
  }
};

bool same(const Array& a, const Array& b) { return a.shape() == b.shape() && a == b; }
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Fixture f;
  static const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("attograd_fuzz_state_" + std::to_string(::getpid()) + ".safetensors");
  const Array weight_before = f.weight.value();
  const NamedArrays adam_before = f.adam.state_dict();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  try {
    optim::load_training_state(path, f.model, f.adam, &f.schedule);
    return 0;  // it loaded: a valid file
  } catch (const std::invalid_argument&) {
  } catch (const std::runtime_error&) {
  }
  // Refused: nothing may have changed.
  if (!same(f.weight.value(), weight_before)) std::abort();
  const NamedArrays adam_after = f.adam.state_dict();
  if (adam_after.size() != adam_before.size()) std::abort();
  for (std::size_t i = 0; i < adam_after.size(); ++i)
    if (adam_after[i].first != adam_before[i].first || !same(adam_after[i].second, adam_before[i].second)) std::abort();

  // The same bytes as an optimizer state dict straight from memory.
  try {
    const SafetensorsContent content =
        parse_safetensors(std::span(reinterpret_cast<const std::byte*>(data), size), "fuzz input");
    f.adam.load_state_dict(content.tensors);
  } catch (const std::invalid_argument&) {
  } catch (const std::runtime_error&) {
  }
  return 0;
}
