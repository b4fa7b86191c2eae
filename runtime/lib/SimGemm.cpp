//===- SimGemm.cpp - The simulator's GEMM (docs/isa.md 3.3) ---------------===//
//
// A GEMM is C (Q x pixels) = W^T (Q x K) * im2col (K x pixels) with W's
// entry (k, q) the int32 multiplier of WBUF row k: pow2 code s*8+k -> 0 or
// +-(1 << (k-1)), int8 -> w, times 2^align of the row (term = (v << a) * w
// = v * (w << a) modulo 2^32). Rows whose multipliers are all zero (padding
// channels, pruned inputs) add nothing and are dropped.
//
// Fast path: the plan made at load (planGemms) holds W^T packed for the
// shared GEMM kernels (dlprt/kernels/IGemm.h): on CPUs with AVX-512 VNNI
// the int8 path (each kept row an int8 row times a power of two, rows
// grouped by that power, planInt8) where it applies, else int16 (column
// shifts where a row exceeds int16), or, when a row cannot be brought into
// int16, the int32 multipliers for kernels::int32Gemm; where the int16
// kernel would run, a 3 x 3 convolution of stride 1 takes Winograd's
// F(2 x 2, 3 x 3) in integers instead (SimWinograd.h: 16 products per tile
// and channel for 36, exact within proven bounds). Chunks of output pixels are gathered
// (im2col, only the kept rows), packed and multiplied on the session's
// threads. Generic path (no plan, or WBUF not holding the planned rows):
// the multipliers decoded from WBUF, then the same int32 kernel.
//
// Arithmetic modulo 2^32 throughout: vpmaddwd's products and pair sums are
// exact int16 x int16 values modulo 2^32 and every sum wraps as the
// accumulator does, so hostile programs get the contract's wraparound and
// compiled ones (overflow proof) the exact sums.
//
//===----------------------------------------------------------------------===//

#include "dlprt/Simulator.h"

#include "dlprt/Csr.h"
#include "dlprt/Window.h"

#include "dlprt/kernels/Conv.h"
#include "dlprt/kernels/IGemm.h"
#include "dlprt/kernels/IGemmAmx.h"
#include "dlprt/kernels/Parallel.h"
#include "dlprt/kernels/Pool.h"
#include "dlprt/kernels/Requant.h"

#include "SimUtil.h"
#include "SimWinograd.h"
#include "kernels/Cpu.h"
#include "kernels/Transpose.h"

#include <algorithm>
#include <array>
#include <map>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define DLPRT_SIM_AVX2 1
#else
#define DLPRT_SIM_AVX2 0
#endif

using namespace dlprt::isa;
namespace rk = dlprt::kernels;
namespace igemm = dlprt::kernels::igemm;

