//===- IGemm.cpp - Exact int16 x int8 -> int32 matrix product -------------===//
//
// Loops of one task (an MC x NC block of C), outermost first:
//
//   pc: KC pairs of K          (the first slice starts from the bias)
//   jr: kNR-wide panels of B   (a KC x kNR micro-panel, 8 KiB, stays in L1)
//   ir: kMR-tall panels of A   (the MC x KC block, 64 KiB, stays in L2)
//
// with the block of C in a thread-local buffer that is handed to the
// epilogue once the whole K has been summed. Tasks are claimed from a shared
// counter by up to numThreads threads. With fewer than kGemvMaxN columns
// (a fully-connected layer on one image) a matrix-vector kernel runs each
// column instead of padding it to kNR.
//
//===----------------------------------------------------------------------===//

#include "dlprt/kernels/IGemm.h"
#include "dlprt/kernels/Parallel.h"

#include "Cpu.h"
#include "Transpose.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <vector>

// GCC's partial redundancy elimination (-ftree-pre, on at -O2) turns the
// register tile of the micro-kernels into a rotation of copies, 16 register
// moves per step of K beside 8 multiply-adds; the kernels are compiled
// without it.
#if defined(__GNUC__) && !defined(__clang__)
#define DLP_IGEMM_NO_PRE optimize("no-tree-pre"),
#else
#define DLP_IGEMM_NO_PRE
#endif

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define DLP_IGEMM_HAVE_AVX2 1
#define DLP_IGEMM_TARGET_AVX2 __attribute__((DLP_IGEMM_NO_PRE target("avx2")))
#else
#define DLP_IGEMM_HAVE_AVX2 0
#endif

using namespace dlprt::kernels;
using namespace dlprt::kernels::igemm;

