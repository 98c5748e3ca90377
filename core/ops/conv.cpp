// conv1d, conv2d and the 2-D pools.
//
// A convolution is a matrix product. im2col unrolls one sample's receptive fields into the
// columns of a matrix, cols (C·KH·KW, OH·OW), so one group's convolution is the BLAS call
// W (O, C·KH·KW) @ cols. The backward is two more products, dW = G colsᵀ and dcols = Wᵀ G, and
// col2im, which adds each column back onto the input positions it was read from. conv1d is
// conv2d with H = KH = 1. Like core/kernels/loops.hpp, every loop here runs over raw float
// pointers: no views and no per-element calls.
#include <attograd/core/ops/conv.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <attograd/core/autograd.hpp>
#include <attograd/core/kernels/blas.hpp>
#include <attograd/core/kernels/loops.hpp>
#include <attograd/core/kernels/parallel.hpp>

namespace attograd {

using Inputs = std::vector<Tensor>;

namespace {

// A window sliding over an (H, W) plane: KH×KW taps DH, DW apart, placed every SH, SW rows and
// columns starting at (-PH, -PW), which gives OH×OW positions.
struct Window {
  std::size_t h, w;    // input plane
  std::size_t kh, kw;  // kernel
  std::size_t sh, sw;  // stride
  std::size_t ph, pw;  // padding
  std::size_t dh, dw;  // dilation
  std::size_t oh, ow;  // output plane
  std::size_t plane() const { return h * w; }
  std::size_t positions() const { return oh * ow; }
};

struct Range {
  std::size_t lo, hi;  // [lo, hi)
};

// The output positions j in [lo, hi) whose tap at offset `tap` (k · dilation) reads inside the
// input: 0 <= j·stride - pad + tap < size. The others read padding.
Range reading_inside(std::size_t tap, std::size_t pad, std::size_t stride, std::size_t size, std::size_t out) {
  const auto ceil_div = [](std::size_t a, std::size_t b) { return (a + b - 1) / b; };
  const std::size_t hi = size + pad > tap ? std::min(out, ceil_div(size + pad - tap, stride)) : 0;
  const std::size_t lo = pad > tap ? std::min(hi, ceil_div(pad - tap, stride)) : 0;
  return {lo, hi};
}

// cols[(c·KH + i)·KW + j][oi·OW + oj] = x[c][oi·SH - PH + i·DH][oj·SW - PW + j·DW], 0 in the padding.
// x (C, H, W) -> cols (C·KH·KW, OH·OW)
void im2col(const float* x, std::size_t channels, const Window& g, float* cols) {
  for (std::size_t c = 0; c < channels; ++c)
    for (std::size_t i = 0; i < g.kh; ++i) {
      const Range rows = reading_inside(i * g.dh, g.ph, g.sh, g.h, g.oh);
      for (std::size_t j = 0; j < g.kw; ++j) {
        const Range across = reading_inside(j * g.dw, g.pw, g.sw, g.w, g.ow);
        float* row = cols + ((c * g.kh + i) * g.kw + j) * g.positions();
        std::fill(row, row + rows.lo * g.ow, 0.0f);
        std::fill(row + rows.hi * g.ow, row + g.positions(), 0.0f);
        if (g.sh == 1 && g.sw == 1 && g.ow == g.w && rows.lo < rows.hi && across.lo < across.hi) {
          // Stride 1 and as wide as the input (a "same" convolution): output position oi·OW + oj
          // reads x at that offset plus a constant, so output rows [lo, hi) are one contiguous
          // copy of x (it reads only inside the plane); the columns that read the padding are
          // zeroed after it.
          const std::size_t first = rows.lo * g.ow + across.lo, last = (rows.hi - 1) * g.ow + across.hi;
          const float* in = x + (c * g.h + rows.lo + i * g.dh - g.ph) * g.w + (across.lo + j * g.dw - g.pw);
          std::copy(in, in + (last - first), row + first);
          for (std::size_t oi = rows.lo; oi < rows.hi; ++oi) {
            std::fill(row + oi * g.ow, row + oi * g.ow + across.lo, 0.0f);
            std::fill(row + oi * g.ow + across.hi, row + (oi + 1) * g.ow, 0.0f);
          }
          continue;
        }
        for (std::size_t oi = rows.lo; oi < rows.hi; ++oi) {
          float* out = row + oi * g.ow;
          std::fill(out, out + across.lo, 0.0f);
          std::fill(out + across.hi, out + g.ow, 0.0f);
          if (across.lo == across.hi) continue;
          const float* in = x + (c * g.h + oi * g.sh + i * g.dh - g.ph) * g.w + (across.lo * g.sw + j * g.dw - g.pw);
          if (g.sw == 1) {  // a plain loop: rows are short, and a memmove call costs more than the copy
            for (std::size_t oj = across.lo; oj < across.hi; ++oj) out[oj] = in[oj - across.lo];
          } else {
            for (std::size_t oj = across.lo; oj < across.hi; ++oj, in += g.sw) out[oj] = *in;
          }
        }
      }
    }
}

// The reverse of im2col: each column entry is added back onto the input position it was read
// from (positions read by several windows collect several entries). cols -> dx (C, H, W), +=.
void col2im(const float* cols, std::size_t channels, const Window& g, float* dx) {
  for (std::size_t c = 0; c < channels; ++c)
    for (std::size_t i = 0; i < g.kh; ++i) {
      const Range rows = reading_inside(i * g.dh, g.ph, g.sh, g.h, g.oh);
      for (std::size_t j = 0; j < g.kw; ++j) {
        const Range across = reading_inside(j * g.dw, g.pw, g.sw, g.w, g.ow);
        if (across.lo == across.hi) continue;
        const float* row = cols + ((c * g.kh + i) * g.kw + j) * g.positions();
        for (std::size_t oi = rows.lo; oi < rows.hi; ++oi) {
          const float* in = row + oi * g.ow;
          float* out = dx + (c * g.h + oi * g.sh + i * g.dh - g.ph) * g.w + (across.lo * g.sw + j * g.dw - g.pw);
          if (g.sw == 1) {
            for (std::size_t oj = across.lo; oj < across.hi; ++oj) out[oj - across.lo] += in[oj];
          } else {
            for (std::size_t oj = across.lo; oj < across.hi; ++oj, out += g.sw) *out += in[oj];
          }
        }
      }
    }
}

// Everything one convolution needs to know, checked: conv1d and conv2d both end up here.
struct ConvPlan {
  std::size_t n, c, o, groups;  // batch (1 unbatched), input channels, output channels
  Window win;
  Shape out;  // (N, O, OH, OW), (N, O, L), or either without N
  // Derived by finish():
  std::size_t cg = 0, og = 0;  // channels per group, in and out
  std::size_t rows = 0;        // of cols: C/G · KH · KW
  std::size_t positions = 0;   // OH · OW, the columns of cols
  std::size_t plane = 0;       // H · W
  // A 1×1 kernel with stride 1 and no padding reads each input position once, in order: the
  // columns are the input itself.
  bool direct = false;
  bool empty = false;     // no channels in or out: y is the bias alone
  std::size_t parts = 1;  // threads the samples are split across (parallel_parts)