namespace dlprt {

/// A contiguous run of kept weight rows inside one (tap, input block):
/// rows [k, k + len) read lanes [lane, lane + len) of the input vector of
/// tap (ky, kx), block cb; they land at [dst, dst + len) of the gathered row.
struct Segment {
  int32_t ky, kx, cb, lane, len, dst;
};

/// The AMX path's gather of one (tap, input block): lanes idx[0..len) of
/// its input vector land, in that order, at [dst, dst + len) of the
/// gathered row (a run of one exponent group).
struct AmxRun {
  alignas(64) uint8_t idx[64];
  uint64_t mask; ///< the low len bits
  int32_t dst;
};
struct AmxBlock {
  int32_t ky, kx, cb;
  std::vector<AmxRun> runs;
  /// One run of all L lanes in order.
  bool identity;
};

struct GemmPlan {
  /// WBUF tags of the rows from w_addr the plan was made from (K rows, or
  /// a GEMM_CSR's stream rows).
  std::vector<uint64_t> tags;
  /// A GEMM_CSR's decoded multipliers until the plan is made.
  std::vector<uint32_t> csr;
  std::vector<Segment> segments;
  /// Kept rows.
  size_t kc = 0;
  /// W^T (Q x kc) for igemm, or empty: then w32 (kc x Q) for int32Gemm.
  igemm::PackedA a;
  /// 2^(column shift) of a's kept rows, when a has column shifts.
  std::vector<int16_t> colMul;
  std::vector<uint32_t> w32;
  /// Or the int8 path (igemm::gemm8): W^T as int8 rows times a power of
  /// two per kept row, the rows grouped by that power; `segments` then
  /// place each kept row at its position in a8's packed depth.
  igemm::PackedA8 a8;
  /// Or the exponent-group path (kernels::amx::gemm): W^T as int8 times a
  /// power of two per group of rows, the rows of a group gathered
  /// together; run on AMX tiles, or (amxKernel Vnni) on AVX-512 VNNI.
  kernels::amx::PackedW amxW;
  std::vector<AmxBlock> amxBlocks;
  kernels::amx::Kernel amxKernel = kernels::amx::Kernel::Best;
  /// The VNNI kernel reads X in place from FBUF (amxInPlace), no gather.
  bool amxInPlace = false;
  /// Or the Winograd path (a 3 x 3 convolution of stride and dilation 1
  /// where the int16 kernel would run: SimWinograd.h).
  std::unique_ptr<wino::Plan> wino;
  /// An epilogue GEMM (no accumulate) whose ABUF rows no instruction reads
  /// before a GEMM overwrites them all (deadAccumulators): its sums go
  /// from the kernel's C blocks straight to the requantized outputs, and
  /// ABUF is not written.
  bool abufDead = false;
};

GemmPlans::GemmPlans() = default;
GemmPlans::~GemmPlans() = default;
size_t GemmPlans::winogradPlans() const {
  return size_t(llvm::count_if(byInstr, [](const std::unique_ptr<GemmPlan> &p) {
    return p && p->wino;
  }));
}
size_t GemmPlans::deadAccumulatorPlans() const {
  return size_t(llvm::count_if(
      byInstr, [](const auto &p) { return p && p->abufDead; }));
}

namespace {

/// Bytes past the packed int8 panels gatherPacked8 may write.
constexpr size_t kGatherSlack = 32 * 8;
/// Output pixels gathered per chunk at most.
constexpr size_t kChunk = 64;
/// Bytes of gathered rows (int8 + packed int16) a chunk aims to stay within
/// (L2-sized: a chunk's packed rows are reused by every row panel of W^T).
constexpr size_t kChunkBytes = 1024 << 10;
/// Output pixels per chunk on the AMX path (whole tiles): each pass over W
/// (its tile loads cost more than the products) serves more pixels.
/// Measured on squeezenet1_1: 64 -> 256 pixels cut the kernel's time by
/// about 15 %.
constexpr size_t kAmxChunk = 256;
/// Multiply-adds below which a GEMM runs on one thread.
constexpr size_t kMinParallelMacs = size_t(1) << 19;
/// Memory for prepared weight panels (2 bytes per weight, 4x a pow2
/// binary's): they go first to the GEMMs that reuse each weight most (most
/// output pixels), then to the smaller ones; the rest decode their rows
/// when they run. Keeps the simulator within its binary size + 200 MB.
constexpr size_t kPlanBudgetBytes = size_t(64) << 20;
/// Unprepared GEMMs of at most this many output pixels run row by row.
constexpr size_t kFewPixels = 4;

/// The int32 multiplier of a WBUF entry (docs/isa.md 3.3, term()).
uint32_t multiplier(uint8_t entry, WFmt fmt) {
  if (fmt == WFmt::Int8)
    return uint32_t(int32_t(int8_t(entry)));
  unsigned k = entry & 7;
  if (k == 0)
    return 0;
  uint32_t m = uint32_t(1) << (k - 1);
  return (entry & 8) ? 0u - m : m;
}

/// GEMM fields, decoded once.
struct Geometry {
  WFmt fmt;
  int64_t inH, inW, inCb, cstride, outW, kH, kW, sH, sW, dH, dW, pT, pL;
  size_t M, K, wAddr;
  Geometry(const TargetConfig &t, const Instr &in) {
    auto g = [&](Field f) { return int64_t(in.get(f)); };
    fmt = WFmt(g(Field::Gemm_wfmt));
    inH = g(Field::Gemm_in_h), inW = g(Field::Gemm_in_w);
    inCb = g(Field::Gemm_in_cb), cstride = g(Field::Gemm_in_cstride);
    outW = g(Field::Gemm_out_w);
    kH = g(Field::Gemm_k_h), kW = g(Field::Gemm_k_w);
    sH = g(Field::Gemm_stride_h), sW = g(Field::Gemm_stride_w);
    dH = g(Field::Gemm_dil_h), dW = g(Field::Gemm_dil_w);
    pT = g(Field::Gemm_pad_t), pL = g(Field::Gemm_pad_l);
    M = size_t(g(Field::Gemm_out_h)) * outW;
    K = size_t(kH * kW * inCb) * t.L;
    wAddr = g(Field::Gemm_w_addr);
  }
};

/// Gathers the kept rows of output pixels [m0, m0 + mc) into x (row m at
/// x + m * kc), padding as zero.
void gather(const Geometry &g, const std::vector<Segment> &segs, size_t kc,
            const int8_t *fbuf, uint32_t L, size_t m0, size_t mc, int8_t *x) {
  for (size_t m = 0; m < mc; ++m) {
    int64_t y = int64_t(m0 + m) / g.outW, xo = int64_t(m0 + m) % g.outW;
    int8_t *xr = x + m * kc;
    for (const Segment &s : segs) {
      int64_t iy = y * g.sH + s.ky * g.dH - g.pT;
      int64_t ix = xo * g.sW + s.kx * g.dW - g.pL;
      bool pad = iy < 0 || iy >= g.inH || ix < 0 || ix >= g.inW;
      const int8_t *src =
          pad ? nullptr
              : fbuf + (s.cb * g.cstride + iy * g.inW + ix) * L + s.lane;
      if (s.len <= 8) { // short runs (rows grouped by alignment)
        for (int32_t i = 0; i < s.len; ++i)
          xr[s.dst + i] = src ? src[i] : 0;
      } else if (pad) {
        std::memset(xr + s.dst, 0, s.len);
      } else {
        std::memcpy(xr + s.dst, src, s.len);
      }
    }
  }
}

#if DLPRT_SIM_AVX2
using rk::transpose8x8;

const bool kGatherPacked = igemm::isAvailable(igemm::Isa::Avx2);
/// Output pixels [m0 + 8q, m0 + 8q + 8) of a chunk of mc: their rows and
/// columns, and which exist.
struct PanelPixels {
  int64_t oy[8], ox[8];
  bool live[8];
  PanelPixels(const Geometry &g, size_t m0, size_t mc, int64_t q) {
    for (int64_t j = 0; j < 8; ++j) {
      int64_t m = int64_t(m0) + q * 8 + j;
      live[j] = q * 8 + j < int64_t(mc);
      oy[j] = m / g.outW;
      ox[j] = m % g.outW;
    }
  }
  /// FBUF vectors (from lane s.lane) of segment s for the 8 pixels, null
  /// where the tap reads padding or the pixel does not exist.
  void sources(const Geometry &g, const Segment &s, const int8_t *fbuf,
               uint32_t L, const int8_t *src[8]) const {
    for (int64_t j = 0; j < 8; ++j) {
      int64_t iy = oy[j] * g.sH + s.ky * g.dH - g.pT;
      int64_t ix = ox[j] * g.sW + s.kx * g.dW - g.pL;
      src[j] = live[j] && iy >= 0 && iy < g.inH && ix >= 0 && ix < g.inW
                   ? fbuf + (s.cb * g.cstride + iy * g.inW + ix) * L + s.lane
                   : nullptr;
    }
  }
};

/// As gather, then igemm::packBTransposed, in one pass: the kept rows of
/// output pixels [m0, m0 + mc) go from FBUF straight into the packed panels
/// `dst` of igemm::BLayout(kc, mc), every entry written, row k multiplied
/// by colMul[k] = 2^(column shift of k) when colMul is given. 16 rows (8
/// pairs) of 8 pixels at a time are sign-extended and transposed as 8 x 8
/// 32-bit words; the rest of a segment (odd start, short tail) goes element
/// by element.
__attribute__((target("avx2"))) void
gatherPacked(const Geometry &g, const std::vector<Segment> &segs, size_t kc,
             const int16_t *colMul, const int8_t *fbuf, uint32_t L, size_t m0,
             size_t mc, int16_t *dst) {
  static_assert(igemm::kNR == 8, "one 8 x 8 transpose per 8 pairs");
  igemm::BLayout layout{int64_t(kc), int64_t(mc)};
  const int64_t NR = igemm::kNR;
  for (int64_t q = 0; q < layout.panels(); ++q) {
    int16_t *panel = dst + q * layout.pairs() * NR * 2;
    PanelPixels px(g, m0, mc, q);
    for (const Segment &s : segs) {
      const int8_t *src[8];
      px.sources(g, s, fbuf, L, src);
      // Whole 16-row pieces, the last one too: its rows past the segment
      // (read from FBUF's slack or the next lanes) are rewritten by the
      // segments that follow, which come in increasing row order, or by
      // the odd-K pad below; `dst` and colMul have slack for the last.
      int64_t i = 0;
      if (s.dst % 2 == 0)
        for (; i < s.len; i += 16) {
          __m256i v[8];
          for (int j = 0; j < 8; ++j)
            v[j] = src[j] ? _mm256_cvtepi8_epi16(_mm_loadu_si128(
                                reinterpret_cast<const __m128i *>(src[j] + i)))
                          : _mm256_setzero_si256();
          if (colMul) { // 128 * 2^8 at most: exact in int16
            __m256i mul = _mm256_loadu_si256(
                reinterpret_cast<const __m256i *>(colMul + s.dst + i));
            for (int j = 0; j < 8; ++j)
              v[j] = _mm256_mullo_epi16(v[j], mul);
          }
          // Rows j (pixels) of 8 words (pairs) -> rows of pairs.
          transpose8x8(v);
          int16_t *out = panel + ((s.dst + i) / 2) * NR * 2;
          for (int j = 0; j < 8; ++j)
            _mm256_storeu_si256(reinterpret_cast<__m256i *>(out + j * NR * 2),
                                v[j]);
        }
      for (; i < s.len; ++i) {
        int64_t k = s.dst + i;
        int16_t *out = panel + (k / 2) * NR * 2 + (k & 1);
        int16_t mul = colMul ? colMul[k] : 1;
        for (int64_t j = 0; j < NR; ++j)
          out[2 * j] = int16_t(src[j] ? src[j][i] * mul : 0);
      }
    }
    if (kc & 1)
      for (int64_t j = 0; j < NR; ++j)
        panel[((int64_t(kc) / 2) * NR + j) * 2 + 1] = 0;
  }
}

/// As gather, then igemm::packB8Transposed, in one pass for the int8 path:
/// the rows of output pixels [m0, m0 + mc) go from FBUF straight into the
/// packed quads `dst` of igemm::BLayout8(kq, mc) (values + 128). A segment
/// starting at a quad goes 32 rows at a time as 8 x 8 word transposes, its
/// last piece read with a masked load: the rows it writes past the segment
/// are rewritten by the segments that follow (they come in increasing row
/// order) or are padding rows (zero weights), and `dst` has kGatherSlack
/// bytes past the last panel for them. Other segments go byte by byte.
__attribute__((target("avx2,avx512f,avx512bw,avx512vl"))) void
gatherPacked8(const Geometry &g, const std::vector<Segment> &segs, size_t kq,
              const int8_t *fbuf, uint32_t L, size_t m0, size_t mc,
              uint8_t *dst) {
  igemm::BLayout8 layout{int64_t(kq), int64_t(mc)};
  const int64_t NR = igemm::kNR;
  const __m256i flip = _mm256_set1_epi8(char(0x80));
  for (int64_t q = 0; q < layout.panels(); ++q) {
    uint8_t *panel = dst + q * layout.quads() * NR * 4;
    PanelPixels px(g, m0, mc, q);
    for (const Segment &s : segs) {
      const int8_t *src[8];
      px.sources(g, s, fbuf, L, src);
      int64_t i = 0;
      if (s.dst % 4 == 0)
        for (; i < s.len; i += 32) {
          __mmask32 mask = s.len - i >= 32 ? ~__mmask32(0)
                                           : (__mmask32(1) << (s.len - i)) - 1;
          __m256i v[8];
          for (int j = 0; j < 8; ++j)
            v[j] = _mm256_xor_si256(
                src[j] ? _mm256_maskz_loadu_epi8(mask, src[j] + i)
                       : _mm256_setzero_si256(),
                flip);
          transpose8x8(v);
          uint8_t *out = panel + ((s.dst + i) / 4) * NR * 4;
          for (int j = 0; j < 8; ++j)
            _mm256_storeu_si256(reinterpret_cast<__m256i *>(out + j * NR * 4),
                                v[j]);
        }
      for (; i < s.len; ++i) {
        int64_t k = s.dst + i;
        uint8_t *out = panel + (k / 4) * NR * 4 + (k & 3);
        for (int64_t j = 0; j < NR; ++j)
          out[4 * j] = uint8_t((src[j] ? src[j][i] : 0) ^ 0x80);
      }
    }
  }
}

/// The exponent-group path's gather: row m of x (stride ldx) receives
/// output pixel m0 + m's inputs, each block's lanes permuted into its runs;
/// with `biased` as X + 128 in unsigned bytes (the VNNI kernel's operand).
__attribute__((target("avx2,avx512f,avx512bw,avx512vbmi"))) void
gatherAmx(const Geometry &g, const std::vector<AmxBlock> &blocks,
          const int8_t *fbuf, uint32_t L, size_t m0, size_t mc, int8_t *x,
          size_t ldx, bool biased) {
  const __mmask64 lanes = L >= 64 ? ~__mmask64(0) : (__mmask64(1) << L) - 1;
  const __m512i offset = _mm512_set1_epi8(biased ? char(0x80) : 0);
  int64_t y = int64_t(m0) / g.outW, xo = int64_t(m0) % g.outW;
  for (size_t m = 0; m < mc; ++m) {
    int8_t *row = x + m * ldx;
    int64_t iy0 = y * g.sH - g.pT, ix0 = xo * g.sW - g.pL;
    for (const AmxBlock &b : blocks) {
      int64_t iy = iy0 + b.ky * g.dH, ix = ix0 + b.kx * g.dW;
      __m512i v = _mm512_setzero_si512();
      if (iy >= 0 && iy < g.inH && ix >= 0 && ix < g.inW)
        v = _mm512_maskz_loadu_epi8(
            lanes, fbuf + (b.cb * g.cstride + iy * g.inW + ix) * L);
      v = _mm512_xor_si512(v, offset); // X + 128 as uint8 with `biased`
      if (b.identity) { // the vector as it is
        _mm512_mask_storeu_epi8(row + b.runs[0].dst, lanes, v);
        continue;
      }
      for (const AmxRun &r : b.runs)
        _mm512_mask_storeu_epi8(
            row + r.dst, r.mask,
            _mm512_maskz_permutexvar_epi8(
                r.mask,
                _mm512_load_si512(reinterpret_cast<const void *>(r.idx)), v));
    }
    if (++xo == g.outW) {
      xo = 0;
      ++y;
    }
  }
}

bool cpuHasVbmi() {
  return kernels::cpu().avx512vbmi && kernels::cpu().avx512bw;
}
#else
// Other machines gather, then pack (both tested on every machine).
constexpr bool kGatherPacked = false;
void gatherAmx(const Geometry &, const std::vector<AmxBlock> &,
               const int8_t *, uint32_t, size_t, size_t, int8_t *, size_t,
               bool) {}
bool cpuHasVbmi() { return false; }
void gatherPacked(const Geometry &, const std::vector<Segment> &, size_t,
                  const int16_t *, const int8_t *, uint32_t, size_t, size_t,
                  int16_t *) {}
void gatherPacked8(const Geometry &, const std::vector<Segment> &, size_t,
                   const int8_t *, uint32_t, size_t, size_t, uint8_t *) {}
#endif

/// Kept rows of multipliers w (K x Q) as segments; compacts w to kc x Q.
void keepRows(const Geometry &g, uint32_t L, size_t Q, std::vector<uint32_t> &w,
              std::vector<Segment> &segs, size_t &kc) {
  kc = 0;
  segs.clear();
  for (size_t k = 0; k < g.K; ++k) {
    const uint32_t *wr = w.data() + k * Q;
    if (std::none_of(wr, wr + Q, [](uint32_t v) { return v != 0; }))
      continue;
    int64_t lane = int64_t(k % L), blk = int64_t(k / L);
    int32_t cb = int32_t(blk % g.inCb), tap = int32_t(blk / g.inCb);
    int32_t ky = int32_t(tap / g.kW), kx = int32_t(tap % g.kW);
    Segment *last = segs.empty() ? nullptr : &segs.back();
    if (last && last->ky == ky && last->kx == kx && last->cb == cb &&
        last->lane + last->len == lane)
      ++last->len;
    else
      segs.push_back({ky, kx, cb, int32_t(lane), 1, int32_t(kc)});
    if (kc != k)
      std::memmove(w.data() + kc * Q, wr, Q * sizeof(uint32_t));
    ++kc;
  }
  w.resize(kc * Q);
}

/// Multipliers (K x Q) of rows with WBUF tags `tags` (K of them), decoded
/// from the const region as a LOAD would have (0 for a never-loaded row).
std::vector<uint32_t> decodeTagged(const Geometry &g, const Program &p,
                                   const uint64_t *tags, size_t Q) {
  std::vector<uint32_t> w(g.K * Q, 0);
  std::vector<uint8_t> code(Q);
  for (size_t k = 0; k < g.K; ++k) {
    if (!tags[k])
      continue;
    WFmt fmt = detail::wtagFmt(tags[k]);
    unsigned align =
        detail::decodeWRow(p.constData.data() + detail::wtagOffset(tags[k]), fmt,
                           uint32_t(Q), p.target.rowBytes(fmt), code.data()) &
        31;
    for (size_t q = 0; q < Q; ++q)
      w[k * Q + q] = multiplier(code[q], g.fmt) << align;
  }
  return w;
}

/// Multipliers (K x Q) of a GEMM_CSR whose stream starts at the WBUF row
/// with tag tags[0] (`avail` rows to the end of WBUF); `rows` receives how
/// many rows the stream spans (at most avail).
std::vector<uint32_t> decodeCsr(const Geometry &g, const Program &p,
                                const uint64_t *tags, size_t avail, size_t Q,
                                size_t &rows) {
  CsrWeights cw = readCsrFromWbuf(p, tags, avail, g.K, g.fmt);
  rows = size_t(std::min<uint64_t>((cw.bytes + Q) / (Q + 1), avail));
  std::vector<uint32_t> w(g.K * Q, 0);
  for (size_t q = 0; q < Q; ++q)
    for (uint32_t i = cw.ptr[q]; i < cw.ptr[q + 1]; ++i)
      w[cw.k[i] * Q + q] += multiplier(cw.code[i], g.fmt) << cw.align[cw.k[i]];
  return w;
}

/// Multipliers (K x Q) of a GEMM_WIN whose rows start at the WBUF row with
/// tag tags[0] (`avail` rows to the end of WBUF); `rows` receives how many
/// rows it reads (docs/isa.md 3.8).
std::vector<uint32_t> decodeWin(const Geometry &g, const Program &p,
                                const Instr &in, const uint64_t *tags,
                                size_t avail, size_t Q, size_t &rows) {
  const TargetConfig &t = p.target;
  uint64_t steps = g.K / t.L;
  uint32_t slots = uint32_t(in.get(Field::GemmWin_slots));
  rows = size_t(std::min<uint64_t>(
      windowRows(uint64_t(g.inCb), steps, t.window, slots, t.L), avail));
  std::vector<uint32_t> w(g.K * Q, 0);
  forEachWindowEntry(
      [&](uint64_t r, uint32_t b) {
        return wbufStreamByte(p, tags, avail, r * (Q + 1) + b);
      },
      steps, uint64_t(g.inCb), t.L, uint32_t(Q), t.window, slots,
      [&](uint64_t k, uint32_t q, uint8_t code, uint8_t align) {
        w[k * Q + q] += multiplier(code, WFmt::Pow2) << align;
      });
  return w;
}

/// The multipliers of a GEMM_CSR or GEMM_WIN (decodeCsr, decodeWin).
std::vector<uint32_t> decodePacked(const Geometry &g, const Program &p,
                                   const Instr &in, const uint64_t *tags,
                                   size_t avail, size_t Q, size_t &rows) {
  return in.opcode() == Opcode::GemmWin
             ? decodeWin(g, p, in, tags, avail, Q, rows)
             : decodeCsr(g, p, tags, avail, Q, rows);
}

/// dst[j * ldd + r] = c[r * ldc + j] (+ the old dst with `accumulate`) for
/// r < rows, j < cols, in uint32: a block of C (output channels x pixels)
/// into ABUF's pixel-major vectors.
void storeTransposedScalar(const int32_t *c, int64_t ldc, int64_t r0,
                           int64_t rows, int64_t j0, int64_t cols,
                           uint32_t *dst, int64_t ldd, bool accumulate) {
  for (int64_t j = j0; j < cols; ++j)
    for (int64_t r = r0; r < rows; ++r)
      dst[j * ldd + r] = uint32_t(c[r * ldc + j]) +
                         (accumulate ? dst[j * ldd + r] : 0);
}

#if DLPRT_SIM_AVX2
/// As storeTransposedScalar, 8 x 8 blocks as AVX2 transposes.
__attribute__((target("avx2"))) void
storeTransposedAvx2(const int32_t *c, int64_t ldc, int64_t rows, int64_t cols,
                    uint32_t *dst, int64_t ldd, bool accumulate) {
  int64_t R = rows & ~int64_t(7), J = cols & ~int64_t(7);
  for (int64_t r = 0; r < R; r += 8)
    for (int64_t j = 0; j < J; j += 8) {
      __m256i v[8];
      for (int i = 0; i < 8; ++i)
        v[i] = _mm256_loadu_si256(
            reinterpret_cast<const __m256i *>(c + (r + i) * ldc + j));
      transpose8x8(v);
      for (int i = 0; i < 8; ++i) {
        uint32_t *d = dst + (j + i) * ldd + r;
        if (accumulate)
          v[i] = _mm256_add_epi32(
              v[i], _mm256_loadu_si256(reinterpret_cast<const __m256i *>(d)));
        _mm256_storeu_si256(reinterpret_cast<__m256i *>(d), v[i]);
      }
    }
  storeTransposedScalar(c, ldc, 0, rows, J, cols, dst, ldd, accumulate);
  storeTransposedScalar(c, ldc, R, rows, 0, J, dst, ldd, accumulate);
}
#endif

} // namespace

void detail::storeTransposed(const int32_t *c, int64_t ldc, int64_t rows,
                             int64_t cols, uint32_t *dst, int64_t ldd,
                             bool accumulate) {
#if DLPRT_SIM_AVX2
  static const bool avx2 = igemm::isAvailable(igemm::Isa::Avx2);
  if (avx2)
    return storeTransposedAvx2(c, ldc, rows, cols, dst, ldd, accumulate);
#endif
  storeTransposedScalar(c, ldc, 0, rows, 0, cols, dst, ldd, accumulate);
}

namespace {
using detail::storeTransposed;

/// Where the epilogue writes output pixel 0: FBUF at out_addr, or a
/// pooling GEMM's tile, which its pool reads (executeGemm).
int8_t *epilogueOut(const TargetConfig &t, const Instr &in, MachineState &s) {
  return isa::gemmPool(in) ? s.poolTile.data()
                           : s.fbuf.data() + in.get(Field::Gemm_out_addr) * t.L;
}

/// Whether an epilogue writes FBUF vectors the GEMM reads (then it runs
/// pixel by pixel, as the semantics read: later pixels may read earlier
/// outputs). A pooling GEMM's tile is not in FBUF.
bool outputOverlapsInput(const Geometry &g, const Instr &in) {
  if (!in.get(Field::Gemm_epilogue) || isa::gemmPool(in))
    return false;
  uint64_t inLo = in.get(Field::Gemm_in_addr),
           inHi = inLo + uint64_t(g.inCb - 1) * g.cstride +
                  uint64_t(g.inH) * g.inW,
           outLo = in.get(Field::Gemm_out_addr);
  return outLo < inHi && inLo < outLo + g.M;
}

/// A GEMM instruction's operands in the machine's buffers.
struct GemmOperands {
  size_t param;
  uint32_t *abuf;
  bool accumulate, epilogue;
  int8_t *outBase;
  const int8_t *fbuf;
  const int32_t *bias;
  GemmOperands(const TargetConfig &t, const Instr &in, MachineState &s)
      : param(size_t(in.get(Field::Gemm_param_addr)) * t.Q),
        abuf(reinterpret_cast<uint32_t *>(s.abuf.data()) +
             in.get(Field::Gemm_acc_addr) * t.Q),
        accumulate(in.get(Field::Gemm_accumulate)),
        epilogue(in.get(Field::Gemm_epilogue)),
        outBase(epilogueOut(t, in, s)),
        fbuf(s.fbuf.data() + in.get(Field::Gemm_in_addr) * t.L),
        bias(s.bias.data() + param) {}
  /// A C block (output channels [i0, i0 + rows) by pixels [p0, p0 + n),
  /// row stride ldc) requantized into the output vectors (ABUF skipped).
  void requantBlock(MachineState &s, const int32_t *c, int64_t ldc,
                    int64_t i0, int64_t rows, int64_t p0, int64_t n,
                    uint32_t L) const {
    rk::requantTransposed(c, ldc, rows, n, s.outShift.data() + param + i0,
                          s.actMin.data() + param + i0,
                          s.actMax.data() + param + i0, outBase + p0 * L + i0,
                          int64_t(L));
  }
  /// With the epilogue: output pixels [p0, p0 + n) requantized from ABUF
  /// into FBUF.
  void requant(MachineState &s, size_t Q, uint32_t L, int64_t p0,
               int64_t n) const {
    if (epilogue)
      rk::requantLanes(reinterpret_cast<const int32_t *>(abuf + p0 * Q),
                       int64_t(Q), n, int64_t(Q), s.outShift.data() + param,
                       s.actMin.data() + param, s.actMax.data() + param,
                       outBase + p0 * L);
  }
};

/// For each GEMM of `gemms` (instruction indices in execution order):
/// whether it is an epilogue GEMM without accumulate whose ABUF rows
/// [acc_addr, acc_addr + M) are dead, i.e. the next GEMM that touches any of
/// them writes them all without reading them (accumulate 0). Only GEMMs
/// read ABUF (an accumulating one); rows still held at the end of the
/// program count as read (the machine's final state).
std::vector<char> deadAccumulators(const Program &p,
                                   const std::vector<uint32_t> &gemms) {
  struct Rows {
    uint64_t lo, hi;
    bool accumulate, epilogue;
  };
  std::vector<Rows> rows;
  for (uint32_t idx : gemms) {
    const Instr &in = p.code[idx];
    uint64_t lo = in.get(Field::Gemm_acc_addr);
    rows.push_back({lo, lo + Geometry(p.target, in).M,
                    in.get(Field::Gemm_accumulate) != 0,
                    in.get(Field::Gemm_epilogue) != 0});
  }
  std::vector<char> dead(gemms.size(), 0);
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i].epilogue || rows[i].accumulate || rows[i].lo == rows[i].hi)
      continue;
    for (size_t j = i + 1; j < rows.size(); ++j) {
      if (rows[j].hi <= rows[i].lo || rows[i].hi <= rows[j].lo)
        continue;
      dead[i] = !rows[j].accumulate && rows[j].lo <= rows[i].lo &&
                rows[i].hi <= rows[j].hi;
      break;
    }
  }
  return dead;
}

