//===- IGemmTest.cpp - Tests for the shared int16 GEMM kernel -----===//
//
// Compares dlprt::kernels::igemm::gemm with an int64 triple loop over shapes that
// are not multiples of the register tile or the cache blocks (odd K, K
// beyond one slice, a single column for the matrix-vector kernel), with
// operands at the ends of their ranges, on one and two threads, for every
// kernel set this CPU can run. Each output must reach the epilogue once.
//
//===----------------------------------------------------------------------===//

#include "dlprt/kernels/IGemm.h"

#include "gtest/gtest.h"

#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <vector>

using namespace dlprt::kernels::igemm;

namespace {

struct Case {
  int64_t m, n, k;
  /// Give column k of A a random power-of-two factor up to 2^8, so that
  /// values exceed int16 and the packing moves factors to B.
  bool columnFactors = false;
  /// Pass a null bias (zero).
  bool noBias = false;
  /// Zero the rows of every odd register-tile panel and of the last one
  /// (output channels that only pad a block): gemm skips their products.
  bool zeroPanels = false;
};

void runCase(const Case &cs, Isa isa, int64_t threads, std::mt19937 &rng) {
  std::string what = "m=" + std::to_string(cs.m) + " n=" +
                     std::to_string(cs.n) + " k=" + std::to_string(cs.k) +
                     " threads=" + std::to_string(threads);
  // A in the whole int16 range (both ends included), B in [-128, 127] (int8
  // feature maps), bias large. The sums stay far inside int32 for these
  // sizes as long as |a| * 128 * k + |bias| < 2^31: cap |a| accordingly.
  int64_t aMax = std::min<int64_t>(32767, (int64_t(1) << 30) / (128 * std::max<int64_t>(cs.k, 1)));
  std::uniform_int_distribution<int32_t> aDist(-aMax - 1, aMax),
      bDist(-128, 127), biasDist(-(1 << 29), 1 << 29);
  std::vector<int32_t> a(cs.m * cs.k), bias(cs.m);
  std::vector<int8_t> bRows(cs.k * cs.n);
  for (auto &v : a)
    v = aDist(rng);
  if (!a.empty()) {
    a.front() = -aMax - 1; // the most negative value
    a.back() = aMax;
  }
  if (cs.columnFactors) {
    int64_t limit = (int64_t(1) << 30) / (128 * cs.k);
    for (int64_t kk = 0; kk < cs.k; ++kk) {
      int e = int(rng() % 9);
      for (int64_t i = 0; i < cs.m; ++i) {
        int64_t v = a[i * cs.k + kk] % std::max<int64_t>(limit >> e, 1);
        a[i * cs.k + kk] = int32_t(v * (int64_t(1) << e));
      }
    }
  }
  auto zeroRow = [&](int64_t i) {
    return cs.zeroPanels && ((i / kMR) % 2 == 1 || i / kMR == (cs.m - 1) / kMR);
  };
  for (int64_t i = 0; i < cs.m; ++i)
    if (zeroRow(i))
      std::fill_n(a.begin() + i * cs.k, cs.k, 0);
  for (auto &v : bRows)
    v = int8_t(bDist(rng));
  if (!bRows.empty())
    bRows.front() = -128;
  for (auto &v : bias)
    v = cs.noBias ? 0 : biasDist(rng);

  PackedA packed;
  ASSERT_TRUE(packed.pack(a.data(), cs.m, cs.k, cs.k)) << what;
  for (int64_t p = 0; p < packed.panels(); ++p) {
    bool zero = true;
    for (int64_t i = p * kMR; i < std::min(cs.m, p * kMR + kMR); ++i)
      for (int64_t kk = 0; kk < cs.k; ++kk)
        zero &= a[i * cs.k + kk] == 0;
    ASSERT_EQ(packed.panelIsZero(p), zero) << what << " panel " << p;
  }
  BLayout layout(cs.k, cs.n);
  if (cs.columnFactors) {
    bool shifted = false;
    for (int64_t kk = 0; kk < cs.k; ++kk)
      shifted |= packed.columnShift(kk) > 0;
    ASSERT_TRUE(shifted) << what << ": no column needed a shift";
  }
  // Poison the packed buffer: packB must write every entry.
  std::vector<int16_t> b(layout.size(), 0x5a5a);
  packB(bRows.data(), cs.n, layout, packed, b.data(), 0, layout.panels());
  for (int64_t kk = 0; kk < cs.k; ++kk)
    for (int64_t j = 0; j < cs.n; ++j)
      ASSERT_EQ(b[layout.index(kk, j)],
                bRows[kk * cs.n + j] * (1 << packed.columnShift(kk)))
          << what;

  std::vector<int64_t> got(cs.m * cs.n, 0);
  std::vector<int> seen(cs.m * cs.n, 0);
  std::mutex mu;
  gemm(
      packed, b.data(), layout, cs.noBias ? nullptr : bias.data(),
      [&](int64_t i0, int64_t rows, int64_t j0, int64_t cols,
          const int32_t *c, int64_t ldc) {
        std::lock_guard<std::mutex> lock(mu);
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t q = 0; q < cols; ++q) {
            got[(i0 + r) * cs.n + j0 + q] = c[r * ldc + q];
            ++seen[(i0 + r) * cs.n + j0 + q];
          }
      },
      threads, isa);

