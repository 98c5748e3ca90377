// Elementwise ops: forward with its backward right below, as in micrograd.
// Binary backwards end in sum_to, which undoes the forward's broadcasting.
#include <attograd/core/ops/elementwise.hpp>

#include <cmath>
#include <numbers>
#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/autograd.hpp>
#include <attograd/core/kernels/fast_math.hpp>
#include <attograd/core/kernels/loops.hpp>

namespace attograd {

using Inputs = std::vector<Tensor>;

namespace {
// y = f(x) through one of fast_math.hpp's vectorised array functions, split over the threads for
// large arrays as map1 is (for_each_range).
Array map_fast(const Array& x, void (*f)(const float*, float*, std::size_t)) {
  Array y = Array::from_shape(x.shape());
  const float* px = x.data();
  float* py = y.data();
  for_each_range(x.size(), [&](std::size_t begin, std::size_t end) { f(px + begin, py + begin, end - begin); });
  return y;
}
}  // namespace

// c = a + b        dc/da = 1, dc/db = 1
Tensor add(const Tensor& a, const Tensor& b, Where caller) {
  const CallSite call_site(caller);
  return make_result("add", map2("add", a.value(), b.value(), [](float x, float y) { return x + y; }), {a, b},
                     [](const Array& g, const Array&, const Inputs& in) {
                       accumulate_grad_from(in[0], g);
                       accumulate_grad_from(in[1], g);
                     });
}

// c = a - b        dc/da = 1, dc/db = -1
Tensor sub(const Tensor& a, const Tensor& b, Where caller) {
  const CallSite call_site(caller);
  return make_result("sub", map2("sub", a.value(), b.value(), [](float x, float y) { return x - y; }), {a, b},
                     [](const Array& g, const Array&, const Inputs& in) {
                       accumulate_grad_from(in[0], g);
                       if (in[1].requires_grad())
                         accumulate_grad(in[1], sum_to(map1(g, [](float x) { return -x; }), in[1].shape()));
                     });
}

// c = a * b        dc/da = b, dc/db = a
Tensor mul(const Tensor& a, const Tensor& b, Where caller) {
  const CallSite call_site(caller);
  return make_result("mul", map2("mul", a.value(), b.value(), [](float x, float y) { return x * y; }), {a, b},
                     [](const Array& g, const Array&, const Inputs& in) {
                       auto times = [](float x, float y) { return x * y; };
                       if (in[0].requires_grad())
                         accumulate_grad(in[0], sum_to(map2("mul", g, in[1].value(), times), in[0].shape()));
                       if (in[1].requires_grad())
                         accumulate_grad(in[1], sum_to(map2("mul", g, in[0].value(), times), in[1].shape()));
                     });
}

// c = a / b        dc/da = 1 / b, dc/db = -a / b² = -c / b
Tensor div(const Tensor& a, const Tensor& b, Where caller) {
  const CallSite call_site(caller);
  return make_result(
      "div", map2("div", a.value(), b.value(), [](float x, float y) { return x / y; }), {a, b},
      [](const Array& g, const Array& c, const Inputs& in) {
        if (in[0].requires_grad())
          accumulate_grad(in[0],
                          sum_to(map2("div", g, in[1].value(), [](float x, float y) { return x / y; }), in[0].shape()));
        if (in[1].requires_grad()) {
          Array g_over_b = map2("div", g, in[1].value(), [](float x, float y) { return x / y; });
          Array gb = map2("div", g_over_b, c, [](float x, float y) { return -x * y; });
          accumulate_grad(in[1], sum_to(gb, in[1].shape()));
        }
      });
}

// c = a + s        dc/da = 1
Tensor add(const Tensor& a, float s, Where caller) {
  const CallSite call_site(caller);
  return make_result("add_scalar", map1(a.value(), [s](float x) { return x + s; }), {a},
                     [](const Array& g, const Array&, const Inputs& in) { accumulate_grad_from(in[0], g); });
}

// c = a * s        dc/da = s
Tensor mul(const Tensor& a, float s, Where caller) {
  const CallSite call_site(caller);
  return make_result("mul_scalar", map1(a.value(), [s](float x) { return x * s; }), {a},
                     [s](const Array& g, const Array&, const Inputs& in) {
                       accumulate_grad(in[0], map1(g, [s](float x) { return x * s; }));
                     });
}

// c = s - b        dc/db = -1
Tensor rsub(float s, const Tensor& b, Where caller) {
  const CallSite call_site(caller);
  return make_result("rsub_scalar", map1(b.value(), [s](float x) { return s - x; }), {b},
                     [](const Array& g, const Array&, const Inputs& in) {
                       accumulate_grad(in[0], map1(g, [](float x) { return -x; }));
                     });
}

// c = s / b        dc/db = -s / b² = -c / b
Tensor rdiv(float s, const Tensor& b, Where caller) {
  const CallSite call_site(caller);
  return make_result("rdiv_scalar", map1(b.value(), [s](float x) { return s / x; }), {b},
                     [](const Array& g, const Array& c, const Inputs& in) {
                       Array c_over_b = map2("rdiv", c, in[0].value(), [](float x, float y) { return x / y; });
                       accumulate_grad(in[0], map2("rdiv", g, c_over_b, [](float x, float y) { return -x * y; }));
                     });
}

// y = -x           dy/dx = -1
Tensor neg(const Tensor& x, Where caller) {
  const CallSite call_site(caller);
  return make_result("neg", map1(x.value(), [](float v) { return -v; }), {x},
                     [](const Array& g, const Array&, const Inputs& in) {
                       accumulate_grad(in[0], map1(g, [](float v) { return -v; }));
                     });
}

// y = x^p          dy/dx = p x^(p-1)
Tensor pow(const Tensor& x, float p, Where caller) {
  const CallSite call_site(caller);
  return make_result("pow", map1(x.value(), [p](float v) { return std::pow(v, p); }), {x},
                     [p](const Array& g, const Array&, const Inputs& in) {
                       auto dydx = [p](float gv, float v) { return p == 0.0f ? 0.0f : gv * p * std::pow(v, p - 1.0f); };
                       accumulate_grad(in[0], map2("pow", g, in[0].value(), dydx));
                     });
}

// y = e^x          dy/dx = e^x = y
Tensor exp(const Tensor& x, Where caller) {
  const CallSite call_site(caller);
  return make_result("exp", map_fast(x.value(), fast::exp), {x}, [](const Array& g, const Array& y, const Inputs& in) {
    accumulate_grad(in[0], map2("exp", g, y, [](float gv, float yv) { return gv * yv; }));
  });
}

// y = ln x         dy/dx = 1 / x
Tensor log(const Tensor& x, Where caller) {
  const CallSite call_site(caller);
  return make_result("log", map1(x.value(), [](float v) { return std::log(v); }), {x},
                     [](const Array& g, const Array&, const Inputs& in) {
                       accumulate_grad(in[0], map2("log", g, in[0].value(), [](float gv, float v) { return gv / v; }));
                     });
}

// y = √x           dy/dx = 1 / (2√x) = 1 / (2y)
Tensor sqrt(const Tensor& x, Where caller) {
  const CallSite call_site(caller);
  return make_result("sqrt", map1(x.value(), [](float v) { return std::sqrt(v); }), {x},
                     [](const Array& g, const Array& y, const Inputs& in) {
                       accumulate_grad(in[0], map2("sqrt", g, y, [](float gv, float yv) { return gv / (2.0f * yv); }));
                     });
}

// y = |x|          dy/dx = sign(x)  (0 at 0, as PyTorch)
Tensor abs(const Tensor& x, Where caller) {
  const CallSite call_site(caller);
  return make_result("abs", map1(x.value(), [](float v) { return std::fabs(v); }), {x},
                     [](const Array& g, const Array&, const Inputs& in) {
                       auto dydx = [](float gv, float v) { return v > 0.0f ? gv : v < 0.0f ? -gv : 0.0f; };
                       accumulate_grad(in[0], map2("abs", g, in[0].value(), dydx));
                     });
}

// y = tanh x       dy/dx = 1 - y²
Tensor tanh(const Tensor& x, Where caller) {
  const CallSite call_site(caller);
  return make_result(
      "tanh", map_fast(x.value(), fast::tanh), {x}, [](const Array& g, const Array& y, const Inputs& in) {
        accumulate_grad(in[0], map2("tanh", g, y, [](float gv, float yv) { return gv * (1.0f - yv * yv); }));
      });
}

// y = 1 / (1 + e^-x)   dy/dx = y (1 - y)
Tensor sigmoid(const Tensor& x, Where caller) {
  const CallSite call_site(caller);
  return make_result(
      "sigmoid", map_fast(x.value(), fast::sigmoid), {x}, [](const Array& g, const Array& y, const Inputs& in) {
        accumulate_grad(in[0], map2("sigmoid", g, y, [](float gv, float yv) { return gv * yv * (1.0f - yv); }));
      });
}

// y = max(x, 0)    dy/dx = 1 where x > 0, else 0
Tensor relu(const Tensor& x, Where caller) {
  const CallSite call_site(caller);
  return make_result(
      "relu", map1(x.value(), [](float v) { return v > 0.0f ? v : 0.0f; }), {x},
      [](const Array& g, const Array&, const Inputs& in) {
        accumulate_grad(in[0], map2("relu", g, in[0].value(), [](float gv, float v) { return v > 0.0f ? gv : 0.0f; }));
      });
}

// exact:  y = x Φ(x) = x (1 + erf(x/√2)) / 2            dy/dx = Φ(x) + x φ(x)   (Φ, φ: fast::normal_tail)
// tanh:   y = x (1 + tanh(u)) / 2, u = √(2/π)(x + 0.044715 x³)
//         dy/dx = (1 + tanh u) / 2 + x (1 - tanh² u) √(2/π)(1 + 3·0.044715 x²) / 2
Tensor gelu(const Tensor& x, bool tanh_approximation, Where caller) {
  const CallSite call_site(caller);
  constexpr float k = static_cast<float>(std::numbers::sqrt2 * std::numbers::inv_sqrtpi);  // √(2/π)
  constexpr float c = 0.044715f;
  if (!tanh_approximation) {  // Φ and φ from fast::normal_tail (erfc by A&S 7.1.26, vectorised)
    return make_result("gelu", map_fast(x.value(), fast::gelu), {x},
                       [](const Array& g, const Array&, const Inputs& in) {
                         Array dx = Array::from_shape(g.shape());  // g and x have the output's shape
                         const float *pg = g.data(), *px = in[0].value().data();
                         float* pdx = dx.data();
                         for_each_range(g.size(), [&](std::size_t begin, std::size_t end) {
                           fast::gelu_backward(pg + begin, px + begin, pdx + begin, end - begin);
                         });
                         accumulate_grad(in[0], std::move(dx));
                       });
  }
  return make_result("gelu_tanh",
                     map1(x.value(), [=](float v) { return 0.5f * v * (1.0f + fast::tanh(k * (v + c * v * v * v))); }),
                     {x}, [=](const Array& g, const Array&, const Inputs& in) {
                       auto dydx = [=](float gv, float v) {
                         const float t = fast::tanh(k * (v + c * v * v * v));
                         return gv * (0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * k * (1.0f + 3.0f * c * v * v));
                       };
                       accumulate_grad(in[0], map2("gelu", g, in[0].value(), dydx));
                     });
}

// y = min(max(x, lo), hi)     dy/dx = 1 where lo <= x <= hi, else 0
Tensor clamp(const Tensor& x, float lo, float hi, Where caller) {
  const CallSite call_site(caller);
  if (!(lo <= hi)) throw std::invalid_argument(fmt::format("clamp: min {} is greater than max {}", lo, hi));
  return make_result("clamp", map1(x.value(), [=](float v) { return v < lo   ? lo
                                                                    : v > hi ? hi
                                                                             : v; }), {x},
                     [=](const Array& g, const Array&, const Inputs& in) {
                       auto dydx = [=](float gv, float v) { return v >= lo && v <= hi ? gv : 0.0f; };
                       accumulate_grad(in[0], map2("clamp", g, in[0].value(), dydx));
                     });
}

}  // namespace attograd
