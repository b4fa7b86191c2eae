//===- Requant.cpp - Requantize / clamp rows, residual add ----------------===//
//
// A shift s >= 1 runs in int32 arithmetic that vectorizes (roundShift32;
// saturation and clamp are one clamp because lo, hi are int8); s <= 0 in
// int64 as the rule states it.
//
//===----------------------------------------------------------------------===//

#include "dlprt/kernels/Requant.h"

#include "Target.h"

#include <cmath>
#include <type_traits>


using namespace dlprt;
using namespace dlprt::kernels;

// No FP exception is observed here: without trapping math GCC may
// if-convert (vectorize) the clamps; the values are the same.
#if defined(__GNUC__) && !defined(__clang__)
#define DLPRT_NO_TRAPPING_MATH __attribute__((optimize("no-trapping-math")))
#else
#define DLPRT_NO_TRAPPING_MATH
#endif
DLPRT_NO_TRAPPING_MATH DLPRT_KERNEL_BODY void
quantizeRowBody(const float *src, int64_t n, int frac, int8_t *dst) {
  // num::quantize is floor(x 2^frac + 1/2) in double, saturated. Clamping
  // the product to [-1024, 1024] first changes no result (both ends
  // saturate), and the double sum is exact for a float times a power of
  // two in that range; floor as truncation minus one where that rounded
  // up. Branch-free, so the loop vectorizes without changing a bit. NaN
  // (counted; 0 meanwhile) goes through num::quantize itself, and so does
  // a scale that would not be finite.
  if (frac < -1000 || frac > 1000) {
    for (int64_t i = 0; i < n; ++i)
      dst[i] = num::quantize(src[i], frac);
    return;
  }
  int nans = 0;
  if (frac >= -126 && frac <= 127) {
    // In float, twice the lanes: x 2^frac is exact unless below 2^-126 in
    // magnitude (then it stays below 1/2: 0 either way) or beyond the
    // clamp (saturated either way). t = floor(v) by truncation; v - t is
    // exact for |v| >= 1 and, below, compares with 1/2 as the exact value
    // does (rounding is monotonic, 1/2 a float): t + (v - t >= 1/2) is
    // floor(v + 1/2).
    float scale = std::ldexp(1.0f, frac);
    for (int64_t i = 0; i < n; ++i) {
      float v = src[i] * scale;
      nans += v != v;
      v = v != v ? 0.0f : v;
      v = v < -1024.0f ? -1024.0f : v > 1024.0f ? 1024.0f : v;
      int32_t t = int32_t(v);
      t -= float(t) > v;
      t += v - float(t) >= 0.5f;
      dst[i] = static_cast<int8_t>(t < -128 ? -128 : t > 127 ? 127 : t);
    }
  } else {
    double scale = std::ldexp(1.0, frac);
    for (int64_t i = 0; i < n; ++i) {
      double v = double(src[i]) * scale;
      nans += v != v;
      v = v != v ? 0.0 : v;
      v = v < -1024.0 ? -1024.0 : v > 1024.0 ? 1024.0 : v;
      double u = v + 0.5;
      int32_t t = int32_t(u);
      t -= double(t) > u;
      dst[i] = static_cast<int8_t>(t < -128 ? -128 : t > 127 ? 127 : t);
    }
  }
  if (nans)
    for (int64_t i = 0; i < n; ++i)
      if (std::isnan(src[i]))
        dst[i] = num::quantize(src[i], frac);
}
DLPRT_KERNELS_V4_AVX2(DLPRT_NO_TRAPPING_MATH, void, dlprt::kernels::quantizeRow,
                      (const float *src, int64_t n, int frac, int8_t *dst),
                      (src, n, frac, dst), quantizeRowBody)