namespace {

/// Pairs of K per slice, rows per block and columns per block.
constexpr int64_t kKC = 256;
constexpr int64_t kMC = 64;
constexpr int64_t kNC = 128;
/// Below this many columns the matrix-vector kernel runs.
constexpr int64_t kGemvMaxN = 4;
/// Minimum multiply-adds per thread before work is shared (as in Gemm.cpp:
/// a hand-off to the spinning OpenMP team costs ~10 us).
constexpr int64_t kMinMacsPerThread = int64_t(1) << 19;

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// The 32-bit word holding the pair at position `i` of packed data.
inline int32_t word(const int16_t *p, int64_t i) {
  int32_t w;
  std::memcpy(&w, p + 2 * i, sizeof(w));
  return w;
}

/// c[kMR x kNR] (+)= sum over kc pairs of panel products. Starts from
/// `bias` (kMR values) when given, else from c.
using KernelFn = void (*)(int64_t kc, const int16_t *ap, const int16_t *bp,
                          int32_t *c, int64_t ldc, const int32_t *bias);
/// out[kMR] = bias[kMR] + panel (pairs x kMR) * column `lane` of a B panel.
using GemvFn = void (*)(int64_t pairs, const int16_t *ap, const int16_t *bp,
                        int64_t lane, const int32_t *bias, int32_t *out);

// The portable kernels add in uint32_t: the same bits as the int32 sums
// (which the caller proved never overflow) without relying on signed
// overflow behaviour.
void kernelGeneric(int64_t kc, const int16_t *ap, const int16_t *bp,
                   int32_t *c, int64_t ldc, const int32_t *bias) {
  uint32_t acc[kMR][kNR];
  for (int64_t r = 0; r < kMR; ++r)
    for (int64_t j = 0; j < kNR; ++j)
      acc[r][j] = uint32_t(bias ? bias[r] : c[r * ldc + j]);
  for (int64_t t = 0; t < kc; ++t) {
    const int16_t *a = ap + t * kMR * 2, *b = bp + t * kNR * 2;
    for (int64_t r = 0; r < kMR; ++r)
      for (int64_t j = 0; j < kNR; ++j)
        acc[r][j] += uint32_t(int32_t(a[2 * r]) * b[2 * j] +
                              int32_t(a[2 * r + 1]) * b[2 * j + 1]);
  }
  for (int64_t r = 0; r < kMR; ++r)
    for (int64_t j = 0; j < kNR; ++j)
      c[r * ldc + j] = int32_t(acc[r][j]);
}

void gemvGeneric(int64_t pairs, const int16_t *ap, const int16_t *bp,
                 int64_t lane, const int32_t *bias, int32_t *out) {
  uint32_t acc[kMR];
  for (int64_t r = 0; r < kMR; ++r)
    acc[r] = uint32_t(bias[r]);
  for (int64_t t = 0; t < pairs; ++t) {
    const int16_t *a = ap + t * kMR * 2, *b = bp + (t * kNR + lane) * 2;
    for (int64_t r = 0; r < kMR; ++r)
      acc[r] += uint32_t(int32_t(a[2 * r]) * b[0] + int32_t(a[2 * r + 1]) * b[1]);
  }
  for (int64_t r = 0; r < kMR; ++r)
    out[r] = int32_t(acc[r]);
}

#if DLP_IGEMM_HAVE_AVX2
static_assert(kNR == 8 && kMR == 8, "the AVX2 kernels hold 8 x 8 int32");

// The 8 x 8 kernel and the matrix-vector kernel for one instruction set:
// MADD_ADD(acc, a, b) is acc + the pair products of a and b (int16 pairs
// into int32 lanes), modulo 2^32. AVX2: vpmaddwd then vpaddd. AVX-512 VNNI
// on 256-bit vectors (AVX512VL): vpdpwssd, both in one instruction with the
// same wraparound (not the saturating vpdpwssds), so the bits are the same.
#define DLP_IGEMM_KERNELS(SUFFIX, TARGET, MADD_ADD)                            \
  TARGET void kernel##SUFFIX(int64_t kc, const int16_t *ap,                   \
                             const int16_t *bp, int32_t *c, int64_t ldc,      \
                             const int32_t *bias) {                           \
    __m256i acc[kMR];                                                          \
    _Pragma("GCC unroll 8") for (int64_t r = 0; r < kMR; ++r) acc[r] =        \
        _mm256_setzero_si256();                                                \
    for (int64_t t = 0; t < kc; ++t) {                                         \
      __m256i b = _mm256_loadu_si256(                                          \
          reinterpret_cast<const __m256i *>(bp + t * kNR * 2));               \
      const int16_t *a = ap + t * kMR * 2;                                     \
      _Pragma("GCC unroll 8") for (int64_t r = 0; r < kMR; ++r) {             \
        int32_t w;                                                             \
        std::memcpy(&w, a + 2 * r, sizeof(w));                                 \
        acc[r] = MADD_ADD(acc[r], b, _mm256_set1_epi32(w));                    \
      }                                                                        \
    }                                                                          \
    _Pragma("GCC unroll 8") for (int64_t r = 0; r < kMR; ++r)                 \
        _mm256_storeu_si256(                                                   \
            reinterpret_cast<__m256i *>(c + r * ldc),                         \
            _mm256_add_epi32(                                                  \
                acc[r], bias ? _mm256_set1_epi32(bias[r])                      \
                             : _mm256_loadu_si256(                             \
                                   reinterpret_cast<const __m256i *>(         \
                                       c + r * ldc))));                       \
  }                                                                            \
  /* Four independent chains hide the multiply-add latency. */                 \
  TARGET void gemv##SUFFIX(int64_t pairs, const int16_t *ap,                  \
                           const int16_t *bp, int64_t lane,                   \
                           const int32_t *bias, int32_t *out) {               \
    __m256i a[4] = {                                                           \
        _mm256_loadu_si256(reinterpret_cast<const __m256i *>(bias)),          \
        _mm256_setzero_si256(), _mm256_setzero_si256(),                       \
        _mm256_setzero_si256()};                                               \
    const int16_t *b = bp + lane * 2;                                          \
    auto step = [&](int64_t t, int u) TARGET {                                 \
      a[u] = MADD_ADD(a[u],                                                    \
                      _mm256_loadu_si256(                                      \
                          reinterpret_cast<const __m256i *>(ap + t * kMR * 2)),\
                      _mm256_set1_epi32(word(b, t * kNR)));                    \
    };                                                                         \
    int64_t t = 0;                                                             \
    for (; t + 4 <= pairs; t += 4)                                             \
      _Pragma("GCC unroll 4") for (int u = 0; u < 4; ++u) step(t + u, u);      \
    for (; t < pairs; ++t)                                                     \
      step(t, 0);                                                              \
    __m256i s = _mm256_add_epi32(_mm256_add_epi32(a[0], a[1]),                \
                                 _mm256_add_epi32(a[2], a[3]));               \
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(out), s);                 \
  }

