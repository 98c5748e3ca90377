// Elementwise ops. Binary ops broadcast like NumPy; each op's backward sits below its forward
// in elementwise.cpp.
#pragma once

#include <attograd/core/autograd.hpp>
#include <attograd/core/tensor.hpp>

namespace attograd {

Tensor add(const Tensor& a, const Tensor& b, Where caller = Where::current());
Tensor sub(const Tensor& a, const Tensor& b, Where caller = Where::current());
Tensor mul(const Tensor& a, const Tensor& b, Where caller = Where::current());
Tensor div(const Tensor& a, const Tensor& b, Where caller = Where::current());
Tensor add(const Tensor& a, float b, Where caller = Where::current());
Tensor mul(const Tensor& a, float b, Where caller = Where::current());
Tensor rsub(float a, const Tensor& b, Where caller = Where::current());  // a - b
Tensor rdiv(float a, const Tensor& b, Where caller = Where::current());  // a / b

Tensor neg(const Tensor& x, Where caller = Where::current());
Tensor pow(const Tensor& x, float exponent, Where caller = Where::current());
Tensor exp(const Tensor& x, Where caller = Where::current());
Tensor log(const Tensor& x, Where caller = Where::current());
Tensor sqrt(const Tensor& x, Where caller = Where::current());
Tensor abs(const Tensor& x, Where caller = Where::current());
Tensor tanh(const Tensor& x, Where caller = Where::current());
Tensor sigmoid(const Tensor& x, Where caller = Where::current());
Tensor relu(const Tensor& x, Where caller = Where::current());
// Exact (erf) GELU by default, as torch.nn.functional.gelu; approximate="tanh" form on request.
Tensor gelu(const Tensor& x, bool tanh_approximation = false, Where caller = Where::current());
// Limits x to [min, max]; the gradient passes where min <= x <= max.
Tensor clamp(const Tensor& x, float min, float max, Where caller = Where::current());

inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator+(const Tensor& a, float b) { return add(a, b); }
inline Tensor operator+(float a, const Tensor& b) { return add(b, a); }
inline Tensor operator-(const Tensor& a, float b) { return add(a, -b); }
inline Tensor operator-(float a, const Tensor& b) { return rsub(a, b); }
inline Tensor operator*(const Tensor& a, float b) { return mul(a, b); }
inline Tensor operator*(float a, const Tensor& b) { return mul(b, a); }
inline Tensor operator/(const Tensor& a, float b) { return mul(a, 1.0f / b); }
inline Tensor operator/(float a, const Tensor& b) { return rdiv(a, b); }
inline Tensor operator-(const Tensor& x) { return neg(x); }

}  // namespace attograd
