//===- NNShapes.h - Shape rules of the nn ops -------------------*- C++ -*-===//
//
// The single definition of every nn op's output shape. The op verifiers
// (result type inference) and the float evaluator (run-time shapes, e.g. a
// dynamic batch) both call these functions. No MLIR types: plain int64
// vectors where `kDynamic` marks an unknown extent.
//
//===----------------------------------------------------------------------===//
#ifndef DLP_NN_NNSHAPES_H
#define DLP_NN_NNSHAPES_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include <cstdint>
#include <limits>
#include <string>

namespace dlp::nn::shapes {

/// Same value as mlir::ShapedType::kDynamic.
constexpr int64_t kDynamic = std::numeric_limits<int64_t>::min();
using Shape = llvm::SmallVector<int64_t, 6>;

/// Outcome of a shape rule: on failure `error` says what is wrong.
struct ShapeResult {
  bool ok = true;
  std::string error;
  Shape shape;
  static ShapeResult failure(std::string msg) {
    ShapeResult r;
    r.ok = false;
    r.error = std::move(msg);
    return r;
  }
  static ShapeResult success(Shape s) {
    ShapeResult r;
    r.shape = std::move(s);
    return r;
  }
};

std::string toString(llvm::ArrayRef<int64_t> shape);

/// Number of elements, or kDynamic if any extent is dynamic.
int64_t numElements(llvm::ArrayRef<int64_t> shape);

/// numpy/ONNX multidirectional broadcasting.
ShapeResult broadcast(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b);

/// The rank and group checks of conv / conv_transpose: an error or "".
std::string checkConvRanks(llvm::ArrayRef<int64_t> input,
                           llvm::ArrayRef<int64_t> weight, int64_t group);

/// Grouped N-d convolution, weight M x C/group x k...
ShapeResult conv(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> weight,
                 llvm::ArrayRef<int64_t> strides, llvm::ArrayRef<int64_t> pads,
                 llvm::ArrayRef<int64_t> dilations, int64_t group);

/// Max/average pooling window (dilations empty means all ones).
ShapeResult pool(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> kernel,
                 llvm::ArrayRef<int64_t> strides, llvm::ArrayRef<int64_t> pads,
                 llvm::ArrayRef<int64_t> dilations, bool ceilMode);

/// Output extent of one sliding-window axis (shared with the evaluator).
int64_t windowOutputSize(int64_t in, int64_t kernel, int64_t stride,
                         int64_t padBegin, int64_t padEnd, int64_t dilation,
                         bool ceilMode);

ShapeResult globalPool(llvm::ArrayRef<int64_t> input);
ShapeResult gemm(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b,
                 const llvm::ArrayRef<int64_t> *c, bool transA, bool transB);
ShapeResult matmul(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b);
ShapeResult fullyConnected(llvm::ArrayRef<int64_t> input,
                           llvm::ArrayRef<int64_t> weight,
                           const llvm::ArrayRef<int64_t> *bias);
ShapeResult concat(llvm::ArrayRef<llvm::ArrayRef<int64_t>> inputs,
                   int64_t axis);
ShapeResult flatten(llvm::ArrayRef<int64_t> input, int64_t axis);
ShapeResult reshape(llvm::ArrayRef<int64_t> input,
                    llvm::ArrayRef<int64_t> shape, bool allowZero);
ShapeResult transpose(llvm::ArrayRef<int64_t> input,
                      llvm::ArrayRef<int64_t> perm);
ShapeResult squeeze(llvm::ArrayRef<int64_t> input,
                    llvm::ArrayRef<int64_t> axes);
ShapeResult unsqueeze(llvm::ArrayRef<int64_t> input,
                      llvm::ArrayRef<int64_t> axes);

/// Effective [start, step, count] of one slice axis after ONNX clamping.
struct SliceAxis {
  int64_t start, step, count;
};
SliceAxis resolveSliceAxis(int64_t dim, int64_t start, int64_t end,
                           int64_t step);
ShapeResult slice(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> starts,
                  llvm::ArrayRef<int64_t> ends, llvm::ArrayRef<int64_t> axes,
                  llvm::ArrayRef<int64_t> steps);
ShapeResult pad(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> pads);
/// Reduction over sorted, unique, in-range `axes` (not empty).
ShapeResult reduce(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> axes,
                   bool keepDims);
/// Broadcast of three shapes (Where).
ShapeResult broadcast3(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b,
                       llvm::ArrayRef<int64_t> c);
/// Transposed convolution, weight C x M/group x k...; pads may be negative.
ShapeResult convTranspose(llvm::ArrayRef<int64_t> input,
                          llvm::ArrayRef<int64_t> weight,
                          llvm::ArrayRef<int64_t> strides,
                          llvm::ArrayRef<int64_t> pads,
                          llvm::ArrayRef<int64_t> dilations,
                          llvm::ArrayRef<int64_t> outputPadding, int64_t group);
/// Resize to `sizes` (one positive extent and one positive scale per axis;
/// a kDynamic size with scale 1 keeps a dynamic extent).
ShapeResult resize(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> sizes,
                   llvm::ArrayRef<double> scales);
ShapeResult batchNorm(llvm::ArrayRef<int64_t> input,
                      llvm::ArrayRef<llvm::ArrayRef<int64_t>> params);

} // namespace dlp::nn::shapes

#endif // DLP_NN_NNSHAPES_H