  void finish() {
    cg = c / groups, og = o / groups;
    rows = cg * win.kh * win.kw;
    positions = win.oh * win.ow;
    plane = win.h * win.w;
    direct = win.kh == 1 && win.kw == 1 && win.sh == 1 && win.sw == 1 && win.ph == 0 && win.pw == 0;
    empty = rows == 0 || og == 0;
    parts = parallel_parts(n, static_cast<double>(n) * static_cast<double>(o * rows) * static_cast<double>(positions));
  }
};

// "3" for conv1d, "(3, 3)" for the 2-D ops.
std::string sizes_str(std::size_t spatial, std::int64_t h, std::int64_t w) {
  return spatial == 1 ? fmt::format("{}", w) : fmt::format("({}, {})", h, w);
}
std::string sizes_str(std::size_t spatial, Size2 s) { return sizes_str(spatial, s.h, s.w); }

// spatial = 1: input (N, C, L), weight (O, C/G, K), with the 1-D arguments in Size2's w.
ConvPlan plan_conv(const char* op, std::size_t spatial, const Tensor& input, const Tensor& weight, const Tensor& bias,
                   Size2 stride, Size2 padding, Size2 dilation, std::int64_t groups) {
  const std::size_t rank = spatial + 2;
  if (input.dim() != rank && input.dim() + 1 != rank)
    throw std::invalid_argument(
        fmt::format("{}: input must be {}, got {}", op,
                    spatial == 1 ? "(N, C, L) or unbatched (C, L)" : "(N, C, H, W) or unbatched (C, H, W)",
                    shape_str(input.shape())));
  if (weight.dim() != rank)
    throw std::invalid_argument(fmt::format("{}: weight must be (out_channels, in_channels / groups, {}), got {}", op,
                                            spatial == 1 ? "K" : "KH, KW", shape_str(weight.shape())));
  if (stride.h <= 0 || stride.w <= 0)
    throw std::invalid_argument(fmt::format("{}: stride must be positive, got {}", op, sizes_str(spatial, stride)));
  if (dilation.h <= 0 || dilation.w <= 0)
    throw std::invalid_argument(fmt::format("{}: dilation must be positive, got {}", op, sizes_str(spatial, dilation)));
  if (padding.h < 0 || padding.w < 0)
    throw std::invalid_argument(
        fmt::format("{}: padding must be non-negative, got {}", op, sizes_str(spatial, padding)));
  if (groups <= 0) throw std::invalid_argument(fmt::format("{}: groups must be positive, got {}", op, groups));

  const Shape& xs = input.shape();
  const Shape& ws = weight.shape();
  const bool batched = input.dim() == rank;
  ConvPlan p{batched ? xs[0] : 1, xs[batched ? 1 : 0], ws[0], static_cast<std::size_t>(groups), {}, {}};
  if (p.c % p.groups != 0)
    throw std::invalid_argument(fmt::format("{}: groups {} does not divide the input's {} channels (input {})", op,
                                            groups, p.c, shape_str(xs)));
  if (ws[1] * p.groups != p.c)
    throw std::invalid_argument(
        fmt::format("{}: input has {} channels but weight expects {} (weight shape {}, groups {})", op, p.c,
                    ws[1] * p.groups, shape_str(ws), groups));
  if (p.o % p.groups != 0)
    throw std::invalid_argument(fmt::format("{}: groups {} does not divide the weight's {} output channels (weight {})",
                                            op, groups, p.o, shape_str(ws)));
  if (bias.defined() && (bias.dim() != 1 || bias.shape()[0] != p.o))
    throw std::invalid_argument(
        fmt::format("{}: bias must be ({},) for weight {}, got {}", op, p.o, shape_str(ws), shape_str(bias.shape())));
  Window& g = p.win;
  g.h = spatial == 1 ? 1 : xs[xs.size() - 2];
  g.w = xs.back();
  g.kh = spatial == 1 ? 1 : ws[2];
  g.kw = ws.back();
  if (g.kh == 0 || g.kw == 0)
    throw std::invalid_argument(fmt::format("{}: weight {} has an empty kernel", op, shape_str(ws)));
  g.sh = static_cast<std::size_t>(stride.h), g.sw = static_cast<std::size_t>(stride.w);
  g.ph = static_cast<std::size_t>(padding.h), g.pw = static_cast<std::size_t>(padding.w);
  g.dh = static_cast<std::size_t>(dilation.h), g.dw = static_cast<std::size_t>(dilation.w);

  // The kernel spans d·(k - 1) + 1 input positions; they must fit in size + 2·padding.
  const std::size_t span_h = checked_mul(op, g.dh, g.kh - 1) + 1, span_w = checked_mul(op, g.dw, g.kw - 1) + 1;
  const std::size_t padded_h = g.h + checked_mul(op, 2, g.ph), padded_w = g.w + checked_mul(op, 2, g.pw);
  if (padded_h < span_h || padded_w < span_w)
    throw std::invalid_argument(fmt::format(
        "{}: the kernel spans {} (kernel {}, dilation {}) but the padded input is only {} (input {}, padding {}): "
        "the output would be empty",
        op, sizes_str(spatial, span_h, span_w), sizes_str(spatial, g.kh, g.kw), sizes_str(spatial, dilation),
        sizes_str(spatial, padded_h, padded_w), shape_str(xs), sizes_str(spatial, padding)));
  g.oh = (padded_h - span_h) / g.sh + 1;
  g.ow = (padded_w - span_w) / g.sw + 1;

  if (batched) p.out.push_back(p.n);
  p.out.push_back(p.o);
  if (spatial == 2) p.out.push_back(g.oh);
  p.out.push_back(g.ow);
  checked_numel(op, p.out);
  p.finish();
  checked_mul(op, p.rows, p.positions);  // the columns
  return p;
}

// Σ of n floats in 8 independent float lanes (so the loop vectorises), then in double.
double sum_floats(const float* g, std::size_t n) {
  float lanes[8] = {};
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (std::size_t l = 0; l < 8; ++l) lanes[l] += g[i + l];
  double s = 0.0;
  for (; i < n; ++i) s += g[i];
  for (float l : lanes) s += l;
  return s;
}

// y[n, g] (O/G, OH·OW) = W[g] (O/G, C/G·KH·KW) @ cols(x[n, g]) (C/G·KH·KW, OH·OW) + b[g]
// where x[n, g] (C/G, H, W) is sample n's group g of channels and W[g] its rows of the weight.
// Backward, restating it: dW[g] = Σ_n G[n, g] @ cols(x[n, g])ᵀ,  dx[n, g] = col2im(W[g]ᵀ @ G[n, g]),
// db[o] = Σ_n Σ_positions G[n, o].
// Large batches split their samples across threads (parallel_for), each with its own columns and,
// in the backward, its own dW, summed in a fixed order afterwards.
Tensor convolution(const char* op, const ConvPlan& p, const Tensor& input, const Tensor& weight, const Tensor& bias) {
  Array y = Array::from_shape(p.out);  // (N, O, OH, OW)
  const float* x = input.value().data();
  const float* w = weight.value().data();
  const float* b = bias.defined() ? bias.value().data() : nullptr;
  parallel_for(p.n, p.parts, [&](std::size_t, std::size_t begin, std::size_t end) {
    // Left uninitialised (not a zeroed vector): im2col writes every entry.
    const auto cols = std::make_unique_for_overwrite<float[]>(p.direct ? 0 : p.rows * p.positions);
    for (std::size_t n = begin; n < end; ++n) {
      for (std::size_t o = 0; o < p.o; ++o)  // the bias first; the products add onto it
        std::fill_n(y.data() + (n * p.o + o) * p.positions, p.positions, b ? b[o] : 0.0f);
      for (std::size_t g = 0; g < p.groups && !p.empty; ++g) {
        const float* x_ng = x + (n * p.c + g * p.cg) * p.plane;
        if (!p.direct) im2col(x_ng, p.cg, p.win, cols.get());
        blas::sgemm(false, false, p.og, p.positions, p.rows, 1.0f, w + g * p.og * p.rows, p.rows,
                    p.direct ? x_ng : cols.get(), p.positions, 1.0f, y.data() + (n * p.o + g * p.og) * p.positions,
                    p.positions);
      }
    }
  });
  std::vector<Tensor> inputs{input, weight};
  if (bias.defined()) inputs.push_back(bias);
  return make_result(op, std::move(y), std::move(inputs), [p](const Array& grad, const Array&, const Inputs& in) {
    const bool need_x = in[0].requires_grad(), need_w = in[1].requires_grad();
    const bool need_b = in.size() == 3 && in[2].requires_grad();
    Array dx = need_x ? Array::from_shape(in[0].shape()) : Array();                // (N, C, H, W)
    std::vector<Array> dw(need_w ? p.parts : 0, xt::zeros<float>(in[1].shape()));  // (O, C/G, KH, KW) per part
    std::vector<double> db(need_b ? p.parts * p.o : 0, 0.0);                       // (O) per part
    const float* xv = in[0].value().data();
    const float* wv = in[1].value().data();
    // Every part zeroes its own samples of dx and sums its own samples into its dW and db.
    parallel_for(p.n, p.parts, [&](std::size_t part, std::size_t begin, std::size_t end) {
      if (need_x) std::fill(dx.data() + begin * p.c * p.plane, dx.data() + end * p.c * p.plane, 0.0f);
      for (std::size_t n = begin; need_b && n < end; ++n)  // db[o] += Σ_positions G[n, o]
        for (std::size_t o = 0; o < p.o; ++o)
          db[part * p.o + o] += sum_floats(grad.data() + (n * p.o + o) * p.positions, p.positions);
      if (p.empty || !(need_x || need_w)) return;
      // cols for dW, then dcols for dx; uninitialised, as each is written whole before it is read
      const auto work = std::make_unique_for_overwrite<float[]>(p.direct ? 0 : p.rows * p.positions);
      for (std::size_t n = begin; n < end; ++n)
        for (std::size_t g = 0; g < p.groups; ++g) {
          const float* g_ng = grad.data() + (n * p.o + g * p.og) * p.positions;  // (O/G, OH·OW)
          const float* x_ng = xv + (n * p.c + g * p.cg) * p.plane;
          if (need_w) {  // dW[g] (O/G, C/G·KH·KW) += G[n, g] @ cols(x[n, g])ᵀ
            if (!p.direct) im2col(x_ng, p.cg, p.win, work.get());
            blas::sgemm(false, true, p.og, p.rows, p.positions, 1.0f, g_ng, p.positions, p.direct ? x_ng : work.get(),
                        p.positions, 1.0f, dw[part].data() + g * p.og * p.rows, p.rows);
          }
          if (need_x) {  // dcols (C/G·KH·KW, OH·OW) = W[g]ᵀ @ G[n, g], then added back onto dx[n, g]
            float* dx_ng = dx.data() + (n * p.c + g * p.cg) * p.plane;
            blas::sgemm(true, false, p.rows, p.positions, p.og, 1.0f, wv + g * p.og * p.rows, p.rows, g_ng, p.positions,
                        0.0f, p.direct ? dx_ng : work.get(), p.positions);
            if (!p.direct) col2im(work.get(), p.cg, p.win, dx_ng);
          }
        }
    });
    if (need_x) accumulate_grad(in[0], std::move(dx));
    if (need_w) {
      for (std::size_t part = 1; part < dw.size(); ++part) dw[0] += dw[part];
      accumulate_grad(in[1], std::move(dw[0]));
    }
    if (need_b) {
      Array bias_grad = xt::zeros<float>({p.o});  // (O): the parts' sums, in part order
      for (std::size_t part = 0; part < p.parts; ++part)
        for (std::size_t o = 0; o < p.o; ++o) bias_grad.data()[o] += static_cast<float>(db[part * p.o + o]);
      accumulate_grad(in[2], std::move(bias_grad));
    }
  });
}

}  // namespace

Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias, std::int64_t stride, std::int64_t padding,
              std::int64_t dilation, std::int64_t groups, Where caller) {
  const CallSite call_site(caller);
  const ConvPlan p = plan_conv("conv1d", 1, input, weight, bias, {1, stride}, {0, padding}, {1, dilation}, groups);
  return convolution("conv1d", p, input, weight, bias);
}

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, Size2 stride, Size2 padding,
              Size2 dilation, std::int64_t groups, Where caller) {
  const CallSite call_site(caller);
  const ConvPlan p = plan_conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups);
  return convolution("conv2d", p, input, weight, bias);
}

