//===- FloatGemm.cpp - Blocked single-precision GEMM ----------------------===//
//
// A BLIS-style SGEMM for the float kernels (the float evaluator and the
// runtime's host float segments). For each output tile the loops
// are, outermost first:
//
//   jc: NC-wide column blocks of C   (KC x NC block of B packed, lives in L3)
//   pc: KC-deep slices of K          (beta applied on the first slice only)
//   ic: MC-tall row blocks of C      (MC x KC block of A packed, lives in L2)
//   jr: NR-wide micro-panels of B    (KC x NR micro-panel stays in L1)
//   ir: MR-tall micro-panels of A    -> MR x NR register-blocked micro-kernel
//
// The micro-kernel is 6x16 with AVX2+FMA intrinsics (plus a 6x8 variant for
// narrow right-hand edges), selected at run time; a portable kernel is used
// otherwise. Matrix-vector shapes (M == 1 or N == 1) take a dedicated GEMV
// path. Multithreading splits C into a grid of output tiles over M and N
// (a few per thread, each packing its own panels) that the caller and the
// other threads (parallelForTasks) claim from a shared atomic counter.
//
//===----------------------------------------------------------------------===//

#include "dlprt/kernels/FloatGemm.h"
#include "dlprt/kernels/Parallel.h"

#include "Cpu.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/MemAlloc.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <vector>

// Defining DLP_GEMM_NO_AVX2 builds only the portable kernels (to test them).
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__)) &&         \
    !defined(DLP_GEMM_NO_AVX2)
#include <immintrin.h>
#define DLP_GEMM_HAVE_AVX2_KERNELS 1
#define DLP_GEMM_TARGET_AVX2 __attribute__((target("avx2,fma")))
#else
#define DLP_GEMM_HAVE_AVX2_KERNELS 0
#endif

using namespace dlprt;
using namespace dlprt::kernels;

namespace {

//===----------------------------------------------------------------------===//
// Blocking parameters
//===----------------------------------------------------------------------===//

/// Register tile of the micro-kernel: 6 rows x 16 columns = 12 ymm
/// accumulators, leaving 4 registers for the B row and the A broadcast.
constexpr int64_t kMR = 6;
constexpr int64_t kNR = 16;

/// Cache blocking tuned for a Zen3-class core (32 KiB L1d, 512 KiB L2):
/// a KC x NR micro-panel of packed B is 16 KiB (half of L1), an MC x KC block
/// of packed A is 144 KiB (well inside L2 next to the B stream), and a KC x NC
/// block of packed B is 2 MiB (a share of the L3).
constexpr int64_t kMC = 144;
constexpr int64_t kKC = 256;
constexpr int64_t kNC = 2048;

/// Minimum multiply-adds per thread before work is shared. Handing work to
/// a sleeping thread costs tens of microseconds in a VM whose idle vCPUs halt
/// (measured 20-60 us for a round trip on an idle Firecracker guest); the
/// OpenMP team behind parallelForTasks spins between fork-joins, so a share
/// only has to beat the spinning hand-off: 512K multiply-adds are ~10 us of
/// GEMM. (With sleeping llvm::ThreadPool workers the measured break-even was
/// ~4M multiply-adds.)
constexpr int64_t kMinMacsPerThread = int64_t(1) << 19;

/// Work is split into at most this many tiles per thread, each at least
/// kMinMacsPerTile multiply-adds (~10 us).
constexpr int64_t kMaxTilesPerThread = 4;
constexpr int64_t kMinMacsPerTile = int64_t(1) << 19;

/// GEMV work is split in multiples of this many outputs.
constexpr int64_t kGemvChunk = 64;

/// Outputs per accumulator block of the AXPY-form GEMV (4 KiB, stays in L1
/// while whole rows of the matrix stream past it).
constexpr int64_t kAxpyBlock = 1024;

/// Alignment of the packing buffers (one cache line).
constexpr size_t kBufferAlign = 64;

/// How many rows ahead packing prefetches when it walks a matrix row by row.
constexpr int64_t kPrefetchRows = 2;

inline void prefetch(const float *p) {
#if defined(__GNUC__)
  __builtin_prefetch(p);
#else
  (void)p;
#endif
}

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t roundUp(int64_t a, int64_t b) { return ceilDiv(a, b) * b; }

/// Splits `total` into ceil(total / maxStep) nearly equal steps, rounded up to
/// a multiple of `align`, so that no trailing block is tiny.
int64_t balancedStep(int64_t total, int64_t maxStep, int64_t align) {
  int64_t parts = ceilDiv(total, maxStep);
  return roundUp(ceilDiv(total, parts), align);
}

//===----------------------------------------------------------------------===//
// Scratch memory
//===----------------------------------------------------------------------===//

/// A grow-only, cache-line aligned float buffer. Used as thread_local packing
/// storage so that repeated calls do not allocate. A buffer is only used
/// within one tile task, which never blocks, so tasks cannot interleave on it.
class ScratchBuffer {
public:
  ScratchBuffer() = default;
  ScratchBuffer(const ScratchBuffer &) = delete;
  ScratchBuffer &operator=(const ScratchBuffer &) = delete;
  ~ScratchBuffer() { release(); }

