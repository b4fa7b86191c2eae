//===- Constants.h - Reading and creating float tensor constants -*- C++ -*-===//
//
// Weights live in `arith.constant` ops holding `dense_resource` blobs (or,
// in hand-written tests, dense literals). These helpers read them without
// copying when possible and create new blob-backed constants.
//
//===----------------------------------------------------------------------===//
#ifndef DLP_SUPPORT_CONSTANTS_H
#define DLP_SUPPORT_CONSTANTS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Value.h"

#include <optional>
#include <vector>

namespace dlp {

/// Float32 contents of a constant: a view into the attribute's storage, or
/// into `storage` when the values had to be expanded (e.g. splats).
struct FloatConstant {
  llvm::ArrayRef<float> data;
  std::vector<float> storage;
  llvm::SmallVector<int64_t> shape;
};

/// Reads an f32 tensor constant attribute. Fails for other element types
/// and for resources whose blob is missing (e.g. elided on printing).
std::optional<FloatConstant> readFloatConstant(mlir::Attribute attr);

/// Reads the constant behind `v` (an arith.constant result), if any.
std::optional<FloatConstant> readFloatConstant(mlir::Value v);

/// Creates `arith.constant` of type tensor<shape x f32> holding a copy of
/// `data` in a new dense_resource blob named after `nameHint`.
mlir::Value createFloatConstant(mlir::OpBuilder &b, mlir::Location loc,
                                llvm::ArrayRef<int64_t> shape,
                                llvm::ArrayRef<float> data,
                                llvm::StringRef nameHint);

/// The ElementsAttr alone (for folders that return attributes).
mlir::ElementsAttr createFloatResourceAttr(mlir::MLIRContext *ctx,
                                           llvm::ArrayRef<int64_t> shape,
                                           llvm::ArrayRef<float> data,
                                           llvm::StringRef nameHint);

} // namespace dlp

#endif // DLP_SUPPORT_CONSTANTS_H
