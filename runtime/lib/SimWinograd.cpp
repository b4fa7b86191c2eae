//===- SimWinograd.cpp - The simulator's Winograd GEMMs -------------------===//
//
// F(2 x 2, 3 x 3) in integers (SimWinograd.h): per task, a band of tile
// rows; per panel of 8 tiles and input block, the tiles' 4 x 4 inputs are
// transformed (V = B^T d B, int16) into the packed right operands of the 16
// position GEMMs (igemm::gemm, int16 x int16 -> int32), whose products M
// are transformed back (4 Y = A^T M A) and stored as the GEMM stores its
// sums.
//
//===----------------------------------------------------------------------===//

#include "SimWinograd.h"

#include "dlprt/kernels/Parallel.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

using namespace dlprt;
using namespace dlprt::wino;
namespace igemm = dlprt::kernels::igemm;

#if defined(__GNUC__) && defined(__x86_64__)
#include "kernels/Cpu.h"
#include "kernels/Transpose.h"
#include <immintrin.h>
#define DLPRT_WINO_AVX2 1
#else
#define DLPRT_WINO_AVX2 0
#endif

namespace {
/// Tiles per task at least (a band of whole tile rows).
constexpr int64_t kTaskTiles = 96;

/// V = B^T d B of one tile for L channels: d's 16 rows src[r * 4 + c]
/// (int8, L lanes), V's rows at v + pos * C (int16), times mul[pos * C + l]
/// with `mul`. B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]: |V| <= 510.
template <bool Mul>
inline __attribute__((always_inline)) void
transformLanes(const int8_t *const *src, int64_t L, int16_t *__restrict v,
               int64_t C, const int16_t *__restrict mul) {
  for (int64_t l = 0; l < L; ++l) {
    int16_t d[16], t[16];
    for (int i = 0; i < 16; ++i)
      d[i] = src[i][l];
    for (int c = 0; c < 4; ++c) {
      t[c] = int16_t(d[c] - d[8 + c]);
      t[4 + c] = int16_t(d[4 + c] + d[8 + c]);
      t[8 + c] = int16_t(d[8 + c] - d[4 + c]);
      t[12 + c] = int16_t(d[4 + c] - d[12 + c]);
    }
    for (int r = 0; r < 4; ++r) {
      const int16_t *tr = t + r * 4;
      int16_t o[4] = {int16_t(tr[0] - tr[2]), int16_t(tr[1] + tr[2]),
                      int16_t(tr[2] - tr[1]), int16_t(tr[1] - tr[3])};
      for (int c = 0; c < 4; ++c) {
        int64_t at = (r * 4 + c) * C + l;
        v[at] = Mul ? int16_t(o[c] * mul[at]) : o[c];
      }
    }
  }
}

/// 4 Y = A^T M A of n tiles (M's 16 positions at mp[pos][jt]), shifted
/// right by 2 and plus b0 (any int32: it wraps as the GEMM's sum does),
/// into the tiles' four outputs o00, o01, o10, o11. A^T = [1 1 1 0;
/// 0 1 -1 -1].
inline __attribute__((always_inline)) void
outputTiles(const int32_t *const *mp, int64_t n, int32_t b0,
            int32_t *__restrict o00, int32_t *__restrict o01,
            int32_t *__restrict o10, int32_t *__restrict o11) {
  for (int64_t jt = 0; jt < n; ++jt) {
    int32_t s0[4], s1[4];
    for (int c = 0; c < 4; ++c) {
      s0[c] = mp[c][jt] + mp[4 + c][jt] + mp[8 + c][jt];
      s1[c] = mp[4 + c][jt] - mp[8 + c][jt] - mp[12 + c][jt];
    }
    auto plus = [b0](int32_t v) {
      return int32_t(uint32_t(v >> 2) + uint32_t(b0));
    };
    o00[jt] = plus(s0[0] + s0[1] + s0[2]);
    o01[jt] = plus(s0[1] - s0[2] - s0[3]);
    o10[jt] = plus(s1[0] + s1[1] + s1[2]);
    o11[jt] = plus(s1[1] - s1[2] - s1[3]);
  }
}

void outputGeneric(const int32_t *const *mp, int64_t n, int32_t b0,
                   int32_t *o00, int32_t *o01, int32_t *o10, int32_t *o11) {
  outputTiles(mp, n, b0, o00, o01, o10, o11);
}

void transformGeneric(const int8_t *const *src, int64_t L, int16_t *v,
                      int64_t C, const int16_t *mul) {
  if (mul)
    transformLanes<true>(src, L, v, C, mul);
  else
    transformLanes<false>(src, L, v, C, mul);
}

#if DLPRT_WINO_AVX2
const bool avx2 = dlprt::kernels::cpu().avx2;

/// transformLanes 16 lanes at a time: per row r of t = B^T d, the two
/// rows of d it combines, then V's row r.
__attribute__((target("avx2"))) void transformAvx2(const int8_t *const *src,
                                                   int64_t L, int16_t *v,
                                                   int64_t C,
                                                   const int16_t *mul) {
  int64_t l = 0;
  auto ld = [&](int r, int c) __attribute__((target("avx2"))) {
    return _mm256_cvtepi8_epi16(
        _mm_loadu_si128(reinterpret_cast<const __m128i *>(src[r * 4 + c] + l)));
  };
  for (; l + 16 <= L; l += 16) {
    for (int r = 0; r < 4; ++r) {
      __m256i t[4];
      for (int c = 0; c < 4; ++c) {
        switch (r) {
        case 0:
          t[c] = _mm256_sub_epi16(ld(0, c), ld(2, c));
          break;
        case 1:
          t[c] = _mm256_add_epi16(ld(1, c), ld(2, c));
          break;
        case 2:
          t[c] = _mm256_sub_epi16(ld(2, c), ld(1, c));
          break;
        default:
          t[c] = _mm256_sub_epi16(ld(1, c), ld(3, c));
          break;
        }
      }
      __m256i o[4] = {
          _mm256_sub_epi16(t[0], t[2]), _mm256_add_epi16(t[1], t[2]),
          _mm256_sub_epi16(t[2], t[1]), _mm256_sub_epi16(t[1], t[3])};
      for (int c = 0; c < 4; ++c) {
        int64_t at = (r * 4 + c) * C + l;
        if (mul)
          o[c] = _mm256_mullo_epi16(
              o[c],
              _mm256_loadu_si256(reinterpret_cast<const __m256i *>(mul + at)));
        _mm256_storeu_si256(reinterpret_cast<__m256i *>(v + at), o[c]);
      }
    }
  }
  if (l < L) {
    const int8_t *rest[16];
    for (int i = 0; i < 16; ++i)
      rest[i] = src[i] + l;
    transformGeneric(rest, L - l, v + l, C, mul ? mul + l : nullptr);
  }
}

/// The words (channel pairs) of 8 tiles' V rows src[j] into a panel, 8
/// pairs at a time as an 8 x 8 transpose; returns the pairs done.
__attribute__((target("avx2"))) int64_t
packWords(const int16_t *const *src, int64_t pairs, int16_t *panel) {
  int64_t tp = 0;
  for (; tp + 8 <= pairs; tp += 8) {
    __m256i r[8];
    for (int j = 0; j < 8; ++j)
      r[j] = _mm256_loadu_si256(
          reinterpret_cast<const __m256i *>(src[j] + 2 * tp));
    dlprt::kernels::transpose8x8(r);
    for (int i = 0; i < 8; ++i)
      _mm256_storeu_si256(reinterpret_cast<__m256i *>(panel + (tp + i) * 16),
                          r[i]);
  }
  return tp;
}
#endif

/// |V| <= 4 * 128: a column shift s keeps V * 2^s within int16 for s <= 5.
constexpr int kMaxShift = 5;
/// Input channels below which the direct path is faster.
constexpr int64_t kMinChannels = 64;

#if DLPRT_WINO_AVX2
__attribute__((target("avx2"))) void outputAvx2(const int32_t *const *mp,
                                                int64_t n, int32_t b0,
                                                int32_t *o00, int32_t *o01,
                                                int32_t *o10, int32_t *o11) {
  outputTiles(mp, n, b0, o00, o01, o10, o11);
}
#endif

void transformOutput(const int32_t *const *mp, int64_t n, int32_t b0,
                     int32_t *o00, int32_t *o01, int32_t *o10, int32_t *o11) {
#if DLPRT_WINO_AVX2
  if (avx2)
    return outputAvx2(mp, n, b0, o00, o01, o10, o11);
#endif
  outputGeneric(mp, n, b0, o00, o01, o10, o11);
}

void transformInput(const int8_t *const *src, int64_t L, int16_t *v, int64_t C,
                    const int16_t *mul) {
#if DLPRT_WINO_AVX2
  if (avx2)
    return transformAvx2(src, L, v, C, mul);
#endif
  transformGeneric(src, L, v, C, mul);
}

} // namespace

