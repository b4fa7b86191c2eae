//===- GemmTest.cpp - Tests for the float kernels' blocked SGEMM ---------===//
//
// Compares dlprt::kernels::sgemm against sgemmReference over many shapes: empty
// and tiny matrices, sizes that are not multiples of the register and cache
// blocking, all transpose combinations, alpha/beta variants, padded leading
// dimensions, and beta == 0 with a NaN-filled C; on one and on two threads.
//
//===----------------------------------------------------------------------===//

#include "dlprt/kernels/FloatGemm.h"

#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Threading.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

using namespace dlprt::kernels;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
/// Value stored in the padding of C; it must survive the call unchanged.
constexpr float kSentinel = 1234.5f;

struct GemmCase {
  bool transA = false, transB = false;
  int64_t m = 0, n = 0, k = 0;
  float alpha = 1.0f, beta = 0.0f;
  /// Extra elements per row beyond the logical width of each stored matrix.
  int64_t padA = 0, padB = 0, padC = 0;
};

std::string describe(const GemmCase &c) {
  return "transA=" + std::to_string(c.transA) +
         " transB=" + std::to_string(c.transB) + " m=" + std::to_string(c.m) +
         " n=" + std::to_string(c.n) + " k=" + std::to_string(c.k) +
         " alpha=" + std::to_string(c.alpha) +
         " beta=" + std::to_string(c.beta) + " pads=" + std::to_string(c.padA) +
         "/" + std::to_string(c.padB) + "/" + std::to_string(c.padC);
}

/// A row-major matrix of `rows` rows with stride `ld`, of which the first
/// `cols` elements are logical; everything else holds `pad`.
struct Matrix {
  Matrix(int64_t rows, int64_t cols, int64_t extra, float pad)
      : rows(rows), cols(cols), ld(std::max<int64_t>(1, cols + extra)),
        data(static_cast<size_t>(std::max<int64_t>(1, rows * ld)), pad) {}

  float &at(int64_t r, int64_t c) { return data[r * ld + c]; }
  float at(int64_t r, int64_t c) const { return data[r * ld + c]; }

  void fill(std::mt19937 &rng) {
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c)
        at(r, c) = dist(rng);
  }

  int64_t rows, cols, ld;
  std::vector<float> data;
};

/// Runs one case and checks every element of C against the reference.
///
/// Tolerance: let u = 2^-24 be the float unit roundoff. However sgemm orders
/// its arithmetic, C_ij = alpha * sum_k a_ik b_kj + beta * c_ij is a sum of
/// K + 1 terms in which every term goes through at most 2K + 3 roundings
/// (product or FMA, the additions of the summation tree, one store of the
/// partial result per K slice, the alpha scaling and the beta update).
/// Higham's bound for floating-point summation then gives
///   |error| <= gamma_{2K+3} * (|alpha| * S_ij + |beta * c_ij|),
///   S_ij = sum_k |a_ik| * |b_kj|,
/// and the double-precision reference adds one rounding when it stores to
/// float. We check
///   |sgemm - reference| <= (K + 2) * 2^-22 * (|alpha| * S_ij + |beta c_ij|),
/// i.e. (4K + 8) u >= (2K + 4) u, a safety factor of two. A real bug (a term
/// dropped, doubled or read from padding) changes C by O(1) or makes it NaN.
void checkCase(const GemmCase &tc, std::mt19937 &rng, int64_t threads) {
  SCOPED_TRACE(describe(tc) + " (" + std::to_string(threads) + " threads)");
  // Stored shapes before transposition. Padding is NaN so that any read of
  // it poisons the result.
  Matrix a(tc.transA ? tc.k : tc.m, tc.transA ? tc.m : tc.k, tc.padA, kNaN);
  Matrix b(tc.transB ? tc.n : tc.k, tc.transB ? tc.k : tc.n, tc.padB, kNaN);
  Matrix c(tc.m, tc.n, tc.padC, kSentinel);
  a.fill(rng);
  b.fill(rng);
  if (tc.beta == 0.0f) {
    // C must not be read when beta == 0: NaNs would leak into the result.
    for (int64_t i = 0; i < tc.m; ++i)
      for (int64_t j = 0; j < tc.n; ++j)
        c.at(i, j) = kNaN;
  } else {
    c.fill(rng);
  }
  const Matrix original = c;
  Matrix expected = c;

  sgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a.data.data(), a.ld,
        b.data.data(), b.ld, tc.beta, c.data.data(), c.ld, threads);
  sgemmReference(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha,
                 a.data.data(), a.ld, b.data.data(), b.ld, tc.beta,
                 expected.data.data(), expected.ld);

  const double scale = double(tc.k + 2) * std::ldexp(1.0, -22);
  std::vector<double> absSums(static_cast<size_t>(tc.n));
  int failures = 0;
  for (int64_t i = 0; i < tc.m; ++i) {
    // S_ij = sum_k |a_ik| |b_kj| for row i, walking B contiguously.
    std::fill(absSums.begin(), absSums.end(), 0.0);
    for (int64_t p = 0; p < tc.k && !tc.transB; ++p) {
      double av = std::fabs(double(tc.transA ? a.at(p, i) : a.at(i, p)));
      for (int64_t j = 0; j < tc.n; ++j)
        absSums[j] += av * std::fabs(double(b.at(p, j)));
    }
    for (int64_t j = 0; j < tc.n && tc.transB; ++j)
      for (int64_t p = 0; p < tc.k; ++p)
        absSums[j] += std::fabs(double(tc.transA ? a.at(p, i) : a.at(i, p))) *
                      std::fabs(double(b.at(j, p)));
    for (int64_t j = 0; j < tc.n; ++j) {
      double cTerm = tc.beta == 0.0f
                         ? 0.0
                         : std::fabs(double(tc.beta) * original.at(i, j));
      double bound = scale * (std::fabs(double(tc.alpha)) * absSums[j] + cTerm);
      float got = c.at(i, j), want = expected.at(i, j);
      if (std::fabs(double(got) - double(want)) <= bound)
        continue;
      ADD_FAILURE() << "C[" << i << "][" << j << "] = " << got << ", expected "
                    << want << " (tolerance " << bound << ")";
      if (++failures == 5)
        return;
    }
  }
  // The padding of C is never written.
  for (int64_t i = 0; i < tc.m; ++i)
    for (int64_t j = tc.n; j < c.ld; ++j)
      ASSERT_EQ(c.at(i, j), kSentinel)
          << "padding of C written at row " << i << ", column " << j;
}