DLPRT_KERNEL_BODY void requantRowBody(const int32_t *acc, int64_t count,
                                      int shift, int8_t lo, int8_t hi,
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
DLPRT_KERNELS_V4_AVX2(, void, dlprt::kernels::requantRow,
                      (const int32_t *acc, int64_t count, int shift, int8_t lo,
                       int8_t hi, int8_t *dst),
                      (acc, count, shift, lo, hi, dst), requantRowBody)

namespace {

/// requantClamp of an int32 value, branch-free in int32 arithmetic so that
/// loops over lanes with different shifts vectorize (variable shifts and
/// blends): s >= 1 is roundShift32; s <= 0 is v * 2^-s saturated, which
/// equals min(max(v, -256), 256) * 2^min(-s, 9) saturated (|v| <= 256
/// times 2^9 fits int32, and a clamped value stays beyond int8 on the same
/// side). The clamp to [lo, hi] also saturates (lo, hi are int8).
inline int8_t requantLane(int32_t v, int32_t s, int32_t lo, int32_t hi) {
  int32_t r = std::min(std::max(s, int32_t(1)), int32_t(32));
  int32_t t = v >> (r - 1);
  int32_t right = (t >> 1) + (t & 1);
  int32_t k = std::min(std::max(-s, int32_t(0)), int32_t(9));
  int32_t left = std::min(std::max(v, int32_t(-256)), int32_t(256)) << k;
  int32_t q = s >= 1 ? right : left;
  return static_cast<int8_t>(std::min(std::max(q, lo), hi));
}

} // namespace

DLPRT_KERNEL_BODY void requantLanesBody(const int32_t *acc, int64_t accStride,
                                        int64_t pixels, int64_t lanes,
                                        const int8_t *shift, const int8_t *lo,
                                        const int8_t *hi, int8_t *dst) {
  // requantLane with each lane's rule decoded once into int32 arrays
  // (blocks of up to kBlock lanes), so the loop over pixels only shifts,
  // blends and clamps.
  constexpr int64_t kBlock = 64;
  int32_t rs[kBlock], ls[kBlock], right[kBlock], l32[kBlock], h32[kBlock];
  // Whether every lane of the current rule shifts right (s >= 1, the usual
  // case): then the loop skips the left shift and the blend.
  bool allRight = true;
  auto rule = [&](int64_t l0, int64_t n, int64_t reps) {
    allRight = true;
    for (int64_t l = 0; l < n * reps; ++l) {
      int32_t s = shift[l0 + l % n];
      rs[l] = std::min(std::max(s, int32_t(1)), int32_t(32)) - 1;
      ls[l] = std::min(std::max(-s, int32_t(0)), int32_t(9));
      right[l] = s >= 1 ? -1 : 0;
      allRight &= s >= 1;
      l32[l] = lo[l0 + l % n];
      h32[l] = hi[l0 + l % n];
    }
  };
  auto applyAs = [&](auto rightOnly, const int32_t *a, int8_t *d, int64_t n) {
    for (int64_t l = 0; l < n; ++l) {
      int32_t v = a[l], t = v >> rs[l];
      int32_t q = (t >> 1) + (t & 1);
      if constexpr (!decltype(rightOnly)::value) {
        int32_t left = std::min(std::max(v, int32_t(-256)), int32_t(256))
                       << ls[l];
        q = (q & right[l]) | (left & ~right[l]);
      }
      d[l] = static_cast<int8_t>(std::min(std::max(q, l32[l]), h32[l]));
    }
  };
  auto apply = [&](const int32_t *a, int8_t *d, int64_t n) {
    if (allRight)
      applyAs(std::true_type(), a, d, n);
    else
      applyAs(std::false_type(), a, d, n);
  };
  // Few lanes (a small array), pixels stored back to back: the rule tiled
  // over kBlock elements so that the loop runs on whole vectors.
  if (lanes < kBlock && kBlock % lanes == 0 && accStride == lanes) {
    int64_t per = kBlock / lanes, p = 0;
    rule(0, lanes, per);
    for (; p + per <= pixels; p += per)
      apply(acc + p * lanes, dst + p * lanes, kBlock);
    for (; p < pixels; ++p)
      apply(acc + p * lanes, dst + p * lanes, lanes);
    return;
  }
  for (int64_t l0 = 0; l0 < lanes; l0 += kBlock) {
    int64_t n = std::min(kBlock, lanes - l0);
    rule(l0, n, 1);
    for (int64_t p = 0; p < pixels; ++p)
      apply(acc + p * accStride + l0, dst + p * lanes + l0, n);
  }
}
DLPRT_KERNELS_V4_AVX2(, void, dlprt::kernels::requantLanes,
                      (const int32_t *acc, int64_t accStride, int64_t pixels,
                       int64_t lanes, const int8_t *shift, const int8_t *lo,
                       const int8_t *hi, int8_t *dst),
                      (acc, accStride, pixels, lanes, shift, lo, hi, dst),
                      requantLanesBody)

DLPRT_KERNEL_BODY void
addRequantBody(const int8_t *a, const int8_t *b, int64_t pixels, int64_t lanes,
               const int8_t *alignA, const int8_t *alignB, const int8_t *shift,
               const int8_t *lo, const int8_t *hi, int8_t *dst) {
  // |a| 2^22 + |b| 2^22 < 2^30: the aligned sum fits int32.
  auto term = [](int8_t v, int8_t align) {
    return int32_t(v) * (int32_t(1) << std::clamp<int32_t>(align, 0, kMaxAddAlign));
  };
  if (lanes == 1) {
    int8_t sa = alignA[0], sb = alignB[0], l = lo[0], h = hi[0];
    int32_t s = shift[0];
    for (int64_t i = 0; i < pixels; ++i)
      dst[i] = requantLane(term(a[i], sa) + (b ? term(b[i], sb) : 0), s, l, h);
    return;
  }
  for (int64_t p = 0; p < pixels; ++p) {
    const int8_t *av = a + p * lanes;
    int8_t *d = dst + p * lanes;
    if (b) {
      const int8_t *bv = b + p * lanes;
      for (int64_t l = 0; l < lanes; ++l)
        d[l] = requantLane(term(av[l], alignA[l]) + term(bv[l], alignB[l]),
                           shift[l], lo[l], hi[l]);
    } else {
      for (int64_t l = 0; l < lanes; ++l)
        d[l] = requantLane(term(av[l], alignA[l]), shift[l], lo[l], hi[l]);
    }
  }
}
DLPRT_KERNELS_V4_AVX2(, void, dlprt::kernels::addRequant,
                      (const int8_t *a, const int8_t *b, int64_t pixels,
                       int64_t lanes, const int8_t *alignA,
                       const int8_t *alignB, const int8_t *shift,
                       const int8_t *lo, const int8_t *hi, int8_t *dst),
                      (a, b, pixels, lanes, alignA, alignB, shift, lo, hi, dst),
                      addRequantBody)
