//===- Conv.h - Window geometry, im2col and the direct conv -----*- C++ -*-===//
//
// Plain-struct conv kernels shared by the quantized evaluator (qnn conv
// layers) and the simulator (host conv segments). Feature maps here are
// planes: channel i of an input is the ih x iw int8 plane at
// `planes + i * planeStride`.
//
// Arithmetic is uint32 (two's-complement wraparound of the int32
// accumulator, never undefined behaviour): for compiled code the overflow
// proof (docs/numerics.md section 3) makes every partial sum exact, so the
// result equals the contract's in any order.
//
//===----------------------------------------------------------------------===//
#ifndef DLPRT_KERNELS_CONV_H
#define DLPRT_KERNELS_CONV_H

#include <cstddef>
#include <cstdint>

namespace dlprt::kernels {

/// 2-D window geometry (1-D maps have H = 1): input ih x iw, output oh x ow,
/// kernel kh x kw, strides sh, sw, dilations dh, dw, top / left padding.
/// Input (iy, ix) of output (oy, ox) and tap (ky, kx) is
/// (oy * sh - pt + ky * dh, ox * sw - pl + kx * dw); outside the plane it
/// reads as 0 (conv) or is skipped (pooling).
struct Window2D {
  int64_t ih, iw, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl;
};

/// Output columns [lo, hi) whose tap kx reads an input column inside the
/// plane, at ix = ox * sw + x0; returns x0.
inline int64_t validColumns(const Window2D &w, int64_t kx, int64_t &lo,
                            int64_t &hi) {
  int64_t x0 = kx * w.dw - w.pl, last = w.iw - 1 - x0;
  int64_t l = x0 >= 0 ? 0 : (-x0 + w.sw - 1) / w.sw;
  lo = l < w.ow ? l : w.ow;
  int64_t h = last < 0 ? 0 : last / w.sw + 1;
  hi = h < lo ? lo : h > w.ow ? w.ow : h;
  return x0;
}

/// im2col of channels [i0, i1) of one group: rows [i0 * kh * kw, i1 * kh *
/// kw) of the K x P matrix `dst` (row (i * kh + ky) * kw + kx, column p =
/// oy * ow + ox; padding reads as 0). Plane i at planes + i * ih * iw.
void im2col(const int8_t *planes, const Window2D &w, int64_t i0, int64_t i1,
            int8_t *dst);

/// One output channel of a direct conv over `channels` input planes:
/// acc[oy * ow + ox] = bias + sum over i, ky, kx of
/// mult[(i * kh + ky) * kw + kx] * plane_i(iy, ix), taps outside the plane
/// adding nothing (zero multipliers are skipped).
void directConvChannel(const int8_t *planes, int64_t planeStride,
                       int64_t channels, const Window2D &w,
                       const int32_t *mult, int32_t bias, int32_t *acc);

/// acc[m * Q + q] += sum_k x[m * K + k] * w[k * Q + q] for m < M, q < Q in
/// uint32: the simulator's GEMM when a weight column does not fit the int16
/// kernel (igemm).
void int32Gemm(const int8_t *x, const uint32_t *w, uint32_t *acc, size_t M,
               size_t K, size_t Q);

} // namespace dlprt::kernels

#endif // DLPRT_KERNELS_CONV_H