/// Runs the GEMM over pixel chunks with multipliers either packed (`a`) or
/// int32 (`w32`, kc x Q).
void runTiles(const TargetConfig &t, const Instr &in, const Geometry &g,
              MachineState &s, const std::vector<Segment> &segs, size_t kc,
              const igemm::PackedA *a, const int16_t *colMul,
              const igemm::PackedA8 *a8, const uint32_t *w32,
              unsigned threads, const GemmPlan *amx = nullptr,
              bool abufDead = false) {
  const uint32_t L = t.L;
  const size_t Q = t.Q, M = g.M;
  GemmOperands ops(t, in, s);
  // The kernels' C blocks requantized straight into the outputs.
  const bool fused = abufDead && !amx && (a || a8);
  uint32_t *abuf = ops.abuf;
  bool accumulate = ops.accumulate;
  const int8_t *fbuf = ops.fbuf;
  const int32_t *bias = ops.bias;

  size_t macs = M * std::max<size_t>(kc, 1) * Q;
  unsigned nt = macs < kMinParallelMacs ? 1 : threads;
  size_t mcMax = std::clamp<size_t>(kChunkBytes / (3 * std::max<size_t>(kc, 1)),
                                    igemm::kNR, kChunk);
  mcMax -= mcMax % igemm::kNR;
  if (amx)
    mcMax = kAmxChunk;
  // An output rectangle that overlaps the input: pixel by pixel in order.
  if (outputOverlapsInput(g, in)) {
    nt = 1;
    mcMax = 1;
  }
  if (nt > 1) // enough chunks for the threads
    mcMax = std::min(mcMax, std::max<size_t>(
                                igemm::kNR, (M + 2 * nt - 1) / (2 * nt)));
  // (AMX tiles take 16 rows; the VNNI kernel any number.)
  if (amx && amx->amxKernel != kernels::amx::Kernel::Vnni && nt > 1 &&
      mcMax > kernels::amx::kTileRows)
    mcMax -= mcMax % kernels::amx::kTileRows;
  size_t chunks = (M + mcMax - 1) / mcMax;

  rk::parallelForTasks(nt, int64_t(chunks), [&](int64_t c) {
    thread_local std::vector<int8_t> x;
    thread_local std::vector<int16_t> b;
    thread_local std::vector<uint8_t> b8;
    thread_local std::vector<uint32_t> acc;
    thread_local std::vector<int8_t> xa;
    size_t m0 = size_t(c) * mcMax, mc = std::min(mcMax, M - m0);
    uint32_t *out = abuf + m0 * Q;
    // C (Q x mc) arrives in blocks; ABUF is pixel-major.
    // ABUF rows of these pixels (disjoint across chunks) receive C, or
    // with dead accumulators the outputs receive C requantized.
    auto store = [&](int64_t i0, int64_t rows, int64_t j0, int64_t cols,
                     const int32_t *cb, int64_t ldc) {
      if (fused)
        ops.requantBlock(s, cb, ldc, i0, rows, int64_t(m0) + j0, cols, L);
      else
        storeTransposed(cb, ldc, rows, cols, out + j0 * Q + i0, int64_t(Q),
                        accumulate);
    };
    if (amx && amx->amxInPlace) {
      // Output pixel m reads input vector m of each block.
      kernels::amx::gemmChunked(amx->amxW, fbuf + m0 * L, int64_t(L),
                                g.cstride * int64_t(L), int64_t(mc), bias,
                                accumulate, out, int64_t(Q));
    } else if (amx) {
      // Whole tiles of rows readable; group padding bytes are never
      // written (their weights are zero).
      size_t ldx = size_t(amx->amxW.depth());
      size_t tiles = (mc + kernels::amx::kTileRows - 1) /
                     kernels::amx::kTileRows;
      if (xa.size() < tiles * kernels::amx::kTileRows * ldx)
        xa.resize(tiles * kernels::amx::kTileRows * ldx);
      // AMX multiplies int8 by int8; the VNNI kernel takes X + 128.
      bool biased = amx->amxKernel == kernels::amx::Kernel::Vnni;
      gatherAmx(g, amx->amxBlocks, fbuf, L, m0, mc, xa.data(), ldx, biased);
      if (biased)
        kernels::amx::gemmBiasedX(
            amx->amxW, reinterpret_cast<const uint8_t *>(xa.data()),
            int64_t(ldx), int64_t(mc), bias, accumulate, out, int64_t(Q));
      else
        kernels::amx::gemm(amx->amxW, xa.data(), int64_t(ldx), int64_t(mc),
                           bias, accumulate, out, int64_t(Q));
    } else if (a8) {
      // Rows in a8's order; its padding rows hold whatever the buffer held
      // (their weights are zero).
      igemm::BLayout8 layout{static_cast<int64_t>(kc), static_cast<int64_t>(mc)};
      b8.resize(layout.size() + kGatherSlack);
      if (kGatherPacked) {
        gatherPacked8(g, segs, kc, fbuf, L, m0, mc, b8.data());
      } else {
        x.resize(mc * kc);
        gather(g, segs, kc, fbuf, L, m0, mc, x.data());
        igemm::packB8Transposed(x.data(), int64_t(kc), layout, b8.data(), 0,
                                layout.panels());
      }
      igemm::gemm8(*a8, b8.data(), layout, accumulate ? nullptr : bias, store,
                   1);
    } else if (a) {
      igemm::BLayout layout{static_cast<int64_t>(kc), static_cast<int64_t>(mc)};
      b.resize(layout.size() + kGatherSlack);
      if (!kGatherPacked) {
        x.resize(mc * kc);
        gather(g, segs, kc, fbuf, L, m0, mc, x.data());
        igemm::packBTransposed(x.data(), int64_t(kc), layout, *a, b.data(), 0,
                               layout.panels());
      } else {
        gatherPacked(g, segs, kc, colMul, fbuf, L, m0, mc, b.data());
      }
      igemm::gemm(*a, b.data(), layout, accumulate ? nullptr : bias, store, 1);
    } else {
      x.resize(mc * kc);
      gather(g, segs, kc, fbuf, L, m0, mc, x.data());
      acc.resize(mc * Q);
      for (size_t m = 0; m < mc; ++m)
        for (size_t q = 0; q < Q; ++q)
          acc[m * Q + q] = accumulate ? out[m * Q + q] : uint32_t(bias[q]);
      if (kc)
        rk::int32Gemm(x.data(), w32, acc.data(), mc, kc, Q);
      std::memcpy(out, acc.data(), mc * Q * sizeof(uint32_t));
    }
    if (!fused)
      ops.requant(s, Q, L, int64_t(m0), int64_t(mc));
  });
}

