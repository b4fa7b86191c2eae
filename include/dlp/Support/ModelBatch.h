//===- ModelBatch.h - The batch a model function is written for -*- C++ -*-===//
//
// One answer, for the quantizer, the evaluator, the lowering and the
// drivers, to "is axis 0 of this function's tensors a batch axis?".
//
//===----------------------------------------------------------------------===//
#ifndef DLP_SUPPORT_MODELBATCH_H
#define DLP_SUPPORT_MODELBATCH_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <cstdint>

namespace dlp {

/// The inputs' common static axis 0, or ShapedType::kDynamic (a dynamic or
/// mixed axis 0, an input of rank 0 or unranked, no inputs).
int64_t modelBatch(mlir::func::FuncOp f);

/// Every input has a static batch of 1: the function is one image, so no
/// tensor's axis 0 is a batch axis (docs/lowering.md, single-image models).
inline bool isSingleImage(mlir::func::FuncOp f) { return modelBatch(f) == 1; }

/// Marks a function whose quantized ops the lowering unrolled per image of
/// its static batch (conv::unrollBatch, QNNToDLP): it runs as one image.
constexpr llvm::StringLiteral kWholeBatchAttr = "dlp.whole_batch";

/// Whether the DLP program of `f` is the whole function, run once per
/// image of its inputs' static axis 0 (no tensor's axis 0 is a batch axis
/// inside): a single-image function, one whose inputs share a static
/// batch above 1 and that has no qnn op (nothing quantized: host float
/// segments take any axis, so an op mixing the batch runs as the model
/// says), or one marked kWholeBatchAttr. Other functions run image by
/// image.
bool runsAsOneImage(mlir::func::FuncOp f);

} // namespace dlp

#endif // DLP_SUPPORT_MODELBATCH_H
