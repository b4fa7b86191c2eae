//===- IGemmAmx.cpp - Exact int8 x int8 -> int32 GEMM on AMX --------------===//
//
// Per 32 pixels (two tiles of X rows): their sums start from the base;
// the (group, output block) columns over one range of X two at a time
// (byte planes of one block, or one group's neighbouring blocks) times the
// two pixel tiles are summed in four tiles (tdpbssd), stored, shifted left
// by their groups' exponents and added; then the rows are written out.
// Tile loads cost about three products here, so each W tile serves two
// pixel tiles and each X tile two columns. Every step is a product, a sum
// or a multiplication by a power of two modulo 2^32.
//
// Without AMX (AVX-512 VNNI): per group, a few pixels times the group's
// live output blocks are summed in zmm registers by vpdpbusd (X + 128 as
// unsigned bytes times the int8 weights, four products per int32 lane),
// the offset's correction -128 * sum w added back, shifted by the group's
// exponent and added to the output rows: the same sums modulo 2^32.
//
//===----------------------------------------------------------------------===//

#include "dlprt/kernels/IGemmAmx.h"

#include "Cpu.h"

#include <algorithm>
#include <cstring>

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>
#define DLP_AMX_HAVE 1
// GCC 12's AVX-512 shift intrinsics start from _mm512_undefined_epi32(),
// which -W(maybe-)uninitialized reports once inlined.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#define DLP_AMX_TARGET                                                         \
  __attribute__((target("amx-tile,amx-int8,avx2,avx512f,avx512bw")))
#define DLP_VNNI_TARGET                                                        \
  __attribute__((target("avx2,avx512f,avx512bw,avx512vnni")))
#else
#define DLP_AMX_HAVE 0
#endif

using namespace dlprt::kernels;
using namespace dlprt::kernels::amx;

