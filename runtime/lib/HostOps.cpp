//===- HostOps.cpp - Host fallback ops: integer and float segments --------===//

#include "dlprt/HostOps.h"
#include "HostOpsImpl.h"

#include "dlprt/Numerics.h"
#include "dlprt/kernels/Conv.h"
#include "dlprt/kernels/Float.h"
#include "dlprt/kernels/FloatConv.h"
#include "dlprt/kernels/FloatLinalg.h"
#include "dlprt/Runtime.h"
#include "dlprt/kernels/Parallel.h"
#include "dlprt/kernels/Requant.h"
#include "dlprt/kernels/ChannelMul.h"
#include "dlprt/kernels/Pool.h"
#include "dlprt/kernels/Table.h"

#include "llvm/ADT/Twine.h"

#include <algorithm>
#include <cstring>
#include <type_traits>

using namespace llvm;

namespace dlprt {

namespace hostops {

const char *kindName(HostOpKind k) {
  switch (k) {
  case HostOpKind::Conv:
    return "conv";
  case HostOpKind::Concat:
    return "concat";
  case HostOpKind::Dequantize:
    return "dequantize";
  case HostOpKind::Quantize:
    return "quantize";
  case HostOpKind::FloatUnary:
    return "float unary";
  case HostOpKind::FloatBinary:
    return "float binary";
  case HostOpKind::Softmax:
    return "softmax";
  case HostOpKind::FloatTranspose:
    return "float transpose";
  case HostOpKind::FloatConcat:
    return "float concat";
  case HostOpKind::FloatSlice:
    return "float slice";
  case HostOpKind::FloatConst:
    return "float constant";
  case HostOpKind::FloatConv:
    return "float conv";
  case HostOpKind::FloatPool:
    return "float pool";
  case HostOpKind::FloatMatMul:
    return "float matmul";
  case HostOpKind::FloatGemm:
    return "float gemm";
  case HostOpKind::FloatFullyConnected:
    return "float fully-connected";
  case HostOpKind::FloatLRN:
    return "float lrn";
  case HostOpKind::FloatBatchNorm:
    return "float batch norm";
  case HostOpKind::FloatPad:
    return "float pad";
  case HostOpKind::PackTaps:
    return "pack taps";
  case HostOpKind::FloatReduce:
    return "float reduce";
  case HostOpKind::FloatExpand:
    return "float expand";
  case HostOpKind::FloatWhere:
    return "float where";
  case HostOpKind::FloatResize:
    return "float resize";
  case HostOpKind::FloatConvTranspose:
    return "float conv transpose";
  case HostOpKind::Table:
    return "table";
  case HostOpKind::ChannelMul:
    return "channel mul";
  case HostOpKind::Pool:
    return "pool";
  case HostOpKind::Add:
    return "add";
  }
  return "?";
}

Error segError(size_t i, const HostSegment &h, const Twine &msg) {
  return createStringError(inconvertibleErrorCode(),
                           "section HOST: record %zu (%s): %s", i,
                           kindName(h.kind),
                           msg.str().c_str());
}

/// Logical element count of a tensor (validated: fits uint64).
uint64_t elements(const TensorDesc &t) {
  uint64_t n = 1;
  for (int64_t d : t.shape)
    n *= uint64_t(d);
  return n;
}

std::string shapeText(const std::vector<int64_t> &s) {
  std::string t = "[";
  for (size_t d = 0; d < s.size(); ++d)
    t += (d ? ", " : "") + std::to_string(s[d]);
  return t + "]";
}

/// The shape of input `k` of a segment (checked to exist).
const std::vector<int64_t> &inShape(const Program &p, const HostSegment &h,
                                    size_t k) {
  return p.tensors[h.inputs[k]].shape;
}

/// Arity: between minIn and maxIn inputs, one output, and a const range
/// only for FloatConst.
Error checkArity(size_t i, const HostSegment &h, size_t minIn, size_t maxIn,
                 size_t nParams) {
  if (h.inputs.size() < minIn || h.inputs.size() > maxIn ||
      h.outputs.size() != 1)
    return segError(i, h,
                    "takes " + Twine(minIn) +
                        (maxIn > minIn ? " or " + Twine(maxIn) : Twine("")) +
                        " input(s) and one output");
  if (h.constBytes && h.kind != HostOpKind::FloatConst)
    return segError(i, h, "takes no constants");
  if (h.params.size() != nParams)
    return segError(i, h,
                    Twine(h.params.size()) + " params (expected " +
                        Twine(nParams) + ")");
  return Error::success();
}

Error wantShape(size_t i, const HostSegment &h, const char *what,
                const std::vector<int64_t> &got,
                const std::vector<int64_t> &want) {
  if (got != want)
    return segError(i, h,
                    Twine(what) + " has shape " + shapeText(got) +
                        ", expected " + shapeText(want));
  return Error::success();
}

/// Params [first, first + n) each in [lo, kMaxFloatParam] (|v| for pads,
/// lo < 0).
Error checkRange(size_t i, const HostSegment &h, size_t first, size_t n,
                 int64_t lo, const char *what) {
  for (size_t k = first; k < first + n; ++k)
    if (h.params[k] < lo || h.params[k] > kMaxFloatParam)
      return segError(i, h,
                      Twine(what) + " " + Twine(h.params[k]) +
                          " (param " + Twine(k) + ") out of range [" +
                          Twine(lo) + ", 65536]");
  return Error::success();
}

const float *floatAt(const uint8_t *data, const TensorDesc &t) {
  return reinterpret_cast<const float *>(data + t.ddrOffset);
}

float paramFloat(const HostSegment &h, size_t k) {
  uint32_t b = uint32_t(h.params[k]);
  float v;
  std::memcpy(&v, &b, 4);
  return v;
}

Error checkConvHead(const Program &p, size_t i, const HostSegment &h) {
  if (h.inputs.size() < 2 || h.inputs.size() > 3 || h.outputs.size() != 1)
    return segError(i, h, "takes 2 or 3 input(s) and one output");
  const std::vector<int64_t> &x = inShape(p, h, 0), &wt = inShape(p, h, 1),
                             &y = p.tensors[h.outputs[0]].shape;
  if (x.size() < 3 || x.size() > 5)
    return segError(i, h, "input rank " + Twine(x.size()) +
                              " (expected 3 to 5: 1-3 spatial axes)");
  if (Error e = checkArity(i, h, 2, 3, 1 + kNumWinParams * (x.size() - 2)))
    return e;
  if (Error e = checkRange(i, h, 0, 1, 1, "group"))
    return e;
  if (wt.size() != x.size() || y.size() != x.size())
    return segError(i, h, "input, weight and output ranks differ");
  return Error::success();
}

} // namespace hostops

namespace {

using namespace hostops;


/// Largest kernel / stride / padding / dilation a host conv accepts.
constexpr int64_t kMaxConvParam = 1 << 16;



/// Bytes of constant data a conv with O outputs of C / group inputs needs.
u128 convConstBytes(int64_t O, int64_t C, const std::vector<int64_t> &prm) {
  return u128(uint64_t(O)) * uint64_t(C / prm[kConvGroup]) *
             uint64_t(prm[kConvKH]) * uint64_t(prm[kConvKW]) * 4 +
         u128(uint64_t(O)) * 7;
}

Error checkConv(const Program &p, size_t i, const HostSegment &h) {
  if (h.params.size() != kNumConvParams)
    return segError(i, h,
                    Twine(h.params.size()) + " params (expected " +
                        Twine(unsigned(kNumConvParams)) + ")");
  static const char *names[] = {"group",    "k_h",      "k_w",
                                "stride_h", "stride_w", "pad_t",
                                "pad_l",    "dil_h",    "dil_w"};
  for (unsigned k = 0; k < kNumConvParams; ++k) {
    int64_t lo = (k == kConvPadT || k == kConvPadL) ? 0 : 1;
    if (h.params[k] < lo || h.params[k] > kMaxConvParam)
      return segError(i, h,
                      Twine("param ") + names[k] + " = " + Twine(h.params[k]) +
                          " out of range [" + Twine(lo) + ", 65536]");
  }
  if (h.inputs.size() != 1 || h.outputs.size() != 1)
    return segError(i, h, "a conv takes one input and one output");
  const TensorDesc &x = p.tensors[h.inputs[0]], &y = p.tensors[h.outputs[0]];
  int64_t g = h.params[kConvGroup];
  if (x.C % g || y.C % g)
    return segError(i, h,
                    "group " + Twine(g) + " does not divide C_in = " +
                        Twine(x.C) + " and C_out = " + Twine(y.C));
  u128 need = convConstBytes(y.C, x.C, h.params);
  if (need != h.constBytes)
    return segError(i, h,
                    "const size " + Twine(h.constBytes) +
                        ", the layout needs " + Twine(uint64_t(need)));
  const uint8_t *shifts =
      p.constData.data() + h.constOffset + (h.constBytes - 3 * uint64_t(y.C));
  for (int64_t o = 0; o < y.C; ++o)
    if (int8_t(shifts[o]) < -32 || int8_t(shifts[o]) > 63)
      return segError(i, h,
                      "out_shift " + Twine(int(int8_t(shifts[o]))) +
                          " of channel " + Twine(o) + " outside [-32, 63]");
  return Error::success();
}

Error checkConcat(const Program &p, size_t i, const HostSegment &h) {
  if (!h.params.empty() || h.constBytes)
    return segError(i, h, "a concat takes no params and no constants");
  if (h.inputs.empty() || h.outputs.size() != 1)
    return segError(i, h, "a concat takes >= 1 inputs and one output");
  const TensorDesc &y = p.tensors[h.outputs[0]];
  u128 channels = 0;
  for (uint32_t in : h.inputs) {
    const TensorDesc &x = p.tensors[in];
    if (x.H != y.H || x.W != y.W)
      return segError(i, h,
                      "input '" + x.name + "' is " + Twine(x.H) + "x" +
                          Twine(x.W) + ", the output " + Twine(y.H) + "x" +
                          Twine(y.W));
    channels += uint64_t(x.C);
  }
  if (channels != u128(uint64_t(y.C)))
    return segError(i, h,
                    "input channels add up to " + Twine(uint64_t(channels)) +
                        ", output has " + Twine(y.C));
  return Error::success();
}

int32_t readI32(const uint8_t *b) {
  return int32_t(uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 |
                 uint32_t(b[3]) << 24);
}

/// The conv as planes: the input gathered from its channel-blocked layout,
/// one output channel at a time by the direct conv kernel, the outputs
/// written back once all are computed.
void runConv(const Program &p, const HostSegment &h, uint8_t *data,
             unsigned threads) {
  namespace rk = dlprt::kernels;
  const TensorDesc &x = p.tensors[h.inputs[0]], &y = p.tensors[h.outputs[0]];
  const std::vector<int64_t> &prm = h.params;
  uint32_t L = p.target.L;
  int64_t g = prm[kConvGroup], cg = x.C / g, og = y.C / g;
  int64_t kh = prm[kConvKH], kw = prm[kConvKW];
  rk::Window2D w{x.H,
                 x.W,
                 y.H,
                 y.W,
                 kh,
                 kw,
                 prm[kConvStrideH],
                 prm[kConvStrideW],
                 prm[kConvDilH],
                 prm[kConvDilW],
                 prm[kConvPadT],
                 prm[kConvPadL]};
  const uint8_t *cst = p.constData.data() + h.constOffset;
  uint64_t taps = uint64_t(cg) * kh * kw, nMul = uint64_t(y.C) * taps;
  const uint8_t *bias = cst + 4 * nMul, *shift = bias + 4 * y.C;
  const uint8_t *amin = shift + y.C, *amax = amin + y.C;
  uint64_t plane = uint64_t(x.H) * x.W, outPlane = uint64_t(y.H) * y.W;
  // Scratch kept across runs (no fresh pages per image); every element
  // used is written first.
  // (References: the loops below run on other threads, whose own
  // thread_local buffers these are not.)
  thread_local std::vector<int8_t> planesBuf, outBuf;
  std::vector<int8_t> &planes = planesBuf, &out = outBuf;
  planes.resize(uint64_t(x.C) * plane);
  out.resize(uint64_t(y.C) * outPlane);
  // Channel-blocked -> planes: each pixel's vector of L lanes read once.
  rk::parallelForRange(threads, (x.C + L - 1) / L, [&](int64_t b0, int64_t b1) {
    for (int64_t cb = b0; cb < b1; ++cb) {
      int64_t n = std::min<int64_t>(L, x.C - cb * L);
      const uint8_t *src = data + blockedOffset(x, L, cb * L, 0, 0);
      int8_t *dst = planes.data() + uint64_t(cb) * L * plane;
      for (uint64_t pix = 0; pix < plane; ++pix, src += L)
        for (int64_t l = 0; l < n; ++l)
          dst[l * plane + pix] = int8_t(src[l]);
    }
  });
  rk::parallelForRange(threads, y.C, [&](int64_t o0, int64_t o1) {
    std::vector<int32_t> mul(taps), acc(outPlane);
    for (int64_t o = o0; o < o1; ++o) {
      for (uint64_t j = 0; j < taps; ++j)
        mul[j] = readI32(cst + 4 * (uint64_t(o) * taps + j));
      rk::directConvChannel(planes.data() + (o / og) * cg * plane, plane, cg,
                            w, mul.data(), readI32(bias + 4 * o), acc.data());
      rk::requantRow(acc.data(), outPlane, int8_t(shift[o]), int8_t(amin[o]),
                     int8_t(amax[o]), out.data() + o * outPlane);
    }
  });
  // Planes -> channel-blocked (the pad lanes are zeroed by the caller).
  rk::parallelForRange(threads, (y.C + L - 1) / L, [&](int64_t b0, int64_t b1) {
    for (int64_t cb = b0; cb < b1; ++cb) {
      int64_t n = std::min<int64_t>(L, y.C - cb * L);
      uint8_t *dst = data + blockedOffset(y, L, cb * L, 0, 0);
      const int8_t *src = out.data() + uint64_t(cb) * L * outPlane;
      for (uint64_t pix = 0; pix < outPlane; ++pix, dst += L)
        for (int64_t l = 0; l < n; ++l)
          dst[l] = uint8_t(src[l * outPlane + pix]);
    }
  });
}

void runConcat(const Program &p, const HostSegment &h, uint8_t *data) {
  const TensorDesc &y = p.tensors[h.outputs[0]];
  uint32_t L = p.target.L;
  // Gather first: an input may share bytes with the output.
  std::vector<uint8_t> out(uint64_t(y.C) * y.H * y.W);
  int64_t c = 0;
  for (uint32_t in : h.inputs) {
    const TensorDesc &x = p.tensors[in];
    for (int64_t ci = 0; ci < x.C; ++ci, ++c)
      for (int64_t yy = 0; yy < y.H; ++yy)
        for (int64_t xx = 0; xx < y.W; ++xx)
          out[(uint64_t(c) * y.H + yy) * y.W + xx] =
              data[blockedOffset(x, L, ci, yy, xx)];
  }
  for (c = 0; c < y.C; ++c)
    for (int64_t yy = 0; yy < y.H; ++yy)
      for (int64_t xx = 0; xx < y.W; ++xx)
        data[blockedOffset(y, L, c, yy, xx)] =
            out[(uint64_t(c) * y.H + yy) * y.W + xx];
}

Error checkPackTaps(const Program &p, size_t i, const HostSegment &h) {
  if (h.inputs.size() != 1 || h.outputs.size() != 1 || h.params.size() != 4 ||
      h.constBytes)
    return segError(i, h, "packing taps takes one input, one output and 4 "
                          "params (k, stride, dilation, pad), no constants");
  const TensorDesc &x = p.tensors[h.inputs[0]], &y = p.tensors[h.outputs[0]];
  int64_t k = h.params[0], s = h.params[1], d = h.params[2], pad = h.params[3];
  if (k < 1 || k > 15 || s < 1 || s > kMaxConvParam || d < 1 ||
      d > kMaxConvParam || pad < 0 || pad > kMaxConvParam)
    return segError(i, h, "k " + Twine(k) + ", stride " + Twine(s) +
                              ", dilation " + Twine(d) + ", pad " + Twine(pad) +
                              " outside k in [1, 15], stride and dilation in "
                              "[1, 65536], pad in [0, 65536]");
  if (u128(uint64_t(x.C)) * uint64_t(k) != u128(uint64_t(y.C)) || y.H != x.H)
    return segError(i, h, "output '" + y.name + "' must have k x " +
                              Twine(x.C) + " channels and " + Twine(x.H) +
                              " rows, has " + Twine(y.C) + " and " +
                              Twine(y.H));
  for (int64_t c = 0; c < y.C; ++c)
    if (y.frac[c / y.fracBlock] != x.frac[(c % x.C) / x.fracBlock])
      return segError(i, h, "output channel " + Twine(c) +
                                " has other fractional bits than input "
                                "channel " + Twine(c % x.C));
  return Error::success();
}

/// PackTaps (Program.h). Compiled programs give it disjoint tensors: each
/// output vector is then C-byte runs of input vectors; if the tensors share
/// bytes, the input is gathered first, then written.
void runPackTaps(const Program &p, const HostSegment &h, uint8_t *data,
                 unsigned threads) {
  const TensorDesc &x = p.tensors[h.inputs[0]], &y = p.tensors[h.outputs[0]];
  uint32_t L = p.target.L;
  int64_t k = h.params[0], s = h.params[1], d = h.params[2], pad = h.params[3];
  if (x.ddrOffset + x.bytes(L) <= y.ddrOffset ||
      y.ddrOffset + y.bytes(L) <= x.ddrOffset) {
    // Few channels (a network's first layer: 3): every tap one fixed-size
    // copy of W >= C bytes in ascending tap order, each copy's bytes past
    // C (the input vector's other lanes) overwritten by the next tap's
    // copy; an out-of-range tap copies W zeros. So lanes [0, k * C) are as
    // defined; the last copy's bytes in [k * C, k * C + W) <= L are pad
    // lanes, which runHostSegment zeroes after every segment.
    int64_t C = x.C;
    int64_t W = C <= 4 ? 4 : C <= 8 ? 8 : C <= 16 ? 16 : 0;
    if (W && k * C + W <= int64_t(L)) {
      auto rows = [&](auto width, int64_t y0, int64_t y1) {
        constexpr size_t kW = decltype(width)::value;
        static constexpr uint8_t zeros[kW] = {};
        for (int64_t yy = y0; yy < y1; ++yy) {
          uint8_t *out = data + blockedOffset(y, L, 0, yy, 0);
          const uint8_t *in = data + blockedOffset(x, L, 0, yy, 0);
          for (int64_t xx = 0; xx < y.W; ++xx, out += L)
            for (int64_t kx = 0; kx < k; ++kx) {
              int64_t ix = xx * s + kx * d - pad;
              std::memcpy(out + kx * C,
                          ix >= 0 && ix < x.W ? in + ix * L : zeros, kW);
            }
        }
      };
      dlprt::kernels::parallelForRange(threads, y.H, [&](int64_t y0, int64_t y1) {
        if (W == 4)
          rows(std::integral_constant<size_t, 4>(), y0, y1);
        else if (W == 8)
          rows(std::integral_constant<size_t, 8>(), y0, y1);
        else
          rows(std::integral_constant<size_t, 16>(), y0, y1);
      });
      return;
    }
    // Rows on the threads (disjoint output bytes): each output row of a
    // channel block zeroed, then every tap's channels copied as runs that
    // stay within one input block, pixel by pixel.
    dlprt::kernels::parallelForRange(threads, y.H, [&](int64_t y0, int64_t y1) {
      for (int64_t c0 = 0; c0 < y.C; c0 += L)
        for (int64_t yy = y0; yy < y1; ++yy) {
          uint8_t *out = data + blockedOffset(y, L, c0, yy, 0);
          std::memset(out, 0, size_t(y.W) * L);
          for (int64_t kx = 0; kx < k; ++kx) {
            // Channels [kx * C, kx * C + C) that fall in this block.
            int64_t lo = std::max(kx * x.C, c0),
                    hi = std::min((kx + 1) * x.C, c0 + int64_t(L));
            for (int64_t c = lo; c < hi;) {
              int64_t ci = c - kx * x.C;
              int64_t run = std::min(hi - c, int64_t(L) - ci % L);
              const uint8_t *in = data + blockedOffset(x, L, ci, yy, 0);
              for (int64_t xx = 0; xx < y.W; ++xx) {
                int64_t ix = xx * s + kx * d - pad;
                if (ix >= 0 && ix < x.W)
                  std::memcpy(out + xx * L + (c - c0), in + ix * L,
                              size_t(run));
              }
              c += run;
            }
          }
        }
    });
    return;
  }
  std::vector<uint8_t> out(uint64_t(y.C) * y.H * y.W);
  for (int64_t c = 0; c < y.C; ++c) {
    int64_t kx = c / x.C, ci = c % x.C;
    for (int64_t yy = 0; yy < y.H; ++yy)
      for (int64_t xx = 0; xx < y.W; ++xx) {
        int64_t ix = xx * s + kx * d - pad;
        out[(uint64_t(c) * y.H + yy) * y.W + xx] =
            ix >= 0 && ix < x.W ? data[blockedOffset(x, L, ci, yy, ix)] : 0;
      }
  }
  for (int64_t c = 0; c < y.C; ++c)
    for (int64_t yy = 0; yy < y.H; ++yy)
      for (int64_t xx = 0; xx < y.W; ++xx)
        data[blockedOffset(y, L, c, yy, xx)] =
            out[(uint64_t(c) * y.H + yy) * y.W + xx];
}

Error checkTable(const Program &p, size_t i, const HostSegment &h) {
  if (h.inputs.size() != 1 || h.outputs.size() != 1 || !h.params.empty())
    return segError(i, h, "a table takes one input, one output, no params");
  const TensorDesc &x = p.tensors[h.inputs[0]], &y = p.tensors[h.outputs[0]];
  if (x.shape != y.shape || x.C != y.C || x.H != y.H || x.W != y.W)
    return segError(i, h, "output '" + y.name + "' " + shapeText(y.shape) +
                              " must have the shape and storage of input '" +
                              x.name + "' " + shapeText(x.shape));
  if (x.fracBlock != y.fracBlock || x.frac.size() != y.frac.size())
    return segError(i, h, "input and output must have as many fractional "
                          "bits entries with the same block");
  uint64_t want = uint64_t(x.frac.size()) * kernels::kTableEntries;
  if (h.constBytes != want)
    return segError(i, h, "const size " + Twine(h.constBytes) +
                              " bytes; expected " + Twine(want) + " (256 per "
                              "fractional bits entry of the input)");
  return Error::success();
}

/// Table (Program.h): through a buffer, so the tensors may share bytes.
void runTable(const Program &p, const HostSegment &h, uint8_t *data) {
  const TensorDesc &x = p.tensors[h.inputs[0]], &y = p.tensors[h.outputs[0]];
  uint32_t L = p.target.L;
  const auto *tables =
      reinterpret_cast<const int8_t *>(p.constData.data() + h.constOffset);
  std::vector<uint8_t> out(uint64_t(x.C) * x.H * x.W);
  for (int64_t c = 0, k = 0; c < x.C; ++c) {
    const int8_t *t = tables + (c / x.fracBlock) * kernels::kTableEntries;
    for (int64_t yy = 0; yy < x.H; ++yy)
      for (int64_t xx = 0; xx < x.W; ++xx, ++k)
        out[k] = uint8_t(t[int(int8_t(data[blockedOffset(x, L, c, yy, xx)])) + 128]);
  }
  for (int64_t c = 0, k = 0; c < y.C; ++c)
    for (int64_t yy = 0; yy < y.H; ++yy)
      for (int64_t xx = 0; xx < y.W; ++xx, ++k)
        data[blockedOffset(y, L, c, yy, xx)] = out[k];
}

Error checkChannelMul(const Program &p, size_t i, const HostSegment &h) {
  if (h.inputs.size() != 2 || h.outputs.size() != 1 || h.constBytes)
    return segError(i, h, "a channel mul takes two inputs (x, gate), one "
                          "output, no const");
  const TensorDesc &x = p.tensors[h.inputs[0]], &g = p.tensors[h.inputs[1]],
                   &y = p.tensors[h.outputs[0]];
  if (x.shape != y.shape || x.C != y.C || x.H != y.H || x.W != y.W)
    return segError(i, h, "output '" + y.name + "' " + shapeText(y.shape) +
                              " must have the shape and storage of input '" +
                              x.name + "' " + shapeText(x.shape));
  if (g.C != x.C || g.H != 1 || g.W != 1)
    return segError(i, h, "gate '" + g.name + "' " + shapeText(g.shape) +
                              " must have one value per channel of '" +
                              x.name + "' (" + Twine(x.C) + " x 1 x 1)");
  if (h.params.size() != uint64_t(x.C))
    return segError(i, h, Twine(h.params.size()) + " params; expected one "
                              "shift per channel (" + Twine(x.C) + ")");
  for (size_t c = 0; c < h.params.size(); ++c)
    if (h.params[c] < kernels::kMinShift || h.params[c] > kernels::kMaxShift)
      return segError(i, h, "shift " + Twine(h.params[c]) + " of channel " +
                                Twine(c) + " is outside [" +
                                Twine(kernels::kMinShift) + ", " +
                                Twine(kernels::kMaxShift) + "]");
  return Error::success();
}

/// ChannelMul (Program.h): through a buffer, so the tensors may share bytes.
void runChannelMul(const Program &p, const HostSegment &h, uint8_t *data) {
  const TensorDesc &x = p.tensors[h.inputs[0]], &g = p.tensors[h.inputs[1]],
                   &y = p.tensors[h.outputs[0]];
  uint32_t L = p.target.L;
  std::vector<int8_t> in(uint64_t(x.H) * x.W), out(in.size());
  std::vector<std::vector<int8_t>> res(x.C);
  for (int64_t c = 0; c < x.C; ++c) {
    for (int64_t yy = 0, k = 0; yy < x.H; ++yy)
      for (int64_t xx = 0; xx < x.W; ++xx, ++k)
        in[k] = int8_t(data[blockedOffset(x, L, c, yy, xx)]);
    res[c].resize(in.size());
    kernels::channelMul(in.data(), int8_t(data[blockedOffset(g, L, c, 0, 0)]),
                        int(h.params[c]), res[c].data(), int64_t(in.size()));
  }
  for (int64_t c = 0; c < y.C; ++c)
    for (int64_t yy = 0, k = 0; yy < y.H; ++yy)
      for (int64_t xx = 0; xx < y.W; ++xx, ++k)
        data[blockedOffset(y, L, c, yy, xx)] = uint8_t(res[c][k]);
}

Error checkPool(const Program &p, size_t i, const HostSegment &h) {
  if (h.inputs.size() != 1 || h.outputs.size() != 1 || h.constBytes)
    return segError(i, h, "a pool takes one input, one output, no const");
  const TensorDesc &x = p.tensors[h.inputs[0]], &y = p.tensors[h.outputs[0]];
  if (x.C != y.C)
    return segError(i, h, "output '" + y.name + "' has " + Twine(y.C) +
                              " channels; input '" + x.name + "' has " +
                              Twine(x.C));
  if (h.params.size() != kPoolNumParams)
    return segError(i, h, Twine(h.params.size()) + " params; expected " +
                              Twine(unsigned(kPoolNumParams)));
  static const char *names[] = {"mode",     "k_h",   "k_w",   "stride_h",
                                "stride_w", "pad_t", "pad_l", "pad_b",
                                "pad_r",    "dil_h", "dil_w"};
  for (unsigned k = 0; k < kPoolNumParams; ++k) {
    int64_t lo = k == kPoolMode || (k >= kPoolPT && k <= kPoolPR) ? 0 : 1;
    int64_t hi = k == kPoolMode ? 2 : 65535;
    if (h.params[k] < lo || h.params[k] > hi)
      return segError(i, h, Twine(names[k]) + " " + Twine(h.params[k]) +
                                " is outside [" + Twine(lo) + ", " + Twine(hi) +
                                "]");
  }
  if (h.params[kPoolMode] != 0 &&
      (h.params[kPoolDH] != 1 || h.params[kPoolDW] != 1))
    return segError(i, h, "an average pool takes dilation 1");
  // Work bound: every output reads its window once.
  if (u128(uint64_t(y.C)) * uint64_t(y.H) * uint64_t(y.W) *
          uint64_t(h.params[kPoolKH]) * uint64_t(h.params[kPoolKW]) >
      (u128(1) << 40))
    return segError(i, h, "more than 2^40 window elements");
  return Error::success();
}

/// Pool (Program.h): each channel block's plane by the simulator's pool
/// kernels (the same integers as a POOL instruction), through a buffer.
void runPool(const Program &p, const HostSegment &h, uint8_t *data,
             unsigned threads) {
  const TensorDesc &x = p.tensors[h.inputs[0]], &y = p.tensors[h.outputs[0]];
  const uint32_t L = p.target.L;
  auto q = [&](HostPoolParam k) { return h.params[k]; };
  kernels::Window2D w{x.H,         x.W,         y.H,         y.W,
                      q(kPoolKH),  q(kPoolKW),  q(kPoolSH),  q(kPoolSW),
                      q(kPoolDH),  q(kPoolDW),  q(kPoolPT),  q(kPoolPL)};
  int64_t blocks = (x.C + L - 1) / L, plane = y.H * y.W * int64_t(L);
  std::vector<int8_t> out(uint64_t(blocks * plane));
  kernels::parallelForTasks(blocks > 1 ? threads : 1, blocks, [&](int64_t b) {
    const int8_t *src =
        reinterpret_cast<const int8_t *>(data + blockedOffset(x, L, b * L, 0, 0));
    kernels::poolPlane(src, L, w, q(kPoolMode) == int64_t(isa::PoolMode::Max),
                       q(kPoolMode) == int64_t(isa::PoolMode::AvgIncludePad),
                       q(kPoolPB), q(kPoolPR), out.data() + b * plane);
  });
  for (int64_t b = 0; b < blocks; ++b)
    std::memcpy(data + blockedOffset(y, L, b * L, 0, 0), out.data() + b * plane,
                uint64_t(plane));
}

Error checkAdd(const Program &p, size_t i, const HostSegment &h) {
  if (h.inputs.empty() || h.inputs.size() > 2 || h.outputs.size() != 1 ||
      h.constBytes)
    return segError(i, h, "an add takes one or two inputs, one output, no "
                          "const");
  const TensorDesc &y = p.tensors[h.outputs[0]];
  for (uint32_t in : h.inputs) {
    const TensorDesc &x = p.tensors[in];
    if (x.C != y.C || x.H != y.H || x.W != y.W)
      return segError(i, h, "input '" + x.name + "' " + shapeText(x.shape) +
                                " and output '" + y.name + "' " +
                                shapeText(y.shape) +
                                " must have the same storage");
  }
  if (h.params.size() != 4 * uint64_t(y.C))
    return segError(i, h, Twine(h.params.size()) +
                              " params; expected four per channel (" +
                              Twine(4 * y.C) + ")");
  for (int64_t c = 0; c < y.C; ++c) {
    int64_t align = h.params[4 * c], shift = h.params[4 * c + 1],
            lo = h.params[4 * c + 2], hi = h.params[4 * c + 3];
    if (align < -kernels::kMaxAddAlign || align > kernels::kMaxAddAlign ||
        (h.inputs.size() == 1 && align != 0))
      return segError(i, h, "alignment " + Twine(align) + " of channel " +
                                Twine(c) + " is outside [-22, 22] (0 with "
                                           "one input)");
    if (shift < kernels::kMinShift || shift > kernels::kMaxShift)
      return segError(i, h, "shift " + Twine(shift) + " of channel " +
                                Twine(c) + " is outside [" +
                                Twine(kernels::kMinShift) + ", " +
                                Twine(kernels::kMaxShift) + "]");
    if (lo < -128 || lo > 127 || hi < -128 || hi > 127)
      return segError(i, h, "clamp bounds of channel " + Twine(c) +
                                " are not int8");
  }
  return Error::success();
}

/// Add (Program.h): each channel block's plane by the ADD instruction's
/// kernel (element by element, so the output may be an input).
void runAdd(const Program &p, const HostSegment &h, uint8_t *data) {
  const TensorDesc &y = p.tensors[h.outputs[0]];
  const TensorDesc &a = p.tensors[h.inputs[0]];
  const TensorDesc *b = h.inputs.size() > 1 ? &p.tensors[h.inputs[1]] : nullptr;
  const uint32_t L = p.target.L;
  std::vector<int8_t> alignA(L), alignB(L), shift(L), lo(L), hi(L);
  for (int64_t c0 = 0; c0 < y.C; c0 += L) {
    for (uint32_t l = 0; l < L; ++l) {
      int64_t c = c0 + l;
      bool live = c < y.C;
      kernels::addAlignments(live ? h.params[4 * c] : 0, alignA[l], alignB[l]);
      shift[l] = int8_t(live ? h.params[4 * c + 1] : 0);
      lo[l] = int8_t(live ? h.params[4 * c + 2] : 0);
      hi[l] = int8_t(live ? h.params[4 * c + 3] : 0);
    }
    auto at = [&](const TensorDesc &t) {
      return reinterpret_cast<int8_t *>(data + blockedOffset(t, L, c0, 0, 0));
    };
    kernels::addRequant(at(a), b ? at(*b) : nullptr, y.H * y.W, L,
                        alignA.data(), alignB.data(), shift.data(), lo.data(),
                        hi.data(), at(y));
  }
}

} // namespace

void packTapsFromInt8(const Program &p, const HostSegment &h, const int8_t *q,
                      uint8_t *data, unsigned threads) {
  const TensorDesc &x = p.tensors[h.inputs[0]], &y = p.tensors[h.outputs[0]];
  const uint32_t L = p.target.L;
  const int64_t k = h.params[0], s = h.params[1], d = h.params[2],
                pad = h.params[3], C = x.C;
  // Each input row as pixel-major C-byte vectors at column ix + pad (zero
  // for ix < 0), 8 bytes of slack; output pixel xx's taps are columns
  // xx * s + kx * d, zero at or past pad + W. With dilation 1 and all its
  // taps inside, a pixel's taps are one run of k * C bytes, copied as
  // 8-byte words masked to the run.
  const int64_t cols = pad + x.W, run = k * C, words = (run + 7) / 8;
  dlprt::kernels::parallelForRange(threads, y.H, [&](int64_t y0, int64_t y1) {
    std::vector<uint8_t> row(size_t(cols * C + 8), 0);
    for (int64_t yy = y0; yy < y1; ++yy) {
      for (int64_t c = 0; c < C; ++c) {
        const int8_t *src = q + (c * x.H + yy) * x.W;
        for (int64_t ix = 0; ix < x.W; ++ix)
          row[size_t((ix + pad) * C + c)] = uint8_t(src[ix]);
      }
      uint8_t *out = data + blockedOffset(y, L, 0, yy, 0);
      std::memset(out, 0, size_t(y.W) * L);
      for (int64_t xx = 0; xx < y.W; ++xx, out += L) {
        if (d != 1 || xx * s + k > cols) {
          for (int64_t kx = 0; kx < k; ++kx)
            if (int64_t col = xx * s + kx * d; col < cols)
              std::memcpy(out + kx * C, row.data() + col * C, size_t(C));
          continue;
        }
        const uint8_t *taps = row.data() + xx * s * C;
        for (int64_t w = 0; w < words; ++w) {
          uint64_t v;
          std::memcpy(&v, taps + 8 * w, 8);
          int64_t left = run - 8 * w;
          if (left < 8)
            v &= (uint64_t(1) << (8 * left)) - 1; // little-endian lanes
          std::memcpy(out + 8 * w, &v, 8);
        }
      }
    }
  });
}

namespace {

/// Zeroes the lanes past C in the last channel block of `t`: one run of
/// L - C % L bytes per pixel.
void zeroPadLanes(const TensorDesc &t, uint32_t L, uint8_t *data,
                  unsigned threads) {
  if (t.C % L == 0)
    return;
  uint64_t lanes = L - uint64_t(t.C % L);
  dlprt::kernels::parallelForRange(
      t.H >= 16 ? threads : 1, t.H, [&](int64_t y0, int64_t y1) {
        for (int64_t yy = y0; yy < y1; ++yy) {
          uint8_t *v = data + blockedOffset(t, L, t.C, yy, 0);
          for (int64_t xx = 0; xx < t.W; ++xx, v += L)
            std::memset(v, 0, lanes);
        }
      });
}


/// The element types and arity a segment kind needs.
Error checkTypes(const Program &p, size_t i, const HostSegment &h) {
  auto want = [&](uint32_t t, TensorType type, const char *what) -> Error {
    if (p.tensors[t].type != type)
      return segError(i, h,
                      Twine(what) + " '" + p.tensors[t].name + "' must be " +
                          (type == TensorType::Int8 ? "int8" : "float32"));
    return Error::success();
  };
  bool floatIn = h.kind >= HostOpKind::Quantize &&
                 h.kind != HostOpKind::PackTaps && h.kind != HostOpKind::Table &&
                 h.kind != HostOpKind::ChannelMul && h.kind != HostOpKind::Pool &&
                 h.kind != HostOpKind::Add;
  bool floatOut = h.kind == HostOpKind::Dequantize || (floatIn &&
                  h.kind != HostOpKind::Quantize);
  for (uint32_t t : h.inputs)
    if (Error e = want(t, floatIn ? TensorType::Float32 : TensorType::Int8,
                       "input"))
      return e;
  for (uint32_t t : h.outputs)
    if (Error e = want(t, floatOut ? TensorType::Float32 : TensorType::Int8,
                       "output"))
      return e;
  return Error::success();
}

/// The constant operand of a FloatBinary segment with one (params: op,
/// side, rank, dims...; the float32 data in CONST), as a tensor shape.
std::vector<int64_t> constShape(const HostSegment &h) {
  if (h.params.size() < 3)
    return {};
  return std::vector<int64_t>(h.params.begin() + 3, h.params.end());
}

Error checkFloat(const Program &p, size_t i, const HostSegment &h) {
  bool withConst = h.kind == HostOpKind::FloatBinary && h.constBytes;
  unsigned nIn = h.kind == HostOpKind::FloatBinary && !withConst ? 2 : 1;
  if (h.inputs.size() != nIn || h.outputs.size() != 1)
    return segError(i, h,
                    "takes " + Twine(nIn) + " input(s) and one output");
  if (h.constBytes && !withConst)
    return segError(i, h, "takes no constants");
  const TensorDesc &y = p.tensors[h.outputs[0]];
  if (withConst) {
    // op, side (0: the constant is the left operand, 1: the right), rank,
    // dims; constBytes = 4 * elements.
    if (h.params.size() < 3 || h.params[1] < 0 || h.params[1] > 1 ||
        h.params[2] < 0 || h.params[2] > 8 ||
        h.params.size() != size_t(3 + h.params[2]))
      return segError(i, h, "constant operand: params must be op, side (0 "
                            "or 1), rank (<= 8) and the dimensions");
    u128 n = 1;
    for (int64_t d : constShape(h)) {
      if (d < 1 || d > (int64_t(1) << 31))
        return segError(i, h, "constant operand dimension " + Twine(d));
      n *= uint64_t(d);
    }
    if (n * 4 != h.constBytes)
      return segError(i, h,
                      "constant operand of " + Twine(uint64_t(n)) +
                          " floats but " + Twine(h.constBytes) +
                          " const bytes");
  }
  size_t nParams = h.kind == HostOpKind::FloatUnary    ? 3
                   : h.kind == HostOpKind::FloatBinary ? 1
                                                       : 1; // softmax axis
  if (withConst)
    nParams = h.params.size();
  if (h.params.size() != nParams)
    return segError(i, h,
                    Twine(h.params.size()) + " params (expected " +
                        Twine(nParams) + ")");
  if (h.kind == HostOpKind::FloatUnary &&
      (h.params[0] < 0 ||
       h.params[0] >= int64_t(kernels::FloatUnaryOp::NumOps)))
    return segError(i, h, "unknown unary op " + Twine(h.params[0]));
  if (h.kind == HostOpKind::FloatBinary &&
      (h.params[0] < 0 ||
       h.params[0] >= int64_t(kernels::FloatBinaryOp::NumOps)))
    return segError(i, h, "unknown binary op " + Twine(h.params[0]));
  if (h.kind == HostOpKind::Softmax &&
      (h.params[0] < 0 || h.params[0] >= int64_t(y.shape.size())))
    return segError(i, h,
                    "softmax axis " + Twine(h.params[0]) + " out of range");
  if (h.kind != HostOpKind::FloatBinary) {
    if (p.tensors[h.inputs[0]].shape != y.shape)
      return segError(i, h, "input and output shapes differ");
    return Error::success();
  }
  // Numpy broadcasting: aligned at the end, each dimension equal or 1.
  TensorDesc cst;
  cst.name = "<constant>";
  cst.shape = constShape(h);
  const TensorDesc &a =
      withConst && h.params[1] == 0 ? cst : p.tensors[h.inputs[0]];
  const TensorDesc &b = !withConst          ? p.tensors[h.inputs[1]]
                        : h.params[1] == 0 ? p.tensors[h.inputs[0]]
                                           : cst;
  if (a.shape.size() > y.shape.size() || b.shape.size() > y.shape.size())
    return segError(i, h, "an input has a higher rank than the output");
  for (const TensorDesc *x : {&a, &b})
    for (size_t d = 0; d < x->shape.size(); ++d) {
      int64_t xd = x->shape[x->shape.size() - 1 - d],
              yd = y.shape[y.shape.size() - 1 - d];
      if (xd != yd && xd != 1)
        return segError(i, h,
                        "input '" + x->name + "' does not broadcast to the "
                        "output shape");
    }
  for (size_t d = 0; d < y.shape.size(); ++d) {
    auto dim = [&](const TensorDesc &x) -> int64_t {
      size_t off = y.shape.size() - x.shape.size();
      return d < off ? 1 : x.shape[d - off];
    };
    if (y.shape[d] != std::max(dim(a), dim(b)))
      return segError(i, h, "output shape is not the broadcast shape");
  }
  return Error::success();
}

Error checkLayout(const Program &p, size_t i, const HostSegment &h) {
  if (h.outputs.size() != 1 || h.inputs.empty() || h.constBytes)
    return segError(i, h, "takes inputs, one output and no constants");
  const TensorDesc &y = p.tensors[h.outputs[0]];
  size_t rank = y.shape.size();
  if (h.kind == HostOpKind::FloatTranspose) {
    const TensorDesc &x = p.tensors[h.inputs[0]];
    if (h.inputs.size() != 1 || h.params.size() != rank ||
        x.shape.size() != rank)
      return segError(i, h, "takes one input and a permutation of its rank");
    std::vector<bool> seen(rank, false);
    for (size_t d = 0; d < rank; ++d) {
      int64_t a = h.params[d];
      if (a < 0 || a >= int64_t(rank) || seen[a])
        return segError(i, h, "params are not a permutation");
      seen[a] = true;
      if (y.shape[d] != x.shape[a])
        return segError(i, h, "output shape is not the permuted input shape");
    }
    return Error::success();
  }
  if (h.kind == HostOpKind::FloatSlice) {
    const TensorDesc &x = p.tensors[h.inputs[0]];
    if (h.inputs.size() != 1 || x.shape.size() != rank ||
        h.params.size() != 2 * rank)
      return segError(i, h, "takes one input, a start and a step per axis");
    for (size_t d = 0; d < rank; ++d) {
      int64_t start = h.params[d], step = h.params[rank + d];
      int64_t last = start + (y.shape[d] - 1) * step;
      if (step == 0 || start < 0 || start >= x.shape[d] || last < 0 ||
          last >= x.shape[d])
        return segError(i, h,
                        "axis " + Twine(d) + " reads outside the input");
    }
    return Error::success();
  }
  if (h.params.size() != 1 || h.params[0] < 0 || h.params[0] >= int64_t(rank))
    return segError(i, h, "takes the concat axis as its one param");
  int64_t axis = h.params[0], sum = 0;
  for (uint32_t in : h.inputs) {
    const TensorDesc &x = p.tensors[in];
    if (x.shape.size() != rank)
      return segError(i, h, "input '" + x.name + "' has another rank");
    for (size_t d = 0; d < rank; ++d)
      if (int64_t(d) != axis && x.shape[d] != y.shape[d])
        return segError(i, h,
                        "input '" + x.name + "' differs off the concat axis");
    sum += x.shape[axis];
  }
  if (sum != y.shape[axis])
    return segError(i, h, "inputs do not add up to the output on the axis");
  return Error::success();
}

Error checkQuant(const Program &p, size_t i, const HostSegment &h) {
  if (h.inputs.size() != 1 || h.outputs.size() != 1 || !h.params.empty() ||
      h.constBytes)
    return segError(i, h, "takes one input, one output, no params");
  if (elements(p.tensors[h.inputs[0]]) != elements(p.tensors[h.outputs[0]]))
    return segError(i, h, "input and output element counts differ");
  return Error::success();
}


void runFloatNN(const Program &p, const HostSegment &h, const uint8_t *data,
                float *out, unsigned threads);

void runFloat(const Program &p, const HostSegment &h, uint8_t *data,
              unsigned threads) {
  namespace rk = dlprt::kernels;
  const TensorDesc &y = p.tensors[h.outputs[0]];
  uint64_t n = elements(y);
  // Results go to a buffer first: an input may share bytes with the output.
  std::vector<float> out(n);
  if (h.kind >= HostOpKind::FloatConst) {
    runFloatNN(p, h, data, out.data(), threads);
    std::memcpy(data + y.ddrOffset, out.data(), n * sizeof(float));
    return;
  }
  const TensorDesc &x = p.tensors[h.inputs[0]];
  uint32_t L = p.target.L;
  switch (h.kind) {
  case HostOpKind::Dequantize:
    dequantizeFrom(x, L, data, out.data());
    break;
  case HostOpKind::Quantize: {
    std::vector<float> in(floatAt(data, x), floatAt(data, x) + n);
    quantizeInto(y, L, in.data(), data);
    return;
  }
  case HostOpKind::FloatUnary: {
    auto op = rk::FloatUnaryOp(h.params[0]);
    float a, b;
    uint32_t ab = uint32_t(h.params[1]), bb = uint32_t(h.params[2]);
    std::memcpy(&a, &ab, 4);
    std::memcpy(&b, &bb, 4);
    const float *src = floatAt(data, x);
    for (uint64_t k = 0; k < n; ++k)
      out[k] = rk::floatUnary(op, a, b, src[k]);
    break;
  }
  case HostOpKind::FloatBinary: {
    auto op = rk::FloatBinaryOp(h.params[0]);
    const float *pa = floatAt(data, x), *pb;
    std::vector<int64_t> sa = x.shape, sb;
    std::vector<float> cst;
    if (h.constBytes) {
      // The constant operand (little-endian float32 in CONST).
      cst.resize(h.constBytes / 4);
      std::memcpy(cst.data(), p.constData.data() + h.constOffset,
                  h.constBytes);
      pb = cst.data();
      sb = constShape(h);
      if (h.params[1] == 0) {
        std::swap(pa, pb);
        std::swap(sa, sb);
      }
    } else {
      const TensorDesc &bt = p.tensors[h.inputs[1]];
      pb = floatAt(data, bt);
      sb = bt.shape;
    }
    int64_t inner = y.shape.empty() ? 1 : y.shape.back();
    int64_t rows = inner ? int64_t(n) / inner : 0;
    rk::broadcastRows(pa, sa, pb, sb, out.data(), y.shape, 0, rows,
                      [op](float u, float v) { return rk::floatBinary(op, u, v); });
    break;
  }
  case HostOpKind::Softmax: {
    int64_t axis = h.params[0], len = y.shape[axis], inner = 1;
    for (size_t d = axis + 1; d < y.shape.size(); ++d)
      inner *= y.shape[d];
    int64_t lines = len ? int64_t(n) / len : 0;
    rk::softmaxLines(floatAt(data, x), out.data(), len, inner, 0, lines);
    break;
  }
  case HostOpKind::FloatTranspose:
    rk::transpose(floatAt(data, x), x.shape, h.params, out.data());
    break;
  case HostOpKind::FloatSlice: {
    size_t rank = y.shape.size();
    std::vector<int64_t> start(h.params.begin(), h.params.begin() + rank),
        step(h.params.begin() + rank, h.params.end());
    rk::stridedSlice(floatAt(data, x), x.shape, start, step, out.data(),
                     y.shape);
    break;
  }
  case HostOpKind::FloatConcat: {
    int64_t axis = h.params[0], outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d)
      outer *= y.shape[d];
    for (size_t d = axis + 1; d < y.shape.size(); ++d)
      inner *= y.shape[d];
    std::vector<const float *> ins;
    std::vector<int64_t> rows;
    for (uint32_t in : h.inputs) {
      ins.push_back(floatAt(data, p.tensors[in]));
      rows.push_back(p.tensors[in].shape[axis] * inner);
    }
    rk::concatRows(ins, rows, outer, out.data());
    break;
  }
  default:
    return;
  }
  std::memcpy(data + y.ddrOffset, out.data(), n * sizeof(float));
}


//===----------------------------------------------------------------------===//
// Float operators (FloatConst .. FloatPad): checks
//===----------------------------------------------------------------------===//







/// The output extent of a window over `in` (floor, or ceil rounding);
/// < 1 when the window does not fit.
int64_t windowOut(int64_t in, int64_t k, int64_t s, int64_t pb, int64_t pe,
                  int64_t d, bool ceil) {
  int64_t span = in + pb + pe - ((k - 1) * d + 1);
  if (span < 0)
    return 0;
  return (ceil ? (span + s - 1) / s : span / s) + 1;
}

/// The window of a FloatConv (`perAxis` = 4, kernel from the weight) or a
/// FloatPool (`perAxis` = 5, kernel first) segment: checks the params and
/// that every output extent is the floor (conv) or the floor or ceiling
/// (pool) extent; fills `w`.
Error checkWindow(size_t i, const HostSegment &h,
                  const std::vector<int64_t> &x, const std::vector<int64_t> &y,
                  const int64_t *kernel, unsigned perAxis,
                  kernels::FloatWindow &w) {
  size_t sp = x.size() - 2;
  std::vector<int64_t> k(sp), s(sp), pads(2 * sp), d(sp), out(y.begin(),
                                                             y.end());
  for (size_t a = 0; a < sp; ++a) {
    size_t base = 1 + a * perAxis, off = perAxis == 5 ? 1 : 0;
    if (perAxis == 5) {
      if (Error e = checkRange(i, h, base, 1, 1, "kernel"))
        return e;
      k[a] = h.params[base];
    } else {
      k[a] = kernel[a];
    }
    if (Error e = checkRange(i, h, base + off + kWinStride, 1, 1, "stride"))
      return e;
    if (Error e = checkRange(i, h, base + off + kWinPadBegin, 2, 0, "pad"))
      return e;
    if (Error e =
            checkRange(i, h, base + off + kWinDilation, 1, 1, "dilation"))
      return e;
    s[a] = h.params[base + off + kWinStride];
    pads[a] = h.params[base + off + kWinPadBegin];
    pads[sp + a] = h.params[base + off + kWinPadEnd];
    d[a] = h.params[base + off + kWinDilation];
    int64_t lo = windowOut(x[2 + a], k[a], s[a], pads[a], pads[sp + a], d[a],
                           false);
    int64_t hi = perAxis == 5 ? windowOut(x[2 + a], k[a], s[a], pads[a],
                                          pads[sp + a], d[a], true)
                              : lo;
    if (lo < 1 || y[2 + a] < lo || y[2 + a] > hi)
      return segError(i, h,
                      "spatial axis " + Twine(a) + ": output extent " +
                          Twine(y[2 + a]) + " does not match the window (" +
                          Twine(lo) + ")");
  }
  kernels::makeFloatWindow(x, k, s, pads, d, out, w);
  return Error::success();
}

Error checkFloatConv(const Program &p, size_t i, const HostSegment &h) {
  if (Error e = checkConvHead(p, i, h))
    return e;
  const std::vector<int64_t> &x = inShape(p, h, 0), &wt = inShape(p, h, 1),
                             &y = p.tensors[h.outputs[0]].shape;
  int64_t g = h.params[0], m = wt[0];
  if (x[1] % g || m % g || wt[1] != x[1] / g)
    return segError(i, h,
                    "group " + Twine(g) + " does not fit C_in = " +
                        Twine(x[1]) + ", weight " + shapeText(wt));
  if (y[0] != x[0] || y[1] != m)
    return segError(i, h, "output " + shapeText(y) + " is not " +
                              Twine(x[0]) + " x " + Twine(m) + " x ...");
  if (h.inputs.size() == 3)
    if (Error e = wantShape(i, h, "bias", inShape(p, h, 2), {m}))
      return e;
  kernels::FloatWindow w;
  if (Error e = checkWindow(i, h, x, y, wt.data() + 2, 4, w))
    return e;
  if (!(g == x[1] && g == m) &&
      u128(uint64_t(x[1] / g)) * uint64_t(w.taps()) *
              uint64_t(w.outPlane()) * 4 >
          kMaxPatchBytes)
    return segError(i, h, "the im2col patch matrix exceeds 4 GiB");
  return Error::success();
}

Error checkFloatPool(const Program &p, size_t i, const HostSegment &h) {
  if (h.inputs.size() != 1 || h.outputs.size() != 1 || h.params.empty())
    return segError(i, h, "takes one input, one output and the pool op");
  const std::vector<int64_t> &x = inShape(p, h, 0),
                             &y = p.tensors[h.outputs[0]].shape;
  int64_t op = h.params[0];
  if (op < 0 || op >= int64_t(kernels::FloatPoolOp::NumOps))
    return segError(i, h, "unknown pool op " + Twine(op));
  if (x.size() < 3 || x.size() > 5 || y.size() != x.size())
    return segError(i, h, "input rank " + Twine(x.size()) +
                              " (expected 3 to 5, the output's)");
  bool global = op == int64_t(kernels::FloatPoolOp::GlobalAvg);
  if (Error e = checkArity(i, h, 1, 1, global ? 1 : 1 + 5 * (x.size() - 2)))
    return e;
  if (y[0] != x[0] || y[1] != x[1])
    return segError(i, h, "output " + shapeText(y) + " differs from input " +
                              shapeText(x) + " on axes 0, 1");
  if (global) {
    std::vector<int64_t> want(x.size(), 1);
    want[0] = x[0];
    want[1] = x[1];
    return wantShape(i, h, "output", y, want);
  }
  kernels::FloatWindow w;
  if (Error e = checkWindow(i, h, x, y, nullptr, 5, w))
    return e;
  if (op != int64_t(kernels::FloatPoolOp::Max))
    for (size_t a = 0; a + 2 < x.size(); ++a)
      if (h.params[1 + a * 5 + 1 + kWinDilation] != 1)
        return segError(i, h, "an average pool has no dilation");
  return Error::success();
}

/// Numpy matmul: the output shape of a x b, or an error text.
std::string matmulShape(std::vector<int64_t> a, std::vector<int64_t> b,
                        std::vector<int64_t> &out) {
  bool va = a.size() == 1, vb = b.size() == 1;
  if (va)
    a.insert(a.begin(), 1);
  if (vb)
    b.push_back(1);
  if (a.back() != b[b.size() - 2])
    return "inner dimensions differ";
  size_t ra = a.size() - 2, rb = b.size() - 2, rank = std::max(ra, rb);
  out.assign(rank, 1);
  for (size_t d = 0; d < rank; ++d) {
    int64_t da = d + ra >= rank ? a[d + ra - rank] : 1;
    int64_t db = d + rb >= rank ? b[d + rb - rank] : 1;
    if (da != db && da != 1 && db != 1)
      return "batch dimensions do not broadcast";
    out[d] = da == 1 ? db : da;
  }
  if (!va)
    out.push_back(a[a.size() - 2]);
  if (!vb)
    out.push_back(b.back());
  return "";
}

Error checkFloatMatMul(const Program &p, size_t i, const HostSegment &h) {
  if (Error e = checkArity(i, h, 2, 2, 0))
    return e;
  std::vector<int64_t> want;
  std::string why = matmulShape(inShape(p, h, 0), inShape(p, h, 1), want);
  if (!why.empty())
    return segError(i, h, "inputs " + shapeText(inShape(p, h, 0)) + " x " +
                              shapeText(inShape(p, h, 1)) + ": " + why);
  return wantShape(i, h, "output", p.tensors[h.outputs[0]].shape, want);
}

Error checkFloatGemm(const Program &p, size_t i, const HostSegment &h) {
  if (Error e = checkArity(i, h, 2, 3, 4))
    return e;
  for (size_t k = 0; k < 2; ++k)
    if (h.params[k] != 0 && h.params[k] != 1)
      return segError(i, h, "trans_a / trans_b must be 0 or 1");
  const std::vector<int64_t> &a = inShape(p, h, 0), &b = inShape(p, h, 1),
                             &y = p.tensors[h.outputs[0]].shape;
  if (a.size() != 2 || b.size() != 2)
    return segError(i, h, "a and b must be matrices");
  int64_t m = h.params[0] ? a[1] : a[0], k = h.params[0] ? a[0] : a[1];
  int64_t kb = h.params[1] ? b[1] : b[0], n = h.params[1] ? b[0] : b[1];
  if (k != kb)
    return segError(i, h, "inner dimensions differ");
  if (Error e = wantShape(i, h, "output", y, {m, n}))
    return e;
  if (h.inputs.size() == 3) {
    const std::vector<int64_t> &c = inShape(p, h, 2);
    bool ok = c.size() <= 2;
    for (size_t d = 0; ok && d < c.size(); ++d) {
      int64_t yd = y[2 - c.size() + d];
      ok = c[d] == 1 || c[d] == yd;
    }
    if (!ok)
      return segError(i, h, "c " + shapeText(c) + " does not broadcast to " +
                                shapeText(y));
  }
  return Error::success();
}

Error checkFloatFullyConnected(const Program &p, size_t i,
                               const HostSegment &h) {
  if (Error e = checkArity(i, h, 2, 3, 0))
    return e;
  const std::vector<int64_t> &x = inShape(p, h, 0), &w = inShape(p, h, 1);
  if (x.size() < 2 || w.size() != 2)
    return segError(i, h, "takes an input of rank >= 2 and a matrix");
  int64_t k = 1;
  for (size_t d = 1; d < x.size(); ++d)
    k *= x[d];
  if (w[1] != k)
    return segError(i, h, "weight " + shapeText(w) + " does not take " +
                              Twine(k) + " features");
  if (h.inputs.size() == 3)
    if (Error e = wantShape(i, h, "bias", inShape(p, h, 2), {w[0]}))
      return e;
  return wantShape(i, h, "output", p.tensors[h.outputs[0]].shape,
                   {x[0], w[0]});
}

/// LRN, batch norm and pad: shapes and params.
Error checkFloatNorm(const Program &p, size_t i, const HostSegment &h) {
  const TensorDesc &y = p.tensors[h.outputs.empty() ? 0 : h.outputs[0]];
  switch (h.kind) {
  case HostOpKind::FloatLRN:
    if (Error e = checkArity(i, h, 1, 1, 4))
      return e;
    if (Error e = checkRange(i, h, 0, 1, 1, "size"))
      return e;
    break;
  case HostOpKind::FloatBatchNorm: {
    if (Error e = checkArity(i, h, 5, 5, 1))
      return e;
    const std::vector<int64_t> &x = inShape(p, h, 0);
    if (x.size() < 2)
      return segError(i, h, "input rank must be >= 2");
    static const char *names[] = {"scale", "bias", "mean", "var"};
    for (size_t k = 1; k < 5; ++k)
      if (Error e = wantShape(i, h, names[k - 1], inShape(p, h, k), {x[1]}))
        return e;
    break;
  }
  default: { // FloatPad
    size_t rank = h.inputs.size() == 1 ? inShape(p, h, 0).size() : 0;
    if (Error e = checkArity(i, h, 1, 1, 2 + 2 * rank))
      return e;
    if (h.params[0] < 0 ||
        h.params[0] >= int64_t(kernels::FloatPadMode::NumModes))
      return segError(i, h, "unknown pad mode " + Twine(h.params[0]));
    if (Error e = checkRange(i, h, 2, 2 * rank, -kMaxFloatParam, "pad"))
      return e;
    const std::vector<int64_t> &x = inShape(p, h, 0);
    std::vector<int64_t> want(rank);
    for (size_t d = 0; d < rank; ++d)
      want[d] = x[d] + h.params[2 + d] + h.params[2 + rank + d];
    return wantShape(i, h, "output", y.shape, want);
  }
  }
  if (inShape(p, h, 0).size() < 2)
    return segError(i, h, "input rank must be >= 2");
  return wantShape(i, h, "output", y.shape, inShape(p, h, 0));
}

Error checkFloatConst(const Program &p, size_t i, const HostSegment &h) {
  if (!h.inputs.empty() || h.outputs.size() != 1 || !h.params.empty())
    return segError(i, h, "takes no inputs, one output and no params");
  u128 want = u128(elements(p.tensors[h.outputs[0]])) * 4;
  if (h.constBytes != want)
    return segError(i, h,
                    "const size " + Twine(h.constBytes) + ", the output needs " +
                        Twine(uint64_t(want)));
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Float operators: execution
//===----------------------------------------------------------------------===//


/// Runs a float operator into `out` (the output's elements).
void runFloatNN(const Program &p, const HostSegment &h, const uint8_t *data,
                float *out, unsigned threads) {
  namespace rk = dlprt::kernels;
  const TensorDesc &y = p.tensors[h.outputs[0]];
  auto in = [&](size_t k) { return floatAt(data, p.tensors[h.inputs[k]]); };
  auto opt = [&](size_t k) {
    return h.inputs.size() > k ? in(k) : static_cast<const float *>(nullptr);
  };
  const std::vector<int64_t> &x = h.inputs.empty() ? y.shape
                                                   : inShape(p, h, 0);
  int64_t plane = 1;
  for (size_t d = 2; d < x.size(); ++d)
    plane *= x[d];
  switch (h.kind) {
  case HostOpKind::FloatConst:
    std::memcpy(out, p.constData.data() + h.constOffset, h.constBytes);
    return;
  case HostOpKind::FloatConv: {
    const std::vector<int64_t> &wt = inShape(p, h, 1);
    rk::FloatWindow w;
    cantFail(checkWindow(0, h, x, y.shape, wt.data() + 2, 4, w));
    rk::floatConv(in(0), x[0], x[1], in(1), wt[0], h.params[0], opt(2), w,
                  out, threads);
    return;
  }
  case HostOpKind::FloatPool: {
    auto op = rk::FloatPoolOp(h.params[0]);
    if (op == rk::FloatPoolOp::GlobalAvg)
      return rk::floatGlobalAvgPool(in(0), x[0] * x[1], plane, out, threads);
    rk::FloatWindow w;
    cantFail(checkWindow(0, h, x, y.shape, nullptr, 5, w));
    if (op == rk::FloatPoolOp::Max)
      return rk::floatMaxPool(in(0), x[0] * x[1], w, out, threads);
    return rk::floatAvgPool(in(0), x[0] * x[1], w,
                            op == rk::FloatPoolOp::AvgCountPad, out, threads);
  }
  case HostOpKind::FloatMatMul:
    return rk::floatMatMul(in(0), x, in(1), inShape(p, h, 1), out, threads);
  case HostOpKind::FloatGemm: {
    bool ta = h.params[0], tb = h.params[1];
    int64_t k = ta ? x[0] : x[1];
    std::vector<int64_t> cShape;
    if (h.inputs.size() > 2)
      cShape = inShape(p, h, 2);
    return rk::floatGemm(in(0), in(1), opt(2), cShape, ta, tb, y.shape[0],
                         y.shape[1], k, paramFloat(h, 2), paramFloat(h, 3),
                         out, threads);
  }
  case HostOpKind::FloatFullyConnected: {
    int64_t k = inShape(p, h, 1)[1];
    return rk::floatFullyConnected(in(0), x[0], k, in(1), y.shape[1], opt(2),
                                   out, threads);
  }
  case HostOpKind::FloatLRN:
    return rk::floatLRN(in(0), x[0], x[1], plane, h.params[0],
                        paramFloat(h, 1), paramFloat(h, 2), paramFloat(h, 3),
                        out, threads);
  case HostOpKind::FloatBatchNorm:
    return rk::floatBatchNorm(in(0), x[0], x[1], plane, in(1), in(2), in(3),
                              in(4), paramFloat(h, 0), out, threads);
  case HostOpKind::FloatPad:
    return rk::floatPad(in(0), x,
                        std::vector<int64_t>(h.params.begin() + 2,
                                             h.params.end()),
                        rk::FloatPadMode(h.params[0]), paramFloat(h, 1), out);
  default:
    return runFloatVision(p, h, data, out, threads);
  }
}

} // namespace

Error checkHostSegment(const Program &p, size_t i) {
  const HostSegment &h = p.host[i];
  if (h.kind < HostOpKind::Conv || h.kind > HostOpKind::Add)
    return segError(i, h, "unknown kind " + Twine(uint32_t(h.kind)));
  for (auto [list, what] :
       {std::pair{&h.inputs, "input"}, {&h.outputs, "output"}})
    for (uint32_t t : *list)
      if (t >= p.tensors.size())
        return segError(i, h,
                        Twine(what) + " tensor index " + Twine(t) +
                            " out of range (" + Twine(p.tensors.size()) +
                            " tensors)");
  if (u128(h.constOffset) + h.constBytes > p.constData.size())
    return segError(i, h,
                    "const bytes [" + Twine(h.constOffset) + ", +" +
                        Twine(h.constBytes) + ") exceed CONST (" +
                        Twine(p.constData.size()) + " bytes)");
  if (Error e = checkTypes(p, i, h))
    return e;
  switch (h.kind) {
  case HostOpKind::Conv:
    return checkConv(p, i, h);
  case HostOpKind::Concat:
    return checkConcat(p, i, h);
  case HostOpKind::PackTaps:
    return checkPackTaps(p, i, h);
  case HostOpKind::Table:
    return checkTable(p, i, h);
  case HostOpKind::ChannelMul:
    return checkChannelMul(p, i, h);
  case HostOpKind::Pool:
    return checkPool(p, i, h);
  case HostOpKind::Add:
    return checkAdd(p, i, h);
  case HostOpKind::Dequantize:
  case HostOpKind::Quantize:
    return checkQuant(p, i, h);
  case HostOpKind::FloatTranspose:
  case HostOpKind::FloatConcat:
  case HostOpKind::FloatSlice:
    return checkLayout(p, i, h);
  case HostOpKind::FloatConst:
    return checkFloatConst(p, i, h);
  case HostOpKind::FloatConv:
    return checkFloatConv(p, i, h);
  case HostOpKind::FloatPool:
    return checkFloatPool(p, i, h);
  case HostOpKind::FloatMatMul:
    return checkFloatMatMul(p, i, h);
  case HostOpKind::FloatGemm:
    return checkFloatGemm(p, i, h);
  case HostOpKind::FloatFullyConnected:
    return checkFloatFullyConnected(p, i, h);
  case HostOpKind::FloatLRN:
  case HostOpKind::FloatBatchNorm:
  case HostOpKind::FloatPad:
    return checkFloatNorm(p, i, h);
  case HostOpKind::FloatReduce:
  case HostOpKind::FloatExpand:
  case HostOpKind::FloatWhere:
  case HostOpKind::FloatResize:
  case HostOpKind::FloatConvTranspose:
    return checkFloatVision(p, i, h);
  default:
    return checkFloat(p, i, h);
  }
}

void runHostSegment(const Program &p, const HostSegment &h, uint8_t *data,
                    unsigned threads) {
  if (h.kind == HostOpKind::Conv)
    runConv(p, h, data, threads);
  else if (h.kind == HostOpKind::Concat)
    runConcat(p, h, data);
  else if (h.kind == HostOpKind::PackTaps)
    runPackTaps(p, h, data, threads);
  else if (h.kind == HostOpKind::Table)
    runTable(p, h, data);
  else if (h.kind == HostOpKind::ChannelMul)
    runChannelMul(p, h, data);
  else if (h.kind == HostOpKind::Pool)
    runPool(p, h, data, threads);
  else if (h.kind == HostOpKind::Add)
    runAdd(p, h, data);
  else
    runFloat(p, h, data, threads);
  for (uint32_t out : h.outputs)
    if (!p.tensors[out].isFloat())
      zeroPadLanes(p.tensors[out], p.target.L, data, threads);
}

} // namespace dlprt