#define DLP_IGEMM_MADD_ADD_AVX2(acc, a, b)                                     \
  _mm256_add_epi32(acc, _mm256_madd_epi16(a, b))
DLP_IGEMM_KERNELS(Avx2, DLP_IGEMM_TARGET_AVX2, DLP_IGEMM_MADD_ADD_AVX2)

#define DLP_IGEMM_TARGET_VNNI                                                  \
  __attribute__((DLP_IGEMM_NO_PRE target("avx2,avx512f,avx512vl,avx512vnni")))
DLP_IGEMM_KERNELS(Vnni, DLP_IGEMM_TARGET_VNNI, _mm256_dpwssd_epi32)
#endif

struct KernelSet {
  KernelFn kernel;
  GemvFn gemv;
};

bool cpuHasAvx2() {
#if DLP_IGEMM_HAVE_AVX2
  return cpu().avx2;
#else
  return false;
#endif
}

bool cpuHasVnni() {
#if DLP_IGEMM_HAVE_AVX2
  return cpu().avx2 && cpu().avx512vl && cpu().avx512vnni;
#else
  return false;
#endif
}

KernelSet kernelsFor(Isa isa) {
#if DLP_IGEMM_HAVE_AVX2
  static const bool avx2 = cpuHasAvx2(), vnni = cpuHasVnni();
  if ((isa == Isa::Avx512Vnni || isa == Isa::Best) && vnni)
    return {kernelVnni, gemvVnni};
  if (isa != Isa::Generic && avx2)
    return {kernelAvx2, gemvAvx2};
#endif
  return {kernelGeneric, gemvGeneric};
}

/// Grow-only scratch for one thread's block of C.
int32_t *scratch(size_t count) {
  thread_local std::vector<int32_t> buffer;
  if (buffer.size() < count)
    buffer.resize(count);
  return buffer.data();
}

/// Threads for an m x n x k product (at least kMinMacsPerThread each).
int64_t threadsFor(int64_t m, int64_t n, int64_t k, int64_t numThreads) {
  return std::clamp<int64_t>(m * n * std::max<int64_t>(k, 1) /
                                 kMinMacsPerThread,
                             1, std::max<int64_t>(numThreads, 1));
}

/// Calls fn(ic, rows, jc, cols, c, ldc) once per kMC x NC block of an
/// m x n C, from up to `threads` threads, with c a thread-local scratch
/// block of whole kMR x kNR tiles (row stride ldc). With too few blocks for
/// the threads (a small tile), narrower blocks of columns: every partition
/// gives the same integers.
template <class Fn>
void forEachBlock(int64_t m, int64_t n, int64_t threads, Fn fn) {
  int64_t blocksM = ceilDiv(m, kMC), nc = kNC;
  if (threads > 1 && blocksM * ceilDiv(n, nc) < 2 * threads)
    nc = std::max(kNR, ceilDiv(ceilDiv(n, ceilDiv(2 * threads, blocksM)), kNR) *
                           kNR);
  int64_t blocksN = ceilDiv(n, nc);
  parallelForTasks(threads, blocksM * blocksN, [&](int64_t task) {
    int64_t ic = (task % blocksM) * kMC, jc = (task / blocksM) * nc;
    int64_t rows = std::min(kMC, m - ic), cols = std::min(nc, n - jc);
    int64_t ldc = ceilDiv(cols, kNR) * kNR;
    int32_t *c = scratch(size_t(ceilDiv(rows, kMR) * kMR * ldc));
    fn(ic, rows, jc, cols, c, ldc);
  });
}

} // namespace

