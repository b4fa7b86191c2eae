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
#include <cstring>
#include <type_traits>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>
#endif


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

namespace {

void requantTransposedGeneric(const int32_t *acc, int64_t ldc, int64_t r0,
                              int64_t r1, int64_t c0, int64_t c1,
                              const int8_t *shift, const int8_t *lo,
                              const int8_t *hi, int8_t *dst,
                              int64_t dstStride) {
  for (int64_t r = r0; r < r1; ++r)
    for (int64_t j = c0; j < c1; ++j)
      dst[j * dstStride + r] =
          requantLane(acc[r * ldc + j], shift[r], lo[r], hi[r]);
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define DLPRT_REQUANT_T_AVX2 1
/// Whole blocks of 8 rows x 8 columns: each row's rule is one shift count
/// for all its lanes; the 8 rows of int32 are packed to bytes (exact: the
/// clamp leaves int8 values) and transposed, 8 bytes per pixel.
__attribute__((target("avx2"))) void
requantTransposedAvx2(const int32_t *acc, int64_t ldc, int64_t rows,
                      int64_t cols, const int8_t *shift, const int8_t *lo,
                      const int8_t *hi, int8_t *dst, int64_t dstStride) {
  const int64_t rows8 = rows - rows % 8, cols8 = cols - cols % 8;
  const __m256i one = _mm256_set1_epi32(1), lim = _mm256_set1_epi32(256);
  // Byte r * 4 + p of a 128-bit lane (4 rows x 4 pixels) to p * 4 + r.
  const __m256i toPixels = _mm256_setr_epi8(
      0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15, 0, 4, 8, 12, 1, 5,
      9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  for (int64_t r0 = 0; r0 < rows8; r0 += 8) {
    __m128i count[8];
    __m256i vlo[8], vhi[8];
    bool right[8];
    for (int i = 0; i < 8; ++i) {
      int32_t s = shift[r0 + i];
      right[i] = s >= 1;
      count[i] = _mm_cvtsi32_si128(right[i] ? std::min(s, int32_t(32)) - 1
                                            : std::min(-s, int32_t(9)));
      vlo[i] = _mm256_set1_epi32(lo[r0 + i]);
      vhi[i] = _mm256_set1_epi32(hi[r0 + i]);
    }
    for (int64_t j = 0; j < cols8; j += 8) {
      __m256i v[8];
      for (int i = 0; i < 8; ++i) {
        __m256i a = _mm256_loadu_si256(
            reinterpret_cast<const __m256i *>(acc + (r0 + i) * ldc + j));
        __m256i q;
        if (right[i]) {
          __m256i t = _mm256_sra_epi32(a, count[i]);
          q = _mm256_add_epi32(_mm256_srai_epi32(t, 1),
                               _mm256_and_si256(t, one));
        } else {
          q = _mm256_sll_epi32(
              _mm256_min_epi32(_mm256_max_epi32(a, _mm256_sub_epi32(
                                                       _mm256_setzero_si256(),
                                                       lim)),
                               lim),
              count[i]);
        }
        v[i] = _mm256_min_epi32(_mm256_max_epi32(q, vlo[i]), vhi[i]);
      }
      __m256i b0 = _mm256_packs_epi16(_mm256_packs_epi32(v[0], v[1]),
                                      _mm256_packs_epi32(v[2], v[3]));
      __m256i b1 = _mm256_packs_epi16(_mm256_packs_epi32(v[4], v[5]),
                                      _mm256_packs_epi32(v[6], v[7]));
      __m256i x = _mm256_shuffle_epi8(b0, toPixels),
              y = _mm256_shuffle_epi8(b1, toPixels);
      // Lane 0: pixels 0, 1 (lo) and 2, 3 (hi); lane 1: 4, 5 and 6, 7.
      __m256i lo2 = _mm256_unpacklo_epi32(x, y), hi2 = _mm256_unpackhi_epi32(x, y);
      __m128i q0 = _mm256_castsi256_si128(lo2),
              q1 = _mm256_castsi256_si128(hi2),
              q2 = _mm256_extracti128_si256(lo2, 1),
              q3 = _mm256_extracti128_si256(hi2, 1);
      int8_t *d = dst + j * dstStride + r0;
      // Each pixel's 8 bytes: the low or the high half of a 128-bit lane.
      __m128i *at[8];
      for (int p = 0; p < 8; ++p)
        at[p] = reinterpret_cast<__m128i *>(d + p * dstStride);
      _mm_storel_epi64(at[0], q0);
      _mm_storeh_pd(reinterpret_cast<double *>(at[1]), _mm_castsi128_pd(q0));
      _mm_storel_epi64(at[2], q1);
      _mm_storeh_pd(reinterpret_cast<double *>(at[3]), _mm_castsi128_pd(q1));
      _mm_storel_epi64(at[4], q2);
      _mm_storeh_pd(reinterpret_cast<double *>(at[5]), _mm_castsi128_pd(q2));
      _mm_storel_epi64(at[6], q3);
      _mm_storeh_pd(reinterpret_cast<double *>(at[7]), _mm_castsi128_pd(q3));
    }
  }
  requantTransposedGeneric(acc, ldc, 0, rows8, cols8, cols, shift, lo, hi, dst,
                           dstStride);
  requantTransposedGeneric(acc, ldc, rows8, rows, 0, cols, shift, lo, hi, dst,
                           dstStride);
}
#else
#define DLPRT_REQUANT_T_AVX2 0
#endif

} // namespace

void dlprt::kernels::requantTransposed(const int32_t *acc, int64_t ldc,
                                       int64_t rows, int64_t cols,
                                       const int8_t *shift, const int8_t *lo,
                                       const int8_t *hi, int8_t *dst,
                                       int64_t dstStride) {
#if DLPRT_REQUANT_T_AVX2
  if (isaLevel() >= IsaLevel::Avx2)
    return requantTransposedAvx2(acc, ldc, rows, cols, shift, lo, hi, dst,
                                 dstStride);
#endif
  requantTransposedGeneric(acc, ldc, 0, rows, 0, cols, shift, lo, hi, dst,
                           dstStride);
}

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