/// Whether the Winograd path can take the GEMM: a 3 x 3 kernel, strides
/// and dilations 1.
bool winograd(const Geometry &g) {
  return g.kH == 3 && g.kW == 3 && g.sH == 1 && g.sW == 1 && g.dH == 1 &&
         g.dW == 1 && g.outW > 0;
}

wino::Shape winoShape(const TargetConfig &t, const Geometry &g) {
  return {g.inH,  g.inW, g.inCb, g.cstride, int64_t(g.M) / g.outW,
          g.outW, g.pT,  g.pL,   t.L,       int64_t(t.Q)};
}

/// The GEMM on the Winograd path: bands of tile rows on the threads, each
/// band's sums then its epilogue, as runTiles does for pixel chunks.
void runWinograd(const TargetConfig &t, const Instr &in, const Geometry &g,
                 MachineState &s, const wino::Plan &plan, unsigned threads,
                 bool abufDead) {
  const uint32_t L = t.L;
  const size_t Q = t.Q;
  wino::Shape sh = winoShape(t, g);
  GemmOperands ops(t, in, s);
  size_t macs = g.M * 4 * size_t(g.inCb) * L * Q;
  unsigned nt = macs < kMinParallelMacs ? 1 : threads;
  int64_t rows = (sh.outH + 1) / 2, per = wino::tileRowsPerTask(sh, nt);
  int64_t tasks = (rows + per - 1) / per;
  rk::parallelForTasks(tasks > 1 ? nt : 1, tasks, [&](int64_t k) {
    int64_t ty0 = k * per, ty1 = std::min(rows, ty0 + per);
    int64_t p0 = 2 * ty0 * sh.outW, p1 = std::min(2 * ty1, sh.outH) * sh.outW;
    if (abufDead) {
      plan.run(sh, ops.fbuf, nullptr, ops.bias, false, ty0, ty1,
               tasks > 1 ? 1 : nt,
               [&](const int32_t *y, int64_t q0, int64_t q1, int64_t npix) {
                 ops.requantBlock(s, y, npix, q0, q1 - q0, p0, npix, L);
               });
      return;
    }
    plan.run(sh, ops.fbuf, ops.abuf, ops.bias, ops.accumulate, ty0, ty1,
             tasks > 1 ? 1 : nt);
    ops.requant(s, Q, L, p0, p1 - p0);
  });
}

