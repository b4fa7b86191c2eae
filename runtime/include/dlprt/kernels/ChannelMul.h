//===- ChannelMul.h - Per-channel scaling of an int8 feature map -*- C++ -*-===//
//
// A squeeze-and-excitation product x * gate between int8 feature maps (x
// N x C x H x W, gate N x C x 1 x 1): per channel c, y = requant(x * g[c],
// f_x[c] + f_g[c] - f_y[c]) (docs/numerics.md section 8), the integers the
// Dequantize -> float multiply -> Quantize chain computes, bit for bit.
// Shared by the quantized evaluator and the host segment of the simulator.
//
//===----------------------------------------------------------------------===//
#ifndef DLPRT_KERNELS_CHANNELMUL_H
#define DLPRT_KERNELS_CHANNELMUL_H

#include "dlprt/kernels/Requant.h"

#include <algorithm>
#include <cstdint>

namespace dlprt::kernels {

/// The shift of channel scaling with the given fractional bits, clamped to
/// [kMinShift, kMaxShift] (the clamp changes no result: |x * g| <= 2^14).
inline int channelMulShift(int fx, int fg, int fy) {
  return std::clamp(fx + fg - fy, kMinShift, kMaxShift);
}

/// dst[i] = requantClamp(src[i] * gate, shift, -128, 127) for i < n; `dst`
/// may be `src`.
inline void channelMul(const int8_t *src, int8_t gate, int shift, int8_t *dst,
                       int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    dst[i] = requantClamp(int64_t(src[i]) * gate, shift, -128, 127);
}

} // namespace dlprt::kernels

#endif // DLPRT_KERNELS_CHANNELMUL_H