int64_t wino::tileRowsPerTask(const Shape &s, int64_t threads) {
  int64_t tw = (s.outW + 1) / 2, rows = (s.outH + 1) / 2;
  int64_t per = std::max<int64_t>(1, kTaskTiles / tw);
  if ((rows + per - 1) / per >= 2 * threads)
    return per;
  // Fewer bands than twice the threads: one band per thread, so that a
  // thread's tiles go through the three phases on it (a band shared by the
  // threads hands each phase's results to the other cores: on a 13 x 13 map
  // at 2 threads that ran no faster than 1 thread); one band when there
  // are fewer tile rows than threads.
  return rows >= threads && threads > 1 ? (rows + threads - 1) / threads
                                        : rows;
}

bool Plan::make(const Shape &s, const std::vector<uint32_t> &w, size_t keptRows,
                bool force) {
  const int64_t L = s.L, Q = s.Q;
  // Each block's channels up to its last with a weight (padding channels
  // of a block take no products).
  lanes.assign(size_t(s.inCb), 0);
  start.assign(size_t(s.inCb) + 1, 0);
  for (int64_t cb = 0; cb < s.inCb; ++cb) {
    for (int64_t lane = 0; lane < L; ++lane)
      for (int64_t tap = 0; tap < 9; ++tap) {
        const uint32_t *row = w.data() + ((tap * s.inCb + cb) * L + lane) * Q;
        if (std::any_of(row, row + Q, [](uint32_t v) { return v != 0; }))
          lanes[size_t(cb)] = lane + 1;
      }
    start[size_t(cb) + 1] = start[size_t(cb)] + lanes[size_t(cb)];
  }
  const int64_t C = start.back();
  // 16 products per tile and channel against 36 direct ones: only where
  // most of those channels' rows are kept (the direct path drops all-zero
  // rows), and where the products saved outweigh the transforms, whose
  // cost per tile hardly depends on C (measured: squeezenet1_1's 3 x 3
  // convolutions of 16-48 channels ran 10 % slower this way).
  if (C < 2 || (!force && (C < kMinChannels || 16 * C > 3 * int64_t(keptRows))))
    return false;
  std::array<std::vector<int32_t>, 16> ut;
  for (auto &v : ut)
    v.assign(size_t(Q * C), 0);
  std::vector<int64_t> sum(size_t(16 * Q), 0);
  for (int64_t c = 0; c < C; ++c) {
    int64_t cb = std::upper_bound(start.begin(), start.end(), c) -
                 start.begin() - 1,
            lane = c - start[size_t(cb)];
    for (int64_t q = 0; q < Q; ++q) {
      int64_t g[3][3];
      for (int ky = 0; ky < 3; ++ky)
        for (int kx = 0; kx < 3; ++kx)
          g[ky][kx] = int32_t(
              w[size_t((((ky * 3 + kx) * s.inCb + cb) * L + lane) * Q + q)]);
      // r = G' g, then U = r G'^T; G' = [2 0 0; 1 1 1; 1 -1 1; 0 0 2].
      int64_t r[4][3];
      for (int j = 0; j < 3; ++j) {
        r[0][j] = 2 * g[0][j];
        r[1][j] = g[0][j] + g[1][j] + g[2][j];
        r[2][j] = g[0][j] - g[1][j] + g[2][j];
        r[3][j] = 2 * g[2][j];
      }
      for (int i = 0; i < 4; ++i) {
        int64_t uv[4] = {2 * r[i][0], r[i][0] + r[i][1] + r[i][2],
                         r[i][0] - r[i][1] + r[i][2], 2 * r[i][2]};
        for (int j = 0; j < 4; ++j) {
          int pos = i * 4 + j;
          if (uv[j] > INT32_MAX || uv[j] < -INT32_MAX)
            return false;
          ut[size_t(pos)][size_t(q * C + c)] = int32_t(uv[j]);
          sum[size_t(pos * Q + q)] += std::abs(uv[j]);
        }
      }
    }
  }
  // |M| <= 512 * sum |U| and each output of A^T M A adds 9 of them.
  int64_t most = *std::max_element(sum.begin(), sum.end());
  if (most > (int64_t(INT32_MAX) / 9) / 512)
    return false;
  colMul.assign(size_t(16 * C), 1);
  shifted = false;
  for (int pos = 0; pos < 16; ++pos) {
    if (!u[size_t(pos)].pack(ut[size_t(pos)].data(), Q, C, C))
      return false;
    for (int64_t c = 0; c < C; ++c) {
      int e = u[size_t(pos)].columnShift(c);
      if (e > kMaxShift)
        return false;
      colMul[size_t(pos * C + c)] = int16_t(1 << e);
      shifted |= e > 0;
    }
  }
  return true;
}

