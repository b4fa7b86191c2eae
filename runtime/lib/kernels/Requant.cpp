//===- Requant.cpp - Requantize / clamp rows, residual add ----------------===//
//
// A shift s >= 1 runs in int32 arithmetic that vectorizes (roundShift32;
// saturation and clamp are one clamp because lo, hi are int8); s <= 0 in
// int64 as the rule states it.
//
//===----------------------------------------------------------------------===//

#include "dlprt/kernels/Requant.h"

#include "Target.h"


using namespace dlprt;
using namespace dlprt::kernels;

DLPRT_KERNEL void dlprt::kernels::requantRow(const int32_t *acc,
                                             int64_t count, int shift,
                                             int8_t lo, int8_t hi,
                                             int8_t *dst) {
  if (shift <= 0) {
    for (int64_t i = 0; i < count; ++i)
      dst[i] = requantClamp(acc[i], shift, lo, hi);
    return;
  }
  int32_t l = lo, h = hi;
  for (int64_t i = 0; i < count; ++i)
    dst[i] = static_cast<int8_t>(
        std::min(std::max(num::roundShift32(acc[i], shift), l), h));
}

DLPRT_KERNEL void dlprt::kernels::requantLanes(
    const int32_t *acc, int64_t accStride, int64_t pixels, int64_t lanes,
    const int8_t *shift, const int8_t *lo, const int8_t *hi, int8_t *dst) {
  bool allRight = true;
  for (int64_t l = 0; l < lanes; ++l)
    allRight &= shift[l] >= 1;
  for (int64_t p = 0; p < pixels; ++p) {
    const int32_t *a = acc + p * accStride;
    int8_t *d = dst + p * lanes;
    if (allRight)
      for (int64_t l = 0; l < lanes; ++l)
        d[l] = static_cast<int8_t>(
            std::min(std::max(num::roundShift32(a[l], shift[l]), int32_t(lo[l])),
                     int32_t(hi[l])));
    else
      for (int64_t l = 0; l < lanes; ++l)
        d[l] = requantClamp(a[l], shift[l], lo[l], hi[l]);
  }
}

DLPRT_KERNEL void dlprt::kernels::addRequant(
    const int8_t *a, const int8_t *b, int64_t pixels, int64_t lanes,
    const int8_t *alignA, const int8_t *alignB, const int8_t *shift,
    const int8_t *lo, const int8_t *hi, int8_t *dst) {
  // |a| 2^22 + |b| 2^22 < 2^30: the aligned sum fits int32.
  auto term = [](int8_t v, int8_t align) {
    return int32_t(v) * (int32_t(1) << std::clamp<int>(align, 0, kMaxAddAlign));
  };
  bool allRight = true;
  for (int64_t l = 0; l < lanes; ++l)
    allRight &= shift[l] >= 1;
  if (lanes == 1) {
    int8_t sa = alignA[0], sb = alignB[0], l = lo[0], h = hi[0];
    int s = shift[0];
    for (int64_t i = 0; i < pixels; ++i) {
      int32_t t = term(a[i], sa) + (b ? term(b[i], sb) : 0);
      dst[i] = allRight ? static_cast<int8_t>(std::min(
                              std::max(num::roundShift32(t, s), int32_t(l)),
                              int32_t(h)))
                        : requantClamp(t, s, l, h);
    }
    return;
  }
  for (int64_t p = 0; p < pixels; ++p) {
    const int8_t *av = a + p * lanes, *bv = b ? b + p * lanes : nullptr;
    int8_t *d = dst + p * lanes;
    for (int64_t l = 0; l < lanes; ++l) {
      int32_t t = term(av[l], alignA[l]) + (bv ? term(bv[l], alignB[l]) : 0);
      d[l] = allRight ? static_cast<int8_t>(std::min(
                            std::max(num::roundShift32(t, shift[l]),
                                     int32_t(lo[l])),
                            int32_t(hi[l])))
                      : requantClamp(t, shift[l], lo[l], hi[l]);
    }
  }
}
