//===- FloatConv.cpp - Float convolution and pooling kernels --------------===//
//
// Convolution is im2col + the blocked GEMM (FloatGemm.h); depthwise
// convolution has a direct kernel. The plane kernels are compiled for AVX2
// and the baseline ISA and picked at load time.
//
//===----------------------------------------------------------------------===//

#include "dlprt/kernels/FloatConv.h"

#include "dlprt/kernels/FloatGemm.h"
#include "dlprt/kernels/Parallel.h"

#include "Target.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

using namespace dlprt;
using namespace dlprt::kernels;
using llvm::ArrayRef;

namespace {

/// The plane kernels are compiled twice, for AVX2 and the baseline ISA, and
/// picked per call (Target.h; the row loops vectorize, strided ones with
/// permutes). Not x86-64-v4: its FMA would contract the float arithmetic
/// differently from the float GEMM's.
#if defined(__GNUC__)
#define DLP_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define DLP_ALWAYS_INLINE inline
#endif

/// The output columns [lo, hi) whose input column ow * s + base lies inside
/// the input row (0 <= ow * s + base <= in - 1).
DLP_ALWAYS_INLINE void validColumns(const FloatWindow &w, int64_t base,
                                    int64_t &lo, int64_t &hi) {
  int64_t s = w.s[2], last = w.in[2] - 1 - base;
  lo = std::min(base >= 0 ? 0 : (-base + s - 1) / s, w.out[2]);
  hi = std::clamp(last < 0 ? 0 : last / s + 1, lo, w.out[2]);
}

/// Calls fn(tap, srcRow, dstRow, lo, hi, base) for every kernel tap in
/// [tapBegin, tapEnd) and every output row whose input row lies inside the
/// input: output columns [lo, hi) of that row read input columns
/// ow * s + base (all in range).
template <typename RowFn>
DLP_ALWAYS_INLINE void forEachTapRow(const FloatWindow &w, int64_t tapBegin,
                                     int64_t tapEnd, RowFn fn) {
  for (int64_t tap = tapBegin; tap < tapEnd; ++tap) {
    int64_t kw = tap % w.k[2], kh = tap / w.k[2] % w.k[1],
            kd = tap / (w.k[2] * w.k[1]);
    int64_t base = kw * w.d[2] - w.pb[2], lo, hi;
    validColumns(w, base, lo, hi);
    for (int64_t od = 0; od < w.out[0]; ++od) {
      int64_t id = od * w.s[0] - w.pb[0] + kd * w.d[0];
      if (id < 0 || id >= w.in[0])
        continue;
      for (int64_t oh = 0; oh < w.out[1]; ++oh) {
        int64_t ih = oh * w.s[1] - w.pb[1] + kh * w.d[1];
        if (ih < 0 || ih >= w.in[1])
          continue;
        fn(tap, (id * w.in[1] + ih) * w.in[2], (od * w.out[1] + oh) * w.out[2],
           lo, hi, base);
      }
    }
  }
}

/// Writes rows [tapBegin, tapEnd) of the [taps x outPlane] patch matrix of
/// one channel plane.
DLPRT_KERNEL_BODY void im2colRowsBody(const float *x, const FloatWindow &w,
                                      int64_t tapBegin, int64_t tapEnd,
                                      float *col) {
  int64_t P = w.outPlane(), s = w.s[2];
  // Rows whose input row is padding stay zero; the rest get zero margins.
  std::fill(col + tapBegin * P, col + tapEnd * P, 0.0f);
  forEachTapRow(w, tapBegin, tapEnd,
                [&](int64_t tap, int64_t src, int64_t dst, int64_t lo,
                    int64_t hi, int64_t base) {
                  float *row = col + tap * P + dst;
                  const float *in = x + src + base;
                  if (s == 1)
                    std::memcpy(row + lo, in + lo, (hi - lo) * sizeof(float));
                  else
                    for (int64_t ow = lo; ow < hi; ++ow)
                      row[ow] = in[ow * s];
                });
}
DLPRT_KERNELS_AVX2(, void, im2colRows,
                   (const float *x, const FloatWindow &w, int64_t tapBegin,
                    int64_t tapEnd, float *col),
                   (x, w, tapBegin, tapEnd, col), im2colRowsBody)

/// Direct depthwise convolution of one plane (one input, one output channel).
DLPRT_KERNEL_BODY void depthwisePlaneBody(const float *x, const float *wt,
                                          float bias, const FloatWindow &w,
                                          float *out) {
  std::fill(out, out + w.outPlane(), bias);
  int64_t s = w.s[2];
  forEachTapRow(w, 0, w.taps(),
                [&](int64_t tap, int64_t src, int64_t dst, int64_t lo,
                    int64_t hi, int64_t base) {
                  float wv = wt[tap];
                  float *row = out + dst;
                  const float *in = x + src + base;
                  if (s == 1)
                    for (int64_t ow = lo; ow < hi; ++ow)
                      row[ow] += wv * in[ow];
                  else
                    for (int64_t ow = lo; ow < hi; ++ow)
                      row[ow] += wv * in[ow * s];
                });
}
DLPRT_KERNELS_AVX2(, void, depthwisePlane,
                   (const float *x, const float *wt, float bias,
                    const FloatWindow &w, float *out),
                   (x, wt, bias, w, out), depthwisePlaneBody)

/// Max pooling of one plane: for each output row, the element-wise max of
/// the window's input rows (contiguous, vectorizes), then the max over the
/// window's columns of that row. `rowMax` holds in[2] floats. Outputs whose
/// window holds no input element (impossible for valid ONNX pads) are -inf.
DLPRT_KERNEL_BODY void maxPoolPlaneBody(const float *x, const FloatWindow &w,
                                        float *rowMax, float *out) {
  constexpr float kLowest = -std::numeric_limits<float>::infinity();
  int64_t s = w.s[2], W = w.in[2];
  for (int64_t od = 0; od < w.out[0]; ++od)
    for (int64_t oh = 0; oh < w.out[1]; ++oh) {
      std::fill(rowMax, rowMax + W, kLowest);
      for (int64_t kd = 0; kd < w.k[0]; ++kd) {
        int64_t id = od * w.s[0] - w.pb[0] + kd * w.d[0];
        if (id < 0 || id >= w.in[0])
          continue;
        for (int64_t kh = 0; kh < w.k[1]; ++kh) {
          int64_t ih = oh * w.s[1] - w.pb[1] + kh * w.d[1];
          if (ih < 0 || ih >= w.in[1])
            continue;
          const float *in = x + (id * w.in[1] + ih) * W;
          // `a < b ? b : a` keeps a NaN already held and maps to maxps.
          for (int64_t iw = 0; iw < W; ++iw)
            rowMax[iw] = rowMax[iw] < in[iw] ? in[iw] : rowMax[iw];
        }
      }
      float *row = out + (od * w.out[1] + oh) * w.out[2];
      std::fill(row, row + w.out[2], kLowest);
      for (int64_t kw = 0; kw < w.k[2]; ++kw) {
        int64_t base = kw * w.d[2] - w.pb[2], lo, hi;
        validColumns(w, base, lo, hi);
        const float *m = rowMax + base;
        for (int64_t ow = lo; ow < hi; ++ow)
          row[ow] = row[ow] < m[ow * s] ? m[ow * s] : row[ow];
      }
    }
}
DLPRT_KERNELS_AVX2(, void, maxPoolPlane,
                   (const float *x, const FloatWindow &w, float *rowMax,
                    float *out),
                   (x, w, rowMax, out), maxPoolPlaneBody)

/// A grow-only patch-matrix buffer per thread (no zero-fill per call,
/// reused across layers and runs).
float *patchBuffer(int64_t count) {
  thread_local std::vector<float> buf;
  if (buf.size() < size_t(count))
    buf.resize(size_t(count));
  return buf.data();
}

} // namespace

