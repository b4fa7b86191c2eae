//===- Linalg.cpp - Small dense linear algebra of the quantizer -----------===//

#include "dlp/Quant/Linalg.h"
#include "dlp/Support/Proof.h"
#include "dlprt/kernels/Parallel.h"

#include <cmath>

using namespace dlp::quant;

namespace {
/// Dot product with eight partial sums (so that it vectorizes without
/// reassociating one sum); the order is fixed, so results are too. The
/// factorizations spend their time here: an AVX2 clone where the CPU has it
/// (the sums are the same either way: no FMA contraction).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
double
dot(const double *a, const double *b, int64_t n) {
  double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k)
      s[k] += a[i + k] * b[i + k];
  for (; i < n; ++i)
    s[0] += a[i] * b[i];
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

/// Rows below ~256 do not pay for waking the thread team.
int64_t threadsFor(int64_t n) { return n >= 256 ? dlp::compileThreads() : 1; }
} // namespace

bool dlp::quant::choleskyLower(std::vector<double> &a, int64_t n) {
  int64_t threads = threadsFor(n);
  for (int64_t j = 0; j < n; ++j) {
    double *rj = a.data() + j * n;
    double d = rj[j] - dot(rj, rj, j);
    if (!(d > 0))
      return false;
    d = std::sqrt(d);
    rj[j] = d;
    // Column j below the diagonal: each row reads only its own prefix and
    // row j's, so the rows are independent.
    dlprt::kernels::parallelForRange((n - j) * j >= (1 << 14) ? threads : 1,
                                     n - j - 1, [&](int64_t lo, int64_t hi) {
                                       for (int64_t i = j + 1 + lo;
                                            i < j + 1 + hi; ++i) {
                                         double *ri = a.data() + i * n;
                                         ri[j] = (ri[j] - dot(ri, rj, j)) / d;
                                       }
                                     });
  }
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = i + 1; j < n; ++j)
      a[i * n + j] = 0;
  return true;
}

std::vector<double> dlp::quant::invertLower(const std::vector<double> &l,
                                            int64_t n) {
  std::vector<double> x(static_cast<size_t>(n * n), 0.0);
  // Column j of the inverse solves l x = e_j by forward substitution; the
  // columns are independent.
  dlprt::kernels::parallelForRange(
      threadsFor(n), n, [&](int64_t lo, int64_t hi) {
        std::vector<double> col(static_cast<size_t>(n));
        for (int64_t j = lo; j < hi; ++j) {
          for (int64_t i = j; i < n; ++i) {
            const double *ri = l.data() + i * n;
            double s =
                (i == j ? 1.0 : 0.0) - dot(ri + j, col.data() + j, i - j);
            col[i] = s / ri[i];
          }
          for (int64_t i = j; i < n; ++i)
            x[i * n + j] = col[i];
        }
      });
  return x;
}

bool dlp::quant::inverseCholeskyUpper(const std::vector<double> &h, int64_t n,
                                      std::vector<double> &u,
                                      std::vector<double> &r) {
  // With J the reversal, J h J = L L^T gives h = (J L J)(J L J)^T, J L J
  // upper triangular (= r), and h^-1 = (J L^-1 J)^T (J L^-1 J), J L^-1 J
  // upper triangular (= u).
  std::vector<double> a(static_cast<size_t>(n * n));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j)
      a[i * n + j] = h[(n - 1 - i) * n + (n - 1 - j)];
  if (!choleskyLower(a, n))
    return false;
  std::vector<double> inv = invertLower(a, n);
  u.assign(static_cast<size_t>(n * n), 0.0);
  r.assign(static_cast<size_t>(n * n), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = i; j < n; ++j) {
      u[i * n + j] = inv[(n - 1 - i) * n + (n - 1 - j)];
      r[i * n + j] = a[(n - 1 - i) * n + (n - 1 - j)];
    }
  return true;
}
