// exp, tanh and sigmoid for float arrays, vectorised. glibc's expf/tanhf are scalar calls, and
// tanh alone was 44 % of a Bahdanau seq2seq training step (perf, issue 6); these run 8 or 16
// lanes at a time and stay within 3 ulp of the exact result (tests/core/test_fast_math.cpp
// sweeps every regime against double precision).
//
// The scalar forms are inline so that any loop can use them; the array forms are compiled
// once per instruction set (AVX-512, AVX2, baseline) and the best one is picked at load time.
#pragma once

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

// Marks a function to be compiled for AVX-512, AVX2 and the x86-64 baseline, the best picked
// when the library loads (GCC function multi-versioning); nothing elsewhere.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define ATTOGRAD_VECTOR_CLONES [[gnu::target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")]]
#else
#define ATTOGRAD_VECTOR_CLONES
#endif

namespace attograd::fast {

// e^x, after Cephes expf: x = n ln2 + r with |r| <= ln2 / 2, e^r by a degree-6 polynomial,
// then scaled by 2^n through the exponent bits. Overflows to inf and underflows through the
// denormals to 0 like expf. NaN stays NaN.
inline float exp(float x) {
  // Clamp without branches; a NaN becomes the lower bound here and is restored at the end.
  const float xc = x > 88.75f ? 88.75f : (x > -104.0f ? x : -104.0f);
  constexpr float log2e = 1.44269504088896341f;
  constexpr float round_magic = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  const float n = (xc * log2e + round_magic) - round_magic;
  const float r = (xc - n * 0.693359375f) + n * 2.12194440e-4f;  // ln2 split in two for accuracy
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  // 2^n in two halves, each a normal float, for n from -150 (denormal, then 0) to 128 (inf).
  const auto n_int = static_cast<std::int32_t>(n);
  const std::int32_t half = n_int / 2;
  const float y = p * std::bit_cast<float>((half + 127) << 23) * std::bit_cast<float>((n_int - half + 127) << 23);
  return x != x ? x : y;
}

// tanh x: an odd polynomial for |x| < 0.625 (Cephes tanhf), 1 - 2 / (e^2|x| + 1) beyond;
// worked on |x| and given x's sign at the end, so tanh(-0) is -0.
inline float tanh(float x) {
  const float a = std::fabs(x);
  const float z = a * a;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  const float small = p * z * a + a;
  const float large = 1.0f - 2.0f / (fast::exp(2.0f * a) + 1.0f);
  return std::copysign(a < 0.625f ? small : large, x);
}

// 1 / (1 + e^-x): e^-x overflowing to inf gives exactly 0, so no branch is needed.
inline float sigmoid(float x) { return 1.0f / (1.0f + fast::exp(-x)); }

// The standard normal's tail and density at x, as the exact GELU x Φ(x) needs them:
// tail = Φ(-|x|) = erfc(|x|/√2) / 2 and density = φ(x) = e^(-x²/2) / √(2π). erfc(z) is
// Abramowitz & Stegun 7.1.26, erfc(z) ≈ (a₁t + … + a₅t⁵) e^(-z²) with t = 1 / (1 + p z), within
// 1.5e-7 of exact: the tail comes straight from the product (no 1 - erf cancellation), so for
// x < 0 its error stays a fraction of Φ(x) itself (5e-5 at x = -3, 0.4 % at -6; PyTorch's float
// gelu, 1 + erf, is off by 100 % at -6).
// std::erf is a scalar libm call that no loop can vectorise.
struct NormalTail {
  float tail, density;
};
inline NormalTail normal_tail(float x) {
  constexpr float inv_sqrt2 = 0.70710678118654752f, inv_sqrt_2pi = 0.39894228040143268f;
  const float z = std::fabs(x) * inv_sqrt2;
  const float t = 1.0f / (1.0f + 0.3275911f * z);
  float poly = 1.061405429f;
  poly = poly * t - 1.453152027f;
  poly = poly * t + 1.421413741f;
  poly = poly * t - 0.284496736f;
  poly = poly * t + 0.254829592f;
  const float e = fast::exp(-z * z);  // e^(-x²/2)
  return {0.5f * poly * t * e, inv_sqrt_2pi * e};
}
// Φ(x), the standard normal's cumulative distribution function.
inline float normal_cdf(float x) {
  const float tail = normal_tail(x).tail;
  return x >= 0.0f ? 1.0f - tail : tail;
}
// The exact GELU, x Φ(x).
inline float gelu(float x) { return x * normal_cdf(x); }

// Σ x[i] and Σ x[i] y[i] for i < n, in 16 interleaved partial sums (so the compiler may use
// vector registers; the order of additions is not sequential, as in BLAS). The inline forms
// (sum_inline, dot_inline) are for loops that are themselves ATTOGRAD_VECTOR_CLONES.
constexpr std::size_t partial_sums = 16;

inline float sum_inline(const float* x, std::size_t n) {
  float partial[partial_sums] = {};
  std::size_t i = 0;
  for (; i + partial_sums <= n; i += partial_sums)
    for (std::size_t k = 0; k < partial_sums; ++k) partial[k] += x[i + k];
  for (std::size_t k = 0; i < n; ++i, ++k) partial[k] += x[i];
  float total = 0.0f;
  for (float p : partial) total += p;
  return total;
}

inline float dot_inline(const float* x, const float* y, std::size_t n) {
  float partial[partial_sums] = {};
  std::size_t i = 0;
  for (; i + partial_sums <= n; i += partial_sums)
    for (std::size_t k = 0; k < partial_sums; ++k) partial[k] += x[i + k] * y[i + k];
  for (std::size_t k = 0; i < n; ++i, ++k) partial[k] += x[i] * y[i];
  float total = 0.0f;
  for (float p : partial) total += p;
  return total;
}

// max(-inf, x[0], …, x[n-1]) ignoring NaNs, as a loop of std::max would (a NaN never wins a
// comparison), in 16 interleaved partial maxima so it vectorises: a single running maximum is a
// dependency chain the compiler must keep scalar.
inline float max_inline(const float* x, std::size_t n) {
  float partial[partial_sums];
  for (float& p : partial) p = -std::numeric_limits<float>::infinity();
  std::size_t i = 0;
  for (; i + partial_sums <= n; i += partial_sums)
    for (std::size_t k = 0; k < partial_sums; ++k) partial[k] = partial[k] < x[i + k] ? x[i + k] : partial[k];
  for (std::size_t k = 0; i < n; ++i, ++k) partial[k] = partial[k] < x[i] ? x[i] : partial[k];
  float m = partial[0];
  for (float p : partial) m = m < p ? p : m;
  return m;
}

float sum(const float* x, std::size_t n);
float dot(const float* x, const float* y, std::size_t n);

// y[i] = f(x[i]) for i < n; x and y may be the same array.
void exp(const float* x, float* y, std::size_t n);
void tanh(const float* x, float* y, std::size_t n);
void gelu(const float* x, float* y, std::size_t n);
// dx[i] = dy[i] · (Φ(x[i]) + x[i] φ(x[i])): the exact GELU's backward.
void gelu_backward(const float* dy, const float* x, float* dx, std::size_t n);
void sigmoid(const float* x, float* y, std::size_t n);

}  // namespace attograd::fast