/// A GEMM of few output pixels (a fully-connected layer at batch 1)
/// without prepared panels: each weight row is decoded from the const row
/// its WBUF tag names and used at once, so no K x Q matrix is built (each
/// weight is used M times, so decoding it costs as much as using it).
void runFewPixels(const Program &p, const Instr &in, const Geometry &g,
                  MachineState &s) {
  const TargetConfig &t = p.target;
  const uint32_t L = t.L, Q = t.Q;
  const size_t M = g.M;
  size_t param = size_t(in.get(Field::Gemm_param_addr)) * Q;
  uint32_t *abuf = reinterpret_cast<uint32_t *>(s.abuf.data()) +
                   in.get(Field::Gemm_acc_addr) * Q;
  const int8_t *fbuf = s.fbuf.data() + in.get(Field::Gemm_in_addr) * L;
  std::vector<uint32_t> acc(M * Q);
  for (size_t m = 0; m < M; ++m)
    for (size_t q = 0; q < Q; ++q)
      acc[m * Q + q] = in.get(Field::Gemm_accumulate)
                           ? abuf[m * Q + q]
                           : uint32_t(s.bias[param + q]);
  std::vector<uint8_t> code(Q);
  std::vector<uint32_t> mul(Q);
  std::vector<int32_t> xs(M);
  const uint64_t *tags = s.wtag.data() + g.wAddr;
  for (size_t r = 0; r < g.K; ++r) {
    if (!tags[r])
      continue; // a never-loaded row holds zeros
    // The input element of row r for every pixel (0 outside the tile).
    size_t l = r % L, cb = (r / L) % g.inCb, tap = r / (L * g.inCb);
    int64_t ky = int64_t(tap) / g.kW, kx = int64_t(tap) % g.kW;
    bool any = false;
    for (size_t m = 0; m < M; ++m) {
      int64_t y = int64_t(m) / g.outW, x = int64_t(m) % g.outW;
      int64_t iy = y * g.sH + ky * g.dH - g.pT, ix = x * g.sW + kx * g.dW - g.pL;
      xs[m] = iy >= 0 && iy < g.inH && ix >= 0 && ix < g.inW
                  ? fbuf[(cb * g.cstride + iy * g.inW + ix) * L + l]
                  : 0;
      any |= xs[m] != 0;
    }
    if (!any)
      continue;
    WFmt fmt = detail::wtagFmt(tags[r]);
    unsigned align =
        detail::decodeWRow(p.constData.data() + detail::wtagOffset(tags[r]), fmt, Q,
                           t.rowBytes(fmt), code.data()) &
        31;
    for (size_t q = 0; q < Q; ++q)
      mul[q] = multiplier(code[q], g.fmt) << align;
    for (size_t m = 0; m < M; ++m) {
      uint32_t v = uint32_t(xs[m]);
      uint32_t *a = acc.data() + m * Q;
      for (size_t q = 0; q < Q; ++q)
        a[q] += v * mul[q];
    }
  }
  std::memcpy(abuf, acc.data(), M * Q * sizeof(uint32_t));
  if (in.get(Field::Gemm_epilogue))
    rk::requantLanes(reinterpret_cast<const int32_t *>(abuf), int64_t(Q),
                     int64_t(M), int64_t(Q), s.outShift.data() + param,
                     s.actMin.data() + param, s.actMax.data() + param,
                     epilogueOut(t, in, s));
}

} // namespace

