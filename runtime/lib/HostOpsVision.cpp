//===- HostOpsVision.cpp - Host float reductions, where, resize, deconv ---===//
//
// Host segment kinds FloatReduce .. FloatConvTranspose (dlprt/Program.h):
// the loader's checks of their params and shapes, and their execution with
// the float evaluator's own kernels (dlprt/kernels/FloatVision.h).
//
//===----------------------------------------------------------------------===//

#include "HostOpsImpl.h"

#include "dlprt/HostOps.h"
#include "dlprt/kernels/FloatVision.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace llvm;

namespace dlprt::hostops {

namespace {

namespace rk = dlprt::kernels;

/// Fixed params of a FloatResize segment before the scales.
enum ResizeParam : unsigned {
  kResMode,
  kResCoord,
  kResNearest,
  kResCubicA,
  kResExclude,
  kResExtrapolation,
  kResRoiCount,
  kNumResizeParams
};

double paramDouble(const HostSegment &h, size_t k) {
  uint64_t b = uint64_t(h.params[k]);
  double v;
  std::memcpy(&v, &b, 8);
  return v;
}

/// Every input broadcasts (numpy rules, aligned at the end) to `y`, and
/// each axis of `y` is the largest of the inputs' (the broadcast shape).
Error checkBroadcast(const Program &p, size_t i, const HostSegment &h,
                     const std::vector<int64_t> &y) {
  for (size_t d = 0; d < y.size(); ++d) {
    int64_t widest = 1;
    for (size_t k = 0; k < h.inputs.size(); ++k) {
      const std::vector<int64_t> &x = inShape(p, h, k);
      if (x.size() > y.size())
        return segError(i, h, "input " + Twine(k) + " " + shapeText(x) +
                                  " has a higher rank than the output");
      size_t off = y.size() - x.size();
      int64_t xd = d < off ? 1 : x[d - off];
      if (xd != 1 && xd != y[d])
        return segError(i, h, "input " + Twine(k) + " " + shapeText(x) +
                                  " does not broadcast to the output " +
                                  shapeText(y));
      widest = std::max(widest, xd);
    }
    if (h.kind == HostOpKind::FloatWhere && y[d] != widest)
      return segError(i, h, "output " + shapeText(y) +
                                " is not the inputs' broadcast shape");
  }
  return Error::success();
}

Error checkReduce(const Program &p, size_t i, const HostSegment &h) {
  if (h.params.size() < 2)
    return segError(i, h, "takes the reduction, the keep-dims flag and axes");
  if (Error e = checkArity(i, h, 1, 1, h.params.size()))
    return e;
  if (h.params[0] < int64_t(rk::FloatReduceOp::Sum) ||
      h.params[0] > int64_t(rk::FloatReduceOp::Min))
    return segError(i, h, "param 0 (reduction) must be 0 (sum), 1 (mean), "
                          "2 (max) or 3 (min)");
  if (h.params[1] != 0 && h.params[1] != 1)
    return segError(i, h, "param 1 (keep dims) must be 0 or 1");
  const std::vector<int64_t> &x = inShape(p, h, 0);
  std::vector<int64_t> want;
  size_t next = 2;
  for (size_t d = 0; d < x.size(); ++d) {
    bool reduced = next < h.params.size() && h.params[next] == int64_t(d);
    if (reduced)
      ++next;
    if (!reduced)
      want.push_back(x[d]);
    else if (h.params[1])
      want.push_back(1);
  }
  if (want.empty()) // a scalar is stored as one element
    want = {1};
  if (next != h.params.size())
    return segError(i, h, "axis " + Twine(h.params[next]) + " (param " +
                              Twine(next) +
                              ") is not ascending or not below the rank " +
                              Twine(x.size()));
  return wantShape(i, h, "output", p.tensors[h.outputs[0]].shape, want);
}

Error checkResize(const Program &p, size_t i, const HostSegment &h) {
  const std::vector<int64_t> &x = h.inputs.size() == 1
                                      ? inShape(p, h, 0)
                                      : p.tensors[h.outputs[0]].shape;
  size_t rank = x.size();
  int64_t roi = h.params.size() > kResRoiCount ? h.params[kResRoiCount] : -1;
  if (roi != 0 && roi != int64_t(2 * rank))
    return segError(i, h, "roi count " + Twine(roi) + " (param " +
                              Twine(unsigned(kResRoiCount)) +
                              ") must be 0 or twice the rank " + Twine(rank));
  if (Error e = checkArity(i, h, 1, 1, kNumResizeParams + rank + roi))
    return e;
  struct Enum {
    unsigned param;
    int64_t count;
    const char *what;
  };
  for (Enum en : {Enum{kResMode, 3, "mode"}, Enum{kResCoord, 6, "coordinate mode"},
                  Enum{kResNearest, 4, "nearest mode"},
                  Enum{kResExclude, 2, "exclude_outside"}})
    if (h.params[en.param] < 0 || h.params[en.param] >= en.count)
      return segError(i, h, "unknown " + Twine(en.what) + " " +
                                Twine(h.params[en.param]) + " (param " +
                                Twine(en.param) + ")");
  if (h.params[kResCoord] == int64_t(rk::ResizeCoord::TfCropAndResize) && !roi)
    return segError(i, h, "tf_crop_and_resize needs a roi");
  if (!std::isfinite(paramDouble(h, kResCubicA)) ||
      !std::isfinite(paramFloat(h, kResExtrapolation)))
    return segError(i, h, "cubic_coeff_a and the extrapolation value must be "
                          "finite");
  const std::vector<int64_t> &y = p.tensors[h.outputs[0]].shape;
  if (y.size() != rank)
    return segError(i, h, "input and output ranks differ");
  // The kernel resizes one axis after the other, axis 0 first: after axis
  // d its buffer holds out[0..d] x in[d+1..] floats.
  u128 widest = 0;
  for (size_t d = 0; d < rank; ++d) {
    double sc = paramDouble(h, kNumResizeParams + d);
    if (!std::isfinite(sc) || sc < 1.0 / double(kMaxFloatParam) ||
        sc > double(kMaxFloatParam))
      return segError(i, h, "axis " + Twine(d) + ": scale (param " +
                                Twine(kNumResizeParams + d) +
                                ") must be finite and in [2^-16, 65536]");
    if (x[d] < 1 && y[d] > 0)
      return segError(i, h, "axis " + Twine(d) + ": an empty input axis "
                                                 "has no samples");
    u128 n = 4;
    for (size_t e = 0; e < rank; ++e)
      n *= uint64_t(e <= d ? y[e] : x[e]);
    widest = std::max(widest, n);
  }
  if (widest > kMaxPatchBytes)
    return segError(i, h, "an intermediate of the axis-by-axis resize "
                          "exceeds 4 GiB");
  for (int64_t k = 0; k < roi; ++k)
    if (!std::isfinite(paramDouble(h, kNumResizeParams + rank + k)))
      return segError(i, h, "roi value " + Twine(k) + " is not finite");
  return Error::success();
}

Error checkConvTranspose(const Program &p, size_t i, const HostSegment &h) {
  if (Error e = checkConvHead(p, i, h))
    return e;
  const std::vector<int64_t> &x = inShape(p, h, 0), &wt = inShape(p, h, 1),
                             &y = p.tensors[h.outputs[0]].shape;
  size_t sp = x.size() - 2;
  int64_t g = h.params[0], m = wt[1] * g;
  if (wt[0] != x[1] || x[1] % g)
    return segError(i, h, "weight " + shapeText(wt) + " does not take " +
                              Twine(x[1]) + " input channels in group(s) of " +
                              Twine(x[1] / g));
  if (y[0] != x[0] || y[1] != m)
    return segError(i, h, "output " + shapeText(y) + " is not " +
                              Twine(x[0]) + " x " + Twine(m) + " x ...");
  if (h.inputs.size() == 3)
    if (Error e = wantShape(i, h, "bias", inShape(p, h, 2), {m}))
      return e;
  u128 cols = u128(uint64_t(wt[1])) * 4;
  for (size_t a = 0; a < sp; ++a) {
    size_t base = 1 + a * kNumWinParams;
    if (Error e = checkRange(i, h, base + kWinStride, 1, 1, "stride"))
      return e;
    // Negative pads extend the output (an explicit output_shape).
    if (Error e = checkRange(i, h, base + kWinPadBegin, 2, -kMaxFloatParam,
                             "pad"))
      return e;
    if (Error e = checkRange(i, h, base + kWinDilation, 1, 1, "dilation"))
      return e;
    int64_t s = h.params[base + kWinStride], d = h.params[base + kWinDilation];
    int64_t full = (x[2 + a] - 1) * s + d * (wt[2 + a] - 1) + 1 -
                   h.params[base + kWinPadBegin] - h.params[base + kWinPadEnd];
    // output_padding adds fewer than max(stride, dilation) positions.
    if (y[2 + a] < 1 || y[2 + a] < full || y[2 + a] >= full + std::max(s, d))
      return segError(i, h, "spatial axis " + Twine(a) + ": output extent " +
                                Twine(y[2 + a]) +
                                " does not match the window (" + Twine(full) +
                                " plus less than max(stride, dilation))");
    cols *= uint64_t(wt[2 + a]) * uint64_t(x[2 + a]);
  }
  if (cols > kMaxPatchBytes)
    return segError(i, h, "the column matrix exceeds 4 GiB");
  return Error::success();
}

} // namespace

Error checkFloatVision(const Program &p, size_t i, const HostSegment &h) {
  switch (h.kind) {
  case HostOpKind::FloatReduce:
    return checkReduce(p, i, h);
  case HostOpKind::FloatExpand:
    if (Error e = checkArity(i, h, 1, 1, 0))
      return e;
    return checkBroadcast(p, i, h, p.tensors[h.outputs[0]].shape);
  case HostOpKind::FloatWhere:
    if (Error e = checkArity(i, h, 3, 3, 0))
      return e;
    return checkBroadcast(p, i, h, p.tensors[h.outputs[0]].shape);
  case HostOpKind::FloatResize:
    return checkResize(p, i, h);
  default:
    return checkConvTranspose(p, i, h);
  }
}

void runFloatVision(const Program &p, const HostSegment &h,
                    const uint8_t *data, float *out, unsigned threads) {
  const std::vector<int64_t> &y = p.tensors[h.outputs[0]].shape;
  auto in = [&](size_t k) { return floatAt(data, p.tensors[h.inputs[k]]); };
  switch (h.kind) {
  case HostOpKind::FloatReduce:
    return rk::floatReduce(
        in(0), inShape(p, h, 0),
        ArrayRef<int64_t>(h.params).drop_front(2),
        rk::FloatReduceOp(h.params[0]), out);
  case HostOpKind::FloatExpand:
    return rk::floatExpand(in(0), inShape(p, h, 0), y, out);
  case HostOpKind::FloatWhere:
    return rk::floatWhere(in(0), inShape(p, h, 0), in(1), inShape(p, h, 1),
                          in(2), inShape(p, h, 2), y, out);
  case HostOpKind::FloatResize: {
    size_t rank = y.size();
    std::vector<double> scales(rank), roi(h.params[kResRoiCount]);
    for (size_t d = 0; d < rank; ++d)
      scales[d] = paramDouble(h, kNumResizeParams + d);
    for (size_t k = 0; k < roi.size(); ++k)
      roi[k] = paramDouble(h, kNumResizeParams + rank + k);
    rk::ResizeParams r;
    r.mode = rk::ResizeMode(h.params[kResMode]);
    r.coord = rk::ResizeCoord(h.params[kResCoord]);
    r.nearest = rk::ResizeNearest(h.params[kResNearest]);
    r.cubicA = paramDouble(h, kResCubicA);
    r.excludeOutside = h.params[kResExclude] != 0;
    r.roi = roi;
    r.extrapolation = paramFloat(h, kResExtrapolation);
    return rk::floatResize(in(0), inShape(p, h, 0), y, scales, r, out);
  }
  case HostOpKind::FloatConvTranspose: {
    const std::vector<int64_t> &x = inShape(p, h, 0);
    size_t sp = x.size() - 2;
    std::vector<int64_t> strides(sp), pads(2 * sp), dil(sp);
    for (size_t a = 0; a < sp; ++a) {
      size_t base = 1 + a * kNumWinParams;
      strides[a] = h.params[base + kWinStride];
      pads[a] = h.params[base + kWinPadBegin];
      pads[sp + a] = h.params[base + kWinPadEnd];
      dil[a] = h.params[base + kWinDilation];
    }
    return rk::floatConvTranspose(
        in(0), x, in(1), inShape(p, h, 1),
        h.inputs.size() > 2 ? in(2) : nullptr, strides, pads, dil,
        h.params[0], out, y, threads);
  }
  default:
    return;
  }
}

} // namespace dlprt::hostops
