//===- Linalg.h - Small dense linear algebra of the quantizer ---*- C++ -*-===//
//
// The factorizations the error-compensating weight rounding (Gptq.h) needs,
// on row-major n x n double matrices: Cholesky, the inverse of a lower
// triangular matrix, and the upper factor of an inverse that GPTQ walks.
// Written once, for matrices up to a few thousand rows; the O(n^3) loops
// run on compileThreads().
//
//===----------------------------------------------------------------------===//
#ifndef DLP_QUANT_LINALG_H
#define DLP_QUANT_LINALG_H

#include <cstdint>
#include <vector>

namespace dlp::quant {

/// In place: the lower Cholesky factor L of the symmetric matrix `a`
/// (a = L L^T; only the lower triangle is read, the upper is zeroed).
/// False when `a` is not positive definite.
bool choleskyLower(std::vector<double> &a, int64_t n);

/// The inverse of the lower triangular `l` (lower triangular too).
std::vector<double> invertLower(const std::vector<double> &l, int64_t n);

/// The factors of a symmetric positive definite `h` that GPTQ uses: `u`
/// upper triangular with h^-1 = u^T u (the Cholesky factor of the inverse,
/// taken from the first row on), and `r` upper triangular with h = r r^T
/// (so e^T h e = |r^T e|^2). Both from one Cholesky of h with its rows and
/// columns reversed. False when `h` is not positive definite.
bool inverseCholeskyUpper(const std::vector<double> &h, int64_t n,
                          std::vector<double> &u, std::vector<double> &r);

} // namespace dlp::quant

#endif // DLP_QUANT_LINALG_H