bool igemm::isAvailable(Isa isa) {
  switch (isa) {
  case Isa::Avx2:
    return cpuHasAvx2();
  case Isa::Avx512Vnni:
    return cpuHasVnni();
  default:
    return true;
  }
}

Isa igemm::bestIsa() {
  return cpuHasVnni() ? Isa::Avx512Vnni : cpuHasAvx2() ? Isa::Avx2 : Isa::Generic;
}

void igemm::microKernel(Isa isa, int64_t pairs, const int16_t *ap,
                        const int16_t *bp, int32_t *c, int64_t ldc,
                        const int32_t *bias) {
  kernelsFor(isa).kernel(pairs, ap, bp, c, ldc, bias);
}

bool PackedA::pack(const int32_t *a, int64_t rows, int64_t depth,
                   int64_t lda) {
  values.clear();
  zeroPanel.clear();
  shifts.clear();
  m = k = 0;
  // Smallest shift per column that brings it into int16, if its values
  // share that power of two.
  std::vector<uint8_t> colShift(size_t(depth), 0);
  bool anyShift = false;
  for (int64_t kk = 0; kk < depth; ++kk) {
    int32_t hi = 0, lo = 0;
    uint32_t common = 0; // OR of the values: its trailing zeros are shared
    for (int64_t i = 0; i < rows; ++i) {
      int32_t v = a[i * lda + kk];
      hi = std::max(hi, v);
      lo = std::min(lo, v);
      common |= uint32_t(v);
    }
    int e = 0;
    while ((hi >> e) > INT16_MAX || (lo >> e) < INT16_MIN)
      ++e;
    if (e > kMaxColumnShift || common % (uint32_t(1) << e) != 0)
      return false;
    colShift[kk] = uint8_t(e);
    anyShift |= e > 0;
  }
  m = rows;
  k = depth;
  if (anyShift)
    shifts = std::move(colShift);
  values.assign(size_t(panels() * pairs() * kMR * 2), 0);
  zeroPanel.assign(size_t(panels()), 1);
  for (int64_t i = 0; i < m; ++i) {
    int16_t *dst = values.data() + (i / kMR) * pairs() * kMR * 2 + (i % kMR) * 2;
    for (int64_t kk = 0; kk < k; ++kk) {
      int16_t v = int16_t(a[i * lda + kk] / (int32_t(1) << columnShift(kk)));
      dst[(kk / 2) * kMR * 2 + (kk & 1)] = v;
      if (v)
        zeroPanel[size_t(i / kMR)] = 0;
    }
  }
  return true;
}

void igemm::packB(const int8_t *b, int64_t ldb, const BLayout &layout,
                  const PackedA &a, int16_t *dst, int64_t q0, int64_t q1) {
  int64_t k = layout.k, n = layout.n, pairs = layout.pairs();
  for (int64_t q = q0; q < q1; ++q) {
    int64_t j0 = q * kNR, cols = std::min(kNR, n - j0);
    int16_t *panel = dst + q * pairs * kNR * 2;
    for (int64_t t = 0; t < pairs; ++t) {
      int16_t *out = panel + t * kNR * 2;
      const int8_t *r0 = b + 2 * t * ldb + j0;
      const int8_t *r1 = 2 * t + 1 < k ? r0 + ldb : nullptr;
      int s0 = a.columnShift(2 * t), s1 = r1 ? a.columnShift(2 * t + 1) : 0;
      if (cols == kNR && r1 && s0 == 0 && s1 == 0) {
        for (int64_t j = 0; j < kNR; ++j) {
          out[2 * j] = r0[j];
          out[2 * j + 1] = r1[j];
        }
        continue;
      }
      for (int64_t j = 0; j < kNR; ++j) {
        out[2 * j] = j < cols ? int16_t(r0[j] * (1 << s0)) : 0;
        out[2 * j + 1] = j < cols && r1 ? int16_t(r1[j] * (1 << s1)) : 0;
      }
    }
  }
}

