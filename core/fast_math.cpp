// The array forms of fast_math.hpp, each compiled for AVX-512, AVX2 and the x86-64 baseline;
// the loader picks the widest the CPU has (GCC function multi-versioning), so the library
// stays portable while using the whole vector unit of the machine it runs on.
#include <attograd/core/fast_math.hpp>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define ATTOGRAD_VECTOR_CLONES [[gnu::target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")]]
#else
#define ATTOGRAD_VECTOR_CLONES
#endif

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

}  // namespace attograd::fast
