//===- FloatConvTranspose.cpp - Float transposed convolution --------------===//
//
// Per image and group one GEMM gives the columns cols = w_g^T x_g
// ((M/group * K) x D, K kernel positions, D input positions); each column
// entry is then added at its output position (col2im), output channels on
// the threads.
//
//===----------------------------------------------------------------------===//

#include "dlprt/kernels/FloatGemm.h"
#include "dlprt/kernels/FloatVision.h"
#include "dlprt/kernels/Parallel.h"

#include "llvm/ADT/SmallVector.h"

#include <algorithm>
#include <vector>

using namespace dlprt;
using namespace dlprt::kernels;
using llvm::ArrayRef;

void kernels::floatConvTranspose(const float *x, ArrayRef<int64_t> xShape,
                                 const float *w, ArrayRef<int64_t> wShape,
                                 const float *bias, ArrayRef<int64_t> strides,
                                 ArrayRef<int64_t> pads,
                                 ArrayRef<int64_t> dilations, int64_t group,
                                 float *y, ArrayRef<int64_t> outShape,
                                 int64_t threads) {
  int64_t spatial = int64_t(xShape.size()) - 2;
  int64_t n = xShape[0], c = xShape[1], cg = c / group, mg = wShape[1];
  int64_t m = mg * group, din = 1, dout = 1, k = 1;
  for (int64_t d = 0; d < spatial; ++d) {
    din *= xShape[2 + d];
    dout *= outShape[2 + d];
    k *= wShape[2 + d];
  }
  int64_t last = spatial - 1, inLast = xShape[2 + last],
          outLast = outShape[2 + last], sLast = strides[last];
  int64_t rows = din / std::max<int64_t>(inLast, 1);
  std::vector<float> cols(mg * k * din);
  for (int64_t img = 0; img < n; ++img)
    for (int64_t g = 0; g < group; ++g) {
      // cols (mg*k x din) = w_g^T (w_g stored cg x mg*k) * x_g (cg x din).
      sgemm(true, false, mg * k, din, cg, 1.0f, w + g * cg * mg * k, mg * k,
            x + (img * c + g * cg) * din, din, 0.0f, cols.data(), din, threads);
      float *yg = y + (img * m + g * mg) * dout;
      parallelForRange(threads, mg, [&](int64_t lo, int64_t hi) {
        llvm::SmallVector<int64_t, 4> kidx(spatial), iidx(spatial);
        for (int64_t oc = lo; oc < hi; ++oc) {
          float *yc = yg + oc * dout;
          std::fill(yc, yc + dout, bias ? bias[g * mg + oc] : 0.0f);
          for (int64_t kk = 0; kk < k; ++kk) {
            // Kernel position of kk, then the output offset of every axis.
            for (int64_t d = spatial - 1, r = kk; d >= 0; --d) {
              kidx[d] = r % wShape[2 + d];
              r /= wShape[2 + d];
            }
            const float *col = cols.data() + (oc * k + kk) * din;
            int64_t bLast = kidx[last] * dilations[last] - pads[last];
            // Input indices i of the last axis whose i * s + b lands in
            // [0, outLast).
            int64_t i0 = bLast >= 0 ? 0 : (-bLast + sLast - 1) / sLast;
            int64_t i1 =
                outLast - 1 - bLast < 0
                    ? -1
                    : std::min(inLast - 1, (outLast - 1 - bLast) / sLast);
            for (int64_t row = 0; row < rows; ++row) {
              int64_t off = 0, ok = 1;
              for (int64_t d = last - 1, r = row; d >= 0; --d) {
                iidx[d] = r % xShape[2 + d];
                r /= xShape[2 + d];
              }
              for (int64_t d = 0; d < last && ok; ++d) {
                int64_t o =
                    iidx[d] * strides[d] + kidx[d] * dilations[d] - pads[d];
                ok = o >= 0 && o < outShape[2 + d];
                off = off * outShape[2 + d] + o;
              }
              if (!ok)
                continue;
              float *dst = yc + off * outLast;
              const float *src = col + row * inLast;
              for (int64_t i = i0; i <= i1; ++i)
                dst[i * sLast + bLast] += src[i];
            }
          }
        }
      });
    }
}