  /// Returns storage for at least `count` floats; contents are unspecified.
  float *get(int64_t count) {
    size_t needed = static_cast<size_t>(count);
    if (needed > capacity) {
      size_t grown = std::max(needed, capacity + capacity / 2);
      release();
      capacity = grown;
      data = static_cast<float *>(
          llvm::allocate_buffer(capacity * sizeof(float), kBufferAlign));
    }
    return data;
  }

private:
  void release() {
    if (data)
      llvm::deallocate_buffer(data, capacity * sizeof(float), kBufferAlign);
    data = nullptr;
    capacity = 0;
  }

  float *data = nullptr;
  size_t capacity = 0;
};

//===----------------------------------------------------------------------===//
// Parallel driver
//===----------------------------------------------------------------------===//

/// Usable thread count for `macs` multiply-adds: at most `maxThreads`, with
/// at least kMinMacsPerThread for each thread.
int64_t threadsFor(int64_t maxThreads, int64_t macs) {
  return std::clamp<int64_t>(macs / kMinMacsPerThread, 1,
                             std::max<int64_t>(1, maxThreads));
}

//===----------------------------------------------------------------------===//
// Packing
//===----------------------------------------------------------------------===//

/// Packs one micro-panel of op(A) = A: `mr` rows starting at `src` with
/// stride `lda`, interleaved so that each k holds MR consecutive row values
/// (rows past `mr` are zero so the micro-kernel can compute a full tile).
void packAPanelFromRows(const float *src, int64_t lda, int64_t mr, int64_t kc,
                        float *out) {
  if (mr == kMR) {
    const float *r0 = src, *r1 = src + lda, *r2 = src + 2 * lda,
                *r3 = src + 3 * lda, *r4 = src + 4 * lda, *r5 = src + 5 * lda;
    for (int64_t k = 0; k < kc; ++k, out += kMR) {
      out[0] = r0[k];
      out[1] = r1[k];
      out[2] = r2[k];
      out[3] = r3[k];
      out[4] = r4[k];
      out[5] = r5[k];
    }
    return;
  }
  for (int64_t k = 0; k < kc; ++k, out += kMR) {
    int64_t r = 0;
    for (; r < mr; ++r)
      out[r] = src[r * lda + k];
    for (; r < kMR; ++r)
      out[r] = 0.0f;
  }
}

/// Packs one micro-panel of op(B) = B^T: `nr` columns of op(B), i.e. stored
/// rows starting at `src` with stride `ldb`, each contiguous in k.
void packBPanelFromRows(const float *src, int64_t ldb, int64_t nr, int64_t kc,
                        float *out) {
  int64_t j = 0;
  for (; j < nr; ++j) {
    const float *col = src + j * ldb;
    for (int64_t k = 0; k < kc; ++k)
      out[k * kNR + j] = col[k];
  }
  for (; j < kNR; ++j)
    for (int64_t k = 0; k < kc; ++k)
      out[k * kNR + j] = 0.0f;
}

/// Packs the stored rows [p0, p0 + kc) x columns [q0, q0 + width) of a
/// matrix whose stored rows run along the micro-panel direction (op(A) =
/// A^T, or op(B) = B) into `panelWidth`-wide micro-panels. Each stored row
/// is read contiguously and scattered over the panels; walking panel by
/// panel instead would touch a new page for every k.
template <int64_t panelWidth>
void packPanelsFromColumns(const float *src, int64_t ld, int64_t p0, int64_t kc,
                           int64_t q0, int64_t width, float *dst) {
  int64_t fullWidth = width / panelWidth * panelWidth;
  for (int64_t k = 0; k < kc; ++k) {
    const float *row = src + (p0 + k) * ld + q0;
    // Each row is short; without help the hardware prefetcher restarts on
    // every row. Fetch the row kPrefetchRows ahead line by line.
    const float *ahead =
        k + kPrefetchRows < kc ? row + kPrefetchRows * ld : nullptr;
    float *out = dst + k * panelWidth;
    int64_t q = 0;
    for (; q < fullWidth; q += panelWidth, out += panelWidth * kc) {
      if (ahead)
        prefetch(ahead + q);
      std::memcpy(out, row + q, panelWidth * sizeof(float));
    }
    if (q < width) {
      int64_t j = 0;
      for (; j < width - q; ++j)
        out[j] = row[q + j];
      for (; j < panelWidth; ++j)
        out[j] = 0.0f;
    }
  }
}

/// Packs rows [i0, i0 + mc) x columns [p0, p0 + kc) of op(A) into MR-row
/// micro-panels (see packAPanelFromRows).
using PackAFn = void (*)(bool transA, const float *a, int64_t lda, int64_t i0,
                         int64_t mc, int64_t p0, int64_t kc, float *dst);

/// Packs rows [p0, p0 + kc) x columns [j0, j0 + nc) of op(B) into NR-column
/// micro-panels: for each k, NR consecutive column values; columns past `nc`
/// are zero.
using PackBFn = void (*)(bool transB, const float *b, int64_t ldb, int64_t p0,
                         int64_t kc, int64_t j0, int64_t nc, float *dst);

void packAGeneric(bool transA, const float *a, int64_t lda, int64_t i0,
                  int64_t mc, int64_t p0, int64_t kc, float *dst) {
  if (transA)
    return packPanelsFromColumns<kMR>(a, lda, p0, kc, i0, mc, dst);
  for (int64_t ir = 0; ir < mc; ir += kMR, dst += kMR * kc)
    packAPanelFromRows(a + (i0 + ir) * lda + p0, lda, std::min(kMR, mc - ir),
                       kc, dst);
}

void packBGeneric(bool transB, const float *b, int64_t ldb, int64_t p0,
                  int64_t kc, int64_t j0, int64_t nc, float *dst) {
  if (!transB)
    return packPanelsFromColumns<kNR>(b, ldb, p0, kc, j0, nc, dst);
  for (int64_t jr = 0; jr < nc; jr += kNR, dst += kNR * kc)
    packBPanelFromRows(b + (j0 + jr) * ldb + p0, ldb, std::min(kNR, nc - jr),
                       kc, dst);
}

#if DLP_GEMM_HAVE_AVX2_KERNELS

/// In-place transpose of the 8x8 block held in v[0..7] (row t in v[t]).
DLP_GEMM_TARGET_AVX2 inline void transpose8x8(__m256 v[8]) {
  __m256 t0 = _mm256_unpacklo_ps(v[0], v[1]),
         t1 = _mm256_unpackhi_ps(v[0], v[1]);
  __m256 t2 = _mm256_unpacklo_ps(v[2], v[3]),
         t3 = _mm256_unpackhi_ps(v[2], v[3]);
  __m256 t4 = _mm256_unpacklo_ps(v[4], v[5]),
         t5 = _mm256_unpackhi_ps(v[4], v[5]);
  __m256 t6 = _mm256_unpacklo_ps(v[6], v[7]),
         t7 = _mm256_unpackhi_ps(v[6], v[7]);
  __m256 s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
  __m256 s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
  __m256 s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 s4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
  __m256 s5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 s6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
  __m256 s7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
  v[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
  v[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
  v[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
  v[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
  v[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
  v[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
  v[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
  v[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

/// packA with the row interleave of full micro-panels done by 8x8 register
/// transposes (the scalar version is load/store bound when N is small).
DLP_GEMM_TARGET_AVX2 void packAAvx2(bool transA, const float *a, int64_t lda,
                                    int64_t i0, int64_t mc, int64_t p0,
                                    int64_t kc, float *dst) {
  if (transA)
    return packAGeneric(transA, a, lda, i0, mc, p0, kc, dst);
  for (int64_t ir = 0; ir < mc; ir += kMR, dst += kMR * kc) {
    const float *src = a + (i0 + ir) * lda + p0;
    if (mc - ir < kMR) {
      packAPanelFromRows(src, lda, mc - ir, kc, dst);
      continue;
    }
    int64_t k = 0;
    for (; k + 8 <= kc; k += 8) {
      __m256 v[8];
#pragma GCC unroll 6
      for (int r = 0; r < kMR; ++r)
        v[r] = _mm256_loadu_ps(src + r * lda + k);
      v[6] = v[7] = _mm256_setzero_ps();
      transpose8x8(v);
      // v[t] holds the 6 row values of k + t (plus 2 junk lanes that the
      // next store overwrites); the last one is stored exactly.
      float *out = dst + k * kMR;
#pragma GCC unroll 7
      for (int t = 0; t < 7; ++t)
        _mm256_storeu_ps(out + t * kMR, v[t]);
      _mm_storeu_ps(out + 7 * kMR, _mm256_castps256_ps128(v[7]));
      _mm_storel_pi(reinterpret_cast<__m64 *>(out + 7 * kMR + 4),
                    _mm256_extractf128_ps(v[7], 1));
    }
    for (; k < kc; ++k)
      for (int64_t r = 0; r < kMR; ++r)
        dst[k * kMR + r] = src[r * lda + k];
  }
}

/// packB with the transposition of full micro-panels of B^T done by 8x8
/// register transposes.
DLP_GEMM_TARGET_AVX2 void packBAvx2(bool transB, const float *b, int64_t ldb,
                                    int64_t p0, int64_t kc, int64_t j0,
                                    int64_t nc, float *dst) {
  if (!transB)
    return packBGeneric(transB, b, ldb, p0, kc, j0, nc, dst);
  for (int64_t jr = 0; jr < nc; jr += kNR, dst += kNR * kc) {
    const float *src = b + (j0 + jr) * ldb + p0;
    if (nc - jr < kNR) {
      packBPanelFromRows(src, ldb, nc - jr, kc, dst);
      continue;
    }
    int64_t k = 0;
    for (; k + 8 <= kc; k += 8) {
#pragma GCC unroll 2
      for (int h = 0; h < 2; ++h) {
        __m256 v[8];
#pragma GCC unroll 8
        for (int t = 0; t < 8; ++t)
          v[t] = _mm256_loadu_ps(src + (8 * h + t) * ldb + k);
        transpose8x8(v);
#pragma GCC unroll 8
        for (int t = 0; t < 8; ++t)
          _mm256_storeu_ps(dst + (k + t) * kNR + 8 * h, v[t]);
      }
    }
    for (; k < kc; ++k)
      for (int64_t j = 0; j < kNR; ++j)
        dst[k * kNR + j] = src[j * ldb + k];
  }
}

#endif // DLP_GEMM_HAVE_AVX2_KERNELS

//===----------------------------------------------------------------------===//
// Micro-kernels
//===----------------------------------------------------------------------===//

/// C[mr x nr] = alpha * A_panel * B_panel + beta * C for one register tile.
/// `ap` is a packed MR x kc micro-panel, `bp` a packed kc x NR micro-panel.
/// C is not read when beta == 0.
using MicroKernelFn = void (*)(int64_t kc, const float *ap, const float *bp,
                               float *c, int64_t ldc, float alpha, float beta,
                               int64_t mr, int64_t nr);

/// Writes the valid `mr x nr` part of an accumulator tile to C.
void storeTile(const float *tile, int64_t ldt, float *c, int64_t ldc,
               float alpha, float beta, int64_t mr, int64_t nr) {
  for (int64_t r = 0; r < mr; ++r) {
    const float *t = tile + r * ldt;
    float *out = c + r * ldc;
    if (beta == 0.0f) {
      for (int64_t j = 0; j < nr; ++j)
        out[j] = alpha * t[j];
    } else {
      for (int64_t j = 0; j < nr; ++j)
        out[j] = alpha * t[j] + beta * out[j];
    }
  }
}

/// Portable micro-kernel; written so that compilers can vectorize the inner
/// 16-wide loop with whatever vector ISA the baseline target has.
void microKernelGeneric(int64_t kc, const float *ap, const float *bp, float *c,
                        int64_t ldc, float alpha, float beta, int64_t mr,
                        int64_t nr) {
  float acc[kMR][kNR] = {};
  for (int64_t k = 0; k < kc; ++k, ap += kMR, bp += kNR) {
    for (int64_t r = 0; r < kMR; ++r) {
      float av = ap[r];
      for (int64_t j = 0; j < kNR; ++j)
        acc[r][j] += av * bp[j];
    }
  }
  storeTile(&acc[0][0], kNR, c, ldc, alpha, beta, mr, nr);
}

#if DLP_GEMM_HAVE_AVX2_KERNELS

/// Stores one 8-wide row segment of a full tile: c = alpha * v + beta * c.
DLP_GEMM_TARGET_AVX2 inline void storeVec(float *c, __m256 v, __m256 alpha,
                                          __m256 beta, bool readC) {
  v = _mm256_mul_ps(v, alpha);
  if (readC)
    v = _mm256_fmadd_ps(beta, _mm256_loadu_ps(c), v);
  _mm256_storeu_ps(c, v);
}

/// AVX2+FMA micro-kernel computing 6 x (8 * NV) outputs: NV == 2 is the main
/// 6x16 kernel, NV == 1 serves right-hand edges at most 8 columns wide.
template <int NV>
DLP_GEMM_TARGET_AVX2 void
microKernelAvx2(int64_t kc, const float *ap, const float *bp, float *c,
                int64_t ldc, float alpha, float beta, int64_t mr, int64_t nr) {
  static_assert(NV == 1 || NV == 2, "kernel is 8 or 16 columns wide");
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();

#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; ++k) {
    __m256 b0 = _mm256_load_ps(bp);
    __m256 b1 = NV == 2 ? _mm256_load_ps(bp + 8) : b0;
    __m256 av;
    av = _mm256_broadcast_ss(ap + 0);
    c00 = _mm256_fmadd_ps(av, b0, c00);
    if (NV == 2)
      c01 = _mm256_fmadd_ps(av, b1, c01);
    av = _mm256_broadcast_ss(ap + 1);
    c10 = _mm256_fmadd_ps(av, b0, c10);
    if (NV == 2)
      c11 = _mm256_fmadd_ps(av, b1, c11);
    av = _mm256_broadcast_ss(ap + 2);
    c20 = _mm256_fmadd_ps(av, b0, c20);
    if (NV == 2)
      c21 = _mm256_fmadd_ps(av, b1, c21);
    av = _mm256_broadcast_ss(ap + 3);
    c30 = _mm256_fmadd_ps(av, b0, c30);
    if (NV == 2)
      c31 = _mm256_fmadd_ps(av, b1, c31);
    av = _mm256_broadcast_ss(ap + 4);
    c40 = _mm256_fmadd_ps(av, b0, c40);
    if (NV == 2)
      c41 = _mm256_fmadd_ps(av, b1, c41);
    av = _mm256_broadcast_ss(ap + 5);
    c50 = _mm256_fmadd_ps(av, b0, c50);
    if (NV == 2)
      c51 = _mm256_fmadd_ps(av, b1, c51);
    ap += kMR;
    bp += kNR;
  }

  if (mr == kMR && nr == 8 * NV) {
    __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
    bool readC = beta != 0.0f;
    storeVec(c + 0 * ldc, c00, va, vb, readC);
    storeVec(c + 1 * ldc, c10, va, vb, readC);
    storeVec(c + 2 * ldc, c20, va, vb, readC);
    storeVec(c + 3 * ldc, c30, va, vb, readC);
    storeVec(c + 4 * ldc, c40, va, vb, readC);
    storeVec(c + 5 * ldc, c50, va, vb, readC);
    if (NV == 2) {
      storeVec(c + 0 * ldc + 8, c01, va, vb, readC);
      storeVec(c + 1 * ldc + 8, c11, va, vb, readC);
      storeVec(c + 2 * ldc + 8, c21, va, vb, readC);
      storeVec(c + 3 * ldc + 8, c31, va, vb, readC);
      storeVec(c + 4 * ldc + 8, c41, va, vb, readC);
      storeVec(c + 5 * ldc + 8, c51, va, vb, readC);
    }
    return;
  }

  // Edge tile: spill the accumulators and copy the valid part.
  alignas(32) float tile[kMR * kNR];
  _mm256_store_ps(tile + 0 * kNR, c00);
  _mm256_store_ps(tile + 1 * kNR, c10);
  _mm256_store_ps(tile + 2 * kNR, c20);
  _mm256_store_ps(tile + 3 * kNR, c30);
  _mm256_store_ps(tile + 4 * kNR, c40);
  _mm256_store_ps(tile + 5 * kNR, c50);
  if (NV == 2) {
    _mm256_store_ps(tile + 0 * kNR + 8, c01);
    _mm256_store_ps(tile + 1 * kNR + 8, c11);
    _mm256_store_ps(tile + 2 * kNR + 8, c21);
    _mm256_store_ps(tile + 3 * kNR + 8, c31);
    _mm256_store_ps(tile + 4 * kNR + 8, c41);
    _mm256_store_ps(tile + 5 * kNR + 8, c51);
  }
  storeTile(tile, kNR, c, ldc, alpha, beta, mr, nr);
}

#endif // DLP_GEMM_HAVE_AVX2_KERNELS

//===----------------------------------------------------------------------===//
// GEMV kernels
//===----------------------------------------------------------------------===//

/// Dot form: y[i * incY] = alpha * sum_k mat[i * ldm + k] * x[k] +
/// beta * y[i * incY] for i in [i0, i1); rows of `mat` are contiguous in k.
using GemvDotFn = void (*)(int64_t i0, int64_t i1, int64_t k, float alpha,
                           const float *mat, int64_t ldm, const float *x,
                           float beta, float *y, int64_t incY);

/// AXPY form: y[i * incY] = alpha * sum_k x[k] * mat[k * ldm + i] +
/// beta * y[i * incY] for i in [i0, i1); rows of `mat` are contiguous in i.
using GemvAxpyFn = GemvDotFn;

inline void storeScalar(float *y, float sum, float alpha, float beta) {
  *y = beta == 0.0f ? alpha * sum : alpha * sum + beta * *y;
}

void gemvDotGeneric(int64_t i0, int64_t i1, int64_t k, float alpha,
                    const float *mat, int64_t ldm, const float *x, float beta,
                    float *y, int64_t incY) {
  constexpr int64_t kLanes = 8;
  for (int64_t i = i0; i < i1; ++i) {
    const float *row = mat + i * ldm;
    float lanes[kLanes] = {};
    int64_t p = 0;
    for (; p + kLanes <= k; p += kLanes)
      for (int64_t l = 0; l < kLanes; ++l)
        lanes[l] += row[p + l] * x[p + l];
    float sum = 0.0f;
    for (; p < k; ++p)
      sum += row[p] * x[p];
    for (int64_t l = 0; l < kLanes; ++l)
      sum += lanes[l];
    storeScalar(y + i * incY, sum, alpha, beta);
  }
}

void gemvAxpyGeneric(int64_t i0, int64_t i1, int64_t k, float alpha,
                     const float *mat, int64_t ldm, const float *x, float beta,
                     float *y, int64_t incY) {
  alignas(64) float acc[kAxpyBlock];
  for (int64_t ib = i0; ib < i1; ib += kAxpyBlock) {
    int64_t width = std::min(kAxpyBlock, i1 - ib);
    std::fill(acc, acc + width, 0.0f);
    for (int64_t p = 0; p < k; ++p) {
      const float *row = mat + p * ldm + ib;
      float xv = x[p];
      for (int64_t j = 0; j < width; ++j)
        acc[j] += xv * row[j];
    }
    for (int64_t j = 0; j < width; ++j)
      storeScalar(y + (ib + j) * incY, acc[j], alpha, beta);
  }
}

#if DLP_GEMM_HAVE_AVX2_KERNELS

DLP_GEMM_TARGET_AVX2 inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

DLP_GEMM_TARGET_AVX2 void gemvDotAvx2(int64_t i0, int64_t i1, int64_t k,
                                      float alpha, const float *mat,
                                      int64_t ldm, const float *x, float beta,
                                      float *y, int64_t incY) {
  int64_t i = i0;
  // Four rows at a time, two accumulators each, share every load of x.
  for (; i + 4 <= i1; i += 4) {
    const float *r0 = mat + i * ldm, *r1 = r0 + ldm, *r2 = r1 + ldm,
                *r3 = r2 + ldm;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    __m256 a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    __m256 b0 = _mm256_setzero_ps(), b1 = _mm256_setzero_ps();
    __m256 b2 = _mm256_setzero_ps(), b3 = _mm256_setzero_ps();
    int64_t p = 0;
    for (; p + 16 <= k; p += 16) {
      __m256 x0 = _mm256_loadu_ps(x + p), x1 = _mm256_loadu_ps(x + p + 8);
      a0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + p), x0, a0);
      a1 = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + p), x0, a1);
      a2 = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + p), x0, a2);
      a3 = _mm256_fmadd_ps(_mm256_loadu_ps(r3 + p), x0, a3);
      b0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + p + 8), x1, b0);
      b1 = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + p + 8), x1, b1);
      b2 = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + p + 8), x1, b2);
      b3 = _mm256_fmadd_ps(_mm256_loadu_ps(r3 + p + 8), x1, b3);
    }
    for (; p + 8 <= k; p += 8) {
      __m256 x0 = _mm256_loadu_ps(x + p);
      a0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + p), x0, a0);
      a1 = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + p), x0, a1);
      a2 = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + p), x0, a2);
      a3 = _mm256_fmadd_ps(_mm256_loadu_ps(r3 + p), x0, a3);
    }
    float s0 = hsum(_mm256_add_ps(a0, b0)), s1 = hsum(_mm256_add_ps(a1, b1));
    float s2 = hsum(_mm256_add_ps(a2, b2)), s3 = hsum(_mm256_add_ps(a3, b3));
    for (; p < k; ++p) {
      s0 += r0[p] * x[p];
      s1 += r1[p] * x[p];
      s2 += r2[p] * x[p];
      s3 += r3[p] * x[p];
    }
    storeScalar(y + (i + 0) * incY, s0, alpha, beta);
    storeScalar(y + (i + 1) * incY, s1, alpha, beta);
    storeScalar(y + (i + 2) * incY, s2, alpha, beta);
    storeScalar(y + (i + 3) * incY, s3, alpha, beta);
  }
  for (; i < i1; ++i) {
    const float *row = mat + i * ldm;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int64_t p = 0;
    for (; p + 16 <= k; p += 16) {
      a0 =
          _mm256_fmadd_ps(_mm256_loadu_ps(row + p), _mm256_loadu_ps(x + p), a0);
      a1 = _mm256_fmadd_ps(_mm256_loadu_ps(row + p + 8),
                           _mm256_loadu_ps(x + p + 8), a1);
    }
    float sum = hsum(_mm256_add_ps(a0, a1));
    for (; p < k; ++p)
      sum += row[p] * x[p];
    storeScalar(y + i * incY, sum, alpha, beta);
  }
}

