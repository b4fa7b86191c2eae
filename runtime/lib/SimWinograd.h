//===- SimWinograd.h - The simulator's Winograd GEMMs (internal) -*- C++
//-*-===//
//
// A fast path of the simulator's GEMM instruction for 3 x 3 convolutions of
// stride and dilation 1 on CPUs whose GEMM kernel is the int16 one (AVX2
// without VNNI): Winograd's F(2 x 2, 3 x 3), exact in integers.
//
// With G' = 2G (integer), per input channel c and output channel q
//
//   U = G' g G'^T        (4 x 4, g the 3 x 3 multipliers)
//   V = B^T d B          (4 x 4 per 2 x 2 output tile, d its 4 x 4 inputs)
//   M = sum over c of U (.) V      (16 GEMMs: one per position)
//   4 Y = A^T M A        (the tile's 2 x 2 outputs times 4)
//
// Every step is an integer identity, so 4 Y is exactly 4 times the tile's
// sums and Y = (4 Y) >> 2, provided no value leaves int32: the plan is made
// only when 9 * 512 * max over (position, q) of sum over c of |U| is at most
// 2^31 - 1 (|V| <= 4 * 128; each output of A^T M A sums 9 values of M), and
// then the result equals the sum the GEMM defines (docs/isa.md 3.3), which
// is then within int32, so its wraparound never applies. 36 products per
// tile and channel become 16.
//
//===----------------------------------------------------------------------===//
#ifndef DLPRT_LIB_SIMWINOGRAD_H
#define DLPRT_LIB_SIMWINOGRAD_H

#include "dlprt/kernels/IGemm.h"

#include <array>
#include <cstdint>
#include <vector>

namespace dlprt::wino {

/// What the Winograd path needs of a GEMM instruction (docs/isa.md 3.3):
/// a 3 x 3 kernel, strides and dilations 1.
struct Shape {
  int64_t inH, inW, inCb, cstride, outH, outW, pT, pL;
  uint32_t L;
  int64_t Q;
};

class Plan {
public:
  /// From the GEMM's multipliers w (K x Q, row ((ky * 3 + kx) * inCb + cb)
  /// * L + lane, as the simulator decodes them). False, leaving the plan
  /// unusable, when a value could leave int32 or a transformed weight
  /// int16 (a column shift included), or (unless `force`: tests) when it
  /// would not be faster: fewer than 64 channels, or most of their rows
  /// without weights (`keptRows` of the K have one).
  bool make(const Shape &s, const std::vector<uint32_t> &w, size_t keptRows,
            bool force = false);

  /// Output rows [2 * ty0, min(2 * ty1, outH)) of the instruction: their
  /// sums into `abuf` (pixel-major, Q per pixel, from the instruction's
  /// first pixel) as the GEMM writes them — bias + sum, or (accumulate) what
  /// ABUF holds + sum, modulo 2^32. `fbuf` is the instruction's input. The
  /// 16 position products run on up to `threads` threads. With `sums`
  /// (and no `abuf`), each block of output channels [q0, q1) goes to it
  /// instead: bias + sum of the rows' npix pixels, channel-major (row
  /// stride npix), pixels from the first of row 2 * ty0.
  using Sums = llvm::function_ref<void(const int32_t *y, int64_t q0,
                                       int64_t q1, int64_t npix)>;
  void run(const Shape &s, const int8_t *fbuf, uint32_t *abuf,
           const int32_t *bias, bool accumulate, int64_t ty0, int64_t ty1,
           int64_t threads = 1, Sums sums = nullptr) const;

private:
  /// Channels of input block cb taken (its lanes [0, lanes[cb]): up to
  /// its last with a weight) and the first one's index: C = start.back().
  std::vector<int64_t> lanes, start;
  /// U of each position, transposed: Q x C, packed.
  std::array<kernels::igemm::PackedA, 16> u;
  /// 2^(column shift) per position and channel (all 1 without shifts).
  std::vector<int16_t> colMul;
  bool shifted = false;
};

/// Tile rows per task of the Winograd path on `threads` threads: bands of
/// about 96 tiles, or all rows in one band (whose products then run on the
/// threads) when there are fewer than 2 * threads bands.
int64_t tileRowsPerTask(const Shape &s, int64_t threads);

} // namespace dlprt::wino

namespace dlprt::detail {
/// Writes C (rows x cols, row stride ldc) transposed into dst (row stride
/// ldd), adding to what dst holds with `accumulate` (SimGemm.cpp).
void storeTransposed(const int32_t *c, int64_t ldc, int64_t rows, int64_t cols,
                     uint32_t *dst, int64_t ldd, bool accumulate);
} // namespace dlprt::detail

#endif // DLPRT_LIB_SIMWINOGRAD_H