/// A kept row k of multipliers w (K x Q) and the powers of two E with
/// every multiplier of the row a multiple of 2^E and (as int32, modulo
/// 2^32) an int8 value times 2^E: the interval [lo, hi] (lo > hi when
/// there is none).
struct RowExps {
  int64_t k;
  int lo, hi;
};

/// The RowExps of every kept row (one with a nonzero multiplier), in K
/// order.
std::vector<RowExps> rowExps(const Geometry &g, size_t Q,
                             const std::vector<uint32_t> &w) {
  std::vector<RowExps> rows;
  for (size_t k = 0; k < g.K; ++k) {
    const uint32_t *wr = w.data() + k * Q;
    uint32_t any = 0;
    int32_t mx = INT32_MIN, mn = INT32_MAX;
    for (size_t q = 0; q < Q; ++q) {
      any |= wr[q];
      mx = std::max(mx, int32_t(wr[q]));
      mn = std::min(mn, int32_t(wr[q]));
    }
    if (!any)
      continue; // adds nothing (keepRows drops it too)
    int hi = std::min(__builtin_ctz(any), 31), lo = 0;
    while (lo <= hi && ((mx >> lo) > 127 || (mn >> lo) < -128))
      ++lo;
    rows.push_back({int64_t(k), lo, hi});
  }
  return rows;
}

/// A fewest set of powers of two stabbing the intervals of rows[i], i in
/// `which` (greedy by right ends): the E each of those rows takes (-1 for
/// the others).
std::vector<int> stabExps(const std::vector<RowExps> &rows,
                          std::vector<size_t> which) {
  std::stable_sort(which.begin(), which.end(), [&](size_t a, size_t b) {
    return rows[a].hi < rows[b].hi;
  });
  std::vector<int> e(rows.size(), -1);
  int stab = -1;
  for (size_t i : which) {
    if (stab < 0 || rows[i].lo > stab)
      stab = rows[i].hi;
    e[i] = stab;
  }
  return e;
}

/// Makes the int8 plan of a GEMM whose multipliers (K x Q, from
/// decodeTagged) are w. For each kept row k, the powers of two E with every
/// multiplier of the row a multiple of 2^E and (as int32, modulo 2^32) an
/// int8 value times 2^E form an interval [lo, hi]. The E that most rows
/// can take is the base group's, which holds every kept row in K order
/// (zero weights for the rows it cannot take), so its gather copies whole
/// runs of lanes; the other rows form a fewest set of further groups (E
/// stabbing their intervals, greedy by right ends), row by row. Groups run
/// in descending E (igemm::PackedA8). False when some row has no such E or
/// when more than a quarter of the rows need further groups (the int16
/// path is then faster).
bool planInt8(const Geometry &g, uint32_t L, size_t Q,
              const std::vector<uint32_t> &w, GemmPlan &plan) {
  std::vector<RowExps> rows = rowExps(g, Q, w);
  std::array<size_t, 32> reach{};
  for (const RowExps &r : rows) {
    if (r.lo > r.hi)
      return false;
    for (int e = r.lo; e <= r.hi; ++e)
      ++reach[size_t(e)];
  }
  if (rows.empty())
    return false;
  int base = int(std::max_element(reach.begin(), reach.end()) - reach.begin());
  std::vector<size_t> others;
  for (size_t i = 0; i < rows.size(); ++i)
    if (rows[i].lo > base || rows[i].hi < base)
      others.push_back(i);
  if (others.size() * 4 > rows.size())
    return false;
  // Further groups: E -> member rows (indices into rows, in K order).
  std::map<int, std::vector<size_t>, std::greater<int>> groups;
  groups[base]; // every row, below
  std::vector<int> stab = stabExps(rows, others);
  for (size_t i : others)
    groups[stab[i]].push_back(i);
  for (auto &[e, members] : groups)
    std::sort(members.begin(), members.end());
  std::vector<int64_t> cols;
  std::vector<int> exps;
  for (auto &[e, members] : groups) {
    cols.push_back(int64_t(e == base ? rows.size() : members.size()));
    exps.push_back(e);
  }
  int64_t depth = 0;
  for (int64_t c : cols)
    depth += c;
  std::vector<int8_t> wt(Q * size_t(depth), 0);
  auto weight = [&](size_t row, int e, int64_t col) {
    for (size_t q = 0; q < Q; ++q)
      wt[q * size_t(depth) + size_t(col)] =
          int8_t(int32_t(w[size_t(rows[row].k) * Q + q]) >> e);
  };
  int64_t col = 0;
  for (auto &[e, members] : groups) {
    if (e == base) {
      for (size_t i = 0; i < rows.size(); ++i, ++col)
        if (rows[i].lo <= base && base <= rows[i].hi)
          weight(i, base, col);
    } else {
      for (size_t i : members)
        weight(i, e, col++);
    }
  }
  if (!plan.a8.pack(wt.data(), int64_t(Q), depth, cols, exps))
    return false;
  plan.segments.clear();
  auto place = [&](int64_t k, int32_t dst) {
    int64_t lane = k % L, blk = k / L;
    int32_t cb = int32_t(blk % g.inCb), tap = int32_t(blk / g.inCb);
    int32_t ky = int32_t(tap / g.kW), kx = int32_t(tap % g.kW);
    Segment *last = plan.segments.empty() ? nullptr : &plan.segments.back();
    if (last && last->ky == ky && last->kx == kx && last->cb == cb &&
        last->lane + last->len == lane && last->dst + last->len == dst)
      ++last->len;
    else
      plan.segments.push_back({ky, kx, cb, int32_t(lane), 1, dst});
  };
  size_t gi = 0;
  for (auto &[e, members] : groups) {
    int32_t start = int32_t(plan.a8.groupStart(gi++));
    if (e == base)
      for (size_t i = 0; i < rows.size(); ++i)
        place(rows[i].k, start + int32_t(i));
    else
      for (size_t i = 0; i < members.size(); ++i)
        place(rows[members[i]].k, start + int32_t(i));
  }
  plan.kc = size_t(plan.a8.depth());
  return true;
}

/// Most byte planes of an AMX plan (24-bit multipliers).
constexpr int kMaxPlanes = 3;
enum class AmxLayout { Best, Planes, Groups };

