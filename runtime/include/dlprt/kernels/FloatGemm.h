//===- FloatGemm.h - Blocked single-precision GEMM --------------*- C++ -*-===//
//
// The float matrix multiply of the float evaluator and the host float
// segments (one definition, so both give the same bits): packed panels, a
// register-blocked AVX2/FMA micro-kernel (with a portable fallback chosen at
// run time) and multithreading over output blocks. Each element of C is
// computed the same way whatever the thread count.
//
//===----------------------------------------------------------------------===//
#ifndef DLPRT_KERNELS_FLOATGEMM_H
#define DLPRT_KERNELS_FLOATGEMM_H

#include <cstdint>

namespace dlprt::kernels {

/// Row-major SGEMM: C = alpha * op(A) * op(B) + beta * C, where op(A) is
/// M x K and op(B) is K x N. `lda`, `ldb`, `ldc` are row strides in elements
/// of the matrices as stored (before the optional transpose). When beta == 0,
/// C is not read (it may hold NaNs). Up to `numThreads` threads share the
/// work (1: single-threaded).
void sgemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k,
           float alpha, const float *a, int64_t lda, const float *b,
           int64_t ldb, float beta, float *c, int64_t ldc,
           int64_t numThreads);

/// Straightforward triple-loop reference (used by tests and as the oracle).
void sgemmReference(bool transA, bool transB, int64_t m, int64_t n, int64_t k,
                    float alpha, const float *a, int64_t lda, const float *b,
                    int64_t ldb, float beta, float *c, int64_t ldc);

} // namespace dlprt::kernels

#endif // DLPRT_KERNELS_FLOATGEMM_H