DLP_GEMM_TARGET_AVX2 void gemvAxpyAvx2(int64_t i0, int64_t i1, int64_t k,
                                       float alpha, const float *mat,
                                       int64_t ldm, const float *x, float beta,
                                       float *y, int64_t incY) {
  alignas(64) float acc[kAxpyBlock];
  for (int64_t ib = i0; ib < i1; ib += kAxpyBlock) {
    int64_t width = std::min(kAxpyBlock, i1 - ib);
    int64_t vecWidth = width / 8 * 8;
    std::fill(acc, acc + width, 0.0f);
    int64_t p = 0;
    // Four rows per sweep over the accumulators; each element still adds
    // its terms in increasing k.
    for (; p + 4 <= k; p += 4) {
      const float *r0 = mat + p * ldm + ib, *r1 = r0 + ldm, *r2 = r1 + ldm,
                  *r3 = r2 + ldm;
      __m256 x0 = _mm256_broadcast_ss(x + p),
             x1 = _mm256_broadcast_ss(x + p + 1);
      __m256 x2 = _mm256_broadcast_ss(x + p + 2),
             x3 = _mm256_broadcast_ss(x + p + 3);
      int64_t j = 0;
      for (; j < vecWidth; j += 8) {
        __m256 v = _mm256_load_ps(acc + j);
        v = _mm256_fmadd_ps(x0, _mm256_loadu_ps(r0 + j), v);
        v = _mm256_fmadd_ps(x1, _mm256_loadu_ps(r1 + j), v);
        v = _mm256_fmadd_ps(x2, _mm256_loadu_ps(r2 + j), v);
        v = _mm256_fmadd_ps(x3, _mm256_loadu_ps(r3 + j), v);
        _mm256_store_ps(acc + j, v);
      }
      for (; j < width; ++j) {
        acc[j] += x[p] * r0[j];
        acc[j] += x[p + 1] * r1[j];
        acc[j] += x[p + 2] * r2[j];
        acc[j] += x[p + 3] * r3[j];
      }
    }
    for (; p < k; ++p) {
      const float *row = mat + p * ldm + ib;
      __m256 xv = _mm256_broadcast_ss(x + p);
      int64_t j = 0;
      for (; j < vecWidth; j += 8)
        _mm256_store_ps(acc + j, _mm256_fmadd_ps(xv, _mm256_loadu_ps(row + j),
                                                 _mm256_load_ps(acc + j)));
      for (; j < width; ++j)
        acc[j] += x[p] * row[j];
    }
    for (int64_t j = 0; j < width; ++j)
      storeScalar(y + (ib + j) * incY, acc[j], alpha, beta);
  }
}

