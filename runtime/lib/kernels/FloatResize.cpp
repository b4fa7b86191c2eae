//===- FloatResize.cpp - Nearest and N-linear resampling ------------------===//
//
// ONNX Resize, one axis after the other (both modes are separable): each
// output index of an axis reads one source index (nearest) or two with
// weights (linear). Coordinates are computed in double as ONNX's reference
// does.
//
//===----------------------------------------------------------------------===//

#include "dlprt/kernels/FloatVision.h"

#include "llvm/ADT/StringSwitch.h"

#include <algorithm>
#include <cmath>
#include <vector>

using namespace dlprt;
using namespace dlprt::kernels;
using llvm::ArrayRef;

namespace {
/// One output index of an axis: n source indices (1 nearest or a copy, 2
/// linear, 4 cubic) and their weights.
struct Tap {
  int n = 1; // 0: outside the input (tf_crop_and_resize's extrapolation)
  int64_t idx[4] = {0, 0, 0, 0};
  float w[4] = {1, 0, 0, 0};
};

/// Source coordinate of output index `o` on an axis of `in` -> `out`
/// elements with factor `scale`.
double sourceCoord(ResizeCoord coord, double o, int64_t in, int64_t out,
                   double scale, double roiStart, double roiEnd) {
  switch (coord) {
  case ResizeCoord::TfCropAndResize: {
    double len = scale * double(in), span = (roiEnd - roiStart) * (in - 1);
    double x = len == 1.0 ? span / 2 : o * span / (len - 1.0);
    return x + roiStart * (in - 1);
  }
  case ResizeCoord::HalfPixel:
    return (o + 0.5) / scale - 0.5;
  case ResizeCoord::PytorchHalfPixel:
    return out > 1 ? (o + 0.5) / scale - 0.5 : 0.0;
  case ResizeCoord::AlignCorners: {
    // ONNX's reference divides by scale * in - 1 (not out - 1) when the
    // model gave scales; with sizes that is out itself.
    double len = scale * double(in);
    if (std::abs(len - double(out)) < 1e-6 * double(out))
      len = double(out);
    return len == 1.0 ? 0.0 : o * double(in - 1) / (len - 1.0);
  }
  case ResizeCoord::Asymmetric:
    return o / scale;
  case ResizeCoord::TfHalfPixelForNN:
    return (o + 0.5) / scale;
  }
  return o;
}

int64_t nearestIndex(ResizeNearest mode, double x) {
  double f = std::floor(x);
  if (x == f)
    return int64_t(f);
  switch (mode) {
  case ResizeNearest::RoundPreferFloor:
    return int64_t(x - f <= 0.5 ? f : f + 1);
  case ResizeNearest::RoundPreferCeil:
    return int64_t(x - f < 0.5 ? f : f + 1);
  case ResizeNearest::Floor:
    return int64_t(f);
  case ResizeNearest::Ceil:
    return int64_t(f + 1);
  }
  return int64_t(f);
}

/// ONNX's cubic convolution weights of the neighbours floor(x) - 1 ..
/// floor(x) + 2 at fraction r.
void cubicWeights(double r, double a, double w[4]) {
  auto far = [a](double t) {
    return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a;
  };
  auto near = [a](double t) { return ((a + 2) * t - (a + 3)) * t * t + 1; };
  w[0] = far(r + 1);
  w[1] = near(r);
  w[2] = near(1 - r);
  w[3] = far(2 - r);
}

std::vector<Tap> taps(int64_t in, int64_t out, double scale,
                      const ResizeParams &p, size_t axis, size_t rank) {
  bool crop = p.coord == ResizeCoord::TfCropAndResize;
  auto clamp = [&](int64_t i) { return std::clamp<int64_t>(i, 0, in - 1); };
  std::vector<Tap> t(out);
  for (int64_t o = 0; o < out; ++o) {
    double x =
        sourceCoord(p.coord, double(o), in, out, scale,
                    crop ? p.roi[axis] : 0.0, crop ? p.roi[rank + axis] : 1.0);
    Tap &tp = t[o];
    if (crop && (x < 0 || x > double(in - 1))) {
      tp.n = 0;
      continue;
    }
    if (p.mode == ResizeMode::Nearest) {
      tp.idx[0] = clamp(nearestIndex(p.nearest, x));
      continue;
    }
    double f = std::floor(x), r = x - f;
    int64_t i = int64_t(f);
    if (r == 0.0) { // on a source sample: its value
      tp.idx[0] = clamp(i);
      continue;
    }
    double w[4];
    int64_t first;
    if (p.mode == ResizeMode::Linear) {
      tp.n = 2;
      w[0] = 1.0 - r;
      w[1] = r;
      first = i;
    } else {
      tp.n = 4;
      cubicWeights(r, p.cubicA, w);
      first = i - 1;
    }
    // exclude_outside: weights of taps outside the input are dropped and
    // the rest renormalized (otherwise such taps read the edge).
    double sum = 0;
    for (int k = 0; k < tp.n; ++k) {
      int64_t src = first + k;
      if (p.excludeOutside && (src < 0 || src >= in))
        w[k] = 0;
      sum += w[k];
    }
    for (int k = 0; k < tp.n; ++k) {
      tp.idx[k] = clamp(first + k);
      tp.w[k] = float(p.excludeOutside ? w[k] / sum : w[k]);
    }
  }
  return t;
}
} // namespace

