//===- FloatLinalg.h - Float gemm, matmul, normalization, pad ---*- C++ -*-===//
//
// The float linear-algebra, normalization and padding kernels of the float
// evaluator (lib/Evaluator) and the runtime's host float segments: one
// definition, so a host segment computes what the evaluator computes, bit
// for bit. Row-major tensors; shapes are checked by the callers.
//
//===----------------------------------------------------------------------===//
#ifndef DLPRT_KERNELS_FLOATLINALG_H
#define DLPRT_KERNELS_FLOATLINALG_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>

namespace dlprt::kernels {

/// ONNX Gemm: y (m x n) = alpha * op(a) * op(b) + beta * c. `a` is stored
/// m x k (k x m with transA), `b` k x n (n x k with transB); `c` (or null)
/// has rank <= 2 and broadcasts to m x n (`cShape`).
void floatGemm(const float *a, const float *b, const float *c,
               llvm::ArrayRef<int64_t> cShape, bool transA, bool transB,
               int64_t m, int64_t n, int64_t k, float alpha, float beta,
               float *y, int64_t threads);

/// Numpy matmul: 1-D operands are promoted (a to 1 x K, b to K x 1), the
/// batch dimensions broadcast; y holds the broadcast batch of m x n
/// products.
void floatMatMul(const float *a, llvm::ArrayRef<int64_t> shapeA,
                 const float *b, llvm::ArrayRef<int64_t> shapeB, float *y,
                 int64_t threads);

/// y (n x p) = x (n x k) * w^T (w: p x k) + bias (p floats, or null).
void floatFullyConnected(const float *x, int64_t n, int64_t k,
                         const float *w, int64_t p, const float *bias,
                         float *y, int64_t threads);

/// Local response normalization across the c channels of n images of
/// `plane` floats each.
void floatLRN(const float *x, int64_t n, int64_t c, int64_t plane,
              int64_t size, float alpha, float beta, float bias, float *y,
              int64_t threads);

/// Inference batch normalization over axis 1 (c channels of `plane`
/// floats, n images): y = x * s + (bias - mean * s), s = scale /
/// sqrt(var + eps) computed in double.
void floatBatchNorm(const float *x, int64_t n, int64_t c, int64_t plane,
                    const float *scale, const float *bias, const float *mean,
                    const float *var, float eps, float *y, int64_t threads);

/// Pad modes (HostOpKind::FloatPad params[0]).
enum class FloatPadMode : int64_t { Constant = 0, Reflect = 1, Edge = 2,
                                    NumModes };

/// y = x padded by `pads` (all begin pads then all end pads, one per axis;
/// negative crops) with `value`, by reflection (without repeating the edge)
/// or by edge replication. Reflect / edge need every axis of x non-empty
/// where y is.
void floatPad(const float *x, llvm::ArrayRef<int64_t> shape,
              llvm::ArrayRef<int64_t> pads, FloatPadMode mode, float value,
              float *y);

} // namespace dlprt::kernels

#endif // DLPRT_KERNELS_FLOATLINALG_H