const float kAlphas[] = {1.0f, -0.5f, 2.0f, 0.0f};
const float kBetas[] = {0.0f, 1.0f, -0.75f, 0.0f, 2.0f};

/// Threads of the multithreaded runs, and a pool of as many threads whose
/// tasks call sgemm (NestedInPoolTask).
constexpr int64_t kThreads = 2;
class GemmTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    pool = std::make_unique<llvm::StdThreadPool>(
        llvm::hardware_concurrency(kThreads));
  }
  static void TearDownTestSuite() { pool.reset(); }

  static std::unique_ptr<llvm::StdThreadPool> pool;
};

std::unique_ptr<llvm::StdThreadPool> GemmTest::pool;

TEST_F(GemmTest, PoolHasTwoThreads) {
  EXPECT_EQ(pool->getMaxConcurrency(), 2u);
}

/// Every combination of small and awkward sizes (0, 1, around the 6x16
/// register tile), all transposes, cycling through alpha/beta/padding.
TEST_F(GemmTest, SmallShapes) {
  std::mt19937 rng(1);
  const int64_t sizesMN[] = {0, 1, 2, 5, 6, 7, 13, 16, 17, 33};
  const int64_t sizesK[] = {0, 1, 3, 8, 17, 40};
  int64_t index = 0;
  for (int t = 0; t < 4; ++t)
    for (int64_t m : sizesMN)
      for (int64_t n : sizesMN)
        for (int64_t k : sizesK) {
          GemmCase tc;
          tc.transA = t & 1;
          tc.transB = t & 2;
          tc.m = m;
          tc.n = n;
          tc.k = k;
          tc.alpha = kAlphas[index % 4];
          tc.beta = kBetas[index % 5];
          tc.padA = index % 3;
          tc.padB = (index / 3) % 3;
          tc.padC = (index / 9) % 3;
          ++index;
          checkCase(tc, rng, 1);
          if (HasFailure())
            return;
        }
}

/// Random medium shapes crossing the MC (144) and KC (256) cache blocks.
TEST_F(GemmTest, RandomShapes) {
  std::mt19937 rng(2);
  std::uniform_int_distribution<int64_t> dimMN(1, 260), dimK(1, 520), pad(0, 7),
      pick(0, 1 << 20);
  for (int iter = 0; iter < 100; ++iter) {
    GemmCase tc;
    tc.transA = pick(rng) & 1;
    tc.transB = pick(rng) & 1;
    tc.m = dimMN(rng);
    tc.n = dimMN(rng);
    tc.k = dimK(rng);
    tc.alpha = kAlphas[pick(rng) % 3]; // alpha == 0 is covered elsewhere.
    tc.beta = kBetas[pick(rng) % 5];
    tc.padA = pad(rng);
    tc.padB = pad(rng);
    tc.padC = pad(rng);
    checkCase(tc, rng, iter % 2 ? kThreads : 1);
    if (HasFailure())
      return;
  }
}