void Plan::run(const Shape &s, const int8_t *fbuf, uint32_t *abuf,
               const int32_t *bias, bool accumulate, int64_t ty0, int64_t ty1,
               int64_t threads, Sums sums) const {
  const int64_t L = s.L, C = start.back(), Q = s.Q;
  const int64_t tw = (s.outW + 1) / 2, n = (ty1 - ty0) * tw;
  const int64_t NR = igemm::kNR;
  igemm::BLayout layout(C, n);
  const int64_t pairs = layout.pairs();
  thread_local std::vector<int16_t> b;
  thread_local std::vector<int32_t> m, y;
  b.resize(size_t(16) * layout.size()); // every entry written below
  // V of each panel's tiles, then its words into the 16 operands (panels
  // on the threads).
  int16_t *bp = b.data();
  kernels::parallelForTasks(threads, layout.panels(), [&](int64_t p) {
    thread_local std::vector<int16_t> v;
    thread_local std::vector<int8_t> zeros;
    zeros.assign(size_t(L), 0);
    // Per tile of the panel: V[pos][c] (and one value of slack: packWords
    // reads a whole last pair of an odd C, whose weight is 0).
    v.resize(size_t(NR * 16 * C + 1));
    for (int64_t j = 0; j < NR; ++j) {
      int16_t *vt = v.data() + j * 16 * C;
      int64_t jt = p * NR + j;
      if (jt >= n) {
        std::fill_n(vt, 16 * C, 0);
        continue;
      }
      int64_t iy0 = 2 * (ty0 + jt / tw) - s.pT, ix0 = 2 * (jt % tw) - s.pL;
      for (int64_t cb = 0; cb < s.inCb; ++cb) {
        const int8_t *src[16];
        for (int r = 0; r < 4; ++r)
          for (int c = 0; c < 4; ++c) {
            int64_t iy = iy0 + r, ix = ix0 + c;
            src[r * 4 + c] =
                iy < 0 || iy >= s.inH || ix < 0 || ix >= s.inW
                    ? zeros.data()
                    : fbuf + (cb * s.cstride + iy * s.inW + ix) * L;
          }
        int64_t c0 = start[size_t(cb)];
        transformInput(src, lanes[size_t(cb)], vt + c0, C,
                       shifted ? colMul.data() + c0 : nullptr);
      }
    }
    for (int pos = 0; pos < 16; ++pos) {
      // (bp: b is the calling thread's.)
      int16_t *panel =
          bp + size_t(pos) * layout.size() + size_t(p * pairs * NR * 2);
      const int16_t *src[NR];
      for (int64_t j = 0; j < NR; ++j)
        src[j] = v.data() + (j * 16 + pos) * C;
      int64_t tp = 0;
#if DLPRT_WINO_AVX2
      if (avx2)
        tp = packWords(src, pairs, panel);
#endif
      for (; tp < pairs; ++tp) {
        int16_t *out = panel + tp * NR * 2;
        for (int64_t j = 0; j < NR; ++j) {
          out[2 * j] = src[j][2 * tp];
          out[2 * j + 1] = 2 * tp + 1 < C ? src[j][2 * tp + 1] : 0;
        }
      }
    }
  });
  // M of each position (Q x n), then 4 Y = A^T M A; A^T = [1 1 1 0;
  // 0 1 -1 -1].
  m.resize(size_t(16 * Q * n));
  // The 16 products, on the threads.
  int32_t *mbase = m.data();
  kernels::parallelForTasks(threads, 16, [&](int64_t pos) {
    int32_t *mp = mbase + size_t(pos) * Q * n;
    igemm::gemm(
        u[size_t(pos)], bp + size_t(pos) * layout.size(), layout, nullptr,
        [&](int64_t i0, int64_t rows, int64_t j0, int64_t cols,
            const int32_t *c, int64_t ldc) {
          for (int64_t r = 0; r < rows; ++r)
            std::memcpy(mp + (i0 + r) * n + j0, c + r * ldc,
                        size_t(cols) * sizeof(int32_t));
        },
        1);
  });
  int64_t y0 = 2 * ty0, y1 = std::min(2 * ty1, s.outH),
          npix = (y1 - y0) * s.outW;
  y.resize(size_t(Q * npix));
  // 4 Y = A^T M A per block of 8 output channels (on the threads), then
  // their sums into ABUF.
  int32_t *ybase = y.data();
  kernels::parallelForTasks(threads, (Q + 7) / 8, [&](int64_t qb) {
    thread_local std::vector<int32_t> o;
    o.resize(size_t(4 * n));
    int64_t q0 = qb * 8, q1 = std::min(Q, q0 + 8);
    for (int64_t q = q0; q < q1; ++q) {
      const int32_t *mp[16];
      for (int pos = 0; pos < 16; ++pos)
        mp[pos] = mbase + (size_t(pos) * Q + q) * n;
      int32_t *yq = ybase + q * npix;
      int32_t b0 = accumulate ? 0 : bias[q];
      int32_t *o00 = o.data(), *o01 = o00 + n, *o10 = o01 + n, *o11 = o10 + n;
      transformOutput(mp, n, b0, o00, o01, o10, o11);
      for (int64_t jt = 0; jt < n; ++jt) {
        int64_t oy = 2 * (jt / tw), ox = 2 * (jt % tw);
        int32_t *r0 = yq + oy * s.outW + ox, *r1 = r0 + s.outW;
        bool right = ox + 1 < s.outW, below = y0 + oy + 1 < y1;
        r0[0] = o00[jt];
        if (right)
          r0[1] = o01[jt];
        if (below) {
          r1[0] = o10[jt];
          if (right)
            r1[1] = o11[jt];
        }
      }
    }
    if (sums)
      sums(ybase + q0 * npix, q0, q1, npix);
    else
      detail::storeTransposed(ybase + q0 * npix, npix, q1 - q0, npix,
                              abuf + y0 * s.outW * Q + q0, Q, accumulate);
  });
}
