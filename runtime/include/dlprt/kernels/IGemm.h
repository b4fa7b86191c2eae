//===- IGemm.h - Exact int16 x int8 -> int32 matrix product -----*- C++ -*-===//
//
// The matrix-multiply kernel of the quantized evaluator and of the
// simulator's GEMM instruction. C = A * B + bias with A
// an M x K matrix of int16 values (the prepared term multipliers of a qnn
// conv / fully-connected layer, packed once per model), B a K x N matrix of
// int8-range values (im2col of the input feature map, packed per image) and
// C accumulated in int32.
//
// Both operands are packed in pairs along K: a 32-bit word holds the values
// at k = 2t (low half) and k = 2t + 1 (high half), so that one AVX2
// `vpmaddwd` computes 16 products and adds them in pairs into 8 int32 lanes.
// A is packed in panels of kMR rows, B in panels of kNR columns; the
// micro-kernel keeps a kMR x kNR tile of C in registers.
//
// Exactness: every product is one term of an output's sum (a prepared
// multiplier times an int8 input; a column shift, below, moves a power of
// two from A to B without changing it) and every partial sum, including the
// pair of products of one vpmaddwd, is a sum over a subset of the terms of
// one output. When the caller has proved |bias| + sum |terms| <= 2^31 - 1
// (as --dlp-quantize does for every layer), each of these fits int32 and the
// result equals the exact sum in any order.
//
//===----------------------------------------------------------------------===//
#ifndef DLPRT_KERNELS_IGEMM_H
#define DLPRT_KERNELS_IGEMM_H

#include "llvm/ADT/STLFunctionalExtras.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace dlprt::kernels::igemm {

/// Register tile of the micro-kernel.
constexpr int64_t kMR = 8;
constexpr int64_t kNR = 8;

/// Instruction sets of the kernels; `Best` picks the best one this CPU has
/// (chosen at run time: AVX-512 VNNI's vpdpwssd on 256-bit vectors, else
/// AVX2's vpmaddwd + vpaddd, else portable C++). Every set gives the same
/// bits, including on int32 wraparound.
enum class Isa { Generic, Avx2, Avx512Vnni, Best };

/// Whether the kernels for `isa` can run on this CPU.
bool isAvailable(Isa isa);
/// The set `Best` selects on this CPU.
Isa bestIsa();

/// The micro-kernel of `isa` alone (tests): c[kMR x kNR] (row stride ldc)
/// = (bias ? bias[r] : c) + sum over `pairs` pairs of A panel words (kMR per
/// pair) times B panel words (kNR per pair), modulo 2^32.
void microKernel(Isa isa, int64_t pairs, const int16_t *ap, const int16_t *bp,
                 int32_t *c, int64_t ldc, const int32_t *bias);

/// The left operand, packed once: panel p holds rows [p * kMR, p * kMR +
/// kMR) (zero past M), and for every pair t of K the kMR words of those rows.
///
/// A column whose values exceed int16 can still be packed when they share a
/// power-of-two factor: A(i, k) = A'(i, k) * 2^e(k) with A' in int16 and
/// e(k) <= kMaxColumnShift. The caller then packs B(k, j) * 2^e(k) in place
/// of B(k, j) (for int8 B, -128..127, that still fits int16), which leaves
/// every product unchanged.
class PackedA {
public:
  /// Largest column shift: 128 * 2^8 = 2^15 is the int16 limit.
  static constexpr int kMaxColumnShift = 8;

  /// Packs the row-major M x K matrix `a` (row stride `lda`). Returns false,
  /// leaving this empty, when a column cannot be brought into int16.
  bool pack(const int32_t *a, int64_t m, int64_t k, int64_t lda);