void igemm::packBTransposed(const int8_t *bt, int64_t ldbt,
                            const BLayout &layout, const PackedA &a,
                            int16_t *dst, int64_t q0, int64_t q1) {
  int64_t k = layout.k, n = layout.n, pairs = layout.pairs();
  bool shifts = a.hasColumnShifts();
  for (int64_t q = q0; q < q1; ++q) {
    int64_t j0 = q * kNR, cols = std::min(kNR, n - j0);
    int16_t *panel = dst + q * pairs * kNR * 2;
    for (int64_t j = 0; j < kNR; ++j) {
      int16_t *out = panel + j * 2;
      if (j >= cols) {
        for (int64_t t = 0; t < pairs; ++t)
          out[t * kNR * 2] = out[t * kNR * 2 + 1] = 0;
        continue;
      }
      const int8_t *src = bt + (j0 + j) * ldbt;
      if (!shifts) {
        for (int64_t t = 0; t < k / 2; ++t) {
          out[t * kNR * 2] = src[2 * t];
          out[t * kNR * 2 + 1] = src[2 * t + 1];
        }
      } else {
        for (int64_t t = 0; t < k / 2; ++t) {
          out[t * kNR * 2] = int16_t(src[2 * t] * (1 << a.columnShift(2 * t)));
          out[t * kNR * 2 + 1] =
              int16_t(src[2 * t + 1] * (1 << a.columnShift(2 * t + 1)));
        }
      }
      if (k & 1) {
        out[(k / 2) * kNR * 2] =
            int16_t(src[k - 1] * (1 << a.columnShift(k - 1)));
        out[(k / 2) * kNR * 2 + 1] = 0;
      }
    }
  }
}

void igemm::gemm(const PackedA &a, const int16_t *b, const BLayout &layout,
                 const int32_t *bias, Epilogue epilogue, int64_t numThreads,
                 Isa isa) {
  assert(a.depth() == layout.k && "operand depths differ");
  int64_t m = a.rows(), n = layout.n, pairs = layout.pairs();
  if (m <= 0 || n <= 0)
    return;
  KernelSet ks = kernelsFor(isa);
  std::vector<int32_t> biasPad(size_t(a.panels() * kMR), 0);
  if (bias)
    std::copy_n(bias, m, biasPad.begin());
  int64_t threads = threadsFor(m, n, layout.k, numThreads);

  if (n < kGemvMaxN) {
    int64_t tasks = ceilDiv(m, kMC);
    parallelForTasks(threads, tasks, [&](int64_t task) {
      int64_t i0 = task * kMC, rows = std::min(kMC, m - i0);
      int32_t block[kMC * kGemvMaxN], out[kMR];
      for (int64_t ir = 0; ir < rows; ir += kMR) {
        int64_t p = (i0 + ir) / kMR;
        for (int64_t j = 0; j < n; ++j) {
          if (a.panelIsZero(p))
            std::copy_n(biasPad.data() + p * kMR, kMR, out);
          else
            ks.gemv(pairs, a.panel(p), b + (j / kNR) * pairs * kNR * 2,
                    j % kNR, biasPad.data() + p * kMR, out);
          for (int64_t r = 0; r < std::min(kMR, rows - ir); ++r)
            block[(ir + r) * n + j] = out[r];
        }
      }
      epilogue(i0, rows, 0, n, block, n);
    });
    return;
  }

  forEachBlock(m, n, threads, [&](int64_t ic, int64_t rows, int64_t jc,
                                  int64_t cols, int32_t *c, int64_t ldc) {
    // An empty K still runs one (zero-length) slice, which stores the bias.
    for (int64_t pc = 0; pc < pairs || pc == 0; pc += kKC) {
      int64_t kc = std::min(kKC, pairs - pc);
      for (int64_t jr = 0; jr < cols; jr += kNR) {
        const int16_t *bp = b + (((jc + jr) / kNR) * pairs + pc) * kNR * 2;
        for (int64_t ir = 0; ir < rows; ir += kMR) {
          int64_t p = (ic + ir) / kMR;
          // A zero panel adds nothing: its tile is the bias (an empty
          // slice) from the first slice on.
          bool zero = a.panelIsZero(p);
          if (zero && pc != 0)
            continue;
          ks.kernel(zero ? 0 : kc, a.panel(p) + pc * kMR * 2, bp,
                    c + ir * ldc + jr, ldc,
                    pc == 0 ? biasPad.data() + p * kMR : nullptr);
        }
      }
    }
    epilogue(ic, rows, jc, cols, c, ldc);
  });
}

