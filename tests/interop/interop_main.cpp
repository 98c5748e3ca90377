// The C++ half of the PyTorch interop check (tests/golden/interop.py is the other half):
//
//   interop_main write DIR   saves an attograd model's checkpoint (attograd_model.safetensors)
//                            and a fixed input with the model's outputs (attograd_io.safetensors)
//   interop_main check DIR   loads torch's checkpoint (torch_model.safetensors) with strict
//                            load_module, runs torch's input and compares with torch's outputs
//
// The model, the same in both languages (torch names its parts alike):
//   proj = Linear(4, 8) -> encoder = TransformerEncoderLayer(8, 2 heads, 16, dropout 0)
//   -> rnn = GRU(8, 6, batch_first) -> head = Linear(6, 3)
// Exit status 0 on agreement, 1 on any failure (with the reason on stderr).
#include <cmath>
#include <exception>
#include <filesystem>
#include <memory>
#include <string>

#include <fmt/format.h>

#include <attograd/attograd.hpp>

using namespace attograd;
namespace fs = std::filesystem;

namespace {

// Shared with interop.py, stored in the metadata as JSON text as the examples store theirs.
const char* const config_json = R"({"in": 4, "d_model": 8, "nhead": 2, "dim_feedforward": 16, "hidden": 6, "out": 3})";

class InteropNet : public nn::Module {
 public:
  InteropNet() {
    proj = register_module("proj", std::make_shared<nn::Linear>(4, 8));
    encoder = register_module("encoder", std::make_shared<nn::TransformerEncoderLayer>(nn::TransformerLayerOptions{
                                             .d_model = 8, .nhead = 2, .dim_feedforward = 16, .dropout = 0.0f}));
    rnn = register_module("rnn", std::make_shared<nn::GRU>(8, 6, nn::RNNOptions{.batch_first = true}));
    head = register_module("head", std::make_shared<nn::Linear>(6, 3));
  }
  std::string describe() const override { return "InteropNet"; }

  // x (B, T, 4) -> y (B, T, 3) and the GRU's final state h_n (1, B, 6)
  nn::GRUOutput forward(const Tensor& x) {
    const Tensor encoded = encoder->forward(proj->forward(x));  // (B, T, 8)
    nn::GRUOutput rnn_out = rnn->forward(encoded);              // (B, T, 6), (1, B, 6)
    return {head->forward(rnn_out.output), rnn_out.h_n};
  }

  std::shared_ptr<nn::Linear> proj;
  std::shared_ptr<nn::TransformerEncoderLayer> encoder;
  std::shared_ptr<nn::GRU> rnn;
  std::shared_ptr<nn::Linear> head;
};

// |got - want| <= 1e-6 + 1e-5 |want| everywhere (DESIGN §5's bar); throws naming the worst element.
void require_close(const std::string& what, const Array& got, const Array& want) {
  if (got.shape() != want.shape())
    throw std::runtime_error(
        fmt::format("{}: shape {} but torch gave {}", what, shape_str(got.shape()), shape_str(want.shape())));
  double worst = 0.0, worst_error = 0.0;
  std::size_t worst_at = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double error = std::abs(static_cast<double>(got.data()[i]) - want.data()[i]);
    const double ratio = std::isfinite(error) ? error / (1e-6 + 1e-5 * std::abs(want.data()[i])) : INFINITY;
    if (ratio > worst) {
      worst = ratio;
      worst_error = error;
      worst_at = i;
    }
  }
  fmt::print("  {}: max |error| {:.3g}, {:.3g} of the tolerance\n", what, worst_error, worst);
  if (!(worst <= 1.0))
    throw std::runtime_error(fmt::format("{}: element {} differs: got {:.9g}, torch gave {:.9g}", what, worst_at,
                                         got.data()[worst_at], want.data()[worst_at]));
}

void write(const fs::path& dir) {
  manual_seed(2024);
  InteropNet model;
  // Nudge every parameter so no bias is zero and no norm weight is one: a tensor loaded under
  // the wrong name would then change the outputs.
  for (auto& [name, tensor] : model.state_dict())
    for (float& v : tensor.mutable_value()) v += default_generator().uniform(-0.1f, 0.1f);
  model.eval();
  const Tensor x = randn({2, 5, 4});  // (B, T, 4)
  const nn::GRUOutput out = model.forward(x);

  nn::save_module(dir / "attograd_model.safetensors", model, {{"writer", "attograd"}, {"config", config_json}});
  save_safetensors(dir / "attograd_io.safetensors",
                   {{"x", x.value()}, {"y", out.output.value()}, {"h_n", out.h_n.value()}});
  fmt::print("interop_main: wrote {} tensors to {}\n", model.state_dict().size(),
             (dir / "attograd_model.safetensors").string());
}

void check(const fs::path& dir) {
  manual_seed(7);  // other weights than torch's: every value must come from the file
  InteropNet model;
  const Metadata metadata = nn::load_module(dir / "torch_model.safetensors", model);  // strict
  if (metadata.count("writer") == 0 || metadata.at("writer") != "torch")
    throw std::runtime_error("torch_model.safetensors: metadata 'writer' is not 'torch'");
  model.eval();

  const SafetensorsContent io = load_safetensors(dir / "torch_io.safetensors");
  const nn::GRUOutput out = model.forward(Tensor(io.at("x")));
  fmt::print("interop_main: torch's checkpoint in attograd, against torch's outputs:\n");
  require_close("y", out.output.value(), io.at("y"));
  require_close("h_n", out.h_n.value(), io.at("h_n"));
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc == 3 ? argv[1] : "";
  if (mode != "write" && mode != "check") {
    fmt::print(stderr, "usage: interop_main write|check DIR\n");
    return 2;
  }
  try {
    if (mode == "write") {
      write(argv[2]);
    } else {
      check(argv[2]);
    }
  } catch (const std::exception& error) {
    fmt::print(stderr, "interop_main {}: {}\n", mode, error.what());
    return 1;
  }
  return 0;
}