  int64_t rows() const { return m; }
  int64_t depth() const { return k; }
  int64_t pairs() const { return (k + 1) / 2; }
  int64_t panels() const { return (m + kMR - 1) / kMR; }
  bool empty() const { return values.empty(); }
  /// e(k) of column k (0 for every column when none needed a shift).
  int columnShift(int64_t kk) const {
    return shifts.empty() ? 0 : shifts[kk];
  }
  bool hasColumnShifts() const { return !shifts.empty(); }
  /// Panel p: pairs() x kMR words of two int16 each.
  const int16_t *panel(int64_t p) const {
    return values.data() + p * pairs() * kMR * 2;
  }
  /// Whether every value of panel p is zero (e.g. output channels that only
  /// pad a block): gemm gives its rows the bias without multiplying.
  bool panelIsZero(int64_t p) const { return zeroPanel[size_t(p)]; }

private:
  int64_t m = 0, k = 0;
  std::vector<int16_t> values;
  std::vector<uint8_t> shifts;
  std::vector<char> zeroPanel;
};

/// Layout of the packed right operand, a K x N matrix of int16 values
/// stored as int16_t: panel q holds columns [q * kNR, q * kNR + kNR), and
/// for every pair t of K the kNR words of those columns. Entries that no
/// (k, n) maps to (padding) must be zero.
struct BLayout {
  int64_t k, n;
  BLayout(int64_t k, int64_t n) : k(k), n(n) {}
  int64_t pairs() const { return (k + 1) / 2; }
  int64_t panels() const { return (n + kNR - 1) / kNR; }
  /// Number of int16 elements of the packed matrix.
  size_t size() const { return size_t(panels() * pairs() * kNR * 2); }
  /// Position of element (kk, j).
  size_t index(int64_t kk, int64_t j) const {
    return size_t((((j / kNR) * pairs() + kk / 2) * kNR + j % kNR) * 2 +
                  (kk & 1));
  }
};

/// Packs the K x N int8-range matrix `b` (row-major, row stride `ldb`) into
/// `dst` for panels [q0, q1) of `layout`, every entry of those panels
/// written (padding as zero), row k scaled by 2^a.columnShift(k).
void packB(const int8_t *b, int64_t ldb, const BLayout &layout,
           const PackedA &a, int16_t *dst, int64_t q0, int64_t q1);

/// As packB from the transposed matrix: column j of B is the row
/// `bt + j * ldbt` (K values), e.g. one output pixel's im2col row.
void packBTransposed(const int8_t *bt, int64_t ldbt, const BLayout &layout,
                     const PackedA &a, int16_t *dst, int64_t q0, int64_t q1);

/// Receives a finished block of C: rows [i0, i0 + rows) and columns
/// [j0, j0 + cols), element (i0 + r, j0 + c) at c[r * ldc + c].
using Epilogue =
    llvm::function_ref<void(int64_t i0, int64_t rows, int64_t j0, int64_t cols,
                            const int32_t *c, int64_t ldc)>;

/// Computes C = A * B + bias (`bias`: one value per row of A, or null for
/// zero) and hands every element to `epilogue` exactly once, in disjoint
/// blocks, from up to `numThreads` threads concurrently.
void gemm(const PackedA &a, const int16_t *b, const BLayout &layout,
          const int32_t *bias, Epilogue epilogue, int64_t numThreads,
          Isa isa = Isa::Best);

//===----------------------------------------------------------------------===//
// The int8 path: AVX-512 VNNI's vpdpbusd (four uint8 x int8 products added
// into each int32 lane), twice the products per instruction of vpdpwssd.
//
// A is W * diag(2^e(k)): W an M x K int8 matrix and e(k) in [0, 31] a
// power of two per column (a DLP weight row's input alignment), the columns
// ordered in groups of equal e, e descending. B (int8) is packed as the
// uint8 values B + 128 in quads along K. Then
//
//   A * B = sum over groups g of 2^e_g * (W_g * (B_g + 128))  -  corr,
//   corr(i) = 128 * sum_k A(i, k),
//
// and the group sum is evaluated in Horner form on the accumulators: after
// group g they are shifted left by e_g - e_(g+1) (the last group by its
// e). Every step is a product, a sum or a multiplication by a power of two
// modulo 2^32, so the result is the exact sum modulo 2^32 in any order:
// the same bits as the int16 path, wraparound included.
//===----------------------------------------------------------------------===//