/// Matrix-vector shapes (the dedicated GEMV path), every transpose.
TEST_F(GemmTest, VectorShapes) {
  std::mt19937 rng(3);
  // The last two are large enough to be split between threads.
  const int64_t shapes[][3] = {{1000, 1, 512}, {1, 1000, 512},  {1, 1, 777},
                               {67, 1, 9},     {1, 71, 130},    {3, 1, 1},
                               {1, 200, 1},    {515, 1, 33},    {1, 8, 4099},
                               {1, 1100, 37},  {4200, 1, 1003}, {1, 4500, 901}};
  int64_t index = 0;
  for (const auto &s : shapes)
    for (int t = 0; t < 4; ++t)
      for (bool usePool : {false, true}) {
        GemmCase tc;
        tc.transA = t & 1;
        tc.transB = t & 2;
        tc.m = s[0];
        tc.n = s[1];
        tc.k = s[2];
        tc.alpha = kAlphas[index % 3];
        tc.beta = kBetas[index % 5];
        tc.padA = index % 4;
        tc.padB = (index + 1) % 3;
        tc.padC = (index + 2) % 5;
        ++index;
        checkCase(tc, rng, usePool ? kThreads : 1);
        if (HasFailure())
          return;
      }
}

/// Shapes from convolutions lowered to GEMM, large enough to be split
/// between threads, plus a panel wider than NC (2048) and a deep K.
TEST_F(GemmTest, LargeShapes) {
  std::mt19937 rng(4);
  struct Shape {
    int64_t m, n, k;
    bool transA, transB;
  };
  const Shape shapes[] = {
      {64, 3136, 576, false, false}, {64, 3136, 576, false, true},
      {512, 49, 4608, false, false}, {512, 49, 4608, true, true},
      {7, 2100, 40, false, false},   {7, 2100, 40, true, false},
      {7, 2100, 40, false, true},    {7, 2100, 40, true, true},
      {301, 290, 1100, true, false}, {301, 290, 1100, false, true},
      {200, 37, 300, false, false},  {200, 37, 300, true, true}};
  int64_t index = 0;
  for (const Shape &s : shapes) {
    GemmCase tc;
    tc.transA = s.transA;
    tc.transB = s.transB;
    tc.m = s.m;
    tc.n = s.n;
    tc.k = s.k;
    tc.alpha = kAlphas[index % 3];
    tc.beta = kBetas[index % 5];
    tc.padA = index % 2;
    tc.padB = (index / 2) % 2;
    tc.padC = 3;
    ++index;
    // Alternate single- and two-thread runs; the conv shapes get one of each.
    checkCase(tc, rng, index % 2 ? kThreads : 1);
    if (HasFailure())
      return;
  }
}

/// sgemm called from tasks of another threading runtime (an llvm pool), each
/// asking for two threads, must neither deadlock nor produce wrong results.
TEST_F(GemmTest, NestedInPoolTask) {
  std::mt19937 rng(5);
  llvm::ThreadPoolTaskGroup group(*pool);
  for (int t = 0; t < 2; ++t) {
    group.async([&, t] {
      std::mt19937 local(100 + t);
      GemmCase tc;
      tc.m = 130 + t;
      tc.n = 250;
      tc.k = 300;
      tc.beta = 1.0f;
      checkCase(tc, local, kThreads);
      GemmCase vec;
      vec.m = 4400;
      vec.n = 1;
      vec.k = 1000;
      checkCase(vec, local, kThreads);
    });
  }
  group.wait();
}

/// K == 0 and alpha == 0 reduce to C = beta * C, without reading C if
/// beta == 0.
TEST_F(GemmTest, DegenerateScaling) {
  float a[4] = {kNaN, kNaN, kNaN, kNaN}, b[4] = {kNaN, kNaN, kNaN, kNaN};
  float c[6] = {kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};
  sgemm(false, false, 2, 3, 0, 1.0f, a, 1, b, 3, 0.0f, c, 3, 1);
  for (float v : c)
    EXPECT_EQ(v, 0.0f);
  float d[6] = {1, 2, 3, 4, 5, 6};
  sgemm(true, true, 2, 3, 2, 0.0f, a, 2, b, 2, 2.0f, d, 3, kThreads);
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(d[i], 2.0f * float(i + 1));
  // Empty outputs touch nothing.
  sgemm(false, false, 0, 3, 4, 1.0f, a, 4, b, 3, 0.0f, nullptr, 3, 1);
  sgemm(false, false, 3, 0, 4, 1.0f, a, 4, b, 1, 0.0f, nullptr, 1, 1);
}

} // namespace
