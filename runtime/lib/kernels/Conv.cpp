//===- Conv.cpp - im2col, the direct conv and the int32 GEMM --------------===//

#include "dlprt/kernels/Conv.h"

#include "Target.h"

#include <algorithm>
#include <cstring>


using namespace dlprt::kernels;

void dlprt::kernels::im2col(const int8_t *xs, const Window2D &win, int64_t i0,
                            int64_t i1, int8_t *dst) {
  const Window2D w = win; // int8 stores may alias a referenced window
  int64_t P = w.oh * w.ow;
  for (int64_t i = i0; i < i1; ++i) {
    const int8_t *plane = xs + i * w.ih * w.iw;
    for (int64_t ky = 0; ky < w.kh; ++ky)
      for (int64_t kx = 0; kx < w.kw; ++kx) {
        int8_t *row = dst + ((i * w.kh + ky) * w.kw + kx) * P;
        int64_t lo, hi, x0 = validColumns(w, kx, lo, hi);
        for (int64_t oy = 0; oy < w.oh; ++oy) {
          int8_t *out = row + oy * w.ow;
          int64_t iy = oy * w.sh - w.pt + ky * w.dh;
          if (iy < 0 || iy >= w.ih) {
            std::memset(out, 0, w.ow);
            continue;
          }
          const int8_t *src = plane + iy * w.iw;
          std::memset(out, 0, lo);
          if (w.sw == 1)
            std::memcpy(out + lo, src + lo + x0, hi - lo);
          else
            for (int64_t ox = lo, sw = w.sw; ox < hi; ++ox)
              out[ox] = src[ox * sw + x0];
          std::memset(out + hi, 0, w.ow - hi);
        }
      }
  }
}

namespace {
/// acc[oy][ox] += m * x[iy][ix] over the output positions whose tap (ky,
/// kx) falls inside the input plane `x` (padding adds nothing).
DLPRT_KERNEL_BODY void directTapBody(const int8_t *x, const Window2D &w,
                                     int64_t ky, int64_t kx, uint32_t m,
                                     uint32_t *acc) {
  int64_t lo, hi, x0 = validColumns(w, kx, lo, hi);
  for (int64_t oy = 0; oy < w.oh; ++oy) {
    int64_t iy = oy * w.sh - w.pt + ky * w.dh;
    if (iy < 0 || iy >= w.ih)
      continue;
    const int8_t *src = x + iy * w.iw;
    uint32_t *a = acc + oy * w.ow;
    if (w.sw == 1)
      for (int64_t ox = lo; ox < hi; ++ox)
        a[ox] += m * uint32_t(int32_t(src[ox + x0]));
    else
      for (int64_t ox = lo; ox < hi; ++ox)
        a[ox] += m * uint32_t(int32_t(src[ox * w.sw + x0]));
  }
}
DLPRT_KERNELS_V4_AVX2(, void, directTap,
                      (const int8_t *x, const Window2D &w, int64_t ky,
                       int64_t kx, uint32_t m, uint32_t *acc),
                      (x, w, ky, kx, m, acc), directTapBody)
} // namespace

void dlprt::kernels::directConvChannel(const int8_t *planes,
                                       int64_t planeStride, int64_t channels,
                                       const Window2D &win,
                                       const int32_t *mult, int32_t bias,
                                       int32_t *acc) {
  const Window2D w = win;
  uint32_t *a = reinterpret_cast<uint32_t *>(acc);
  std::fill(a, a + w.oh * w.ow, uint32_t(bias));
  for (int64_t i = 0; i < channels; ++i)
    for (int64_t ky = 0; ky < w.kh; ++ky)
      for (int64_t kx = 0; kx < w.kw; ++kx)
        if (int32_t m = mult[(i * w.kh + ky) * w.kw + kx])
          directTap(planes + i * planeStride, w, ky, kx, uint32_t(m), a);
}

namespace {
/// int32Gemm with Q known at compile time so the q loop becomes whole
/// vectors; MR rows share each weight load.
template <unsigned Q, unsigned MR>
[[gnu::always_inline]] inline void tileQ(const int8_t *x, const uint32_t *w,
                                         uint32_t *acc, size_t M, size_t K) {
  size_t m = 0;
  for (; m + MR <= M; m += MR) {
    uint32_t a[MR][Q];
    for (unsigned r = 0; r < MR; ++r)
      for (unsigned q = 0; q < Q; ++q)
        a[r][q] = acc[(m + r) * Q + q];
    for (size_t k = 0; k < K; ++k) {
      const uint32_t *wr = w + k * Q;
      for (unsigned r = 0; r < MR; ++r) {
        uint32_t xv = uint32_t(int32_t(x[(m + r) * K + k]));
        for (unsigned q = 0; q < Q; ++q)
          a[r][q] += xv * wr[q];
      }
    }
    for (unsigned r = 0; r < MR; ++r)
      for (unsigned q = 0; q < Q; ++q)
        acc[(m + r) * Q + q] = a[r][q];
  }
  for (; m < M; ++m)
    for (size_t k = 0; k < K; ++k) {
      uint32_t xv = uint32_t(int32_t(x[m * K + k]));
      for (unsigned q = 0; q < Q; ++q)
        acc[m * Q + q] += xv * w[k * Q + q];
    }
}
} // namespace

DLPRT_KERNEL_BODY void int32GemmBody(const int8_t *x, const uint32_t *w,
                                     uint32_t *acc, size_t M, size_t K,
                                     size_t Q) {
  switch (Q) {
  case 8:
    return tileQ<8, 4>(x, w, acc, M, K);
  case 16:
    return tileQ<16, 2>(x, w, acc, M, K);
  case 32:
    return tileQ<32, 1>(x, w, acc, M, K);
  case 64:
    return tileQ<64, 1>(x, w, acc, M, K);
  default:
    for (size_t m = 0; m < M; ++m)
      for (size_t k = 0; k < K; ++k) {
        uint32_t xv = uint32_t(int32_t(x[m * K + k]));
        for (size_t q = 0; q < Q; ++q)
          acc[m * Q + q] += xv * w[k * Q + q];
      }
  }
}
DLPRT_KERNELS_V4_AVX2(, void, dlprt::kernels::int32Gemm,
                      (const int8_t *x, const uint32_t *w, uint32_t *acc,
                       size_t M, size_t K, size_t Q),
                      (x, w, acc, M, K, Q), int32GemmBody)