namespace {

bool detect() {
#if DLP_AMX_HAVE
  if (!cpu().amxInt8 || !cpu().avx512bw)
    return false;
  // Linux: the tile data state is enabled per process on request
  // (ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA).
  return syscall(SYS_arch_prctl, 0x1023, 18) == 0;
#else
  return false;
#endif
}

/// The portable loops: the same sums in the same modular arithmetic (X as
/// int8, or with `biased` as X + 128 in unsigned bytes).
void gemmGeneric(const PackedW &w, const int8_t *x, int64_t ldx, int64_t n,
                 const int32_t *bias, bool accumulate, uint32_t *out,
                 int64_t ldo, bool biased = false, int64_t ldc = kChunk) {
  for (int64_t j = 0; j < n; ++j) {
    const int8_t *xr = x + j * ldx;
    for (int64_t i = 0; i < w.rows(); ++i) {
      uint32_t acc = accumulate ? out[j * ldo + i] : uint32_t(bias[i]);
      for (size_t g = 0; g < w.groups().size(); ++g) {
        const Group &gr = w.groups()[g];
        uint32_t s = 0;
        for (int64_t p = gr.start; p < gr.start + gr.cols; ++p) {
          int8_t v = xr[p / kChunk * ldc + p % kChunk];
          s += uint32_t(int32_t(w.weight(g, i, p)) *
                        (biased ? int32_t(uint8_t(v)) - 128 : int32_t(v)));
        }
        acc += s << gr.exp;
      }
      out[j * ldo + i] = acc;
    }
  }
}

int64_t chunksOf(const Group &g) { return (g.cols + kChunk - 1) / kChunk; }

#if DLP_AMX_HAVE
struct alignas(64) TileConfig {
  uint8_t palette = 1, startRow = 0, reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

/// One output block of one group: a column of 16 outputs of the tiles.
struct Column {
  size_t g;
  int64_t b;
};

/// Sums column a and (with b, a column over the same range of X) column b
/// for the pixel tiles x (rows 0-15) and, with `p1`, x + 16 rows: tiles 0
/// (a, p0), 1 (b, p0), 2 (a, p1), 3 (b, p1), four independent chains of
/// tdpbssd. Tiles 4 and 5 hold X, 6 and 7 W: two tile loads per two
/// products at most.
DLP_AMX_TARGET void unitTiles(const PackedW &w, Column a, const Column *b,
                              bool p1, const int8_t *x, int64_t ldx) {
  const Group &g = w.groups()[a.g];
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  const int8_t *x1 = x + 16 * ldx;
  for (int64_t c = 0; c < chunksOf(g); ++c) {
    const int8_t *t0 = w.tile(a.g, c, a.b);
    const int8_t *t1 = b ? w.tile(b->g, c, b->b) : nullptr;
    if (!t0 && !t1)
      continue;
    _tile_loadd(4, x + g.start + c * kChunk, ldx);
    if (p1)
      _tile_loadd(5, x1 + g.start + c * kChunk, ldx);
    if (t0) {
      _tile_loadd(6, t0, 64);
      _tile_dpbssd(0, 4, 6);
      if (p1)
        _tile_dpbssd(2, 5, 6);
    }
    if (t1) {
      _tile_loadd(7, t1, 64);
      _tile_dpbssd(1, 4, 7);
      if (p1)
        _tile_dpbssd(3, 5, 7);
    }
  }
}

/// Stores the tiles unitTiles summed: tile 2 * pi + ci at t + 256 * (2 *
/// pi + ci).
DLP_AMX_TARGET void storeUnit(bool two, bool p1, int32_t *t) {
  _tile_stored(0, t, 64);
  if (two)
    _tile_stored(1, t + 256, 64);
  if (p1)
    _tile_stored(2, t + 512, 64);
  if (two && p1)
    _tile_stored(3, t + 768, 64);
}

/// One group of exponent 0 and whole blocks of at most 64 outputs: tiles
/// 0-3 (blocks 0-3) start from the base and are stored into `out` as they
/// are (no shift, no vector pass), for the whole pixel tiles below n.
DLP_AMX_TARGET void gemmAmxDirect(const PackedW &w, const int8_t *x,
                                  int64_t ldx, int64_t n, const int32_t *bias,
                                  bool accumulate, uint32_t *out,
                                  int64_t ldo) {
  const int64_t blocks = w.blocks(), chunks = chunksOf(w.groups()[0]);
  const int8_t *x0 = x + w.groups()[0].start;
  // The bias as tiles: 16 equal rows per block.
  thread_local std::vector<int32_t> biasTiles;
  if (!accumulate) {
    biasTiles.resize(size_t(blocks * 256));
    for (int64_t b = 0; b < blocks; ++b)
      for (int r = 0; r < 16; ++r)
        std::memcpy(biasTiles.data() + b * 256 + r * 16, bias + b * 16,
                    16 * sizeof(int32_t));
  }
  const int64_t stride = ldo * int64_t(sizeof(uint32_t));
  for (int64_t j0 = 0; j0 + kTileRows <= n; j0 += kTileRows) {
    uint32_t *o = out + j0 * ldo;
#define DLP_AMX_BASE(T)                                                        \
  if (blocks > T) {                                                            \
    if (accumulate)                                                            \
      _tile_loadd(T, o + T * 16, stride);                                      \
    else                                                                       \
      _tile_loadd(T, biasTiles.data() + T * 256, 64);                          \
  }
    DLP_AMX_BASE(0)
    DLP_AMX_BASE(1)
    DLP_AMX_BASE(2)
    DLP_AMX_BASE(3)
#undef DLP_AMX_BASE
    for (int64_t c = 0; c < chunks; ++c) {
      _tile_loadd(4, x0 + j0 * ldx + c * kChunk, ldx);
#define DLP_AMX_DP(T, B)                                                       \
  if (blocks > T)                                                              \
    if (const int8_t *t = w.tile(0, c, T)) {                                   \
      _tile_loadd(B, t, 64);                                                   \
      _tile_dpbssd(T, 4, B);                                                   \
    }
      DLP_AMX_DP(0, 5)
      DLP_AMX_DP(1, 6)
      DLP_AMX_DP(2, 7)
      DLP_AMX_DP(3, 5)
#undef DLP_AMX_DP
    }
    _tile_stored(0, o, stride);
    if (blocks > 1)
      _tile_stored(1, o + 16, stride);
    if (blocks > 2)
      _tile_stored(2, o + 32, stride);
    if (blocks > 3)
      _tile_stored(3, o + 48, stride);
  }
}

DLP_AMX_TARGET void gemmAmx(const PackedW &w, const int8_t *x, int64_t ldx,
                            int64_t n, const int32_t *bias, bool accumulate,
                            uint32_t *out, int64_t ldo) {
  TileConfig cfg;
  for (int t = 0; t < 8; ++t) {
    cfg.colsb[t] = 64;
    cfg.rows[t] = 16;
  }
  _tile_loadconfig(&cfg);
  const int64_t m = w.rows(), blocks = w.blocks(), lds = blocks * 16;
  // Whole pixel tiles of one unshifted group straight through the tiles.
  int64_t jd = 0;
  if (w.groups().size() == 1 && w.groups()[0].exp == 0 && m % 16 == 0 &&
      blocks <= 4) {
    jd = n / kTileRows * kTileRows;
    gemmAmxDirect(w, x, ldx, jd, bias, accumulate, out, ldo);
    x += jd * ldx;
    out += jd * ldo;
    n -= jd;
  }
  const std::vector<Group> &groups = w.groups();
  // Every (group, block) column with a nonzero tile, those over one range
  // of X together, paired where two share it.
  auto sameRange = [&](size_t g, size_t h) {
    return groups[g].start == groups[h].start &&
           groups[g].cols == groups[h].cols;
  };
  std::vector<Column> cols;
  std::vector<char> placed(groups.size(), 0);
  for (size_t g = 0; g < groups.size(); ++g) {
    if (placed[g])
      continue;
    for (int64_t b = 0; b < blocks; ++b)
      for (size_t h = g; h < groups.size(); ++h) {
        if (!sameRange(g, h))
          continue;
        placed[h] = 1;
        bool any = false;
        for (int64_t c = 0; c < chunksOf(groups[h]); ++c)
          any |= w.tile(h, c, b) != nullptr;
        if (any)
          cols.push_back({h, b});
      }
  }
  std::vector<std::pair<size_t, bool>> units; // first column, paired
  for (size_t i = 0; i < cols.size();) {
    bool two = i + 1 < cols.size() && sameRange(cols[i].g, cols[i + 1].g);
    units.push_back({i, two});
    i += two ? 2 : 1;
  }
  // The sums of 32 pixels (rows of lds), from the base.
  thread_local std::vector<int32_t> sumBuf;
  if (sumBuf.size() < size_t(32 * lds))
    sumBuf.resize(size_t(32 * lds));
  int32_t *sum = sumBuf.data();
  alignas(64) int32_t tmp[1024];
  const __mmask16 tail = __mmask16((1u << (m - (blocks - 1) * 16)) - 1);
  for (int64_t j0 = 0; j0 < n; j0 += 2 * kTileRows) {
    int64_t rows = std::min(2 * kTileRows, n - j0);
    bool p1 = rows > kTileRows;
    const int8_t *xt = x + j0 * ldx;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t b = 0; b < blocks; ++b) {
        __mmask16 k = b + 1 < blocks ? __mmask16(0xffff) : tail;
        _mm512_storeu_si512(
            sum + r * lds + b * 16,
            accumulate ? _mm512_maskz_loadu_epi32(k, out + (j0 + r) * ldo + b * 16)
                       : _mm512_maskz_loadu_epi32(k, bias + b * 16));
      }
    for (auto [i, two] : units) {
      unitTiles(w, cols[i], two ? &cols[i + 1] : nullptr, p1, xt, ldx);
      storeUnit(two, p1, tmp);
      for (int pi = 0; pi < (p1 ? 2 : 1); ++pi)
        for (int ci = 0; ci < (two ? 2 : 1); ++ci) {
          const Column &col = cols[i + size_t(ci)];
          const int32_t *t = tmp + 256 * (2 * pi + ci);
          __m512i count = _mm512_set1_epi32(groups[col.g].exp);
          int32_t *s = sum + pi * 16 * lds + col.b * 16;
          for (int r = 0; r < 16; ++r)
            _mm512_storeu_si512(
                s + r * lds,
                _mm512_add_epi32(
                    _mm512_loadu_si512(s + r * lds),
                    _mm512_sllv_epi32(_mm512_load_si512(t + r * 16), count)));
        }
    }
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t b = 0; b < blocks; ++b)
        _mm512_mask_storeu_epi32(out + (j0 + r) * ldo + b * 16,
                                 b + 1 < blocks ? __mmask16(0xffff) : tail,
                                 _mm512_loadu_si512(sum + r * lds + b * 16));
  }
}

