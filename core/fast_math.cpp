// The array forms of fast_math.hpp, each compiled for AVX-512, AVX2 and the x86-64 baseline;
// the loader picks the widest the CPU has (GCC function multi-versioning), so the library
// stays portable while using the whole vector unit of the machine it runs on.
#include <attograd/core/fast_math.hpp>

namespace attograd::fast {

ATTOGRAD_VECTOR_CLONES void exp(const float* x, float* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] = fast::exp(x[i]);
}

ATTOGRAD_VECTOR_CLONES void tanh(const float* x, float* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] = fast::tanh(x[i]);
}

ATTOGRAD_VECTOR_CLONES void sigmoid(const float* x, float* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] = fast::sigmoid(x[i]);
}

namespace {
constexpr std::size_t lanes = 16;

float add_up(const float (&partial)[lanes]) {
  float total = 0.0f;
  for (float p : partial) total += p;
  return total;
}
}  // namespace

ATTOGRAD_VECTOR_CLONES float sum(const float* x, std::size_t n) {
  float partial[lanes] = {};
  std::size_t i = 0;
  for (; i + lanes <= n; i += lanes)
    for (std::size_t k = 0; k < lanes; ++k) partial[k] += x[i + k];
  for (std::size_t k = 0; i < n; ++i, ++k) partial[k] += x[i];
  return add_up(partial);
}

ATTOGRAD_VECTOR_CLONES float dot(const float* x, const float* y, std::size_t n) {
  float partial[lanes] = {};
  std::size_t i = 0;
  for (; i + lanes <= n; i += lanes)
    for (std::size_t k = 0; k < lanes; ++k) partial[k] += x[i + k] * y[i + k];
  for (std::size_t k = 0; i < n; ++i, ++k) partial[k] += x[i] * y[i];
  return add_up(partial);
}

}  // namespace attograd::fast