void kernels::floatResize(const float *x, ArrayRef<int64_t> shape,
                          ArrayRef<int64_t> out, ArrayRef<double> scales,
                          const ResizeParams &params, float *y) {
  size_t rank = shape.size();
  std::vector<int64_t> cur(shape.begin(), shape.end());
  auto count = [](ArrayRef<int64_t> s) {
    int64_t n = 1;
    for (int64_t e : s)
      n *= e;
    return n;
  };
  std::vector<float> a(x, x + count(shape)), b;
  for (size_t d = 0; d < rank; ++d) {
    std::vector<Tap> t = taps(cur[d], out[d], scales[d], params, d, rank);
    bool identity = out[d] == cur[d];
    for (int64_t o = 0; identity && o < out[d]; ++o)
      identity = t[o].n == 1 && t[o].idx[0] == o;
    if (identity)
      continue;
    int64_t outer = 1, inner = 1;
    for (size_t e = 0; e < d; ++e)
      outer *= cur[e];
    for (size_t e = d + 1; e < rank; ++e)
      inner *= cur[e];
    b.assign(outer * out[d] * inner, 0.0f);
    for (int64_t p = 0; p < outer; ++p)
      for (int64_t o = 0; o < out[d]; ++o) {
        const Tap &tp = t[o];
        float *dst = b.data() + (p * out[d] + o) * inner;
        const float *src = a.data() + p * cur[d] * inner;
        if (tp.n == 0) {
          std::fill(dst, dst + inner, params.extrapolation);
          continue;
        }
        if (tp.n == 1) {
          std::copy(src + tp.idx[0] * inner, src + (tp.idx[0] + 1) * inner,
                    dst);
          continue;
        }
        for (int k = 0; k < tp.n; ++k) {
          const float *s = src + tp.idx[k] * inner;
          float wk = tp.w[k];
          for (int64_t i = 0; i < inner; ++i)
            dst[i] += wk * s[i];
        }
      }
    a.swap(b);
    cur[d] = out[d];
  }
  std::copy(a.begin(), a.begin() + count(out), y);
}

void kernels::setResizeModes(ResizeParams &p, llvm::StringRef mode,
                             llvm::StringRef coord, llvm::StringRef nearest) {
  p.mode = llvm::StringSwitch<ResizeMode>(mode)
               .Case("linear", ResizeMode::Linear)
               .Case("cubic", ResizeMode::Cubic)
               .Default(ResizeMode::Nearest);
  p.coord = llvm::StringSwitch<ResizeCoord>(coord)
                .Case("pytorch_half_pixel", ResizeCoord::PytorchHalfPixel)
                .Case("align_corners", ResizeCoord::AlignCorners)
                .Case("asymmetric", ResizeCoord::Asymmetric)
                .Case("tf_half_pixel_for_nn", ResizeCoord::TfHalfPixelForNN)
                .Case("tf_crop_and_resize", ResizeCoord::TfCropAndResize)
                .Default(ResizeCoord::HalfPixel);
  p.nearest = llvm::StringSwitch<ResizeNearest>(nearest)
                  .Case("round_prefer_ceil", ResizeNearest::RoundPreferCeil)
                  .Case("floor", ResizeNearest::Floor)
                  .Case("ceil", ResizeNearest::Ceil)
                  .Default(ResizeNearest::RoundPreferFloor);
}
