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

#include <algorithm>
#include <cassert>
#include <cstring>
#include <vector>

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define DLP_IGEMM_HAVE_AVX2 1
#define DLP_IGEMM_TARGET_AVX2 __attribute__((target("avx2")))
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
        bias ? _mm256_set1_epi32(bias[r])                                      \
             : _mm256_loadu_si256(                                             \
                   reinterpret_cast<const __m256i *>(c + r * ldc));           \
    for (int64_t t = 0; t < kc; ++t) {                                         \
      __m256i b = _mm256_loadu_si256(                                          \
          reinterpret_cast<const __m256i *>(bp + t * kNR * 2));               \
      _Pragma("GCC unroll 8") for (int64_t r = 0; r < kMR; ++r) acc[r] =      \
          MADD_ADD(acc[r], _mm256_set1_epi32(word(ap, t * kMR + r)), b);       \
    }                                                                          \
    _Pragma("GCC unroll 8") for (int64_t r = 0; r < kMR; ++r)                 \
        _mm256_storeu_si256(reinterpret_cast<__m256i *>(c + r * ldc), acc[r]); \
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
  __attribute__((target("avx2,avx512f,avx512vl,avx512vnni")))
DLP_IGEMM_KERNELS(Vnni, DLP_IGEMM_TARGET_VNNI, _mm256_dpwssd_epi32)
#endif

struct KernelSet {
  KernelFn kernel;
  GemvFn gemv;
};

bool cpuHasAvx2() {
#if DLP_IGEMM_HAVE_AVX2
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2");
#else
  return false;
#endif
}

bool cpuHasVnni() {
#if DLP_IGEMM_HAVE_AVX2
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("avx512f") &&
         __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512vnni");
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
  for (int64_t i = 0; i < m; ++i) {
    int16_t *dst = values.data() + (i / kMR) * pairs() * kMR * 2 + (i % kMR) * 2;
    for (int64_t kk = 0; kk < k; ++kk)
      dst[(kk / 2) * kMR * 2 + (kk & 1)] =
          int16_t(a[i * lda + kk] / (int32_t(1) << columnShift(kk)));
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
  int64_t threads = std::clamp<int64_t>(
      m * n * std::max<int64_t>(layout.k, 1) / kMinMacsPerThread, 1,
      std::max<int64_t>(numThreads, 1));

  if (n < kGemvMaxN) {
    int64_t tasks = ceilDiv(m, kMC);
    parallelForTasks(threads, tasks, [&](int64_t task) {
      int64_t i0 = task * kMC, rows = std::min(kMC, m - i0);
      int32_t block[kMC * kGemvMaxN], out[kMR];
      for (int64_t ir = 0; ir < rows; ir += kMR) {
        int64_t p = (i0 + ir) / kMR;
        for (int64_t j = 0; j < n; ++j) {
          ks.gemv(pairs, a.panel(p), b + (j / kNR) * pairs * kNR * 2, j % kNR,
                  biasPad.data() + p * kMR, out);
          for (int64_t r = 0; r < std::min(kMR, rows - ir); ++r)
            block[(ir + r) * n + j] = out[r];
        }
      }
      epilogue(i0, rows, 0, n, block, n);
    });
    return;
  }

  // With too few blocks for the threads (a small tile), narrower blocks of
  // columns: every partition gives the same integers.
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
    // An empty K still runs one (zero-length) slice, which stores the bias.
    for (int64_t pc = 0; pc < pairs || pc == 0; pc += kKC) {
      int64_t kc = std::min(kKC, pairs - pc);
      for (int64_t jr = 0; jr < cols; jr += kNR) {
        const int16_t *bp = b + (((jc + jr) / kNR) * pairs + pc) * kNR * 2;
        for (int64_t ir = 0; ir < rows; ir += kMR) {
          int64_t p = (ic + ir) / kMR;
          ks.kernel(kc, a.panel(p) + pc * kMR * 2, bp, c + ir * ldc + jr, ldc,
                    pc == 0 ? biasPad.data() + p * kMR : nullptr);
        }
      }
    }
    epilogue(ic, rows, jc, cols, c, ldc);
  });
}