// --- pooling -----------------------------------------------------------------------------

namespace {

// A pool runs the same windows over each of the N·C planes of its input. A window is either
// kernel_size taps placed every stride from -padding (max and average pooling), or an adaptive
// bin: along H, bin i covers [floor(i·H / OH), ceil((i + 1)·H / OH)).
struct PoolPlan {
  std::size_t planes;
  Window win;  // an adaptive pool uses only h, w, oh and ow
  bool adaptive;
  Shape out;  // (N, C, OH, OW) or (C, OH, OW)

  // The input rows [lo, hi) that output row oi covers; across() the same for columns.
  Range rows(std::size_t oi) const {
    return adaptive ? bin(oi, win.oh, win.h) : clipped(oi, win.kh, win.sh, win.ph, win.h);
  }
  Range across(std::size_t oj) const {
    return adaptive ? bin(oj, win.ow, win.w) : clipped(oj, win.kw, win.sw, win.pw, win.w);
  }
  static Range bin(std::size_t i, std::size_t out, std::size_t size) {
    return {i * size / out, ((i + 1) * size + out - 1) / out};
  }
  // [o·stride - pad, o·stride - pad + k) clipped to [0, size); k > pad as the checks ensure.
  static Range clipped(std::size_t o, std::size_t k, std::size_t stride, std::size_t pad, std::size_t size) {
    const std::size_t start = o * stride;
    return {start > pad ? start - pad : 0, std::min(size, start + k - pad)};
  }
};

// f(k, plane, rows, across) for every output k in order: `plane` is the offset of the input
// plane it pools and rows × across the input elements its window covers.
template <class F>
void for_each_window(const PoolPlan& p, F&& f) {
  std::size_t k = 0;
  for (std::size_t q = 0; q < p.planes; ++q)
    for (std::size_t oi = 0; oi < p.win.oh; ++oi) {
      const Range rows = p.rows(oi);
      for (std::size_t oj = 0; oj < p.win.ow; ++oj) f(k++, q * p.win.plane(), rows, p.across(oj));
    }
}

// Checks the rank and that the planes are not empty; (N, C, H, W) or (C, H, W).
void check_pool_input(const char* op, const Tensor& input) {
  if (input.dim() != 4 && input.dim() != 3)
    throw std::invalid_argument(
        fmt::format("{}: input must be (N, C, H, W) or unbatched (C, H, W), got {}", op, shape_str(input.shape())));
  const Shape& xs = input.shape();
  if (xs[xs.size() - 2] == 0 || xs.back() == 0)
    throw std::invalid_argument(fmt::format("{}: input {} has an empty spatial dim", op, shape_str(xs)));
}

PoolPlan make_pool_plan(const Tensor& input, Window g, bool adaptive) {
  const Shape& xs = input.shape();
  g.h = xs[xs.size() - 2], g.w = xs.back();
  Shape out = xs;
  out[out.size() - 2] = g.oh;
  out.back() = g.ow;
  return {xs.size() == 4 ? xs[0] * xs[1] : xs[0], g, adaptive, out};
}

PoolPlan plan_pool(const char* op, const Tensor& input, Size2 kernel, Size2 stride, Size2 padding) {
  check_pool_input(op, input);
  if (kernel.h <= 0 || kernel.w <= 0)
    throw std::invalid_argument(fmt::format("{}: kernel_size must be positive, got {}", op, sizes_str(2, kernel)));
  if (stride.h <= 0 || stride.w <= 0)
    throw std::invalid_argument(fmt::format("{}: stride must be positive, got {}", op, sizes_str(2, stride)));
  if (padding.h < 0 || padding.w < 0)
    throw std::invalid_argument(fmt::format("{}: padding must be non-negative, got {}", op, sizes_str(2, padding)));
  if (padding.h > kernel.h / 2 || padding.w > kernel.w / 2)  // as PyTorch: every window holds an element
    throw std::invalid_argument(fmt::format("{}: padding {} must be at most half of kernel_size {}", op,
                                            sizes_str(2, padding), sizes_str(2, kernel)));
  const Shape& xs = input.shape();
  const std::size_t h = xs[xs.size() - 2], w = xs.back();
  const auto kh = static_cast<std::size_t>(kernel.h), kw = static_cast<std::size_t>(kernel.w);
  const auto ph = static_cast<std::size_t>(padding.h), pw = static_cast<std::size_t>(padding.w);
  const auto sh = static_cast<std::size_t>(stride.h), sw = static_cast<std::size_t>(stride.w);
  if (h + 2 * ph < kh || w + 2 * pw < kw)
    throw std::invalid_argument(
        fmt::format("{}: kernel_size {} is larger than the padded input ({}, {}) (input {}, padding {}): the output "
                    "would be empty",
                    op, sizes_str(2, kernel), h + 2 * ph, w + 2 * pw, shape_str(xs), sizes_str(2, padding)));
  return make_pool_plan(
      input, {h, w, kh, kw, sh, sw, ph, pw, 1, 1, (h + 2 * ph - kh) / sh + 1, (w + 2 * pw - kw) / sw + 1}, false);
}

// The commonest pool, kernel 2 and stride 2 without padding or NaNs, for one output row from
// input rows r0 and r1: a tournament, (a b) and (c d) then the winners, whose strict > keeps
// the first of equal elements as the general loop does. Branch-free and 4× faster than it.
// Returns whether the rows held a NaN (then the caller pools them again with PyTorch's rule).
// __restrict (the output never overlaps the input) lets the compiler vectorise the loop: 2× faster.
bool max_pool_row_2x2(const float* __restrict r0, const float* __restrict r1, std::size_t ow, std::size_t first,
                      std::size_t w, float* __restrict out, std::size_t* __restrict arg) {
  bool nan = false;
  for (std::size_t oj = 0; oj < ow; ++oj) {
    const float a = r0[2 * oj], b = r0[2 * oj + 1], c = r1[2 * oj], d = r1[2 * oj + 1];
    const float top = std::max(a, b), bottom = std::max(c, d);
    const std::size_t right_top = b > a, right_bottom = d > c, lower = bottom > top;
    out[oj] = std::max(top, bottom);
    arg[oj] = first + 2 * oj + lower * (w + right_bottom) + (1 - lower) * right_top;  // first: r0[0]'s index
    nan |= (a != a) | (b != b) | (c != c) | (d != d);
  }
  return nan;
}

// The max pool's forward over the planes [first, last): out[k] = the window's maximum, arg[k]
// its flat index in x. Ties keep the first element; a NaN wins, as in PyTorch. The fast loops
// assume no NaN and report whether they met one (has_nan false); the caller then runs this again
// with has_nan true, whose loop follows PyTorch's rule.
bool max_pool_planes(const PoolPlan& p, const float* x, bool has_nan, float* out, std::size_t* arg, std::size_t first,
                     std::size_t last) {
  const std::size_t w = p.win.w, plane_size = p.win.plane();
  const Window& g = p.win;
  bool met_nan = false;
  if (!has_nan && !p.adaptive && g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.ph == 0 && g.pw == 0) {
    for (std::size_t q = first; q < last; ++q)
      for (std::size_t oi = 0; oi < g.oh; ++oi) {
        const std::size_t row = q * plane_size + 2 * oi * w, k = (q * g.oh + oi) * g.ow;
        met_nan |= max_pool_row_2x2(x + row, x + row + w, g.ow, row, w, out + k, arg + k);
      }
    return met_nan;
  }
  std::size_t k = first * p.win.positions();
  for (std::size_t q = first; q < last; ++q)
    for (std::size_t oi = 0; oi < p.win.oh; ++oi) {
      const Range rows = p.rows(oi);
      for (std::size_t oj = 0; oj < p.win.ow; ++oj, ++k) {
        const Range across = p.across(oj);
        std::size_t at = q * plane_size + rows.lo * w + across.lo;
        float best = -std::numeric_limits<float>::infinity();
        for (std::size_t i = rows.lo; i < rows.hi; ++i)
          for (std::size_t j = across.lo; j < across.hi; ++j) {
            const std::size_t here = q * plane_size + i * w + j;
            const float v = x[here];
            if (has_nan) {
              if (v > best || std::isnan(v)) best = v, at = here;
            } else {
              // The same without NaNs, branch-free: which element of a window is largest is a
              // coin toss that a branch predictor loses about half the time (3× faster here).
              at += static_cast<std::size_t>(v > best) * (here - at);
              best = std::max(best, v);
              met_nan |= v != v;
            }
          }
        out[k] = best;
        arg[k] = at;
      }
    }
  return met_nan;
}

// y = max over the window, the padding counting as -inf     dx[argmax] += g
Tensor max_pool(const PoolPlan& p, const Tensor& input) {
  Array y = Array::from_shape(p.out);
  const std::size_t n = y.size();
  // The flat index into the input of each output's maximum (left uninitialised: every entry is written).
  const std::shared_ptr<std::size_t[]> argmax(new std::size_t[n]);
  const float* x = input.value().data();
  // Large inputs split their planes over the threads. A window element costs a few times a
  // GEMM multiply-add (about 2 ns here), hence the weight 8 in the work estimate.
  const std::size_t parts = parallel_parts(p.planes, 8.0 * static_cast<double>(n * p.win.kh * p.win.kw));
  std::vector<char> met_nan(parts, 0);
  parallel_for(p.planes, parts, [&](std::size_t part, std::size_t first, std::size_t last) {
    met_nan[part] = max_pool_planes(p, x, false, y.data(), argmax.get(), first, last);
  });
  if (std::find(met_nan.begin(), met_nan.end(), 1) != met_nan.end())  // rare: PyTorch's rule, on one thread
    max_pool_planes(p, x, true, y.data(), argmax.get(), 0, p.planes);
  // Backward: a plane's outputs all point into the same plane of the input, so the parts that
  // split the forward's planes zero and fill disjoint parts of dx.
  return make_result("max_pool2d", std::move(y), {input},
                     [argmax, p, parts](const Array& grad, const Array&, const Inputs& in) {
                       Array dx = Array::from_shape(in[0].shape());
                       parallel_for(p.planes, parts, [&](std::size_t, std::size_t first, std::size_t last) {
                         std::fill(dx.data() + first * p.win.plane(), dx.data() + last * p.win.plane(), 0.0f);
                         for (std::size_t k = first * p.win.positions(); k < last * p.win.positions(); ++k)
                           dx.data()[argmax[k]] += grad.data()[k];
                       });
                       accumulate_grad(in[0], std::move(dx));
                     });
}

// y = Σ_window x / divisor     dx[window] += g / divisor
// divisor = KH·KW with count_include_pad (the padding counts as zeros), else the number of real
// elements in the window (always, for adaptive bins).
Tensor avg_pool(const char* op, const PoolPlan& p, const Tensor& input, bool count_include_pad) {
  const auto divisor = [p, count_include_pad](Range rows, Range across) {
    return static_cast<double>(count_include_pad ? p.win.kh * p.win.kw : (rows.hi - rows.lo) * (across.hi - across.lo));
  };
  Array y = Array::from_shape(p.out);
  const float* x = input.value().data();
  for_each_window(p, [&](std::size_t k, std::size_t plane, Range rows, Range across) {
    double s = 0.0;  // PyTorch sums float in double too
    for (std::size_t i = rows.lo; i < rows.hi; ++i)
      for (std::size_t j = across.lo; j < across.hi; ++j) s += x[plane + i * p.win.w + j];
    y.data()[k] = static_cast<float>(s / divisor(rows, across));
  });
  return make_result(op, std::move(y), {input}, [p, divisor](const Array& grad, const Array&, const Inputs& in) {
    Array dx = xt::zeros<float>(in[0].shape());
    for_each_window(p, [&](std::size_t k, std::size_t plane, Range rows, Range across) {
      const auto share = static_cast<float>(grad.data()[k] / divisor(rows, across));
      for (std::size_t i = rows.lo; i < rows.hi; ++i)
        for (std::size_t j = across.lo; j < across.hi; ++j) dx.data()[plane + i * p.win.w + j] += share;
    });
    accumulate_grad(in[0], std::move(dx));
  });
}

}  // namespace

