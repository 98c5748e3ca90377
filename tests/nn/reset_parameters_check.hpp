// The reset_parameters() contract (nn/module.hpp), checked for one layer: with the same seed,
// construction and manual_seed + reset_parameters() give bitwise the same parameters, in place
// (the handles an optimizer holds stay the same), and another seed gives others. Shared by
// test_reset_parameters (every nn layer) and test_extending (LocationAttention).
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <attograd/core/core.hpp>
#include <attograd/nn/module.hpp>

namespace attograd::testing {

using ModuleBuilder = std::function<std::shared_ptr<nn::Module>()>;

// Copies of the parameters' values, in named_parameters order.
inline std::vector<Array> parameter_values(const nn::Module& m) {
  std::vector<Array> out;
  for (const Tensor& p : m.parameters()) out.push_back(p.value());
  return out;
}

inline bool same_bits(const std::vector<Array>& a, const std::vector<Array>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].shape() != b[i].shape()) return false;
    for (std::size_t k = 0; k < a[i].size(); ++k)
      if (std::memcmp(&a[i].data()[k], &b[i].data()[k], sizeof(float)) != 0) return false;
  }
  return true;
}

// `random` false: the layer draws nothing (LayerNorm's ones and zeros), so seeds cannot differ.
inline void check_reset_parameters(const std::string& name, const ModuleBuilder& build, bool random = true) {
  for (const std::uint64_t seed : {1u, 7u}) {
    INFO(name << ", seed " << seed);
    manual_seed(seed);
    const std::shared_ptr<nn::Module> m = build();
    REQUIRE_FALSE(m->parameters().empty());
    const std::vector<Tensor> handles = m->parameters();
    const std::vector<Array> built = parameter_values(*m);

    manual_seed(seed + 100);
    m->reset_parameters();
    const std::vector<Array> other_seed = parameter_values(*m);
    CHECK(same_bits(other_seed, built) == !random);

    manual_seed(seed);
    m->reset_parameters();
    CHECK(same_bits(parameter_values(*m), built));
    const std::vector<Tensor> after = m->parameters();
    REQUIRE(after.size() == handles.size());
    for (std::size_t i = 0; i < after.size(); ++i) CHECK(after[i].is_same(handles[i]));  // filled in place

    manual_seed(seed + 100);
    CHECK(same_bits(parameter_values(*build()), other_seed));  // construction draws as reset does
  }
}

}  // namespace attograd::testing