  for (int64_t i = 0; i < cs.m; ++i)
    for (int64_t j = 0; j < cs.n; ++j) {
      int64_t want = bias[i];
      for (int64_t kk = 0; kk < cs.k; ++kk)
        want += int64_t(a[i * cs.k + kk]) * bRows[kk * cs.n + j];
      ASSERT_EQ(seen[i * cs.n + j], 1) << what << " at " << i << "," << j;
      ASSERT_EQ(got[i * cs.n + j], want) << what << " at " << i << "," << j;
    }
}

TEST(IGemm, MatchesInt64Reference) {
  const Case cases[] = {
      {1, 1, 1},     {1, 1, 0},    {3, 2, 5},    {8, 8, 8},     {9, 17, 3},
      {8, 1, 513},   {70, 3, 777}, {64, 4, 9},   {65, 129, 27}, {13, 200, 1},
      {130, 260, 600}, {7, 1000, 147}, {512, 49, 1151},
      {16, 20, 64, true}, {9, 3, 27, true},  {40, 33, 9, true},
      // Zero depth on the blocked path, no bias, and a matrix-vector
      // product big enough (1M multiply-adds) to be shared by two threads.
      {5, 9, 0, false, true}, {12, 17, 33, false, true}, {512, 2, 1024},
      // Zero panels (skipped): blocked path with several K slices, with
      // and without bias; the matrix-vector path; column factors.
      {44, 33, 1100, false, false, true}, {40, 20, 70, false, true, true},
      {24, 3, 300, false, false, true}, {24, 2, 300, false, true, true},
      {20, 17, 64, true, false, true}};
  for (Isa isa : {Isa::Generic, Isa::Avx2, Isa::Avx512Vnni, Isa::Best}) {
    if (!isAvailable(isa))
      continue;
    std::mt19937 rng(1234);
    for (const Case &cs : cases)
      for (int64_t threads : {1, 2})
        runCase(cs, isa, threads, rng);
  }
}

// Every micro-kernel gives the generic kernel's bits on random full-range
// int16 operands and biases, where pair sums and accumulators wrap (a
// hostile program's GEMM): vpmaddwd + vpaddd and vpdpwssd both add modulo
// 2^32. Also from C (no bias) with a row stride wider than the tile.
TEST(IGemm, MicroKernelsAgreeOnWraparound) {
  std::mt19937 rng(99);
  std::uniform_int_distribution<int32_t> i16(-32768, 32767);
  std::uniform_int_distribution<uint32_t> u32;
  for (int64_t pairs : {0, 1, 2, 7, 64, 300}) {
    std::vector<int16_t> ap(size_t(std::max<int64_t>(pairs, 1) * kMR * 2)),
        bp(size_t(std::max<int64_t>(pairs, 1) * kNR * 2));
    for (auto &v : ap)
      v = int16_t(i16(rng));
    for (auto &v : bp)
      v = int16_t(i16(rng));
    if (pairs) { // the one pair whose two products sum to 2^31
      for (int h = 0; h < 2; ++h)
        ap[h] = bp[h] = -32768;
    }
    std::vector<int32_t> bias(kMR), c0(kMR * 12);
    for (auto &v : bias)
      v = int32_t(u32(rng));
    for (auto &v : c0)
      v = int32_t(u32(rng));
    for (bool withBias : {true, false}) {
      std::vector<int32_t> want = c0;
      microKernel(Isa::Generic, pairs, ap.data(), bp.data(), want.data(), 12,
                  withBias ? bias.data() : nullptr);
      // Reference in uint32 from the definition.
      for (int64_t r = 0; r < kMR; ++r)
        for (int64_t j = 0; j < kNR; ++j) {
          uint32_t acc = uint32_t(withBias ? bias[r] : c0[r * 12 + j]);
          for (int64_t t = 0; t < pairs; ++t)
            for (int h = 0; h < 2; ++h)
              acc += uint32_t(int32_t(ap[(t * kMR + r) * 2 + h]) *
                              int32_t(bp[(t * kNR + j) * 2 + h]));
          ASSERT_EQ(uint32_t(want[r * 12 + j]), acc) << "generic " << r << "," << j;
        }
      for (Isa isa : {Isa::Avx2, Isa::Avx512Vnni, Isa::Best}) {
        if (!isAvailable(isa))
          continue;
        std::vector<int32_t> got = c0;
        microKernel(isa, pairs, ap.data(), bp.data(), got.data(), 12,
                    withBias ? bias.data() : nullptr);
        ASSERT_EQ(got, want) << "isa " << int(isa) << " pairs " << pairs;
      }
    }
  }
}

