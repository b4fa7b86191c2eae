//===- IGemmAmx.cpp - Exact int8 x int8 -> int32 GEMM on AMX --------------===//
//
// Per 16 pixels (one tile of X rows) and block of 16 outputs: the base in
// 16 AVX-512 registers; the groups two at a time (a unit) summed in two
// tiles (tdpbssd; one X tile for both when they cover the same range, as
// byte planes do), stored, shifted left by their exponents and added; then
// the rows written out. Units alternate between two sets of result tiles,
// and the next unit's products are issued before this one's are stored,
// so the tile unit and the vector unit overlap. Every step is a product, a
// sum or a multiplication by a power of two modulo 2^32.
//
//===----------------------------------------------------------------------===//

#include "dlprt/kernels/IGemmAmx.h"

#include <algorithm>
#include <cstring>

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>
#define DLP_AMX_HAVE 1
// GCC 12's AVX-512 shift intrinsics start from _mm512_undefined_epi32(),
// which -Wmaybe-uninitialized reports once inlined.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#define DLP_AMX_TARGET                                                         \
  __attribute__((target("amx-tile,amx-int8,avx2,avx512f,avx512bw")))
#else
#define DLP_AMX_HAVE 0
#endif

using namespace dlprt::kernels;
using namespace dlprt::kernels::amx;