/// Whether the int8 path runs on this CPU (AVX-512 VNNI with VL and BW);
/// without it gemm8 runs portable C++ (tests).
bool int8Available();

/// K-range of the packed A8 that one kernel call covers: `quads` quads
/// from `quad0`, the accumulators shifted left by `shift` afterwards.
struct Slice8 {
  int64_t quad0, quads;
  int shift;
};

class PackedA8 {
public:
  /// Packs the M x K int8 matrix `w` (row-major, row stride `lda`) whose
  /// columns form groups: group g is the next `groupCols[g]` columns, with
  /// exponent `groupExp[g]` (in [0, 31], strictly descending). Each group
  /// starts at a quad: its columns land at positions groupStart(g) + i of
  /// the packed K (padding columns zero). Returns false, leaving this
  /// empty, on exponents out of order or range.
  bool pack(const int8_t *w, int64_t m, int64_t lda,
            const std::vector<int64_t> &groupCols,
            const std::vector<int> &groupExp);

  int64_t rows() const { return m; }
  /// Packed depth (a multiple of 4) and quads.
  int64_t depth() const { return quads() * 4; }
  int64_t quads() const { return nq; }
  int64_t panels() const { return (m + kMR - 1) / kMR; }
  bool empty() const { return values.empty(); }
  /// Packed position of the first column of group g.
  int64_t groupStart(size_t g) const { return starts[g]; }
  /// Panel p: quads() x kMR words of four int8 each.
  const int8_t *panel(int64_t p) const {
    return values.data() + p * nq * kMR * 4;
  }
  const std::vector<Slice8> &slices() const { return sliceList; }
  /// -128 * sum_k A(i, k) modulo 2^32, per row (kMR * panels() of them).
  const uint32_t *correction() const { return corr.data(); }
  /// Whether every weight of panel p is zero (gemm8 skips its products).
  bool panelIsZero(int64_t p) const { return zeroPanel[size_t(p)]; }

private:
  int64_t m = 0, nq = 0;
  std::vector<int8_t> values;
  std::vector<int64_t> starts;
  std::vector<Slice8> sliceList;
  std::vector<uint32_t> corr;
  std::vector<char> zeroPanel;
};

/// Layout of the packed B8: panel q holds columns [q * kNR, q * kNR + kNR)
/// and for every quad t of K the kNR words of those columns, byte i of a
/// word being row 4t + i, as uint8 (value + 128).
struct BLayout8 {
  int64_t k, n; ///< k: the packed depth of A8 (a multiple of 4)
  BLayout8(int64_t k, int64_t n) : k(k), n(n) {}
  int64_t quads() const { return k / 4; }
  int64_t panels() const { return (n + kNR - 1) / kNR; }
  /// Bytes of the packed matrix.
  size_t size() const { return size_t(panels() * quads() * kNR * 4); }
  size_t index(int64_t kk, int64_t j) const {
    return size_t((((j / kNR) * quads() + kk / 4) * kNR + j % kNR) * 4 +
                  (kk & 3));
  }
};

/// Packs B8 from the transposed int8 matrix: column j of B is the row
/// `bt + j * ldbt` of layout.k values (rows past the matrix's columns n
/// read as 0), for panels [q0, q1), every byte written.
void packB8Transposed(const int8_t *bt, int64_t ldbt, const BLayout8 &layout,
                      uint8_t *dst, int64_t q0, int64_t q1);

/// Computes C = A * B + bias (B the int8 matrix whose values + 128 `b`
/// holds packed as `layout`) and hands every element to `epilogue` exactly
/// once, as gemm does, from up to `numThreads` threads. `isa`: Generic runs
/// the portable kernel; anything else vpdpbusd where the CPU has it.
void gemm8(const PackedA8 &a, const uint8_t *b, const BLayout8 &layout,
           const int32_t *bias, Epilogue epilogue, int64_t numThreads,
           Isa isa = Isa::Best);

} // namespace dlprt::kernels::igemm

#endif // DLPRT_KERNELS_IGEMM_H