Tensor max_pool2d(const Tensor& input, Size2 kernel_size, Where caller) {
  const CallSite call_site(caller);
  return max_pool(plan_pool("max_pool2d", input, kernel_size, kernel_size, 0), input);
}

Tensor max_pool2d(const Tensor& input, Size2 kernel_size, Size2 stride, Size2 padding, Where caller) {
  const CallSite call_site(caller);
  return max_pool(plan_pool("max_pool2d", input, kernel_size, stride, padding), input);
}

Tensor avg_pool2d(const Tensor& input, Size2 kernel_size, Where caller) {
  const CallSite call_site(caller);
  return avg_pool("avg_pool2d", plan_pool("avg_pool2d", input, kernel_size, kernel_size, 0), input, true);
}

Tensor avg_pool2d(const Tensor& input, Size2 kernel_size, Size2 stride, Size2 padding, bool count_include_pad,
                  Where caller) {
  const CallSite call_site(caller);
  return avg_pool("avg_pool2d", plan_pool("avg_pool2d", input, kernel_size, stride, padding), input, count_include_pad);
}

// y[i, j] = mean of x over bin_H(i) × bin_W(j)     dx[bin] += g / |bin|
Tensor adaptive_avg_pool2d(const Tensor& input, Size2 output_size, Where caller) {
  const CallSite call_site(caller);
  check_pool_input("adaptive_avg_pool2d", input);
  if (output_size.h <= 0 || output_size.w <= 0)
    throw std::invalid_argument(
        fmt::format("adaptive_avg_pool2d: output_size must be positive, got {}", sizes_str(2, output_size)));
  Window bins{};
  bins.oh = static_cast<std::size_t>(output_size.h), bins.ow = static_cast<std::size_t>(output_size.w);
  const PoolPlan p = make_pool_plan(input, bins, true);
  checked_numel("adaptive_avg_pool2d", p.out);
  return avg_pool("adaptive_avg_pool2d", p, input, false);
}

}  // namespace attograd
