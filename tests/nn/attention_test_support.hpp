// Shared by the attention and transformer tests: one mask of every kind for a given scores
// shape, and reading the PyTorch fixtures in tests/golden/data/attention.safetensors.
#pragma once

#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include <attograd/core/core.hpp>
#include <attograd/nn/attention/mask.hpp>
#include <attograd/nn/module.hpp>

#include "../support/gradcheck.hpp"

namespace attograd::testing {

using nn::AttentionMask;
using nn::CausalAlignment;

// A fixed pseudo-random pattern with at least one true per row of the last dim.
inline Mask pattern_mask(const Shape& shape, unsigned salt = 0) {
  Mask m = Mask::from_shape(shape);
  const std::size_t S = shape.back();
  for (std::size_t i = 0; i < m.size(); ++i) m.data()[i] = ((i * 7 + salt * 3 + i / S) % 3) != 0;
  for (std::size_t r = 0; r < m.size() / S; ++r) m.data()[r * S + (r + salt) % S] = true;
  return m;
}

inline Mask invert(const Mask& m) {
  Mask out = Mask::from_shape(m.shape());
  for (std::size_t i = 0; i < m.size(); ++i) out.data()[i] = !m.data()[i];
  return out;
}

// Every mask kind, for scores (B, T, S), (B, H, T, S), or (B, S) when one_step. Causal masks
// are left out for one-step scores (there is no T to be causal in).
inline std::vector<std::pair<std::string, AttentionMask>> mask_cases(std::size_t B, std::size_t T, std::size_t S,
                                                                     bool one_step = false) {
  const Shape pair_shape = one_step ? Shape{B, S} : Shape{T, S};
  Index lengths = Index::from_shape({B});
  for (std::size_t b = 0; b < B; ++b) lengths(b) = static_cast<std::int64_t>(S - (b % S));  // S, S-1, ...
  Array bias_values = Array::from_shape(pair_shape);
  for (std::size_t i = 0; i < bias_values.size(); ++i)
    bias_values.data()[i] = 0.3f * std::sin(1.7f * static_cast<float>(i));
  bias_values.data()[1] = -std::numeric_limits<float>::infinity();
  const Tensor bias(bias_values);

  std::vector<std::pair<std::string, AttentionMask>> cases = {
      {"none", AttentionMask::none()},
      {"allowed", AttentionMask::allowed(pattern_mask(pair_shape))},
      {"blocked", AttentionMask::blocked(invert(pattern_mask(pair_shape, 1)))},
      {"key_padding", AttentionMask::key_padding(lengths, S)},
      {"additive", AttentionMask::additive(bias)},
  };
  if (!one_step) {
    cases.emplace_back("causal top-left", AttentionMask::causal(T, S, CausalAlignment::TopLeft));
    cases.emplace_back("causal bottom-right", AttentionMask::causal(T, S, CausalAlignment::BottomRight));
    cases.emplace_back("combined", AttentionMask::causal(T, S, CausalAlignment::BottomRight) &
                                       AttentionMask::key_padding(lengths, S) & AttentionMask::additive(bias));
  } else {
    cases.emplace_back("combined", AttentionMask::key_padding(lengths, S) & AttentionMask::additive(bias) &
                                       AttentionMask::allowed(pattern_mask(pair_shape)));
  }
  return cases;
}

// The fixtures written by tests/golden/make_attention_fixtures.py.
inline const SafetensorsContent& attention_fixtures() {
  static const SafetensorsContent content =
      load_safetensors(std::string(ATTOGRAD_TEST_DATA_DIR) + "/golden/data/attention.safetensors");
  return content;
}

// Every tensor of the fixture named "<prefix>/<group>/<name>" as (name, tensor).
inline nn::StateDict fixture_group(const std::string& prefix, const std::string& group) {
  nn::StateDict out;
  const std::string head = prefix + "/" + group + "/";
  for (const auto& [name, value] : attention_fixtures().tensors)
    if (name.rfind(head, 0) == 0) out.emplace_back(name.substr(head.size()), Tensor(value));
  return out;
}

inline const Array& fixture(const std::string& name) { return attention_fixtures().at(name); }

// A 0/1 float array from a fixture as a Mask.
inline Mask fixture_mask(const std::string& name) {
  const Array& a = fixture(name);
  Mask m = Mask::from_shape(a.shape());
  for (std::size_t i = 0; i < a.size(); ++i) m.data()[i] = a.data()[i] != 0.0f;
  return m;
}

inline Index fixture_index(const std::string& name) {
  const Array& a = fixture(name);
  Index ids = Index::from_shape(a.shape());
  for (std::size_t i = 0; i < a.size(); ++i) ids.data()[i] = static_cast<std::int64_t>(a.data()[i]);
  return ids;
}

// The bar of DESIGN §5: every element within 1e-5 relative, |got - want| <= 1e-5 |want| + atol.
// The absolute floor atol = 1e-6 · max(1, max |want|) scales with the tensor: a gradient element
// that is a sum of terms of size ~|want|max cancelling to near 0 keeps their float32 rounding
// (about 1e-7 of the terms), which no relative bar on the small result can absorb.
inline void require_matches_pytorch(const std::string& what, const Array& got, const Array& expected) {
  INFO(what << ": got shape " << shape_str(got.shape()) << ", PyTorch " << shape_str(expected.shape()));
  float largest = 1.0f, worst = 0.0f;
  for (float x : expected) largest = std::max(largest, std::abs(x));
  const float atol = 1e-6f * largest;
  if (got.shape() == expected.shape())
    for (std::size_t i = 0; i < got.size(); ++i)
      worst =
          std::max(worst, std::abs(got.data()[i] - expected.data()[i]) / (atol + 1e-5f * std::abs(expected.data()[i])));
  INFO("largest difference as a fraction of the tolerance: " << worst);
  CHECK(allclose(got, expected, 1e-5f, atol));
}

// Loads the module's parameters from the fixture, checks the forward outputs and every
// parameter gradient after backward from the fixture's upstream gradient.
inline void require_parameter_grads_match(const nn::Module& module, const std::string& prefix) {
  for (const auto& [name, p] : module.named_parameters()) {
    const std::string key = prefix + "/grad/" + name;
    INFO("parameter " << name);
    REQUIRE(attention_fixtures().contains(key));
    REQUIRE(p.has_grad());
    require_matches_pytorch("grad of " + name, p.grad(), fixture(key));
  }
}

}  // namespace attograd::testing