TEST(IGemm, ColumnShifts) {
  // Columns: plain int16, one needing 2^1, one needing 2^8.
  std::vector<int32_t> a = {-32768, 65534,  1 << 22, //
                            32767,  -65536, -(1 << 22)};
  PackedA packed;
  ASSERT_TRUE(packed.pack(a.data(), 2, 3, 3));
  EXPECT_EQ(packed.columnShift(0), 0);
  EXPECT_EQ(packed.columnShift(1), 1);
  EXPECT_EQ(packed.columnShift(2), 8); // 2^22 / 2^7 = 2^15 is one too many
  // 2^15 needs a shift although -2^15 does not.
  std::vector<int32_t> b = {32768, 2};
  ASSERT_TRUE(packed.pack(b.data(), 2, 1, 1));
  EXPECT_EQ(packed.columnShift(0), 1);
  // No plain int16 column needs one.
  std::vector<int32_t> c = {-32768, 32767};
  ASSERT_TRUE(packed.pack(c.data(), 2, 1, 1));
  EXPECT_FALSE(packed.hasColumnShifts());
}

TEST(IGemm, RefusesColumnsBeyondInt16) {
  PackedA packed;
  // 32769 is odd: no power of two to move.
  std::vector<int32_t> odd = {1, 32769};
  EXPECT_FALSE(packed.pack(odd.data(), 2, 1, 1));
  EXPECT_TRUE(packed.empty());
  // 2^24 would need 2^9, beyond kMaxColumnShift.
  std::vector<int32_t> big = {1 << 24, 0};
  EXPECT_FALSE(packed.pack(big.data(), 2, 1, 1));
  std::vector<int32_t> edge = {-(1 << 23), 0}; // -2^15 * 2^8 fits
  EXPECT_TRUE(packed.pack(edge.data(), 2, 1, 1));
  EXPECT_EQ(packed.columnShift(0), PackedA::kMaxColumnShift);
  // A column sharing only 2^1 but needing 2^2.
  std::vector<int32_t> shared = {1 << 16, 2};
  EXPECT_FALSE(packed.pack(shared.data(), 2, 1, 1));
}

} // namespace

