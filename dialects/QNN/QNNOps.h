//===- QNNOps.h - qnn dialect -------------------------------------*- C++ -*-===//
#ifndef DLP_QNN_QNNOPS_H
#define DLP_QNN_QNNOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "QNN/QNNDialect.h.inc"

namespace dlp::qnn {
/// Entry c of an optional per-channel bound (one entry broadcasts).
inline int32_t actBound(std::optional<llvm::ArrayRef<int32_t>> bounds,
                        int64_t c, int32_t absent) {
  if (!bounds || bounds->empty())
    return absent;
  return bounds->size() == 1 ? (*bounds)[0] : (*bounds)[c];
}
} // namespace dlp::qnn

#define GET_ATTRDEF_CLASSES
#include "QNN/QNNAttrs.h.inc"

#define GET_OP_CLASSES
#include "QNN/QNNOps.h.inc"

namespace dlp::qnn {

/// The scale encoding of a qnn tensor value (null if it has none).
template <typename AttrT> AttrT encodingOf(mlir::Type type) {
  auto t = llvm::dyn_cast<mlir::RankedTensorType>(type);
  return t ? llvm::dyn_cast_or_null<AttrT>(t.getEncoding()) : AttrT();
}

/// `type` with the scale encoding `enc`.
mlir::RankedTensorType withEncoding(mlir::RankedTensorType type,
                                    mlir::Attribute enc);

/// The smallest shift exponent of output channel o's weights: n2_o for
/// pow2-4 (the weight 2^n2 is integer 1 at fractional bits -n2), -g_o for
/// int8 — so a product term has f_i - weightLsb(o) fractional bits.
int32_t weightLsb(mlir::Attribute weightEncoding, int64_t o);

/// Accumulator fractional bits F_o of each output channel of a conv (weight
/// dims[0] outputs, `inPerGroup` input channels per group, `group` groups)
/// or fully-connected layer (group 1): max over the input channels i that
/// feed o of (f_i - weightLsb(o)). docs/numerics.md section 3.
llvm::SmallVector<int32_t> accumulatorFracs(FmapAttr input,
                                            mlir::Attribute weightEncoding,
                                            int64_t numOutputs,
                                            int64_t inPerGroup, int64_t group);

/// docs/numerics.md section 3's overflow proof for a qnn.conv or
/// qnn.fully_connected whose weight integers are `weights` (weight layout)
/// and bias `bias` (empty: none): "" when every int32 partial sum is
/// exact, else what fails. Every consumer of a qnn module (the quantized
/// evaluator, the lowering to the DLP) checks it, so a hand-written module
/// is never computed with wrapped arithmetic.
std::string proveNoOverflow(mlir::Operation *op,
                            llvm::ArrayRef<int8_t> weights,
                            llvm::ArrayRef<int32_t> bias);

} // namespace dlp::qnn

#endif // DLP_QNN_QNNOPS_H