#endif // DLP_GEMM_HAVE_AVX2_KERNELS

//===----------------------------------------------------------------------===//
// Kernel selection
//===----------------------------------------------------------------------===//

/// The implementation of every ISA-specific step, picked once per process.
struct KernelSet {
  /// Full-width (NR) micro-kernel and the one for edges <= NR / 2 wide.
  MicroKernelFn full;
  MicroKernelFn half;
  PackAFn packA;
  PackBFn packB;
  GemvDotFn gemvDot;
  GemvAxpyFn gemvAxpy;
};

KernelSet selectKernels() {
#if DLP_GEMM_HAVE_AVX2_KERNELS
  if (cpu().avx2 && cpu().fma)
    return {microKernelAvx2<2>, microKernelAvx2<1>, packAAvx2,
            packBAvx2,          gemvDotAvx2,        gemvAxpyAvx2};
#endif
  return {microKernelGeneric, microKernelGeneric, packAGeneric,
          packBGeneric,       gemvDotGeneric,     gemvAxpyGeneric};
}

const KernelSet &getKernels() {
  static const KernelSet kernels = selectKernels();
  return kernels;
}

//===----------------------------------------------------------------------===//
// Drivers
//===----------------------------------------------------------------------===//

struct GemmProblem {
  bool transA, transB;
  int64_t m, n, k;
  float alpha;
  const float *a;
  int64_t lda;
  const float *b;
  int64_t ldb;
  float beta;
  float *c;
  int64_t ldc;
};

