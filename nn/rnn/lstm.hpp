// Long short-term memory (Hochreiter & Schmidhuber 1997, with the forget gate) with PyTorch's
// exact equations, gate order (i, f, g, o), parameter names and shapes:
//   i  = σ(x W_iiᵀ + b_ii + h W_hiᵀ + b_hi)      input gate
//   f  = σ(x W_ifᵀ + b_if + h W_hfᵀ + b_hf)      forget gate
//   g  = tanh(x W_igᵀ + b_ig + h W_hgᵀ + b_hg)   candidate cell
//   o  = σ(x W_ioᵀ + b_io + h W_hoᵀ + b_ho)      output gate
//   c' = f ⊙ c + i ⊙ g
//   h' = o ⊙ tanh(c')
// W_ih stacks the four gates' rows as (4H, I), W_hh as (4H, H).
#pragma once

#include <cstddef>
#include <string>

#include <attograd/nn/module.hpp>
#include <attograd/nn/rnn/rnn.hpp>

namespace attograd::nn {

struct LSTMState {
  Tensor h;  // (B, H)
  Tensor c;  // (B, H)
};

namespace functional {
// The LSTM update from the gate pre-activations gates = x W_ihᵀ + b_ih + h W_hhᵀ + b_hh
// (B, 4H, gates i, f, g, o) and the cell c (B, H) -> {h', c'} (B, H each), from core ops; its
// fused twin is core/fused/lstm_update.hpp.
LSTMState lstm_update(const Tensor& gates, const Tensor& c);
}  // namespace functional

// One step: weight_ih (4H, I), weight_hh (4H, H), bias_ih (4H), bias_hh (4H), all
// U(-1/√H, 1/√H).
class LSTMCell : public Module {
 public:
  explicit LSTMCell(const LSTMCellOptions& options);
  LSTMCell(std::size_t input_size, std::size_t hidden_size, bool bias = true);

  // Every weight and bias ~ U(-1/√H, 1/√H), as PyTorch, in the order weight_ih, weight_hh,
  // bias_ih, bias_hh.
  void reset_parameters() override;

  // input (B, I), h and c (B, H) -> {h', c'}; also unbatched (I), (H). Undefined states = zeros.
  LSTMState forward(const Tensor& input, const Tensor& h = {}, const Tensor& c = {}) const;
  LSTMState operator()(const Tensor& input, const Tensor& h = {}, const Tensor& c = {}) const {
    return forward(input, h, c);
  }
  // The same step from the input's gate pre-activations gates_x = input W_ihᵀ + b_ih (B, 4H),
  // computed by the caller: forward(input, h, c) is forward_gates(linear(input, weight_ih, bias_ih), h, c).
  // For gates made outside the cell: a decoder under teacher forcing could project every step's
  // known input in one product and hand each step its row. Measured at this project's sizes
  // (docs/performance.md, "What did not help"), that did not pay, so no example does it.
  LSTMState forward_gates(const Tensor& gates_x, const Tensor& h = {}, const Tensor& c = {}) const;
  std::string describe() const override;
  const LSTMCellOptions& options() const { return options_; }

  Tensor weight_ih, weight_hh, bias_ih, bias_hh;  // biases undefined without bias

 private:
  LSTMCellOptions options_;
};

struct LSTMOutput {
  Tensor output;  // (B, T, D·H) ((T, B, D·H) without batch_first); zeros past each sequence's length
  Tensor h_n;     // (L·D, B, H): each layer and direction's hidden state after its last real step
  Tensor c_n;     // (L·D, B, H): the same for the cell state
};

// A stack of LSTM layers over whole sequences (see rnn.hpp for layouts and options), with
// GRU's parameter naming (weight_ih_l0, ..., bias_hh_l1_reverse).
class LSTM : public RNNBase {
 public:
  explicit LSTM(const LSTMOptions& options);
  // The sizes given here replace those in `options`.
  LSTM(std::size_t input_size, std::size_t hidden_size, const LSTMOptions& options = {});

  // h0 and c0 (L·D, B, H), zeros when undefined. With lengths, sequence b is only its first
  // lengths[b] steps: outputs past it are zero and its states ignore the padding.
  LSTMOutput forward(const Tensor& input, const Tensor& h0 = {}, const Tensor& c0 = {},
                     const SequenceLengths& lengths = {}) const;
  LSTMOutput operator()(const Tensor& input, const Tensor& h0 = {}, const Tensor& c0 = {},
                        const SequenceLengths& lengths = {}) const {
    return forward(input, h0, c0, lengths);
  }

 protected:
  State step(const Tensor& gates_x, const State& state, const StepWeights& w) const override;
};

}  // namespace attograd::nn