/// Makes the AMX plan of a GEMM whose multipliers (K x Q, from
/// decodeTagged) are w, as groups for kernels::amx::gemm, no row repeated.
/// Byte planes (at most kMaxPlanes of them) or exponent groups, whichever
/// takes fewer tile passes (or `layout`'s where it applies). Planes: every kept multiplier is v * 2^E (E
/// the largest power of two all share) and v, as signed bytes b_0 + 256
/// b_1 + ..., gives one group per byte over all kept rows in K order
/// (exponent E + 8 p; planes at 2^32 or beyond add nothing modulo 2^32).
/// Groups: each kept row k takes the powers of two E of
/// planInt8 (an interval [lo, hi]), a fewest set of E stabbing the
/// intervals (greedy by right ends) groups the rows, each group's rows in
/// K order from a chunk boundary (from a quad with `vnni`: the VNNI
/// kernel's plan, whose costs are counted in quad steps). Either way each
/// (tap, input block) sends its lanes of a group to one run of the
/// gathered row. False when a config's vectors exceed 64 lanes or some
/// row fits neither.
bool planAmx(const Geometry &g, uint32_t L, size_t Q,
             const std::vector<uint32_t> &w, AmxLayout layout, bool vnni,
             GemmPlan &plan) {
  namespace amx = kernels::amx;
  if (L > 64)
    return false;
  std::vector<RowExps> rows = rowExps(g, Q, w);
  int common = 31;
  for (const RowExps &r : rows)
    common = std::min(common, r.hi);
  if (rows.empty())
    return false;
  // Byte planes of v = w >> common (exact: every kept value is a multiple
  // of 2^common).
  int planes = 1;
  for (const RowExps &r : rows)
    for (size_t q = 0; q < Q; ++q) {
      int64_t v = int64_t(int32_t(w[size_t(r.k) * Q + q])) >> common;
      int p = 1;
      for (; v < -128 || v > 127; ++p)
        v = (v - int8_t(v)) / 256;
      planes = std::max(planes, p);
    }
  // Exponent groups where every row has an E.
  std::vector<int> exp;
  bool groupable = std::all_of(rows.begin(), rows.end(), [](const RowExps &r) {
    return r.lo <= r.hi;
  });
  if (groupable) {
    std::vector<size_t> all(rows.size());
    for (size_t i = 0; i < all.size(); ++i)
      all[i] = i;
    exp = stabExps(rows, all);
  }
  // The cheaper layout. On AMX tiles, in half tile passes per pixel tile:
  // a chunk of 64 rows per group or plane, one pass of the result per
  // group or plane, and half a pass per group for its runs in the gather
  // (measured on resnet18, 2-3 groups where planes need 2, and
  // squeezenet1_1, 6-10 groups where planes need 2-3). The VNNI kernel
  // steps through the quads a group holds (a short last chunk costs what
  // it holds), so there in quad steps, a pass of the result over a pixel
  // chunk (its ABUF rows read and written again) about kVnniPassQuads:
  // measured on Zen 4 at 2 threads, squeezenet1_1 (K 144-576) 2.02 ms
  // with planes, 2.35 with groups, about 2.3 with this rule at 4 quads a
  // pass, as planes at 64; resnet18 (K to 4608) 5.0 ms with groups, 7.6
  // with planes, and this rule picks groups at 4 and at 64.
  constexpr int64_t kVnniPassQuads = 64;
  auto chunks = [](int64_t n) { return (n + amx::kChunk - 1) / amx::kChunk; };
  auto quads = [](int64_t n) { return (n + 3) / 4; };
  int64_t R = int64_t(rows.size());
  int64_t planeCost = vnni ? planes * (quads(R) + kVnniPassQuads)
                           : 2 * planes * (chunks(R) + 1);
  int64_t groupCost = 0;
  if (groupable) {
    std::map<int, int64_t> count;
    for (int e : exp)
      ++count[e];
    for (auto [e, n] : count)
      groupCost += vnni ? quads(n) + kVnniPassQuads + 1
                        : 2 * (chunks(n) + 1) + 1;
  }
  std::vector<amx::Group> groups;
  std::vector<std::vector<int8_t>> weights;
  std::vector<int64_t> pos(rows.size());
  bool usePlanes = planes <= kMaxPlanes &&
                   (!groupable || layout == AmxLayout::Planes ||
                    (layout == AmxLayout::Best && planeCost <= groupCost));
  if (usePlanes) {
    for (size_t i = 0; i < rows.size(); ++i)
      pos[i] = int64_t(i);
    int64_t n = int64_t(rows.size());
    for (int p = 0; p < planes && common + 8 * p <= 31; ++p) {
      groups.push_back({0, n, common + 8 * p});
      weights.emplace_back(Q * size_t(n));
    }
    for (size_t i = 0; i < rows.size(); ++i)
      for (size_t q = 0; q < Q; ++q) {
        int64_t v = int64_t(int32_t(w[size_t(rows[i].k) * Q + q])) >> common;
        for (size_t p = 0; p < groups.size(); ++p) {
          weights[p][q * size_t(n) + i] = int8_t(v);
          v = (v - int8_t(v)) / 256;
        }
      }
  } else {
    if (!groupable)
      return false;
    // Groups in descending E, each from a chunk boundary (AMX) or a quad
    // (VNNI).
    std::map<int, size_t, std::greater<int>> index;
    for (int e : exp)
      index[e];
    int64_t depth = 0;
    for (auto &[e, gi] : index) {
      gi = groups.size();
      int64_t n = std::count(exp.begin(), exp.end(), e);
      groups.push_back({depth, n, e});
      weights.emplace_back(Q * size_t(n));
      // Tiles start at a chunk; the VNNI kernel reads only a group's quads.
      depth += vnni ? quads(n) * 4 : chunks(n) * amx::kChunk;
    }
    std::vector<int64_t> next(groups.size(), 0);
    for (size_t i = 0; i < rows.size(); ++i) {
      size_t gi = index[exp[i]];
      int64_t c = next[gi]++, n = groups[gi].cols;
      pos[i] = groups[gi].start + c;
      for (size_t q = 0; q < Q; ++q)
        weights[gi][q * size_t(n) + size_t(c)] =
            int8_t(int32_t(w[size_t(rows[i].k) * Q + q]) >> exp[i]);
    }
  }
  std::vector<const int8_t *> ptrs;
  for (const auto &v : weights)
    ptrs.push_back(v.data());
  if (!plan.amxW.pack(int64_t(Q), groups, ptrs))
    return false;
  plan.amxBlocks.clear();
  for (size_t i = 0; i < rows.size(); ++i) {
    int64_t k = rows[i].k;
    int32_t lane = int32_t(k % L), blk = int32_t(k / L);
    int32_t cb = int32_t(blk % g.inCb), tap = int32_t(blk / g.inCb);
    int32_t ky = int32_t(tap / g.kW), kx = int32_t(tap % g.kW);
    if (plan.amxBlocks.empty() || plan.amxBlocks.back().ky != ky ||
        plan.amxBlocks.back().kx != kx || plan.amxBlocks.back().cb != cb)
      plan.amxBlocks.push_back({ky, kx, cb, {}, false});
    std::vector<AmxRun> &runs = plan.amxBlocks.back().runs;
    // A block's rows of one group take consecutive positions.
    AmxRun *run = nullptr;
    for (AmxRun &ar : runs)
      if (ar.dst + __builtin_popcountll(ar.mask) == pos[i])
        run = &ar;
    if (!run) {
      runs.push_back(AmxRun{});
      run = &runs.back();
      run->dst = int32_t(pos[i]);
      run->mask = 0;
    }
    int n = __builtin_popcountll(run->mask);
    run->idx[n] = uint8_t(lane);
    run->mask |= uint64_t(1) << n;
  }
  for (AmxBlock &b : plan.amxBlocks) {
    const AmxRun &r = b.runs[0];
    b.identity = b.runs.size() == 1 && __builtin_popcountll(r.mask) == int(L);
    for (uint32_t i = 0; i < L && b.identity; ++i)
      b.identity = r.idx[i] == i;
  }
  plan.segments.clear();
  plan.kc = size_t(plan.amxW.depth());
  return true;
}

/// Whether the exponent-group plan on the VNNI kernel can read X in place
/// from FBUF (kernels::amx::gemmChunked) instead of gathering it: a 1 x 1
/// kernel of stride 1 without padding whose output rows are the input's
/// (output pixel m reads input vector m of every block), vectors of kChunk
/// lanes, every group from position 0 (byte planes), and the blocks cb =
/// 0, 1, ... in order, each its whole vector as it is (squeezenet1_1's
/// squeeze and classifier convolutions: half its gathered bytes).
bool readsInPlace(const Geometry &g, uint32_t L, const GemmPlan &plan) {
  if (L != uint32_t(kernels::amx::kChunk) || g.kH != 1 || g.kW != 1 ||
      g.sH != 1 || g.sW != 1 || g.pT != 0 || g.pL != 0 || g.outW != g.inW ||
      g.outW == 0 || int64_t(g.M) / g.outW > g.inH ||
      plan.amxBlocks.size() != size_t(g.inCb))
    return false;
  for (const kernels::amx::Group &gr : plan.amxW.groups())
    if (gr.start != 0)
      return false;
  for (size_t i = 0; i < plan.amxBlocks.size(); ++i) {
    const AmxBlock &b = plan.amxBlocks[i];
    if (!b.identity || b.cb != int32_t(i) || b.runs[0].dst != int32_t(i * L))
      return false;
  }
  return true;
}