/// C = beta * C (alpha * op(A) * op(B) vanishes); C is not read if beta == 0.
void scaleC(int64_t m, int64_t n, float beta, float *c, int64_t ldc) {
  if (beta == 1.0f)
    return;
  for (int64_t i = 0; i < m; ++i) {
    float *row = c + i * ldc;
    if (beta == 0.0f)
      std::fill(row, row + n, 0.0f);
    else
      for (int64_t j = 0; j < n; ++j)
        row[j] *= beta;
  }
}

/// Computes the C tile rows [m0, m1) x columns [n0, n1) over the full K.
void gemmTile(const GemmProblem &p, const KernelSet &ks, int64_t m0, int64_t m1,
              int64_t n0, int64_t n1) {
  thread_local ScratchBuffer aBuffer, bBuffer;
  int64_t kcStep = balancedStep(p.k, kKC, 1);
  int64_t mcStep = balancedStep(m1 - m0, kMC, kMR);
  int64_t ncStep = balancedStep(n1 - n0, kNC, kNR);
  float *aPacked = aBuffer.get(mcStep * kcStep);
  float *bPacked = bBuffer.get(ncStep * kcStep);

  for (int64_t jc = n0; jc < n1; jc += ncStep) {
    int64_t nc = std::min(ncStep, n1 - jc);
    for (int64_t pc = 0; pc < p.k; pc += kcStep) {
      int64_t kc = std::min(kcStep, p.k - pc);
      // Later K slices accumulate onto the partial result.
      float beta = pc == 0 ? p.beta : 1.0f;
      ks.packB(p.transB, p.b, p.ldb, pc, kc, jc, nc, bPacked);
      for (int64_t ic = m0; ic < m1; ic += mcStep) {
        int64_t mc = std::min(mcStep, m1 - ic);
        ks.packA(p.transA, p.a, p.lda, ic, mc, pc, kc, aPacked);
        for (int64_t jr = 0; jr < nc; jr += kNR) {
          int64_t nr = std::min(kNR, nc - jr);
          MicroKernelFn kernel = nr * 2 <= kNR ? ks.half : ks.full;
          const float *bPanel = bPacked + jr * kc;
          float *cCol = p.c + jc + jr;
          for (int64_t ir = 0; ir < mc; ir += kMR)
            kernel(kc, aPacked + ir * kc, bPanel, cCol + (ic + ir) * p.ldc,
                   p.ldc, p.alpha, beta, std::min(kMR, mc - ir), nr);
        }
      }
    }
  }
}