namespace {

bool detect() {
#if DLP_AMX_HAVE
  unsigned eax, ebx, ecx, edx;
  __asm__("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(7), "c"(0));
  bool tile = edx & (1u << 24), int8 = edx & (1u << 25);
  __builtin_cpu_init();
  if (!tile || !int8 || !__builtin_cpu_supports("avx512f") ||
      !__builtin_cpu_supports("avx512bw"))
    return false;
  // Linux: the tile data state is enabled per process on request
  // (ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA).
  return syscall(SYS_arch_prctl, 0x1023, 18) == 0;
#else
  return false;
#endif
}

/// The portable loops: the same sums in the same modular arithmetic.
void gemmGeneric(const PackedW &w, const int8_t *x, int64_t ldx, int64_t n,
                 const int32_t *bias, bool accumulate, uint32_t *out,
                 int64_t ldo) {
  for (int64_t j = 0; j < n; ++j) {
    const int8_t *xr = x + j * ldx;
    for (int64_t i = 0; i < w.rows(); ++i) {
      uint32_t acc = accumulate ? out[j * ldo + i] : uint32_t(bias[i]);
      for (size_t g = 0; g < w.groups().size(); ++g) {
        const Group &gr = w.groups()[g];
        uint32_t s = 0;
        for (int64_t p = gr.start; p < gr.start + gr.cols; ++p)
          s += uint32_t(int32_t(w.weight(g, i, p)) * int32_t(xr[p]));
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

/// Groups g0 and (with `two`) g0 + 1 for output block b, summed into the
/// result tiles C0 and C1 (tiles 2, 3: X; 4, 5: W). The intrinsics take
/// literal tile numbers, hence one function per set.
#define DLP_AMX_SET(S, C0, C1)                                                 \
  DLP_AMX_TARGET inline void issue##S(const PackedW &w, size_t g0, bool two,   \
                                      const int8_t *x, int64_t ldx,            \
                                      int64_t b) {                             \
    const Group &ga = w.groups()[g0];                                          \
    const Group *gb = two ? &w.groups()[g0 + 1] : nullptr;                     \
    bool shared = gb && gb->start == ga.start && gb->cols == ga.cols;          \
    _tile_zero(C0);                                                            \
    if (gb)                                                                    \
      _tile_zero(C1);                                                          \
    for (int64_t c = 0; c < chunksOf(ga); ++c) {                               \
      const int8_t *ta = w.tile(g0, c, b);                                     \
      const int8_t *tb = shared ? w.tile(g0 + 1, c, b) : nullptr;              \
      if (!ta && !tb)                                                          \
        continue;                                                              \
      _tile_loadd(2, x + ga.start + c * kChunk, ldx);                          \
      if (ta) {                                                                \
        _tile_loadd(4, ta, 64);                                                \
        _tile_dpbssd(C0, 2, 4);                                                \
      }                                                                        \
      if (tb) {                                                                \
        _tile_loadd(5, tb, 64);                                                \
        _tile_dpbssd(C1, 2, 5);                                                \
      }                                                                        \
    }                                                                          \
    if (gb && !shared)                                                         \
      for (int64_t c = 0; c < chunksOf(*gb); ++c)                              \
        if (const int8_t *tb = w.tile(g0 + 1, c, b)) {                         \
          _tile_loadd(3, x + gb->start + c * kChunk, ldx);                     \
          _tile_loadd(5, tb, 64);                                              \
          _tile_dpbssd(C1, 3, 5);                                              \
        }                                                                      \
  }                                                                            \
  DLP_AMX_TARGET inline void store##S(bool two, int32_t *t) {                  \
    _tile_stored(C0, t, 64);                                                   \
    if (two)                                                                   \
      _tile_stored(C1, t + 256, 64);                                           \
  }
DLP_AMX_SET(0, 0, 1)
DLP_AMX_SET(1, 6, 7)
#undef DLP_AMX_SET

/// A pair of groups for one output block; g0 < 0: none (a block whose
/// weights are all zero still gets its base written).
struct Unit {
  int64_t b;
  int g0;
  bool two, first, last;
};

DLP_AMX_TARGET void gemmAmx(const PackedW &w, const int8_t *x, int64_t ldx,
                            int64_t n, const int32_t *bias, bool accumulate,
                            uint32_t *out, int64_t ldo) {
  TileConfig cfg;
  for (int t = 0; t < 8; ++t) {
    cfg.colsb[t] = 64;
    cfg.rows[t] = 16;
  }
  _tile_loadconfig(&cfg);
  const int64_t m = w.rows(), blocks = w.blocks();
  const std::vector<Group> &groups = w.groups();
  std::vector<Unit> units;
  for (int64_t b = 0; b < blocks; ++b) {
    size_t before = units.size();
    for (size_t g = 0; g < groups.size(); g += 2) {
      bool two = g + 1 < groups.size();
      bool any = false;
      for (size_t h = g; h < g + (two ? 2 : 1); ++h)
        for (int64_t c = 0; c < chunksOf(groups[h]); ++c)
          any |= w.tile(h, c, b) != nullptr;
      if (any)
        units.push_back({b, int(g), two, false, false});
    }
    if (units.size() == before)
      units.push_back({b, -1, false, false, false});
    units[before].first = true;
    units.back().last = true;
  }
  alignas(64) int32_t tmp[2][512];
  for (int64_t j0 = 0; j0 < n; j0 += kTileRows) {
    int rows = int(std::min(kTileRows, n - j0));
    const int8_t *xt = x + j0 * ldx;
    auto issue = [&](size_t u) DLP_AMX_TARGET {
      const Unit &un = units[u];
      if (un.g0 < 0)
        return;
      if (u & 1)
        issue1(w, size_t(un.g0), un.two, xt, ldx, un.b);
      else
        issue0(w, size_t(un.g0), un.two, xt, ldx, un.b);
    };
    issue(0);
    __m512i acc[16];
    __mmask16 cols = 0;
    for (size_t u = 0; u < units.size(); ++u) {
      if (u + 1 < units.size())
        issue(u + 1);
      const Unit &un = units[u];
      int64_t i0 = un.b * 16;
      if (un.first) {
        cols = __mmask16((1u << std::min<int64_t>(16, m - i0)) - 1);
        __m512i b16 = accumulate ? _mm512_setzero_si512()
                                 : _mm512_maskz_loadu_epi32(cols, bias + i0);
        for (int r = 0; r < 16; ++r)
          acc[r] = !accumulate ? b16
                   : r < rows
                       ? _mm512_maskz_loadu_epi32(cols, out + (j0 + r) * ldo + i0)
                       : _mm512_setzero_si512();
      }
      if (un.g0 >= 0) {
        int32_t *t = tmp[u & 1];
        if (u & 1)
          store1(un.two, t);
        else
          store0(un.two, t);
        for (int h = 0; h < (un.two ? 2 : 1); ++h) {
          __m512i count = _mm512_set1_epi32(groups[size_t(un.g0 + h)].exp);
          for (int r = 0; r < 16; ++r)
            acc[r] = _mm512_add_epi32(
                acc[r], _mm512_sllv_epi32(
                            _mm512_load_si512(t + h * 256 + r * 16), count));
        }
      }
      if (un.last)
        for (int r = 0; r < rows; ++r)
          _mm512_mask_storeu_epi32(out + (j0 + r) * ldo + i0, cols, acc[r]);
    }
  }
}
#endif

} // namespace

bool amx::available() {
  static const bool yes = detect();
  return yes;
}

bool PackedW::pack(int64_t rows, const std::vector<Group> &groups,
                   const std::vector<const int8_t *> &weights) {
  m = d = 0;
  values.clear();
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
               int64_t ldo, bool generic) {
  if (w.empty() || n <= 0)
    return;
#if DLP_AMX_HAVE
  if (!generic && available())
    return gemmAmx(w, x, ldx, n, bias, accumulate, out, ldo);
#endif
  gemmGeneric(w, x, ldx, n, bias, accumulate, out, ldo);
}