std::shared_ptr<const GemmPlans> planGemms(const Program &p,
                                           const std::vector<uint32_t> &order,
                                           unsigned threads) {
  const TargetConfig &t = p.target;
  const uint32_t L = t.L, Q = t.Q;
  auto plans = std::make_shared<GemmPlans>();
  plans->byInstr.resize(p.code.size());
  // WBUF tags as the schedule leaves them before each GEMM (a LOAD writes
  // only tags); each GEMM's rows are then decoded from the tags, the plans
  // made in parallel.
  std::vector<uint32_t> gemms;
  std::vector<std::unique_ptr<GemmPlan>> made;
  replayWbuf(p, order, [&](uint32_t idx, const std::vector<uint64_t> &wtag) {
    const Instr &in = p.code[idx];
    Geometry g(t, in);
    auto plan = std::make_unique<GemmPlan>();
    size_t rows = g.K;
    if (in.opcode() != Opcode::Gemm)
      plan->csr = decodePacked(g, p, in, wtag.data() + g.wAddr,
                               wtag.size() - g.wAddr, Q, rows);
    plan->tags.assign(wtag.begin() + g.wAddr, wtag.begin() + g.wAddr + rows);
    gemms.push_back(idx);
    made.push_back(std::move(plan));
  });
  // Which GEMMs get prepared panels: by reuse (pixels) then size.
  std::vector<size_t> rank(gemms.size());
  for (size_t i = 0; i < rank.size(); ++i)
    rank[i] = i;
  auto geo = [&](size_t i) { return Geometry(t, p.code[gemms[i]]); };
  std::stable_sort(rank.begin(), rank.end(), [&](size_t a, size_t b) {
    Geometry ga = geo(a), gb = geo(b);
    return ga.M != gb.M ? ga.M > gb.M : ga.K < gb.K;
  });
  std::vector<char> keep(gemms.size(), 0);
  size_t used = 0, budget = kPlanBudgetBytes;
  // DLPRT_PLAN_BUDGET (bytes) overrides the budget: tests set 0 to run
  // every GEMM on the unprepared paths.
  if (const char *env = std::getenv("DLPRT_PLAN_BUDGET"))
    budget = std::strtoull(env, nullptr, 10);
  for (size_t i : rank) {
    size_t bytes = geo(i).K * Q * sizeof(int16_t);
    if (used + bytes <= budget) {
      keep[i] = 1;
      used += bytes;
    }
  }
  // The int8 paths where the CPU has them (AVX-512 VNNI and BW); tests run
  // every path: DLPRT_GEMM_INT8=0 turns them off (the int16 path).
  auto off = [](const char *name) {
    const char *env = std::getenv(name);
    return env && env == std::string("0");
  };
  bool int8 = igemm::int8Available() && !off("DLPRT_GEMM_INT8");
  // The exponent-group path (and AVX-512 VBMI for its gather), on AMX
  // tiles where the CPU has them, else on AVX-512 VNNI;
  // DLPRT_GEMM_GROUPS=0 turns it off (then igemm::gemm8), DLPRT_GEMM_AMX=0
  // runs it on VNNI as on CPUs without AMX.
  bool useGroups = int8 && cpuHasVbmi() && !off("DLPRT_GEMM_GROUPS");
  kernels::amx::Kernel groupKernel =
      kernels::amx::available() && !off("DLPRT_GEMM_AMX")
          ? kernels::amx::Kernel::Best
          : kernels::amx::Kernel::Vnni;
  // DLPRT_AMX_LAYOUT=planes or groups: that layout where it applies (tests
  // run both), else the cheaper one.
  AmxLayout layout = AmxLayout::Best;
  if (const char *env = std::getenv("DLPRT_AMX_LAYOUT"))
    layout = env == std::string("planes")   ? AmxLayout::Planes
             : env == std::string("groups") ? AmxLayout::Groups
                                            : AmxLayout::Best;
  // The Winograd path where the int16 kernel would run (no int8 path) and
  // it is faster; DLPRT_GEMM_WINOGRAD=1 runs it wherever it is exact, on
  // every CPU (tests), 0 nowhere.
  const char *winoEnv = std::getenv("DLPRT_GEMM_WINOGRAD");
  bool forceWino = winoEnv && std::string(winoEnv) == "1";
  bool useWino = winoEnv ? forceWino : !int8;
  rk::parallelForTasks(threads, int64_t(gemms.size()), [&](int64_t i) {
    if (!keep[i])
      return;
    GemmPlan &plan = *made[i];
    Geometry g(t, p.code[gemms[i]]);
    std::vector<uint32_t> w = p.code[gemms[i]].opcode() != Opcode::Gemm
                                  ? std::move(plan.csr)
                                  : decodeTagged(g, p, plan.tags.data(), Q);
    if (useWino && winograd(g)) {
      size_t kept = 0;
      for (size_t k = 0; k < g.K; ++k)
        kept += std::any_of(w.begin() + k * Q, w.begin() + (k + 1) * Q,
                            [](uint32_t v) { return v != 0; });
      auto wp = std::make_unique<wino::Plan>();
      if (wp->make(winoShape(t, g), w, kept, forceWino)) {
        plan.wino = std::move(wp);
        return;
      }
    }
    if (useGroups &&
        planAmx(g, L, Q, w, layout,
                groupKernel == kernels::amx::Kernel::Vnni, plan)) {
      plan.amxKernel = groupKernel;
      // DLPRT_GEMM_INPLACE=0 gathers every X (tests run both).
      plan.amxInPlace = groupKernel == kernels::amx::Kernel::Vnni &&
                        !off("DLPRT_GEMM_INPLACE") && readsInPlace(g, L, plan);
      return;
    }
    if (int8 && planInt8(g, L, Q, w, plan))
      return;
    keepRows(g, L, Q, w, plan.segments, plan.kc);
    // W^T, row-major Q x kc, for packing.
    std::vector<int32_t> wt(size_t(Q) * plan.kc);
    for (size_t k = 0; k < plan.kc; ++k)
      for (size_t q = 0; q < Q; ++q)
        wt[q * plan.kc + k] = int32_t(w[k * Q + q]);
    if (plan.kc == 0 ||
        !plan.a.pack(wt.data(), Q, int64_t(plan.kc), int64_t(plan.kc)))
      plan.w32 = std::move(w);
    else if (plan.a.hasColumnShifts())
      for (size_t k = 0; k < plan.kc + 16; ++k) // 16 of slack (gatherPacked)
        plan.colMul.push_back(
            int16_t(k < plan.kc ? 1 << plan.a.columnShift(int64_t(k)) : 1));
  });
  // DLPRT_ABUF_ELISION=0 writes every GEMM's sums to ABUF (tests run both).
  std::vector<char> dead = deadAccumulators(p, gemms);
  bool elide = !off("DLPRT_ABUF_ELISION");
  for (size_t i = 0; i < gemms.size(); ++i)
    if (keep[i]) {
      made[i]->abufDead = elide && dead[i];
      plans->byInstr[gemms[i]] = std::move(made[i]);
    }
  return plans;
}

namespace {
/// The GEMM of `in` without its residual add.
void gemmTiles(const Program &p, const Instr &in, MachineState &s,
               const GemmPlan *plan, unsigned threads) {
  const TargetConfig &t = p.target;
  Geometry g(t, in);
  bool packed = in.opcode() != Opcode::Gemm; // GEMM_CSR, GEMM_WIN
  // An output that overlaps the input runs pixel by pixel in runTiles.
  bool overlap = outputOverlapsInput(g, in);
  if (plan && plan->tags.size() <= s.wtag.size() - g.wAddr &&
      std::equal(plan->tags.begin(), plan->tags.end(),
                 s.wtag.begin() + g.wAddr) &&
      !(plan->wino && overlap)) {
    if (plan->wino) {
      runWinograd(t, in, g, s, *plan->wino, threads, plan->abufDead);
      return;
    }
    runTiles(t, in, g, s, plan->segments, plan->kc,
             plan->a.empty() ? nullptr : &plan->a,
             plan->colMul.empty() ? nullptr : plan->colMul.data(),
             plan->a8.empty() ? nullptr : &plan->a8, plan->w32.data(), threads,
             plan->amxW.empty() ? nullptr : plan, plan->abufDead);
    return;
  }
  if (g.M <= kFewPixels && !overlap && !packed) {
    runFewPixels(p, in, g, s);
    return;
  }
  // Only this instruction's rows, straight from the const rows their WBUF
  // tags name (what syncWeights would decode for the whole buffer).
  size_t rows;
  std::vector<uint32_t> w =
      packed ? decodePacked(g, p, in, s.wtag.data() + g.wAddr,
                            s.wtag.size() - g.wAddr, t.Q, rows)
             : decodeTagged(g, p, s.wtag.data() + g.wAddr, t.Q);
  std::vector<Segment> segs;
  size_t kc;
  keepRows(g, t.L, t.Q, w, segs, kc);
  runTiles(t, in, g, s, segs, kc, nullptr, nullptr, nullptr, w.data(),
           threads);
}
} // namespace

void executeGemm(const Program &p, const Instr &in, MachineState &s,
                 const GemmPlan *plan, unsigned threads) {
  std::optional<isa::GemmPool> pool = isa::gemmPool(in);
  if (pool && in.get(Field::Gemm_epilogue)) {
    // The fused max pool (docs/isa.md 3.3): the epilogue's tile, pooled
    // as a POOL of mode 0 would, into FBUF.
    uint32_t L = p.target.L;
    int64_t oh = in.get(Field::Gemm_out_h), ow = in.get(Field::Gemm_out_w);
    s.poolTile.resize(size_t(oh * ow) * L);
    gemmTiles(p, in, s, plan, threads);
    rk::Window2D w{oh,        ow,     int64_t(pool->outH), int64_t(pool->outW),
                   pool->k,   pool->k, pool->s,            pool->s,
                   1,         1,      pool->padT,          pool->padL};
    thread_local std::vector<int8_t> rowMax;
    rowMax.resize(size_t(ow) * L);
    rk::maxPoolPlane(s.poolTile.data(), L, w, rowMax.data(),
                     s.fbuf.data() + in.get(Field::Gemm_out_addr) * L);
    return;
  }
  gemmTiles(p, in, s, plan, threads);
  if (!in.get(Field::Gemm_residual))
    return;
  // The residual add (docs/isa.md 3.3): the tile that follows the output
  // is added to it, in place, under the next parameter entry.
  uint64_t out = in.get(Field::Gemm_out_addr),
           m = uint64_t(in.get(Field::Gemm_out_h)) * in.get(Field::Gemm_out_w);
  addBlock(p.target, s, out, out + m, out, m,
           uint64_t(in.get(Field::Gemm_param_addr)) + 1);
}

} // namespace dlprt
