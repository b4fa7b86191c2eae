//===- FloatConv.h - Float convolution and pooling kernels ------*- C++ -*-===//
//
// The float convolution (im2col + sgemm, a direct kernel for depthwise) and
// pooling of the float evaluator (lib/Evaluator) and the runtime's host float
// segments: one definition, so a host segment computes what the evaluator
// computes, bit for bit. Row-major N x C x spatial tensors with 1-3 spatial
// axes, viewed as 3-D (D, H, W) with unit extents in front. Each image and
// channel plane is computed the same way whatever the batch or thread count.
//
//===----------------------------------------------------------------------===//
#ifndef DLPRT_KERNELS_FLOATCONV_H
#define DLPRT_KERNELS_FLOATCONV_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>

namespace dlprt::kernels {

/// Pooling functions (HostOpKind::FloatPool params[0]).
enum class FloatPoolOp : int64_t {
  Max = 0,
  Avg = 1,        ///< divides by the in-bounds element count
  AvgCountPad = 2, ///< divides by the window clipped to the padded input
  GlobalAvg = 3,
  NumOps
};

/// Window geometry normalized to three spatial axes (D, H, W).
struct FloatWindow {
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1};
  int64_t s[3] = {1, 1, 1}, d[3] = {1, 1, 1}, pb[3] = {0, 0, 0},
          pe[3] = {0, 0, 0};
  int64_t inPlane() const { return in[0] * in[1] * in[2]; }
  int64_t outPlane() const { return out[0] * out[1] * out[2]; }
  int64_t taps() const { return k[0] * k[1] * k[2]; }
};

/// The window of an N x C x spatial input `xShape` and output `outShape`
/// (1-3 spatial axes; `pads` holds all begin pads then all end pads, empty
/// `dilations` means 1). False for another spatial rank.
bool makeFloatWindow(llvm::ArrayRef<int64_t> xShape,
                     llvm::ArrayRef<int64_t> kernel,
                     llvm::ArrayRef<int64_t> strides,
                     llvm::ArrayRef<int64_t> pads,
                     llvm::ArrayRef<int64_t> dilations,
                     llvm::ArrayRef<int64_t> outShape, FloatWindow &w);

/// Grouped convolution (cross-correlation) of `n` images of `c` channels by
/// `m` filters of c / group channels (`wt`: m x c/group x taps), plus
/// `bias` (m floats, or null): y is n x m x out plane.
void floatConv(const float *x, int64_t n, int64_t c, const float *wt,
               int64_t m, int64_t group, const float *bias,
               const FloatWindow &w, float *y, int64_t threads);

/// The patch matrix floatConv multiplies, for `channels` planes of one image
/// (x: channels x in plane): row c * taps + tap, column p of the output
/// plane, padding 0 (channels * taps x out plane floats at `col`).
void floatIm2col(const float *x, int64_t channels, const FloatWindow &w,
                 float *col);

/// Max pooling of `planes` planes (padding never wins; a window without
/// input elements gives -inf).
void floatMaxPool(const float *x, int64_t planes, const FloatWindow &w,
                  float *y, int64_t threads);

/// Average pooling of `planes` planes: the sum over the window clipped to
/// the input divided by the element count of the window clipped to the input
/// (or, `countIncludePad`, to the padded input).
void floatAvgPool(const float *x, int64_t planes, const FloatWindow &w,
                  bool countIncludePad, float *y, int64_t threads);

/// Mean of each of `planes` planes of `size` floats (summed in double).
void floatGlobalAvgPool(const float *x, int64_t planes, int64_t size,
                        float *y, int64_t threads);

} // namespace dlprt::kernels

#endif // DLPRT_KERNELS_FLOATCONV_H