/// Chooses the grid of output tiles (partsM x partsN) that `threads` threads
/// claim dynamically. The estimate for a grid is, in units of K steps,
///
///   ceil(tiles / threads) * tileCost + tileCost / 2
///
/// where tileCost counts padded multiply-adds (16 per cycle: two 8-wide FMA
/// pipes) plus one per packed element (A is repacked for every NC block of a
/// tile, B once per tile). The second term is the expected idle time at the
/// end when threads finish unevenly (late wake-up, preemption), which favours
/// several tiles per thread; repacking in smaller tiles bounds that.
void chooseGrid(int64_t m, int64_t n, int64_t k, int64_t threads,
                int64_t &partsM, int64_t &partsN) {
  int64_t unitsM = ceilDiv(m, kMR), unitsN = ceilDiv(n, kNR);
  int64_t maxTiles = kMaxTilesPerThread * threads;
  partsM = partsN = 1;
  double best = -1.0;
  for (int64_t pm = 1; pm <= std::min(unitsM, maxTiles); ++pm) {
    for (int64_t pn = 1; pn <= std::min(unitsN, maxTiles / pm); ++pn) {
      int64_t tileM = ceilDiv(unitsM, pm) * kMR;
      int64_t tileN = ceilDiv(unitsN, pn) * kNR;
      if (pm * pn > 1 && tileM * tileN * k < kMinMacsPerTile)
        continue;
      double tileCost = double(tileM) * double(tileN) / 16.0 +
                        double(tileM * ceilDiv(tileN, kNC) + tileN);
      double cost =
          double(ceilDiv(pm * pn, threads)) * tileCost + tileCost / 2.0;
      if (best < 0.0 || cost < best) {
        best = cost;
        partsM = pm;
        partsN = pn;
      }
    }
  }
}

