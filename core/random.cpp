// xoshiro256** (Blackman & Vigna) seeded through splitmix64; normals by Box-Muller.
#include <attograd/core/random.hpp>

#include <bit>
#include <charconv>
#include <cmath>
#include <numbers>
#include <sstream>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

namespace attograd {

namespace {
std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

void Generator::seed(std::uint64_t seed) {
  for (auto& s : state_) s = splitmix64(seed);
  has_spare_ = false;
}

std::uint64_t Generator::next_u64() {
  const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
  const std::uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = rotl(state_[3], 45);
  return result;
}

// The top 24 bits give every float in [0, 1) with spacing 2^-24, exactly.
float Generator::uniform() { return static_cast<float>(next_u64() >> 40) * 0x1.0p-24f; }

float Generator::uniform(float low, float high) { return low + (high - low) * uniform(); }

float Generator::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  // Box-Muller in double: u1 in (0, 1] so the log is finite.
  const double u1 = (static_cast<double>(next_u64() >> 11) + 1.0) * 0x1.0p-53;
  const double u2 = static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
  const double r = std::sqrt(-2.0 * std::log(u1));
  const double theta = 2.0 * std::numbers::pi * u2;
  spare_ = static_cast<float>(r * std::sin(theta));
  has_spare_ = true;
  return static_cast<float>(r * std::cos(theta));
}

std::string Generator::state() const {
  return fmt::format("xoshiro256** {:016x} {:016x} {:016x} {:016x} {}", state_[0], state_[1], state_[2], state_[3],
                     has_spare_ ? fmt::format("{:08x}", std::bit_cast<std::uint32_t>(spare_)) : "-");
}

void Generator::set_state(const std::string& text) {
  auto fail = [&](const char* why) {
    return std::invalid_argument(fmt::format(
        "Generator::set_state: {} in '{}' (expected 'xoshiro256** s0 s1 s2 s3 spare' as Generator::state() writes)",
        why, text));
  };
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string word; in >> word;) words.push_back(word);
  if (words.size() != 6 || words[0] != "xoshiro256**") throw fail("not six words starting with 'xoshiro256**'");
  auto hex = [&](const std::string& word, auto& value) {
    const auto [end, error] = std::from_chars(word.data(), word.data() + word.size(), value, 16);
    if (error != std::errc() || end != word.data() + word.size() || word.size() != 2 * sizeof(value))
      throw fail("a word that is not a full-width hexadecimal number");
  };
  std::uint64_t next[4];
  for (int i = 0; i < 4; ++i) hex(words[1 + i], next[i]);
  if ((next[0] | next[1] | next[2] | next[3]) == 0) throw fail("an all-zero state (xoshiro would only give zeros)");
  std::uint32_t spare_bits = 0;
  const bool spare = words[5] != "-";
  if (spare) hex(words[5], spare_bits);
  for (int i = 0; i < 4; ++i) state_[i] = next[i];
  has_spare_ = spare;
  spare_ = std::bit_cast<float>(spare_bits);
}

std::uint64_t Generator::below(std::uint64_t n) {
  // Reject the top partial block so every value is equally likely.
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  std::uint64_t x;
  do x = next_u64();
  while (x >= limit);
  return x % n;
}

Generator& default_generator() {
  static Generator generator(0);
  return generator;
}

void manual_seed(std::uint64_t seed) { default_generator().seed(seed); }

}  // namespace attograd
