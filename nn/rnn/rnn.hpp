// What GRU and LSTM share: their options and RNNBase, which owns the weights of every layer and
// direction and unrolls them over time (the lengths of padded sequences are
// nn/sequence_lengths.hpp's SequenceLengths). A subclass only supplies one time step of its cell.
//
// Layout: input (B, T, I), or (T, B, I) with batch_first = false, or (T, I) unbatched; output
// (B, T, D·H) with D = 2 when bidirectional; states (L·D, B, H) whatever batch_first says,
// ordered layer by layer with the forward direction before the reverse one.
// Unlike PyTorch, batch_first defaults to true, as in every attograd layer that takes
// sequences (MultiheadAttention, Transformer): set it false for PyTorch's (T, B, I).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include <attograd/nn/module.hpp>
#include <attograd/nn/sequence_lengths.hpp>

namespace attograd::nn {

// nn::GRUOptions{.input_size = 8, .hidden_size = 16, .num_layers = 2, .bidirectional = true}
struct RNNOptions {
  std::size_t input_size = 0;
  std::size_t hidden_size = 0;  // positive
  std::size_t num_layers = 1;   // positive
  bool bias = true;
  bool batch_first = true;  // input and output (B, T, ·); false: (T, B, ·). States stay (L·D, B, H)
  float dropout = 0.0f;     // applied to every layer's output except the last, while training
  bool bidirectional = false;
};
using GRUOptions = RNNOptions;
using LSTMOptions = RNNOptions;

// nn::GRUCellOptions{.input_size = 8, .hidden_size = 16}
struct RNNCellOptions {
  std::size_t input_size = 0;
  std::size_t hidden_size = 0;  // positive
  bool bias = true;
};
using GRUCellOptions = RNNCellOptions;
using LSTMCellOptions = RNNCellOptions;

class RNNBase : public Module {
 public:
  std::size_t input_size() const { return options_.input_size; }
  std::size_t hidden_size() const { return options_.hidden_size; }
  const RNNOptions& options() const { return options_; }
  std::size_t num_directions() const { return options_.bidirectional ? 2 : 1; }
  std::string describe() const override;

  // Every weight and bias ~ U(-1/√H, 1/√H), as PyTorch, layer by layer and direction by
  // direction in the parameters' order (weight_ih, weight_hh, bias_ih, bias_hh).
  void reset_parameters() override;

 protected:
  // The state a cell carries from step to step: {h} for a GRU, {h, c} for an LSTM, each (B, H).
  using State = std::vector<Tensor>;

  // One layer and direction's recurrent parameters (b_hh undefined without bias), as stored:
  // a step computes h W_hhᵀ + b_hh with the transpose passed to BLAS as a flag.
  struct StepWeights {
    Tensor w_hh;  // (G·H, H)
    Tensor b_hh;  // (G·H)
  };

  // `gates` is the number of gate blocks stacked in each weight (3 for GRU, 4 for LSTM);
  // `state_names` name the initial states in error messages ({"h0"} or {"h0", "c0"}).
  RNNBase(std::string name, std::size_t gates, std::vector<std::string> state_names, const RNNOptions& options);
  // The positional constructors' sizes written into the options they forward.
  static RNNOptions with_sizes(RNNOptions options, std::size_t input_size, std::size_t hidden_size);

  // One time step. gates_x = x_t W_ihᵀ + b_ih (B, G·H) is computed for all steps beforehand.
  virtual State step(const Tensor& gates_x, const State& state, const StepWeights& w) const = 0;

  struct Result {
    Tensor output;  // laid out like the input: (T, B, D·H), (B, T, D·H) or (T, D·H)
    State final;    // per state part: (L·D, B, H), or (L·D, H) unbatched
  };
  // Checks every shape, then runs all layers and directions. `initial` holds one tensor per
  // state part, (L·D, B, H) or undefined for zeros.
  Result run(const Tensor& input, const State& initial, const SequenceLengths& lengths) const;

 private:
  struct LayerWeights {
    Tensor w_ih, w_hh, b_ih, b_hh;  // (G·H, in), (G·H, H), (G·H), (G·H)
  };

  struct DirectionResult {
    Tensor output;  // (T, B, H)
    State final;    // each part (B, H)
  };
  DirectionResult run_direction(const Tensor& x, const State& initial_state, const std::vector<Mask>& valid,
                                std::size_t k, bool reverse) const;
  Result to_input_layout(const Tensor& output, const std::vector<State>& finals, bool batched) const;
  Tensor time_major(const Tensor& input) const;
  State initial_states(const State& given, const Tensor& input, std::size_t B) const;
  std::vector<Mask> valid_steps(const SequenceLengths& lengths, const Tensor& input, std::size_t T,
                                std::size_t B) const;

  std::string name_;
  std::vector<std::string> state_names_;
  RNNOptions options_;
  std::vector<LayerWeights> weights_;  // per layer · direction, in PyTorch's order
};

}  // namespace attograd::nn
