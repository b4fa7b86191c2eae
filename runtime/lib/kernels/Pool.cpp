//===- Pool.cpp - Max / average pooling of int8 planes --------------------===//

#include "dlprt/kernels/Pool.h"

#include "Target.h"

#include "dlprt/Numerics.h"

#include <algorithm>
#include <vector>


using namespace dlprt::kernels;

/// Separably: the max over the window's rows of each input pixel into
/// `rowMax`, then over the window's columns.
DLPRT_KERNEL_BODY void maxPoolPlaneBody(const int8_t *x, int64_t lanes,
                                        const Window2D &win, int8_t *rowMax,
                                        int8_t *out) {
  // A local copy: int8 stores may alias anything, which would force every
  // field to be reloaded and keep the loops scalar.
  const Window2D w = win;
  const int64_t rowLen = w.iw * lanes;
  for (int64_t oy = 0; oy < w.oh; ++oy) {
    std::fill(rowMax, rowMax + rowLen, int8_t(-128));
    for (int64_t ky = 0; ky < w.kh; ++ky) {
      int64_t iy = oy * w.sh - w.pt + ky * w.dh;
      if (iy < 0 || iy >= w.ih)
        continue;
      const int8_t *in = x + iy * rowLen;
      for (int64_t i = 0; i < rowLen; ++i)
        rowMax[i] = std::max(rowMax[i], in[i]);
    }
    int8_t *row = out + oy * w.ow * lanes;
    std::fill(row, row + w.ow * lanes, int8_t(-128));
    for (int64_t kx = 0; kx < w.kw; ++kx) {
      int64_t lo, hi, x0 = validColumns(w, kx, lo, hi);
      if (w.sw == 1) {
        const int8_t *src = rowMax + x0 * lanes;
        for (int64_t i = lo * lanes, e = hi * lanes; i < e; ++i)
          row[i] = std::max(row[i], src[i]);
      } else if (lanes == 1) {
        for (int64_t ox = lo, s = w.sw; ox < hi; ++ox)
          row[ox] = std::max(row[ox], rowMax[ox * s + x0]);
      } else {
        for (int64_t ox = lo; ox < hi; ++ox) {
          int8_t *d = row + ox * lanes;
          const int8_t *src = rowMax + (ox * w.sw + x0) * lanes;
          for (int64_t l = 0; l < lanes; ++l)
            d[l] = std::max(d[l], src[l]);
        }
      }
    }
  }
}
DLPRT_KERNELS_V4_AVX2(, void, dlprt::kernels::maxPoolPlane,
                      (const int8_t *x, int64_t lanes, const Window2D &win,
                       int8_t *rowMax, int8_t *out),
                      (x, lanes, win, rowMax, out), maxPoolPlaneBody)

void dlprt::kernels::avgPoolPlane(const int8_t *x, int64_t lanes,
                                  const Window2D &w, bool includePad,
                                  int64_t padB, int64_t padR, int8_t *out) {
  std::vector<int64_t> sum(static_cast<size_t>(lanes), 0);
  for (int64_t oy = 0; oy < w.oh; ++oy)
    for (int64_t ox = 0; ox < w.ow; ++ox) {
      int64_t y0 = oy * w.sh - w.pt, x0 = ox * w.sw - w.pl;
      int64_t yb = std::max<int64_t>(y0, 0), ye = std::min(y0 + w.kh, w.ih);
      int64_t xb = std::max<int64_t>(x0, 0), xe = std::min(x0 + w.kw, w.iw);
      std::fill(sum.begin(), sum.end(), 0);
      for (int64_t iy = yb; iy < ye; ++iy)
        for (int64_t ix = xb; ix < xe; ++ix) {
          const int8_t *v = x + (iy * w.iw + ix) * lanes;
          for (int64_t l = 0; l < lanes; ++l)
            sum[l] += v[l];
        }
      int64_t count = std::max<int64_t>(ye - yb, 0) * std::max<int64_t>(xe - xb, 0);
      if (includePad) // the window clipped to the padded extent
        count = std::max<int64_t>(std::min(y0 + w.kh, w.ih + padB) - y0, 0) *
                std::max<int64_t>(std::min(x0 + w.kw, w.iw + padR) - x0, 0);
      int8_t *o = out + (oy * w.ow + ox) * lanes;
      for (int64_t l = 0; l < lanes; ++l)
        o[l] = num::avgDivide(sum[l], std::max<int64_t>(count, 1));
    }
}

void dlprt::kernels::poolPlane(const int8_t *x, int64_t lanes,
                               const Window2D &w, bool max, bool includePad,
                               int64_t padB, int64_t padR, int8_t *y) {
  if (max) {
    thread_local std::vector<int8_t> rowMax;
    rowMax.resize(size_t(w.iw * lanes));
    maxPoolPlane(x, lanes, w, rowMax.data(), y);
  } else {
    avgPoolPlane(x, lanes, w, includePad, padB, padR, y);
  }
}