// The int8 path against the definition in uint32 (modulo 2^32): random
// int8 weights (both ends included), groups of random sizes (empty ones,
// sizes not a multiple of 4, one beyond a kernel slice) with descending
// exponents up to 31 (so sums wrap), int8 B with -128, with and without
// bias, one and two threads, the portable and the VNNI kernel.
TEST(IGemm, Int8GroupsMatchTheDefinition) {
  std::mt19937 rng(4321);
  struct Shape {
    int64_t m, n;
    std::vector<int64_t> cols;
    std::vector<int> exps;
    /// Zero the weights of register-tile panels 1 and 2 (skipped).
    bool zeroPanels = false;
  };
  const Shape shapes[] = {
      {8, 8, {4}, {0}},
      {13, 21, {3, 0, 9, 1}, {20, 9, 8, 0}},
      {64, 70, {150, 2049, 5}, {31, 2, 1}},
      {70, 3, {64, 64}, {7, 3}},
      {5, 9, {}, {}},
      {64, 64, {576}, {4}},
      {24, 19, {2100, 40}, {5, 2}, true},
      {20, 9, {64}, {0}, true},
  };
  for (const Shape &sh : shapes) {
    int64_t k = 0;
    for (int64_t c : sh.cols)
      k += c;
    std::vector<int8_t> w(size_t(sh.m * std::max<int64_t>(k, 1)));
    for (auto &v : w)
      v = int8_t(rng());
    if (k)
      w[0] = -128;
    if (sh.zeroPanels)
      for (int64_t i = kMR; i < std::min(sh.m, 3 * kMR); ++i)
        std::fill_n(w.begin() + i * k, k, 0);
    PackedA8 a;
    ASSERT_TRUE(a.pack(w.data(), sh.m, k, sh.cols, sh.exps));
    for (int64_t p = 0; p < a.panels(); ++p)
      ASSERT_EQ(a.panelIsZero(p), (sh.zeroPanels && (p == 1 || p == 2)) || k == 0)
          << "panel " << p;
    ASSERT_EQ(a.depth() % 4, 0);
    std::vector<int8_t> x(size_t(std::max<int64_t>(k, 1) * sh.n));
    for (auto &v : x)
      v = int8_t(rng());
    if (k)
      x[0] = -128;
    BLayout8 layout(a.depth(), sh.n);
    // Padding rows and columns hold arbitrary bytes: A's zeros cancel them.
    std::vector<uint8_t> b(layout.size());
    for (auto &v : b)
      v = uint8_t(rng());
    std::vector<int64_t> pos; // packed position of original column
    for (size_t g = 0; g < sh.cols.size(); ++g)
      for (int64_t c = 0; c < sh.cols[g]; ++c)
        pos.push_back(a.groupStart(g) + c);
    for (int64_t kk = 0; kk < k; ++kk)
      for (int64_t j = 0; j < sh.n; ++j)
        b[layout.index(pos[kk], j)] = uint8_t(x[kk * sh.n + j] + 128);
    std::vector<int32_t> bias(size_t(sh.m));
    for (auto &v : bias)
      v = int32_t(rng());
    for (bool withBias : {true, false})
      for (Isa isa : {Isa::Generic, Isa::Best})
        for (int64_t threads : {1, 2}) {
          std::vector<uint32_t> got(size_t(sh.m * sh.n));
          std::vector<int> seen(got.size(), 0);
          std::mutex mu;
          gemm8(
              a, b.data(), layout, withBias ? bias.data() : nullptr,
              [&](int64_t i0, int64_t rows, int64_t j0, int64_t cols,
                  const int32_t *c, int64_t ldc) {
                std::lock_guard<std::mutex> lock(mu);
                for (int64_t r = 0; r < rows; ++r)
                  for (int64_t q = 0; q < cols; ++q) {
                    got[(i0 + r) * sh.n + j0 + q] = uint32_t(c[r * ldc + q]);
                    ++seen[(i0 + r) * sh.n + j0 + q];
                  }
              },
              threads, isa);
          for (int64_t i = 0; i < sh.m; ++i)
            for (int64_t j = 0; j < sh.n; ++j) {
              uint32_t want = withBias ? uint32_t(bias[i]) : 0;
              int64_t kk = 0;
              for (size_t g = 0; g < sh.cols.size(); ++g)
                for (int64_t c = 0; c < sh.cols[g]; ++c, ++kk)
                  want += (uint32_t(int32_t(w[i * k + kk])) << sh.exps[g]) *
                          uint32_t(int32_t(x[kk * sh.n + j]));
              ASSERT_EQ(seen[i * sh.n + j], 1);
              ASSERT_EQ(got[i * sh.n + j], want)
                  << "m=" << sh.m << " n=" << sh.n << " at " << i << "," << j
                  << " isa " << int(isa) << " threads " << threads;
            }
        }
  }
  // Exponents must descend strictly and stay in [0, 31].
  std::vector<int8_t> w(8, 1);
  PackedA8 a;
  EXPECT_FALSE(a.pack(w.data(), 1, 8, {4, 4}, {3, 3}));
  EXPECT_FALSE(a.pack(w.data(), 1, 8, {4, 4}, {32, 1}));
  EXPECT_FALSE(a.pack(w.data(), 1, 8, {8}, {-1}));
}

// packB8Transposed writes every byte of its panels: value + 128 at the
// layout's index, 128 for the columns past n; depths with and without a
// tail after the vectorized 8-quad steps.
TEST(IGemm, PackB8Transposed) {
  std::mt19937 rng(77);
  for (int64_t k : {4, 32, 36, 64, 100, 576})
    for (int64_t n : {1, 8, 13, 64}) {
      std::vector<int8_t> bt(size_t(n * k));
      for (auto &v : bt)
        v = int8_t(rng());
      BLayout8 layout(k, n);
      std::vector<uint8_t> dst(layout.size(), 0x5a);
      packB8Transposed(bt.data(), k, layout, dst.data(), 0, layout.panels());
      for (int64_t j = 0; j < layout.panels() * kNR; ++j)
        for (int64_t kk = 0; kk < k; ++kk)
          ASSERT_EQ(dst[layout.index(kk, j)],
                    uint8_t((j < n ? bt[j * k + kk] : 0) + 128))
              << "k=" << k << " n=" << n << " at " << kk << "," << j;
    }
}