//===----------------------------------------------------------------------===//
// The int8 path
//===----------------------------------------------------------------------===//

namespace {

/// Quads of K per kernel call at most (a 16 KiB slice of an A panel and of
/// a B micro-panel).
constexpr int64_t kKC8 = 512;

/// c[kMR x kNR] = (load ? c : 0) + sum over `quads` quads of A words
/// (int8 x 4) times B words (uint8 x 4), then shifted left by `shift`; all
/// modulo 2^32.
using Kernel8Fn = void (*)(int64_t quads, const int8_t *ap, const uint8_t *bp,
                           int32_t *c, int64_t ldc, bool load, int shift);

void kernel8Generic(int64_t quads, const int8_t *ap, const uint8_t *bp,
                    int32_t *c, int64_t ldc, bool load, int shift) {
  uint32_t acc[kMR][kNR];
  for (int64_t r = 0; r < kMR; ++r)
    for (int64_t j = 0; j < kNR; ++j)
      acc[r][j] = load ? uint32_t(c[r * ldc + j]) : 0;
  for (int64_t t = 0; t < quads; ++t) {
    const int8_t *a = ap + t * kMR * 4;
    const uint8_t *b = bp + t * kNR * 4;
    for (int64_t r = 0; r < kMR; ++r)
      for (int64_t j = 0; j < kNR; ++j)
        for (int i = 0; i < 4; ++i)
          acc[r][j] += uint32_t(int32_t(a[4 * r + i]) * int32_t(b[4 * j + i]));
  }
  for (int64_t r = 0; r < kMR; ++r)
    for (int64_t j = 0; j < kNR; ++j)
      c[r * ldc + j] = int32_t(acc[r][j] << shift);
}

#if DLP_IGEMM_HAVE_AVX2
/// vpdpbusd: the non-saturating form, so sums wrap as the generic kernel's.
DLP_IGEMM_TARGET_VNNI void kernel8Vnni(int64_t quads, const int8_t *ap,
                                       const uint8_t *bp, int32_t *c,
                                       int64_t ldc, bool load, int shift) {
  __m256i acc[kMR];
  _Pragma("GCC unroll 8") for (int64_t r = 0; r < kMR; ++r) acc[r] =
      _mm256_setzero_si256();
  for (int64_t t = 0; t < quads; ++t) {
    __m256i b =
        _mm256_loadu_si256(reinterpret_cast<const __m256i *>(bp + t * kNR * 4));
    const int8_t *a = ap + t * kMR * 4;
    _Pragma("GCC unroll 8") for (int64_t r = 0; r < kMR; ++r) {
      int32_t w;
      std::memcpy(&w, a + 4 * r, sizeof(w));
      acc[r] = _mm256_dpbusd_epi32(acc[r], b, _mm256_set1_epi32(w));
    }
  }
  if (load)
    _Pragma("GCC unroll 8") for (int64_t r = 0; r < kMR; ++r) acc[r] =
        _mm256_add_epi32(acc[r], _mm256_loadu_si256(
                                     reinterpret_cast<const __m256i *>(c + r * ldc)));
  __m128i count = _mm_cvtsi32_si128(shift);
  _Pragma("GCC unroll 8") for (int64_t r = 0; r < kMR; ++r)
      _mm256_storeu_si256(reinterpret_cast<__m256i *>(c + r * ldc),
                          _mm256_sll_epi32(acc[r], count));
}
#endif

Kernel8Fn kernel8For(Isa isa) {
#if DLP_IGEMM_HAVE_AVX2
  static const bool vnni = cpuHasVnni();
  if (vnni && isa != Isa::Generic)
    return kernel8Vnni;
#endif
  return kernel8Generic;
}

} // namespace

