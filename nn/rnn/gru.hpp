// Gated recurrent units (Cho et al. 2014) with PyTorch's exact equations, gate order (r, z, n),
// parameter names and shapes, so weights load straight from a torch.nn.GRU state dict:
//   r  = σ(x W_irᵀ + b_ir + h W_hrᵀ + b_hr)
//   z  = σ(x W_izᵀ + b_iz + h W_hzᵀ + b_hz)
//   n  = tanh(x W_inᵀ + b_in + r ⊙ (h W_hnᵀ + b_hn))
//   h' = (1 - z) ⊙ n + z ⊙ h
// W_ih stacks [W_ir; W_iz; W_in] as (3H, I), W_hh stacks [W_hr; W_hz; W_hn] as (3H, H).
#pragma once

#include <cstddef>
#include <string>

#include <attograd/nn/module.hpp>
#include <attograd/nn/rnn/rnn.hpp>

namespace attograd::nn {

namespace functional {
// The GRU update from the gate pre-activations gates_x = x W_ihᵀ + b_ih and
// gates_h = h W_hhᵀ + b_hh (B, 3H each, gates r, z, n) and the state h (B, H) -> h' (B, H):
// the equations above from core ops; its fused twin is core/fused/gru_update.hpp.
Tensor gru_update(const Tensor& gates_x, const Tensor& gates_h, const Tensor& h);
}  // namespace functional

// One step: weight_ih (3H, I), weight_hh (3H, H), bias_ih (3H), bias_hh (3H), all
// U(-1/√H, 1/√H).
class GRUCell : public Module {
 public:
  explicit GRUCell(const GRUCellOptions& options);
  GRUCell(std::size_t input_size, std::size_t hidden_size, bool bias = true);

  // Every weight and bias ~ U(-1/√H, 1/√H), as PyTorch, in the order weight_ih, weight_hh,
  // bias_ih, bias_hh.
  void reset_parameters() override;

  // input (B, I) and hx (B, H) -> h' (B, H); also unbatched (I) and (H). hx undefined = zeros.
  Tensor forward(const Tensor& input, const Tensor& hx = {}) const;
  Tensor operator()(const Tensor& input, const Tensor& hx = {}) const { return forward(input, hx); }
  // The same step from the input's gate pre-activations gates_x = input W_ihᵀ + b_ih (B, 3H),
  // computed by the caller: forward(input, hx) is forward_gates(linear(input, weight_ih, bias_ih), hx).
  // For gates made outside the cell: a decoder under teacher forcing could project every step's
  // known input in one product and hand each step its row. Measured at this project's sizes
  // (docs/performance.md, "What did not help"), that did not pay, so no example does it.
  Tensor forward_gates(const Tensor& gates_x, const Tensor& hx = {}) const;
  std::string describe() const override;
  const GRUCellOptions& options() const { return options_; }

  Tensor weight_ih, weight_hh, bias_ih, bias_hh;  // biases undefined without bias

 private:
  GRUCellOptions options_;
};

struct GRUOutput {
  Tensor output;  // (B, T, D·H) ((T, B, D·H) without batch_first); zeros past each sequence's length
  Tensor h_n;     // (L·D, B, H): each layer and direction's state after its last real step
};

// A stack of GRU layers over whole sequences (see rnn.hpp for layouts and options).
// Parameters weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}, plus the same with
// "_reverse" when bidirectional; layer k > 0 reads the D·H-wide output of layer k - 1.
class GRU : public RNNBase {
 public:
  explicit GRU(const GRUOptions& options);
  // The sizes given here replace those in `options`.
  GRU(std::size_t input_size, std::size_t hidden_size, const GRUOptions& options = {});

  // h0 (L·D, B, H), zeros when undefined. With lengths, sequence b is only its first
  // lengths[b] steps: outputs past it are zero and its states ignore the padding.
  GRUOutput forward(const Tensor& input, const Tensor& h0 = {}, const SequenceLengths& lengths = {}) const;
  GRUOutput operator()(const Tensor& input, const Tensor& h0 = {}, const SequenceLengths& lengths = {}) const {
    return forward(input, h0, lengths);
  }

 protected:
  State step(const Tensor& gates_x, const State& state, const StepWeights& w) const override;
};

}  // namespace attograd::nn
