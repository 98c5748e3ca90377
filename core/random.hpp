// One seeded random generator for everything in attograd (initialisation, dropout, data).
// It uses its own algorithms (xoshiro256** and Box-Muller), not the standard library's
// distributions, whose output differs between implementations: same seed, same numbers.
#pragma once

#include <cstdint>

#include <attograd/core/tensor.hpp>

namespace attograd {

class Generator {
 public:
  explicit Generator(std::uint64_t seed_value = 0) { seed(seed_value); }
  void seed(std::uint64_t seed);
  std::uint64_t next_u64();
  float uniform();  // in [0, 1)
  float uniform(float low, float high);
  float normal();                        // mean 0, std 1
  std::uint64_t below(std::uint64_t n);  // uniform integer in [0, n), without modulo bias

 private:
  std::uint64_t state_[4] = {};
  bool has_spare_ = false;
  float spare_ = 0.0f;
};

// The generator behind randn, rand, dropout and nn::init.
Generator& default_generator();
void manual_seed(std::uint64_t seed);

}  // namespace attograd