bool igemm::int8Available() {
#if DLP_IGEMM_HAVE_AVX2
  // The simulator's int8 gather uses AVX-512BW masked byte loads.
  return cpuHasVnni() && cpu().avx512bw;
#else
  return false;
#endif
}

namespace {

void packB8Generic(const int8_t *bt, int64_t ldbt, const BLayout8 &layout,
                   uint8_t *dst, int64_t q0, int64_t q1) {
  int64_t quads = layout.quads();
  for (int64_t q = q0; q < q1; ++q) {
    uint8_t *panel = dst + q * quads * kNR * 4;
    for (int64_t j = 0; j < kNR; ++j) {
      int64_t col = q * kNR + j;
      const int8_t *src = col < layout.n ? bt + col * ldbt : nullptr;
      for (int64_t kk = 0; kk < layout.k; ++kk)
        panel[((kk / 4) * kNR + j) * 4 + (kk & 3)] =
            uint8_t((src ? src[kk] : 0) + 128);
    }
  }
}

#if DLP_IGEMM_HAVE_AVX2
/// 32 rows (8 quads) of 8 columns at a time as an 8 x 8 transpose of 32-bit
/// words; adding 128 to a byte is flipping its top bit.
DLP_IGEMM_TARGET_AVX2 void packB8Avx2(const int8_t *bt, int64_t ldbt,
                                      const BLayout8 &layout, uint8_t *dst,
                                      int64_t q0, int64_t q1) {
  int64_t quads = layout.quads();
  const __m256i flip = _mm256_set1_epi8(char(0x80));
  for (int64_t q = q0; q < q1; ++q) {
    uint8_t *panel = dst + q * quads * kNR * 4;
    const int8_t *src[kNR];
    for (int64_t j = 0; j < kNR; ++j)
      src[j] = q * kNR + j < layout.n ? bt + (q * kNR + j) * ldbt : nullptr;
    int64_t t = 0;
    for (; t + 8 <= quads; t += 8) {
      __m256i v[8];
      for (int j = 0; j < 8; ++j)
        v[j] = _mm256_xor_si256(
            src[j] ? _mm256_loadu_si256(
                         reinterpret_cast<const __m256i *>(src[j] + t * 4))
                   : _mm256_setzero_si256(),
            flip);
      // Rows of quads per column -> rows of columns per quad.
      transpose8x8(v);
      for (int i = 0; i < 8; ++i)
        _mm256_storeu_si256(
            reinterpret_cast<__m256i *>(panel + (t + i) * kNR * 4), v[i]);
    }
    for (; t < quads; ++t)
      for (int64_t j = 0; j < kNR; ++j) {
        uint32_t w = 0;
        if (src[j])
          std::memcpy(&w, src[j] + t * 4, 4);
        w ^= 0x80808080u;
        std::memcpy(panel + (t * kNR + j) * 4, &w, 4);
      }
  }
}
#endif

} // namespace

void igemm::packB8Transposed(const int8_t *bt, int64_t ldbt,
                             const BLayout8 &layout, uint8_t *dst, int64_t q0,
                             int64_t q1) {
#if DLP_IGEMM_HAVE_AVX2
  static const bool avx2 = cpuHasAvx2();
  if (avx2)
    return packB8Avx2(bt, ldbt, layout, dst, q0, q1);
#endif
  packB8Generic(bt, ldbt, layout, dst, q0, q1);
}

