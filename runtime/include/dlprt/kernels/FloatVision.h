//===- FloatVision.h - Float reductions, resampling, deconv -----*- C++ -*-===//
//
// Float kernels of the float evaluator for the ops of vision exports that
// the DLP does not run (reductions, broadcast-to, resize, transposed
// convolution). Plain row-major arrays and enums, no MLIR, so that host
// float segments can share them. Shapes are checked by the callers.
//
//===----------------------------------------------------------------------===//
#ifndef DLPRT_KERNELS_FLOATVISION_H
#define DLPRT_KERNELS_FLOATVISION_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>

namespace dlprt::kernels {

/// What floatReduce computes (the values are the FloatReduce host
/// segment's first param).
enum class FloatReduceOp : int64_t { Sum = 0, Mean = 1, Max = 2, Min = 3 };

/// y = the sum, mean, maximum or minimum of x over `axes` (sorted, unique);
/// y has x's element order with the reduced axes removed. Sums accumulate
/// in double; a NaN among the reduced elements makes the maximum and
/// minimum NaN.
void floatReduce(const float *x, llvm::ArrayRef<int64_t> shape,
                 llvm::ArrayRef<int64_t> axes, FloatReduceOp op, float *y);

/// y (shape `out`) = x broadcast as numpy does (x's shape aligned at the
/// end, size-1 axes repeated).
void floatExpand(const float *x, llvm::ArrayRef<int64_t> shape,
                 llvm::ArrayRef<int64_t> out, float *y);

/// y (shape `out`) = c != 0 ? a : b, each operand broadcast as numpy does
/// to `out` (ONNX Where on a float mask).
void floatWhere(const float *c, llvm::ArrayRef<int64_t> cShape, const float *a,
                llvm::ArrayRef<int64_t> aShape, const float *b,
                llvm::ArrayRef<int64_t> bShape, llvm::ArrayRef<int64_t> out,
                float *y);

enum class ResizeMode : int64_t { Nearest = 0, Linear = 1, Cubic = 2 };
enum class ResizeCoord : int64_t {
  HalfPixel = 0,
  PytorchHalfPixel = 1,
  AlignCorners = 2,
  Asymmetric = 3,
  TfHalfPixelForNN = 4,
  TfCropAndResize = 5,
};
enum class ResizeNearest : int64_t {
  RoundPreferFloor = 0,
  RoundPreferCeil = 1,
  Floor = 2,
  Ceil = 3,
};

struct ResizeParams {
  ResizeMode mode = ResizeMode::Nearest;
  ResizeCoord coord = ResizeCoord::HalfPixel;
  ResizeNearest nearest = ResizeNearest::RoundPreferFloor;
  double cubicA = -0.75;       // cubic_coeff_a
  bool excludeOutside = false; // exclude_outside (linear / cubic)
  /// TfCropAndResize: the region of interest, all starts then all ends
  /// (normalized coordinates), and the value of samples outside the input.
  llvm::ArrayRef<double> roi;
  float extrapolation = 0.0f;
};

/// Sets the modes of `p` from ONNX Resize's string attributes `mode`,
/// `coordinate_transformation_mode` and `nearest_mode` (the importer has
/// checked them; anything else reads as the ONNX default).
void setResizeModes(ResizeParams &p, llvm::StringRef mode,
                    llvm::StringRef coord, llvm::StringRef nearest);

/// ONNX Resize (opset 11+ semantics): y
/// (extents `out`) samples x (extents `shape`); `scales[d]` is the factor
/// of axis d (the model's, or out / in). Nearest picks one source index per
/// axis, linear interpolates between two, cubic between four (one axis
/// after the other); source indices are clamped to the input.
void floatResize(const float *x, llvm::ArrayRef<int64_t> shape,
                 llvm::ArrayRef<int64_t> out, llvm::ArrayRef<double> scales,
                 const ResizeParams &params, float *y);

/// Transposed convolution: x is N x C x D..., w is C x M/group x k...,
/// bias M floats or null, y N x M x O... (`outShape`). `pads` holds all
/// begin pads then all end pads (negative ones extend the output). Each
/// group's columns come from one GEMM (w^T x), scattered into y.
void floatConvTranspose(const float *x, llvm::ArrayRef<int64_t> xShape,
                        const float *w, llvm::ArrayRef<int64_t> wShape,
                        const float *bias, llvm::ArrayRef<int64_t> strides,
                        llvm::ArrayRef<int64_t> pads,
                        llvm::ArrayRef<int64_t> dilations, int64_t group,
                        float *y, llvm::ArrayRef<int64_t> outShape,
                        int64_t threads);

} // namespace dlprt::kernels

#endif // DLPRT_KERNELS_FLOATVISION_H