bool kernels::makeFloatWindow(ArrayRef<int64_t> xShape,
                              ArrayRef<int64_t> kernel,
                              ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                              ArrayRef<int64_t> dilations,
                              ArrayRef<int64_t> outShape, FloatWindow &w) {
  if (xShape.size() < 3 || xShape.size() > 5)
    return false;
  size_t sp = xShape.size() - 2, off = 3 - sp;
  for (size_t i = 0; i < sp; ++i) {
    w.in[off + i] = xShape[2 + i];
    w.out[off + i] = outShape[2 + i];
    w.k[off + i] = kernel[i];
    w.s[off + i] = strides[i];
    w.d[off + i] = dilations.empty() ? 1 : dilations[i];
    w.pb[off + i] = pads[i];
    w.pe[off + i] = pads[sp + i];
  }
  return true;
}

void kernels::floatConv(const float *xd, int64_t n, int64_t c,
                        const float *wd, int64_t m, int64_t group,
                        const float *bias, const FloatWindow &w, float *yd,
                        int64_t threads) {
  int64_t cg = c / group, mg = m / group;
  int64_t P = w.outPlane(), K = cg * w.taps(), inPlane = w.inPlane();
  if (cg == 1 && mg == 1) {
    parallelForRange(threads, n * c, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        int64_t ch = i % c;
        depthwisePlane(xd + i * inPlane, wd + ch * w.taps(),
                       bias ? bias[ch] : 0.0f, w, yd + i * P);
      }
    });
    return;
  }

  bool pointwise = w.taps() == 1 && w.s[0] * w.s[1] * w.s[2] == 1 &&
                   w.pb[0] + w.pb[1] + w.pb[2] + w.pe[0] + w.pe[1] + w.pe[2] ==
                       0;
  // One (image, group) unit: im2col + GEMM + bias.
  auto unit = [&](int64_t i, int64_t im2colThreads, int64_t gemmThreads) {
    int64_t img = i / group, g = i % group;
    const float *xs = xd + (img * c + g * cg) * inPlane;
    const float *b = xs;
    if (!pointwise) {
      float *cd = patchBuffer(K * P);
      // Units of work: (channel, tap) rows of the patch matrix.
      int64_t taps = w.taps();
      parallelForRange(im2colThreads, cg * taps, [&](int64_t lo, int64_t hi) {
        for (int64_t r = lo; r < hi;) {
          int64_t ch = r / taps, t0 = r % taps,
                  t1 = std::min(taps, t0 + hi - r);
          im2colRows(xs + ch * inPlane, w, t0, t1, cd + ch * taps * P);
          r += t1 - t0;
        }
      });
      b = cd;
    }
    float *ys = yd + (img * m + g * mg) * P;
    sgemm(false, false, mg, P, K, 1.0f, wd + g * mg * K, K, b, P, 0.0f, ys, P,
          gemmThreads);
    if (bias)
      for (int64_t oc = 0; oc < mg; ++oc) {
        float bv = bias[g * mg + oc];
        float *row = ys + oc * P;
        for (int64_t p = 0; p < P; ++p)
          row[p] += bv;
      }
  };
  int64_t units = n * group;
  if (units >= 2 * threads && threads > 1) {
    parallelForRange(threads, units, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i)
        unit(i, 1, 1);
    });
  } else {
    // Few units: spread the patch copy over the threads when it is large
    // enough to pay for the wake-up, and let the GEMM use all threads.
    bool parallelIm2col = K * P >= (int64_t(1) << 18);
    for (int64_t i = 0; i < units; ++i)
      unit(i, parallelIm2col ? threads : 1, threads);
  }
}

