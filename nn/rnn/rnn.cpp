// RNNBase: parameter registration in PyTorch's names and order, shape checks, and the unrolling
// of every layer and direction over time, with per-sequence lengths.
#include <attograd/nn/rnn/rnn.hpp>

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/ops/creation.hpp>
#include <attograd/core/ops/elementwise.hpp>
#include <attograd/core/ops/functional.hpp>
#include <attograd/core/ops/indexing.hpp>
#include <attograd/core/ops/linalg.hpp>
#include <attograd/core/ops/shape_ops.hpp>
#include <attograd/nn/init.hpp>

namespace attograd::nn {

RNNBase::RNNBase(std::string name, std::size_t gates, std::vector<std::string> state_names, const RNNOptions& options)
    : name_(std::move(name)), state_names_(std::move(state_names)), options_(options) {
  const std::size_t H = options.hidden_size;
  if (H == 0) throw std::invalid_argument(fmt::format("{}: hidden_size must be positive", name_));
  if (options.num_layers == 0) throw std::invalid_argument(fmt::format("{}: num_layers must be positive", name_));
  if (!(options.dropout >= 0.0f && options.dropout <= 1.0f))
    throw std::invalid_argument(fmt::format("{}: dropout must be in [0, 1], got {}", name_, options.dropout));
  const std::size_t rows = gates * H;
  for (std::size_t layer = 0; layer < options.num_layers; ++layer) {
    const std::size_t layer_input = layer == 0 ? options.input_size : num_directions() * H;
    for (std::size_t direction = 0; direction < num_directions(); ++direction) {
      const std::string suffix = fmt::format("_l{}{}", layer, direction == 1 ? "_reverse" : "");
      LayerWeights w;
      w.w_ih = register_parameter("weight_ih" + suffix, zeros({rows, layer_input}));
      w.w_hh = register_parameter("weight_hh" + suffix, zeros({rows, H}));
      if (options.bias) {
        w.b_ih = register_parameter("bias_ih" + suffix, zeros({rows}));
        w.b_hh = register_parameter("bias_hh" + suffix, zeros({rows}));
      }
      weights_.push_back(w);
    }
  }
  reset_parameters();
}

RNNOptions RNNBase::with_sizes(RNNOptions options, std::size_t input_size, std::size_t hidden_size) {
  options.input_size = input_size;
  options.hidden_size = hidden_size;
  return options;
}

void RNNBase::reset_parameters() {
  const std::size_t H = options_.hidden_size;
  for (LayerWeights& w : weights_) {
    init::uniform_fan_in_(w.w_ih, H);
    init::uniform_fan_in_(w.w_hh, H);
    if (!w.b_ih.defined()) continue;
    init::uniform_fan_in_(w.b_ih, H);
    init::uniform_fan_in_(w.b_hh, H);
  }
}

std::string RNNBase::describe() const {
  return fmt::format(
      "{}(input_size={}, hidden_size={}, num_layers={}, bias={}, batch_first={}, dropout={}, bidirectional={})", name_,
      options_.input_size, options_.hidden_size, options_.num_layers, options_.bias, options_.batch_first,
      options_.dropout, options_.bidirectional);
}

// (T, B, I) from any accepted layout, after checking rank and width.
Tensor RNNBase::time_major(const Tensor& input) const {
  const std::string layout = options_.batch_first ? fmt::format("(B, T, {})", options_.input_size)
                                                  : fmt::format("(T, B, {})", options_.input_size);
  if (input.dim() != 3 && input.dim() != 2)
    throw std::invalid_argument(fmt::format("{}: expected input of shape {} or (T, {}) unbatched, got {}", name_,
                                            layout, options_.input_size, shape_str(input.shape())));
  const bool batched = input.dim() == 3;
  if (input.shape().back() != options_.input_size)
    throw std::invalid_argument(fmt::format("{}: input has shape {} but input_size is {} (expected {})", name_,
                                            shape_str(input.shape()), options_.input_size,
                                            batched ? layout : fmt::format("(T, {})", options_.input_size)));
  const std::size_t time_dim = batched && options_.batch_first ? 1 : 0;
  if (input.shape()[time_dim] == 0)
    throw std::invalid_argument(
        fmt::format("{}: input of shape {} has no time steps", name_, shape_str(input.shape())));
  if (!batched) return unsqueeze(input, 1);                      // (T, 1, I)
  return options_.batch_first ? transpose(input, 0, 1) : input;  // (T, B, I)
}

// Each initial state part as (L·D, B, H): checked against the input, zeros when undefined.
RNNBase::State RNNBase::initial_states(const State& given, const Tensor& input, std::size_t B) const {
  const std::size_t LD = options_.num_layers * num_directions(), H = options_.hidden_size;
  const bool batched = input.dim() == 3;
  const Shape expected = batched ? Shape{LD, B, H} : Shape{LD, H};
  State out;
  for (std::size_t i = 0; i < state_names_.size(); ++i) {
    const Tensor s = i < given.size() ? given[i] : Tensor();
    if (!s.defined()) {
      out.push_back(zeros({LD, B, H}));
      continue;
    }
    if (s.shape() != expected)
      throw std::invalid_argument(
          fmt::format("{}: {} has shape {} but expected {} = (num_layers * num_directions, {}hidden_size) "
                      "for input of shape {}",
                      name_, state_names_[i], shape_str(s.shape()), shape_str(expected), batched ? "B, " : "",
                      shape_str(input.shape())));
    out.push_back(batched ? s : unsqueeze(s, 1));
  }
  return out;
}

// valid[t] (B, 1) is true where step t lies inside sequence b; empty without lengths.
std::vector<Mask> RNNBase::valid_steps(const SequenceLengths& lengths, const Tensor& input, std::size_t T,
                                       std::size_t B) const {
  if (!lengths.given()) return {};
  if (lengths.shape().size() > 1)
    throw std::invalid_argument(
        fmt::format("{}: lengths must be 1-D, got shape {}", name_, shape_str(lengths.shape())));
  const auto& n = lengths.values();
  if (n.size() != B)
    throw std::invalid_argument(fmt::format("{}: got {} lengths for a batch of {} (input of shape {})", name_, n.size(),
                                            B, shape_str(input.shape())));
  for (std::size_t b = 0; b < B; ++b)
    if (n[b] < 1 || n[b] > static_cast<std::int64_t>(T))
      throw std::invalid_argument(
          fmt::format("{}: lengths[{}] = {} is out of range for input of shape {} with {} time steps "
                      "(valid: 1 to {})",
                      name_, b, n[b], shape_str(input.shape()), T, T));
  std::vector<Mask> valid;
  for (std::size_t t = 0; t < T; ++t) {
    Mask v = Mask::from_shape({B, 1});
    for (std::size_t b = 0; b < B; ++b) v(b, 0) = static_cast<std::int64_t>(t) < n[b];
    valid.push_back(std::move(v));
  }
  return valid;
}

// One layer and direction k over the whole sequence: x (T, B, in) -> outputs (T, B, H) and the
// state after its last real step.
RNNBase::DirectionResult RNNBase::run_direction(const Tensor& x, const State& initial_state,
                                                const std::vector<Mask>& valid, std::size_t k, bool reverse) const {
  const std::size_t T = x.shape()[0];
  const LayerWeights& w = weights_[k];
  // The input's share of every gate at every step, in one product.
  Tensor gates_x = linear(x, w.w_ih);  // (T, B, G·H)
  if (w.b_ih.defined()) gates_x = gates_x + w.b_ih;
  const StepWeights step_weights{w.w_hh, w.b_hh};  // (G·H, H), (G·H)

  State state;
  for (const Tensor& s : initial_state) state.push_back(select(s, 0, static_cast<std::int64_t>(k)));  // (B, H)
  const Tensor zero = zeros({1});
  std::vector<Tensor> outputs(T);
  for (std::size_t s = 0; s < T; ++s) {
    const std::size_t t = reverse ? T - 1 - s : s;  // the reverse direction reads from the end
    State next = step(select(gates_x, 0, static_cast<std::int64_t>(t)), state, step_weights);  // each (B, H)
    if (!valid.empty()) {
      // Past its end a sequence keeps its state and outputs zeros. So the forward direction
      // finishes holding the state of its last real step, and the reverse direction starts
      // from the initial state at that step: padding never reaches a state or an output.
      for (std::size_t i = 0; i < next.size(); ++i) next[i] = where(valid[t], next[i], state[i]);  // (B, H)
      outputs[t] = where(valid[t], next[0], zero);                                                 // (B, H)
    } else {
      outputs[t] = next[0];
    }
    state = std::move(next);
  }
  return {stack(outputs, 0), std::move(state)};  // (T, B, H)
}

RNNBase::Result RNNBase::run(const Tensor& input, const State& initial, const SequenceLengths& lengths) const {
  const Tensor x = time_major(input);  // (T, B, I)
  const std::size_t T = x.shape()[0], B = x.shape()[1], L = options_.num_layers, D = num_directions();
  const State initial_state = initial_states(initial, input, B);  // each (L·D, B, H)
  const std::vector<Mask> valid = valid_steps(lengths, input, T, B);

  Tensor layer_input = x;     // (T, B, I), then (T, B, D·H) between layers
  std::vector<State> finals;  // per layer · direction, each part (B, H)
  for (std::size_t layer = 0; layer < L; ++layer) {
    std::vector<Tensor> direction_outputs;  // each (T, B, H)
    for (std::size_t direction = 0; direction < D; ++direction) {
      DirectionResult r = run_direction(layer_input, initial_state, valid, layer * D + direction, direction == 1);
      direction_outputs.push_back(r.output);
      finals.push_back(std::move(r.final));
    }
    layer_input = D == 1 ? direction_outputs[0] : cat(direction_outputs, 2);  // (T, B, D·H)
    if (layer + 1 < L) layer_input = dropout(layer_input, options_.dropout, is_training());
  }
  return to_input_layout(layer_input, finals, input.dim() == 3);
}

// The output back in the input's layout; each state part stacked as (L·D, B, H).
RNNBase::Result RNNBase::to_input_layout(const Tensor& output, const std::vector<State>& finals, bool batched) const {
  Result result;
  if (!batched)
    result.output = squeeze(output, 1);  // (T, D·H)
  else if (options_.batch_first)
    result.output = transpose(output, 0, 1);  // (B, T, D·H)
  else
    result.output = output;  // (T, B, D·H)
  for (std::size_t i = 0; i < state_names_.size(); ++i) {
    std::vector<Tensor> parts;
    for (const State& f : finals) parts.push_back(f[i]);
    const Tensor stacked = stack(parts, 0);  // (L·D, B, H)
    result.final.push_back(batched ? stacked : squeeze(stacked, 1));
  }
  return result;
}

}  // namespace attograd::nn
