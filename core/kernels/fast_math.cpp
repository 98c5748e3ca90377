// The array forms of fast_math.hpp, each compiled for AVX-512, AVX2 and the x86-64 baseline;
// the loader picks the widest the CPU has (GCC function multi-versioning), so the library
// stays portable while using the whole vector unit of the machine it runs on.
#include <attograd/core/kernels/fast_math.hpp>

namespace attograd::fast {

ATTOGRAD_VECTOR_CLONES void exp(const float* x, float* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] = fast::exp(x[i]);
}

ATTOGRAD_VECTOR_CLONES void tanh(const float* x, float* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] = fast::tanh(x[i]);
}

ATTOGRAD_VECTOR_CLONES void gelu(const float* x, float* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] = fast::gelu(x[i]);
}

ATTOGRAD_VECTOR_CLONES void gelu_backward(const float* dy, const float* x, float* dx, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const NormalTail t = normal_tail(x[i]);
    dx[i] = dy[i] * ((x[i] >= 0.0f ? 1.0f - t.tail : t.tail) + x[i] * t.density);
  }
}

ATTOGRAD_VECTOR_CLONES void sigmoid(const float* x, float* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] = fast::sigmoid(x[i]);
}

ATTOGRAD_VECTOR_CLONES float sum(const float* x, std::size_t n) { return sum_inline(x, n); }

ATTOGRAD_VECTOR_CLONES float dot(const float* x, const float* y, std::size_t n) { return dot_inline(x, y, n); }

}  // namespace attograd::fast
