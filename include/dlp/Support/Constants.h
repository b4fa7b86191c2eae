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
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <optional>
#include <vector>

namespace dlp {

/// Contents of a constant: a view into the attribute's storage, or into
/// `storage` when the values had to be expanded (e.g. splats).
template <typename T> struct ConstantData {
  llvm::ArrayRef<T> data;
  std::vector<T> storage;
  llvm::SmallVector<int64_t> shape;
};
using FloatConstant = ConstantData<float>;

/// Reads an f32 tensor constant attribute. Fails for other element types
/// and for resources whose blob is missing (e.g. elided on printing).
std::optional<FloatConstant> readFloatConstant(mlir::Attribute attr);

/// Integer counterparts (i8 and i32 element types; signless integers are
/// read as signed), for quantized weights and biases.
std::optional<ConstantData<int8_t>> readI8Constant(mlir::Attribute attr);
std::optional<ConstantData<int32_t>> readI32Constant(mlir::Attribute attr);

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

/// Creates the attribute of a new dense_resource blob of tensor<shape x f32>
/// whose values `fill` writes in place (no intermediate copy).
mlir::ElementsAttr createFloatResourceAttr(
    mlir::MLIRContext *ctx, llvm::ArrayRef<int64_t> shape,
    llvm::StringRef nameHint,
    llvm::function_ref<void(llvm::MutableArrayRef<float>)> fill);

/// Integer counterparts (tensor<shape x i8> / tensor<shape x i32>).
mlir::ElementsAttr createI8ResourceAttr(
    mlir::MLIRContext *ctx, llvm::ArrayRef<int64_t> shape,
    llvm::StringRef nameHint,
    llvm::function_ref<void(llvm::MutableArrayRef<int8_t>)> fill);
/// A tensor<shape x i8> blob that takes over `data` (no copy).
mlir::ElementsAttr createI8ResourceAttr(mlir::MLIRContext *ctx,
                                        llvm::ArrayRef<int64_t> shape,
                                        llvm::StringRef nameHint,
                                        std::vector<int8_t> &&data);
mlir::ElementsAttr createI32ResourceAttr(
    mlir::MLIRContext *ctx, llvm::ArrayRef<int64_t> shape,
    llvm::StringRef nameHint,
    llvm::function_ref<void(llvm::MutableArrayRef<int32_t>)> fill);

/// `arith.constant` form of the above.
mlir::Value
createFloatConstant(mlir::OpBuilder &b, mlir::Location loc,
                    llvm::ArrayRef<int64_t> shape, llvm::StringRef nameHint,
                    llvm::function_ref<void(llvm::MutableArrayRef<float>)> fill);

/// Frees the blobs of dense_resource constants that a rewrite drops.
///
/// MLIR keeps every resource blob in the context's blob manager for the
/// context's lifetime, even when no attribute in the IR refers to it any
/// more; a pass that replaces a large weight would otherwise hold both the
/// old and the new copy. Construct one on the root of a rewrite (all IR that
/// may reference the resources, e.g. the module) before rewriting, and call
/// releaseDropped() after: every resource referenced before and no longer
/// referenced under the root gets an empty blob (so a stale reference reads
/// as "blob missing" rather than as freed memory).
class ResourceReleaser {
public:
  explicit ResourceReleaser(mlir::Operation *root);
  /// Returns the number of bytes freed.
  size_t releaseDropped();

private:
  mlir::Operation *root;
  llvm::DenseSet<mlir::DialectResourceBlobManager::BlobEntry *> before;
};

} // namespace dlp

#endif // DLP_SUPPORT_CONSTANTS_H