void gemmBlocked(const GemmProblem &p, int64_t numThreads) {
  const KernelSet &ks = getKernels();
  int64_t threads = threadsFor(numThreads, p.m * p.n * p.k);
  int64_t partsM = 1, partsN = 1;
  if (threads > 1)
    chooseGrid(p.m, p.n, p.k, threads, partsM, partsN);
  int64_t unitsM = ceilDiv(p.m, kMR), unitsN = ceilDiv(p.n, kNR);
  parallelForTasks(threads, partsM * partsN, [&](int64_t tile) {
    int64_t tm = tile / partsN, tn = tile % partsN;
    // Split in whole register tiles so only the last tile has an edge.
    int64_t m0 = std::min(p.m, unitsM * tm / partsM * kMR);
    int64_t m1 = std::min(p.m, unitsM * (tm + 1) / partsM * kMR);
    int64_t n0 = std::min(p.n, unitsN * tn / partsN * kNR);
    int64_t n1 = std::min(p.n, unitsN * (tn + 1) / partsN * kNR);
    if (m0 < m1 && n0 < n1)
      gemmTile(p, ks, m0, m1, n0, n1);
  });
}

/// Matrix-vector product y = alpha * op(M) * x + beta * y with `count`
/// outputs; `dotForm` says whether rows of `mat` run along K (dot products)
/// or along the outputs (AXPY updates).
void gemv(bool dotForm, int64_t count, int64_t k, float alpha, const float *mat,
          int64_t ldm, const float *x, int64_t incX, float beta, float *y,
          int64_t incY, int64_t numThreads) {
  // The kernels want a contiguous x; the copy is shared with other threads,
  // so it lives on this call's stack rather than in thread_local storage.
  llvm::SmallVector<float, 1024> xCopy;
  if (incX != 1) {
    xCopy.resize_for_overwrite(k);
    for (int64_t p = 0; p < k; ++p)
      xCopy[p] = x[p * incX];
    x = xCopy.data();
  }
  const KernelSet &ks = getKernels();
  GemvDotFn kernel = dotForm ? ks.gemvDot : ks.gemvAxpy;
  int64_t threads = threadsFor(numThreads, count * k);
  int64_t chunks = ceilDiv(count, kGemvChunk);
  // Several parts per thread, so that a helper that starts late still gets
  // a share instead of the caller waiting for it.
  int64_t parts =
      threads > 1 ? std::min(chunks, kMaxTilesPerThread * threads) : 1;
  parallelForTasks(threads, parts, [&](int64_t part) {
    int64_t i0 = std::min(count, chunks * part / parts * kGemvChunk);
    int64_t i1 = std::min(count, chunks * (part + 1) / parts * kGemvChunk);
    if (i0 < i1)
      kernel(i0, i1, k, alpha, mat, ldm, x, beta, y, incY);
  });
}

} // namespace