/// The sums of group g for P pixels (rows of x) and the NB output blocks
/// blk[0..NB) of the group that have a nonzero tile, in registers (P <= 8,
/// NB <= 4: named variables, which GCC keeps in registers, where an array
/// of vectors goes to memory); then out(j, i) += (sum + correction) << exp
/// for those blocks.
#define DLP_VNNI_P(M, b) M(0, b) M(1, b) M(2, b) M(3, b) M(4, b) M(5, b) M(6, b) M(7, b)
#define DLP_VNNI_PB(M) DLP_VNNI_P(M, 0) DLP_VNNI_P(M, 1) DLP_VNNI_P(M, 2) DLP_VNNI_P(M, 3)
template <int P, int NB, bool Biased>
DLP_VNNI_TARGET void vnniPixels(const PackedW &w, size_t g, const int64_t *blk,
                                const uint32_t *const *base, const int8_t *x,
                                int64_t ldx, int64_t ldc, uint32_t *out,
                                int64_t ldo) {
  static_assert(P >= 1 && P <= 8 && NB >= 1 && NB <= 4, "register tile");
  const Group &gr = w.groups()[g];
  const __m512i flip = _mm512_set1_epi32(int32_t(0x80808080u));
  // A zero tile stands for a block's skipped one (no branch in the loop).
  alignas(64) static const int8_t zeroTile[1024] = {};
#define DLP_VNNI_DECL(p, b) __m512i a##p##b = _mm512_setzero_si512();
  DLP_VNNI_PB(DLP_VNNI_DECL)
#undef DLP_VNNI_DECL
  const int8_t *t[4] = {zeroTile, zeroTile, zeroTile, zeroTile};
  for (int64_t c = 0; c < chunksOf(gr); ++c) {
    for (int b = 0; b < NB; ++b)
      if (const int8_t *tile = w.tile(g, c, blk[b]))
        t[b] = tile;
      else
        t[b] = zeroTile;
    // Chunks ldc apart (groups start at a chunk where ldc != kChunk).
    const int8_t *xc = x + gr.start / kChunk * ldc + gr.start % kChunk + c * ldc;
    // The quads that hold the group's columns (a group's last chunk may be
    // short: the rest of its tile is zero).
    const int64_t nq = std::min<int64_t>(16, (gr.cols - c * kChunk + 3) / 4);
    for (int q = 0; q < nq; ++q) {
      __m512i w0 = _mm512_loadu_si512(t[0] + q * 64), w1 = w0, w2 = w0,
              w3 = w0;
      if constexpr (NB > 1)
        w1 = _mm512_loadu_si512(t[1] + q * 64);
      if constexpr (NB > 2)
        w2 = _mm512_loadu_si512(t[2] + q * 64);
      if constexpr (NB > 3)
        w3 = _mm512_loadu_si512(t[3] + q * 64);
  // In place by hand: GCC 12's vpdpbusd pattern takes only zmm0-15, and
  // copies every sum kept in zmm16-31 in and out around it.
#define DLP_VNNI_STEP(p, b)                                                    \
  if constexpr (P > p && NB > b)                                               \
    __asm__("vpdpbusd %2, %1, %0" : "+v"(a##p##b) : "v"(x##p), "v"(w##b));
#define DLP_VNNI_PIXEL(p, b_)                                                  \
  if constexpr (P > p) {                                                       \
    int32_t quad;                                                              \
    std::memcpy(&quad, xc + p * ldx + q * 4, sizeof(quad));                    \
    __m512i x##p = Biased ? _mm512_set1_epi32(quad)                            \
                          : _mm512_xor_si512(_mm512_set1_epi32(quad), flip);   \
    DLP_VNNI_STEP(p, 0) DLP_VNNI_STEP(p, 1) DLP_VNNI_STEP(p, 2)                \
    DLP_VNNI_STEP(p, 3)                                                        \
  }
      DLP_VNNI_P(DLP_VNNI_PIXEL, 0)
#undef DLP_VNNI_PIXEL
#undef DLP_VNNI_STEP
    }
  }
  const int64_t m = w.rows();
  const uint32_t *corr = w.offsetCorrection(g);
  const __m128i count = _mm_cvtsi32_si128(gr.exp);
  __mmask16 k[4];
  __m512i cv[4], bv[4];
  for (int b = 0; b < NB; ++b) {
    int64_t i0 = blk[b] * 16;
    k[b] = i0 + 16 <= m ? __mmask16(0xffff) : __mmask16((1u << (m - i0)) - 1);
    cv[b] = _mm512_loadu_si512(corr + i0);
    bv[b] = base[b] ? _mm512_maskz_loadu_epi32(k[b], base[b] + i0)
                    : _mm512_setzero_si512();
  }
  // Each block's sums go on its base (the bias, the first time a block is
  // written) or on what the output row holds.
#define DLP_VNNI_OUT(p, b)                                                     \
  if constexpr (P > p && NB > b) {                                             \
    uint32_t *o = out + p * ldo + blk[b] * 16;                                 \
    __m512i v = _mm512_sll_epi32(_mm512_add_epi32(a##p##b, cv[b]), count);    \
    __m512i old = base[b] ? bv[b] : _mm512_maskz_loadu_epi32(k[b], o);         \
    _mm512_mask_storeu_epi32(o, k[b], _mm512_add_epi32(old, v));              \
  }
  DLP_VNNI_PB(DLP_VNNI_OUT)
#undef DLP_VNNI_OUT
}
#undef DLP_VNNI_PB
#undef DLP_VNNI_P

/// vnniPixels over n pixels.
template <int NB, bool Biased>
DLP_VNNI_TARGET void vnniRows(const PackedW &w, size_t g, const int64_t *blk,
                              const uint32_t *const *base, const int8_t *x,
                              int64_t ldx, int64_t ldc, int64_t n,
                              uint32_t *out, int64_t ldo) {
  // Registers: P * NB sums, NB weight rows, the broadcast and the flip.
  constexpr int kP = NB == 4 ? 6 : NB == 3 ? 7 : 8;
  int64_t j = 0;
  for (; j + kP <= n; j += kP)
    vnniPixels<kP, NB, Biased>(w, g, blk, base, x + j * ldx, ldx, ldc,
                               out + j * ldo, ldo);
  switch (n - j) {
#define DLP_VNNI_TAIL(R)                                                       \
  case R:                                                                      \
    if constexpr (R < kP)                                                      \
      vnniPixels<R, NB, Biased>(w, g, blk, base, x + j * ldx, ldx, ldc,         \
                                out + j * ldo, ldo);                           \
    break;
    DLP_VNNI_TAIL(1)
    DLP_VNNI_TAIL(2)
    DLP_VNNI_TAIL(3)
    DLP_VNNI_TAIL(4)
    DLP_VNNI_TAIL(5)
    DLP_VNNI_TAIL(6)
    DLP_VNNI_TAIL(7)
#undef DLP_VNNI_TAIL
  default:
    break;
  }
}

/// The VNNI kernel; X as int8, or (Biased) as X + 128 in unsigned bytes.
template <bool Biased>
DLP_VNNI_TARGET void gemmVnni(const PackedW &w, const int8_t *x, int64_t ldx,
                              int64_t n, const int32_t *bias, bool accumulate,
                              uint32_t *out, int64_t ldo,
                              int64_t ldc = kChunk) {
  const int64_t m = w.rows(), blocks = w.blocks();
  // Whether a block's rows hold their base (the output's, or the bias once
  // a group has written it).
  std::vector<char> written(size_t(blocks), accumulate ? 1 : 0);
  const uint32_t *biasRow = reinterpret_cast<const uint32_t *>(bias);
  for (size_t g = 0; g < w.groups().size(); ++g) {
    // The group's blocks with a nonzero tile, four at a time.
    std::vector<int64_t> live;
    for (int64_t b = 0; b < blocks; ++b)
      for (int64_t c = 0; c < chunksOf(w.groups()[g]); ++c)
        if (w.tile(g, c, b)) {
          live.push_back(b);
          break;
        }
    for (size_t b0 = 0; b0 < live.size(); b0 += 4) {
      const int64_t *blk = live.data() + b0;
      size_t nb = std::min<size_t>(4, live.size() - b0);
      // The bias as the base of a block's first sums (blocks of 16
      // entries: base[j] + i0 is the bias of the block's outputs).
      const uint32_t *base[4] = {};
      for (size_t j = 0; j < nb; ++j) {
        base[j] = written[size_t(blk[j])] ? nullptr : biasRow;
        written[size_t(blk[j])] = 1;
      }
      switch (nb) {
      case 1:
        vnniRows<1, Biased>(w, g, blk, base, x, ldx, ldc, n, out, ldo);
        break;
      case 2:
        vnniRows<2, Biased>(w, g, blk, base, x, ldx, ldc, n, out, ldo);
        break;
      case 3:
        vnniRows<3, Biased>(w, g, blk, base, x, ldx, ldc, n, out, ldo);
        break;
      default:
        vnniRows<4, Biased>(w, g, blk, base, x, ldx, ldc, n, out, ldo);
        break;
      }
    }
  }
  // Blocks no group wrote: the bias alone.
  for (int64_t b = 0; b < blocks; ++b)
    if (!written[size_t(b)]) {
      int64_t i0 = b * 16, cols = std::min<int64_t>(16, m - i0);
      for (int64_t j = 0; j < n; ++j)
        std::memcpy(out + j * ldo + i0, bias + i0,
                    size_t(cols) * sizeof(uint32_t));
    }
}
#endif

} // namespace

bool amx::available() {
  static const bool yes = detect();
  return yes;
}

bool amx::vnniAvailable() {
#if DLP_AMX_HAVE
  static const bool yes = cpu().avx512bw && cpu().avx512vnni;
  return yes;
#else
  return false;
#endif
}

bool PackedW::pack(int64_t rows, const std::vector<Group> &groups,
                   const std::vector<const int8_t *> &weights) {
  m = d = 0;
  values.clear();
  corr.clear();
  zero.clear();
  first.clear();
  groupList.clear();
  if (rows < 1 || weights.size() != groups.size())
    return false;
  int64_t bytes = 0, depth = 0;
  int64_t nb = (rows + 15) / 16;
  for (const Group &g : groups) {
    if (g.start < 0 || g.cols < 0 || g.exp < 0 || g.exp > 31)
      return false;
    first.push_back(bytes);
    bytes += chunksOf(g) * nb * 1024;
    depth = std::max(depth, g.start + chunksOf(g) * kChunk);
  }
  m = rows;
  d = depth;
  groupList = groups;
  values.assign(size_t(bytes), 0);
  for (size_t g = 0; g < groups.size(); ++g)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t p = 0; p < groups[g].cols; ++p) {
        int64_t c = p / kChunk, q = (p % kChunk) / 4;
        values[size_t(first[g] + (c * nb + i / 16) * 1024 + q * 64 +
                      (i % 16) * 4 + p % 4)] =
            weights[g][i * groups[g].cols + p];
      }
  zero.assign(size_t(bytes / 1024), 1);
  for (size_t t = 0; t < zero.size(); ++t)
    for (size_t k = 0; k < 1024 && zero[t]; ++k)
      zero[t] = values[t * 1024 + k] == 0;
  corr.assign(groups.size() * size_t(nb * 16), 0);
  for (size_t g = 0; g < groups.size(); ++g)
    for (int64_t i = 0; i < m; ++i) {
      uint32_t sum = 0;
      for (int64_t p = 0; p < groups[g].cols; ++p)
        sum += uint32_t(int32_t(weights[g][i * groups[g].cols + p]));
      corr[g * size_t(nb * 16) + size_t(i)] = 0u - 128u * sum;
    }
  return true;
}

int8_t PackedW::weight(size_t g, int64_t i, int64_t p) const {
  p -= groupList[g].start;
  int64_t c = p / kChunk, q = (p % kChunk) / 4;
  return values[size_t(first[g] + (c * blocks() + i / 16) * 1024 + q * 64 +
                       (i % 16) * 4 + p % 4)];
}

void amx::gemm(const PackedW &w, const int8_t *x, int64_t ldx, int64_t n,
               const int32_t *bias, bool accumulate, uint32_t *out,
               int64_t ldo, Kernel kernel) {
  if (w.empty() || n <= 0)
    return;
#if DLP_AMX_HAVE
  if (kernel == Kernel::Best && available())
    return gemmAmx(w, x, ldx, n, bias, accumulate, out, ldo);
  if (kernel != Kernel::Generic && vnniAvailable())
    return gemmVnni<false>(w, x, ldx, n, bias, accumulate, out, ldo);
#endif
  gemmGeneric(w, x, ldx, n, bias, accumulate, out, ldo);
}

void amx::gemmChunked(const PackedW &w, const int8_t *x, int64_t ldx,
                      int64_t ldc, int64_t n, const int32_t *bias,
                      bool accumulate, uint32_t *out, int64_t ldo,
                      bool generic) {
  if (w.empty() || n <= 0)
    return;
#if DLP_AMX_HAVE
  if (!generic && vnniAvailable())
    return gemmVnni<false>(w, x, ldx, n, bias, accumulate, out, ldo, ldc);
#endif
  gemmGeneric(w, x, ldx, n, bias, accumulate, out, ldo, /*biased=*/false,
              ldc);
}

void amx::gemmBiasedX(const PackedW &w, const uint8_t *xb, int64_t ldx,
                      int64_t n, const int32_t *bias, bool accumulate,
                      uint32_t *out, int64_t ldo, bool generic) {
  if (w.empty() || n <= 0)
    return;
  const int8_t *x = reinterpret_cast<const int8_t *>(xb);
#if DLP_AMX_HAVE
  if (!generic && vnniAvailable())
    return gemmVnni<true>(w, x, ldx, n, bias, accumulate, out, ldo);
#endif
  gemmGeneric(w, x, ldx, n, bias, accumulate, out, ldo, /*biased=*/true);
}
