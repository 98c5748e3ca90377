// One seeded random generator for everything in attograd (initialisation, dropout, data).
// It uses its own algorithms (xoshiro256** and Box-Muller), not the standard library's
// distributions, whose output differs between implementations: same seed, same numbers.
#pragma once

#include <cstdint>
#include <string>

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

  // The whole state as text, "xoshiro256** s0 s1 s2 s3 spare" (hex; spare is "-" or the
  // bits of the normal kept for the next call), and back: a generator given another's state
  // continues its exact sequence. Checkpoints keep it so that a resumed run draws the same
  // dropout masks. set_state throws std::invalid_argument quoting text it cannot read and
  // then leaves the generator unchanged.
  std::string state() const;
  void set_state(const std::string& text);

 private:
  std::uint64_t state_[4] = {};
  bool has_spare_ = false;
  float spare_ = 0.0f;
};

// The generator behind randn, rand, dropout and nn::init.
Generator& default_generator();
void manual_seed(std::uint64_t seed);

}  // namespace attograd
