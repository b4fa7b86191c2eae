//===- Requant.h - Requantize / clamp rows, residual add ---------*- C++ -*-===//
//
// The epilogue rules of docs/numerics.md sections 3 and 5 over rows of
// values: requant(acc, s) = sat8(roundShift(acc, s)) with s clamped to the
// validated range [kMinShift, kMaxShift], then the activation clamp
// min(max(q, lo), hi). Shared by the quantized evaluator and the simulator.
//
//===----------------------------------------------------------------------===//
#ifndef DLPRT_KERNELS_REQUANT_H
#define DLPRT_KERNELS_REQUANT_H

#include "dlprt/Numerics.h"

#include <algorithm>
#include <cstdint>

namespace dlprt::kernels {

/// Range of a requantizing shift (docs/isa.md 3.3).
constexpr int kMinShift = -32, kMaxShift = 63;
/// Largest operand alignment of an element-wise add (numerics section 5).
constexpr int kMaxAddAlign = 22;

/// requant of one accumulator, then the clamp. Exact for any int64 `acc`
/// of int32 range.
inline int8_t requantClamp(int64_t acc, int shift, int8_t lo, int8_t hi) {
  int8_t q = num::sat8(
      num::roundShift(acc, std::clamp(shift, kMinShift, kMaxShift)));
  return std::min(std::max(q, lo), hi);
}

/// dst[i] = num::quantize(src[i], frac) for i < n: float -> int8 with
/// `frac` fractional bits (docs/numerics.md 1), bit for bit, also for
/// infinities and NaN.
void quantizeRow(const float *src, int64_t n, int frac, int8_t *dst);

/// dst[i] = requantClamp(acc[i], shift, lo, hi) for i < count.
void requantRow(const int32_t *acc, int64_t count, int shift, int8_t lo,
                int8_t hi, int8_t *dst);

/// Pixels of `lanes` values with a rule per lane: dst[p * lanes + l] =
/// requantClamp(acc[p * accStride + l], shift[l], lo[l], hi[l]).
void requantLanes(const int32_t *acc, int64_t accStride, int64_t pixels,
                  int64_t lanes, const int8_t *shift, const int8_t *lo,
                  const int8_t *hi, int8_t *dst);

/// requantLanes on a channel-major block, stored pixel-major: for r < rows
/// and j < cols, dst[j * dstStride + r] = requantClamp(acc[r * ldc + j],
/// shift[r], lo[r], hi[r]) (a GEMM's C block of `rows` output channels by
/// `cols` pixels, requantized straight into the output vectors).
void requantTransposed(const int32_t *acc, int64_t ldc, int64_t rows,
                       int64_t cols, const int8_t *shift, const int8_t *lo,
                       const int8_t *hi, int8_t *dst, int64_t dstStride);

/// The signed alignment d = f_a - f_b of an add as the operands' left
/// shifts (b's by d when d > 0, a's by -d when d < 0), d clamped to
/// [-kMaxAddAlign, kMaxAddAlign].
inline void addAlignments(int64_t d, int8_t &alignA, int8_t &alignB) {
  d = d < -kMaxAddAlign ? -kMaxAddAlign : d > kMaxAddAlign ? kMaxAddAlign : d;
  alignA = int8_t(d < 0 ? -d : 0);
  alignB = int8_t(d > 0 ? d : 0);
}

/// Residual add of pixels of `lanes` values, per lane l:
/// t = (a << alignA[l]) + (b << alignB[l]) (b = 0 when `b` is null;
/// alignments in [0, kMaxAddAlign]), dst = requantClamp(t, shift[l], lo[l],
/// hi[l]). `dst` may be `a` or `b`.
void addRequant(const int8_t *a, const int8_t *b, int64_t pixels,
                int64_t lanes, const int8_t *alignA, const int8_t *alignB,
                const int8_t *shift, const int8_t *lo, const int8_t *hi,
                int8_t *dst);

} // namespace dlprt::kernels

#endif // DLPRT_KERNELS_REQUANT_H