bool PackedA8::pack(const int8_t *w, int64_t rows, int64_t lda,
                    const std::vector<int64_t> &groupCols,
                    const std::vector<int> &groupExp) {
  values.clear();
  zeroPanel.clear();
  starts.clear();
  sliceList.clear();
  corr.clear();
  m = nq = 0;
  if (groupCols.size() != groupExp.size())
    return false;
  for (size_t g = 0; g < groupExp.size(); ++g)
    if (groupExp[g] < 0 || groupExp[g] > 31 ||
        (g && groupExp[g] >= groupExp[g - 1]) || groupCols[g] < 0)
      return false;
  int64_t quads = 0;
  for (size_t g = 0; g < groupCols.size(); ++g) {
    starts.push_back(quads * 4);
    int64_t q = ceilDiv(groupCols[g], 4);
    // Slices of at most kKC8 quads; the group's shift after its last (an
    // empty group still shifts: one slice of no quads).
    for (int64_t q0 = 0; q0 < q || q0 == 0; q0 += kKC8) {
      bool last = q0 + kKC8 >= q;
      int shift = !last ? 0
                  : g + 1 < groupExp.size() ? groupExp[g] - groupExp[g + 1]
                                            : groupExp[g];
      if (q > 0 || shift > 0)
        sliceList.push_back({quads + q0, std::min(kKC8, q - q0), shift});
    }
    quads += q;
  }
  m = rows;
  nq = quads;
  values.assign(size_t(panels() * nq * kMR * 4), 0);
  corr.assign(size_t(panels() * kMR), 0);
  zeroPanel.assign(size_t(panels()), 1);
  for (int64_t i = 0; i < m; ++i) {
    int8_t *dst = values.data() + (i / kMR) * nq * kMR * 4 + (i % kMR) * 4;
    int64_t col = 0;
    uint32_t sum = 0;
    for (size_t g = 0; g < groupCols.size(); ++g)
      for (int64_t c = 0; c < groupCols[g]; ++c, ++col) {
        int8_t v = w[i * lda + col];
        int64_t kk = starts[g] + c;
        dst[(kk / 4) * kMR * 4 + (kk & 3)] = v;
        if (v)
          zeroPanel[size_t(i / kMR)] = 0;
        sum += uint32_t(int32_t(v)) << groupExp[g];
      }
    corr[size_t(i)] = 0u - 128u * sum;
  }
  return true;
}

void igemm::gemm8(const PackedA8 &a, const uint8_t *b, const BLayout8 &layout,
                  const int32_t *bias, Epilogue epilogue, int64_t numThreads,
                  Isa isa) {
  assert(a.depth() == layout.k && "operand depths differ");
  int64_t m = a.rows(), n = layout.n, quads = layout.quads();
  if (m <= 0 || n <= 0)
    return;
  Kernel8Fn kernel = kernel8For(isa);
  std::vector<uint32_t> biasPad(a.correction(),
                                a.correction() + a.panels() * kMR);
  if (bias)
    for (int64_t i = 0; i < m; ++i)
      biasPad[size_t(i)] += uint32_t(bias[i]);
  int64_t threads = threadsFor(m, n, layout.k, numThreads);
  forEachBlock(m, n, threads, [&](int64_t ic, int64_t rows, int64_t jc,
                                  int64_t cols, int32_t *c, int64_t ldc) {
    int64_t rowsPad = ceilDiv(rows, kMR) * kMR;
    bool first = true;
    for (const Slice8 &sl : a.slices()) {
      for (int64_t jr = 0; jr < cols; jr += kNR) {
        const uint8_t *bp =
            b + (((jc + jr) / kNR) * quads + sl.quad0) * kNR * 4;
        for (int64_t ir = 0; ir < rows; ir += kMR) {
          // A zero panel's tile: zero from the first slice (no quads) on.
          bool zero = a.panelIsZero((ic + ir) / kMR);
          if (zero && !first)
            continue;
          kernel(zero ? 0 : sl.quads,
                 a.panel((ic + ir) / kMR) + sl.quad0 * kMR * 4, bp,
                 c + ir * ldc + jr, ldc, !first, sl.shift);
        }
      }
      first = false;
    }
    // Bias and the offset's correction, modulo 2^32.
    for (int64_t r = 0; r < rowsPad; ++r) {
      uint32_t add = biasPad[size_t(ic + r)];
      int32_t *cr = c + r * ldc;
      if (first) // no slices: an empty K
        std::fill(cr, cr + ldc, 0);
      for (int64_t j = 0; j < ldc; ++j)
        cr[j] = int32_t(uint32_t(cr[j]) + add);
    }
    epilogue(ic, rows, jc, cols, c, ldc);
  });
}
