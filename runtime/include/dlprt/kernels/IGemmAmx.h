//===- IGemmAmx.h - Exact int8 x int8 -> int32 GEMM on AMX ------*- C++ -*-===//
//
// The simulator's GEMM on CPUs with AMX-INT8 (tdpbssd: a 16 x 64 tile of
// int8 times a 16 x 64 tile of int8 quads, summed into 16 x 16 int32,
// about 30 times the products per cycle of AVX-512 VNNI on 256-bit
// vectors). Out = X * W^T + base, X an n x depth int8 matrix (row j: the
// gathered inputs of pixel j) and W an m x depth matrix of multipliers
// given as terms: groups g, each a range [start_g, start_g + cols_g) of
// the depth with int8 weights w_g and an exponent e_g,
//
//   W(i, p) = sum over the groups g holding p of w_g(i, p) * 2^e_g.
//
// Groups may overlap: the byte planes of int16 / int32 multipliers are
// groups over the same range with exponents e, e + 8, ... Each group's
// products are summed in int32 tiles, shifted left by its exponent and
// added:
//
//   Out(j, i) = base(j, i) + sum_g (sum_p w_g(i, p) * X(j, p)) << e_g
//
// all modulo 2^32, which is sum_p W(i, p) * X(j, p) + base modulo 2^32:
// the exact sum where the caller proved it fits int32, the same bits as
// the other GEMM paths (IGemm.h) always.
//
// Out is pixel-major (row j holds the m outputs of pixel j), as the
// simulator's ABUF.
//
//===----------------------------------------------------------------------===//
#ifndef DLPRT_KERNELS_IGEMMAMX_H
#define DLPRT_KERNELS_IGEMMAMX_H

#include <cstddef>
#include <cstdint>
#include <vector>

namespace dlprt::kernels::amx {

/// Depth of one tile (bytes of a tile row).
constexpr int64_t kChunk = 64;
/// Pixels per tile: callers' X must have this many rows readable past any
/// row they ask for, rounded up (gemm reads whole tiles).
constexpr int64_t kTileRows = 16;

/// Whether AMX-INT8 runs in this process (CPU support and the kernel's
/// permission, asked for once).
bool available();

/// Whether the AVX-512 VNNI kernel over the same packed W runs on this CPU
/// (AVX-512 F, BW and VNNI): the path of CPUs without AMX.
bool vnniAvailable();

/// Which kernel gemm runs: `Best` the AMX tiles where available, else
/// AVX-512 VNNI where available, else the portable loops; `Vnni` the VNNI
/// kernel (where available, else the portable loops); `Generic` the
/// portable loops (tests). Every kernel gives the same bits.
enum class Kernel { Best, Vnni, Generic };

/// Depth positions [start, start + cols) with exponent exp in [0, 31].
struct Group {
  int64_t start, cols;
  int exp;
};

/// W packed as tdpbssd's right operands: for every group, chunk of kChunk
/// positions and block of 16 outputs, a 16 (quads) x 64 byte tile.
class PackedW {
public:
  /// Packs m outputs with groups `groups`, group g's weights the m x
  /// cols_g int8 matrix weights[g] (row-major). False (this empty) on an
  /// exponent outside [0, 31], a negative start or size, or m < 1.
  bool pack(int64_t m, const std::vector<Group> &groups,
            const std::vector<const int8_t *> &weights);

  int64_t rows() const { return m; }
  /// Bytes of an X row the tiles read: every group's chunks.
  int64_t depth() const { return d; }
  bool empty() const { return m == 0; }
  const std::vector<Group> &groups() const { return groupList; }
  /// Blocks of 16 outputs.
  int64_t blocks() const { return (m + 15) / 16; }
  /// Tile of group g, chunk c (of the group), output block b; null when
  /// all its weights are zero.
  const int8_t *tile(size_t g, int64_t c, int64_t b) const {
    const int8_t *t = values.data() + first[g] + (c * blocks() + b) * 1024;
    return zero[size_t((first[g] / 1024) + c * blocks() + b)] ? nullptr : t;
  }
  /// w_g(i, p) for p in the group's range (tests).
  int8_t weight(size_t g, int64_t i, int64_t p) const;
  /// -128 * sum_p w_g(i, p) modulo 2^32 for outputs i of group g (blocks()
  /// * 16 of them, zero past rows()): the VNNI kernel multiplies X + 128
  /// (unsigned) and adds this back.
  const uint32_t *offsetCorrection(size_t g) const {
    return corr.data() + g * size_t(blocks() * 16);
  }

private:
  int64_t m = 0, d = 0;
  std::vector<uint32_t> corr;
  std::vector<int8_t> values;
  std::vector<char> zero;
  std::vector<int64_t> first;
  std::vector<Group> groupList;
};

/// out[j * ldo + i] = (accumulate ? out[j * ldo + i] : bias[i]) + sum_p
/// W(i, p) * x[j * ldx + p], modulo 2^32, for j < n and i < w.rows().
/// x: rows of at least w.depth() readable bytes (those past a group's
/// columns meet zero weights), readable up to row n rounded up to
/// kTileRows. `kernel`: which implementation runs (Kernel).
void gemm(const PackedW &w, const int8_t *x, int64_t ldx, int64_t n,
          const int32_t *bias, bool accumulate, uint32_t *out, int64_t ldo,
          Kernel kernel = Kernel::Best);

/// As gemm with the VNNI kernel (or, with `generic` or without AVX-512
/// VNNI, the portable loops), X given as X + 128 in unsigned bytes (`xb`),
/// the kernel's own operand: a caller that forms X anyway (the simulator's
/// gather) saves the kernel a conversion per broadcast.
void gemmBiasedX(const PackedW &w, const uint8_t *xb, int64_t ldx, int64_t n,
                 const int32_t *bias, bool accumulate, uint32_t *out,
                 int64_t ldo, bool generic = false);

/// As gemm with the VNNI kernel (or, with `generic` or without AVX-512
/// VNNI, the portable loops), X's row j read in place as chunks: position
/// p at x[j * ldx + (p / kChunk) * ldc + p % kChunk] (a simulator's FBUF:
/// a 64-lane vector per channel block, the blocks ldc bytes apart). Every
/// group must start at a multiple of kChunk.
void gemmChunked(const PackedW &w, const int8_t *x, int64_t ldx, int64_t ldc,
                 int64_t n, const int32_t *bias, bool accumulate,
                 uint32_t *out, int64_t ldo, bool generic = false);

} // namespace dlprt::kernels::amx

#endif // DLPRT_KERNELS_IGEMMAMX_H