void kernels::sgemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k,
                 float alpha, const float *a, int64_t lda, const float *b,
                 int64_t ldb, float beta, float *c, int64_t ldc,
                 int64_t numThreads) {
  if (m <= 0 || n <= 0)
    return;
  if (k <= 0 || alpha == 0.0f) {
    scaleC(m, n, beta, c, ldc);
    return;
  }

  if (m == 1 && n == 1) {
    // A single dot product of two strided vectors.
    int64_t incA = transA ? lda : 1, incB = transB ? 1 : ldb;
    float sum = 0.0f;
    for (int64_t p = 0; p < k; ++p)
      sum += a[p * incA] * b[p * incB];
    storeScalar(c, sum, alpha, beta);
    return;
  }
  if (n == 1) {
    // y = C[:, 0], x = op(B)[:, 0]; op(A) rows run along K unless transA.
    gemv(/*dotForm=*/!transA, m, k, alpha, a, lda, b, transB ? 1 : ldb, beta, c,
         ldc, numThreads);
    return;
  }
  if (m == 1) {
    // y = C[0, :], x = op(A)[0, :]; op(B) columns run along K if transB.
    gemv(/*dotForm=*/transB, n, k, alpha, b, ldb, a, transA ? lda : 1, beta, c,
         1, numThreads);
    return;
  }

  GemmProblem problem{transA, transB, m,   n,    k, alpha, a,
                      lda,    b,      ldb, beta, c, ldc};
  gemmBlocked(problem, numThreads);
}

void kernels::sgemmReference(bool transA, bool transB, int64_t m, int64_t n,
                          int64_t k, float alpha, const float *a, int64_t lda,
                          const float *b, int64_t ldb, float beta, float *c,
                          int64_t ldc) {
  if (m <= 0 || n <= 0)
    return;
  // Row i of op(A) * op(B), accumulated in double in increasing k for every
  // element; the loop order only decides which way B is walked contiguously.
  std::vector<double> sums(static_cast<size_t>(n));
  for (int64_t i = 0; i < m; ++i) {
    std::fill(sums.begin(), sums.end(), 0.0);
    for (int64_t p = 0; p < k && !transB; ++p) {
      double av = transA ? a[p * lda + i] : a[i * lda + p];
      for (int64_t j = 0; j < n; ++j)
        sums[j] += av * double(b[p * ldb + j]);
    }
    for (int64_t j = 0; j < n && transB; ++j)
      for (int64_t p = 0; p < k; ++p)
        sums[j] += double(transA ? a[p * lda + i] : a[i * lda + p]) *
                   double(b[j * ldb + p]);
    for (int64_t j = 0; j < n; ++j) {
      double result = double(alpha) * sums[j];
      if (beta != 0.0f)
        result += double(beta) * double(c[i * ldc + j]);
      c[i * ldc + j] = float(result);
    }
  }
}