void kernels::floatIm2col(const float *x, int64_t channels,
                          const FloatWindow &w, float *col) {
  int64_t taps = w.taps(), P = w.outPlane(), inPlane = w.inPlane();
  for (int64_t ch = 0; ch < channels; ++ch)
    im2colRows(x + ch * inPlane, w, 0, taps, col + ch * taps * P);
}

void kernels::floatMaxPool(const float *xd, int64_t planes,
                           const FloatWindow &w, float *yd, int64_t threads) {
  parallelForRange(threads, planes, [&](int64_t b, int64_t e) {
    std::vector<float> rowMax(w.in[2]);
    for (int64_t i = b; i < e; ++i)
      maxPoolPlane(xd + i * w.inPlane(), w, rowMax.data(),
                   yd + i * w.outPlane());
  });
}

void kernels::floatAvgPool(const float *xd, int64_t planes,
                           const FloatWindow &w, bool countIncludePad,
                           float *yd, int64_t threads) {
  parallelForRange(threads, planes, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const float *src = xd + i * w.inPlane();
      for (int64_t od = 0; od < w.out[0]; ++od)
        for (int64_t oh = 0; oh < w.out[1]; ++oh)
          for (int64_t ow = 0; ow < w.out[2]; ++ow) {
            int64_t o[3] = {od, oh, ow};
            // Window clipped to the input (sum) and to the padded input
            // (the count_include_pad divisor).
            int64_t lo[3], hi[3], plo[3], phi[3];
            for (int a = 0; a < 3; ++a) {
              int64_t start = o[a] * w.s[a] - w.pb[a];
              int64_t end = start + w.k[a];
              lo[a] = std::max<int64_t>(start, 0);
              hi[a] = std::min<int64_t>(end, w.in[a]);
              plo[a] = std::max<int64_t>(start, -w.pb[a]);
              phi[a] = std::min<int64_t>(end, w.in[a] + w.pe[a]);
            }
            float sum = 0.0f;
            for (int64_t id = lo[0]; id < hi[0]; ++id)
              for (int64_t ih = lo[1]; ih < hi[1]; ++ih)
                for (int64_t iw = lo[2]; iw < hi[2]; ++iw)
                  sum += src[(id * w.in[1] + ih) * w.in[2] + iw];
            int64_t count = 1;
            for (int a = 0; a < 3; ++a)
              count *= countIncludePad ? phi[a] - plo[a] : hi[a] - lo[a];
            yd[i * w.outPlane() + (od * w.out[1] + oh) * w.out[2] + ow] =
                count > 0 ? sum / static_cast<float>(count) : 0.0f;
          }
    }
  });
}

void kernels::floatGlobalAvgPool(const float *xd, int64_t planes,
                                 int64_t size, float *yd, int64_t threads) {
  parallelForRange(threads, planes, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      double sum = 0;
      for (int64_t j = 0; j < size; ++j)
        sum += xd[i * size + j];
      yd[i] = static_cast<float>(sum / size);
    }
  });
}
